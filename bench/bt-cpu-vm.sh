#!/bin/sh
# The BitTorrent engine on an emulated CPU: one QEMU machine (-accel tcg,
# one CPU, the host's Debian kernel, an initramfs of busybox and static
# boottorrent binaries, no network device) moves a SIZE_MIB file over its
# own loopback with `boottorrent seed` + `boottorrent get`, each binary in
# turn, and with busybox httpd + wget; prints busybox `time` (real, user,
# sys as the guest counts them) for each get and wget, ROUNDS times.
# Usage: bench/bt-cpu-vm.sh STATIC_BOOTTORRENT... [-- SIZE_MIB [ROUNDS]]
#   e.g. bench/bt-cpu-vm.sh /tmp/old/boottorrent.static build-static/boottorrent.static
# Static binaries come from ph1/build-agent.sh. The machine runs with
# -icount shift=0,sleep=off: its clock advances one nanosecond per guest
# instruction, so the guest's times count instructions (kernel ones
# included) and do not stretch when the host is loaded. BT_CPU_VM_ICOUNT=0
# runs it on the host's clock instead.
set -eu
bins=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	bins="$bins $(realpath "$1")"
	shift
done
[ $# -gt 0 ] && shift
mib=${1:-72}
rounds=${2:-2}
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$bins" ] || { echo "usage: $0 STATIC_BOOTTORRENT... [-- SIZE_MIB [ROUNDS]]" >&2; exit 2; }
[ -r "$kernel" ] || { echo "bt-cpu-vm.sh: no kernel in /boot" >&2; exit 77; }
for t in qemu-system-x86_64 busybox cpio; do
	command -v $t >/dev/null || { echo "bt-cpu-vm.sh: needs $t" >&2; exit 77; }
done
file -L "$(command -v busybox)" | grep -q 'statically linked' ||
	{ echo "bt-cpu-vm.sh: busybox is not static" >&2; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
mkdir -p "$dir/root/bin" "$dir/root/proc" "$dir/root/dev" "$dir/root/tmp"
cp "$(command -v busybox)" "$dir/root/bin/busybox"
names=""
i=0
for b in $bins; do
	i=$((i + 1))
	cp "$b" "$dir/root/bin/bt$i"
	names="$names bt$i"
	echo "bt$i = $b"
done
cat >"$dir/root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev
mount -t tmpfs -o size=$((mib * 3 + 64))m tmpfs /tmp
ip link set lo up
echo # the console's first line carries escape codes
head -c $((mib * 1048576)) /dev/urandom >/tmp/a.bin
bt1 mktorrent -q -l 256k -o /tmp/a.torrent /tmp/a.bin >/dev/null
httpd -p 127.0.0.1:8080 -h /tmp
for round in \$(seq $rounds); do
	for b in $names; do
		\$b seed /tmp/a.torrent --dir /tmp --port 7000 --bind 127.0.0.1 --no-tracker \\
			--no-pex -q >/dev/null 2>&1 &
		sp=\$!
		sleep 8 # its check of the file
		echo "== \$b get"
		time \$b get /tmp/a.torrent --dir /tmp/dst --port 0 --bind 127.0.0.1 \\
			--no-tracker --no-pex -q --peer 127.0.0.1:7000 >/dev/null
		cmp /tmp/a.bin /tmp/dst/a.bin || echo "== \$b: WRONG DATA"
		kill \$sp
		wait \$sp
		rm -rf /tmp/dst
	done
	echo "== wget"
	time wget -q -O /tmp/w.bin http://127.0.0.1:8080/a.bin
	cmp /tmp/a.bin /tmp/w.bin || echo "== wget: WRONG DATA"
	rm -f /tmp/w.bin
done
echo "== done"
poweroff -f
EOF
chmod +x "$dir/root/init"
(cd "$dir/root" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >"$dir/initrd.gz")
echo "bt-cpu-vm.sh: $mib MiB, $rounds rounds, $kernel; $(uptime)"
icount="-icount shift=0,sleep=off"
[ "${BT_CPU_VM_ICOUNT:-1}" = 1 ] || icount=""
# shellcheck disable=SC2086
timeout 1200 qemu-system-x86_64 -accel tcg $icount -m $((mib * 3 + 512)) -smp 1 -nographic \
	-no-reboot -nic none -kernel "$kernel" -initrd "$dir/initrd.gz" \
	-append "console=ttyS0 quiet panic=-1" </dev/null >"$dir/console.log" 2>&1 || true
# The timings, one line per command: name real user sys (seconds).
# busybox time prints "real\t0m 2.32s".
awk 'function s(m, x) { sub("m", "", m); sub("s", "", x); return m * 60 + x }
     /^== / && $2 != "done" { name = $2 }
     /^real/ { r = s($2, $3) } /^user/ { u = s($2, $3) }
     /^sys/ { printf "%-6s real %6.2f  user %6.2f  sys %6.2f  cpu %6.2f\n", name, r, u,
	      s($2, $3), u + s($2, $3) }
     /WRONG DATA/ { print; bad = 1 } END { exit bad }' "$dir/console.log"
grep -q '^== done' "$dir/console.log" || { tail -n 20 "$dir/console.log" >&2; exit 1; }
