#!/bin/sh
# Hashing speed of `boottorrent mktorrent` for one file held in page cache,
# beside Debian's mktorrent and sha1sum on the same file, in MB/s.
# Usage: bench/hash.sh [BOOTTORRENT] [SIZE_MIB]   (defaults: build/boottorrent, 1024)
# The file goes in /dev/shm (or /tmp) and is removed at the end.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bt=${1:-${BOOTTORRENT:-$top/build/boottorrent}}
mib=${2:-1024}
dir=$(mktemp -d /dev/shm/bt-hash.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
[ -x "$bt" ] || { echo "hash.sh: $bt not found (build first)" >&2; exit 1; }

f=$dir/data.bin
head -c $((mib * 1048576)) /dev/urandom >"$f"
cat "$f" >/dev/null # warm the page cache
bytes=$((mib * 1048576))

# Prints the wall time of a command in seconds (nanosecond clock).
seconds() {
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000)) | awk '{printf "%.3f", $1 / 1000}'
}

rate() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%8.0f MB/s  (%.2f s)", b / 1e6 / s, s }'; }

NETTLE_FAT_VERBOSE=1 "$bt" version 2>&1 | grep -i "sha" || true
printf 'file: %s MiB in %s, piece size 1 MiB\n' "$mib" "$dir"
s=$(seconds "$bt" mktorrent -q -d -l 1M -o "$dir/bt.torrent" "$f")
printf '%-28s %s\n' "boottorrent mktorrent" "$(rate "$s")"
if command -v mktorrent >/dev/null; then
	s=$(seconds mktorrent -l 20 -t 1 -a http://127.0.0.1/ -o "$dir/mk1.torrent" "$f")
	printf '%-28s %s\n' "mktorrent (1 thread)" "$(rate "$s")"
	s=$(seconds mktorrent -l 20 -a http://127.0.0.1/ -o "$dir/mk.torrent" "$f")
	printf '%-28s %s\n' "mktorrent (all cores)" "$(rate "$s")"
fi
s=$(seconds sha1sum "$f")
printf '%-28s %s\n' "sha1sum" "$(rate "$s")"
