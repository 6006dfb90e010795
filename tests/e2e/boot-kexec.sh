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
pxe_ph1_data "$data"
lab_switch
lab_host srv 10.77.0.1/24
T=$LAB_TMP
env=$T/env
pxe_kexec_os "$env"
pxe_env_yaml "$env" linux 2
image_id=$(sha256sum <"$env/oss/linux/vmlinuz" | cut -c1-16)
pxe_start "$env" "$data" "$T/srv.log"
pxe_vm vm1 52:54:00:77:06:01 bios "$T/vm1.log"
if ! pxe_wait_marker "$T/vm1.log" 300; then
	echo "--- serial console"; tail -c 5000 "$T/vm1.log"
	echo "--- server"; grep -v debug "$T/srv.log" | tail -n 40
	mkdir -p "$BUILDDIR/e2e-logs" && cp "$T/srv.log" "$T/vm1.log" "$BUILDDIR/e2e-logs/" || true
	lab_die "the machine did not boot the target"
fi
# The id is the line after the marker: give the serial console a moment.
lab_wait 10 grep -aq "image $image_id" "$T/vm1.log" ||
	lab_die "the target does not carry the served image's id: $(grep -a 'DEMO-TARGET' "$T/vm1.log")"
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
