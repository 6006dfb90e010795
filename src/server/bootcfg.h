/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Bootloader configurations that start phase 1, generated from the
 * environment: pxelinux (BIOS), GRUB (UEFI, through shim) and an iPXE
 * script (iPXE and UEFI HTTP boot). Pure text generation, no I/O.
 *
 * Every loader boots the same phase-1 kernel with two initrds: the phase-1
 * image and the client bundle (the agent's configuration and the torrents),
 * which the kernel unpacks one over the other. Paths are relative to the
 * boot root that TFTP and HTTP both serve.
 */
#ifndef BT_SERVER_BOOTCFG_H
#define BT_SERVER_BOOTCFG_H

#include <netinet/in.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/util.h"

struct bootcfg {
	struct in_addr server; /* how clients reach us */
	uint16_t http_port;
	const char *kernel;  /* phase-1 kernel, e.g. "ph1/vmlinuz" */
	const char *initrd;  /* phase-1 initrd, e.g. "ph1/initrd.img" */
	const char *bundle;  /* client bundle, e.g. "bundle.cpio" */
	const char *cmdline; /* extra kernel arguments, or NULL */
	const char *title;   /* menu label, e.g. "BootTorrent" */
};

/* The kernel command line every loader passes (without the loaders' own
 * additions such as BOOTIF): "bt.server=IP bt.http=PORT [bt.os=OS]
 * console=... EXTRA". os NULL: let the agent show its menu. */
int bootcfg_cmdline(struct buf *out, const struct bootcfg *c, const char *os) WUR;

/* pxelinux.cfg/default (os NULL) or the per-MAC file of a host that boots
 * os without a menu. */
int bootcfg_pxelinux(struct buf *out, const struct bootcfg *c, const char *os) WUR;

/* GRUB's grub.cfg, for grub/grub.cfg under the boot root. It sources
 * grub/host-<mac>.cfg (MAC as "52:54:00:12:34:56") when that exists. */
int bootcfg_grub(struct buf *out, const struct bootcfg *c) WUR;
/* The per-MAC grub/host-<mac>.cfg of a host that boots os without a menu. */
int bootcfg_grub_host(struct buf *out, const char *os) WUR;

/* An iPXE script that fetches everything over HTTP. */
int bootcfg_ipxe(struct buf *out, const struct bootcfg *c) WUR;

/* The name pxelinux asks for first for a MAC: "01-aa-bb-cc-dd-ee-ff"
 * (out must hold 21 bytes). */
void bootcfg_mac_name(char out[21], const uint8_t mac[6]);

#endif
