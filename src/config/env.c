/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Loading an environment: Boottorrent.yaml (version 0 or 1) and each OS's
 * config.yaml, from YAML trees (ytree.h) into the typed model (env.h).
 * Every value is type-checked here and reported with its position; what
 * depends on other values or on the machine is left to check.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/env.h"
#include "config/value.h"
#include "util/parse.h"
#include "util/path.h"

/* The state of one file being read into the model. */
struct pctx {
	struct bt_env *env;
	struct diag_list *dl;
	const char *file; /* owned by env */
	size_t errors_before;
};

static struct config_pos pos_of(const struct pctx *c, const struct ynode *n)
{
	return (struct config_pos){.file = c->file, .line = n ? n->line : 0, .col = n ? n->col : 0};
}

static void perr(struct pctx *c, const struct ynode *n, const char *hint, const char *fmt, ...)
	PRINTF_LIKE(4, 5);
static void pwarn(struct pctx *c, const struct ynode *n, const char *hint, const char *fmt, ...)
	PRINTF_LIKE(4, 5);

static void perr(struct pctx *c, const struct ynode *n, const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(c->dl, DIAG_ERROR, c->file, n ? n->line : 0, n ? n->col : 0, hint, fmt, ap);
	va_end(ap);
}

static void pwarn(struct pctx *c, const struct ynode *n, const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(c->dl, DIAG_WARNING, c->file, n ? n->line : 0, n ? n->col : 0, hint, fmt, ap);
	va_end(ap);
}

/* "section.key" for messages, or just key at the top. */
static const char *dotted(char *out, size_t len, const char *section, const char *key)
{
	if (section)
		snprintf(out, len, "%s.%s", section, key);
	else
		snprintf(out, len, "%s", key);
	return out;
}

/* Warns about every key of map that is neither in known nor in quiet (keys
 * the original BootTorrent used that no longer mean anything), suggesting the
 * closest known key. */
static void check_keys(struct pctx *c, const struct ynode *map, const char *section,
		       const char *const *known, const char *const *quiet)
{
	if (!map || map->kind != YNODE_MAP)
		return;
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->keys[i];
		const char *sugg;
		char hint[512], name[160];
		bool found = false;

		if (k->dup)
			continue;
		for (size_t j = 0; known[j] && !found; j++)
			found = strcmp(k->str, known[j]) == 0;
		for (size_t j = 0; quiet && quiet[j] && !found; j++)
			found = strcmp(k->str, quiet[j]) == 0;
		if (found)
			continue;
		sugg = diag_suggest(k->str, known);
		if (sugg) {
			snprintf(hint, sizeof(hint), "did you mean '%s'?", sugg);
		} else {
			size_t off =
				(size_t)snprintf(hint, sizeof(hint), "it is ignored; known keys:");
			for (size_t j = 0; known[j] && off < sizeof(hint); j++)
				off += (size_t)snprintf(hint + off, sizeof(hint) - off, "%s %s",
							j ? "," : "", known[j]);
		}
		pwarn(c, k, hint, "unknown key '%.100s'%s%s", k->str, section ? " in " : "",
		      section ? dotted(name, sizeof(name), NULL, section) : "");
	}
}

/* The value of key in map, or NULL when absent or written empty. */
static const struct ynode *get_node(const struct ynode *map, const char *key)
{
	const struct ynode *n = ynode_map_get(map, key);

	return ynode_is_null(n) ? NULL : n;
}

/* A section: a mapping, or NULL when absent, empty or (reported) not a map. */
static const struct ynode *get_section(struct pctx *c, const struct ynode *map, const char *key)
{
	const struct ynode *n = get_node(map, key);

	if (n && n->kind != YNODE_MAP) {
		char hint[128];
		snprintf(hint, sizeof(hint),
			 "write '%s:' on its own line and its keys indented below", key);
		perr(c, n, hint, "'%s' must be a mapping of keys, not %s", key, ynode_kind_name(n));
		return NULL;
	}
	return n;
}

static const char *scalar_text(struct pctx *c, const struct ynode *n, const char *where)
{
	if (n->kind != YNODE_SCALAR) {
		perr(c, n, "write a single value after the colon",
		     "%s must be a single value, not %s", where, ynode_kind_name(n));
		return NULL;
	}
	return n->str;
}

/* The text of key in map, with its node and its dotted name (where, 128
 * bytes) for messages; NULL when absent or (reported) not a single value. */
static const char *get_scalar(struct pctx *c, const struct ynode *map, const char *section,
			      const char *key, char where[static 128], const struct ynode **n)
{
	if (!(*n = get_node(map, key)))
		return NULL;
	dotted(where, 128, section, key);
	return scalar_text(c, *n, where);
}

static bool get_bool(struct pctx *c, const struct ynode *map, const char *section, const char *key,
		     bool *out, struct config_pos *pos)
{
	const struct ynode *n;
	char where[128];
	const char *s;

	if (!(s = get_scalar(c, map, section, key, where, &n)))
		return false;
	if (!n->plain || config_parse_bool(s, out) < 0) {
		perr(c, n, "write true or false, without quotes",
		     "%s must be true or false, not '%.80s'", where, s);
		return false;
	}
	if (pos)
		*pos = pos_of(c, n);
	return true;
}

