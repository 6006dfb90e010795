# shellcheck shell=bash disable=SC2034 # FT_* are read by the tests that source this
# Shared by tests/faults/fault-*.sh: a `boottorrent start` server and
# phase-1-like nodes (udhcpc, the bundle over TFTP, then the real agent with
# --no-boot as a process) in namespaces on one bridge, with shaped links so
# that timings do not depend on the machine's speed. Source it from bash:
#
#   . "$SRCDIR/tests/lib/fault.sh"
#   fault_init NAME MIB           lab, server namespace 10.77.0.1, environment
#                                 with one OS "os1" of MIB MiB ($FT_IMAGE)
#   fault_server_start            `boottorrent start`, pid in $FT_SRV
#   fault_node n1                 a node namespace, MAC 52:54:00:77:00:01...
#   fault_dhcp n1                 udhcpc as phase 1 runs it: ${FT_IP[n1]}
#   fault_bundle n1               bundle.cpio over TFTP, unpacked
#   fault_agent n1                the agent in the background, ${FT_PID[n1]}
#   fault_wait_complete 60 n1 n2  every agent says "complete", else fail
#   fault_wait_exit 30 n1 n2      every agent exits 0 with a correct image
#   fault_fail "why"              the machines' state, then exit 1 (77 when
#                                 another program filled the kernel's ARP table)
#   fault_pass                    sanitizer findings fail; prints PASS
#
# Knobs: FAULT_LOGS=DIR keeps every log of the run; FAULT_SUPER_SEED=false
# and FAULT_PIECE=SIZE change the environment's swarm settings, to compare.
#
# Links: the server's uplink is shaped to FAULT_UP (default 40) Mbit/s and
# every node to FAULT_DOWN (default 20) Mbit/s each way, so one copy of a
# 16 MiB image takes 3.4 s from the server and 6.7 s into a node.
# Everything lives in lab.sh's namespaces and temp folder, removed at exit.

. "$SRCDIR/tests/lib/lab.sh"
. "$SRCDIR/tests/lib/testenv.sh"

FAULT_UP=${FAULT_UP:-40}
FAULT_DOWN=${FAULT_DOWN:-20}
FT=""
FT_ENV=""
FT_IMAGE=""
FT_SRV=""
FT_NODES=""
FT_NODE_COUNT=0
FT_T0=$(date +%s.%N)
declare -A FT_PID FT_IP FT_MAC
FT_TOOK=""  # seconds the last fault_dhcp or fault_bundle took

# ft_now: seconds since the test began, one decimal.
ft_now() {
	awk -v a="$FT_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

# ft_log MSG: a line with the test's clock, so the log reads as a timeline.
ft_log() {
	echo "[$(ft_now) s] $*"
}

# ft_arp_entries: neighbour entries in the kernel's ARP table, which all
# namespaces of the machine share; ft_arp_max: its hard limit (gc_thresh3).
ft_arp_entries() {
	echo $((0x$(awk 'NR == 2 { print $1 }' /proc/net/stat/arp_cache)))
}
ft_arp_max() {
	cat /proc/sys/net/ipv4/neigh/default/gc_thresh3
}

# ft_arp_full: true when the shared ARP table is (nearly) full and the
# entries are not ours: another program's namespaces crowd it out, and no
# namespace can then resolve a new neighbour, not even for a broadcast.
ft_arp_full() {
	local ours=0 ns
	[ "$(ft_arp_entries)" -ge $(($(ft_arp_max) * 95 / 100)) ] || return 1
	for ns in $LAB_HOSTS $LAB_SW; do
		ours=$((ours + $(ip -n "$ns" neigh show 2>/dev/null | wc -l)))
	done
	[ "$ours" -lt 100 ]
}

# fault_init NAME MIB: the lab, the server's namespace (shaped uplink) and the
# environment: Boottorrent.yaml from testenv.sh and one OS "os1".
fault_init() {
	local end=$((SECONDS + 120))
	lab_init "$1"
	# A full ARP table would fail the test for a reason outside it: wait
	# (bounded) for room, else skip.
	if ft_arp_full; then
		echo "the kernel's ARP table is full ($(ft_arp_entries) of $(ft_arp_max))," \
			"filled by another program; waiting for room"
	fi
	while ft_arp_full; do
		if [ "$SECONDS" -ge "$end" ]; then
			echo "SKIP: the kernel's ARP table stayed full for 2 minutes"
			exit 77
		fi
		sleep 1
	done
	lab_switch
	lab_host srv 10.77.0.1/24
	lab_shape srv "${FAULT_UP}mbit"
	FT=$LAB_TMP
	FT_ENV=$FT/env
	testenv_make "$FT_ENV" "$2"
	# 256 KiB pieces: a 16 MiB image in 64 pieces, each taking about as
	# long on a 20 Mbit/s link as a real image's pieces (~1,000 of 512 KiB
	# and more, as start chooses them) take on a LAN; start's choice for
	# 16 MiB, 16 KiB, would make the per-piece overhead dominate.
	# FAULT_SUPER_SEED=false: the same without super-seeding, to compare.
	sed -i "s/super_seed: true}/super_seed: ${FAULT_SUPER_SEED:-true}, piece_size: ${FAULT_PIECE:-256k}}/" \
		"$FT_ENV/Boottorrent.yaml"
	FT_IMAGE=$FT_ENV/oss/os1/image.bin
	# The lease script: configure the address as phase 1's does, note the
	# lease; nothing touches the host's files (resolv.conf).
	cat >"$FT/udhcpc.sh" <<'SH'
#!/bin/sh
case $1 in
deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
bound | renew)
	if ! ip -4 addr show dev "$interface" | grep -q " $ip/"; then
		ip -4 addr flush dev "$interface"
		ip addr add "$ip/${mask:-24}" dev "$interface"
	fi
	echo "$ip" >"$LEASE_OUT" ;;
esac
exit 0
SH
	chmod 755 "$FT/udhcpc.sh"
}

