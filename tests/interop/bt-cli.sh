#!/bin/bash
# The get/seed command contract: --help exits 0, usage errors exit 2, an
# interrupted get exits 1 (not every piece verified), an interrupted seed 0,
# an unreadable torrent 1.
. "$SRCDIR/tests/interop/bt-helpers/common.sh"
bt_init cli
cd "$T"
bt_data seed 1
bt_torrent seed/data t.torrent

expect() { # CODE CMD...
	local want=$1 rc=0
	shift
	"$@" > out.log 2>&1 || rc=$?
	[ "$rc" = "$want" ] || bt_fail "'$*' exited $rc, expected $want"
}
expect 0 "$BOOTTORRENT" get --help
expect 0 "$BOOTTORRENT" seed --help
expect 2 "$BOOTTORRENT" get
expect 2 "$BOOTTORRENT" get t.torrent
expect 2 "$BOOTTORRENT" get t.torrent --dir x --bogus
expect 2 "$BOOTTORRENT" get t.torrent --dir x --peer nonsense --no-tracker --port 0
expect 2 "$BOOTTORRENT" get t.torrent --dir x --super-seed
expect 2 "$BOOTTORRENT" seed t.torrent --dir seed --seed-time 5
expect 2 "$BOOTTORRENT" get t.torrent --dir x --port 70000
expect 2 "$BOOTTORRENT" get a.torrent b.torrent --dir x
printf 'd4:infoi1ee' > bad.torrent
expect 1 "$BOOTTORRENT" get bad.torrent --dir x --no-tracker --port 0
expect 1 "$BOOTTORRENT" seed missing.torrent --dir seed --no-tracker --port 0
echo "ok: help and usage errors"

# A get with nobody to talk to, interrupted: exit 1.
"$BOOTTORRENT" get t.torrent --dir nothing --no-tracker --port 0 > get.log 2>&1 &
g=$!
bt_wait 10 grep -q "listening on port" get.log || bt_fail "get did not start"
kill -TERM "$g"
rc=0
wait "$g" || rc=$?
[ "$rc" = 1 ] || bt_fail "interrupted get exited $rc, expected 1"
# A seed, interrupted: exit 0.
"$BOOTTORRENT" seed t.torrent --dir seed --no-tracker --port 0 > seed.log 2>&1 &
s=$!
bt_wait 10 grep -q "listening on port" seed.log || bt_fail "seed did not start"
kill -INT "$s"
rc=0
wait "$s" || rc=$?
[ "$rc" = 0 ] || bt_fail "interrupted seed exited $rc, expected 0"
echo "ok: exit codes on interruption"
