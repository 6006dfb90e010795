# Shared by tests/interop/bt-*.sh and bench/swarm*.sh. Source from bash.
#   bt_init NAME        temp folder $T, cleanup trap, ports from $BTP upwards
#   bt_bg NAME CMD...   start in the background, killed at exit; pid in $BT_LAST
#   bt_data DIR         a multi-file tree (sizes chosen to straddle pieces)
#   bt_torrent DIR OUT [mktorrent args...]
#   bt_wait SECS CMD... poll until CMD succeeds
#   bt_fail MSG         print the last lines of every log and exit 1
# Everything listens on 127.0.0.1 only.
set -eu

. "$(dirname "${BASH_SOURCE[0]}")/../../lib/procs.sh"

BT_PIDS=""
T=""
: "${BOOTTORRENT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/build/boottorrent}"
: "${SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"
BT_HELPERS="$SRCDIR/tests/interop/bt-helpers"
PY=/usr/bin/python3

bt_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	# shellcheck disable=SC2086 # a list of pids
	procs_stop $BT_PIDS
	# Our programs in the background report sanitizer findings (leaks at
	# exit included) only in their logs: a finding fails the test.
	if [ "$rc" = 0 ] && [ -n "$T" ] &&
		grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T"/*.log 2>/dev/null; then
		echo "FAIL: sanitizer findings in the logs above" >&2
		rc=1
	fi
	[ -z "$T" ] || rm -rf "$T"
	exit $rc
}

bt_init() {
	T=$(mktemp -d "/tmp/bt-$1.XXXXXX")
	chmod 755 "$T"
	trap bt_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	# Ports: a per-run block so parallel runs do not collide, below the
	# kernel's ephemeral range (32768 and up by default), where another
	# test's outgoing connection could hold the port ("cannot listen on
	# port 34802: Address already in use", once in CI).
	BTP=$((10000 + ($$ % 227) * 100))
}

bt_bg() {
	"$@" &
	BT_LAST=$!
	BT_PIDS="$BT_PIDS $BT_LAST"
}

bt_wait() {
	local limit=$1 i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -lt $((limit * 10)) ] || return 1
		sleep 0.1
	done
}

bt_fail() {
	echo "FAIL: $*" >&2
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f (last 15 lines)" >&2
		# Progress lines of other clients end in CR: make them lines.
		tr '\r' '\n' < "$f" | tail -n 15 >&2
	done
	exit 1
}

need() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || { echo "SKIP: $c not installed"; exit 77; }
	done
}

# bt_data DIR [MB]: files of odd sizes (one empty) under DIR/data.
bt_data() {
	local d=$1/data mb=${2:-6}
	mkdir -p "$d/sub/deeper"
	head -c $((mb * 1000000 + 12345)) /dev/urandom > "$d/image.bin"
	head -c 777777 /dev/urandom > "$d/sub/initrd.img"
	: > "$d/sub/empty"
	echo "hello" > "$d/sub/deeper/config.txt"
}

bt_torrent() {
	local src=$1 out=$2
	shift 2
	"$BOOTTORRENT" mktorrent -q -d -l 256k "$@" "$src" -o "$out" >/dev/null
}

# Same bytes in both trees?
bt_same() {
	diff -r "$1" "$2" >/dev/null
}

ARIA_OPTS="--bt-enable-lpd=false --enable-dht=false --enable-dht6=false --seed-ratio=0
 --console-log-level=warn --summary-interval=0 --bt-require-crypto=false
 --bt-min-crypto-level=plain --file-allocation=none --allow-overwrite=true"
