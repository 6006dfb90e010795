/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bt/bt.h"
#include "config/env.h"
#include "server/fleet.h"
#include "server/outdir.h"
#include "server/server.h"
#include "server/services.h"
#include "util/log.h"
#include "util/serve-main.h"

/* A rebuild of out/ after SIGHUP, run by a worker thread so that hashing a
 * changed OS does not pause the services: the worker owns env and out and
 * touches nothing else; it reports through a queue of log lines and an
 * eventfd that the loop reads. The services go on with the old out/ (the
 * old torrents stay offered) until the loop swaps in the new one. */
#define REBUILD_MAX_LINES 256

struct rebuild_line {
	enum log_level level;
	char component[16];
	char *msg;
};

struct rebuild {
	struct bt_env *env;	/* the re-read environment */
	struct server_out out;	/* what the worker built */
	struct server_out_opts o;
	struct logger log;	/* queues into lines */
	char err[1024];
	int r;
	int efd;
	struct event *ev;
	atomic_bool cancel; /* the server is stopping: stop hashing */
	pthread_t thread;
	pthread_mutex_t mu; /* guards what follows */
	struct rebuild_line lines[REBUILD_MAX_LINES];
	size_t n_lines, dropped;
	bool done;
};

struct server {
	const struct server_opts *opts;
	struct bt_env *env;
	struct server_out out;
	struct event_base *base;
	struct services *svc;
	struct fleet *fleet;
	struct event *sigint, *sigterm, *sighup;
	struct logger log;
	bool progress_tty;
	struct rebuild *job; /* a rebuild in progress, or NULL */
	bool reload_again;   /* SIGHUP came during the rebuild */
};

/* Loads and validates the environment exactly as `check` does, with the
 * same messages; a server never starts on an environment that check
 * rejects. At start-up they go to stderr like check's; on a reload (the
 * server runs in the background by then) they go to the log. */
static int load_env(const char *dir, bool to_log, struct bt_env **out)
{
	struct config_sys sys = {.iface_lookup = config_iface_lookup_system};
	struct diag_list dl;
	int r;

	diag_list_init(&dl);
	r = bt_env_open(dir, &sys, &dl, out);
	diag_list_sort(&dl);
	if (!to_log) {
		diag_list_print(&dl, stderr);
	} else {
		for (size_t i = 0; i < dl.n; i++) {
			const struct diag *d = &dl.items[i];
			log_msg(d->severity == DIAG_ERROR ? LOG_ERROR : LOG_WARN, "SERVER",
				"%s:%u:%u: %s%s%s", d->file, d->line, d->col, d->message,
				d->hint ? " — " : "", d->hint ? d->hint : "");
		}
	}
	diag_list_release(&dl);
	if (r != 0 && r != CONFIG_E_INVALID)
		log_msg(LOG_ERROR, "SERVER", "%s: %s", dir, strerror(-r));
	return r;
}

static void apply_logging(const struct bt_env *env)
{
	log_set_level(env->logging.level);
	for (size_t i = 0; i < env->logging.n_components; i++)
		if (log_set_component_level(env->logging.components[i].component,
					    env->logging.components[i].level) < 0)
			log_msg(LOG_WARN, "SERVER", "too many per-component log levels");
}

static void hash_progress(void *ctx, const char *os, uint64_t done, uint64_t total)
{
	struct server *s = ctx;
	int pct = total ? (int)(done * 100 / total) : 100;

	if (s->progress_tty) {
		fprintf(stderr, "\rhashing %s: %3d%%", os, pct);
		if (done == total)
			fputc('\n', stderr);
	}
}

static void log_out(const struct server_out *out)
{
	char addr[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &out->address, addr, sizeof(addr));
	for (size_t i = 0; i < out->n_torrents; i++) {
		const struct server_torrent *t = &out->torrents[i];
		char hex[41];
		hex_encode(hex, t->mi.info_hash, 20);
		log_msg(LOG_INFO, "SERVER", "%s: %s, %u pieces%s", t->os, hex, t->mi.piece_count,
			t->cached ? " (hashes from the cache)" : "");
	}
	log_msg(LOG_INFO, "SERVER", "out/ ready for clients reaching %s (BIOS %s, UEFI %s, phase 1 %s)",
		addr, out->bios ? "yes" : "no", out->uefi ? "yes" : "no", out->ph1 ? "yes" : "no");
}

