#!/bin/bash
# Misbehaving peers are closed one by one with a debug line, and the
# transfer goes on: after all of them, a normal get from the same seed works.
. "$SRCDIR/tests/interop/bt-helpers/common.sh"
bt_init badinput
cd "$T"
bt_data seed 3
bt_torrent seed/data t.torrent
ih=$("$BOOTTORRENT" torrent-info t.torrent | awk '/^Info hash:/ {print $3}')
[ ${#ih} = 40 ] || bt_fail "no info hash"

bt_bg timeout 120 "$BOOTTORRENT" seed t.torrent --dir seed --port $((BTP + 1)) --no-tracker \
	-v > seed.log 2>&1
# A downloader with nothing, to be asked for what it does not have.
bt_bg timeout 120 "$BOOTTORRENT" get t.torrent --dir empty --port $((BTP + 2)) --no-tracker \
	-v > empty.log 2>&1
bt_wait 10 grep -q "listening on port" seed.log || bt_fail "seed did not start"
bt_wait 10 grep -q "listening on port" empty.log || bt_fail "get did not start"

for c in wrong-hash oversized undersized past-end bad-index spare-bits unknown-type \
	have-flood request-flood silent; do
	before=$(grep -c "closing:" seed.log || true)
	timeout 30 $PY "$BT_HELPERS/bad-peer.py" probe 127.0.0.1 $((BTP + 1)) "$ih" "$c" ||
		bt_fail "seed did not close a peer doing '$c'"
	bt_wait 5 test "$(grep -c 'closing:' seed.log)" -gt "$before" ||
		bt_fail "no closing line for '$c'"
	echo "ok: $c -> $(grep 'closing:' seed.log | tail -1 | sed 's/.*closing: //')"
done
timeout 30 $PY "$BT_HELPERS/bad-peer.py" probe 127.0.0.1 $((BTP + 2)) "$ih" not-have ||
	bt_fail "get did not close a peer asking for a piece it lacks"
echo "ok: not-have -> $(grep 'closing:' empty.log | tail -1 | sed 's/.*closing: //')"

kill -0 "$BT_LAST" || bt_fail "the get died"
timeout 30 "$BOOTTORRENT" get t.torrent --dir got --port $((BTP + 3)) --no-tracker \
	--peer 127.0.0.1:$((BTP + 1)) > get.log 2>&1 || bt_fail "get after the bad peers failed"
bt_same seed/data got/data || bt_fail "data differs"
echo "ok: the seed still serves"
