/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The fleet model (see fleet.h): records in a least-recently-heard-from
 * list, found through two fixed hash tables (by key: MAC or address; by
 * current address), plus swarm counters, a throughput ring and a log ring.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/fleet.h"
#include "util/parse.h"
#include "util/util.h"

/* An agent's rates are preferred over the tracker's estimate for this long
 * after it reported them. */
#define AGENT_RATE_FRESH_MS 10000

struct fleet {
	size_t max, n;
	size_t nbuckets; /* a power of two */
	struct fleet_machine **by_key, **by_ip;
	struct fleet_machine *lru_head, *lru_tail;
	int64_t (*now_ms)(void *ctx);
	void *clock_ctx;
	struct in_addr server_ip;
	struct fleet_swarm swarm;
	struct fleet_torrent torrents[FLEET_MAX_TORRENTS];
	size_t ntorrents;
	/* Throughput ring: hist[(hist_start + i) % FLEET_HISTORY], i < nhist. */
	struct fleet_sample hist[FLEET_HISTORY];
	size_t hist_start, nhist;
	/* The open second, not in the ring yet, and its bytes so far; -1 before
	 * the first input. Bytes land in the second they arrive in: every
	 * input closes the seconds that ended before it adds its own. */
	int64_t hist_sec;
	uint64_t cur_server, cur_peers;
	char log[FLEET_LOG_LINES][FLEET_LOG_LINE_MAX + 1];
	size_t log_start, nlog;
};

static const char *const phase_names[FLEET_PHASE_COUNT] = {
	[FLEET_PHASE_SEEN] = "seen",
	[FLEET_PHASE_DHCP] = "dhcp",
	[FLEET_PHASE_PHASE1] = "phase1",
	[FLEET_PHASE_MENU] = "menu",
	[FLEET_PHASE_DOWNLOADING] = "downloading",
	[FLEET_PHASE_SEEDING] = "seeding",
	[FLEET_PHASE_BOOTED] = "booted",
	[FLEET_PHASE_FAILED] = "failed",
};

const char *fleet_phase_name(enum fleet_phase p)
{
	return (unsigned)p < FLEET_PHASE_COUNT ? phase_names[p] : "unknown";
}

static int64_t clock_wall(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t fleet_now(const struct fleet *f)
{
	return f->now_ms(f->clock_ctx);
}

struct fleet *fleet_new(const struct fleet_opts *o)
{
	struct fleet *f = xcalloc(1, sizeof(*f));

	f->max = o && o->max_machines ? o->max_machines : FLEET_DEFAULT_MAX_MACHINES;
	f->now_ms = o && o->now_ms ? o->now_ms : clock_wall;
	f->clock_ctx = o ? o->clock_ctx : NULL;
	/* About one record per bucket at the cap keeps the chains short. */
	f->nbuckets = 64;
	while (f->nbuckets < f->max && f->nbuckets < ((size_t)1 << 24))
		f->nbuckets <<= 1;
	f->by_key = xcalloc(f->nbuckets, sizeof(*f->by_key));
	f->by_ip = xcalloc(f->nbuckets, sizeof(*f->by_ip));
	f->hist_sec = -1;
	return f;
}

void fleet_free(struct fleet *f)
{
	struct fleet_machine *m, *next;

	if (!f)
		return;
	for (m = f->lru_head; m; m = next) {
		next = m->lru_next;
		free(m);
	}
	free(f->by_key);
	free(f->by_ip);
	free(f);
}

void fleet_set_server_ip(struct fleet *f, struct in_addr ip)
{
	f->server_ip = ip;
}

/* ---- text helpers ---- */

size_t fleet_utf8_char(const uint8_t *p, size_t len)
{
	uint32_t cp;
	size_t n;

	if (len == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void fleet_text_copy(char *dst, size_t cap, const char *src, size_t len)
{
	const uint8_t *p = (const uint8_t *)src;
	size_t o = 0, i = 0;

	while (i < len) {
		size_t n = fleet_utf8_char(p + i, len - i);

		if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))
			n = 0;
		/* Latin-1 C1 controls (U+0080..U+009F) act as terminal escapes. */
		if (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)
			n = 0;
		if (n == 0) {
			if (o + 1 >= cap)
				break;
			dst[o++] = '?';
			i++;
			continue;
		}
		if (o + n >= cap)
			break;
		memcpy(dst + o, p + i, n);
		o += n;
		i += n;
	}
	dst[o] = '\0';
}

static void text_set(char *dst, size_t cap, const char *src)
{
	if (src)
		fleet_text_copy(dst, cap, src, strlen(src));
}

void fleet_mac_format(char *out, const uint8_t mac[6])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 6; i++) {
		out[i * 3] = hex[mac[i] >> 4];
		out[i * 3 + 1] = hex[mac[i] & 15];
		out[i * 3 + 2] = i == 5 ? '\0' : ':';
	}
}

