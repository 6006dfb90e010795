#!/bin/bash
# Torrents made by Debian's mktorrent (a tool we did not write) are read by
# `boottorrent torrent-info` with the info-hash, piece count and files that
# transmission-show reports for them.
set -eu
: "${BOOTTORRENT:?}"
for tool in transmission-show mktorrent; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
T="timeout 60"
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

mkdir -p "$work/tree/sub" "$work/out"
printf 1 >"$work/one"
head -c 300000 /dev/urandom >"$work/tree/big"
head -c 32768 /dev/urandom >"$work/tree/sub/exact"
printf hello >"$work/tree/sub/small"

# make NAME mktorrent-args...
n=0
make() {
	name=$1
	shift
	$T mktorrent -t 1 "$@" -o "$work/out/$name.torrent" >/dev/null
}
make one -a http://127.0.0.1:6969/announce -l 15 "$work/one"
make tree -a http://127.0.0.1:6969/announce -l 15 "$work/tree"
make tree-tiers -a http://127.0.0.1:1/a,http://127.0.0.1:2/a -a udp://127.0.0.1:3 -l 18 \
	-c "made by mktorrent" -p "$work/tree"
make tree-nodate -d -n renamed -a http://127.0.0.1:6969/announce -l 16 "$work/tree"

for t in "$work"/out/*.torrent; do
	name=$(basename "$t" .torrent)
	n=$((n + 1))
	if ! $T "$BOOTTORRENT" torrent-info "$t" >"$work/ours.txt"; then
		fail "$name: torrent-info refused it"
		continue
	fi
	$T transmission-show "$t" >"$work/theirs.txt"
	ours=$(awk '/^Info hash:/ { print $3 }' "$work/ours.txt")
	theirs=$(awk '$1 == "Hash:" { print $2 }' "$work/theirs.txt")
	[ -n "$ours" ] && [ "$ours" = "$theirs" ] ||
		fail "$name: info-hash ours '$ours', transmission-show '$theirs'"
	ours=$(awk '/^Pieces:/ { print $2 }' "$work/ours.txt")
	theirs=$(awk '/Piece Count:/ { print $3 }' "$work/theirs.txt")
	[ "$ours" = "$theirs" ] || fail "$name: piece count ours '$ours', theirs '$theirs'"
	# File lists: "SIZE PATH" from ours, "PATH (SIZE)" style from transmission.
	awk '/^Files:/ { f = 1; next } f { print $2 }' "$work/ours.txt" | sort >"$work/ours.files"
	awk '/^FILES/ { f = 1; next } f && NF { print $1 }' "$work/theirs.txt" | sort \
		>"$work/theirs.files"
	[ -s "$work/ours.files" ] || fail "$name: no files listed"
	cmp -s "$work/ours.files" "$work/theirs.files" || {
		fail "$name: file lists differ"
		diff "$work/ours.files" "$work/theirs.files" || true
	}
	echo "$name: $(awk '/^Info hash:/ { print $3 }' "$work/ours.txt") ok"
done

grep -q '^Private: *yes' <("$BOOTTORRENT" torrent-info "$work/out/tree-tiers.torrent") ||
	fail "tree-tiers: private flag not read"
[ "$("$BOOTTORRENT" torrent-info "$work/out/tree-tiers.torrent" | grep -c '^  tier ')" = 3 ] ||
	fail "tree-tiers: 3 tracker URLs expected"
grep -q '^Comment: *made by mktorrent' <("$BOOTTORRENT" torrent-info "$work/out/tree-tiers.torrent") ||
	fail "tree-tiers: comment not read"
grep -q '^Name: *renamed' <("$BOOTTORRENT" torrent-info "$work/out/tree-nodate.torrent") ||
	fail "tree-nodate: name not read"

echo "$n torrents, $fails failures"
[ "$n" -eq 4 ] && [ "$fails" -eq 0 ]
