#!/bin/bash
# The agent in a real phase-1-like Linux under QEMU (TCG): a busybox initrd
# with the statically linked agent, its bundle in /etc/boottorrent/bundle, and the
# kernel command line the server writes. The agent downloads a target OS
# (Debian's kernel + a tiny initrd that prints a marker) over BitTorrent
# from a `boottorrent seed` on the host's loopback, seeds for seed_time,
# reports to a stand-in for the server, and boots the target with
# kexec_file_load + reboot(KEXEC); the target's marker on the serial console
# proves it. Before that, an OS whose kernel is not a bzImage is refused by
# the real kexec_file_load (ENOEXEC) and the agent explains it. The guest's network is QEMU user mode with restrict=on: it can
# reach nothing but the two guestfwd ports, each connection relayed by a
# busybox nc to the seed or the reporter on 127.0.0.1.
# AGENT_E2E_ARGS="--plain,-v" passes options to the agent in the guest,
# AGENT_E2E_DEBUG=1 prints the serial console, AGENT_E2E_WAIT=S bounds the wait.
set -eu
for tool in qemu-system-x86_64 busybox cpio meson ninja readelf; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$kernel" ] || { echo "SKIP: no kernel in /boot"; exit 77; }
kver=${kernel#/boot/vmlinuz-}
e1000=$(find "/lib/modules/$kver" -name 'e1000.ko*' | head -n 1)
[ -n "$e1000" ] || { echo "SKIP: no e1000 module for $kver"; exit 77; }
case $e1000 in *.ko) ;; *) echo "SKIP: compressed modules"; exit 77 ;; esac
if readelf -l "$(readlink -f "$(command -v busybox)")" | grep -q 'program interpreter'; then
	echo "SKIP: busybox is not static (install busybox-static)"
	exit 77
fi
. "$(dirname "$0")/../interop/agent-lib.bash"

# The agent, statically linked as phase 1 carries it (cached in BUILDDIR).
static="${BUILDDIR:?}/agent-static"
if [ ! -f "$static/build.ninja" ]; then
	meson setup "$static" "${SRCDIR:?}" -Dprefer_static=true -Dtests=disabled \
		-Dbuildtype=minsize -Dc_link_args=-static >"$AG_WORK/static.log" 2>&1 ||
		{ cat "$AG_WORK/static.log"; exit 1; }
fi
ninja -C "$static" -j2 boottorrent >"$AG_WORK/static.log" 2>&1 || { cat "$AG_WORK/static.log"; exit 1; }
agent="$static/boottorrent"

# The target OS: the same kernel, and an initrd whose init prints a marker.
mkdir -p "$AG_WORK/src/target" "$AG_WORK/tinit/bin"
cp "$kernel" "$AG_WORK/src/target/vmlinuz"
cp "$(command -v busybox)" "$AG_WORK/tinit/bin/busybox"
cat >"$AG_WORK/tinit/init" <<'EOS'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc 2>/dev/null
echo "KEXEC-TARGET-OK $(/bin/busybox cat /proc/cmdline)"
/bin/busybox poweroff -f
EOS
mkdir -p "$AG_WORK/tinit/proc"
chmod +x "$AG_WORK/tinit/init"
(cd "$AG_WORK/tinit" && find . | cpio -o -H newc --quiet | gzip) >"$AG_WORK/src/target/initrd.img"
mkdir -p "$AG_WORK/bundle/oss/target" "$AG_WORK/bundle/torrents"
"$BOOTTORRENT" mktorrent -q -d "$AG_WORK/src/target" -o "$AG_WORK/bundle/torrents/target.torrent" \
	>/dev/null
printf 'dispname: Target\nmethod: kexec\nkernel: vmlinuz\ninitrd: initrd.img\ncmdline: console=ttyS0 marker=%s\n' \
	"$$" >"$AG_WORK/bundle/oss/target/config.yaml"
# "bad" is the same torrent with its kexec kernel pointing at the initrd (a
# gzip'd cpio, not a bzImage): the real kexec_file_load must refuse it
# with ENOEXEC, and the agent must say so.
mkdir -p "$AG_WORK/bundle/oss/bad"
cp "$AG_WORK/bundle/torrents/target.torrent" "$AG_WORK/bundle/torrents/bad.torrent"
printf 'dispname: Bad\nmethod: kexec\nkernel: initrd.img\ninitrd: initrd.img\n' \
	>"$AG_WORK/bundle/oss/bad/config.yaml"
