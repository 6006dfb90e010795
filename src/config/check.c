/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Validation of a loaded environment: what depends on several values
 * (default OS exists, ports do not collide), on the machine (the DHCP
 * interface and its subnet, through a lookup the caller can fake) and on the
 * OS files (inside their folder, regular, plausible kernel and initrd).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/env.h"
#include "config/value.h"
#include "util/path.h"

struct cctx {
	const struct bt_env *env;
	struct diag_list *dl;
};

static void cdiag(struct cctx *c, enum diag_severity sev, const struct config_pos *pos,
		  const char *hint, const char *fmt, ...) PRINTF_LIKE(5, 6);

/* Reports at pos, or at the top of Boottorrent.yaml when the value was not
 * written (a default) and so has no position of its own. */
static void cdiag(struct cctx *c, enum diag_severity sev, const struct config_pos *pos,
		  const char *hint, const char *fmt, ...)
{
	va_list ap;

	if (!pos || !pos->file || pos->line == 0)
		pos = &c->env->version_pos;
	va_start(ap, fmt);
	diag_vadd(c->dl, sev, pos->file ? pos->file : c->env->config_path, pos->line, pos->col,
		  hint, fmt, ap);
	va_end(ap);
}

/* The name a key has in the version the file is written in. */
static const char *key_name(const struct bt_env *env, const char *v1, const char *v0)
{
	return env->version == 0 ? v0 : v1;
}

static const char *ip_str(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN) ? buf : "?";
}

int config_iface_lookup_system(void *ctx, const char *name, struct config_iface *out)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	memset(out, 0, sizeof(*out));
	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_name || strcmp(i->ifa_name, name) != 0)
			continue;
		found = true;
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && i->ifa_netmask &&
		    out->n_addrs < ARRAY_SIZE(out->addrs)) {
			struct sockaddr_in sa, sm;
			memcpy(&sa, i->ifa_addr, sizeof(sa));
			memcpy(&sm, i->ifa_netmask, sizeof(sm));
			out->addrs[out->n_addrs].addr = sa.sin_addr;
			out->addrs[out->n_addrs].netmask = sm.sin_addr;
			out->n_addrs++;
		}
	}
	freeifaddrs(ifa);
	/* An interface with no address at all is still listed by
	 * if_nametoindex(); getifaddrs() lists it too (AF_PACKET), but be
	 * sure. */
	if (!found && if_nametoindex(name) != 0)
		found = true;
	return found ? 0 : -ENODEV;
}

static bool in_net(struct in_addr a, struct in_addr net, struct in_addr mask)
{
	return (ipv4_host(a) & ipv4_host(mask)) == (ipv4_host(net) & ipv4_host(mask));
}

/* Network and broadcast addresses cannot be handed to a host. */
static bool net_special(struct in_addr a, struct in_addr mask)
{
	uint32_t m = ipv4_host(mask), h = ipv4_host(a) & ~m;

	return m != UINT32_MAX && m != UINT32_MAX - 1 && (h == 0 || h == ~m);
}

static void check_boot(struct cctx *c)
{
	const struct bt_env *env = c->env;
	char hint[512];
	const char *key = key_name(env, "boot.default_os", "boottorrent.default_os");

	if (env->boot.default_os && !bt_env_find_os(env, env->boot.default_os)) {
		const char **names = xcalloc(env->n_oss + 1, sizeof(*names));
		const char *sugg;
		size_t off;
		for (size_t i = 0; i < env->n_oss; i++)
			names[i] = env->oss[i].name;
		sugg = diag_suggest(env->boot.default_os, names);
		free(names);
		if (sugg) {
			snprintf(hint, sizeof(hint), "did you mean '%s'?", sugg);
		} else if (env->n_oss == 0) {
			snprintf(hint, sizeof(hint), "add the OS as a folder under oss/ first");
		} else {
			off = (size_t)snprintf(hint, sizeof(hint), "use one of:");
			for (size_t i = 0; i < env->n_oss && off < sizeof(hint); i++)
				off += (size_t)snprintf(hint + off, sizeof(hint) - off, "%s %s",
							i ? "," : "", env->oss[i].name);
		}
		cdiag(c, DIAG_ERROR, &env->boot.default_os_pos, hint,
		      "%s '%s' is not an OS folder %s", key, env->boot.default_os,
		      env->boot.menu_set ? "in the menu" : "under oss/");
	} else if (!env->boot.default_os && env->n_oss > 1 && env->boot.timeout >= 0) {
		snprintf(hint, sizeof(hint),
			 "set %s to the folder name of the OS to boot when nobody chooses", key);
		cdiag(c, DIAG_ERROR, &env->boot.timeout_pos, hint,
		      "no default OS, but the menu has a timeout and %zu OSs", env->n_oss);
	}
}

