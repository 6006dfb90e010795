/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Tells the server what this machine is doing: a small HTTP POST of a JSON
 * object to http://SERVER:PORT/api/report (docs/agent.md has the format).
 * Best effort: one request in flight, newer reports replace a pending one,
 * a 2 s timeout, and nothing ever waits for it unless asked to
 * (agent_reporter_flush before kexec).
 */
#ifndef BT_AGENT_REPORT_H
#define BT_AGENT_REPORT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/util.h"

#define AGENT_REPORT_PATH "/api/report"
#define AGENT_REPORT_MAX 4096 /* bytes of one body */

enum agent_phase {
	AGENT_PHASE_MENU = 0,
	AGENT_PHASE_DOWNLOADING,
	AGENT_PHASE_SEEDING,
	AGENT_PHASE_BOOTING,
	AGENT_PHASE_FAILED,
};

struct agent_report {
	const char *mac; /* "aa:bb:cc:dd:ee:ff" or NULL */
	const char *ip;	 /* our address or NULL */
	enum agent_phase phase;
	const char *os;	    /* folder name or NULL */
	const char *method; /* "kexec", "bin", "bin-qemu-x86_64" or NULL */
	double progress;    /* 0..1 of the download */
	const char *error;  /* NULL unless something failed */
	/* Details for the status page; all may be 0. */
	uint64_t have_bytes, total_bytes;
	uint64_t downloaded, uploaded;
	uint64_t from_server, from_peers; /* UINT64_MAX: unknown */
	double rate_down, rate_up;	  /* bytes/s */
	uint32_t peers;
};

const char *agent_phase_name(enum agent_phase p);
/* Writes the JSON object for r into out (appended). 0 or -E2BIG. */
int agent_report_json(const struct agent_report *r, struct buf *out) WUR;

struct event_base;
struct agent_reporter;

/* A reporter for base that posts to server:port. NULL server: reports are
 * dropped (no server known). */
struct agent_reporter *agent_reporter_new(struct event_base *base, const struct in_addr *server,
					  uint16_t port);
void agent_reporter_free(struct agent_reporter *rp);
/* Queues r (copied). Never blocks. */
void agent_reporter_send(struct agent_reporter *rp, const struct agent_report *r);
/* Runs base until nothing is pending or timeout_ms passed. */
void agent_reporter_flush(struct agent_reporter *rp, uint32_t timeout_ms);
/* Reports sent and answered with 2xx, and failures (for the test view). */
void agent_reporter_counts(const struct agent_reporter *rp, uint32_t *ok, uint32_t *failed);

#endif
