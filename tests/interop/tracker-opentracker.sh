#!/bin/bash
# Our announce client against opentracker, over HTTP and UDP (BEP 3, 23, 15):
# three clients announce one after the other and each must get back the
# peers the earlier ones registered, on both protocols; a completed and a
# stopped announce must be accepted; an info-hash opentracker does not
# serve must be reported as a failure. Runs on the loopback of a private
# network namespace.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
command -v opentracker >/dev/null || { echo "opentracker not installed"; exit 77; }
announce="$BUILDDIR/src/tracker/tracker-announce"
[ -x "$announce" ] || lab_die "$announce not built"

lab_init trk-ot
lab_switch
lab_host h 10.77.40.1/24
H=0123456789abcdef0123456789abcdef01234567
echo "$H" > "$LAB_TMP/wl"
chmod 644 "$LAB_TMP/wl"
# opentracker chroots to -d and reads the whitelist from there.
lab_bg h sh -c "cd '$LAB_TMP' && exec opentracker -i 127.0.0.1 -p 6969 -P 6969 -w wl -d '$LAB_TMP'"
lab_wait 5 lab_exec h sh -c "ss -ltn | grep -q 127.0.0.1:6969" || lab_die "opentracker did not start"

HTTP=http://127.0.0.1:6969/announce
UDP=udp://127.0.0.1:6969
run() { lab_exec h timeout 20 "$announce" -t 10 -u 300 "$@"; }

out1=$(run -p 1111 -i AAAAAAAAAAAAAAAAAAAA "$H" "$HTTP")
echo "$out1"
out2=$(run -p 2222 -i BBBBBBBBBBBBBBBBBBBB "$H" "$UDP")
echo "$out2"
out3=$(run -p 3333 -l 0 -i CCCCCCCCCCCCCCCCCCCC -e completed "$H" "$HTTP" "$UDP")
echo "$out3"
# opentracker lists a client in its own reply; our client leaves itself out.
echo "$out1" | grep -q "127.0.0.1:1111" && lab_die "the HTTP client was handed itself"
echo "$out2" | grep -q "127.0.0.1:2222" && lab_die "the UDP client was handed itself"
echo "$out3" | grep -q "127.0.0.1:3333" && lab_die "the client was handed itself"
echo "$out2" | grep -q "^report $UDP started ok .*peers=.*127.0.0.1:1111" ||
	lab_die "the UDP client did not get the HTTP client's address"
for url in "$HTTP" "$UDP"; do
	line=$(echo "$out3" | grep "^report $url completed ok") ||
		lab_die "no completed report from $url"
	echo "$line" | grep -q "127.0.0.1:1111" || lab_die "$url: peer 1111 missing"
	echo "$line" | grep -q "127.0.0.1:2222" || lab_die "$url: peer 2222 missing"
	echo "$line" | grep -q "seeders=1" || lab_die "$url: the completed peer is not a seed"
done

# stopped: the peer leaves the swarm.
out4=$(run -p 2222 -i BBBBBBBBBBBBBBBBBBBB -s "$H" "$UDP")
echo "$out4"
echo "$out4" | grep -q "^report $UDP stopped ok" || lab_die "stopped not acknowledged"
echo "$out4" | grep -q "^stopped$" || lab_die "on_stopped not called"
out5=$(run -p 4444 -i DDDDDDDDDDDDDDDDDDDD "$H" "$HTTP")
echo "$out5"
echo "$out5" | grep -q "127.0.0.1:2222" && lab_die "a stopped peer is still handed out"

# An info-hash opentracker does not serve: HTTP says why.
out6=$(lab_exec h timeout 10 "$announce" -t 2 "1123456789abcdef0123456789abcdef01234567" "$HTTP" || true)
echo "$out6"
echo "$out6" | grep -q "^report $HTTP started error" || lab_die "no failure for an unknown hash"
echo "tracker client vs opentracker: ok"
