/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/boot.h"
#include "agent/ui.h"
#include "util/util.h"

/* One terminal the agent draws on: the one it was started on (stdin and
 * stdout) and the other consoles (ui_add_console), each an ncurses SCREEN.
 * Every view is drawn on each; a key from any of them drives the agent. */
struct ui_term {
	SCREEN *scr;
	FILE *out, *in; /* NULL for the first terminal (stdout, stdin) */
	int fd;		/* read side, for poll() */
	bool active;	/* curses is on */
	bool dead;	/* hung up or failed: no longer used */
	char dev[64];
};

struct ui {
	bool plain;
	struct agent_keycodes kc;
	int64_t last_plain_line;
	struct ui_term terms[UI_MAX_TERMS];
	size_t nterms;
	size_t key_term; /* where the last key came from */
	bool shell_open; /* a shell runs on terms[key_term] */
};

static void curses_on(struct ui_term *t)
{
	if (t->active || t->dead)
		return;
	set_term(t->scr);
	refresh();
	/* raw: Ctrl+C and Ctrl+S arrive as keys (no SIGINT, no XOFF). */
	raw();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	t->active = true;
}

static void curses_off(struct ui_term *t)
{
	if (!t->active)
		return;
	set_term(t->scr);
	endwin();
	t->active = false;
}

struct ui *ui_new(bool plain)
{
	struct ui *ui = xcalloc(1, sizeof(*ui));

	ui->plain = plain;
	ui->last_plain_line = -1;
	if (!plain) {
		struct ui_term *t = &ui->terms[0];

		/* newterm rather than initscr: a missing terminfo entry is an
		 * error we can fall back from, not an exit. */
		t->scr = newterm(NULL, stdout, stdin);
		if (!t->scr) {
			fprintf(stderr, "agent: this terminal (TERM=%s) is unknown; plain output\n",
				getenv("TERM") ? getenv("TERM") : "");
			ui->plain = true;
			return ui;
		}
		t->fd = STDIN_FILENO;
		snprintf(t->dev, sizeof(t->dev), "%s",
			 ttyname(STDIN_FILENO) ? ttyname(STDIN_FILENO) : "the console");
		ui->nterms = 1;
		ui->kc = (struct agent_keycodes){KEY_UP, KEY_DOWN, KEY_HOME, KEY_END, KEY_ENTER};
		/* Arrow keys arrive as one burst: do not wait a second after
		 * a lone Escape on a terminal that sent nothing more. */
		set_escdelay(100);
		curses_on(t);
	}
	return ui;
}

/* The terminal type for a console device: serial lines get vt100 (or
 * $BT_TERM, as phase 1's agent-run does), the Linux virtual consoles
 * linux, anything else (a pty in tests) the agent's own $TERM. */
static const char *term_type(const char *dev)
{
	const char *base = strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev;
	const char *e = getenv("BT_TERM");

	if (strncmp(base, "ttyS", 4) == 0 || strncmp(base, "ttyAMA", 6) == 0 ||
	    strncmp(base, "hvc", 3) == 0 || strncmp(base, "ttyUSB", 6) == 0)
		return e && *e ? e : "vt100";
	if (strncmp(base, "tty", 3) == 0 && base[3] >= '0' && base[3] <= '9')
		return "linux";
	e = getenv("TERM");
	return e && *e ? e : "vt100";
}