void fleet_arch_name(char *out, size_t cap, int arch)
{
	/* RFC 4578 section 2.1 and the IANA "Processor Architecture Types". */
	static const char *const names[] = {
		[0] = "bios",
		[6] = "ia32-uefi",
		[7] = "x64-uefi",
		[9] = "x64-uefi",
		[10] = "arm32-uefi",
		[11] = "arm64-uefi",
		[15] = "ia32-uefi-http",
		[16] = "x64-uefi-http",
		[19] = "arm64-uefi-http",
	};

	if (arch < 0) {
		out[0] = '\0';
		return;
	}
	if ((size_t)arch < ARRAY_SIZE(names) && names[arch])
		snprintf(out, cap, "%s", names[arch]);
	else
		snprintf(out, cap, "arch %d", arch);
}

/* ---- records ---- */

static size_t hash_bytes(const struct fleet *f, const uint8_t *p, size_t n)
{
	/* FNV-1a: keys are MACs and addresses from our own network, and the
	 * chains are bounded by the record cap anyway. */
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h & (f->nbuckets - 1);
}

static size_t key_hash(const struct fleet *f, const struct fleet_machine *m)
{
	if (m->has_mac)
		return hash_bytes(f, m->mac, 6);
	return hash_bytes(f, (const uint8_t *)&m->ip.s_addr, 4) ^ 1;
}

static size_t ip_hash(const struct fleet *f, struct in_addr ip)
{
	return hash_bytes(f, (const uint8_t *)&ip.s_addr, 4);
}

static void lru_unlink(struct fleet *f, struct fleet_machine *m)
{
	if (m->lru_prev)
		m->lru_prev->lru_next = m->lru_next;
	else
		f->lru_head = m->lru_next;
	if (m->lru_next)
		m->lru_next->lru_prev = m->lru_prev;
	else
		f->lru_tail = m->lru_prev;
	m->lru_prev = m->lru_next = NULL;
}

static void lru_push(struct fleet *f, struct fleet_machine *m)
{
	m->lru_next = f->lru_head;
	m->lru_prev = NULL;
	if (f->lru_head)
		f->lru_head->lru_prev = m;
	f->lru_head = m;
	if (!f->lru_tail)
		f->lru_tail = m;
}

static void chain_remove(struct fleet_machine **slot, struct fleet_machine *m, bool ip_chain)
{
	for (; *slot; slot = ip_chain ? &(*slot)->ip_next : &(*slot)->key_next)
		if (*slot == m) {
			*slot = ip_chain ? m->ip_next : m->key_next;
			return;
		}
}

static void ip_unindex(struct fleet *f, struct fleet_machine *m)
{
	if (!m->ip_indexed)
		return;
	chain_remove(&f->by_ip[ip_hash(f, m->ip)], m, true);
	m->ip_next = NULL;
	m->ip_indexed = false;
}

static void ip_index(struct fleet *f, struct fleet_machine *m)
{
	size_t h = ip_hash(f, m->ip);

	m->ip_next = f->by_ip[h];
	f->by_ip[h] = m;
	m->ip_indexed = true;
}

static void machine_remove(struct fleet *f, struct fleet_machine *m)
{
	ip_unindex(f, m);
	chain_remove(&f->by_key[key_hash(f, m)], m, false);
	lru_unlink(f, m);
	f->n--;
	free(m);
}

static struct fleet_machine *find_key(const struct fleet *f, bool has_mac, const uint8_t *mac,
				      struct in_addr ip)
{
	struct fleet_machine probe = {.has_mac = has_mac, .ip = ip};
	struct fleet_machine *m;

	if (has_mac)
		memcpy(probe.mac, mac, 6);
	for (m = f->by_key[key_hash(f, &probe)]; m; m = m->key_next) {
		if (m->has_mac != has_mac)
			continue;
		if (has_mac ? memcmp(m->mac, mac, 6) == 0 : m->ip.s_addr == ip.s_addr)
			return m;
	}
	return NULL;
}

static struct fleet_machine *find_ip(const struct fleet *f, struct in_addr ip)
{
	struct fleet_machine *m;

