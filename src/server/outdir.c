/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/bootcfg.h"
#include "server/bundle.h"
#include "server/fsutil.h"
#include "server/hashcache.h"
#include "server/outdir.h"
#include "util/path.h"

#define PH1_KERNEL "ph1/vmlinuz"
#define PH1_INITRD "ph1/initrd.img"
#define BUNDLE_NAME "bundle.cpio"
#define MAX_YAML ((size_t)1 << 20)
#define MAX_BUNDLE ((size_t)64 << 20)

/* Bootloaders, from Debian's pxelinux, syslinux-common, shim-signed and
 * grub-efi-amd64-signed, as tools/fetch-loaders.sh lays them out. */
static const struct {
	const char *src, *dst;
	bool uefi;
} loaders[] = {
	{"pxelinux.0", "pxelinux.0", false},  {"ldlinux.c32", "ldlinux.c32", false},
	{"bootx64.efi", "bootx64.efi", true}, {"grubx64.efi", "grubx64.efi", true},
	{"ipxe.efi", "ipxe.efi", true},
};

uint32_t outdir_piece_length(uint64_t total)
{
	uint32_t pl = torrent_piece_length_auto(total);

	return pl < OUTDIR_MIN_PIECE ? OUTDIR_MIN_PIECE : pl;
}

const char *server_data_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("BOOTTORRENT_DATA");
	ssize_t n;
	char *slash, probe[PATH_MAX + 16];

	if (env && env[0])
		return env;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n > 0) {
		dir[n] = '\0';
		slash = strrchr(dir, '/');
		if (slash) {
			*slash = '\0';
			snprintf(probe, sizeof(probe), "%s/ph1", dir);
			if (access(probe, F_OK) == 0)
				return dir;
			snprintf(probe, sizeof(probe), "%s/loaders", dir);
			if (access(probe, F_OK) == 0)
				return dir;
		}
	}
	return "/usr/lib/boottorrent";
}

static char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
static char *xasprintf(const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	int r;

	buf_init(&b, 1 << 20);
	va_start(ap, fmt);
	r = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (r < 0)
		abort();
	return buf_detach(&b, NULL);
}

static int write_text(const struct server_out *out, const char *rel, const struct buf *b)
{
	char *path = path_join(out->boot, rel);
	int r = fs_write_atomic(path, b->data, b->len, 0644);
	free(path);
	return r;
}

struct progress_ctx {
	const struct server_out_opts *o;
	const char *os;
};

static bool hash_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct progress_ctx *p = ctx;

	if (p->o->progress)
		p->o->progress(p->o->progress_ctx, p->os, done, total);
	return !(p->o->cancel && atomic_load(p->o->cancel));
}

/* Drops oss/NAME/config.yaml from the scanned files: it describes the OS to
 * the server and the agent (through the bundle), it is not part of it. */
static void drop_config(struct torrent_source *src)
{
	for (size_t i = 0; i < src->count; i++) {
		if (strcmp(src->files[i].rel, ENV_OS_CONFIG_NAME) != 0)
			continue;
		src->total -= src->files[i].length;
		free(src->files[i].rel);
		free(src->files[i].abs);
		memmove(&src->files[i], &src->files[i + 1],
			(src->count - i - 1) * sizeof(src->files[0]));
		src->count--;
		return;
	}
}

static int make_torrent(const struct bt_env *env, const struct server_out_opts *o,
			struct server_out *out, const struct env_os *os, char *err, size_t errlen)
{
	struct server_torrent *t = &out->torrents[out->n_torrents];
	struct torrent_source src = {0};
	struct progress_ctx pctx = {o, os->name};
	char *folder = xasprintf("%s/oss/%s", env->dir, os->name);
	char *cache = xasprintf("%s/cache/%s.hashes", out->dir, os->name);
	char addr[INET_ADDRSTRLEN];
	const char *urls[2 + ENV_MAX_ANNOUNCE];
	struct torrent_tier tiers[2];
	size_t n_tiers = 0, n_urls = 0;
	uint8_t *hashes = NULL;
	uint32_t plen, count = 0;
	char *own[2] = {NULL, NULL};
	struct buf b;
	int r;

