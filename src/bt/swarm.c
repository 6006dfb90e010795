/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One torrent's swarm: which peers to talk to, whom to serve (every
 * interested peer up to a cap: the machines on a LAN cooperate, so there is
 * no tit-for-tat), what to ask each peer for (the picker), how deep each
 * peer's request pipeline is, what a finished piece means (verify, announce,
 * or strike the peers that sent it), and super-seeding.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <nettle/sha1.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bt/internal.h"
#include "util/parse.h"
#include "util/util.h"

static void swarm_log(const struct bt_swarm *w, enum log_level lvl, const char *fmt, ...)
	PRINTF_LIKE(3, 4);

static void swarm_log(const struct bt_swarm *w, enum log_level lvl, const char *fmt, ...)
{
	const struct logger *lg = &w->session->log;
	char msg[300];
	va_list ap;

	if (lvl > lg->level || !lg->fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logger_log(lg, lvl, "SWARM", "%s: %s", w->mi->name, msg);
}

/* Per-piece record of who sent which block, and, after a piece failed with
 * several senders, the hashes of the bad blocks so that the guilty sender
 * is found when the piece later passes (a small "smart ban"). */
static struct bt_blockrec *blockrec(struct bt_swarm *w, uint32_t piece)
{
	struct bt_blockrec *br = &w->contrib[piece];

	if (!br->from) {
		br->nblocks = bt_picker_piece_blocks(&w->picker, piece);
		br->from = xcalloc(br->nblocks, sizeof(*br->from));
	}
	return br;
}

static void blockrec_free(struct bt_blockrec *br)
{
	free(br->sha);
	free(br->from);
	free(br->bad_hash);
	free(br->bad_from);
	memset(br, 0, sizeof(*br));
}

/* The piece starts over: what was hashed ahead is void. */
static void blockrec_rehash(struct bt_blockrec *br)
{
	free(br->sha);
	br->sha = NULL;
	br->hashed = 0;
}

/* Hashes a block that continues the piece's hashed prefix, as it arrives,
 * so that verifying the piece need not read it back from storage (a copy
 * of every byte, which costs on an emulated CPU). A block that arrives
 * ahead of a gap is read back when the piece is verified. */
static void blockrec_hash(struct bt_blockrec *br, uint32_t begin, const uint8_t *data, uint32_t len)
{
	if (begin != br->hashed)
		return;
	if (!br->sha) {
		br->sha = xmalloc(sizeof(*br->sha));
		sha1_init(br->sha);
	}
	sha1_update(br->sha, len, data);
	br->hashed += len;
}

/* ---- address set ---- */

static struct bt_known *known_find(struct bt_swarm *w, const struct sockaddr_in *a)
{
	for (uint32_t i = 0; i < w->nknown; i++)
		if (w->known[i].addr.sin_addr.s_addr == a->sin_addr.s_addr &&
		    w->known[i].addr.sin_port == a->sin_port)
			return &w->known[i];
	return NULL;
}

static struct bt_known *known_add(struct bt_swarm *w, const struct sockaddr_in *a, int source)
{
	struct bt_known *k = known_find(w, a);
	char ip[INET_ADDRSTRLEN];

	if (k)
		return k;
	if (w->nknown >= BT_MAX_KNOWN) {
		/* Full: reuse an entry for a past incoming connection. */
		for (uint32_t i = 0; i < w->nknown && !k; i++)
			if (w->known[i].source == BT_SRC_INCOMING && !w->known[i].connected &&
			    !w->known[i].banned && !w->known[i].strikes && !w->known[i].down_bytes)
				k = &w->known[i];
		if (!k)
			return NULL;
	} else {
		k = &w->known[w->nknown++];
	}
	memset(k, 0, sizeof(*k));
	k->addr = *a;
	k->source = (uint8_t)source;
	k->dialable = source != BT_SRC_INCOMING;
	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	snprintf(k->name, sizeof(k->name), "%s:%u", ip, ntohs(a->sin_port));
	return k;
}

static bool is_our_address(const struct bt_swarm *w, const struct sockaddr_in *a)
{
	/* Our own listening address on loopback: never dial ourselves. */
	return a->sin_port == htons(w->session->port) && (ntohl(a->sin_addr.s_addr) >> 24) == 127;
}

static int add_peer_source(struct bt_swarm *w, const struct sockaddr_in *a, int source)
{
	struct bt_known *k;

	if (a->sin_port == 0 || a->sin_addr.s_addr == 0 || is_our_address(w, a))
		return -EINVAL;
	k = known_add(w, a, source);
	if (!k)
		return -ENOSPC;
	if (source != BT_SRC_INCOMING)
		k->dialable = true;
	return 0;
}

int bt_swarm_add_peer(struct bt_swarm *w, const struct sockaddr *sa, socklen_t len)
{
	int r;

	if (sa->sa_family != AF_INET || len < (socklen_t)sizeof(struct sockaddr_in))
		return -EAFNOSUPPORT;
	r = add_peer_source(w, (const struct sockaddr_in *)sa, BT_SRC_TRACKER);
	if (r == 0)
		bt_swarm_connect_more(w);
	return r == -EINVAL ? 0 : r;
}

void bt_swarm_add_peer_lpd(struct bt_swarm *w, const struct sockaddr_in *a)
{
	if (add_peer_source(w, a, BT_SRC_LPD) == 0)
		bt_swarm_connect_more(w);
}

int bt_swarm_add_peer_str(struct bt_swarm *w, const char *hostport)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	const char *colon = strrchr(hostport, ':');
	char host[64];
	uint64_t port;
	int r;

	if (!colon || (size_t)(colon - hostport) >= sizeof(host) ||
	    parse_u64_str(colon + 1, 65535, &port) != 0 || port == 0)
		return -EINVAL;
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -EINVAL;
	a.sin_port = htons((uint16_t)port);
	r = add_peer_source(w, &a, BT_SRC_STATIC);
	if (r == 0)
		bt_swarm_connect_more(w);
	return r == -ENOSPC ? r : 0;
}

