/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The fleet model: one record per client machine, joined from what each
 * service sees, behind the status page, /api/status, /metrics and
 * `boottorrent status`.
 *
 * A record is keyed by MAC address when one is known (DHCP, agent reports)
 * and by IPv4 address otherwise (a tracker peer with a static address, an
 * outside seeder). DHCP acknowledgements and agent reports teach the model
 * which address belongs to which MAC; when an address record's address is
 * later learned for a MAC, the two records merge.
 *
 * The model is pure data: no sockets, no timers, no globals. Every input is
 * a plain value (not another module's struct), and time comes from a clock
 * function given at creation, so tests drive it with a fake clock. The
 * server calls fleet_tick() once a second to take throughput samples.
 *
 * Every string from outside (DHCP hostnames, vendor classes, file paths,
 * OS names, log lines) is copied into a fixed-size field, cut at a UTF-8
 * character boundary, with control characters and invalid UTF-8 replaced,
 * so the views never see bytes they cannot print. Agent reports are
 * stricter: a bad field rejects the whole report (fleet_report_parse).
 *
 * Memory is bounded: at most max_machines records (default 10,000; the
 * least recently heard-from record is evicted for a new one), a fixed
 * throughput history, a fixed log tail and a fixed torrent table.
 */
#ifndef BT_SERVER_FLEET_H
#define BT_SERVER_FLEET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define FLEET_DEFAULT_MAX_MACHINES 10000
/* Throughput samples kept, one per second: ten minutes. */
#define FLEET_HISTORY 600
/* Log lines kept, and the longest kept (in bytes, before the NUL). */
#define FLEET_LOG_LINES 100
#define FLEET_LOG_LINE_MAX 239
/* Distinct torrents remembered (each environment has a few OSes). */
#define FLEET_MAX_TORRENTS 64
/* The largest agent report body accepted, in bytes. */
#define FLEET_REPORT_MAX 4096

/* Field sizes (bytes, including the NUL). */
#define FLEET_HOSTNAME_SIZE 64
#define FLEET_ARCH_SIZE 24
#define FLEET_VENDOR_SIZE 64
#define FLEET_OS_SIZE 64
#define FLEET_METHOD_SIZE 24
#define FLEET_ERROR_SIZE 200
#define FLEET_FILE_SIZE 128

/* Positive results for bad input from outside. */
enum {
	FLEET_E_MALFORMED = 1, /* an agent report that does not parse or validate */
	FLEET_E_TOO_BIG = 2,   /* an agent report over FLEET_REPORT_MAX */
};

/* The phases of a machine, in the order a boot goes through them. */
enum fleet_phase {
	FLEET_PHASE_SEEN = 0,	 /* only seen as a peer or a file client, no DHCP yet */
	FLEET_PHASE_DHCP,	 /* got an address from our DHCP */
	FLEET_PHASE_PHASE1,	 /* fetching the bootloader and phase 1 */
	FLEET_PHASE_MENU,	 /* the agent shows its menu */
	FLEET_PHASE_DOWNLOADING, /* downloading an OS, progress in permille */
	FLEET_PHASE_SEEDING,	 /* has the whole OS and seeds it */
	FLEET_PHASE_BOOTED,	 /* the agent handed over to the OS (kexec, ...) */
	FLEET_PHASE_FAILED,	 /* the agent reported an error */
	FLEET_PHASE_COUNT,
};

/* "seen", "dhcp", "phase1", "menu", "downloading", "seeding", "booted",
 * "failed". */
const char *fleet_phase_name(enum fleet_phase p);

enum fleet_dhcp_event {
	FLEET_DHCP_DISCOVER, /* asked for an address; ip is ignored */
	FLEET_DHCP_ACK,	     /* ip was given to mac */
	FLEET_DHCP_RELEASE,  /* mac gave its address back */
};

enum fleet_proto {
	FLEET_PROTO_TFTP,
	FLEET_PROTO_HTTP,
};

enum fleet_tracker_event {
	FLEET_TRACKER_NONE, /* a regular announce */
	FLEET_TRACKER_STARTED,
	FLEET_TRACKER_COMPLETED,
	FLEET_TRACKER_STOPPED,
};

/* One machine. Read-only for everyone but fleet.c; valid until the next
 * call that changes the fleet. Times are the clock's milliseconds. */
struct fleet_machine {
	bool has_mac;
	uint8_t mac[6];
	struct in_addr ip; /* INADDR_ANY when unknown */
	char hostname[FLEET_HOSTNAME_SIZE];
	char arch[FLEET_ARCH_SIZE]; /* from DHCP option 93, e.g. "x64-uefi" */
	char vendor_class[FLEET_VENDOR_SIZE];
	char os[FLEET_OS_SIZE];		 /* the OS chosen or being downloaded */
	char method[FLEET_METHOD_SIZE];	 /* boot method the agent uses: kexec, ... */
	char error[FLEET_ERROR_SIZE];	 /* the reason when phase is FAILED */
	char last_file[FLEET_FILE_SIZE]; /* the last boot file fetched */
	enum fleet_phase phase;
	bool booting;	   /* BOOTED was reported as "booting" (about to hand over) */
	unsigned progress; /* permille of the OS downloaded */
	enum fleet_proto last_proto;
	unsigned files;	     /* boot files fetched (TFTP and HTTP) */
	uint64_t file_bytes; /* boot file bytes sent to it */
	/* From the tracker: the latest announce. */
	bool has_torrent;
	uint8_t info_hash[20];
	uint16_t peer_port;
	uint64_t left, total, uploaded, downloaded;
	/* Bytes per second: from the agent when it reported them lately,
	 * else estimated from successive announces. */
	uint64_t rate, up_rate;
	int peers; /* connected peers the agent reported; -1 unknown */
	/* Where the agent says its bytes came from (when agent_counts). */
	bool agent_counts;
	uint64_t from_server, from_peers;
	int64_t first_seen, last_seen, phase_since;

	/* Internal to fleet.c. */
	int64_t rate_at, agent_rate_at;
	struct fleet_machine *lru_prev, *lru_next; /* most recent first */
	struct fleet_machine *key_next, *ip_next;  /* hash chains */
	bool ip_indexed;
};

/* What the swarm as a whole did, since the fleet was created. Monotonic. */
struct fleet_swarm {
	/* Bytes the server's own seeder uploaded (fleet_server_upload). */
	uint64_t server_upload;
	/* Bytes client peers uploaded, as they report in their tracker
	 * announces (the sum of each peer session's growth of `uploaded`).
	 * Seeds do not download, so the server takes no part in this: it is
	 * the traffic between clients, the work BootTorrent saves the server.
	 * It is an estimate: peers report it themselves, and what a peer sent
	 * after its last announce is counted at its next one. */
	uint64_t peer_upload;
	/* The same for `downloaded`: bytes clients received from anyone. */
	uint64_t peer_download;
	/* Boot file bytes sent over TFTP and HTTP (bootloaders, phase 1). */
	uint64_t boot_file_bytes;
	uint64_t reports, reports_rejected, evicted;
};

/* A torrent the tracker told us about. */
struct fleet_torrent {
	uint8_t info_hash[20];
	char name[FLEET_OS_SIZE];
	uint64_t size;
};

struct fleet_sample {
	uint64_t server; /* bytes per second the server uploaded */
	uint64_t peers;	 /* bytes per second clients uploaded */
};

struct fleet_opts {
	size_t max_machines; /* 0 = FLEET_DEFAULT_MAX_MACHINES */
	/* Milliseconds; NULL = the wall clock (CLOCK_REALTIME). */
	int64_t (*now_ms)(void *ctx);
	void *clock_ctx;
};

struct fleet;

/* Creates an empty fleet (o may be NULL for the defaults). Never NULL. */
struct fleet *fleet_new(const struct fleet_opts *o);
/* NULL is a no-op. */
void fleet_free(struct fleet *f);

/* Announces from this address are the server's own seeder: they are not a
 * machine and do not count as peer traffic. INADDR_ANY clears it. */
void fleet_set_server_ip(struct fleet *f, struct in_addr ip);

/* DHCP saw mac. arch is the option 93 value or -1; vendor_class (option 60)
 * and hostname (option 12) may be NULL. A DISCOVER from a PXE firmware
 * (vendor class "PXEClient...") starts a new boot: phase DHCP, progress
 * and error cleared. Other DHCP traffic (phase 1's own lease, the booted
 * OS's) only updates the address and names. */
void fleet_dhcp(struct fleet *f, const uint8_t mac[6], struct in_addr ip, int arch,
		const char *vendor_class, const char *hostname, enum fleet_dhcp_event ev);

/* The client at ip fetched path over proto; bytes were sent for it; done
 * says the transfer completed. A machine in phase DHCP (or unknown) moves
 * to PHASE1. */
void fleet_boot_file(struct fleet *f, struct in_addr ip, const char *path, enum fleet_proto proto,
		     uint64_t bytes, bool done);

/* A tracker announce from ip:port for info_hash (os_name, the OS the
 * torrent carries, may be NULL), with the peer's own counters. left > 0
 * means DOWNLOADING with progress (total - left) / total, left == 0
 * SEEDING, except that a machine the agent reported BOOTED or FAILED keeps
 * that phase until a STARTED announce. An address that maps to no MAC gets
 * its own record. */
void fleet_tracker(struct fleet *f, struct in_addr ip, uint16_t port, const uint8_t info_hash[20],
		   const char *os_name, uint64_t left, uint64_t total, uint64_t uploaded,
		   uint64_t downloaded, enum fleet_tracker_event ev);

/* An agent report, parsed. Numbers are -1 when absent. */
struct fleet_report {
	bool has_mac;
	uint8_t mac[6];
	bool has_ip;
	struct in_addr ip;
	enum fleet_phase phase; /* PHASE1 .. FAILED */
	bool booting;		/* "booting" rather than "booted" */
	char os[FLEET_OS_SIZE];
	char method[FLEET_METHOD_SIZE];
	char error[FLEET_ERROR_SIZE];
	char hostname[FLEET_HOSTNAME_SIZE];
	int progress;	 /* permille, 0..1000 */
	int peers;	 /* 0..100000 */
	int64_t rate;	 /* download bytes/s */
	int64_t up_rate; /* upload bytes/s */
	/* The agent's own byte counts for this download. */
	int64_t downloaded, uploaded, from_server, from_peers;
};

/* Parses an agent report body into *out: a flat JSON object (what the
 * agent sends, Content-Type application/json) when the body starts with
 * '{', else application/x-www-form-urlencoded (docs/status.md has both).
 * Returns 0, FLEET_E_TOO_BIG, or FLEET_E_MALFORMED with *why (when why is
 * not NULL) pointing at a static one-line reason. Pure. */
int fleet_report_parse(const char *body, size_t len, struct fleet_report *out,
		       const char **why) WUR;

/* Applies a parsed report; from is the address the report came from, used
 * when the report names no ip. A report with neither a MAC nor an address
 * applies to the machine at that address. */
void fleet_report_apply(struct fleet *f, const struct fleet_report *r, struct in_addr from);

/* fleet_report_parse then fleet_report_apply; counts rejected reports.
 * Same results as fleet_report_parse; a report with no MAC and no address
 * at all (from is INADDR_ANY too) is FLEET_E_MALFORMED. */
int fleet_agent_report(struct fleet *f, const char *body, size_t len, struct in_addr from,
		       const char **why) WUR;

/* The server's seeder uploaded bytes more. */
void fleet_server_upload(struct fleet *f, uint64_t bytes);

/* Appends a line to the log tail (copied, cleaned, cut to
 * FLEET_LOG_LINE_MAX bytes). */
void fleet_log(struct fleet *f, const char *line);

/* Closes the throughput samples of the seconds that ended. Call once a
 * second from a timer (inputs close seconds too, so bytes are counted in
 * the second they arrive in; a peer's upload is spread over the seconds
 * since its previous announce). */
void fleet_tick(struct fleet *f);

/* ---- reading ---- */

int64_t fleet_now(const struct fleet *f);
size_t fleet_count(const struct fleet *f);
/* Machines, most recently heard from first: pass NULL for the first. */
const struct fleet_machine *fleet_next(const struct fleet *f, const struct fleet_machine *m);
const struct fleet_machine *fleet_find_mac(const struct fleet *f, const uint8_t mac[6]);
/* The machine that holds ip (a MAC record or an address record). */
const struct fleet_machine *fleet_find_ip(const struct fleet *f, struct in_addr ip);
const struct fleet_swarm *fleet_swarm(const struct fleet *f);
/* Sum of the sizes of the torrents seen: what "one copy" is. */
uint64_t fleet_image_bytes(const struct fleet *f);
size_t fleet_torrent_count(const struct fleet *f);
const struct fleet_torrent *fleet_torrent_at(const struct fleet *f, size_t i);
/* Copies up to cap closed samples, oldest first, into out; returns how
 * many. *end_ms (may be NULL) is the end of the newest sample's second. */
size_t fleet_history(const struct fleet *f, struct fleet_sample *out, size_t cap, int64_t *end_ms);
size_t fleet_log_count(const struct fleet *f);
/* Line i of the tail, oldest first (i < fleet_log_count). */
const char *fleet_log_line(const struct fleet *f, size_t i);

/* "aa:bb:cc:dd:ee:ff" into out (at least 18 bytes). */
void fleet_mac_format(char *out, const uint8_t mac[6]);
/* The length of the valid UTF-8 character at p (1..4), or 0 when the bytes
 * there are not one (overlong, surrogate, past U+10FFFF, cut short). */
size_t fleet_utf8_char(const uint8_t *p, size_t len);
/* Copies src (len bytes) into dst (cap >= 1 bytes, NUL-terminated), turning
 * control characters and invalid UTF-8 into '?' and cutting at a character
 * boundary. */
void fleet_text_copy(char *dst, size_t cap, const char *src, size_t len);
/* The name of a DHCP option 93 architecture ("bios", "x64-uefi", ...),
 * into out; "arch N" for others. */
void fleet_arch_name(char *out, size_t cap, int arch);

#endif
