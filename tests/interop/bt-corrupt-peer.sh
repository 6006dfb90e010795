#!/bin/bash
# A peer that sends garbage for every block is found out by the hash checks
# and banned; the download still ends correct, from the honest seed.
. "$SRCDIR/tests/interop/bt-helpers/common.sh"
bt_init corrupt
cd "$T"
bt_data seed 4
bt_torrent seed/data t.torrent
info=$("$BOOTTORRENT" torrent-info t.torrent)
ih=$(echo "$info" | awk '/^Info hash:/ {print $3}')
pieces=$(echo "$info" | awk '/^Pieces:/ {print $2}')
total=$(echo "$info" | awk '/^Total size:/ {print $3}')

bt_bg timeout 60 $PY "$BT_HELPERS/bad-peer.py" corrupt-seed $((BTP + 1)) "$ih" "$pieces" \
	262144 "$total" > bad.log 2>&1
bt_wait 10 grep -q ready bad.log || bt_fail "bad peer did not start"
bt_bg timeout 60 "$BOOTTORRENT" seed t.torrent --dir seed --port $((BTP + 2)) --no-tracker \
	> seed.log 2>&1
bt_wait 10 grep -q "listening on port" seed.log || bt_fail "seed did not start"
timeout 45 "$BOOTTORRENT" get t.torrent --dir got --port $((BTP + 3)) --no-tracker \
	--peer 127.0.0.1:$((BTP + 1)) --peer 127.0.0.1:$((BTP + 2)) -v > get.log 2>&1 ||
	bt_fail "get failed"
bt_same seed/data got/data || bt_fail "data differs"
grep -q "banning 127.0.0.1:$((BTP + 1))" get.log || bt_fail "the corrupt peer was not banned"
if grep -q "banning 127.0.0.1:$((BTP + 2))" get.log; then
	bt_fail "the honest seed was banned"
fi
echo "ok: $(grep -c 'failed its hash check' get.log) bad pieces, corrupt peer banned"
