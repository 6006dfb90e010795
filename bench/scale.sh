#!/bin/bash
# Swarm scale benchmark (not a test): N machines fetch one 64 MiB image over
# a shaped virtual LAN, every machine a process in its own network namespace
# (no VMs), four ways side by side in one run:
#
#   ours   `boottorrent start` serving an environment (tracker, seeder with
#          its defaults, super-seeding on), and on every node the phase-1
#          agent `boottorrent agent --no-boot` with the client bundle that
#          `start` built (phase-1 seed policy: boot.seed_time 30 s, early
#          stop once the tracker says nobody needs pieces);
#   http   busybox httpd on the server, curl on every node;
#   tftp   dnsmasq's TFTP on the server, tftp-hpa on every node (512-byte
#          blocks: that client does not negotiate blksize);
#   aria2  the original BootTorrent's stack: opentracker, an aria2c seeder
#          and aria2c on every node, with the options the original passed
#          (its aria2.conf template and its phase-1 TUI: check-integrity,
#          no DHT, no LPD, PEX on, prealloc, seed-time = seed_time / 60 = 0
#          minutes with its default seed_time of 30), a torrent made by
#          mktorrent with its default piece size as the original did.
#
#   bench/scale.sh [N...]                     default: 4 8 16 32
#   STACKS="ours http" SIZE_MB=64 UP=200 DOWN=50 bench/scale.sh 8
#
# Topology (tests/lib/lab.sh): a bridge; the server's uplink shaped to UP
# Mbit/s, every node shaped to DOWN Mbit/s each way; images on tmpfs; every
# node's program starts at the same instant (they wait on one lock). For each
# run it prints: the time until every node holds the image ("done"; for
# ours, the agent's "complete: all pieces verified"), the time until every
# node's program has exited ("boot", where phase 1 would boot: for ours
# after its seeding policy, for the others when the download ends), each
# over the fluid bound T* = max(S/U, S/D, N*S/(U + N*D)), the server's bytes
# sent on its link (kernel count, headers included) over S, CPU seconds used
# by the node programs and by the server (cpuacct cgroups), the share of the
# machine's CPU that was busy (all processes, including other users', and
# softirq) and the share of 0.25 s samples in which both cores were >= 95 %
# busy, and the load average at the start.
#
# Results: build/bench/scale-DATE.tsv and .json (OUT= to change), and a
# Markdown summary (.md). Plot them with bench/scale-plot.sh TSV.
# Needs root (namespaces, cgroups). Removes everything it made at exit,
# also on failure or Ctrl+C.
set -eu
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
BOOTTORRENT=${BOOTTORRENT:-$SRCDIR/build/boottorrent}
DATA=${DATA:-$(dirname "$BOOTTORRENT")}
SIZE_MB=${SIZE_MB:-64}
UP=${UP:-200}
DOWN=${DOWN:-50}
STACKS=${STACKS:-ours http tftp aria2}
LIMIT=${LIMIT:-300}		# seconds any one run may take
OUT=${OUT:-$SRCDIR/build/bench}
LOGS=${LOGS:-}			# keep every run's logs in this folder
EXTRA_YAML=${EXTRA_YAML:-}	# more Boottorrent.yaml lines for ours
NS=${*:-4 8 16 32}
. "$SRCDIR/tests/lib/lab.sh"
. "$SRCDIR/tests/lib/testenv.sh"
# shellcheck disable=SC2086 # one word per count
lab_counts 64 "bench/scale.sh [N...]   (nodes per run, 1 to 64; default 4 8 16 32)" $NS

for c in busybox curl dnsmasq tftp opentracker aria2c mktorrent flock; do
	command -v "$c" >/dev/null || lab_die "$c is missing (tools/deps.sh bench)"
done
[ -x "$BOOTTORRENT" ] || lab_die "no $BOOTTORRENT: build first (make)"

lab_init scale
work=$(mktemp -d /dev/shm/bt-scale.XXXXXX)
chmod 755 "$work"
CG=""
SAMPLER=""

