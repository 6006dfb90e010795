#!/bin/bash
# Our tracker serves aria2c: a torrent made by mktorrent whose announce URL
# points at tracker-serve, one aria2c seeding it and one downloading it, the
# download completing byte for byte: first over HTTP (compact lists), then
# over UDP (BEP 15). The tracker's peer table must show both peers and the
# downloader as done. Runs on the loopback of a private network namespace.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
for c in aria2c mktorrent; do
	command -v $c >/dev/null || { echo "$c not installed"; exit 77; }
done
serve="$BUILDDIR/src/tracker/tracker-serve"
[ -x "$serve" ] || lab_die "$serve not built"

lab_init trk-aria
lab_switch
lab_host h 10.77.41.1/24
T=$LAB_TMP
mkdir -p "$T/seed" "$T/get-http" "$T/get-udp"
head -c $((3 * 1024 * 1024 + 12345)) /dev/urandom > "$T/seed/payload.bin"
mktorrent -l 16 -a http://127.0.0.1:6969/announce -o "$T/http.torrent" "$T/seed/payload.bin" >/dev/null
mktorrent -l 16 -a udp://127.0.0.1:6969/announce -o "$T/udp.torrent" "$T/seed/payload.bin" >/dev/null
# The info dict is the same, so both torrents have one info-hash; read it
# with our own torrent-info and also compute it independently.
hash=$(/usr/bin/python3 - "$T/http.torrent" <<'PY'
import hashlib, sys
d = open(sys.argv[1], "rb").read()
i = d.index(b"4:infod") + 6
# The info dict runs to the byte before the final 'e' of the torrent.
print(hashlib.sha1(d[i:-1]).hexdigest())
PY
)
echo "$hash" > "$T/wl"
lab_bg h sh -c "exec '$serve' -a 127.0.0.1 -p 6969 -i 5 -w '$T/wl' >> '$T/serve.out'"
serve_pid=$LAB_LAST_PID
lab_wait 5 lab_exec h sh -c "ss -lun | grep -q 127.0.0.1:6969" || lab_die "tracker-serve did not start"

# aria2c speaks BEP 15 only through its DHT socket, so the UDP runs enable
# DHT (with no nodes to reach: the namespace has no way out).
aria=(aria2c --enable-dht6=false --bt-enable-lpd=false --enable-peer-exchange=false
	--disable-ipv6=true --file-allocation=none --console-log-level=warn
	--summary-interval=0 --show-console-readout=false --bt-tracker-interval=5
	--bt-stop-timeout=60 --allow-overwrite=true --dht-file-path="$T/dht.dat")

# The seeder checks its copy and then seeds for as long as the test runs.
lab_bg h sh -c "exec ${aria[*]} --enable-dht=true --dht-listen-port=6991 --listen-port=6881 \
	-d '$T/seed' -V --seed-ratio=0.0 '$T/http.torrent' '$T/udp.torrent' > '$T/seed.log' 2>&1"
# Wait until the seeder is in the tracker's table, as a seed.
table() {
	: > "$T/serve.out"
	kill -USR1 "$serve_pid"
	lab_wait 3 grep -q '^end$' "$T/serve.out"
	cat "$T/serve.out"
}
lab_wait 30 sh -c "$(declare -f table lab_wait); T='$T' serve_pid=$serve_pid; table | grep -q '127.0.0.1:6881 left=0 '" ||
	{ cat "$T/seed.log"; table; lab_die "the seeder never announced itself as a seed"; }
for proto in http udp; do
	echo "== $proto"
	dht=false
	[ $proto = http ] || dht=true
	if ! lab_exec h timeout 60 "${aria[@]}" --enable-dht=$dht --dht-listen-port=6992 \
		--listen-port=6882 -d "$T/get-$proto" --seed-time=0 "$T/$proto.torrent" \
		> "$T/get-$proto.log" 2>&1; then
		tail -n 30 "$T/get-$proto.log"
		lab_die "aria2c could not download over the $proto tracker"
	fi
	cmp "$T/seed/payload.bin" "$T/get-$proto/payload.bin" || lab_die "$proto: content differs"
done
# Both downloads said "completed", and the tracker counted them.
scrape=$(lab_exec h curl -sS --max-time 5 "http://127.0.0.1:6969/scrape")
echo "$scrape" | grep -aq "10:downloadedi2e" || lab_die "scrape does not count 2 downloads: $scrape"
table
echo "tracker-serve with aria2c over HTTP and UDP: ok"
