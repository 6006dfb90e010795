#!/bin/sh
# Collects the bootloaders `boottorrent start` serves, from Debian's
# packages, into OUT/loaders (default build/loaders):
#   pxelinux.0, ldlinux.c32   BIOS       (pxelinux, syslinux-common)
#   bootx64.efi               UEFI shim  (shim-signed, signed by Microsoft's UEFI CA)
#   grubx64.efi               UEFI GRUB  (grub-efi-amd64-signed, network image)
# The packages are downloaded and unpacked, not installed, so this machine's
# own boot loader is never touched. Usage: tools/fetch-loaders.sh [OUT]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build}
dest="$out/loaders"
cache="$out/loaders-cache"
mkdir -p "$dest" "$cache"

want="pxelinux syslinux-common shim-signed grub-efi-amd64-signed"
cd "$cache"
for pkg in $want; do
	ls ${pkg}_*.deb >/dev/null 2>&1 && continue
	if ! apt-get download "$pkg" >/dev/null 2>&1; then
		# The package lists may be missing on a fresh machine.
		[ "$(id -u)" = 0 ] && apt-get update -qq
		apt-get download "$pkg" >/dev/null
	fi
done
rm -rf root
mkdir root
for deb in *.deb; do
	dpkg-deb -x "$deb" root
done
install -m 644 root/usr/lib/PXELINUX/pxelinux.0 "$dest/pxelinux.0"
install -m 644 root/usr/lib/syslinux/modules/bios/ldlinux.c32 "$dest/ldlinux.c32"
install -m 644 root/usr/lib/shim/shimx64.efi.signed "$dest/bootx64.efi"
install -m 644 root/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed "$dest/grubx64.efi"
rm -rf root
echo "loaders in $dest: $(cd "$dest" && ls | tr '\n' ' ')"
