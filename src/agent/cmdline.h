/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What phase 1's kernel command line tells the agent, and the choice of
 * what to boot. Pure functions over text: /proc/cmdline is read by the
 * caller. The server writes (src/server/bootcfg.c):
 *
 *   bt.server=IP bt.http=PORT [bt.os=NAME] BOOTIF=01-aa-bb-cc-dd-ee-ff
 *
 * GRUB passes BOOTIF with colons (01-aa:bb:cc:dd:ee:ff); both are accepted.
 * bt.nokvm (or bt.kvm=0, phase 1's spelling) keeps QEMU from using KVM.
 */
#ifndef BT_AGENT_CMDLINE_H
#define BT_AGENT_CMDLINE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/env.h"
#include "util/util.h"

/* The longest command line we look at (the kernel's own limit is 2 KiB to
 * 64 KiB depending on the architecture). */
#define AGENT_CMDLINE_MAX 65536
#define AGENT_OS_NAME_MAX 255

struct agent_cmdline {
	bool has_server;
	struct in_addr server;
	uint16_t http_port;		/* 0 when not given */
	char os[AGENT_OS_NAME_MAX + 1]; /* "" when not given */
	bool has_mac;
	uint8_t mac[6];
	bool nokvm;
};

/* Parses a kernel command line (text[0..len), need not be NUL-terminated).
 * Unknown words are ignored; a known key with a bad value is ignored too
 * (phase 1 must still come up), and counted in the return value: 0 when
 * every known key was good, else the number of bad ones. */
int agent_cmdline_parse(const char *text, size_t len, struct agent_cmdline *out);

/* Parses a MAC address "aa:bb:cc:dd:ee:ff" or "aa-bb-cc-dd-ee-ff" (hex digits
 * in either case, one separator kind); with_type also accepts BOOTIF's
 * "01-" hardware-type prefix (required then). 0 or -1. */
int agent_mac_parse(const char *s, size_t len, bool with_type, uint8_t mac[6]) WUR;
/* "aa:bb:cc:dd:ee:ff" into out (at least 18 bytes). */
void agent_mac_format(const uint8_t mac[6], char *out, size_t outlen);

/* What the agent does with the bundle. */
enum agent_choice_kind {
	AGENT_CHOICE_NONE = 0, /* nothing can be booted (no OS) */
	AGENT_CHOICE_AUTO,     /* boot os_index without a menu */
	AGENT_CHOICE_MENU,     /* show the menu; default_index preselected */
};

enum agent_choice_why {
	AGENT_WHY_MENU = 0,
	AGENT_WHY_CMDLINE,  /* bt.os= or --os */
	AGENT_WHY_HOST,	    /* hosts: this MAC has an OS */
	AGENT_WHY_TIMEOUT0, /* timeout 0: the default at once */
};

struct agent_choice {
	enum agent_choice_kind kind;
	enum agent_choice_why why;
	size_t os_index;      /* AUTO */
	size_t default_index; /* MENU (0 when there is no default) */
	/* A name that was asked for and is not in the bundle (bt.os, host):
	 * the menu is shown instead, and this says why. "" when none. */
	char unknown[AGENT_OS_NAME_MAX + 1];
};

/* Decides: an OS named on the command line (os, may be NULL or "") beats
 * the host assignment for mac (may be NULL), which beats the menu; a
 * timeout of 0 boots the default at once. Never fails. */
void agent_choose(const struct bt_env *env, const char *os, const uint8_t *mac,
		  struct agent_choice *out);

#endif
