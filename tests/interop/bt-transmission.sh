#!/bin/bash
# transmission-cli (3.00) both ways, meeting through opentracker:
# get downloads from a transmission seeder; transmission downloads from our
# seed. Byte-identical results.
. "$SRCDIR/tests/interop/bt-helpers/common.sh"
need transmission-cli opentracker
bt_init transmission
cd "$T"
bt_data seed 4
# transmission does not create empty files; leave ours out here.
rm seed/data/sub/empty
OT=$((BTP + 9))
bt_torrent seed/data t.torrent -a "http://127.0.0.1:$OT/announce"
ih=$("$BOOTTORRENT" torrent-info t.torrent | awk '/^Info hash:/ {print $3}')
mkdir ot && chmod 755 ot && echo "$ih" > ot/wl && chmod 644 ot/wl
bt_bg opentracker -i 127.0.0.1 -p $OT -P $OT -d "$T/ot" -w wl > ot.log 2>&1
sleep 0.5

tr_config() { # DIR: a config folder with DHT, LPD and port mapping off
	mkdir -p "$1"
	cat > "$1/settings.json" <<JSON
{ "dht-enabled": false, "lpd-enabled": false, "utp-enabled": false,
  "port-forwarding-enabled": false, "encryption": 0, "pex-enabled": true,
  "ratio-limit-enabled": false, "message-level": 1 }
JSON
}

# transmission seeds; we download.
tr_config tr1
bt_bg timeout 60 transmission-cli -g "$T/tr1" -w "$T/seed" -p $((BTP + 1)) -et -M \
	t.torrent > tr-seed.log 2>&1
sleep 3
timeout 40 "$BOOTTORRENT" get t.torrent --dir got1 --port $((BTP + 2)) -v > get.log 2>&1 ||
	bt_fail "get from transmission failed"
bt_same seed/data got1/data || bt_fail "get from transmission: data differs"
echo "ok: get from transmission-cli"

# We seed; transmission downloads (its finish script marks completion).
# Transmission does not dial loopback peers from a tracker: we dial it.
bt_bg timeout 60 "$BOOTTORRENT" seed t.torrent --dir seed --port $((BTP + 3)) \
	--peer 127.0.0.1:$((BTP + 4)) -v > seed.log 2>&1
printf '#!/bin/sh\ntouch "%s/tr-done"\n' "$T" > done.sh
chmod 755 done.sh
tr_config tr2
mkdir got2
bt_bg timeout 60 transmission-cli -g "$T/tr2" -w "$T/got2" -p $((BTP + 4)) -et -M \
	-f "$T/done.sh" t.torrent > tr-get.log 2>&1
bt_wait 50 test -f tr-done || bt_fail "transmission did not finish from our seed"
# Its write cache may still hold the last blocks when the script runs.
bt_wait 10 bt_same seed/data got2/data || bt_fail "transmission from our seed: data differs"
echo "ok: transmission-cli from our seed"
