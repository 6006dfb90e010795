#!/bin/bash
# Benchmark (not a test): where a lone TFTP transfer's time goes. One curl
# fetches a file at blksize 512 from tftp-serve FETCHES times, with the
# server and the client pinned (taskset) to the same CPU, to different
# CPUs, and not at all; prints the median wall time and the server's CPU
# per fetch for each placement.
#
# With windowsize 1 every block is one wake-up of the client and one of the
# server. When they share a CPU those are plain context switches; on two
# CPUs each is an interrupt to the other CPU and its exit from idle. The
# difference between the rows is that cost, which every TFTP server pays
# alike (docs/benchmarks.md, TFTP, session 7).
#
# Runs in one network namespace made by tests/lib/lab.sh, on its loopback;
# needs root and 2 CPUs.
#
# Usage: bench/tftp-pin.sh [BUILDDIR]      (default: build)
#   FETCHES=10 SIZE_MB=16 BLKSIZE=512 SERVER_ARGS="" (more tftp-serve options)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$top/build}
case $B in /*) ;; *) B=$top/$B ;; esac
FETCHES=${FETCHES:-10}
SIZE_MB=${SIZE_MB:-16}
BLKSIZE=${BLKSIZE:-512}
SERVER_ARGS=${SERVER_ARGS:-}
HZ=$(getconf CLK_TCK)

. "$top/tests/lib/lab.sh"

[ -x "$B/src/tftp/tftp-serve" ] || { echo "build first: ninja -C $B" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "bench: needs 2 CPUs" >&2; exit 1; }
lab_counts 1000 "FETCHES=1..1000 bench/tftp-pin.sh [BUILDDIR]" "$FETCHES"
command -v curl >/dev/null || { echo "bench: curl missing" >&2; exit 1; }

lab_init pin
lab_switch
lab_host srv 10.77.0.1/24
ROOT=$LAB_TMP/root
mkdir -p "$ROOT"
head -c $((SIZE_MB * 1048576)) /dev/urandom >"$ROOT/file"
chmod 644 "$ROOT/file"

# place SERVER_CPUS CLIENT_CPUS LABEL: one row.
place() {
	local scpu=$1 ccpu=$2 label=$3 pid c0 c1 i times=""
	# shellcheck disable=SC2086
	lab_bg srv taskset -c "$scpu" "$B/src/tftp/tftp-serve" --root "$ROOT" \
		--address 127.0.0.1 --port 69 --log-level error $SERVER_ARGS
	pid=$LAB_LAST_PID
	lab_wait 5 sh -c "ip netns exec $(lab_ns srv) ss -uln | grep -q '127.0.0.1:69 '"
	c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	for i in $(seq 1 "$FETCHES"); do
		times="$times $(lab_exec srv taskset -c "$ccpu" timeout 60 curl -s -o /dev/null \
			-w '%{time_total}' --tftp-blksize "$BLKSIZE" tftp://127.0.0.1/file)"
	done
	c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	lab_wait 5 sh -c "! ip netns exec $(lab_ns srv) ss -uln | grep -q ':69 '" || true
	printf '%-28s %-8s %-8s %9.0f %12.0f\n' "$label" "$scpu" "$ccpu" \
		"$(tr ' ' '\n' <<<"$times" | grep . | sort -n |
			awk '{v[NR] = $1} END {print 1000 * v[int((NR + 1) / 2)]}')" \
		"$(( (c1 - c0) * 1000 / HZ / FETCHES ))"
}

echo "file: $SIZE_MB MiB, blksize $BLKSIZE, $FETCHES fetches per row, on loopback in a namespace"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %-8s %-8s %9s %12s\n' placement server client wall-ms srv-cpu-ms
place 0 0 "same CPU"
place 0 1 "different CPUs"
place 0-1 0-1 "not pinned"
place 0 0-1 "server pinned, client not"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
