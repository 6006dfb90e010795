#!/bin/bash
# The agent's bin and bin-qemu-x86_64 methods, end to end on loopback (the
# real kexec is in tests/e2e/agent-kexec.sh):
#  - bin: the program from the downloaded OS folder runs there, with binargs
#    split shell-like and nothing expanded;
#  - QEMU: qemu-system-x86_64 (a stand-in script first in PATH) runs in the
#    OS folder with the configured args and without -enable-kvm (--no-kvm),
#    the agent prints the RAM left for the guest, and keeps seeding while
#    the "VM" runs: a second agent downloads the OS from it alone; without
#    QEMU the error names the flavour of phase 1 that has it.
set -eu
. "$(dirname "$0")/agent-lib.bash"
T="timeout 60"

# bin ----------------------------------------------------------------------
mkdir -p "$AG_WORK/src/tool" "$AG_WORK/bundle/oss/tool" "$AG_WORK/bundle/torrents"
cat >"$AG_WORK/src/tool/run.sh" <<'EOS'
#!/bin/sh
{ pwd; for a in "$@"; do echo "[$a]"; done; } >"$AGENT_TEST_OUT"
EOS
head -c 200000 /dev/urandom >"$AG_WORK/src/tool/data"
"$BOOTTORRENT" mktorrent -q -d "$AG_WORK/src/tool" -o "$AG_WORK/bundle/torrents/tool.torrent" >/dev/null
cat >"$AG_WORK/bundle/oss/tool/config.yaml" <<'EOS'
dispname: A tool
method: bin
bin: run.sh
binargs: one 'two three' "four\"five" $HOME `id` ;
EOS
start_seed tool
write_bundle 5 tool 0 "$SEED_PORT"
echo "bt.server=127.0.0.1" >"$AG_WORK/cmdline"
rc=0
AGENT_TEST_OUT="$AG_WORK/bin.out" $T "$BOOTTORRENT" agent --bundle "$AG_WORK/bundle" \
	--dir "$AG_WORK/data" --cmdline "$AG_WORK/cmdline" --os tool --plain --port 0 \
	>"$AG_WORK/agent-bin.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { fail "bin: the agent exited with $rc"; cat "$AG_WORK/agent-bin.out"; }
printf '%s\n' "$AG_WORK/data/tool" "[one]" "[two three]" '[four"five]' '[$HOME]' '[`id`]' '[;]' \
	>"$AG_WORK/bin.want"
cmp -s "$AG_WORK/bin.want" "$AG_WORK/bin.out" ||
	{ fail "bin: wrong folder or arguments"; diff "$AG_WORK/bin.want" "$AG_WORK/bin.out" || true; }

# A malformed binargs is an error on the output, not a run.
printf 'dispname: A tool\nmethod: bin\nbin: run.sh\nbinargs: %s\n' "'say \"open'" \
	>"$AG_WORK/bundle/oss/tool/config.yaml"
rm -f "$AG_WORK/bin.out"
rc=0
AGENT_TEST_OUT="$AG_WORK/bin.out" $T "$BOOTTORRENT" agent --bundle "$AG_WORK/bundle" \
	--dir "$AG_WORK/data" --cmdline "$AG_WORK/cmdline" --os tool --plain --port 0 \
	>"$AG_WORK/agent-bin2.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "bin: a malformed binargs gave exit $rc"
grep -q 'binargs: a quote is not closed' "$AG_WORK/agent-bin2.out" || fail "bin: no clear error"
[ ! -e "$AG_WORK/bin.out" ] || fail "bin: the program ran with malformed binargs"

