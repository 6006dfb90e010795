#!/bin/bash
# Peer exchange: with no tracker, a downloader that only knows the seed
# learns the address of another downloader from it (BEP 11) and connects.
. "$SRCDIR/tests/interop/bt-helpers/common.sh"
bt_init pex
cd "$T"
bt_data seed 3
bt_torrent seed/data t.torrent
S=$((BTP + 1)) B=$((BTP + 2)) C=$((BTP + 3)) D=$((BTP + 4))

# A slow seed, so that both downloaders are still at work when they meet.
bt_bg timeout 60 "$BOOTTORRENT" seed t.torrent --dir seed --port $S --no-tracker \
	--max-upload-rate 1M -v > seed.log 2>&1
bt_wait 10 grep -q "listening on port" seed.log || bt_fail "seed did not start"
bt_bg timeout 50 "$BOOTTORRENT" get t.torrent --dir b --port $B --no-tracker --seed-time 5 \
	--peer 127.0.0.1:$S -v > b.log 2>&1
bt_wait 10 grep -q "127.0.0.1:$S: connected" b.log || bt_fail "b did not reach the seed"
bt_bg timeout 50 "$BOOTTORRENT" get t.torrent --dir c --port $C --no-tracker --seed-time 5 \
	--peer 127.0.0.1:$S -v > c.log 2>&1
# B and C never heard of each other: one must dial the other after PEX.
bt_wait 30 grep -qE "127.0.0.1:($B|$C): connected \(outgoing" b.log c.log ||
	bt_fail "no connection between the downloaders via PEX"
echo "ok: downloaders met through PEX"
wait "$BT_LAST" || bt_fail "c failed"
bt_same seed/data c/data || bt_fail "c: data differs"
