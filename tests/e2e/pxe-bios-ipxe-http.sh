#!/bin/bash
# iPXE's HTTP path: the QEMU machine's iPXE ROM says it is iPXE (DHCP option
# 77), `start` hands it http://SERVER/boot.ipxe, and iPXE fetches the kernel
# and both initrds over HTTP; no TFTP at all.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
. "$SRCDIR/tests/lib/testenv.sh"
. "$SRCDIR/tests/lib/pxe.sh"
lab_init pxeipxe
data=$BUILDDIR/e2e-data
pxe_data "$data"
lab_switch
lab_host srv 10.77.0.1/24
T=$LAB_TMP
testenv_make "$T/env" 1
lab_bg srv "$BOOTTORRENT" start "$T/env" --data "$data" --log-file "$T/srv.log"
lab_wait 20 grep -q 'serving .*SIGHUP' "$T/srv.log" || { cat "$T/srv.log"; lab_die "start did not come up"; }
pxe_vm vm1 52:54:00:77:03:01 bios "$T/vm1.log"
if ! pxe_wait_marker "$T/vm1.log" 150; then
	echo "--- serial console"; tail -c 3000 "$T/vm1.log"
	echo "--- server"; grep -E 'DHCP|TFTP|HTTP' "$T/srv.log" | tail -n 30
	lab_die "the machine did not reach the marker"
fi
grep -q 'GET /boot.ipxe 200' "$T/srv.log" || lab_die "boot.ipxe was not fetched over HTTP"
grep -q 'GET /ph1/vmlinuz 200' "$T/srv.log" || lab_die "the kernel was not fetched over HTTP"
grep -q 'GET /bundle.cpio 200' "$T/srv.log" || lab_die "the bundle was not fetched over HTTP"
if grep -q 'TFTP: info: .*RRQ' "$T/srv.log"; then lab_die "iPXE used TFTP"; fi
echo "pxe-bios-ipxe-http: booted over HTTP in $SECONDS s"
