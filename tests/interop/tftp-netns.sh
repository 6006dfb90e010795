#!/bin/bash
# TFTP across a virtual LAN (tests/lib/lab.sh): the server listens on
# 0.0.0.0 in its namespace; a client in another namespace with a 1500-byte
# MTU asks for blksize 9000 and gets 1468 (MTU - 32); replies to a request
# sent to the subnet broadcast come from the server's own address; curl
# fetches byte-identical across the link; SIGTERM stops the server with
# exit status 0.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
command -v curl >/dev/null && command -v python3 >/dev/null || { echo "skip"; exit 77; }
lab_init tftpns
lab_switch
lab_host srv 10.77.0.1/24
lab_host cli 10.77.0.2/24
mkdir -p "$LAB_TMP/root"
head -c 3000000 /dev/urandom > "$LAB_TMP/root/kernel"
chmod -R a+rX "$LAB_TMP/root"
lab_bg srv "$BUILDDIR/src/tftp/tftp-serve" --root "$LAB_TMP/root" --port 69 --log-level info
srv_pid=$LAB_LAST_PID
lab_wait 5 sh -c "ip netns exec $(lab_ns srv) ss -uln | grep -q '0.0.0.0:69 '" ||
	lab_die "server did not start"

lab_exec cli timeout 30 python3 - <<'PY'
import socket, struct, sys
def ask(dest, opts):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.bind(("10.77.0.2", 0))
    s.settimeout(3)
    s.sendto(b"\x00\x01kernel\x00octet\x00" + opts, (dest, 69))
    data, addr = s.recvfrom(70000)
    # Stop the transfer politely.
    s.sendto(b"\x00\x05\x00\x00done\x00", addr)
    return data, addr
data, addr = ask("10.77.0.1", b"blksize\x009000\x00")
if data != b"\x00\x06blksize\x001468\x00":
    sys.exit("FAIL: OACK for blksize 9000 over MTU 1500: %r" % data)
print("ok: blksize 9000 clamped to 1468")
data, addr = ask("10.77.0.255", b"")
if addr[0] != "10.77.0.1" or data[:4] != b"\x00\x03\x00\x01":
    sys.exit("FAIL: broadcast request answered by %r with %r" % (addr, data[:4]))
print("ok: broadcast request answered from 10.77.0.1 port", addr[1])
PY

lab_exec cli timeout 60 curl -sS --tftp-blksize 9000 -o "$LAB_TMP/got" tftp://10.77.0.1/kernel
cmp "$LAB_TMP/root/kernel" "$LAB_TMP/got" || lab_die "curl copy differs"
echo "ok: curl across the link"

kill -TERM "$srv_pid"
rc=0
wait "$srv_pid" || rc=$?
[ "$rc" = 0 ] || lab_die "server exited with $rc after SIGTERM"
echo "ok: clean exit on SIGTERM"
echo "all passed"
