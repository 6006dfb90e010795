#!/bin/bash
# docs/external-dhcp.md is right: its ISC dhcpd, Kea and dnsmasq settings,
# taken from the document itself (addresses moved into 10.77.0.0/24), run
# inside a namespace, give busybox udhcpc playing BIOS, UEFI, UEFI HTTP and
# iPXE clients the documented next-server and boot file. Servers that are not
# installed are skipped; the test skips when none is.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
command -v udhcpc >/dev/null || { echo "udhcpc missing: skipping"; exit 77; }
PY=/usr/bin/python3
lab_init dhcpx
lab_switch
lab_host site 10.77.0.2/24
lab_host cli
T=$LAB_TMP
fail() { echo "FAIL: $*" >&2; cat "$T/server.log" >&2 2>/dev/null || true; exit 1; }

# Pull the three configuration blocks out of the document.
$PY - "$SRCDIR/docs/external-dhcp.md" "$T" <<'PYEOF'
import re, sys
doc = open(sys.argv[1]).read().replace("10.0.0.", "10.77.0.")
out = sys.argv[2]
blocks = re.findall(r"```(\w*)\n(.*?)```", doc, re.S)
def pick(pred):
    found = [b for lang, b in blocks if pred(lang, b)]
    assert len(found) == 1, "expected one block"
    return found[0]
open(out + "/dhcpd.conf", "w").write(pick(lambda l, b: "subnet 10.77.0.0 netmask" in b))
kea = pick(lambda l, b: l == "json")
open(out + "/kea.json", "w").write(
    '{ "Dhcp4": { "interfaces-config": { "interfaces": [ "eth0" ] },\n'
    '  "lease-database": { "type": "memfile", "persist": true, "name": "%s/kea.leases" },\n'
    '%s } }\n' % (out, kea))
open(out + "/dnsmasq.conf", "w").write(pick(lambda l, b: "dhcp-range=" in b))
PYEOF

cat >"$T/script.sh" <<'SH'
#!/bin/sh
[ "$1" = bound ] && echo "ip=$ip siaddr=$siaddr boot_file=$boot_file" >"$OUT"
exit 0
SH
chmod +x "$T/script.sh"

# check SERVER NAME WANT_SIADDR WANT_FILE UDHCPC-ARGS...
check() {
	local server=$1 name=$2 siaddr=$3 file=$4
	shift 4
	rm -f "$T/out"
	timeout 20 ip netns exec "$(lab_ns cli)" env OUT="$T/out" udhcpc -i eth0 -f -q -n \
		-t 5 -T 1 -A 1 -s "$T/script.sh" "$@" >/dev/null 2>&1 ||
		fail "$server: $name client got no lease"
	grep -q "boot_file=$file\$" "$T/out" || fail "$server: $name: $(cat "$T/out"), want $file"
	[ -z "$siaddr" ] || grep -q "siaddr=$siaddr " "$T/out" ||
		fail "$server: $name: $(cat "$T/out"), want siaddr $siaddr"
}

ran=0
for server in dhcpd kea dnsmasq; do
	case $server in
	dhcpd)
		command -v dhcpd >/dev/null || { echo "dhcpd not installed: skipped"; continue; }
		touch "$T/dhcpd.leases"
		lab_bg site dhcpd -4 -f -d -cf "$T/dhcpd.conf" -lf "$T/dhcpd.leases" \
			-pf "$T/dhcpd.pid" eth0 >"$T/server.log" 2>&1 ;;
	kea)
		command -v kea-dhcp4 >/dev/null || { echo "kea-dhcp4 not installed: skipped"; continue; }
		lab_bg site env KEA_PIDFILE_DIR="$T" KEA_LOCKFILE_DIR="$T" kea-dhcp4 -c "$T/kea.json" \
			>"$T/server.log" 2>&1 ;;
	dnsmasq)
		command -v dnsmasq >/dev/null || { echo "dnsmasq not installed: skipped"; continue; }
		lab_bg site dnsmasq --no-daemon --conf-file="$T/dnsmasq.conf" --port=0 --user=root \
			--pid-file= --interface=eth0 --bind-interfaces --no-ping \
			--dhcp-leasefile="$T/dnsmasq.leases" >"$T/server.log" 2>&1 ;;
	esac
	pid=$LAB_LAST_PID
	lab_wait 10 sh -c "ip netns exec $(lab_ns site) ss -uln | grep -q ':67 '" ||
		fail "$server did not start"
	check $server BIOS 10.77.0.5 pxelinux.0 -V PXEClient -x 0x5d:0000
	check $server UEFI 10.77.0.5 shimx64.efi -V PXEClient -x 0x5d:0007
	check $server HTTP "" http://10.77.0.5/boot/bootx64.efi -V HTTPClient -x 0x5d:0010
	check $server iPXE "" http://10.77.0.5/boot.ipxe -V PXEClient -x 0x5d:0000 -x 0x4d:69505845
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	echo "$server: documented settings ok"
	ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || exit 77
echo "dhcp external docs ok"
