/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The client bundle: a newc cpio that the bootloader loads as a second
 * initrd after phase 1's, so the kernel unpacks it over phase 1's root.
 * It carries everything a client needs to know about this environment:
 *
 *   etc/boottorrent/bundle/Boottorrent.yaml     the environment, verbatim
 *   etc/boottorrent/bundle/oss/NAME/config.yaml each served OS, verbatim
 *   etc/boottorrent/bundle/torrents/NAME.torrent each served OS's torrent
 *   etc/boottorrent/authorized_keys             the environment's ssh/id_ed25519.pub:
 *                                               phase 1 starts dropbear with it
 *
 * The agent reads the YAML files with the same loader as `check`, so the
 * bundle has no format of its own. Entries carry fixed times and owners,
 * so an unchanged environment gives a byte-identical bundle.
 */
#ifndef BT_SERVER_BUNDLE_H
#define BT_SERVER_BUNDLE_H

#include <stddef.h>

#include "util/buf.h"
#include "util/util.h"

#define BUNDLE_PREFIX "etc/boottorrent/bundle"

struct bundle_file {
	const char *name; /* path inside the bundle, from its root ("etc/...") */
	const void *data;
	size_t len;
};

/* Writes a newc cpio of files (and the folders they need) to out.
 * Returns 0, or -EIO with a message in err when libarchive fails. */
int bundle_write(struct buf *out, const struct bundle_file *files, size_t n, char *err,
		 size_t errlen) WUR;

#endif
