#!/bin/bash
# Tracker benchmark (not a test): announces per second, in one run and on
# the same load, against
#   1. our tracker alone (tracker-serve),
#   2. opentracker,
#   3. the tracker inside `boottorrent start`, its seeder idle,
#   4. the same while the seeder serves a swarm: DOWNLOADERS `boottorrent
#      get` clients in their own namespaces fetch a 256 MiB OS over and over
#      (the server's uplink shaped to SWARM_RATE, each client's to a quarter
#      of it, so that the seeder keeps sending for the whole run instead of
#      the clients finishing in a second),
# each with one swarm of PEERS peers, numwant 50: UDP with the connection
# id reused, UDP with a connect before each announce, and HTTP with one TCP
# connection per announce. The server is pinned to CPU 1 and the load
# generator to CPU 0 (the downloaders are not pinned).
#
#   bench/tracker.sh [BUILDDIR] [SECONDS] [PEERS] [DOWNLOADERS]
# Needs a plain (non-sanitizer) build: meson setup build && ninja -C build
# Environment: SWARM_RATE (default 800mbit), SKIP_START=1 (rows 1-2 only).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=${1:-$top/build}
SECS=${2:-5}
PEERS=${3:-1000}
NDL=${4:-3}
SWARM_RATE=${SWARM_RATE:-800mbit}
SRCDIR=$top
. "$top/tests/lib/lab.sh"
. "$top/tests/lib/testenv.sh"
load="$BUILDDIR/src/tracker/tracker-load"
serve="$BUILDDIR/src/tracker/tracker-serve"
bt="$BUILDDIR/boottorrent"
[ -x "$load" ] && [ -x "$serve" ] && [ -x "$bt" ] || lab_die "build first: ninja -C $BUILDDIR"

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
# runs) each line gives the server's CPU time per announce, which does not
# (for `start` while seeding, the seeder's own rate is subtracted).
measure() { # name pid host address info-hash [busy-ticks-per-second]
	local hz out before after n t0 t1 busy=${6:-0}
	hz=$(getconf CLK_TCK)
	for mode in udp udp-connect http; do
		window=64
		[ $mode != http ] || window=32
		before=$(cpu_ticks "$2")
		t0=$(date +%s%N)
		out=$(lab_exec "$3" taskset -c 0 timeout $((SECS + 30)) "$load" $mode "$4" 6969 "$5" \
			"$SECS" "$PEERS" 50 $window)
		t1=$(date +%s%N)
		after=$(cpu_ticks "$2")
		# The CPU span covers the 1 s warm-up too, so count its announces.
		# With a busy seeder, its own CPU rate (measured before) is taken
		# out, leaving the tracker's share.
		n=$(printf '%s' "$out" | sed -n 's/.*announces=\([0-9]*\).*warmup=\([0-9]*\).*/\1 + \2/p')
		printf '%-18s %s server-cpu=%.2fus/announce load=%s\n' "$1" "$out" \
			"$(echo "($after - $before - $busy * ($t1 - $t0) / 1000000000) * 1000000 / $hz / ($n + 1)" | bc -l)" \
			"$(cut -d' ' -f1 /proc/loadavg)"
	done
}

start_and_wait() { # command...
	lab_bg h taskset -c 1 "$@"
	lab_wait 5 lab_exec h sh -c "ss -lun | grep -q 127.0.0.1:6969" || lab_die "$1 did not start"
}

start_and_wait "$serve" -q -a 127.0.0.1 -p 6969 -i 1800 -w "$LAB_TMP/wl"
pid=$LAB_LAST_PID
measure boottorrent "$pid" h 127.0.0.1 $H
kill "$pid"
wait "$pid" 2>/dev/null || true