# One run's LAN and processes go; the next run builds a fresh one.
run_teardown() {
	local pid h
	for pid in $LAB_PIDS $SAMPLER; do kill "$pid" 2>/dev/null || true; done
	for h in $LAB_HOSTS $LAB_SW; do
		ip netns pids "$h" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
	done
	for pid in $LAB_PIDS $SAMPLER; do wait "$pid" 2>/dev/null || true; done
	for h in $LAB_HOSTS $LAB_SW; do ip netns del "$h" 2>/dev/null || true; done
	LAB_PIDS="" LAB_HOSTS="" LAB_SW="" SAMPLER=""
}

bench_cleanup() {
	local rc=$? g
	# Under set -e the (exit) below would end the shell before lab_cleanup.
	set +e
	trap - EXIT INT TERM
	run_teardown
	for g in srv nodes; do
		[ -z "$CG" ] || rmdir "$CG-$g" 2>/dev/null || true
	done
	rm -rf "$work"
	(exit "$rc")
	lab_cleanup
}
trap bench_cleanup EXIT

# CPU accounting: cgroup v1 cpuacct here (LAB.md); v2 would need cpu.stat.
if [ -d /sys/fs/cgroup/cpuacct ] && mkdir "/sys/fs/cgroup/cpuacct/$LAB_P-srv" 2>/dev/null; then
	CG=/sys/fs/cgroup/cpuacct/$LAB_P
	mkdir "$CG-nodes"
fi
cg_join() { # GROUP PID
	[ -z "$CG" ] || echo "$2" >"$CG-$1/cgroup.procs" 2>/dev/null || true
}
cg_usage() { # GROUP -> CPU seconds used so far, or "nan"
	if [ -n "$CG" ]; then
		awk '{ printf "%.2f", $1 / 1e9 }' "$CG-$1/cpuacct.usage"
	else
		echo nan
	fi
}

# The environment our server serves; the others serve the same image file.
env=$work/env
testenv_add_os "$env" os1 "$SIZE_MB"
{
	printf 'version: 1\nboot: {timeout: 0, default_os: os1}\n'
	printf 'server: {address: 10.77.0.1}\ndhcp: {mode: off}\n'
	printf '%s\n' "$EXTRA_YAML"
} >"$env/Boottorrent.yaml"
"$BOOTTORRENT" start "$env" --build-only --data "$DATA" >"$work/build.log" 2>&1 ||
	{ cat "$work/build.log"; lab_die "start --build-only failed"; }
mkdir "$work/bundle"
(cd "$work/bundle" && cpio -id --quiet <"$env/out/boot/bundle.cpio")
bundle=$work/bundle/etc/boottorrent/bundle
[ -f "$bundle/torrents/os1.torrent" ] || lab_die "the bundle has no torrent"

# The original's torrent: mktorrent over the OS folder, its tracker's URL.
mktorrent -a "http://10.77.0.1:6969/announce" -o "$work/orig.torrent" "$env/oss/os1" \
	>/dev/null
mkdir -p "$work/ot"
chmod 755 "$work/ot"
"$BOOTTORRENT" torrent-info "$work/orig.torrent" | awk '/^Info hash:/ { print $3 }' >"$work/ot/wl"
chmod 644 "$work/ot/wl"

# node.sh LOCK STAMP CMD...: inside a node (or the server), wait for the
# start lock, run CMD; STAMP.exit gets the time it ended, STAMP.rc its
# status. (It cannot join a cgroup itself: `ip netns exec` mounts a fresh
# /sys without the cgroup file systems, so cg_join moves it from outside
# while it waits; what it starts later inherits the group.)
cat >"$work/node.sh" <<'EOF'
#!/bin/sh
lock=$1 stamp=$2
shift 2
[ -z "$lock" ] || flock -s -w 600 "$lock" true || exit 3
"$@"
rc=$?
date +%s.%N >"$stamp.exit"
echo "$rc" >"$stamp.rc"
exit "$rc"
EOF
# agent.sh DONEFILE AGENT-ARGS...: our agent, its output logged, and the
# time it logged the verified download noted in DONEFILE. (A shell loop, not
# awk: mawk reads a pipe in blocks and would see the line late.)
# bash's EPOCHREALTIME rather than a date process per line: at N = 32 the
# forks took 5 % of the machine's CPU, which the agents need.
cat >"$work/agent.sh" <<'EOF'
#!/bin/bash
done=$1
shift
"$@" 2>&1 | while IFS= read -r line; do
	now=$EPOCHREALTIME
	case $line in
	*": complete: all "*" pieces verified"*) [ -f "$done" ] || echo "$now" >"$done" ;;
	esac
	printf '%s %s\n' "$now" "$line"
