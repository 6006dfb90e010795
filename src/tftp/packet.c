/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tftp/packet.h"
#include "util/cursor.h"
#include "util/parse.h"
#include "util/util.h"

enum { OPT_BLKSIZE, OPT_TSIZE, OPT_TIMEOUT, OPT_WINDOWSIZE };

static const char *const opt_names[] = {"blksize", "tsize", "timeout", "windowsize"};

uint16_t tftp_packet_opcode(const uint8_t *pkt, size_t len)
{
	return len < 2 ? 0 : get_u16be(pkt);
}

/* Takes one NUL-terminated string off the cursor. The string's bytes stay in
 * the packet; *len excludes the NUL. */
static bool cursor_cstr(struct cursor *c, const char **s, size_t *len)
{
	const uint8_t *nul = memchr(c->p, '\0', c->len);
	const uint8_t *p;

	if (!nul)
		return false;
	*len = (size_t)(nul - c->p);
	if (!cursor_take(c, *len + 1, &p))
		return false;
	*s = (const char *)p;
	return true;
}

int tftp_request_parse(const uint8_t *pkt, size_t len, struct tftp_request *req)
{
	struct cursor c = cursor_make(pkt, len);
	uint16_t op;
	size_t mode_len;

	memset(req, 0, sizeof(*req));
	if (!cursor_u16be(&c, &op))
		return TFTP_E_MALFORMED;
	if (op != TFTP_RRQ && op != TFTP_WRQ)
		return TFTP_E_OPCODE;
	req->opcode = op;
	if (!cursor_cstr(&c, &req->filename, &req->filename_len) || req->filename_len == 0)
		return TFTP_E_MALFORMED;
	if (!cursor_cstr(&c, &req->mode_str, &mode_len))
		return TFTP_E_MALFORMED;
	if (strcasecmp(req->mode_str, "octet") == 0)
		req->mode = TFTP_MODE_OCTET;
	else if (strcasecmp(req->mode_str, "netascii") == 0)
		req->mode = TFTP_MODE_NETASCII;
	else
		return TFTP_E_MODE;

	/* Option pairs follow until the packet ends. An empty name ends them
	 * too: some PXE ROMs pad their requests with NULs. */
	while (c.len > 0) {
		struct tftp_option o;
		struct cursor save = c;

		if (req->nopts == TFTP_MAX_OPTIONS || !cursor_cstr(&c, &o.name, &o.name_len) ||
		    !cursor_cstr(&c, &o.value, &o.value_len)) {
			req->trailing_ignored = true;
			break;
		}
		if (o.name_len == 0) {
			/* Padding is fine when it is all NULs. */
			for (size_t i = 0; i < save.len; i++)
				if (save.p[i] != 0)
					req->trailing_ignored = true;
			break;
		}
		req->opts[req->nopts++] = o;
	}
	return 0;
}

int tftp_ack_parse(const uint8_t *pkt, size_t len, uint16_t *block)
{
	struct cursor c = cursor_make(pkt, len);
	uint16_t op;

	if (!cursor_u16be(&c, &op))
		return TFTP_E_MALFORMED;
	if (op != TFTP_ACK)
		return TFTP_E_OPCODE;
	if (!cursor_u16be(&c, block))
		return TFTP_E_MALFORMED;
	return 0;
}

int tftp_error_parse(const uint8_t *pkt, size_t len, uint16_t *code, const char **msg,
		     size_t *msg_len)
{
	struct cursor c = cursor_make(pkt, len);
	const uint8_t *nul;
	uint16_t op;

	if (!cursor_u16be(&c, &op))
		return TFTP_E_MALFORMED;
	if (op != TFTP_ERROR)
		return TFTP_E_OPCODE;
	if (!cursor_u16be(&c, code))
		return TFTP_E_MALFORMED;
	nul = memchr(c.p, '\0', c.len);
	*msg = (const char *)c.p;
	*msg_len = nul ? (size_t)(nul - c.p) : c.len;
	return 0;
}

void tftp_data_header(uint8_t out[4], uint16_t block)
{
	put_u16be(out, TFTP_DATA);
	put_u16be(out + 2, block);
}

size_t tftp_error_build(uint8_t *out, size_t cap, uint16_t code, const char *msg)
{
	size_t mlen = strlen(msg);

	if (cap < 5)
		return 0;
	put_u16be(out, TFTP_ERROR);
	put_u16be(out + 2, code);
	if (mlen > cap - 5)
		mlen = cap - 5;
	memcpy(out + 4, msg, mlen);
	out[4 + mlen] = '\0';
	return 4 + mlen + 1;
}

