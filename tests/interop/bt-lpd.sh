#!/bin/bash
# Local service discovery (BEP 14) on a virtual LAN: a downloader that knows
# no peer and no tracker finds our seed through the multicast announce, and
# so does a python3-libtorrent downloader with LSD on.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
lab_init lpd
T=$LAB_TMP
cd "$T"
BOOTTORRENT=${BOOTTORRENT:?}
mkdir -p seed/data
head -c 3000000 /dev/urandom > seed/data/image.bin
echo small > seed/data/cmdline
"$BOOTTORRENT" mktorrent -q -d -l 256k seed/data -o t.torrent >/dev/null
lab_switch
lab_host srv 10.77.0.1/24
lab_host a 10.77.0.2/24
lab_host b 10.77.0.3/24
for h in srv a b; do
	# Multicast leaves through eth0.
	lab_exec $h ip route add 224.0.0.0/4 dev eth0
done
fail() {
	echo "FAIL: $*" >&2
	for f in "$T"/*.log; do echo "---- $f"; tail -n 15 "$f"; done >&2
	exit 1
}
lab_bg srv "$BOOTTORRENT" seed t.torrent --dir seed --port 6881 --no-tracker --lpd -v \
	> seed.log 2>&1
lab_wait 10 grep -q "listening on port" seed.log || fail "seed did not start"
lab_exec a timeout 40 "$BOOTTORRENT" get t.torrent --dir got --port 6881 --no-tracker --lpd \
	-v > get.log 2>&1 || fail "get found no peer through LPD"
diff -r seed/data got/data >/dev/null || fail "data differs"
echo "ok: get found the seed through LPD"
if /usr/bin/python3 -c 'import libtorrent' 2>/dev/null; then
	lab_exec b timeout 60 /usr/bin/python3 "$SRCDIR/tests/interop/bt-helpers/lt-peer.py" \
		get t.torrent ltgot 6881 --lsd --bind 10.77.0.3 --timeout 50 > lt.log 2>&1 ||
		fail "libtorrent found no peer through LPD"
	diff -r seed/data ltgot/data >/dev/null || fail "libtorrent: data differs"
	echo "ok: libtorrent found our seed through LPD"
fi
