#!/bin/bash
# Benchmark (not a test): how long 1, 20 and 100 concurrent curl clients take
# to fetch one file over TFTP (blksize 1468 and 512) from our server,
# dnsmasq's TFTP, tftpd-hpa and atftpd, with each server's CPU seconds;
# ours again with windowsize (atftp client, since curl has no windowsize);
# and the same file over HTTP from our http-serve.
#
# Everything runs inside one network namespace made by tests/lib/lab.sh,
# on its loopback (unshaped), so the servers can all use port 69 and
# nothing touches the host's network. Needs root.
#
# Usage: bench/tftp.sh [BUILDDIR]           (default: build)
#   CLIENTS="1 20 100" BLKSIZES="1468 512" SIZE_MB=16 SERVERS="ours dnsmasq hpa atftpd"
#   REPS=3 WINDOWS="8 32" HTTP=1 EQUAL_CPU=0 BASE= OUTDIR=build/bench
#
# Prints a table of medians and, under each cell, the first server of
# SERVERS against each other one run by run ("paired"); every run goes to
# OUTDIR/tftp-DATE.tsv.
#
# SERVERS may name ours more than once with a worker count: "ours" runs
# tftp-serve as it comes (one transfer thread per CPU, up to 4), "ours1"
# with --workers 1 (every transfer on the main thread), "ours2" with 2, ...
# WINDOWS="" runs the windowsize rows at windowsize 1 only; HTTP=0 skips
# the HTTP rows.
#
# Fairness on a shared, noisy machine: every cell (block size, client count)
# runs all servers back to back, each freshly started, in an order that
# rotates between repetitions, and the table shows the median of REPS runs
# (wall time and server CPU each), so a burst of other load hits one run of
# one server, not a whole column. Every run is also logged on stderr.
#
# BASE=DIR adds servers named "base" and "baseN": tftp-serve from another
# build (say of main), as "ours" and "oursN", for a before/after in one run.
#
# EQUAL_CPU=1 models clients on other machines, for every server alike: the
# server, with all its threads and child processes, runs in one cpu cgroup
# and all the clients in another, with equal cpu.shares, so under contention
# each side gets half of the CPUs whatever its number of threads or
# processes. By default (0) everything is in one group, and the kernel shares
# the CPUs per thread: 100 curl processes against a server with 2 threads
# (ours) or 1 (dnsmasq) leave it little, while a server with a thread
# (atftpd) or a process (tftpd-hpa) per transfer takes half.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$top/build}
case $B in /*) ;; *) B=$top/$B ;; esac
CLIENTS=${CLIENTS:-1 20 100}
BLKSIZES=${BLKSIZES:-1468 512}
SIZE_MB=${SIZE_MB:-16}
SERVERS=${SERVERS:-ours dnsmasq hpa atftpd}
WINDOWS=${WINDOWS-8 32}
REPS=${REPS:-3}
HTTP=${HTTP:-1}
EQUAL_CPU=${EQUAL_CPU:-0}
BASE=${BASE:-}
case $BASE in "" | /*) ;; *) BASE=$top/$BASE ;; esac
HZ=$(getconf CLK_TCK)

. "$top/tests/lib/lab.sh"

[ -x "$B/src/tftp/tftp-serve" ] || { echo "build first: ninja -C $B" >&2; exit 1; }
case " $SERVERS " in *" base"*)
	[ -x "$BASE/src/tftp/tftp-serve" ] || { echo "bench: base servers need BASE=builddir" >&2; exit 1; } ;;
esac
for c in curl atftp; do
	command -v "$c" >/dev/null || { echo "bench: $c missing (tools/deps.sh bench)" >&2; exit 1; }
done

# unpacked PACKAGE BINARY: the path of BINARY from PACKAGE's .deb, unpacked
# into bench/.cache (fetched with apt-get download, never installed: an
# installed atftpd or tftpd-hpa would start a TFTP daemon on the host).
unpacked() {
	local cache=$top/bench/.cache/$1
	if [ ! -x "$cache/x$2" ]; then
		mkdir -p "$cache"
		(cd "$cache" && rm -f ./*.deb && apt-get download "$1" >/dev/null 2>&1 &&
			dpkg-deb -x ./*.deb x) || return 1
	fi
	echo "$cache/x$2"
}

lab_init bench
lab_switch
# An address besides loopback: tftpd-hpa resolves its bind address with
# AI_ADDRCONFIG, which ignores loopback-only hosts.
lab_host srv 10.77.0.1/24
ROOT=$LAB_TMP/root
OUT=$LAB_TMP/out
mkdir -p "$ROOT" "$OUT"
chmod 755 "$ROOT" "$OUT"
head -c $((SIZE_MB * 1048576)) /dev/urandom > "$ROOT/file"
chmod 644 "$ROOT/file"
SIZE=$((SIZE_MB * 1048576))

# Server CPU time in ns. A cpuacct cgroup counts a server with all its
# children (tftpd-hpa forks one per transfer and does not wait for them);
# without one, /proc/PID/stat of the server alone.
CG=""
if [ -d /sys/fs/cgroup/cpuacct ] && mkdir "/sys/fs/cgroup/cpuacct/$LAB_P" 2>/dev/null; then
	CG=/sys/fs/cgroup/cpuacct/$LAB_P
fi
CPUG="" CLIG=""
if [ "$EQUAL_CPU" = 1 ]; then
	if [ -f /sys/fs/cgroup/cpu/cpu.shares ] && mkdir "/sys/fs/cgroup/cpu/$LAB_P" 2>/dev/null &&
		mkdir "/sys/fs/cgroup/cpu/$LAB_P-cli" 2>/dev/null; then
		CPUG=/sys/fs/cgroup/cpu/$LAB_P
		CLIG=/sys/fs/cgroup/cpu/$LAB_P-cli
		echo 1024 > "$CPUG/cpu.shares"
		echo 1024 > "$CLIG/cpu.shares"
	else
		rmdir "/sys/fs/cgroup/cpu/$LAB_P" 2>/dev/null || true
		echo "bench: no cgroup v1 cpu controller; EQUAL_CPU=1 cannot be honoured" >&2
		exit 1
	fi
fi
bench_cleanup() {
	local rc=$? p
	# Without this, set -e ends the trap at "(exit $rc)" after a failure
	# and the namespaces stay behind.
	set +e
	for p in $LAB_PIDS; do kill -9 "$p" 2>/dev/null || true; done
	sleep 0.3
	[ -z "$CG" ] || rmdir "$CG" 2>/dev/null || true
	[ -z "$CPUG" ] || rmdir "$CPUG" 2>/dev/null || true
	[ -z "$CLIG" ] || rmdir "$CLIG" 2>/dev/null || true
	(exit $rc)
	lab_cleanup
}
trap bench_cleanup EXIT
cpu_ns() { # pid
	if [ -n "$CG" ]; then
		cat "$CG/cpuacct.usage"
	else
		awk -v hz="$HZ" '{printf "%d\n", ($14 + $15 + $16 + $17) * 1e9 / hz}' "/proc/$1/stat"
	fi
}

SRV_PID=""
start_server() { # name
	case $1 in
	ours* | base*)
		local workers=() bin=$B/src/tftp/tftp-serve n=${1#ours}
		case $1 in base*) bin=$BASE/src/tftp/tftp-serve n=${1#base} ;; esac
		[ -z "$n" ] || workers=(--workers "$n")
		lab_bg srv "$bin" --root "$ROOT" --address 127.0.0.1 --port 69 \
			--max-transfers 1000 --max-per-client 1000 --log-level error "${workers[@]}" ;;
	dnsmasq)
		lab_bg srv dnsmasq --no-daemon --conf-file=/dev/null --port=0 --enable-tftp \
			--tftp-root="$ROOT" --tftp-max=200 --listen-address=127.0.0.1 \
			--bind-interfaces --user=root --quiet-tftp --pid-file= 2>/dev/null ;;
	hpa)
		lab_bg srv "$HPA" -L -u root -a 127.0.0.1:69 -s "$ROOT" ;;
	atftpd)
		lab_bg srv "$ATFTPD" --daemon --no-fork --port 69 --bind-address 127.0.0.1 \
			--user root --group root --maxthread 300 --logfile /dev/null "$ROOT" ;;
	http)
		lab_bg srv "$B/src/http/http-serve" --root "$ROOT" --address 127.0.0.1 --port 80 \
			--max-connections 1000 --log-level error ;;
	esac
	SRV_PID=$LAB_LAST_PID
	[ -z "$CG" ] || echo "$SRV_PID" > "$CG/cgroup.procs"
	[ -z "$CPUG" ] || echo "$SRV_PID" > "$CPUG/cgroup.procs"
	if [ "$1" = http ]; then
		lab_wait 5 sh -c "ip netns exec $(lab_ns srv) ss -tln | grep -q '127.0.0.1:80 '"
	else
		lab_wait 5 sh -c "ip netns exec $(lab_ns srv) ss -uln | grep -q '127.0.0.1:69 '"
	fi
}

stop_server() {
	kill "$SRV_PID" 2>/dev/null || true
	for _ in $(seq 1 30); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	lab_wait 5 sh -c "! ip netns exec $(lab_ns srv) ss -uln | grep -q ':69 '" || true
}

# run N CLIENT ARGS...: N clients at once; prints "wall ok" (ok = clients
# that got all SIZE bytes).
run_clients() {
	local n=$1 kind=$2
	shift 2
	rm -f "$OUT"/c.*
	# The clients (this subshell and all it starts) in their cgroup; from
	# out here, as ip netns exec mounts a /sys without the cgroups.
	(
	[ -z "$CLIG" ] || echo "$BASHPID" > "$CLIG/cgroup.procs"
	exec ip netns exec "$(lab_ns srv)" timeout 600 bash -c '
		n=$1; kind=$2; out=$3; shift 3
		t0=$(date +%s%N)
		for i in $(seq 1 "$n"); do
			if [ "$kind" = atftp ]; then
				atftp "$@" -g -r file -l "$out/f.$i" 127.0.0.1 69 >/dev/null 2>&1
				stat -c %s "$out/f.$i" > "$out/c.$i" 2>/dev/null
				rm -f "$out/f.$i"
			else
				curl -s -o /dev/null -w "%{size_download}\n" "$@" > "$out/c.$i"
			fi &
		done
		wait
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000000 ))' _ "$n" "$kind" "$OUT" "$@"
	) > "$OUT/wall"
	local ok=0
	for i in $(seq 1 "$n"); do
		[ "$(cat "$OUT/c.$i" 2>/dev/null)" = "$SIZE" ] && ok=$((ok + 1))
	done
	echo "$(cat "$OUT/wall") $ok"
}

# median of the numbers on stdin
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# cell SERVER-LIST N KIND ARGS...: REPS runs of N clients against each server
# (started fresh, order rotated per run); prints one table line per server
# with the median wall and CPU seconds.
cell() {
	local servers=$1 label=$2 n=$3
	shift 3
	local r s c0 c1 res i
	local -a list=($servers)
	local -A walls=() cpus=() oks=()
	for r in $(seq 1 "$REPS"); do
		# Rotate the order so no server always runs first or last.
		for ((i = 0; i < ${#list[@]}; i++)); do
			s=${list[$(((i + r - 1) % ${#list[@]}))]}
			start_server "$s"
			c0=$(cpu_ns "$SRV_PID")
			res=$(run_clients "$n" "$@")
			c1=$(cpu_ns "$SRV_PID")
			stop_server
			walls[$s]="${walls[$s]:-} ${res% *}"
			cpus[$s]="${cpus[$s]:-} $(( (c1 - c0) / 1000000 ))"
			oks[$s]=$(( ${oks[$s]:-0} + ${res#* } ))
			echo "run $r: $s $label $n clients: wall ${res% *} ms, cpu $(( (c1 - c0) / 1000000 )) ms, ok ${res#* }/$n" >&2
		done
	done
	for s in $servers; do
		for r in $(seq 1 "$REPS"); do
			printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$n" "$s" "$r" \
				"$(cut -d' ' -f$((r + 1)) <<<"${walls[$s]}")" \
				"$(cut -d' ' -f$((r + 1)) <<<"${cpus[$s]}")" >>"$TSV"
		done
	done
	for s in $servers; do
		printf '%-10s %-22s %7s %9.2f %10.2f %8s\n' "$s" "$label" "$n" \
			"$(echo "$(tr ' ' '\n' <<<"${walls[$s]}" | grep . | median) / 1000" | bc -l)" \
			"$(echo "$(tr ' ' '\n' <<<"${cpus[$s]}" | grep . | median) / 1000" | bc -l)" \
			"${oks[$s]}/$((n * REPS))"
	done
	[ "${#list[@]}" -lt 2 ] || paired "${list[0]}" "$label" "$n"
}

# paired FIRST LABEL N: FIRST against each other server of the cell, run by
# run (the servers of one repetition run back to back, so they share the
# machine's state of the moment): the median of the per-run ratios of wall
# time and of CPU, and in how many runs FIRST was ahead. On a noisy machine
# this separates a real difference from a lucky median.
paired() {
	awk -F'\t' -v a="$1" -v lab="$2" -v n="$3" '
		$1 == lab && $2 == n { w[$3, $4] = $5; c[$3, $4] = $6; if (!($3 in seen)) { seen[$3] = 1; order[++ns] = $3 } }
		function med(v, k,   i, j, t) {
			for (i = 2; i <= k; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
			return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
		}
		END {
			for (i = 1; i <= ns; i++) {
				b = order[i]; if (b == a) continue
				k = 0; fw = 0; fc = 0
				for (r = 1; (a, r) in w; r++) {
					if (!((b, r) in w) || w[b, r] == 0 || c[b, r] == 0) continue
					k++; rw[k] = w[a, r] / w[b, r]; rc[k] = c[a, r] / c[b, r]
					fw += w[a, r] < w[b, r]; fc += c[a, r] < c[b, r]
				}
				if (k) printf "  paired, %s / %s: wall %.3f (ahead in %d of %d runs), cpu %.3f (less in %d of %d)\n", a, b, med(rw, k), fw, k, med(rc, k), fc, k
			}
		}' "$TSV"
}

command -v bc >/dev/null || { echo "bench: bc missing" >&2; exit 1; }
HPA="" ATFTPD=""
case " $SERVERS " in *" hpa "*)
	HPA=$(unpacked tftpd-hpa /usr/sbin/in.tftpd) || { echo "bench: no tftpd-hpa" >&2; exit 1; } ;;
esac
case " $SERVERS " in *" atftpd "*)
	ATFTPD=$(unpacked atftpd /usr/sbin/atftpd) || { echo "bench: no atftpd" >&2; exit 1; } ;;
esac

# Every run, one line each: cell, clients, server, repetition, wall ms, CPU ms.
mkdir -p "${OUTDIR:=$top/build/bench}"
TSV=$OUTDIR/tftp-$(date -u +%Y%m%d-%H%M%S).tsv
printf 'transfer\tclients\tserver\trep\twall_ms\tcpu_ms\n' >"$TSV"

echo "file: $SIZE_MB MiB on loopback in a namespace; $(nproc) CPUs; times in seconds"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews wall times)"
[ -z "$BASE" ] || echo "base: $BASE; ours: $B"
echo "median of $REPS runs per cell, servers interleaved;" \
	"$([ -n "$CPUG" ] && echo "server and clients in two cgroups of equal weight (EQUAL_CPU=1)" ||
		echo "CPU shared per thread, servers and clients alike (EQUAL_CPU=0)")"
printf '%-10s %-22s %7s %9s %10s %8s\n' server transfer clients wall server-cpu ok
for blk in $BLKSIZES; do
	for n in $CLIENTS; do
		cell "$SERVERS" "tftp blksize $blk" "$n" curl --tftp-blksize "$blk" \
			"tftp://127.0.0.1:69/file"
	done
done
case " $SERVERS " in *" ours "*)
	for w in $WINDOWS; do
		for n in $CLIENTS; do
			cell ours "atftp 1468 window $w" "$n" atftp --option "blksize 1468" \
				--option "windowsize $w"
		done
	done
	for n in $CLIENTS; do
		cell ours "atftp 1468 window 1" "$n" atftp --option "blksize 1468"
	done ;;
esac
[ "$HTTP" = 0 ] || for n in $CLIENTS; do
	cell http "http" "$n" curl "http://127.0.0.1:80/file"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "results: $TSV"
