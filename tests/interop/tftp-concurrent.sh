#!/bin/sh
# TFTP boot storm in small: 20 curl clients fetch the same 4 MiB file at
# once (half with blksize 1468); every copy is byte-identical, and all
# transfers share one open file.
set -eu
. "$SRCDIR/tests/lib/serve.sh"
serve_need curl sha256sum
serve_init
R=$SERVE_TMP/root
O=$SERVE_TMP/out
mkdir -p "$O"
head -c $((4 * 1048576 + 123)) /dev/urandom > "$R/kernel"
serve_start tftp-serve --root "$R" --log-level info --max-per-client 32
P=$SERVE_PORT

pids=""
for i in $(seq 1 20); do
	if [ $((i % 2)) = 0 ]; then blk="--tftp-blksize 1468"; else blk=""; fi
	# shellcheck disable=SC2086
	timeout 120 curl -sS $blk -o "$O/k$i" "tftp://127.0.0.1:$P/kernel" &
	pids="$pids $!"
done
fail=0
sleep 0.3
nfd=$(ls -l "/proc/$SERVE_PID/fd" | grep -c '/kernel$' || true)
echo "open descriptors of the file while serving: $nfd"
[ "$nfd" -le 1 ] || fail=1
for p in $pids; do
	wait "$p" || fail=1
done
for i in $(seq 1 20); do
	serve_same "$R/kernel" "$O/k$i" || fail=1
done
done=$(grep -c 'sent kernel' "$SERVE_TMP/tftp-serve.log" || true)
echo "transfers done: $done"
[ "$done" = 20 ] || fail=1
[ $fail = 0 ] || { tail -n 30 "$SERVE_TMP/tftp-serve.log"; exit 1; }
echo "all passed"