# fault_yaml KEY VALUE: change one "KEY: VALUE" of the environment's
# Boottorrent.yaml (testenv.sh's flow style), e.g. fault_yaml seed_time 30.
fault_yaml() {
	sed -i "s/\\b$1: [^,}]*/$1: $2/" "$FT_ENV/Boottorrent.yaml"
	grep -q "$1: $2" "$FT_ENV/Boottorrent.yaml" || lab_die "fault_yaml: no key $1"
}

fault_server_start() {
	local log=$FT/srv.log n=0
	[ ! -f "$log" ] || n=$(wc -l <"$log")
	lab_bg srv "$BOOTTORRENT" start "$FT_ENV" --log-file "$log" >>"$FT/srv.err" 2>&1
	FT_SRV=$LAB_LAST_PID
	# Wait for this run's "serving" line, not an earlier run's.
	lab_wait 30 sh -c "tail -n +$((n + 1)) '$log' | grep -q 'serving .*SIGHUP'" ||
		fault_fail "start did not come up"
}

# fault_server_stop: SIGTERM to start, which must end within 10 s.
fault_server_stop() {
	kill -TERM "$FT_SRV"
	lab_wait 10 sh -c "! kill -0 $FT_SRV" || fault_fail "start did not stop on SIGTERM"
	wait "$FT_SRV" 2>/dev/null || true
}

# fault_node NAME: a node namespace with no address, a MAC of its own, shaped
# to FAULT_DOWN both ways.
fault_node() {
	local name=$1 idx
	FT_NODE_COUNT=$((FT_NODE_COUNT + 1))
	FT_MAC[$name]=$(printf '52:54:00:77:00:%02x' "$FT_NODE_COUNT")
	lab_host "$name"
	idx=$(printf '%s' "$LAB_HOSTS" | wc -w)
	lab_exec "$name" ip link set eth0 address "${FT_MAC[$name]}"
	lab_shape "$name" "${FAULT_DOWN}mbit"
	lab_shape_down "$idx" "${FAULT_DOWN}mbit"
	FT_NODES="$FT_NODES $name"
	mkdir -p "$FT/$name"
}

# fault_dhcp NAME [TRIES]: ask for a lease as phase 1 does (udhcpc, vendor
# class boottorrent-ph1); the address lands in FT_IP[NAME] and the seconds it
# took in FT_TOOK.
fault_dhcp() {
	local name=$1 tries=${2:-5} t0
	t0=$(date +%s.%N)
	rm -f "$FT/$name/lease"
	timeout 60 ip netns exec "$(lab_ns "$name")" env LEASE_OUT="$FT/$name/lease" \
		udhcpc -i eth0 -f -q -n -t "$tries" -T 2 -A 1 -V boottorrent-ph1 \
		-s "$FT/udhcpc.sh" >>"$FT/$name/udhcpc.log" 2>&1 ||
		fault_fail "$name: udhcpc got no lease"
	FT_IP[$name]=$(cat "$FT/$name/lease")
	FT_TOOK=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
}

