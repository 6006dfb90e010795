/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The tracker module's public interface, for other modules:
 *   tracker/wire.h    wire formats (HTTP query and replies, BEP 15 packets)
 *   tracker/client.h  the announce client of one torrent (used by bt/, agent/)
 *   tracker/server.h  our tracker for `boottorrent start` (used by server/)
 */
#ifndef BT_TRACKER_TRACKER_H
#define BT_TRACKER_TRACKER_H

#include "tracker/client.h"
#include "tracker/server.h"
#include "tracker/wire.h"

#endif