static void check_oss_names(struct cctx *c)
{
	const struct bt_env *env = c->env;

	for (size_t i = 0; i < env->n_oss; i++) {
		const struct env_os *a = &env->oss[i];
		if (!a->dispname)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct env_os *b = &env->oss[j];
			char hint[256];
			if (!b->dispname || strcmp(a->dispname, b->dispname) != 0)
				continue;
			snprintf(hint, sizeof(hint),
				 "give each OS its own name (oss/%s uses it too)", b->name);
			cdiag(c, DIAG_ERROR, &a->dispname_pos, hint,
			      "display name '%s' is not unique", a->dispname);
			break;
		}
	}
}

/* The interface address whose subnet holds addr, or NULL. */
static const struct config_ifaddr *iface_net_of(const struct config_iface *ifc, struct in_addr addr)
{
	for (size_t i = 0; i < ifc->n_addrs; i++)
		if (in_net(addr, ifc->addrs[i].addr, ifc->addrs[i].netmask))
			return &ifc->addrs[i];
	return NULL;
}

static void check_dhcp(struct cctx *c, const struct config_sys *sys)
{
	const struct bt_env *env = c->env;
	struct config_iface ifc = {0};
	bool have_if = false;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN], hint[256];
	const char *ifkey = key_name(env, "dhcp.interface", "dnsmasq.interface");
	const char *rkey = key_name(env, "dhcp.range", "dnsmasq.dhcp_range");
	/* The network the addresses must be in: from the interface, or from
	 * a netmask written in the file together with the server's address. */
	bool have_net = false;
	struct in_addr net = {0}, mask = {0};
	/* This server's own address: written, or the interface's. */
	bool have_self = env->server.has_address;
	struct in_addr self = env->server.address;

	if (env->dhcp.mode != ENV_DHCP_OFF && !env->dhcp.interface) {
		snprintf(hint, sizeof(hint),
			 "set %s to the network card facing the clients (see 'ip link')", ifkey);
		cdiag(c, DIAG_ERROR, &env->dhcp.mode_pos, hint, "DHCP is on (%s) but %s is not set",
		      env_dhcp_mode_name(env->dhcp.mode), ifkey);
	}
	if (env->dhcp.interface) {
		int r = sys->iface_lookup(sys->ctx, env->dhcp.interface, &ifc);
		if (r == 0) {
			have_if = true;
		} else if (env->dhcp.mode != ENV_DHCP_OFF) {
			cdiag(c, DIAG_WARNING, &env->dhcp.interface_pos,
			      "fine if this environment is for another machine; "
			      "otherwise see 'ip link'",
			      "interface '%s' does not exist on this machine", env->dhcp.interface);
		}
	}
	if (have_if && env->dhcp.mode != ENV_DHCP_OFF && ifc.n_addrs == 0)
		cdiag(c, DIAG_WARNING, &env->dhcp.interface_pos,
		      "give it an address before 'boottorrent start' (ip addr add ...)",
		      "interface '%s' has no IPv4 address", env->dhcp.interface);

	if (env->server.has_address) {
		struct in_addr s = env->server.address;
		uint32_t h = ipv4_host(s);
		if (h == 0 || h == UINT32_MAX || (h >> 28) == 0xe || (h >> 24) == 127)
			cdiag(c, DIAG_ERROR, &env->server.address_pos,
			      "use the address of the network card facing the clients",
			      "%s %s cannot be reached by clients",
			      key_name(env, "server.address", "boottorrent.host_ip"), ip_str(s, a));
		else if (have_if && ifc.n_addrs > 0) {
			bool mine = false;
			for (size_t i = 0; i < ifc.n_addrs; i++)
				mine |= ifc.addrs[i].addr.s_addr == s.s_addr;
			if (!mine)
				cdiag(c, DIAG_WARNING, &env->server.address_pos,
				      "clients reach the server at this address: it should be one "
				      "of the interface's",
				      "%s %s is not an address of interface '%s'",
				      key_name(env, "server.address", "boottorrent.host_ip"),
				      ip_str(s, a), env->dhcp.interface);
		}
	}

	if (have_if && ifc.n_addrs > 0) {
		const struct config_ifaddr *ia = NULL;
		if (env->dhcp.has_range)
			ia = iface_net_of(&ifc, env->dhcp.range_start);
		if (!ia && env->server.has_address)
			ia = iface_net_of(&ifc, env->server.address);
		if (!ia)
			ia = &ifc.addrs[0];
		net = ia->addr;
		mask = env->dhcp.has_netmask ? env->dhcp.netmask : ia->netmask;
		have_net = true;
		if (!have_self) {
			self = ia->addr;
			have_self = true;
		}
	} else if (env->dhcp.has_netmask && env->server.has_address) {
		net = env->server.address;
		mask = env->dhcp.netmask;
		have_net = true;
	}

	if (env->dhcp.mode == ENV_DHCP_SERVER && !env->dhcp.has_range) {
		snprintf(hint, sizeof(hint), "set %s to the addresses clients may get, e.g. %s",
			 rkey,
			 env->version == 0 ? "\"192.168.1.50,192.168.1.150,12h\""
					   : "10.0.0.100-10.0.0.200");
		cdiag(c, DIAG_ERROR, &env->dhcp.mode_pos, hint,
		      "the DHCP server has no address range");
	}
	if (env->dhcp.mode == ENV_DHCP_SERVER && env->dhcp.has_range) {
		struct in_addr s = env->dhcp.range_start, e = env->dhcp.range_end;
		if (ipv4_host(s) > ipv4_host(e)) {
			snprintf(hint, sizeof(hint), "write the lower address first: %s-%s",
				 ip_str(e, a), ip_str(s, b));
			cdiag(c, DIAG_ERROR, &env->dhcp.range_pos, hint,
			      "%s is backwards: %s comes after %s", rkey, ip_str(s, a),
			      ip_str(e, b));
		} else if (have_net && (!in_net(s, net, mask) || !in_net(e, net, mask))) {
			struct in_addr first = {htonl((ipv4_host(net) & ipv4_host(mask)) + 1)};
			struct in_addr last = {htonl((ipv4_host(net) | ~ipv4_host(mask)) - 1)};
			char f[INET_ADDRSTRLEN], l[INET_ADDRSTRLEN];
			struct in_addr netaddr = {htonl(ipv4_host(net) & ipv4_host(mask))};
			snprintf(hint, sizeof(hint), "use addresses from %s to %s, or change %s",
				 ip_str(first, f), ip_str(last, l),
				 have_if ? "the interface's address" : "the netmask");
			cdiag(c, DIAG_ERROR, &env->dhcp.range_pos, hint,
			      "%s %s-%s is not inside the network %s/%u%s%s%s", rkey, ip_str(s, a),
			      ip_str(e, b), ip_str(netaddr, d), ipv4_prefix_len(mask),
			      have_if ? " of interface '" : "", have_if ? env->dhcp.interface : "",
			      have_if ? "'" : "");
		} else if (have_net && (net_special(s, mask) || net_special(e, mask))) {
			cdiag(c, DIAG_ERROR, &env->dhcp.range_pos,
			      "leave out the network and broadcast addresses",
			      "%s includes the network's own or broadcast address", rkey);
		} else if (have_self && ipv4_host(self) >= ipv4_host(s) &&
			   ipv4_host(self) <= ipv4_host(e)) {
			cdiag(c, DIAG_WARNING, &env->dhcp.range_pos,
			      "keep the server's address out of the range",
			      "%s includes the server's own address %s", rkey, ip_str(self, a));
		}
	}

	/* Hosts with fixed addresses and OSs. */
	for (size_t i = 0; i < env->n_hosts; i++) {
		const struct env_host *h = &env->hosts[i];
		if (h->os && !bt_env_find_os(env, h->os)) {
			snprintf(hint, sizeof(hint), "name a folder under oss/%s",
				 env->boot.menu_set ? " that is in the menu" : "");
			cdiag(c, DIAG_ERROR, &h->os_pos, hint, "host OS '%s' is not served", h->os);
		}
		if (!h->has_ip)
			continue;
		if (env->dhcp.mode != ENV_DHCP_SERVER)
			cdiag(c, DIAG_WARNING, &h->ip_pos,
			      "set dhcp.mode: server, or remove the ip",
			      "a fixed address needs dhcp.mode server; it is ignored in mode %s",
			      env_dhcp_mode_name(env->dhcp.mode));
		else if (have_net && !in_net(h->ip, net, mask))
			cdiag(c, DIAG_ERROR, &h->ip_pos, "use an address in the clients' network",
			      "host address %s is not inside the network %s/%u", ip_str(h->ip, a),
			      ip_str((struct in_addr){htonl(ipv4_host(net) & ipv4_host(mask))}, b),
			      ipv4_prefix_len(mask));
		else if (have_net && net_special(h->ip, mask))
			cdiag(c, DIAG_ERROR, &h->ip_pos, "use another address",
			      "host address %s is the network's own or broadcast address",
			      ip_str(h->ip, a));
		if (have_self && h->ip.s_addr == self.s_addr)
			cdiag(c, DIAG_ERROR, &h->ip_pos, "use another address",
			      "host address %s is the server's own", ip_str(h->ip, a));
		for (size_t j = 0; j < i; j++) {
			if (env->hosts[j].has_ip && env->hosts[j].ip.s_addr == h->ip.s_addr) {
				snprintf(hint, sizeof(hint),
					 "give each machine its own address (line %u has it)",
					 env->hosts[j].ip_pos.line);
				cdiag(c, DIAG_ERROR, &h->ip_pos, hint, "address %s is given twice",
				      ip_str(h->ip, a));
				break;
			}
		}
	}
}

