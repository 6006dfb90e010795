#!/bin/sh
# CPU per byte of the BitTorrent engine, against plain HTTP as the floor:
# one `boottorrent seed` and one `boottorrent get` move a SIZE_MIB file over
# loopback between two tmpfs folders; busybox wget and curl fetch the same
# file from busybox httpd. Instructions are counted with callgrind
# (deterministic, so a loaded machine does not move them), system calls
# with strace -c. Prints instructions and system calls per MiB for the
# downloader and the sender of each.
# Usage: bench/bt-cpu.sh [BOOTTORRENT] [SIZE_MIB] [PIECE]
#        (defaults: build/boottorrent, 72, 256k as the server's torrents)
# The callgrind profiles stay in build/bench/bt-cpu/{get,seed}.cg
# ($BT_CPU_OUT) for callgrind_annotate.
# Everything runs on 127.0.0.1; files go in /dev/shm and are removed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bt=${1:-${BOOTTORRENT:-$top/build/boottorrent}}
mib=${2:-72}
piece=${3:-256k}
out=${BT_CPU_OUT:-$top/build/bench/bt-cpu}
[ -x "$bt" ] || { echo "bt-cpu.sh: $bt not found (build first)" >&2; exit 1; }
for t in valgrind strace busybox curl; do
	command -v $t >/dev/null || { echo "bt-cpu.sh: needs $t" >&2; exit 77; }
done
dir=$(mktemp -d /dev/shm/bt-cpu.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

mkdir "$dir/src" "$dir/www"
# valgrind lacks openat2: a preloaded shim stands in (so BOOTTORRENT must be
# linked dynamically; build it with -Dbuildtype=minsize -Db_lto=true to
# match the static agent of phase 1).
cc -O2 -shared -fPIC -o "$dir/shim.so" "$top/bench/bt-cpu-shim.c" -ldl
head -c $((mib * 1048576)) /dev/urandom >"$dir/src/image.bin"
ln "$dir/src/image.bin" "$dir/www/image.bin"
"$bt" mktorrent -q -l "$piece" -o "$dir/image.torrent" "$dir/src/image.bin"
# A free port for each server, so that parallel runs do not collide.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits (at most 60 s) until something listens on TCP port $1.
wait_port() {
	i=0
	while ! ss -Hltn "sport = :$1" | grep -q .; do
		i=$((i + 1))
		[ $i -lt 600 ] || { echo "bt-cpu.sh: nothing listens on $1" >&2; exit 1; }
		sleep 0.1
	done
}

# Instructions of a callgrind output file (the "summary:" or "totals:" line).
ir() { awk '/^(summary|totals):/ { print $2; exit }' "$1"; }
# System calls in an strace -c table (its "total" line).
calls() { awk '$NF == "total" { print ($4 ~ /^[0-9]+$/) ? $4 : $3 }' "$1"; }
per_mib() { awk -v n="$1" -v m="$mib" 'BEGIN { printf "%12.0f", n / m }'; }

# The command that measures one side: $1 = callgrind or strace, $2 = a
# name for its output file. Empty for "none".
tool() {
	case "$1" in
	callgrind)
		echo "env LD_PRELOAD=$dir/shim.so valgrind --tool=callgrind" \
			"--callgrind-out-file=$dir/$2.cg --log-file=$dir/$2.vg" ;;
	strace) echo "strace -c -f -o $dir/$2.st" ;;
	esac
}

