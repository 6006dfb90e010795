#!/bin/bash
# The bin-qemu-x86_64 method, in phase 1's full flavour (ph1/build.sh
# --flavour full carries qemu-system-x86_64): a BIOS QEMU machine PXE-boots
# from `boottorrent start` (iPXE's HTTP path), its agent downloads the OS
# (a 512-byte boot sector) over BitTorrent and runs QEMU on it inside the
# machine; the nested guest writes a marker to its COM1, which QEMU's
# -serial stdio puts on the agent's console, the outer machine's serial
# console. The agent must say how much RAM is left for the guest.
#
# Nested TCG is slow (the outer machine emulates a CPU that emulates a CPU),
# hence a boot sector that does almost nothing, 1.5 GiB for the outer
# machine (the full flavour unpacks ~120 MiB into RAM) and ten minutes.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
. "$SRCDIR/tests/lib/pxe.sh"
lab_init agqemu
data=$BUILDDIR/e2e-full-qemu
pxe_ph1_data "$data" --flavour full
grep -q 'flavour full' "$data/ph1/size.txt" || lab_die "build/ph1 is not the full flavour"
lab_switch
lab_host srv 10.77.0.1/24
T=$LAB_TMP
env=$T/env
mkdir -p "$env/oss/guest"

# The guest: real-mode code at 0x7c00 that writes a string to COM1 (port
# 0x3f8) byte by byte and halts.
#   xor ax,ax; mov ds,ax; cld; mov si,msg; mov dx,0x3f8
#   next: lodsb; or al,al; jz done; out dx,al; jmp next
#   done: cli; hlt; jmp done
marker="BOOTTORRENT-QEMU-GUEST: booted"
{
	printf '\x31\xc0\x8e\xd8\xfc\xbe\x17\x7c\xba\xf8\x03'
	printf '\xac\x08\xc0\x74\x03\xee\xeb\xf8'
	printf '\xfa\xf4\xeb\xfd'
	printf '\r\n%s\r\n\0' "$marker"
} >"$T/code"
[ "$(stat -c %s "$T/code")" -le 510 ] || lab_die "the boot sector's code is too long"
cp "$T/code" "$env/oss/guest/disk.img"
truncate -s 510 "$env/oss/guest/disk.img"
printf '\x55\xaa' >>"$env/oss/guest/disk.img"
cat >"$env/oss/guest/config.yaml" <<'YAML'
dispname: "A boot sector in QEMU (bin-qemu-x86_64)"
method: bin-qemu-x86_64
args: "-m 16 -display none -monitor none -serial stdio -boot c -drive file=disk.img,format=raw,if=ide"
YAML
pxe_env_yaml "$env" guest 0 "{port: 6881}"
pxe_start "$env" "$data" "$T/srv.log"
pxe_vm vm1 52:54:00:77:0a:01 bios "$T/vm1.log" -m 1536
fail() {
	echo "--- serial console"; tail -c 5000 "$T/vm1.log" | tr -d '\033'
	echo "--- server"; grep -v debug "$T/srv.log" | tail -n 30
	mkdir -p "$BUILDDIR/e2e-logs" && cp "$T/srv.log" "$T/vm1.log" "$BUILDDIR/e2e-logs/" || true
	lab_die "$1"
}
lab_wait 300 grep -aq 'starting QEMU' "$T/vm1.log" || fail "the agent did not start QEMU"
grep -aq 'left for the guest' "$T/vm1.log" || fail "the agent did not say how much RAM the guest has"
t_qemu=$SECONDS
lab_wait 600 grep -aq "$marker" "$T/vm1.log" || fail "the nested guest's marker did not appear"
echo "agent-qemu: $(grep -ao 'RAM [^:]*: [^ ]* [^ ]* left for the guest' "$T/vm1.log" | head -n 1)"
echo "agent-qemu: PXE -> full phase 1 -> BitTorrent -> QEMU in $t_qemu s; guest marker at $SECONDS s"
