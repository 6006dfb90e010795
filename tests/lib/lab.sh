# Shared helpers for tests, demos and benchmarks that need a virtual LAN.
# Source it from bash:  . "$SRCDIR/tests/lib/lab.sh"
#
# Everything it creates is named with a per-run prefix and removed by
# lab_cleanup, which lab_init installs as an EXIT/INT/TERM trap, so a failing
# or interrupted test leaves no namespace, link or process behind.
#
#   lab_init dhcp                 # prefix "bt<pid>", traps installed
#   lab_switch                    # namespace "$LAB_SW" holding bridge br0
#   lab_host srv 10.77.0.1/24     # namespace "$LAB_P-srv", veth eth0 on br0
#   lab_host cli                  # a host with no address (for DHCP clients)
#   lab_exec srv ip addr          # run a command in a host
#   lab_bg srv my-server ...      # start in background, killed at cleanup
#   lab_wait 10 test -f file      # poll a condition, at most 10 s
#   lab_shape srv 200mbit         # HTB egress shaping on the host's eth0
#
# Addresses used by tests belong to 10.77.0.0/16, only inside these namespaces.

. "$(dirname "${BASH_SOURCE[0]}")/procs.sh"

LAB_P=""
LAB_SW=""
LAB_PIDS=""
LAB_HOSTS=""
LAB_TMP=""

# lab_counts MAX USAGE N...: every N a whole number from 1 to MAX, else the
# usage line and exit 2 (the benchmarks' machine counts).
lab_counts() {
	local max=$1 usage=$2 n
	shift 2
	for n in "$@"; do
		case $n in
		'' | *[!0-9]* | 0*) ;;
		*) [ "$n" -le "$max" ] && continue ;;
		esac
		echo "usage: $usage" >&2
		exit 2
	done
}

lab_die() {
	echo "lab: $*" >&2
	exit 1
}

lab_need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "lab: network namespaces need root; skipping" >&2
		exit 77
	fi
}

lab_init() {
	lab_need_root
	LAB_P="bt$$${1:+-$1}"
	LAB_P=$(printf '%s' "$LAB_P" | cut -c1-20)
	LAB_TMP=$(mktemp -d "/tmp/$LAB_P.XXXXXX")
	chmod 755 "$LAB_TMP"
	trap lab_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

lab_cleanup() {
	local rc=$? ns
	trap - EXIT INT TERM
	# shellcheck disable=SC2086 # a list of pids
	procs_stop $LAB_PIDS
	for ns in $LAB_HOSTS $LAB_SW; do
		# Anything still running in the namespace goes with it.
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	[ -z "$LAB_TMP" ] || rm -rf "$LAB_TMP"
	exit $rc
}

# lab_switch: a namespace with a bridge br0 that every host plugs into.
lab_switch() {
	LAB_SW="$LAB_P-sw"
	ip netns add "$LAB_SW"
	ip -n "$LAB_SW" link set lo up
	ip -n "$LAB_SW" link add br0 type bridge
	ip -n "$LAB_SW" link set br0 up
}

# lab_ns NAME: the namespace name of host NAME.
lab_ns() {
	printf '%s-%s' "$LAB_P" "$1"
}

# lab_host NAME [ADDR/PREFIX]: a namespace with eth0 plugged into br0.
lab_host() {
	local name=$1 addr=${2:-} ns idx
	ns=$(lab_ns "$name")
	ip netns add "$ns"
	LAB_HOSTS="$LAB_HOSTS $ns"
	idx=$(printf '%s' "$LAB_HOSTS" | wc -w)
	ip -n "$ns" link set lo up
	# The switch-side name must be unique in the switch and <= 15 chars.
	ip link add "v$$-$idx" type veth peer name eth0 netns "$ns"
	ip link set "v$$-$idx" netns "$LAB_SW"
	ip -n "$LAB_SW" link set "v$$-$idx" master br0 up
	ip -n "$ns" link set eth0 up
	if [ -n "$addr" ]; then
		ip -n "$ns" addr add "$addr" dev eth0
	fi
}

# lab_exec NAME CMD...: run in host NAME's namespace.
lab_exec() {
	local ns
	ns=$(lab_ns "$1")
	shift
	ip netns exec "$ns" "$@"
}

# lab_bg NAME CMD...: run in the background in host NAME; killed at cleanup.
# The pid is left in LAB_LAST_PID.
lab_bg() {
	local ns
	ns=$(lab_ns "$1")
	shift
	ip netns exec "$ns" "$@" &
	LAB_LAST_PID=$!
	LAB_PIDS="$LAB_PIDS $LAB_LAST_PID"
}

# lab_wait SECONDS CMD...: poll CMD every 0.1 s until it succeeds; fails
# after SECONDS.
lab_wait() {
	local limit=$1 i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -lt $((limit * 10)) ] || return 1
		sleep 0.1
	done
}

