#!/bin/bash
# One unshaped transfer on loopback (not a test): our seed -> our get, and
# aria2c -> aria2c, of SIZE_MB MiB on tmpfs. Prints MB/s and the CPU seconds
# per GB spent by both ends together (user + system).
#   bench/swarm-loopback.sh            SIZE_MB=1024 by default
set -eu
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
BOOTTORRENT=${BOOTTORRENT:-$SRCDIR/build/boottorrent}
SIZE_MB=${SIZE_MB:-1024}
work=$(mktemp -d /dev/shm/bt-loop.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/seed/img"
head -c $((SIZE_MB * 1048576)) /dev/urandom > "$work/seed/img/image.bin"
P=$((30000 + $$ % 1000 * 10))
# aria2c takes no peer list: its two ends meet through opentracker.
"$BOOTTORRENT" mktorrent -q -d -l 1M -a "http://127.0.0.1:$((P + 5))/announce" \
	"$work/seed/img" -o "$work/t.torrent" >/dev/null
mkdir "$work/ot"
chmod 755 "$work" "$work/ot"
"$BOOTTORRENT" torrent-info "$work/t.torrent" | awk '/^Info hash:/ {print $3}' > "$work/ot/wl"
chmod 644 "$work/ot/wl"
opentracker -i 127.0.0.1 -p $((P + 5)) -P $((P + 5)) -d "$work/ot" -w wl > /dev/null 2>&1 &
pids="$pids $!"
ARIA="--bt-enable-lpd=false --enable-dht=false --enable-dht6=false --seed-ratio=0
 --console-log-level=warn --summary-interval=0 --file-allocation=none"

cpu_of() { # pid -> user+sys seconds so far
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}

printf '%-8s %8s %8s %10s\n' stack time_s MB/s cpu_s/GB
for stack in ours aria2; do
	rm -rf "$work/dst"
	if [ "$stack" = ours ]; then
		"$BOOTTORRENT" seed "$work/t.torrent" --dir "$work/seed" --port $P --no-tracker \
			> "$work/seed.log" 2>&1 &
		spid=$!
		while ! grep -q "listening" "$work/seed.log"; do sleep 0.1; done
	else
		aria2c $ARIA --dir="$work/seed" -V --seed-time=100 --listen-port=$P \
			"$work/t.torrent" > "$work/seed.log" 2>&1 &
		spid=$!
		sleep $((SIZE_MB / 400 + 3)) # its integrity check
	fi
	pids="$pids $spid"
	c0=$(cpu_of "$spid")
	t0=$(date +%s.%N)
	if [ "$stack" = ours ]; then
		/usr/bin/time -f "%U %S" -o "$work/time" "$BOOTTORRENT" get "$work/t.torrent" \
			--dir "$work/dst" --port $((P + 1)) --no-tracker --peer 127.0.0.1:$P \
			> "$work/get.log" 2>&1
	else
		/usr/bin/time -f "%U %S" -o "$work/time" aria2c $ARIA --dir="$work/dst" \
			--listen-port=$((P + 1)) --seed-time=0 "$work/t.torrent" \
			> "$work/get.log" 2>&1
	fi
	t1=$(date +%s.%N)
	c1=$(cpu_of "$spid")
	kill "$spid"
	wait "$spid" 2>/dev/null || true
	cmp -s "$work/seed/img/image.bin" "$work/dst/img/image.bin" || echo "  $stack: copy differs" >&2
	read -r u s < "$work/time"
	awk -v st="$stack" -v t0="$t0" -v t1="$t1" -v mb="$SIZE_MB" -v u="$u" -v s="$s" \
		-v c0="$c0" -v c1="$c1" 'BEGIN { t = t1 - t0; gb = mb * 1048576 / 1e9;
		printf "%-8s %8.2f %8.0f %10.2f\n", st, t, mb * 1048576 / 1e6 / t,
			(u + s + c1 - c0) / gb }'
done
