#!/bin/bash
# The agent's menu on a vt100 terminal, driven through tmux: the entries are
# shown centred with the default selected and the countdown running; arrows
# move the selection (and wrap); Ctrl+C stops the countdown (nothing boots
# after the timeout); Ctrl+S opens a shell and the menu comes back after it;
# Enter boots the chosen entry: the agent (--no-boot) downloads it from a
# `boottorrent seed` on loopback and says which OS was chosen by the menu.
set -eu
command -v tmux >/dev/null || { echo "SKIP: tmux not installed"; exit 77; }
. "$(dirname "$0")/agent-lib.bash"
AG_TMUX="agent-menu-$$"
TM="tmux -L $AG_TMUX -f /dev/null"

make_os alpha 300 100
make_os beta 400 100
make_os gamma 500 100
os_config alpha "Alpha Linux"
os_config beta "Beta OS"
os_config gamma "Gamma Tools"
start_seed beta
write_bundle 6 alpha 1 "$SEED_PORT"
echo "bt.server=127.0.0.1" >"$AG_WORK/cmdline"

cat >"$AG_WORK/run.sh" <<EOS
#!/bin/sh
export TERM=vt100 SHELL=/bin/sh ENV=
timeout --foreground 120 "$BOOTTORRENT" agent --bundle "$AG_WORK/bundle" --dir "$AG_WORK/data" \
	--cmdline "$AG_WORK/cmdline" --no-boot --port 0
echo "AGENT-EXIT=\$?"
sleep 60
EOS
chmod +x "$AG_WORK/run.sh"
$TM new-session -d -s menu -x 80 -y 24 "$AG_WORK/run.sh"

screen() { $TM capture-pane -p -t menu; }
has() { screen | grep -q -- "$1"; }
expect() { # SECONDS TEXT WHAT
	wait_for "$1" has "$2" || { fail "$3 (no '$2' on screen)"; screen; }
}

expect 10 "> Alpha Linux <" "the default is not selected"
expect 3 "Booting default OS in [0-9] seconds" "no countdown"
# The entries are centred: "Beta OS" starts near the middle of 80 columns.
col=$(screen | grep -n "Beta OS" | head -n 1 | cut -d: -f2- | awk '{ print index($0, "Beta") }')
[ -n "$col" ] && [ "$col" -ge 30 ] && [ "$col" -le 40 ] || fail "entries not centred (column $col)"

$TM send-keys -t menu Down
expect 3 "> Beta OS <" "Down did not move the selection"
expect 3 "Booting selected OS in" "the countdown stopped after an arrow"
$TM send-keys -t menu Up Up
expect 3 "> Gamma Tools <" "Up did not wrap to the last entry"

$TM send-keys -t menu C-c
expect 3 "Arrows choose, Enter boots" "Ctrl+C did not stop the countdown"
has "Booting" && fail "the countdown is still shown after Ctrl+C"
# Past the 6 s timeout nothing boots.
sleep 7
has "> Gamma Tools <" || fail "the menu went away after Ctrl+C"
has "AGENT-EXIT" && fail "the agent exited after Ctrl+C"

$TM send-keys -t menu C-s
expect 5 "type 'exit' to go back" "Ctrl+S did not open a shell"
$TM send-keys -t menu "echo SHELL-OK-\$((6*7))" Enter
expect 5 "SHELL-OK-42" "the shell does not run commands"
$TM send-keys -t menu "exit" Enter
expect 5 "> Gamma Tools <" "the menu did not come back after the shell"

$TM send-keys -t menu Up Enter
expect 30 "AGENT-EXIT=" "the agent did not finish after Enter"
screen | grep -E "agent:|AGENT-EXIT" || true
has "chosen OS beta (Beta OS) by menu" || fail "Enter did not boot the selected entry"
has "AGENT-EXIT=0" || fail "the agent failed"
cmp "$AG_WORK/src/beta/file0" "$AG_WORK/data/beta/file0" || fail "beta's data differs"

# Ctrl+S during the seeding opens a shell too (here on TERM=linux, the
# Linux console's); the progress view comes back
# and the agent still finishes by itself.
cat >"$AG_WORK/run2.sh" <<EOS
#!/bin/sh
export TERM=linux SHELL=/bin/sh ENV=
timeout --foreground 120 "$BOOTTORRENT" agent --bundle "$AG_WORK/bundle" --dir "$AG_WORK/data2" \
	--cmdline "$AG_WORK/cmdline" --os beta --no-boot --port 0 --seed-time 8 --seed-full
echo "AGENT2-EXIT=\$?"
sleep 60
EOS
chmod +x "$AG_WORK/run2.sh"
$TM new-session -d -s seed -x 80 -y 24 "$AG_WORK/run2.sh"
screen() { $TM capture-pane -p -t seed; }
expect 10 "seeding for [0-9]*s more" "no seeding view"
expect 3 "Ctrl+S: shell" "no shell hint on the progress view"
$TM send-keys -t seed C-s
expect 5 "type 'exit' to go back" "Ctrl+S did not open a shell while seeding"
$TM send-keys -t seed "exit" Enter
expect 5 "seeding for [0-9]*s more" "the progress view did not come back after the shell"
expect 15 "AGENT2-EXIT=0" "the agent did not finish after the shell"

[ "$AG_FAILS" = 0 ] || exit 1
echo "PASS"
