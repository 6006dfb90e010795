/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The phase-1 agent: reads the client bundle, chooses an OS (command line,
 * host assignment or menu), downloads it into RAM over BitTorrent, seeds it
 * for a while and boots it; and reports each phase to the server.
 * docs/agent.md describes the behaviour and the contract with phase 1.
 */
#ifndef BT_AGENT_AGENT_H
#define BT_AGENT_AGENT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

#define AGENT_MAX_CONSOLES 3

struct agent_opts {
	const char *bundle;  /* NULL: /etc/boottorrent, else $BT_BUNDLE */
	const char *dir;     /* NULL: $BT_DATA, else /run/boottorrent */
	const char *os;	     /* boot this OS without a menu */
	const char *cmdline; /* file to read instead of /proc/cmdline */
	bool no_boot;	     /* stop after the seeding policy */
	bool no_menu;	     /* boot the default without a menu */
	bool plain;	     /* plain lines, no curses */
	bool nokvm;	     /* QEMU without -enable-kvm */
	bool seed_full;	     /* seed all of seed_time (no early stop) */
	bool has_server;
	struct in_addr server;
	uint16_t http_port; /* 0: bt.http, else the bundle's http.port */
	uint16_t port;	    /* our BitTorrent port (default 6881; 0 any) */
	bool has_seed_time;
	uint32_t seed_time; /* overrides boot.seed_time */
	/* Other consoles to mirror the screens on and take keys from (device
	 * paths); none given: $BT_CONSOLES (phase 1's console= list). */
	const char *consoles[AGENT_MAX_CONSOLES];
	size_t n_consoles;
};

/* Runs the agent; returns the process exit code (0: booted, or with
 * no_boot done; 1: failed). */
int agent_run(const struct agent_opts *o);

#endif
