/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/policy.h"
#include "dhcp/test-dhcp-common.h"

#define SRV IP4(10, 77, 0, 1)
#define NOW 1764150000

static const uint8_t mac1[6] = {0x52, 0x54, 0x00, 0, 0, 1};
static const uint8_t mac2[6] = {0x52, 0x54, 0x00, 0, 0, 2};
static const uint8_t mac3[6] = {0x52, 0x54, 0x00, 0, 0, 3};
static const uint8_t mac4[6] = {0x52, 0x54, 0x00, 0, 0, 4};
static const uint8_t macfix[6] = {0x52, 0x54, 0x00, 0, 0, 0x99};

struct fixture {
	struct dhcp_config cfg;
	struct dhcp_host hosts[1];
	struct dhcp_leases *leases;
	struct dhcp_rx rx;
	struct dhcp_tx tx;
	struct dhcp_event ev;
	struct dhcp_packet reply;
	struct req r;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	dhcp_config_init(&f->cfg);
	f->cfg.server_ip = SRV;
	f->cfg.router = SRV;
	f->cfg.dns[0] = SRV;
	f->cfg.n_dns = 1;
	f->cfg.range_start = IP4(10, 77, 0, 100);
	f->cfg.range_end = IP4(10, 77, 0, 102);
	f->cfg.lease_time = 600;
	snprintf(f->cfg.boot.bios, sizeof(f->cfg.boot.bios), "pxelinux.0");
	snprintf(f->cfg.boot.uefi, sizeof(f->cfg.boot.uefi), "shimx64.efi");
	snprintf(f->cfg.boot.uefi_http, sizeof(f->cfg.boot.uefi_http), "http://10.77.0.1/b.efi");
	snprintf(f->cfg.boot.ipxe, sizeof(f->cfg.boot.ipxe), "http://10.77.0.1/boot.ipxe");
	snprintf(f->cfg.boot.pxelinux_config, sizeof(f->cfg.boot.pxelinux_config), "cfg/x");
	memcpy(f->hosts[0].mac, macfix, 6);
	f->hosts[0].ip = IP4(10, 77, 0, 50);
	snprintf(f->hosts[0].hostname, sizeof(f->hosts[0].hostname), "node50");
	f->cfg.hosts = f->hosts;
	f->cfg.n_hosts = 1;
	f->leases = dhcp_policy_leases_new(&f->cfg);
	f->rx.now = NOW;
	f->rx.local_ip = SRV;
	f->rx.src_port = 68;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	dhcp_leases_free(f->leases);
	free(f);
	return 0;
}

/* Runs the policy on f->r; on a reply, parses it into f->reply. */
static int run(struct fixture *f)
{
	int r = dhcp_policy_handle(&f->cfg, f->leases, &f->rx, f->r.buf, f->r.len, &f->tx, &f->ev);
	if (r == 0 && f->tx.len)
		assert_int_equal(dhcp_packet_parse(&f->reply, f->tx.buf, f->tx.len), 0);
	return r;
}

static void pxe_discover(struct fixture *f, const uint8_t *mac, int arch)
{
	req_init(&f->r, DHCP_DISCOVER, mac);
	req_opt_str(&f->r, DHCP_OPT_VENDOR_CLASS, "PXEClient:Arch:00000:UNDI:002001");
	if (arch >= 0)
		req_arch(&f->r, (uint16_t)arch);
	req_end(&f->r);
}

static void request_selecting(struct fixture *f, const uint8_t *mac, uint32_t sid, uint32_t ip)
{
	req_init(&f->r, DHCP_REQUEST, mac);
	req_opt_ip(&f->r, DHCP_OPT_SERVER_ID, sid);
	req_opt_ip(&f->r, DHCP_OPT_REQUESTED_IP, ip);
	req_end(&f->r);
}

