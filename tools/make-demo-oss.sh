#!/bin/sh
# Fills an environment's oss/ with the demo's operating systems, built from
# Debian packages on this machine (nothing prebuilt is committed):
#   oss/linux  kexec: Debian's kernel + a busybox initrd that prints a marker
#   oss/hello  bin:   a static program that prints a marker
# Usage: tools/make-demo-oss.sh ENVDIR [IMAGE_MIB]
# With IMAGE_MIB, oss/linux's kernel + initrd are made that size by a file of
# random bytes inside the initrd (/padding, in an uncompressed cpio archive
# after the compressed one): the size of a real image, which the agent must
# download and verify whole and the kernel copies into its root filesystem
# as it would a real image's files. (Zeros appended to the initrd cost as
# much to download, but the kernel skips them byte by byte, which under
# QEMU's emulation takes seconds a real image does not.)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
env=$1
image_mib=${2:-}
case $image_mib in *[!0-9]*) echo "make-demo-oss: IMAGE_MIB must be a number" >&2; exit 2 ;; esac
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$kernel" ] || { echo "make-demo-oss: no kernel in /boot (apt-get install linux-image-amd64)" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "make-demo-oss: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }
# Debian's busybox and busybox-static replace each other; only the static
# one runs alone in an initrd.
if readelf -l /bin/busybox 2>/dev/null | grep -q 'program interpreter'; then
	echo "make-demo-oss: /bin/busybox is dynamically linked (apt-get install busybox-static)" >&2
	exit 1
fi

mkdir -p "$env/oss/linux" "$env/oss/hello"
cp "$kernel" "$env/oss/linux/vmlinuz"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin" "$work/root/etc"
cp /bin/busybox "$work/root/bin/busybox"
cp "$top/tools/demo/target-init" "$work/root/init"
chmod 755 "$work/root/init"
# The marker's image id: the kernel's hash, known before the initrd exists.
sha256sum "$kernel" | cut -c1-16 > "$work/root/etc/demo-image-id"
initrd=$env/oss/linux/initrd.gz
(cd "$work/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9n > "$initrd"

# newc_header NAME SIZE MODE: one newc cpio header and its padded name.
newc_header() {
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		1 "$3" 0 0 1 0 "$2" 0 0 0 0 $((${#1} + 1)) 0
	printf '%s\000' "$1"
	# The header (110 bytes) and the name end on a multiple of 4.
	pad=$(((4 - (110 + ${#1} + 1) % 4) % 4))
	head -c "$pad" /dev/zero
}
if [ -n "$image_mib" ]; then
	want=$((image_mib * 1048576 - $(stat -c %s "$env/oss/linux/vmlinuz")))
	# The kernel looks for the next archive at a multiple of 4 bytes.
	truncate -s %4 "$initrd"
	# 116 bytes for /padding's header, 124 for the trailer's.
	size=$(((want - $(stat -c %s "$initrd") - 240) / 4 * 4))
	if [ "$size" -gt 0 ]; then
		{
			newc_header padding "$size" $((0100644))
			head -c "$size" /dev/urandom
			newc_header TRAILER!!! 0 0
		} >>"$initrd"
		truncate -s "$want" "$initrd"
	fi
fi

cc -static -O2 -o "$env/oss/hello/hello" "$top/tools/demo/hello.c"
strip "$env/oss/hello/hello"