/* Peers of this swarm, connecting or attached. */
static uint32_t swarm_connections(const struct bt_swarm *w)
{
	uint32_t n = 0;

	for (const struct bt_peer *p = w->session->peers; p; p = p->next)
		if (p->swarm == w)
			n++;
	return n;
}

void bt_swarm_connect_more(struct bt_swarm *w)
{
	int64_t now = bt_now_ms() / 1000;
	uint32_t n = swarm_connections(w);

	for (uint32_t i = 0; i < w->nknown && n < w->cfg.max_peers; i++) {
		struct bt_known *k = &w->known[i];

		if (k->connected || k->banned || k->self || !k->dialable || k->next_try > now)
			continue;
		if (!bt_session_may_connect(w->session, &k->addr))
			break;
		/* Backoff for the next attempt in case this one fails; a
		 * successful handshake resets it. */
		k->failures = (uint8_t)MIN(k->failures + 1, 8);
		/* A peer we were told about by hand (the server, for an
		 * agent) is worth trying every few seconds until it answers. */
		k->next_try = now + MIN(1 << k->failures, k->source == BT_SRC_STATIC ? 5 : 120);
		if (bt_peer_new(w->session, -1, &k->addr, w, k))
			n++;
	}
}

/* ---- interest, choking, requests ---- */

static void update_interest(struct bt_swarm *w, struct bt_peer *p)
{
	bool want = !w->complete && !w->seed_only && bt_picker_interesting(&w->picker, &p->have);

	if (want != p->am_interested) {
		p->am_interested = want;
		bt_peer_send_simple(p, want ? BT_MSG_INTERESTED : BT_MSG_NOT_INTERESTED);
	}
}

static void try_unchoke(struct bt_swarm *w, struct bt_peer *p)
{
	if (p->am_choking && p->peer_interested && w->nunchoked < w->cfg.max_unchoked) {
		p->am_choking = false;
		w->nunchoked++;
		bt_peer_send_simple(p, BT_MSG_UNCHOKE);
	}
}

static void choke(struct bt_swarm *w, struct bt_peer *p)
{
	if (!p->am_choking) {
		p->am_choking = true;
		w->nunchoked--;
		bt_peer_send_simple(p, BT_MSG_CHOKE);
		if (p->fast)
			for (uint32_t i = 0; i < p->ninq; i++)
				bt_peer_send_block(p, BT_MSG_REJECT, p->inq[i].piece,
						   p->inq[i].begin, p->inq[i].length);
		p->ninq = 0;
	}
}

static bool already_asked(void *ctx, uint32_t piece, uint32_t begin)
{
	const struct bt_peer *p = ctx;

	for (uint32_t i = 0; i < p->nreq; i++)
		if (p->reqs[i].piece == piece && p->reqs[i].begin == begin)
			return true;
	return false;
}

static void fill_requests(struct bt_swarm *w, struct bt_peer *p)
{
	struct bt_block blocks[BT_MAX_OUR_REQUESTS];
	size_t n, max_dup;
	int64_t now;

	if (p->dead || !p->attached || p->peer_choking || !p->am_interested || w->complete ||
	    p->nreq >= p->queue_target)
		return;
	/* Endgame duplicates only to a peer whose queue has nearly drained: a
	 * duplicate queued behind half a second of other blocks arrives after
	 * the original, and is wasted download. */
	max_dup = p->nreq < BT_ENDGAME_PEER_REQS ? BT_ENDGAME_PEER_REQS - p->nreq : 0;
	n = bt_picker_pick(&w->picker, &p->have, blocks, p->queue_target - p->nreq, max_dup,
			   already_asked, p);
	now = bt_now_ms();
	for (size_t i = 0; i < n; i++) {
		p->reqs[p->nreq++] =
			(struct bt_req){blocks[i].piece, blocks[i].begin, blocks[i].length, now};
		bt_peer_send_block(p, BT_MSG_REQUEST, blocks[i].piece, blocks[i].begin,
				   blocks[i].length);
	}
}

static void drop_requests(struct bt_swarm *w, struct bt_peer *p)
{
	for (uint32_t i = 0; i < p->nreq; i++)
		bt_picker_unrequest(&w->picker, p->reqs[i].piece, p->reqs[i].begin);
	p->nreq = 0;
}

static int find_req(const struct bt_peer *p, uint32_t piece, uint32_t begin, uint32_t length)
{
	for (uint32_t i = 0; i < p->nreq; i++)
		if (p->reqs[i].piece == piece && p->reqs[i].begin == begin &&
		    p->reqs[i].length == length)
			return (int)i;
	return -1;
}

static void remove_req(struct bt_peer *p, int i)
{
	memmove(&p->reqs[i], &p->reqs[i + 1], (p->nreq - (uint32_t)i - 1) * sizeof(*p->reqs));
	p->nreq--;
}

/* ---- super-seeding (BEP 16) ---- */

static bool super_seeding(const struct bt_swarm *w)
{
	return w->cfg.super_seed && w->seed_only && w->complete;
}

