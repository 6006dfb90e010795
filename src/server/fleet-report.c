/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The agent report parser: a flat JSON object (what src/agent sends) or a
 * form-urlencoded body (handy for curl and shell scripts), both reduced to
 * (key, value) pairs that one validator checks field by field. Pure: no
 * allocation, no I/O; every length and count has a cap.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "server/fleet.h"
#include "util/parse.h"
#include "util/util.h"

/* Fields at most, known or not; more is not a report an agent sends. */
#define REPORT_MAX_FIELDS 32
/* Keys longer than this are no field of ours (they are skipped). */
#define REPORT_KEY_MAX 31
/* 10^15 bytes (or bytes per second) is far past anything real. */
#define REPORT_NUM_MAX 1e15

enum report_field {
	RF_MAC,
	RF_IP,
	RF_PHASE,
	RF_OS,
	RF_METHOD,
	RF_ERROR,
	RF_HOSTNAME,
	RF_PROGRESS,
	RF_PEERS,
	RF_RATE,
	RF_UP_RATE,
	RF_DOWNLOADED,
	RF_UPLOADED,
	RF_FROM_SERVER,
	RF_FROM_PEERS,
	RF_COUNT,
	RF_UNKNOWN = RF_COUNT,
};

static const struct {
	const char *name, *alias; /* alias: the JSON agent's name */
	size_t max;		  /* decoded bytes */
} fields[RF_COUNT] = {
	[RF_MAC] = {"mac", NULL, 17},
	[RF_IP] = {"ip", NULL, 15},
	[RF_PHASE] = {"phase", NULL, 16},
	[RF_OS] = {"os", NULL, FLEET_OS_SIZE - 1},
	[RF_METHOD] = {"method", NULL, FLEET_METHOD_SIZE - 1},
	[RF_ERROR] = {"error", NULL, FLEET_ERROR_SIZE - 1},
	[RF_HOSTNAME] = {"hostname", NULL, FLEET_HOSTNAME_SIZE - 1},
	[RF_PROGRESS] = {"progress", NULL, 24},
	[RF_PEERS] = {"peers", NULL, 24},
	[RF_RATE] = {"rate", "rate_down", 24},
	[RF_UP_RATE] = {"up_rate", "rate_up", 24},
	[RF_DOWNLOADED] = {"downloaded", NULL, 24},
	[RF_UPLOADED] = {"uploaded", NULL, 24},
	[RF_FROM_SERVER] = {"from_server", NULL, 24},
	[RF_FROM_PEERS] = {"from_peers", NULL, 24},
};

enum value_kind {
	VK_TEXT,   /* a form value or a JSON string */
	VK_NUMBER, /* a JSON number (grammar already checked) */
	VK_NULL,   /* JSON null: the field is absent */
	VK_BOOL,   /* JSON true/false: no field of ours takes one */
};

struct parse_state {
	struct fleet_report *out;
	bool json;
	bool seen[RF_COUNT];
	size_t nfields;
	const char *why;
};

/* Text a person reads: valid UTF-8, no control characters (NUL included),
 * no C1 controls. */
static bool text_ok(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;

	for (size_t i = 0; i < len;) {
		size_t n = fleet_utf8_char(p + i, len - i);

		if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f)) ||
		    (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0))
			return false;
		i += n;
	}
	return true;
}

/* A method name: [a-z0-9_.-], not empty. */
static bool word_ok(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return false;
	}
	return true;
}

static int phase_set(const char *s, struct fleet_report *out)
{
	static const struct {
		const char *name;
		enum fleet_phase phase;
		bool booting;
	} phases[] = {
		{"phase1", FLEET_PHASE_PHASE1, false},
		{"menu", FLEET_PHASE_MENU, false},
		{"downloading", FLEET_PHASE_DOWNLOADING, false},
		{"seeding", FLEET_PHASE_SEEDING, false},
		{"booting", FLEET_PHASE_BOOTED, true},
		{"booted", FLEET_PHASE_BOOTED, false},
		{"failed", FLEET_PHASE_FAILED, false},
	};

	for (size_t i = 0; i < ARRAY_SIZE(phases); i++)
		if (strcmp(s, phases[i].name) == 0) {
			out->phase = phases[i].phase;
			out->booting = phases[i].booting;
			return 0;
		}
	return -1;
}

