/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The environment model: everything a BootTorrent environment folder says,
 * typed and with defaults filled in, whichever version its Boottorrent.yaml
 * is written in (0, the original BootTorrent's, read unchanged; or 1, ours:
 * see docs/configuration.md).
 *
 *   struct diag_list dl;
 *   struct bt_env *env = NULL;
 *   diag_list_init(&dl);
 *   int r = bt_env_open("myenv", NULL, &dl, &env);   load + check
 *   if (r != 0) { diag_list_print(&dl, stderr); ... }
 *   ... use env->dhcp.range_start, env->oss[i].kernel ...
 *   bt_env_free(env);
 *   diag_list_release(&dl);
 *
 * The model is plain C structs that the server and the agent read directly;
 * the env owns every string in it. Settings that validation points at carry
 * a struct config_pos (file, line, column) so later messages can say where a
 * value came from; a position with line 0 means "not written, a default".
 */
#ifndef BT_CONFIG_ENV_H
#define BT_CONFIG_ENV_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/diag.h"
#include "config/ytree.h"
#include "util/log.h"
#include "util/util.h"

#define ENV_CONFIG_NAME "Boottorrent.yaml"
#define ENV_OS_CONFIG_NAME "config.yaml"
#define ENV_MAX_OSS 256
#define ENV_MAX_HOSTS 4096
#define ENV_MAX_ANNOUNCE 16
#define ENV_MAX_DNS 4
#define ENV_MAX_LOG_COMPONENTS 16
/* Longest timeout and seed time we accept: a week, in seconds. */
#define ENV_MAX_SECONDS (7 * 24 * 3600)

struct config_pos {
	const char *file; /* points into the env (a config path it owns) */
	unsigned line, col;
};

enum env_dhcp_mode {
	ENV_DHCP_SERVER = 0, /* hand out addresses and boot information */
	ENV_DHCP_PROXY,      /* PXE boot information only, beside another server */
	ENV_DHCP_OFF,	      /* another server is set up to point at us */
};

enum os_method {
	OS_METHOD_NONE = 0, /* not (validly) set */
	OS_METHOD_KEXEC,    /* Linux kernel + initrd, booted with kexec */
	OS_METHOD_BIN,	    /* run a program from the OS folder */
	OS_METHOD_QEMU,	    /* "bin-qemu-x86_64": run qemu-system-x86_64 with args */
};

struct env_os {
	char *name;	   /* the folder's name under oss/ */
	char *config_path; /* DIR/oss/NAME/config.yaml */
	bool loaded;	   /* config.yaml was found and read */
	char *dispname;	   /* the name shown in the menu */
	enum os_method method;
	char *kernel, *initrd, *cmdline; /* kexec; paths relative to the folder */
	char *bin, *binargs;		 /* bin */
	char *args;			 /* bin-qemu-x86_64 */
	struct config_pos pos;		 /* where the OS is named (menu entry), or its config */
	struct config_pos dispname_pos, method_pos, kernel_pos, initrd_pos, bin_pos;
};

struct env_host {
	uint8_t mac[6];
	bool has_ip;
	struct in_addr ip;
	char *os;	/* boot this OS without a menu; NULL: show the menu */
	char *hostname; /* NULL: none */
	struct config_pos pos, ip_pos, os_pos, hostname_pos;
};

struct env_log_component {
	char *component; /* upper case: "DHCP", "TFTP", ... */
	enum log_level level;
};

struct bt_env {
	char *dir;	   /* the environment folder, as given */
	char *config_path; /* DIR/Boottorrent.yaml */
	int version;	   /* 0 or 1 as written; -1 when unknown */
	/* Where the version is written: what messages about a setting that
	 * was left out (and so has no place of its own) point at. */
	struct config_pos version_pos;

	struct {
		int64_t timeout;    /* seconds; 0 boots the default at once, <0 waits */
		char *default_os;   /* folder name, or NULL */
		uint32_t seed_time; /* seconds to seed after the download */
		bool menu_set;	    /* the OS list and order were written out */
		struct config_pos timeout_pos, default_os_pos, seed_time_pos, menu_pos;
	} boot;

	struct {
		bool has_address;
		struct in_addr address; /* how clients reach us; else the interface's */
		char *user;		/* drop root to this user after binding; or NULL */
		struct config_pos address_pos, user_pos;
	} server;

	struct {
		enum env_dhcp_mode mode;
		char *interface;
		bool bind_interface;
		bool has_range;
		struct in_addr range_start, range_end; /* inclusive, host order compare */
		bool has_netmask;
		struct in_addr netmask; /* else the interface's */
		bool has_router;
		struct in_addr router;
		struct in_addr dns[ENV_MAX_DNS];
		size_t n_dns;
		uint32_t lease_time; /* seconds; UINT32_MAX = infinite */
		struct config_pos mode_pos, interface_pos, range_pos, netmask_pos, router_pos;
	} dhcp;

	struct {
		bool enable;
		uint16_t port;
		uint16_t blksize_max;
		unsigned workers; /* transfer threads; 0 = one per CPU, up to 4 */
		struct config_pos port_pos;
	} tftp;

	struct {
		bool enable;
		uint16_t port;
		struct config_pos port_pos;
	} http;

	struct {
		bool enable;	   /* our own tracker */
		uint16_t port;	   /* TCP (HTTP announce) and UDP (BEP 15) */
		uint32_t interval; /* announce interval we ask for, seconds */
		char **announce;   /* external tracker URLs added to every torrent */
		size_t n_announce;
		struct config_pos enable_pos, port_pos;
	} tracker;