static void ss_offer(struct bt_swarm *w, struct bt_peer *p)
{
	int64_t now = bt_now_ms();
	uint32_t slots;

	/* A peer that already knows every piece we have is served normally. */
	if (!p->ss_hidden)
		return;
	/* A few offers each in a large swarm, and few to everyone while the
	 * machines that boot together are still connecting
	 * (bt_picker_superseed_slots). */
	if (!w->ss_t0)
		w->ss_t0 = now;
	slots = bt_picker_superseed_slots(w->npeers, BT_SS_OFFERS, BT_SS_SLOTS, now - w->ss_t0,
					  BT_SS_SETTLE_MS, BT_SS_FIRST);
	while (!p->dead && p->nss < slots) {
		bool set[BT_SS_SLOTS] = {false};
		int64_t piece;

		/* Pieces already offered to this peer are not offered again:
		 * hide them as "has" while choosing. */
		for (uint32_t i = 0; i < p->nss; i++)
			set[i] = bt_bitfield_set(&p->have, p->ss[i].piece);
		piece = bt_picker_superseed_choose(&w->picker, w->ss_given, &p->have);
		for (uint32_t i = 0; i < p->nss; i++)
			if (set[i])
				bt_bitfield_clear(&p->have, p->ss[i].piece);
		if (piece < 0)
			return;
		/* A second copy of a piece that some peer already holds is a
		 * cost the swarm could carry itself: allow only a budget of
		 * them (BT_SS_DUP_BUDGET of the torrent), enough to keep every
		 * node busy early on without sending the image twice. A piece no peer
		 * has is always offered, so nothing can stall. */
		if (w->ss_given[piece] > 0 && w->picker.avail[piece] > 0) {
			if (w->ss_dups >= (uint32_t)(w->mi->piece_count * BT_SS_DUP_BUDGET))
				return;
			w->ss_dups++;
		}
		w->ss_given[piece]++;
		p->ss[p->nss++] = (struct bt_ss_offer){(uint32_t)piece, 0};
		bt_bitfield_set(&p->ss_told, (uint32_t)piece);
		bt_peer_send_index(p, BT_MSG_HAVE, (uint32_t)piece);
	}
}

static void ss_remove(struct bt_peer *p, uint32_t i)
{
	p->ss[i] = p->ss[--p->nss];
}

/* Offers the peer never took go back to the pool for others. */
static void ss_drop_offers(struct bt_swarm *w, struct bt_peer *p)
{
	for (uint32_t i = 0; i < p->nss; i++)
		if (!p->ss[i].had_since && w->ss_given[p->ss[i].piece] > 0)
			w->ss_given[p->ss[i].piece]--;
	p->nss = 0;
}

/* Super-seeding ends for p: a HAVE for every piece we have that it lacks
 * and was not offered (HAVE_ALL or a bitfield may only be the first
 * message), so that it takes from us like from any seed. Each piece is
 * announced to it once. */
static void ss_reveal(struct bt_swarm *w, struct bt_peer *p)
{
	for (uint32_t i = 0; i < w->mi->piece_count && !p->dead; i++)
		if (bt_bitfield_get(&w->picker.have, i) && !bt_bitfield_get(&p->have, i) &&
		    !bt_bitfield_get(&p->ss_told, i))
			bt_peer_send_index(p, BT_MSG_HAVE, i);
	ss_drop_offers(w, p);
	p->ss_hidden = false;
	bt_bitfield_release(&p->ss_told);
}

bool bt_swarm_super_seeding(const struct bt_swarm *w)
{
	return super_seeding(w);
}

void bt_swarm_set_super_seed(struct bt_swarm *w, bool on)
{
	bool was = super_seeding(w);
	struct bt_peer *p, *next;

	w->cfg.super_seed = on;
	if (was == super_seeding(w))
		return;
	if (on) {
		/* A new round of offers for the peers that join from now on. */
		w->ss_dups = 0;
		w->ss_t0 = 0;
		return;
	}
	for (p = w->session->peers; p; p = next) {
		next = p->next;
		if (p->swarm == w && p->attached && !p->dead && p->ss_hidden)
			ss_reveal(w, p);
	}
}

/* True when every other peer already has piece: nobody could take it from
 * the peer we gave it to, so waiting for that is pointless. A peer that has
 * said nothing for BT_SS_SILENT seconds (cut off, powered down: its TCP
 * connection lingers until the idle timeout) cannot take it either; counting
 * it would hold every other peer to one offer per BT_SS_RELEASE. */
static bool ss_nobody_else_needs(const struct bt_swarm *w, const struct bt_peer *from,
				 uint32_t piece)
{
	int64_t now = bt_now_ms();

	for (const struct bt_peer *q = w->session->peers; q; q = q->next)
		if (q != from && q->swarm == w && q->attached && !q->dead &&
		    now - q->t_last_recv <= BT_SS_SILENT * 1000 &&
		    !bt_bitfield_get(&q->have, piece))
			return false;
	return true;
}

/* Peer `from` announced piece: every other peer that was given it has
 * shared it, so it gets a new one; `from` itself gets a new one when no one
 * else needs the piece, or else starts its release clock. */
static void ss_on_have(struct bt_swarm *w, struct bt_peer *from, uint32_t piece)
{
	for (struct bt_peer *q = w->session->peers; q; q = q->next) {
		if (q->swarm != w || !q->attached || q->dead)
			continue;
		for (uint32_t i = 0; i < q->nss; i++) {
			if (q->ss[i].piece != piece)
				continue;
			if (q == from && !ss_nobody_else_needs(w, from, piece)) {
				if (!q->ss[i].had_since)
					q->ss[i].had_since = bt_now_ms();
			} else {
				ss_remove(q, i);
				ss_offer(w, q);
			}
			break;
		}
	}
}

/* ---- pieces ---- */

static void ban(struct bt_swarm *w, struct bt_known *k)
{
	if (!k || k->banned)
		return;
	k->banned = true;
	w->banned++;
	swarm_log(w, LOG_WARN, "banning %s: %u bad pieces", k->name, k->strikes);
	for (struct bt_peer *p = w->session->peers, *next; p; p = next) {
		next = p->next; /* closing moves p to the graveyard */
		if (p->swarm != w || p->known != k || p->dead)
			continue;
		if (w->nbanned_ids < 256) {
			w->banned_ids = xrealloc(w->banned_ids, (w->nbanned_ids + 1) * 20);
			memcpy(w->banned_ids + 20 * w->nbanned_ids++, p->peer_id, 20);
		}
		bt_peer_close(p, "banned after %u bad pieces", k->strikes);
	}
}

static void strike(struct bt_swarm *w, struct bt_known *k)
{
	if (!k)
		return;
	if (k->strikes < UINT8_MAX)
		k->strikes++;
	if (k->strikes >= w->cfg.ban_strikes)
		ban(w, k);
}