int ui_add_console(struct ui *ui, const char *dev)
{
	struct ui_term *t;
	struct stat a, b;
	int fd, fd2;

	if (ui->plain)
		return -ENOTTY;
	if (ui->nterms >= UI_MAX_TERMS)
		return -ENOSPC;
	/* O_NONBLOCK: a serial line without CLOCAL would block the open
	 * until carrier; curses then wants blocking reads. */
	fd = open(dev, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	/* The terminal we run on already has its screen. */
	if (fstat(fd, &a) == 0 && fstat(STDIN_FILENO, &b) == 0 && S_ISCHR(a.st_mode) &&
	    a.st_rdev == b.st_rdev) {
		close(fd);
		return -EEXIST;
	}
	if (!isatty(fd)) {
		close(fd);
		return -ENOTTY;
	}
	fd2 = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	t = &ui->terms[ui->nterms];
	memset(t, 0, sizeof(*t));
	t->out = fdopen(fd, "w");
	t->in = fd2 >= 0 ? fdopen(fd2, "r") : NULL;
	if (!t->out || !t->in) {
		int e = errno ? errno : ENOMEM;

		if (t->out)
			fclose(t->out);
		else
			close(fd);
		if (t->in)
			fclose(t->in);
		else if (fd2 >= 0)
			close(fd2);
		return -e;
	}
	t->fd = fd2;
	snprintf(t->dev, sizeof(t->dev), "%s", dev);
	t->scr = newterm(term_type(dev), t->out, t->in);
	if (!t->scr) {
		fclose(t->out);
		fclose(t->in);
		return -ENOENT; /* no terminfo entry */
	}
	ui->nterms++;
	curses_on(t);
	return 0;
}

size_t ui_console_count(const struct ui *ui)
{
	return ui->plain ? 0 : ui->nterms;
}

void ui_free(struct ui *ui)
{
	if (!ui)
		return;
	/* The first terminal last: it is the one the process goes on using. */
	for (size_t i = ui->nterms; i-- > 0;) {
		struct ui_term *t = &ui->terms[i];

		curses_off(t);
		if (i > 0) {
			delscreen(t->scr);
			fclose(t->out);
			fclose(t->in);
		}
	}
	if (ui->nterms)
		set_term(ui->terms[0].scr);
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

/* Each drawing function below draws on the current SCREEN; these run it on
 * every live terminal. */
#define EACH_TERM(ui, t)                                                                           \
	for (struct ui_term *t = (ui)->terms; t < (ui)->terms + (ui)->nterms; t++)                 \
		if (t->active && !t->dead && (set_term(t->scr), true))

static void draw_menu(const char *title, const char *const *entries, size_t n,
		      const struct agent_menu *m, const char *status);

void ui_draw_menu(struct ui *ui, const char *title, const char *const *entries, size_t n,
		  const struct agent_menu *m)
{
	char status[128];

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
	EACH_TERM(ui, t)
	draw_menu(title, entries, n, m, status);
}

static void draw_menu(const char *title, const char *const *entries, size_t n,
		      const struct agent_menu *m, const char *status)
{
	char line[256];
	int top;

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

/* A key from terminal t, without waiting. 0 or -1. */
static int key_now(struct ui *ui, size_t i, enum agent_key *key)
{
	struct ui_term *t = &ui->terms[i];
	int c;

	if (!t->active || t->dead)
		return -1;
	set_term(t->scr);
	timeout(0);
	c = getch();
	if (c == ERR)
		return -1;
	ui->key_term = i;
	*key = agent_key_from_code(&ui->kc, c);
	return 0;
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
	if (ui->nterms == 1) {
		if (!ui->terms[0].active)
			return -1;
		set_term(ui->terms[0].scr);
		timeout(timeout_ms);
		c = getch();
		if (c == ERR)
			return -1;
		ui->key_term = 0;
		*key = agent_key_from_code(&ui->kc, c);
		return 0;
	}
	/* Several terminals: what curses already holds first, then wait on
	 * all of them at once. */
	for (size_t i = 0; i < ui->nterms; i++)
		if (key_now(ui, i, key) == 0)
			return 0;
	{
		struct pollfd pfd[UI_MAX_TERMS];
		size_t map[UI_MAX_TERMS], n = 0;

		for (size_t i = 0; i < ui->nterms; i++) {
			if (!ui->terms[i].active || ui->terms[i].dead)
				continue;
			pfd[n] = (struct pollfd){.fd = ui->terms[i].fd, .events = POLLIN};
			map[n++] = i;
		}
		if (n == 0 || poll(pfd, n, timeout_ms) <= 0)
			return -1;
		for (size_t j = 0; j < n; j++) {
			/* A console that hung up (a serial line without
			 * CLOCAL, a closed pty) would wake poll for ever. */
			if (map[j] > 0 && (pfd[j].revents & (POLLHUP | POLLERR | POLLNVAL))) {
				curses_off(&ui->terms[map[j]]);
				ui->terms[map[j]].dead = true;
				continue;
			}
			if ((pfd[j].revents & POLLIN) && key_now(ui, map[j], key) == 0)
				return 0;
		}
	}
	return -1;
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

static void draw_progress(const struct ui_progress *p, double frac, const char *have,
			  const char *total, const char *down, const char *up, const char *fs,
			  const char *fp, const char *eta);

void ui_repaint_next(struct ui *ui)
{
	if (ui->plain)
		return;
	EACH_TERM(ui, t)
	clearok(curscr, TRUE);
}

void ui_draw_progress(struct ui *ui, const struct ui_progress *p)
{
	char have[16], total[16], down[16], up[16], fs[16], fp[16], eta[32];
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
	EACH_TERM(ui, t)
	draw_progress(p, frac, have, total, down, up, fs, fp, eta);
}

static void draw_progress(const struct ui_progress *p, double frac, const char *have,
			  const char *total, const char *down, const char *up, const char *fs,
			  const char *fp, const char *eta)
{
	char line[256];

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

static void draw_message(const char *title, const char *text, const char *hint);

void ui_draw_message(struct ui *ui, const char *title, const char *text, const char *hint)
{
	if (ui->plain) {
		printf("%s: %s\n", title, text);
		fflush(stdout);
		return;
	}
	EACH_TERM(ui, t)
	draw_message(title, text, hint);
}

static void draw_message(const char *title, const char *text, const char *hint)
{
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
	for (size_t i = ui->nterms; i-- > 0;)
		curses_off(&ui->terms[i]);
}

void ui_resume(struct ui *ui)
{
	if (ui->plain)
		return;
	for (size_t i = 0; i < ui->nterms; i++)
		curses_on(&ui->terms[i]);
}

pid_t ui_shell_start(struct ui *ui)
{
	char *argv[] = {"/bin/sh", "-l", NULL};
	const char *sh = getenv("SHELL");
	struct ui_term *t;
	char note[128];
	pid_t pid;

	if (sh && *sh == '/')
		argv[0] = (char *)sh;
	if (ui->plain) {
		printf("\nA shell; type 'exit' to go back to BootTorrent.\n");
		fflush(stdout);
		return agent_spawn(argv, NULL);
	}
	/* The shell runs on the terminal Ctrl+S came from; the others say
	 * where it is. */
	t = &ui->terms[ui->key_term];
	snprintf(note, sizeof(note), "A shell is open on %s; BootTorrent waits for it.", t->dev);
	EACH_TERM(ui, o)
	if (o != t)
		draw_message("Shell", note, NULL);
	curses_off(t);
	ui->shell_open = true;
	if (ui->key_term == 0) {
		/* The agent's own terminal: the shell inherits it. */
		printf("\nA shell; type 'exit' to go back to BootTorrent.\n");
		fflush(stdout);
		return agent_spawn(argv, NULL);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		static const char msg[] = "\r\nA shell; type 'exit' to go back to BootTorrent.\r\n";
		int fd = fileno(t->in);

		(void)setsid();
		(void)ioctl(fd, TIOCSCTTY, 0);
		if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		if (write(1, msg, sizeof(msg) - 1) < 0) {
			/* The shell's prompt will say as much. */
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

void ui_shell_done(struct ui *ui)
{
	ui->shell_open = false;
	ui_resume(ui);
	if (!ui->plain)
		EACH_TERM(ui, t)
	clear();
}
