#!/bin/bash
# Resume: get rechecks what is already in the folder and downloads only the
# pieces that are missing or damaged.
. "$SRCDIR/tests/interop/bt-helpers/common.sh"
bt_init resume
cd "$T"
bt_data seed 4
bt_torrent seed/data t.torrent
pieces=$("$BOOTTORRENT" torrent-info t.torrent | awk '/^Pieces:/ {print $2}')
# A copy with a damaged middle and a missing file.
mkdir -p got && cp -r seed/data got/
printf 'XXXX' | dd of=got/data/image.bin bs=1 seek=1000000 conv=notrunc 2>/dev/null
rm got/data/sub/initrd.img
bt_bg timeout 60 "$BOOTTORRENT" seed t.torrent --dir seed --port $((BTP + 1)) --no-tracker \
	> seed.log 2>&1
bt_wait 10 grep -q "listening on port" seed.log || bt_fail "seed did not start"
timeout 30 "$BOOTTORRENT" get t.torrent --dir got --port $((BTP + 2)) --no-tracker \
	--peer 127.0.0.1:$((BTP + 1)) > get.log 2>&1 || bt_fail "get failed"
bt_same seed/data got/data || bt_fail "data differs"
present=$(sed -n 's/.*data: \([0-9]*\) of [0-9]* pieces present.*/\1/p' get.log)
[ -n "$present" ] && [ "$present" -gt 0 ] && [ "$present" -lt "$pieces" ] ||
	bt_fail "recheck found '$present' of $pieces pieces"
echo "ok: resumed with $present of $pieces pieces already there"
