#!/bin/bash
# e2e: a BootTorrent environment extends phase 1 (docs/phase1.md): an extra
# Debian package with shared libraries (ethtool, which needs libmnl), an
# extra kernel module (vfat, which needs fat), a local firmware folder and an
# overlay with a hook. Builds the image with --env, checks its contents and
# that ethtool runs against the image's own libraries, then boots it under
# QEMU (TCG) with no NIC at all: init must say so, run the overlay's hook
# (which runs ethtool inside the guest), load bt.modules=vfat and still reach
# the agent step. No network is used. Bounded to about 5 minutes.
set -eu
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:-$SRCDIR/build}

for tool in qemu-system-x86_64 cpio xz zstd; do
	if ! command -v "$tool" >/dev/null; then
		echo "ph1-extend: $tool missing (tools/deps.sh ph1); skipping"
		exit 77
	fi
done
start=$(date +%s)
tmp=$(mktemp -d /tmp/ph1-extend.XXXXXX)
qemu_pid=""
cleanup() {
	[ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null || true
	[ -z "$qemu_pid" ] || wait "$qemu_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log=""
fail() {
	echo "ph1-extend: FAIL: $*"
	if [ -n "$log" ] && [ -f "$log" ]; then
		echo "---- serial console (last 30 lines) ----"
		tr -d '\r' <"$log" | grep -v '^[[:space:]]*$' | tail -n 30
	fi
	exit 1
}
pass() {
	echo "ph1-extend: ok: $*"
}

## An environment that extends phase 1 ####################################
env="$tmp/env"
mkdir -p "$env/ph1/overlay/etc/boottorrent/hooks" "$env/fw/acme"
printf '# tools for the field\nethtool\n' >"$env/ph1/packages.list"
printf 'vfat  # USB sticks\n' >"$env/ph1/modules.list"
echo "acme-firmware-$$" >"$env/fw/acme/nic.bin"
echo "$env/fw" >"$env/ph1/firmware.list"
cat >"$env/ph1/overlay/etc/boottorrent/hooks/10-check.sh" <<'EOF'
echo "ph1: hook: $(ethtool --version 2>&1 | head -n 1)"
echo "ph1: hook: firmware $(cat /lib/firmware/acme/nic.bin)"
EOF

out="$BUILDDIR/ph1-extend"
echo "ph1-extend: building into $out"
if ! timeout 400 "$SRCDIR/ph1/build.sh" --agent none --env "$env" --out "$out" >"$tmp/build.log" 2>&1; then
	tail -n 30 "$tmp/build.log"
	fail "ph1/build.sh --env failed"
fi
cat "$out/size.txt"
for p in extra firmware overlay modules; do
	grep -q "^$p " "$out/size.txt" || fail "the size report has no '$p' line"
done
pass "the size report shows extra, firmware and overlay"

root="$tmp/root"
mkdir -p "$root"
# zstd (the default) or xz; zstd calls the zero padding after its frame
# (ph1/build.sh) an unknown header, which cpio's check makes harmless.
case $(od -An -tx1 -N4 "$out/initrd.img" | tr -d ' ') in
28b52ffd) unpack() { zstd -dcq "$1" 2>/dev/null || true; } ;;
*) unpack() { xz -dc "$1"; } ;;
esac
(cd "$root" && unpack "$out/initrd.img" | cpio -idm --quiet) || fail "initrd does not unpack"
grep -q 'kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko' "$root"/lib/modules/*/modules.dep ||
	fail "vfat (with fat) is not in the image's modules.dep"
pass "vfat and its dependency fat are in, and indexed"
[ "$(cat "$root/lib/firmware/acme/nic.bin")" = "acme-firmware-$$" ] || fail "firmware folder not copied"
[ -f "$root/etc/boottorrent/hooks/10-check.sh" ] || fail "overlay not copied"
[ ! -e "$root/usr/share/doc/ethtool" ] || fail "documentation was copied"
pass "firmware folder and overlay are in; documentation is not"
# Run ethtool with the image's loader and libraries only.
ver=$("$root/lib64/ld-linux-x86-64.so.2" --inhibit-cache \
	--library-path "$root/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu" \
	"$root/sbin/ethtool" --version) || fail "ethtool does not run with the image's libraries"
pass "ethtool runs with the image's own libraries: $ver"

## Boot it with no NIC #####################################################
log="$tmp/serial"
qemu-system-x86_64 -accel tcg -m 512 -smp 1 -no-reboot -display none -monitor none \
	-serial "file:$log" -nic none -kernel "$out/vmlinuz" -initrd "$out/initrd.img" \
	-append "console=ttyS0 panic=-1 bt.modules=vfat" &
qemu_pid=$!
limit=$((start + 290 - $(date +%s)))
[ "$limit" -le 150 ] || limit=150
[ "$limit" -gt 0 ] || limit=1
i=0
while ! grep -q 'ph1: agent:' "$log" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt $((limit * 5)) ] || fail "init did not reach the agent step in $limit s"
	sleep 0.2
done
pass "init reached the agent step in $(($(date +%s) - start)) s since the test began"
serial=$(tr -d '\r' <"$log")
grep -q '^ph1: error: no network interface' <<<"$serial" || fail "no NIC was not reported"
pass "init reports that there is no network interface"
grep -q '^ph1: modules loaded:.* vfat ' <<<"$serial" || fail "bt.modules=vfat was not loaded"
pass "bt.modules=vfat loaded"
grep -q '^ph1: hook: ethtool version' <<<"$serial" || fail "the hook did not run ethtool"
grep -q "^ph1: hook: firmware acme-firmware-$$" <<<"$serial" || fail "the hook did not see the firmware"
pass "the overlay's hook ran ethtool in the guest and saw the firmware"
echo "ph1-extend: passed in $(($(date +%s) - start)) s"
