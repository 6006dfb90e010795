#!/bin/bash
# The server answers on its configured interfaces only. The server host has
# eth0 on one LAN and eth1 on another; it is told to serve eth0. A client on
# eth0's LAN gets a lease; a client on eth1's LAN gets no answer, both with
# one interface configured (SO_BINDTODEVICE) and with two (eth0 and lo, so
# the filter is IP_PKTINFO's receiving interface).
set -eu
. "$SRCDIR/tests/lib/lab.sh"
serve="$BUILDDIR/src/dhcp/dhcp-serve"
command -v udhcpc >/dev/null || { echo "udhcpc missing: skipping"; exit 77; }
[ -x "$serve" ] || { echo "dhcp-serve not built"; exit 1; }
lab_init dhcpi
lab_switch
lab_bridge br1
lab_host srv 10.77.0.1/24
lab_nic srv eth1 br1 10.77.1.1/24
lab_host near
lab_host far
lab_attach far br1
lab_exec far ip link set eth0 address 52:54:00:77:05:02
T=$LAB_TMP
fail() { echo "FAIL: $*" >&2; cat "$T/srv.log" >&2 || true; exit 1; }
cat >"$T/script.sh" <<'SH'
#!/bin/sh
[ "$1" = bound ] && echo "ip=$ip" >>"$OUT"
exit 0
SH
chmod +x "$T/script.sh"
lease() { # HOST OUT TRIES
	timeout 20 ip netns exec "$(lab_ns "$1")" env OUT="$2" udhcpc -i eth0 -f -q -n -t "$3" \
		-T 1 -A 1 -s "$T/script.sh" >/dev/null 2>&1
}

for ifaces in "eth0" "eth0 lo"; do
	args=()
	for i in $ifaces; do args+=(--interface "$i"); done
	rm -f "$T/near" "$T/far"
	lab_bg srv "$serve" "${args[@]}" --server-ip 10.77.0.1 --range 10.77.0.100-10.77.0.110 \
		--log-level debug >"$T/srv.log" 2>&1
	pid=$LAB_LAST_PID
	lab_wait 5 sh -c "ip netns exec $(lab_ns srv) ss -uln | grep -q ':67 '" || fail "no server"
	lease near "$T/near" 4 || fail "[$ifaces] the client on eth0's LAN got no lease"
	grep -q '^ip=10.77.0.1[01][0-9]$' "$T/near" || fail "[$ifaces] near: $(cat "$T/near")"
	! lease far "$T/far" 3 || fail "[$ifaces] the client on eth1's LAN got a lease: $(cat "$T/far")"
	! grep -q 52:54:00:77:05:02 "$T/srv.log" || fail "[$ifaces] answered on eth1"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	echo "[$ifaces] ok"
done
echo "dhcp interfaces ok"
