#!/bin/bash
# A mixed swarm found through opentracker: our seed, two of our downloaders
# (one announcing over HTTP, one over UDP) and two aria2c downloaders. Every
# downloader ends with the same bytes.
. "$SRCDIR/tests/interop/bt-helpers/common.sh"
need aria2c opentracker
bt_init trackerswarm
cd "$T"
bt_data seed 6
OT=$((BTP + 9))
bt_torrent seed/data t.torrent -a "http://127.0.0.1:$OT/announce"
ih=$("$BOOTTORRENT" torrent-info t.torrent | awk '/^Info hash:/ {print $3}')
mkdir ot && chmod 755 ot && echo "$ih" > ot/wl && chmod 644 ot/wl
bt_bg opentracker -i 127.0.0.1 -p $OT -P $OT -d "$T/ot" -w wl > ot.log 2>&1
sleep 0.5
kill -0 "$BT_LAST" || bt_fail "opentracker did not start"

bt_bg timeout 90 "$BOOTTORRENT" seed t.torrent --dir seed --port $((BTP + 1)) -v > seed.log 2>&1
bt_wait 10 grep -q "listening on port" seed.log || bt_fail "seed did not start"
sleep 1
bt_bg timeout 80 "$BOOTTORRENT" get t.torrent --dir g1 --port $((BTP + 2)) --seed-time 20 \
	-v > get1.log 2>&1
g1=$BT_LAST
bt_bg timeout 80 "$BOOTTORRENT" get t.torrent --dir g2 --port $((BTP + 3)) --seed-time 20 \
	--tracker "udp://127.0.0.1:$OT/announce" -v > get2.log 2>&1
g2=$BT_LAST
bt_bg timeout 80 aria2c $ARIA_OPTS --dir=a1 --listen-port=$((BTP + 4)) --seed-time=0 \
	t.torrent > aria1.log 2>&1
a1=$BT_LAST
bt_bg timeout 80 aria2c $ARIA_OPTS --dir=a2 --listen-port=$((BTP + 5)) --seed-time=0 \
	t.torrent > aria2.log 2>&1
a2=$BT_LAST
for p in $g1 $g2 $a1 $a2; do
	wait "$p" || bt_fail "a downloader failed (pid $p)"
done
for d in g1 g2 a1 a2; do
	bt_same seed/data $d/data || bt_fail "$d: data differs"
done
grep -q "TRACKER: debug: udp://" get2.log || bt_fail "no UDP announce seen"
echo "ok: 5-peer swarm via opentracker (HTTP and UDP) complete"