static void check_ports(struct cctx *c)
{
	const struct bt_env *env = c->env;
	struct port_use {
		bool on;
		bool tcp, udp;
		uint16_t port;
		const char *what;
		const struct config_pos *pos;
	} uses[] = {
		{env->dhcp.mode != ENV_DHCP_OFF, false, true, 67, "DHCP", NULL},
		{env->dhcp.mode != ENV_DHCP_OFF, false, true, 4011, "proxyDHCP", NULL},
		{env->tftp.enable, false, true, env->tftp.port, "tftp.port", &env->tftp.port_pos},
		{env->http.enable, true, false, env->http.port, "http.port", &env->http.port_pos},
		{env->tracker.enable, true, true, env->tracker.port,
		 key_name(env, "tracker.port", "opentracker.port"), &env->tracker.port_pos},
		{true, true, false, env->swarm.port, "swarm.port", &env->swarm.port_pos},
	};

	for (size_t i = 0; i < ARRAY_SIZE(uses); i++) {
		for (size_t j = 0; j < i; j++) {
			const struct port_use *x = &uses[i], *y = &uses[j];
			char hint[128];
			if (!x->on || !y->on || x->port != y->port ||
			    !((x->tcp && y->tcp) || (x->udp && y->udp)))
				continue;
			/* Point at the one written in the file, if only one was. */
			if ((!x->pos || x->pos->line == 0) && y->pos && y->pos->line) {
				const struct port_use *t = x;
				x = y;
				y = t;
			}
			snprintf(hint, sizeof(hint), "give %s another port", x->what);
			cdiag(c, DIAG_ERROR, x->pos, hint, "%s %u is already used by %s", x->what,
			      x->port, y->what);
			break;
		}
	}
}

