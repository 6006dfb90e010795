#!/usr/bin/python3
# A python3-libtorrent peer for interop tests (run with /usr/bin/python3).
# Usage: lt-peer.py seed|get TORRENT SAVE_DIR PORT [--peer HOST:PORT]... [--timeout S]
# "get" exits 0 once every piece is verified (then keeps seeding --linger S);
# "seed" checks the data and seeds until the timeout. Prints "ready" when
# listening and "complete" when done.
import sys, time
import libtorrent as lt

def main():
    mode, torrent, save, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    peers, timeout, linger = [], 60.0, 0.0
    args = sys.argv[5:]
    while args:
        a = args.pop(0)
        if a == "--peer":
            h, p = args.pop(0).rsplit(":", 1)
            peers.append((h, int(p)))
        elif a == "--timeout":
            timeout = float(args.pop(0))
        elif a == "--linger":
            linger = float(args.pop(0))
    s = lt.session({
        "listen_interfaces": "127.0.0.1:%d" % port,
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
        "enable_natpmp": False, "allow_multiple_connections_per_ip": True,
        # We do not speak MSE/PE encryption; libtorrent would try it first.
        "out_enc_policy": int(lt.enc_policy.disabled),
        "in_enc_policy": int(lt.enc_policy.enabled),
        "alert_mask": lt.alert.category_t.error_notification,
    })
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(torrent)
    p.save_path = save
    h = s.add_torrent(p)
    start = time.time()
    print("ready", flush=True)
    done = False
    while time.time() - start < timeout:
        st = h.status()
        for peer in peers:
            pass
        if peers and int(time.time() - start) % 3 == 0:
            for host, pp in peers:
                try:
                    h.connect_peer((host, pp))
                except Exception:
                    pass
        if st.is_seeding and not done:
            done = True
            print("complete", flush=True)
            if mode == "get":
                end = time.time() + linger
                while time.time() < end:
                    time.sleep(0.2)
                return 0
        time.sleep(0.5)
    return 0 if (mode == "seed" and done) else 1

sys.exit(main())
