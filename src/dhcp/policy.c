/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dhcp/policy.h"
#include "util/cursor.h"
#include "util/util.h"

/* What the request tells us about the client, beyond the header. */
struct client {
	const struct dhcp_packet *pkt;
	const uint8_t *mac;
	int arch;
	bool pxe;  /* option 60 starts with "PXEClient" */
	bool http; /* option 60 starts with "HTTPClient" */
	bool ipxe;
	const uint8_t *params; /* option 55 */
	size_t n_params;
	const struct dhcp_host *host; /* a fixed host, or NULL */
};

/* The boot information chosen for a client. */
struct boot_choice {
	const char *file;	  /* NULL = none */
	const char *vendor_class; /* option 60 in the reply, or NULL */
	bool bios;
};

void dhcp_config_init(struct dhcp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = DHCP_MODE_SERVER;
	cfg->netmask = 0xffffff00u;
	cfg->lease_time = 3600;
	cfg->offer_time = 30;
	cfg->decline_time = 600;
	cfg->rate_burst = 20;
	cfg->rate_per_sec = 5;
	cfg->proxy_delay_ms = 300;
}

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			snprintf(err, errlen, __VA_ARGS__);                                        \
			return -EINVAL;                                                            \
		}                                                                                  \
	} while (0)

int dhcp_config_check(const struct dhcp_config *cfg, char *err, size_t errlen)
{
	uint32_t inv = ~cfg->netmask;

	CHECK(cfg->mode == DHCP_MODE_SERVER || cfg->mode == DHCP_MODE_PROXY,
	      "the DHCP mode must be server or proxy to run a DHCP service");
	CHECK(cfg->n_ifnames <= DHCP_MAX_IFACES, "too many interfaces (at most %d)",
	      DHCP_MAX_IFACES);
	CHECK(cfg->n_dns <= DHCP_MAX_DNS, "too many DNS servers (at most %d)", DHCP_MAX_DNS);
	CHECK(cfg->n_hosts <= DHCP_MAX_HOSTS, "too many fixed hosts (at most %d)", DHCP_MAX_HOSTS);
	CHECK((inv & (inv + 1)) == 0, "the netmask is not a run of leading ones");
	if (cfg->mode == DHCP_MODE_PROXY)
		return 0;
	CHECK(cfg->lease_time >= 60, "the lease time must be at least 60 seconds");
	CHECK(cfg->server_ip != 0, "server mode needs the server's own address");
	if (cfg->range_start) {
		CHECK(cfg->range_end >= cfg->range_start, "the range ends before it starts");
		CHECK((uint64_t)cfg->range_end - cfg->range_start < DHCP_MAX_RANGE,
		      "the range is larger than %d addresses", DHCP_MAX_RANGE);
		CHECK((cfg->range_start & cfg->netmask) == (cfg->server_ip & cfg->netmask) &&
			      (cfg->range_end & cfg->netmask) == (cfg->server_ip & cfg->netmask),
		      "the range is not in the server's subnet");
		CHECK(cfg->server_ip < cfg->range_start || cfg->server_ip > cfg->range_end,
		      "the range contains the server's own address");
	}
	for (size_t i = 0; i < cfg->n_hosts; i++) {
		CHECK((cfg->hosts[i].ip & cfg->netmask) == (cfg->server_ip & cfg->netmask) &&
			      cfg->hosts[i].ip != cfg->server_ip,
		      "fixed host %zu's address is not a client address in the server's subnet",
		      i + 1);
	}
	for (size_t i = 0; i < cfg->n_hosts; i++)
		for (size_t j = 0; j < i; j++)
			CHECK(memcmp(cfg->hosts[i].mac, cfg->hosts[j].mac, 6) != 0 &&
				      cfg->hosts[i].ip != cfg->hosts[j].ip,
			      "fixed hosts %zu and %zu share a MAC or an address", j + 1, i + 1);
	return 0;
}

