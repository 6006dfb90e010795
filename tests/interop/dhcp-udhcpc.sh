#!/bin/bash
# Our DHCP server (dhcp-serve) against busybox udhcpc, inside namespaces:
# a lease in range with mask, router and server id; the boot file chosen by
# architecture (BIOS, UEFI, UEFI HTTP, iPXE); unicast renew keeps the
# address; release frees it; a fixed host gets its fixed address; the lease
# file survives a restart and the same MAC gets the same address back.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
serve="$BUILDDIR/src/dhcp/dhcp-serve"
command -v udhcpc >/dev/null || { echo "udhcpc missing: skipping"; exit 77; }
[ -x "$serve" ] || { echo "dhcp-serve not built"; exit 1; }
lab_init dhcpu
lab_switch
lab_host srv 10.77.0.1/24
lab_host cli
lab_host fix
lab_exec cli ip link set eth0 address 52:54:00:77:00:01
lab_exec fix ip link set eth0 address 52:54:00:77:00:99

T=$LAB_TMP
fail() { echo "FAIL: $*" >&2; echo "--- server log"; cat "$T/srv.log" >&2 || true; exit 1; }

start_server() {
	lab_bg srv "$serve" --interface eth0 --server-ip 10.77.0.1 --router 10.77.0.1 \
		--dns 10.77.0.1 --range 10.77.0.100-10.77.0.110 --lease-time 120 \
		--lease-file "$T/leases" --events "$T/events" \
		--bios pxelinux.0 --uefi shimx64.efi \
		--uefi-http http://10.77.0.1/boot/bootx64.efi \
		--ipxe http://10.77.0.1/boot.ipxe --pxelinux-config pxelinux.cfg/default \
		--host 52:54:00:77:00:99,10.77.0.50,fixed1 --log-level debug >>"$T/srv.log" 2>&1
	SRV=$LAB_LAST_PID
	lab_wait 5 sh -c "ip netns exec $(lab_ns srv) ss -uln | grep -q ':67 '" ||
		fail "server did not bind port 67"
}

# The udhcpc script records what it was told, and sets the address inside
# the client namespace so a renewal can come from it.
cat >"$T/script.sh" <<'SH'
#!/bin/sh
out=$OUT
case $1 in
bound|renew)
	ip addr flush dev "$interface" 2>/dev/null
	ip addr add "$ip/$mask" dev "$interface"
	echo "$1 ip=$ip mask=$mask router=$router serverid=$serverid siaddr=$siaddr boot_file=$boot_file lease=$lease" >>"$out"
	;;
deconfig) ip addr flush dev "$interface" 2>/dev/null ;;
esac
exit 0
SH
chmod +x "$T/script.sh"

# get NAME OUTFILE UDHCPC-ARGS...: one lease, then quit.
get() {
	local name=$1 out=$2
	shift 2
	OUT=$out timeout 20 ip netns exec "$(lab_ns "$name")" env OUT="$out" \
		udhcpc -i eth0 -f -q -n -t 4 -T 1 -A 1 -s "$T/script.sh" "$@" >>"$T/cli.log" 2>&1 ||
		fail "udhcpc $* got no lease: $(cat "$T/cli.log")"
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1" | tail -n1; }

start_server

# 1. BIOS PXE client.
get cli "$T/bios" -V PXEClient -x 0x5d:0000
ip1=$(field "$T/bios" ip)
case $ip1 in 10.77.0.1[01][0-9]) ;; *) fail "address $ip1 not in range" ;; esac
[ "$(field "$T/bios" mask)" = 24 ] || [ "$(field "$T/bios" mask)" = 255.255.255.0 ] || fail "mask"
[ "$(field "$T/bios" router)" = 10.77.0.1 ] || fail "router: $(cat "$T/bios")"
[ "$(field "$T/bios" serverid)" = 10.77.0.1 ] || fail "server id"
[ "$(field "$T/bios" siaddr)" = 10.77.0.1 ] || fail "siaddr: $(cat "$T/bios")"
[ "$(field "$T/bios" boot_file)" = pxelinux.0 ] || fail "BIOS boot file: $(cat "$T/bios")"
[ "$(field "$T/bios" lease)" = 120 ] || fail "lease time"

