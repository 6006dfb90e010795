#!/bin/bash
# get downloads a multi-file torrent from an aria2c seeder, and seed serves
# an aria2c downloader: byte-identical results both ways.
. "$SRCDIR/tests/interop/bt-helpers/common.sh"
need aria2c
bt_init aria2
cd "$T"
bt_data seed
bt_torrent seed/data t.torrent

# aria2c seeds (it checks the data first); we download.
bt_bg timeout 60 aria2c $ARIA_OPTS --dir=seed --listen-port=$((BTP + 1)) -V \
	--bt-seed-unverified=false --seed-time=10 --enable-peer-exchange=false \
	t.torrent > aria-seed.log 2>&1
sleep 2
timeout 40 "$BOOTTORRENT" get t.torrent --dir got1 --port $((BTP + 2)) --no-tracker \
	--peer 127.0.0.1:$((BTP + 1)) -v > get.log 2>&1 || bt_fail "get from aria2c failed"
bt_same seed/data got1/data || bt_fail "get from aria2c: data differs"
echo "ok: get from aria2c"

# We seed; aria2c downloads (we dial it: aria2c takes no peer list).
bt_bg timeout 60 "$BOOTTORRENT" seed t.torrent --dir seed --port $((BTP + 3)) --no-tracker \
	--peer 127.0.0.1:$((BTP + 4)) -v > seed.log 2>&1
timeout 40 aria2c $ARIA_OPTS --dir=got2 --listen-port=$((BTP + 4)) --seed-time=0 \
	--enable-peer-exchange=false t.torrent > aria-get.log 2>&1 ||
	bt_fail "aria2c from our seed failed"
bt_same seed/data got2/data || bt_fail "aria2c from our seed: data differs"
echo "ok: aria2c from our seed"
