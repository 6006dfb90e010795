#!/bin/bash
# A BIOS machine (QEMU, SeaBIOS, the iPXE ROM from ipxe-qemu) PXE-boots from
# `boottorrent start`: DHCP → pxelinux.0 over TFTP → pxelinux.cfg → kernel and
# two initrds over TFTP → a marker on the serial console. HTTP is off, so
# iPXE is not sent to its HTTP path and takes the classic PXE route.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
. "$SRCDIR/tests/lib/testenv.sh"
. "$SRCDIR/tests/lib/pxe.sh"
lab_init pxebios
data=$BUILDDIR/e2e-data
pxe_data "$data"
lab_switch
lab_host srv 10.77.0.1/24
T=$LAB_TMP
testenv_make "$T/env" 1
sed -i 's/^http: .*/http: {enable: false}/' "$T/env/Boottorrent.yaml"
lab_bg srv "$BOOTTORRENT" start "$T/env" --data "$data" --log-file "$T/srv.log"
lab_wait 20 grep -q 'serving .*SIGHUP' "$T/srv.log" || { cat "$T/srv.log"; lab_die "start did not come up"; }
pxe_vm vm1 52:54:00:77:02:01 bios "$T/vm1.log"
if ! pxe_wait_marker "$T/vm1.log" 150; then
	echo "--- serial console"; tail -c 3000 "$T/vm1.log"
	echo "--- server"; grep -E 'DHCP|TFTP' "$T/srv.log" | tail -n 30
	lab_die "the machine did not reach the marker"
fi
grep -q 'RRQ pxelinux.0' "$T/srv.log" || lab_die "pxelinux.0 was not fetched over TFTP"
grep -q 'pxelinux.cfg/01-52-54-00-77-02-01' "$T/srv.log" ||
	lab_die "pxelinux did not look for its per-MAC configuration"
grep -q 'sent bundle.cpio' "$T/srv.log" || lab_die "the client bundle was not loaded"
echo "pxe-bios-pxelinux: booted through pxelinux in $SECONDS s"
