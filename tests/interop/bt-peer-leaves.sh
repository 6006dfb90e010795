#!/bin/bash
# A peer that leaves in the middle of a transfer costs only its unfinished
# blocks: they are asked for again elsewhere and the download completes.
. "$SRCDIR/tests/interop/bt-helpers/common.sh"
bt_init leaves
cd "$T"
bt_data seed 6
bt_torrent seed/data t.torrent
# Two slow seeds, so the transfer is still going when one of them goes.
bt_bg timeout 60 "$BOOTTORRENT" seed t.torrent --dir seed --port $((BTP + 1)) --no-tracker \
	--max-upload-rate 1M > seed1.log 2>&1
s1=$BT_LAST
bt_bg timeout 60 "$BOOTTORRENT" seed t.torrent --dir seed --port $((BTP + 2)) --no-tracker \
	--max-upload-rate 1M > seed2.log 2>&1
bt_wait 10 grep -q "listening on port" seed1.log || bt_fail "seed 1 did not start"
bt_wait 10 grep -q "listening on port" seed2.log || bt_fail "seed 2 did not start"
bt_bg timeout 50 "$BOOTTORRENT" get t.torrent --dir got --port $((BTP + 3)) --no-tracker \
	--peer 127.0.0.1:$((BTP + 1)) --peer 127.0.0.1:$((BTP + 2)) --progress 1 -v > get.log 2>&1
g=$BT_LAST
bt_wait 20 grep -qE '^ *[1-9][0-9]?\.[0-9]%' get.log || bt_fail "no progress"
kill "$s1"
wait "$s1" 2>/dev/null || true
echo "seed 1 stopped at $(grep -E '^ *[0-9.]+%' get.log | tail -1 | awk '{print $1}')"
wait "$g" || bt_fail "get did not complete after a seed left"
bt_same seed/data got/data || bt_fail "data differs"
grep -q "127.0.0.1:$((BTP + 1)): closing" get.log || bt_fail "the leaving seed was not noticed"
echo "ok: completed from the remaining seed"