static enum report_field field_find(const char *key, size_t klen)
{
	for (int i = 0; i < RF_COUNT; i++) {
		if (strlen(fields[i].name) == klen && memcmp(fields[i].name, key, klen) == 0)
			return (enum report_field)i;
		if (fields[i].alias && strlen(fields[i].alias) == klen &&
		    memcmp(fields[i].alias, key, klen) == 0)
			return (enum report_field)i;
	}
	return RF_UNKNOWN;
}

/* The value of a JSON number whose grammar json_number() checked. Not
 * strtod(): that follows the locale's decimal point. Precision past 17
 * significant digits does not matter for counts and fractions. */
static double json_number_value(const char *v, size_t len)
{
	double mant = 0;
	int exp = 0, eval = 0, esign = 1, digits = 0;
	bool neg = false, frac = false;
	size_t i = 0;

	if (i < len && v[i] == '-')
		neg = true, i++;
	for (; i < len && v[i] != 'e' && v[i] != 'E'; i++) {
		if (v[i] == '.') {
			frac = true;
			continue;
		}
		if (digits < 17) {
			mant = mant * 10 + (v[i] - '0');
			if (mant > 0)
				digits++;
			if (frac)
				exp--;
		} else if (!frac) {
			exp++;
		}
	}
	if (i < len) {
		i++;
		if (i < len && (v[i] == '+' || v[i] == '-'))
			esign = v[i++] == '-' ? -1 : 1;
		for (; i < len; i++)
			if (eval < 1000)
				eval = eval * 10 + (v[i] - '0');
	}
	exp += esign * eval;
	/* Past these, the value is out of every range we accept anyway. */
	if (exp > 40)
		return neg ? -1e40 : 1e40;
	for (; exp > 0; exp--)
		mant *= 10;
	for (; exp < 0 && mant > 0; exp++)
		mant /= 10;
	return neg ? -mant : mant;
}

/* A number field: a plain decimal integer in a form; any JSON number in
 * JSON, within [0, max], cut to an integer by the caller. -1 when bad. */
static int number_get(enum value_kind kind, const char *v, size_t len, double max, double *out)
{
	uint64_t u;

	if (kind == VK_TEXT) {
		if (parse_u64(v, len, (uint64_t)max, &u) < 0)
			return -1;
		*out = (double)u;
		return 0;
	}
	if (kind != VK_NUMBER)
		return -1;
	*out = json_number_value(v, len);
	if (!(*out >= 0 && *out <= max))
		return -1;
	return 0;
}

#define BAD(msg)                                                                                   \
	do {                                                                                       \
		st->why = (msg);                                                                   \
		return -1;                                                                         \
	} while (0)

/* The length of v[0..len) without a UTF-8 character cut short at its end. */
static size_t utf8_trim(const char *v, size_t len)
{
	size_t start = len;

	while (start > 0 && len - start < 4 && ((uint8_t)v[start - 1] & 0xc0) == 0x80)
		start--;
	if (start > 0 && (uint8_t)v[start - 1] >= 0xc0)
		start--;
	else
		return len;
	return fleet_utf8_char((const uint8_t *)v + start, len - start) == len - start ? len
										       : start;
}

/* One (key, value) pair; v is NUL-terminated at len. cut: the value was
 * longer than the buffer and v holds its start. An error message is cut to
 * its field (the agent's can be longer, and a cut reason beats none);
 * other values too long refuse the report. */
