#!/bin/bash
# proxyDHCP beside a DHCP server we do not control. In one LAN: dnsmasq
# ("the site's server", its own namespace) hands out addresses; our server
# in proxy mode answers PXE clients with boot information only. A PXE client
# (udhcpc -V PXEClient) gets its address from dnsmasq; our proxy OFFER seen
# on the wire carries the boot file and never an address; the client's
# REQUEST to port 4011 gets an ACK with the boot file; a non-PXE client gets
# nothing from us.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
serve="$BUILDDIR/src/dhcp/dhcp-serve"
for tool in udhcpc dnsmasq tcpdump; do
	command -v $tool >/dev/null || { echo "$tool missing: skipping"; exit 77; }
done
[ -x "$serve" ] || { echo "dhcp-serve not built"; exit 1; }
PY=/usr/bin/python3
lab_init dhcpp
lab_switch
lab_host site 10.77.0.2/24
lab_host srv 10.77.0.1/24
lab_host cli
lab_host plain
lab_exec cli ip link set eth0 address 52:54:00:77:02:01
lab_exec plain ip link set eth0 address 52:54:00:77:02:02
T=$LAB_TMP
fail() { echo "FAIL: $*" >&2; cat "$T/srv.log" "$T/dnsmasq.log" >&2 || true; exit 1; }

lab_bg site dnsmasq --no-daemon --conf-file=/dev/null --port=0 --user=root --pid-file= \
	--interface=eth0 --bind-interfaces --no-ping --dhcp-authoritative \
	--dhcp-range=10.77.0.150,10.77.0.160,255.255.255.0,10m \
	--dhcp-leasefile="$T/dnsmasq.leases" --log-dhcp >"$T/dnsmasq.log" 2>&1
lab_bg srv "$serve" --mode proxy --interface eth0 --bios pxelinux.0 --uefi shimx64.efi \
	--events "$T/events" --log-level debug >"$T/srv.log" 2>&1
lab_wait 5 sh -c "ip netns exec $(lab_ns srv) ss -uln | grep -q ':4011 '" || fail "no proxy"
lab_wait 5 sh -c "ip netns exec $(lab_ns site) ss -uln | grep -q ':67 '" || fail "no dnsmasq"
lab_bg cli tcpdump -i eth0 -U -n -w "$T/cli.pcap" udp >/dev/null 2>&1
TCPDUMP=$LAB_LAST_PID
sleep 1

cat >"$T/script.sh" <<'SH'
#!/bin/sh
case $1 in
bound|renew)
	ip addr add "$ip/$mask" dev "$interface"
	echo "$1 ip=$ip serverid=$serverid siaddr=$siaddr boot_file=$boot_file" >>"$OUT"
	;;
esac
exit 0
SH
chmod +x "$T/script.sh"
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1" | tail -n1; }

timeout 30 ip netns exec "$(lab_ns cli)" env OUT="$T/pxe" udhcpc -i eth0 -f -q -n -t 6 -T 1 \
	-A 1 -s "$T/script.sh" -V PXEClient -x 0x5d:0000 >"$T/cli.log" 2>&1 ||
	fail "the PXE client got no lease: $(cat "$T/cli.log")"
ip=$(field "$T/pxe" ip)
case $ip in 10.77.0.1[56][0-9]) ;; *) fail "address $ip is not from dnsmasq's range" ;; esac
[ "$(field "$T/pxe" serverid)" = 10.77.0.2 ] || fail "lease not from dnsmasq: $(cat "$T/pxe")"

# The PXE client's second step: a REQUEST to our port 4011.
cat >"$T/pxe4011.py" <<'PYEOF'
import socket, struct, sys
ip = sys.argv[1]
mac = bytes.fromhex("525400770201")
pkt = bytearray(240)
pkt[0:4] = bytes([1, 1, 6, 0])
pkt[4:8] = struct.pack(">I", 0x4011abcd)
pkt[12:16] = socket.inet_aton(ip)
pkt[28:34] = mac
pkt[236:240] = bytes([99, 130, 83, 99])
vc = b"PXEClient:Arch:00000:UNDI:002001"
pkt += bytes([53, 1, 3, 60, len(vc)]) + vc + bytes([93, 2, 0, 0, 255])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((ip, 0))
s.settimeout(2)
for attempt in range(3):
    s.sendto(bytes(pkt), ("10.77.0.1", 4011))
    try:
        data, addr = s.recvfrom(2048)
        break
    except socket.timeout:
        continue
