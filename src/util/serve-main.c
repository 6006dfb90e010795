/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "util/log.h"
#include "util/parse.h"
#include "util/serve-main.h"
#include "util/util.h"

/* getopt_long's values for the numeric flags: above every character. */
#define NUM_OPT_FIRST 256
#define FLAG_OPT_FIRST (NUM_OPT_FIRST + SERVE_NUM_OPTS_MAX)

static int num(const char *prog, const char *opt, const char *s, uint64_t max, unsigned *out)
{
	uint64_t v;

	if (parse_u64_str(s, max, &v) < 0) {
		fprintf(stderr, "%s: --%s: '%s' is not a number up to %llu\n", prog, opt, s,
			(unsigned long long)max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int serve_port_file_write(const char *prog, const char *path, unsigned port)
{
	FILE *f;
	int e;

	if (!path)
		return 0;
	f = fopen(path, "w");
	if (!f)
		goto fail;
	if (fprintf(f, "%u\n", port) < 0) {
		e = errno;
		(void)fclose(f);
		errno = e;
		goto fail;
	}
	if (fclose(f) == 0)
		return 0;
fail:
	e = errno;
	fprintf(stderr, "%s: cannot write %s: %s\n", prog, path, strerror(e));
	return e ? -e : -EIO;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(arg);
}

struct event_base *serve_event_base_new(void)
{
	struct event_config *ec = event_config_new();
	struct event_base *base;

	if (!ec)
		return NULL;
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	return base;
}

int serve_loop_init(struct serve_loop *l, unsigned flags)
{
	memset(l, 0, sizeof(*l));
	signal(SIGPIPE, SIG_IGN);
	if (flags & SERVE_LOOP_FD_LIMIT)
		raise_fd_limit();
	l->base = flags & SERVE_LOOP_CHANGELIST ? serve_event_base_new() : event_base_new();
	if (!l->base)
		return -ENOMEM;
	l->sigint = evsignal_new(l->base, SIGINT, on_signal, l->base);
	l->sigterm = evsignal_new(l->base, SIGTERM, on_signal, l->base);
	if (!l->sigint || !l->sigterm || event_add(l->sigint, NULL) < 0 ||
	    event_add(l->sigterm, NULL) < 0) {
		serve_loop_release(l);
		return -ENOMEM;
	}
	return 0;
}

void serve_loop_run(struct serve_loop *l)
{
	event_base_dispatch(l->base);
}

void serve_loop_release(struct serve_loop *l)
{
	if (l->sigint)
		event_free(l->sigint);
	if (l->sigterm)
		event_free(l->sigterm);
	if (l->base)
		event_base_free(l->base);
	memset(l, 0, sizeof(*l));
}

/* parse_args() returns this when the driver should go on. */
#define RUN (-1)

/* Parses argv into the driver's fields and *port_file. Returns RUN, or
 * the status to exit with (see serve_main()). */
static int parse_args(const struct serve_driver *d, int argc, char **argv, const char **port_file)
{
	/* The common flags first, the driver's own in the middle, as the
	 * drivers listed them: the order only shows in getopt's message for
	 * an ambiguous abbreviation. */
	static const struct option head[] = {
		{"root", required_argument, NULL, 'r'},
		{"address", required_argument, NULL, 'a'},
		{"port", required_argument, NULL, 'p'},
		{"port-file", required_argument, NULL, 'f'},
	};
	static const struct option tail[] = {
		{"log-level", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct option longopts[ARRAY_SIZE(head) + SERVE_NUM_OPTS_MAX + SERVE_FLAG_OPTS_MAX +
			       ARRAY_SIZE(tail)];
	const struct serve_num_opt *o;
	size_t n = 0;
	unsigned port;
	int c;

	if (d->n_nums > SERVE_NUM_OPTS_MAX || d->n_flags > SERVE_FLAG_OPTS_MAX) {
		fprintf(stderr, "%s: too many flags\n", d->prog);
		return 2;
	}
	for (size_t i = 0; i < ARRAY_SIZE(head); i++)
		longopts[n++] = head[i];
	for (size_t i = 0; i < d->n_nums; i++)
		longopts[n++] = (struct option){d->nums[i].name, required_argument, NULL,
						NUM_OPT_FIRST + (int)i};
	for (size_t i = 0; i < d->n_flags; i++)
		longopts[n++] = (struct option){d->flags[i].name, no_argument, NULL,
						FLAG_OPT_FIRST + (int)i};
	for (size_t i = 0; i < ARRAY_SIZE(tail); i++)
		longopts[n++] = tail[i];

	while ((c = getopt_long(argc, argv, "r:a:p:f:h", longopts, NULL)) != -1) {
		enum log_level lvl;
		int bad = 0;

		switch (c) {
		case 'r': *d->root = optarg; break;
		case 'a': *d->address = optarg; break;
		case 'p':
			bad = num(d->prog, "port", optarg, 65535, &port);
			if (!bad)
				*d->port = (uint16_t)port;
			break;
		case 'f': *port_file = optarg; break;
		case 'l':
			if (log_level_parse(optarg, &lvl) < 0) {
				fprintf(stderr, "%s: bad log level '%s'\n", d->prog, optarg);
				return 2;
			}
			log_set_level(lvl);
			break;
		case 'h': fputs(d->usage, stdout); return 0;
		default:
			if (c >= FLAG_OPT_FIRST && (size_t)(c - FLAG_OPT_FIRST) < d->n_flags) {
				*d->flags[c - FLAG_OPT_FIRST].out = true;
				break;
			}
			if (c < NUM_OPT_FIRST || (size_t)(c - NUM_OPT_FIRST) >= d->n_nums)
				return 2;
			o = &d->nums[c - NUM_OPT_FIRST];
			bad = num(d->prog, o->name, optarg, o->max, o->out);
		}
		if (bad)
			return 2;
	}
	if (!*d->root || optind != argc) {
		fprintf(stderr, "%s: --root DIR is required (see --help)\n", d->prog);
		return 2;
	}
	return RUN;
}

int serve_main(const struct serve_driver *d, int argc, char **argv)
{
	const char *port_file = NULL;
	struct serve_loop l;
	struct logger lg;
	int r;

	r = parse_args(d, argc, argv, &port_file);
	if (r != RUN)
		return r;
	if (serve_loop_init(&l, d->loop_flags) < 0)
		return 1;
	lg = log_default_logger();
	r = d->start(d->ctx, l.base, &lg);
	if (r < 0) {
		serve_loop_release(&l);
		return 1;
	}
	r = serve_port_file_write(d->prog, port_file, (unsigned)r);
	if (r == 0)
		serve_loop_run(&l);
	d->stop(d->ctx);
	serve_loop_release(&l);
	return r < 0 ? 1 : 0;
}