	buf_init(&b, METAINFO_MAX_INPUT);
	*t = (struct server_torrent){.os = xstrdup(os->name)};
	t->path = xasprintf("%s/torrents/%s.torrent", out->boot, os->name);
	r = torrent_source_scan(&src, folder, err, errlen);
	if (r != 0)
		goto out;
	drop_config(&src);
	if (src.count == 0 || src.total == 0) {
		snprintf(err, errlen, "%s: no files besides config.yaml to serve", folder);
		r = TORRENT_E_SOURCE;
		goto out;
	}
	plen = env->swarm.piece_size ? env->swarm.piece_size : outdir_piece_length(src.total);
	r = hashcache_lookup(cache, &src, plen, &hashes, &count);
	if (r < 0)
		logger_log(o->log, LOG_WARN, "SERVER",
			   "%s: unreadable hash cache (%s); hashing again", cache, strerror(-r));
	t->cached = r == 0;
	if (r != 0) {
		logger_log(o->log, LOG_INFO, "SERVER", "hashing %s (%llu bytes)", os->name,
			   (unsigned long long)src.total);
		r = torrent_source_hash(&src, plen, o->progress || o->cancel ? hash_progress : NULL,
					&pctx, &hashes, &count, err, errlen);
		if (r != 0)
			goto out;
		r = hashcache_store(cache, &src, plen, hashes, count);
		if (r < 0)
			logger_log(o->log, LOG_WARN, "SERVER",
				   "%s: cannot write the hash cache: %s", cache, strerror(-r));
	}

	inet_ntop(AF_INET, &out->address, addr, sizeof(addr));
	if (env->tracker.enable) {
		/* UDP first: a tenth of HTTP's cost per announce for our
		 * tracker in a boot storm, and no "min interval" to hold back
		 * a seeding agent's question whether anyone still needs
		 * pieces (src/agent/seed.h). HTTP stays in the same tier for
		 * clients without UDP. */
		own[0] = xasprintf("udp://%s:%u/announce", addr, env->tracker.port);
		own[1] = xasprintf("http://%s:%u/announce", addr, env->tracker.port);
		urls[n_urls++] = own[0];
		urls[n_urls++] = own[1];
		tiers[n_tiers++] = (struct torrent_tier){urls, 2};
	}
	if (env->tracker.n_announce > 0) {
		for (size_t i = 0; i < env->tracker.n_announce; i++)
			urls[n_urls + i] = env->tracker.announce[i];
		tiers[n_tiers++] = (struct torrent_tier){urls + n_urls, env->tracker.n_announce};
	}
	struct torrent_make_opts mo = {
		.name = os->name,
		.tiers = tiers,
		.tier_count = n_tiers,
		.creation_date = -1,
	};
	r = torrent_source_encode(&src, &mo, plen, hashes, count, &b, err, errlen);
	if (r != 0)
		goto out;
	r = fs_write_atomic(t->path, b.data, b.len, 0644);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", t->path, strerror(-r));
		goto out;
	}
	r = metainfo_parse(&t->mi, b.data, b.len, err, errlen);
	if (r == 0)
		out->n_torrents++;
out:
	if (r != 0) {
		free(t->os);
		free(t->path);
		t->os = t->path = NULL;
	}
	free(own[0]);
	free(own[1]);
	free(hashes);
	buf_release(&b);
	torrent_source_release(&src);
	free(folder);
	free(cache);
	return r;
}

static int copy_loaders(const struct server_out_opts *o, struct server_out *out)
{
	bool have[ARRAY_SIZE(loaders)];

	for (size_t i = 0; i < ARRAY_SIZE(loaders); i++) {
		char *src = xasprintf("%s/loaders/%s", o->data_dir, loaders[i].src);
		char *dst = path_join(out->boot, loaders[i].dst);
		int r = fs_copy_file(src, dst, 0644);
		have[i] = r == 0;
		if (r < 0 && r != -ENOENT) {
			logger_log(o->log, LOG_WARN, "SERVER", "copying %s: %s", src, strerror(-r));
		}
		free(src);
		free(dst);
	}
	out->bios = have[0] && have[1];
	out->uefi = have[2] && have[3];
	out->ipxe_efi = have[4];
	if (!out->bios)
		logger_log(o->log, LOG_WARN, "SERVER",
			   "no pxelinux in %s/loaders: BIOS machines cannot boot "
			   "(run tools/fetch-loaders.sh)",
			   o->data_dir);
	if (!out->uefi)
		logger_log(o->log, LOG_WARN, "SERVER",
			   "no shim/GRUB in %s/loaders: UEFI machines cannot boot "
			   "(run tools/fetch-loaders.sh)",
			   o->data_dir);
	return 0;
}