/* Reads an option value as a decimal number; false for anything else
 * (empty, signs, spaces, too long, too large). */
static bool opt_number(const struct tftp_option *o, uint64_t *v)
{
	if (o->value_len == 0 || o->value_len > TFTP_OPTION_VALUE_MAX)
		return false;
	return parse_u64(o->value, o->value_len, UINT64_MAX, v) == 0;
}

static int opt_lookup(const struct tftp_option *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(opt_names); i++)
		if (strcasecmp(o->name, opt_names[i]) == 0)
			return (int)i;
	return -1;
}

void tftp_options_negotiate(const struct tftp_request *req, const struct tftp_limits *lim,
			    struct tftp_negotiated *neg)
{
	unsigned max_blk = lim->max_blksize;
	unsigned max_win = lim->max_windowsize;

	if (max_blk < TFTP_BLKSIZE_MIN)
		max_blk = TFTP_BLKSIZE_MIN;
	if (max_blk > TFTP_BLKSIZE_MAX)
		max_blk = TFTP_BLKSIZE_MAX;
	if (max_win < 1)
		max_win = 1;
	if (max_win > TFTP_WINDOWSIZE_MAX)
		max_win = TFTP_WINDOWSIZE_MAX;

	memset(neg, 0, sizeof(*neg));
	neg->blksize = TFTP_BLKSIZE_DEFAULT;
	neg->windowsize = 1;

	for (size_t i = 0; i < req->nopts; i++) {
		const struct tftp_option *o = &req->opts[i];
		int which = opt_lookup(o);
		bool accepted = false;
		uint64_t v;

		if (which < 0 || !opt_number(o, &v))
			continue;
		switch (which) {
		case OPT_BLKSIZE:
			/* RFC 2348: 8..65464. Smaller is meaningless and ignored;
			 * larger is answered with the most we can send. */
			if (neg->has_blksize || v < TFTP_BLKSIZE_MIN)
				break;
			neg->blksize = v > max_blk ? max_blk : (unsigned)v;
			neg->has_blksize = accepted = true;
			break;
		case OPT_TSIZE:
			/* In a read request the client sends 0 and we answer
			 * with the size; without a known size we stay silent.
			 * So do we for an empty file: curl 7.88 takes "tsize
			 * 0" in an OACK for an error and aborts. */
			if (neg->has_tsize || !lim->tsize_known || lim->tsize == 0)
				break;
			neg->tsize = lim->tsize;
			neg->has_tsize = accepted = true;
			break;
		case OPT_TIMEOUT:
			if (neg->has_timeout || v < TFTP_TIMEOUT_MIN || v > TFTP_TIMEOUT_MAX)
				break;
			neg->timeout_s = (unsigned)v;
			neg->has_timeout = accepted = true;
			break;
		case OPT_WINDOWSIZE:
			if (neg->has_windowsize || v < 1)
				break;
			neg->windowsize = v > max_win ? max_win : (unsigned)v;
			neg->has_windowsize = accepted = true;
			break;
		}
		if (accepted)
			neg->order[neg->norder++] = (uint8_t)which;
	}
}

bool tftp_negotiated_any(const struct tftp_negotiated *neg)
{
	return neg->norder > 0;
}

size_t tftp_oack_build(uint8_t *out, size_t cap, const struct tftp_negotiated *neg)
{
	size_t n = 2;

	if (cap < TFTP_OACK_MAX)
		return 0;
	put_u16be(out, TFTP_OACK);
	for (size_t i = 0; i < neg->norder; i++) {
		unsigned long long v = 0;
		int w;

		switch (neg->order[i]) {
		case OPT_BLKSIZE: v = neg->blksize; break;
		case OPT_TSIZE: v = neg->tsize; break;
		case OPT_TIMEOUT: v = neg->timeout_s; break;
		case OPT_WINDOWSIZE: v = neg->windowsize; break;
		}
		/* Four names of at most 10 bytes and numbers of at most 20
		 * digits, with their NULs, fit in TFTP_OACK_MAX. */
		w = snprintf((char *)out + n, cap - n, "%s%c%llu", opt_names[neg->order[i]], 0, v);
		if (w < 0 || (size_t)w + 1 > cap - n)
			return 0;
		n += (size_t)w + 1;
	}
	return n;
}
