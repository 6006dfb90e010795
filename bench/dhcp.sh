#!/bin/bash
# DHCP throughput: Kea's perfdhcp (-g single, acting as a relay, so servers
# answer by unicast) against our server, dnsmasq and Kea's own dhcp4 server,
# each with its lease file on disk, in the same namespace setup. For each
# server the rate steps up until more than 2.5 % of exchanges drop; the
# table shows the highest rate that stayed within that.
#
# Usage (root): bench/dhcp.sh [BUILDDIR]
#   RATES="500 1000 ..." PERIOD=5 CLIENTS=50000 SERVERS="ours dnsmasq kea"
# Not a test: numbers depend on the machine and its load.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
SRCDIR=${SRCDIR:-$top}
BUILDDIR=${1:-${BUILDDIR:-$top/build}}
RATES=${RATES:-"500 1000 2000 4000 8000 12000 16000 24000 32000 48000"}
PERIOD=${PERIOD:-5}
CLIENTS=${CLIENTS:-50000}
SERVERS=${SERVERS:-"ours dnsmasq kea"}
MAXDROP=2.5
. "$SRCDIR/tests/lib/lab.sh"
command -v perfdhcp >/dev/null || lab_die "perfdhcp missing (Debian package kea-admin)"
lab_init dbench
lab_switch
lab_host srv 10.77.0.1/16
lab_host cli 10.77.0.2/16
T=$LAB_TMP
# Lease files on the same file system as the rest of /var, not tmpfs.
D=$(mktemp -d /var/tmp/dhcp-bench.XXXXXX)
trap 'rc=$?; rm -rf "$D"; (exit $rc); lab_cleanup' EXIT

start_server() { # name
	rm -f "$D"/*
	case $1 in
	ours)
		[ -x "$BUILDDIR/src/dhcp/dhcp-serve" ] || lab_die "build first: $BUILDDIR/src/dhcp/dhcp-serve"
		lab_bg srv "$BUILDDIR/src/dhcp/dhcp-serve" --interface eth0 --server-ip 10.77.0.1 \
			--netmask 255.255.0.0 --range 10.77.1.0-10.77.255.254 --lease-time 3600 \
			--lease-file "$D/ours.leases" --bios pxelinux.0 --log-level warn \
			>>"$T/ours.log" 2>&1 ;;
	dnsmasq)
		lab_bg srv dnsmasq --no-daemon --conf-file=/dev/null --port=0 --user=root \
			--pid-file= --interface=eth0 --bind-interfaces --no-ping --quiet-dhcp \
			--dhcp-range=10.77.1.0,10.77.255.254,255.255.0.0,1h --dhcp-lease-max=70000 \
			--dhcp-leasefile="$D/dnsmasq.leases" --dhcp-boot=pxelinux.0 \
			>>"$T/dnsmasq.log" 2>&1 ;;
	kea)
		cat >"$D/kea.json" <<JSON
{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ "eth0" ], "dhcp-socket-type": "udp" },
  "lease-database": { "type": "memfile", "persist": true, "name": "$D/kea.leases",
                      "lfc-interval": 0 },
  "valid-lifetime": 3600,
  "subnet4": [ { "id": 1, "subnet": "10.77.0.0/16",
                 "pools": [ { "pool": "10.77.1.0 - 10.77.255.254" } ],
                 "boot-file-name": "pxelinux.0" } ],
  "loggers": [ { "name": "kea-dhcp4", "severity": "WARN",
                 "output_options": [ { "output": "stderr" } ] } ] } }
JSON
		lab_bg srv env KEA_PIDFILE_DIR="$D" KEA_LOCKFILE_DIR="$D" kea-dhcp4 -c "$D/kea.json" \
			>>"$T/kea.log" 2>&1 ;;
	esac
	SRV=$LAB_LAST_PID
	lab_wait 10 sh -c "ip netns exec $(lab_ns srv) ss -uln | grep -q ':67 '" ||
		lab_die "$1 did not start: $(tail -n 5 "$T/$1.log")"
}

stop_server() {
	kill "$SRV" 2>/dev/null || true
	wait "$SRV" 2>/dev/null || true
}

# run RATE: prints "drop% received/s avgdelay_ms" for the worse of DO and RA.
run() {
	lab_exec cli timeout $((PERIOD + 20)) perfdhcp -4 -g single -r "$1" -p "$PERIOD" \
		-R "$CLIENTS" -l 10.77.0.2 10.77.0.1 >"$T/perf.out" 2>&1 || true
	awk -v period="$PERIOD" '
		/drops ratio:/ { d = $3 + 0; if (d > drop) drop = d }
		/received packets:/ { recv = $3 }   # the last one is REQUEST-ACK
		/avg delay:/ { v = $3 + 0; if (v > delay) delay = v }
		END { printf "%.2f %d %.2f\n", drop, recv / period, delay }' "$T/perf.out"
}

printf '%-8s %10s %12s %10s %12s\n' server "rate/s" "DORA/s" "drops %" "delay ms"
for s in $SERVERS; do
	case $s in
	dnsmasq) command -v dnsmasq >/dev/null || { echo "$s: not installed"; continue; } ;;
	kea) command -v kea-dhcp4 >/dev/null || { echo "$s: not installed"; continue; } ;;
	esac
	best="- - - -"
	for rate in $RATES; do
		start_server "$s"
		read -r drop recv delay < <(run "$rate")
		stop_server
		echo "  $s at $rate/s: $drop % dropped, $recv DORA/s, $delay ms" >&2
		if awk -v d="$drop" -v m="$MAXDROP" 'BEGIN { exit !(d > m) }'; then
			break
		fi
		best="$rate $recv $drop $delay"
	done
	read -r rate recv drop delay <<<"$best"
	printf '%-8s %10s %12s %10s %12s\n' "$s" "$rate" "$recv" "$drop" "$delay"
done
