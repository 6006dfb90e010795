#!/bin/bash
# Our DHCP server (dhcp-serve) against ISC dhclient, inside namespaces, with
# a private script, lease file and pid file so nothing touches the host: a
# PXE-style client (option 60, option 93 = 7) gets an address in range,
# mask, router, server id, next-server and the UEFI boot file; running it
# again (INIT-REBOOT with the remembered address) keeps the address;
# `dhclient -r` releases it and the server frees it.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
serve="$BUILDDIR/src/dhcp/dhcp-serve"
command -v dhclient >/dev/null || { echo "dhclient missing: skipping"; exit 77; }
[ -x "$serve" ] || { echo "dhcp-serve not built"; exit 1; }
lab_init dhcpd
lab_switch
lab_host srv 10.77.0.1/24
lab_host cli
lab_exec cli ip link set eth0 address 52:54:00:77:01:01
T=$LAB_TMP
fail() { echo "FAIL: $*" >&2; cat "$T/srv.log" "$T/cli.log" >&2 || true; exit 1; }

lab_bg srv "$serve" --interface eth0 --server-ip 10.77.0.1 --router 10.77.0.1 \
	--range 10.77.0.120-10.77.0.130 --lease-time 300 --lease-file "$T/leases" \
	--events "$T/events" --bios pxelinux.0 --uefi shimx64.efi --log-level debug \
	>>"$T/srv.log" 2>&1
lab_wait 5 sh -c "ip netns exec $(lab_ns srv) ss -uln | grep -q ':67 '" || fail "no server"

cat >"$T/dhclient.conf" <<'CONF'
option pxe-arch code 93 = unsigned integer 16;
send vendor-class-identifier "PXEClient:Arch:00007:UNDI:003016";
send pxe-arch 7;
request subnet-mask, routers, domain-name-servers;
CONF
# dhclient clears the environment: the output path is written in.
{ echo '#!/bin/sh'; echo "OUT='$T/out'"; } >"$T/script.sh"
cat >>"$T/script.sh" <<'SH'
case $reason in
BOUND|RENEW|REBOOT|REBIND)
	ip addr flush dev "$interface" 2>/dev/null
	ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface"
	echo "$reason ip=$new_ip_address mask=$new_subnet_mask router=$new_routers serverid=$new_dhcp_server_identifier next=$new_next_server file=$new_filename lease=$new_dhcp_lease_time" >>"$OUT"
	;;
RELEASE|STOP|EXPIRE|FAIL) ip addr flush dev "$interface" 2>/dev/null ;;
esac
exit 0
SH
chmod +x "$T/script.sh"

dhc() { # dhclient args... (always with our private files)
	timeout 30 ip netns exec "$(lab_ns cli)" env OUT="$T/out" dhclient -4 -v \
		-sf "$T/script.sh" -lf "$T/client.leases" -pf "$T/client.pid" \
		-cf "$T/dhclient.conf" "$@" eth0 >>"$T/cli.log" 2>&1
}
field() { tail -n1 "$T/out" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

dhc -1 || fail "dhclient got no lease"
# It daemonized with its pid in our pid file; stop it without a release.
stop_client() {
	[ -s "$T/client.pid" ] && kill "$(cat "$T/client.pid")" 2>/dev/null || true
	rm -f "$T/client.pid"
}
grep -q '^BOUND' "$T/out" || fail "no BOUND: $(cat "$T/out")"
ip1=$(field ip)
case $ip1 in 10.77.0.12[0-9]|10.77.0.130) ;; *) fail "address $ip1 not in range" ;; esac
[ "$(field mask)" = 255.255.255.0 ] || fail "mask: $(cat "$T/out")"
[ "$(field router)" = 10.77.0.1 ] || fail "router"
[ "$(field serverid)" = 10.77.0.1 ] || fail "server id"
[ "$(field file)" = shimx64.efi ] || fail "UEFI boot file: $(cat "$T/out")"
[ "$(field lease)" = 300 ] || fail "lease time"
[ "$(field next)" = 10.77.0.1 ] || fail "next-server (siaddr): $(cat "$T/out")"
grep -q "^ack 52:54:00:77:01:01 $ip1 arch=7" "$T/events" || fail "no ack event: $(cat "$T/events")"
stop_client

# Again: dhclient asks for its remembered address (INIT-REBOOT) and keeps it.
lab_exec cli ip addr flush dev eth0
dhc -1 || fail "second dhclient run got no lease"
[ "$(field ip)" = "$ip1" ] || fail "address changed on reboot: $(cat "$T/out")"
stop_client

# Release: the server marks the address free.
dhc -r || fail "dhclient -r failed"
lab_wait 10 grep -q "^release 52:54:00:77:01:01 $ip1" "$T/events" || fail "release not seen"
echo "dhcp dhclient ok"