static void block_hash(struct bt_swarm *w, uint32_t piece, uint32_t b, uint8_t out[20])
{
	uint8_t data[BT_BLOCK_SIZE];
	uint32_t size = bt_picker_piece_size(&w->picker, piece);
	uint32_t len = MIN(BT_BLOCK_SIZE, size - b * BT_BLOCK_SIZE);
	struct sha1_ctx sha;

	memset(data, 0, sizeof(data));
	if (bt_storage_read(&w->storage, piece, b * BT_BLOCK_SIZE, data, len) != 0)
		memset(data, 0, sizeof(data));
	sha1_init(&sha);
	sha1_update(&sha, len, data);
	sha1_digest(&sha, 20, out);
}

static void piece_failed(struct bt_swarm *w, uint32_t piece)
{
	struct bt_blockrec *br = blockrec(w, piece);
	struct bt_known *only = br->from[0];
	bool single = true;

	w->bad_pieces++;
	w->wasted += bt_picker_piece_size(&w->picker, piece);
	for (uint32_t b = 1; b < br->nblocks; b++)
		if (br->from[b] != only)
			single = false;
	swarm_log(w, LOG_WARN, "piece %u failed its hash check (from %s)", piece,
		  single ? (only ? only->name : "?") : "several peers");
	if (single) {
		strike(w, only);
	} else if (!br->bad_hash) {
		/* Keep the hash of every block and who sent it; when the piece
		 * passes later, the senders of blocks that differ are struck. */
		br->bad_hash = xcalloc(br->nblocks, sizeof(*br->bad_hash));
		br->bad_from = xcalloc(br->nblocks, sizeof(*br->bad_from));
		for (uint32_t b = 0; b < br->nblocks; b++) {
			block_hash(w, piece, b, br->bad_hash[b]);
			br->bad_from[b] = br->from[b];
		}
	}
	memset(br->from, 0, br->nblocks * sizeof(*br->from));
	blockrec_rehash(br);
	bt_picker_verified(&w->picker, piece, false);
}

static void piece_passed(struct bt_swarm *w, uint32_t piece)
{
	struct bt_blockrec *br = blockrec(w, piece);

	if (br->bad_hash) {
		struct bt_known *struck[8];
		size_t nstruck = 0;

		for (uint32_t b = 0; b < br->nblocks; b++) {
			uint8_t h[20];
			bool seen = false;

			block_hash(w, piece, b, h);
			if (memcmp(h, br->bad_hash[b], 20) == 0 || !br->bad_from[b])
				continue;
			for (size_t i = 0; i < nstruck; i++)
				seen |= struck[i] == br->bad_from[b];
			if (!seen && nstruck < ARRAY_SIZE(struck)) {
				struck[nstruck++] = br->bad_from[b];
				strike(w, br->bad_from[b]);
			}
		}
	}
	blockrec_free(br);
	bt_picker_verified(&w->picker, piece, true);
	for (struct bt_peer *p = w->session->peers; p; p = p->next)
		if (p->swarm == w && p->attached && !p->dead)
			bt_peer_send_index(p, BT_MSG_HAVE, piece);
	if (w->cb.piece_verified)
		w->cb.piece_verified(w->cb.ctx, piece);
	if (w->picker.have.set == w->picker.piece_count) {
		w->complete = true;
		swarm_log(w, LOG_INFO, "complete: all %u pieces verified", w->picker.piece_count);
	}
	for (struct bt_peer *p = w->session->peers, *next; p; p = next) {
		next = p->next;
		if (p->swarm != w || !p->attached || p->dead)
			continue;
		if (w->complete && bt_bitfield_full(&p->have)) {
			bt_peer_close(p, "both seeds");
			continue;
		}
		update_interest(w, p);
	}
	if (w->complete && !w->complete_reported) {
		w->complete_reported = true;
		if (w->cb.complete)
			w->cb.complete(w->cb.ctx);
	}
}

static void on_block(struct bt_swarm *w, struct bt_peer *p, const struct bt_msg *m)
{
	int i = find_req(p, m->index, m->begin, m->length);
	struct bt_blockrec *br;
	int r, done;

	p->down_total += m->length;
	p->down_tick += m->length;
	w->downloaded += m->length;
	if (p->known)
		p->known->down_bytes += m->length;
	if (i < 0) {
		/* Not asked for, or cancelled in endgame: tolerate a few. */
		w->wasted += m->length;
		/* Blocks cancelled in endgame or dropped after a timeout may still
		 * arrive; a peer that sends mostly unrequested blocks is broken. */
		if (++p->unwanted_blocks > 2 * BT_MAX_OUR_REQUESTS &&
		    p->unwanted_blocks * (uint64_t)BT_BLOCK_SIZE > p->down_total / 2)
			bt_peer_close(p, "too many blocks we did not ask for");
		return;
	}
	remove_req(p, i);
	p->t_last_block = bt_now_ms();
	p->snubbed = false;
	done = bt_picker_received(&w->picker, m->index, m->begin, m->length);
	if (done < 0) {
		w->wasted += m->length;
		return;
	}
	r = bt_storage_write(&w->storage, m->index, m->begin, m->data, m->length);
	if (r) {
		swarm_log(w, LOG_ERROR, "cannot write piece %u: %s", m->index, strerror(-r));
		blockrec_rehash(blockrec(w, m->index));
		bt_picker_verified(&w->picker, m->index, false);
		return;
	}
	br = blockrec(w, m->index);
	br->from[m->begin / BT_BLOCK_SIZE] = p->known;
	blockrec_hash(br, m->begin, m->data, m->length);
	if (w->picker.endgame) {
		/* Others were asked for the same block: cancel. */
		for (struct bt_peer *q = w->session->peers; q; q = q->next) {
			int j;
			if (q == p || q->swarm != w || !q->attached || q->dead)
				continue;
			j = find_req(q, m->index, m->begin, m->length);
			if (j >= 0) {
				remove_req(q, j);
				bt_peer_send_block(q, BT_MSG_CANCEL, m->index, m->begin, m->length);
			}
		}
	}
	if (done == 1) {
		bool ok;

		if (br->sha) {
			r = bt_storage_verify_rest(&w->storage, m->index, br->sha, br->hashed, &ok);
		} else {
			r = bt_storage_verify(&w->storage, m->index, &ok);
		}
		/* The context is spent either way. */
		blockrec_rehash(br);
		if (r) {
			swarm_log(w, LOG_ERROR, "cannot read piece %u: %s", m->index, strerror(-r));
			ok = false;
		}
		if (ok)
			piece_passed(w, m->index);
		else
			piece_failed(w, m->index);
	}
}

