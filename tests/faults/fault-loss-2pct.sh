#!/bin/bash
# Fault: 2 % random packet loss on every link. DHCP, TFTP and the swarm
# still complete; the times are printed next to the same steps without loss.
#
# The kernel has no netem: nft in every namespace (server and nodes) drops
# 2 % of the packets it receives (`numgen random mod 100 < 2`), so each
# direction of each link loses 2 %. Two passes on the same LAN, first
# without loss, then with it; in each, three nodes take a lease with udhcpc
# (as phase 1: 2 s retry) and fetch bundle.cpio with tftp-hpa, n1 also a
# 512 KiB file with curl (blksize 1468; TFTP waits a whole retransmit
# timeout, 1 s, for every lost packet, see docs/faults.md), then their agents fetch a 16 MiB OS from
# `boottorrent start` (uplink 40 Mbit/s, nodes 20 Mbit/s). Every step must
# succeed, with byte-identical files, within its time limit (with loss: DHCP
# 30 s, each TFTP file 60 s, the swarm 90 s).
# FT_NODES and other word lists are split on purpose.
# shellcheck disable=SC2086
set -eu
. "$SRCDIR/tests/lib/fault.sh"
command -v tftp >/dev/null || { echo "skip: tftp-hpa's tftp is not installed"; exit 77; }
fault_init loss 16
fault_yaml seed_time 30
fault_server_start
head -c $((512 * 1024)) /dev/urandom >"$FT_ENV/out/boot/file512k.bin"
for n in n1 n2 n3; do
	fault_node "$n"
done

# secs COMMAND...: run it, set TOOK to the seconds it took.
secs() {
	local t0 rc=0
	t0=$(date +%s.%N)
	"$@" || rc=$?
	TOOK=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	return $rc
}
maxof() {
	printf '%s\n' "$@" | sort -g | tail -n 1
}

declare -A RES
pass() {
	local loss=$1 n dh=() tb=() tf=() t0
	for n in $FT_NODES; do
		lab_exec "$n" ip -4 addr flush dev eth0
		rm -rf "$FT/$n/data" "$FT/$n/bundle.cpio" "$FT/$n/file512k.bin"
		fault_dhcp "$n"
		dh+=("$FT_TOOK")
		secs timeout 60 ip netns exec "$(lab_ns "$n")" tftp -m binary 10.77.0.1 \
			-c get bundle.cpio "$FT/$n/bundle.cpio" ||
			fault_fail "$n: tftp-hpa could not fetch bundle.cpio (loss $loss %)"
		tb+=("$TOOK")
		cmp -s "$FT/$n/bundle.cpio" "$FT_ENV/out/boot/bundle.cpio" ||
			fault_fail "$n: bundle.cpio differs (loss $loss %)"
		[ "$n" = n1 ] || continue
		secs lab_exec "$n" curl -sf --max-time 60 --tftp-blksize 1468 \
			-o "$FT/$n/file512k.bin" tftp://10.77.0.1/file512k.bin ||
			fault_fail "$n: curl could not fetch file512k.bin over TFTP (loss $loss %)"
		tf+=("$TOOK")
		cmp -s "$FT/$n/file512k.bin" "$FT_ENV/out/boot/file512k.bin" ||
			fault_fail "$n: file512k.bin differs (loss $loss %)"
	done
	for n in $FT_NODES; do
		rm -rf "$FT/$n/root"
		mkdir -p "$FT/$n/root"
		(cd "$FT/$n/root" && cpio -id --quiet <"$FT/$n/bundle.cpio")
	done
	t0=$(date +%s.%N)
	for n in $FT_NODES; do
		fault_agent "$n"
	done
	fault_wait_complete 90 $FT_NODES
	RES[$loss]=$(printf '%-6s %10s %12s %12s %10s' "$loss %" "$(maxof "${dh[@]}")" \
		"$(maxof "${tb[@]}")" "$(maxof "${tf[@]}")" \
		"$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')")
	fault_wait_exit 60 $FT_NODES
	ft_log "pass with $loss % loss done"
}

pass 0
for h in srv n1 n2 n3; do
	lab_loss "$h" 2
done
pass 2
dropped=0
for h in srv n1 n2 n3; do
	d=$(lab_exec "$h" nft list table inet btloss | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	dropped=$((dropped + ${d:-0}))
done

echo "packets dropped by the loss rules: $dropped"
echo "slowest node of 3, seconds (the swarm: from the agents' start to all complete)"
printf '%-6s %10s %12s %12s %10s\n' loss DHCP "TFTP bundle" "TFTP 512 KiB" swarm
echo "${RES[0]}"
echo "${RES[2]}"
fault_pass
