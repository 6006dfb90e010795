#!/bin/sh
# The status page and its APIs, against real clients: curl for /api/status
# (valid JSON per Python's json module), /metrics (checked by a parser of
# the Prometheus text format), /api/report (a report is reflected; bad ones
# are refused), `boottorrent status`, and headless Chromium, which must run
# the page's JavaScript (the DOM it dumps holds a machine the page fetched)
# and take a non-trivial screenshot.
#
# Runs the uninstalled driver build/src/server/status-serve on 127.0.0.1
# over a synthetic fleet. Exits 77 only when the HTTP checks passed but
# Chromium is not installed.
set -eu

serve=$BUILDDIR/src/server/status-serve
py=/usr/bin/python3
[ -x "$serve" ] || { echo "no $serve"; exit 1; }
command -v curl >/dev/null || { echo "curl missing"; exit 77; }

tmp=$(mktemp -d)
pid=""
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	[ -z "$pid" ] || wait "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*"; exit 1; }

"$serve" --address 127.0.0.1 --port 0 --port-file "$tmp/port" --seconds 240 \
	>"$tmp/serve.log" 2>&1 &
pid=$!
i=0
while [ ! -s "$tmp/port" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$tmp/serve.log"; fail "status-serve did not start"; }
	sleep 0.1
done
port=$(cat "$tmp/port")
base=http://127.0.0.1:$port
c() { curl -sS --max-time 10 "$@"; }

# /api/status is JSON, with the demo's machines.
c -o "$tmp/status.json" "$base/api/status"
$py -m json.tool "$tmp/status.json" >/dev/null || fail "/api/status is not valid JSON"
$py - "$tmp/status.json" <<'PY' || fail "/api/status content"
import json, sys
st = json.load(open(sys.argv[1]))
macs = {m["mac"] for m in st["machines"]}
assert "52:54:00:12:34:01" in macs, macs
assert st["summary"]["machines"] == len(st["machines"]) >= 7, st["summary"]
assert st["summary"]["phases"]["failed"] == 1
failed = [m for m in st["machines"] if m["phase"] == "failed"][0]
assert failed["error"].startswith("kexec_file_load"), failed
assert any(m["mac"] == "" and m["ip"] == "10.0.0.50" for m in st["machines"])
for k in ("server_upload_bytes", "peer_exchange_bytes", "server_copies"):
    assert k in st["summary"], k
assert len(st["throughput"]["server"]) == len(st["throughput"]["peers"])
PY

# /metrics parses as Prometheus text format 0.0.4.
c -D "$tmp/metrics.h" -o "$tmp/metrics" "$base/metrics"
grep -qi '^content-type: text/plain; version=0.0.4' "$tmp/metrics.h" || fail "metrics type"
$py - "$tmp/metrics" <<'PY' || fail "/metrics format"
import re, sys
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
sample = re.compile(r"^(%s)(\{(?:%s)(?:,%s)*\})? (-?[0-9.e+]+|NaN|[+-]Inf)$" % (name, label, label))
types, seen = {}, set()
for line in open(sys.argv[1], encoding="utf-8").read().splitlines():
    if line.startswith("# TYPE "):
        _, _, n, t = line.split(" ")
        assert t in ("counter", "gauge"), line
        assert n not in types, "two TYPE lines for " + n
        types[n] = t
    elif line.startswith("# HELP ") or not line:
        continue
    else:
        m = sample.match(line)
        assert m, "bad sample line: " + line
        assert m.group(1) in types, "no TYPE before " + m.group(1)
        float(m.group(3))
        seen.add(m.group(1))
for n in ("boottorrent_machines", "boottorrent_server_upload_bytes_total",
          "boottorrent_peer_exchange_bytes_total", "boottorrent_machine_progress_ratio"):
    assert n in seen, n
for n, t in types.items():
    assert t != "counter" or n.endswith("_total"), n
PY

# /api/status.txt: the table `boottorrent status` prints; its flexible
# columns (host, OS, bar) follow the width asked for, and no line passes a
# wide one. GET and HEAD only, nothing below it.
c -D "$tmp/text.h" -o "$tmp/text" "$base/api/status.txt?width=200"
c -o "$tmp/text-narrow" "$base/api/status.txt?width=60"
grep -qi '^content-type: text/plain; charset=utf-8' "$tmp/text.h" || fail "status.txt type"
grep -q '52:54:00:12:34:01' "$tmp/text" || fail "status.txt lacks a machine: $(head -5 "$tmp/text")"
awk 'length($0) > 200 { bad = 1 } END { exit bad }' "$tmp/text" ||
	fail "status.txt wider than 200 columns: $(cat "$tmp/text")"
wide=$(grep '^MACHINE' "$tmp/text" | awk '{ print length($0) }')
narrow=$(grep '^MACHINE' "$tmp/text-narrow" | awk '{ print length($0) }')
[ "${wide:-0}" -gt "${narrow:-0}" ] || fail "status.txt ignores width ($wide vs $narrow)"
[ "$(c -o /dev/null -w '%{http_code}' -X POST "$base/api/status.txt")" = 405 ] ||
	fail "POST /api/status.txt not refused"
[ "$(c -o /dev/null -w '%{http_code}' "$base/api/status.txt/x")" = 404 ] ||
	fail "/api/status.txt/x not 404"

# A report is reflected; the text an agent sends stays text.
code=$(c -o /dev/null -w '%{http_code}' \
	--data 'mac=52:54:00:aa:bb:cc&phase=downloading&progress=730&peers=5&os=%3Cb%3Ebold%3C%2Fb%3E&hostname=reporter' \
	"$base/api/report")
[ "$code" = 204 ] || fail "report answered $code"
c -o "$tmp/status2.json" "$base/api/status"
$py - "$tmp/status2.json" <<'PY' || fail "report not reflected"
import json, sys
st = json.load(open(sys.argv[1]))
m = [m for m in st["machines"] if m["mac"] == "52:54:00:aa:bb:cc"][0]
assert m["phase"] == "downloading" and m["progress"] == 730 and m["peers"] == 5, m
assert m["os"] == "<b>bold</b>" and m["hostname"] == "reporter", m
assert m["ip"] == "127.0.0.1", m
PY
# A report as the agent sends it (src/agent/report.c): JSON, with its
# byte counts by source.
code=$(c -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	--data '{"v":1,"mac":"52:54:00:aa:bb:dd","ip":"10.0.0.77","phase":"booting","os":"debian","method":"kexec","progress":1.0000,"error":null,"have_bytes":5,"total_bytes":5,"downloaded":5,"uploaded":9,"rate_down":0,"rate_up":0,"peers":2,"from_server":1,"from_peers":4}' \
	"$base/api/report")
[ "$code" = 204 ] || fail "JSON report answered $code"
c -o "$tmp/status3.json" "$base/api/status"
$py - "$tmp/status3.json" <<'PY' || fail "JSON report not reflected"
import json, sys
st = json.load(open(sys.argv[1]))
m = [m for m in st["machines"] if m["mac"] == "52:54:00:aa:bb:dd"][0]
assert m["phase"] == "booted" and m["booting"] and m["phase_text"] == "booting (kexec)", m
assert m["ip"] == "10.0.0.77" and m["from_peers"] == 4, m
PY
code=$(c -o "$tmp/why" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data '{"phase":"menu","x":{"nested":1}}' "$base/api/report")
[ "$code" = 400 ] && grep -q 'nested' "$tmp/why" || fail "nested JSON answered $code"
# Bad reports, wrong methods, traversal attempts.
code=$(c -o "$tmp/why" -w '%{http_code}' --data 'mac=nope&phase=menu' "$base/api/report")
[ "$code" = 400 ] && grep -q 'bad mac' "$tmp/why" || fail "bad report answered $code"
head -c 5000 /dev/zero | tr '\0' a >"$tmp/big"
code=$(c -o /dev/null -w '%{http_code}' --data-binary "@$tmp/big" "$base/api/report")
[ "$code" = 413 ] || fail "oversize report answered $code"
code=$(c -o /dev/null -w '%{http_code}' "$base/api/report")
[ "$code" = 405 ] || fail "GET /api/report answered $code"
code=$(c -o /dev/null -w '%{http_code}' --data 'x=1' "$base/api/status")
[ "$code" = 405 ] || fail "POST /api/status answered $code"
for p in /status/../etc/passwd /%2e%2e/%2e%2e/etc/passwd /api/status/x /nothing; do
	code=$(c --path-as-is -o "$tmp/body" -w '%{http_code}' "$base$p")
	[ "$code" = 404 ] || [ "$code" = 400 ] || fail "$p answered $code"
	! grep -q root: "$tmp/body" || fail "$p leaked a file"
done

# The page itself: no outside resources, CSP set.
c -D "$tmp/page.h" -o "$tmp/page.html" "$base/status"
grep -qi '^content-security-policy:' "$tmp/page.h" || fail "no CSP on the page"
! grep -Eq '(src|href)=' "$tmp/page.html" || fail "the page loads something"

# boottorrent status prints the table with bars.
"$BOOTTORRENT" status --server "127.0.0.1:$port" >"$tmp/table" || fail "boottorrent status"
grep -q '^52:54:00:aa:bb:cc' "$tmp/table" || fail "table lacks the reporter"
grep -q '\[##' "$tmp/table" || fail "table lacks progress bars"
"$BOOTTORRENT" status --server "127.0.0.1:$port" --json >"$tmp/cli.json" || fail "status --json"
$py -m json.tool "$tmp/cli.json" >/dev/null || fail "status --json is not JSON"
if "$BOOTTORRENT" status --server 127.0.0.1:1 >/dev/null 2>&1; then
	fail "status against a closed port succeeded"
fi

# Headless Chromium runs the page's JavaScript and draws it.
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
	echo "SKIP: chromium is not installed (tools/deps.sh interop); HTTP checks passed"
	exit 77
fi
chrome_run() {
	timeout 90 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --disable-extensions --user-data-dir="$tmp/profile" \
		--virtual-time-budget=5000 --window-size=1280,900 "$@" 2>>"$tmp/chrome.log"
}
chrome_run --dump-dom "$base/status" >"$tmp/dom.html" || { tail "$tmp/chrome.log"; fail "chromium --dump-dom"; }
grep -q '52:54:00:aa:bb:cc' "$tmp/dom.html" || fail "the DOM lacks the reported machine: JS did not run"
grep -q 'downloading 73%' "$tmp/dom.html" || fail "the DOM lacks the phase text"
# The agent's "<b>" is text in the page, not markup.
grep -q '&lt;b&gt;bold&lt;/b&gt;' "$tmp/dom.html" || fail "report text was not escaped"
! grep -q '<b>bold</b>' "$tmp/dom.html" || fail "report text became markup"
chrome_run --screenshot="$tmp/shot.png" "$base/status" >/dev/null || fail "chromium --screenshot"
$py - "$tmp/shot.png" <<'PY' || fail "screenshot"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (1280, 900), (w, h)
assert len(data) > 20000, "suspiciously small: %d bytes" % len(data)
# Decode enough to see that the page is not one flat colour.
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
assert len(set(raw[:2000000])) > 50, "too few distinct byte values"
PY
# A clean stop: exit 0 (under ASan, also no leaks).
kill "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[ "$rc" = 0 ] || { tail -5 "$tmp/serve.log"; fail "status-serve exited $rc on SIGTERM"; }
echo "status page: JSON, metrics, reports, CLI and Chromium checks passed (port $port)"