/* ---- messages ---- */

/* A request for the last block of a piece offered to p: p is about to hold
 * it. Some clients (aria2c) send no HAVE to a peer they took a piece from,
 * so waiting for the HAVE alone would stall them after BT_SS_SLOTS pieces;
 * the release clock starts now instead. */
static void ss_on_last_request(struct bt_swarm *w, struct bt_peer *p, const struct bt_msg *m)
{
	uint64_t off;
	uint32_t len;

	if (metainfo_piece_range(w->mi, m->index, &off, &len) != 0 ||
	    (uint64_t)m->begin + m->length != len)
		return;
	for (uint32_t i = 0; i < p->nss; i++) {
		if (p->ss[i].piece != m->index)
			continue;
		if (ss_nobody_else_needs(w, p, m->index)) {
			/* No one could take it from p anyway: offer the next. */
			ss_remove(p, i);
			ss_offer(w, p);
		} else if (!p->ss[i].had_since) {
			p->ss[i].had_since = bt_now_ms();
		}
		break;
	}
}

static void on_request(struct bt_swarm *w, struct bt_peer *p, const struct bt_msg *m)
{
	if (!bt_bitfield_get(&w->picker.have, m->index)) {
		/* Asking for what we never announced is a broken peer. */
		bt_peer_close(p, "request for piece %u we do not have", m->index);
		return;
	}
	if (p->am_choking) {
		if (p->fast)
			bt_peer_send_block(p, BT_MSG_REJECT, m->index, m->begin, m->length);
		return;
	}
	if (p->ninq >= BT_MAX_THEIR_REQUESTS) {
		bt_peer_close(p, "request flood");
		return;
	}
	/* Served once the whole read is parsed (peer.c), so that
	 * consecutive requests share one read from storage. */
	p->inq[p->ninq++] = (struct bt_block){m->index, m->begin, m->length};
	if (super_seeding(w))
		ss_on_last_request(w, p, m);
}

static void on_cancel(struct bt_peer *p, const struct bt_msg *m)
{
	for (uint32_t i = 0; i < p->ninq; i++) {
		if (p->inq[i].piece == m->index && p->inq[i].begin == m->begin &&
		    p->inq[i].length == m->length) {
			memmove(&p->inq[i], &p->inq[i + 1], (p->ninq - i - 1) * sizeof(*p->inq));
			p->ninq--;
			if (p->fast)
				bt_peer_send_block(p, BT_MSG_REJECT, m->index, m->begin, m->length);
			return;
		}
	}
}

static void send_pex(struct bt_swarm *w, struct bt_peer *p, int64_t now);

static void on_extended(struct bt_swarm *w, struct bt_peer *p, const struct bt_msg *m)
{
	bool need_pex;

	if (m->ext_id == 0) {
		struct bt_ext_handshake h;

		/* An extension handshake we cannot read only costs us PEX. */
		if (bt_ext_handshake_parse(m->data, m->data_len, &h) != 0)
			return;
		p->ut_pex = w->cfg.no_pex ? 0 : h.ut_pex;
		p->their_reqq = h.reqq;
		need_pex = p->ut_pex && !p->pex_gen;
		if (h.port && !p->outgoing && !p->listen_port) {
			struct sockaddr_in a = p->addr;
			struct bt_known *k;

			p->listen_port = h.port;
			a.sin_port = htons(h.port);
			k = known_add(w, &a, BT_SRC_INCOMING);
			if (k && !k->connected && !k->banned) {
				/* From now on this connection stands for the
				 * address the peer listens on. */
				if (p->known)
					p->known->connected = false;
				k->dialable = true;
				k->connected = true;
				k->failures = 0;
				k->pex_gen = ++w->pex_gen;
				memcpy(k->peer_id, p->peer_id, 20);
				k->has_id = true;
				p->known = k;
			}
		}
		/* The first PEX goes out at once, so a newcomer meets the
		 * swarm right away; later ones once a minute (BEP 11). */
		if (need_pex)
			send_pex(w, p, bt_now_ms());
		return;
	}
	if (m->ext_id == 1 && !w->cfg.no_pex) {
		struct sockaddr_in peers[BT_PEX_MAX];
		size_t n;

		if (bt_pex_parse(m->data, m->data_len, peers, BT_PEX_MAX, &n) != 0)
			return;
		for (size_t i = 0; i < n; i++)
			(void)add_peer_source(w, &peers[i], BT_SRC_PEX);
		if (n)
			bt_swarm_connect_more(w);
	}
}

static void after_availability(struct bt_swarm *w, struct bt_peer *p)
{
	if (w->complete && bt_bitfield_full(&p->have)) {
		bt_peer_close(p, "both seeds");
		return;
	}
	update_interest(w, p);
	fill_requests(w, p);
}

