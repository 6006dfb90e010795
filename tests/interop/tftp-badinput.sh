#!/bin/sh
# TFTP bad input: traversal, absolute paths, symlinks out of the root, write
# requests, malformed requests and options, blksize 0 and 70000, ACKs for
# blocks never sent, packets from a third port. Each is answered with the
# right ERROR or dropped, and a curl transfer running meanwhile completes
# byte-identical.
set -eu
. "$SRCDIR/tests/lib/serve.sh"
serve_need curl tftp python3 sha256sum
serve_init
R=$SERVE_TMP/root
O=$SERVE_TMP/out
mkdir -p "$O" "$SERVE_TMP/outside" "$R/a"
echo secret > "$SERVE_TMP/outside/secret"
ln -s "$SERVE_TMP/outside/secret" "$R/escape"
ln -s ../outside "$R/updir"
head -c 20000000 /dev/urandom > "$R/big"
head -c 5000 /dev/urandom > "$R/small"

serve_start tftp-serve --root "$R" --log-level info --timeout-ms 300 --retries 3
P=$SERVE_PORT
fail=0

# A long transfer at blksize 512 runs while the garbage arrives.
timeout 120 curl -sS --tftp-blksize 512 -o "$O/big" "tftp://127.0.0.1:$P/big" &
curl_pid=$!

timeout 60 python3 - "$P" <<'PY' || fail=1
import socket, struct, sys, time
port = int(sys.argv[1])
srv = ("127.0.0.1", port)
bad = 0

def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(2)
    return s

def rrq(name, mode=b"octet", opts=b"", op=1):
    return struct.pack("!H", op) + name + b"\0" + mode + b"\0" + opts

def expect(what, pkt, opcode, code=None):
    global bad
    s = sock()
    if opcode is None:
        s.settimeout(0.3)
    s.sendto(pkt, srv)
    try:
        data, addr = s.recvfrom(70000)
    except socket.timeout:
        if opcode is None:
            print("ok:", what, "(dropped)")
            return None, None
        print("FAIL:", what, "no answer"); bad += 1
        return None, None
    if opcode is None:
        print("FAIL:", what, "answered", data[:20]); bad += 1
        return None, None
    op = struct.unpack("!H", data[:2])[0]
    c = struct.unpack("!H", data[2:4])[0] if len(data) >= 4 else None
    if op != opcode or (code is not None and c != code):
        print("FAIL:", what, "got", data[:40]); bad += 1
    else:
        print("ok:", what, data[:40])
    return s, (data, addr)

expect("dot-dot", rrq(b"../outside/secret"), 5, 2)
expect("dot-dot inside", rrq(b"a/../../outside/secret"), 5, 2)
expect("absolute escape", rrq(b"/../outside/secret"), 5, 2)
expect("absolute /etc/passwd is relative to the root", rrq(b"/etc/passwd"), 5, 1)
expect("symlink out", rrq(b"escape"), 5, 2)
expect("symlinked folder out", rrq(b"updir/secret"), 5, 2)
expect("write request", rrq(b"newfile", op=2), 5, 2)
expect("write over existing", rrq(b"small", op=2), 5, 2)
expect("pxelinux mac probe", rrq(b"pxelinux.cfg/01-52-54-00-12-34-56"), 5, 1)
expect("pxelinux hex ip probe", rrq(b"pxelinux.cfg/0A4D0005"), 5, 1)
expect("unknown mode", rrq(b"small", mode=b"mail"), 5, 4)
expect("filename without NUL", b"\x00\x01small", 5, 4)
expect("mode without NUL", b"\x00\x01small\x00octet", 5, 4)
expect("empty filename", rrq(b""), 5, 4)
expect("2-byte packet", b"\x00\x01", 5, 4)
expect("1-byte packet", b"\x01", None)
expect("unknown opcode", b"\x00\x09hello\x00", None)
expect("ACK on the request port", b"\x00\x04\x00\x01", None)
expect("ERROR on the request port", b"\x00\x05\x00\x00x\x00", None)
# Malformed options: the request is served without them (plain DATA 1).
expect("option value without NUL", rrq(b"small", opts=b"blksize\x001468"), 3)
expect("odd option pair", rrq(b"small", opts=b"blksize\x00"), 3)
expect("unknown option", rrq(b"small", opts=b"foo\x00bar\x00"), 3)
expect("blksize 0", rrq(b"small", opts=b"blksize\x000\x00"), 3)
expect("blksize not a number", rrq(b"small", opts=b"blksize\x001e3\x00"), 3)
s, (data, addr) = expect("blksize 70000", rrq(b"small", opts=b"blksize\x0070000\x00"), 6)
if data != b"\x00\x06blksize\x0065464\x00":
    print("FAIL: OACK for 70000 is", data); bad += 1

