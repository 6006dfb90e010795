/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dhcp/leases.h"
#include "dhcp/test-dhcp-common.h"

#define START IP4(10, 77, 1, 0)
#define END IP4(10, 77, 1, 255)
#define NOW 1764150000

struct fixture {
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test-dhcp-leases.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/leases", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char tmp[128];

	unlink(f->path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	unlink(tmp);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void mac_n(uint8_t mac[6], unsigned n)
{
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0;
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct dhcp_leases *l = dhcp_leases_new(START, END);
	struct dhcp_lease *e;
	uint8_t mac[6];
	size_t bad;

	assert_int_equal(dhcp_leases_open(l, f->path, NOW, &bad), 0);
	assert_int_equal(bad, 0);
	for (unsigned i = 0; i < 10; i++) {
		mac_n(mac, i);
		e = dhcp_leases_pick(l, mac, 0, NOW);
		assert_non_null(e);
		dhcp_leases_set(l, e, mac, DHCP_LEASE_BOUND, NOW + 100 + i,
				i == 3 ? "node 3!" : "");
	}
	assert_int_equal(dhcp_leases_pending(l), 10);
	/* Through the journal (appended), not a full save. */
	assert_int_equal(dhcp_leases_flush(l, NOW), 0);
	assert_int_equal(dhcp_leases_pending(l), 0);
	/* A release, journaled after the bind. */
	mac_n(mac, 5);
	e = dhcp_leases_by_mac(l, mac);
	dhcp_leases_set(l, e, mac, DHCP_LEASE_FREE, NOW, NULL);
	assert_int_equal(dhcp_leases_flush(l, NOW), 0);
	dhcp_leases_free(l); /* no save: as if the process had died */

	l = dhcp_leases_new(START, END);
	assert_int_equal(dhcp_leases_open(l, f->path, NOW, &bad), 0);
	assert_int_equal(bad, 0);
	for (unsigned i = 0; i < 10; i++) {
		mac_n(mac, i);
		e = dhcp_leases_by_mac(l, mac);
		assert_non_null(e);
		assert_int_equal(e->ip, START + i);
		assert_int_equal(e->expires, i == 5 ? NOW : NOW + 100 + i);
		assert_int_equal(e->state, i == 5 ? DHCP_LEASE_FREE : DHCP_LEASE_BOUND);
	}
	mac_n(mac, 3);
	/* Only safe characters of a host name reach the file. */
	assert_string_equal(dhcp_leases_by_mac(l, mac)->hostname, "node3");
	/* The same MAC gets its address back, even after expiry. */
	e = dhcp_leases_pick(l, mac, 0, NOW + 10000);
	assert_int_equal(e->ip, START + 3);
	/* A new MAC gets a never-used address, not a remembered one. */
	mac_n(mac, 1000);
	e = dhcp_leases_pick(l, mac, START + 5, NOW + 10000);
	assert_int_equal(e->ip, START + 10);
	dhcp_leases_free(l);
}

static void test_damaged_file(void **state)
{
	struct fixture *f = *state;
	struct dhcp_leases *l = dhcp_leases_new(START, END);
	uint8_t mac[6];
	size_t bad;
	struct dhcp_lease *e;

	write_file(f->path,
		   "# a comment\n"
		   "lease 52:54:00:00:00:01 10.77.1.7 1764150100 bound pc1\n"
		   "garbage\n"
		   "lease 52:54:00:00:00:02 10.77.9.9 1764150100 bound -\n" /* out of range */
		   "lease 52:54:00:00:00:03 10.77.1.8 -5 bound -\n"
		   "lease 52:54:00:zz:00:04 10.77.1.9 1764150100 bound -\n"
		   "lease 52:54:00:00:00:05 10.77.1.10 1764150100 reserved -\n"
		   "lease 52:54:00:00:00:06 10.77.1.11 1764150100 bound - extra\n"
		   "\x01\x02\x03\xff\n"
		   "lease 52:54:00:00:00:07 10.77.1.12 1764150100 bou"); /* torn */
	assert_int_equal(dhcp_leases_open(l, f->path, NOW, &bad), 0);
	assert_int_equal(bad, 8);
	mac_n(mac, 1);
	e = dhcp_leases_by_mac(l, mac);
	assert_non_null(e);
	assert_int_equal(e->ip, IP4(10, 77, 1, 7));
	assert_string_equal(e->hostname, "pc1");
	for (unsigned i = 2; i <= 7; i++) {
		mac_n(mac, i);
		assert_null(dhcp_leases_by_mac(l, mac));
	}
	dhcp_leases_free(l);
	/* Opening rewrote it clean. */
	l = dhcp_leases_new(START, END);
	assert_int_equal(dhcp_leases_open(l, f->path, NOW, &bad), 0);
	assert_int_equal(bad, 0);
	dhcp_leases_free(l);

	/* A file that is not a file. */
	l = dhcp_leases_new(START, END);
	assert_int_equal(dhcp_leases_open(l, f->dir, NOW, &bad), -EISDIR);
	dhcp_leases_free(l);
}

static size_t count_lines(const char *path)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;
	int c;

	assert_non_null(fp);
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

/* The journal is compacted once it is long, and survives it. */
static void test_compaction(void **state)
{
	struct fixture *f = *state;
	struct dhcp_leases *l = dhcp_leases_new(START, END); /* 256 addresses */
	uint8_t mac[6];
	size_t bad, max_lines = 0;
	unsigned i;

	assert_int_equal(dhcp_leases_open(l, f->path, NOW, &bad), 0);
	/* 1000 clients over 256 addresses: every bind moves an address. */
	for (i = 0; i < 12000; i++) {
		struct dhcp_lease *e;
		mac_n(mac, i % 1000);
		e = dhcp_leases_by_ip(l, START + (i * 7) % 256);
		dhcp_leases_set(l, e, mac, DHCP_LEASE_BOUND, NOW + i + 1, NULL);
		if (i % 100 == 99) {
			assert_int_equal(dhcp_leases_flush(l, NOW + i), 0);
			max_lines = MAX(max_lines, count_lines(f->path));
		}
	}
	/* Never much past the threshold (4 * range + 4096 lines). */
	assert_true(max_lines > 4096);
	assert_true(max_lines <= 4 * 256 + 4096 + 256);
	dhcp_leases_free(l);
	l = dhcp_leases_new(START, END);
	assert_int_equal(dhcp_leases_open(l, f->path, NOW, &bad), 0);
	assert_int_equal(bad, 0);
	/* The last bind of the loop is there. */
	i = 11999;
	mac_n(mac, i % 1000);
	assert_non_null(dhcp_leases_by_mac(l, mac));
	assert_int_equal(dhcp_leases_by_mac(l, mac)->ip, START + (i * 7) % 256);
	assert_int_equal(dhcp_leases_by_mac(l, mac)->expires, NOW + i + 1);
	dhcp_leases_free(l);
}

/* Many MACs coming and going keep the MAC index consistent. */
static void test_churn(void **state)
{
	struct dhcp_leases *l = dhcp_leases_new(START, END);
	uint8_t mac[6];
	unsigned owner[256];
	uint32_t seed = 1;

	memset(owner, 0xff, sizeof(owner));
	for (int round = 0; round < 20000; round++) {
		unsigned m, slot;
		struct dhcp_lease *e;
		seed = seed * 1103515245u + 12345u;
		m = (seed >> 8) % 600;
		slot = (seed >> 20) % 256;
		mac_n(mac, m);
		e = dhcp_leases_by_ip(l, START + slot);
		if (seed & 1) {
			dhcp_leases_set(l, e, mac, DHCP_LEASE_BOUND, NOW, NULL);
			for (unsigned i = 0; i < 256; i++)
				if (owner[i] == m)
					owner[i] = 0xffffffffu;
			owner[slot] = m;
		} else {
			dhcp_leases_set(l, e, NULL, DHCP_LEASE_DECLINED, NOW, NULL);
			owner[slot] = 0xffffffffu;
		}
	}
	for (unsigned m = 0; m < 600; m++) {
		struct dhcp_lease *e;
		unsigned want = 256;
		for (unsigned i = 0; i < 256; i++)
			if (owner[i] == m)
				want = i;
		mac_n(mac, m);
		e = dhcp_leases_by_mac(l, mac);
		if (want == 256)
			assert_null(e);
		else
			assert_int_equal(e->ip, START + want);
	}
	dhcp_leases_free(l);
	/* Ranges we refuse. */
	assert_null(dhcp_leases_new(END, START));
	assert_null(dhcp_leases_new(IP4(10, 0, 0, 0), IP4(10, 2, 0, 0)));
}

static int line(const char *text, struct dhcp_lease_line *out)
{
	char b[256];

	snprintf(b, sizeof(b), "%s", text);
	return dhcp_lease_line_parse(b, out);
}

/* One line of the file, good and bad: what the loader and `boottorrent
 * ssh` read. */
static void test_line_parse(void **state)
{
	struct dhcp_lease_line ln;
	static const char *const bad[] = {
		"lease",
		"lease 52:54:00:12:34:56 10.0.0.9 100 bound",	      /* 5 fields */
		"lease 52:54:00:12:34:56 10.0.0.9 100 bound h extra", /* 7 fields */
		"leaze 52:54:00:12:34:56 10.0.0.9 100 bound h",
		"lease 52:54:00:12:34 10.0.0.9 100 bound h",	      /* short MAC */
		"lease 52:54:00:12:34:5g 10.0.0.9 100 bound h",
		"lease 52:54:00:12:34:56 10.0.0.256 100 bound h",
		"lease 52:54:00:12:34:56 10.0.0.9 -5 bound h",
		"lease 52:54:00:12:34:56 10.0.0.9 99999999999999999999 bound h",
		"lease 52:54:00:12:34:56 10.0.0.9 1e5 bound h",
		"lease 52:54:00:12:34:56 10.0.0.9 100 leased h",
		"lease 52:54:00:12:34:56 10.0.0.9 100 reserved h", /* never written */
		"lease\t52:54:00:12:34:56 10.0.0.9 100 bound h",
		"garbage",
	};

	(void)state;
	assert_int_equal(line("lease 52:54:00:12:34:56 10.0.0.9 1764151200 bound pc-1", &ln), 0);
	assert_true(ln.has_mac);
	assert_int_equal(ln.mac[5], 0x56);
	assert_int_equal(ln.ip, 0x0a000009);
	assert_int_equal(ln.expires, 1764151200);
	assert_int_equal(ln.state, DHCP_LEASE_BOUND);
	assert_string_equal(ln.host, "pc-1");
	assert_int_equal(line("lease - 10.0.0.10 0 free -", &ln), 0);
	assert_false(ln.has_mac);
	assert_int_equal(ln.state, DHCP_LEASE_FREE);
	assert_string_equal(ln.host, "");
	assert_int_equal(line("  lease  52:54:00:12:34:56  10.0.0.9 7 declined - ", &ln), 0);
	assert_int_equal(ln.state, DHCP_LEASE_DECLINED);
	assert_int_equal(line("", &ln), 1);
	assert_int_equal(line("# comment", &ln), 1);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (line(bad[i], &ln) != -1)
			fail_msg("accepted: %s", bad[i]);
	}
}

/* Journal lines, formatted by hand, against the format they replaced. */
static void test_format_line(void **state)
{
	static const int64_t expiries[] = {0, 1, -1, NOW, INT64_MAX, INT64_MIN, 1000000000};
	struct dhcp_lease e;
	char got[DHCP_LEASE_LINE_MAX], want[256];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(expiries) / sizeof(expiries[0]); i++) {
		memset(&e, 0, sizeof(e));
		mac_n(e.mac, (unsigned)i * 0x10101u);
		e.has_mac = i % 2 == 0;
		e.ip = START + (uint32_t)i * 37;
		e.expires = expiries[i];
		e.state = (uint8_t)(i % 5);
		snprintf(want, sizeof(want), "lease %s %u.%u.%u.%u %lld %s -\n",
			 e.has_mac ? "52:54:00:00:00:00" : "-", e.ip >> 24, (e.ip >> 16) & 0xff,
			 (e.ip >> 8) & 0xff, e.ip & 0xff, (long long)e.expires,
			 dhcp_lease_state_name(e.state));
		if (e.has_mac) {
			char mac[18];
			snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", e.mac[0],
				 e.mac[1], e.mac[2], e.mac[3], e.mac[4], e.mac[5]);
			memcpy(want + 6, mac, 17);
		}
		n = dhcp_lease_format(got, &e);
		assert_string_equal(got, want);
		assert_int_equal(n, strlen(want));
	}
	/* Host names: unsafe characters dropped, all-unsafe becomes "-", and
	 * the longest name with the longest other fields fits. */
	memset(&e, 0, sizeof(e));
	e.has_mac = true;
	memset(e.mac, 0xff, sizeof(e.mac));
	e.ip = 0xffffffffu;
	e.expires = INT64_MIN;
	e.state = DHCP_LEASE_DECLINED;
	snprintf(e.hostname, sizeof(e.hostname), "a b\tc;d/e.f_G-9");
	n = dhcp_lease_format(got, &e);
	assert_string_equal(got, "lease ff:ff:ff:ff:ff:ff 255.255.255.255 -9223372036854775808 "
				 "declined abcde.f_G-9\n");
	assert_int_equal(n, strlen(got));
	snprintf(e.hostname, sizeof(e.hostname), " ;;; ");
	dhcp_lease_format(got, &e);
	assert_non_null(strstr(got, " declined -\n"));
	memset(e.hostname, 'h', sizeof(e.hostname) - 1);
	e.hostname[sizeof(e.hostname) - 1] = '\0';
	n = dhcp_lease_format(got, &e);
	assert_true(n < DHCP_LEASE_LINE_MAX);
	assert_int_equal(n, strlen(got));
	assert_int_equal(got[n - 1], '\n');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_line_parse),
		cmocka_unit_test(test_format_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
