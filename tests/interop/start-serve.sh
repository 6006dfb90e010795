#!/bin/bash
# `boottorrent start` as one process, inside namespaces, against clients we
# did not write where they exist:
#  - builds out/ and serves TFTP and HTTP (curl), and the client bundle holds
#    the torrents;
#  - a downloader with only the bundle's torrent finds the seeder through the
#    server's tracker: our `get`, and separately aria2c;
#  - the tracker refuses an unknown info-hash;
#  - SIGHUP offers a new OS, which a second download then finds;
#  - a restart mid-download: the downloader reconnects and completes, and
#    the DHCP lease given before the restart is still in the lease file.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
. "$SRCDIR/tests/lib/testenv.sh"
bt=$BOOTTORRENT
lab_init start
lab_switch
lab_host srv 10.77.0.1/24
lab_host c1 10.77.0.51/24
lab_host c2 10.77.0.52/24
lab_host dh
lab_exec dh ip link set eth0 address 52:54:00:77:01:01
T=$LAB_TMP
env=$T/env
testenv_make "$env" 8

fail() {
	echo "FAIL: $*" >&2
	echo "--- server log (tail)" >&2
	tail -n 40 "$T/srv.log" >&2 || true
	exit 1
}

start_server() {
	lab_bg srv "$bt" start "$env" --log-file "$T/srv.log"
	SRV=$LAB_LAST_PID
	lab_wait 20 grep -q 'serving .*SIGHUP' "$T/srv.log" || fail "start did not come up"
}

start_server

# TFTP and HTTP serve out/boot.
lab_exec c1 curl -sf -o "$T/ipxe" http://10.77.0.1:8080/boot.ipxe || fail "HTTP boot.ipxe"
grep -q '^#!ipxe' "$T/ipxe" || fail "boot.ipxe is not an iPXE script"
lab_exec c1 curl -sf -o "$T/bundle.cpio" tftp://10.77.0.1/bundle.cpio || fail "TFTP bundle"
cmp "$T/bundle.cpio" "$env/out/boot/bundle.cpio" || fail "TFTP bundle differs"

# Only the bundle's torrent: unpack it as phase 1 would.
mkdir "$T/bundle"
(cd "$T/bundle" && cpio -id --quiet <"$T/bundle.cpio")
torrent=$T/bundle/etc/boottorrent/bundle/torrents/os1.torrent
[ -f "$torrent" ] || fail "the bundle has no os1.torrent"

# Our downloader, through the tracker (no --peer); it seeds a little after,
# and meanwhile the status API shows it done and seeding.
mkdir "$T/dl1"
timeout 60 ip netns exec "$(lab_ns c1)" "$bt" get "$torrent" --dir "$T/dl1" --seed-time 10 \
	>"$T/get1.log" 2>&1 &
getpid=$!
LAB_PIDS="$LAB_PIDS $getpid"
seeding() {
	lab_exec c1 curl -sf http://10.77.0.1:8080/api/status >"$T/status.json" || return 1
	/usr/bin/python3 - "$T/status.json" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
m = [m for m in st["machines"] if m["ip"] == "10.77.0.51"]
sys.exit(0 if m and m[0]["os"] == "os1" and m[0]["phase"] == "seeding" and m[0]["progress"] >= 1000 else 1)
PY
}
lab_wait 40 seeding || fail "/api/status never showed 10.77.0.51 seeding os1: $(cat "$T/status.json")"
wait "$getpid" || fail "get through the tracker: $(tail -n 5 "$T/get1.log")"
cmp "$T/dl1/os1/image.bin" "$env/oss/os1/image.bin" || fail "get: bytes differ"
lab_exec c1 curl -sf http://10.77.0.1:8080/metrics | grep -q '^boottorrent_' || fail "/metrics"

# aria2c, through the same tracker.
mkdir "$T/dl2"
timeout 60 ip netns exec "$(lab_ns c2)" aria2c --dir "$T/dl2" --seed-time=0 \
	--enable-dht=false --bt-enable-lpd=false --listen-port=6890 --console-log-level=warn \
	--summary-interval=0 "$torrent" >"$T/aria2.log" 2>&1 ||
	fail "aria2c through our tracker: $(tail -n 5 "$T/aria2.log")"
cmp "$T/dl2/os1/image.bin" "$env/oss/os1/image.bin" || fail "aria2c: bytes differ"

# An unknown info-hash gets a tracker failure.
reply=$(lab_exec c1 curl -s "http://10.77.0.1:6969/announce?info_hash=%01%02%03%04%05%06%07%08%09%10%11%12%13%14%15%16%17%18%19%20&peer_id=-XX0001-abcdefghijkl&port=7000&uploaded=0&downloaded=0&left=10")
case $reply in *"failure reason"*) ;; *) fail "unknown info-hash not refused: $reply" ;; esac

# A DHCP lease, to check it survives the restart below.
cat >"$T/udhcpc.sh" <<'SH'
#!/bin/sh
[ "$1" = bound ] && echo "ip=$ip" >>"$OUT"
exit 0
SH
chmod +x "$T/udhcpc.sh"
OUT=$T/lease.txt timeout 20 ip netns exec "$(lab_ns dh)" env OUT="$T/lease.txt" \
	udhcpc -i eth0 -f -q -n -t 4 -T 1 -A 1 -s "$T/udhcpc.sh" >/dev/null 2>&1 ||
	fail "udhcpc got no lease from start"
leased=$(sed -n 's/^ip=//p' "$T/lease.txt")
[ -n "$leased" ] || fail "no leased address"

# SIGHUP: a new OS appears and can be downloaded.
testenv_add_os "$env" os2 2
kill -HUP "$SRV"
lab_wait 20 test -f "$env/out/boot/torrents/os2.torrent" || fail "SIGHUP did not add os2"
lab_wait 10 grep -q 'now offering os2' "$T/srv.log" || fail "os2 is not offered"
mkdir "$T/dl3"
timeout 60 ip netns exec "$(lab_ns c1)" "$bt" get "$env/out/boot/torrents/os2.torrent" \
	--dir "$T/dl3" >"$T/get3.log" 2>&1 || fail "get os2 after SIGHUP: $(tail -n 5 "$T/get3.log")"
cmp "$T/dl3/os2/image.bin" "$env/oss/os2/image.bin" || fail "os2: bytes differ"

# A restart in the middle of a download: a big OS, the server slowed down
# so the download is still running when the server goes away.
testenv_add_os "$env" big 48
kill -HUP "$SRV"
lab_wait 30 grep -q 'now offering big' "$T/srv.log" || fail "big is not offered"
lab_shape srv 40mbit
mkdir "$T/dl4"
ip netns exec "$(lab_ns c2)" timeout 120 "$bt" get "$env/out/boot/torrents/big.torrent" \
	--dir "$T/dl4" >"$T/get4.log" 2>&1 &
getpid=$!
LAB_PIDS="$LAB_PIDS $getpid"
sleep 3
kill -TERM "$SRV"
wait "$SRV" 2>/dev/null || true
grep -q "$leased" "$env/out/leases" || fail "the lease of $leased is not in the lease file"
[ -d "/proc/$getpid" ] || fail "the download ended before the restart: test too fast"
start_server
wait "$getpid" || fail "the download did not complete after the restart: $(tail -n 5 "$T/get4.log")"
cmp "$T/dl4/big/image.bin" "$env/oss/big/image.bin" || fail "big: bytes differ"
grep -q "$leased" "$env/out/leases" || fail "the lease was lost across the restart"
echo "start-serve: all checks passed"