# ACK for a block never sent and a third TID, in a live transfer.
s = sock()
s.sendto(rrq(b"small"), srv)
data, xfer = s.recvfrom(1000)
assert data[:4] == b"\x00\x03\x00\x01", data[:4]
s.sendto(b"\x00\x04\x00\x09", xfer)          # never sent: ignored
s.settimeout(0.15)
try:
    d = s.recvfrom(1000)[0]
    print("FAIL: answer to an ACK for an unsent block", d[:8]); bad += 1
except socket.timeout:
    print("ok: ACK for an unsent block ignored")
t = sock()
t.sendto(b"\x00\x04\x00\x01", xfer)          # third port
d = t.recvfrom(1000)[0]
if d[:4] == b"\x00\x05\x00\x05":
    print("ok: third port gets ERROR 5")
else:
    print("FAIL: third port got", d[:20]); bad += 1
s.settimeout(2)
got = data[4:]
blk = 1
while True:
    s.sendto(struct.pack("!HH", 4, blk), xfer)
    d = s.recvfrom(1000)[0]
    if struct.unpack("!HH", d[:4]) != (3, blk + 1):
        continue
    blk += 1
    got += d[4:]
    if len(d) < 516:
        s.sendto(struct.pack("!HH", 4, blk), xfer)
        break
print("ok: transfer after the third port" if len(got) == 5000 else "FAIL: short transfer")
bad += len(got) != 5000

# A flood of garbage at the request port.
g = sock()
import os
for i in range(2000):
    g.sendto(os.urandom(i % 600), srv)
print("sent garbage")
sys.exit(1 if bad else 0)
PY

if ! wait "$curl_pid"; then echo "FAIL: curl during the garbage"; fail=1; fi
serve_same "$R/big" "$O/big" && echo "ok: curl transfer completed byte-identical" || fail=1

# tftp-hpa's own view of a refusal.
out=$(timeout 20 tftp -m binary 127.0.0.1 "$P" -c get ../outside/secret "$O/x" 2>&1 || true)
case $out in *"Error code 2"*) echo "ok: tftp-hpa sees error 2" ;;
*) echo "FAIL: tftp-hpa: $out"; fail=1 ;; esac
out=$(timeout 20 tftp -m binary 127.0.0.1 "$P" -c put "$R/small" upload 2>&1 || true)
case $out in *"Error code 2"*) echo "ok: tftp-hpa put refused" ;;
*) echo "FAIL: tftp-hpa put: $out"; fail=1 ;; esac
[ ! -e "$R/upload" ] || { echo "FAIL: a file was written"; fail=1; }

# Still serving, and the garbage was logged but rate-limited.
timeout 20 curl -sS -o "$O/small" "tftp://127.0.0.1:$P/small" && serve_same "$R/small" "$O/small" ||
	{ echo "FAIL: not serving after the garbage"; fail=1; }
lines=$(wc -l < "$SERVE_TMP/tftp-serve.log")
echo "server log: $lines lines"
[ "$lines" -lt 400 ] || { echo "FAIL: the log is flooded"; fail=1; }
[ $fail = 0 ] || { tail -n 40 "$SERVE_TMP/tftp-serve.log"; exit 1; }
echo "all passed"