static bool looks_integer(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool get_i64(struct pctx *c, const struct ynode *map, const char *section, const char *key,
		    int64_t min, int64_t max, int64_t *out, struct config_pos *pos)
{
	const struct ynode *n;
	char where[128], hint[128];
	const char *s;

	if (!(s = get_scalar(c, map, section, key, where, &n)))
		return false;
	/* The original read numbers with Python's int(), which also took them
	 * quoted, so quoted digits are numbers here too. */
	/* util's parse_i64_str() checks min only for negative numbers, so
	 * both bounds are checked here again. */
	if (parse_i64_str(s, min, max, out) == 0 && *out >= min && *out <= max) {
		if (pos)
			*pos = pos_of(c, n);
		return true;
	}
	snprintf(hint, sizeof(hint), "use a whole number from %lld to %lld", (long long)min,
		 (long long)max);
	if (looks_integer(s))
		perr(c, n, hint, "%s is out of range: %.40s%s", where, s,
		     strlen(s) > 40 ? "..." : "");
	else
		perr(c, n, hint, "%s must be a whole number, not '%.80s'", where, s);
	return false;
}

static bool get_port(struct pctx *c, const struct ynode *map, const char *section, const char *key,
		     uint16_t *out, struct config_pos *pos)
{
	int64_t v;

	if (!get_i64(c, map, section, key, 1, 65535, &v, pos))
		return false;
	*out = (uint16_t)v;
	return true;
}

/* Text value; replaces (and frees) *out. Numbers and booleans written plain
 * are taken as the text they were written as. */
static bool get_str(struct pctx *c, const struct ynode *map, const char *section, const char *key,
		    char **out, struct config_pos *pos)
{
	const struct ynode *n;
	char where[128];
	const char *s;

	if (!(s = get_scalar(c, map, section, key, where, &n)))
		return false;
	if (strlen(s) != n->len) {
		perr(c, n, "remove the NUL character", "%s contains a NUL character", where);
		return false;
	}
	free(*out);
	*out = xstrdup(s);
	if (pos)
		*pos = pos_of(c, n);
	return true;
}

static bool get_ipv4(struct pctx *c, const struct ynode *map, const char *section, const char *key,
		     struct in_addr *out, struct config_pos *pos)
{
	const struct ynode *n;
	char where[128];
	const char *s;

	if (!(s = get_scalar(c, map, section, key, where, &n)))
		return false;
	if (config_parse_ipv4(s, out) < 0) {
		perr(c, n, "write an IPv4 address like 192.168.1.1",
		     "%s must be an IPv4 address, not '%.80s'", where, s);
		return false;
	}
	if (pos)
		*pos = pos_of(c, n);
	return true;
}

static bool get_duration(struct pctx *c, const struct ynode *map, const char *section,
			 const char *key, uint32_t min, uint32_t *out)
{
	const struct ynode *n;
	char where[128];
	const char *s;
	uint32_t v;

	if (!(s = get_scalar(c, map, section, key, where, &n)))
		return false;
	if (config_parse_duration(s, 366u * 86400, &v) < 0 || v < min) {
		char hint[128];
		snprintf(hint, sizeof(hint),
			 "write seconds or a number with s, m, h, d or w (at least %us, at most "
			 "a year), or infinite",
			 min);
		perr(c, n, hint, "%s is not a valid duration: '%.80s'", where, s);
		return false;
	}
	*out = v;
	return true;
}

static bool get_size(struct pctx *c, const struct ynode *map, const char *section, const char *key,
		     uint64_t max, uint64_t *out, struct config_pos *pos)
{
	const struct ynode *n;
	char where[128];
	const char *s;

	if (!(s = get_scalar(c, map, section, key, where, &n)))
		return false;
	if (parse_size_str(s, out) < 0 || *out > max) {
		perr(c, n, "write a number of bytes, optionally with k, M or G (e.g. 4M)",
		     "%s is not a valid size: '%.80s'", where, s);
		return false;
	}
	if (pos)
		*pos = pos_of(c, n);
	return true;
}

static bool get_log_level(struct pctx *c, const struct ynode *n, const char *where,
			  enum log_level *out)
{
	static const char *const names[] = {"error", "warn", "info", "debug", NULL};
	const char *s = scalar_text(c, n, where);
	const char *sugg;
	char hint[128];

	if (!s)
		return false;
	if (log_level_parse(s, out) == 0)
		return true;
	/* Aria2's levels, which version 0 used: "notice" sits between warn
	 * and info, and reads as info. "warning" is a common spelling. */
	if (strcmp(s, "notice") == 0) {
		*out = LOG_INFO;
		return true;
	}
	if (strcmp(s, "warning") == 0) {
		*out = LOG_WARN;
		return true;
	}
	sugg = diag_suggest(s, names);
	if (sugg)
		snprintf(hint, sizeof(hint), "did you mean '%s'?", sugg);
	else
		snprintf(hint, sizeof(hint), "use error, warn, info or debug");
	perr(c, n, hint, "%s must be a log level, not '%.80s'", where, s);
	return false;
}

/* Reads the interface name (dhcp.interface, dnsmasq.interface): what
 * Linux accepts, at most 15 bytes without '/', ':' or spaces. */
static void get_ifname(struct pctx *c, const struct ynode *map, const char *section)
{
	struct bt_env *env = c->env;
	const char *s;

	if (!get_str(c, map, section, "interface", &env->dhcp.interface, &env->dhcp.interface_pos))
		return;
	s = env->dhcp.interface;
	if (*s && strlen(s) < 16 && !strpbrk(s, "/: \t\n") && strcmp(s, ".") != 0 &&
	    strcmp(s, "..") != 0)
		return;
	perr(c, get_node(map, "interface"), "name one network card, as 'ip link' shows it",
	     "%s.interface '%.80s' is not an interface name", section, s);
	free(env->dhcp.interface);
	env->dhcp.interface = NULL;
}

/* ---- the OS list ---- */

static struct env_os *os_find(struct bt_env *env, const char *name)
{
	for (size_t i = 0; i < env->n_oss; i++)
		if (strcmp(env->oss[i].name, name) == 0)
			return &env->oss[i];
	return NULL;
}

const struct env_os *bt_env_find_os(const struct bt_env *env, const char *name)
{
	return os_find((struct bt_env *)env, name);
}

/* Appends an OS entry (no config read yet). The caller checks the cap. */
static struct env_os *os_append(struct bt_env *env, const char *name, struct config_pos pos)
{
	struct env_os *os;

	env->oss = xrealloc(env->oss, (env->n_oss + 1) * sizeof(*env->oss));
	os = &env->oss[env->n_oss++];
	memset(os, 0, sizeof(*os));
	os->name = xstrdup(name);
	os->config_path = xmalloc(strlen(env->dir) + strlen(name) + 32);
	snprintf(os->config_path, strlen(env->dir) + strlen(name) + 32, "%s/oss/%s/%s", env->dir,
		 name, ENV_OS_CONFIG_NAME);
	os->pos = pos;
	return os;
}

/* Reads the menu: a list of folder names under oss/, in display order. */
static void parse_menu(struct pctx *c, const struct ynode *n, const char *where)
{
	struct bt_env *env = c->env;

	if (n->kind != YNODE_SEQ) {
		perr(c, n, "write a list, e.g. [debian, freedos]",
		     "%s must be a list of folder names under oss/, not %s", where,
		     ynode_kind_name(n));
		return;
	}
	env->boot.menu_set = true;
	env->boot.menu_pos = pos_of(c, n);
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *item = n->vals[i];
		const struct env_os *prev;
		char hint[160];
		const char *s = scalar_text(c, item, where);

		if (!s)
			continue;
		if (!path_component_ok(s, item->len) || strlen(s) != item->len) {
			perr(c, item, "name a folder directly under oss/",
			     "'%.80s' in %s is not a folder name", s, where);
			continue;
		}
		if ((prev = os_find(env, s))) {
			snprintf(hint, sizeof(hint), "list each OS once (it is already at line %u)",
				 prev->pos.line);
			perr(c, item, hint, "'%.80s' appears twice in %s", s, where);
			continue;
		}
		if (env->n_oss >= ENV_MAX_OSS) {
			perr(c, item, "serve fewer OSs from one environment",
			     "more than %d OSs in %s", ENV_MAX_OSS, where);
			return;
		}
		os_append(env, s, pos_of(c, item));
	}
}