static void check_swarm(struct cctx *c)
{
	const struct bt_env *env = c->env;

	if (!env->tracker.enable && !env->swarm.lpd && env->tracker.n_announce == 0)
		cdiag(c, DIAG_ERROR, &env->tracker.enable_pos,
		      env->version == 0
			      ? "enable opentracker, or aria2.bt_enable_lpd"
			      : "enable the tracker, or swarm.lpd, or list tracker.announce",
		      "clients have no way to find each other");
	else if (!env->tracker.enable && env->swarm.lpd && env->tracker.n_announce == 0)
		cdiag(c, DIAG_WARNING, &env->swarm.lpd_pos,
		      "enable the tracker: local discovery alone is slow to find peers",
		      "clients find each other only through local service discovery");
}

/* The user start drops to must exist here, or start would stop after
 * binding its ports; say so before. */
static void check_user(struct cctx *c)
{
	const struct bt_env *env = c->env;
	char hint[200];

	if (!env->server.user || getpwnam(env->server.user))
		return;
	snprintf(hint, sizeof(hint),
		 "create it (adduser --system --no-create-home %s) or remove %s",
		 env->server.user, key_name(env, "server.user", "dnsmasq.user"));
	/* A version-0 file names the user its author's dnsmasq ran as, often a
	 * personal account: the original ran as root regardless, and so does
	 * start then, saying so, rather than refusing the file. */
	if (env->version == 0)
		cdiag(c, DIAG_WARNING, &env->server.user_pos, hint,
		      "user '%s' does not exist on this machine: start keeps running as root",
		      env->server.user);
	else
		cdiag(c, DIAG_ERROR, &env->server.user_pos, hint,
		      "user '%s' does not exist on this machine", env->server.user);
}