static int build_out(struct server *s)
{
	struct server_out_opts o = {
		.data_dir = s->opts->data_dir ? s->opts->data_dir : server_data_dir(),
		.progress = hash_progress,
		.progress_ctx = s,
		.log = &s->log,
	};
	char err[1024] = "";
	int r;

	r = server_out_build(s->env, &o, &s->out, err, sizeof(err));
	if (r != 0) {
		log_msg(LOG_ERROR, "SERVER", "building %s/out: %s", s->env->dir, err);
		return r;
	}
	log_out(&s->out);
	return 0;
}

/* The status page shows the log's tail. */
static void on_log_line(void *ctx, const char *line)
{
	struct server *s = ctx;
	fleet_log(s->fleet, line);
}

static void on_stop_signal(evutil_socket_t sig, short what, void *ctx)
{
	struct server *s = ctx;

	log_msg(LOG_INFO, "SERVER", "%s: stopping", strsignal((int)sig));
	event_base_loopexit(s->base, NULL);
}

/* ---- SIGHUP: rebuilding out/ off the loop ---- */

/* The worker's logger: queues the line for the loop (log_msg() hands lines
 * to the status page, which is the loop's). Never blocks on the loop. */
static void rebuild_log(void *ctx, enum log_level lvl, const char *component, const char *msg)
{
	struct rebuild *j = ctx;
	uint64_t one = 1;

	pthread_mutex_lock(&j->mu);
	if (j->n_lines < REBUILD_MAX_LINES) {
		struct rebuild_line *l = &j->lines[j->n_lines++];
		l->level = lvl;
		snprintf(l->component, sizeof(l->component), "%s", component);
		l->msg = xstrdup(msg);
	} else {
		j->dropped++;
	}
	pthread_mutex_unlock(&j->mu);
	if (write(j->efd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow at these rates; nothing to do. */
	}
}

static void *rebuild_main(void *arg)
{
	struct rebuild *j = arg;
	uint64_t one = 1;
	int r;

	r = server_out_build(j->env, &j->o, &j->out, j->err, sizeof(j->err));
	pthread_mutex_lock(&j->mu);
	j->r = r;
	j->done = true;
	pthread_mutex_unlock(&j->mu);
	if (write(j->efd, &one, sizeof(one)) < 0) {
		/* As above. */
	}
	return NULL;
}

/* Logs what the worker queued; true once it has finished. */
static bool rebuild_drain(struct rebuild *j)
{
	struct rebuild_line lines[REBUILD_MAX_LINES];
	size_t n, dropped;
	bool done;

	pthread_mutex_lock(&j->mu);
	n = j->n_lines;
	memcpy(lines, j->lines, n * sizeof(*lines));
	dropped = j->dropped;
	j->n_lines = j->dropped = 0;
	done = j->done;
	pthread_mutex_unlock(&j->mu);
	for (size_t i = 0; i < n; i++) {
		log_msg(lines[i].level, lines[i].component, "%s", lines[i].msg);
		free(lines[i].msg);
	}
	if (dropped)
		log_msg(LOG_WARN, "SERVER", "%zu more lines of the rebuild not logged", dropped);
	return done;
}

/* Joins the worker (it has finished or is about to) and frees the job;
 * what the worker built is released unless the caller took it. */
static void rebuild_free(struct rebuild *j)
{
	pthread_join(j->thread, NULL);
	rebuild_drain(j);
	if (j->ev)
		event_free(j->ev);
	close(j->efd);
	pthread_mutex_destroy(&j->mu);
	server_out_release(&j->out);
	bt_env_free(j->env);
	free(j);
}

static void start_rebuild(struct server *s, struct bt_env *env);

static void on_rebuild_event(evutil_socket_t fd, short what, void *ctx)
{
	struct server *s = ctx;
	struct rebuild *j = s->job;
	uint64_t n;
	char err[1024] = "";

	if (read(j->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_msg(LOG_WARN, "SERVER", "reading the rebuild's eventfd: %s", strerror(errno));
	if (!rebuild_drain(j))
		return;
	s->job = NULL;
	if (j->r != 0) {
		log_msg(LOG_ERROR, "SERVER", "rebuilding %s/out: %s; serving the old one",
			j->env->dir, j->err);
	} else {
		/* Swap: the new environment and out/, then the services follow
		 * (new torrents seeded and tracked, removed ones dropped). */
		struct server_out old = s->out;
		struct bt_env *old_env = s->env;

		s->env = j->env;
		s->out = j->out;
		j->env = old_env;
		j->out = old;
		apply_logging(s->env);
		log_out(&s->out);
		if (services_update(s->svc, s->env, &s->out, err, sizeof(err)) != 0)
			log_msg(LOG_ERROR, "SERVER", "%s", err);
	}
	rebuild_free(j);
	if (s->reload_again) {
		struct bt_env *env = NULL;
		s->reload_again = false;
		log_msg(LOG_INFO, "SERVER", "reading %s again (SIGHUP during the rebuild)",
			s->env->dir);
		if (load_env(s->env->dir, true, &env) == 0)
			start_rebuild(s, env);
		else
			log_msg(LOG_ERROR, "SERVER",
				"the changed environment is invalid; keeping the old one");
	}
}

/* Hands env (owned from now on by the job) to a worker thread. */
static void start_rebuild(struct server *s, struct bt_env *env)
{
	struct rebuild *j = xcalloc(1, sizeof(*j));
	sigset_t all, old;
	int r;

	j->env = env;
	j->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	j->log = (struct logger){.fn = rebuild_log, .ctx = j, .level = LOG_DEBUG};
	j->o = (struct server_out_opts){
		.data_dir = s->opts->data_dir ? s->opts->data_dir : server_data_dir(),
		.cancel = &j->cancel,
		.log = &j->log,
	};
	pthread_mutex_init(&j->mu, NULL);
	if (j->efd < 0) {
		log_msg(LOG_ERROR, "SERVER", "cannot rebuild out/: eventfd: %s", strerror(errno));
		goto fail;
	}
	j->ev = event_new(s->base, j->efd, EV_READ | EV_PERSIST, on_rebuild_event, s);
	if (!j->ev || event_add(j->ev, NULL) < 0) {
		log_msg(LOG_ERROR, "SERVER", "cannot rebuild out/: out of memory");
		goto fail;
	}
	/* Signals stay with the loop's thread (libevent's signal handling). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&j->thread, NULL, rebuild_main, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		log_msg(LOG_ERROR, "SERVER", "cannot rebuild out/: %s", strerror(r));
		goto fail;
	}
	s->job = j;
	log_msg(LOG_INFO, "SERVER", "rebuilding out/ in the background; serving the old one meanwhile");
	return;
fail:
	if (j->ev)
		event_free(j->ev);
	if (j->efd >= 0)
		close(j->efd);
	pthread_mutex_destroy(&j->mu);
	bt_env_free(j->env);
	free(j);
}

static void on_reload_signal(evutil_socket_t sig, short what, void *ctx)
{
	struct server *s = ctx;
	struct bt_env *env = NULL;

	if (s->job) {
		log_msg(LOG_INFO, "SERVER", "SIGHUP: out/ is being rebuilt; reading %s again after",
			s->env->dir);
		s->reload_again = true;
		return;
	}
	log_msg(LOG_INFO, "SERVER", "SIGHUP: reading %s again", s->env->dir);
	if (load_env(s->env->dir, true, &env) != 0) {
		log_msg(LOG_ERROR, "SERVER", "the changed environment is invalid; keeping the old one");
		return;
	}
	start_rebuild(s, env);
}

/* Once every port is open, root is no longer needed: switch to
 * server.user. out/ (leases, caches, rebuilt torrents) must stay writable,
 * so it is handed to that user first. */
static uid_t g_chown_uid;
static gid_t g_chown_gid;

static int chown_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	/* lchown: a symlink placed in out/ must not hand over what it points at. */
	return lchown(path, g_chown_uid, g_chown_gid) < 0 ? -1 : 0;
}

static int chown_tree(const char *path, uid_t uid, gid_t gid)
{
	g_chown_uid = uid;
	g_chown_gid = gid;
	return nftw(path, chown_one, 32, FTW_PHYS) == 0 ? 0 : -errno;
}

static int drop_privileges(struct server *s)
{
	const char *user = s->env->server.user;
	struct passwd *pw;

	if (!user || geteuid() != 0)
		return 0;
	pw = getpwnam(user);
	if (!pw && s->env->version == 0) {
		/* As check warned: a version-0 file's dnsmasq.user is often its
		 * author's own account, and the original ran as root anyway. */
		log_msg(LOG_WARN, "SERVER", "dnsmasq.user '%s' does not exist here: staying root",
			user);
		return 0;
	}
	if (!pw) {
		log_msg(LOG_ERROR, "SERVER", "server.user '%s' does not exist on this machine", user);
		return -ENOENT;
	}
	if (chown_tree(s->out.dir, pw->pw_uid, pw->pw_gid) < 0)
		log_msg(LOG_WARN, "SERVER", "could not hand %s to %s", s->out.dir, user);
	if (initgroups(user, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		log_msg(LOG_ERROR, "SERVER", "could not switch to user %s: %s", user, strerror(errno));
		return -errno;
	}
	log_msg(LOG_INFO, "SERVER", "running as %s", user);
	return 0;
}

static int start_signals(struct server *s)
{
	s->sigint = evsignal_new(s->base, SIGINT, on_stop_signal, s);
	s->sigterm = evsignal_new(s->base, SIGTERM, on_stop_signal, s);
	s->sighup = evsignal_new(s->base, SIGHUP, on_reload_signal, s);
	if (!s->sigint || !s->sigterm || !s->sighup || evsignal_add(s->sigint, NULL) < 0 ||
	    evsignal_add(s->sigterm, NULL) < 0 || evsignal_add(s->sighup, NULL) < 0)
		return -ENOMEM;
	return 0;
}

static void server_release(struct server *s)
{
	if (s->job) {
		/* Hashing stops at its next chunk (4 MiB); what it had built
		 * is thrown away, and the next start hashes again. */
		log_msg(LOG_INFO, "SERVER", "stopping the rebuild of out/");
		atomic_store(&s->job->cancel, true);
		rebuild_free(s->job);
		s->job = NULL;
	}
	services_stop(s->svc);
	log_set_tap(NULL, NULL);
	fleet_free(s->fleet);
	if (s->sigint)
		event_free(s->sigint);
	if (s->sigterm)
		event_free(s->sigterm);
	if (s->sighup)
		event_free(s->sighup);
	if (s->base)
		event_base_free(s->base);
	server_out_release(&s->out);
	bt_env_free(s->env);
}

int server_run(const struct server_opts *o)
{
	struct server s = {.opts = o};
	int r;

	/* A client that goes away mid-write must not kill the server. */
	signal(SIGPIPE, SIG_IGN);
	/* A boot storm holds TFTP transfers, HTTP connections and peers at once. */
	raise_fd_limit();
	s.log = log_default_logger();
	s.progress_tty = isatty(STDERR_FILENO);
	if (load_env(o->env_dir, false, &s.env) != 0) {
		fprintf(stderr, "boottorrent start: fix the problems above ('boottorrent check %s' "
				"shows them again)\n", o->env_dir);
		return 1;
	}
	apply_logging(s.env);
	s.log = log_default_logger();
	r = build_out(&s);
	if (r != 0 || o->build_only)
		goto out;
	/* epoll changes batched per loop turn: an HTTP announce or a TFTP
	 * transfer turns reading and writing on and off several times in one
	 * callback (8 epoll_ctl calls per HTTP announce, 3 with the batch). */
	s.base = serve_event_base_new();
	if (!s.base) {
		r = -ENOMEM;
		goto out;
	}
	r = start_signals(&s);
	if (r < 0)
		goto out;
	char err[1024] = "";
	s.fleet = fleet_new(NULL);
	log_set_tap(on_log_line, &s);
	struct services_hooks hooks = {.fleet = s.fleet};
	r = services_start(s.base, s.env, &s.out, &s.log, &hooks, &s.svc, err, sizeof(err));
	if (r != 0) {
		log_msg(LOG_ERROR, "SERVER", "%s", err);
		goto out;
	}
	r = drop_privileges(&s);
	if (r != 0)
		goto out;
	log_msg(LOG_INFO, "SERVER", "serving %s; SIGHUP re-reads it, SIGINT or SIGTERM stops",
		s.env->dir);
	event_base_dispatch(s.base);
	log_msg(LOG_INFO, "SERVER", "stopped");
out:
	server_release(&s);
	return r == 0 ? 0 : 1;
}
