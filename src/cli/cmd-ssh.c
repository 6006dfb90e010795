/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * boottorrent ssh MAC|IP [-- COMMAND...]: opens an SSH session to a client
 * in phase 1 (its dropbear accepts only the environment's key, which
 * `init` made in ENV/ssh/id_ed25519). A MAC is looked up in the
 * environment's fixed hosts, then in the DHCP lease file ENV/out/leases,
 * then in the running server's /api/status (agents report their address,
 * which also covers proxyDHCP, where we hand out no leases).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/cmdline.h"
#include "cli/cli.h"
#include "config/diag.h"
#include "config/env.h"
#include "dhcp/leases.h"
#include "util/buf.h"
#include "util/parse.h"
#include "util/path.h"
#include "util/util.h"

#define SSH_STATUS_MAX ((size_t)32 << 20) /* the largest /api/status we read */
#define SSH_STATUS_TIMEOUT_S 3
#define SSH_LEASES_MAX ((size_t)64 << 20) /* the largest lease file we read */
#define SSH_MAX_ARGS 256		  /* words of the remote command */

static void usage(FILE *f)
{
	fprintf(f, "Usage: boottorrent ssh [--env DIR] [--status URL] MAC|IP [-- COMMAND...]\n"
		   "Opens an SSH session as root to a client in phase 1, with the environment's\n"
		   "key (DIR/ssh/id_ed25519, made by `init`; phase 1 accepts only that key).\n"
		   "A MAC is looked up in the environment's hosts, its DHCP leases\n"
		   "(DIR/out/leases) and the running server's /api/status.\n\n"
		   "  -e, --env DIR       the environment (default .)\n"
		   "  -s, --status URL    the server's status, e.g. http://10.0.0.1:8080\n"
		   "                      (default: 127.0.0.1 at the environment's http.port;\n"
		   "                      given, it is asked first)\n"
		   "  -h, --help          show this help\n\n"
		   "Exit status: ssh's own, or 1 when the machine or the key is not found,\n"
		   "2 on a usage error.\n");
}

/* ---- the lease file ---- */

/* The address the lease journal gives mac: the last line naming mac, unless
 * a later line gave that address to someone else or freed it. *expired is
 * set when that lease has run out. 0, or -ENOENT. */
static int lookup_leases(const char *path, const uint8_t mac[6], struct in_addr *out, bool *expired)
{
	FILE *f = fopen(path, "re");
	char line[512];
	bool found = false;
	long long exp = 0;
	size_t total = 0;

	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f) && total < SSH_LEASES_MAX) {
		struct dhcp_lease_line ln;

		total += strlen(line);
		line[strcspn(line, "\r\n")] = 0;
		if (dhcp_lease_line_parse(line, &ln) != 0)
			continue;
		if (ln.has_mac && memcmp(ln.mac, mac, 6) == 0) {
			found = ln.state == DHCP_LEASE_BOUND || ln.state == DHCP_LEASE_OFFERED;
			out->s_addr = htonl(ln.ip);
			exp = ln.expires;
		} else if (found && htonl(ln.ip) == out->s_addr) {
			/* The address went to another machine, or was freed. */
			found = false;
		}
	}
	fclose(f);
	if (!found)
		return -ENOENT;
	*expired = exp < (long long)time(NULL);
	return 0;
}

/* ---- the server's /api/status ---- */

struct fetch {
	struct event_base *base;
	struct buf *body;
	int code; /* HTTP status, 0 when there was no answer */
};

static void on_done(struct evhttp_request *req, void *ctx)
{
	struct fetch *ft = ctx;

	if (req) {
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		size_t len = evbuffer_get_length(in);

		ft->code = evhttp_request_get_response_code(req);
		if (buf_reserve(ft->body, len + 1) == 0) {
			evbuffer_remove(in, ft->body->data, len);
			ft->body->len = len;
			ft->body->data[len] = 0;
		} else {
			ft->code = -1;
		}
	}
	event_base_loopexit(ft->base, NULL);
}

/* Splits "[http://]HOST[:PORT][/...]" into host and port. 0 or -1. */
static int split_url(const char *url, char *host, size_t hcap, uint16_t *port, uint16_t def)
{
	const char *s = url, *end, *colon;
	uint64_t v;

	if (strncmp(s, "http://", 7) == 0)
		s += 7;
	end = s + strcspn(s, "/");
	colon = memchr(s, ':', (size_t)(end - s));
	if ((colon ? colon : end) == s || (size_t)((colon ? colon : end) - s) >= hcap)
		return -1;
	memcpy(host, s, (size_t)((colon ? colon : end) - s));
	host[(colon ? colon : end) - s] = 0;
	*port = def;
	if (colon) {
		if (parse_u64(colon + 1, (size_t)(end - colon - 1), 65535, &v) != 0 || v == 0)
			return -1;
		*port = (uint16_t)v;
	}
	return 0;
}

