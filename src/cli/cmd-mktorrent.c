/* SPDX-License-Identifier: GPL-3.0-or-later */
/* boottorrent mktorrent PATH -o FILE: makes a standard v1 .torrent. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bencode/metainfo.h"
#include "bencode/torrent-make.h"
#include "cli/cli.h"
#include "util/buf.h"
#include "util/parse.h"
#include "util/path.h"

#define MAX_TIERS 64
#define MAX_TIER_URLS 16

static const char usage_text[] =
	"Usage: boottorrent mktorrent [OPTION]... PATH -o FILE\n"
	"Makes a standard (v1) .torrent of PATH: a single-file torrent when PATH is a\n"
	"file, a multi-file one when it is a folder (files sorted by path; special\n"
	"files, symlinks to folders and symlinks leading outside PATH are refused).\n\n"
	"Options:\n"
	"  -o, --output FILE       write the torrent to FILE (required)\n"
	"  -f, --force             replace FILE if it exists\n"
	"  -l, --piece-size SIZE   piece size, a power of two from 16k to 64M\n"
	"                          (e.g. 256k, 4M). By default the smallest power of\n"
	"                          two from 16 KiB to 16 MiB giving at most 2000 pieces\n"
	"  -a, --announce URL      tracker URL; repeat for more tiers, separate URLs of\n"
	"                          one tier with commas\n"
	"  -n, --name NAME         name of the torrent (default: PATH's last component)\n"
	"  -c, --comment TEXT      add a comment\n"
	"  -p, --private           set the private flag (BEP 27)\n"
	"  -d, --no-date           omit the creation date (reproducible output)\n"
	"  -q, --quiet             no progress, even on a terminal\n"
	"  -h, --help              show this help\n\n"
	"Progress is shown on stderr when it is a terminal.\n";

struct progress {
	struct timespec start;
	struct timespec last;
	bool shown;
};

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static bool progress_show(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	struct timespec now;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &now);
	/* A few updates a second are enough and keep the terminal calm. */
	if (done < total && p->shown && elapsed(&p->last, &now) < 0.2)
		return true;
	p->last = now;
	p->shown = true;
	secs = elapsed(&p->start, &now);
	fprintf(stderr, "\rhashing: %3u%%  %.0f MB/s ",
		(unsigned)(total ? done * 100 / total : 100),
		secs > 0 ? (double)done / 1e6 / secs : 0.0);
	if (done >= total)
		fputc('\n', stderr);
	return true;
}

/* Writes data to path through a temporary file and a rename, so that a
 * failure never leaves half a torrent behind. */
static int write_file(const char *path, const void *data, size_t len, bool force, char *err,
		      size_t errlen)
{
	struct buf tmp;
	const uint8_t *p = data;
	int fd, r = 0;

	if (!force && access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s exists (use --force to replace it)", path);
		return -EEXIST;
	}
	buf_init(&tmp, 8192);
	if (buf_printf(&tmp, "%s.tmp-XXXXXX", path) < 0) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = mkstemp((char *)tmp.data);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	(void)fchmod(fd, 0644);
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename((char *)tmp.data, path) < 0)
		r = -errno;
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		unlink((char *)tmp.data);
	}
out:
	buf_release(&tmp);
	return r;
}

/* Splits "URL,URL" into one tier. The strings point into arg, which is
 * modified (commas become NULs). */
static int add_tier(struct torrent_tier *tier, const char **urls, char *arg)
{
	size_t n = 0;

	for (char *p = arg;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (*p == '\0' || strlen(p) > METAINFO_MAX_URL || n >= MAX_TIER_URLS)
			return -1;
		urls[n++] = p;
		if (!comma)
			break;
		p = comma + 1;
	}
	tier->urls = urls;
	tier->count = n;
	return 0;
}