/* ---- OS files ---- */

static bool is_bzimage(const uint8_t *h, size_t n)
{
	return n >= 0x206 && memcmp(h + 0x202, "HdrS", 4) == 0;
}

/* The compressions Linux can unpack an initramfs from, and the uncompressed
 * newc cpio (which is also how early microcode is prepended). */
static bool is_initrd(const uint8_t *h, size_t n)
{
	static const struct {
		const char *magic;
		size_t len;
	} magics[] = {
		{"\x1f\x8b", 2}, /* gzip */
		{"\xfd"
		 "7zXZ\x00",
		 6},			 /* xz */
		{"\x28\xb5\x2f\xfd", 4}, /* zstd */
		{"\x02\x21\x4c\x18", 4}, /* lz4 (legacy frame, as the kernel makes) */
		{"\x04\x22\x4d\x18", 4}, /* lz4 frame */
		{"BZh", 3},		 /* bzip2 */
		{"\x5d\x00\x00", 3},	 /* lzma */
		{"\x89"
		 "LZO",
		 4},	       /* lzop */
		{"070701", 6}, /* cpio newc */
		{"070702", 6}, /* cpio newc with CRC */
	};

	for (size_t i = 0; i < ARRAY_SIZE(magics); i++)
		if (n >= magics[i].len && memcmp(h, magics[i].magic, magics[i].len) == 0)
			return true;
	return false;
}

