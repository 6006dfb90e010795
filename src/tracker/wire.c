/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Tracker wire formats: the HTTP query string (both sides), the server's
 * bencoded replies and BEP 15 UDP packets. The client's parser of HTTP
 * replies lives in wire-reply.c because it needs the bencode decoder.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <nettle/sha2.h>

#include "bencode/bencode.h"
#include "tracker/wire.h"
#include "util/cursor.h"
#include "util/parse.h"
#include "util/util.h"

const char *tracker_strerror(int code)
{
	switch (code) {
	case 0: return "ok";
	case TRACKER_E_MALFORMED: return "malformed";
	case TRACKER_E_MISSING: return "missing field";
	case TRACKER_E_DUPLICATE: return "duplicate parameter";
	case TRACKER_E_TOO_LONG: return "too long";
	case TRACKER_E_ACTION: return "unexpected action";
	case TRACKER_E_TXID: return "unexpected transaction id";
	case TRACKER_E_CONN_ID: return "bad connection id";
	case TRACKER_E_FAILURE: return "tracker failure";
	default: return code < 0 ? strerror(-code) : "unknown error";
	}
}

const char *tracker_event_name(enum tracker_event ev)
{
	switch (ev) {
	case TRACKER_EVENT_COMPLETED: return "completed";
	case TRACKER_EVENT_STARTED: return "started";
	case TRACKER_EVENT_STOPPED: return "stopped";
	default: return "";
	}
}

/* ---- Percent-encoding ---- */