int cmd_mktorrent(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"force", no_argument, NULL, 'f'},
		{"piece-size", required_argument, NULL, 'l'},
		{"announce", required_argument, NULL, 'a'},
		{"name", required_argument, NULL, 'n'},
		{"comment", required_argument, NULL, 'c'},
		{"private", no_argument, NULL, 'p'},
		{"no-date", no_argument, NULL, 'd'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const char *urls[MAX_TIERS][MAX_TIER_URLS];
	struct torrent_tier tiers[MAX_TIERS];
	struct torrent_make_opts o = {.creation_date = (int64_t)time(NULL)};
	struct progress prog = {0};
	const char *output = NULL;
	bool force = false, quiet = false;
	struct metainfo mi;
	struct buf out;
	char err[1024], hex[41], h[32];
	uint64_t v;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:fl:a:n:c:pdqh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'f': force = true; break;
		case 'l':
			if (parse_size_str(optarg, &v) < 0 || v < 16384 ||
			    v > METAINFO_MAX_PIECE_LENGTH || (v & (v - 1)) != 0)
				return cli_usage_error("mktorrent",
						       "--piece-size '%s' is not a power of two "
						       "from 16k to 64M",
						       optarg);
			o.piece_length = (uint32_t)v;
			break;
		case 'a':
			if (o.tier_count >= MAX_TIERS)
				return cli_usage_error("mktorrent", "more than %d --announce",
						       MAX_TIERS);
			if (add_tier(&tiers[o.tier_count], urls[o.tier_count], optarg) < 0)
				return cli_usage_error("mktorrent", "bad --announce '%s'", optarg);
			o.tier_count++;
			break;
		case 'n':
			if (!path_component_ok(optarg, strlen(optarg)) ||
			    strlen(optarg) > METAINFO_MAX_COMPONENT)
				return cli_usage_error("mktorrent",
						       "--name '%s' is not a usable file name",
						       optarg);
			o.name = optarg;
			break;
		case 'c': o.comment = optarg; break;
		case 'p': o.private_flag = true; break;
		case 'd': o.creation_date = -1; break;
		case 'q': quiet = true; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case ':':
			return cli_usage_error("mktorrent", "option '%s' needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("mktorrent", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("mktorrent", "missing PATH");
	if (argc - optind > 1)
		return cli_usage_error("mktorrent", "unexpected argument '%s'", argv[optind + 1]);
	if (!output)
		return cli_usage_error("mktorrent", "missing -o FILE");
	o.tiers = tiers;
	if (!quiet && isatty(STDERR_FILENO)) {
		clock_gettime(CLOCK_MONOTONIC, &prog.start);
		o.progress = progress_show;
		o.progress_ctx = &prog;
	}

	buf_init(&out, METAINFO_MAX_INPUT);
	r = torrent_make(argv[optind], &o, &out, err, sizeof(err));
	if (r) {
		if (prog.shown)
			fputc('\n', stderr);
		fprintf(stderr, "boottorrent mktorrent: %s\n", err);
		buf_release(&out);
		return EXIT_FAIL;
	}
	/* Read back what was made: it must pass our own strict parser. */
	r = metainfo_parse(&mi, out.data, out.len, err, sizeof(err));
	if (r) {
		fprintf(stderr, "boottorrent mktorrent: internal error: %s\n", err);
		buf_release(&out);
		return EXIT_FAIL;
	}
	r = write_file(output, out.data, out.len, force, err, sizeof(err));
	buf_release(&out);
	if (r < 0) {
		fprintf(stderr, "boottorrent mktorrent: %s\n", err);
		metainfo_release(&mi);
		return EXIT_FAIL;
	}
	hex_encode(hex, mi.info_hash, sizeof(mi.info_hash));
	printf("%s: info hash %s, %zu file%s, %" PRIu32 " pieces of %s\n", output, hex,
	       mi.file_count, mi.file_count == 1 ? "" : "s", mi.piece_count,
	       fmt_bytes(h, sizeof(h), mi.piece_length));
	metainfo_release(&mi);
	return EXIT_OK;
}
