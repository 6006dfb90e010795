/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Logging for roles and commands. Lines look like
 *   2026-11-26 08:30:01 DHCP: info: offer 10.0.0.5 to 52:54:00:12:34:56
 * Services do not call this directly: they report through a struct logger
 * handed to them, so tests can capture what they say.
 */
#ifndef BT_UTIL_LOG_H
#define BT_UTIL_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "util/util.h"

enum log_level {
	LOG_ERROR = 0,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
};

/* A sink that services report through. fn may be NULL (silent). */
struct logger {
	void (*fn)(void *ctx, enum log_level lvl, const char *component, const char *msg);
	void *ctx;
	enum log_level level; /* messages above this level are not formatted */
};

void logger_log(const struct logger *lg, enum log_level lvl, const char *component,
		const char *fmt, ...) PRINTF_LIKE(4, 5);

/* A budget of warnings per second, so that a flood of bad input from the
 * network cannot fill the log. Zero-initialise it. */
struct log_ratelimit {
	int64_t sec;	/* the second being counted */
	unsigned count; /* messages asked for in it */
};

/* Logs a warning through lg unless more than per_sec were asked for in the
 * current second; the first one of a new second also says how many of the
 * previous second's were dropped ("N more WHAT not logged"). */
void logger_warn_limited(const struct logger *lg, struct log_ratelimit *rl, unsigned per_sec,
			 const char *component, const char *what, const char *fmt, ...)
	PRINTF_LIKE(6, 7);

/* Parses "error", "warn", "info", "debug"; returns 0 or -1. */
int log_level_parse(const char *s, enum log_level *out) WUR;
const char *log_level_name(enum log_level lvl);

/* The process-wide sink used by roles and commands: writes to stderr (or
 * the file given to log_set_file) with a timestamp when not a terminal. */
void log_set_level(enum log_level lvl);
/* Per-component level ("DHCP", "TFTP", ...), overriding the global one. */
int log_set_component_level(const char *component, enum log_level lvl);
void log_set_file(FILE *f);
void log_msg(enum log_level lvl, const char *component, const char *fmt, ...)
	PRINTF_LIKE(3, 4);
void log_vmsg(enum log_level lvl, const char *component, const char *fmt, va_list ap)
	PRINTF_LIKE(3, 0);
/* True when a message of this level for this component would be printed. */
int log_enabled(enum log_level lvl, const char *component);
/* Also hands every printed line ("COMPONENT: level: message", no time, no
 * newline) to fn, e.g. for a status page's log tail; NULL stops it. */
void log_set_tap(void (*fn)(void *ctx, const char *line), void *ctx);
/* A struct logger that forwards to log_msg. */
struct logger log_default_logger(void);

#endif
