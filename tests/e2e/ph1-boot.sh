#!/bin/bash
# e2e: builds the phase-1 image (ph1/build.sh) and boots it under QEMU (TCG)
# on a lab network with busybox udhcpd as the only DHCP server, inside
# namespaces this test creates. Proves, from the serial console and from the
# server's side of the wire:
#   1. one e1000 NIC: its driver is loaded by modalias, init configures
#      the address the PXE ROM had (ip= with BOOTIF, as iPXE's script and
#      pxelinux's IPAPPEND 3 give them) without waiting for DHCP, udhcpc
#      then leases that same address in the background, the server can
#      ping it, and with keys
#      in an appended client bundle, ssh reaches dropbear and reads the
#      environment init wrote for the agent;
#   2. e1000 + virtio-net: both drivers load, and the lease is taken on the
#      interface BOOTIF names (the second one), with bt.server honoured;
#   3. no DHCP server at boot: init says so and reaches the agent step, and
#      when the server appears later, the client gets its lease anyway;
# and that kernel + initrd stay under 16 MiB. Bounded to about 5 minutes.
#
# PH1_IMAGE=DIR reuses a built image (DIR/vmlinuz, DIR/initrd.img);
# PH1_AGENT=PATH builds it with that static agent.
set -eu
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:-$SRCDIR/build}
# shellcheck source=../lib/lab.sh
. "$SRCDIR/tests/lib/lab.sh"

for tool in qemu-system-x86_64 busybox cpio ssh ssh-keygen; do
	if ! command -v "$tool" >/dev/null; then
		echo "ph1-boot: $tool missing (tools/deps.sh ph1 e2e); skipping"
		exit 77
	fi
done
lab_init ph1
start=$(date +%s)
# Every wait below is cut to what is left of 5 minutes, so the test ends in
# time (and cleans up) even on a machine too loaded to pass it.
deadline=$((start + 290))
left() {
	local l=$((deadline - $(date +%s)))
	[ "$l" -le "$1" ] || l=$1
	[ "$l" -gt 0 ] || l=1
	echo "$l"
}

fail() {
	echo "ph1-boot: FAIL: $*"
	if [ -n "${log:-}" ] && [ -f "$log" ]; then
		echo "---- serial console (last 40 lines) ----"
		tr -d '\r' <"$log" | grep -v '^[[:space:]]*$' | tail -n 40
	fi
	exit 1
}
pass() {
	echo "ph1-boot: ok: $*"
}

## The image ##############################################################
img=${PH1_IMAGE:-}
if [ -z "$img" ]; then
	img="$BUILDDIR/ph1-e2e"
	echo "ph1-boot: building the image into $img"
	if ! timeout 400 "$SRCDIR/ph1/build.sh" --out "$img" --agent "${PH1_AGENT:-none}" \
		>"$LAB_TMP/build.log" 2>&1; then
		tail -n 30 "$LAB_TMP/build.log"
		fail "ph1/build.sh failed"
	fi
	cat "$img/size.txt"
fi
[ -f "$img/vmlinuz" ] && [ -f "$img/initrd.img" ] || fail "no image in $img"
total=$(($(stat -c %s "$img/vmlinuz") + $(stat -c %s "$img/initrd.img")))
[ "$total" -lt $((16 * 1048576)) ] || fail "kernel + initrd are $total bytes, over 16 MiB"
pass "kernel + initrd = $total bytes (< 16 MiB)"