# 2. x86-64 UEFI, UEFI HTTP boot, iPXE.
lab_exec cli ip addr flush dev eth0
get cli "$T/uefi" -V PXEClient -x 0x5d:0007
[ "$(field "$T/uefi" boot_file)" = shimx64.efi ] || fail "UEFI boot file: $(cat "$T/uefi")"
[ "$(field "$T/uefi" ip)" = "$ip1" ] || fail "same MAC, different address"
lab_exec cli ip addr flush dev eth0
get cli "$T/http" -V HTTPClient -x 0x5d:0010
[ "$(field "$T/http" boot_file)" = http://10.77.0.1/boot/bootx64.efi ] ||
	fail "HTTP boot URL: $(cat "$T/http")"
lab_exec cli ip addr flush dev eth0
get cli "$T/ipxe" -V PXEClient -x 0x5d:0000 -x 0x4d:69505845
[ "$(field "$T/ipxe" boot_file)" = http://10.77.0.1/boot.ipxe ] ||
	fail "iPXE URL: $(cat "$T/ipxe")"
# A plain client (phase 1) gets no boot file.
lab_exec cli ip addr flush dev eth0
get cli "$T/plain"
[ -z "$(field "$T/plain" boot_file)" ] || fail "plain client got a boot file"

# 3. Fixed host.
get fix "$T/fix" -V PXEClient -x 0x5d:0000
[ "$(field "$T/fix" ip)" = 10.77.0.50 ] || fail "fixed host got $(field "$T/fix" ip)"

# 4. Renew (unicast from ciaddr) keeps the address; release frees it.
lab_exec cli ip addr flush dev eth0
OUT="$T/renew" lab_bg cli env OUT="$T/renew" udhcpc -i eth0 -f -t 4 -T 1 -A 1 -R \
	-s "$T/script.sh" -V PXEClient -x 0x5d:0000
UPID=$LAB_LAST_PID
lab_wait 10 grep -q '^bound' "$T/renew" || fail "no lease for the renew test"
kill -USR1 "$UPID"
lab_wait 10 grep -q '^renew' "$T/renew" || fail "renewal not answered: $(cat "$T/renew")"
[ "$(grep '^renew' "$T/renew" | sed 's/.* ip=\([^ ]*\).*/\1/')" = "$ip1" ] || fail "renew moved"
grep -q "^ack 52:54:00:77:00:01 $ip1" "$T/events" || fail "no ack event"
kill -USR2 "$UPID"
lab_wait 10 grep -q "^release 52:54:00:77:00:01 $ip1" "$T/events" || fail "release not seen"
kill "$UPID"; wait "$UPID" 2>/dev/null || true

# 5. Restart: the lease file survives and the same MAC gets the same address.
get cli "$T/before" -V PXEClient -x 0x5d:0000
kill -TERM "$SRV"; wait "$SRV" 2>/dev/null || true
grep -q "52:54:00:77:00:01 $ip1 .* bound" "$T/leases" || fail "lease file lacks the lease: $(cat "$T/leases")"
# Another client first, so a forgetful server would hand it ip1.
lab_host other
lab_exec other ip link set eth0 address 52:54:00:77:00:02
start_server
get other "$T/other"
[ "$(field "$T/other" ip)" != "$ip1" ] || fail "a restarted server gave $ip1 to another MAC"
lab_exec cli ip addr flush dev eth0
get cli "$T/after" -V PXEClient -x 0x5d:0000
[ "$(field "$T/after" ip)" = "$ip1" ] || fail "after restart: $(field "$T/after" ip), was $ip1"
echo "dhcp udhcpc ok"
