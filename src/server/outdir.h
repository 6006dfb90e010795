/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Building an environment's out/ folder, which `start` serves and which can
 * always be deleted and rebuilt:
 *
 *   out/boot/                  the root TFTP and HTTP serve
 *     pxelinux.0 ldlinux.c32   BIOS: Debian's pxelinux
 *     bootx64.efi grubx64.efi  UEFI: Debian's signed shim and network GRUB
 *     ipxe.efi                 UEFI behind a proxyDHCP: Debian's iPXE
 *     pxelinux.cfg/default, pxelinux.cfg/01-<mac>      per host with an OS
 *     grub/grub.cfg, grub/host-<mac>.cfg
 *     boot.ipxe                iPXE and UEFI HTTP boot
 *     ph1/vmlinuz ph1/initrd.img                       phase 1
 *     bundle.cpio              the client bundle (bundle.h)
 *     torrents/NAME.torrent    one per served OS (also inside the bundle)
 *   out/cache/NAME.hashes      piece-hash cache (hashcache.h)
 *
 * Each OS is one multi-file torrent named after its folder, holding every
 * file of oss/NAME except config.yaml, so that the seeder serves oss/ in
 * place. Torrents carry no creation date: the same files give the same
 * bytes and the same info-hash on every start.
 */
#ifndef BT_SERVER_OUTDIR_H
#define BT_SERVER_OUTDIR_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "bencode/metainfo.h"
#include "bencode/torrent-make.h"
#include "config/env.h"
#include "util/log.h"

struct server_out_opts {
	/* Where phase 1 (ph1/vmlinuz, ph1/initrd.img) and the bootloaders
	 * (loaders/) were built; see server_data_dir(). */
	const char *data_dir;
	/* Called while an OS is hashed (not when its cache is used). */
	void (*progress)(void *ctx, const char *os, uint64_t done, uint64_t total);
	void *progress_ctx;
	/* Set (from another thread) to stop hashing: the build then fails
	 * with -ECANCELED. NULL: never. */
	const atomic_bool *cancel;
	const struct logger *log;
};

struct server_torrent {
	char *os;   /* the OS folder's name */
	char *path; /* out/boot/torrents/NAME.torrent */
	struct metainfo mi;
	bool cached; /* the piece hashes came from the cache */
};

struct server_out {
	char *dir;		/* ENV/out */
	char *boot;		/* ENV/out/boot */
	struct in_addr address; /* the address clients reach the server at */
	struct server_torrent *torrents;
	size_t n_torrents;
	bool bios, uefi, ph1; /* what could be provided */
	bool ipxe_efi;	      /* iPXE for UEFI, for proxy mode */
	/* An OS runs in QEMU, but phase 1 was built in the default flavour,
	 * which has no QEMU (its size report says so): warned at start. */
	bool ph1_lacks_qemu;
};

/* Builds out/ for env. Missing bootloaders or phase 1 are warnings through
 * o->log (that firmware cannot boot); a failure to hash or write is an
 * error. Returns 0, or a negative errno / positive TORRENT_E_* code with a
 * message in err. out must be released either way. */
int server_out_build(const struct bt_env *env, const struct server_out_opts *o,
		     struct server_out *out, char *err, size_t errlen) WUR;
void server_out_release(struct server_out *out);

/* The piece size of an OS's torrent when swarm.piece_size is 0: about 2,000
 * pieces (torrent_piece_length_auto()), but at least OUTDIR_MIN_PIECE.
 * A piece is passed on only once it is whole and verified, and when a room
 * boots together every machine's uplink serves its first pieces to all the
 * others at once, so a piece's time to arrive, and with it how soon the
 * swarm's uplinks fill, grows with its size: 64 MiB to 32 machines took
 * 1.24-1.30 x the fluid bound in 64 KiB pieces, 1.36-1.47 in 256 KiB
 * pieces, with 1.1 against 1.35 copies from the server (bench/scale.sh,
 * docs/benchmarks.md). Smaller pieces cost a HAVE per piece per peer and,
 * while the server super-seeds, a round trip per offered piece (16 KiB
 * pieces made a 16 MiB image take 13.6 s where 256 KiB took 8 s;
 * docs/faults.md). */
#define OUTDIR_MIN_PIECE (64u * 1024)
uint32_t outdir_piece_length(uint64_t total);

/* The default data folder: the program's own folder when it holds ph1/ or
 * loaders/ (a build tree), else /usr/lib/boottorrent. Returns a static
 * string or the value of $BOOTTORRENT_DATA. */
const char *server_data_dir(void);

#endif
