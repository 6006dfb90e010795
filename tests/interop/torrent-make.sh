#!/bin/bash
# Torrents made by `boottorrent mktorrent` are read by tools we did not
# write: transmission-show, aria2c --show-files and python3-libtorrent must
# each report the same info-hash as ours. Piece hashes are checked
# independently (python's hashlib over the files in libtorrent's order), and
# where Debian's mktorrent supports the piece size, its info dict for the
# same content must be byte-identical to ours.
set -eu
: "${BOOTTORRENT:?}"
for tool in transmission-show aria2c mktorrent; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null || { echo "SKIP: no python3-libtorrent"; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
T="timeout 60"
fails=0
checks=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# Content: a 1-byte file, a file of exactly 4 x 32 KiB, an odd-sized one,
# and a folder with nested, empty and exact-multiple files.
mkdir -p "$work/src/tree/sub/deeper" "$work/out"
printf x >"$work/src/one-byte"
head -c $((4 * 32768)) /dev/urandom >"$work/src/exact-128k"
head -c 1000001 /dev/urandom >"$work/src/odd"
printf a >"$work/src/tree/a"
head -c 65536 /dev/urandom >"$work/src/tree/sub/b-64k"
head -c 100003 /dev/urandom >"$work/src/tree/sub/deeper/c"
: >"$work/src/tree/sub/empty"
head -c 777 /dev/urandom >"$work/src/tree/z.txt"

# The independent check, with libtorrent reading the torrent.
cat >"$work/check.py" <<'PY'
import hashlib, os, sys, warnings
import libtorrent as lt
warnings.simplefilter("ignore")
torrent, content_root, want_hash = sys.argv[1], sys.argv[2], sys.argv[3]
ti = lt.torrent_info(torrent)
got = str(ti.info_hashes().v1)
if got != want_hash:
    sys.exit(f"libtorrent info-hash {got} != ours {want_hash}")
fs = ti.files()
# file_path() starts with the torrent's name; content_root is its parent.
data = b"".join(open(os.path.join(content_root, fs.file_path(i)), "rb").read()
                for i in range(fs.num_files()))
if len(data) != ti.total_size():
    sys.exit(f"total size {ti.total_size()} != content {len(data)}")
pl = ti.piece_length()
n = (len(data) + pl - 1) // pl
if ti.num_pieces() != n:
    sys.exit(f"{ti.num_pieces()} pieces, want {n}")
for i in range(n):
    h = hashlib.sha1(data[i * pl:(i + 1) * pl]).hexdigest()
    hp = ti.hash_for_piece(i)
    hp = hp.hex() if isinstance(hp, bytes) else str(hp)
    if hp != h:
        sys.exit(f"piece {i}: hash {hp} != sha1 {h}")
print(f"libtorrent: {got}, {n} pieces of {pl} verified")
PY
cat >"$work/infodict.py" <<'PY'
import sys, warnings
import libtorrent as lt
warnings.simplefilter("ignore")
sys.stdout.buffer.write(lt.torrent_info(sys.argv[1]).metadata())
PY

ours_hash() { "$BOOTTORRENT" torrent-info "$1" | awk '/^Info hash:/ { print $3 }'; }

# check NAME SOURCE PIECE_SIZE (bytes, or "auto")
check() {
	name=$1 src=$2 ps=$3
	t="$work/out/$name.torrent"
	opt=""
	[ "$ps" = auto ] || opt="--piece-size $ps"
	checks=$((checks + 1))
	# shellcheck disable=SC2086
	if ! $T "$BOOTTORRENT" mktorrent -q $opt -a http://127.0.0.1:6969/announce \
		-o "$t" "$src" >/dev/null; then
		fail "$name: mktorrent failed"
		return
	fi
	h=$(ours_hash "$t")
	[ ${#h} -eq 40 ] || { fail "$name: no info-hash from torrent-info"; return; }
	ts=$($T transmission-show "$t" | awk '$1 == "Hash:" { print $2 }')
	[ "$ts" = "$h" ] || fail "$name: transmission-show says '$ts', we say $h"
	ar=$($T aria2c --show-files "$t" | awk '/^Info Hash:/ { print $3 }')
	[ "$ar" = "$h" ] || fail "$name: aria2c says '$ar', we say $h"
	$T /usr/bin/python3 "$work/check.py" "$t" "$(dirname "$src")" "$h" ||
		fail "$name: libtorrent check"
	# Debian's mktorrent takes piece sizes of 2^15..2^28 only.
	if [ "$ps" != auto ] && [ "$ps" -ge 32768 ]; then
		l=0
		while [ $((1 << l)) -lt "$ps" ]; do l=$((l + 1)); done
		$T mktorrent -t 1 -l "$l" -a http://127.0.0.1:6969/announce \
			-o "$work/out/$name.mk.torrent" "$src" >/dev/null
		$T /usr/bin/python3 "$work/infodict.py" "$t" >"$work/out/$name.info"
		$T /usr/bin/python3 "$work/infodict.py" "$work/out/$name.mk.torrent" \
			>"$work/out/$name.mk.info"
		if cmp -s "$work/out/$name.info" "$work/out/$name.mk.info"; then
			echo "$name: info dict identical to mktorrent's"
		else
			fail "$name: info dict differs from mktorrent's"
		fi
	fi
	echo "$name: $h ok"
}

check one-byte "$work/src/one-byte" auto
check one-byte-32k "$work/src/one-byte" 32768
check exact-32k "$work/src/exact-128k" 32768
check exact-16k "$work/src/exact-128k" 16384
check odd-auto "$work/src/odd" auto
check odd-64k "$work/src/odd" 65536
check odd-1m "$work/src/odd" 1048576
check tree-16k "$work/src/tree" 16384
check tree-32k "$work/src/tree" 32768
check tree-64k "$work/src/tree" 65536
check tree-auto "$work/src/tree" auto

# The private flag and several tiers survive, as other tools see them.
checks=$((checks + 1))
$T "$BOOTTORRENT" mktorrent -q -p -l 32k -a http://127.0.0.1:1/a,http://127.0.0.1:2/a \
	-a udp://127.0.0.1:3 -c "a comment" -o "$work/out/priv.torrent" "$work/src/tree" >/dev/null
$T transmission-show "$work/out/priv.torrent" >"$work/out/priv.txt"
grep -q "Privacy: Private torrent" "$work/out/priv.txt" || fail "private flag not seen"
grep -q "Tier #2" "$work/out/priv.txt" || fail "second tier not seen"
grep -q "Comment: a comment" "$work/out/priv.txt" || fail "comment not seen"
$T /usr/bin/python3 - "$work/out/priv.torrent" <<'PY' || fail "libtorrent: private/trackers"
import sys, libtorrent as lt
ti = lt.torrent_info(sys.argv[1])
assert ti.priv(), "not private"
# libtorrent shuffles the URLs within a tier (BEP 12), so compare sorted.
tr = sorted((t.tier, t.url) for t in ti.trackers())
assert tr == [(0, "http://127.0.0.1:1/a"), (0, "http://127.0.0.1:2/a"),
              (1, "udp://127.0.0.1:3")], tr
PY

echo "$checks checks, $fails failures"
[ "$fails" -eq 0 ]
