#!/bin/sh
# Builds `boottorrent` statically linked for phase 1, which carries no C
# library: a separate meson build folder (default build-static) that prefers
# Debian's static archives (libevent, libyaml, nettle, libarchive, ncursesw
# and glibc's own libc.a), drops unused sections and strips the result.
# Usage: ph1/build-agent.sh [BUILDDIR]   -> prints the path of the binary
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/build-static}
cd "$top"
mkdir -p "$dir"
setup="setup"
[ ! -f "$dir/build.ninja" ] || setup="setup --reconfigure"
# shellcheck disable=SC2086
if ! meson $setup "$dir" -Dprefer_static=true -Dtests=disabled -Dbuildtype=minsize \
	-Db_lto=true -Dc_args='-ffunction-sections -fdata-sections' \
	-Dc_link_args='-static -Wl,--gc-sections' >"$dir/ph1-setup.log" 2>&1; then
	tail -n 20 "$dir/ph1-setup.log" >&2
	exit 1
fi
# glibc warns that getaddrinfo and friends want its NSS modules at run time
# in a static program; phase 1 resolves numeric addresses (docs/phase1.md).
ninja -C "$dir" -j2 boottorrent >"$dir/ph1-agent.log" 2>&1 || {
	cat "$dir/ph1-agent.log" >&2
	exit 1
}
strip -o "$dir/boottorrent.static" "$dir/boottorrent"
if readelf -l "$dir/boottorrent.static" | grep -q 'program interpreter'; then
	echo "ph1/build-agent.sh: $dir/boottorrent is not static" >&2
	exit 1
fi
echo "$dir/boottorrent.static"
