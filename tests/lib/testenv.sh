# A small environment for tests of `boottorrent start`, in the lab's
# addresses: the server at 10.77.0.1 on eth0, DHCP handing out
# 10.77.0.100-10.77.0.150. Source it from bash after lab.sh.
#
#   testenv_make DIR [MIB]         Boottorrent.yaml and one OS "os1" (bin)
#   testenv_add_os DIR NAME [MIB]  another OS folder with random data

testenv_add_os() {
	local dir=$1 name=$2 mib=${3:-2}
	mkdir -p "$dir/oss/$name"
	head -c $((mib * 1048576)) /dev/urandom >"$dir/oss/$name/image.bin"
	printf '#!/bin/sh\necho %s\n' "$name" >"$dir/oss/$name/run"
	chmod +x "$dir/oss/$name/run"
	cat >"$dir/oss/$name/config.yaml" <<YAML
dispname: "Test OS $name"
method: bin
bin: run
YAML
}

testenv_make() {
	local dir=$1 mib=${2:-2}
	mkdir -p "$dir/oss"
	cat >"$dir/Boottorrent.yaml" <<'YAML'
version: 1
boot: {timeout: 5, seed_time: 5, default_os: os1}
server: {address: 10.77.0.1}
dhcp:
  mode: server
  interface: eth0
  range: 10.77.0.100-10.77.0.150
  lease_time: 10m
tftp: {enable: true}
http: {port: 8080}
tracker: {enable: true, port: 6969, interval: 5}
swarm: {port: 6881, super_seed: true}
logging: {level: debug}
YAML
	testenv_add_os "$dir" os1 "$mib"
}
