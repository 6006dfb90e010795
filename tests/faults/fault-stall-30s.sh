#!/bin/bash
# Fault: a node's download stalls for 30 s (server and peers unreachable).
# The agent says so, retries, and completes once the network returns.
#
# Two nodes fetch a 16 MiB OS from `boottorrent start` (uplink 40 Mbit/s,
# nodes 20 Mbit/s). Once n1 has a tenth, nft in its namespace drops every
# packet in and out of its eth0 for 30 s (silently: its TCP connections are
# not reset, they just go quiet). The agent's contract (docs/agent.md): when
# no payload byte arrives for 10 s its plain output prints a line starting
# with "stalled:" (the full-screen view: "Download stalled: ..."), and one
# starting with "resumed:" when bytes flow again. Checked: n1's progress
# does not move while cut off (from 3 s after the cut, when what was in
# flight has landed); "stalled:" within 20 s of the cut; after the network
# returns, "resumed:" and completion within 30 s, with a correct image; n2
# completes meanwhile, not held up by its silent peer.
# FT_NODES and other word lists are split on purpose.
# shellcheck disable=SC2086
set -eu
. "$SRCDIR/tests/lib/fault.sh"
CUT=30
fault_init stall 16
fault_yaml seed_time 60
fault_server_start
for n in n1 n2; do
	fault_node "$n"
	fault_dhcp "$n"
	fault_bundle "$n"
done
for n in n1 n2; do
	fault_agent "$n"
done
fault_wait_progress 60 n1 10
lab_exec n1 nft -f - <<'NFT'
table inet ftstall {
	chain in { type filter hook input priority 0; iifname "eth0" counter drop; }
	chain out { type filter hook output priority 0; oifname "eth0" counter drop; }
}
NFT
cut_at=$(date +%s)
mark=$(wc -l <"$FT/n1/agent.out")
ft_log "n1 cut off from the network at $(fault_progress n1) %"
# The agent prints its progress once a second, and what was already in its
# socket buffers still arrives: read where it stands 3 s after the cut.
sleep 3
at=$(fault_progress n1)
at2=$(fault_progress n2)

# While cut off: the progress stands still, and the agent says it stalled.
said=""
while [ $(($(date +%s) - cut_at)) -lt "$CUT" ]; do
	fault_alive n1 || fault_fail "n1's agent ended while cut off"
	if [ -z "$said" ] && tail -n +"$mark" "$FT/n1/agent.out" | grep -q '^stalled:'; then
		said=$(($(date +%s) - cut_at))
		ft_log "n1 said, $said s after the cut: $(grep -m 1 '^stalled:' "$FT/n1/agent.out")"
	fi
	sleep 0.5
done
now_at=$(fault_progress n1)
[ "$now_at" = "$at" ] || fault_fail "n1 went from $at % to $now_at % while cut off"
[ -n "$said" ] || fault_fail "n1's agent did not say 'stalled:' in $CUT s without data"
[ "$said" -le 20 ] || fault_fail "n1's agent said 'stalled:' only after $said s"
# n2 is not held up by its silent peer: it finishes while n1 is still cut
# off (16 MiB at 20 Mbit/s is 7 s; a super-seeder that waited for n1 to
# take each piece gave n2 one offer per 2 s and 27 s in all; docs/faults.md).
fault_complete n2 || fault_fail "n2 did not finish in the $CUT s n1 was cut off"
ft_log "n2 at $(fault_progress n2) % (was $at2 %)"

lab_exec n1 nft delete table inet ftstall
back_at=$(date +%s.%N)
ft_log "n1's network is back"
fault_wait_complete "$CUT" n1
done_after=$(awk -v a="$back_at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
ft_log "n1 complete $done_after s after the network came back"
lab_wait 5 grep -q '^resumed:' "$FT/n1/agent.out" ||
	fault_fail "n1's agent did not say 'resumed:'"
echo "  n1: $(grep -m 1 '^resumed:' "$FT/n1/agent.out")"
fault_wait_complete 60 n2
fault_wait_exit 60 n1 n2
fault_pass
