#!/bin/bash
# opentracker stands in for our tracker: the environment turns our tracker
# off and lists opentracker's announce URL; `start` seeds and announces to
# it, and two downloaders (ours and aria2c) that know only the torrent
# complete the swarm through it. Our torrents and announces are standard.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
. "$SRCDIR/tests/lib/testenv.sh"
command -v opentracker >/dev/null || { echo "opentracker not installed"; exit 77; }
bt=$BOOTTORRENT
lab_init startot
lab_switch
lab_host srv 10.77.0.1/24
lab_host trk 10.77.0.9/24
lab_host c1 10.77.0.51/24
lab_host c2 10.77.0.52/24
T=$LAB_TMP
env=$T/env
testenv_make "$env" 6
python3 - "$env/Boottorrent.yaml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("tracker: {enable: true, port: 6969, interval: 5}",
              'tracker: {enable: false, announce: ["http://10.77.0.9:6969/announce"]}')
s = s.replace("  mode: server\n", "  mode: off\n")
open(p, "w").write(s)
PY
fail() {
	echo "FAIL: $*" >&2
	tail -n 30 "$T/srv.log" >&2 || true
	exit 1
}
# Build out/ first: the torrent's info-hash goes on opentracker's whitelist.
"$bt" start "$env" --build-only --log-file "$T/build.log" || fail "start --build-only"
torrent=$env/out/boot/torrents/os1.torrent
hash=$("$bt" torrent-info "$torrent" | awk '/Info hash:/ {print $3}')
[ ${#hash} = 40 ] || fail "no info-hash from torrent-info"
echo "$hash" >"$T/wl"
chmod 755 "$T"
lab_bg trk sh -c "cd '$T' && exec opentracker -i 10.77.0.9 -p 6969 -P 6969 -w wl -d '$T'"
lab_wait 5 lab_exec trk sh -c "ss -ltn | grep -q 10.77.0.9:6969" || fail "opentracker did not start"

lab_bg srv "$bt" start "$env" --log-file "$T/srv.log"
lab_wait 20 grep -q 'serving .*SIGHUP' "$T/srv.log" || fail "start did not come up"
if grep -q 'TRACKER: info: .*listen\|serving (no files) on 10.77.0.1:6969' "$T/srv.log"; then
	fail "our tracker runs although it is off"
fi
mkdir "$T/d1" "$T/d2"
timeout 90 ip netns exec "$(lab_ns c1)" "$bt" get "$torrent" --dir "$T/d1" >"$T/get.log" 2>&1 &
p1=$!
timeout 90 ip netns exec "$(lab_ns c2)" aria2c --dir "$T/d2" --seed-time=0 --enable-dht=false \
	--bt-enable-lpd=false --listen-port=6890 --console-log-level=warn --summary-interval=0 \
	"$torrent" >"$T/aria2.log" 2>&1 &
p2=$!
LAB_PIDS="$LAB_PIDS $p1 $p2"
wait "$p1" || fail "get through opentracker: $(tail -n 5 "$T/get.log")"
wait "$p2" || fail "aria2c through opentracker: $(tail -n 5 "$T/aria2.log")"
cmp "$T/d1/os1/image.bin" "$env/oss/os1/image.bin" || fail "get: bytes differ"
cmp "$T/d2/os1/image.bin" "$env/oss/os1/image.bin" || fail "aria2c: bytes differ"
echo "start-opentracker: the swarm completed through opentracker"
