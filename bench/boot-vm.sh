#!/bin/bash
# End-to-end boot benchmark (issue 6 "Speed", issue 7 benchmark 2): N QEMU
# machines (-accel tcg, ipxe-qemu's ROM, tests/lib/pxe.sh) power on at once
# on a bridge inside network namespaces and boot the same ~72 MB kexec
# target two ways:
#   ours  `boottorrent start`: iPXE's HTTP path to phase 1, the agent
#         downloads the image over BitTorrent (timeout 0, seed_time 0) and
#         kexecs it
#   base  dnsmasq (DHCP + TFTP) + pxelinux + a busybox phase 1 that wgets
#         the image from busybox httpd and kexecs it with kexec-tools (the
#         baseline of issue 6), its initrd built here from Debian packages
# For each machine: seconds from power-on (QEMU started) to the ROM's DHCP
# lease, to phase 1's init, to the menu (our agent started; the baseline's
# lease), to download complete, to the kexec and to the target's marker.
#
# Usage: bench/boot-vm.sh [N...]          (default: 1 2 4)
#   BENCH_IMAGE_MIB  image size, kernel + initrd (72)
#   BENCH_WHICH      "ours base" (both), or one of them
#   BENCH_CPU        a QEMU CPU model for every machine, ours and the
#                    baseline's alike (default: QEMU's, qemu64)
#   BENCH_PCAP       1: capture the server's DHCP, TFTP and tracker packets
#                    (UDP) to boot-vm-logs/KIND N.pcap, for profiling
# Writes build/bench/boot-vm.txt (the table), boot-vm.json (every machine)
# and build/bench/boot-vm-logs/ (serial consoles, stamped timelines).
# Needs root, a plain build (make), phase 1 (make ph1) and the loaders
# (make loaders); everything it creates is removed at the end.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
SRCDIR=$top
. tests/lib/lab.sh
. tests/lib/pxe.sh

counts=${*:-1 2 4}
# shellcheck disable=SC2086 # one word per count
lab_counts 16 "bench/boot-vm.sh [N...]   (machines per run, 1 to 16; default 1 2 4)" $counts
which_ones=${BENCH_WHICH:-ours base}
mib=${BENCH_IMAGE_MIB:-72}
bt=$top/build/boottorrent
res=$top/build/bench
logs=$res/boot-vm-logs
deadline=300

[ -x "$bt" ] || { echo "boot-vm: build first (make)" >&2; exit 1; }
[ -f build/ph1/initrd.img ] || { echo "boot-vm: no phase 1 (make ph1)" >&2; exit 1; }
[ -f build/loaders/pxelinux.0 ] || tools/fetch-loaders.sh build >/dev/null
for t in qemu-system-x86_64 dnsmasq busybox apt-get dpkg-deb cpio; do
	command -v "$t" >/dev/null || { echo "boot-vm: $t is missing" >&2; exit 1; }
