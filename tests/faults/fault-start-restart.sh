#!/bin/bash
# Fault: `boottorrent start` is restarted in the middle of a distribution.
# The nodes reconnect (tracker and seeder) and complete; the DHCP leases
# given before the restart survive it.
#
# Three nodes take a lease with udhcpc (as phase 1 does), fetch the bundle
# over TFTP and start their agents. When n1 is a fifth done, start gets
# SIGTERM, stays down 3 s and starts again on the same environment. Every
# agent must complete within 60 s with a correct image, every node's server
# connection must come back, and the nodes asking again for a lease, in the
# reverse order, must get the addresses they had.
# FT_NODES and other word lists are split on purpose.
# shellcheck disable=SC2086
set -eu
. "$SRCDIR/tests/lib/fault.sh"
fault_init restart 16
fault_yaml seed_time 30
fault_server_start
for n in n1 n2 n3; do
	fault_node "$n"
	fault_dhcp "$n"
	fault_bundle "$n"
	echo "  $n ${FT_MAC[$n]}: lease ${FT_IP[$n]}"
done
declare -A before
for n in $FT_NODES; do
	before[$n]=${FT_IP[$n]}
done

for n in $FT_NODES; do
	fault_agent "$n"
done
fault_wait_progress 60 n1 20
fault_server_stop
ft_log "start stopped; n1 $(fault_progress n1) %, n2 $(fault_progress n2) %, n3 $(fault_progress n3) %"
left=0
for n in $FT_NODES; do
	fault_complete "$n" || left=$((left + 1))
	grep -q "${before[$n]}" "$FT_ENV/out/leases" ||
		fault_fail "the lease of $n (${before[$n]}) is not in the lease file"
done
[ "$left" -gt 0 ] || fault_fail "every node completed before the restart: the test proves nothing"
sleep 3
restart_at=$(date +%s.%N)
# Each agent prints one line a second; the lines from now on are after the restart.
declare -A mark
for n in $FT_NODES; do
	mark[$n]=$(wc -l <"$FT/$n/agent.out")
done
fault_server_start
ft_log "start is back"

fault_wait_complete 60 $FT_NODES
awk -v a="$restart_at" -v b="$(date +%s.%N)" \
	'BEGIN { printf "  every node complete %.1f s after start was restarted\n", b - a }'
# Every node that still needed pieces reconnected to the server's seeder
# (its progress lines say "server connected" again).
for n in $FT_NODES; do
	if tail -n +"${mark[$n]}" "$FT/$n/agent.out" | grep -q 'downloading into.*server connected'; then
		continue
	fi
	tail -n +"${mark[$n]}" "$FT/$n/agent.out" | grep -q '^seeding' &&
		! tail -n +"${mark[$n]}" "$FT/$n/agent.out" | grep -q '^downloading' &&
		continue
	fault_fail "$n did not reconnect to the server's seeder after the restart"
done
fault_wait_exit 60 $FT_NODES

# Leases: asked again in the reverse order (a server that forgot them
# would hand out the first free address to the first to ask).
for n in n3 n2 n1; do
	fault_dhcp "$n"
	echo "  $n ${FT_MAC[$n]}: lease ${FT_IP[$n]} (before the restart ${before[$n]})"
	[ "${FT_IP[$n]}" = "${before[$n]}" ] ||
		fault_fail "$n got ${FT_IP[$n]} after the restart, ${before[$n]} before"
done
# The server knows the machines again, by MAC, with those addresses.
fault_status >"$FT/status.json"
for n in $FT_NODES; do
	/usr/bin/python3 - "$FT/status.json" "${FT_MAC[$n]}" "${FT_IP[$n]}" <<'PY' ||
import json, sys
st = json.load(open(sys.argv[1]))
sys.exit(0 if any(m["mac"] == sys.argv[2] and m["ip"] == sys.argv[3]
                  for m in st["machines"]) else 1)
PY
		fault_fail "/api/status does not show $n (${FT_MAC[$n]} ${FT_IP[$n]})"
done
fault_pass
