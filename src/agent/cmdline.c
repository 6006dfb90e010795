/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "agent/cmdline.h"
#include "util/parse.h"
#include "util/path.h"
#include "util/util.h"

int agent_mac_parse(const char *s, size_t len, bool with_type, uint8_t mac[6])
{
	if (with_type) {
		/* "01-": Ethernet's ARP hardware type, then the address. */
		if (len < 3 || s[0] != '0' || s[1] != '1' || s[2] != '-')
			return -1;
		s += 3;
		len -= 3;
	}
	return parse_mac(s, len, mac);
}

void agent_mac_format(const uint8_t mac[6], char *out, size_t outlen)
{
	snprintf(out, outlen, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

/* True when word[0..wlen) is key followed by '=' and sets *val. */
static bool key_is(const char *word, size_t wlen, const char *key, const char **val, size_t *vlen)
{
	size_t k = strlen(key);

	if (wlen <= k || memcmp(word, key, k) != 0 || word[k] != '=')
		return false;
	*val = word + k + 1;
	*vlen = wlen - k - 1;
	return true;
}

static bool word_is(const char *word, size_t wlen, const char *w)
{
	return wlen == strlen(w) && memcmp(word, w, wlen) == 0;
}

static int parse_word(const char *w, size_t wl, struct agent_cmdline *out)
{
	const char *v;
	size_t vl;
	char tmp[64];
	uint64_t n;

	if (key_is(w, wl, "bt.server", &v, &vl)) {
		if (vl >= sizeof(tmp))
			return 1;
		memcpy(tmp, v, vl);
		tmp[vl] = 0;
		if (inet_pton(AF_INET, tmp, &out->server) != 1)
			return 1;
		out->has_server = true;
	} else if (key_is(w, wl, "bt.http", &v, &vl)) {
		if (parse_u64(v, vl, 65535, &n) != 0 || n == 0)
			return 1;
		out->http_port = (uint16_t)n;
	} else if (key_is(w, wl, "bt.os", &v, &vl)) {
		/* GRUB writes "bt.os=${bt_os}", empty when no OS is set: that
		 * is no choice, not an error. */
		if (vl == 0)
			return 0;
		/* An OS is a folder name: one safe path component. */
		if (vl > AGENT_OS_NAME_MAX || !path_component_ok(v, vl))
			return 1;
		memcpy(out->os, v, vl);
		out->os[vl] = 0;
	} else if (key_is(w, wl, "BOOTIF", &v, &vl)) {
		if (agent_mac_parse(v, vl, true, out->mac) != 0)
			return 1;
		out->has_mac = true;
	} else if (word_is(w, wl, "bt.nokvm") || word_is(w, wl, "bt.nokvm=1") ||
		   word_is(w, wl, "bt.kvm=0")) {
		out->nokvm = true;
	}
	return 0;
}

int agent_cmdline_parse(const char *text, size_t len, struct agent_cmdline *out)
{
	size_t i = 0;
	int bad = 0;

	memset(out, 0, sizeof(*out));
	len = MIN(len, (size_t)AGENT_CMDLINE_MAX);
	while (i < len) {
		size_t start;

		while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n'))
			i++;
		start = i;
		while (i < len && text[i] != ' ' && text[i] != '\t' && text[i] != '\n')
			i++;
		if (i > start)
			bad += parse_word(text + start, i - start, out);
	}
	return bad;
}

static bool find_os(const struct bt_env *env, const char *name, size_t *idx)
{
	for (size_t i = 0; i < env->n_oss; i++) {
		if (strcmp(env->oss[i].name, name) == 0) {
			*idx = i;
			return true;
		}
	}
	return false;
}

void agent_choose(const struct bt_env *env, const char *os, const uint8_t *mac,
		  struct agent_choice *out)
{
	const char *def;
	size_t idx;

	memset(out, 0, sizeof(*out));
	if (env->n_oss == 0)
		return;
	if (os && *os) {
		if (find_os(env, os, &idx)) {
			out->kind = AGENT_CHOICE_AUTO;
			out->why = AGENT_WHY_CMDLINE;
			out->os_index = idx;
			return;
		}
		snprintf(out->unknown, sizeof(out->unknown), "%s", os);
	}
	if (mac) {
		for (size_t h = 0; h < env->n_hosts; h++) {
			const struct env_host *host = &env->hosts[h];

			if (memcmp(host->mac, mac, 6) != 0 || !host->os)
				continue;
			if (find_os(env, host->os, &idx)) {
				out->kind = AGENT_CHOICE_AUTO;
				out->why = AGENT_WHY_HOST;
				out->os_index = idx;
				return;
			}
			if (!out->unknown[0])
				snprintf(out->unknown, sizeof(out->unknown), "%s", host->os);
			break;
		}
	}
	def = bt_env_default_os(env);
	if (!def || !find_os(env, def, &out->default_index))
		out->default_index = 0;
	/* A name asked for but missing shows the menu even with timeout 0, so
	 * the person at the machine sees why. */
	if (env->boot.timeout == 0 && !out->unknown[0]) {
		out->kind = AGENT_CHOICE_AUTO;
		out->why = AGENT_WHY_TIMEOUT0;
		out->os_index = out->default_index;
		return;
	}
	out->kind = AGENT_CHOICE_MENU;
	out->why = AGENT_WHY_MENU;
}