/* ---- version 0: the original BootTorrent's file ---- */

static void parse_v0(struct pctx *c, const struct ynode *root)
{
	static const char *const top[] = {"boottorrent", "dnsmasq", "opentracker", "aria2", NULL};
	/* Sections of older releases of the original: accepted unchanged. */
	static const char *const top_old[] = {"transmission", "hefur", NULL};
	static const char *const bt_keys[] = {"version", "timeout",	"default_os", "seed_time",
					      "host_ip", "display_oss", NULL};
	static const char *const dm_keys[] = {
		"enable_dhcp", "user",	      "interface", "bind_interfaces",
		"dhcp_range",  "enable_tftp", NULL};
	static const char *const dm_old[] = {"port", NULL};
	static const char *const ot_keys[] = {"enable", "port", NULL};
	static const char *const a2_keys[] = {"bt_enable_lpd", "enable_peer_exchange",
					      "console_log_level", NULL};
	static const char *const a2_old[] = {"enable_dht", "check_integrity", "seed", "client",
					     NULL};
	struct bt_env *env = c->env;
	const struct ynode *bt, *dm, *ot, *a2, *n;
	int64_t v;
	bool b;

	check_keys(c, root, NULL, top, top_old);

	bt = get_section(c, root, "boottorrent");
	check_keys(c, bt, "boottorrent", bt_keys, NULL);
	env->boot.timeout_pos = pos_of(c, ynode_map_key(root, "boottorrent"));
	if (get_i64(c, bt, "boottorrent", "timeout", -ENV_MAX_SECONDS, ENV_MAX_SECONDS, &v,
		    &env->boot.timeout_pos))
		env->boot.timeout = v < 0 ? -1 : v;
	get_str(c, bt, "boottorrent", "default_os", &env->boot.default_os,
		&env->boot.default_os_pos);
	n = get_node(bt, "seed_time");
	if (n && n->kind == YNODE_SCALAR && n->str[0] == '-' && looks_integer(n->str)) {
		perr(c, n, "use 0 to boot as soon as the download is complete",
		     "boottorrent.seed_time must not be negative");
	} else if (get_i64(c, bt, "boottorrent", "seed_time", 0, ENV_MAX_SECONDS, &v,
			   &env->boot.seed_time_pos)) {
		env->boot.seed_time = (uint32_t)v;
	}
	if (get_ipv4(c, bt, "boottorrent", "host_ip", &env->server.address,
		     &env->server.address_pos))
		env->server.has_address = true;
	else if (!get_node(bt, "host_ip"))
		perr(c, bt ? ynode_map_key(root, "boottorrent") : root,
		     "add 'host_ip: ADDRESS' (this server's IPv4 address as clients see it) under "
		     "boottorrent:",
		     "boottorrent.host_ip is missing");
	if ((n = get_node(bt, "display_oss")))
		parse_menu(c, n, "boottorrent.display_oss");

	dm = get_section(c, root, "dnsmasq");
	check_keys(c, dm, "dnsmasq", dm_keys, dm_old);
	if (dm)
		env->dhcp.mode_pos = pos_of(c, ynode_map_key(root, "dnsmasq"));
	if (get_bool(c, dm, "dnsmasq", "enable_dhcp", &b, &env->dhcp.mode_pos))
		env->dhcp.mode = b ? ENV_DHCP_SERVER : ENV_DHCP_OFF;
	get_str(c, dm, "dnsmasq", "user", &env->server.user, &env->server.user_pos);
	get_ifname(c, dm, "dnsmasq");
	get_bool(c, dm, "dnsmasq", "bind_interfaces", &env->dhcp.bind_interface, NULL);
	get_bool(c, dm, "dnsmasq", "enable_tftp", &env->tftp.enable, NULL);
	if ((n = get_node(dm, "dhcp_range"))) {
		struct config_v0_range r;
		const char *why = NULL;
		const char *s = scalar_text(c, n, "dnsmasq.dhcp_range");

		if (s && config_parse_v0_range(s, &r, &why) < 0) {
			perr(c, n,
			     "write it as \"FIRST,LAST,LEASE\", e.g. "
			     "\"192.168.1.50,192.168.1.150,12h\"",
			     "dnsmasq.dhcp_range '%.80s' is not valid: %s", s, why);
		} else if (s) {
			env->dhcp.range_pos = pos_of(c, n);
			if (r.proxy) {
				/* dnsmasq's proxy form names the network that
				 * an existing server hands out addresses in. */
				if (env->dhcp.mode == ENV_DHCP_SERVER)
					env->dhcp.mode = ENV_DHCP_PROXY;
			} else {
				env->dhcp.has_range = true;
				env->dhcp.range_start = r.start;
				env->dhcp.range_end = r.end;
			}
			if (r.has_netmask) {
				env->dhcp.has_netmask = true;
				env->dhcp.netmask = r.netmask;
				env->dhcp.netmask_pos = env->dhcp.range_pos;
			}
			/* Without a lease time dnsmasq gives one hour. */
			env->dhcp.lease_time = r.has_lease ? r.lease : 3600;
		}
	}

	/* hefur was the original's tracker before opentracker, same keys. */
	ot = get_section(c, root, "opentracker");
	if (ot)
		env->tracker.enable_pos = pos_of(c, ynode_map_key(root, "opentracker"));
	if (!ot && get_node(root, "hefur"))
		ot = get_section(c, root, "hefur");
	check_keys(c, ot, ot == get_node(root, "hefur") ? "hefur" : "opentracker", ot_keys, NULL);
	get_bool(c, ot, "opentracker", "enable", &env->tracker.enable, &env->tracker.enable_pos);
	/* The original's documented tracker port. */
	env->tracker.port = 10001;
	get_port(c, ot, "opentracker", "port", &env->tracker.port, &env->tracker.port_pos);

	a2 = get_section(c, root, "aria2");
	check_keys(c, a2, "aria2", a2_keys, a2_old);
	get_bool(c, a2, "aria2", "bt_enable_lpd", &env->swarm.lpd, &env->swarm.lpd_pos);
	get_bool(c, a2, "aria2", "enable_peer_exchange", &env->swarm.pex, NULL);
	if ((n = get_node(a2, "console_log_level")))
		get_log_level(c, n, "aria2.console_log_level", &env->logging.level);
	if (get_bool(c, a2, "aria2", "enable_dht", &b, NULL) && b)
		pwarn(c, ynode_map_key(a2, "enable_dht"),
		      "clients find each other through the tracker, LPD and PEX",
		      "aria2.enable_dht is ignored: BootTorrent does not use DHT");
}