# fault_bundle NAME: the client bundle over TFTP (curl), unpacked as phase 1
# does; the seconds it took in FT_TOOK.
fault_bundle() {
	local name=$1 t0
	t0=$(date +%s.%N)
	lab_exec "$name" curl -sf --max-time 60 -o "$FT/$name/bundle.cpio" \
		"tftp://10.77.0.1/bundle.cpio" || fault_fail "$name: TFTP bundle.cpio failed"
	FT_TOOK=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	rm -rf "$FT/$name/root"
	mkdir -p "$FT/$name/root"
	(cd "$FT/$name/root" && cpio -id --quiet <"$FT/$name/bundle.cpio") ||
		fault_fail "$name: bundle.cpio does not unpack"
	[ -f "$FT/$name/root/etc/boottorrent/bundle/torrents/os1.torrent" ] ||
		fault_fail "$name: the bundle has no os1.torrent"
}

# fault_agent NAME [AGENT OPTIONS]: `boottorrent agent --no-boot --plain` in
# the node, as phase 1 starts it (bt.server, bt.http, BOOTIF on the command
# line, BT_IP from the lease). Output in $FT/NAME/agent.out, log in agent.err.
fault_agent() {
	local name=$1
	shift
	printf 'bt.server=10.77.0.1 bt.http=8080 BOOTIF=01-%s\n' \
		"$(printf '%s' "${FT_MAC[$name]}" | tr : -)" >"$FT/$name/cmdline"
	rm -rf "$FT/$name/data"
	lab_bg "$name" env BT_IP="${FT_IP[$name]:-}" "$BOOTTORRENT" agent \
		--bundle "$FT/$name/root/etc/boottorrent/bundle" --dir "$FT/$name/data" \
		--cmdline "$FT/$name/cmdline" --os os1 --no-boot --plain "$@" \
		>"$FT/$name/agent.out" 2>"$FT/$name/agent.err" </dev/null
	FT_PID[$name]=$LAB_LAST_PID
}

# fault_progress NAME: the agent's last printed progress, whole percent.
fault_progress() {
	local p
	p=$(grep -oE '[0-9]+\.[0-9]% ' "$FT/$1/agent.out" 2>/dev/null | tail -n 1)
	p=${p%%.*}
	echo "${p:-0}"
}

# fault_complete NAME: true once the agent has every piece verified (its
# engine logs it then; the agent's own "complete" line comes after seeding).
fault_complete() {
	grep -q 'os1: complete: all' "$FT/$1/agent.err" 2>/dev/null ||
		grep -q '^seeding for' "$FT/$1/agent.out" 2>/dev/null
}

# fault_alive NAME: the agent process still runs.
fault_alive() {
	kill -0 "${FT_PID[$1]}" 2>/dev/null
}

# fault_wait_progress SECS NAME PERCENT: until NAME printed PERCENT % or more.
fault_wait_progress() {
	local limit=$1 name=$2 pct=$3 end=$((SECONDS + $1))
	while [ "$(fault_progress "$name")" -lt "$pct" ]; do
		fault_alive "$name" || fault_fail "$name: the agent ended before $pct %"
		[ "$SECONDS" -lt "$end" ] || fault_fail "$name: not at $pct % after $limit s"
		sleep 0.1
	done
}

# fault_took NAME: the seconds the agent's download took, as it says in its
# "complete" line.
fault_took() {
	sed -n 's/^agent: os1 complete: .* in \([0-9.]*\) s,.*/\1/p' "$FT/$1/agent.out" | head -n 1
}

# fault_wait_complete SECS NAME...: until every NAME's agent said "complete";
# an agent that ends without it, or the time running out, fails the test.
fault_wait_complete() {
	local limit=$1 end=$((SECONDS + $1)) name left
	shift
	while :; do
		left=""
		for name in "$@"; do
			fault_complete "$name" && continue
			fault_alive "$name" || fault_fail "$name: the agent ended without completing"
			left="$left $name"
		done
		[ -n "$left" ] || return 0
		[ "$SECONDS" -lt "$end" ] || fault_fail "not complete after $limit s:$left"
		sleep 0.1
	done
}

