/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>

#include "server/fleet-feed.h"
#include "util/util.h"

void fleet_feed_dhcp(struct fleet *f, const struct dhcp_event *ev)
{
	struct in_addr ip = {htonl(ev->ip)};
	/* The service prints "" for an absent option: no news then. */
	const char *vc = ev->vendor_class[0] ? ev->vendor_class : NULL;
	const char *host = ev->hostname[0] ? ev->hostname : NULL;

	switch (ev->type) {
	case DHCP_EV_OFFER:
	case DHCP_EV_PROXY_OFFER:
		/* fleet_dhcp restarts a boot on a DISCOVER from "PXEClient";
		 * the dhcp module's pxe flag says the same of option 60. */
		fleet_dhcp(f, ev->mac, (struct in_addr){0}, ev->arch,
			   ev->pxe ? (vc ? vc : "PXEClient") : vc, host, FLEET_DHCP_DISCOVER);
		break;
	case DHCP_EV_ACK:
	case DHCP_EV_INFORM: fleet_dhcp(f, ev->mac, ip, ev->arch, vc, host, FLEET_DHCP_ACK); break;
	case DHCP_EV_PROXY_ACK:
		/* proxyDHCP hands out no address: only the names are news. */
		fleet_dhcp(f, ev->mac, (struct in_addr){0}, ev->arch, vc, host, FLEET_DHCP_ACK);
		break;
	case DHCP_EV_RELEASE:
	case DHCP_EV_DECLINE:
		fleet_dhcp(f, ev->mac, (struct in_addr){0}, ev->arch, vc, host, FLEET_DHCP_RELEASE);
		break;
	case DHCP_EV_NAK:
	case DHCP_EV_NONE: break;
	}
}

void fleet_feed_tftp(struct fleet *f, enum tftp_event ev, const struct tftp_xfer_info *info)
{
	switch (ev) {
	case TFTP_EV_START:
		fleet_boot_file(f, info->client.sin_addr, info->path, FLEET_PROTO_TFTP, 0, false);
		break;
	case TFTP_EV_DONE:
	case TFTP_EV_FAILED:
		fleet_boot_file(f, info->client.sin_addr, info->path, FLEET_PROTO_TFTP, info->bytes,
				ev == TFTP_EV_DONE);
		break;
	case TFTP_EV_REFUSED: break;
	}
}

void fleet_feed_http(struct fleet *f, const struct http_file_info *info)
{
	if (info->status != 200 && info->status != 206)
		return;
	fleet_boot_file(f, info->client.sin_addr, info->path, FLEET_PROTO_HTTP, info->bytes, true);
}

void fleet_feed_tracker(struct fleet *f, enum tracker_peer_change what,
			const struct tracker_peer_info *p, const char *os_name, uint64_t total)
{
	enum fleet_tracker_event ev = FLEET_TRACKER_NONE;

	switch (what) {
	case TRACKER_PEER_NEW:
		ev = p->last_event == TRACKER_EVENT_STARTED ? FLEET_TRACKER_STARTED
							    : FLEET_TRACKER_NONE;
		break;
	case TRACKER_PEER_UPDATE:
		ev = p->last_event == TRACKER_EVENT_COMPLETED ? FLEET_TRACKER_COMPLETED
							      : FLEET_TRACKER_NONE;
		break;
	case TRACKER_PEER_STOPPED:
	case TRACKER_PEER_EXPIRED: ev = FLEET_TRACKER_STOPPED; break;
	}
	/* A client that does not know the size yet (a magnet) says left
	 * only: the torrent's own size is the better total. */
	if (!total)
		total = p->left + p->downloaded;
	fleet_tracker(f, p->addr.addr, p->addr.port, p->info_hash, os_name, p->left, total,
		      p->uploaded, p->downloaded, ev);
}
