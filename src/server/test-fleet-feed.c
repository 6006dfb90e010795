/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The services' events as the fleet sees them: byte orders, which events
 * count, the tracker's peer changes. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server/fleet-feed.h"
#include "util/util.h"

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x01, 0x02, 0x03};

static struct in_addr ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void test_dhcp_events(void **state)
{
	struct fleet *f = fleet_new(NULL);
	struct dhcp_event ev = {.type = DHCP_EV_OFFER, .arch = 7, .pxe = true};
	const struct fleet_machine *m;

	memcpy(ev.mac, MAC, 6);
	snprintf(ev.vendor_class, sizeof(ev.vendor_class), "PXEClient:Arch:00007");
	fleet_feed_dhcp(f, &ev);
	m = fleet_find_mac(f, MAC);
	assert_non_null(m);
	assert_int_equal(m->phase, FLEET_PHASE_DHCP);
	assert_string_equal(m->arch, "x64-uefi");
	assert_int_equal(m->ip.s_addr, INADDR_ANY);

	/* The dhcp module's addresses are in host order. */
	ev.type = DHCP_EV_ACK;
	ev.ip = 0x0a000005;
	snprintf(ev.hostname, sizeof(ev.hostname), "pc5");
	fleet_feed_dhcp(f, &ev);
	assert_ptr_equal(fleet_find_ip(f, ip4("10.0.0.5")), m);
	assert_string_equal(m->hostname, "pc5");

	ev.type = DHCP_EV_RELEASE;
	fleet_feed_dhcp(f, &ev);
	assert_null(fleet_find_ip(f, ip4("10.0.0.5")));
	fleet_free(f);
}

static void test_file_events(void **state)
{
	struct fleet *f = fleet_new(NULL);
	struct tftp_xfer_info t = {.path = "pxelinux.cfg/01-52-54-00-01-02-03", .bytes = 0};
	struct http_file_info h = {.path = "phase1/initrd.img", .status = 404, .bytes = 0};
	const struct fleet_machine *m;

	t.client.sin_addr = ip4("10.0.0.7");
	h.client.sin_addr = ip4("10.0.0.7");
	/* pxelinux probing for per-host files is not a boot file. */
	fleet_feed_tftp(f, TFTP_EV_REFUSED, &t);
	fleet_feed_http(f, &h);
	assert_int_equal(fleet_count(f), 0);

	t.path = "pxelinux.0";
	t.bytes = 46000;
	fleet_feed_tftp(f, TFTP_EV_START, &t);
	fleet_feed_tftp(f, TFTP_EV_DONE, &t);
	m = fleet_find_ip(f, ip4("10.0.0.7"));
	assert_non_null(m);
	assert_int_equal(m->phase, FLEET_PHASE_PHASE1);
	assert_int_equal(m->file_bytes, 46000);
	h.status = 200;
	h.bytes = 1000000;
	fleet_feed_http(f, &h);
	assert_string_equal(m->last_file, "phase1/initrd.img");
	assert_int_equal(m->last_proto, FLEET_PROTO_HTTP);
	assert_int_equal(fleet_swarm(f)->boot_file_bytes, 1046000);
	fleet_free(f);
}

static void test_tracker_events(void **state)
{
	struct fleet *f = fleet_new(NULL);
	uint8_t hash[20] = {9};
	struct tracker_peer_info p = {.info_hash = hash,
				      .left = 600,
				      .downloaded = 400,
				      .last_event = TRACKER_EVENT_STARTED};
	const struct fleet_machine *m;

	p.addr.addr = ip4("10.0.0.8");
	p.addr.port = 6881;
	fleet_feed_tracker(f, TRACKER_PEER_NEW, &p, "debian", 1000);
	m = fleet_find_ip(f, ip4("10.0.0.8"));
	assert_non_null(m);
	assert_int_equal(m->phase, FLEET_PHASE_DOWNLOADING);
	assert_int_equal(m->progress, 400);
	assert_string_equal(m->os, "debian");
	assert_int_equal(m->peer_port, 6881);

	/* Later announces keep last_event STARTED: they are not restarts. */
	p.uploaded = 300;
	p.left = 0;
	p.downloaded = 1000;
	fleet_feed_tracker(f, TRACKER_PEER_UPDATE, &p, "debian", 1000);
	assert_int_equal(m->phase, FLEET_PHASE_SEEDING);
	assert_int_equal(fleet_swarm(f)->peer_upload, 300);
	assert_int_equal(fleet_swarm(f)->peer_download, 1000);

	/* Without the torrent's size, left + downloaded stands in. */
	p.left = 500;
	p.downloaded = 1500;
	fleet_feed_tracker(f, TRACKER_PEER_EXPIRED, &p, NULL, 0);
	assert_int_equal(m->total, 2000);
	assert_int_equal(m->rate, 0);
	fleet_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dhcp_events),
		cmocka_unit_test(test_file_events),
		cmocka_unit_test(test_tracker_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