# lab_shape NAME RATE [DEV]: shape host NAME's egress on DEV (default eth0)
# to RATE with HTB (this kernel has no netem/fq_codel), a burst of a few ms
# and a bfifo of about 100 ms of line rate (see LAB.md).
lab_shape() {
	local name=$1 rate=$2 dev=${3:-eth0} ns bits bytes burst limit
	ns=$(lab_ns "$name")
	case $rate in
	*gbit) bits=$((${rate%gbit} * 1000000000)) ;;
	*mbit) bits=$((${rate%mbit} * 1000000)) ;;
	*kbit) bits=$((${rate%kbit} * 1000)) ;;
	*) lab_die "lab_shape: rate '$rate' must end in gbit, mbit or kbit" ;;
	esac
	bytes=$((bits / 8))
	burst=$((bytes / 200 > 3200 ? bytes / 200 : 3200))   # ~5 ms
	limit=$((bytes / 10 > 30000 ? bytes / 10 : 30000))    # ~100 ms
	ip netns exec "$ns" tc qdisc replace dev "$dev" root handle 1: htb default 1
	ip netns exec "$ns" tc class replace dev "$dev" parent 1: classid 1:1 htb \
		rate "$rate" ceil "$rate" burst "$burst" cburst "$burst" quantum 60000
	ip netns exec "$ns" tc qdisc replace dev "$dev" parent 1:1 handle 10: bfifo limit "$limit"
}

# lab_shape_switch_port IDX RATE: shape what the switch sends towards host
# number IDX (1-based, in lab_host order): that host's download rate.
lab_shape_down() {
	local idx=$1 rate=$2 bits bytes burst limit
	case $rate in
	*gbit) bits=$((${rate%gbit} * 1000000000)) ;;
	*mbit) bits=$((${rate%mbit} * 1000000)) ;;
	*kbit) bits=$((${rate%kbit} * 1000)) ;;
	*) lab_die "lab_shape_down: bad rate '$rate'" ;;
	esac
	bytes=$((bits / 8))
	burst=$((bytes / 200 > 3200 ? bytes / 200 : 3200))
	limit=$((bytes / 10 > 30000 ? bytes / 10 : 30000))
	ip netns exec "$LAB_SW" tc qdisc replace dev "v$$-$idx" root handle 1: htb default 1
	ip netns exec "$LAB_SW" tc class replace dev "v$$-$idx" parent 1: classid 1:1 htb \
		rate "$rate" ceil "$rate" burst "$burst" cburst "$burst" quantum 60000
	ip netns exec "$LAB_SW" tc qdisc replace dev "v$$-$idx" parent 1:1 handle 10: bfifo limit "$limit"
}

# lab_loss NAME PERCENT: drop PERCENT % of packets entering host NAME (nft).
lab_loss() {
	local ns
	ns=$(lab_ns "$1")
	ip netns exec "$ns" nft add table inet btloss
	ip netns exec "$ns" nft add chain inet btloss in '{ type filter hook input priority 0; }'
	ip netns exec "$ns" nft add rule inet btloss in numgen random mod 100 '<' "$2" counter drop
}

# lab_bridge BR: another bridge in the switch namespace (lab_switch makes br0),
# for tests that need a second LAN.
lab_bridge() {
	ip -n "$LAB_SW" link add "$1" type bridge
	ip -n "$LAB_SW" link set "$1" up
}

# lab_nic NAME DEV BR [ADDR/PREFIX]: one more interface DEV in host NAME,
# plugged into bridge BR of the switch.
LAB_NICS=0
lab_nic() {
	local name=$1 dev=$2 br=$3 addr=${4:-} ns port
	ns=$(lab_ns "$name")
	LAB_NICS=$((LAB_NICS + 1))
	port="n$$-$LAB_NICS"
	ip link add "$port" type veth peer name "$dev" netns "$ns"
	ip link set "$port" netns "$LAB_SW"
	ip -n "$LAB_SW" link set "$port" master "$br" up
	ip -n "$ns" link set "$dev" up
	if [ -n "$addr" ]; then
		ip -n "$ns" addr add "$addr" dev "$dev"
	fi
}

# lab_attach NAME BR: move host NAME's eth0 from br0 to bridge BR.
lab_attach() {
	local ns peer port
	ns=$(lab_ns "$1")
	# eth0 is shown as "eth0@ifN", N being its peer's index in the switch.
	peer=$(ip -n "$ns" -o link show eth0 | sed -n 's/^[0-9]*: eth0@if\([0-9]*\):.*/\1/p')
	port=$(ip -n "$LAB_SW" -o link | sed -n "s/^$peer: \([^@:]*\)[@:].*/\1/p")
	[ -n "$port" ] || lab_die "lab_attach: no switch port for $1"
	ip -n "$LAB_SW" link set "$port" master "$2"
}
