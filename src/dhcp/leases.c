/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dhcp/leases.h"
#include "dhcp/packet.h"
#include "util/buf.h"
#include "util/parse.h"
#include "util/path.h"
#include "util/util.h"

struct dhcp_leases {
	uint32_t start;
	size_t n;
	struct dhcp_lease *slot;
	/* MAC index: linear probing, each cell holds slot index + 1 (0 = empty). */
	uint32_t *hash;
	size_t hcap;
	/* Slots changed since the last flush, each once. */
	uint32_t *dirtyq;
	size_t ndirty;
	/* Where the search for a never-used address resumes. */
	size_t cursor;
	/* The lease file, open for appending; -1 without one. */
	int fd;
	char *path;
	size_t journal_lines;
};

/* A lease file line is short; anything longer is damage. */
#define LINE_MAX_LEN 256
/* The largest lease file we read: generous for DHCP_MAX_RANGE leases plus
 * a journal, and a bound on what a damaged file can make us allocate. */
#define FILE_MAX_LEN ((size_t)64 << 20)

static const char *const state_names[] = {"free", "offered", "bound", "declined", "reserved"};

const char *dhcp_lease_state_name(enum dhcp_lease_state s)
{
	return (size_t)s < ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

static size_t mac_hash(const uint8_t mac[6])
{
	/* FNV-1a: MACs from one vendor share their first three bytes. */
	uint32_t h = 2166136261u;
	for (int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619u;
	return h;
}

struct dhcp_leases *dhcp_leases_new(uint32_t start, uint32_t end)
{
	struct dhcp_leases *l;
	size_t n = 0;

	if (start != 0) {
		if (end < start || (uint64_t)end - start + 1 > DHCP_MAX_RANGE)
			return NULL;
		n = (size_t)(end - start) + 1;
	}
	l = xcalloc(1, sizeof(*l));
	l->start = start;
	l->n = n;
	l->slot = xcalloc(n ? n : 1, sizeof(*l->slot));
	for (size_t i = 0; i < n; i++)
		l->slot[i].ip = start + (uint32_t)i;
	l->hcap = 16;
	while (l->hcap < 2 * n)
		l->hcap *= 2;
	l->hash = xcalloc(l->hcap, sizeof(*l->hash));
	l->dirtyq = xcalloc(n ? n : 1, sizeof(*l->dirtyq));
	l->fd = -1;
	return l;
}

void dhcp_leases_free(struct dhcp_leases *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	free(l->slot);
	free(l->hash);
	free(l->dirtyq);
	free(l);
}

size_t dhcp_leases_size(const struct dhcp_leases *l)
{
	return l->n;
}

size_t dhcp_leases_pending(const struct dhcp_leases *l)
{
	return l->ndirty;
}

struct dhcp_lease *dhcp_leases_by_ip(struct dhcp_leases *l, uint32_t ip)
{
	if (l->n == 0 || ip < l->start || ip - l->start >= l->n)
		return NULL;
	return &l->slot[ip - l->start];
}

static size_t hash_find(const struct dhcp_leases *l, const uint8_t mac[6])
{
	size_t mask = l->hcap - 1;

	for (size_t i = mac_hash(mac) & mask;; i = (i + 1) & mask) {
		uint32_t v = l->hash[i];
		if (v == 0 || memcmp(l->slot[v - 1].mac, mac, 6) == 0)
			return i;
	}
}

struct dhcp_lease *dhcp_leases_by_mac(struct dhcp_leases *l, const uint8_t mac[6])
{
	uint32_t v = l->hash[hash_find(l, mac)];

	return v ? &l->slot[v - 1] : NULL;
}

static void hash_insert(struct dhcp_leases *l, struct dhcp_lease *e)
{
	size_t i = hash_find(l, e->mac);

	l->hash[i] = (uint32_t)(e - l->slot) + 1;
}

/* Removes e's MAC with backward-shift deletion, so no tombstones build up
 * under churn (a probe sequence never crosses an empty cell). */
static void hash_remove(struct dhcp_leases *l, struct dhcp_lease *e)
{
	size_t mask = l->hcap - 1;
	size_t i = hash_find(l, e->mac), j = i;

	if (l->hash[i] == 0)
		return;
	for (;;) {
		size_t home;
		l->hash[i] = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (l->hash[j] == 0)
				return;
			home = mac_hash(l->slot[l->hash[j] - 1].mac) & mask;
			/* Move j back into i unless its home lies cyclically in (i, j]. */
			if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
				continue;
			break;
		}
		l->hash[i] = l->hash[j];
		i = j;
	}
}

static void mark_dirty(struct dhcp_leases *l, struct dhcp_lease *e)
{
	if (e->dirty)
		return;
	e->dirty = true;
	l->dirtyq[l->ndirty++] = (uint32_t)(e - l->slot);
}

static void clear_mac(struct dhcp_leases *l, struct dhcp_lease *e)
{
	if (!e->has_mac)
		return;
	hash_remove(l, e);
	e->has_mac = false;
	memset(e->mac, 0, sizeof(e->mac));
}

/* Updates a slot without touching the journal (the loader uses this). */
static void set_slot(struct dhcp_leases *l, struct dhcp_lease *e, const uint8_t *mac,
		     enum dhcp_lease_state state, int64_t expires, const char *hostname)
{
	if (mac && !(e->has_mac && memcmp(e->mac, mac, 6) == 0)) {
		struct dhcp_lease *old = dhcp_leases_by_mac(l, mac);
		if (old) {
			/* A MAC holds one slot: its previous address becomes free. */
			clear_mac(l, old);
			if (old->state != DHCP_LEASE_RESERVED && old->state != DHCP_LEASE_DECLINED)
				old->state = DHCP_LEASE_FREE;
			old->hostname[0] = '\0';
			mark_dirty(l, old);
		}
		clear_mac(l, e);
		memcpy(e->mac, mac, 6);
		e->has_mac = true;
		hash_insert(l, e);
	} else if (!mac) {
		clear_mac(l, e);
	}
	e->state = (uint8_t)state;
	e->expires = expires;
	if (hostname)
		snprintf(e->hostname, sizeof(e->hostname), "%s", hostname);
}

void dhcp_leases_set(struct dhcp_leases *l, struct dhcp_lease *e, const uint8_t *mac,
		     enum dhcp_lease_state state, int64_t expires, const char *hostname)
{
	set_slot(l, e, mac, state, expires, hostname);
	/* An offer is not a promise that survives a restart (the loader
	 * reads it as free), so it costs no journal line. */
	if (state != DHCP_LEASE_OFFERED)
		mark_dirty(l, e);
}

void dhcp_leases_reserve(struct dhcp_leases *l, uint32_t ip)
{
	struct dhcp_lease *e = dhcp_leases_by_ip(l, ip);

	if (!e)
		return;
	clear_mac(l, e);
	e->state = DHCP_LEASE_RESERVED;
}

bool dhcp_lease_usable(const struct dhcp_lease *e, const uint8_t mac[6], int64_t now)
{
	bool mine = e->has_mac && memcmp(e->mac, mac, 6) == 0;

	switch (e->state) {
	case DHCP_LEASE_RESERVED: return false;
	case DHCP_LEASE_DECLINED: return e->expires <= now;
	case DHCP_LEASE_FREE: return true;
	default: return mine || e->expires <= now;
	}
}

struct dhcp_lease *dhcp_leases_pick(struct dhcp_leases *l, const uint8_t mac[6], uint32_t requested,
				    int64_t now)
{
	struct dhcp_lease *e = dhcp_leases_by_mac(l, mac), *best = NULL;

	if (e && dhcp_lease_usable(e, mac, now))
		return e;
	e = requested ? dhcp_leases_by_ip(l, requested) : NULL;
	/* A requested address that another client still remembers (released
	 * or expired, MAC kept) is left for that client to come back to. */
	if (e && dhcp_lease_usable(e, mac, now) && !e->has_mac)
		return e;
	/* Never-used addresses first, from where the last search stopped, so
	 * a returning client usually finds its old address still free. */
	for (size_t k = 0; k < l->n; k++) {
		size_t i = (l->cursor + k) % l->n;
		e = &l->slot[i];
		if (e->state == DHCP_LEASE_FREE && !e->has_mac) {
			l->cursor = (i + 1) % l->n;
			return e;
		}
	}
	/* Then an address no client remembers (a decline that has passed),
	 * else the one another client left unused for longest. */
	for (size_t i = 0; i < l->n; i++) {
		e = &l->slot[i];
		if (!dhcp_lease_usable(e, mac, now))
			continue;
		if (!best || (best->has_mac && !e->has_mac) ||
		    (best->has_mac == e->has_mac && e->expires < best->expires))
			best = e;
	}
	if (best)
		return best;
	/* Last, an address only offered to someone else: a flood of DISCOVERs
	 * from made-up MACs must not reserve the whole range. The oldest
	 * offer goes first; a lease that was acknowledged never does. */
	for (size_t i = 0; i < l->n; i++) {
		e = &l->slot[i];
		if (e->state == DHCP_LEASE_OFFERED && (!best || e->expires < best->expires))
			best = e;
	}
	return best;
}

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *put_i64(char *p, int64_t v)
{
	char tmp[24];
	size_t n = 0;
	/* Through the unsigned type, so INT64_MIN has a magnitude. */
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	if (v < 0)
		*p++ = '-';
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* By hand rather than with snprintf: every bound lease goes through here
 * on its way to the journal, and snprintf cost more than the whole
 * protocol decision. Host names go into a space-separated file: only safe
 * characters are kept. */
size_t dhcp_lease_format(char out[DHCP_LEASE_LINE_MAX], const struct dhcp_lease *e)
{
	char *p = out, buf[18];
	size_t k = 0;

	p = put_str(p, "lease ");
	p = put_str(p, e->has_mac ? dhcp_mac_str(buf, e->mac) : "-");
	*p++ = ' ';
	p = put_str(p, dhcp_ip_str(buf, e->ip));
	*p++ = ' ';
	p = put_i64(p, e->expires);
	*p++ = ' ';
	p = put_str(p, dhcp_lease_state_name(e->state));
	*p++ = ' ';
	for (const char *h = e->hostname; *h && k + 1 < DHCP_NAME_MAX; h++) {
		char c = *h;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_') {
			*p++ = c;
			k++;
		}
	}
	if (k == 0)
		*p++ = '-';
	*p++ = '\n';
	*p = '\0';
	return (size_t)(p - out);
}

static void write_line(struct buf *b, const struct dhcp_lease *e)
{
	char line[DHCP_LEASE_LINE_MAX];
	size_t n = dhcp_lease_format(line, e);

	/* buf_append only fails past the buffer's maximum, which callers
	 * size for every slot. */
	if (buf_append(b, line, n) < 0)
		abort();
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Splits line into at most max space-separated fields (NUL-terminating them). */
static size_t split(char *line, char **field, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (*p && n < max) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		field[n++] = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return *p ? max + 1 : n;
}

int dhcp_lease_line_parse(char *line, struct dhcp_lease_line *out)
{
	char *f[6];
	struct in_addr a;
	size_t state;

	memset(out, 0, sizeof(*out));
	if (line[0] == '#' || line[0] == '\0')
		return 1;
	if (split(line, f, ARRAY_SIZE(f)) != 6 || strcmp(f[0], "lease") != 0)
		return -1;
	out->has_mac = strcmp(f[1], "-") != 0;
	if (out->has_mac && parse_mac(f[1], strlen(f[1]), out->mac) < 0)
		return -1;
	if (inet_pton(AF_INET, f[2], &a) != 1)
		return -1;
	out->ip = ntohl(a.s_addr);
	if (parse_i64_str(f[3], 0, INT64_MAX / 2, &out->expires) < 0)
		return -1;
	for (state = 0; state < ARRAY_SIZE(state_names); state++)
		if (strcmp(f[4], state_names[state]) == 0)
			break;
	if (state >= DHCP_LEASE_RESERVED)
		return -1;
	out->state = (enum dhcp_lease_state)state;
	out->host = strcmp(f[5], "-") ? f[5] : "";
	return 0;
}

static int parse_line(struct dhcp_leases *l, char *line)
{
	struct dhcp_lease_line ln;
	struct dhcp_lease *e;
	int r = dhcp_lease_line_parse(line, &ln);

	if (r != 0)
		return r > 0 ? 0 : -1;
	e = dhcp_leases_by_ip(l, ln.ip);
	if (!e)
		return -1; /* The range changed since: forget this one. */
	if (e->state == DHCP_LEASE_RESERVED)
		return 0;
	/* An offer is not a promise that survives a restart. */
	if (ln.state == DHCP_LEASE_OFFERED)
		ln.state = DHCP_LEASE_FREE;
	set_slot(l, e, ln.has_mac ? ln.mac : NULL, ln.state, ln.expires, ln.host);
	return 0;
}

static int load(struct dhcp_leases *l, int fd, size_t *bad, size_t *lines)
{
	struct buf b;
	uint8_t chunk[65536];
	char *p, *end;
	int r = 0;

	buf_init(&b, FILE_MAX_LEN);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		if (buf_append(&b, chunk, (size_t)n) < 0) {
			/* Too large to be ours: read what fits, count the rest as bad. */
			(*bad)++;
			break;
		}
	}
	p = (char *)b.data;
	end = p + b.len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		/* A line without its newline is a torn write: skip it. */
		if (!nl || len > LINE_MAX_LEN || memchr(p, '\0', len)) {
			(*bad)++;
		} else {
			*nl = '\0';
			if (parse_line(l, p) < 0)
				(*bad)++;
			(*lines)++;
		}
		p += len + 1;
	}
	/* Loading must not leave the table looking changed. */
	for (size_t i = 0; i < l->ndirty; i++)
		l->slot[l->dirtyq[i]].dirty = false;
	l->ndirty = 0;
out:
	buf_release(&b);
	return r;
}