	if (ip.s_addr == INADDR_ANY)
		return NULL;
	for (m = f->by_ip[ip_hash(f, ip)]; m; m = m->ip_next)
		if (m->ip.s_addr == ip.s_addr)
			return m;
	return NULL;
}

const struct fleet_machine *fleet_find_mac(const struct fleet *f, const uint8_t mac[6])
{
	return find_key(f, true, mac, (struct in_addr){0});
}

const struct fleet_machine *fleet_find_ip(const struct fleet *f, struct in_addr ip)
{
	return find_ip(f, ip);
}

/* Marks m as just heard from. */
static void touch(struct fleet *f, struct fleet_machine *m)
{
	m->last_seen = fleet_now(f);
	if (f->lru_head != m) {
		lru_unlink(f, m);
		lru_push(f, m);
	}
}

static void set_phase(struct fleet *f, struct fleet_machine *m, enum fleet_phase p)
{
	if (m->phase != p)
		m->phase_since = fleet_now(f);
	m->phase = p;
	if (p != FLEET_PHASE_FAILED)
		m->error[0] = '\0';
	if (p != FLEET_PHASE_BOOTED)
		m->booting = false;
}

/* A new record, keyed by mac when has_mac, else by ip (which is then
 * indexed too). The least recently heard-from record makes room. */
static struct fleet_machine *machine_new(struct fleet *f, bool has_mac, const uint8_t *mac,
					 struct in_addr ip)
{
	struct fleet_machine *m;
	int64_t now = fleet_now(f);

	while (f->n >= f->max && f->lru_tail) {
		machine_remove(f, f->lru_tail);
		f->swarm.evicted++;
	}
	m = xcalloc(1, sizeof(*m));
	m->has_mac = has_mac;
	if (has_mac)
		memcpy(m->mac, mac, 6);
	else
		m->ip = ip;
	m->peers = -1;
	m->first_seen = m->last_seen = m->phase_since = now;
	m->rate_at = m->agent_rate_at = INT64_MIN / 2;
	{
		size_t h = key_hash(f, m);

		m->key_next = f->by_key[h];
		f->by_key[h] = m;
	}
	lru_push(f, m);
	f->n++;
	if (!has_mac)
		ip_index(f, m);
	return m;
}

/* Folds an address record into the MAC record that turned out to own its
 * address, then removes it. */
static void merge_into(struct fleet *f, struct fleet_machine *m, struct fleet_machine *o)
{
	if (o->has_torrent && (!m->has_torrent || o->last_seen >= m->last_seen)) {
		m->has_torrent = true;
		memcpy(m->info_hash, o->info_hash, 20);
		m->peer_port = o->peer_port;
		m->left = o->left;
		m->total = o->total;
		m->uploaded = o->uploaded;
		m->downloaded = o->downloaded;
		m->rate = o->rate;
		m->up_rate = o->up_rate;
		m->rate_at = o->rate_at;
		if (!m->os[0])
			memcpy(m->os, o->os, sizeof(m->os));
	}
	/* The tracker's view of the download is newer than "got an address". */
	if (o->phase > m->phase && m->phase <= FLEET_PHASE_PHASE1) {
		m->phase = o->phase;
		m->phase_since = o->phase_since;
		m->progress = o->progress;
	}
	if (o->first_seen < m->first_seen)
		m->first_seen = o->first_seen;
	if (!m->last_file[0] && o->last_file[0]) {
		memcpy(m->last_file, o->last_file, sizeof(m->last_file));
		m->last_proto = o->last_proto;
	}
	m->files += o->files;
	m->file_bytes += o->file_bytes;
	machine_remove(f, o);
}

/* Gives ip to MAC record m: merges an address record that held it, takes it
 * from another MAC record that held it before (an address reused). */
static void machine_set_ip(struct fleet *f, struct fleet_machine *m, struct in_addr ip)
{
	struct fleet_machine *o;

	if (m->ip_indexed && m->ip.s_addr == ip.s_addr)
		return;
	ip_unindex(f, m);
	m->ip = ip;
	if (ip.s_addr == INADDR_ANY)
		return;
	while ((o = find_ip(f, ip)) != NULL) {
		if (!o->has_mac) {
			merge_into(f, m, o);
		} else {
			ip_unindex(f, o);
			o->ip.s_addr = INADDR_ANY;
		}
	}
	ip_index(f, m);
}

static struct fleet_machine *machine_by_mac(struct fleet *f, const uint8_t mac[6])
{
	struct fleet_machine *m = find_key(f, true, mac, (struct in_addr){0});