void bt_swarm_on_message(struct bt_swarm *w, struct bt_peer *p, const struct bt_msg *m)
{
	switch (m->type) {
	case BT_MSG_KEEPALIVE: break;
	case BT_MSG_CHOKE:
		p->peer_choking = true;
		p->t_choked = bt_now_ms();
		/* Without the fast extension a choke drops every request; with
		 * it, the peer rejects each one (and the tick drops the rest). */
		if (!p->fast)
			drop_requests(w, p);
		break;
	case BT_MSG_UNCHOKE:
		p->peer_choking = false;
		fill_requests(w, p);
		break;
	case BT_MSG_INTERESTED:
		p->peer_interested = true;
		try_unchoke(w, p);
		break;
	case BT_MSG_NOT_INTERESTED:
		p->peer_interested = false;
		choke(w, p);
		break;
	case BT_MSG_HAVE:
		if (!bt_bitfield_set(&p->have, m->index)) {
			if (++p->dup_haves > BT_MAX_DUP_HAVES)
				bt_peer_close(p, "flood of redundant have messages");
			break;
		}
		bt_picker_add_have(&w->picker, m->index);
		if (super_seeding(w))
			ss_on_have(w, p, m->index);
		/* A piece we hold already changes neither our interest nor
		 * what we could ask this peer for: in a large swarm most HAVEs
		 * are such, one per piece per peer. */
		if (w->complete || !bt_bitfield_get(&w->picker.have, m->index))
			after_availability(w, p);
		break;
	case BT_MSG_BITFIELD:
	case BT_MSG_HAVE_ALL:
	case BT_MSG_HAVE_NONE:
		/* A later bitfield replaces the earlier one. */
		bt_picker_add_bitfield(&w->picker, &p->have, -1);
		bt_bitfield_clear_all(&p->have);
		if (m->type == BT_MSG_BITFIELD) {
			if (bt_bitfield_load(&p->have, m->data, m->data_len) != 0) {
				bt_peer_close(p, "bad bitfield");
				return;
			}
		} else if (m->type == BT_MSG_HAVE_ALL) {
			bt_bitfield_set_all(&p->have);
		}
		p->bitfield_seen = true;
		bt_picker_add_bitfield(&w->picker, &p->have, 1);
		if (super_seeding(w)) {
			/* Offers made before the bitfield came may name pieces
			 * the peer has: let them go soon. */
			for (uint32_t i = 0; i < p->nss; i++)
				if (bt_bitfield_get(&p->have, p->ss[i].piece) &&
				    !p->ss[i].had_since)
					p->ss[i].had_since = bt_now_ms();
			ss_offer(w, p);
		}
		after_availability(w, p);
		break;
	case BT_MSG_REQUEST: on_request(w, p, m); break;
	case BT_MSG_CANCEL: on_cancel(p, m); break;
	case BT_MSG_PIECE:
		on_block(w, p, m);
		if (!p->dead)
			fill_requests(w, p);
		break;
	case BT_MSG_REJECT: {
		int i = find_req(p, m->index, m->begin, m->length);
		if (i >= 0) {
			remove_req(p, i);
			bt_picker_unrequest(&w->picker, m->index, m->begin);
		}
		break;
	}
	case BT_MSG_EXTENDED: on_extended(w, p, m); break;
	default:
		/* PORT, SUGGEST, ALLOWED_FAST: tolerated, unused. */
		break;
	}
}

/* ---- peers joining and leaving ---- */

const char *bt_swarm_accept(struct bt_swarm *w, struct bt_peer *p)
{
	struct bt_wire_geometry geo;
	int64_t now = bt_now_ms();
	int r;

	if (memcmp(p->peer_id, w->session->peer_id, 20) == 0) {
		if (p->known)
			p->known->self = true;
		return "connected to ourselves";
	}
	for (uint32_t i = 0; i < w->nbanned_ids; i++)
		if (memcmp(w->banned_ids + 20 * i, p->peer_id, 20) == 0)
			return "banned peer id";
	if (p->known && p->known->banned)
		return "banned address";
	for (const struct bt_peer *q = w->session->peers; q; q = q->next)
		if (q != p && q->swarm == w && q->attached &&
		    memcmp(q->peer_id, p->peer_id, 20) == 0)
			return "already connected to this peer";
	if (!p->outgoing && w->npeers >= w->cfg.max_peers)
		return "too many peers";
	geo = w->geo;
	geo.fast = p->fast;
	geo.extended = p->extended;
	r = bt_wire_set_geometry(&p->wire, &geo);
	if (r)
		return "bad geometry";
	bt_bitfield_init(&p->have, w->mi->piece_count);
	p->reqs = xcalloc(BT_MAX_OUR_REQUESTS, sizeof(*p->reqs));
	p->inq = xcalloc(BT_MAX_THEIR_REQUESTS, sizeof(*p->inq));
	if (!p->known)
		p->known = known_add(w, &p->addr, BT_SRC_INCOMING);
	if (p->known) {
		p->known->connected = true;
		p->known->failures = 0;
		p->known->next_try = 0;
		memcpy(p->known->peer_id, p->peer_id, 20);
		p->known->has_id = true;
		p->known->pex_gen = ++w->pex_gen;
	}
	p->attached = true;
	p->next_pex = now + 2000;
	/* The first peer of an empty swarm: machines booting together may
	 * follow, a new settling window for super-seed offers. */
	if (w->npeers == 0)
		w->ss_t0 = 0;
	w->npeers++;
	/* BEP 6: have-all/have-none/bitfield must come first. */
	if (super_seeding(w)) {
		p->ss_hidden = true;
		bt_bitfield_init(&p->ss_told, w->mi->piece_count);
	}
	if (super_seeding(w) || w->picker.have.set == 0) {
		if (p->fast)
			bt_peer_send_simple(p, BT_MSG_HAVE_NONE);
	} else if (w->complete && p->fast) {
		bt_peer_send_simple(p, BT_MSG_HAVE_ALL);
	} else {
		bt_peer_send_bitfield(p, &w->picker.have);
	}
	if (p->extended) {
		struct buf b;
		buf_init(&b, 1024);
		if (bt_ext_handshake_build(&b, w->session->port, !w->cfg.no_pex) == 0)
			bt_peer_send_extended(p, 0, b.data, b.len);
		buf_release(&b);
	}
	logger_log(&w->session->log, LOG_DEBUG, "PEER", "%s: connected (%s%s%s)", p->name,
		   p->outgoing ? "outgoing" : "incoming", p->fast ? ", fast" : "",
		   p->extended ? ", extended" : "");
	if (w->cb.peer_connected)
		w->cb.peer_connected(w->cb.ctx, p->name, true);
	return NULL;
}

