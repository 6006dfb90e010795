#!/bin/bash
# The phase-1 agent's memory (issue 6: peak RSS while downloading a 512 MiB
# image under 8 MiB beyond the image itself; the static binary under 2 MiB).
# Not a test: a server and NODES machines, each in its own network namespace
# (tests/lib/lab.sh) on one bridge, unshaped; `boottorrent start` serves one
# SIZE_MB image of random bytes, and every machine runs the static phase-1
# agent as phase 1 does (`agent --no-boot --plain`, the client bundle `start`
# built, the image into tmpfs), all at once so they trade pieces, then seeds
# for up to SEED seconds (boot.seed_time; less once the tracker says nobody
# needs pieces). It prints each agent's peak RSS (`/usr/bin/time`), machine
# 1's VmHWM sampled from /proc with its split into anonymous, file-backed and
# shared memory at the peak, the binary's size, and writes
# build/bench/agent-rss.json.
#
#   bench/agent-rss.sh                 SIZE_MB=512 SEED=5 NODES=8
#   AGENT=build-static/boottorrent.static SIZE_MB=64 bench/agent-rss.sh
#
# The image is written with pwrite into tmpfs: its pages belong to the file
# system, not to the process, so RSS is what the agent itself costs.
# Needs root (namespaces). Removes everything it made at exit.
set -eu
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
BOOTTORRENT=${BOOTTORRENT:-$SRCDIR/build/boottorrent}
AGENT=${AGENT:-$SRCDIR/build-static/boottorrent.static}
DATA=${DATA:-$(dirname "$BOOTTORRENT")}
SIZE_MB=${SIZE_MB:-512}
SEED=${SEED:-5}
NODES=${NODES:-8}
LIMIT=${LIMIT:-300}
OUT=${OUT:-$SRCDIR/build/bench}
. "$SRCDIR/tests/lib/lab.sh"
. "$SRCDIR/tests/lib/testenv.sh"

[ -x "$BOOTTORRENT" ] || lab_die "no $BOOTTORRENT: build first (make)"
[ -x "$AGENT" ] || lab_die "no $AGENT: build the static agent first (ph1/build-agent.sh)"
[ -x /usr/bin/time ] || lab_die "/usr/bin/time is missing (apt-get install time)"
case $SIZE_MB$SEED$NODES in *[!0-9]*) lab_die "SIZE_MB, SEED and NODES are whole numbers" ;; esac
if [ "$SIZE_MB" -lt 1 ] || [ "$SIZE_MB" -gt 4096 ] || [ "$NODES" -lt 1 ] ||
	[ "$NODES" -gt 32 ]; then
	lab_die "SIZE_MB: 1 to 4096; NODES: 1 to 32"
fi

lab_init rss
work=$(mktemp -d /dev/shm/bt-rss.XXXXXX)
chmod 755 "$work"
rss_cleanup() {
	local rc=$?
	# Under set -e the (exit) below would end the shell before lab_cleanup.
	set +e
	trap - EXIT INT TERM
	rm -rf "$work"
	(exit "$rc")
	lab_cleanup
}
trap rss_cleanup EXIT

env=$work/env
testenv_add_os "$env" os1 "$SIZE_MB"
printf 'version: 1\nboot: {timeout: 0, default_os: os1, seed_time: %d}\n%s\n' "$SEED" \
	'server: {address: 10.77.0.1}
dhcp: {mode: off}' >"$env/Boottorrent.yaml"

lab_switch
lab_host srv 10.77.0.1/16
for i in $(seq 1 "$NODES"); do lab_host "n$i" "10.77.1.$i/16"; done
lab_bg srv "$BOOTTORRENT" start "$env" --data "$DATA" --log-file "$work/srv.log"
lab_wait 120 grep -q 'serving .*SIGHUP' "$work/srv.log" ||
	lab_die "start did not come up: $(tail -n 5 "$work/srv.log")"