int dhcp_leases_open(struct dhcp_leases *l, const char *path, int64_t now, size_t *bad)
{
	size_t lines = 0;
	int fd, r;

	*bad = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		r = load(l, fd, bad, &lines);
		close(fd);
		if (r < 0)
			return r;
	} else if (errno != ENOENT) {
		return -errno;
	}
	free(l->path);
	l->path = xstrdup(path);
	l->journal_lines = lines;
	/* Start from a clean, complete file: drops damage and old journal. */
	r = dhcp_leases_save(l, now);
	return r;
}

int dhcp_leases_save(struct dhcp_leases *l, int64_t now)
{
	struct buf b;
	char *tmp = NULL, *dir = NULL, *slash;
	int fd = -1, dfd = -1, r;
	size_t lines = 0;

	for (size_t i = 0; i < l->ndirty; i++)
		l->slot[l->dirtyq[i]].dirty = false;
	l->ndirty = 0;
	if (!l->path)
		return 0;
	buf_init(&b, (l->n + 1) * (LINE_MAX_LEN + 1));
	r = buf_printf(&b, "# boottorrent dhcp leases v1: lease MAC IP EXPIRES STATE HOSTNAME\n");
	for (size_t i = 0; r == 0 && i < l->n; i++) {
		const struct dhcp_lease *e = &l->slot[i];
		if (e->has_mac || e->state == DHCP_LEASE_DECLINED) {
			write_line(&b, e);
			lines++;
		}
	}
	if (r < 0)
		goto out;
	tmp = xmalloc(strlen(l->path) + 8);
	snprintf(tmp, strlen(l->path) + 8, "%s.tmp", l->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = write_all(fd, b.data, b.len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	fd = -1;
	if (r == 0 && rename(tmp, l->path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		goto out;
	}
	/* The rename is durable only once the folder is synced. */
	dir = xstrdup(l->path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	if (l->fd >= 0)
		close(l->fd);
	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (l->fd < 0)
		r = -errno;
	l->journal_lines = lines;
out:
	(void)now;
	free(tmp);
	free(dir);
	buf_release(&b);
	return r;
}

size_t dhcp_leases_journal_take(struct dhcp_leases *l, struct buf *out)
{
	size_t n = l->ndirty;

	if (!l->path || l->fd < 0)
		n = 0;
	for (size_t i = 0; i < l->ndirty; i++) {
		struct dhcp_lease *e = &l->slot[l->dirtyq[i]];
		if (n)
			write_line(out, e);
		e->dirty = false;
	}
	l->ndirty = 0;
	l->journal_lines += n;
	return n;
}

int dhcp_leases_journal_fd(const struct dhcp_leases *l)
{
	return l->fd;
}

bool dhcp_leases_want_compact(const struct dhcp_leases *l)
{
	/* When the journal could be mostly superseded lines: the range size
	 * bounds the live leases, so this needs no count. */
	return l->path && l->journal_lines > 4 * l->n + 4096;
}

int dhcp_leases_write_journal(int fd, const void *data, size_t len)
{
	int r = write_all(fd, data, len);

	if (r == 0 && fdatasync(fd) < 0)
		r = -errno;
	return r;
}

int dhcp_leases_flush(struct dhcp_leases *l, int64_t now)
{
	struct buf b;
	int r = 0;

	buf_init(&b, BUF_MAX_DEFAULT);
	if (dhcp_leases_journal_take(l, &b))
		r = dhcp_leases_write_journal(l->fd, b.data, b.len);
	buf_release(&b);
	if (r == 0 && dhcp_leases_want_compact(l))
		r = dhcp_leases_save(l, now);
	return r;
}
