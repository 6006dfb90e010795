# The BitTorrent peer wire, as little as the test peers need (BEP 3):
# the handshake, exact reads, and length-prefixed messages with a bound.
# Imported by tests/lib/bt-pieces.py and tests/interop/bt-helpers/bad-peer.py.
import os, struct

PSTR = b"\x13BitTorrent protocol"
MAX_MSG = 1 << 20  # the longest message a test peer accepts


def handshake(ih, peer_prefix=b"-XX0001-", fast=False):
    """Our half of the handshake for info hash IH (fast: BEP 6 bit set)."""
    res = bytearray(8)
    if fast:
        res[7] |= 0x04
    return PSTR + bytes(res) + ih + peer_prefix + os.urandom(12)


def recv_exact(s, n):
    """N bytes from socket S; EOFError when it closes first."""
    buf = b""
    while len(buf) < n:
        c = s.recv(n - len(buf))
        if not c:
            raise EOFError
        buf += c
    return buf


def read_msg(s):
    """One message's body (b"" for a keep-alive); ValueError past MAX_MSG."""
    (n,) = struct.unpack(">I", recv_exact(s, 4))
    if n > MAX_MSG:
        raise ValueError("message of %d bytes" % n)
    return recv_exact(s, n) if n else b""


def msg(t, payload=b""):
    """A message of type T."""
    return struct.pack(">IB", len(payload) + 1, t) + payload