static int field_set(struct parse_state *st, const char *key, size_t klen, enum value_kind kind,
		     char *v, size_t len, bool cut)
{
	struct fleet_report *out = st->out;
	enum report_field fi;
	double num;

	if (++st->nfields > REPORT_MAX_FIELDS)
		BAD("too many fields");
	fi = field_find(key, klen);
	/* Unknown fields are for newer agents: skipped. */
	if (fi == RF_UNKNOWN)
		return 0;
	if (st->seen[fi])
		BAD("a field given twice");
	st->seen[fi] = true;
	if (kind == VK_NULL)
		return 0;
	if (kind == VK_BOOL)
		BAD("a field with a true/false value");
	if (fi == RF_ERROR && kind == VK_TEXT && (cut || len > fields[fi].max)) {
		len = utf8_trim(v, MIN(len, fields[fi].max));
		v[len] = '\0';
		cut = false;
	}
	if (cut || len > fields[fi].max)
		BAD("a value too long");
	if (!text_ok(v, len))
		BAD("a value with control characters or invalid UTF-8");
	if (kind == VK_NUMBER && fi <= RF_HOSTNAME)
		BAD("a number where text is expected");
	switch (fi) {
	case RF_MAC:
		if (parse_mac(v, len, out->mac) < 0)
			BAD("bad mac");
		out->has_mac = true;
		break;
	case RF_IP:
		if (inet_pton(AF_INET, v, &out->ip) != 1)
			BAD("bad ip");
		out->has_ip = out->ip.s_addr != INADDR_ANY;
		break;
	case RF_PHASE:
		if (phase_set(v, out) < 0)
			BAD("unknown phase");
		break;
	case RF_OS: memcpy(out->os, v, len + 1); break;
	case RF_METHOD:
		if (!word_ok(v, len))
			BAD("bad method");
		memcpy(out->method, v, len + 1);
		break;
	case RF_ERROR: memcpy(out->error, v, len + 1); break;
	case RF_HOSTNAME: memcpy(out->hostname, v, len + 1); break;
	case RF_PROGRESS:
		/* A form says permille; the JSON agent says a fraction. */
		if (st->json) {
			if (number_get(kind, v, len, 1.0, &num) < 0)
				BAD("progress is not a number from 0 to 1");
			out->progress = (int)(num * 1000 + 0.5);
		} else {
			if (number_get(kind, v, len, 1000, &num) < 0)
				BAD("progress is not 0..1000");
			out->progress = (int)num;
		}
		break;
	case RF_PEERS:
		if (number_get(kind, v, len, 100000, &num) < 0)
			BAD("peers is not 0..100000");
		out->peers = (int)num;
		break;
	case RF_RATE:
	case RF_UP_RATE:
	case RF_DOWNLOADED:
	case RF_UPLOADED:
	case RF_FROM_SERVER:
	case RF_FROM_PEERS:
		if (number_get(kind, v, len, REPORT_NUM_MAX, &num) < 0)
			BAD("a byte count or rate is not a number");
		*(fi == RF_RATE		 ? &out->rate
		  : fi == RF_UP_RATE	 ? &out->up_rate
		  : fi == RF_DOWNLOADED	 ? &out->downloaded
		  : fi == RF_UPLOADED	 ? &out->uploaded
		  : fi == RF_FROM_SERVER ? &out->from_server
					 : &out->from_peers) = (int64_t)num;
		break;
	case RF_COUNT: break;
	}
	return 0;
}

/* ---- application/x-www-form-urlencoded ---- */

/* Percent-decodes s[0..len) ('+' is a space) into out (cap bytes, NUL
 * added). Returns the decoded length, or -1 for a bad escape. A result that
 * does not fit is -1 too when cut is NULL, else cut short with *cut set. */
