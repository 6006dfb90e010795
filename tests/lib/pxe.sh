# shellcheck shell=bash
# PXE boots of QEMU machines from `boottorrent start`, for the e2e tests.
# Source after lab.sh and testenv.sh. QEMU runs with -accel tcg (KVM guests
# hang in this lab), its NIC on a tap device plugged into the lab's bridge.
#
#   pxe_data DIR        a data folder for start (--data): Debian's kernel and
#                       a busybox initrd that prints a marker as "phase 1",
#                       and the bootloaders (tools/fetch-loaders.sh)
#   pxe_vm NAME MAC FW LOG [QEMU ARGS...]
#                       start a VM in the background; FW is bios, uefi or
#                       secboot; its serial console goes to LOG. The NIC is
#                       an e1000 with ipxe-qemu's iPXE ROM, or with
#                       PXE_NIC=native a virtio NIC with no option ROM, so
#                       that OVMF's own PXE stack boots it (as on a real
#                       machine whose NIC has no iPXE)
#   pxe_wait_marker LOG SECONDS
#                       wait for the phase-1 marker on the serial console
#   pxe_ph1_data DIR [ph1/build.sh ARGS...]
#                       a data folder with the real phase 1 (ph1/build.sh,
#                       which rebuilds only when its inputs changed) and the
#                       bootloaders
#   pxe_kexec_os ENV    the demo kexec target as ENV's only OS, "linux"
#   pxe_env_yaml ENV DEFAULT_OS SEED_TIME [SWARM FLOW]
#                       ENV's Boottorrent.yaml: server 10.77.0.1 on eth0,
#                       DHCP, HTTP 8080, tracker 6969, timeout 0
#   pxe_start ENV DATA LOG
#                       start the server in the lab's srv host and wait
#                       until it serves with phase 1

PXE_MARKER="BOOTTORRENT-DEMO-TARGET: booted"

pxe_data() {
	local data=$1 top=$SRCDIR
	mkdir -p "$data/ph1"
	if [ ! -f "$data/loaders/grubx64.efi" ]; then
		"$top/tools/fetch-loaders.sh" "$data" >/dev/null ||
			lab_die "could not fetch the bootloaders"
	fi
	if [ ! -f "$data/ph1/initrd.img" ]; then
		"$top/tools/make-demo-oss.sh" "$data/stand-in" >/dev/null ||
			lab_die "could not build the stand-in phase 1"
		cp "$data/stand-in/oss/linux/vmlinuz" "$data/ph1/vmlinuz"
		cp "$data/stand-in/oss/linux/initrd.gz" "$data/ph1/initrd.img"
	fi
}

pxe_vm() {
	local name=$1 mac=$2 fw=$3 log=$4
	local tap="t$$$name"
	shift 4
	tap=$(printf '%s' "$tap" | cut -c1-15)
	ip -n "$LAB_SW" tuntap add dev "$tap" mode tap
	ip -n "$LAB_SW" link set "$tap" master br0 up
	local fwargs=""
	case $fw in
	bios) fwargs="-boot n" ;;
	uefi|secboot)
		local code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd
		if [ "$fw" = secboot ]; then
			code=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
			vars=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
		fi
		cp "$vars" "$LAB_TMP/$name.vars"
		fwargs="-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on
			-drive if=pflash,format=raw,unit=0,readonly=on,file=$code
			-drive if=pflash,format=raw,unit=1,file=$LAB_TMP/$name.vars"
		;;
	*) lab_die "pxe_vm: unknown firmware '$fw'" ;;
	esac
	local nic="-device e1000,netdev=n0,mac=$mac"
	[ "${PXE_NIC:-ipxe}" = native ] && nic="-device virtio-net-pci,netdev=n0,mac=$mac,romfile="
	# shellcheck disable=SC2086
	ip netns exec "$LAB_SW" qemu-system-x86_64 -accel tcg -m 768 -smp 1 \
		-display none -serial "file:$log" -monitor none -no-reboot \
		$fwargs \
		-netdev tap,id=n0,ifname="$tap",script=no,downscript=no \
		$nic "$@" >"$log.qemu" 2>&1 &
	LAB_LAST_PID=$!
	LAB_PIDS="$LAB_PIDS $LAB_LAST_PID"
}

pxe_wait_marker() {
	local log=$1 limit=$2
	lab_wait "$limit" grep -aq "$PXE_MARKER" "$log"
}

pxe_ph1_data() {
	local data=$1
	shift
	mkdir -p "$data"
	[ -f "$data/loaders/grubx64.efi" ] || "$SRCDIR/tools/fetch-loaders.sh" "$data" >/dev/null ||
		lab_die "could not fetch the bootloaders"
	"$SRCDIR/ph1/build.sh" --agent auto "$@" --out "$data/ph1" >"$data/ph1-build.log" 2>&1 ||
		{ tail -n 20 "$data/ph1-build.log"; lab_die "the phase-1 image did not build"; }
}

pxe_kexec_os() {
	local env=$1
	mkdir -p "$env/oss"
	"$SRCDIR/tools/make-demo-oss.sh" "$env" >/dev/null || lab_die "could not make the demo OSs"
	rm -rf "$env/oss/hello"
	cat >"$env/oss/linux/config.yaml" <<'YAML'
dispname: "Debian kernel + busybox (kexec)"
method: kexec
kernel: vmlinuz
initrd: initrd.gz
cmdline: "console=ttyS0"
YAML
}

pxe_env_yaml() {
	local env=$1 os=$2 seed=$3 swarm=${4:-"{port: 6881, super_seed: true}"}
	cat >"$env/Boottorrent.yaml" <<YAML
version: 1
boot: {timeout: 0, default_os: $os, seed_time: $seed}
server: {address: 10.77.0.1}
dhcp: {mode: server, interface: eth0, range: 10.77.0.100-10.77.0.150}
http: {port: 8080}
tracker: {enable: true, port: 6969, interval: 5}
swarm: $swarm
YAML
}

pxe_start() {
	local env=$1 data=$2 log=$3
	lab_bg srv "$BOOTTORRENT" start "$env" --data "$data" --log-file "$log"
	lab_wait 30 grep -q 'serving .*SIGHUP' "$log" || { cat "$log"; lab_die "start did not come up"; }
	grep -q 'phase 1 yes' "$log" || lab_die "start has no phase 1"
}