/* GETs /api/status from host:port into body. 0, or -1 with a message. */
static int fetch_status(const char *host, uint16_t port, struct buf *body, char *err, size_t elen)
{
	struct event_base *base = event_base_new();
	struct evhttp_connection *conn = NULL;
	struct evhttp_request *req;
	struct fetch ft = {.base = base, .body = body};
	int r = -1;

	if (!base) {
		snprintf(err, elen, "out of memory");
		return -1;
	}
	conn = evhttp_connection_base_new(base, NULL, host, port);
	req = conn ? evhttp_request_new(on_done, &ft) : NULL;
	if (!req) {
		snprintf(err, elen, "cannot ask %s:%u", host, port);
		goto out;
	}
	evhttp_connection_set_timeout(conn, SSH_STATUS_TIMEOUT_S);
	evhttp_connection_set_retries(conn, 0);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", host);
	if (evhttp_make_request(conn, req, EVHTTP_REQ_GET, "/api/status") != 0) {
		snprintf(err, elen, "cannot ask %s:%u", host, port);
		goto out;
	}
	event_base_dispatch(base);
	if (ft.code == 200)
		r = 0;
	else if (ft.code == 0)
		snprintf(err, elen, "no answer from http://%s:%u/api/status", host, port);
	else
		snprintf(err, elen, "http://%s:%u/api/status answered %d", host, port, ft.code);
out:
	if (conn)
		evhttp_connection_free(conn);
	event_base_free(base);
	return r;
}

/* Finds the machine object with "mac":"<mac>" in the status JSON and its
 * "ip". The server writes each machine as a flat object with "mac" before
 * "ip" (status.c), so a bounded look inside that object is enough. 0,
 * -ENOENT (no such machine) or -EADDRNOTAVAIL (no address known). */
static int lookup_status(const char *json, const char *mac, struct in_addr *out)
{
	char key[40];
	const char *m, *end, *ip;

	snprintf(key, sizeof(key), "\"mac\":\"%s\"", mac);
	m = strstr(json, key);
	if (!m)
		return -ENOENT;
	end = strchr(m, '}');
	ip = strstr(m, "\"ip\":");
	if (!ip || (end && ip > end))
		return -EADDRNOTAVAIL;
	ip += 5;
	if (*ip == '"') {
		char text[INET_ADDRSTRLEN];
		size_t n = strcspn(ip + 1, "\"");

		if (n > 0 && n < sizeof(text)) {
			memcpy(text, ip + 1, n);
			text[n] = 0;
			if (inet_pton(AF_INET, text, out) == 1 && out->s_addr != 0)
				return 0;
		}
	}
	return -EADDRNOTAVAIL;
}

/* ---- the command ---- */

struct target {
	const char *env_dir;
	const char *status;
	struct bt_env *env;
	char why[600]; /* where we looked, for the error */
};

static void why_add(struct target *t, const char *fmt, ...) PRINTF_LIKE(2, 3);

static void why_add(struct target *t, const char *fmt, ...)
{
	size_t len = strlen(t->why);
	va_list ap;

	if (len + 3 >= sizeof(t->why))
		return;
	if (len)
		len += (size_t)snprintf(t->why + len, sizeof(t->why) - len, "; ");
	va_start(ap, fmt);
	vsnprintf(t->why + len, sizeof(t->why) - len, fmt, ap);
	va_end(ap);
}

static int ask_status(struct target *t, const char *macs, struct in_addr *ip)
{
	char host[256], err[300];
	uint16_t port;
	struct buf body;
	int r;

	if (t->status) {
		if (split_url(t->status, host, sizeof(host), &port, 80) != 0) {
			why_add(t, "--status: not a URL: %s", t->status);
			return -EINVAL;
		}
	} else {
		snprintf(host, sizeof(host), "127.0.0.1");
		port = t->env && t->env->http.port ? t->env->http.port : 8080;
	}
	buf_init(&body, SSH_STATUS_MAX);
	if (fetch_status(host, port, &body, err, sizeof(err)) != 0) {
		why_add(t, "%s", err);
		buf_release(&body);
		return -EHOSTUNREACH;
	}
	r = lookup_status(body.len ? (const char *)body.data : "", macs, ip);
	if (r == -ENOENT)
		why_add(t, "http://%s:%u/api/status knows no machine %s", host, port, macs);
	else if (r == -EADDRNOTAVAIL)
		why_add(t, "http://%s:%u/api/status knows %s but no address for it", host, port,
			macs);
	buf_release(&body);
	return r;
}

/* The address of mac. 0, or a negative errno with t->why saying why:
 * -EADDRNOTAVAIL when the machine is known but has no address. */