static const char *opt_str(struct fixture *f, uint8_t code, char *out, size_t size)
{
	size_t len;
	const uint8_t *p = dhcp_packet_option(&f->reply, code, &len);
	if (!p)
		return NULL;
	snprintf(out, size, "%.*s", (int)len, (const char *)p);
	return out;
}

static const char *file_field(struct fixture *f)
{
	return (const char *)f->tx.buf + 108;
}

static void test_discover_bios(void **state)
{
	struct fixture *f = *state;
	char s[300];
	uint32_t v;

	pxe_discover(f, mac1, 0);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->reply.msg_type, DHCP_OFFER);
	assert_int_equal(f->reply.yiaddr, IP4(10, 77, 0, 100));
	assert_int_equal(f->reply.siaddr, SRV);
	assert_string_equal(file_field(f), "pxelinux.0");
	assert_true(dhcp_packet_option_ip(&f->reply, DHCP_OPT_SERVER_ID, &v));
	assert_int_equal(v, SRV);
	assert_true(dhcp_packet_option_ip(&f->reply, DHCP_OPT_LEASE_TIME, &v));
	assert_int_equal(v, 600);
	assert_true(dhcp_packet_option_ip(&f->reply, DHCP_OPT_SUBNET_MASK, &v));
	assert_int_equal(v, 0xffffff00u);
	assert_true(dhcp_packet_option_ip(&f->reply, DHCP_OPT_ROUTER, &v));
	assert_string_equal(opt_str(f, DHCP_OPT_VENDOR_CLASS, s, sizeof(s)), "PXEClient");
	assert_true(dhcp_packet_has(&f->reply, DHCP_OPT_VENDOR));
	assert_string_equal(opt_str(f, DHCP_OPT_PXELINUX_CONFIG, s, sizeof(s)), "cfg/x");
	/* No broadcast flag and no address yet: unicast to the MAC. */
	assert_true(f->tx.link_unicast);
	assert_int_equal(f->tx.dst_ip, IP4(10, 77, 0, 100));
	assert_int_equal(f->tx.dst_port, 68);
	assert_int_equal(f->ev.type, DHCP_EV_OFFER);
	assert_int_equal(f->ev.arch, 0);
	assert_string_equal(f->ev.boot_file, "pxelinux.0");

	/* The broadcast flag: to 255.255.255.255. */
	pxe_discover(f, mac1, 0);
	put_u16be(f->r.buf + 10, DHCP_FLAG_BROADCAST);
	assert_int_equal(run(f), 0);
	assert_false(f->tx.link_unicast);
	assert_int_equal(f->tx.dst_ip, 0xffffffffu);
	/* The same client gets the same offer. */
	assert_int_equal(f->reply.yiaddr, IP4(10, 77, 0, 100));
}