/* ---- version 1: ours ---- */

static void parse_hosts(struct pctx *c, const struct ynode *n)
{
	static const char *const keys[] = {"mac", "ip", "os", "hostname", NULL};
	struct bt_env *env = c->env;

	if (n->kind != YNODE_SEQ) {
		perr(c, n, "write one '- mac: ...' entry per machine",
		     "hosts must be a list, not %s", ynode_kind_name(n));
		return;
	}
	if (n->n > ENV_MAX_HOSTS) {
		perr(c, n, "split the machines over several environments", "more than %d hosts",
		     ENV_MAX_HOSTS);
		return;
	}
	env->hosts = xcalloc(n->n ? n->n : 1, sizeof(*env->hosts));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *h = n->vals[i], *mac;
		struct env_host *host = &env->hosts[env->n_hosts];
		const char *s;
		char hint[128];
		bool dup = false;

		if (h->kind != YNODE_MAP) {
			perr(c, h, "write each host as a mapping with mac, and ip and/or os",
			     "hosts entry must be a mapping, not %s", ynode_kind_name(h));
			continue;
		}
		check_keys(c, h, "hosts entry", keys, NULL);
		mac = get_node(h, "mac");
		if (!mac) {
			perr(c, h, "add 'mac: 52:54:00:12:34:56' naming the machine's network card",
			     "hosts entry has no mac");
			continue;
		}
		if (!(s = scalar_text(c, mac, "hosts.mac")))
			continue;
		if (config_parse_mac(s, host->mac) < 0) {
			perr(c, mac, "write six hex pairs like 52:54:00:12:34:56 (quote it)",
			     "hosts.mac '%.80s' is not a MAC address", s);
			continue;
		}
		for (size_t j = 0; j < env->n_hosts && !dup; j++) {
			if (memcmp(env->hosts[j].mac, host->mac, 6) == 0) {
				snprintf(hint, sizeof(hint),
					 "merge the two entries (the first is at line %u)",
					 env->hosts[j].pos.line);
				perr(c, mac, hint, "MAC address %s is listed twice", s);
				dup = true;
			}
		}
		if (dup)
			continue;
		host->pos = pos_of(c, mac);
		host->has_ip = get_ipv4(c, h, "hosts", "ip", &host->ip, &host->ip_pos);
		get_str(c, h, "hosts", "os", &host->os, &host->os_pos);
		if (get_str(c, h, "hosts", "hostname", &host->hostname, &host->hostname_pos) &&
		    !config_hostname_ok(host->hostname))
			perr(c, get_node(h, "hostname"),
			     "use letters, digits and '-' (e.g. lab-pc-01)",
			     "hosts.hostname '%.80s' is not a valid host name", host->hostname);
		env->n_hosts++;
	}
}

