#!/bin/bash
# Our tracker (tracker-serve) against clients we did not write: curl for
# HTTP and a short python3 BEP 15 client for UDP. It must refuse an unknown
# info-hash with a bencoded failure reason (HTTP) or an error packet (UDP),
# answer a valid swarm correctly, and survive malformed requests (huge
# queries, bad escapes, garbage datagrams, stale connection ids) while
# serving others. Runs on the loopback of a private network namespace.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
command -v curl >/dev/null || { echo "curl not installed"; exit 77; }
serve="$BUILDDIR/src/tracker/tracker-serve"
[ -x "$serve" ] || lab_die "$serve not built"

lab_init trk-rob
lab_switch
lab_host h 10.77.42.1/24
T=$LAB_TMP
echo 0123456789abcdef0123456789abcdef01234567 > "$T/wl"
lab_bg h sh -c "exec '$serve' -q -a 127.0.0.1 -p 6969 -w '$T/wl' >> '$T/serve.out' 2>&1"
serve_pid=$LAB_LAST_PID
lab_wait 5 lab_exec h sh -c "ss -lun | grep -q 127.0.0.1:6969" || lab_die "tracker-serve did not start"

H='%01%23Eg%89%AB%CD%EF%01%23Eg%89%AB%CD%EF%01%23Eg'
U='%11%23Eg%89%AB%CD%EF%01%23Eg%89%AB%CD%EF%01%23Eg'
get() { { lab_exec h curl -sS --max-time 5 "http://127.0.0.1:6969/$1" || true; } | tr "\\0" "?"; }
expect() { # what, reply, pattern
	echo "$1: $2"
	printf '%s' "$2" | grep -aq -- "$3" || lab_die "$1: expected $3"
}
Q="peer_id=-XX0001-abcdefghijkl&port=7001&uploaded=0&downloaded=0&left=10"

expect "unknown hash" "$(get "announce?info_hash=$U&$Q")" "^d14:failure reason15:unknown torrente$"
expect "19-byte hash" "$(get "announce?info_hash=${H%???}&$Q")" "failure reason17:invalid info_hash"
expect "bad escape" "$(get "announce?info_hash=${H%???}%G1&$Q")" "failure reason17:invalid info_hash"
expect "port 0" "$(get "announce?info_hash=$H&${Q/port=7001/port=0}")" "invalid port"
expect "negative left" "$(get "announce?info_hash=$H&${Q/left=10/left=-1}")" "invalid left"
expect "missing port" "$(get "announce?info_hash=$H&${Q/port=7001&/}")" "missing port"
long=$(head -c 6000 /dev/zero | tr '\0' 'x')
expect "long query" "$(get "announce?info_hash=$H&$Q&pad=$long")" "query too long"
# Past evhttp's header limit the connection is refused outright.
huge=$(head -c 100000 /dev/zero | tr '\0' 'x')
get "announce?info_hash=$H&$Q&pad=$huge" > /dev/null
lab_exec h sh -c "head -c 70000 /dev/urandom | timeout 5 curl -sS -m 3 --data-binary @- http://127.0.0.1:6969/announce" > /dev/null 2>&1 || true

# Clients that send half a request and wait must not hold up the others.
for i in 1 2 3; do
	lab_bg h /usr/bin/python3 -c '
import socket, time
s = socket.create_connection(("127.0.0.1", 6969))
s.sendall(b"GET /announce?info_hash=")
time.sleep(30)'
done

# A valid swarm over HTTP: two peers see each other, non-compact on request.
get "announce?info_hash=$H&$Q&event=started" > /dev/null
r=$(get "announce?info_hash=$H&${Q/port=7001/port=7002}&compact=0")
expect "non-compact" "$r" "5:peersld2:ip9:127.0.0.17:peer id20:-XX0001-abcdefghijkl4:porti7001ee"
expect "counts" "$r" "10:incompletei2e"
expect "scrape" "$(get "scrape?info_hash=$H")" "d8:completei0e10:downloadedi0e10:incompletei2ee"