/* Suggests a file in the folder close to the missing name. */
static const char *suggest_file(int osfd, const char *name, char *out, size_t outlen)
{
	int fd = openat(osfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	const char *cands[65] = {0};
	char *copies[64];
	size_t n = 0;
	const char *best;
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((de = readdir(d)) && n < 64)
		if (de->d_name[0] != '.')
			cands[n] = copies[n] = xstrdup(de->d_name), n++;
	closedir(d);
	best = diag_suggest(name, cands);
	if (best)
		snprintf(out, outlen, "%s", best);
	for (size_t i = 0; i < n; i++)
		free(copies[i]);
	return best ? out : NULL;
}

enum file_kind { FILE_ANY, FILE_KERNEL, FILE_INITRD };

static void check_file(struct cctx *c, const struct env_os *os, int osfd, const char *what,
		       const char *path, const struct config_pos *pos, enum file_kind kind)
{
	char hint[320], sugg[256];
	uint8_t head[0x210];
	struct stat st;
	ssize_t n;
	int fd;

	if (!path_relative_ok(path)) {
		snprintf(hint, sizeof(hint),
			 "name a file inside oss/%s, relative to it, without '..'", os->name);
		cdiag(c, DIAG_ERROR, pos, hint, "%s '%s' is not a path inside the OS folder", what,
		      path);
		return;
	}
	/* O_NONBLOCK: a FIFO must be refused, not waited on. */
	fd = path_open_beneath(osfd, path, O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		if (fd == -ENOENT && suggest_file(osfd, path, sugg, sizeof(sugg)))
			snprintf(hint, sizeof(hint), "did you mean '%s'?", sugg);
		else if (fd == -ENOENT)
			snprintf(hint, sizeof(hint), "put the file in oss/%s or correct the name",
				 os->name);
		else if (fd == -EXDEV || fd == -ELOOP)
			snprintf(hint, sizeof(hint),
				 "copy the file into oss/%s instead of linking out", os->name);
		else
			snprintf(hint, sizeof(hint), "check the file's permissions");
		cdiag(c, DIAG_ERROR, pos, hint, "%s '%s' %s", what, path,
		      fd == -ENOENT ? "does not exist"
		      : (fd == -EXDEV || fd == -ELOOP)
			      ? "is a symlink that leads outside the OS folder"
			      : strerror(-fd));
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		cdiag(c, DIAG_ERROR, pos, "name a regular file", "%s '%s' is not a regular file",
		      what, path);
		close(fd);
		return;
	}
	if (st.st_size == 0) {
		cdiag(c, DIAG_ERROR, pos, "copy the real file in", "%s '%s' is empty", what, path);
		close(fd);
		return;
	}
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n < 0)
		n = 0;
	if (kind == FILE_KERNEL && !is_bzimage(head, (size_t)n))
		cdiag(c, DIAG_ERROR, pos,
		      n >= 4 && memcmp(head,
				       "\x7f"
				       "ELF",
				       4) == 0
			      ? "this is an uncompressed vmlinux: use the bzImage (/boot/vmlinuz-*)"
			      : "use the kernel's bzImage (e.g. /boot/vmlinuz-*)",
		      "kernel '%s' is not a Linux bzImage", path);
	else if (kind == FILE_INITRD && !is_initrd(head, (size_t)n))
		cdiag(c, DIAG_WARNING, pos,
		      "an initrd is a cpio archive, usually compressed (gzip, xz, zstd, lz4, ...)",
		      "initrd '%s' does not look like an initramfs", path);
}

static void check_os_files(struct cctx *c)
{
	const struct bt_env *env = c->env;
	int dirfd = open(env->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dirfd < 0)
		return; /* the loader has said so already */
	for (size_t i = 0; i < env->n_oss; i++) {
		const struct env_os *os = &env->oss[i];
		char path[600];
		int osfd;

		if (!os->loaded)
			continue;
		snprintf(path, sizeof(path), "oss/%s", os->name);
		osfd = path_open_beneath(dirfd, path, O_RDONLY | O_DIRECTORY);
		if (osfd < 0)
			continue;
		switch (os->method) {
		case OS_METHOD_KEXEC:
			if (os->kernel)
				check_file(c, os, osfd, "kernel", os->kernel, &os->kernel_pos,
					   FILE_KERNEL);
			if (os->initrd)
				check_file(c, os, osfd, "initrd", os->initrd, &os->initrd_pos,
					   FILE_INITRD);
			break;
		case OS_METHOD_BIN:
			if (os->bin)
				check_file(c, os, osfd, "bin", os->bin, &os->bin_pos, FILE_ANY);
			break;
		default: break;
		}
		close(osfd);
	}
	close(dirfd);
}