void bt_swarm_detach(struct bt_swarm *w, struct bt_peer *p)
{
	if (!p->attached) {
		p->swarm = NULL;
		return;
	}
	bt_picker_add_bitfield(&w->picker, &p->have, -1);
	drop_requests(w, p);
	if (!p->am_choking) {
		p->am_choking = true;
		w->nunchoked--;
	}
	ss_drop_offers(w, p);
	p->ss_hidden = false;
	bt_bitfield_release(&p->ss_told);
	if (p->known) {
		int64_t now = bt_now_ms() / 1000;
		/* Completed peers are not dialled again while we are a seed;
		 * a seed we still need (the server's, after a network fault)
		 * is dialled again soon, the static one (the server) sooner. */
		if (w->complete && bt_bitfield_full(&p->have))
			p->known->next_try = now + 3600;
		else
			p->known->next_try = now + (p->known->source == BT_SRC_STATIC ? 2 : 5);
	}
	p->attached = false;
	w->npeers--;
	if (w->cb.peer_connected)
		w->cb.peer_connected(w->cb.ctx, p->name, false);
}

/* ---- the clock ---- */

static void send_pex(struct bt_swarm *w, struct bt_peer *p, int64_t now)
{
	struct sockaddr_in added[BT_PEX_MAX];
	size_t n = 0;
	struct buf b;

	p->next_pex = now + BT_PEX_INTERVAL * 1000;
	for (uint32_t i = 0; i < w->nknown && n < BT_PEX_MAX; i++) {
		const struct bt_known *k = &w->known[i];
		if (k->connected && k->dialable && !k->banned && k != p->known &&
		    k->pex_gen > p->pex_gen)
			added[n++] = k->addr;
	}
	p->pex_gen = w->pex_gen;
	if (n == 0)
		return;
	buf_init(&b, 4096);
	if (bt_pex_build(&b, added, n) == 0)
		bt_peer_send_extended(p, p->ut_pex, b.data, b.len);
	buf_release(&b);
}

static void tick_peer(struct bt_swarm *w, struct bt_peer *p, int64_t now)
{
	double down = (double)p->down_tick, up = (double)p->up_tick;

	p->rate_down = 0.6 * p->rate_down + 0.4 * down;
	p->rate_up = 0.6 * p->rate_up + 0.4 * up;
	w->rate_down += p->rate_down;
	w->rate_up += p->rate_up;
	p->down_tick = p->up_tick = 0;
	if (now - p->t_last_recv > BT_IDLE_TIMEOUT * 1000) {
		bt_peer_close(p, "idle for %d s", BT_IDLE_TIMEOUT);
		return;
	}
	if (p->nreq > 0 && now - p->t_last_block > BT_REQUEST_TIMEOUT * 1000 &&
	    now - p->reqs[0].sent_ms > BT_REQUEST_TIMEOUT * 1000) {
		/* Unanswered requests go back to the picker for other peers. */
		if (p->snubbed) {
			bt_peer_close(p, "requests unanswered for %d s", 2 * BT_REQUEST_TIMEOUT);
			return;
		}
		p->snubbed = true;
		drop_requests(w, p);
		p->t_last_block = now;
	}
	if (p->peer_choking && p->nreq > 0 && now - p->t_choked > BT_CHOKED_REQUEST_GRACE * 1000)
		drop_requests(w, p); /* rejects that never came */
	if (now - p->t_last_send > BT_KEEPALIVE_INTERVAL * 1000)
		bt_peer_send_keepalive(p);
	/* Keep BT_REQUEST_QUEUE_TIME seconds of this peer's rate in flight: a
	 * sender serving many peers queues their requests, so the time a request
	 * waits is longer than the network round trip. */
	p->queue_target = bt_picker_queue_target(p->rate_down, p->queue_target, p->their_reqq,
						 p->snubbed, BT_REQUEST_QUEUE_TIME,
						 BT_MIN_OUR_REQUESTS, BT_MAX_OUR_REQUESTS);
	if (p->ut_pex && now >= p->next_pex)
		send_pex(w, p, now);
	if (super_seeding(w)) {
		for (uint32_t i = 0; i < p->nss;) {
			if (p->ss[i].had_since && now - p->ss[i].had_since > BT_SS_RELEASE * 1000)
				ss_remove(p, i);
			else
				i++;
		}
		if (p->bitfield_seen || now - p->t_start > 1500)
			ss_offer(w, p);
	}
	try_unchoke(w, p);
	fill_requests(w, p);
	if (p->ninq)
		bt_peer_serve(p);
}

void bt_swarm_tick(struct bt_swarm *w, int64_t now)
{
	struct bt_peer *p, *next;

	w->rate_down = w->rate_up = 0;
	for (p = w->session->peers; p; p = next) {
		next = p->next;
		if (p->swarm == w && p->attached && !p->dead)
			tick_peer(w, p, now);
	}
	bt_swarm_connect_more(w);
}

/* ---- lifecycle and queries ---- */

int bt_swarm_new(struct bt_session *s, const struct metainfo *mi, const char *dir, bool seed_only,
		 const struct bt_swarm_config *cfg, const struct bt_swarm_callbacks *cb,
		 struct bt_swarm **out)
{
	struct bt_swarm *w;
	struct bt_bitfield have;
	const char *what = NULL;
	struct bt_wire probe;
	int r;