# UDP with an independent BEP 15 client.
lab_exec h timeout 30 /usr/bin/python3 - <<'PY' || lab_die "the BEP 15 checks failed"
import os, socket, struct, sys

ADDR = ("127.0.0.1", 6969)
HASH = bytes.fromhex("0123456789abcdef0123456789abcdef01234567")
PROTO = 0x41727101980

def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(1.0)
    return s

def ask(s, pkt):
    s.sendto(pkt, ADDR)
    try:
        return s.recv(2048)
    except socket.timeout:
        return None

def connect(s):
    tx = struct.unpack(">I", os.urandom(4))[0]
    r = ask(s, struct.pack(">QII", PROTO, 0, tx))
    assert r and len(r) == 16, r
    action, rtx, cid = struct.unpack(">IIQ", r)
    assert action == 0 and rtx == tx
    return cid

def announce(s, cid, port, left, h=HASH, event=2, numwant=-1):
    tx = struct.unpack(">I", os.urandom(4))[0]
    pkt = struct.pack(">QII20s20sQQQIIIiH", cid, 1, tx, h, b"-PY0001-%012d" % port,
                      0, left, 0, event, 0, 0, numwant, port)
    assert len(pkt) == 98
    r = ask(s, pkt)
    assert r is not None
    action, rtx = struct.unpack(">II", r[:8])
    assert rtx == tx
    return action, r

a, b = sock(), sock()
cid_a, cid_b = connect(a), connect(b)
act, r = announce(a, cid_a, 8001, 100)
assert act == 1 and len(r) >= 20, r
act, r = announce(b, cid_b, 8002, 0)
interval, leechers, seeders = struct.unpack(">III", r[8:20])
peers = [(socket.inet_ntoa(r[i:i+4]), struct.unpack(">H", r[i+4:i+6])[0]) for i in range(20, len(r), 6)]
print("udp announce: interval", interval, "leechers", leechers, "seeders", seeders, "peers", peers)
assert ("127.0.0.1", 8001) in peers and ("127.0.0.1", 8002) not in peers
assert seeders == 1 and leechers >= 1
# A seed (b) is only given leechers; the HTTP peers 7001/7002 are leechers too.
assert all(p[1] != 8002 for p in peers)
# Another client's connection id is refused with an error packet.
act, r = announce(a, cid_b, 8001, 100)
assert act == 3 and b"connection id" in r[8:], r
# Unknown torrent.
act, r = announce(a, cid_a, 8001, 100, h=b"x" * 20)
assert act == 3 and r[8:] == b"unknown torrent", r
# Garbage and a connect with the wrong protocol id get no answer.
assert ask(a, b"\x00" * 7) is None
assert ask(a, struct.pack(">QII", PROTO + 1, 0, 5)) is None
# Scrape: the known hash and an unknown one, in order.
tx = 99
r = ask(a, struct.pack(">QII", cid_a, 2, tx) + HASH + b"y" * 20)
assert r and len(r) == 8 + 24, r
_, _, s1, d1, l1, s2, d2, l2 = struct.unpack(">IIIIIIII", r)
print("udp scrape:", (s1, d1, l1), (s2, d2, l2))
assert s1 == 1 and l1 == 3 and (s2, d2, l2) == (0, 0, 0)
# stopped removes the peer.
act, r = announce(a, cid_a, 8001, 100, event=3)
assert act == 1
act, r = announce(b, cid_b, 8002, 0)
peers = [struct.unpack(">H", r[i+4:i+6])[0] for i in range(20, len(r), 6)]
assert 8001 not in peers, peers
print("BEP 15 checks ok")
PY

# Still alive and serving after all that.
kill -0 "$serve_pid" || lab_die "tracker-serve died"
expect "after abuse" "$(get "announce?info_hash=$H&${Q/port=7001/port=7003}")" "5:peers"
echo "tracker robustness: ok"
