#!/bin/bash
# One agent on two consoles (docs/agent.md "Several consoles"): phase 1
# passes its console= list as $BT_CONSOLES; the agent draws the menu on its
# own terminal and on each other console, and keys typed on any of them
# drive it. Driven through tmux: pane "main" runs the agent, pane "con2" is
# the second console (its tty holds nothing that reads: a sleep).
set -eu
command -v tmux >/dev/null || { echo "SKIP: tmux not installed"; exit 77; }
. "$(dirname "$0")/agent-lib.bash"
AG_TMUX="agent-consoles-$$"
TM="tmux -L $AG_TMUX -f /dev/null"

make_os alpha 300
make_os beta 400
os_config alpha "Alpha Linux"
os_config beta "Beta OS"
start_seed beta
write_bundle 8 alpha 1 "$SEED_PORT"
echo "bt.server=127.0.0.1" >"$AG_WORK/cmdline"

$TM new-session -d -s con2 -x 80 -y 24 "sleep 300"
TTY2=$($TM display-message -p -t con2 '#{pane_tty}')
case $TTY2 in /dev/pts/*) ;; *) echo "no pty for the second console ($TTY2)"; exit 1 ;; esac
cat >"$AG_WORK/run.sh" <<EOS
#!/bin/sh
export TERM=vt100 SHELL=/bin/sh ENV= BT_CONSOLES="${TTY2#/dev/}"
timeout --foreground 120 "$BOOTTORRENT" agent --bundle "$AG_WORK/bundle" --dir "$AG_WORK/data" \
	--cmdline "$AG_WORK/cmdline" --no-boot --port 0 --seed-time 1
echo "AGENT-EXIT=\$?"
sleep 60
EOS
chmod +x "$AG_WORK/run.sh"
$TM new-session -d -s main -x 80 -y 24 "$AG_WORK/run.sh"

on() { $TM capture-pane -p -t "$1"; }
has() { on "$1" | grep -q -- "$2"; }
expect() { # PANE SECONDS TEXT WHAT
	wait_for "$2" has "$1" "$3" || { fail "$4 (no '$3' on $1)"; on "$1"; }
}

expect main 10 "> Alpha Linux <" "no menu on the agent's own terminal"
expect con2 5 "> Alpha Linux <" "no menu on the second console"
expect con2 3 "Booting default OS in [0-9] seconds" "no countdown on the second console"

# A key on the second console moves the selection on both.
$TM send-keys -t con2 Down
expect con2 3 "> Beta OS <" "Down on the second console did nothing there"
expect main 3 "> Beta OS <" "Down on the second console was not mirrored"
# Ctrl+C on the first stops the countdown on both.
$TM send-keys -t main C-c
expect main 3 "Arrows choose, Enter boots" "Ctrl+C did not stop the countdown"
expect con2 3 "Arrows choose, Enter boots" "the stopped countdown was not mirrored"
sleep 9
has main "AGENT-EXIT" && fail "the agent booted after Ctrl+C"

# Ctrl+S on the second console opens the shell there; the first says so.
$TM send-keys -t con2 C-s
expect con2 5 "type 'exit' to go back" "Ctrl+S on the second console opened no shell there"
expect main 5 "A shell is open on $TTY2" "the first console does not say where the shell is"
$TM send-keys -t con2 "echo SHELL2-OK-\$((6*7))" Enter
expect con2 5 "SHELL2-OK-42" "the shell on the second console does not run commands"
$TM send-keys -t con2 "exit" Enter
expect con2 5 "> Beta OS <" "the menu did not come back on the second console"
expect main 5 "> Beta OS <" "the menu did not come back on the first console"

# Enter on the second console boots the selection.
$TM send-keys -t con2 Enter
expect main 30 "AGENT-EXIT=" "the agent did not finish after Enter on the second console"
has main "chosen OS beta (Beta OS) by menu" || fail "Enter did not boot the selected entry"
has main "AGENT-EXIT=0" || fail "the agent failed"
cmp "$AG_WORK/src/beta/file0" "$AG_WORK/data/beta/file0" || fail "beta's data differs"

[ "$AG_FAILS" = 0 ] || exit 1
echo "PASS"