# One BitTorrent transfer, one side measured with $1 (callgrind or strace)
# while the other runs plain, as in a boot (the server's seeder fast, the
# agent on an emulated CPU) or in a large swarm (the seeder the busy one):
# $2 = get or seed. The seeder's start (its check of the file) is left out:
# callgrind counts only inside the event loop.
bt_run() {
	sp=$(port)
	rm -rf "$dir/dst"
	st=""
	gt=""
	if [ "$2" = seed ]; then
		st=$(tool "$1" seed)
		[ "$1" = callgrind ] && st="$st --collect-atstart=no --toggle-collect=event_base_loop"
	else
		gt=$(tool "$1" get)
	fi
	# shellcheck disable=SC2086
	$st "$bt" seed "$dir/image.torrent" --dir "$dir/src" --port "$sp" \
		--bind 127.0.0.1 --no-tracker --no-pex -q >/dev/null 2>&1 &
	seed=$!
	pids="$pids $seed"
	wait_port "$sp"
	# shellcheck disable=SC2086
	timeout 900 $gt "$bt" get "$dir/image.torrent" --dir "$dir/dst" --port 0 \
		--bind 127.0.0.1 --no-tracker --no-pex -q --peer "127.0.0.1:$sp" >/dev/null ||
		{ cat "$dir"/*.vg >&2 || true; exit 1; }
	# Under strace the seeder is strace's child, which strace does not
	# pass SIGINT to.
	kill -INT $(pgrep -P "$seed") "$seed" 2>/dev/null || true
	wait "$seed" || true
	cmp "$dir/src/image.bin" "$dir/dst/image.bin"
	mkdir -p "$out"
	if [ "$1" = callgrind ]; then
		cp "$dir/$2.cg" "$out/$2.cg" # for callgrind_annotate
		ir "$dir/$2.cg"
	else
		cp "$dir/$2.st" "$out/$2.st"
		calls "$dir/$2.st"
	fi
}

# One HTTP fetch with client $2 (wget or curl). $1 = callgrind or strace.
http_run() {
	hp=$(port)
	rm -f "$dir/out.bin" "$dir"/httpd.cg*
	if [ "$1" = callgrind ]; then
		valgrind --tool=callgrind --trace-children=yes \
			--callgrind-out-file="$dir/httpd.cg.%p" \
			busybox httpd -f -p "127.0.0.1:$hp" -h "$dir/www" 2>/dev/null &
	else
		busybox httpd -f -p "127.0.0.1:$hp" -h "$dir/www" &
	fi
	httpd=$!
	pids="$pids $httpd"
	wait_port "$hp"
	[ "$1" = strace ] && { strace -c -f -o "$dir/httpd.st" -p "$httpd" 2>/dev/null & st=$!; sleep 1; }
	case "$1.$2" in
	callgrind.wget) cmd="valgrind --tool=callgrind --callgrind-out-file=$dir/cl.cg busybox wget -q" ;;
	callgrind.curl) cmd="valgrind --tool=callgrind --callgrind-out-file=$dir/cl.cg curl -s" ;;
	strace.wget) cmd="strace -c -f -o $dir/cl.st busybox wget -q" ;;
	strace.curl) cmd="strace -c -f -o $dir/cl.st curl -s" ;;
	esac
	if [ "$2" = wget ]; then
		timeout 600 $cmd -O "$dir/out.bin" "http://127.0.0.1:$hp/image.bin" 2>/dev/null
	else
		timeout 600 $cmd -o "$dir/out.bin" "http://127.0.0.1:$hp/image.bin" 2>/dev/null
	fi
	[ "$1" = strace ] && { kill -INT "$st"; wait "$st" || true; }
	kill "$httpd"
	wait "$httpd" 2>/dev/null || true
	cmp "$dir/src/image.bin" "$dir/out.bin"
	if [ "$1" = callgrind ]; then
		cl=$(ir "$dir/cl.cg")
		# The per-connection child serves the file; the parent only accepts.
		srv=$(for f in "$dir"/httpd.cg.*; do ir "$f"; done | sort -n | tail -n 1)
	else
		cl=$(calls "$dir/cl.st")
		srv=$(calls "$dir/httpd.st")
	fi
}

echo "bt-cpu.sh: $mib MiB, piece $piece, $bt; $(uptime)"
bt_get_ir=$(bt_run callgrind get)
bt_seed_ir=$(bt_run callgrind seed)
bt_get_sc=$(bt_run strace get)
bt_seed_sc=$(bt_run strace seed)
if [ -n "${BT_CPU_ONLY_BT:-}" ]; then
	printf '%-32s %12s %12s\n' "per MiB" instructions "syscalls"
	printf '%-32s %s %s\n' "boottorrent get" "$(per_mib "$bt_get_ir")" "$(per_mib "$bt_get_sc")"
	printf '%-32s %s %s\n' "boottorrent seed (sending)" "$(per_mib "$bt_seed_ir")" \
		"$(per_mib "$bt_seed_sc")"
	exit 0
fi
http_run callgrind wget
wget_ir=$cl httpd_ir=$srv
http_run strace wget
wget_sc=$cl httpd_sc=$srv
http_run callgrind curl
curl_ir=$cl
http_run strace curl
curl_sc=$cl
printf '%-32s %12s %12s\n' "per MiB" instructions "syscalls"
printf '%-32s %s %s\n' "boottorrent get" "$(per_mib "$bt_get_ir")" "$(per_mib "$bt_get_sc")"
printf '%-32s %s %s\n' "boottorrent seed (sending)" "$(per_mib "$bt_seed_ir")" \
	"$(per_mib "$bt_seed_sc")"
printf '%-32s %s %s\n' "busybox wget" "$(per_mib "$wget_ir")" "$(per_mib "$wget_sc")"
printf '%-32s %s %s\n' "curl" "$(per_mib "$curl_ir")" "$(per_mib "$curl_sc")"
printf '%-32s %s %s\n' "busybox httpd (sending)" "$(per_mib "$httpd_ir")" \
	"$(per_mib "$httpd_sc")"