static void parse_logging(struct pctx *c, const struct ynode *lg)
{
	static const char *const keys[] = {"level", "components", NULL};
	/* Every component the server or the agent logs as (each module's
	 * COMP, upper-cased there). */
	static const char *const comps[] = {"dhcp",  "tftp",  "http",	"tracker", "peer",
					    "swarm", "agent", "server", NULL};
	struct bt_env *env = c->env;
	const struct ynode *n;

	check_keys(c, lg, "logging", keys, NULL);
	if ((n = get_node(lg, "level")))
		get_log_level(c, n, "logging.level", &env->logging.level);
	n = get_section(c, lg, "components");
	for (size_t i = 0; n && i < n->n; i++) {
		const struct ynode *k = n->keys[i];
		struct env_log_component *lc;
		enum log_level lvl;
		char where[160], hint[128];
		bool known = false;

		if (k->dup)
			continue;
		for (size_t j = 0; comps[j] && !known; j++)
			known = strcmp(k->str, comps[j]) == 0;
		if (!known) {
			const char *sugg = diag_suggest(k->str, comps);
			if (sugg)
				snprintf(hint, sizeof(hint), "did you mean '%s'?", sugg);
			else
				snprintf(hint, sizeof(hint),
					 "components are dhcp, tftp, http, tracker, peer, swarm, "
					 "agent, server");
			pwarn(c, k, hint, "unknown log component '%.80s'", k->str);
			continue;
		}
		snprintf(where, sizeof(where), "logging.components.%s", k->str);
		if (ynode_is_null(n->vals[i]) || !get_log_level(c, n->vals[i], where, &lvl))
			continue;
		if (env->logging.n_components >= ENV_MAX_LOG_COMPONENTS)
			break;
		lc = &env->logging.components[env->logging.n_components++];
		lc->component = xstrdup(k->str);
		for (char *p = lc->component; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		lc->level = lvl;
	}
}

static void parse_announce(struct pctx *c, const struct ynode *n)
{
	struct bt_env *env = c->env;

	if (n->kind != YNODE_SEQ) {
		perr(c, n, "write a list of URLs", "tracker.announce must be a list, not %s",
		     ynode_kind_name(n));
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *u = n->vals[i];
		const char *s = scalar_text(c, u, "tracker.announce");

		if (!s)
			continue;
		if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0 &&
		    strncmp(s, "udp://", 6) != 0) {
			perr(c, u, "use a tracker URL like udp://tracker.example:6969/announce",
			     "tracker.announce '%.80s' is not an http, https or udp URL", s);
			continue;
		}
		if (strlen(s) > 1024 || strlen(s) != u->len) {
			perr(c, u, "use a shorter URL",
			     "tracker.announce URL is too long or has a NUL");
			continue;
		}
		if (env->tracker.n_announce >= ENV_MAX_ANNOUNCE) {
			perr(c, u, "list fewer trackers", "more than %d tracker URLs",
			     ENV_MAX_ANNOUNCE);
			return;
		}
		env->tracker.announce =
			xrealloc(env->tracker.announce,
				 (env->tracker.n_announce + 1) * sizeof(*env->tracker.announce));
		env->tracker.announce[env->tracker.n_announce++] = xstrdup(s);
	}
}