done
mkdir -p "$res" "$logs" "$res/cache"
rm -f "$logs"/*

lab_init bootvm
T=$LAB_TMP
lab_switch
lab_host srv 10.77.0.1/24

## The target: the demo's kexec Linux, made the size asked by a file of
## random bytes in its initrd (tools/make-demo-oss.sh), which both sides
## download whole and the target's kernel unpacks.
env=$T/env
tools/make-demo-oss.sh "$env" "$mib" >/dev/null
rm -rf "$env/oss/hello"
cat >"$env/oss/linux/config.yaml" <<'YAML'
dispname: "Debian kernel + busybox (kexec)"
method: kexec
kernel: vmlinuz
initrd: initrd.gz
cmdline: "console=ttyS0 quiet"
YAML
cat >"$env/Boottorrent.yaml" <<'YAML'
version: 1
boot: {timeout: 0, default_os: linux, seed_time: 0}
server: {address: 10.77.0.1}
dhcp: {mode: server, interface: eth0, range: 10.77.0.100-10.77.0.150}
http: {port: 8080}
tracker: {enable: true, port: 6969, interval: 5}
swarm: {port: 6881}
YAML
data=$T/data
mkdir -p "$data"
cp -a build/ph1 "$data/ph1"
rm -rf "$data/ph1/cache"
ln -s "$top/build/loaders" "$data/loaders"

## The baseline: pxelinux over TFTP, then a busybox phase 1 with wget and
## kexec-tools, built from Debian packages (the kernel is phase 1's own).
base_initrd() {
	local root=$T/base-root deb tree kver ko
	mkdir -p "$root"/{bin,sbin,proc,sys,dev,mnt,lib64,lib/x86_64-linux-gnu}
	# kexec-tools and the libraries it needs (Xen's among them), from
	# Debian's packages; the C library's come from this Debian machine.
	local pkgs
	pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances --no-pre-depends kexec-tools 2>/dev/null |
		grep -v -e '^ ' -e '^<' -e ':' | grep -e '^libxen' -e '^libyajl' -e '^kexec-tools' |
		sort -u | tr '\n' ' ')
	# shellcheck disable=SC2086
	(cd "$res/cache" && { ls libxenmisc*.deb >/dev/null 2>&1 ||
		apt-get -q -o APT::Sandbox::User=root download $pkgs busybox-static >/dev/null; })
	for deb in "$res/cache"/*.deb; do
		tree=$res/cache/$(basename "$deb" .deb)
		[ -d "$tree" ] || dpkg-deb -x "$deb" "$tree"
	done
	cp "$res"/cache/busybox-static_*/bin/busybox "$root/bin/busybox"
	cp "$res"/cache/kexec-tools_*/sbin/kexec "$root/sbin/kexec"
	local need lib added=1
	while [ "$added" = 1 ]; do
		added=0
		for need in $(find "$root/sbin" "$root/lib" -type f -exec readelf -d {} + 2>/dev/null |
			sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u); do
			[ ! -e "$root/lib/x86_64-linux-gnu/$need" ] || continue
			lib=$(ls "$res"/cache/*/usr/lib/x86_64-linux-gnu/"$need" \
				"$res"/cache/*/lib/x86_64-linux-gnu/"$need" /lib/x86_64-linux-gnu/"$need" \
				2>/dev/null | head -n 1 || true)
			[ -n "$lib" ] || lab_die "baseline: no $need for kexec"
			cp -L "$lib" "$root/lib/x86_64-linux-gnu/"
			added=1
		done
	done
	cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
	kver=$(grep -aom1 '[0-9]\.[0-9]*\.[0-9]*-[0-9]*-amd64 ' build/ph1/vmlinuz | tr -d ' ')
	ko=$(find /lib/modules/"$kver" build/ph1/cache/trees/linux-image-"$kver"*/lib/modules/"$kver" \
		-name e1000.ko 2>/dev/null | head -n 1)
	[ -n "$ko" ] || lab_die "no e1000.ko for kernel $kver"
	cp "$ko" "$root/e1000.ko"
	cat >"$root/udhcpc.sh" <<'SH'
#!/bin/busybox sh
[ "$1" = bound ] && ip addr add "$ip/${mask:-24}" dev "$interface"
exit 0
SH
	cat >"$root/init" <<'SH'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "BASELINE-PH1: start"
insmod /e1000.ko
ip link set eth0 up
udhcpc -i eth0 -s /udhcpc.sh -q -f -n -t 20 -T 1 >/dev/null 2>&1
echo "BASELINE-PH1: lease"
mount -t tmpfs -o size=90% tmpfs /mnt
wget -q -O /mnt/vmlinuz http://10.77.0.1:8000/vmlinuz
wget -q -O /mnt/initrd http://10.77.0.1:8000/initrd.gz
echo "BASELINE-PH1: downloaded"
kexec -s -l /mnt/vmlinuz --initrd=/mnt/initrd --command-line="console=ttyS0 quiet"
echo "BASELINE-PH1: kexec"
kexec -e
echo "BASELINE-PH1: kexec failed"
exec sh
SH
	chmod 755 "$root/init" "$root/udhcpc.sh"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -6 \
		>"$T/tftp/initrd.base"
}
mkdir -p "$T/tftp/pxelinux.cfg" "$T/www"
base_initrd
cp build/loaders/pxelinux.0 build/loaders/ldlinux.c32 "$T/tftp/"
cp build/ph1/vmlinuz "$T/tftp/vmlinuz"
cat >"$T/tftp/pxelinux.cfg/default" <<'CFG'
DEFAULT base
PROMPT 0
TIMEOUT 0
LABEL base
  KERNEL vmlinuz
  INITRD initrd.base
  APPEND console=tty0 console=ttyS0,115200n8 quiet
CFG
ln "$env/oss/linux/vmlinuz" "$env/oss/linux/initrd.gz" "$T/www/"
chmod -R a+rX "$T"

