/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "server/bundle.h"
#include "agent/args.h"
#include "agent/boot.h"
#include "agent/cmdline.h"
#include "agent/download.h"
#include "agent/menu.h"
#include "agent/progress.h"
#include "agent/report.h"
#include "agent/seed.h"
#include "agent/ui.h"
#include "bt/bt.h"
#include "config/env.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/path.h"
#include "util/serve-main.h"
#include "util/util.h"

#define DEFAULT_BUNDLE "/" BUNDLE_PREFIX
#define DEFAULT_DIR "/run/boottorrent"
#define DEFAULT_SWARM_PORT 6881
/* Without a peer or a tracker answer for this long, say so on screen. */
#define UNREACHABLE_AFTER_MS 5000
/* A failure screen waits this long for a person before the agent exits. */
#define FAIL_RESTART_S 120
/* While stalled, dial every peer and announce again after this long, then
 * twice as long each time, up to the maximum. */
#define STALL_KICK_FIRST_MS 15000
#define STALL_KICK_MAX_MS 60000
/* Near the end of a download the tick (once a second) would notice the
 * completion up to a second late: when the rest should arrive before the
 * next tick, look every FINISH_POLL_MS, at most FINISH_POLLS times. */
#define FINISH_POLL_MS 100
#define FINISH_POLLS 15
/* Before kexec: how long the status page's "booting" report and then the
 * tracker's "stopped" announce may hold the boot up. On a LAN each answers
 * in milliseconds and nothing waits longer than that. The report is what
 * the status page shows the machine booted by: it gets more time. */
#define KEXEC_STOP_MS 500
#define KEXEC_REPORT_MS 3000

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	got_term = 1;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct agent {
	const struct agent_opts *o;
	struct ui *ui;
	struct event_base *base;
	struct agent_reporter *rep;
	struct bt_env *env;
	struct agent_cmdline cl;
	char bundle[4096];
	char dir[4096];
	bool has_server;
	struct in_addr server;
	uint16_t http_port;
	char mac[20], ip[INET_ADDRSTRLEN];
	bool has_mac;
	uint8_t macb[6];
	const struct env_os *os;
	char why[128];
	/* Download phase. */
	struct agent_dl *dl;
	struct event *tick;
	struct event *seed_check; /* the fast seeding-policy timer */
	bool seed_check_fast;	  /* it runs every AGENT_SEED_CHECK_MS */
	int64_t last_leecher_ms;  /* ms: a connected peer last needed pieces */
	int64_t leecher_seen_ms;  /* the same, 0 before one is seen */
	struct event *finish;	  /* the polls near the end (FINISH_POLL_MS) */
	int finish_left;
	int64_t t_start;
	bool early_stop;
	uint32_t seed_time;
	pid_t shell_pid;
	pid_t vm_pid;
	int vm_status;
	bool loop_done;
	char warning[256];
	struct agent_stall stall;
	int64_t next_kick;  /* ms: the next forced reconnect while stalled */
	int64_t kick_every; /* ms, doubling up to STALL_KICK_MAX_MS */
	FILE *diag;	    /* where configuration diagnostics go */
	struct buf notes;   /* lines for the terminal once curses has ended */
};

/* A result line for the terminal: printed now in plain mode, else kept
 * until curses ends (the full-screen view would paint over it). */
static void PRINTF_LIKE(2, 3) note(struct agent *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!a->ui || ui_is_plain(a->ui)) {
		vprintf(fmt, ap);
		fflush(stdout);
	} else if (buf_vprintf(&a->notes, fmt, ap) != 0) {
		/* A full buffer only loses lines that were shown on screen. */
	}
	va_end(ap);
}

static void report(struct agent *a, enum agent_phase ph, const char *error)
{
	struct agent_report r = {
		.mac = a->mac[0] ? a->mac : NULL,
		.ip = a->ip[0] ? a->ip : NULL,
		.phase = ph,
		.os = a->os ? a->os->name : NULL,
		.method = a->os ? os_method_name(a->os->method) : NULL,
		.error = error,
		.from_server = UINT64_MAX,
		.from_peers = UINT64_MAX,
	};

	if (a->dl) {
		struct agent_dl_status s;

		agent_dl_status(a->dl, &s);
		r.have_bytes = s.st.have_bytes;
		r.total_bytes = s.st.total_bytes;
		r.progress =
			s.st.total_bytes ? (double)s.st.have_bytes / (double)s.st.total_bytes : 0;
		r.downloaded = s.st.downloaded;
		r.uploaded = s.st.uploaded;
		r.rate_down = s.st.rate_down;
		r.rate_up = s.st.rate_up;
		r.peers = s.st.peers;
		r.from_server = s.from_server;
		r.from_peers = s.from_peers;
	}
	agent_reporter_send(a->rep, &r);
}

/* Reads a small text file into out (NUL-terminated); "" on failure. */
static void read_small(const char *path, char *out, size_t outlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	out[0] = 0;
	if (fd < 0)
		return;
	n = read(fd, out, outlen - 1);
	close(fd);
	out[n > 0 ? n : 0] = 0;
}

