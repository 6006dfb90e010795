#!/bin/bash
# The agent downloads an OS over BitTorrent from a `boottorrent seed` on
# loopback (the server's seeder as a static peer), verifies it, seeds for
# seed_time, reports its phases to a stand-in for the server's
# /api/report, and exits 0 with --no-boot; the files are byte-identical.
# Then, with nothing listening where the seeder should be, it says so on
# its output instead of hanging silently.
set -eu
. "$(dirname "$0")/agent-lib.bash"
T="timeout 60"

# Usage errors exit 2; --help exits 0.
for args in "--bogus" "--server 10.0.0" "--http-port 0" "--port 70000" "--seed-time -1" "extra"; do
	rc=0
	# shellcheck disable=SC2086
	"$BOOTTORRENT" agent $args >/dev/null 2>&1 || rc=$?
	[ "$rc" = 2 ] || fail "agent $args: exit $rc, not 2"
done
"$BOOTTORRENT" agent --help | grep -q -- '--no-boot' || fail "agent --help"

make_os debian 6000 1500
os_config debian "Debian Test"
start_seed debian
start_reporter
write_bundle 5 debian 3 "$SEED_PORT"
echo "bt.server=127.0.0.1 bt.http=$REPORT_PORT BOOTIF=01-52-54-00-aa-bb-cc" >"$AG_WORK/cmdline"

start=$(date +%s.%N)
rc=0
$T "$BOOTTORRENT" agent --bundle "$AG_WORK/bundle" --dir "$AG_WORK/data" --cmdline "$AG_WORK/cmdline" \
	--os debian --no-boot --plain --port 0 >"$AG_WORK/agent.out" 2>"$AG_WORK/agent.err" || rc=$?
end=$(date +%s.%N)
cat "$AG_WORK/agent.out"
[ "$rc" = 0 ] || { fail "agent exited with $rc"; cat "$AG_WORK/agent.err"; }
for f in file0 file1; do
	cmp "$AG_WORK/src/debian/$f" "$AG_WORK/data/debian/$f" || fail "$f differs"
done
grep -q 'chosen OS debian (Debian Test) by command line' "$AG_WORK/agent.out" ||
	fail "the choice was not reported"
grep -q '^seeding for' "$AG_WORK/agent.out" || fail "no seeding lines"
grep -q -- '--no-boot: not booting debian (method kexec)' "$AG_WORK/agent.out" ||
	fail "no --no-boot line"
# It seeded for seed_time (3 s) after the download before it stopped.
awk -v s="$start" -v e="$end" 'BEGIN { exit !(e - s >= 3) }' || fail "it did not seed for 3 s"

# The reports: JSON with the MAC from BOOTIF and the phases in order.
wait_for 5 grep -q '"phase":"seeding"' "$AG_WORK/reports" || true
cat "$AG_WORK/reports" | head -n 3
grep -q '^BAD' "$AG_WORK/reports" && fail "a report went to the wrong path or type"
grep -q '"mac":"52:54:00:aa:bb:cc"' "$AG_WORK/reports" || fail "reports lack the MAC"
grep -q '"ip":"127.0.0.1"' "$AG_WORK/reports" || fail "reports lack the IP"
grep -q '"phase":"downloading","os":"debian","method":"kexec"' "$AG_WORK/reports" ||
	fail "no downloading report"
grep -q '"phase":"seeding".*"progress":1.0000' "$AG_WORK/reports" || fail "no seeding report"
/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)
' "$AG_WORK/reports" || fail "a report is not valid JSON"
# The byte split: with the server's seeder as the only peer, every byte
# came from the server (7.5 MB of payload), none from peers.
/usr/bin/python3 -c '
import json, sys
last = [json.loads(l) for l in open(sys.argv[1]) if "\"seeding\"" in l][-1]
fs, fp = last["from_server"], last["from_peers"]
print("last report: from_server", fs, "from_peers", fp)
sys.exit(0 if fs is not None and fs >= 7500 * 1024 and fp == 0 else 1)
' "$AG_WORK/reports" || fail "the reports do not say the bytes came from the server"
grep -q 'from server 7\.[0-9] MiB from peers 0 B' "$AG_WORK/agent.out" ||
	fail "plain mode does not show the bytes from the server"

# Nothing listens at the seeder's port: the agent says so and keeps trying.
write_bundle 5 debian 3 1
rm -rf "$AG_WORK/data"
rc=0
timeout 9 "$BOOTTORRENT" agent --bundle "$AG_WORK/bundle" --dir "$AG_WORK/data" \
	--cmdline "$AG_WORK/cmdline" --os debian --no-boot --plain --port 0 \
	>"$AG_WORK/agent2.out" 2>&1 || rc=$?
tail -n 2 "$AG_WORK/agent2.out"
[ "$rc" = 124 ] || fail "with no seeder the agent exited ($rc) instead of retrying"
grep -q 'No peer reachable yet (server 127.0.0.1); retrying' "$AG_WORK/agent2.out" ||
	fail "no message about the unreachable server"

# With a tracker: the seeder is found through it (the static peer's port
# is closed), and once the tracker says nobody else needs pieces the agent
# stops seeding early instead of waiting out seed_time (60 s).
if start_tracker debian; then
	start_seed debian
	write_bundle 5 debian 60 1
	rm -rf "$AG_WORK/data"
	rc=0
	start=$(date +%s)
	timeout 40 "$BOOTTORRENT" agent --bundle "$AG_WORK/bundle" --dir "$AG_WORK/data" \
		--cmdline "$AG_WORK/cmdline" --os debian --no-boot --plain --port 0 \
		>"$AG_WORK/agent3.out" 2>&1 || rc=$?
	took=$(($(date +%s) - start))
	tail -n 4 "$AG_WORK/agent3.out"
	[ "$rc" = 0 ] || fail "the agent with a tracker exited with $rc"
	cmp "$AG_WORK/src/debian/file0" "$AG_WORK/data/debian/file0" || fail "file0 differs (tracker)"
	grep -q 'seeding done: no machine needs pieces' "$AG_WORK/agent3.out" ||
		fail "no early stop"
	[ "$took" -lt 30 ] || fail "the early stop took $took s"
else
	echo "no tracker-serve in \$BUILDDIR: the tracker part is skipped"
fi

[ "$AG_FAILS" = 0 ] || exit 1
echo "PASS"
