#!/bin/bash
# Fault: a node dies mid-download and another joins late. The others
# complete; the late node completes from the peers alone.
#
# Four nodes download a 16 MiB OS from `boottorrent start` (uplink
# 40 Mbit/s, nodes 20 Mbit/s). When n2 is a quarter done it is switched off:
# its link goes down, then its agent is killed, so no FIN or RST tells the
# others (as with a power cut). Once n1 is half done a fifth node boots (DHCP,
# TFTP, agent) with nft in its namespace dropping all traffic to and from
# the server's BitTorrent port (the tracker stays reachable): whatever it
# gets comes from peers. n1, n3, n4 and n5 must complete within 60 s with a
# correct image, the server's log must show no connection from n5, and an
# agent that counts bytes by source must count none from the server.
# FT_NODES and other word lists are split on purpose.
# shellcheck disable=SC2086
set -eu
. "$SRCDIR/tests/lib/fault.sh"
fault_init killed 16
fault_yaml seed_time 30
fault_server_start
for n in n1 n2 n3 n4; do
	fault_node "$n"
	fault_dhcp "$n"
	fault_bundle "$n"
done
fault_node n5
lab_exec n5 nft -f - <<'NFT'
table inet ftlate {
	chain out { type filter hook output priority 0; ip daddr 10.77.0.1 tcp dport 6881 counter drop; }
	chain in {
		type filter hook input priority 0;
		ip saddr 10.77.0.1 tcp sport 6881 counter drop;
		ip saddr 10.77.0.1 tcp dport 6881 counter drop;
	}
}
NFT

ft_log "starting the agents of n1-n4"
for n in n1 n2 n3 n4; do
	fault_agent "$n"
done
fault_wait_progress 60 n2 25
fault_kill n2
ft_log "n2 switched off at $(fault_progress n2) %; n1 $(fault_progress n1) %, n3 $(fault_progress n3) %, n4 $(fault_progress n4) %"

fault_wait_progress 60 n1 50
ft_log "n1 at $(fault_progress n1) %: n5 boots, with the server's seeder out of its reach"
fault_dhcp n5
fault_bundle n5
fault_agent n5
fault_wait_complete 60 n1 n3 n4 n5
fault_wait_exit 60 n1 n3 n4 n5

# n5 tried the server's seeder (packets dropped) and never reached it.
dropped=$(lab_exec n5 nft list table inet ftlate | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' |
	awk '{ s += $1 } END { print s + 0 }')
ft_log "packets between n5 and the seeder dropped: $dropped"
[ "$dropped" -gt 0 ] || fault_fail "n5 never tried the server's seeder: the block proves nothing"
ip5=${FT_IP[n5]}
if grep -q "PEER: .*$ip5:[0-9]*: connected" "$FT/srv.log"; then
	fault_fail "the server's seeder had a connection with n5 ($ip5)"
fi
if grep -q 'server connected' "$FT/n5/agent.out"; then
	fault_fail "n5's agent says it was connected to the server"
fi
# An agent that counts bytes by source (branch s2-agent) must say that
# none came from the server.
last=$(grep '^seeding for' "$FT/n5/agent.out" | tail -n 1)
case $last in
*"from server"*)
	echo "  n5: $(printf "%s" "$last" | sed "s/.*\(from server .*\) ETA.*/\1/")"
	case $last in *"from server 0 B "*) ;; *) fault_fail "n5's agent counts bytes from the server" ;; esac
	;;
esac
fault_pass