static void test_discover_arch(void **state)
{
	struct fixture *f = *state;
	char s[300];

	pxe_discover(f, mac1, 7);
	assert_int_equal(run(f), 0);
	assert_string_equal(file_field(f), "shimx64.efi");
	/* EDK2 would run boot server discovery on a PXE option 43. */
	assert_false(dhcp_packet_has(&f->reply, DHCP_OPT_VENDOR));
	assert_false(dhcp_packet_has(&f->reply, DHCP_OPT_PXELINUX_CONFIG));

	pxe_discover(f, mac1, 9);
	assert_int_equal(run(f), 0);
	assert_string_equal(file_field(f), "shimx64.efi");

	req_init(&f->r, DHCP_DISCOVER, mac1);
	req_opt_str(&f->r, DHCP_OPT_VENDOR_CLASS, "HTTPClient:Arch:00016:UNDI:003001");
	req_arch(&f->r, 16);
	req_end(&f->r);
	assert_int_equal(run(f), 0);
	assert_string_equal(file_field(f), "http://10.77.0.1/b.efi");
	assert_string_equal(opt_str(f, DHCP_OPT_VENDOR_CLASS, s, sizeof(s)), "HTTPClient");

	/* iPXE by user class, then by option 175. */
	req_init(&f->r, DHCP_DISCOVER, mac1);
	req_opt_str(&f->r, DHCP_OPT_VENDOR_CLASS, "PXEClient:Arch:00000:UNDI:002001");
	req_arch(&f->r, 0);
	req_opt_str(&f->r, DHCP_OPT_USER_CLASS, "iPXE");
	req_end(&f->r);
	assert_int_equal(run(f), 0);
	assert_string_equal(file_field(f), "http://10.77.0.1/boot.ipxe");
	assert_true(f->ev.ipxe);
	req_init(&f->r, DHCP_DISCOVER, mac1);
	req_arch(&f->r, 7);
	req_opt(&f->r, DHCP_OPT_IPXE_ENCAP, "\x13\x01\x01", 3);
	req_end(&f->r);
	assert_int_equal(run(f), 0);
	assert_string_equal(file_field(f), "http://10.77.0.1/boot.ipxe");

	/* A plain client (no PXE, no arch) gets no boot file and no siaddr. */
	req_init(&f->r, DHCP_DISCOVER, mac1);
	req_end(&f->r);
	assert_int_equal(run(f), 0);
	assert_string_equal(file_field(f), "");
	assert_int_equal(f->reply.siaddr, 0);
	assert_false(dhcp_packet_has(&f->reply, DHCP_OPT_VENDOR_CLASS));
}

static void test_param_list(void **state)
{
	struct fixture *f = *state;
	static const uint8_t params[] = {1, 3, 67};

	req_init(&f->r, DHCP_DISCOVER, mac1);
	req_opt(&f->r, DHCP_OPT_PARAM_LIST, params, sizeof(params));
	req_arch(&f->r, 0);
	req_end(&f->r);
	assert_int_equal(run(f), 0);
	/* DNS was configured but not asked for; the boot file was asked for. */
	assert_false(dhcp_packet_has(&f->reply, DHCP_OPT_DNS));
	assert_true(dhcp_packet_has(&f->reply, DHCP_OPT_BOOTFILE));
	assert_false(dhcp_packet_has(&f->reply, DHCP_OPT_TFTP_SERVER));
	/* Option 66 asked for (as OVMF does) carries the server's address,
	 * not an empty string: EDK2 ignores an offer with an empty one. */
	static const uint8_t params66[] = {66, 67};
	const uint8_t *v;
	size_t vlen;
	req_init(&f->r, DHCP_DISCOVER, mac1);
	req_opt(&f->r, DHCP_OPT_PARAM_LIST, params66, sizeof(params66));
	req_arch(&f->r, 7);
	req_end(&f->r);
	assert_int_equal(run(f), 0);
	v = dhcp_packet_option(&f->reply, DHCP_OPT_TFTP_SERVER, &vlen);
	assert_non_null(v);
	assert_int_equal(vlen, strlen("10.77.0.1"));
	assert_memory_equal(v, "10.77.0.1", vlen);
	/* Without a list, everything configured is sent. */
	req_init(&f->r, DHCP_DISCOVER, mac1);
	req_end(&f->r);
	assert_int_equal(run(f), 0);
	assert_true(dhcp_packet_has(&f->reply, DHCP_OPT_DNS));
	/* Replies never pass the default 548 bytes without option 57. */
	assert_true(f->tx.len <= DHCP_DEFAULT_MAX);
}