else:
    sys.exit("no answer on port 4011")
opts, i = {}, 240
while i < len(data) and data[i] != 255:
    if data[i] == 0:
        i += 1
        continue
    opts[data[i]] = data[i + 2:i + 2 + data[i + 1]]
    i += 2 + data[i + 1]
file = data[108:236].split(b"\0")[0].decode()
print("type=%d yiaddr=%s siaddr=%s file=%s vc=%s lease=%s" % (
    opts[53][0], socket.inet_ntoa(data[16:20]), socket.inet_ntoa(data[20:24]), file,
    opts.get(60, b"").decode(), 51 in opts))
PYEOF
ack=$(lab_exec cli $PY "$T/pxe4011.py" "$ip") || fail "port 4011: $ack"
[ "$ack" = "type=5 yiaddr=0.0.0.0 siaddr=10.77.0.1 file=pxelinux.0 vc=PXEClient lease=False" ] ||
	fail "proxy ACK on 4011 wrong: $ack"

# A client that is not PXE gets its address from dnsmasq and nothing from us.
timeout 30 ip netns exec "$(lab_ns plain)" env OUT="$T/plain" udhcpc -i eth0 -f -q -n -t 6 \
	-T 1 -A 1 -s "$T/script.sh" >>"$T/cli.log" 2>&1 || fail "plain client got no lease"
sleep 1
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true

# What our server sent on port 67, from the client's side of the wire.
cat >"$T/check.py" <<'PYEOF'
import struct, sys, socket
d = open(sys.argv[1], "rb").read()
off, proxy_offers, bad = 24, 0, []
while off + 16 <= len(d):
    incl = struct.unpack("<I", d[off + 8:off + 12])[0]
    pkt = d[off + 16:off + 16 + incl]
    off += 16 + incl
    ihl = (pkt[14] & 15) * 4
    src = socket.inet_ntoa(pkt[26:30])
    udp = pkt[14 + ihl:]
    sport = struct.unpack(">H", udp[:2])[0]
    p = udp[8:]
    if src != "10.77.0.1" or sport != 67 or len(p) < 240:
        continue
    opts, i = {}, 240
    while i < len(p) and p[i] != 255:
        if p[i] == 0:
            i += 1
            continue
        opts[p[i]] = p[i + 2:i + 2 + p[i + 1]]
        i += 2 + p[i + 1]
    chaddr = p[28:34].hex()
    file = p[108:236].split(b"\0")[0].decode()
    if p[16:20] != b"\0\0\0\0" or 51 in opts or 1 in opts or 3 in opts:
        bad.append("address or lease options from the proxy")
    if chaddr != "525400770201":
        bad.append("answered the non-PXE client " + chaddr)
    if opts.get(53) == b"\x02" and file == "pxelinux.0" and opts.get(60) == b"PXEClient":
        proxy_offers += 1
if bad or proxy_offers == 0:
    sys.exit("proxy offers: %d; problems: %s" % (proxy_offers, bad))
print("proxy offers: %d" % proxy_offers)
PYEOF
$PY "$T/check.py" "$T/cli.pcap" || fail "wire check"
grep -q "^proxy-ack 52:54:00:77:02:01 0.0.0.0 arch=0" "$T/events" || fail "no proxy-ack event"
! grep -qE '^(offer|ack) ' "$T/events" || fail "our proxy handed out an address: $(cat "$T/events")"
! grep -q '52:54:00:77:02:02' "$T/events" || fail "our proxy answered a non-PXE client"
grep -q "52:54:00:77:02:01" "$T/dnsmasq.leases" || fail "dnsmasq did not lease to the PXE client"
echo "dhcp proxy ok"