const char *dhcp_event_name(enum dhcp_event_type t)
{
	static const char *const names[] = {"none",   "offer",	     "ack",
					    "nak",    "release",     "decline",
					    "inform", "proxy-offer", "proxy-ack"};
	return (size_t)t < ARRAY_SIZE(names) ? names[t] : "?";
}

struct dhcp_leases *dhcp_policy_leases_new(const struct dhcp_config *cfg)
{
	struct dhcp_leases *l = dhcp_leases_new(cfg->range_start, cfg->range_end);

	if (!l)
		return NULL;
	for (size_t i = 0; i < cfg->n_hosts; i++)
		dhcp_leases_reserve(l, cfg->hosts[i].ip);
	return l;
}

static bool prefix_is(const uint8_t *p, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return p && len >= n && memcmp(p, prefix, n) == 0;
}

/* Copies option bytes as a printable C string for logs and events. */
static void printable(char *out, size_t size, const uint8_t *p, size_t len)
{
	size_t k = 0;

	for (size_t i = 0; p && i < len && k + 1 < size; i++)
		out[k++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	out[k] = '\0';
}

/* iPXE says who it is with user class "iPXE" (option 77, RFC 3004: a list
 * of length-prefixed strings, though iPXE sends the bare string) or by
 * sending its encapsulated options (175). */
static bool is_ipxe(const struct dhcp_packet *pkt)
{
	size_t len;
	const uint8_t *p = dhcp_packet_option(pkt, DHCP_OPT_USER_CLASS, &len);

	if (dhcp_packet_has(pkt, DHCP_OPT_IPXE_ENCAP))
		return true;
	if (prefix_is(p, len, "iPXE"))
		return true;
	return p && len >= 5 && p[0] == 4 && memcmp(p + 1, "iPXE", 4) == 0;
}

static void client_init(struct client *c, const struct dhcp_config *cfg,
			const struct dhcp_packet *pkt)
{
	size_t len;
	const uint8_t *p;

	memset(c, 0, sizeof(*c));
	c->pkt = pkt;
	c->mac = pkt->chaddr;
	c->arch = -1;
	p = dhcp_packet_option(pkt, DHCP_OPT_CLIENT_ARCH, &len);
	/* RFC 4578: a list of 16-bit types; the first is the one that counts. */
	if (p && len >= 2)
		c->arch = get_u16be(p);
	p = dhcp_packet_option(pkt, DHCP_OPT_VENDOR_CLASS, &len);
	c->pxe = prefix_is(p, len, "PXEClient");
	c->http = prefix_is(p, len, "HTTPClient");
	c->ipxe = is_ipxe(pkt);
	c->params = dhcp_packet_option(pkt, DHCP_OPT_PARAM_LIST, &c->n_params);
	for (size_t i = 0; i < cfg->n_hosts; i++)
		if (memcmp(cfg->hosts[i].mac, c->mac, 6) == 0)
			c->host = &cfg->hosts[i];
}

/* True when the client asked for option code (or sent no list at all). */
static bool wants(const struct client *c, uint8_t code)
{
	if (!c->params)
		return true;
	return memchr(c->params, code, c->n_params) != NULL;
}

static void choose_boot(const struct dhcp_config *cfg, const struct client *c,
			struct boot_choice *b)
{
	const struct dhcp_boot *bc = &cfg->boot;

	memset(b, 0, sizeof(*b));
	if (c->pxe)
		b->vendor_class = "PXEClient";
	if (c->ipxe && bc->ipxe[0]) {
		/* iPXE fetches the rest over HTTP, whatever the firmware under it. */
		b->file = bc->ipxe;
	} else if (c->arch == 16 || c->http) {
		/* UEFI HTTP boot takes only offers that say HTTPClient (UEFI 2.5+). */
		if (bc->uefi_http[0]) {
			b->file = bc->uefi_http;
			b->vendor_class = "HTTPClient";
		}
	} else if (c->arch == 7 || c->arch == 9) {
		if (bc->uefi[0])
			b->file = bc->uefi;
	} else if (c->arch == 0 || (c->arch < 0 && c->pxe)) {
		if (bc->bios[0])
			b->file = bc->bios;
		b->bios = true;
	}
}

static uint32_t our_id(const struct dhcp_config *cfg, const struct dhcp_rx *rx)
{
	return cfg->server_ip ? cfg->server_ip : rx->local_ip;
}

/* Adds an option, dropping it when it does not fit: the reply still goes
 * out with what matters most, which was added first. */
static void opt(struct dhcp_builder *b, uint8_t code, const void *data, size_t len)
{
	int r = dhcp_builder_option(b, code, data, len);

	(void)r;
}

static void opt_u32(struct dhcp_builder *b, uint8_t code, uint32_t v)
{
	int r = dhcp_builder_option_u32(b, code, v);

	(void)r;
}

/* The boot part of a reply: siaddr, file, and options 60, 97, 43, 66, 67,
 * 209 and 210 as the client needs them. */
static void add_boot(struct dhcp_builder *b, const struct dhcp_config *cfg,
		     const struct dhcp_rx *rx, const struct client *c, const struct boot_choice *bt)
{
	size_t len;
	const uint8_t *uuid;
	uint32_t next = cfg->boot.next_server ? cfg->boot.next_server : our_id(cfg, rx);
	char ip[16];

	if (bt->vendor_class)
		opt(b, DHCP_OPT_VENDOR_CLASS, bt->vendor_class, strlen(bt->vendor_class));
	/* PXE 2.1: a client that sent its UUID expects it back. */
	uuid = dhcp_packet_option(c->pkt, DHCP_OPT_UUID, &len);
	if (uuid && c->pxe)
		opt(b, DHCP_OPT_UUID, uuid, len);
	if (!bt->file)
		return;
	if (bt->bios && c->pxe && !c->ipxe) {
		/* PXE vendor options: discovery control bit 3, "use the boot
		 * file in this reply, skip boot server discovery". Only for
		 * BIOS ROMs: UEFI firmware (EDK2) treats any discovery option
		 * as a request to run boot server discovery. */
		static const uint8_t pxe_vendor[] = {6, 1, 8, 255};
		opt(b, DHCP_OPT_VENDOR, pxe_vendor, sizeof(pxe_vendor));
	}
	/* The file field holds 127 characters; a longer URL goes in option
	 * 67 only. Option 67 is also sent when asked for. */
	if (!dhcp_builder_set_file(b, bt->file) || wants(c, DHCP_OPT_BOOTFILE))
		opt(b, DHCP_OPT_BOOTFILE, bt->file, strlen(bt->file));
	if (wants(c, DHCP_OPT_TFTP_SERVER)) {
		/* Two statements: the order in which a call's arguments are
		 * evaluated is unspecified, so strlen(ip) could run first. */
		dhcp_ip_str(ip, next);
		opt(b, DHCP_OPT_TFTP_SERVER, ip, strlen(ip));
	}
	if (bt->bios && cfg->boot.pxelinux_config[0])
		opt(b, DHCP_OPT_PXELINUX_CONFIG, cfg->boot.pxelinux_config,
		    strlen(cfg->boot.pxelinux_config));
	if (bt->bios && cfg->boot.pxelinux_prefix[0])
		opt(b, DHCP_OPT_PXELINUX_PREFIX, cfg->boot.pxelinux_prefix,
		    strlen(cfg->boot.pxelinux_prefix));
}

/* The network part of a reply: lease times, mask, router, DNS, names. */
static void add_net(struct dhcp_builder *b, const struct dhcp_config *cfg, const struct client *c,
		    bool with_lease)
{
	if (with_lease) {
		opt_u32(b, DHCP_OPT_LEASE_TIME, cfg->lease_time);
		/* An infinite lease (0xffffffff) has nothing to renew. */
		if (cfg->lease_time != UINT32_MAX) {
			opt_u32(b, DHCP_OPT_RENEWAL, cfg->lease_time / 2);
			opt_u32(b, DHCP_OPT_REBINDING,
				(uint32_t)((uint64_t)cfg->lease_time * 7 / 8));
		}
	}
	opt_u32(b, DHCP_OPT_SUBNET_MASK, cfg->netmask);
	if (cfg->router)
		opt_u32(b, DHCP_OPT_ROUTER, cfg->router);
	if (cfg->n_dns && wants(c, DHCP_OPT_DNS)) {
		uint8_t d[4 * DHCP_MAX_DNS];
		for (size_t i = 0; i < cfg->n_dns; i++)
			put_u32be(d + 4 * i, cfg->dns[i]);
		opt(b, DHCP_OPT_DNS, d, 4 * cfg->n_dns);
	}
	if (cfg->domain[0] && wants(c, DHCP_OPT_DOMAIN))
		opt(b, DHCP_OPT_DOMAIN, cfg->domain, strlen(cfg->domain));
	if (c->host && c->host->hostname[0])
		opt(b, DHCP_OPT_HOSTNAME, c->host->hostname, strlen(c->host->hostname));
}

/* RFC 3046: a relay's agent information comes back to it, last. */
static void add_relay_info(struct dhcp_builder *b, const struct client *c)
{
	size_t len;
	const uint8_t *p = dhcp_packet_option(c->pkt, DHCP_OPT_RELAY_AGENT, &len);

	if (p && c->pkt->giaddr)
		opt(b, DHCP_OPT_RELAY_AGENT, p, len);
}

/* RFC 2131 section 4.1: where a server's reply goes. */
static void set_dest(struct dhcp_tx *tx, const struct dhcp_config *cfg, const struct client *c,
		     uint8_t type, uint32_t yiaddr)
{
	const struct dhcp_packet *pkt = c->pkt;
	uint16_t client_port = cfg->client_port ? cfg->client_port : DHCP_PORT_CLIENT;

	tx->link_unicast = false;
	memcpy(tx->mac, c->mac, 6);
	if (pkt->giaddr) {
		tx->dst_ip = pkt->giaddr;
		tx->dst_port = cfg->port ? cfg->port : DHCP_PORT_SERVER;
	} else if (type == DHCP_NAK) {
		tx->dst_ip = 0xffffffffu;
		tx->dst_port = client_port;
	} else if (pkt->ciaddr) {
		tx->dst_ip = pkt->ciaddr;
		tx->dst_port = client_port;
	} else if ((pkt->flags & DHCP_FLAG_BROADCAST) || !yiaddr) {
		tx->dst_ip = 0xffffffffu;
		tx->dst_port = client_port;
	} else {
		tx->dst_ip = yiaddr;
		tx->dst_port = client_port;
		tx->link_unicast = true;
	}
}

static void event_fill(struct dhcp_event *ev, enum dhcp_event_type type, const struct client *c,
		       uint32_t ip, const struct boot_choice *bt)
{
	size_t len;
	const uint8_t *p;

	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	memcpy(ev->mac, c->mac, 6);
	ev->ip = ip;
	ev->arch = c->arch;
	ev->ipxe = c->ipxe;
	ev->pxe = c->pxe;
	p = dhcp_packet_option(c->pkt, DHCP_OPT_VENDOR_CLASS, &len);
	printable(ev->vendor_class, sizeof(ev->vendor_class), p, len);
	p = dhcp_packet_option(c->pkt, DHCP_OPT_HOSTNAME, &len);
	printable(ev->hostname, sizeof(ev->hostname), p, len);
	if (bt && bt->file) {
		/* A truncating copy, as snprintf "%s" would make it, for less
		 * than a tenth of the instructions (this runs per reply). */
		len = strnlen(bt->file, sizeof(ev->boot_file) - 1);
		memcpy(ev->boot_file, bt->file, len);
		ev->boot_file[len] = '\0';
	}
}

/* Builds OFFER or ACK (or an INFORM's ACK, with_lease false) for yiaddr. */
static int reply(const struct dhcp_config *cfg, const struct dhcp_rx *rx, const struct client *c,
		 uint8_t type, uint32_t yiaddr, bool with_lease, struct dhcp_tx *tx,
		 struct dhcp_event *ev, enum dhcp_event_type evtype)
{
	struct dhcp_builder b;
	struct boot_choice bt;
	size_t max = dhcp_packet_max_reply(c->pkt);
	uint32_t next;

	choose_boot(cfg, c, &bt);
	next = cfg->boot.next_server ? cfg->boot.next_server : our_id(cfg, rx);
	dhcp_builder_init(&b, tx->buf, max, c->pkt, type);
	dhcp_builder_set_addrs(&b, type == DHCP_ACK && !with_lease ? c->pkt->ciaddr : 0, yiaddr,
			       bt.file ? next : 0);
	if (dhcp_builder_option_u32(&b, DHCP_OPT_SERVER_ID, our_id(cfg, rx)))
		return DHCP_E_NOSPACE;
	if (cfg->mode == DHCP_MODE_SERVER && !rx->pxe_port)
		add_net(&b, cfg, c, with_lease);
	add_boot(&b, cfg, rx, c, &bt);
	add_relay_info(&b, c);
	tx->len = dhcp_builder_finish(&b);
	tx->needs_sync = type == DHCP_ACK && with_lease;
	if (rx->pxe_port) {
		/* Port 4011 requests come from a configured client: answer it
		 * where it asked from. */
		tx->dst_ip = rx->src_ip;
		tx->dst_port = rx->src_port;
		tx->link_unicast = false;
		memcpy(tx->mac, c->mac, 6);
	} else {
		set_dest(tx, cfg, c, type, yiaddr);
	}
	event_fill(ev, evtype, c, yiaddr, &bt);
	ev->lease_time = with_lease ? cfg->lease_time : 0;
	return 0;
}

static int nak(const struct dhcp_config *cfg, const struct dhcp_rx *rx, const struct client *c,
	       uint32_t ip, struct dhcp_tx *tx, struct dhcp_event *ev)
{
	struct dhcp_builder b;
	static const char msg[] = "requested address not available";

	dhcp_builder_init(&b, tx->buf, dhcp_packet_max_reply(c->pkt), c->pkt, DHCP_NAK);
	if (dhcp_builder_option_u32(&b, DHCP_OPT_SERVER_ID, our_id(cfg, rx)))
		return DHCP_E_NOSPACE;
	opt(&b, DHCP_OPT_MESSAGE, msg, sizeof(msg) - 1);
	add_relay_info(&b, c);
	/* Through a relay, a NAK must be broadcast on the client's link. */
	if (c->pkt->giaddr)
		put_u16be(tx->buf + 10, (uint16_t)(c->pkt->flags | DHCP_FLAG_BROADCAST));
	tx->len = dhcp_builder_finish(&b);
	set_dest(tx, cfg, c, DHCP_NAK, 0);
	event_fill(ev, DHCP_EV_NAK, c, ip, NULL);
	return 0;
}

static void bind_lease(const struct dhcp_config *cfg, struct dhcp_leases *l, struct dhcp_lease *e,
		       const struct client *c, int64_t now)
{
	char host[DHCP_NAME_MAX];
	size_t len;
	const uint8_t *p = dhcp_packet_option(c->pkt, DHCP_OPT_HOSTNAME, &len);

	printable(host, sizeof(host), p, len);
	dhcp_leases_set(l, e, c->mac, DHCP_LEASE_BOUND, now + cfg->lease_time, host);
}

static bool in_subnet(const struct dhcp_config *cfg, uint32_t ip)
{
	return (ip & cfg->netmask) == (cfg->server_ip & cfg->netmask);
}

static int on_discover(const struct dhcp_config *cfg, struct dhcp_leases *l,
		       const struct dhcp_rx *rx, const struct client *c, struct dhcp_tx *tx,
		       struct dhcp_event *ev)
{
	uint32_t requested = 0;
	struct dhcp_lease *e;

	if (c->host)
		return reply(cfg, rx, c, DHCP_OFFER, c->host->ip, true, tx, ev, DHCP_EV_OFFER);
	(void)dhcp_packet_option_ip(c->pkt, DHCP_OPT_REQUESTED_IP, &requested);
	e = dhcp_leases_pick(l, c->mac, requested, rx->now);
	if (!e)
		return DHCP_E_EXHAUSTED;
	/* A client that still holds its lease keeps it bound; otherwise the
	 * address is held for it briefly, so two clients never get the same
	 * offer. */
	if (!(e->state == DHCP_LEASE_BOUND && e->has_mac && memcmp(e->mac, c->mac, 6) == 0 &&
	      e->expires > rx->now))
		dhcp_leases_set(l, e, c->mac, DHCP_LEASE_OFFERED, rx->now + cfg->offer_time, NULL);
	return reply(cfg, rx, c, DHCP_OFFER, e->ip, true, tx, ev, DHCP_EV_OFFER);
}

static bool mine(const struct dhcp_lease *e, const uint8_t *mac)
{
	return e && e->has_mac && memcmp(e->mac, mac, 6) == 0 &&
	       (e->state == DHCP_LEASE_BOUND || e->state == DHCP_LEASE_OFFERED ||
		e->state == DHCP_LEASE_FREE);
}

static int on_request(const struct dhcp_config *cfg, struct dhcp_leases *l,
		      const struct dhcp_rx *rx, const struct client *c, struct dhcp_tx *tx,
		      struct dhcp_event *ev)
{
	const struct dhcp_packet *pkt = c->pkt;
	uint32_t sid, req = 0;
	bool has_sid = dhcp_packet_option_ip(pkt, DHCP_OPT_SERVER_ID, &sid);
	bool has_req = dhcp_packet_option_ip(pkt, DHCP_OPT_REQUESTED_IP, &req);
	struct dhcp_lease *e;

	if (has_sid && sid != our_id(cfg, rx)) {
		/* SELECTING another server: our offer, if any, is free again. */
		e = dhcp_leases_by_mac(l, c->mac);
		if (e && e->state == DHCP_LEASE_OFFERED)
			dhcp_leases_set(l, e, c->mac, DHCP_LEASE_FREE, rx->now, NULL);
		return DHCP_E_NOT_FOR_US;
	}
	if (!has_req)
		req = pkt->ciaddr;
	if (!has_sid && !has_req && !pkt->ciaddr)
		return DHCP_E_MALFORMED;
	if (c->host) {
		if (req == c->host->ip)
			return reply(cfg, rx, c, DHCP_ACK, req, true, tx, ev, DHCP_EV_ACK);
		return nak(cfg, rx, c, req, tx, ev);
	}
	e = dhcp_leases_by_ip(l, req);
	if (has_sid) {
		/* SELECTING us: the address must be the one we offered. */
		if (mine(e, c->mac) && dhcp_lease_usable(e, c->mac, rx->now))
			goto ack;
		return nak(cfg, rx, c, req, tx, ev);
	}
	if (has_req) {
		/* INIT-REBOOT: a client that remembers an address. We are
		 * authoritative for our subnet: confirm it if it is free or
		 * its own, refuse it otherwise. */
		if (!in_subnet(cfg, req))
			return nak(cfg, rx, c, req, tx, ev);
		if (e && dhcp_lease_usable(e, c->mac, rx->now) && (mine(e, c->mac) || !e->has_mac))
			goto ack;
		return nak(cfg, rx, c, req, tx, ev);
	}
	/* RENEWING or REBINDING from ciaddr. */
	if (mine(e, c->mac) && dhcp_lease_usable(e, c->mac, rx->now))
		goto ack;
	if (e || in_subnet(cfg, req))
		return nak(cfg, rx, c, req, tx, ev);
	return DHCP_E_NOT_FOR_US;
ack:
	bind_lease(cfg, l, e, c, rx->now);
	return reply(cfg, rx, c, DHCP_ACK, req, true, tx, ev, DHCP_EV_ACK);
}

static int on_decline(const struct dhcp_config *cfg, struct dhcp_leases *l,
		      const struct dhcp_rx *rx, const struct client *c, struct dhcp_event *ev)
{
	uint32_t sid, ip;
	struct dhcp_lease *e;

	if (dhcp_packet_option_ip(c->pkt, DHCP_OPT_SERVER_ID, &sid) && sid != our_id(cfg, rx))
		return DHCP_E_NOT_FOR_US;
	if (!dhcp_packet_option_ip(c->pkt, DHCP_OPT_REQUESTED_IP, &ip))
		return DHCP_E_MALFORMED;
	e = dhcp_leases_by_ip(l, ip);
	if (!mine(e, c->mac))
		return DHCP_E_NOT_FOR_US;
	/* Someone else answers on this address: keep it out of use a while. */
	dhcp_leases_set(l, e, NULL, DHCP_LEASE_DECLINED, rx->now + cfg->decline_time, "");
	event_fill(ev, DHCP_EV_DECLINE, c, ip, NULL);
	return 0;
}

static int on_release(const struct dhcp_config *cfg, struct dhcp_leases *l,
		      const struct dhcp_rx *rx, const struct client *c, struct dhcp_event *ev)
{
	uint32_t sid;
	struct dhcp_lease *e;

	if (dhcp_packet_option_ip(c->pkt, DHCP_OPT_SERVER_ID, &sid) && sid != our_id(cfg, rx))
		return DHCP_E_NOT_FOR_US;
	e = dhcp_leases_by_ip(l, c->pkt->ciaddr);
	if (!mine(e, c->mac))
		return DHCP_E_NOT_FOR_US;
	/* The MAC is kept so this client gets the same address next time,
	 * unless the range runs short first. */
	dhcp_leases_set(l, e, c->mac, DHCP_LEASE_FREE, rx->now, NULL);
	event_fill(ev, DHCP_EV_RELEASE, c, c->pkt->ciaddr, NULL);
	return 0;
}

static int on_inform(const struct dhcp_config *cfg, const struct dhcp_rx *rx,
		     const struct client *c, struct dhcp_tx *tx, struct dhcp_event *ev)
{
	int r;

	/* RFC 2131 3.4: no address, no lease time; reply to ciaddr. */
	r = reply(cfg, rx, c, DHCP_ACK, 0, false, tx, ev, DHCP_EV_INFORM);
	if (r == 0 && !rx->pxe_port) {
		tx->dst_ip = c->pkt->ciaddr ? c->pkt->ciaddr : rx->src_ip;
		tx->link_unicast = false;
		if (!tx->dst_ip)
			tx->dst_ip = 0xffffffffu;
		ev->ip = c->pkt->ciaddr;
	}
	return r;
}

/* The PXE port (4011), in both modes: a PXE client with an address asks
 * for its boot file there. Proxy clients do after a proxy offer; UEFI
 * firmware (EDK2) also does after an ordinary offer that says PXEClient
 * without PXE vendor options (its "BINL" offer). The answer carries boot
 * information only. */
static int on_pxe_port(const struct dhcp_config *cfg, const struct dhcp_rx *rx,
		       const struct client *c, struct dhcp_tx *tx, struct dhcp_event *ev)
{
	uint8_t t = c->pkt->msg_type;

	if (!c->pxe || (t != DHCP_REQUEST && t != DHCP_INFORM))
		return DHCP_E_NOT_FOR_US;
	return reply(cfg, rx, c, DHCP_ACK, 0, false, tx, ev, DHCP_EV_PROXY_ACK);
}

static int on_proxy(const struct dhcp_config *cfg, const struct dhcp_rx *rx, const struct client *c,
		    struct dhcp_tx *tx, struct dhcp_event *ev)
{
	/* PXE 2.1: a proxyDHCP server answers PXE clients only, with boot
	 * information only, and never an address. */
	if (!c->pxe || c->pkt->msg_type != DHCP_DISCOVER)
		return DHCP_E_NOT_FOR_US;
	return reply(cfg, rx, c, DHCP_OFFER, 0, false, tx, ev, DHCP_EV_PROXY_OFFER);
}

int dhcp_policy_handle(const struct dhcp_config *cfg, struct dhcp_leases *leases,
		       const struct dhcp_rx *rx, const uint8_t *data, size_t len,
		       struct dhcp_tx *tx, struct dhcp_event *ev)
{
	struct dhcp_packet pkt;
	struct client c;
	int r;

	tx->len = 0;
	tx->needs_sync = false;
	ev->type = DHCP_EV_NONE;
	r = dhcp_packet_parse(&pkt, data, len);
	if (r)
		return r;
	/* Ethernet clients only: the MAC is the lease key and the ARP target. */
	if (pkt.op != DHCP_OP_REQUEST || pkt.htype != DHCP_HTYPE_ETHER || pkt.hlen != 6)
		return DHCP_E_UNSUPPORTED;
	if (pkt.msg_type == 0)
		return DHCP_E_UNSUPPORTED; /* BOOTP */
	if (!our_id(cfg, rx))
		return DHCP_E_NOT_FOR_US;
	client_init(&c, cfg, &pkt);
	if (rx->pxe_port)
		return on_pxe_port(cfg, rx, &c, tx, ev);
	if (cfg->mode == DHCP_MODE_PROXY)
		return on_proxy(cfg, rx, &c, tx, ev);
	if (cfg->mode != DHCP_MODE_SERVER || !leases)
		return DHCP_E_NOT_FOR_US;
	/* One subnet only: a relay on another subnet needs a server that
	 * knows that subnet's range. */
	if (pkt.giaddr && !in_subnet(cfg, pkt.giaddr))
		return DHCP_E_NOT_FOR_US;
	switch (pkt.msg_type) {
	case DHCP_DISCOVER: return on_discover(cfg, leases, rx, &c, tx, ev);
	case DHCP_REQUEST: return on_request(cfg, leases, rx, &c, tx, ev);
	case DHCP_DECLINE: return on_decline(cfg, leases, rx, &c, ev);
	case DHCP_RELEASE: return on_release(cfg, leases, rx, &c, ev);
	case DHCP_INFORM: return on_inform(cfg, rx, &c, tx, ev);
	default: return DHCP_E_UNSUPPORTED;
	}
}

struct bucket {
	uint8_t mac[6];
	bool dropping;
	uint32_t tokens; /* thousandths of a packet */
	uint64_t last_ms;
};

struct dhcp_ratelimit {
	uint32_t burst, per_sec;
	struct bucket cell[4096];
};

struct dhcp_ratelimit *dhcp_ratelimit_new(uint32_t burst, uint32_t per_sec)
{
	struct dhcp_ratelimit *rl = xcalloc(1, sizeof(*rl));

	rl->burst = MIN(burst, 1000000u);
	rl->per_sec = MIN(per_sec, 1000000u);
	return rl;
}

void dhcp_ratelimit_free(struct dhcp_ratelimit *rl)
{
	free(rl);
}

bool dhcp_ratelimit_allow(struct dhcp_ratelimit *rl, const uint8_t mac[6], uint64_t now_ms,
			  bool *first_drop)
{
	uint32_t h = 2166136261u;
	struct bucket *b;
	uint64_t full = (uint64_t)rl->burst * 1000;

	*first_drop = false;
	if (rl->burst == 0)
		return true;
	for (int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619u;
	b = &rl->cell[h % ARRAY_SIZE(rl->cell)];
	if (memcmp(b->mac, mac, 6) != 0 || b->last_ms == 0) {
		memcpy(b->mac, mac, 6);
		b->tokens = (uint32_t)full;
		b->last_ms = now_ms ? now_ms : 1;
		b->dropping = false;
	} else if (now_ms > b->last_ms) {
		uint64_t t = b->tokens + (now_ms - b->last_ms) * rl->per_sec;
		b->tokens = (uint32_t)MIN(t, full);
		b->last_ms = now_ms;
	}
	if (b->tokens >= 1000) {
		b->tokens -= 1000;
		b->dropping = false;
		return true;
	}
	*first_drop = !b->dropping;
	b->dropping = true;
	return false;
}
