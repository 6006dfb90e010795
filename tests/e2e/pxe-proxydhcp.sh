#!/bin/bash
# proxyDHCP beside a DHCP server we do not control: dnsmasq on another host
# hands out addresses only (no boot options), `boottorrent start` runs with
# dhcp.mode proxy and gives PXE clients their boot information without ever
# offering an address. A BIOS machine (iPXE ROM) and a UEFI machine (OVMF's
# own PXE) both boot to the marker; the addresses they use come from
# dnsmasq's range, which ours does not overlap.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
. "$SRCDIR/tests/lib/testenv.sh"
. "$SRCDIR/tests/lib/pxe.sh"
command -v dnsmasq >/dev/null || { echo "dnsmasq missing: skipping"; exit 77; }
lab_init pxeproxy
data=$BUILDDIR/e2e-data
pxe_data "$data"
lab_switch
lab_host srv 10.77.0.1/24
lab_host site 10.77.0.2/24
T=$LAB_TMP
# The site's DHCP server: addresses from .200 to .220, nothing about booting.
lab_bg site dnsmasq --no-daemon --conf-file=/dev/null --port=0 --bind-interfaces \
	--interface=eth0 --dhcp-range=10.77.0.200,10.77.0.220,255.255.255.0,10m \
	--dhcp-leasefile="$T/dnsmasq.leases" --log-dhcp >"$T/dnsmasq.log" 2>&1
testenv_make "$T/env" 1
python3 - "$T/env/Boottorrent.yaml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("  mode: server\n", "  mode: proxy\n").replace("  range: 10.77.0.100-10.77.0.150\n", "")
open(p, "w").write(s)
PY
lab_bg srv "$BOOTTORRENT" start "$T/env" --data "$data" --log-file "$T/srv.log"
lab_wait 20 grep -q 'serving .*SIGHUP' "$T/srv.log" || { cat "$T/srv.log"; lab_die "start did not come up"; }

boot() { # name mac firmware nic
	PXE_NIC=$4 pxe_vm "$1" "$2" "$3" "$T/$1.log"
	if ! pxe_wait_marker "$T/$1.log" 240; then
		echo "--- serial console of $1"; tail -c 3000 "$T/$1.log"
		echo "--- server"; grep -E 'DHCP|TFTP|HTTP' "$T/srv.log" | grep -v debug | tail -n 30
		echo "--- dnsmasq"; tail -n 20 "$T/dnsmasq.log"
		lab_die "$1 did not reach the marker"
	fi
	grep -q "$2" "$T/dnsmasq.leases" || lab_die "$1 did not get its address from dnsmasq"
}
boot bios 52:54:00:77:05:01 bios ipxe
boot uefi 52:54:00:77:05:02 uefi native
grep -q 'proxy' "$T/srv.log" || lab_die "the server did not answer as a proxy"
# Our server must never have handed out an address.
if grep -E 'DHCP: info: (offer|ack) ' "$T/srv.log" | grep -q '10\.77\.0\.'; then
	lab_die "proxy mode offered an address: $(grep -E 'DHCP: info: (offer|ack) ' "$T/srv.log" | head -n 3)"
fi
echo "pxe-proxydhcp: BIOS and UEFI booted beside dnsmasq in $SECONDS s"
