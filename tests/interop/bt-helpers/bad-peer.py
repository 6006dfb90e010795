#!/usr/bin/python3
# Misbehaving BitTorrent peers for tests.
#   bad-peer.py corrupt-seed PORT INFOHASH PIECES PIECELEN TOTAL
#       listens; serves every piece, with random bytes instead of data.
#   bad-peer.py probe HOST PORT INFOHASH CASE
#       connects to HOST:PORT, misbehaves as CASE, exits 0 when the other
#       side closed the connection within the time allowed, 1 otherwise.
import os, socket, struct, sys, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../lib"))
from btwire import handshake as wire_handshake, msg, read_msg, recv_exact  # noqa: E402


def handshake(ih, fast=False):
    return wire_handshake(ih, b"-XX0001-", fast)

def corrupt_seed(port, ih, pieces, plen, total):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(8)
    print("ready", flush=True)

    def serve(c):
        try:
            recv_exact(c, 68)
            c.sendall(handshake(ih))
            nbytes = (pieces + 7) // 8
            bf = bytearray(b"\xff" * nbytes)
            spare = nbytes * 8 - pieces
            if spare:
                bf[-1] = (0xff << spare) & 0xff
            c.sendall(msg(5, bytes(bf)) + msg(1))
            while True:
                m = read_msg(c)
                if m and m[0] == 6:
                    idx, begin, length = struct.unpack(">III", m[1:13])
                    c.sendall(struct.pack(">IBII", 9 + length, 7, idx, begin) +
                              os.urandom(length))
        except (EOFError, OSError):
            pass
        finally:
            c.close()

    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()

def closed_within(s, secs):
    s.settimeout(0.2)
    end = time.time() + secs
    while time.time() < end:
        try:
            d = s.recv(65536)
            if not d:
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False

def probe(host, port, ih, case):
    s = socket.create_connection((host, port), timeout=5)
    wait = 5
    if case == "wrong-hash":
        s.sendall(handshake(bytes(20)))
    elif case == "silent":
        wait = 15
    else:
        s.sendall(handshake(ih))
        recv_exact(s, 68)
        # The first message tells the piece count (no fast bit: a bitfield,
        # or nothing at all from a peer with no pieces).
        s.settimeout(1)
        try:
            first = read_msg(s)
        except socket.timeout:
            first = b""
        s.settimeout(5)
        if case == "oversized":
            s.sendall(struct.pack(">IB", 0x100000, 7))
        elif case == "undersized":
            s.sendall(struct.pack(">IBH", 3, 4, 0))
        elif case == "past-end":
            s.sendall(msg(6, struct.pack(">III", 0, 262144 - 100, 16384)))
        elif case == "bad-index":
            s.sendall(msg(6, struct.pack(">III", 0x7fffffff, 0, 16384)))
        elif case == "spare-bits":
            if not first or first[0] != 5:
                return 2
            s.sendall(msg(5, b"\xff" * (len(first) - 1)))
        elif case == "unknown-type":
            s.sendall(msg(42, b"abc"))
        elif case == "have-flood":
            s.sendall(msg(4, struct.pack(">I", 0)) * 2500)
        elif case == "request-flood":
            s.sendall(msg(2))
            while True:
                m = read_msg(s)
                if m and m[0] == 1:
                    break
            # Ask for far more than the cap and never read the answers.
            s.settimeout(10)
            try:
                s.sendall(msg(6, struct.pack(">III", 0, 0, 16384)) * 3000)
            except OSError:
                return 0
            wait = 10
        elif case == "not-have":
            s.sendall(msg(2) + msg(6, struct.pack(">III", 0, 0, 16384)))
        else:
            return 2
    return 0 if closed_within(s, wait) else 1

def main():
    if sys.argv[1] == "corrupt-seed":
        corrupt_seed(int(sys.argv[2]), bytes.fromhex(sys.argv[3]), int(sys.argv[4]),
                     int(sys.argv[5]), int(sys.argv[6]))
    elif sys.argv[1] == "probe":
        sys.exit(probe(sys.argv[2], int(sys.argv[3]), bytes.fromhex(sys.argv[4]),
                       sys.argv[5]))

main()