static void parse_v1(struct pctx *c, const struct ynode *root)
{
	static const char *const top[] = {"version", "boot",  "server",	 "dhcp",  "tftp", "http",
					  "tracker", "swarm", "logging", "hosts", NULL};
	static const char *const boot_keys[] = {"timeout", "default_os", "seed_time", "menu", NULL};
	static const char *const server_keys[] = {"address", "user", NULL};
	static const char *const dhcp_keys[] = {"mode",	 "interface",  "bind_interface",
						"range", "netmask",    "router",
						"dns",	 "lease_time", NULL};
	static const char *const tftp_keys[] = {"enable", "port", "blksize_max", "workers", NULL};
	static const char *const http_keys[] = {"enable", "port", NULL};
	static const char *const tracker_keys[] = {"enable", "port", "interval", "announce", NULL};
	static const char *const swarm_keys[] = {"port",	 "lpd",	       "pex", "super_seed",
						 "super_seed_copies", "upload_limit", "piece_size", NULL};
	static const char *const modes[] = {"server", "proxy", "off", NULL};
	struct bt_env *env = c->env;
	const struct ynode *s, *n;
	int64_t v;
	uint64_t u;

	check_keys(c, root, NULL, top, NULL);

	s = get_section(c, root, "boot");
	check_keys(c, s, "boot", boot_keys, NULL);
	if (s)
		env->boot.timeout_pos = pos_of(c, ynode_map_key(root, "boot"));
	if (get_i64(c, s, "boot", "timeout", -ENV_MAX_SECONDS, ENV_MAX_SECONDS, &v,
		    &env->boot.timeout_pos))
		env->boot.timeout = v < 0 ? -1 : v;
	get_str(c, s, "boot", "default_os", &env->boot.default_os, &env->boot.default_os_pos);
	n = get_node(s, "seed_time");
	if (n && n->kind == YNODE_SCALAR && n->str[0] == '-' && looks_integer(n->str)) {
		perr(c, n, "use 0 to boot as soon as the download is complete",
		     "boot.seed_time must not be negative");
	} else if (get_i64(c, s, "boot", "seed_time", 0, ENV_MAX_SECONDS, &v,
			   &env->boot.seed_time_pos)) {
		env->boot.seed_time = (uint32_t)v;
	}
	if ((n = get_node(s, "menu")))
		parse_menu(c, n, "boot.menu");

	s = get_section(c, root, "server");
	check_keys(c, s, "server", server_keys, NULL);
	env->server.has_address =
		get_ipv4(c, s, "server", "address", &env->server.address, &env->server.address_pos);
	get_str(c, s, "server", "user", &env->server.user, &env->server.user_pos);

	s = get_section(c, root, "dhcp");
	check_keys(c, s, "dhcp", dhcp_keys, NULL);
	if (s)
		env->dhcp.mode_pos = pos_of(c, ynode_map_key(root, "dhcp"));
	if ((n = get_node(s, "mode"))) {
		const char *m = scalar_text(c, n, "dhcp.mode");
		bool ok = true;
		if (!m)
			ok = false;
		else if (strcmp(m, "server") == 0)
			env->dhcp.mode = ENV_DHCP_SERVER;
		else if (strcmp(m, "proxy") == 0)
			env->dhcp.mode = ENV_DHCP_PROXY;
		/* A plain "off" reads as a YAML 1.1 false; take both. */
		else if (strcmp(m, "off") == 0 || strcmp(m, "false") == 0)
			env->dhcp.mode = ENV_DHCP_OFF;
		else {
			const char *sugg = diag_suggest(m, modes);
			char hint[96];
			if (sugg)
				snprintf(hint, sizeof(hint), "did you mean '%s'?", sugg);
			else
				snprintf(hint, sizeof(hint), "use server, proxy or off");
			perr(c, n, hint, "dhcp.mode must be server, proxy or off, not '%.80s'", m);
			ok = false;
		}
		if (ok)
			env->dhcp.mode_pos = pos_of(c, n);
	}
	get_ifname(c, s, "dhcp");
	get_bool(c, s, "dhcp", "bind_interface", &env->dhcp.bind_interface, NULL);
	if ((n = get_node(s, "range"))) {
		const char *r = scalar_text(c, n, "dhcp.range");
		if (r && config_parse_range(r, &env->dhcp.range_start, &env->dhcp.range_end) < 0)
			perr(c, n, "write FIRST-LAST, e.g. 10.0.0.100-10.0.0.200",
			     "dhcp.range '%.80s' is not a range of IPv4 addresses", r);
		else if (r) {
			env->dhcp.has_range = true;
			env->dhcp.range_pos = pos_of(c, n);
		}
	}
	if ((n = get_node(s, "netmask"))) {
		const char *m = scalar_text(c, n, "dhcp.netmask");
		if (m && config_parse_netmask(m, &env->dhcp.netmask) < 0)
			perr(c, n, "write a netmask like 255.255.255.0",
			     "dhcp.netmask '%.80s' is not a netmask", m);
		else if (m) {
			env->dhcp.has_netmask = true;
			env->dhcp.netmask_pos = pos_of(c, n);
		}
	}
	env->dhcp.has_router =
		get_ipv4(c, s, "dhcp", "router", &env->dhcp.router, &env->dhcp.router_pos);
	if ((n = get_node(s, "dns"))) {
		if (n->kind == YNODE_SCALAR) {
			if (get_ipv4(c, s, "dhcp", "dns", &env->dhcp.dns[0], NULL))
				env->dhcp.n_dns = 1;
		} else if (n->kind == YNODE_SEQ) {
			for (size_t i = 0; i < n->n; i++) {
				const char *a = scalar_text(c, n->vals[i], "dhcp.dns");
				if (!a)
					continue;
				if (env->dhcp.n_dns >= ENV_MAX_DNS) {
					perr(c, n->vals[i], "list at most 4 DNS servers",
					     "too many DNS servers");
					break;
				}
				if (config_parse_ipv4(a, &env->dhcp.dns[env->dhcp.n_dns]) < 0)
					perr(c, n->vals[i], "write an IPv4 address like 10.0.0.1",
					     "dhcp.dns '%.80s' is not an IPv4 address", a);
				else
					env->dhcp.n_dns++;
			}
		} else {
			perr(c, n, "write one address or a list",
			     "dhcp.dns must be a list of addresses");
		}
	}
	get_duration(c, s, "dhcp", "lease_time", 60, &env->dhcp.lease_time);

	s = get_section(c, root, "tftp");
	check_keys(c, s, "tftp", tftp_keys, NULL);
	get_bool(c, s, "tftp", "enable", &env->tftp.enable, NULL);
	get_port(c, s, "tftp", "port", &env->tftp.port, &env->tftp.port_pos);
	if (get_i64(c, s, "tftp", "blksize_max", 512, 65464, &v, NULL))
		env->tftp.blksize_max = (uint16_t)v;
	/* The TFTP server's transfer threads (tftp/server.h); 0 = automatic. */
	if (get_i64(c, s, "tftp", "workers", 0, 16, &v, NULL))
		env->tftp.workers = (unsigned)v;

	s = get_section(c, root, "http");
	check_keys(c, s, "http", http_keys, NULL);
	get_bool(c, s, "http", "enable", &env->http.enable, NULL);
	get_port(c, s, "http", "port", &env->http.port, &env->http.port_pos);

	s = get_section(c, root, "tracker");
	check_keys(c, s, "tracker", tracker_keys, NULL);
	if (s)
		env->tracker.enable_pos = pos_of(c, ynode_map_key(root, "tracker"));
	get_bool(c, s, "tracker", "enable", &env->tracker.enable, &env->tracker.enable_pos);
	get_port(c, s, "tracker", "port", &env->tracker.port, &env->tracker.port_pos);
	if (get_i64(c, s, "tracker", "interval", 5, 3600, &v, NULL))
		env->tracker.interval = (uint32_t)v;
	if ((n = get_node(s, "announce")))
		parse_announce(c, n);

	s = get_section(c, root, "swarm");
	check_keys(c, s, "swarm", swarm_keys, NULL);
	get_port(c, s, "swarm", "port", &env->swarm.port, &env->swarm.port_pos);
	get_bool(c, s, "swarm", "lpd", &env->swarm.lpd, &env->swarm.lpd_pos);
	get_bool(c, s, "swarm", "pex", &env->swarm.pex, NULL);
	get_bool(c, s, "swarm", "super_seed", &env->swarm.super_seed, NULL);
	if (get_i64(c, s, "swarm", "super_seed_copies", 1, 1000, &v, NULL))
		env->swarm.super_seed_copies = (uint32_t)v;
	get_size(c, s, "swarm", "upload_limit", UINT64_MAX >> 1, &env->swarm.upload_limit, NULL);
	if (get_size(c, s, "swarm", "piece_size", (uint64_t)16 << 20, &u,
		     &env->swarm.piece_size_pos)) {
		/* BitTorrent clients expect a power of two of at least 16 KiB. */
		if (u != 0 && (u < 16384 || (u & (u - 1)) != 0))
			perr(c, get_node(s, "piece_size"),
			     "use a power of two from 16k to 16M, or 0 to choose by size",
			     "swarm.piece_size must be a power of two of at least 16 KiB");
		else
			env->swarm.piece_size = (uint32_t)u;
	}

	if ((s = get_section(c, root, "logging")))
		parse_logging(c, s);
	if ((n = get_node(root, "hosts")))
		parse_hosts(c, n);
}

/* ---- entry points ---- */

struct bt_env *bt_env_new(const char *dir)
{
	struct bt_env *env = xcalloc(1, sizeof(*env));

