#!/bin/bash
# Real PXE firmware against our DHCP service, under QEMU (TCG) inside
# namespaces: iPXE (QEMU's BIOS network ROM) and OVMF's own UEFI PXE (EDK2,
# with the iPXE EFI ROM left out) must accept our replies and name the boot
# file we chose for them. Nothing serves the files, so each boot stops
# there; this checks DHCP only.
#
# Run as dhcp-firmware-server.sh: our server hands out the addresses.
# Run as dhcp-firmware-proxy.sh (a link to this file): dnsmasq hands out the
# addresses and our server is proxyDHCP beside it (OVMF then asks port 4011).
set -eu
. "$SRCDIR/tests/lib/lab.sh"
serve="$BUILDDIR/src/dhcp/dhcp-serve"
mode=server
case $0 in *proxy*) mode=proxy ;; esac
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
need="qemu-system-x86_64"
[ $mode = proxy ] && need="$need dnsmasq"
for tool in $need; do
	command -v $tool >/dev/null || { echo "$tool missing: skipping"; exit 77; }
done
[ -e /usr/lib/ipxe/qemu/pxe-virtio.rom ] && [ -e $OVMF_CODE ] ||
	{ echo "ipxe-qemu or ovmf missing: skipping"; exit 77; }
[ -x "$serve" ] || { echo "dhcp-serve not built"; exit 1; }
lab_init dhcpfw
lab_switch
lab_host srv 10.77.0.1/24
T=$LAB_TMP
fail() { echo "FAIL: $*" >&2; tail -n 20 "$T/srv.log" >&2 || true; exit 1; }
ip netns exec "$LAB_SW" ip tuntap add tap0 mode tap
ip netns exec "$LAB_SW" ip link set tap0 master br0 up

boot=(--bios pxelinux.0 --uefi bootx64.efi --ipxe http://10.77.0.1:8080/boot.ipxe)
if [ $mode = server ]; then
	lab_bg srv "$serve" --interface eth0 --server-ip 10.77.0.1 --router 10.77.0.1 \
		--range 10.77.0.100-10.77.0.110 "${boot[@]}" --events "$T/events" \
		--log-level debug >"$T/srv.log" 2>&1
else
	lab_host site 10.77.0.2/24
	lab_bg site dnsmasq --no-daemon --conf-file=/dev/null --port=0 --user=root \
		--pid-file= --interface=eth0 --bind-interfaces --no-ping \
		--dhcp-range=10.77.0.150,10.77.0.160,255.255.255.0,10m \
		--dhcp-leasefile="$T/dnsmasq.leases" >"$T/dnsmasq.log" 2>&1
	lab_bg srv "$serve" --mode proxy --interface eth0 "${boot[@]}" --events "$T/events" \
		--log-level debug >"$T/srv.log" 2>&1
fi
lab_wait 5 sh -c "ip netns exec $(lab_ns srv) ss -uln | grep -q ':4011 '" || fail "no server"

# firmware NAME MARKER QEMU-ARGS...: boot until MARKER shows on the serial
# console (at most 150 s), then stop QEMU.
firmware() {
	local name=$1 marker=$2 log="$T/$1.serial" pid i
	shift 2
	ip netns exec "$LAB_SW" qemu-system-x86_64 -accel tcg -m 256 -nographic \
		-monitor none -no-reboot -serial "file:$log" -boot n \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no "$@" </dev/null >/dev/null 2>&1 &
	pid=$!
	LAB_PIDS="$LAB_PIDS $pid"
	for i in $(seq 1 150); do
		grep -aq "$marker" "$log" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 1
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	grep -aq "$marker" "$log" ||
		fail "$name never showed '$marker': $(tr -d '\r' <"$log" | tail -n 8)"
	echo "$name: '$marker' after about $i s"
}

# iPXE: in both modes it must be handed the iPXE script URL.
firmware ipxe "Filename: http://10.77.0.1:8080/boot.ipxe" \
	-device virtio-net-pci,netdev=n0,mac=52:54:00:77:09:01
grep -aq "Next server: 10.77.0.1" "$T/ipxe.serial" || fail "iPXE: no next server"
# OVMF's own PXE (romfile= drops the iPXE EFI ROM): the UEFI boot file.
cp "$OVMF_VARS" "$T/vars.fd"
firmware ovmf "NBP filename is bootx64.efi" \
	-drive if=pflash,format=raw,readonly=on,file=$OVMF_CODE \
	-drive if=pflash,format=raw,file="$T/vars.fd" \
	-device virtio-net-pci,netdev=n0,mac=52:54:00:77:09:02,romfile=
grep -aq "Server IP address is 10.77.0.1" "$T/ovmf.serial" || fail "OVMF: wrong server"
if [ $mode = proxy ]; then
	grep -aq "Station IP address is 10.77.0.15[0-9]" "$T/ovmf.serial" ||
		fail "OVMF's address is not from dnsmasq"
	! grep -qE '^(offer|ack) ' "$T/events" || fail "the proxy handed out an address"
	grep -q "^proxy-ack 52:54:00:77:09:02" "$T/events" || fail "OVMF did not ask port 4011"
fi
echo "dhcp firmware ($mode) ok"