mkdir "$work/bundle"
(cd "$work/bundle" && cpio -id --quiet <"$env/out/boot/bundle.cpio")

# Every agent under /usr/bin/time; node 1's /proc status is sampled every
# 0.1 s (bounded by LIMIT) for what its pages are at its peak.
t0=$(date +%s.%N)
pids=""
for i in $(seq 1 "$NODES"); do
	mkdir "$work/n$i"
	printf 'bt.server=10.77.0.1 bt.http=8080 BOOTIF=01-52-54-00-00-00-%02x\n' "$i" \
		>"$work/n$i.cmdline"
	lab_bg "n$i" timeout "$LIMIT" /usr/bin/time -f 'maxrss_kb %M' -o "$work/n$i.time" \
		"$AGENT" agent --bundle "$work/bundle/etc/boottorrent/bundle" --dir "$work/n$i" \
		--cmdline "$work/n$i.cmdline" --no-boot --plain >"$work/n$i.log" 2>&1
	pids="$pids $LAB_LAST_PID"
done
pid=""
for _ in $(seq 1 50); do
	pid=$(pgrep -f -n "^$AGENT agent --bundle $work/.* --dir $work/n1 " || true)
	[ -n "$pid" ] && break
	sleep 0.1
done
[ -n "$pid" ] || lab_die "the agent did not start: $(tail -n 5 "$work/n1.log")"
best=0 split=""
for _ in $(seq 1 $((LIMIT * 10))); do
	s=$(awk '/^VmHWM|^RssAnon|^RssFile|^RssShmem/ { printf "%s %s ", $1, $2 }' \
		"/proc/$pid/status" 2>/dev/null) || break
	[ -n "$s" ] || break
	hwm=$(printf '%s\n' "$s" | awk '{ print $2 }')
	if [ "$hwm" -gt "$best" ]; then best=$hwm split=$s; fi
	sleep 0.1
done
for p in $pids; do wait "$p" || lab_die "an agent failed: $(tail -n 5 "$work"/n*.log)"; done
t1=$(date +%s.%N)
for i in $(seq 1 "$NODES"); do
	cmp -s "$env/oss/os1/image.bin" "$work/n$i/os1/image.bin" ||
		lab_die "node $i's image differs from the server's"
done
maxrss=$(cat "$work"/n*.time | awk '/^maxrss_kb/ { if ($2 > m) m = $2 } END { print m }')
all=$(cat "$work"/n*.time | awk '/^maxrss_kb/ { printf "%s ", $2 }')
size=$(stat -c %s "$AGENT")

printf 'image %d MiB, seed_time %d s (ends early once the tracker says nobody needs pieces), %.1f s in all (load %s)\n' "$SIZE_MB" "$SEED" \
	"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$(cut -d' ' -f1 /proc/loadavg)"
printf 'agent peak RSS over %d machines: %s KB (/usr/bin/time; each: %s)\n' "$NODES" \
	"$maxrss" "$all"
printf 'machine 1: VmHWM %s KB; at that sample: %s\n' "$best" "$split"
printf 'goal: under 8 MiB (8192 KB) beyond the image: %s\n' \
	"$([ "$maxrss" -lt 8192 ] && echo met || echo NOT met)"
printf 'static agent %s: %d bytes; goal under 2 MiB (2097152): %s\n' "$AGENT" "$size" \
	"$([ "$size" -lt 2097152 ] && echo met || echo NOT met)"
mkdir -p "$OUT"
printf '{"date": "%s", "size_mb": %d, "seed_s": %d, "nodes": %d, "maxrss_kb": %d, "vmhwm_kb": %d, "agent_bytes": %d}\n' \
	"$(date -u +%FT%TZ)" "$SIZE_MB" "$SEED" "$NODES" "$maxrss" "$best" "$size" >"$OUT/agent-rss.json"
echo "results: $OUT/agent-rss.json"
