/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/boot.h"
#include "agent/ui.h"
#include "util/util.h"

struct ui {
	bool plain;
	bool active; /* curses is on */
	struct agent_keycodes kc;
	int64_t last_plain_line;
};

static void curses_on(struct ui *ui)
{
	if (ui->active)
		return;
	if (!isendwin() && stdscr) {
		/* The first time. */
	}
	refresh();
	/* raw: Ctrl+C and Ctrl+S arrive as keys (no SIGINT, no XOFF). */
	raw();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	ui->active = true;
}

struct ui *ui_new(bool plain)
{
	struct ui *ui = xcalloc(1, sizeof(*ui));

	ui->plain = plain;
	ui->last_plain_line = -1;
	if (!plain) {
		/* newterm rather than initscr: a missing terminfo entry is an
		 * error we can fall back from, not an exit. */
		if (!newterm(NULL, stdout, stdin)) {
			fprintf(stderr, "agent: this terminal (TERM=%s) is unknown; plain output\n",
				getenv("TERM") ? getenv("TERM") : "");
			ui->plain = true;
			return ui;
		}
		ui->kc = (struct agent_keycodes){KEY_UP, KEY_DOWN, KEY_HOME, KEY_END, KEY_ENTER};
		curses_on(ui);
	}
	return ui;
}

void ui_free(struct ui *ui)
{
	if (!ui)
		return;
	if (ui->active) {
		endwin();
		ui->active = false;
	}
	free(ui);
}

bool ui_is_plain(const struct ui *ui)
{
	return ui->plain;
}

/* Writes s centred on row y, cut to the screen's width. */
static void center(int y, const char *s, int attr)
{
	int w = COLS, n = (int)strlen(s);

	if (y < 0 || y >= LINES)
		return;
	if (n > w)
		n = w;
	if (attr)
		attron(attr);
	mvaddnstr(y, (w - n) / 2, s, n);
	if (attr)
		attroff(attr);
}

void ui_draw_menu(struct ui *ui, const char *title, const char *const *entries, size_t n,
		  const struct agent_menu *m)
{
	char status[128], line[256];
	int top;

	agent_menu_status(m, status, sizeof(status));
	if (ui->plain) {
		/* Once per change of the shown seconds is enough on a log. */
		printf("menu:");
		for (size_t i = 0; i < n; i++)
			printf(" %s[%zu] %s", i == m->sel ? "*" : "", i + 1, entries[i]);
		printf("\n%s\n", status);
		fflush(stdout);
		return;
	}
	erase();
	center(1, title, A_BOLD);
	top = (LINES - (int)n) / 2;
	if (top < 3)
		top = 3;
	for (size_t i = 0; i < n; i++) {
		/* Markers as well as reverse video: some serial terminals
		 * show no attributes. */
		snprintf(line, sizeof(line), i == m->sel ? "> %s <" : "  %s  ", entries[i]);
		center(top + (int)i, line, i == m->sel ? A_REVERSE : 0);
	}
	center(LINES - 2, status, 0);
	refresh();
}

int ui_read_key(struct ui *ui, int timeout_ms, enum agent_key *key)
{
	int c;

	if (ui->plain) {
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
		char buf[64];
		ssize_t n;

		/* Plain mode reads whole lines: an empty line is Enter. */
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -1;
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n <= 0) {
			/* EOF: nobody will type; wait out the timeout. */
			usleep((useconds_t)timeout_ms * 1000);
			return -1;
		}
		*key = AGENT_KEY_ENTER;
		return 0;
	}
	timeout(timeout_ms);
	c = getch();
	if (c == ERR)
		return -1;
	*key = agent_key_from_code(&ui->kc, c);
	return 0;
}

static void bar(int y, double frac)
{
	int w = COLS - 12, fill;

	if (w < 10 || y >= LINES)
		return;
	if (w > 100)
		w = 100;
	fill = (int)(frac * w + 0.5);
	move(y, (COLS - w - 10) / 2);
	addch('[');
	for (int i = 0; i < w; i++)
		addch(i < fill ? '#' : '.');
	printw("] %5.1f%%", frac * 100);
}