start_seed target
start_reporter
# Inside the guest the seeder is 10.0.2.100:6881 and the server's HTTP is
# 10.0.2.100:8080; guestfwd maps them to the host's loopback ports.
write_bundle 5 target 2 6881 $'http:\n  port: 8080\n'

# Phase 1: busybox, the agent, terminfo for vt100, e1000, the bundle.
p1="$AG_WORK/ph1"
mkdir -p "$p1"/{bin,usr/bin,proc,sys,dev,run,tmp,etc,lib/terminfo/v,var/lib/boottorrent}
cp "$(command -v busybox)" "$p1/bin/busybox"
for t in sh mount ip insmod sleep poweroff cat; do ln -s busybox "$p1/bin/$t"; done
cp "$agent" "$p1/usr/bin/boottorrent"
cp /lib/terminfo/v/vt100 "$p1/lib/terminfo/v/"
cp "$e1000" "$p1/e1000.ko"
mkdir -p "$p1/etc/boottorrent"
cp -r "$AG_WORK/bundle" "$p1/etc/boottorrent/bundle"
cat >"$p1/init" <<'EOS'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs run /run
mount -t tmpfs data /var/lib/boottorrent
insmod /e1000.ko
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
export TERM=vt100 TERMINFO_DIRS=/lib/terminfo BT_DATA=/var/lib/boottorrent BT_RUN=/run
for w in $(cat /proc/cmdline); do case $w in bt.agentargs=*) BT_AGENT_ARGS=$(echo "${w#*=}" | tr , " ") ;; esac; done
/usr/bin/boottorrent agent --os bad --plain --seed-time 0 </dev/console >/dev/console 2>&1
echo "PH1-BAD-EXIT=$?"
echo PH1-AGENT-START
/usr/bin/boottorrent agent ${BT_AGENT_ARGS:-} </dev/console >/dev/console 2>&1
echo "PH1-AGENT-EXIT=$?"
cat /run/agent.log
poweroff -f
EOS
chmod +x "$p1/init"
(cd "$p1" && find . | cpio -o -H newc --quiet | gzip) >"$AG_WORK/ph1.img"

rp=$(cat "$AG_WORK/reporter.port")
# guestfwd runs this for each connection the guest makes.
nc="$(command -v busybox) nc"
timeout 300 qemu-system-x86_64 -accel tcg -m 768 -smp 1 -nographic -no-reboot \
	-kernel "$kernel" -initrd "$AG_WORK/ph1.img" \
	-append "console=ttyS0 panic=-1 bt.server=10.0.2.100 bt.http=8080 BOOTIF=01-52-54-00-12-34-56 ${AGENT_E2E_ARGS:+bt.agentargs=$AGENT_E2E_ARGS}" \
	-netdev "user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:6881-cmd:$nc 127.0.0.1 $SEED_PORT,guestfwd=tcp:10.0.2.100:8080-cmd:$nc 127.0.0.1 $rp" \
	-device e1000,netdev=n0,mac=52:54:00:12:34:56 \
	</dev/null >"$AG_WORK/serial.log" 2>&1 &
qpid=$!
AG_PIDS="$AG_PIDS $qpid"
wait_for "${AGENT_E2E_WAIT:-280}" grep -q -e 'KEXEC-TARGET-OK' -e 'PH1-AGENT-EXIT' "$AG_WORK/serial.log" || true
sleep 1
kill "$qpid" 2>/dev/null || true
[ -z "${AGENT_E2E_DEBUG:-}" ] || tail -n 60 "$AG_WORK/serial.log"
tr -d "\033" <"$AG_WORK/serial.log" | grep -a -E 'PH1-|KEXEC|agent:|BootTorrent:|Cannot boot|Kernel panic' | head -n 20
grep -aq "KEXEC-TARGET-OK .*marker=$$" "$AG_WORK/serial.log" || fail "the target OS did not boot through kexec"
grep -aq 'Cannot boot: kexec initrd.img: not a bootable kernel' "$AG_WORK/serial.log" ||
	fail "kexec of a non-bzImage was not explained"
grep -aq 'PH1-BAD-EXIT=1' "$AG_WORK/serial.log" || fail "kexec of a non-bzImage did not fail"
grep -q '"phase":"downloading","os":"target","method":"kexec"' "$AG_WORK/reports" ||
	fail "no downloading report"
grep -q '"phase":"booting"' "$AG_WORK/reports" || fail "no booting report before kexec"
grep -q '"mac":"52:54:00:12:34:56","ip":"10.0.2.15"' "$AG_WORK/reports" ||
	fail "reports lack the MAC or the address"
[ "$AG_FAILS" = 0 ] || exit 1
echo "PASS"