static void test_request(void **state)
{
	struct fixture *f = *state;
	struct dhcp_lease *e;
	uint32_t ip;

	pxe_discover(f, mac1, 0);
	assert_int_equal(run(f), 0);
	ip = f->reply.yiaddr;
	/* Selecting another server: silence, and our offer is released. */
	request_selecting(f, mac1, IP4(10, 77, 0, 2), ip);
	assert_int_equal(run(f), DHCP_E_NOT_FOR_US);
	assert_int_equal(f->tx.len, 0);
	e = dhcp_leases_by_ip(f->leases, ip);
	assert_int_equal(e->state, DHCP_LEASE_FREE);

	/* Selecting us with the offered address: ACK, lease bound. */
	pxe_discover(f, mac1, 0);
	assert_int_equal(run(f), 0);
	request_selecting(f, mac1, SRV, ip);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->reply.msg_type, DHCP_ACK);
	assert_int_equal(f->reply.yiaddr, ip);
	assert_int_equal(f->ev.type, DHCP_EV_ACK);
	assert_int_equal(e->state, DHCP_LEASE_BOUND);
	assert_int_equal(e->expires, NOW + 600);

	/* Selecting us with a wrong address: NAK, broadcast. */
	request_selecting(f, mac1, SRV, IP4(10, 77, 0, 101));
	assert_int_equal(run(f), 0);
	assert_int_equal(f->reply.msg_type, DHCP_NAK);
	assert_int_equal(f->reply.yiaddr, 0);
	assert_int_equal(f->tx.dst_ip, 0xffffffffu);
	assert_int_equal(f->ev.type, DHCP_EV_NAK);
	/* ... and the lease is untouched. */
	assert_int_equal(e->state, DHCP_LEASE_BOUND);

	/* Another MAC asking for mac1's address (INIT-REBOOT): NAK. */
	req_init(&f->r, DHCP_REQUEST, mac2);
	req_opt_ip(&f->r, DHCP_OPT_REQUESTED_IP, ip);
	req_end(&f->r);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->reply.msg_type, DHCP_NAK);
	/* A different subnet: NAK. */
	req_init(&f->r, DHCP_REQUEST, mac1);
	req_opt_ip(&f->r, DHCP_OPT_REQUESTED_IP, IP4(192, 168, 1, 5));
	req_end(&f->r);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->reply.msg_type, DHCP_NAK);
	/* INIT-REBOOT of its own address: ACK. */
	req_init(&f->r, DHCP_REQUEST, mac1);
	req_opt_ip(&f->r, DHCP_OPT_REQUESTED_IP, ip);
	req_end(&f->r);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->reply.msg_type, DHCP_ACK);

	/* Renewal from ciaddr: ACK by unicast to ciaddr, expiry extended. */
	f->rx.now = NOW + 300;
	req_init(&f->r, DHCP_REQUEST, mac1);
	req_ciaddr(&f->r, ip);
	req_end(&f->r);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->reply.msg_type, DHCP_ACK);
	assert_int_equal(f->tx.dst_ip, ip);
	assert_false(f->tx.link_unicast);
	assert_int_equal(e->expires, NOW + 300 + 600);
	/* Renewal by a MAC that does not hold it: NAK. */
	req_init(&f->r, DHCP_REQUEST, mac2);
	req_ciaddr(&f->r, ip);
	req_end(&f->r);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->reply.msg_type, DHCP_NAK);
	/* A REQUEST with nothing to go on is malformed. */
	req_init(&f->r, DHCP_REQUEST, mac1);
	req_end(&f->r);
	assert_int_equal(run(f), DHCP_E_MALFORMED);
}

static void dora(struct fixture *f, const uint8_t *mac, uint32_t *ip)
{
	pxe_discover(f, mac, 0);
	assert_int_equal(run(f), 0);
	*ip = f->reply.yiaddr;
	request_selecting(f, mac, SRV, *ip);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->reply.msg_type, DHCP_ACK);
}

