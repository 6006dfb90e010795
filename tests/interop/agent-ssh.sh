#!/bin/bash
# `boottorrent ssh`: a client in phase 1 runs dropbear with the
# environment's public key as its only authorized key (as ph1/init does),
# in a network namespace; on the "server" side, `boottorrent ssh IP -- echo
# marker` returns the marker, and so does a MAC looked up in the lease file
# (ENV/out/leases) and in a server's /api/status. Errors: no such machine,
# a machine with no address, no key, usage errors (exit 2).
set -eu
: "${BOOTTORRENT:?}" "${SRCDIR:?}"
for t in dropbear dropbearkey ssh ssh-keygen unshare; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed (dropbear-bin, openssh-client)"; exit 77; }
done
. "$SRCDIR/tests/lib/lab.sh"
lab_init ssh
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
T=$LAB_TMP
MAC=52:54:00:5a:5b:5c

lab_switch
lab_host srv 10.77.0.1/24
lab_host cli 10.77.0.50/24

(cd "$T" && "$BOOTTORRENT" init env >/dev/null 2>&1) || { echo "init failed"; exit 1; }
[ -s "$T/env/ssh/id_ed25519" ] || { echo "init made no key"; exit 1; }

# The client: root's home is a folder of ours (a private mount namespace,
# so the host's /root is not touched), holding the key as phase 1 puts it.
mkdir -p "$T/root/.ssh"
cp "$T/env/ssh/id_ed25519.pub" "$T/root/.ssh/authorized_keys"
chmod 700 "$T/root" "$T/root/.ssh"
chmod 600 "$T/root/.ssh/authorized_keys"
dropbearkey -t ed25519 -f "$T/hostkey" >/dev/null 2>&1
lab_bg cli unshare -m --propagation private sh -c \
	"mount --bind '$T/root' /root && exec dropbear -F -E -s -r '$T/hostkey' -p 22" \
	2>"$T/dropbear.log"
# Wait until dropbear listens (bash's /dev/tcp).
for _ in $(seq 50); do
	ip netns exec "$(lab_ns srv)" bash -c 'exec 3<>/dev/tcp/10.77.0.50/22' 2>/dev/null && break
	sleep 0.1
done

bts() { # ARGS...: boottorrent ssh on the server side, bounded
	ip netns exec "$(lab_ns srv)" timeout 20 "$BOOTTORRENT" ssh "$@" </dev/null
}

# By address.
out=$(bts --env "$T/env" 10.77.0.50 -- echo marker-\$\(\( 6 \* 7 \)\) 2>"$T/err1") || true
echo "by IP: $out"
[ "$out" = "marker-42" ] || { fail "ssh by IP did not return the marker"; cat "$T/err1" "$T/dropbear.log"; }

# By MAC, through the lease file.
mkdir -p "$T/env/out"
{
	echo "lease $MAC 10.77.0.99 $(($(date +%s) + 3600)) bound old"
	echo "lease 52:54:00:00:00:01 10.77.0.60 $(($(date +%s) + 3600)) bound other"
	echo "lease $MAC 10.77.0.50 $(($(date +%s) + 3600)) bound pc1"
} >"$T/env/out/leases"
out=$(bts --env "$T/env" "$MAC" -- echo lease-marker 2>"$T/err2") || true
echo "by MAC (leases): $out"
[ "$out" = "lease-marker" ] || { fail "ssh by MAC through the lease file"; cat "$T/err2"; }
grep -q "is 10.77.0.50" "$T/err2" || fail "the MAC's address was not said"
# MAC forms: upper case and dashes.
out=$(bts --env "$T/env" 52-54-00-5A-5B-5C -- echo dash-marker 2>/dev/null) || true
[ "$out" = "dash-marker" ] || fail "a MAC with dashes was not found"

# A MAC whose address was later given to another machine has none.
echo "lease 52:54:00:00:00:02 10.77.0.50 $(($(date +%s) + 3600)) bound thief" >>"$T/env/out/leases"
rc=0
bts --env "$T/env" "$MAC" -- true 2>"$T/err3" || rc=$?
[ "$rc" = 1 ] || fail "a MAC whose lease was taken over: exit $rc, not 1"
grep -q "no such machine $MAC" "$T/err3" || { fail "no clear 'no such machine' error"; cat "$T/err3"; }
rm "$T/env/out/leases"

# By MAC, through a server's /api/status.
cat >"$T/status.json" <<JSON
{"summary":{"machines":2},"machines":[{"key":"$MAC","mac":"$MAC","ip":"10.77.0.50","hostname":"pc1"},
{"key":"52:54:00:00:00:07","mac":"52:54:00:00:00:07","ip":null,"hostname":null}]}
JSON
cat >"$T/status.py" <<'PY'
import http.server, sys
body = open(sys.argv[1], "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/api/status"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body) if ok else 0))
        self.end_headers()
        if ok:
            self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("10.77.0.1", 8080), H).serve_forever()
PY
lab_bg srv /usr/bin/python3 "$T/status.py" "$T/status.json"
for _ in $(seq 50); do
	ip netns exec "$(lab_ns srv)" bash -c 'exec 3<>/dev/tcp/10.77.0.1/8080' 2>/dev/null && break
	sleep 0.1
done
out=$(bts --env "$T/env" --status http://10.77.0.1:8080 "$MAC" -- echo status-marker 2>"$T/err4") || true
echo "by MAC (status): $out"
[ "$out" = "status-marker" ] || { fail "ssh by MAC through /api/status"; cat "$T/err4"; }
rc=0
bts --env "$T/env" --status 10.77.0.1:8080 52:54:00:00:00:07 -- true 2>"$T/err5" || rc=$?
[ "$rc" = 1 ] && grep -q "no address known for 52:54:00:00:00:07" "$T/err5" ||
	{ fail "a machine without an address: exit $rc"; cat "$T/err5"; }
rc=0
bts --env "$T/env" --status 10.77.0.1:8080 52:54:00:00:00:08 -- true 2>"$T/err6" || rc=$?
[ "$rc" = 1 ] && grep -q "no such machine" "$T/err6" || { fail "an unknown MAC: exit $rc"; cat "$T/err6"; }

# No key; usage errors.
rc=0
bts --env "$T" 10.77.0.50 -- true 2>"$T/err7" || rc=$?
[ "$rc" = 1 ] && grep -q "no key" "$T/err7" || { fail "no key: exit $rc"; cat "$T/err7"; }
for args in "" "not-a-host" "10.77.0.50 extra" "--bogus 10.77.0.50"; do
	rc=0
	# shellcheck disable=SC2086
	"$BOOTTORRENT" ssh $args >/dev/null 2>&1 || rc=$?
	[ "$rc" = 2 ] || fail "ssh $args: exit $rc, not 2"
done
"$BOOTTORRENT" ssh --help | grep -q -- "--status" || fail "ssh --help"

[ "$FAILS" = 0 ] || exit 1
echo "PASS"