## One run: a server, N machines at once, the watcher.
srv_pids=""
start_servers() {
	srv_pids=""
	if [ "$1" = ours ]; then
		lab_bg srv "$bt" start "$env" --data "$data" --log-file "$T/srv.log"
		srv_pids=$LAB_LAST_PID
		lab_wait 60 grep -q 'serving .*SIGHUP' "$T/srv.log" ||
			{ tail -n 20 "$T/srv.log"; lab_die "start did not come up"; }
	else
		# --no-ping: dnsmasq's default ping check would add seconds per address.
		lab_bg srv dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 --user=root \
			--interface=eth0 --bind-interfaces --dhcp-range=10.77.0.100,10.77.0.150,1h \
			--dhcp-boot=pxelinux.0 --enable-tftp --tftp-root="$T/tftp" --no-ping \
			--dhcp-leasefile="$T/dnsmasq.leases" --log-dhcp --log-facility="$T/srv.log"
		srv_pids=$LAB_LAST_PID
		lab_bg srv busybox httpd -f -p 10.77.0.1:8000 -h "$T/www"
		srv_pids="$srv_pids $LAB_LAST_PID"
		sleep 1
	fi
}
stop_pids() {
	local p
	for p in "$@"; do kill "$p" 2>/dev/null || true; done
	for p in "$@"; do wait "$p" 2>/dev/null || true; done
}

run_one() {
	local kind=$1 n=$2 i vms=() vm_pids="" tag="$1$2" rc=0
	rm -f "$T/srv.log" "$T/dnsmasq.leases"
	: >"$T/srv.log"
	start_servers "$kind"
	local cap=""
	if [ "${BENCH_PCAP:-0}" = 1 ]; then
		lab_bg srv tcpdump -i eth0 -n -s 400 -U -w "$logs/$tag.pcap" udp 2>/dev/null
		cap=$LAB_LAST_PID
		sleep 0.5
	fi
	for i in $(seq 1 "$n"); do
		local mac log
		mac=$(printf '52:54:00:be:%02x:%02x' "$n" "$i")
		log=$logs/$tag-vm$i.log
		vms+=("vm$i=$mac=$(date +%s.%N)=$log")
		# shellcheck disable=SC2086 # no CPU model: no words
		pxe_vm "${kind:0:1}$n$i" "$mac" bios "$log" -machine graphics=off \
			${BENCH_CPU:+-cpu "$BENCH_CPU"}
		vm_pids="$vm_pids $LAB_LAST_PID"
	done
	/usr/bin/python3 bench/boot-vm-watch.py "$kind" "$deadline" "$logs/$tag" "$T/srv.log" \
		"${vms[@]}" >/dev/null || rc=$?
	# shellcheck disable=SC2086
	stop_pids $vm_pids $srv_pids $cap
	cp "$T/srv.log" "$logs/$tag-server.log"
	for i in $(seq 1 "$n"); do
		ip -n "$LAB_SW" link del "$(printf 't%s%s' "$$" "${kind:0:1}$n$i" | cut -c1-15)" \
			2>/dev/null || true
	done
	echo "  $kind N=$n: $( [ $rc = 0 ] && echo "all booted" || echo "NOT all booted")" \
		"(load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
}

echo "boot-vm: image $mib MiB; N = $counts; $which_ones; CPU ${BENCH_CPU:-qemu64} (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
for n in $counts; do
	for kind in $which_ones; do
		run_one "$kind" "$n"
		cp "$logs/$kind$n.json" "$T/r-$kind$n.json"
	done
done

## The table: mean and worst over the machines of each run.
/usr/bin/python3 - "$T" "$res/boot-vm" "$mib" "$counts" "$which_ones" <<'PY'
import json, os, sys, time
tmp, out, mib, counts, kinds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(), sys.argv[5].split()
stages = ["dhcp", "ph1", "menu", "downloaded", "kexec", "booted"]
name = {"ours": "BootTorrent (iPXE HTTP + agent)", "base": "dnsmasq + pxelinux + wget"}
rows, allres = [], {}
for n in counts:
    for k in kinds:
        r = json.load(open(os.path.join(tmp, f"r-{k}{n}.json")))
        allres[f"{k}{n}"] = r
        cells = []
        for s in stages:
            v = [m[f"seconds_to_{s}"] for m in r if m[f"seconds_to_{s}"] is not None]
            if len(v) < len(r):
                cells.append("-" if not v else f"{max(v):.1f}!")
            else:
                cells.append(f"{sum(v)/len(v):.1f} / {max(v):.1f}")
        rows.append((name[k], n, cells, sum(m["booted"] for m in r)))
lines = [f"Seconds from power-on, mean / worst over the machines; image {mib} MiB; "
         f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load {os.getloadavg()[0]:.2f}",
         "", "| system | N | " + " | ".join(stages) + " | booted |",
         "|---|---|" + "---|" * len(stages) + "---|"]
for nm, n, cells, b in rows:
    lines.append(f"| {nm} | {n} | " + " | ".join(cells) + f" | {b}/{n} |")
open(out + ".txt", "w").write("\n".join(lines) + "\n")
json.dump(allres, open(out + ".json", "w"), indent=2)
print("\n".join(lines))
PY
