#!/bin/sh
# Fills an environment's oss/ with the demo's operating systems, built from
# Debian packages on this machine (nothing prebuilt is committed):
#   oss/linux  kexec: Debian's kernel + a busybox initrd that prints a marker
#   oss/hello  bin:   a static program that prints a marker
# Usage: tools/make-demo-oss.sh ENVDIR
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
env=$1
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
(cd "$work/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9n > "$env/oss/linux/initrd.gz"

cc -static -O2 -o "$env/oss/hello/hello" "$top/tools/demo/hello.c"
strip "$env/oss/hello/hello"
