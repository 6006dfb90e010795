#!/bin/bash
# get downloads from a python3-libtorrent seeder; seed serves a libtorrent
# downloader to completion; byte-identical results.
. "$SRCDIR/tests/interop/bt-helpers/common.sh"
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null || { echo "SKIP: no python3-libtorrent"; exit 77; }
bt_init libtorrent
cd "$T"
bt_data seed
bt_torrent seed/data t.torrent

bt_bg timeout 60 $PY "$BT_HELPERS/lt-peer.py" seed t.torrent seed $((BTP + 1)) --timeout 55 \
	> lt-seed.log 2>&1
bt_wait 10 grep -q ready lt-seed.log || bt_fail "libtorrent did not start"
timeout 40 "$BOOTTORRENT" get t.torrent --dir got1 --port $((BTP + 2)) --no-tracker \
	--peer 127.0.0.1:$((BTP + 1)) -v > get.log 2>&1 || bt_fail "get from libtorrent failed"
bt_same seed/data got1/data || bt_fail "get from libtorrent: data differs"
echo "ok: get from libtorrent"

bt_bg timeout 60 "$BOOTTORRENT" seed t.torrent --dir seed --port $((BTP + 3)) --no-tracker \
	-v > seed.log 2>&1
bt_wait 10 grep -q "listening on port" seed.log || bt_fail "seed did not start"
timeout 45 $PY "$BT_HELPERS/lt-peer.py" get t.torrent got2 $((BTP + 4)) \
	--peer 127.0.0.1:$((BTP + 3)) --timeout 40 > lt-get.log 2>&1 ||
	bt_fail "libtorrent from our seed failed"
bt_same seed/data got2/data || bt_fail "libtorrent from our seed: data differs"
echo "ok: libtorrent from our seed"
