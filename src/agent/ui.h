/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The agent's screens: a curses view (ncursesw; ASCII only, so a serial
 * console with TERM=vt100 works) or plain lines on stdout when --plain is
 * given or stdout is not a terminal. The logic behind the menu is in
 * menu.h; this file only draws and reads keys.
 */
#ifndef BT_AGENT_UI_H
#define BT_AGENT_UI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/menu.h"
#include "util/util.h"

struct ui;

/* What the progress screen shows. */
struct ui_progress {
	const char *title; /* "Downloading Debian (debian)" */
	uint64_t have, total;
	double rate_down, rate_up;
	uint32_t peers, seeds;
	bool server_connected;
	uint64_t from_server, from_peers; /* UINT64_MAX: unknown */
	int64_t eta_s;			  /* -1: unknown */
	const char *state;		  /* "downloading", "seeding for 20 s more", ... */
	const char *warning;		  /* NULL or a problem to show */
};

/* Terminals one agent draws on at most: its own and the other consoles. */
#define UI_MAX_TERMS 4

/* plain: lines on stdout instead of curses. */
struct ui *ui_new(bool plain);
/* Draws on the terminal device dev too (a console such as /dev/ttyS0 or
 * /dev/tty1): every view is mirrored there, and keys typed there drive the
 * agent like keys on its own terminal; Ctrl+S there opens the shell there.
 * 0, -EEXIST (it is the agent's own terminal), -ENOTTY (plain mode or not
 * a terminal), -ENOSPC, -ENOENT (no terminfo), or the errno of open. */
int ui_add_console(struct ui *ui, const char *dev) WUR;
/* Terminals drawn on (0 in plain mode). */
size_t ui_console_count(const struct ui *ui);
/* Ends curses (the terminal is as it was). NULL is a no-op. */
void ui_free(struct ui *ui);
bool ui_is_plain(const struct ui *ui);

/* Draws the menu: the title, the entries centred with the selected one
 * highlighted, and the status line. */
void ui_draw_menu(struct ui *ui, const char *title, const char *const *entries, size_t n,
		  const struct agent_menu *m);
/* Waits up to timeout_ms for a key; returns the menu key, or -1 for none. */
int ui_read_key(struct ui *ui, int timeout_ms, enum agent_key *key);

void ui_draw_progress(struct ui *ui, const struct ui_progress *p);
/* The next drawing repaints every terminal in full rather than only what
 * changed: a message that appears then reaches a serial console's log as
 * one whole line (the stall message; tests read it there). */
void ui_repaint_next(struct ui *ui);
/* A full-screen message (plain: printed once). */
void ui_draw_message(struct ui *ui, const char *title, const char *text, const char *hint);

/* Leaves curses and starts a login shell on the terminal. Returns its pid
 * (or -errno); call ui_shell_done() after it has exited. */
pid_t ui_shell_start(struct ui *ui);
void ui_shell_done(struct ui *ui);
/* Leaves curses for another program's use of the terminal (QEMU, a bin);
 * ui_resume() comes back. */
void ui_suspend(struct ui *ui);
void ui_resume(struct ui *ui);

#endif