# QEMU -----------------------------------------------------------------------
make_os vm 3000 500
mkdir -p "$AG_WORK/fakebin"
cat >"$AG_WORK/fakebin/qemu-system-x86_64" <<'EOS'
#!/bin/sh
{ pwd; for a in "$@"; do echo "[$a]"; done; } >"$AGENT_TEST_OUT.tmp"
mv "$AGENT_TEST_OUT.tmp" "$AGENT_TEST_OUT"
# The "VM" runs until the test lets it end.
i=0
while [ ! -e "$AGENT_TEST_OUT.stop" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
EOS
chmod +x "$AG_WORK/fakebin/qemu-system-x86_64"
cat >"$AG_WORK/bundle/oss/vm/config.yaml" <<'EOS'
dispname: A VM
method: bin-qemu-x86_64
args: -m 64T -drive file=file0,format=raw -append 'console=ttyS0 quiet'
EOS
start_seed vm
write_bundle 5 vm 0 "$SEED_PORT"
port1=$((20000 + RANDOM % 20000))
AGENT_TEST_OUT="$AG_WORK/qemu.out" PATH="$AG_WORK/fakebin:$PATH" timeout 90 "$BOOTTORRENT" agent \
	--bundle "$AG_WORK/bundle" --dir "$AG_WORK/data1" --cmdline "$AG_WORK/cmdline" --os vm \
	--plain --port "$port1" --no-kvm >"$AG_WORK/agent-vm.out" 2>&1 &
a1=$!
AG_PIDS="$AG_PIDS $a1"
wait_for 30 test -e "$AG_WORK/qemu.out" || { fail "QEMU was not started"; cat "$AG_WORK/agent-vm.out"; }
printf '%s\n' "$AG_WORK/data1/vm" "[-m]" "[64T]" "[-drive]" "[file=file0,format=raw]" "[-append]" \
	"[console=ttyS0 quiet]" >"$AG_WORK/qemu.want"
cmp -s "$AG_WORK/qemu.want" "$AG_WORK/qemu.out" ||
	{ fail "QEMU: wrong folder or arguments"; diff "$AG_WORK/qemu.want" "$AG_WORK/qemu.out" || true; }
grep -q 'left for the guest' "$AG_WORK/agent-vm.out" || fail "QEMU: no RAM line"
grep -q 'the guest asks for 64.0 TiB (-m), more than is left' "$AG_WORK/agent-vm.out" ||
	fail "QEMU: no warning about -m"
grep -q 'without KVM' "$AG_WORK/agent-vm.out" || fail "QEMU: --no-kvm not said"

# The seed goes away; a second agent gets the OS from the first alone.
for pid in $AG_PIDS; do
	[ "$pid" = "$a1" ] || kill "$pid" 2>/dev/null || true
done
sleep 0.5
write_bundle 5 vm 0 "$port1"
rc=0
$T "$BOOTTORRENT" agent --bundle "$AG_WORK/bundle" --dir "$AG_WORK/data2" --cmdline "$AG_WORK/cmdline" \
	--os vm --plain --port 0 --no-boot >"$AG_WORK/agent-2.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { fail "the second agent exited with $rc"; tail -n 5 "$AG_WORK/agent-2.out"; }
cmp "$AG_WORK/src/vm/file0" "$AG_WORK/data2/vm/file0" || fail "second agent: file0 differs"

# The VM ends; so does the first agent, with status 0.
touch "$AG_WORK/qemu.out.stop"
rc=0
wait "$a1" || rc=$?
[ "$rc" = 0 ] || { fail "the first agent exited with $rc"; tail -n 5 "$AG_WORK/agent-vm.out"; }
grep -q 'qemu-system-x86_64 ended (status 0)' "$AG_WORK/agent-vm.out" || fail "QEMU's end not said"

# Without QEMU (phase 1's default flavour), the error says which flavour has it.
mkdir -p "$AG_WORK/emptybin"
rc=0
$T env PATH="$AG_WORK/emptybin" "$BOOTTORRENT" agent --bundle "$AG_WORK/bundle" --dir "$AG_WORK/data2" \
	--cmdline "$AG_WORK/cmdline" --os vm --plain --port 0 --no-kvm \
	>"$AG_WORK/agent-noqemu.out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "no QEMU: the agent exited with 0"
grep -q 'qemu-system-x86_64 is not in this phase 1: .*--flavour full' "$AG_WORK/agent-noqemu.out" ||
	{ fail "no QEMU: no clear error"; tail -n 5 "$AG_WORK/agent-noqemu.out"; }

[ "$AG_FAILS" = 0 ] || exit 1
echo "PASS"