done
EOF
chmod 755 "$work/node.sh" "$work/agent.sh"

# The CPU sampler: /proc/stat's first line every 0.25 s (bash builtins and
# one sleep per sample, so it costs next to nothing).
cat >"$work/cpu.sh" <<'EOF'
#!/bin/bash
while :; do
	read -r _ u n s i w q sq st _ </proc/stat
	echo "$((u + n + s + q + sq + st)) $((u + n + s + i + w + q + sq + st))"
	sleep 0.25
done
EOF
chmod 755 "$work/cpu.sh"

tstar() { # N -> T* in seconds
	awk -v n="$1" -v s="$SIZE_MB" -v u="$UP" -v d="$DOWN" 'BEGIN {
		S = s * 1048576 * 8 / 1e6; a = S / u; b = S / d; c = n * S / (u + n * d);
		t = a; if (b > t) t = b; if (c > t) t = c; printf "%.2f", t }'
}
srv_bg() { # CMD...: the server's program, its CPU counted
	# It waits on a lock until it is in the cgroup, so what it starts is too.
	exec 7>"$r/srvlock"
	flock -x 7
	lab_bg srv "$work/node.sh" "$r/srvlock" "$r/srv" "$@"
	cg_join srv "$LAB_LAST_PID"
	flock -u 7
	exec 7>&-
}
tx_bytes() { lab_exec srv cat /sys/class/net/eth0/statistics/tx_bytes; }
listening() { # PROTO PORT: something listens in the server's namespace
	lab_exec srv ss -"$1"lnH "sport = :$2" | grep -q .
}

mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M)
tsv=$OUT/scale-$stamp.tsv
printf 'date\tload1\tstack\tN\tS_MiB\ttstar\tdone_s\tboot_s\tdone_ratio\tboot_ratio\tsrv_up_S\tdone_n\tok_n\tcpu_nodes_s\tcpu_srv_s\tbusy\tsaturated\n' >"$tsv"
printf '%-6s %3s %6s %7s %7s %6s %7s %6s %5s %8s %7s %5s %5s %s\n' stack N T* done_s ratio \
	boot_s ratio up/S ok cpu_node cpu_srv busy sat load