	return m ? m : machine_new(f, true, mac, (struct in_addr){0});
}

/* The machine at ip, or a new address record for it. */
static struct fleet_machine *machine_by_ip(struct fleet *f, struct in_addr ip)
{
	struct fleet_machine *m = find_ip(f, ip);

	return m ? m : machine_new(f, false, NULL, ip);
}

/* ---- inputs ---- */

static bool is_pxe_vendor(const char *vc)
{
	return vc && strncmp(vc, "PXEClient", 9) == 0;
}

void fleet_dhcp(struct fleet *f, const uint8_t mac[6], struct in_addr ip, int arch,
		const char *vendor_class, const char *hostname, enum fleet_dhcp_event ev)
{
	struct fleet_machine *m = machine_by_mac(f, mac);

	touch(f, m);
	if (arch >= 0)
		fleet_arch_name(m->arch, sizeof(m->arch), arch);
	if (vendor_class && vendor_class[0])
		text_set(m->vendor_class, sizeof(m->vendor_class), vendor_class);
	if (hostname && hostname[0])
		text_set(m->hostname, sizeof(m->hostname), hostname);
	switch (ev) {
	case FLEET_DHCP_DISCOVER:
		/* A PXE firmware asking means the machine (re)boots. */
		if (is_pxe_vendor(vendor_class) || m->phase == FLEET_PHASE_SEEN) {
			set_phase(f, m, FLEET_PHASE_DHCP);
			m->progress = 0;
			m->method[0] = '\0';
		}
		break;
	case FLEET_DHCP_ACK:
		if (ip.s_addr != INADDR_ANY)
			machine_set_ip(f, m, ip);
		if (m->phase == FLEET_PHASE_SEEN)
			set_phase(f, m, FLEET_PHASE_DHCP);
		break;
	case FLEET_DHCP_RELEASE: machine_set_ip(f, m, (struct in_addr){INADDR_ANY}); break;
	}
}

void fleet_boot_file(struct fleet *f, struct in_addr ip, const char *path, enum fleet_proto proto,
		     uint64_t bytes, bool done)
{
	struct fleet_machine *m;

	if (ip.s_addr == INADDR_ANY)
		return;
	m = machine_by_ip(f, ip);
	touch(f, m);
	text_set(m->last_file, sizeof(m->last_file), path ? path : "");
	m->last_proto = proto;
	m->files++;
	m->file_bytes += bytes;
	f->swarm.boot_file_bytes += bytes;
	if (m->phase <= FLEET_PHASE_DHCP)
		set_phase(f, m, FLEET_PHASE_PHASE1);
	(void)done;
}

static void torrent_note(struct fleet *f, const uint8_t info_hash[20], const char *name,
			 uint64_t total)
{
	struct fleet_torrent *t = NULL;

	for (size_t i = 0; i < f->ntorrents; i++)
		if (memcmp(f->torrents[i].info_hash, info_hash, 20) == 0)
			t = &f->torrents[i];
	if (!t) {
		/* Past the cap new torrents are not listed; the machines
		 * still show what they download. */
		if (f->ntorrents == FLEET_MAX_TORRENTS)
			return;
		t = &f->torrents[f->ntorrents++];
		memcpy(t->info_hash, info_hash, 20);
	}
	if (name && name[0])
		text_set(t->name, sizeof(t->name), name);
	if (total)
		t->size = total;
}

static void hist_advance(struct fleet *f, int64_t sec);
static void hist_add_peers(struct fleet *f, uint64_t bytes, int64_t since_ms);

static uint64_t growth(bool same_session, uint64_t before, uint64_t now)
{
	/* A new session, or a counter that went back (a restarted client),
	 * counts from zero. */
	if (!same_session || now < before)
		return now;
	return now - before;
}

