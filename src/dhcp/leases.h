/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The lease table: one slot per address of the dynamic range, found by
 * address (an index) or by MAC (an open-addressing hash). Pure in memory;
 * the file is separate (dhcp_leases_open/flush/save) so the policy stays a
 * function of packet + table.
 *
 * The file is text, one lease per line:
 *   lease 52:54:00:12:34:56 10.77.0.100 1764151200 bound hostname
 * Changes are appended as new lines (a journal; a later line for an address
 * replaces an earlier one) and fsync'd once per flush, so a burst of
 * requests costs one fsync. When the journal grows past a few times the
 * number of live leases, the whole table is rewritten to a temporary file,
 * fsync'd and renamed over the old one. Loading skips lines it cannot
 * read, so a torn last line after a crash loses only that change.
 */
#ifndef BT_DHCP_LEASES_H
#define BT_DHCP_LEASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp/dhcp.h"
#include "util/buf.h"
#include "util/util.h"

enum dhcp_lease_state {
	DHCP_LEASE_FREE = 0, /* never used, or released: first choice for new clients */
	DHCP_LEASE_OFFERED,  /* reserved for mac until expires */
	DHCP_LEASE_BOUND,    /* leased to mac until expires */
	DHCP_LEASE_DECLINED, /* in use by someone unknown: unusable until expires */
	DHCP_LEASE_RESERVED, /* a fixed host's address inside the range: never dynamic */
};

struct dhcp_lease {
	uint8_t mac[6];
	bool has_mac; /* mac is set (and in the MAC index) */
	uint8_t state;
	bool dirty; /* queued for the journal */
	uint32_t ip;
	int64_t expires; /* Unix time */
	char hostname[DHCP_NAME_MAX];
};

struct dhcp_leases;

/* One line of the lease file, as read. host points into the line. */
struct dhcp_lease_line {
	bool has_mac;
	uint8_t mac[6];
	uint32_t ip; /* host order */
	int64_t expires;
	enum dhcp_lease_state state; /* never DHCP_LEASE_RESERVED */
	const char *host;	     /* "" for "-" */
};

/* Parses one line of the lease file (without its newline), cutting it in
 * place: 0 for a lease, 1 for a blank or comment line, -1 for anything
 * else (the loader skips such lines). Pure: `boottorrent ssh` reads the
 * file of a running server with it. */
int dhcp_lease_line_parse(char *line, struct dhcp_lease_line *out) WUR;

/* A table for [start, end] (at most DHCP_MAX_RANGE addresses; start 0 = an
 * empty range). Returns NULL when the range is invalid. */
struct dhcp_leases *dhcp_leases_new(uint32_t start, uint32_t end);
void dhcp_leases_free(struct dhcp_leases *l);

size_t dhcp_leases_size(const struct dhcp_leases *l);
/* The slot for ip, or NULL when ip is outside the range. */
struct dhcp_lease *dhcp_leases_by_ip(struct dhcp_leases *l, uint32_t ip);
/* The slot holding mac (bound, offered or expired but not reused), or NULL. */
struct dhcp_lease *dhcp_leases_by_mac(struct dhcp_leases *l, const uint8_t mac[6]);
/* True when the slot can be given to mac at time now. */
bool dhcp_lease_usable(const struct dhcp_lease *e, const uint8_t mac[6], int64_t now);
/* Picks an address for mac: its own slot if usable, else the requested
 * address if usable (0 = none), else a never-used or released address,
 * else the longest-expired one, else the oldest offer made to another
 * client. NULL when every address is leased, declined or reserved. */
struct dhcp_lease *dhcp_leases_pick(struct dhcp_leases *l, const uint8_t mac[6], uint32_t requested,
				    int64_t now);
/* Updates a slot: owner (mac NULL = none), state, expiry and host name
 * (NULL = keep), moving the MAC index and queueing the slot for the
 * journal. A MAC holds at most one slot: its previous one is freed. */
void dhcp_leases_set(struct dhcp_leases *l, struct dhcp_lease *e, const uint8_t *mac,
		     enum dhcp_lease_state state, int64_t expires, const char *hostname);
/* Marks ip (a fixed host's address) as never given out dynamically. */
void dhcp_leases_reserve(struct dhcp_leases *l, uint32_t ip);

/* Loads path if it exists (tolerating bad lines; leases that have expired
 * are dropped) and keeps it open for the journal. Returns 0, or a negative
 * errno when the file cannot be created or read. *bad gets the number of
 * lines skipped. */
int dhcp_leases_open(struct dhcp_leases *l, const char *path, int64_t now, size_t *bad) WUR;
/* Appends every changed slot to the journal and fsyncs once; compacts
 * when the journal is long. 0 or a negative errno. No-op without a file. */
int dhcp_leases_flush(struct dhcp_leases *l, int64_t now) WUR;
/* The journal in two steps, so the fsync can run off the event loop:
 * take appends a line per changed slot to out (nothing without a file)
 * and returns how many; write_journal writes them to fd (the value of
 * journal_fd when they were taken) and fdatasyncs. 0 or a negative errno.
 * Offers are never journaled. */
size_t dhcp_leases_journal_take(struct dhcp_leases *l, struct buf *out);
int dhcp_leases_journal_fd(const struct dhcp_leases *l);
int dhcp_leases_write_journal(int fd, const void *data, size_t len) WUR;
/* True when the journal is long enough that dhcp_leases_save() should
 * rewrite the file (never while a journal write is in flight). */
bool dhcp_leases_want_compact(const struct dhcp_leases *l);
/* Rewrites the whole file atomically (temp file, fsync, rename, fsync of
 * the folder). 0 or a negative errno. */
int dhcp_leases_save(struct dhcp_leases *l, int64_t now) WUR;
/* Number of changes waiting for dhcp_leases_flush(). */
size_t dhcp_leases_pending(const struct dhcp_leases *l);
const char *dhcp_lease_state_name(enum dhcp_lease_state s);
/* Room for one journal line: "lease", MAC, address, expiry (any int64),
 * state, a host name of up to DHCP_NAME_MAX - 1 characters, newline, NUL. */
#define DHCP_LEASE_LINE_MAX (6 + 18 + 16 + 21 + 10 + DHCP_NAME_MAX + 2)
/* Formats e as its journal line (ending in a newline, NUL-terminated) and
 * returns its length: "lease MAC|- IP EXPIRES STATE HOST|-", the host name
 * kept to the characters [A-Za-z0-9._-]. */
size_t dhcp_lease_format(char out[DHCP_LEASE_LINE_MAX], const struct dhcp_lease *e);

#endif
