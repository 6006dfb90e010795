#!/bin/bash
# Fault: a peer in the swarm serves corrupt data. The agents ban it and
# their images are still correct.
#
# A "bad" host (10.77.0.66, unshaped, so it is the fastest source) runs
# tests/interop/bt-helpers/bad-peer.py's corrupt seed: it claims every
# piece and answers every request with random bytes. It announces itself to
# the server's tracker as a seed (every 4 s), so the agents find it the way
# they find real peers. Three nodes fetch a 16 MiB OS from `boottorrent
# start` (uplink 40 Mbit/s, nodes 20 Mbit/s). Each must complete within 60 s
# with a correct image; every agent that got a bad piece must have banned
# 10.77.0.66 and no one else; at least one must have.
# FT_NODES and other word lists are split on purpose.
# shellcheck disable=SC2086
set -eu
. "$SRCDIR/tests/lib/fault.sh"
command -v socat >/dev/null || { echo "skip: socat is not installed"; exit 77; }
fault_init corrupt 16
fault_yaml seed_time 30
fault_server_start
for n in n1 n2 n3; do
	fault_node "$n"
	fault_dhcp "$n"
	fault_bundle "$n"
done
torrent=$FT/n1/root/etc/boottorrent/bundle/torrents/os1.torrent
info=$("$BOOTTORRENT" torrent-info "$torrent")
ih=$(echo "$info" | awk '/^Info hash:/ { print $3 }')
pieces=$(echo "$info" | awk '/^Pieces:/ { print $2 }')
plen=$(echo "$info" | awk '/^Piece size:/ { print $3 }')
total=$(echo "$info" | awk '/^Total size:/ { print $3 }')
if [ -z "$pieces" ] || [ -z "$plen" ] || [ -z "$total" ]; then
	fault_fail "torrent-info: $info"
fi

# The corrupt seed listens on the bad host's loopback (bad-peer.py binds
# 127.0.0.1); socat makes it reachable on 10.77.0.66:6881.
lab_host bad 10.77.0.66/24
lab_bg bad /usr/bin/python3 "$SRCDIR/tests/interop/bt-helpers/bad-peer.py" corrupt-seed 7000 \
	"$ih" "$pieces" "$plen" "$total" >"$FT/bad.log" 2>&1
lab_wait 10 grep -q ready "$FT/bad.log" || fault_fail "the corrupt seed did not start"
lab_bg bad socat TCP-LISTEN:6881,bind=10.77.0.66,fork,reuseaddr TCP:127.0.0.1:7000 \
	2>"$FT/socat.log"
ihq=$(printf '%s' "$ih" | sed 's/../%&/g')
announce="http://10.77.0.1:6969/announce?info_hash=$ihq&peer_id=-XX0001-corruptpeer1&port=6881"
announce="$announce&uploaded=0&downloaded=0&left=0&compact=1"
lab_exec bad curl -sf --max-time 5 "$announce&event=started" >"$FT/announce.out" ||
	fault_fail "the corrupt seed's announce failed"
grep -q 'interval' "$FT/announce.out" || fault_fail "the tracker refused the corrupt seed: $(cat "$FT/announce.out")"
# Keep announcing (bounded: 30 times 4 s) so the tracker keeps listing it.
lab_bg bad sh -c "for i in \$(seq 1 30); do sleep 4; curl -sf --max-time 3 '$announce' >/dev/null; done"

for n in $FT_NODES; do
	fault_agent "$n"
done
fault_wait_complete 60 $FT_NODES
fault_wait_exit 60 $FT_NODES

banned=0
for n in $FT_NODES; do
	e=$FT/$n/agent.err
	bad=$(grep -c 'failed its hash check (from 10.77.0.66:' "$e" || true)
	other=$(grep 'failed its hash check' "$e" | grep -cv 'from 10.77.0.66:\|from several peers' || true)
	mixed=$(grep -c 'failed its hash check (from several peers)' "$e" || true)
	echo "  $n: $bad bad pieces from the corrupt seed, $mixed from several peers, $other from others;" \
		"$(grep -o 'banning [0-9.:]*: [0-9]* bad pieces' "$e" | tr '\n' ' ')"
	[ "$other" = 0 ] || fault_fail "$n: a piece from an honest peer failed its hash check"
	if grep 'banning' "$e" | grep -qv 'banning 10.77.0.66:'; then
		fault_fail "$n banned an honest peer"
	fi
	if grep -q 'banning 10.77.0.66:' "$e"; then
		banned=$((banned + 1))
	elif [ "$((bad + mixed))" -gt 0 ]; then
		fault_fail "$n got corrupt pieces and did not ban 10.77.0.66"
	fi
done
[ "$banned" -gt 0 ] || fault_fail "no agent banned the corrupt seed (did they ever connect to it?)"
ft_log "$banned of 3 agents banned the corrupt seed"
fault_pass