/* Without the files, the paths can still be checked for escapes. */
static void check_os_paths(struct cctx *c)
{
	const struct bt_env *env = c->env;

	for (size_t i = 0; i < env->n_oss; i++) {
		const struct env_os *os = &env->oss[i];
		const struct {
			const char *what, *path;
			const struct config_pos *pos;
		} files[] = {
			{"kernel", os->method == OS_METHOD_KEXEC ? os->kernel : NULL,
			 &os->kernel_pos},
			{"initrd", os->method == OS_METHOD_KEXEC ? os->initrd : NULL,
			 &os->initrd_pos},
			{"bin", os->method == OS_METHOD_BIN ? os->bin : NULL, &os->bin_pos},
		};
		for (size_t j = 0; j < ARRAY_SIZE(files); j++)
			if (files[j].path && !path_relative_ok(files[j].path))
				cdiag(c, DIAG_ERROR, files[j].pos,
				      "name a file inside the OS folder, relative to it, without "
				      "'..'",
				      "%s '%s' is not a path inside the OS folder", files[j].what,
				      files[j].path);
	}
}

int bt_env_check(const struct bt_env *env, const struct config_sys *sys, struct diag_list *dl)
{
	struct config_sys real = {.iface_lookup = config_iface_lookup_system};
	struct cctx c = {.env = env, .dl = dl};
	size_t before = dl->n_errors;

	if (!sys)
		sys = &real;
	check_boot(&c);
	check_oss_names(&c);
	check_dhcp(&c, sys);
	check_ports(&c);
	check_swarm(&c);
	if (sys->skip_files) {
		check_os_paths(&c);
	} else {
		check_user(&c);
		check_os_files(&c);
	}
	return dl->n_errors > before ? CONFIG_E_INVALID : 0;
}

void bt_env_summary(const struct bt_env *env, char *out, size_t outlen)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	size_t off;

	off = (size_t)snprintf(out, outlen, "%zu OS%s%s", env->n_oss, env->n_oss == 1 ? "" : "s",
			       env->n_oss == 0 ? " (add one under oss/)" : "");
	if (off >= outlen)
		return;
	if (env->dhcp.mode == ENV_DHCP_OFF)
		off += (size_t)snprintf(out + off, outlen - off, ", dhcp off");
	else
		off += (size_t)snprintf(out + off, outlen - off, ", dhcp %s on %s",
					env_dhcp_mode_name(env->dhcp.mode),
					env->dhcp.interface ? env->dhcp.interface : "?");
	if (off < outlen && env->dhcp.mode == ENV_DHCP_SERVER && env->dhcp.has_range)
		off += (size_t)snprintf(out + off, outlen - off, " %s-%s",
					ip_str(env->dhcp.range_start, a),
					ip_str(env->dhcp.range_end, b));
	if (off < outlen && env->tracker.enable)
		off += (size_t)snprintf(out + off, outlen - off, ", tracker :%u",
					env->tracker.port);
	else if (off < outlen)
		off += (size_t)snprintf(out + off, outlen - off, ", tracker off");
	(void)off;
}

int bt_env_server_address(const struct bt_env *env, const struct config_sys *sys,
			  struct in_addr *addr, struct in_addr *mask)
{
	struct config_sys real = {.iface_lookup = config_iface_lookup_system};
	struct config_iface ifc;
	const struct config_ifaddr *ia = NULL;
	int r;

	if (!sys)
		sys = &real;
	if (!env->dhcp.interface ||
	    (r = sys->iface_lookup(sys->ctx, env->dhcp.interface, &ifc)) < 0) {
		if (!env->server.has_address)
			return -ENODEV;
		*addr = env->server.address;
		mask->s_addr = env->dhcp.has_netmask ? env->dhcp.netmask.s_addr : htonl(UINT32_MAX);
		return 0;
	}
	if (env->server.has_address)
		ia = iface_net_of(&ifc, env->server.address);
	if (!ia && env->dhcp.has_range)
		ia = iface_net_of(&ifc, env->dhcp.range_start);
	if (!ia && ifc.n_addrs > 0)
		ia = &ifc.addrs[0];
	if (env->server.has_address) {
		*addr = env->server.address;
		mask->s_addr = env->dhcp.has_netmask ? env->dhcp.netmask.s_addr
			       : ia		     ? ia->netmask.s_addr
						     : htonl(UINT32_MAX);
		return 0;
	}
	if (!ia)
		return -EADDRNOTAVAIL;
	*addr = ia->addr;
	*mask = env->dhcp.has_netmask ? env->dhcp.netmask : ia->netmask;
	return 0;
}
