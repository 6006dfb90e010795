#!/bin/bash
# The whole job for one machine: a BIOS QEMU machine PXE-boots from
# `boottorrent start` (iPXE's HTTP path), runs the real phase 1 (ph1/build.sh
# with the static agent), whose agent boots the default OS at once
# (timeout 0): it downloads the kexec target over BitTorrent from the
# server's seeder, and kexecs it; the target's marker, with the image id
# its initrd carries, appears on the serial console.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
. "$SRCDIR/tests/lib/pxe.sh"
lab_init bootkx
data=$BUILDDIR/e2e-full
mkdir -p "$data"
[ -f "$data/loaders/grubx64.efi" ] || "$SRCDIR/tools/fetch-loaders.sh" "$data" >/dev/null
"$SRCDIR/ph1/build.sh" --agent auto --out "$data/ph1" >"$data/ph1-build.log" 2>&1 ||
	{ tail -n 20 "$data/ph1-build.log"; lab_die "the phase-1 image did not build"; }
lab_switch
lab_host srv 10.77.0.1/24
T=$LAB_TMP
env=$T/env
mkdir -p "$env/oss"
"$SRCDIR/tools/make-demo-oss.sh" "$env" >/dev/null
rm -rf "$env/oss/hello"
cat >"$env/oss/linux/config.yaml" <<'YAML'
dispname: "Debian kernel + busybox (kexec)"
method: kexec
kernel: vmlinuz
initrd: initrd.gz
cmdline: "console=ttyS0"
YAML
cat >"$env/Boottorrent.yaml" <<'YAML'
version: 1
boot: {timeout: 0, default_os: linux, seed_time: 2}
server: {address: 10.77.0.1}
dhcp: {mode: server, interface: eth0, range: 10.77.0.100-10.77.0.150}
http: {port: 8080}
tracker: {enable: true, port: 6969, interval: 5}
swarm: {port: 6881, super_seed: true}
YAML
image_id=$(cat "$env/oss/linux/vmlinuz" | sha256sum | cut -c1-16)
lab_bg srv "$BOOTTORRENT" start "$env" --data "$data" --log-file "$T/srv.log"
lab_wait 30 grep -q 'serving .*SIGHUP' "$T/srv.log" || { cat "$T/srv.log"; lab_die "start did not come up"; }
grep -q 'phase 1 yes' "$T/srv.log" || lab_die "start has no phase 1"
pxe_vm vm1 52:54:00:77:06:01 bios "$T/vm1.log"
if ! pxe_wait_marker "$T/vm1.log" 300; then
	echo "--- serial console"; tail -c 5000 "$T/vm1.log"
	echo "--- server"; grep -v debug "$T/srv.log" | tail -n 40
	mkdir -p "$BUILDDIR/e2e-logs" && cp "$T/srv.log" "$T/vm1.log" "$BUILDDIR/e2e-logs/" || true
	lab_die "the machine did not boot the target"
fi
grep -aq "image $image_id" "$T/vm1.log" || lab_die "the target does not carry the served image's id"
lab_exec srv curl -sf http://10.77.0.1:8080/api/status >"$T/status.json" || lab_die "no /api/status"
/usr/bin/python3 - "$T/status.json" <<'PY' || lab_die "/api/status does not show the machine booted: $(cat "$T/status.json")"
import json, sys
st = json.load(open(sys.argv[1]))
m = [m for m in st["machines"] if m["mac"] == "52:54:00:77:06:01"]
assert m and m[0]["os"] == "linux" and m[0]["phase"] == "booted", m
PY
# The status page, as a browser shows it from the boot LAN: headless
# Chromium runs its JavaScript against the running server.
chrome=$(command -v chromium || true)
if [ -n "$chrome" ]; then
	shot=$BUILDDIR/e2e-logs/status-boot-kexec.png
	mkdir -p "$BUILDDIR/e2e-logs"
	crun() {
		lab_exec srv timeout 90 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic \
			--no-first-run --disable-background-networking --disable-component-update \
			--disable-sync --disable-extensions --user-data-dir="$T/chrome" \
			--virtual-time-budget=4000 --window-size=1280,900 "$@" 2>>"$T/chrome.log"
	}
	crun --dump-dom http://10.77.0.1:8080/status >"$T/dom.html" || lab_die "chromium --dump-dom"
	grep -q '52:54:00:77:06:01' "$T/dom.html" || lab_die "the status page does not show the machine"
	crun --screenshot="$shot" http://10.77.0.1:8080/status >/dev/null || lab_die "chromium --screenshot"
	[ -s "$shot" ] || lab_die "no screenshot"
fi
echo "boot-kexec: PXE -> phase 1 -> BitTorrent -> kexec in $SECONDS s"