void ui_draw_progress(struct ui *ui, const struct ui_progress *p)
{
	char have[16], total[16], down[16], up[16], fs[16], fp[16], line[256], eta[32];
	double frac = p->total ? (double)p->have / (double)p->total : 1;

	fmt_bytes(have, sizeof(have), p->have);
	fmt_bytes(total, sizeof(total), p->total);
	fmt_bytes(down, sizeof(down), (uint64_t)p->rate_down);
	fmt_bytes(up, sizeof(up), (uint64_t)p->rate_up);
	if (p->eta_s >= 0)
		snprintf(eta, sizeof(eta), "ETA %llds", (long long)p->eta_s);
	else
		snprintf(eta, sizeof(eta), "ETA -");
	if (p->from_server == UINT64_MAX) {
		snprintf(fs, sizeof(fs), "-");
		snprintf(fp, sizeof(fp), "-");
	} else {
		fmt_bytes(fs, sizeof(fs), p->from_server);
		fmt_bytes(fp, sizeof(fp), p->from_peers);
	}
	if (ui->plain) {
		printf("%s: %5.1f%% %s/%s down %s/s up %s/s peers %u (%u seeds) server %s "
		       "from server %s from peers %s %s",
		       p->state, frac * 100, have, total, down, up, p->peers, p->seeds,
		       p->server_connected ? "connected" : "not connected", fs, fp, eta);
		if (p->warning)
			printf(" -- %s", p->warning);
		printf("\n");
		fflush(stdout);
		return;
	}
	erase();
	center(1, p->title, A_BOLD);
	bar(4, frac);
	snprintf(line, sizeof(line), "%s of %s    down %s/s    up %s/s", have, total, down, up);
	center(6, line, 0);
	snprintf(line, sizeof(line), "peers %u (%u seeds)    server %s    %s", p->peers, p->seeds,
		 p->server_connected ? "connected" : "not connected", eta);
	center(7, line, 0);
	snprintf(line, sizeof(line), "from server: %s    from peers: %s", fs, fp);
	center(8, line, 0);
	center(10, p->state, 0);
	if (p->warning)
		center(12, p->warning, A_BOLD);
	center(LINES - 2, "Ctrl+S: shell", 0);
	refresh();
}

void ui_draw_message(struct ui *ui, const char *title, const char *text, const char *hint)
{
	if (ui->plain) {
		printf("%s: %s\n", title, text);
		fflush(stdout);
		return;
	}
	erase();
	center(1, "BootTorrent", A_BOLD);
	center(LINES / 2 - 2, title, A_BOLD);
	/* Long messages wrap over a few lines. */
	{
		size_t len = strlen(text), w = COLS > 8 ? (size_t)COLS - 4 : 4;
		int y = LINES / 2;

		for (size_t off = 0; off < len && y < LINES - 3; off += w, y++) {
			char part[512];
			size_t n = MIN(w, len - off);

			n = MIN(n, sizeof(part) - 1);
			memcpy(part, text + off, n);
			part[n] = 0;
			center(y, part, 0);
		}
	}
	if (hint)
		center(LINES - 2, hint, 0);
	refresh();
}

void ui_suspend(struct ui *ui)
{
	if (ui->active) {
		endwin();
		ui->active = false;
	}
}

void ui_resume(struct ui *ui)
{
	if (!ui->plain)
		curses_on(ui);
}

pid_t ui_shell_start(struct ui *ui)
{
	char *argv[] = {"/bin/sh", "-l", NULL};
	const char *sh = getenv("SHELL");

	ui_suspend(ui);
	printf("\nA shell; type 'exit' to go back to BootTorrent.\n");
	fflush(stdout);
	if (sh && *sh == '/')
		argv[0] = (char *)sh;
	return agent_spawn(argv, NULL);
}

void ui_shell_done(struct ui *ui)
{
	ui_resume(ui);
	if (!ui->plain)
		clear();
}