static int form_decode(const char *s, size_t len, char *out, size_t cap, bool *cut)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				return -1;
			hi = parse_hex_digit((char)s[i + 1]);
			lo = parse_hex_digit((char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (o + 1 >= cap) {
			if (!cut)
				return -1;
			*cut = true;
			break;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (int)o;
}

static int form_parse(struct parse_state *st, const char *body, size_t len)
{
	char key[REPORT_KEY_MAX + 1], val[FLEET_ERROR_SIZE + 1];
	size_t pos = 0;

	while (pos < len) {
		const char *pair = body + pos, *amp = memchr(pair, '&', len - pos), *eq;
		size_t plen = amp ? (size_t)(amp - pair) : len - pos;
		int klen, vlen;
		bool cut = false;

		pos += plen + (amp ? 1 : 0);
		if (plen == 0)
			continue;
		eq = memchr(pair, '=', plen);
		if (!eq)
			BAD("a field without '='");
		klen = form_decode(pair, (size_t)(eq - pair), key, sizeof(key), NULL);
		if (klen < 0) {
			/* No field of ours has so long a name: count it, skip it. */
			if (++st->nfields > REPORT_MAX_FIELDS)
				BAD("too many fields");
			continue;
		}
		vlen = form_decode(eq + 1, plen - (size_t)(eq - pair) - 1, val, sizeof(val), &cut);
		if (vlen < 0)
			BAD("a value badly percent-encoded");
		if (field_set(st, key, (size_t)klen, VK_TEXT, val, (size_t)vlen, cut) < 0)
			return -1;
	}
	return 0;
}

/* ---- JSON (RFC 8259), one flat object ---- */

struct jcur {
	const char *p;
	size_t len, i;
};

static void json_ws(struct jcur *c)
{
	while (c->i < c->len && (c->p[c->i] == ' ' || c->p[c->i] == '\t' || c->p[c->i] == '\n' ||
				 c->p[c->i] == '\r'))
		c->i++;
}

static int json_hex4(struct jcur *c, uint32_t *out)
{
	uint32_t v = 0;

	if (c->len - c->i < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		int h = parse_hex_digit((char)c->p[c->i + (size_t)k]);

		if (h < 0)
			return -1;
		v = v << 4 | (uint32_t)h;
	}
	c->i += 4;
	*out = v;
	return 0;
}

static size_t utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decodes the string at the cursor (after its opening quote) into out (cap
 * bytes, NUL added, whole characters only); *len is the decoded length and
 * *cut says the string did not fit (it is still read to its end). -1 on
 * bad JSON. */
static int json_string(struct jcur *c, char *out, size_t cap, size_t *len, bool *cut)
{
	size_t o = 0;
	bool over = false;

	for (;;) {
		char tmp[4];
		size_t n;
		uint8_t ch;

		if (c->i >= c->len)
			return -1;
		ch = (uint8_t)c->p[c->i];
		if (ch == '"') {
			c->i++;
			break;
		}
		if (ch < 0x20)
			return -1;
		if (ch == '\\') {
			uint32_t cp, lo;

			if (++c->i >= c->len)
				return -1;
			ch = (uint8_t)c->p[c->i++];
			switch (ch) {
			case '"':
			case '\\':
			case '/': tmp[0] = (char)ch, n = 1; break;
			case 'b': tmp[0] = '\b', n = 1; break;
			case 'f': tmp[0] = '\f', n = 1; break;
			case 'n': tmp[0] = '\n', n = 1; break;
			case 'r': tmp[0] = '\r', n = 1; break;
			case 't': tmp[0] = '\t', n = 1; break;
			case 'u':
				if (json_hex4(c, &cp) < 0)
					return -1;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return -1;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					/* A surrogate pair, or nothing. */
					if (c->len - c->i < 2 || c->p[c->i] != '\\' ||
					    c->p[c->i + 1] != 'u')
						return -1;
					c->i += 2;
					if (json_hex4(c, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
						return -1;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				n = utf8_put(tmp, cp);
				break;
			default: return -1;
			}
		} else {
			n = fleet_utf8_char((const uint8_t *)c->p + c->i, c->len - c->i);
			if (n == 0)
				return -1;
			memcpy(tmp, c->p + c->i, n);
			c->i += n;
		}
		if (!over && o + n < cap) {
			memcpy(out + o, tmp, n);
			o += n;
		} else {
			over = true;
		}
	}
	out[o] = '\0';
	*len = o;
	*cut = over;
	return 0;
}

/* Checks the JSON number grammar at the cursor and copies it into out. */
static int json_number(struct jcur *c, char *out, size_t cap, size_t *len)
{
	size_t start = c->i;

#define DIGITS()                                                                                   \
	do {                                                                                       \
		if (c->i >= c->len || c->p[c->i] < '0' || c->p[c->i] > '9')                        \
			return -1;                                                                 \
		while (c->i < c->len && c->p[c->i] >= '0' && c->p[c->i] <= '9')                    \
			c->i++;                                                                    \
	} while (0)
	if (c->i < c->len && c->p[c->i] == '-')
		c->i++;
	if (c->i < c->len && c->p[c->i] == '0')
		c->i++;
	else
		DIGITS();
	if (c->i < c->len && c->p[c->i] == '.') {
		c->i++;
		DIGITS();
	}
	if (c->i < c->len && (c->p[c->i] == 'e' || c->p[c->i] == 'E')) {
		c->i++;
		if (c->i < c->len && (c->p[c->i] == '+' || c->p[c->i] == '-'))
			c->i++;
		DIGITS();
	}
#undef DIGITS
	*len = c->i - start;
	if (*len >= cap) {
		*len = SIZE_MAX;
		return 0;
	}
	memcpy(out, c->p + start, *len);
	out[*len] = '\0';
	return 0;
}

static bool json_word(struct jcur *c, const char *w)
{
	size_t n = strlen(w);

	if (c->len - c->i < n || memcmp(c->p + c->i, w, n) != 0)
		return false;
	c->i += n;
	return true;
}

static int json_parse(struct parse_state *st, const char *body, size_t len)
{
	struct jcur c = {.p = body, .len = len};
	char key[REPORT_KEY_MAX + 1], val[FLEET_ERROR_SIZE + 1];
	bool first = true;

	json_ws(&c);
	if (c.i >= c.len || c.p[c.i++] != '{')
		BAD("not a JSON object");
	for (;;) {
		enum value_kind kind;
		size_t klen, vlen = 0;
		bool kcut = false, cut = false;

		json_ws(&c);
		if (first && c.i < c.len && c.p[c.i] == '}') {
			c.i++;
			break;
		}
		if (c.i >= c.len || c.p[c.i++] != '"' ||
		    json_string(&c, key, sizeof(key), &klen, &kcut) < 0)
			BAD("bad JSON: a key expected");
		json_ws(&c);
		if (c.i >= c.len || c.p[c.i++] != ':')
			BAD("bad JSON: ':' expected");
		json_ws(&c);
		if (c.i >= c.len)
			BAD("bad JSON: a value expected");
		val[0] = '\0';
		if (c.p[c.i] == '"') {
			c.i++;
			if (json_string(&c, val, sizeof(val), &vlen, &cut) < 0)
				BAD("bad JSON string");
			kind = VK_TEXT;
		} else if (c.p[c.i] == '-' || (c.p[c.i] >= '0' && c.p[c.i] <= '9')) {
			if (json_number(&c, val, 32, &vlen) < 0)
				BAD("bad JSON number");
			if (vlen == SIZE_MAX)
				vlen = 0, cut = true;
			kind = VK_NUMBER;
		} else if (json_word(&c, "null")) {
			kind = VK_NULL;
		} else if (json_word(&c, "true") || json_word(&c, "false")) {
			kind = VK_BOOL;
		} else if (c.p[c.i] == '{' || c.p[c.i] == '[') {
			BAD("nested JSON values are not part of a report");
		} else {
			BAD("bad JSON value");
		}
		if (kcut) {
			/* No field of ours has so long a name. */
			if (++st->nfields > REPORT_MAX_FIELDS)
				BAD("too many fields");
		} else if (field_set(st, key, klen, kind, val, vlen, cut) < 0) {
			return -1;
		}
		first = false;
		json_ws(&c);
		if (c.i >= c.len)
			BAD("bad JSON: the object is not closed");
		if (c.p[c.i] == ',') {
			c.i++;
			continue;
		}
		if (c.p[c.i++] != '}')
			BAD("bad JSON: ',' or '}' expected");
		break;
	}
	json_ws(&c);
	if (c.i != c.len)
		BAD("bytes after the JSON object");
	return 0;
}

#undef BAD

int fleet_report_parse(const char *body, size_t len, struct fleet_report *out, const char **why)
{
	struct parse_state st = {.out = out};
	size_t i = 0;
	int r;

	*out = (struct fleet_report){
		.progress = -1,
		.peers = -1,
		.rate = -1,
		.up_rate = -1,
		.downloaded = -1,
		.uploaded = -1,
		.from_server = -1,
		.from_peers = -1,
	};
	if (why)
		*why = NULL;
	if (len > FLEET_REPORT_MAX) {
		if (why)
			*why = "report too large";
		return FLEET_E_TOO_BIG;
	}
	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r'))
		i++;
	st.json = i < len && body[i] == '{';
	r = st.json ? json_parse(&st, body, len) : form_parse(&st, body, len);
	/* "phase":null marks the field seen but names no phase. */
	if (r == 0 && out->phase == FLEET_PHASE_SEEN)
		st.why = "no phase", r = -1;
	if (r == 0 && out->phase == FLEET_PHASE_FAILED && !out->error[0])
		st.why = "phase failed without an error", r = -1;
	if (r == 0)
		return 0;
	*out = (struct fleet_report){.progress = -1};
	if (why)
		*why = st.why;
	return FLEET_E_MALFORMED;
}
