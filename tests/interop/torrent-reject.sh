#!/bin/bash
# `boottorrent torrent-info` refuses crafted torrents (exit 1, a message
# naming the field) and the two torrent commands follow the CLI conventions
# (--help exit 0, usage errors exit 2). transmission-show is used as a
# witness that the crafted files are otherwise well-formed torrents.
set -eu
: "${BOOTTORRENT:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
T="timeout 20"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect_reject NAME BENCODE MESSAGE
expect_reject() {
	printf '%s' "$2" >"$work/$1.torrent"
	set +e
	$T "$BOOTTORRENT" torrent-info "$work/$1.torrent" >"$work/out" 2>"$work/err"
	rc=$?
	set -e
	if [ "$rc" -ne 1 ]; then
		fail "$1: exit $rc, want 1"
	elif ! grep -qF -- "$3" "$work/err"; then
		fail "$1: message '$(cat "$work/err")' lacks '$3'"
	elif [ -s "$work/out" ]; then
		fail "$1: printed something on stdout"
	else
		echo "$1: refused: $(cat "$work/err")"
	fi
}

P20=aaaaaaaaaaaaaaaaaaaa
expect_reject dotdot \
	"d4:infod5:filesld6:lengthi1e4:pathl2:..6:passwdeee4:name1:x12:piece lengthi16384e6:pieces20:${P20}ee" \
	"info.files[0].path: component '..' is not allowed"
expect_reject dotdot-name \
	"d4:infod6:lengthi1e4:name2:..12:piece lengthi16384e6:pieces20:${P20}ee" \
	"info.name: component '..' is not allowed"
expect_reject absolute \
	"d4:infod5:filesld6:lengthi1e4:pathl11:/etc/passwdeee4:name1:x12:piece lengthi16384e6:pieces20:${P20}ee" \
	"info.files[0].path: component '/etc/passwd' contains '/'"
expect_reject empty-component \
	"d4:infod5:filesld6:lengthi1e4:pathl0:1:aeee4:name1:x12:piece lengthi16384e6:pieces20:${P20}ee" \
	"info.files[0].path: empty component is not allowed"
expect_reject zero-piece-length \
	"d4:infod6:lengthi1e4:name1:x12:piece lengthi0e6:pieces20:${P20}ee" \
	"info.piece length: 0 is not within"
expect_reject pieces-count \
	"d4:infod6:lengthi16385e4:name1:x12:piece lengthi16384e6:pieces20:${P20}ee" \
	"info.pieces: 1 hashes, but 16385 bytes in pieces of 16384 need 2"
expect_reject pieces-length \
	"d4:infod6:lengthi1e4:name1:x12:piece lengthi16384e6:pieces19:aaaaaaaaaaaaaaaaaaaee" \
	"info.pieces: length 19 is not a non-zero multiple of 20"
expect_reject unsorted \
	"d4:infod4:name1:x6:lengthi1e12:piece lengthi16384e6:pieces20:${P20}ee" \
	"dictionary keys not sorted"
expect_reject truncated \
	"d4:infod6:lengthi1e4:name1:x12:piece lengthi16384e6:pieces20:${P20}" \
	"truncated input"
expect_reject no-info "d8:announce3:urle" "info: missing"
: >"$work/empty.torrent"
expect_reject empty "" "not valid bencode at byte 0"

# The ../ torrent really is a torrent in other tools' eyes: only the path
# is wrong, so the refusal above is ours and not a side effect.
if command -v transmission-show >/dev/null; then
	$T transmission-show "$work/dotdot.torrent" >/dev/null 2>&1 ||
		echo "note: transmission-show refuses dotdot.torrent too"
fi

# A missing file is exit 1 as well.
set +e
$T "$BOOTTORRENT" torrent-info "$work/missing.torrent" 2>/dev/null
[ $? -eq 1 ] || fail "missing file: exit code"

# CLI conventions.
for cmd in torrent-info mktorrent; do
	$T "$BOOTTORRENT" $cmd --help >"$work/help"
	[ $? -eq 0 ] && grep -q "^Usage: boottorrent $cmd" "$work/help" || fail "$cmd --help"
	$T "$BOOTTORRENT" $cmd --bogus x 2>"$work/err"
	[ $? -eq 2 ] && grep -q "unknown option" "$work/err" || fail "$cmd --bogus: exit 2"
	$T "$BOOTTORRENT" $cmd 2>/dev/null
	[ $? -eq 2 ] || fail "$cmd without arguments: exit 2"
done
$T "$BOOTTORRENT" mktorrent "$work" 2>"$work/err"
[ $? -eq 2 ] && grep -q "missing -o" "$work/err" || fail "mktorrent without -o: exit 2"
$T "$BOOTTORRENT" mktorrent --piece-size 3000 -o "$work/x.torrent" "$work" 2>/dev/null
[ $? -eq 2 ] || fail "mktorrent --piece-size 3000: exit 2"
$T "$BOOTTORRENT" mktorrent -o "$work/x.torrent" "$work/nonexistent" 2>/dev/null
[ $? -eq 1 ] || fail "mktorrent of a missing path: exit 1"
printf data >"$work/file"
mkdir "$work/withlink" && ln -s /etc/hostname "$work/withlink/outside" && printf x >"$work/withlink/f"
$T "$BOOTTORRENT" mktorrent -o "$work/x.torrent" "$work/withlink" 2>"$work/err"
[ $? -eq 1 ] && grep -q "points outside" "$work/err" || fail "mktorrent with a symlink outside"
[ ! -e "$work/x.torrent" ] || fail "a torrent was written despite the error"
$T "$BOOTTORRENT" mktorrent -q -o "$work/x.torrent" "$work/file" >/dev/null
[ $? -eq 0 ] || fail "mktorrent of a file"
$T "$BOOTTORRENT" mktorrent -q -o "$work/x.torrent" "$work/file" 2>"$work/err"
[ $? -eq 1 ] && grep -q "exists" "$work/err" || fail "mktorrent must not overwrite without --force"
$T "$BOOTTORRENT" mktorrent -q -f -o "$work/x.torrent" "$work/file" >/dev/null
[ $? -eq 0 ] || fail "mktorrent --force"
set -e

echo "$fails failures"
[ "$fails" -eq 0 ]
