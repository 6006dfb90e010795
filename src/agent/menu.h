/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The boot menu's logic, without any drawing: which entry is selected, the
 * countdown, and what each key does. The curses view (ui.h) feeds it keys
 * and elapsed time and draws what it says; tests drive it directly.
 *
 *   - Up/Down move the selection and wrap around; Home/End jump.
 *   - Enter boots the selected entry.
 *   - Ctrl+C stops the countdown (the menu then waits for Enter).
 *   - Ctrl+S asks for a shell; the menu stays as it was when the shell ends.
 *   - The countdown boots the selected entry (the default unless moved) when
 *     it reaches 0; a timeout of 0 boots at once, a negative one never.
 */
#ifndef BT_AGENT_MENU_H
#define BT_AGENT_MENU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

enum agent_key {
	AGENT_KEY_OTHER = 0,
	AGENT_KEY_UP,
	AGENT_KEY_DOWN,
	AGENT_KEY_HOME,
	AGENT_KEY_END,
	AGENT_KEY_ENTER,
	AGENT_KEY_INTR,	 /* Ctrl+C */
	AGENT_KEY_SHELL, /* Ctrl+S */
};

enum agent_menu_action {
	AGENT_MENU_NONE = 0, /* nothing changed */
	AGENT_MENU_REDRAW,   /* the selection or the countdown changed */
	AGENT_MENU_BOOT,     /* boot entry agent_menu.sel */
	AGENT_MENU_SHELL,    /* open a shell, then redraw */
};

struct agent_menu {
	size_t n;	 /* entries (at least 1) */
	size_t sel;	 /* selected entry */
	size_t def;	 /* the default entry */
	bool counting;	 /* the countdown runs */
	int64_t left_ms; /* time left while counting */
	bool done;	 /* BOOT was returned; nothing changes any more */
};

/* Starts a menu of n entries (n >= 1) with def selected (clamped) and a
 * timeout in seconds: 0 boots at once (agent_menu_start() returns BOOT),
 * negative waits forever. */
void agent_menu_init(struct agent_menu *m, size_t n, size_t def, int64_t timeout_s);
/* BOOT when the timeout was 0, else REDRAW (draw the first screen). */
enum agent_menu_action agent_menu_start(struct agent_menu *m);
enum agent_menu_action agent_menu_key(struct agent_menu *m, enum agent_key k);
/* elapsed_ms have passed: REDRAW when the shown seconds changed, BOOT at 0. */
enum agent_menu_action agent_menu_tick(struct agent_menu *m, int64_t elapsed_ms);
/* Whole seconds to show ("in N seconds"), rounded up; -1 when not counting. */
int64_t agent_menu_seconds_left(const struct agent_menu *m);

/* Maps a curses key code or a byte to a key: KEY_UP/'k', KEY_DOWN/'j',
 * Enter ('\n', '\r', KEY_ENTER), 3 (Ctrl+C), 19 (Ctrl+S). The curses codes
 * are passed in so this file needs no curses. */
struct agent_keycodes {
	int up, down, home, end, enter;
};
enum agent_key agent_key_from_code(const struct agent_keycodes *kc, int code);

/* The line under the entries: "Booting default OS in 5 seconds...", or a
 * hint when the countdown does not run. */
void agent_menu_status(const struct agent_menu *m, char *out, size_t outlen);

#endif
