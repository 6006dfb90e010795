#!/usr/bin/python3
# Which pieces does a swarm hold? Connects to each peer as a plain
# BitTorrent peer (no fast or extension bits, so a peer with pieces must
# open with its bitfield), reads its bitfield and HAVEs for a moment, and
# adds them up. Used by tests/faults to act once the peers together hold one
# full copy.
#
#   bt-pieces.py [--until-full SECS] INFOHASH PIECES HOST:PORT...
#
# Prints "union U of P; HOST:PORT N, ..." (one line per round). With
# --until-full it polls until the union holds every piece (exit 0) or SECS
# pass (exit 1); without, one round, exit 0.
import os, socket, struct, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from btwire import handshake, read_msg, recv_exact  # noqa: E402


def peer_pieces(host, port, ih, pieces):
    """The set of pieces HOST:PORT says it has (empty when unreachable)."""
    have = set()
    try:
        s = socket.create_connection((host, port), timeout=1)
    except OSError:
        return have
    try:
        s.sendall(handshake(ih, b"-FT0001-"))
        hs = recv_exact(s, 68)
        if hs[28:48] != ih:
            return have
        # Its bitfield comes first (nothing at all from a peer with no
        # pieces), then HAVEs for pieces completed meanwhile: read for at
        # most 0.5 s, less once the bitfield is in.
        end = time.time() + 0.5
        while True:
            left = end - time.time()
            if left <= 0:
                break
            s.settimeout(left)
            m = read_msg(s)
            if not m:
                continue
            if m[0] == 5:
                end = min(end, time.time() + 0.05)
                bf = m[1:]
                for i in range(min(pieces, len(bf) * 8)):
                    if bf[i >> 3] & (0x80 >> (i & 7)):
                        have.add(i)
            elif m[0] == 4 and len(m) == 5:
                have.add(struct.unpack(">I", m[1:])[0])
    except (OSError, EOFError, ValueError, socket.timeout):
        pass
    finally:
        s.close()
    return have


def main():
    args = sys.argv[1:]
    until = None
    if args and args[0] == "--until-full":
        until = float(args[1])
        args = args[2:]
    ih = bytes.fromhex(args[0])
    pieces = int(args[1])
    peers = []
    for a in args[2:]:
        h, p = a.rsplit(":", 1)
        peers.append((h, int(p)))
    end = time.time() + (until or 0)
    while True:
        got = [set() for _ in peers]

        def ask(i):
            got[i] = peer_pieces(peers[i][0], peers[i][1], ih, pieces)

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(peers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        union = set().union(*got)
        counts = ["%s:%d %d" % (h, p, len(g)) for (h, p), g in zip(peers, got)]
        print("union %d of %d; %s" % (len(union), pieces, ", ".join(counts)), flush=True)
        if until is None:
            return 0
        if len(union) >= pieces:
            return 0
        if time.time() > end:
            return 1
        time.sleep(0.1)


sys.exit(main())
