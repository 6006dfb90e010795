#!/usr/bin/python3
"""Watches QEMU machines boot for bench/boot-vm.sh: follows their serial
consoles and the server's log as they grow, stamps every new chunk with the
time it arrived, and notes when each stage's text first shows. Exits when
every machine shows its target's marker, or at the deadline.

Usage: boot-vm-watch.py KIND DEADLINE_S OUT_PREFIX SERVER_LOG NAME=MAC=POWER_ON=SERIAL...
KIND is "ours" or "base". Times are seconds from each machine's power-on
(the moment QEMU was started). OUT_PREFIX.json gets one object per machine;
OUT_PREFIX.timeline gets every stamped line, for profiling. With the machines
sharing a loaded host, QEMU's own CPU seconds at each stage (cpu_to_STAGE)
are steadier than the wall clock."""
import json, os, re, sys, time

kind, deadline, out, srvlog = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
vms = []
for arg in sys.argv[5:]:
    name, mac, on, log = arg.split("=", 3)
    vms.append({"name": name, "mac": mac.lower(), "on": float(on), "log": log, "t": {}})

# Stage -> what shows on the serial console (or, for DHCP, in the server's
# log) when the machine reaches it. "menu" is where the user would choose:
# our agent has started; the baseline's script runs after its DHCP lease.
if kind == "ours":
    SERIAL = [("ph1", "ph1: BootTorrent phase 1"),
              ("menu", "ph1: agent: starting"),
              ("downloaded", "100.0"),
              ("kexec", "BootTorrent: kexec into"),
              ("booted", "BOOTTORRENT-DEMO-TARGET: booted")]
    DHCP = re.compile(r"DHCP: info: ack ([0-9a-fA-F:]{17})")
else:
    SERIAL = [("ph1", "BASELINE-PH1: start"),
              ("menu", "BASELINE-PH1: lease"),
              ("downloaded", "BASELINE-PH1: downloaded"),
              ("kexec", "BASELINE-PH1: kexec"),
              ("booted", "BOOTTORRENT-DEMO-TARGET: booted")]
    DHCP = re.compile(r"DHCPACK\([^)]*\) [0-9.]+ ([0-9a-fA-F:]{17})")
STAGES = ["dhcp"] + [s for s, _ in SERIAL]


class Follow:
    def __init__(self, path):
        self.path, self.off, self.tail = path, 0, ""

    def read(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.off)
                data = f.read()
        except OSError:
            return ""
        self.off += len(data)
        return data.decode("latin-1")


TICK = os.sysconf("SC_CLK_TCK")


def qemu_pid(log):
    """The QEMU process whose serial console is LOG, or None."""
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    if ("file:" + log).encode() in f.read():
                        return int(d)
            except OSError:
                pass
    return None


def cpu(v):
    if v.get("pid") is None:
        v["pid"] = qemu_pid(v["log"])
    try:
        with open(f"/proc/{v['pid']}/stat") as f:
            st = f.read().rsplit(")", 1)[1].split()
        return round((int(st[11]) + int(st[12])) / TICK, 1)
    except (OSError, TypeError, IndexError, ValueError):
        return None


timeline = open(out + ".timeline", "w")
srv = Follow(srvlog)
for v in vms:
    v["f"] = Follow(v["log"])
start = time.time()
while True:
    now = time.time()
    for line in srv.read().splitlines():
        timeline.write(f"{now:.2f} server {line}\n")
        m = DHCP.search(line)
        for v in vms:
            if m and m.group(1).lower() == v["mac"]:
                v["t"].setdefault("dhcp", round(now - v["on"], 1))
    for v in vms:
        chunk = v["f"].read()
        if not chunk:
            continue
        # Keep some of the previous chunk: a marker may be split in two.
        text = v["f"].tail + chunk
        v["f"].tail = text[-200:]
        for line in re.split(r"[\r\n]+", chunk):
            if line.strip():
                timeline.write(f"{now:.2f} {v['name']} {now - v['on']:6.1f} {line[:300]}\n")
        for stage, marker in SERIAL:
            if marker in text and stage not in v["t"]:
                v["t"][stage] = round(now - v["on"], 1)
                v.setdefault("cpu", {})[stage] = cpu(v)
    timeline.flush()
    if all("booted" in v["t"] for v in vms) or now - start > deadline:
        break
    time.sleep(0.05)

res = [{"name": v["name"], "mac": v["mac"], "booted": "booted" in v["t"],
        **{f"seconds_to_{s}": v["t"].get(s) for s in STAGES},
        **{f"cpu_to_{s}": v.get("cpu", {}).get(s) for s in STAGES[1:]}} for v in vms]
with open(out + ".json", "w") as f:
    json.dump(res, f, indent=2)
print(json.dumps(res))
sys.exit(0 if all(r["booted"] for r in res) else 1)