static void test_release_decline_exhaust(void **state)
{
	struct fixture *f = *state;
	uint32_t ip1, ip2, ip3;
	struct dhcp_lease *e;

	dora(f, mac1, &ip1);
	dora(f, mac2, &ip2);
	dora(f, mac3, &ip3);
	assert_true(ip1 != ip2 && ip2 != ip3 && ip1 != ip3);
	/* The range (3 addresses) is full. */
	pxe_discover(f, mac4, 0);
	assert_int_equal(run(f), DHCP_E_EXHAUSTED);

	/* RELEASE frees it (no reply); mac4 can now have it. */
	req_init(&f->r, DHCP_RELEASE, mac2);
	req_ciaddr(&f->r, ip2);
	req_opt_ip(&f->r, DHCP_OPT_SERVER_ID, SRV);
	req_end(&f->r);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->tx.len, 0);
	assert_int_equal(f->ev.type, DHCP_EV_RELEASE);
	/* A release by someone else is ignored. */
	req_init(&f->r, DHCP_RELEASE, mac4);
	req_ciaddr(&f->r, ip1);
	req_end(&f->r);
	assert_int_equal(run(f), DHCP_E_NOT_FOR_US);

	/* DECLINE: the address goes out of use; mac4 gets ip2 instead. */
	req_init(&f->r, DHCP_DECLINE, mac3);
	req_opt_ip(&f->r, DHCP_OPT_REQUESTED_IP, ip3);
	req_opt_ip(&f->r, DHCP_OPT_SERVER_ID, SRV);
	req_end(&f->r);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ev.type, DHCP_EV_DECLINE);
	e = dhcp_leases_by_ip(f->leases, ip3);
	assert_int_equal(e->state, DHCP_LEASE_DECLINED);
	dora(f, mac4, &ip1);
	assert_int_equal(ip1, ip2);
	/* Nothing else left until the decline time passes. */
	pxe_discover(f, mac3, 0);
	assert_int_equal(run(f), DHCP_E_EXHAUSTED);
	f->rx.now = NOW + 601;
	pxe_discover(f, mac3, 0);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->reply.yiaddr, ip3);
}

static void test_inform_fixed_relay(void **state)
{
	struct fixture *f = *state;
	char s[64];
	uint32_t ip;

	/* INFORM: ACK with options, no address, no lease time, to ciaddr. */
	req_init(&f->r, DHCP_INFORM, mac1);
	req_ciaddr(&f->r, IP4(10, 77, 0, 7));
	req_end(&f->r);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->reply.msg_type, DHCP_ACK);
	assert_int_equal(f->reply.yiaddr, 0);
	assert_false(dhcp_packet_has(&f->reply, DHCP_OPT_LEASE_TIME));
	assert_true(dhcp_packet_has(&f->reply, DHCP_OPT_SUBNET_MASK));
	assert_int_equal(f->tx.dst_ip, IP4(10, 77, 0, 7));
	assert_int_equal(f->ev.type, DHCP_EV_INFORM);

	/* A fixed host gets its address and name, outside the range. */
	dora(f, macfix, &ip);
	assert_int_equal(ip, IP4(10, 77, 0, 50));
	assert_string_equal(opt_str(f, DHCP_OPT_HOSTNAME, s, sizeof(s)), "node50");
	request_selecting(f, macfix, SRV, IP4(10, 77, 0, 100));
	assert_int_equal(run(f), 0);
	assert_int_equal(f->reply.msg_type, DHCP_NAK);

	/* Through a relay: unicast to giaddr, server port. */
	pxe_discover(f, mac2, 0);
	req_giaddr(&f->r, IP4(10, 77, 0, 254));
	assert_int_equal(run(f), 0);
	assert_int_equal(f->tx.dst_ip, IP4(10, 77, 0, 254));
	assert_int_equal(f->tx.dst_port, 67);
	assert_false(f->tx.link_unicast);
	assert_int_equal(f->reply.giaddr, IP4(10, 77, 0, 254));
	/* Option 82 comes back to the relay; a NAK through it asks for a
	 * broadcast on the client's link. */
	pxe_discover(f, mac2, 0);
	f->r.len--; /* reopen the options: drop END */
	req_opt(&f->r, DHCP_OPT_RELAY_AGENT, "\x01\x03" "abc", 5);
	req_end(&f->r);
	req_giaddr(&f->r, IP4(10, 77, 0, 254));
	assert_int_equal(run(f), 0);
	assert_true(dhcp_packet_has(&f->reply, DHCP_OPT_RELAY_AGENT));
	request_selecting(f, mac2, SRV, IP4(10, 77, 0, 60));
	req_giaddr(&f->r, IP4(10, 77, 0, 254));
	assert_int_equal(run(f), 0);
	assert_int_equal(f->reply.msg_type, DHCP_NAK);
	assert_true(f->reply.flags & DHCP_FLAG_BROADCAST);
	assert_int_equal(f->tx.dst_ip, IP4(10, 77, 0, 254));
	/* A relay on a subnet we have no range for. */
	pxe_discover(f, mac2, 0);
	req_giaddr(&f->r, IP4(10, 77, 5, 1));
	assert_int_equal(run(f), DHCP_E_NOT_FOR_US);
}