if command -v opentracker >/dev/null; then
	start_and_wait sh -c "cd '$LAB_TMP' && exec opentracker -i 127.0.0.1 -p 6969 -P 6969 -w wl -d '$LAB_TMP'"
	pid=$LAB_LAST_PID
	measure opentracker "$pid" h 127.0.0.1 $H
	kill "$pid"
	wait "$pid" 2>/dev/null || true
fi

[ "${SKIP_START:-0}" = 1 ] && exit 0

# ---- the tracker inside `boottorrent start` ----
lab_host srv 10.77.0.1/24
env=$LAB_TMP/env
testenv_make "$env" 256
# Warnings only: a log line per announce would be measured too.
sed -i 's/^logging: .*/logging: {level: warn}/; s/^tracker: .*/tracker: {enable: true, port: 6969, interval: 60}/' \
	"$env/Boottorrent.yaml"
lab_bg srv taskset -c 1 "$bt" start "$env" --log-file "$LAB_TMP/srv.log"
spid=$LAB_LAST_PID
lab_wait 60 lab_exec srv sh -c "ss -lun | grep -q 10.77.0.1:6969" || lab_die "start did not come up"
torrent=$env/out/boot/torrents/os1.torrent
OH=$("$bt" torrent-info "$torrent" | sed -n 's/^Info hash: *//p')
# The fake peers are handed to the seeder (and to the downloaders below),
# which try to connect to them and are refused at once: part of the load.
measure "start, idle" "$spid" srv 10.77.0.1 "$OH"

uploaded() {
	lab_exec srv curl -sf --max-time 2 http://10.77.0.1:8080/metrics |
		sed -n 's/^boottorrent_server_upload_bytes_total \([0-9]*\).*/\1/p'
}
lab_shape srv "$SWARM_RATE"
dl_pids=""
for i in $(seq 1 "$NDL"); do
	lab_host "d$i" "10.77.0.$((50 + i))/24"
	lab_shape "d$i" "$(($(echo "$SWARM_RATE" | tr -dc 0-9) / 4))mbit"
	# Each round downloads the whole OS again into a fresh folder. The
	# tracker's lists are full of the load generator's fake peers, so the
	# seeder is named; the clients find each other by PEX too.
	lab_bg "d$i" sh -c "while :; do rm -rf '$LAB_TMP/dl$i'; mkdir '$LAB_TMP/dl$i';
		timeout 120 '$bt' get '$torrent' --dir '$LAB_TMP/dl$i' --seed-time 0 --peer 10.77.0.1:6881 >/dev/null 2>&1;
		done"
	dl_pids="$dl_pids $LAB_LAST_PID"
done
# Let the swarm get going; the seeder's own CPU rate without announces;
# then measure while it runs.
sleep 3
c0=$(cpu_ticks "$spid")
u0=$(uploaded)
t0=$(date +%s%N)
sleep 4
c1=$(cpu_ticks "$spid")
u1=$(uploaded)
t1=$(date +%s%N)
busy=$(echo "($c1 - $c0) * 1000000000 / ($t1 - $t0)" | bc -l)
echo "seeder alone: $(((u1 - u0) * 1000 / ((t1 - t0) / 1000000) / 1048576)) MiB/s, $(printf '%.0f' "$(echo "$busy * 100 / $(getconf CLK_TCK)" | bc -l)")% of a core"
u0=$u1
t0=$t1
measure "start, seeding" "$spid" srv 10.77.0.1 "$OH" "$busy"
u1=$(uploaded)
t1=$(date +%s%N)
echo "seeder upload during the measurement: $(((u1 - u0) * 1000 / ((t1 - t0) / 1000000) / 1048576)) MiB/s ($NDL downloaders, server uplink $SWARM_RATE)"
# The loops and the downloads they started (by process id).
for p in $dl_pids; do
	kill -STOP "$p" 2>/dev/null || true
	pkill -TERM -P "$p" 2>/dev/null || true
	kill -TERM "$p" 2>/dev/null || true
	kill -CONT "$p" 2>/dev/null || true
done