	env->dir = xstrdup(dir);
	env->config_path = path_join(dir, ENV_CONFIG_NAME);
	env->version = -1;
	env->boot.timeout = 30;
	env->boot.seed_time = 30;
	env->dhcp.mode = ENV_DHCP_SERVER;
	env->dhcp.bind_interface = true;
	env->dhcp.lease_time = 12 * 3600;
	env->tftp.enable = true;
	env->tftp.port = 69;
	env->tftp.blksize_max = 1468;
	env->http.enable = true;
	env->http.port = 8080;
	env->tracker.enable = true;
	env->tracker.port = 6969;
	env->tracker.interval = 30;
	env->swarm.port = 6881;
	env->swarm.lpd = false;
	env->swarm.pex = true;
	env->swarm.super_seed = true;
	env->swarm.super_seed_copies = 2;
	env->logging.level = LOG_INFO;
	return env;
}

static void os_release(struct env_os *os)
{
	free(os->name);
	free(os->config_path);
	free(os->dispname);
	free(os->kernel);
	free(os->initrd);
	free(os->cmdline);
	free(os->bin);
	free(os->binargs);
	free(os->args);
}

void bt_env_free(struct bt_env *env)
{
	if (!env)
		return;
	for (size_t i = 0; i < env->n_oss; i++)
		os_release(&env->oss[i]);
	free(env->oss);
	for (size_t i = 0; i < env->n_hosts; i++) {
		free(env->hosts[i].os);
		free(env->hosts[i].hostname);
	}
	free(env->hosts);
	for (size_t i = 0; i < env->tracker.n_announce; i++)
		free(env->tracker.announce[i]);
	free(env->tracker.announce);
	for (size_t i = 0; i < env->logging.n_components; i++)
		free(env->logging.components[i].component);
	free(env->boot.default_os);
	free(env->server.user);
	free(env->dhcp.interface);
	free(env->dir);
	free(env->config_path);
	free(env);
}

int bt_env_parse_main(struct bt_env *env, const uint8_t *buf, size_t len, struct diag_list *dl)
{
	struct pctx c = {
		.env = env, .dl = dl, .file = env->config_path, .errors_before = dl->n_errors};
	struct ynode *root = NULL;
	const struct ynode *ver, *bt;
	int r;

	r = ytree_parse(env->config_path, buf, len, dl, &root);
	if (r < 0)
		return r;
	if (r > 0)
		return CONFIG_E_INVALID;
	if (!root || ynode_is_null(root)) {
		perr(&c, NULL, "start from 'boottorrent init NAME', or add 'version: 1'",
		     "the file is empty");
		goto out;
	}
	if (root->kind != YNODE_MAP) {
		perr(&c, root, "the file must be sections like 'boot:' and 'dhcp:' with keys below",
		     "the top level must be a mapping of sections, not %s", ynode_kind_name(root));
		goto out;
	}
	/* Version 1 says so at the top; version 0 inside boottorrent:. */
	ver = get_node(root, "version");
	bt = get_node(root, "boottorrent");
	if (!ver && bt && bt->kind != YNODE_MAP) {
		perr(&c, bt, "write 'boottorrent:' on its own line and 'version: 0' indented below",
		     "'boottorrent' must be a mapping of keys, not %s", ynode_kind_name(bt));
		goto out;
	}
	if (!ver && bt && bt->kind == YNODE_MAP) {
		ver = get_node(bt, "version");
		if (!ver) {
			perr(&c, ynode_map_key(root, "boottorrent"),
			     "add 'version: 0' under boottorrent:, or rewrite the file as version "
			     "1",
			     "boottorrent.version is missing");
			goto out;
		}
		if (ver->kind != YNODE_SCALAR || strcmp(ver->str, "0") != 0) {
			perr(&c, ver, "this program reads version 0 (the original's) and 1",
			     "unsupported version '%.40s' in boottorrent.version",
			     ver->kind == YNODE_SCALAR ? ver->str : "?");
			goto out;
		}
		env->version = 0;
		env->version_pos = pos_of(&c, ver);
		parse_v0(&c, root);
	} else if (ver) {
		if (ver->kind != YNODE_SCALAR || strcmp(ver->str, "1") != 0) {
			perr(&c, ver,
			     ver->kind == YNODE_SCALAR && strcmp(ver->str, "0") == 0
				     ? "a version-0 file keeps 'version: 0' inside 'boottorrent:'"
				     : "this program reads version 0 (the original's) and 1",
			     "unsupported version '%.40s'",
			     ver->kind == YNODE_SCALAR ? ver->str : "?");
			goto out;
		}
		env->version = 1;
		env->version_pos = pos_of(&c, ver);
		parse_v1(&c, root);
	} else {
		perr(&c, root, "add 'version: 1' as the first line",
		     "the file does not say which version it is written in");
	}
out:
	ynode_free(root);
	return dl->n_errors > c.errors_before ? CONFIG_E_INVALID : 0;
}

static const char *method_names[] = {"kexec", "bin", "bin-qemu-x86_64", NULL};

int bt_env_parse_os(struct bt_env *env, const char *name, const uint8_t *buf, size_t len,
		    struct diag_list *dl)
{
	static const char *const keys[] = {"dispname", "method",  "kernel", "initrd", "cmdline",
					   "bin",      "binargs", "args",   NULL};
	struct env_os *os = os_find(env, name);
	struct pctx c = {.env = env, .dl = dl, .errors_before = dl->n_errors};
	struct ynode *root = NULL;
	const struct ynode *n;
	const char *m;
	int r;