static void test_bad_input(void **state)
{
	struct fixture *f = *state;

	/* No option 53 (BOOTP): dropped. */
	req_init(&f->r, 0, mac1);
	req_end(&f->r);
	assert_int_equal(run(f), DHCP_E_UNSUPPORTED);
	/* A reply sent to us: dropped. */
	pxe_discover(f, mac1, 0);
	f->r.buf[0] = DHCP_OP_REPLY;
	assert_int_equal(run(f), DHCP_E_UNSUPPORTED);
	/* Not Ethernet. */
	pxe_discover(f, mac1, 0);
	f->r.buf[2] = 16;
	assert_int_equal(run(f), DHCP_E_UNSUPPORTED);
	pxe_discover(f, mac1, 0);
	f->r.buf[2] = 17;
	assert_int_equal(run(f), DHCP_E_MALFORMED);
	/* Unknown message type. */
	req_init(&f->r, 42, mac1);
	req_end(&f->r);
	assert_int_equal(run(f), DHCP_E_UNSUPPORTED);
	/* Requests on the PXE port in server mode are not ours. */
	pxe_discover(f, mac1, 0);
	f->rx.pxe_port = true;
	assert_int_equal(run(f), DHCP_E_NOT_FOR_US);
	/* Nothing changed in the table through all of this. */
	assert_null(dhcp_leases_by_mac(f->leases, mac1));
}

static void test_proxy(void **state)
{
	struct fixture *f = *state;
	char s[64];

	f->cfg.mode = DHCP_MODE_PROXY;
	f->cfg.server_ip = 0; /* the address of the receiving interface */
	/* A PXE DISCOVER on 67: a proxy offer, boot information only. */
	pxe_discover(f, mac1, 0);
	assert_int_equal(
		dhcp_policy_handle(&f->cfg, NULL, &f->rx, f->r.buf, f->r.len, &f->tx, &f->ev), 0);
	assert_int_equal(dhcp_packet_parse(&f->reply, f->tx.buf, f->tx.len), 0);
	assert_int_equal(f->reply.msg_type, DHCP_OFFER);
	assert_int_equal(f->reply.yiaddr, 0);
	assert_int_equal(f->reply.siaddr, SRV);
	assert_string_equal(file_field(f), "pxelinux.0");
	assert_string_equal(opt_str(f, DHCP_OPT_VENDOR_CLASS, s, sizeof(s)), "PXEClient");
	assert_false(dhcp_packet_has(&f->reply, DHCP_OPT_LEASE_TIME));
	assert_false(dhcp_packet_has(&f->reply, DHCP_OPT_SUBNET_MASK));
	assert_false(dhcp_packet_has(&f->reply, DHCP_OPT_ROUTER));
	assert_int_equal(f->tx.dst_ip, 0xffffffffu);
	assert_int_equal(f->ev.type, DHCP_EV_PROXY_OFFER);

	/* Not a PXE client: silence. */
	req_init(&f->r, DHCP_DISCOVER, mac2);
	req_end(&f->r);
	assert_int_equal(run(f), DHCP_E_NOT_FOR_US);
	/* A REQUEST on 67 belongs to the real DHCP server. */
	request_selecting(f, mac1, IP4(10, 77, 0, 2), IP4(10, 77, 0, 150));
	req_opt_str(&f->r, DHCP_OPT_VENDOR_CLASS, "PXEClient");
	assert_int_equal(run(f), DHCP_E_NOT_FOR_US);

	/* The client's REQUEST on 4011: ACK back to where it came from. */
	req_init(&f->r, DHCP_REQUEST, mac1);
	req_ciaddr(&f->r, IP4(10, 77, 0, 150));
	req_opt_str(&f->r, DHCP_OPT_VENDOR_CLASS, "PXEClient:Arch:00007:UNDI:003016");
	req_arch(&f->r, 7);
	req_end(&f->r);
	f->rx.pxe_port = true;
	f->rx.src_ip = IP4(10, 77, 0, 150);
	f->rx.src_port = 4011;
	assert_int_equal(run(f), 0);
	assert_int_equal(f->reply.msg_type, DHCP_ACK);
	assert_int_equal(f->reply.yiaddr, 0);
	assert_string_equal(file_field(f), "shimx64.efi");
	assert_int_equal(f->tx.dst_ip, IP4(10, 77, 0, 150));
	assert_int_equal(f->tx.dst_port, 4011);
	assert_int_equal(f->ev.type, DHCP_EV_PROXY_ACK);
	/* Never an address: the lease table was not touched. */
	assert_null(dhcp_leases_by_mac(f->leases, mac1));
}

