/* SPDX-License-Identifier: GPL-3.0-or-later */
/* boottorrent torrent-info FILE: shows what a .torrent holds, after checking
 * every field (an invalid torrent is an error, exit 1). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bencode/metainfo.h"
#include "cli/cli.h"

static const char usage_text[] =
	"Usage: boottorrent torrent-info [OPTION]... FILE\n"
	"Checks the .torrent FILE strictly and prints its info-hash, name, files,\n"
	"piece size and count, total size, trackers and private flag.\n"
	"Exits 1 if the torrent is invalid (the message names the field).\n\n"
	"Options:\n"
	"  -h, --help     show this help\n";

/* Prints text that came from the torrent with control characters escaped,
 * so a crafted torrent cannot drive the terminal. */
static void print_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

static void print_size(const char *label, uint64_t n)
{
	char h[32];

	printf("%-12s %" PRIu64 " bytes (%s)\n", label, n, fmt_bytes(h, sizeof(h), n));
}

static void print_info(const struct metainfo *mi)
{
	char hex[41];

	hex_encode(hex, mi->info_hash, sizeof(mi->info_hash));
	printf("%-12s %s\n", "Info hash:", hex);
	printf("%-12s ", "Name:");
	print_safe(mi->name);
	putchar('\n');
	if (mi->multi_file)
		printf("%-12s folder of %zu files\n", "Type:", mi->file_count);
	else
		printf("%-12s single file\n", "Type:");
	print_size("Piece size:", mi->piece_length);
	printf("%-12s %" PRIu32 "\n", "Pieces:", mi->piece_count);
	print_size("Total size:", mi->total_length);
	printf("%-12s %s\n", "Private:", mi->private_flag ? "yes" : "no");
	if (mi->created_by) {
		printf("%-12s ", "Created by:");
		print_safe(mi->created_by);
		putchar('\n');
	}
	if (mi->creation_date >= 0) {
		char when[64] = "?";
		time_t t = (time_t)mi->creation_date;
		struct tm tm;
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		printf("%-12s %s\n", "Created on:", when);
	}
	if (mi->comment) {
		printf("%-12s ", "Comment:");
		print_safe(mi->comment);
		putchar('\n');
	}
	if (mi->tier_count == 0)
		printf("%-12s none\n", "Trackers:");
	else
		printf("Trackers:\n");
	for (size_t t = 0; t < mi->tier_count; t++)
		for (size_t u = 0; u < mi->tiers[t].count; u++) {
			printf("  tier %zu: ", t + 1);
			print_safe(mi->tiers[t].urls[u]);
			putchar('\n');
		}
	printf("Files:\n");
	for (size_t i = 0; i < mi->file_count; i++) {
		printf("  %15" PRIu64 "  ", mi->files[i].length);
		if (mi->multi_file) {
			print_safe(mi->name);
			putchar('/');
		}
		print_safe(mi->files[i].path);
		putchar('\n');
	}
}

int cmd_torrent_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct metainfo mi;
	char err[512];
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default:
			return cli_usage_error("torrent-info", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("torrent-info", "missing FILE");
	if (argc - optind > 1)
		return cli_usage_error("torrent-info", "unexpected argument '%s'",
				       argv[optind + 1]);

	r = metainfo_load(&mi, argv[optind], err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "boottorrent torrent-info: %s\n", err);
		return EXIT_FAIL;
	}
	if (r > 0) {
		fprintf(stderr, "boottorrent torrent-info: %s: invalid torrent: %s\n", argv[optind],
			err);
		return EXIT_FAIL;
	}
	print_info(&mi);
	metainfo_release(&mi);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}