# A client bundle as the server will append it: a plain newc cpio that
# unpacks over the image's root, here with an ssh key and a marker file.
ssh-keygen -q -t ed25519 -N '' -f "$LAB_TMP/key"
mkdir -p "$LAB_TMP/bundle/etc/boottorrent/bundle"
cp "$LAB_TMP/key.pub" "$LAB_TMP/bundle/etc/boottorrent/authorized_keys"
echo "bundle-marker-$$" >"$LAB_TMP/bundle/etc/boottorrent/bundle/marker"
(cd "$LAB_TMP/bundle" && find . ! -path . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
	>"$LAB_TMP/bundle.cpio"
# QEMU takes one initrd: concatenate, as a bootloader loading two would.
cat "$img/initrd.img" "$LAB_TMP/bundle.cpio" >"$LAB_TMP/initrd+bundle"

## The lab: a switch, a server with udhcpd, taps for QEMU #################
lab_switch
lab_host srv 10.77.0.1/24
cat >"$LAB_TMP/udhcpd.conf" <<EOF
start 10.77.0.100
end 10.77.0.199
interface eth0
lease_file $LAB_TMP/udhcpd.leases
pidfile $LAB_TMP/udhcpd.pid
max_leases 100
siaddr 10.77.0.1
boot_file pxelinux.0
opt subnet 255.255.255.0
opt router 10.77.0.1
opt lease 3600
EOF
touch "$LAB_TMP/udhcpd.leases"
lab_bg srv busybox udhcpd -f "$LAB_TMP/udhcpd.conf"
udhcpd_pid=$LAB_LAST_PID
for t in tp1 tp2 tp3; do
	ip -n "$LAB_SW" tuntap add dev "$t" mode tap
	ip -n "$LAB_SW" link set "$t" master br0 up
done

qemu_pid=""
# boot NAME APPEND NIC...: boots the image with NIC devices (model,tap,mac)
# and waits for init to reach the agent step. Sets $log.
boot() {
	local name=$1 append=$2 nic model tap mac i=0
	shift 2
	local args=()
	for nic in "$@"; do
		IFS=, read -r model tap mac <<<"$nic"
		args+=(-netdev "tap,id=n$i,ifname=$tap,script=no,downscript=no"
			-device "$model,netdev=n$i,mac=$mac,romfile=")
		i=$((i + 1))
	done
	log="$LAB_TMP/$name.serial"
	lab_bg sw qemu-system-x86_64 -accel tcg -m 512 -smp 1 -no-reboot \
		-display none -monitor none -serial "file:$log" \
		-kernel "$img/vmlinuz" -initrd "$LAB_TMP/initrd+bundle" \
		-append "console=ttyS0 panic=-1 $append" "${args[@]}"
	qemu_pid=$LAB_LAST_PID
	local t0
	t0=$(date +%s)
	local limit
	limit=$(left 120)
	lab_wait "$limit" grep -q 'ph1: agent:' "$log" ||
		fail "$name: init did not reach the agent step in $limit s"
	pass "$name: init reached the agent step in $(($(date +%s) - t0)) s"
}
halt() {
	kill "$qemu_pid" 2>/dev/null || true
	wait "$qemu_pid" 2>/dev/null || true
}
serial() {
	tr -d '\r' <"$log"
}

## Run 1: e1000, the PXE ROM's address, ping and ssh ######################
boot e1000 "ip=10.77.0.123:10.77.0.1:10.77.0.1:255.255.255.0 BOOTIF=01-52-54-00-77-00-01" \
	e1000,tp1,52:54:00:77:00:01
serial | grep -q '^ph1: modules loaded:.* e1000 ' || fail "e1000: the e1000 driver was not loaded"
pass "e1000: driver loaded by modalias"
serial | grep -q '^ph1: dhcp: lease 10.77.0.123/24 on eth0 from the PXE ROM, next server 10.77.0.1' ||
	fail "e1000: the PXE ROM's address 10.77.0.123 (ip=) was not used at once"
serial | grep -q '^ph1: dhcp: asking on' && fail "e1000: init waited for udhcpc though ip= was whole"
pass "e1000: init used the PXE ROM's lease 10.77.0.123/24 at once (ip=, BOOTIF)"
serial | grep -q '^ph1: agent: \(missing\|starting\)' || fail "e1000: no agent step"
pass "e1000: $(serial | grep -m1 '^ph1: agent:')"
lab_exec srv ping -c 1 -W 5 10.77.0.123 >/dev/null || fail "e1000: the server cannot ping the client"
pass "e1000: the server pings the client"
sshopt=(-i "$LAB_TMP/key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o BatchMode=yes -o ConnectTimeout=30 -o LogLevel=ERROR)
# udhcpc's lease (with the boot file udhcpd gives) replaces the ROM's
# net.env in the background, within a few seconds: ask until it shows.
for try in 1 2 3 4 5 6; do
	if ! lab_exec srv timeout "$(left 90)" ssh "${sshopt[@]}" root@10.77.0.123 \
		'cat /run/boottorrent/env /run/boottorrent/net.env /etc/boottorrent/bundle/marker' \
		>"$LAB_TMP/remote" 2>"$LAB_TMP/ssh.err"; then
		cat "$LAB_TMP/ssh.err"
		fail "e1000: ssh to dropbear failed"
	fi
	! grep -q -x -F "BT_BOOTFILE='pxelinux.0'" "$LAB_TMP/remote" || break
	[ "$try" = 6 ] || sleep 2
done
for want in "BT_SERVER='10.77.0.1'" "BT_NET=up" "BT_IP='10.77.0.123'" "BT_IFACE='eth0'" \
	"BT_NEXT_SERVER='10.77.0.1'" "BT_BOOTFILE='pxelinux.0'" "BT_CONSOLE='ttyS0'" \
	"BT_BUNDLE=/etc/boottorrent/bundle" "bundle-marker-$$"; do
	grep -q -x -F "$want" "$LAB_TMP/remote" || { cat "$LAB_TMP/remote"; fail "e1000: over ssh, no line $want"; }
done
pass "e1000: ssh with the bundle's key reads init's environment and the bundle"
halt

## Run 2: e1000 + virtio-net, BOOTIF picks virtio-net #####################
boot two "BOOTIF=01-52-54-00-77-00-03 bt.server=10.77.0.9" \
	e1000,tp2,52:54:00:77:00:02 virtio-net-pci,tp3,52:54:00:77:00:03
loaded=$(serial | grep -m1 '^ph1: modules loaded:')
for m in e1000 virtio_net virtio_pci; do
	case "$loaded " in *" $m "*) ;; *) fail "two: $m not loaded ($loaded)" ;; esac