void fleet_tracker(struct fleet *f, struct in_addr ip, uint16_t port, const uint8_t info_hash[20],
		   const char *os_name, uint64_t left, uint64_t total, uint64_t uploaded,
		   uint64_t downloaded, enum fleet_tracker_event ev)
{
	struct fleet_machine *m;
	int64_t now = fleet_now(f);
	bool same;
	uint64_t dup, ddown;

	if (ip.s_addr == INADDR_ANY)
		return;
	torrent_note(f, info_hash, os_name, total);
	if (f->server_ip.s_addr != INADDR_ANY && ip.s_addr == f->server_ip.s_addr)
		return;
	m = machine_by_ip(f, ip);
	touch(f, m);
	same = m->has_torrent && memcmp(m->info_hash, info_hash, 20) == 0 && m->peer_port == port &&
	       ev != FLEET_TRACKER_STARTED;
	dup = growth(same, m->uploaded, uploaded);
	ddown = growth(same, m->downloaded, downloaded);
	f->swarm.peer_upload += dup;
	f->swarm.peer_download += ddown;
	hist_add_peers(f, dup, same ? m->rate_at : -1);
	if (now - m->agent_rate_at > AGENT_RATE_FRESH_MS) {
		if (same && now > m->rate_at) {
			m->rate = ddown * 1000 / (uint64_t)(now - m->rate_at);
			m->up_rate = dup * 1000 / (uint64_t)(now - m->rate_at);
		} else {
			m->rate = m->up_rate = 0;
		}
	}
	m->rate_at = now;
	m->has_torrent = true;
	memcpy(m->info_hash, info_hash, 20);
	m->peer_port = port;
	m->left = left;
	m->total = total;
	m->uploaded = uploaded;
	m->downloaded = downloaded;
	if (os_name && os_name[0])
		text_set(m->os, sizeof(m->os), os_name);
	if (ev == FLEET_TRACKER_STOPPED) {
		m->rate = m->up_rate = 0;
		return;
	}
	if ((m->phase == FLEET_PHASE_BOOTED || m->phase == FLEET_PHASE_FAILED) &&
	    ev != FLEET_TRACKER_STARTED)
		return;
	if (left > 0) {
		set_phase(f, m, FLEET_PHASE_DOWNLOADING);
		m->progress = total > left ? (unsigned)((total - left) * 1000 / total) : 0;
		/* "1000" means complete: keep a nearly done download below it. */
		if (m->progress >= 1000)
			m->progress = 999;
	} else {
		set_phase(f, m, FLEET_PHASE_SEEDING);
		m->progress = 1000;
	}
}

void fleet_server_upload(struct fleet *f, uint64_t bytes)
{
	hist_advance(f, fleet_now(f) / 1000);
	f->swarm.server_upload += bytes;
	f->cur_server += bytes;
}

void fleet_log(struct fleet *f, const char *line)
{
	size_t i;

	if (f->nlog < FLEET_LOG_LINES) {
		i = (f->log_start + f->nlog++) % FLEET_LOG_LINES;
	} else {
		i = f->log_start;
		f->log_start = (f->log_start + 1) % FLEET_LOG_LINES;
	}
	fleet_text_copy(f->log[i], sizeof(f->log[i]), line ? line : "", line ? strlen(line) : 0);
}

static void hist_push(struct fleet *f, struct fleet_sample s)
{
	if (f->nhist < FLEET_HISTORY) {
		f->hist[(f->hist_start + f->nhist++) % FLEET_HISTORY] = s;
	} else {
		f->hist[f->hist_start] = s;
		f->hist_start = (f->hist_start + 1) % FLEET_HISTORY;
	}
}

/* Closes every second before sec: each becomes a sample, the first with
 * the open second's bytes, the others (no input came in them) with none. */
static void hist_advance(struct fleet *f, int64_t sec)
{
	int64_t gap;

	if (f->hist_sec < 0 || sec < f->hist_sec) {
		/* The first input, or the clock went back: start from here. */
		f->hist_sec = sec;
		f->cur_server = f->cur_peers = 0;
		return;
	}
	gap = sec - f->hist_sec;
	if (gap == 0)
		return;
	hist_push(f, (struct fleet_sample){f->cur_server, f->cur_peers});
	f->cur_server = f->cur_peers = 0;
	for (int64_t i = 1; i < MIN(gap, FLEET_HISTORY); i++)
		hist_push(f, (struct fleet_sample){0, 0});
	f->hist_sec = sec;
}

void fleet_tick(struct fleet *f)
{
	hist_advance(f, fleet_now(f) / 1000);
}

/* Adds a peer's upload, reported now, as sent evenly since since_ms (its
 * previous announce): the samples of the seconds in between that are still
 * in the ring get their share, so the chart shows a steady swarm rather
 * than a spike at each announce. */
static void hist_add_peers(struct fleet *f, uint64_t bytes, int64_t since_ms)
{
	int64_t back;
	uint64_t per;

	hist_advance(f, fleet_now(f) / 1000);
	back = since_ms >= 0 ? f->hist_sec - since_ms / 1000 : 0;
	if (back <= 0) {
		f->cur_peers += bytes;
		return;
	}
	back = MIN(back, (int64_t)f->nhist);
	per = bytes / (uint64_t)(back + 1);
	for (int64_t i = 0; i < back; i++)
		f->hist[(f->hist_start + f->nhist - 1 - (size_t)i) % FLEET_HISTORY].peers += per;
	f->cur_peers += bytes - per * (uint64_t)back;
}

