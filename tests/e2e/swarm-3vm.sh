#!/bin/bash
# Three machines at once (issue 6's proof): three BIOS QEMU machines PXE-boot
# from `boottorrent start` together and run the real phase 1, whose agents
# boot the same kexec OS. The server's BitTorrent upload is shaped low
# (its boot files are not, so phase 1 comes quickly), so the swarm must
# carry the image: /api/status must show that the server's seeder sent
# less than 3 copies of the image and that the agents received bytes from
# each other; all three machines reach the target's marker.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
. "$SRCDIR/tests/lib/pxe.sh"
lab_init sw3vm
data=$BUILDDIR/e2e-full
pxe_ph1_data "$data"
lab_switch
lab_host srv 10.77.0.1/24
T=$LAB_TMP
env=$T/env
pxe_kexec_os "$env"
# seed_time: a machine that finishes first keeps seeding while the others
# still need pieces (the tracker says so); 60 s is the most it waits.
pxe_env_yaml "$env" linux 60
image=$(($(stat -c %s "$env/oss/linux/vmlinuz") + $(stat -c %s "$env/oss/linux/initrd.gz")))
echo "image: $image bytes"

# The server's uplink: HTB on its eth0 (lab_shape), with the seeder's
# traffic (TCP source port 6881) in a slow class of its own: one copy of
# the image takes about 12 s at 6 Mbit/s, while the boot files over HTTP
# keep 200 Mbit/s.
lab_shape srv 200mbit
ns=$(lab_ns srv)
ip netns exec "$ns" tc class replace dev eth0 parent 1: classid 1:2 htb rate 6mbit ceil 6mbit \
	burst 3200 cburst 3200
ip netns exec "$ns" tc qdisc replace dev eth0 parent 1:2 handle 20: bfifo limit 30000
ip netns exec "$ns" tc filter replace dev eth0 parent 1: protocol ip prio 1 u32 \
	match ip protocol 6 0xff match ip sport 6881 0xffff flowid 1:2

pxe_start "$env" "$data" "$T/srv.log"
for i in 1 2 3; do
	pxe_vm "vm$i" "52:54:00:77:36:0$i" bios "$T/vm$i.log"
done

# Bounded: every machine gets the same deadline (TCG on a shared machine).
deadline=$((SECONDS + 600))
left=""
for i in 1 2 3; do
	rest=$((deadline - SECONDS))
	[ "$rest" -gt 0 ] || rest=1
	pxe_wait_marker "$T/vm$i.log" "$rest" || left="$left vm$i"
done
lab_exec srv curl -sf http://10.77.0.1:8080/api/status >"$T/status.json" || lab_die "no /api/status"
save_logs() {
	mkdir -p "$BUILDDIR/e2e-logs"
	cp "$T/srv.log" "$BUILDDIR/e2e-logs/swarm-3vm-srv.log" || true
	cp "$T/status.json" "$BUILDDIR/e2e-logs/swarm-3vm-status.json" || true
	for i in 1 2 3; do cp "$T/vm$i.log" "$BUILDDIR/e2e-logs/swarm-3vm-vm$i.log" || true; done
}
if [ -n "$left" ]; then
	for i in $left; do echo "--- serial console of $i"; tail -c 3000 "$T/$i.log"; done
	echo "--- server"; grep -v debug "$T/srv.log" | tail -n 40
	save_logs
	lab_die "not every machine booted the target:$left"
fi
/usr/bin/python3 - "$T/status.json" "$image" <<'PY' || { save_logs; lab_die "the swarm did not carry the image"; }
import json, sys
st = json.load(open(sys.argv[1]))
image = int(sys.argv[2])
s = st["summary"]
ms = [m for m in st["machines"] if (m["mac"] or "").startswith("52:54:00:77:36:0")]
for m in ms:
    print("%s %s phase %s from server %s from peers %s uploaded %s" % (
        m["mac"], m["ip"], m["phase"], m["from_server"], m["from_peers"], m["uploaded"]))
print("server sent %d bytes = %.2f copies; agents: %d from the server, %d between peers; "
      "peers uploaded %d (tracker)" % (
    s["server_upload_bytes"], s["server_upload_bytes"] / image,
    s["agents_from_server_bytes"], s["agents_from_peers_bytes"], s["peer_exchange_bytes"]))
ok = True
if len(ms) != 3 or any(m["phase"] != "booted" for m in ms):
    print("FAIL: not three booted machines"); ok = False
if not s["server_upload_bytes"] < 3 * image:
    print("FAIL: the server sent 3 copies or more"); ok = False
if not s["agents_from_peers_bytes"] > 0:
    print("FAIL: no agent received bytes from another"); ok = False
if any(m["from_server"] is None for m in ms):
    print("FAIL: a machine did not report where its bytes came from"); ok = False
sys.exit(0 if ok else 1)
PY
save_logs
echo "swarm-3vm: three machines booted the target in $SECONDS s"
