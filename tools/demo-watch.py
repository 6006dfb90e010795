#!/usr/bin/python3
"""Watches a running demo: polls the server's /api/status (through the
server's namespace) and the machines' serial consoles, prints a live table,
and when every machine has booted (or the time is up) writes the summary.

Usage: demo-watch.py NS URL DEADLINE_S SUMMARY_JSON MAC=SERIAL_LOG=POWER_ON_EPOCH...
Times are seconds from each machine's power-on. A machine counts as booted
when its OS's marker shows on its console. /api/status gives progress in
permille."""
import json, subprocess, sys, time

ns, url, deadline, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
machines = {}
for arg in sys.argv[5:]:
    mac, log, on = arg.split("=", 2)
    machines[mac] = {"log": log, "t": {}, "row": {}, "on": float(on)}
MARKERS = ("BOOTTORRENT-DEMO-TARGET: booted", "BOOTTORRENT-DEMO-BIN:")
STEPS = ("dhcp", "phase1", "menu", "downloading", "downloaded", "booted")
HEADS = ("dhcp", "ph1", "menu", "dl", "dl-ok", "boot")
start = time.time()


def status():
    try:
        raw = subprocess.run(["ip", "netns", "exec", ns, "curl", "-sf", "--max-time", "2", url],
                             capture_output=True, timeout=5).stdout
        return json.loads(raw)
    except Exception:
        return None


def mark(m, step, now):
    m["t"].setdefault(step, round(now - m["on"], 1))


def fmt_bytes(n):
    n = float(n or 0)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024


st = None
while True:
    now = time.time()
    st = status() or st
    rows = {r.get("mac"): r for r in (st or {}).get("machines", []) if r.get("mac")}
    for mac, m in machines.items():
        r = rows.get(mac)
        if r:
            m["row"] = r
            # The server saw the machine first when it asked for an address;
            # that may be before this watcher started.
            if r.get("first_seen") and r["phase"] != "seen":
                m["t"].setdefault("dhcp", round(r["first_seen"] / 1000 - m["on"], 1))
            order = ("dhcp", "phase1", "menu", "downloading", "seeding", "booted")
            if r["phase"] in order:
                for step in order[: order.index(r["phase"]) + 1]:
                    if step in ("seeding", "booted"):
                        continue
                    mark(m, step, now)
            if r["phase"] in ("seeding", "booted") or (r.get("progress") or 0) >= 1000:
                mark(m, "downloading", now)
                mark(m, "downloaded", now)
        try:
            with open(m["log"], "rb") as f:
                con = f.read().decode("latin-1")
            if any(k in con for k in MARKERS):
                mark(m, "booted", now)
        except OSError:
            pass
    # The live table.
    lines = [f"BootTorrent demo: {len(machines)} machines, {now - start:5.0f} s"
             f"  (status page: see above; Ctrl+C stops and cleans up)", ""]
    lines.append(f"{'machine':<18} {'ip':<13} {'phase':<18} {'os':<7} {'progress':>8}  "
                 + " ".join(f"{h:>6}" for h in HEADS))
    for mac, m in machines.items():
        r = m["row"]
        phase = "booted" if "booted" in m["t"] else (r.get("phase_text") or r.get("phase") or "off")
        prog = f"{(r.get('progress') or 0) / 10:.0f}%" if r else ""
        lines.append(f"{mac:<18} {r.get('ip', ''):<13} {phase[:18]:<18} {r.get('os', '')[:7]:<7} "
                     f"{prog:>8}  " + " ".join(f"{m['t'].get(s, ''):>6}" for s in STEPS))
    summ = (st or {}).get("summary", {})
    lines.append("")
    lines.append(f"server sent {fmt_bytes(summ.get('server_upload_bytes'))} of images, "
                 f"peers exchanged {fmt_bytes(summ.get('peer_exchange_bytes'))}")
    if sys.stdout.isatty():
        sys.stdout.write("\033[H\033[J" + "\n".join(lines) + "\n")
    elif int(now - start) % 10 == 0:
        print("\n".join(lines), flush=True)
    sys.stdout.flush()
    if all("booted" in m["t"] for m in machines.values()) or now - start > deadline:
        break
    time.sleep(1)

summ = (st or {}).get("summary", {})
result = {
    "machines": [
        {
            "mac": mac,
            "ip": m["row"].get("ip", ""),
            "os": m["row"].get("os", ""),
            "booted": "booted" in m["t"],
            "seconds_to_dhcp": m["t"].get("dhcp"),
            "seconds_to_menu": m["t"].get("menu"),
            "seconds_to_downloaded": m["t"].get("downloaded"),
            "seconds_to_booted": m["t"].get("booted"),
            "downloaded_bytes": m["row"].get("downloaded"),
            "uploaded_to_peers_bytes": m["row"].get("uploaded"),
        }
        for mac, m in machines.items()
    ],
    "server_upload_bytes": summ.get("server_upload_bytes"),
    "peer_exchange_bytes": summ.get("peer_exchange_bytes"),
    "server_copies": summ.get("server_copies"),
    "seconds": round(time.time() - start, 1),
}
with open(out, "w") as f:
    json.dump(result, f, indent=2)
print()
def sec(v):
    return "-" if v is None else f"{v:.1f}"


print("Seconds from power-on:")
print(f"{'machine':<18} {'os':<7} {'booted':<7} {'dhcp':>6} {'menu':>6} {'downl.':>7} {'booted':>7}"
      f"  {'downloaded':>10} {'sent to peers':>13}")
for r in result["machines"]:
    print(f"{r['mac']:<18} {r['os']:<7} {str(r['booted']).lower():<7} {sec(r['seconds_to_dhcp']):>6} "
          f"{sec(r['seconds_to_menu']):>6} {sec(r['seconds_to_downloaded']):>7} "
          f"{sec(r['seconds_to_booted']):>7}  {fmt_bytes(r['downloaded_bytes']):>10} "
          f"{fmt_bytes(r['uploaded_to_peers_bytes']):>13}")
print(f"\nThe server sent {fmt_bytes(result['server_upload_bytes'])} of OS images "
      f"({result['server_copies'] or 0:.2f} copies); the machines exchanged "
      f"{fmt_bytes(result['peer_exchange_bytes'])} among themselves.")
sys.exit(0 if all(r["booted"] for r in result["machines"]) else 1)
