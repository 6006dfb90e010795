/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>

#include "agent/menu.h"
#include "util/util.h"

void agent_menu_init(struct agent_menu *m, size_t n, size_t def, int64_t timeout_s)
{
	*m = (struct agent_menu){.n = n ? n : 1};
	m->def = def < m->n ? def : 0;
	m->sel = m->def;
	if (timeout_s >= 0) {
		m->counting = true;
		/* Cap it so the multiplication cannot overflow. */
		m->left_ms = MIN(timeout_s, (int64_t)30 * 86400) * 1000;
	}
}

enum agent_menu_action agent_menu_start(struct agent_menu *m)
{
	if (m->counting && m->left_ms <= 0) {
		m->done = true;
		return AGENT_MENU_BOOT;
	}
	return AGENT_MENU_REDRAW;
}

enum agent_menu_action agent_menu_key(struct agent_menu *m, enum agent_key k)
{
	if (m->done)
		return AGENT_MENU_NONE;
	switch (k) {
	case AGENT_KEY_UP: m->sel = m->sel == 0 ? m->n - 1 : m->sel - 1; return AGENT_MENU_REDRAW;
	case AGENT_KEY_DOWN: m->sel = m->sel + 1 == m->n ? 0 : m->sel + 1; return AGENT_MENU_REDRAW;
	case AGENT_KEY_HOME: m->sel = 0; return AGENT_MENU_REDRAW;
	case AGENT_KEY_END: m->sel = m->n - 1; return AGENT_MENU_REDRAW;
	case AGENT_KEY_ENTER: m->done = true; return AGENT_MENU_BOOT;
	case AGENT_KEY_INTR:
		if (!m->counting)
			return AGENT_MENU_NONE;
		m->counting = false;
		return AGENT_MENU_REDRAW;
	case AGENT_KEY_SHELL:
		/* Nobody is watching the countdown while the shell runs. */
		m->counting = false;
		return AGENT_MENU_SHELL;
	case AGENT_KEY_OTHER: break;
	}
	return AGENT_MENU_NONE;
}

int64_t agent_menu_seconds_left(const struct agent_menu *m)
{
	if (!m->counting)
		return -1;
	return (m->left_ms + 999) / 1000;
}

enum agent_menu_action agent_menu_tick(struct agent_menu *m, int64_t elapsed_ms)
{
	int64_t before;

	if (m->done || !m->counting || elapsed_ms <= 0)
		return AGENT_MENU_NONE;
	before = agent_menu_seconds_left(m);
	m->left_ms = elapsed_ms >= m->left_ms ? 0 : m->left_ms - elapsed_ms;
	if (m->left_ms == 0) {
		m->done = true;
		return AGENT_MENU_BOOT;
	}
	return agent_menu_seconds_left(m) != before ? AGENT_MENU_REDRAW : AGENT_MENU_NONE;
}

enum agent_key agent_key_from_code(const struct agent_keycodes *kc, int code)
{
	if (code == kc->up || code == 'k')
		return AGENT_KEY_UP;
	if (code == kc->down || code == 'j')
		return AGENT_KEY_DOWN;
	if (code == kc->home)
		return AGENT_KEY_HOME;
	if (code == kc->end)
		return AGENT_KEY_END;
	if (code == kc->enter || code == '\n' || code == '\r')
		return AGENT_KEY_ENTER;
	if (code == 3)
		return AGENT_KEY_INTR;
	if (code == 19)
		return AGENT_KEY_SHELL;
	return AGENT_KEY_OTHER;
}

void agent_menu_status(const struct agent_menu *m, char *out, size_t outlen)
{
	int64_t s = agent_menu_seconds_left(m);

	if (s < 0)
		snprintf(out, outlen, "Arrows choose, Enter boots, Ctrl+S opens a shell.");
	else
		snprintf(out, outlen, "Booting %s OS in %lld second%s... (Ctrl+C waits)",
			 m->sel == m->def ? "default" : "selected", (long long)s,
			 s == 1 ? "" : "s");
}
