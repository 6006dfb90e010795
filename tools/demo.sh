#!/bin/bash
# make demo: the main job on its embedded default. A virtual LAN of network
# namespaces on this machine: the BootTorrent server and DEMO_NODES (4) QEMU
# machines (TCG, the iPXE ROM) that PXE-boot from it, get phase 1, download
# their OS over BitTorrent from the server and from each other, and boot it
# (three kexec a Debian kernel, one runs a static program). The status page
# is forwarded to http://127.0.0.1:DEMO_PORT (8080). It ends by itself with a
# summary per machine (also in build/demo/summary.json) and removes all it
# made; Ctrl+C stops it and cleans up too.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
nodes=${DEMO_NODES:-4}
port=${DEMO_PORT:-8080}
# The server's uplink, shaped as a busy or modest server's would be: the
# virtual LAN is otherwise faster than the emulated machines can take, and
# the server would never be the bottleneck BitTorrent takes away.
uplink=${DEMO_UPLINK:-40mbit}
# The kexec target's size. The demo's Debian kernel and busybox initrd are
# 9 MiB, which the server sends in 2 s: machines powered on seconds apart
# would then download one after the other, with nothing to share. A file of
# random bytes in the initrd (tools/make-demo-oss.sh) makes it the size of a
# small real image, so that downloads overlap as in a room of machines.
image_mib=${DEMO_IMAGE_MIB:-32}
bt="$top/build/boottorrent"
demo="$top/build/demo"
env="$demo/env"
server_ip=10.77.0.1
deadline=480

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
case $nodes in ''|*[!0-9]*) echo "DEMO_NODES must be a number" >&2; exit 2 ;; esac
[ "$nodes" -ge 1 ] && [ "$nodes" -le 32 ] || { echo "DEMO_NODES: 1 to 32" >&2; exit 2; }
if [ "$(id -u)" != 0 ]; then
	echo "make demo needs root: it builds network namespaces and starts a DHCP server in them" >&2
	exit 1
fi
echo "BootTorrent demo: $nodes machines. The first run builds phase 1 and installs"
echo "packages (a few minutes); then the boot itself takes 1 to 3 minutes on 2 cores."
echo "Everything runs inside network namespaces made for the demo and removed at the end;"
echo "the server's uplink is shaped to $uplink (DEMO_UPLINK) so that it is the scarce link."

step "Installing what the demo needs (only what is missing) and building"
tools/deps.sh demo
ninja -C build >/dev/null
ph1/build.sh --agent auto --out build/ph1 | tail -n 3
[ -f build/loaders/grubx64.efi ] || tools/fetch-loaders.sh build

step "Creating the demo environment in ${env#$top/}"
rm -rf "$env"
mkdir -p "$demo"
rm -f "$demo"/vm*.log "$demo"/server.log "$demo"/summary.json
"$bt" init "$env" >/dev/null
case $image_mib in '' | *[!0-9]*) echo "DEMO_IMAGE_MIB must be a number" >&2; exit 2 ;; esac
tools/make-demo-oss.sh "$env" "$image_mib"
macs=()
for i in $(seq 1 "$nodes"); do macs+=("$(printf '52:54:00:be:00:%02x' "$i")"); done
cat > "$env/Boottorrent.yaml" <<YAML
# The demo's environment: a LAN of its own inside network namespaces.
version: 1
boot:
  timeout: 5
  default_os: linux
  seed_time: 20
  menu: [linux, hello]
server:
  address: $server_ip
dhcp:
  mode: server
  interface: eth0
  range: 10.77.0.100-10.77.0.199
  lease_time: 1h
http:
  port: 8080
tracker:
  enable: true
  port: 6969
  interval: 5
swarm:
  super_seed: true
logging:
  level: info
hosts:
  # The last machine runs the bin target without a menu.
  - mac: "${macs[$((nodes - 1))]}"
    os: hello
YAML
cat > "$env/oss/linux/config.yaml" <<'YAML'
dispname: "Debian kernel + busybox (kexec)"
method: kexec
kernel: vmlinuz
initrd: initrd.gz
cmdline: "console=ttyS0"
YAML
cat > "$env/oss/hello/config.yaml" <<'YAML'
dispname: "Hello, a static binary (bin)"
method: bin
bin: hello
binargs: "from-the-swarm"
YAML

. tests/lib/lab.sh
SRCDIR=$top
. tests/lib/pxe.sh
lab_init demo
lab_switch
lab_host srv "$server_ip/24"
lab_shape srv "$uplink"

step "Validating it where the server's interface exists"
lab_exec srv "$bt" check "$env"

step "Starting the server: DHCP, TFTP, HTTP, tracker and seeder in one process"
lab_bg srv "$bt" start "$env" --data "$top/build" --log-file "$demo/server.log"
lab_wait 60 grep -q 'serving .*SIGHUP' "$demo/server.log" ||
	{ tail -n 20 "$demo/server.log"; lab_die "the server did not start"; }
grep -E 'SERVER: info: (linux|hello|out/)' "$demo/server.log" | sed 's/^[0-9: -]*/  /'

# The status page, from this machine's loopback into the server's namespace.
if command -v socat >/dev/null; then
	socat TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr,fork \
		EXEC:"ip netns exec $(lab_ns srv) socat STDIO TCP\:$server_ip\:8080" 2>/dev/null &
	LAB_PIDS="$LAB_PIDS $!"
	echo "  status page: http://127.0.0.1:$port/status  (JSON: /api/status, /metrics)"
fi

step "Powering on $nodes machines, a few seconds apart"
logs=()
for i in $(seq 1 "$nodes"); do
	mac=${macs[$((i - 1))]}
	pxe_vm "vm$i" "$mac" bios "$demo/vm$i.log"
	logs+=("$mac=$demo/vm$i.log=$(date +%s.%N)")
	echo "  vm$i $mac (serial console: ${demo#$top/}/vm$i.log)"
	sleep 3
done

step "Watching (up to $((deadline / 60)) minutes)"
rc=0
/usr/bin/python3 tools/demo-watch.py "$(lab_ns srv)" "http://$server_ip:8080/api/status" \
	"$deadline" "$demo/summary.json" "${logs[@]}" || rc=$?
echo
echo "Summary written to ${demo#$top/}/summary.json; logs in ${demo#$top/}/."
[ "$rc" = 0 ] && echo "Every machine booted its OS." || echo "Not every machine booted: see the logs."
exit "$rc"
