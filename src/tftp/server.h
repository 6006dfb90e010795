/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The TFTP server (read-only): one listening UDP socket, one socket per
 * transfer bound to the address the request arrived on.
 *
 * Threads: the listening socket lives on the caller's libevent event_base;
 * there requests are parsed, the limits applied and files opened. Each
 * transfer then runs on one of cfg.workers transfer threads, each with its
 * own event_base, chosen by fewest transfers (with workers = 1 it runs on
 * the caller's event_base, as everything did before). Most of a block's
 * cost is in the kernel inside sendmsg (on loopback even the receiver's
 * delivery), so one thread would serialise all clients on one CPU. Every
 * callback and log line still comes on the caller's thread, from its
 * event_base, so the caller needs no locks; call the functions below on
 * that thread too.
 *
 * Files are opened beneath the root with openat2(RESOLVE_BENEATH), so "..",
 * absolute symlinks and symlinks that leave the root are refused; a leading
 * '/' in a request is stripped (pxelinux sends absolute paths). All
 * transfers of the same file (same device and inode) share one open file
 * descriptor; each octet transfer reads it with pread in 32 KiB chunks, read
 * ahead after a send, so most blocks go out straight from memory (recvfrom
 * and sendmsg per block, one epoll_wait per batch). Nothing is loaded whole
 * into memory and nothing is mapped, so a file truncated under a transfer
 * only ends that transfer early.
 *
 * Services do not print: the server reports through the logger it is given
 * (component "TFTP") and through callbacks for the fleet view.
 *
 * IPv4 only for now.
 */
#ifndef BT_TFTP_SERVER_H
#define BT_TFTP_SERVER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/log.h"
#include "util/util.h"

struct event_base;
struct tftp_server;

/* Defaults for fields left 0 in struct tftp_config. */
#define TFTP_DEFAULT_MAX_TRANSFERS 512
#define TFTP_DEFAULT_MAX_PER_CLIENT 8
#define TFTP_DEFAULT_MAX_WINDOWSIZE 64
#define TFTP_DEFAULT_TIMEOUT_MS 1000
#define TFTP_DEFAULT_RETRIES 6
/* workers = 0 means one per online CPU, but no more than this: past a few
 * threads the clients' own CPU time, not ours, limits a boot storm. */
#define TFTP_WORKERS_AUTO_MAX 4
#define TFTP_WORKERS_MAX 64

struct tftp_config {
	const char *root;	 /* the folder served (required) */
	const char *address;	 /* IPv4 address to listen on; NULL = 0.0.0.0 */
	uint16_t port;		 /* 0 picks an ephemeral port (tests); use 69 */
	unsigned max_transfers;	 /* concurrent transfers in all */
	unsigned max_per_client; /* concurrent transfers per client address */
	unsigned max_blksize;	 /* 0 = 65464; also lowered to MTU - 32 */
	unsigned max_windowsize; /* 0 = 64 */
	unsigned timeout_ms;	 /* retransmission timeout (a shorter one negotiated wins) */
	unsigned retries;	 /* retransmissions of one packet before giving up */
	unsigned workers;	 /* transfer threads: 0 = per CPU (at most 4), 1 = the caller's */
	/* Transfer threads send their DATA packets in batches through
	 * io_uring where the kernel allows it (tftp/sendq.h); true sends each
	 * with its own sendmsg, as the caller's thread always does (for
	 * tests and before/after benchmarks). */
	bool no_batch;
};

enum tftp_event {
	TFTP_EV_START,	 /* a transfer began (after the file opened) */
	TFTP_EV_DONE,	 /* the last block was acknowledged */
	TFTP_EV_FAILED,	 /* timed out, cancelled by the client, read error */
	TFTP_EV_REFUSED, /* a request answered with an ERROR (not found, ...) */
};

/* What a callback is told. Pointers are valid during the call only. */
struct tftp_xfer_info {
	struct sockaddr_in client;
	const char *path; /* as requested (after stripping leading '/') */
	uint64_t size;	  /* file size in bytes, or UINT64_MAX if unknown */
	uint64_t bytes;	  /* payload bytes acknowledged so far */
	unsigned blksize, windowsize;
	int error;	    /* TFTP error code sent or received, else -1 */
	const char *reason; /* a short text for FAILED and REFUSED, else NULL */
};

struct tftp_callbacks {
	void (*event)(void *ctx, enum tftp_event ev, const struct tftp_xfer_info *info);
	void *ctx;
};

/* Counters for status pages and tests. */
struct tftp_stats {
	unsigned active;     /* transfers in progress */
	unsigned open_files; /* distinct files open */
	uint64_t started, done, failed, refused;
	uint64_t dropped; /* datagrams ignored (malformed, over caps) */
	uint64_t retransmits;
};

/* Opens the root, binds the listening socket and starts serving on base.
 * cfg is copied; lg and cbs (which may be NULL) must outlive the server.
 * Returns 0 and *out, or a negative errno (the reason, with advice for
 * EACCES and EADDRINUSE, is logged). */
int tftp_server_new(struct event_base *base, const struct tftp_config *cfg, const struct logger *lg,
		    const struct tftp_callbacks *cbs, struct tftp_server **out) WUR;

/* Stops serving: stops and joins the transfer threads, aborts every
 * transfer (no callbacks), closes all sockets and files. Call it on the
 * caller's thread. NULL is a no-op. */
void tftp_server_free(struct tftp_server *srv);

/* The port actually bound (useful with cfg->port == 0). */
uint16_t tftp_server_port(const struct tftp_server *srv);

/* The number of transfer threads in use (1: the caller's thread). */
unsigned tftp_server_workers(const struct tftp_server *srv);

void tftp_server_stats(const struct tftp_server *srv, struct tftp_stats *out);

/* Maps a request's filename to a path relative to the root: leading '/'
 * are stripped. Returns NULL when nothing is left. The result points into
 * name. Exposed for tests. */
const char *tftp_path_relative(const char *name);

#endif