	if (!os) {
		if (env->n_oss >= ENV_MAX_OSS) {
			diag_add(dl, DIAG_ERROR, env->dir, 0, 0,
				 "serve fewer OSs from one environment", "more than %d OSs in oss/",
				 ENV_MAX_OSS);
			return CONFIG_E_INVALID;
		}
		os = os_append(env, name, (struct config_pos){0});
	}
	c.file = os->config_path;
	if (!buf) {
		perr(&c, NULL,
		     "each OS folder needs a config.yaml with at least dispname and method (see "
		     "oss/README)",
		     "missing");
		return CONFIG_E_INVALID;
	}
	r = ytree_parse(os->config_path, buf, len, dl, &root);
	if (r < 0)
		return r;
	if (r > 0)
		return CONFIG_E_INVALID;
	if (!root || ynode_is_null(root) || root->kind != YNODE_MAP) {
		perr(&c, root, "write keys like 'dispname: Debian' and 'method: kexec'",
		     "config.yaml must be a mapping of keys, not %s",
		     root ? ynode_kind_name(root) : "empty");
		goto out;
	}
	os->loaded = true;
	check_keys(&c, root, NULL, keys, NULL);
	if (get_str(&c, root, NULL, "dispname", &os->dispname, &os->dispname_pos) &&
	    os->dispname[0] == '\0') {
		free(os->dispname);
		os->dispname = NULL;
	}
	if (!os->dispname && !get_node(root, "dispname"))
		perr(&c, root, "add 'dispname: NAME', the name shown in the boot menu",
		     "dispname is missing");
	n = get_node(root, "method");
	if (!n) {
		perr(&c, root, "add 'method: kexec', 'method: bin' or 'method: bin-qemu-x86_64'",
		     "method is missing");
		goto out;
	}
	if (!(m = scalar_text(&c, n, "method")))
		goto out;
	os->method_pos = pos_of(&c, n);
	if (strcmp(m, "kexec") == 0)
		os->method = OS_METHOD_KEXEC;
	else if (strcmp(m, "bin") == 0)
		os->method = OS_METHOD_BIN;
	else if (strcmp(m, "bin-qemu-x86_64") == 0)
		os->method = OS_METHOD_QEMU;
	else {
		char hint[128];
		const char *sugg = diag_suggest(m, method_names);
		if (strcmp(m, "qemu-iso") == 0)
			snprintf(hint, sizeof(hint),
				 "use 'method: bin-qemu-x86_64' with 'args: \"-cdrom FILE.iso\"'");
		else if (sugg)
			snprintf(hint, sizeof(hint), "did you mean '%s'?", sugg);
		else
			snprintf(hint, sizeof(hint), "use kexec, bin or bin-qemu-x86_64");
		perr(&c, n, hint, "unknown method '%.80s'", m);
		goto out;
	}
	get_str(&c, root, NULL, "kernel", &os->kernel, &os->kernel_pos);
	get_str(&c, root, NULL, "initrd", &os->initrd, &os->initrd_pos);
	get_str(&c, root, NULL, "cmdline", &os->cmdline, NULL);
	get_str(&c, root, NULL, "bin", &os->bin, &os->bin_pos);
	get_str(&c, root, NULL, "binargs", &os->binargs, NULL);
	get_str(&c, root, NULL, "args", &os->args, NULL);

	/* What each method needs, and what it would silently ignore. */
	{
		static const struct {
			enum os_method method;
			const char *key;
			bool required;
		} uses[] = {
			{OS_METHOD_KEXEC, "kernel", true},   {OS_METHOD_KEXEC, "initrd", true},
			{OS_METHOD_KEXEC, "cmdline", false}, {OS_METHOD_BIN, "bin", true},
			{OS_METHOD_BIN, "binargs", false},   {OS_METHOD_QEMU, "args", true},
		};
		for (size_t i = 0; i < ARRAY_SIZE(uses); i++) {
			const struct ynode *v = get_node(root, uses[i].key);
			const struct ynode *k = ynode_map_key(root, uses[i].key);
			char hint[160];
			if (uses[i].method == os->method && uses[i].required && !v) {
				snprintf(hint, sizeof(hint), "add '%s: ...' (%s)", uses[i].key,
					 os->method == OS_METHOD_QEMU
						 ? "the arguments for qemu-system-x86_64"
						 : "a file in this OS's folder");
				perr(&c, n, hint, "method %s needs %s", m, uses[i].key);
			} else if (uses[i].method != os->method && k) {
				snprintf(hint, sizeof(hint), "remove it, or use method %s",
					 os_method_name(uses[i].method));
				pwarn(&c, k, hint, "'%s' is not used by method %s", uses[i].key, m);
			}
		}
	}
out:
	ynode_free(root);
	return dl->n_errors > c.errors_before ? CONFIG_E_INVALID : 0;
}

const char *env_dhcp_mode_name(enum env_dhcp_mode m)
{
	switch (m) {
	case ENV_DHCP_SERVER: return "server";
	case ENV_DHCP_PROXY: return "proxy";
	case ENV_DHCP_OFF: return "off";
	}
	return "?";
}

const char *os_method_name(enum os_method m)
{
	switch (m) {
	case OS_METHOD_NONE: return "none";
	case OS_METHOD_KEXEC: return "kexec";
	case OS_METHOD_BIN: return "bin";
	case OS_METHOD_QEMU: return "bin-qemu-x86_64";
	}
	return "?";
}

int config_read_file(int dirfd, const char *path, bool beneath, size_t max, uint8_t **buf,
		     size_t *len)
{
	struct stat st;
	uint8_t *data;
	size_t got = 0;
	int fd, r = 0;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer; it is then
	 * refused as not a regular file. */
	fd = beneath ? path_open_beneath(dirfd, path, O_RDONLY | O_NONBLOCK)
		     : openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return beneath ? fd : -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		r = -EFBIG;
		goto out;
	}
	/* Read at most max + 1 bytes whatever the size said: the file may grow
	 * between fstat() and read(). */
	data = xmalloc(max + 2 > (size_t)st.st_size + 2 ? (size_t)st.st_size + 2 : max + 2);
	{
		size_t cap = (size_t)st.st_size + 1 < max + 1 ? (size_t)st.st_size + 1 : max + 1;
		for (;;) {
			ssize_t n;
			if (got == cap)
				break;
			n = read(fd, data + got, cap - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				r = -errno;
				free(data);
				goto out;
			}
			if (n == 0)
				break;
			got += (size_t)n;
		}
	}
	if (got > max) {
		free(data);
		r = -EFBIG;
		goto out;
	}
	data[got] = '\0';
	*buf = data;
	*len = got;
out:
	close(fd);
	return r;
}

const char *bt_env_default_os(const struct bt_env *env)
{
	if (env->boot.default_os)
		return env->boot.default_os;
	return env->n_oss == 1 ? env->oss[0].name : NULL;
}