static void test_ratelimit(void **state)
{
	struct dhcp_ratelimit *rl = dhcp_ratelimit_new(3, 2);
	bool first;

	for (int i = 0; i < 3; i++)
		assert_true(dhcp_ratelimit_allow(rl, mac1, 1000, &first));
	assert_false(dhcp_ratelimit_allow(rl, mac1, 1000, &first));
	assert_true(first);
	assert_false(dhcp_ratelimit_allow(rl, mac1, 1001, &first));
	assert_false(first);
	/* Another MAC is not affected. */
	assert_true(dhcp_ratelimit_allow(rl, mac2, 1001, &first));
	/* Half a second later one token (2 per second) is back. */
	assert_true(dhcp_ratelimit_allow(rl, mac1, 1501, &first));
	assert_false(dhcp_ratelimit_allow(rl, mac1, 1502, &first));
	dhcp_ratelimit_free(rl);
	/* Burst 0: no limit. */
	rl = dhcp_ratelimit_new(0, 0);
	for (int i = 0; i < 100; i++)
		assert_true(dhcp_ratelimit_allow(rl, mac1, 5, &first));
	dhcp_ratelimit_free(rl);
}

static void test_config_check(void **state)
{
	struct fixture *f = *state;
	char err[128];

	assert_int_equal(dhcp_config_check(&f->cfg, err, sizeof(err)), 0);
	f->cfg.range_end = IP4(10, 77, 1, 5);
	assert_int_equal(dhcp_config_check(&f->cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "subnet"));
	f->cfg.range_end = IP4(10, 77, 0, 102);
	f->cfg.netmask = 0xff00ff00u;
	assert_int_equal(dhcp_config_check(&f->cfg, err, sizeof(err)), -EINVAL);
	f->cfg.netmask = 0xffffff00u;
	f->hosts[0].ip = IP4(10, 78, 0, 5);
	assert_int_equal(dhcp_config_check(&f->cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "fixed host 1"));
	f->hosts[0].ip = IP4(10, 77, 0, 50);
	f->cfg.mode = DHCP_MODE_OFF;
	assert_int_equal(dhcp_config_check(&f->cfg, err, sizeof(err)), -EINVAL);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_discover_bios),
		T(test_discover_arch),
		T(test_param_list),
		T(test_request),
		T(test_release_decline_exhaust),
		T(test_inform_fixed_relay),
		T(test_bad_input),
		T(test_proxy),
		T(test_ratelimit),
		T(test_config_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