for n in $NS; do
	for stack in $STACKS; do
		run_teardown
		load=$(cut -d' ' -f1 /proc/loadavg)
		lab_switch
		lab_host srv 10.77.0.1/16
		lab_shape srv "${UP}mbit"
		for i in $(seq 1 "$n"); do
			lab_host "n$i" "10.77.1.$i/16"
			lab_shape "n$i" "${DOWN}mbit"
			lab_shape_down $((i + 1)) "${DOWN}mbit"
		done
		rm -rf "$work/r"
		mkdir -p "$work/r"
		chmod 755 "$work/r"
		r=$work/r
		case $stack in
		ours)
			srv_bg "$BOOTTORRENT" start "$env" \
				--data "$DATA" --log-file "$r/srv.log"
			lab_wait 30 grep -q 'serving .*SIGHUP' "$r/srv.log" ||
				lab_die "start did not come up: $(tail -n 5 "$r/srv.log")"
			;;
		http)
			srv_bg busybox httpd -f \
				-p 10.77.0.1:80 -h "$env/oss" >"$r/srv.log" 2>&1
			lab_wait 10 listening t 80 || lab_die "busybox httpd did not start"
			;;
		tftp)
			srv_bg dnsmasq -k -C /dev/null \
				--port=0 --enable-tftp --tftp-root="$env/oss" --tftp-max=100 \
				--listen-address=10.77.0.1 --bind-interfaces --user=root \
				--pid-file="$r/dnsmasq.pid" --log-facility=- >"$r/srv.log" 2>&1
			lab_wait 10 listening u 69 || lab_die "dnsmasq did not start"
			;;
		aria2)
			srv_bg opentracker -i 10.77.0.1 -p 6969 -P 6969 -d "$work/ot" -w wl \
				>"$r/ot.log" 2>&1
			# The original's aria2.conf template, as options.
			srv_bg aria2c \
				--bt-enable-lpd=false --check-integrity=true --disable-ipv6=true \
				--dir="$env/oss" --enable-dht=false --enable-dht6=false \
				--enable-peer-exchange=true --seed-ratio=0.0 --listen-port=6881 \
				--console-log-level=warn --summary-interval=0 \
				"$work/orig.torrent" >"$r/srv.log" 2>&1
			lab_wait 20 listening t 6881 || lab_die "aria2c did not start"
			lab_wait 10 listening t 6969 || lab_die "opentracker did not start"
			sleep 3 # its integrity check, then its first announce
			;;
		esac
		# Every node waits on this lock, held until all are launched.
		exec 8>"$r/lock"
		flock -x 8
		node_pids=""
		for i in $(seq 1 "$n"); do
			d=$r/n$i
			mkdir -p "$d"
			case $stack in
			ours)
				printf 'bt.server=10.77.0.1 bt.http=8080 BOOTIF=01-52-54-00-00-%02x-%02x\n' \
					$((i / 256)) $((i % 256)) >"$d.cmdline"
				lab_bg "n$i" "$work/node.sh" "$r/lock" "$d" timeout "$LIMIT" \
					"$work/agent.sh" "$d.done" "$BOOTTORRENT" agent --bundle "$bundle" \
					--dir "$d" --cmdline "$d.cmdline" --no-boot --plain >"$d.log"
				;;
			http)
				mkdir -p "$d/os1"
				lab_bg "n$i" "$work/node.sh" "$r/lock" "$d" timeout "$LIMIT" \
					curl -sSf -o "$d/os1/image.bin" http://10.77.0.1/os1/image.bin \
					>"$d.log" 2>&1
				;;
			tftp)
				mkdir -p "$d/os1"
				lab_bg "n$i" "$work/node.sh" "$r/lock" "$d" timeout "$LIMIT" \
					tftp 10.77.0.1 -m binary -c get os1/image.bin "$d/os1/image.bin" \
					>"$d.log" 2>&1
				;;
			aria2)
				# The original phase 1's download command (tui.go).
				lab_bg "n$i" "$work/node.sh" "$r/lock" "$d" timeout "$LIMIT" \
					aria2c --check-integrity --allow-overwrite=true --enable-dht=false \
					--enable-dht6=false --disable-ipv6=true --bt-enable-lpd=false \
					--seed-time=0 --file-allocation=prealloc --dir="$d" \
					--listen-port=6881 --console-log-level=warn --summary-interval=0 \
					"$work/orig.torrent" >"$d.log" 2>&1
				;;
			esac
			node_pids="$node_pids $LAB_LAST_PID"
			cg_join nodes "$LAB_LAST_PID"
		done
		sleep 2
		cpu_n0=$(cg_usage nodes)
		cpu_s0=$(cg_usage srv)
		"$work/cpu.sh" >"$r/cpu" &
		SAMPLER=$!
		tx0=$(tx_bytes)
		t0=$(date +%s.%N)
		flock -u 8
		exec 8>&-
		# Each node's program runs under `timeout`, so this wait is bounded.
		for pid in $node_pids; do wait "$pid" 2>/dev/null || true; done
		t1=$(date +%s.%N)
		tx1=$(tx_bytes)
		kill "$SAMPLER" 2>/dev/null || true
		wait "$SAMPLER" 2>/dev/null || true
		SAMPLER=""
		cpu_n1=$(cg_usage nodes)
		cpu_s1=$(cg_usage srv)
		# Done and exit times; ours notes "done" itself, the others are
		# done when their program exits successfully.
		ok=0 done_n=0
		for i in $(seq 1 "$n"); do
			d=$r/n$i
			if [ "$stack" != ours ] && [ "$(cat "$d.rc" 2>/dev/null)" = 0 ]; then
				cp "$d.exit" "$d.done"
			fi
			[ -f "$d.done" ] && done_n=$((done_n + 1))
			cmp -s "$env/oss/os1/image.bin" "$d/os1/image.bin" && ok=$((ok + 1))
		done
		done_max=$(cat "$r"/n*.done 2>/dev/null | sort -g | tail -n 1)
		exit_max=$(cat "$r"/n*.exit 2>/dev/null | sort -g | tail -n 1)
		ts=$(tstar "$n")
		row=$(awk -v st="$stack" -v n="$n" -v s="$SIZE_MB" -v t0="$t0" -v t1="$t1" \
			-v dm="${done_max:-0}" -v em="${exit_max:-0}" -v ts="$ts" -v tx="$((tx1 - tx0))" \
			-v dn="$done_n" -v ok="$ok" -v load="$load" -v cn0="$cpu_n0" -v cn1="$cpu_n1" \
			-v cs0="$cpu_s0" -v cs1="$cpu_s1" -v date="$(date -u +%FT%TZ)" -v cpuf="$r/cpu" '
		BEGIN {
			# A run where a node never finished has no time.
			td = dn < n || dm == 0 ? "nan" : sprintf("%.2f", dm - t0);
			tb = dn < n || em == 0 ? "nan" : sprintf("%.2f", em - t0);
			rd = td == "nan" ? "nan" : sprintf("%.2f", td / ts);
			rb = tb == "nan" ? "nan" : sprintf("%.2f", tb / ts);
			busy = 0; tot = 0; sat = 0; k = 0;
			while ((getline line < cpuf) > 0) {
				split(line, a, " ");
				if (k > 0 && a[2] > pt) {
					busy += a[1] - pb; tot += a[2] - pt; m++;
					if ((a[1] - pb) / (a[2] - pt) >= 0.95) sat++;
				}
				pb = a[1]; pt = a[2]; k++;
			}
			printf "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%.2f\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\n",
				date, load, st, n, s, ts, td, tb, rd, rb, tx / (s * 1048576), dn, ok,
				cn1 - cn0, cs1 - cs0, tot ? busy / tot : 0, m ? sat / m : 0 }')
		printf '%s\n' "$row" >>"$tsv"
		printf '%s\n' "$row" | awk -F'\t' '{
			printf "%-6s %3d %6.2f %7s %7s %6s %7s %6.2f %2d/%-2d %8.1f %7.1f %5.2f %5.2f %s\n",
				$3, $4, $6, $7, $9, $8, $10, $11, $13, $4, $14, $15, $16, $17, $2 }'
		if [ -n "$LOGS" ]; then
			mkdir -p "$LOGS/$stack-$n"
			cp "$r"/*.log "$r"/*.done "$r"/*.exit "$r/cpu" "$LOGS/$stack-$n/" 2>/dev/null || true
			# Each shaped queue's counters (sent, dropped, overlimits):
			# the switch's ports are the nodes' downlinks, eth0 of a
			# host its uplink.
			{
				for i in $(seq 1 $((n + 1))); do
					echo "== down $i"
					ip netns exec "$LAB_SW" tc -s qdisc show dev "v$$-$i" | grep -A2 bfifo
				done
				for h in $LAB_HOSTS; do
					echo "== up $h"
					ip netns exec "$h" tc -s qdisc show dev eth0 | grep -A2 bfifo
				done
			} >"$LOGS/$stack-$n/qdisc.txt" 2>&1 || true
		fi
		rm -rf "$r"/n*/
	done
done
run_teardown
echo "T* = max(S/U, S/D, N*S/(U+N*D)), U=${UP} Mbit/s, D=${DOWN} Mbit/s, S=${SIZE_MB} MiB"
/usr/bin/python3 - "$tsv" "${tsv%.tsv}.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def num(v):
    try:
        return None if v == "nan" else (int(v) if v.isdigit() else float(v))
    except ValueError:
        return v
json.dump([{k: num(v) for k, v in r.items()} for r in rows], open(sys.argv[2], "w"), indent=1)
PY
"$SRCDIR/bench/scale-report.sh" "$tsv" >"${tsv%.tsv}.md"
cat "${tsv%.tsv}.md"
echo "results: $tsv ${tsv%.tsv}.json ${tsv%.tsv}.md"
