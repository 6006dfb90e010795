#!/bin/sh
# TFTP interop: tftp-hpa, curl and atftp fetch files byte-identical from our
# server, with and without blksize/tsize/windowsize, including an empty
# file, exact multiples of the block size, a file past 65535 blocks at
# blksize 512 (block number rollover) and netascii.
set -eu
. "$SRCDIR/tests/lib/serve.sh"
serve_need tftp curl atftp sha256sum
serve_init
R=$SERVE_TMP/root
O=$SERVE_TMP/out
mkdir -p "$O"
: > "$R/empty"
head -c 1000 /dev/urandom > "$R/small"
head -c $((512 * 64)) /dev/urandom > "$R/x512"
head -c $((1468 * 20)) /dev/urandom > "$R/x1468"
head -c 3000001 /dev/urandom > "$R/medium"
# 33 MiB + 7: 67599 blocks of 512, past 65535.
head -c $((33 * 1048576 + 7)) /dev/urandom > "$R/big"
printf 'line one\nline two\r\nbare cr\r and lf\n\n' > "$R/text.txt"
mkdir -p "$R/boot/sub"
cp "$R/small" "$R/boot/sub/file"

serve_start tftp-serve --root "$R" --log-level info
P=$SERVE_PORT
fail=0
check() { # name expected got
	if serve_same "$2" "$3"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi
	rm -f "$3"
}

for f in empty small x512 x1468 medium boot/sub/file; do
	timeout 60 tftp -m binary 127.0.0.1 "$P" -c get "$f" "$O/hpa" || true
	check "tftp-hpa $f" "$R/$f" "$O/hpa"
	timeout 60 curl -sS -o "$O/curl" "tftp://127.0.0.1:$P/$f" || true
	check "curl $f" "$R/$f" "$O/curl"
	timeout 60 curl -sS --tftp-blksize 1468 -o "$O/curl" "tftp://127.0.0.1:$P/$f" || true
	check "curl blksize 1468 $f" "$R/$f" "$O/curl"
	timeout 60 curl -sS --tftp-no-options -o "$O/curl" "tftp://127.0.0.1:$P/$f" || true
	check "curl no options $f" "$R/$f" "$O/curl"
	timeout 60 atftp -g -r "$f" -l "$O/atftp" 127.0.0.1 "$P" >/dev/null 2>&1 || true
	check "atftp $f" "$R/$f" "$O/atftp"
	timeout 60 atftp --option "blksize 1468" --option "tsize 0" --option "windowsize 8" \
		-g -r "$f" -l "$O/atftp" 127.0.0.1 "$P" >/dev/null 2>&1 || true
	check "atftp blksize 1468 tsize windowsize 8 $f" "$R/$f" "$O/atftp"
	timeout 60 atftp --option "blksize 512" --option "windowsize 4" \
		-g -r "$f" -l "$O/atftp" 127.0.0.1 "$P" >/dev/null 2>&1 || true
	check "atftp blksize 512 windowsize 4 $f" "$R/$f" "$O/atftp"
done

# A leading '/' is stripped (pxelinux asks for absolute paths).
timeout 60 curl -sS -o "$O/curl" "tftp://127.0.0.1:$P//boot/sub/file" || true
check "curl absolute path" "$R/boot/sub/file" "$O/curl"

# Block number rollover: default 512-byte blocks, more than 65535 of them.
timeout 120 tftp -m binary 127.0.0.1 "$P" -c get big "$O/hpa" || true
check "tftp-hpa rollover" "$R/big" "$O/hpa"
timeout 120 curl -sS --tftp-blksize 512 -o "$O/curl" "tftp://127.0.0.1:$P/big" || true
check "curl rollover" "$R/big" "$O/curl"
timeout 120 atftp --option "windowsize 16" -g -r big -l "$O/atftp" 127.0.0.1 "$P" \
	>/dev/null 2>&1 || true
check "atftp windowsize 16 rollover" "$R/big" "$O/atftp"

# Netascii: tftp-hpa converts back to Unix line ends, so the result equals
# the original; the server's log shows the netascii transfer.
timeout 60 tftp -m ascii 127.0.0.1 "$P" -c get text.txt "$O/hpa" || true
check "tftp-hpa netascii" "$R/text.txt" "$O/hpa"
timeout 60 atftp --option "mode netascii" -g -r text.txt -l "$O/atftp" 127.0.0.1 "$P" \
	>/dev/null 2>&1 || true
grep -q 'RRQ text.txt (netascii' "$SERVE_TMP/tftp-serve.log" || { echo "FAIL: no netascii"; fail=1; }

kill -0 "$SERVE_PID" || { echo "FAIL: server died"; fail=1; }
[ $fail = 0 ] || { tail -n 30 "$SERVE_TMP/tftp-serve.log"; exit 1; }
echo "all passed"