	struct {
		uint16_t port; /* the server's seeder, TCP */
		bool lpd;
		bool pex;
		bool super_seed;
		uint32_t super_seed_copies; /* super-seed while the swarm has fewer */
		uint64_t upload_limit; /* bytes per second, 0 = none */
		uint32_t piece_size;   /* bytes, 0 = chosen from the size */
		struct config_pos port_pos, lpd_pos, piece_size_pos;
	} swarm;

	struct {
		enum log_level level;
		struct env_log_component components[ENV_MAX_LOG_COMPONENTS];
		size_t n_components;
	} logging;

	struct env_host *hosts;
	size_t n_hosts;

	/* The OSs served, in menu order. */
	struct env_os *oss;
	size_t n_oss;
};

/* A new env for folder dir with every default set and no OSs. */
struct bt_env *bt_env_new(const char *dir);
void bt_env_free(struct bt_env *env);

/* Reads dir/Boottorrent.yaml and the config.yaml of every OS it serves (all
 * folders under oss/, in name order, unless the menu lists them). Problems go
 * to dl. Returns 0 when nothing was wrong, CONFIG_E_INVALID when errors were
 * added (then *out still holds what could be read, or NULL when not even
 * Boottorrent.yaml could be), or a negative errno for a system failure. The
 * caller frees *out. This checks types and syntax; bt_env_check() the rest. */
int bt_env_load(const char *dir, struct diag_list *dl, struct bt_env **out) WUR;

/* Applies the contents of a Boottorrent.yaml (buf[0..len)) to env: pure, no
 * file access. Returns 0 or CONFIG_E_INVALID (errors in dl). */
int bt_env_parse_main(struct bt_env *env, const uint8_t *buf, size_t len, struct diag_list *dl) WUR;
/* Adds an OS named name (a folder name) whose config.yaml holds buf[0..len);
 * buf NULL means the file is missing. Pure. Returns 0 or CONFIG_E_INVALID. */
int bt_env_parse_os(struct bt_env *env, const char *name, const uint8_t *buf, size_t len,
		    struct diag_list *dl) WUR;

/* The OS with folder name name, or NULL. */
const struct env_os *bt_env_find_os(const struct bt_env *env, const char *name);

/* One address of an interface. */
struct config_ifaddr {
	struct in_addr addr, netmask;
};

struct config_iface {
	size_t n_addrs;
	struct config_ifaddr addrs[8];
};

/* What bt_env_check() asks of the machine it runs on; tests fake it. */
struct config_sys {
	/* Fills *out for interface name: 0, or -ENODEV when there is none. */
	int (*iface_lookup)(void *ctx, const char *name, struct config_iface *out);
	void *ctx;
	/* Do not open the OS files (the model alone is checked). */
	bool skip_files;
};

/* The real lookup, with getifaddrs(3). ctx is unused. */
int config_iface_lookup_system(void *ctx, const char *name, struct config_iface *out);

/* Validates the loaded model: names that must exist, ranges, addresses
 * against the interface, ports, and (unless sys->skip_files) the user start
 * drops to and every OS file,
 * which must be a regular file inside its OS folder and, for kexec, look like
 * a bzImage and an initrd. sys NULL means the real machine. Returns 0 or
 * CONFIG_E_INVALID when errors were added to dl; warnings do not count. */
int bt_env_check(const struct bt_env *env, const struct config_sys *sys, struct diag_list *dl) WUR;

/* The address clients reach this server at: server.address when written,
 * else the first IPv4 address of dhcp.interface (looked up through sys, NULL
 * for the real machine; the one inside the DHCP range when there is a
 * choice). Sets *mask to that address's netmask (dhcp.netmask when written;
 * /32 when only server.address is known). Returns 0, -ENODEV (no such
 * interface) or -EADDRNOTAVAIL (it has no IPv4 address). */
int bt_env_server_address(const struct bt_env *env, const struct config_sys *sys,
			  struct in_addr *addr, struct in_addr *mask) WUR;

/* bt_env_load() then bt_env_check(): 0 and a usable *out only when neither
 * found an error; otherwise CONFIG_E_INVALID (or -errno) and *out is NULL. */
int bt_env_open(const char *dir, const struct config_sys *sys, struct diag_list *dl,
		struct bt_env **out) WUR;

/* A one-line summary like "3 OSs, dhcp server on eth1 10.0.0.100-10.0.0.200,
 * tracker :6969" into out (always NUL-terminated). */
void bt_env_summary(const struct bt_env *env, char *out, size_t outlen);

/* Names for messages and for other modules' logs. */
const char *env_dhcp_mode_name(enum env_dhcp_mode m);
const char *os_method_name(enum os_method m);

/* Makes a new environment folder dir (which must not exist: -EEXIST) with
 * a commented version-1 Boottorrent.yaml (DHCP in proxy mode on interface,
 * or on the first interface that is up with an IPv4 address when NULL) and
 * oss/README. Returns 0, -EINVAL for an unusable interface name, or a
 * negative errno; on failure nothing it made is left behind. */
int bt_env_create(const char *dir, const char *interface) WUR;
/* The first interface that is up, not loopback, with an IPv4 address. */
int config_iface_guess(char *name, size_t len) WUR;

/* The default OS as the agent should use it: boot.default_os, or the only OS
 * when there is just one, or NULL. */
const char *bt_env_default_os(const struct bt_env *env);

/* Reads a whole file of at most max bytes relative to dirfd (AT_FDCWD for
 * the current folder), refusing paths that leave dirfd when beneath is set.
 * Returns 0 and a malloc'd buffer (NUL-terminated, *len without it), -EFBIG
 * past max, or a negative errno. */
int config_read_file(int dirfd, const char *path, bool beneath, size_t max, uint8_t **buf,
		     size_t *len) WUR;

#endif
