#!/bin/bash
# UEFI: OVMF's own network boot (a virtio NIC without an iPXE ROM, so the
# firmware's PXE stack sends DHCP option 93 = 7) gets Debian's signed shim
# (bootx64.efi) over TFTP, shim loads the signed network GRUB beside it,
# GRUB reads grub/grub.cfg and boots the kernel with both initrds.
# With SECBOOT=1 (pxe-uefi-secureboot.sh) the firmware is OVMF with Secure
# Boot on and Microsoft's keys enrolled: the same chain must pass every
# signature check, and the kernel comes up locked down.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
. "$SRCDIR/tests/lib/testenv.sh"
. "$SRCDIR/tests/lib/pxe.sh"
fw=uefi
[ "${SECBOOT:-0}" = 1 ] && fw=secboot
lab_init "pxe$fw"
data=$BUILDDIR/e2e-data
pxe_data "$data"
lab_switch
lab_host srv 10.77.0.1/24
T=$LAB_TMP
testenv_make "$T/env" 1
lab_bg srv "$BOOTTORRENT" start "$T/env" --data "$data" --log-file "$T/srv.log"
lab_wait 20 grep -q 'serving .*SIGHUP' "$T/srv.log" || { cat "$T/srv.log"; lab_die "start did not come up"; }
PXE_NIC=native pxe_vm vm1 52:54:00:77:04:01 "$fw" "$T/vm1.log"
if ! pxe_wait_marker "$T/vm1.log" 240; then
	echo "--- serial console"; tail -c 4000 "$T/vm1.log"
	echo "--- server"; grep -E 'DHCP|TFTP|HTTP' "$T/srv.log" | grep -v debug | tail -n 60
	mkdir -p "$BUILDDIR/e2e-logs" && cp "$T/srv.log" "$T/vm1.log" "$BUILDDIR/e2e-logs/" || true
	lab_die "the machine did not reach the marker"
fi
grep -q 'RRQ bootx64.efi' "$T/srv.log" || lab_die "shim was not fetched"
grep -q 'RRQ grubx64.efi' "$T/srv.log" || lab_die "GRUB was not fetched"
grep -q 'RRQ grub/grub.cfg' "$T/srv.log" || lab_die "grub.cfg was not fetched"
if [ "$fw" = secboot ]; then
	grep -aqi 'secure boot enabled\|Secure boot enabled' "$T/vm1.log" ||
		lab_die "the kernel did not report Secure Boot"
fi
echo "pxe-$fw: booted in $SECONDS s"
