#!/bin/bash
# The stall contract (docs/agent.md): with the download incomplete and no
# payload byte for 10 s, plain mode prints a line starting with "stalled:"
# and the progress lines carry "Download stalled: nothing received for N s;
# retrying (server X)."; when bytes flow again it prints "resumed:". And the
# engine recovers by itself: first with no seeder at all until one starts
# on the static peer's port; then with a seeder that hangs mid-transfer
# (SIGSTOP: the connection stays up, nothing flows), is killed and replaced.
set -eu
. "$(dirname "$0")/agent-lib.bash"

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
make_os debian 4000
os_config debian "Debian Test"
write_bundle 5 debian 1 "$PORT"
echo "bt.server=127.0.0.1" >"$AG_WORK/cmdline"

# seed_on_port RATE: the seeder on $PORT (the bundle's static peer), at
# most RATE bytes/s; sets SEED_PID (the seeder itself, to be stopped; the
# EXIT trap kills it).
seed_on_port() {
	"$BOOTTORRENT" seed "$AG_WORK/bundle/torrents/debian.torrent" \
		--dir "$AG_WORK/src" --port "$PORT" --bind 127.0.0.1 --no-tracker \
		--max-upload-rate "$1" >>"$AG_WORK/seed.log" 2>&1 &
	SEED_PID=$!
	AG_PIDS="$AG_PIDS $SEED_PID"
}

run_agent() { # OUT
	timeout 100 "$BOOTTORRENT" agent --bundle "$AG_WORK/bundle" --dir "$AG_WORK/data" \
		--cmdline "$AG_WORK/cmdline" --os debian --no-boot --plain --port 0 \
		>"$1" 2>&1 &
	AGENT_PID=$!
	AG_PIDS="$AG_PIDS $AGENT_PID"
}

# 1. Nothing to download from at first.
run_agent "$AG_WORK/a1.out"
wait_for 16 grep -q '^stalled:' "$AG_WORK/a1.out" || fail "no 'stalled:' line after 10 s without data"
grep -q 'Download stalled: nothing received for 1[0-9] s; retrying (server 127.0.0.1)\.' \
	"$AG_WORK/a1.out" || fail "no stall message on the progress lines"
grep -c '^stalled:' "$AG_WORK/a1.out" | grep -qx 1 || fail "'stalled:' printed more than once"
seed_on_port 0
wait_for 20 grep -q '^resumed:' "$AG_WORK/a1.out" || fail "no 'resumed:' line once a seeder came"
rc=0
wait "$AGENT_PID" || rc=$?
[ "$rc" = 0 ] || fail "the agent exited with $rc after the stall"
cmp "$AG_WORK/src/debian/file0" "$AG_WORK/data/debian/file0" || fail "file0 differs (1)"
tail -n 3 "$AG_WORK/a1.out"
kill "$SEED_PID" 2>/dev/null || true
wait "$SEED_PID" 2>/dev/null || true

# 2. A seeder that hangs mid-transfer, then is replaced.
rm -rf "$AG_WORK/data"
seed_on_port 150000
run_agent "$AG_WORK/a2.out"
wait_for 20 grep -q 'downloading.* [1-9][0-9]*\.[0-9]%' "$AG_WORK/a2.out" || fail "no progress (2)"
kill -STOP "$SEED_PID"
wait_for 16 grep -q '^stalled:' "$AG_WORK/a2.out" || fail "no 'stalled:' with a hung seeder"
[ "$AG_FAILS" = 0 ] || { tail -n 20 "$AG_WORK/a2.out"; tail "$AG_WORK/seed.log"; exit 1; }
grep '^stalled:' "$AG_WORK/a2.out"
kill -KILL "$SEED_PID"
wait "$SEED_PID" 2>/dev/null || true
seed_on_port 0
wait_for 30 grep -q '^resumed:' "$AG_WORK/a2.out" || fail "no 'resumed:' after the seeder was replaced"
rc=0
wait "$AGENT_PID" || rc=$?
[ "$rc" = 0 ] || fail "the agent exited with $rc after the second stall"
cmp "$AG_WORK/src/debian/file0" "$AG_WORK/data/debian/file0" || fail "file0 differs (2)"
grep '^resumed:' "$AG_WORK/a2.out"
[ "$AG_FAILS" = 0 ] || { tail -n 20 "$AG_WORK/a2.out"; tail "$AG_WORK/seed.log"; exit 1; }
kill "$SEED_PID" 2>/dev/null || true
wait "$SEED_PID" 2>/dev/null || true

# 3. The full-screen view (TERM=vt100, as on a serial console): the message
# shows, counts up, and goes once data flows; the terminal's raw output (what
# a serial console's log holds) has the sentence in one piece.
if command -v tmux >/dev/null; then
	AG_TMUX="agent-stall-$$"
	TM="tmux -L $AG_TMUX -f /dev/null"
	rm -rf "$AG_WORK/data"
	cat >"$AG_WORK/run.sh" <<EOS
#!/bin/sh
export TERM=vt100 BT_CONSOLES=
timeout --foreground 100 "$BOOTTORRENT" agent --bundle "$AG_WORK/bundle" --dir "$AG_WORK/data" \
	--cmdline "$AG_WORK/cmdline" --os debian --no-boot --port 0 --seed-time 3 --seed-full
echo "AGENT-EXIT=\$?"
sleep 60
EOS
	chmod +x "$AG_WORK/run.sh"
	$TM new-session -d -s stall -x 100 -y 24 "$AG_WORK/run.sh"
	$TM pipe-pane -o -t stall "cat >>'$AG_WORK/raw.out'"
	has() { $TM capture-pane -p -t stall | grep -q -- "$1"; }
	wait_for 16 has "Download stalled: nothing received for 1[0-9] s; retrying (server 127.0.0.1)." ||
		{ fail "no stall message on the screen"; $TM capture-pane -p -t stall; }
	wait_for 4 has "nothing received for 1[2-9] s" || fail "the stall's seconds do not count up"
	grep -aq "Download stalled: nothing received for 1[0-9] s; retrying (server 127.0.0.1)\." \
		"$AG_WORK/raw.out" || fail "the raw output lacks the whole stall sentence"
	seed_on_port 0
	wait_for 15 has "seeding for" || fail "the download did not resume under curses"
	has "Download stalled" && fail "the stall message stayed after data came"
	wait_for 20 has "AGENT-EXIT=0" || fail "the agent did not finish under curses"
fi
[ "$AG_FAILS" = 0 ] || exit 1
echo "PASS"
