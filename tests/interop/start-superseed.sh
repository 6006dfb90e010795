#!/bin/bash
# The server's seeder super-seeds only while the swarm holds few copies
# (swarm.super_seed_copies, 2 here): two downloaders in their own
# namespaces finish and seed, and the server switches super-seeding off
# (logged); a late joiner then completes; when the seeders leave (their
# "stopped" reaches the tracker), it switches back on. The seeder announces
# to one URL of its torrent's first tier (BEP 12), not to both of ours.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
. "$SRCDIR/tests/lib/testenv.sh"
bt=$BOOTTORRENT
lab_init ss
lab_switch
lab_host srv 10.77.0.1/24
lab_host c1 10.77.0.51/24
lab_host c2 10.77.0.52/24
lab_host c3 10.77.0.53/24
T=$LAB_TMP
env=$T/env
testenv_make "$env" 16
sed -i 's/^swarm: .*/swarm: {port: 6881, super_seed: true, super_seed_copies: 2}/' \
	"$env/Boottorrent.yaml"
torrent=$env/out/boot/torrents/os1.torrent

fail() {
	echo "FAIL: $*" >&2
	echo "--- server log (super-seeding)" >&2
	grep -i 'super-seed\|SIGHUP\|serving' "$T/srv.log" >&2 || true
	exit 1
}

lab_bg srv "$bt" start "$env" --log-file "$T/srv.log"
lab_wait 20 grep -q 'serving .*SIGHUP' "$T/srv.log" || fail "start did not come up"
# The server's upload is slowed so that the two downloads overlap and the
# swarm has time to pass pieces around.
lab_shape srv 40mbit

get_bg() { # host dir seed-time
	mkdir "$T/$2"
	timeout 90 ip netns exec "$(lab_ns "$1")" "$bt" get "$torrent" --dir "$T/$2" \
		--seed-time "$3" >"$T/$2.log" 2>&1 &
	LAB_PIDS="$LAB_PIDS $!"
	LAST=$!
}

get_bg c1 dl1 25
p1=$LAST
get_bg c2 dl2 25
p2=$LAST
# While they download, super-seeding stays on.
sleep 2
grep -q 'os1: super-seeding off' "$T/srv.log" && fail "super-seeding went off with no copies"
# Both complete and seed: the tracker sees two seeders besides the server.
lab_wait 60 grep -q 'os1: super-seeding off' "$T/srv.log" ||
	fail "super-seeding never went off with two seeders"
grep 'os1: super-seeding off' "$T/srv.log"
cmp "$T/dl1/os1/image.bin" "$env/oss/os1/image.bin" || fail "c1: bytes differ"
cmp "$T/dl2/os1/image.bin" "$env/oss/os1/image.bin" || fail "c2: bytes differ"

# A late joiner completes while the server serves normally.
get_bg c3 dl3 0
wait "$LAST" || fail "the late joiner failed: $(tail -n 5 "$T/dl3.log")"
cmp "$T/dl3/os1/image.bin" "$env/oss/os1/image.bin" || fail "c3: bytes differ"

# The seeders leave: super-seeding comes back on.
wait "$p1" || fail "c1's get failed: $(tail -n 5 "$T/dl1.log")"
wait "$p2" || fail "c2's get failed: $(tail -n 5 "$T/dl2.log")"
lab_wait 30 grep -q 'os1: super-seeding on' "$T/srv.log" ||
	fail "super-seeding did not come back on when the seeders left"
grep 'os1: super-seeding on' "$T/srv.log"

# BEP 12: the seeder announced to the first tracker of the torrent's first
# tier (our UDP URL), not also to the HTTP URL of the same tier.
grep -q 'udp://10.77.0.1:6969/announce: started ok' "$T/srv.log" ||
	fail "the seeder's announce to our UDP tracker is not in the log"
grep -q 'http://10.77.0.1:6969/announce: .* ok' "$T/srv.log" &&
	fail "the seeder announced to our tracker twice (UDP and HTTP)"
echo "start-superseed: all checks passed"