/* Whether phase 1 in data_dir was built in the default flavour, which has
 * no QEMU: the first line of the size report ph1/build.sh writes beside
 * it is "BootTorrent phase 1, flavour NAME, ...". False when there is no
 * report (a phase 1 built some other way may well have QEMU). */
static bool ph1_default_flavour(const char *data_dir)
{
	static const char want[] = "BootTorrent phase 1, flavour default,";
	char *path = path_join(data_dir, "ph1/size.txt");
	FILE *f = fopen(path, "re");
	char line[256];
	bool yes = false;

	free(path);
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f))
		yes = strncmp(line, want, sizeof(want) - 1) == 0;
	fclose(f);
	return yes;
}

static int copy_ph1(const struct bt_env *env, const struct server_out_opts *o,
		    struct server_out *out)
{
	static const char *const files[] = {PH1_KERNEL, PH1_INITRD};
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(files) && r == 0; i++) {
		char *src = path_join(o->data_dir, files[i]);
		char *dst = path_join(out->boot, files[i]);
		r = fs_copy_file(src, dst, 0644);
		free(src);
		free(dst);
	}
	out->ph1 = r == 0;
	if (r < 0) {
		logger_log(o->log, LOG_WARN, "SERVER",
			   "phase 1 is not built in %s/ph1 (%s): machines cannot boot "
			   "until 'make ph1' has run",
			   o->data_dir, strerror(-r));
		return 0;
	}
	/* The first OS that runs in QEMU, if any, decides: the report is
	 * read once. */
	for (size_t i = 0; i < env->n_oss; i++) {
		if (env->oss[i].method != OS_METHOD_QEMU)
			continue;
		out->ph1_lacks_qemu = ph1_default_flavour(o->data_dir);
		if (out->ph1_lacks_qemu)
			logger_log(o->log, LOG_WARN, "SERVER",
				   "OS '%s' runs in QEMU, but phase 1 in %s/ph1 is the "
				   "default flavour, which has no QEMU: its machines will "
				   "stop at an error. Build the full flavour: make ph1 "
				   "PH1_FLAGS=\"--flavour full\"",
				   env->oss[i].name, o->data_dir);
		break;
	}
	return 0;
}

static int write_configs(const struct bt_env *env, struct server_out *out)
{
	struct bootcfg c = {
		.server = out->address,
		.http_port = env->http.port,
		.kernel = PH1_KERNEL,
		.initrd = PH1_INITRD,
		.bundle = BUNDLE_NAME,
		.title = "BootTorrent",
	};
	struct buf b;
	int r;

	buf_init(&b, 1 << 16);
	r = bootcfg_pxelinux(&b, &c, NULL);
	if (r == 0)
		r = write_text(out, "pxelinux.cfg/default", &b);
	buf_reset(&b);
	if (r == 0)
		r = bootcfg_grub(&b, &c);
	if (r == 0)
		r = write_text(out, "grub/grub.cfg", &b);
	buf_reset(&b);
	if (r == 0)
		r = bootcfg_ipxe(&b, &c);
	if (r == 0)
		r = write_text(out, "boot.ipxe", &b);
	for (size_t i = 0; r == 0 && i < env->n_hosts; i++) {
		const struct env_host *h = &env->hosts[i];
		const uint8_t *m = h->mac;
		char name[64], mac[21];

		if (!h->os)
			continue;
		bootcfg_mac_name(mac, m);
		buf_reset(&b);
		r = bootcfg_pxelinux(&b, &c, h->os);
		snprintf(name, sizeof(name), "pxelinux.cfg/%s", mac);
		if (r == 0)
			r = write_text(out, name, &b);
		buf_reset(&b);
		if (r == 0)
			r = bootcfg_grub_host(&b, h->os);
		snprintf(name, sizeof(name), "grub/host-%02x:%02x:%02x:%02x:%02x:%02x.cfg", m[0],
			 m[1], m[2], m[3], m[4], m[5]);
		if (r == 0)
			r = write_text(out, name, &b);
	}
	buf_release(&b);
	return r;
}

