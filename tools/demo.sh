#!/bin/bash
# make demo: what BootTorrent can show today (see README.md, "What works").
#
# Builds a demo environment in build/demo/env with two operating systems made
# from Debian packages (a kexec Linux target and a bin target), validates it
# with `boottorrent check` inside a network namespace where the server's
# interface exists, makes a torrent per OS, and prints what `boottorrent
# start` will serve. It boots no machines yet: the server (issues 4 and 5)
# and phase 1 (issue 6) are still being built. Takes about a minute.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bt="$top/build/boottorrent"
demo="$top/build/demo"
env="$demo/env"
server_ip=10.77.0.1

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Installing what the demo needs (only what is missing)"
tools/deps.sh demo
ninja -C build >/dev/null

step "Creating the demo environment in ${env#$top/}"
rm -rf "$env"
mkdir -p "$demo"
"$bt" init "$env" >/dev/null
tools/make-demo-oss.sh "$env"
cat > "$env/Boottorrent.yaml" <<YAML
# The demo's environment: a LAN of its own inside network namespaces.
version: 1
boot:
  timeout: 10
  default_os: linux
  seed_time: 15
  menu: [linux, hello]
server:
  address: $server_ip
dhcp:
  mode: server
  interface: eth0
  range: 10.77.0.100-10.77.0.199
  lease_time: 1h
tftp:
  enable: true
http:
  port: 8080
tracker:
  enable: true
  port: 6969
swarm:
  super_seed: true
logging:
  level: info
YAML
cat > "$env/oss/linux/config.yaml" <<'YAML'
dispname: "Debian kernel + busybox (kexec)"
method: kexec
kernel: vmlinuz
initrd: initrd.gz
cmdline: "console=ttyS0 quiet"
YAML
cat > "$env/oss/hello/config.yaml" <<'YAML'
dispname: "Hello, a static binary (bin)"
method: bin
bin: hello
binargs: "from-the-swarm"
YAML
find "$env" -type f | sed "s|$top/||" | sort

step "Validating it where the server's interface exists (a network namespace)"
. tests/lib/lab.sh
lab_init demo
lab_switch
lab_host srv "$server_ip/24"
lab_exec srv "$bt" check "$env"

step "Making a torrent per OS (announcing to the environment's tracker)"
mkdir -p "$env/out/torrents"
for os in linux hello; do
	"$bt" mktorrent "$env/oss/$os" -o "$env/out/torrents/$os.torrent" \
		--announce "http://$server_ip:6969/announce"
	"$bt" torrent-info "$env/out/torrents/$os.torrent" | sed 's/^/    /'
done

step "What 'boottorrent start' will serve from this environment"
hash_of() { "$bt" torrent-info "$1" | awk -F': *' 'tolower($1) ~ /info.hash/ {print $2; exit}'; }
cat <<TXT
  DHCP     server mode on eth0 ($server_ip), addresses 10.77.0.100-10.77.0.199, 1 h leases;
           boot file by client architecture: BIOS pxelinux.0, UEFI shim + GRUB, iPXE an HTTP script
  TFTP     port 69: bootloaders, their configurations, phase 1 and the client bundle
  HTTP     port 8080: the same files for iPXE and UEFI HTTP boot, and the status page
  tracker  port 6969 (HTTP and UDP), for these torrents only:
             linux  $(hash_of "$env/out/torrents/linux.torrent")
             hello  $(hash_of "$env/out/torrents/hello.torrent")
  seeder   both OSs, super-seeding, so each piece leaves the server about once
  menu     "Debian kernel + busybox (kexec)" (default, after 10 s), "Hello, a static binary (bin)"
TXT
echo
echo "The demo environment stays in ${env#$top/}; the namespace is gone."
echo "Booting machines from it arrives with 'boottorrent start' (issues 4-6)."