static int resolve_mac(struct target *t, const uint8_t mac[6], struct in_addr *ip)
{
	char macs[20], *leases;
	bool expired = false;
	int r, best = -ENOENT;

	agent_mac_format(mac, macs, sizeof(macs));
	if (t->status) {
		r = ask_status(t, macs, ip);
		if (r == 0)
			return 0;
		if (r == -EADDRNOTAVAIL)
			best = r;
	}
	for (size_t i = 0; t->env && i < t->env->n_hosts; i++) {
		if (memcmp(t->env->hosts[i].mac, mac, 6) != 0)
			continue;
		if (t->env->hosts[i].has_ip) {
			*ip = t->env->hosts[i].ip;
			return 0;
		}
		best = -EADDRNOTAVAIL;
	}
	leases = path_join(t->env_dir, "out/leases");
	r = lookup_leases(leases, mac, ip, &expired);
	if (r == 0) {
		if (expired)
			fprintf(stderr,
				"boottorrent ssh: note: the lease of %s on %s has expired\n",
				inet_ntoa(*ip), macs);
		free(leases);
		return 0;
	}
	why_add(t, "no lease for %s in %s", macs, leases);
	free(leases);
	if (!t->status) {
		r = ask_status(t, macs, ip);
		if (r == 0)
			return 0;
		if (r == -EADDRNOTAVAIL)
			best = r;
	}
	return best;
}

int cmd_ssh(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"env", required_argument, NULL, 'e'},
		{"status", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct target t = {.env_dir = "."};
	const char *who;
	char *key = NULL, *sshargv[SSH_MAX_ARGS + 16], ipbuf[INET_ADDRSTRLEN + 8];
	struct in_addr ip;
	uint8_t mac[6];
	struct stat st;
	size_t n = 0;
	int c, rest, dd;

	/* What follows the first "--" is the remote command, never our
	 * options: getopt sees only what comes before it. */
	for (dd = 1; dd < argc && strcmp(argv[dd], "--") != 0; dd++)
		;
	optind = 0;
	while ((c = getopt_long(dd, argv, "e:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': t.env_dir = optarg; break;
		case 's': t.status = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: return cli_usage_error("ssh", "unknown option");
		}
	}
	if (optind >= dd)
		return cli_usage_error("ssh", "which machine? give a MAC or an IP address");
	who = argv[optind++];
	if (optind < dd)
		return cli_usage_error("ssh", "unexpected argument '%s' (a command goes after --)",
				       argv[optind]);
	optind = dd + 1;
	rest = optind < argc ? argc - optind : 0;
	if (rest > SSH_MAX_ARGS)
		return cli_usage_error("ssh", "the command has more than %d words", SSH_MAX_ARGS);
	if (inet_pton(AF_INET, who, &ip) != 1 && agent_mac_parse(who, strlen(who), false, mac) != 0)
		return cli_usage_error("ssh",
				       "'%s' is neither a MAC (aa:bb:cc:dd:ee:ff) nor an IPv4 "
				       "address",
				       who);

	key = path_join(t.env_dir, "ssh/id_ed25519");
	if (stat(key, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr,
			"boottorrent ssh: no key %s (`boottorrent init` makes one with ssh-keygen; "
			"phase 1 accepts only its public half): %s\n",
			key, strerror(errno ? errno : ENOENT));
		free(key);
		return EXIT_FAIL;
	}
	if (inet_pton(AF_INET, who, &ip) != 1) {
		struct diag_list dl;
		int r;

		/* The environment gives fixed hosts and the HTTP port; a broken
		 * one only costs those. */
		diag_list_init(&dl);
		if (bt_env_load(t.env_dir, &dl, &t.env) != 0 && !t.env)
			why_add(&t, "cannot read the environment in %s", t.env_dir);
		diag_list_release(&dl);
		r = resolve_mac(&t, mac, &ip);
		bt_env_free(t.env);
		if (r != 0) {
			fprintf(stderr, "boottorrent ssh: %s %s: %s\n",
				r == -EADDRNOTAVAIL ? "no address known for" : "no such machine",
				who, t.why[0] ? t.why : "not found");
			free(key);
			return EXIT_FAIL;
		}
		fprintf(stderr, "boottorrent ssh: %s is %s\n", who, inet_ntoa(ip));
	}
	snprintf(ipbuf, sizeof(ipbuf), "root@%s", inet_ntoa(ip));
	sshargv[n++] = "ssh";
	sshargv[n++] = "-i";
	sshargv[n++] = key;
	/* Phase 1 makes new host keys at every boot: nothing to remember. */
	sshargv[n++] = "-o";
	sshargv[n++] = "StrictHostKeyChecking=no";
	sshargv[n++] = "-o";
	sshargv[n++] = "UserKnownHostsFile=/dev/null";
	sshargv[n++] = "-o";
	sshargv[n++] = "IdentitiesOnly=yes";
	sshargv[n++] = "-o";
	sshargv[n++] = "LogLevel=ERROR";
	sshargv[n++] = ipbuf;
	if (rest > 0) {
		sshargv[n++] = "--";
		for (int i = 0; i < rest; i++)
			sshargv[n++] = argv[optind + i];
	}
	sshargv[n] = NULL;
	fflush(NULL);
	execvp("ssh", sshargv);
	fprintf(stderr, "boottorrent ssh: cannot run ssh (is openssh-client installed?): %s\n",
		strerror(errno));
	free(key);
	return EXIT_FAIL;
}
