#!/bin/bash
# SIGHUP with a changed large OS (512 MiB, sparse): out/ is rebuilt by a
# worker thread, so while the OS is re-hashed the services keep answering
# promptly — HTTP and TFTP fetches, a DHCP lease, a tracker announce for
# the old torrent, which stays offered — and then the new torrent replaces
# the old one (the tracker knows the new info-hash and no longer the old).
# With the re-hash inside the event loop, the probes would wait for it and
# the "still re-hashing" check below fails.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
. "$SRCDIR/tests/lib/testenv.sh"
bt=$BOOTTORRENT
lab_init rh
lab_switch
lab_host srv 10.77.0.1/24
lab_host c1 10.77.0.51/24
lab_host dh
lab_exec dh ip link set eth0 address 52:54:00:77:02:01
T=$LAB_TMP
env=$T/env
testenv_make "$env" 2
testenv_add_os "$env" big 1
big=$env/oss/big/image.bin
truncate -s 512M "$big"

fail() {
	echo "FAIL: $*" >&2
	echo "--- server log (tail)" >&2
	grep -v ' debug: ' "$T/srv.log" | tail -n 30 >&2 || true
	exit 1
}

# "%xx" escapes of a torrent's info-hash, for an announce URL.
hash_of() { "$bt" torrent-info "$1" | sed -n 's/^Info hash: *//p' | tr -d ' '; }
urlhash() { printf '%s' "$1" | sed 's/../%&/g'; }
announce() { # hex-hash -> the reply on stdout
	lab_exec c1 curl -s --max-time 2 "http://10.77.0.1:6969/announce?info_hash=$(urlhash "$1")&peer_id=-XX0001-abcdefghijkl&port=7000&uploaded=0&downloaded=0&left=10&compact=1"
}

lab_bg srv "$bt" start "$env" --log-file "$T/srv.log"
SRV=$LAB_LAST_PID
lab_wait 60 grep -q 'serving .*SIGHUP' "$T/srv.log" || fail "start did not come up"
old=$(hash_of "$env/out/boot/torrents/big.torrent")
[ ${#old} = 40 ] || fail "no info-hash for big.torrent: '$old'"
case $(announce "$old") in *"failure reason"*|"") fail "the tracker refuses big before the change" ;; esac

# Change the OS the way an admin replacing an image would: a new file
# renamed over the old one (the seeder's open file keeps the old bytes).
cp --sparse=always "$big" "$big.new"
printf 'changed' | dd of="$big.new" bs=1 seek=$((300 * 1048576)) conv=notrunc status=none
mv "$big.new" "$big"
kill -HUP "$SRV"
lab_wait 20 grep -q 'hashing big' "$T/srv.log" || fail "the changed OS is not re-hashed"

# While it hashes: each service answers, each within a second.
probe() { # name command...
	local t0 t1
	t0=$(date +%s%N)
	"${@:2}" >/dev/null 2>&1 || fail "$1 failed during the re-hash"
	t1=$(date +%s%N)
	echo "$1: $(((t1 - t0) / 1000000)) ms during the re-hash"
	[ $(((t1 - t0) / 1000000)) -lt 1000 ] || fail "$1 took over 1 s during the re-hash"
}
probe "HTTP boot.ipxe" lab_exec c1 curl -sf --max-time 2 -o /dev/null http://10.77.0.1:8080/boot.ipxe
probe "TFTP bundle.cpio" lab_exec c1 curl -sf --max-time 2 -o /dev/null tftp://10.77.0.1/bundle.cpio
announce_old() { announce "$old" | grep -q peers; }
probe "tracker announce (old big)" announce_old
probe "DHCP lease" lab_exec dh timeout 3 udhcpc -i eth0 -f -q -n -t 3 -T 1 -A 1 -s /bin/true
grep -q 'now offering big' "$T/srv.log" &&
	fail "the re-hash had ended before the probes did: they did not run during it"
echo "the probes ended while big was still being re-hashed"

# Then the new torrent replaces the old one.
lab_wait 60 grep -q 'now offering big' "$T/srv.log" || fail "the new big is never offered"
new=$(hash_of "$env/out/boot/torrents/big.torrent")
[ "$new" != "$old" ] || fail "big.torrent did not change"
case $(announce "$new") in *"failure reason"*|"") fail "the tracker refuses the new big" ;; esac
case $(announce "$old") in *"failure reason"*) ;; *) fail "the tracker still takes the old big" ;; esac
lab_exec c1 curl -sf --max-time 2 -o /dev/null http://10.77.0.1:8080/boot.ipxe || fail "HTTP after the swap"

# SIGTERM during a re-hash stops the hashing: a 4 GiB OS (sparse, so about
# 4 s of SHA-1 at the least) does not hold the server's exit for long.
truncate -s 4G "$big.new"
mv "$big.new" "$big"
kill -HUP "$SRV"
lab_wait 20 sh -c "[ \$(grep -c 'rebuilding out/ in the background' '$T/srv.log') = 2 ]" ||
	fail "the second change is not picked up"
sleep 0.5
t0=$(date +%s%N)
kill -TERM "$SRV"
lab_wait 10 sh -c "! kill -0 $SRV 2>/dev/null" || fail "start still runs 10 s after SIGTERM"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "start exited ${ms} ms after SIGTERM during the re-hash"
[ "$ms" -lt 3000 ] || fail "SIGTERM waited ${ms} ms for the re-hash"
grep -q 'stopping the rebuild of out/' "$T/srv.log" || fail "no word of the stopped rebuild"
[ "$(grep -c 'now offering big' "$T/srv.log")" = 1 ] ||
	fail "the 4 GiB re-hash finished: the test proves nothing"
echo "start-rehash: all checks passed"