# fault_wait_exit SECS NAME...: every agent exits 0 (after its seeding) with
# an image byte-identical to the server's; prints how long each download took.
# (Every wait here runs on the wall clock: under load a polling round takes
# far longer than its sleep.)
fault_wait_exit() {
	local limit=$1 end=$((SECONDS + $1)) name rc
	shift
	for name in "$@"; do
		while fault_alive "$name"; do
			[ "$SECONDS" -lt "$end" ] || fault_fail "$name: the agent still runs after $limit s"
			sleep 0.1
		done
		rc=0
		wait "${FT_PID[$name]}" || rc=$?
		[ "$rc" = 0 ] || fault_fail "$name: the agent exited with $rc"
		cmp -s "$FT_IMAGE" "$FT/$name/data/os1/image.bin" ||
			fault_fail "$name: the downloaded image differs from the server's"
		echo "  $name: its download took $(fault_took "$name") s; image correct"
	done
}

# fault_kill NAME: the node is switched off: its link goes down first (no FIN
# or RST reaches anyone, as with a power cut), then the agent is killed.
fault_kill() {
	lab_exec "$1" ip link set eth0 down
	kill -9 "${FT_PID[$1]}" 2>/dev/null || true
	wait "${FT_PID[$1]}" 2>/dev/null || true
}

# fault_status: the server's /api/status, or nothing when it does not answer.
fault_status() {
	lab_exec srv curl -sf --max-time 3 http://10.77.0.1:8080/api/status 2>/dev/null || true
}

# fault_status_get KEY: one number of /api/status's summary (e.g.
# server_upload_bytes); empty when the server does not answer.
fault_status_get() {
	fault_status | /usr/bin/python3 -c '
import json, sys
try:
    print(json.load(sys.stdin)["summary"][sys.argv[1]])
except Exception:
    pass' "$1"
}

# fault_state: what a person debugging a failure needs: the machines as the
# server sees them, each agent's last lines, the server's log.
fault_state() {
	local name
	echo "=== machines in /api/status at $(ft_now) s"
	fault_status | /usr/bin/python3 -c '
import json, sys
try:
    st = json.load(sys.stdin)
except Exception:
    print("(the server does not answer)")
    sys.exit(0)
s = st["summary"]
print("server sent %s bytes (%s copies), peers exchanged %s" % (
    s["server_upload_bytes"], s["server_copies"], s["peer_exchange_bytes"]))
for m in st["machines"]:
    print("  %-17s %-15s %-12s %5.1f%% peers %3s %s" % (m["mac"], m["ip"], m["phase"],
          m["progress"] / 10, m["peers"], m["error"]))'
	for name in $FT_NODES; do
		echo "=== $name (${FT_MAC[$name]} ${FT_IP[$name]:-no lease}) agent output, last lines"
		tail -n 4 "$FT/$name/agent.out" 2>/dev/null || true
		echo "--- $name agent log, last lines"
		tail -n 12 "$FT/$name/agent.err" 2>/dev/null || true
		echo "--- $name udhcpc, last lines"
		tail -n 4 "$FT/$name/udhcpc.log" 2>/dev/null || true
	done
	# The kernel's ARP table is shared by every namespace of the machine:
	# when full (gc_thresh3), replies are dropped, broadcast ones too.
	echo "=== kernel ARP entries (all namespaces): $(ft_arp_entries) of $(ft_arp_max)"
	echo "=== server log, last lines"
	tail -n 30 "$FT/srv.log" 2>/dev/null || true
}

# ft_keep: with FAULT_LOGS=DIR, every log of the run is copied there.
ft_keep() {
	[ -n "${FAULT_LOGS:-}" ] || return 0
	mkdir -p "$FAULT_LOGS"
	(cd "$FT" && find . -name '*.log' -o -name '*.out' -o -name '*.err' -o -name lease |
		cpio -pdm --quiet "$FAULT_LOGS") || true
}

fault_fail() {
	echo "FAIL at $(ft_now) s: $*"
	fault_state
	ft_keep
	if ft_arp_full; then
		# Nothing on the network works while another program fills the
		# kernel's ARP table: this run proves nothing either way.
		echo "SKIP: the kernel's ARP table is full ($(ft_arp_entries) of $(ft_arp_max))" \
			"with entries of other namespaces; the failure above may be due to that"
		exit 77
	fi
	exit 1
}

# fault_pass: our programs report sanitizer findings (leaks at exit too) only
# in their logs; a finding fails the test.
fault_pass() {
	local f
	for f in "$FT/srv.log" "$FT/srv.err" "$FT"/*/agent.err; do
		if [ -f "$f" ] && grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$f"; then
			grep -E -A 20 "ERROR: (Address|Leak)Sanitizer|runtime error:" "$f" | head -n 40
			fault_fail "sanitizer findings in $f"
		fi
	done
	ft_keep
	echo "PASS ($(ft_now) s)"
}
