/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The glue between the services' callbacks and the fleet model, so that
 * `start` wires each service to the fleet with one line and the mapping
 * (which event means what, byte orders, the server's own seeder) is
 * unit-tested here rather than inside the server loop. fleet.h itself
 * stays free of other modules' structs.
 */
#ifndef BT_SERVER_FLEET_FEED_H
#define BT_SERVER_FLEET_FEED_H

#include "dhcp/dhcp.h"
#include "http/server.h"
#include "server/fleet.h"
#include "tftp/server.h"
#include "tracker/server.h"

/* A DHCP event: an OFFER (our answer to a DISCOVER) starts a boot when the
 * client is a PXE firmware; ACK and INFORM tie the address to the MAC;
 * RELEASE and DECLINE drop it. */
void fleet_feed_dhcp(struct fleet *f, const struct dhcp_event *ev);

/* A TFTP transfer event: started and finished transfers count as boot
 * files (the bytes when it finished); refused requests (pxelinux's probe
 * for per-host configuration files) do not. */
void fleet_feed_tftp(struct fleet *f, enum tftp_event ev, const struct tftp_xfer_info *info);

/* An HTTP file request (http_callbacks.file): 200 and 206 answers count. */
void fleet_feed_http(struct fleet *f, const struct http_file_info *info);

/* A change in the tracker's peer table. os_name (may be NULL) and total
 * (the torrent's size, 0 unknown) come from the torrent the server made
 * for info_hash: the tracker itself knows neither. An expired peer counts
 * as stopped. */
void fleet_feed_tracker(struct fleet *f, enum tracker_peer_change what,
			const struct tracker_peer_info *p, const char *os_name, uint64_t total);

#endif