static bool is_unreserved(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

int tracker_url_encode(struct buf *out, const uint8_t *p, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	int r;

	for (size_t i = 0; i < len; i++) {
		if (is_unreserved(p[i])) {
			r = buf_append_u8(out, p[i]);
		} else {
			char e[3] = {'%', hex[p[i] >> 4], hex[p[i] & 15]};
			r = buf_append(out, e, 3);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

long tracker_url_decode(const char *s, size_t len, uint8_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c == '%') {
			int hi, lo;
			if (len - i < 3)
				return -1;
			hi = parse_hex_digit(s[i + 1]);
			lo = parse_hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (uint8_t)(hi << 4 | lo);
			i += 2;
		}
		if (n == max)
			return -1;
		out[n++] = c;
	}
	return (long)n;
}

/* ---- HTTP query: client ---- */

int tracker_http_query_build(struct buf *out, const struct tracker_announce *a)
{
	int r;

	if ((r = buf_append_str(out, "info_hash=")) < 0 ||
	    (r = tracker_url_encode(out, a->info_hash, TRACKER_HASH_LEN)) < 0 ||
	    (r = buf_append_str(out, "&peer_id=")) < 0 ||
	    (r = tracker_url_encode(out, a->peer_id, TRACKER_PEER_ID_LEN)) < 0)
		return r;
	r = buf_printf(out, "&port=%u&uploaded=%llu&downloaded=%llu&left=%llu", a->port,
		       (unsigned long long)a->uploaded, (unsigned long long)a->downloaded,
		       (unsigned long long)a->left);
	if (r < 0)
		return r;
	if (a->event != TRACKER_EVENT_NONE &&
	    (r = buf_printf(out, "&event=%s", tracker_event_name(a->event))) < 0)
		return r;
	if ((r = buf_printf(out, "&compact=1&numwant=%u", a->numwant)) < 0)
		return r;
	if (a->no_peer_id && (r = buf_append_str(out, "&no_peer_id=1")) < 0)
		return r;
	if (a->has_key && (r = buf_printf(out, "&key=%08x", a->key)) < 0)
		return r;
	return 0;
}

/* ---- HTTP query: server ---- */

/* Walks "k=v&k=v" pairs. A pair without '=' has an empty value; empty
 * pairs ("&&") are skipped. Returns false at the end. */
struct query_iter {
	const char *p;
	size_t len;
	unsigned count;
};

static bool query_next(struct query_iter *it, const char **k, size_t *klen, const char **v,
		       size_t *vlen)
{
	while (it->len > 0) {
		const char *amp = memchr(it->p, '&', it->len);
		size_t plen = amp ? (size_t)(amp - it->p) : it->len;
		const char *pair = it->p;
		const char *eq;

		it->p += plen + (amp ? 1 : 0);
		it->len -= plen + (amp ? 1 : 0);
		if (plen == 0)
			continue;
		it->count++;
		eq = memchr(pair, '=', plen);
		*k = pair;
		*klen = eq ? (size_t)(eq - pair) : plen;
		*v = eq ? eq + 1 : pair + plen;
		*vlen = eq ? plen - *klen - 1 : 0;
		return true;
	}
	return false;
}

static bool key_is(const char *k, size_t klen, const char *name)
{
	return klen == strlen(name) && memcmp(k, name, klen) == 0;
}

/* Parses a decimal value (possibly percent-encoded, which we do not
 * allow: numbers are plain ASCII) within max. */
static int query_u64(const char *v, size_t vlen, uint64_t max, uint64_t *out)
{
	return parse_u64(v, vlen, max, out) < 0 ? TRACKER_E_MALFORMED : 0;
}

enum {
	QP_INFO_HASH = 1 << 0,
	QP_PEER_ID = 1 << 1,
	QP_PORT = 1 << 2,
	QP_UPLOADED = 1 << 3,
	QP_DOWNLOADED = 1 << 4,
	QP_LEFT = 1 << 5,
	QP_EVENT = 1 << 6,
	QP_NUMWANT = 1 << 7,
	QP_COMPACT = 1 << 8,
	QP_KEY = 1 << 9,
	QP_NO_PEER_ID = 1 << 10,
	QP_REQUIRED = QP_INFO_HASH | QP_PEER_ID | QP_PORT | QP_UPLOADED | QP_DOWNLOADED | QP_LEFT,
};

static int fail(const char **why, const char *text, int code)
{
	if (why)
		*why = text;
	return code;
}

/* Parses one known parameter into a; returns its QP_ bit (0 if unknown) or
 * a negated TRACKER_E_ code. */
static int query_param(const char *k, size_t klen, const char *v, size_t vlen,
		       struct tracker_announce *a, const char **why)
{
	uint64_t u;
	long n;

	if (key_is(k, klen, "info_hash")) {
		n = tracker_url_decode(v, vlen, a->info_hash, TRACKER_HASH_LEN);
		if (n != TRACKER_HASH_LEN)
			return -fail(why, "invalid info_hash", TRACKER_E_MALFORMED);
		return QP_INFO_HASH;
	}
	if (key_is(k, klen, "peer_id")) {
		n = tracker_url_decode(v, vlen, a->peer_id, TRACKER_PEER_ID_LEN);
		if (n != TRACKER_PEER_ID_LEN)
			return -fail(why, "invalid peer_id", TRACKER_E_MALFORMED);
		return QP_PEER_ID;
	}
	if (key_is(k, klen, "port")) {
		if (query_u64(v, vlen, 65535, &u) || u == 0)
			return -fail(why, "invalid port", TRACKER_E_MALFORMED);
		a->port = (uint16_t)u;
		return QP_PORT;
	}
	if (key_is(k, klen, "uploaded")) {
		if (query_u64(v, vlen, TRACKER_BYTES_MAX, &a->uploaded))
			return -fail(why, "invalid uploaded", TRACKER_E_MALFORMED);
		return QP_UPLOADED;
	}
	if (key_is(k, klen, "downloaded")) {
		if (query_u64(v, vlen, TRACKER_BYTES_MAX, &a->downloaded))
			return -fail(why, "invalid downloaded", TRACKER_E_MALFORMED);
		return QP_DOWNLOADED;
	}
	if (key_is(k, klen, "left")) {
		if (query_u64(v, vlen, TRACKER_BYTES_MAX, &a->left))
			return -fail(why, "invalid left", TRACKER_E_MALFORMED);
		return QP_LEFT;
	}
	if (key_is(k, klen, "event")) {
		if (key_is(v, vlen, "started"))
			a->event = TRACKER_EVENT_STARTED;
		else if (key_is(v, vlen, "completed"))
			a->event = TRACKER_EVENT_COMPLETED;
		else if (key_is(v, vlen, "stopped"))
			a->event = TRACKER_EVENT_STOPPED;
		else if (vlen == 0 || key_is(v, vlen, "empty") || key_is(v, vlen, "paused"))
			a->event = TRACKER_EVENT_NONE;
		else
			return -fail(why, "invalid event", TRACKER_E_MALFORMED);
		return QP_EVENT;
	}
	if (key_is(k, klen, "numwant")) {
		/* Some clients send -1 for "the default"; any count past our cap
		 * is lowered to it, but text that is not a number is refused. */
		if (vlen > 0 && v[0] == '-') {
			if (query_u64(v + 1, vlen - 1, UINT64_MAX, &u))
				return -fail(why, "invalid numwant", TRACKER_E_MALFORMED);
			a->numwant = TRACKER_NUMWANT_DEFAULT;
		} else {
			if (query_u64(v, vlen, UINT64_MAX, &u))
				return -fail(why, "invalid numwant", TRACKER_E_MALFORMED);
			a->numwant = (uint32_t)MIN(u, TRACKER_NUMWANT_MAX);
		}
		return QP_NUMWANT;
	}
	if (key_is(k, klen, "compact")) {
		if (!key_is(v, vlen, "0") && !key_is(v, vlen, "1"))
			return -fail(why, "invalid compact", TRACKER_E_MALFORMED);
		a->compact = v[0] == '1';
		return QP_COMPACT;
	}
	if (key_is(k, klen, "no_peer_id")) {
		a->no_peer_id = !key_is(v, vlen, "0");
		return QP_NO_PEER_ID;
	}
	if (key_is(k, klen, "key")) {
		/* Clients send the key as hex or decimal text of any kind; we only
		 * keep a hash of it to tell a client's announces apart. */
		uint32_t h = 2166136261u;
		if (vlen > 64)
			return -fail(why, "invalid key", TRACKER_E_MALFORMED);
		for (size_t i = 0; i < vlen; i++)
			h = (h ^ (uint8_t)v[i]) * 16777619u;
		a->key = h;
		a->has_key = true;
		return QP_KEY;
	}
	return 0;
}

int tracker_http_query_parse(const char *q, size_t len, struct tracker_announce *a,
			     const char **why)
{
	struct query_iter it = {q, len, 0};
	const char *k, *v;
	size_t klen, vlen;
	unsigned seen = 0;

	memset(a, 0, sizeof(*a));
	a->numwant = TRACKER_NUMWANT_DEFAULT;
	a->compact = true;
	if (len > TRACKER_QUERY_MAX)
		return fail(why, "query too long", TRACKER_E_TOO_LONG);
	while (query_next(&it, &k, &klen, &v, &vlen)) {
		int bit;
		if (it.count > TRACKER_QUERY_PARAMS_MAX)
			return fail(why, "too many parameters", TRACKER_E_TOO_LONG);
		bit = query_param(k, klen, v, vlen, a, why);
		if (bit < 0)
			return -bit;
		if (bit & seen)
			return fail(why, "duplicate parameter", TRACKER_E_DUPLICATE);
		seen |= (unsigned)bit;
	}
	if ((seen & QP_REQUIRED) != QP_REQUIRED) {
		if (!(seen & QP_INFO_HASH))
			return fail(why, "missing info_hash", TRACKER_E_MISSING);
		if (!(seen & QP_PEER_ID))
			return fail(why, "missing peer_id", TRACKER_E_MISSING);
		if (!(seen & QP_PORT))
			return fail(why, "missing port", TRACKER_E_MISSING);
		return fail(why, "missing uploaded, downloaded or left", TRACKER_E_MISSING);
	}
	return 0;
}

int tracker_http_scrape_parse(const char *q, size_t len, uint8_t (*hashes)[TRACKER_HASH_LEN],
			      size_t max, size_t *n, const char **why)
{
	struct query_iter it = {q, len, 0};
	const char *k, *v;
	size_t klen, vlen;

	*n = 0;
	max = MIN(max, (size_t)TRACKER_SCRAPE_MAX);
	if (len > TRACKER_QUERY_MAX)
		return fail(why, "query too long", TRACKER_E_TOO_LONG);
	while (query_next(&it, &k, &klen, &v, &vlen)) {
		if (it.count > TRACKER_QUERY_PARAMS_MAX + TRACKER_SCRAPE_MAX)
			return fail(why, "too many parameters", TRACKER_E_TOO_LONG);
		if (!key_is(k, klen, "info_hash"))
			continue;
		if (*n == max)
			return fail(why, "too many info_hash", TRACKER_E_TOO_LONG);
		if (tracker_url_decode(v, vlen, hashes[*n], TRACKER_HASH_LEN) != TRACKER_HASH_LEN)
			return fail(why, "invalid info_hash", TRACKER_E_MALFORMED);
		(*n)++;
	}
	return 0;
}

/* ---- HTTP replies: server ---- */

/* Keys are written in ascending byte order, as bencode requires. */
/* Bencoded integers and string lengths by hand: through printf they were
 * the largest share of our own code in an HTTP announce (perf). The bytes
 * are the same as bencode_put_int() and bencode_put_str() write. */
static int put_num(struct buf *out, char before, int64_t v, char after)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	*--p = after;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	if (before)
		*--p = before;
	return buf_append(out, p, (size_t)(tmp + sizeof(tmp) - p));
}

static int put_str(struct buf *out, const void *p, size_t len)
{
	size_t before = out->len;
	int r = put_num(out, 0, (int64_t)len, ':');

	if (r == 0)
		r = buf_append(out, p, len);
	if (r < 0)
		out->len = before;
	return r;
}

static int put_key_int(struct buf *out, const char *key, int64_t v)
{
	int r = put_str(out, key, strlen(key));
	return r < 0 ? r : put_num(out, 'i', v, 'e');
}

static int put_key_str(struct buf *out, const char *key, const void *p, size_t len)
{
	int r = put_str(out, key, strlen(key));
	return r < 0 ? r : put_str(out, p, len);
}

static int put_peers(struct buf *out, const struct tracker_http_reply *r)
{
	size_t n = MIN(r->n_peers, (size_t)TRACKER_NUMWANT_MAX);
	int e;

	if (r->compact) {
		uint8_t b[6 * TRACKER_NUMWANT_MAX];
		for (size_t i = 0; i < n; i++) {
			memcpy(b + 6 * i, &r->peers[i].a.addr.s_addr, 4);
			put_u16be(b + 6 * i + 4, r->peers[i].a.port);
		}
		return put_key_str(out, "peers", b, 6 * n);
	}
	if ((e = put_str(out, "peers", 5)) < 0 || (e = bencode_put_list_begin(out)) < 0)
		return e;
	for (size_t i = 0; i < n; i++) {
		char ip[INET_ADDRSTRLEN];
		if (!inet_ntop(AF_INET, &r->peers[i].a.addr, ip, sizeof(ip)))
			return -EINVAL;
		if ((e = bencode_put_dict_begin(out)) < 0 ||
		    (e = put_key_str(out, "ip", ip, strlen(ip))) < 0)
			return e;
		if (!r->no_peer_id &&
		    (e = put_key_str(out, "peer id", r->peers[i].peer_id, TRACKER_PEER_ID_LEN)) < 0)
			return e;
		if ((e = put_key_int(out, "port", r->peers[i].a.port)) < 0 ||
		    (e = bencode_put_end(out)) < 0)
			return e;
	}
	return bencode_put_end(out);
}

int tracker_http_reply_build(struct buf *out, const struct tracker_http_reply *r)
{
	int e;

	if ((e = bencode_put_dict_begin(out)) < 0 ||
	    (e = put_key_int(out, "complete", r->complete)) < 0 ||
	    (e = put_key_int(out, "incomplete", r->incomplete)) < 0 ||
	    (e = put_key_int(out, "interval", r->interval)) < 0 ||
	    (e = put_key_int(out, "min interval", r->min_interval)) < 0 ||
	    (e = put_peers(out, r)) < 0)
		return e;
	if (r->warning &&
	    (e = put_key_str(out, "warning message", r->warning, strlen(r->warning))) < 0)
		return e;
	return bencode_put_end(out);
}

int tracker_http_failure_build(struct buf *out, const char *reason)
{
	int e;

	if ((e = bencode_put_dict_begin(out)) < 0 ||
	    (e = put_key_str(out, "failure reason", reason, strlen(reason))) < 0)
		return e;
	return bencode_put_end(out);
}

int tracker_http_scrape_build(struct buf *out, const struct tracker_scrape_entry *e, size_t n)
{
	int r;

	if ((r = bencode_put_dict_begin(out)) < 0 || (r = bencode_put_cstr(out, "files")) < 0 ||
	    (r = bencode_put_dict_begin(out)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && memcmp(e[i - 1].info_hash, e[i].info_hash, TRACKER_HASH_LEN) >= 0)
			return -EINVAL;
		if ((r = bencode_put_str(out, e[i].info_hash, TRACKER_HASH_LEN)) < 0 ||
		    (r = bencode_put_dict_begin(out)) < 0 ||
		    (r = put_key_int(out, "complete", e[i].complete)) < 0 ||
		    (r = put_key_int(out, "downloaded", e[i].downloaded)) < 0 ||
		    (r = put_key_int(out, "incomplete", e[i].incomplete)) < 0 ||
		    (r = bencode_put_end(out)) < 0)
			return r;
	}
	if ((r = bencode_put_end(out)) < 0)
		return r;
	return bencode_put_end(out);
}

/* ---- UDP: client requests ---- */

int tracker_udp_connect_build(struct buf *out, uint32_t txid)
{
	int r;

	if ((r = buf_append_u64be(out, TRACKER_UDP_PROTOCOL_ID)) < 0 ||
	    (r = buf_append_u32be(out, TRACKER_UDP_CONNECT)) < 0)
		return r;
	return buf_append_u32be(out, txid);
}

int tracker_udp_announce_build(struct buf *out, uint64_t conn_id, uint32_t txid,
			       const struct tracker_announce *a)
{
	uint8_t p[TRACKER_UDP_ANNOUNCE_LEN];

	put_u64be(p, conn_id);
	put_u32be(p + 8, TRACKER_UDP_ANNOUNCE);
	put_u32be(p + 12, txid);
	memcpy(p + 16, a->info_hash, 20);
	memcpy(p + 36, a->peer_id, 20);
	put_u64be(p + 56, a->downloaded);
	put_u64be(p + 64, a->left);
	put_u64be(p + 72, a->uploaded);
	put_u32be(p + 80, (uint32_t)a->event);
	put_u32be(p + 84, 0); /* ip: the tracker uses the source address */
	put_u32be(p + 88, a->key);
	put_u32be(p + 92, a->numwant);
	put_u16be(p + 96, a->port);
	return buf_append(out, p, sizeof(p));
}

int tracker_udp_scrape_build(struct buf *out, uint64_t conn_id, uint32_t txid,
			     const uint8_t (*hashes)[TRACKER_HASH_LEN], size_t n)
{
	int r;

	if (n == 0 || n > TRACKER_SCRAPE_MAX)
		return -EINVAL;
	if ((r = buf_append_u64be(out, conn_id)) < 0 ||
	    (r = buf_append_u32be(out, TRACKER_UDP_SCRAPE)) < 0 ||
	    (r = buf_append_u32be(out, txid)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = buf_append(out, hashes[i], TRACKER_HASH_LEN)) < 0)
			return r;
	return 0;
}

/* ---- UDP: server ---- */

int tracker_udp_request_parse(const uint8_t *pkt, size_t len, struct tracker_udp_request *r)
{
	struct cursor c = cursor_make(pkt, len);
	uint64_t u64;
	uint32_t action, u32;
	struct tracker_announce *a = &r->announce;

	memset(r, 0, sizeof(*r));
	if (len < 16 || len > TRACKER_UDP_PACKET_MAX)
		return TRACKER_E_MALFORMED;
	if (!cursor_u64be(&c, &u64) || !cursor_u32be(&c, &action) || !cursor_u32be(&c, &r->txid))
		return TRACKER_E_MALFORMED;
	switch (action) {
	case TRACKER_UDP_CONNECT:
		r->action = TRACKER_UDP_CONNECT;
		if (u64 != TRACKER_UDP_PROTOCOL_ID || len != TRACKER_UDP_CONNECT_LEN)
			return TRACKER_E_MALFORMED;
		return 0;
	case TRACKER_UDP_ANNOUNCE:
		r->action = TRACKER_UDP_ANNOUNCE;
		r->conn_id = u64;
		if (len < TRACKER_UDP_ANNOUNCE_LEN)
			return TRACKER_E_MALFORMED;
		/* The length was checked above, so these reads cannot fail. */
		(void)cursor_copy(&c, a->info_hash, 20);
		(void)cursor_copy(&c, a->peer_id, 20);
		(void)cursor_u64be(&c, &a->downloaded);
		(void)cursor_u64be(&c, &a->left);
		(void)cursor_u64be(&c, &a->uploaded);
		(void)cursor_u32be(&c, &u32);
		if (u32 > TRACKER_EVENT_STOPPED)
			return TRACKER_E_MALFORMED;
		a->event = (enum tracker_event)u32;
		(void)cursor_u32be(&c, &u32); /* ip: ignored, we answer the source */
		(void)cursor_u32be(&c, &a->key);
		a->has_key = true;
		(void)cursor_u32be(&c, &u32);
		/* num_want is signed: -1 (or any negative) asks for the default. */
		a->numwant = (int32_t)u32 < 0 ? TRACKER_NUMWANT_DEFAULT
					      : MIN(u32, (uint32_t)TRACKER_NUMWANT_MAX);
		(void)cursor_u16be(&c, &a->port);
		a->compact = true;
		if (a->port == 0 || a->downloaded > TRACKER_BYTES_MAX ||
		    a->left > TRACKER_BYTES_MAX || a->uploaded > TRACKER_BYTES_MAX)
			return TRACKER_E_MALFORMED;
		return 0;
	case TRACKER_UDP_SCRAPE:
		r->action = TRACKER_UDP_SCRAPE;
		r->conn_id = u64;
		if (c.len == 0 || c.len % TRACKER_HASH_LEN != 0)
			return TRACKER_E_MALFORMED;
		if (c.len / TRACKER_HASH_LEN > TRACKER_SCRAPE_MAX)
			return TRACKER_E_TOO_LONG;
		r->scrape_hashes = c.p;
		r->n_scrape = c.len / TRACKER_HASH_LEN;
		return 0;
	default: r->action = TRACKER_UDP_ERROR; return TRACKER_E_ACTION;
	}
}

void tracker_udp_secret_init(struct tracker_udp_secret *s, const uint8_t *key, size_t len)
{
	hmac_sha256_set_key(&s->hmac, len, key);
}

static uint64_t conn_id_for_epoch(const struct tracker_udp_secret *s,
				  const struct sockaddr_in *from, uint64_t epoch)
{
	struct hmac_sha256_ctx ctx = s->hmac;
	uint8_t msg[14], digest[SHA256_DIGEST_SIZE];

	memcpy(msg, &from->sin_addr.s_addr, 4);
	memcpy(msg + 4, &from->sin_port, 2);
	put_u64be(msg + 6, epoch);
	hmac_sha256_update(&ctx, sizeof(msg), msg);
	hmac_sha256_digest(&ctx, sizeof(digest), digest);
	return get_u64be(digest);
}

uint64_t tracker_udp_conn_id(const struct tracker_udp_secret *s, const struct sockaddr_in *from,
			     uint64_t now_s)
{
	return conn_id_for_epoch(s, from, now_s / TRACKER_UDP_CONN_EPOCH_S);
}

bool tracker_udp_conn_id_check(const struct tracker_udp_secret *s, const struct sockaddr_in *from,
			       uint64_t now_s, uint64_t id)
{
	uint64_t epoch = now_s / TRACKER_UDP_CONN_EPOCH_S;

	if (conn_id_for_epoch(s, from, epoch) == id)
		return true;
	return epoch > 0 && conn_id_for_epoch(s, from, epoch - 1) == id;
}

int tracker_udp_connect_reply_build(struct buf *out, uint32_t txid, uint64_t conn_id)
{
	int r;

	if ((r = buf_append_u32be(out, TRACKER_UDP_CONNECT)) < 0 ||
	    (r = buf_append_u32be(out, txid)) < 0)
		return r;
	return buf_append_u64be(out, conn_id);
}

int tracker_udp_announce_reply_build(struct buf *out, uint32_t txid, uint32_t interval,
				     uint32_t leechers, uint32_t seeders,
				     const struct tracker_reply_peer *peers, size_t n)
{
	int r;

	if ((r = buf_reserve(out, 20 + 6 * n)) < 0)
		return r;
	if ((r = buf_append_u32be(out, TRACKER_UDP_ANNOUNCE)) < 0 ||
	    (r = buf_append_u32be(out, txid)) < 0 || (r = buf_append_u32be(out, interval)) < 0 ||
	    (r = buf_append_u32be(out, leechers)) < 0 || (r = buf_append_u32be(out, seeders)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		uint8_t b[6];
		memcpy(b, &peers[i].a.addr.s_addr, 4);
		put_u16be(b + 4, peers[i].a.port);
		if ((r = buf_append(out, b, 6)) < 0)
			return r;
	}
	return 0;
}

int tracker_udp_scrape_reply_build(struct buf *out, uint32_t txid,
				   const struct tracker_scrape_entry *e, size_t n)
{
	int r;

	if ((r = buf_append_u32be(out, TRACKER_UDP_SCRAPE)) < 0 ||
	    (r = buf_append_u32be(out, txid)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = buf_append_u32be(out, e[i].complete)) < 0 ||
		    (r = buf_append_u32be(out, e[i].downloaded)) < 0 ||
		    (r = buf_append_u32be(out, e[i].incomplete)) < 0)
			return r;
	return 0;
}

int tracker_udp_error_build(struct buf *out, uint32_t txid, const char *msg)
{
	int r;

	if ((r = buf_append_u32be(out, TRACKER_UDP_ERROR)) < 0 ||
	    (r = buf_append_u32be(out, txid)) < 0)
		return r;
	return buf_append(out, msg, MIN(strlen(msg), (size_t)TRACKER_MESSAGE_MAX));
}

/* ---- UDP: client replies ---- */

/* Copies a tracker's text, replacing bytes that are not printable ASCII so
 * it can be logged and shown safely. */
static void copy_message(char *dst, const uint8_t *p, size_t len)
{
	len = MIN(len, (size_t)TRACKER_MESSAGE_MAX);
	for (size_t i = 0; i < len; i++)
		dst[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	dst[len] = '\0';
}

/* Reads the common header and checks txid; handles ERROR replies. */
static int udp_reply_head(struct cursor *c, uint32_t want_action, uint32_t txid, char *failure)
{
	uint32_t action, got;

	if (c->len > TRACKER_UDP_PACKET_MAX)
		return TRACKER_E_TOO_LONG;
	if (!cursor_u32be(c, &action) || !cursor_u32be(c, &got))
		return TRACKER_E_MALFORMED;
	if (got != txid)
		return TRACKER_E_TXID;
	if (action == TRACKER_UDP_ERROR) {
		if (failure)
			copy_message(failure, c->p, c->len);
		return TRACKER_E_FAILURE;
	}
	if (action != want_action)
		return TRACKER_E_ACTION;
	return 0;
}

int tracker_udp_connect_reply_parse(const uint8_t *pkt, size_t len, uint32_t txid,
				    uint64_t *conn_id, char *failure)
{
	struct cursor c = cursor_make(pkt, len);
	int r = udp_reply_head(&c, TRACKER_UDP_CONNECT, txid, failure);

	if (r)
		return r;
	if (c.len != 8)
		return TRACKER_E_MALFORMED;
	(void)cursor_u64be(&c, conn_id);
	return 0;
}

int tracker_udp_announce_reply_parse(const uint8_t *pkt, size_t len, uint32_t txid,
				     struct tracker_reply *r)
{
	struct cursor c = cursor_make(pkt, len);
	uint32_t interval, leechers, seeders;
	int e;

	memset(r, 0, sizeof(*r));
	r->complete = r->incomplete = -1;
	e = udp_reply_head(&c, TRACKER_UDP_ANNOUNCE, txid, r->failure);
	if (e)
		return e;
	if (!cursor_u32be(&c, &interval) || !cursor_u32be(&c, &leechers) ||
	    !cursor_u32be(&c, &seeders) || c.len % 6 != 0)
		return TRACKER_E_MALFORMED;
	r->interval = interval;
	r->incomplete = leechers;
	r->complete = seeders;
	while (c.len > 0) {
		const uint8_t *b = c.p;
		(void)cursor_skip(&c, 6);
		if (r->n_peers == TRACKER_REPLY_PEERS_MAX || get_u16be(b + 4) == 0) {
			r->n_peers_ignored++;
			continue;
		}
		memcpy(&r->peers[r->n_peers].addr.s_addr, b, 4);
		r->peers[r->n_peers].port = get_u16be(b + 4);
		r->n_peers++;
	}
	return 0;
}

int tracker_udp_scrape_reply_parse(const uint8_t *pkt, size_t len, uint32_t txid,
				   struct tracker_scrape_entry *e, size_t n, char *failure)
{
	struct cursor c = cursor_make(pkt, len);
	int r = udp_reply_head(&c, TRACKER_UDP_SCRAPE, txid, failure);

	if (r)
		return r;
	if (c.len != 12 * n)
		return TRACKER_E_MALFORMED;
	for (size_t i = 0; i < n; i++) {
		(void)cursor_u32be(&c, &e[i].complete);
		(void)cursor_u32be(&c, &e[i].downloaded);
		(void)cursor_u32be(&c, &e[i].incomplete);
	}
	return 0;
}
