/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `boottorrent get` and `boottorrent seed`: one torrent through the bt
 * engine, with peers from the torrent's trackers, a static --peer list and
 * PEX, and a progress line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bencode/metainfo.h"
#include "bt/bt.h"
#include "cli/cli.h"
#include "tracker/announcer.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/util.h"

#define MAX_STATIC_PEERS 64

struct run {
	const char *cmd;
	bool seed; /* the seed command */
	struct event_base *base;
	struct bt_session *session;
	struct bt_swarm *swarm;
	struct tracker_announcer *tracker;
	struct metainfo mi;
	struct event *progress;
	struct event *seed_timer;
	struct event *sigint, *sigterm;
	bool tty;
	bool stopping;
	bool interrupted;
	uint64_t seed_time; /* get: seconds to seed after completion */
	uint64_t progress_every;
	int64_t t_start_ms;
	int64_t t_done_ms;
	uint64_t last_line;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(FILE *f, bool seed)
{
	if (seed)
		fprintf(f,
			"Usage: boottorrent seed TORRENT --dir DIR [OPTIONS]\n"
			"Verify the data of TORRENT in DIR, then seed it until interrupted.\n\n"
			"  --dir DIR           where the torrent's files are (required)\n"
			"  --super-seed        offer each peer one piece at a time (BEP 16), so\n"
			"                      each piece leaves this machine about once\n");
	else
		fprintf(f,
			"Usage: boottorrent get TORRENT --dir DIR [OPTIONS]\n"
			"Download TORRENT into DIR, verifying every piece; exit 0 when "
			"complete.\n\n"
			"  --dir DIR           the folder to download into (created if missing)\n"
			"  --seed-time S       keep seeding S seconds after completion (default "
			"0)\n");
	fprintf(f, "  --peer HOST:PORT    a peer to connect to (repeatable)\n"
		   "  --port P            TCP port to listen on (default 6881, 0 = any)\n"
		   "  --bind ADDR         IPv4 address to listen on\n"
		   "  --no-tracker        do not announce to the torrent's trackers\n"
		   "  --tracker URL       announce here instead of the torrent's trackers\n"
		   "  --no-pex            no peer exchange\n"
		   "  --lpd               local service discovery (BEP 14 multicast)\n"
		   "  --max-upload-rate R upload at most R bytes/s (e.g. 10M)\n"
		   "  --max-peers N       connections (default 80)\n"
		   "  --max-unchoked N    peers served at once (default 64)\n"
		   "  --progress S        seconds between progress lines when not on a\n"
		   "                      terminal (default 5)\n"
		   "  -v, --verbose       debug logging (-q, --quiet: errors only)\n"
		   "  -h, --help          this help\n");
}

static void stop(struct run *r);

static void on_tracker_stopped(void *ctx)
{
	struct run *r = ctx;

	event_base_loopexit(r->base, NULL);
}

static void stop(struct run *r)
{
	if (r->stopping)
		return;
	r->stopping = true;
	if (r->tracker)
		tracker_announcer_stop(r->tracker, 2000);
	else
		event_base_loopexit(r->base, NULL);
}

static void on_signal(evutil_socket_t sig, short what, void *ctx)
{
	struct run *r = ctx;

	r->interrupted = true;
	if (r->stopping)
		event_base_loopbreak(r->base);
	stop(r);
}

static void on_seed_timer(evutil_socket_t fd, short what, void *ctx)
{
	stop(ctx);
}

static void print_progress(struct run *r, bool final)
{
	struct bt_swarm_stats st;
	char down[16], up[16], have[16], total[16], sent[16];
	double pct, eta = -1;
	int64_t el = now_ms() - r->t_start_ms;

	bt_swarm_get_stats(r->swarm, &st);
	pct = st.total_bytes ? 100.0 * (double)st.have_bytes / (double)st.total_bytes : 100;
	if (st.rate_down > 1 && st.have_bytes < st.total_bytes)
		eta = (double)(st.total_bytes - st.have_bytes) / st.rate_down;
	fmt_bytes(down, sizeof(down), (uint64_t)st.rate_down);
	fmt_bytes(up, sizeof(up), (uint64_t)st.rate_up);
	fmt_bytes(have, sizeof(have), st.have_bytes);
	fmt_bytes(total, sizeof(total), st.total_bytes);
	if (r->tty && !final)
		printf("\r\033[K");
	fmt_bytes(sent, sizeof(sent), st.uploaded);
	printf("%5.1f%% %s/%s  down %s/s  up %s/s (sent %s)  peers %u (%u seeds)", pct, have, total,
	       down, up, sent, st.peers, st.seeds);
	if (eta >= 0)
		printf("  ETA %.0fs", eta);
	else
		printf("  %.1fs", (double)el / 1000);
	if (st.bad_pieces)
		printf("  bad pieces %u, banned %u", st.bad_pieces, st.banned);
	if (!r->tty || final)
		printf("\n");
	fflush(stdout);
}

static void on_progress(evutil_socket_t fd, short what, void *ctx)
{
	struct run *r = ctx;

	tracker_announcer_push_stats(r->tracker);
	r->last_line++;
	if (r->tty || r->last_line % r->progress_every == 0)
		print_progress(r, false);
}

static void on_complete(void *ctx)
{
	struct run *r = ctx;
	struct timeval tv = {(time_t)r->seed_time, 0};
	struct bt_swarm_stats st;
	char up[16];

	r->t_done_ms = now_ms();
	if (r->tty)
		printf("\n");
	bt_swarm_get_stats(r->swarm, &st);
	fmt_bytes(up, sizeof(up), st.uploaded);
	printf("complete: %u pieces verified in %.2f s (uploaded %s)\n", st.piece_count,
	       (double)(r->t_done_ms - r->t_start_ms) / 1000, up);
	fflush(stdout);
	/* "completed" with left=0: the numbers pushed last may be a second old. */
	tracker_announcer_push_stats(r->tracker);
	tracker_announcer_announce(r->tracker, TRACKER_EVENT_COMPLETED);
	if (!r->seed) {
		if (r->seed_time == 0)
			stop(r);
		else
			evtimer_add(r->seed_timer, &tv);
	}
}

/* The tracker's answer, for -v; the announcer gives its peers to the
 * swarm. */
static void on_report(void *ctx, const struct tracker_client_report *rep)
{
	if (rep->error) {
		log_msg(LOG_DEBUG, "TRACKER", "%s: %s %s", rep->url,
			rep->error < 0 ? strerror(-rep->error) : "refused", rep->message);
		return;
	}
	log_msg(LOG_DEBUG, "TRACKER", "%s: %zu peers, next in %u s", rep->url, rep->n_peers,
		rep->interval);
}

static void start_tracker(struct run *r, const char *override, const struct logger *lg)
{
	const struct tracker_announcer_config tc = {
		.mi = &r->mi,
		.url = override,
		.session = r->session,
		.swarm = r->swarm,
		.udp_max_tries = 4,
		.interval_min_s = 5,
	};
	const struct tracker_announcer_callbacks cb = {
		.on_report = on_report, .on_stopped = on_tracker_stopped, .ctx = r};

	r->tracker = tracker_announcer_new(r->base, &tc, lg, &cb);
}

int cli_bt_run(int argc, char **argv, bool seed);
int cli_bt_run(int argc, char **argv, bool seed)
{
	enum {
		O_DIR = 256,
		O_SEED_TIME,
		O_PEER,
		O_PORT,
		O_BIND,
		O_NO_TRACKER,
		O_TRACKER,
		O_NO_PEX,
		O_LPD,
		O_MAX_UP,
		O_MAX_PEERS,
		O_MAX_UNCHOKED,
		O_SUPER,
		O_PROGRESS
	};
	static const struct option opts[] = {
		{"dir", required_argument, NULL, O_DIR},
		{"seed-time", required_argument, NULL, O_SEED_TIME},
		{"peer", required_argument, NULL, O_PEER},
		{"port", required_argument, NULL, O_PORT},
		{"bind", required_argument, NULL, O_BIND},
		{"no-tracker", no_argument, NULL, O_NO_TRACKER},
		{"tracker", required_argument, NULL, O_TRACKER},
		{"no-pex", no_argument, NULL, O_NO_PEX},
		{"lpd", no_argument, NULL, O_LPD},
		{"max-upload-rate", required_argument, NULL, O_MAX_UP},
		{"max-peers", required_argument, NULL, O_MAX_PEERS},
		{"max-unchoked", required_argument, NULL, O_MAX_UNCHOKED},
		{"super-seed", no_argument, NULL, O_SUPER},
		{"progress", required_argument, NULL, O_PROGRESS},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = seed ? "seed" : "get";
	struct run r = {.cmd = cmd, .seed = seed, .progress_every = 5};
	struct bt_session_config scfg = {.port = 6881};
	struct bt_swarm_config wcfg = {0};
	struct bt_swarm_callbacks cb = {.complete = on_complete, .ctx = &r};
	const char *dir = NULL, *tracker_url = NULL, *peers[MAX_STATIC_PEERS];
	size_t npeers = 0;
	bool no_tracker = false;
	uint64_t v;
	struct logger lg;
	char err[256];
	int c, rc = EXIT_FAIL, e;
	struct timeval one = {1, 0};

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
		switch (c) {
		case O_DIR: dir = optarg; break;
		case O_SEED_TIME:
			if (seed || parse_u64_str(optarg, 30 * 86400, &r.seed_time) != 0)
				return cli_usage_error(cmd, "bad --seed-time '%s'", optarg);
			break;
		case O_PEER:
			if (npeers == MAX_STATIC_PEERS)
				return cli_usage_error(cmd, "at most %d --peer", MAX_STATIC_PEERS);
			peers[npeers++] = optarg;
			break;
		case O_PORT:
			if (parse_u64_str(optarg, 65535, &v) != 0)
				return cli_usage_error(cmd, "bad --port '%s'", optarg);
			scfg.port = (uint16_t)v;
			break;
		case O_BIND: scfg.bind = optarg; break;
		case O_NO_TRACKER: no_tracker = true; break;
		case O_TRACKER: tracker_url = optarg; break;
		case O_NO_PEX: wcfg.no_pex = true; break;
		case O_LPD: scfg.lpd = true; break;
		case O_MAX_UP:
			if (parse_size_str(optarg, &scfg.max_upload_rate) != 0)
				return cli_usage_error(cmd, "bad --max-upload-rate '%s'", optarg);
			break;
		case O_MAX_PEERS:
			if (parse_u64_str(optarg, 10000, &v) != 0 || v == 0)
				return cli_usage_error(cmd, "bad --max-peers '%s'", optarg);
			wcfg.max_peers = (uint32_t)v;
			scfg.max_peers = (uint32_t)MAX(v, 200);
			break;
		case O_MAX_UNCHOKED:
			if (parse_u64_str(optarg, 10000, &v) != 0 || v == 0)
				return cli_usage_error(cmd, "bad --max-unchoked '%s'", optarg);
			wcfg.max_unchoked = (uint32_t)v;
			break;
		case O_SUPER:
			if (!seed)
				return cli_usage_error(cmd, "--super-seed is for 'seed'");
			wcfg.super_seed = true;
			break;
		case O_PROGRESS:
			if (parse_u64_str(optarg, 3600, &r.progress_every) != 0 ||
			    r.progress_every == 0)
				return cli_usage_error(cmd, "bad --progress '%s'", optarg);
			break;
		case 'v': log_set_level(LOG_DEBUG); break;
		case 'q': log_set_level(LOG_ERROR); break;
		case 'h': usage(stdout, seed); return EXIT_OK;
		default: return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(cmd, "expected one TORRENT file");
	if (!dir)
		return cli_usage_error(cmd, "--dir is required");
	e = metainfo_load(&r.mi, argv[optind], err, sizeof(err));
	if (e) {
		/* A read error names the file already; a parse error names the
		 * field. */
		if (e < 0)
			fprintf(stderr, "boottorrent %s: %s\n", cmd, err);
		else
			fprintf(stderr, "boottorrent %s: %s: %s\n", cmd, argv[optind], err);
		return EXIT_FAIL;
	}
	/* A peer closing its socket must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	r.base = event_base_new();
	lg = log_default_logger();
	r.session = bt_session_new(r.base, &scfg, &lg, &e);
	if (!r.session) {
		fprintf(stderr, "boottorrent %s: cannot listen on port %u: %s\n", cmd, scfg.port,
			strerror(-e));
		goto out;
	}
	r.t_start_ms = now_ms();
	e = bt_swarm_new(r.session, &r.mi, dir, seed, &wcfg, &cb, &r.swarm);
	if (e) {
		fprintf(stderr, "boottorrent %s: %s: %s\n", cmd, dir, strerror(-e));
		goto out;
	}
	if (seed && !bt_swarm_complete(r.swarm))
		fprintf(stderr, "boottorrent seed: warning: the data in %s is incomplete\n", dir);
	for (size_t i = 0; i < npeers; i++) {
		if (bt_swarm_add_peer_str(r.swarm, peers[i]) != 0) {
			rc = cli_usage_error(cmd, "bad --peer '%s' (want IPv4:PORT)", peers[i]);
			goto out;
		}
	}
	r.tty = isatty(STDOUT_FILENO);
	r.progress = event_new(r.base, -1, EV_PERSIST, on_progress, &r);
	event_add(r.progress, &one);
	r.seed_timer = evtimer_new(r.base, on_seed_timer, &r);
	r.sigint = evsignal_new(r.base, SIGINT, on_signal, &r);
	r.sigterm = evsignal_new(r.base, SIGTERM, on_signal, &r);
	event_add(r.sigint, NULL);
	event_add(r.sigterm, NULL);
	if (!no_tracker)
		start_tracker(&r, tracker_url, &lg);
	printf("%s %s: %u pieces of %u bytes, listening on port %u\n", seed ? "seeding" : "getting",
	       r.mi.name, r.mi.piece_count, r.mi.piece_length, bt_session_port(r.session));
	fflush(stdout);
	if (!seed && bt_swarm_complete(r.swarm)) {
		/* Everything was on disk already. */
		on_complete(&r);
	}
	event_base_dispatch(r.base);
	print_progress(&r, true);
	if (seed)
		rc = EXIT_OK;
	else
		rc = bt_swarm_complete(r.swarm) ? EXIT_OK : EXIT_FAIL;
out:
	tracker_announcer_free(r.tracker);
	bt_swarm_free(r.swarm);
	bt_session_free(r.session);
	if (r.progress)
		event_free(r.progress);
	if (r.seed_timer)
		event_free(r.seed_timer);
	if (r.sigint)
		event_free(r.sigint);
	if (r.sigterm)
		event_free(r.sigterm);
	if (r.base)
		event_base_free(r.base);
	metainfo_release(&r.mi);
	return rc;
}

int cmd_get(int argc, char **argv)
{
	return cli_bt_run(argc, argv, false);
}