/* The first Ethernet NIC with carrier, for when BOOTIF is not given. */
static bool first_nic_mac(uint8_t mac[6])
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;
	bool found = false;
	char best[64] = "";
	unsigned seen = 0;

	if (!d)
		return false;
	/* Bounded: at most 256 entries looked at. */
	while ((e = readdir(d)) && seen++ < 256) {
		char path[512], v[64];

		if (e->d_name[0] == '.' || strcmp(e->d_name, "lo") == 0)
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/type", e->d_name);
		read_small(path, v, sizeof(v));
		if (strcmp(v, "1\n") != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", e->d_name);
		read_small(path, v, sizeof(v));
		if (strcmp(v, "1\n") != 0)
			continue;
		/* The lowest name, so the choice does not depend on readdir. */
		if (best[0] && strcmp(e->d_name, best) > 0)
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/address", e->d_name);
		read_small(path, v, sizeof(v));
		if (agent_mac_parse(v, MIN(strlen(v), (size_t)17), false, mac) == 0) {
			snprintf(best, sizeof(best), "%.63s", e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* The local address used to reach the server (no packet is sent). */
static void local_ip(struct agent *a)
{
	const char *e = getenv("BT_IP");
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(9)};
	socklen_t len = sizeof(sa);
	int fd;

	if (e && *e) {
		struct in_addr x;

		if (inet_pton(AF_INET, e, &x) == 1)
			snprintf(a->ip, sizeof(a->ip), "%s", e);
		return;
	}
	if (!a->has_server)
		return;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sa.sin_addr = a->server;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		inet_ntop(AF_INET, &sa.sin_addr, a->ip, sizeof(a->ip));
	close(fd);
}

/* Everything the agent learns before it shows anything. */
static void gather(struct agent *a)
{
	const struct agent_opts *o = a->o;
	const char *path = o->cmdline ? o->cmdline : "/proc/cmdline";
	char *text = xmalloc(AGENT_CMDLINE_MAX + 1);
	const char *e;
	int bad;

	read_small(path, text, AGENT_CMDLINE_MAX + 1);
	bad = agent_cmdline_parse(text, strlen(text), &a->cl);
	if (bad)
		log_msg(LOG_WARN, "AGENT", "%s: %d bad bt.* or BOOTIF value(s) ignored", path, bad);
	free(text);

	if (o->has_server) {
		a->has_server = true;
		a->server = o->server;
	} else if (a->cl.has_server) {
		a->has_server = true;
		a->server = a->cl.server;
	} else if ((e = getenv("BT_SERVER")) && inet_pton(AF_INET, e, &a->server) == 1) {
		/* Phase 1's init found the server through DHCP. */
		a->has_server = true;
	}

	if (a->cl.has_mac) {
		memcpy(a->macb, a->cl.mac, 6);
		a->has_mac = true;
	} else if ((e = getenv("BT_MAC")) && agent_mac_parse(e, strlen(e), false, a->macb) == 0) {
		a->has_mac = true;
	} else {
		a->has_mac = first_nic_mac(a->macb);
	}
	if (a->has_mac)
		agent_mac_format(a->macb, a->mac, sizeof(a->mac));
	local_ip(a);

	if (o->bundle) {
		snprintf(a->bundle, sizeof(a->bundle), "%s", o->bundle);
	} else {
		/* Where the server's bundle unpacks (server/bundle.h); phase
		 * 1's init exports the same place as $BT_BUNDLE. */
		e = getenv("BT_BUNDLE");
		snprintf(a->bundle, sizeof(a->bundle), "%s", e && *e == '/' ? e : DEFAULT_BUNDLE);
	}
	if (o->dir)
		snprintf(a->dir, sizeof(a->dir), "%s", o->dir);
	else if ((e = getenv("BT_DATA")) && *e == '/')
		snprintf(a->dir, sizeof(a->dir), "%s", e);
	else
		snprintf(a->dir, sizeof(a->dir), "%s", DEFAULT_DIR);
}

/* Waits for a shell started from the ui (blocking), then redraws. */
static void run_shell_blocking(struct agent *a)
{
	pid_t pid = ui_shell_start(a->ui);
	int st;

	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	ui_shell_done(a->ui);
}

/* Shows a failure until the person presses Enter (or, without a terminal,
 * at once). Ctrl+S opens a shell first. */
static int fail_screen(struct agent *a, const char *title, const char *msg)
{
	static const char hint[] = "Enter: start again (by itself in 2 minutes)    Ctrl+S: shell";
	enum agent_key k;

	log_msg(LOG_ERROR, "AGENT", "%s: %s", title, msg);
	report(a, AGENT_PHASE_FAILED, msg);
	agent_reporter_flush(a->rep, 1000);
	ui_draw_message(a->ui, title, msg, hint);
	if (ui_is_plain(a->ui))
		return EXIT_FAILURE;
	/* Nobody may be at the machine: after a while the agent exits and
	 * phase 1 starts it again, which tries everything anew. */
	int64_t end = mono_ms() + (int64_t)FAIL_RESTART_S * 1000;

	while (!got_term && mono_ms() < end) {
		if (ui_read_key(a->ui, 500, &k) != 0)
			continue;
		if (k == AGENT_KEY_ENTER)
			break;
		if (k == AGENT_KEY_SHELL) {
			run_shell_blocking(a);
			ui_draw_message(a->ui, title, msg, hint);
			end = mono_ms() + (int64_t)FAIL_RESTART_S * 1000;
		}
	}
	return EXIT_FAILURE;
}

/* The menu; returns the chosen index, or -1 when interrupted. */
static ssize_t run_menu(struct agent *a, size_t def)
{
	const char **names = xcalloc(a->env->n_oss, sizeof(*names));
	struct agent_menu m;
	enum agent_menu_action act;
	int64_t last = mono_ms();
	ssize_t chosen = -1;
	char title[128];

	for (size_t i = 0; i < a->env->n_oss; i++)
		names[i] = a->env->oss[i].dispname ? a->env->oss[i].dispname : a->env->oss[i].name;
	snprintf(title, sizeof(title), "BootTorrent: choose an operating system");
	agent_menu_init(&m, a->env->n_oss, def, a->env->boot.timeout);
	act = agent_menu_start(&m);
	report(a, AGENT_PHASE_MENU, NULL);
	while (!got_term) {
		enum agent_key k;
		int64_t now;

		if (act == AGENT_MENU_BOOT) {
			chosen = (ssize_t)m.sel;
			break;
		}
		if (act == AGENT_MENU_SHELL) {
			run_shell_blocking(a);
			act = AGENT_MENU_REDRAW;
		}
		if (act == AGENT_MENU_REDRAW)
			ui_draw_menu(a->ui, title, names, a->env->n_oss, &m);
		act = AGENT_MENU_NONE;
		/* Keep reports moving while we wait for keys. */
		event_base_loop(a->base, EVLOOP_NONBLOCK);
		if (ui_read_key(a->ui, ui_is_plain(a->ui) ? 1000 : 100, &k) == 0)
			act = agent_menu_key(&m, k);
		now = mono_ms();
		if (act == AGENT_MENU_NONE)
			act = agent_menu_tick(&m, now - last);
		else
			(void)agent_menu_tick(&m, now - last);
		last = now;
	}
	free(names);
	return chosen;
}

static void fill_progress(struct agent *a, const struct agent_dl_status *s, struct ui_progress *p,
			  char *title, size_t tlen, char *state, size_t slen)
{
	const char *disp = a->os->dispname ? a->os->dispname : a->os->name;

	snprintf(title, tlen, "BootTorrent: %s (%s)", disp, a->os->name);
	*p = (struct ui_progress){
		.title = title,
		.have = s->st.have_bytes,
		.total = s->st.total_bytes,
		.rate_down = s->st.rate_down,
		.rate_up = s->st.rate_up,
		.peers = s->st.peers,
		.seeds = s->st.seeds,
		.server_connected = s->server_connected,
		.from_server = s->from_server,
		.from_peers = s->from_peers,
		.eta_s = -1,
		.state = state,
		.warning = a->warning[0] ? a->warning : NULL,
	};
	if (!s->complete) {
		if (s->st.rate_down > 1)
			p->eta_s = (int64_t)((double)(s->st.total_bytes - s->st.have_bytes) /
					     s->st.rate_down);
		snprintf(state, slen, "downloading into %.100s", a->dir);
	} else {
		struct agent_seed_state ss = {
			.seed_time_s = a->seed_time,
			.early_stop = a->early_stop,
			.complete = true,
			.since_complete_ms = mono_ms() - s->complete_ms,
			.leechers = s->leechers,
		};
		int64_t left = (agent_seed_remaining_ms(&ss) + 999) / 1000;

		if (s->leechers >= 0)
			snprintf(state, slen,
				 "seeding for %llds more (%lld machines still need pieces)",
				 (long long)left, (long long)s->leechers);
		else
			snprintf(state, slen, "seeding for %llds more", (long long)left);
	}
}

/* The stall contract (docs/agent.md): after AGENT_STALL_AFTER_MS without a
 * payload byte, plain mode prints a line starting with "stalled:", and one
 * starting with "resumed:" when bytes flow again; the screen shows the
 * warning meanwhile. A stall also makes the engine dial every peer and the
 * tracker client announce at once, again with backoff while it lasts, so
 * that a network that came back is used without waiting for timers. */
static void watch_stall(struct agent *a, const struct agent_dl_status *s)
{
	int64_t now = mono_ms();
	char srv[INET_ADDRSTRLEN] = "unknown";

	if (a->has_server)
		inet_ntop(AF_INET, &a->server, srv, sizeof(srv));
	switch (agent_stall_update(&a->stall, now, s->st.downloaded, s->complete)) {
	case AGENT_STALL_STARTED:
		log_msg(LOG_WARN, "AGENT", "download stalled: nothing received for %lld s",
			(long long)agent_stall_seconds(&a->stall, now));
		if (ui_is_plain(a->ui)) {
			printf("stalled: nothing received for %lld s at %.1f%%; retrying (server "
			       "%s)\n",
			       (long long)agent_stall_seconds(&a->stall, now),
			       s->st.total_bytes ? 100.0 * (double)s->st.have_bytes /
							   (double)s->st.total_bytes
						 : 0.0,
			       srv);
			fflush(stdout);
		}
		ui_repaint_next(a->ui);
		agent_dl_kick(a->dl);
		a->kick_every = STALL_KICK_FIRST_MS;
		a->next_kick = now + a->kick_every;
		break;
	case AGENT_STALL_RESUMED:
		ui_repaint_next(a->ui);
		log_msg(LOG_INFO, "AGENT", "download resumed after %lld s",
			(long long)((now - a->stall.stalled_since) / 1000 +
				    AGENT_STALL_AFTER_MS / 1000));
		if (ui_is_plain(a->ui)) {
			printf("resumed: %s after %lld s\n",
			       s->complete ? "download complete" : "receiving again",
			       (long long)((now - a->stall.stalled_since) / 1000 +
					   AGENT_STALL_AFTER_MS / 1000));
			fflush(stdout);
		}
		break;
	case AGENT_STALL_NONE:
		if (a->stall.stalled && now >= a->next_kick) {
			agent_dl_kick(a->dl);
			a->kick_every = MIN(a->kick_every * 2, (int64_t)STALL_KICK_MAX_MS);
			a->next_kick = now + a->kick_every;
		}
		break;
	}
}

/*
 * The seeding policy, once the download is complete: ask the tracker whether
 * any machine still needs pieces when our own connections show none, and
 * end the loop when seed_time has passed or nobody needs pieces. Run by the
 * 1 s tick and, while seeding, by a faster timer: the answer that lets a
 * room boot comes right after the last machine completes, and a check once
 * a second would add up to a second (or two, when the first answer raced
 * the last machine's "completed" announce) to every machine's boot.
 */
static void seed_policy(struct agent *a, const struct agent_dl_status *s)
{
	struct agent_seed_state ss = {
		.seed_time_s = a->seed_time,
		.early_stop = a->early_stop,
		.complete = s->complete,
		.since_complete_ms = mono_ms() - s->complete_ms,
		.leechers = s->leechers,
	};
	uint32_t leeching = s->st.peers - MIN(s->st.seeds, s->st.peers);
	int64_t now = mono_ms();
	enum agent_seed_decision d;

	if (!s->complete || a->loop_done)
		return;
	if (leeching > 0)
		a->leecher_seen_ms = now;
	if (leeching > 0 || !a->last_leecher_ms)
		a->last_leecher_ms = now;
	ss.since_leecher_ms = now - a->last_leecher_ms;
	ss.leecher_after_answer = a->leecher_seen_ms > s->answer_ms;
	if (agent_seed_should_ask(&ss, leeching, now - s->answer_ms))
		agent_dl_ask(a->dl);
	d = agent_seed_decide(&ss);
	if (d == AGENT_SEED_DONE_TIME || d == AGENT_SEED_DONE_NOBODY) {
		log_msg(LOG_INFO, "AGENT", "seeding done: %s",
			d == AGENT_SEED_DONE_TIME ? "seed_time passed" : "no machine needs pieces");
		a->loop_done = true;
		event_base_loopexit(a->base, NULL);
	}
}

/* The fast seeding check (AGENT_SEED_CHECK_MS), idle until complete. */
static void on_seed_check(evutil_socket_t fd, short what, void *ctx)
{
	struct agent *a = ctx;
	struct agent_dl_status s;
	struct timeval fast = {0, AGENT_SEED_CHECK_MS * 1000};

	(void)fd;
	(void)what;
	if (a->vm_pid > 0) {
		/* The VM's swarm seeds whatever the policy says, for as long
		 * as it runs: nothing to check until the agent ends. */
		event_del(a->seed_check);
		return;
	}
	if (!a->dl || a->shell_pid > 0 || !agent_dl_complete(a->dl))
		return;
	if (!a->seed_check_fast) {
		a->seed_check_fast = true;
		event_add(a->seed_check, &fast);
	}
	agent_dl_status_brief(a->dl, &s);
	seed_policy(a, &s);
}

/* A poll near the end of the download: on completion, run the tick now. */
static void on_finish(evutil_socket_t fd, short what, void *ctx)
{
	struct agent *a = ctx;
	struct timeval tv = {0, FINISH_POLL_MS * 1000};

	if (!a->dl || a->vm_pid > 0)
		return;
	if (agent_dl_complete(a->dl))
		event_active(a->tick, EV_TIMEOUT, 0);
	else if (a->finish_left-- > 0)
		evtimer_add(a->finish, &tv);
}

/* Polls for the completion more often when the rest should arrive before
 * the next tick. */
static void arm_finish(struct agent *a, const struct agent_dl_status *s)
{
	struct timeval tv = {0, FINISH_POLL_MS * 1000};
	uint64_t left = s->st.total_bytes - s->st.have_bytes;

	if (!a->finish || s->complete || evtimer_pending(a->finish, NULL) || s->st.rate_down < 1 ||
	    (double)left / s->st.rate_down > 1.2)
		return;
	a->finish_left = FINISH_POLLS;
	evtimer_add(a->finish, &tv);
}

/* Once a second during the download and the seeding. */
static void on_tick(evutil_socket_t fd, short what, void *ctx)
{
	struct agent *a = ctx;
	struct agent_dl_status s;
	struct ui_progress p;
	char title[300], state[160];
	enum agent_key k;
	int st;

	if (got_term) {
		a->loop_done = true;
		event_base_loopexit(a->base, NULL);
		return;
	}
	if (a->shell_pid > 0) {
		if (waitpid(a->shell_pid, &st, WNOHANG) != a->shell_pid)
			return;
		a->shell_pid = 0;
		ui_shell_done(a->ui);
	}
	if (a->vm_pid > 0) {
		/* QEMU runs; we seed in the background until it ends. */
		if (waitpid(a->vm_pid, &a->vm_status, WNOHANG) == a->vm_pid) {
			a->vm_pid = 0;
			a->loop_done = true;
			event_base_loopexit(a->base, NULL);
		}
		agent_dl_tick(a->dl);
		return;
	}
	agent_dl_tick(a->dl);
	agent_dl_status(a->dl, &s);

	watch_stall(a, &s);
	/* Say so when nothing can be reached: no peer, and no tracker answer
	 * (the tracker client and the engine keep retrying with backoff). */
	a->warning[0] = 0;
	if (a->stall.stalled) {
		char srv[INET_ADDRSTRLEN] = "unknown";

		if (a->has_server)
			inet_ntop(AF_INET, &a->server, srv, sizeof(srv));
		snprintf(a->warning, sizeof(a->warning),
			 "Download stalled: nothing received for %lld s; retrying (server %s).",
			 (long long)agent_stall_seconds(&a->stall, mono_ms()), srv);
	} else if (!s.complete && s.st.peers == 0 &&
		   mono_ms() - a->t_start > UNREACHABLE_AFTER_MS) {
		char srv[INET_ADDRSTRLEN] = "?";

		if (a->has_server)
			inet_ntop(AF_INET, &a->server, srv, sizeof(srv));
		if (s.n_trackers > 0 && !s.tracker_ever_ok)
			snprintf(a->warning, sizeof(a->warning),
				 "Cannot reach the server %s (tracker %s); retrying.", srv,
				 s.tracker_msg[0] ? s.tracker_msg : "not answering");
		else
			snprintf(a->warning, sizeof(a->warning),
				 "No peer reachable yet (server %s); retrying.", srv);
	}

	fill_progress(a, &s, &p, title, sizeof(title), state, sizeof(state));
	ui_draw_progress(a->ui, &p);
	report(a, s.complete ? AGENT_PHASE_SEEDING : AGENT_PHASE_DOWNLOADING, NULL);
	arm_finish(a, &s);

	/* Read every key typed since the last tick (bounded); only Ctrl+S
	 * means something here. */
	for (int i = 0; !ui_is_plain(a->ui) && i < 64 && ui_read_key(a->ui, 0, &k) == 0; i++) {
		if (k != AGENT_KEY_SHELL)
			continue;
		a->shell_pid = ui_shell_start(a->ui);
		if (a->shell_pid < 0)
			a->shell_pid = 0;
		return;
	}
	seed_policy(a, &s);
}

/* The tracker says nobody needs pieces: decide now, not at the next tick. */
static void on_nobody_needs(void *ctx)
{
	struct agent *a = ctx;

	if (a->tick)
		event_active(a->tick, EV_TIMEOUT, 0);
}

static int start_download(struct agent *a, char *err, size_t errlen)
{
	struct agent_dl_config c = {0};
	char torrent[4400];
	struct logger lg = log_default_logger();
	static struct logger lg_keep;

	lg_keep = lg;
	snprintf(torrent, sizeof(torrent), "%s/torrents/%s.torrent", a->bundle, a->os->name);
	c.torrent = torrent;
	c.dir = a->dir;
	c.on_nobody_needs = on_nobody_needs;
	c.ctx = a;
	c.has_server = a->has_server;
	c.server = a->server;
	c.swarm_port = a->env->swarm.port ? a->env->swarm.port : DEFAULT_SWARM_PORT;
	c.listen_port = a->o->port;
	c.lpd = a->env->swarm.lpd;
	c.no_pex = !a->env->swarm.pex;
	c.log = &lg_keep;
	return agent_dl_new(a->base, &c, &a->dl, err, errlen);
}

/* The OS's folder in the download folder: the torrent's name for a
 * multi-file torrent (the server makes one per OS folder). */
static char *os_folder(struct agent *a)
{
	const struct metainfo *mi = agent_dl_metainfo(a->dl);

	if (mi->multi_file)
		return path_join(a->dir, mi->name);
	return xstrdup(a->dir);
}

/* Joins a path from the OS's config below its folder, refusing escapes. */
static char *os_file(struct agent *a, const char *folder, const char *rel, char *err, size_t errlen)
{
	if (!rel || !path_relative_ok(rel)) {
		snprintf(err, errlen, "'%s' is not a file inside the OS folder", rel ? rel : "");
		return NULL;
	}
	return path_join(folder, rel);
}

static int boot_kexec(struct agent *a, const char *folder, char *err, size_t errlen)
{
	char *kernel = os_file(a, folder, a->os->kernel, err, errlen);
	char *initrd = NULL;
	int64_t t0, t1;
	int r;

	if (!kernel)
		return -EINVAL;
	if (a->os->initrd && !(initrd = os_file(a, folder, a->os->initrd, err, errlen))) {
		free(kernel);
		return -EINVAL;
	}
	/* The swarm holds the files open for writing, and the kernel refuses
	 * to load a file that is (ETXTBSY): seeding ends here. The "booting"
	 * report is delivered before the swarm goes (with the report still in
	 * flight while agent_dl_stop() ran, the status page never saw it:
	 * tests/e2e/boot-kexec.sh). Each wait ends as soon as its answer
	 * comes, in milliseconds on a LAN. */
	t0 = mono_ms();
	/* Nothing of the download phase may run in the loops below. */
	if (a->tick)
		event_del(a->tick);
	if (a->finish)
		event_del(a->finish);
	report(a, AGENT_PHASE_BOOTING, NULL);
	agent_reporter_flush(a->rep, KEXEC_REPORT_MS);
	agent_dl_stop(a->dl, KEXEC_STOP_MS);
	a->dl = NULL;
	t1 = mono_ms();
	r = agent_kexec_load(kernel, initrd, a->os->cmdline);
	if (r == 0) {
		ui_suspend(a->ui);
		/* The times say where a slow boot went (docs/benchmarks.md). */
		printf("BootTorrent: kexec into %s (stop %.2f s, load %.2f s)\n", a->os->name,
		       (double)(t1 - t0) / 1000, (double)(mono_ms() - t1) / 1000);
		fflush(stdout);
		r = agent_kexec_reboot();
	}
	snprintf(err, errlen, "kexec %s: %s", a->os->kernel, agent_kexec_explain(r));
	free(kernel);
	free(initrd);
	return r;
}

static int run_program(struct agent *a, char **argv, const char *folder, bool background_seed,
		       char *err, size_t errlen)
{
	pid_t pid;
	int st = 0;

	report(a, AGENT_PHASE_BOOTING, NULL);
	agent_reporter_flush(a->rep, 500);
	if (!background_seed) {
		agent_dl_stop(a->dl, 1000);
		a->dl = NULL;
	}
	ui_suspend(a->ui);
	pid = agent_spawn(argv, folder);
	if (pid < 0) {
		snprintf(err, errlen, "%s: %s", argv[0], strerror((int)-pid));
		ui_resume(a->ui);
		return (int)pid;
	}
	if (background_seed && a->dl) {
		a->vm_pid = pid;
		a->loop_done = false;
		event_base_dispatch(a->base);
		if (a->vm_pid > 0) {
			kill(a->vm_pid, SIGTERM);
			while (waitpid(a->vm_pid, &st, 0) < 0 && errno == EINTR)
				;
		} else {
			st = a->vm_status;
		}
	} else {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	printf("BootTorrent: %s ended (%s %d)\n", argv[0], WIFEXITED(st) ? "status" : "signal",
	       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	fflush(stdout);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		if (strcmp(argv[0], "qemu-system-x86_64") == 0)
			/* The default flavour of phase 1 has no QEMU. */
			snprintf(err, errlen,
				 "qemu-system-x86_64 is not in this phase 1: the server needs "
				 "the full flavour (make ph1 PH1_FLAGS=\"--flavour full\")");
		else
			snprintf(err, errlen, "%s could not be started (missing?)", argv[0]);
		return -ENOENT;
	}
	return 0;
}

static int boot_bin(struct agent *a, const char *folder, char *err, size_t errlen)
{
	char *bin = os_file(a, folder, a->os->bin, err, errlen);
	char **split = NULL, **argv;
	size_t n = 0;
	int r;

	if (!bin)
		return -EINVAL;
	r = agent_args_split(a->os->binargs, &split, &n);
	if (r) {
		snprintf(err, errlen, "binargs: %s", agent_args_strerror(r));
		free(bin);
		return -EINVAL;
	}
	argv = xcalloc(n + 2, sizeof(*argv));
	argv[0] = bin;
	for (size_t i = 0; i < n; i++)
		argv[i + 1] = split[i];
	free(split);
	/* The downloaded file came without its execute bit. */
	(void)chmod(bin, 0755);
	r = run_program(a, argv, folder, false, err, errlen);
	agent_args_free(argv);
	return r;
}

static int boot_qemu(struct agent *a, const char *folder, char *err, size_t errlen)
{
	bool kvm = !a->o->nokvm && !a->cl.nokvm && agent_kvm_usable();
	char **argv;
	size_t n;
	char text[8192];
	struct agent_meminfo mi;
	int r;

	r = agent_qemu_argv(a->os->args, kvm, &argv, &n);
	if (r) {
		snprintf(err, errlen, "args: %s", agent_args_strerror(r));
		return -EINVAL;
	}
	read_small("/proc/meminfo", text, sizeof(text));
	if (agent_meminfo_parse(text, strlen(text), &mi) == 0) {
		struct agent_ram ram;
		char t[16], im[16], p1[16], g[16], want[16];
		uint64_t asked = agent_qemu_mem_arg(argv);

		agent_ram_compute(&mi, agent_dl_metainfo(a->dl)->total_length, &ram);
		fmt_bytes(t, sizeof(t), ram.total);
		fmt_bytes(im, sizeof(im), ram.image);
		fmt_bytes(p1, sizeof(p1), ram.ph1);
		fmt_bytes(g, sizeof(g), ram.guest);
		ui_suspend(a->ui);
		printf("BootTorrent: RAM %s; image %s; phase 1 uses %s: %s left for the guest\n", t,
		       im, p1, g);
		if (asked > ram.guest) {
			fmt_bytes(want, sizeof(want), asked);
			printf("BootTorrent: warning: the guest asks for %s (-m), more than is "
			       "left\n",
			       want);
		}
	}
	printf("BootTorrent: starting QEMU%s; seeding goes on while it runs\n",
	       kvm ? " with KVM" : " without KVM");
	fflush(stdout);
	r = run_program(a, argv, folder, true, err, errlen);
	agent_args_free(argv);
	return r;
}

static int boot(struct agent *a, char *err, size_t errlen)
{
	char *folder = os_folder(a);
	int r;

	switch (a->os->method) {
	case OS_METHOD_KEXEC: r = boot_kexec(a, folder, err, errlen); break;
	case OS_METHOD_BIN: r = boot_bin(a, folder, err, errlen); break;
	case OS_METHOD_QEMU: r = boot_qemu(a, folder, err, errlen); break;
	default: snprintf(err, errlen, "no boot method set for %s", a->os->name); r = -EINVAL;
	}
	free(folder);
	return r;
}

static int load_bundle(struct agent *a, char *err, size_t errlen)
{
	struct diag_list dl;
	int r;

	diag_list_init(&dl);
	r = bt_env_load(a->bundle, &dl, &a->env);
	if (r != 0 && a->env == NULL) {
		snprintf(err, errlen, "cannot read the environment in %.300s (%s)", a->bundle,
			 r < 0 ? strerror(-r) : "invalid");
		diag_list_print(&dl, a->diag ? a->diag : stderr);
		diag_list_release(&dl);
		return r ? r : -EINVAL;
	}
	/* The server checked the environment; what it left us is usable
	 * even when a config has a problem the agent does not care about. */
	if (r != 0)
		diag_list_print(&dl, a->diag ? a->diag : stderr);
	diag_list_release(&dl);
	if (a->env->n_oss == 0) {
		snprintf(err, errlen, "the environment in %.300s serves no OS", a->bundle);
		return -ENOENT;
	}
	return 0;
}

/* The other consoles: --console, else phase 1's $BT_CONSOLES ("ttyS0
 * tty1": every console= of the kernel command line, with tty1). One agent
 * draws on all of them and takes keys from each (docs/agent.md). */
static void add_consoles(struct agent *a)
{
	const char *e = getenv("BT_CONSOLES");

	if (ui_is_plain(a->ui))
		return;
	for (size_t i = 0; i < a->o->n_consoles; i++) {
		int r = ui_add_console(a->ui, a->o->consoles[i]);

		if (r && r != -EEXIST)
			log_msg(LOG_WARN, "AGENT", "console %s: %s", a->o->consoles[i],
				strerror(-r));
	}
	if (a->o->n_consoles || !e)
		return;
	/* Bounded: a few words of at most 32 characters. */
	for (int n = 0; *e && n < 8; n++) {
		char dev[48];
		size_t len;
		int r;

		e += strspn(e, " \t,");
		len = strcspn(e, " \t,");
		if (len == 0)
			break;
		/* A name below /dev ("ttyS0", "pts/3"), never a way out. */
		if (len < 32 && e[0] != '/' && !memmem(e, len, "..", 2)) {
			snprintf(dev, sizeof(dev), "/dev/%.*s", (int)len, e);
			r = ui_add_console(a->ui, dev);
			if (r && r != -EEXIST)
				log_msg(LOG_WARN, "AGENT", "console %s: %s", dev, strerror(-r));
		}
		e += len;
	}
}

int agent_run(const struct agent_opts *o)
{
	struct agent a = {.o = o};
	struct agent_choice ch;
	const char *want;
	char err[512], logpath[4200];
	FILE *logf = NULL;
	int rc = EXIT_FAILURE, r;
	struct sigaction sa = {.sa_handler = on_term};
	struct timeval one = {1, 0};
	struct timeval check = {0, AGENT_SEED_IDLE_CHECK_MS * 1000};

	buf_init(&a.notes, 16384);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	gather(&a);
	a.ui = ui_new(o->plain || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO));
	add_consoles(&a);
	if (!ui_is_plain(a.ui)) {
		/* Log lines would tear the screen: they go to a file. */
		const char *run = getenv("BT_RUN");

		if (run && *run == '/')
			snprintf(logpath, sizeof(logpath), "%s/agent.log", run);
		else
			snprintf(logpath, sizeof(logpath), "%s.log", a.dir);
		logf = fopen(logpath, "ae");
		if (!logf)
			logf = fopen("/dev/null", "we");
		if (logf) {
			setvbuf(logf, NULL, _IOLBF, 0);
			log_set_file(logf);
			a.diag = logf;
		}
	}
	a.base = serve_event_base_new();
	if (!a.base)
		goto out;

	r = load_bundle(&a, err, sizeof(err));
	a.http_port = o->http_port     ? o->http_port
		      : a.cl.http_port ? a.cl.http_port
		      : a.env	       ? a.env->http.port
				       : 80;
	a.rep = agent_reporter_new(a.base, a.has_server ? &a.server : NULL, a.http_port);
	if (r != 0) {
		rc = fail_screen(&a, "No environment", err);
		goto out;
	}
	a.seed_time = o->has_seed_time ? o->seed_time : a.env->boot.seed_time;
	a.early_stop = !o->seed_full;

	want = o->os ? o->os : a.cl.os;
	agent_choose(a.env, want, a.has_mac ? a.macb : NULL, &ch);
	if (ch.unknown[0])
		log_msg(LOG_WARN, "AGENT", "OS '%s' is not in this environment; showing the menu",
			ch.unknown);
	if (ch.kind == AGENT_CHOICE_AUTO) {
		a.os = &a.env->oss[ch.os_index];
	} else if (o->no_menu) {
		a.os = &a.env->oss[ch.default_index];
	} else {
		ssize_t i = run_menu(&a, ch.default_index);

		if (i < 0)
			goto out;
		a.os = &a.env->oss[i];
	}
	note(&a, "agent: chosen OS %s (%s) by %s\n", a.os->name,
	     a.os->dispname ? a.os->dispname : a.os->name,
	     ch.kind == AGENT_CHOICE_AUTO ? (ch.why == AGENT_WHY_CMDLINE ? "command line"
					     : ch.why == AGENT_WHY_HOST	 ? "host assignment"
									 : "timeout 0")
	     : o->no_menu		  ? "--no-menu"
					  : "menu");

	a.t_start = mono_ms();
	r = start_download(&a, err, sizeof(err));
	if (r != 0) {
		rc = fail_screen(&a, "Cannot start the download", err);
		goto out;
	}
	agent_stall_init(&a.stall, a.t_start, 0);
	report(&a, AGENT_PHASE_DOWNLOADING, NULL);
	a.tick = event_new(a.base, -1, EV_PERSIST, on_tick, &a);
	event_add(a.tick, &one);
	a.seed_check = event_new(a.base, -1, EV_PERSIST, on_seed_check, &a);
	event_add(a.seed_check, &check);
	a.finish = evtimer_new(a.base, on_finish, &a);
	on_tick(-1, 0, &a);
	if (!a.loop_done)
		event_base_dispatch(a.base);
	if (got_term) {
		rc = EXIT_FAILURE;
		goto out;
	}
	{
		struct agent_dl_status s;
		char have[16];

		agent_dl_status(a.dl, &s);
		fmt_bytes(have, sizeof(have), s.st.have_bytes);
		/* wasted: duplicate blocks of the endgame and bad pieces,
		 * received and thrown away. */
		note(&a,
		     "agent: %s complete: %s in %.1f s, uploaded %llu bytes, downloaded %llu "
		     "bytes (wasted %llu), peers %u\n",
		     a.os->name, have, (double)(s.complete_ms - a.t_start) / 1000,
		     (unsigned long long)s.st.uploaded, (unsigned long long)s.st.downloaded,
		     (unsigned long long)s.st.wasted, s.st.peers);
	}
	if (o->no_boot) {
		report(&a, AGENT_PHASE_SEEDING, NULL);
		agent_reporter_flush(a.rep, 500);
		agent_dl_stop(a.dl, 1000);
		a.dl = NULL;
		note(&a, "agent: --no-boot: not booting %s (method %s)\n", a.os->name,
		     os_method_name(a.os->method));
		rc = EXIT_SUCCESS;
		goto out;
	}
	r = boot(&a, err, sizeof(err));
	if (r != 0) {
		ui_resume(a.ui);
		rc = fail_screen(&a, "Cannot boot", err);
		goto out;
	}
	rc = EXIT_SUCCESS;
out:
	if (a.finish)
		event_free(a.finish);
	if (a.tick)
		event_free(a.tick);
	if (a.seed_check)
		event_free(a.seed_check);
	agent_dl_free(a.dl);
	agent_reporter_free(a.rep);
	bt_env_free(a.env);
	ui_free(a.ui);
	if (a.notes.len)
		fwrite(a.notes.data, 1, a.notes.len, stdout);
	buf_release(&a.notes);
	if (a.base)
		event_base_free(a.base);
	if (logf) {
		log_set_file(NULL);
		fclose(logf);
	}
	fflush(stdout);
	return rc;
}
