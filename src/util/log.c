/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

static const char *const level_names[] = {"error", "warn", "info", "debug"};

#define MAX_COMPONENTS 16

static struct {
	enum log_level level;
	FILE *file;
	struct {
		char name[16];
		enum log_level level;
	} comp[MAX_COMPONENTS];
	size_t ncomp;
	void (*tap)(void *ctx, const char *line);
	void *tap_ctx;
} g_log = {.level = LOG_INFO};

void log_set_tap(void (*fn)(void *ctx, const char *line), void *ctx)
{
	g_log.tap = fn;
	g_log.tap_ctx = ctx;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_WARN;
		return 0;
	}
	return -1;
}

const char *log_level_name(enum log_level lvl)
{
	return (size_t)lvl < ARRAY_SIZE(level_names) ? level_names[lvl] : "?";
}

void log_set_level(enum log_level lvl)
{
	g_log.level = lvl;
}

int log_set_component_level(const char *component, enum log_level lvl)
{
	size_t i;

	if (strlen(component) >= sizeof(g_log.comp[0].name))
		return -1;
	for (i = 0; i < g_log.ncomp; i++)
		if (strcasecmp(g_log.comp[i].name, component) == 0)
			break;
	if (i == g_log.ncomp) {
		if (g_log.ncomp == MAX_COMPONENTS)
			return -1;
		snprintf(g_log.comp[i].name, sizeof(g_log.comp[i].name), "%s", component);
		g_log.ncomp++;
	}
	g_log.comp[i].level = lvl;
	return 0;
}

void log_set_file(FILE *f)
{
	g_log.file = f;
}

int log_enabled(enum log_level lvl, const char *component)
{
	if (component) {
		for (size_t i = 0; i < g_log.ncomp; i++)
			if (strcasecmp(g_log.comp[i].name, component) == 0)
				return lvl <= g_log.comp[i].level;
	}
	return lvl <= g_log.level;
}

void log_vmsg(enum log_level lvl, const char *component, const char *fmt, va_list ap)
{
	FILE *f = g_log.file ? g_log.file : stderr;
	char stamp[32] = "";
	char line[1200];
	int n;

	if (!log_enabled(lvl, component))
		return;
	/* A terminal shows the time already; files and journals want it. */
	if (g_log.file || !isatty(fileno(f))) {
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S ", &tm);
	}
	n = snprintf(line, sizeof(line), "%s%s%s: ", component ? component : "",
		     component ? ": " : "", log_level_name(lvl));
	if (n > 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	flockfile(f);
	fprintf(f, "%s%s\n", stamp, line);
	funlockfile(f);
	fflush(f);
	if (g_log.tap)
		g_log.tap(g_log.tap_ctx, line);
}

void log_msg(enum log_level lvl, const char *component, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, component, fmt, ap);
	va_end(ap);
}

void logger_log(const struct logger *lg, enum log_level lvl, const char *component,
		const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!lg || !lg->fn || lvl > lg->level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lg->fn(lg->ctx, lvl, component, msg);
}

void logger_warn_limited(const struct logger *lg, struct log_ratelimit *rl, unsigned per_sec,
			 const char *component, const char *what, const char *fmt, ...)
{
	int64_t now = (int64_t)time(NULL);
	char msg[512];
	va_list ap;

	if (now != rl->sec) {
		if (rl->count > per_sec)
			logger_log(lg, LOG_WARN, component, "%u more %s not logged",
				   rl->count - per_sec, what);
		rl->sec = now;
		rl->count = 0;
	}
	if (rl->count++ >= per_sec)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logger_log(lg, LOG_WARN, component, "%s", msg);
}

static void default_sink(void *ctx, enum log_level lvl, const char *component, const char *msg)
{
	log_msg(lvl, component, "%s", msg);
}

struct logger log_default_logger(void)
{
	enum log_level max = g_log.level;
	for (size_t i = 0; i < g_log.ncomp; i++)
		max = MAX(max, g_log.comp[i].level);
	return (struct logger){.fn = default_sink, .level = max};
}