void fleet_report_apply(struct fleet *f, const struct fleet_report *r, struct in_addr from)
{
	struct in_addr ip = r->has_ip ? r->ip : from;
	struct fleet_machine *m;

	if (r->has_mac) {
		m = machine_by_mac(f, r->mac);
		if (ip.s_addr != INADDR_ANY)
			machine_set_ip(f, m, ip);
	} else if (ip.s_addr != INADDR_ANY) {
		m = machine_by_ip(f, ip);
	} else {
		return;
	}
	touch(f, m);
	set_phase(f, m, r->phase);
	m->booting = r->booting;
	if (r->os[0])
		memcpy(m->os, r->os, sizeof(m->os));
	if (r->method[0])
		memcpy(m->method, r->method, sizeof(m->method));
	if (r->hostname[0])
		memcpy(m->hostname, r->hostname, sizeof(m->hostname));
	if (r->phase == FLEET_PHASE_FAILED)
		memcpy(m->error, r->error, sizeof(m->error));
	if (r->progress >= 0)
		m->progress = (unsigned)r->progress;
	else if (r->phase == FLEET_PHASE_SEEDING || r->phase == FLEET_PHASE_BOOTED)
		m->progress = 1000;
	else if (r->phase < FLEET_PHASE_DOWNLOADING)
		m->progress = 0;
	if (r->peers >= 0)
		m->peers = r->peers;
	if (r->rate >= 0 || r->up_rate >= 0) {
		m->rate = r->rate >= 0 ? (uint64_t)r->rate : 0;
		m->up_rate = r->up_rate >= 0 ? (uint64_t)r->up_rate : 0;
		m->agent_rate_at = fleet_now(f);
	}
	if (r->phase == FLEET_PHASE_BOOTED || r->phase == FLEET_PHASE_FAILED)
		m->rate = m->up_rate = 0;
	if (r->from_server >= 0 && r->from_peers >= 0) {
		m->agent_counts = true;
		m->from_server = (uint64_t)r->from_server;
		m->from_peers = (uint64_t)r->from_peers;
	}
}

int fleet_agent_report(struct fleet *f, const char *body, size_t len, struct in_addr from,
		       const char **why)
{
	struct fleet_report r;
	int ret = fleet_report_parse(body, len, &r, why);

	if (ret == 0 && !r.has_mac && !r.has_ip && from.s_addr == INADDR_ANY) {
		ret = FLEET_E_MALFORMED;
		if (why)
			*why = "no mac and no ip";
	}
	if (ret != 0) {
		f->swarm.reports_rejected++;
		return ret;
	}
	f->swarm.reports++;
	fleet_report_apply(f, &r, from);
	return 0;
}

/* ---- reading ---- */

size_t fleet_count(const struct fleet *f)
{
	return f->n;
}

const struct fleet_machine *fleet_next(const struct fleet *f, const struct fleet_machine *m)
{
	return m ? m->lru_next : f->lru_head;
}

const struct fleet_swarm *fleet_swarm(const struct fleet *f)
{
	return &f->swarm;
}

uint64_t fleet_image_bytes(const struct fleet *f)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < f->ntorrents; i++)
		sum += f->torrents[i].size;
	return sum;
}

size_t fleet_torrent_count(const struct fleet *f)
{
	return f->ntorrents;
}

const struct fleet_torrent *fleet_torrent_at(const struct fleet *f, size_t i)
{
	return i < f->ntorrents ? &f->torrents[i] : NULL;
}

size_t fleet_history(const struct fleet *f, struct fleet_sample *out, size_t cap, int64_t *end_ms)
{
	size_t n = MIN(cap, f->nhist), skip = f->nhist - n;

	for (size_t i = 0; i < n; i++)
		out[i] = f->hist[(f->hist_start + skip + i) % FLEET_HISTORY];
	if (end_ms)
		*end_ms = f->hist_sec < 0 ? 0 : f->hist_sec * 1000;
	return n;
}

size_t fleet_log_count(const struct fleet *f)
{
	return f->nlog;
}

const char *fleet_log_line(const struct fleet *f, size_t i)
{
	return i < f->nlog ? f->log[(f->log_start + i) % FLEET_LOG_LINES] : "";
}
