#!/bin/bash
# Fault: the server's seeder goes silent once the nodes together hold one
# full copy of the image; every node still completes, from the others.
#
# Four phase-1-like nodes (udhcpc, TFTP bundle, the agent) fetch a 16 MiB
# OS from `boottorrent start` (uplink 40 Mbit/s, nodes 20 Mbit/s). An
# observer reads the nodes' bitfields (tests/lib/bt-pieces.py); when their
# union covers every piece, nft inside the server's namespace drops all
# traffic of its BitTorrent port, both ways, without a reset: the seeder
# vanishes as a hung or unplugged one would. The tracker, DHCP and HTTP keep
# running. Every node must then complete within 60 s with a correct image.
# FT_NODES and other word lists are split on purpose.
# shellcheck disable=SC2086
set -eu
. "$SRCDIR/tests/lib/fault.sh"
N=4
fault_init seeder 16
fault_yaml seed_time 30
fault_server_start
lab_host obs 10.77.0.250/24
for i in $(seq 1 $N); do
	fault_node "n$i"
	fault_dhcp "n$i"
	fault_bundle "n$i"
done
torrent=$FT/n1/root/etc/boottorrent/bundle/torrents/os1.torrent
info=$("$BOOTTORRENT" torrent-info "$torrent")
ih=$(echo "$info" | awk '/^Info hash:/ { print $3 }')
pieces=$(echo "$info" | awk '/^Pieces:/ { print $2 }')
peers=""
for n in $FT_NODES; do
	peers="$peers ${FT_IP[$n]}:6881"
done

ft_log "starting $N agents"
for n in $FT_NODES; do
	fault_agent "$n"
done
# shellcheck disable=SC2086
lab_exec obs timeout 90 /usr/bin/python3 "$SRCDIR/tests/lib/bt-pieces.py" --until-full 60 \
	"$ih" "$pieces" $peers >"$FT/pieces.log" 2>&1 ||
	fault_fail "the nodes never held a full copy: $(tail -n 1 "$FT/pieces.log")"
lab_exec srv nft -f - <<'NFT'
table inet ftseed {
	chain in { type filter hook input priority 0; tcp dport 6881 counter drop; tcp sport 6881 counter drop; }
	chain out { type filter hook output priority 0; tcp sport 6881 counter drop; tcp dport 6881 counter drop; }
}
NFT
ft_log "the nodes hold one full copy: $(tail -n 1 "$FT/pieces.log")"
for n in $FT_NODES; do
	echo "  $n at $(fault_progress "$n") %"
done
sent=$(fault_status_get server_upload_bytes)
ft_log "the server's seeder is cut off, having sent ${sent:-?} bytes ($(stat -c %s "$FT_IMAGE") is one copy)"
left=0
for n in $FT_NODES; do
	fault_complete "$n" || left=$((left + 1))
done
[ "$left" -gt 0 ] || fault_fail "every node completed before the seeder stopped: the test proves nothing"

fault_wait_complete 60 $FT_NODES
fault_wait_exit 60 $FT_NODES
lab_exec srv nft list table inet ftseed | grep -o 'counter packets [0-9]*' | head -n 2 |
	sed 's/^/  seeder packets dropped: /'
fault_pass
