#!/bin/bash
# Swarm benchmark (not a test): one seeder and N downloaders on a virtual
# LAN, for our engine and for aria2c + opentracker on the same topology.
#
#   bench/swarm.sh [N...]          default: 4 8 16
#   STACKS="ours aria2" SIZE_MB=64 UP=200 DOWN=50 bench/swarm.sh 4 8
#
# Topology (tests/lib/lab.sh): a bridge; the server's uplink shaped to UP
# Mbit/s; every node shaped to DOWN Mbit/s each way. The image (SIZE_MB MiB,
# 256 KiB pieces) lives on tmpfs. Printed per run: N, S, the time until
# every node holds a verified copy, its ratio to the fluid bound
# T* = max(S/U, S/D, N*S/(U + N*D)), and the server's bytes sent (Ethernet
# payload as counted by the kernel, headers included) divided by S.
# Needs root (network namespaces). Everything is removed at exit.
set -eu
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
BOOTTORRENT=${BOOTTORRENT:-$SRCDIR/build/boottorrent}
SIZE_MB=${SIZE_MB:-64}
UP=${UP:-200}
DOWN=${DOWN:-50}
STACKS=${STACKS:-ours aria2}
LIMIT=${LIMIT:-120}
SEED_OPTS=${SEED_OPTS---super-seed}	# options of our seed
GET_OPTS=${GET_OPTS:-}			# options of our downloaders
LOGS=${LOGS:-}				# copy every log into this folder
NS=${*:-4 8 16}
. "$SRCDIR/tests/lib/lab.sh"
# shellcheck disable=SC2086 # one word per count
lab_counts 64 "bench/swarm.sh [N...]   (nodes per run, 1 to 64; default 4 8 16)" $NS

lab_init bench
work=$(mktemp -d /dev/shm/bt-bench.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"; lab_cleanup' EXIT

mkdir -p "$work/seed/img"
head -c $((SIZE_MB * 1048576)) /dev/urandom > "$work/seed/img/image.bin"
"$BOOTTORRENT" mktorrent -q -d -l 256k -a "http://10.77.0.1:6969/announce" \
	"$work/seed/img" -o "$work/t.torrent" >/dev/null
ih=$("$BOOTTORRENT" torrent-info "$work/t.torrent" | awk '/^Info hash:/ {print $3}')
mkdir -p "$work/ot"
chmod 755 "$work/ot"
echo "$ih" > "$work/ot/wl"
chmod 644 "$work/ot/wl"
cat > "$work/done.sh" <<'EOF'
#!/bin/sh
# aria2c's --on-bt-download-complete hook: note the time once.
[ -f "$DONE_FILE" ] || date +%s.%N > "$DONE_FILE"
EOF
chmod 755 "$work/done.sh"
cat > "$work/wait-go.sh" <<'EOF'
#!/bin/sh
# Start the command once the file $1 exists.
go=$1
shift
while [ ! -f "$go" ]; do sleep 0.01; done
exec "$@"
EOF
chmod 755 "$work/wait-go.sh"

tstar() { # N -> T* in seconds
	awk -v n="$1" -v s="$SIZE_MB" -v u="$UP" -v d="$DOWN" 'BEGIN {
		S = s * 1048576 * 8 / 1e6; a = S / u; b = S / d; c = n * S / (u + n * d);
		t = a; if (b > t) t = b; if (c > t) t = c; printf "%.2f", t }'
}

tx_bytes() {
	lab_exec srv cat /sys/class/net/eth0/statistics/tx_bytes
}