done
pass "two: e1000, virtio_pci and virtio_net loaded by modalias"
first=$(serial | grep -m1 '^ph1: dhcp: asking on')
case $first in *"(52:54:00:77:00:03)"*) ;; *) fail "two: DHCP did not start on BOOTIF's NIC: $first" ;; esac
lease=$(serial | grep -m1 '^ph1: dhcp: lease') || fail "two: no lease"
iface=$(echo "$first" | sed 's/.*asking on \([^ ]*\) .*/\1/')
case $lease in *" on $iface from 10.77.0.1,"*) ;; *) fail "two: lease not on $iface: $lease" ;; esac
pass "two: lease on $iface, the NIC BOOTIF named: ${lease#ph1: dhcp: }"
ip=$(echo "$lease" | sed 's/.*lease \([0-9.]*\)\/.*/\1/')
lab_exec srv timeout "$(left 90)" ssh "${sshopt[@]}" "root@$ip" 'cat /run/boottorrent/env' >"$LAB_TMP/remote2" ||
	fail "two: ssh failed"
grep -q -x -F "BT_SERVER='10.77.0.9'" "$LAB_TMP/remote2" || fail "two: bt.server not honoured"
pass "two: bt.server=10.77.0.9 reaches the agent's environment"
halt

## Run 3: the DHCP server comes late #####################################
kill "$udhcpd_pid"
wait "$udhcpd_pid" 2>/dev/null || true
boot late "bt.dhcp.tries=2" virtio-net-pci,tp1,52:54:00:77:00:04
serial | grep -q '^ph1: error: no DHCP lease on any interface yet' || fail "late: no lease was not reported"
pass "late: init reports no lease and still reaches the agent step"
echo "static_lease 52:54:00:77:00:04 10.77.0.144" >>"$LAB_TMP/udhcpd.conf"
lab_bg srv busybox udhcpd -f "$LAB_TMP/udhcpd.conf"
lab_wait "$(left 60)" lab_exec srv ping -c 1 -W 1 10.77.0.144 ||
	fail "late: no lease once the DHCP server is up"
pass "late: the background udhcpc took the lease once the server came up"
halt

echo "ph1-boot: passed in $(($(date +%s) - start)) s"
