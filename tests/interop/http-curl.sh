#!/bin/sh
# HTTP file serving with curl: GET, HEAD, single ranges (bytes compared),
# 416, keep-alive across two URLs, traversal refused (plain, percent-encoded,
# symlink out of the root), 404, 405, oversized headers, the idle timeout
# and the connection cap.
set -eu
. "$SRCDIR/tests/lib/serve.sh"
serve_need curl python3 sha256sum
serve_init
R=$SERVE_TMP/root
O=$SERVE_TMP/out
mkdir -p "$O" "$SERVE_TMP/outside" "$R/boot"
echo secret > "$SERVE_TMP/outside/secret"
ln -s "$SERVE_TMP/outside/secret" "$R/escape"
head -c $((20 * 1048576 + 5)) /dev/urandom > "$R/boot/initrd"
head -c 1000 /dev/urandom > "$R/small"
: > "$R/empty"
serve_start http-serve --root "$R" --log-level info --idle-timeout 2 --max-connections 4
U=http://127.0.0.1:$SERVE_PORT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
status() { curl -s --path-as-is -o /dev/null -w '%{http_code}' "$@"; }

timeout 60 curl -sS -o "$O/initrd" "$U/boot/initrd"
serve_same "$R/boot/initrd" "$O/initrd" && ok "GET 20 MiB" || bad "GET 20 MiB"
timeout 10 curl -sS -o "$O/empty" "$U/empty"
serve_same "$R/empty" "$O/empty" && ok "GET empty" || bad "GET empty"

len=$(curl -sI "$U/boot/initrd" | tr -d '\r' | awk -F': ' 'tolower($1)=="content-length"{print $2}')
[ "$len" = $((20 * 1048576 + 5)) ] && ok "HEAD length $len" || bad "HEAD length '$len'"
[ "$(curl -s -I -o /dev/null -w '%{size_download}' "$U/small")" = 0 ] && ok "HEAD has no body" ||
	bad "HEAD body"

range() { # spec first count
	curl -s -r "$1" -o "$O/r" -w '%{http_code}' "$U/boot/initrd" > "$O/code"
	dd if="$R/boot/initrd" of="$O/want" bs=1M iflag=skip_bytes,count_bytes skip="$2" \
		count="$3" 2>/dev/null
	if [ "$(cat "$O/code")" = 206 ] && serve_same "$O/want" "$O/r"; then ok "range $1"
	else bad "range $1 ($(cat "$O/code"))"; fi
}
size=$((20 * 1048576 + 5))
range 0-0 0 1
range 100-199 100 100
range 1048000- 1048000 $((size - 1048000))
range -4096 $((size - 4096)) 4096
range 20971000-99999999 20971000 $((size - 20971000))
c=$(status -r 99999999- "$U/boot/initrd")
[ "$c" = 416 ] && ok "range past the end: 416" || bad "range past the end: $c"
cr=$(curl -s -r 99999999- -D - -o /dev/null "$U/boot/initrd" | tr -d '\r' |
	awk -F': ' 'tolower($1)=="content-range"{print $2}')
[ "$cr" = "bytes */$size" ] && ok "416 Content-Range" || bad "416 Content-Range '$cr'"
c=$(status -H 'Range: bytes=0-1,5-6' "$U/small")
[ "$c" = 200 ] && ok "multiple ranges: whole file" || bad "multiple ranges: $c"

# Keep-alive: the second URL reuses the connection.
if curl -sv -o /dev/null -o /dev/null "$U/small" "$U/boot/initrd" 2>&1 |
	grep -q 'Re-using existing connection'; then ok "keep-alive"; else bad "keep-alive"; fi

for p in /../../etc/passwd /boot/../../outside/secret /%2e%2e/%2e%2e/etc/passwd \
	/boot/%2E%2E/%2e%2e/outside/secret /escape /%2e%2e%2foutside%2fsecret; do
	c=$(status "$U$p")
	[ "$c" = 403 ] && ok "traversal $p: 403" || bad "traversal $p: $c"
done
c=$(status "$U/a%00b"); [ "$c" = 400 ] && ok "NUL: 400" || bad "NUL: $c"
c=$(status "$U/missing"); [ "$c" = 404 ] && ok "missing: 404" || bad "missing: $c"
c=$(status "$U/boot"); [ "$c" = 404 ] && ok "folder: 404" || bad "folder: $c"
c=$(status -X POST "$U/small"); [ "$c" = 405 ] && ok "POST: 405" || bad "POST: $c"
c=$(status -X DELETE "$U/small"); [ "$c" = 405 ] || [ "$c" = 501 ] && ok "DELETE: $c" ||
	bad "DELETE: $c"
c=$(status -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "$U/small")
[ "$c" = 400 ] || [ "$c" = 431 ] || [ "$c" = 000 ] && ok "oversized headers refused ($c)" ||
	bad "oversized headers: $c"
[ "$(curl -s "$U/_ping")" = pong ] && ok "extra route" || bad "extra route"

# The idle timeout closes a half-sent request; the cap answers 503 past 4
# connections; the server keeps serving afterwards.
timeout 30 python3 - "$SERVE_PORT" <<'PY' || fail=1
import socket, sys, time
port = int(sys.argv[1])
bad = 0
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET /small HTTP/1.1\r\nHost: x\r\n")   # never finished
s.settimeout(10)
t = time.time()
try:
    d = s.recv(100)
except socket.timeout:
    d = None
dt = time.time() - t
if d is not None and dt < 8:
    print("ok: idle connection closed after %.1f s" % dt)
else:
    print("FAIL: idle connection still open"); bad += 1
conns = []
for i in range(4):
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
    r = c.recv(20)
    conns.append(c)
c = socket.create_connection(("127.0.0.1", port))
c.sendall(b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
r = c.recv(20)
if r.startswith(b"HTTP/1.1 503"):
    print("ok: fifth connection gets 503")
else:
    print("FAIL: fifth connection got", r); bad += 1
for c in conns:
    c.close()
sys.exit(1 if bad else 0)
PY
sleep 0.3
timeout 10 curl -sS -o "$O/small" "$U/small" && serve_same "$R/small" "$O/small" &&
	ok "serving after the limits" || bad "not serving after the limits"
kill -0 "$SERVE_PID" || bad "server died"
[ $fail = 0 ] || { tail -n 30 "$SERVE_TMP/http-serve.log"; exit 1; }
echo "all passed"