printf '%-6s %3s %6s %9s %7s %12s\n' stack N S_MiB time_s ratio server_up/S
for n in $NS; do
	for stack in $STACKS; do
		# A fresh LAN for every run.
		LAB_PIDS="" LAB_HOSTS="" LAB_SW=""
		lab_switch
		lab_host srv 10.77.0.1/16
		lab_shape srv ${UP}mbit
		for i in $(seq 1 "$n"); do
			lab_host "n$i" "10.77.1.$i/16"
			lab_shape "n$i" ${DOWN}mbit
			lab_shape_down $((i + 1)) ${DOWN}mbit
		done
		rm -rf "$work"/n* "$work"/*.log
		lab_bg srv opentracker -i 10.77.0.1 -p 6969 -P 6969 -d "$work/ot" -w wl \
			> "$work/ot.log" 2>&1
		if [ "$stack" = ours ]; then
			lab_bg srv "$BOOTTORRENT" seed "$work/t.torrent" --dir "$work/seed" \
				$SEED_OPTS --port 6881 > "$work/seed.log" 2>&1
			lab_wait 60 grep -q "listening on port" "$work/seed.log" ||
				lab_die "seed did not start"
		else
			lab_bg srv aria2c --dir="$work/seed" -V --bt-seed-unverified=false \
				--seed-ratio=0 --seed-time=100 --listen-port=6881 \
				--bt-enable-lpd=false --enable-dht=false --enable-dht6=false \
				--console-log-level=warn --summary-interval=0 \
				"$work/t.torrent" > "$work/seed.log" 2>&1
			sleep 4 # its integrity check of 64 MiB
		fi
		sleep 1
		# Every node waits for the "go" file, so they all start together
		# however long it takes to launch them.
		rm -f "$work/go"
		for i in $(seq 1 "$n"); do
			mkdir -p "$work/n$i"
			if [ "$stack" = ours ]; then
				lab_bg "n$i" "$work/wait-go.sh" "$work/go" "$BOOTTORRENT" get "$work/t.torrent" --dir "$work/n$i" \
					--port 6881 --seed-time "$LIMIT" $GET_OPTS > "$work/n$i.log" 2>&1
			else
				lab_bg "n$i" "$work/wait-go.sh" "$work/go" env \
					DONE_FILE="$work/n$i.done" aria2c --dir="$work/n$i" \
					--listen-port=6881 --seed-ratio=0 --seed-time=100 \
					--bt-enable-lpd=false --enable-dht=false --enable-dht6=false \
					--file-allocation=none --console-log-level=warn \
					--summary-interval=0 --on-bt-download-complete="$work/done.sh" \
					"$work/t.torrent" > "$work/n$i.log" 2>&1
			fi
		done
		sleep 2
		tx0=$(tx_bytes)
		t0=$(date +%s.%N)
		touch "$work/go"
		# Wait for every node's completion (our get prints "complete:").
		i=0
		while :; do
			done_n=0
			for j in $(seq 1 "$n"); do
				if [ "$stack" = ours ]; then
					grep -q '^complete:' "$work/n$j.log" 2>/dev/null &&
						done_n=$((done_n + 1))
				else
					[ -f "$work/n$j.done" ] && done_n=$((done_n + 1))
				fi
			done
			[ "$done_n" -lt "$n" ] || break
			i=$((i + 1))
			[ "$i" -lt $((LIMIT * 20)) ] || break
			sleep 0.05
		done
		t1=$(date +%s.%N)
		tx1=$(tx_bytes)
		ts=$(tstar "$n")
		awk -v st="$stack" -v n="$n" -v s="$SIZE_MB" -v t0="$t0" -v t1="$t1" -v ts="$ts" \
			-v tx="$((tx1 - tx0))" -v dn="$done_n" 'BEGIN {
			t = t1 - t0; printf "%-6s %3d %6d %9.1f %7.2f %12.2f%s\n", st, n, s, t,
			t / ts, tx / (s * 1048576), dn < n ? "  (only " dn " done)" : "" }'
		# Every downloaded copy must be right.
		for j in $(seq 1 "$n"); do
			cmp -s "$work/seed/img/image.bin" "$work/n$j/img/image.bin" ||
				echo "  n$j: copy differs or is missing" >&2
		done
		if [ -n "$LOGS" ]; then
			mkdir -p "$LOGS/$stack-$n"
			cp "$work"/*.log "$LOGS/$stack-$n/"
		fi
		# Tear this LAN down before the next run.
		for pid in $LAB_PIDS; do kill "$pid" 2>/dev/null || true; done
		for pid in $LAB_PIDS; do wait "$pid" 2>/dev/null || true; done
		for h in $LAB_HOSTS $LAB_SW; do
			ip netns pids "$h" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
			ip netns del "$h" 2>/dev/null || true
		done
		LAB_PIDS="" LAB_HOSTS="" LAB_SW=""
	done
done
echo "T* = max(S/U, S/D, N*S/(U+N*D)) with U=${UP} Mbit/s, D=${DOWN} Mbit/s"
