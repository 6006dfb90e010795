#!/bin/bash
# Super-seeding (BEP 16) with a mixed swarm found through opentracker: our
# seed with --super-seed, two of our downloaders, two aria2c and one
# python3-libtorrent. Everyone completes from pieces offered one at a time.
. "$SRCDIR/tests/interop/bt-helpers/common.sh"
need aria2c opentracker
bt_init superseed
cd "$T"
bt_data seed 6
OT=$((BTP + 9))
bt_torrent seed/data t.torrent -a "http://127.0.0.1:$OT/announce"
ih=$("$BOOTTORRENT" torrent-info t.torrent | awk '/^Info hash:/ {print $3}')
mkdir ot && chmod 755 ot && echo "$ih" > ot/wl && chmod 644 ot/wl
bt_bg opentracker -i 127.0.0.1 -p $OT -P $OT -d "$T/ot" -w wl > ot.log 2>&1
sleep 0.5

# A slow server, so that the downloaders must trade among themselves.
bt_bg timeout 100 "$BOOTTORRENT" seed t.torrent --dir seed --port $((BTP + 1)) --super-seed \
	--max-upload-rate 4M -v > seed.log 2>&1
bt_wait 10 grep -q "listening on port" seed.log || bt_fail "seed did not start"
pids=""
for i in 1 2; do
	bt_bg timeout 80 "$BOOTTORRENT" get t.torrent --dir g$i --port $((BTP + 1 + i)) \
		--seed-time 15 > get$i.log 2>&1
	pids="$pids $BT_LAST"
	bt_bg timeout 80 aria2c $ARIA_OPTS --dir=a$i --listen-port=$((BTP + 3 + i)) \
		--seed-time=0.25 t.torrent > aria$i.log 2>&1
	pids="$pids $BT_LAST"
done
if $PY -c 'import libtorrent' 2>/dev/null; then
	bt_bg timeout 80 $PY "$BT_HELPERS/lt-peer.py" get t.torrent lt $((BTP + 6)) --linger 15 \
		--peer 127.0.0.1:$((BTP + 1)) --timeout 75 > lt.log 2>&1
	pids="$pids $BT_LAST"
fi
for p in $pids; do
	wait "$p" || bt_fail "a downloader failed (pid $p)"
done
for d in g1 g2 a1 a2 ${PY:+lt}; do
	[ -d "$d" ] || continue
	bt_same seed/data $d/data || bt_fail "$d: data differs"
done
sleep 1
echo "ok: super-seeded swarm complete; the seed: $(grep -o 'sent [^)]*' seed.log | tail -1)," \
	"$(du -sh seed/data | cut -f1) image, 5 downloaders"

