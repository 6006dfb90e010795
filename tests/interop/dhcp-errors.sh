#!/bin/bash
# Our DHCP server under bad conditions, inside namespaces:
# - port 67 held by another DHCP server: exits 1 saying so, naming the holder;
# - no privilege: exits 1 saying how to fix it (root or setcap);
# - malformed packets (truncated, option past the end, bad overload, no
#   option 53, hlen > 16, a reply) and a flood from one MAC: all dropped, the
#   flood logged once, the server still answers another client;
# - SIGTERM: clean exit 0 with the lease file intact.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
serve="$BUILDDIR/src/dhcp/dhcp-serve"
command -v udhcpc >/dev/null || { echo "udhcpc missing: skipping"; exit 77; }
[ -x "$serve" ] || { echo "dhcp-serve not built"; exit 1; }
PY=/usr/bin/python3
lab_init dhcpe
lab_switch
lab_host srv 10.77.0.1/24
lab_host cli 10.77.0.9/24
lab_host good
T=$LAB_TMP
fail() { echo "FAIL: $*" >&2; cat "$T/srv.log" >&2 || true; exit 1; }
args=(--interface eth0 --server-ip 10.77.0.1 --range 10.77.0.100-10.77.0.110
	--lease-file "$T/leases" --bios pxelinux.0 --rate 10/2)

# 1. Port in use: a UDP socket on 67 held by a stand-in "other server".
lab_bg srv $PY -c 'import socket,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("0.0.0.0",67)); time.sleep(60)'
HOLDER=$LAB_LAST_PID
lab_wait 5 sh -c "ip netns exec $(lab_ns srv) ss -uln | grep -q ':67 '" || fail "no holder"
rc=0
lab_exec srv timeout 10 "$serve" "${args[@]}" >"$T/inuse.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "port in use: exit $rc"
grep -q "another DHCP server already holds it" "$T/inuse.log" || fail "no EADDRINUSE reason: $(cat "$T/inuse.log")"
grep -q 'held by: users:(("python3"' "$T/inuse.log" || fail "holder not named: $(cat "$T/inuse.log")"
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null || true

# 2. No privilege to bind port 67.
rc=0
lab_exec srv timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$serve" --interface eth0 --server-ip 10.77.0.1 --range 10.77.0.100-10.77.0.110 \
	>"$T/perm.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "unprivileged: exit $rc"
grep -q "setcap cap_net_bind_service,cap_net_raw+ep" "$T/perm.log" || fail "no EACCES advice: $(cat "$T/perm.log")"

# 3. Garbage and a flood, then a well-behaved client.
lab_bg srv "$serve" "${args[@]}" --log-level debug >"$T/srv.log" 2>&1
SRV=$LAB_LAST_PID
lab_wait 5 sh -c "ip netns exec $(lab_ns srv) ss -uln | grep -q ':67 '" || fail "no server"
cat >"$T/bad.py" <<'PYEOF'
import socket, struct
def pkt(mac=b"\x52\x54\x00\x77\x03\x01", opts=bytes([53, 1, 1, 255]), hlen=6, op=1):
    p = bytearray(240)
    p[0:4] = bytes([op, 1, hlen, 0])
    p[4:8] = struct.pack(">I", 7)
    p[28:34] = mac
    p[236:240] = bytes([99, 130, 83, 99])
    return bytes(p) + opts
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
dst = ("10.77.0.1", 67)
bad = [pkt()[:100], pkt()[:239], pkt(opts=bytes([53, 1, 1, 12, 200]) + b"abc"),
       pkt(opts=bytes([53, 1, 1, 52, 1, 9, 255])), pkt(opts=bytes([255])),
       pkt(hlen=17), pkt(op=2), pkt(opts=bytes([53, 1, 99, 255])), b"", b"\xff" * 1400,
       pkt(opts=bytes([53, 1, 1]) + bytes([60, 255]) + b"x" * 255 + bytes([255]))]
for i, b in enumerate(bad):
    m = bytes([0x52, 0x54, 0, 0x77, 0x04, i])
    if len(b) >= 34:
        b = b[:28] + m + b[34:]
    s.sendto(b, dst)
for i in range(500):
    s.sendto(pkt(), dst)
PYEOF
lab_exec cli $PY "$T/bad.py" || fail "sender failed"
sleep 1
kill -0 "$SRV" || fail "the server died"
n=$(grep -c "52:54:00:77:03:01 sends too fast" "$T/srv.log" || true)
[ "$n" = 1 ] || fail "flood logged $n times, want once"
[ "$(grep -c 'dropped a request' "$T/srv.log")" -ge 10 ] || fail "malformed packets not dropped as such"
# The flooder got at most its burst of offers.
offers=$(grep -c "offer 52:54:00:77:03:01" "$T/srv.log" || true)
[ "$offers" -le 12 ] || fail "the flood got $offers offers"
cat >"$T/script.sh" <<'SH'
#!/bin/sh
[ "$1" = bound ] && echo "ip=$ip" >>"$OUT"
exit 0
SH
chmod +x "$T/script.sh"
timeout 20 ip netns exec "$(lab_ns good)" env OUT="$T/good" udhcpc -i eth0 -f -q -n -t 4 -T 1 \
	-s "$T/script.sh" >/dev/null 2>&1 || fail "a good client got no lease after the flood"
grep -q '^ip=10.77.0.1[01][0-9]$' "$T/good" || fail "good client: $(cat "$T/good")"

# 4. SIGTERM: a clean stop, the lease file complete.
kill -TERM "$SRV"
rc=0
wait "$SRV" || rc=$?
[ "$rc" = 0 ] || fail "exit $rc on SIGTERM"
grep -q "stopping" "$T/srv.log" || fail "no clean stop"
grep -q "^lease .* $(sed 's/ip=//' "$T/good") .* bound" "$T/leases" || fail "lease file: $(cat "$T/leases")"
[ ! -e "$T/leases.tmp" ] || fail "temporary lease file left behind"
echo "dhcp errors ok"