static int write_bundle(const struct bt_env *env, struct server_out *out, char *err, size_t errlen)
{
	size_t cap = 3 + env->n_oss * 2, n = 0;
	struct bundle_file *files = xcalloc(cap, sizeof(*files));
	char **names = xcalloc(cap, sizeof(*names));
	uint8_t **datas = xcalloc(cap, sizeof(*datas));
	char *path;
	struct buf b;
	int r;

	buf_init(&b, MAX_BUNDLE);
	r = config_read_file(AT_FDCWD, env->config_path, false, MAX_YAML, &datas[n], &files[n].len);
	if (r == 0) {
		files[n].name = BUNDLE_PREFIX "/" ENV_CONFIG_NAME;
		files[n].data = datas[n];
		n++;
	}
	/* The environment's SSH public key, if it has one (init makes it). */
	if (r == 0) {
		char *pub = xasprintf("%s/ssh/id_ed25519.pub", env->dir);
		int k = config_read_file(AT_FDCWD, pub, false, 64 << 10, &datas[n], &files[n].len);
		if (k == 0) {
			files[n].name = "etc/boottorrent/authorized_keys";
			files[n].data = datas[n];
			n++;
		}
		free(pub);
	}
	for (size_t i = 0; r == 0 && i < env->n_oss; i++) {
		const struct env_os *os = &env->oss[i];
		r = config_read_file(AT_FDCWD, os->config_path, false, MAX_YAML, &datas[n],
				     &files[n].len);
		if (r < 0)
			break;
		names[n] = xasprintf("%s/oss/%s/%s", BUNDLE_PREFIX, os->name, ENV_OS_CONFIG_NAME);
		files[n].name = names[n];
		files[n].data = datas[n];
		n++;
	}
	for (size_t i = 0; r == 0 && i < out->n_torrents; i++) {
		r = config_read_file(AT_FDCWD, out->torrents[i].path, false, METAINFO_MAX_INPUT,
				     &datas[n], &files[n].len);
		if (r < 0)
			break;
		names[n] = xasprintf("%s/torrents/%s.torrent", BUNDLE_PREFIX, out->torrents[i].os);
		files[n].name = names[n];
		files[n].data = datas[n];
		n++;
	}
	if (r < 0) {
		snprintf(err, errlen, "reading files for the client bundle: %s", strerror(-r));
		goto out;
	}
	r = bundle_write(&b, files, n, err, errlen);
	if (r == 0) {
		path = path_join(out->boot, BUNDLE_NAME);
		r = fs_write_atomic(path, b.data, b.len, 0644);
		if (r < 0)
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
		free(path);
	}
out:
	for (size_t i = 0; i < cap; i++) {
		free(names[i]);
		free(datas[i]);
	}
	free(names);
	free(datas);
	free(files);
	buf_release(&b);
	return r;
}

int server_out_build(const struct bt_env *env, const struct server_out_opts *o,
		     struct server_out *out, char *err, size_t errlen)
{
	static const char *const dirs[] = {
		"",	      "/boot",	   "/boot/torrents", "/boot/pxelinux.cfg",
		"/boot/grub", "/boot/ph1", "/cache"};
	int r = 0;

	*out = (struct server_out){0};
	out->dir = path_join(env->dir, "out");
	out->boot = path_join(out->dir, "boot");
	struct in_addr mask;
	if (bt_env_server_address(env, NULL, &out->address, &mask) < 0) {
		snprintf(err, errlen,
			 "cannot tell which address clients reach this server at: set "
			 "server.address in %s, or give dhcp.interface an IPv4 address",
			 env->config_path);
		return -EADDRNOTAVAIL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dirs) && r == 0; i++) {
		char *d = xasprintf("%s%s", out->dir, dirs[i]);
		r = fs_mkdirs(d, 0755);
		if (r < 0)
			snprintf(err, errlen, "%s: %s", d, strerror(-r));
		free(d);
	}
	out->torrents = xcalloc(env->n_oss ? env->n_oss : 1, sizeof(*out->torrents));
	for (size_t i = 0; i < env->n_oss && r == 0; i++)
		r = make_torrent(env, o, out, &env->oss[i], err, errlen);
	if (r == 0)
		r = copy_loaders(o, out);
	if (r == 0)
		r = copy_ph1(env, o, out);
	if (r == 0) {
		r = write_configs(env, out);
		if (r < 0)
			snprintf(err, errlen, "writing bootloader configurations in %s: %s",
				 out->boot, strerror(-r));
	}
	if (r == 0)
		r = write_bundle(env, out, err, errlen);
	return r;
}

void server_out_release(struct server_out *out)
{
	for (size_t i = 0; i < out->n_torrents; i++) {
		free(out->torrents[i].os);
		free(out->torrents[i].path);
		metainfo_release(&out->torrents[i].mi);
	}
	free(out->torrents);
	free(out->dir);
	free(out->boot);
	*out = (struct server_out){0};
}
