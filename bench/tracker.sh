#!/bin/bash
# Tracker benchmark (not a test): announces per second against our
# tracker-serve and against opentracker, on the loopback of a private
# network namespace, one swarm of PEERS peers, numwant 50: UDP with the
# connection id reused, UDP with a connect before each announce, and HTTP
# with one TCP connection per announce. The server is pinned to CPU 1 and
# the load generator to CPU 0.
#
#   bench/tracker.sh [BUILDDIR] [SECONDS] [PEERS]
# Needs a plain (non-sanitizer) build: meson setup build && ninja -C build
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=${1:-$top/build}
SECS=${2:-5}
PEERS=${3:-1000}
SRCDIR=$top
. "$top/tests/lib/lab.sh"
load="$BUILDDIR/src/tracker/tracker-load"
serve="$BUILDDIR/src/tracker/tracker-serve"
[ -x "$load" ] && [ -x "$serve" ] || lab_die "build first: ninja -C $BUILDDIR"

lab_init trk-bench
lab_switch
lab_host h 10.77.43.1/24
H=0123456789abcdef0123456789abcdef01234567
echo $H > "$LAB_TMP/wl"
chmod 644 "$LAB_TMP/wl"

# CPU time (user + system, in clock ticks) of a process and its threads.
cpu_ticks() {
	awk '{print $14 + $15}' "/proc/$1/stat"
}

# The machine is shared, so besides announces/s (which depends on what else
# runs) each line gives the server's CPU time per announce, which does not.
measure() { # name pid
	local hz out before after n
	hz=$(getconf CLK_TCK)
	for mode in udp udp-connect http; do
		window=64
		[ $mode != http ] || window=32
		before=$(cpu_ticks "$2")
		out=$(lab_exec h taskset -c 0 timeout $((SECS + 30)) "$load" $mode 127.0.0.1 6969 $H \
			"$SECS" "$PEERS" 50 $window)
		after=$(cpu_ticks "$2")
		# The CPU span covers the 1 s warm-up too, so count its announces.
		n=$(printf '%s' "$out" | sed -n 's/.*announces=\([0-9]*\).*warmup=\([0-9]*\).*/\1 + \2/p')
		printf '%-12s %s server-cpu=%.2fus/announce\n' "$1" "$out" \
			"$(echo "($after - $before) * 1000000 / $hz / ($n + 1)" | bc -l)"
	done
}

start_and_wait() { # command...
	lab_bg h taskset -c 1 "$@"
	lab_wait 5 lab_exec h sh -c "ss -lun | grep -q 127.0.0.1:6969" || lab_die "$1 did not start"
}

start_and_wait "$serve" -q -a 127.0.0.1 -p 6969 -i 1800 -w "$LAB_TMP/wl"
pid=$LAB_LAST_PID
measure boottorrent "$pid"
kill "$pid"
wait "$pid" 2>/dev/null || true

if command -v opentracker >/dev/null; then
	start_and_wait sh -c "cd '$LAB_TMP' && exec opentracker -i 127.0.0.1 -p 6969 -P 6969 -w wl -d '$LAB_TMP'"
	measure opentracker "$LAB_LAST_PID"
fi