	*out = NULL;
	if (s->nswarms >= BT_MAX_SWARMS)
		return -ENOSPC;
	if (bt_session_find_swarm(s, mi->info_hash))
		return -EEXIST;
	w = xcalloc(1, sizeof(*w));
	w->session = s;
	w->mi = mi;
	if (cfg)
		w->cfg = *cfg;
	if (cb)
		w->cb = *cb;
	if (!w->cfg.max_unchoked)
		w->cfg.max_unchoked = 64;
	if (!w->cfg.max_peers)
		w->cfg.max_peers = 80;
	if (!w->cfg.ban_strikes)
		w->cfg.ban_strikes = 2;
	/* BEP 27: a private torrent's peers come from its tracker only. */
	if (mi->private_flag)
		w->cfg.no_pex = true;
	w->seed_only = seed_only;
	w->geo = (struct bt_wire_geometry){mi->piece_length, mi->piece_count, mi->total_length,
					   true, true};
	bt_wire_init(&probe);
	r = bt_wire_set_geometry(&probe, &w->geo);
	bt_wire_release(&probe);
	if (r) {
		free(w);
		return -EINVAL;
	}
	r = bt_storage_open(&w->storage, dir, mi, !seed_only, &what);
	if (r) {
		logger_log(&s->log, LOG_ERROR, "SWARM", "%s: cannot open %s: %s", mi->name,
			   what ? what : dir, strerror(-r));
		free(w);
		return r;
	}
	bt_picker_init(&w->picker, mi->piece_count, mi->piece_length, mi->total_length,
		       cfg && cfg->seed ? cfg->seed : s->rng ^ (uint64_t)(uintptr_t)w);
	bt_bitfield_init(&have, mi->piece_count);
	if (w->cfg.skip_recheck && seed_only && bt_storage_sizes_ok(&w->storage)) {
		/* The caller made the torrent from these very files (the
		 * server's hash cache): hashing them again would only stall
		 * the loop. Every piece is still read from disk as it is sent. */
		bt_bitfield_set_all(&have);
		r = 0;
	} else {
		r = bt_storage_recheck(&w->storage, &have);
	}
	if (r) {
		logger_log(&s->log, LOG_ERROR, "SWARM", "%s: cannot check data: %s", mi->name,
			   strerror(-r));
		bt_bitfield_release(&have);
		bt_picker_release(&w->picker);
		bt_storage_close(&w->storage);
		free(w);
		return r;
	}
	for (uint32_t i = 0; i < mi->piece_count; i++)
		if (bt_bitfield_get(&have, i))
			bt_picker_set_have(&w->picker, i);
	bt_bitfield_release(&have);
	w->complete = w->picker.have.set == mi->piece_count;
	w->complete_reported = w->complete;
	w->known = xcalloc(BT_MAX_KNOWN, sizeof(*w->known));
	w->contrib = xcalloc(mi->piece_count, sizeof(*w->contrib));
	w->ss_given = xcalloc(mi->piece_count, sizeof(*w->ss_given));
	s->swarms[s->nswarms++] = w;
	bt_lpd_announce_soon(s);
	swarm_log(w, LOG_INFO, "%u of %u pieces present%s", w->picker.have.set, mi->piece_count,
		  w->complete ? " (complete)" : "");
	*out = w;
	return 0;
}

void bt_swarm_free(struct bt_swarm *w)
{
	struct bt_session *s;

	if (!w)
		return;
	s = w->session;
	for (struct bt_peer *p = s->peers, *next; p; p = next) {
		next = p->next;
		if (p->swarm == w)
			bt_peer_close(p, "torrent removed");
	}
	/* Peers are detached; their memory goes at the session's next reap,
	 * which no longer touches the swarm. */
	for (size_t i = 0; i < s->nswarms; i++) {
		if (s->swarms[i] == w) {
			s->swarms[i] = s->swarms[--s->nswarms];
			break;
		}
	}
	for (uint32_t i = 0; i < w->mi->piece_count; i++)
		blockrec_free(&w->contrib[i]);
	free(w->contrib);
	free(w->ss_given);
	free(w->known);
	free(w->banned_ids);
	bt_picker_release(&w->picker);
	bt_storage_close(&w->storage);
	free(w);
}

void bt_swarm_get_stats(const struct bt_swarm *w, struct bt_swarm_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->total_bytes = w->mi->total_length;
	st->have_bytes = bt_picker_have_bytes(&w->picker);
	st->downloaded = w->downloaded;
	st->uploaded = w->uploaded;
	st->wasted = w->wasted;
	st->piece_count = w->mi->piece_count;
	st->pieces_have = w->picker.have.set;
	st->peers = w->npeers;
	for (const struct bt_peer *p = w->session->peers; p; p = p->next)
		if (p->swarm == w && p->attached && bt_bitfield_full(&p->have))
			st->seeds++;
	if (w->mi->piece_count > 0) {
		uint32_t lo = UINT16_MAX, above = 0;
		for (uint32_t i = 0; i < w->mi->piece_count; i++)
			lo = MIN(lo, (uint32_t)w->picker.avail[i]);
		for (uint32_t i = 0; i < w->mi->piece_count; i++)
			above += w->picker.avail[i] > lo;
		st->copies = lo + (double)above / w->mi->piece_count;
	}
	st->known = w->nknown;
	st->bad_pieces = w->bad_pieces;
	st->banned = w->banned;
	st->rate_down = w->rate_down;
	st->rate_up = w->rate_up;
}

size_t bt_swarm_peer_bytes(const struct bt_swarm *w, struct bt_peer_bytes *out, size_t max)
{
	size_t n = 0;

	for (uint32_t i = 0; i < w->nknown && n < max; i++) {
		const struct bt_known *k = &w->known[i];

		if (!k->connected && !k->down_bytes && !k->up_bytes)
			continue;
		out[n] = (struct bt_peer_bytes){
			.addr = k->addr.sin_addr,
			.port = ntohs(k->addr.sin_port),
			.connected = k->connected,
			.has_id = k->has_id,
			.down = k->down_bytes,
			.up = k->up_bytes,
		};
		memcpy(out[n].peer_id, k->peer_id, 20);
		n++;
	}
	return n;
}

void bt_swarm_retry_now(struct bt_swarm *w)
{
	for (uint32_t i = 0; i < w->nknown; i++)
		if (!w->known[i].connected && !w->known[i].banned)
			w->known[i].next_try = 0;
	bt_swarm_connect_more(w);
}

bool bt_swarm_complete(const struct bt_swarm *w)
{
	return w->complete;
}

const uint8_t *bt_swarm_info_hash(const struct bt_swarm *w)
{
	return w->mi->info_hash;
}
