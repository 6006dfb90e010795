#!/bin/sh
# `boottorrent init` and `boottorrent check` from the command line: exit
# codes, the one-line summary, FILE:LINE:COLUMN diagnostics, and the real
# interface lookup (getifaddrs) inside a network namespace of our own, where
# the original BootTorrent's sample interface (vboxnet0) is a veth device.
set -eu
: "${BOOTTORRENT:?}" "${SRCDIR:?}"
bt() { timeout 20 "$BOOTTORRENT" "$@"; }

tmp=$(mktemp -d)
ns=bt-cfg-$$
cleanup() {
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_rc() { # wanted exit code, command...
	want_rc=$1; shift
	set +e
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	[ "$rc" = "$want_rc" ] || { cat "$tmp/out" "$tmp/err" >&2; fail "'$*' exited $rc, want $want_rc"; }
}

# Help and usage errors.
expect_rc 0 bt check --help
grep -q "Usage: boottorrent check" "$tmp/out" || fail "check --help"
expect_rc 0 bt init --help
expect_rc 2 bt check --bogus
expect_rc 2 bt check a b
expect_rc 2 bt init
expect_rc 2 bt init a b
expect_rc 2 bt init --interface
expect_rc 2 bt init --interface 'a b' "$tmp/x"
[ ! -e "$tmp/x" ] || fail "init made a folder for a bad interface name"

# The original's sample environment, on this machine (no vboxnet0 here,
# nor its author's dnsmasq user): valid, with one warning about each.
cp -r "$SRCDIR/tests/data/envs/original-v0" "$tmp/sample"
expect_rc 0 bt check "$tmp/sample"
want="ok: 4 OSs, dhcp server on vboxnet0 192.168.1.50-192.168.1.150, tracker :10001"
[ "$(cat "$tmp/out")" = "$want" ] || fail "summary: $(cat "$tmp/out")"
if ! ip link show vboxnet0 >/dev/null 2>&1 && ! getent passwd shreyansh >/dev/null; then
	[ "$(wc -l <"$tmp/err")" = 2 ] || fail "want two warnings: $(cat "$tmp/err")"
	grep -q "^$tmp/sample/Boottorrent.yaml:11:14: warning: interface 'vboxnet0' does not exist" \
		"$tmp/err" || fail "warning: $(cat "$tmp/err")"
	grep -q "^$tmp/sample/Boottorrent.yaml:14:[0-9]*: warning: user 'shreyansh' does not exist" \
		"$tmp/err" || fail "warning: $(cat "$tmp/err")"
fi
# Without DIR, the current folder.
(cd "$tmp/sample" && expect_rc 0 bt check -q) || fail "check in the current folder"
[ ! -s "$tmp/out" ] || fail "-q printed: $(cat "$tmp/out")"

# Errors: all of them, each with its place, exit 1.
cp -r "$tmp/sample" "$tmp/broken"
sed -i -e 's/timeout: 30/timeout: soon/' -e 's/port: 10001/port: 99999/' \
	"$tmp/broken/Boottorrent.yaml"
printf 'dispname: TestOS\nmethod: kexc\n' >"$tmp/broken/oss/testos/config.yaml"
expect_rc 1 bt check "$tmp/broken"
grep -q "^$tmp/broken/Boottorrent.yaml:3:12: error: boottorrent.timeout must be a whole number" \
	"$tmp/err" || fail "timeout error: $(cat "$tmp/err")"
grep -q "^$tmp/broken/Boottorrent.yaml:18:11: error: opentracker.port is out of range" \
	"$tmp/err" || fail "port error: $(cat "$tmp/err")"
grep -q "^$tmp/broken/oss/testos/config.yaml:2:9: error: unknown method 'kexc' — did you mean 'kexec'?" \
	"$tmp/err" || fail "method error: $(cat "$tmp/err")"
grep -q "3 errors" "$tmp/err" || fail "count: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "stdout on errors"

# Not YAML at all, and not a mapping.
mkdir -p "$tmp/bad/oss"
printf 'a: b: c\n' >"$tmp/bad/Boottorrent.yaml"
expect_rc 1 bt check "$tmp/bad"
grep -q "Boottorrent.yaml:1:5: error: invalid YAML" "$tmp/err" || fail "syntax: $(cat "$tmp/err")"
printf -- '- 1\n- 2\n' >"$tmp/bad/Boottorrent.yaml"
expect_rc 1 bt check "$tmp/bad"
grep -q "Boottorrent.yaml:1:1: error: the top level must be a mapping" "$tmp/err" ||
	fail "not a mapping: $(cat "$tmp/err")"
expect_rc 1 bt check "$tmp/nonexistent"

# init, then check; init never touches an existing folder.
expect_rc 0 bt init --interface lo "$tmp/new"
[ -f "$tmp/new/Boottorrent.yaml" ] && [ -f "$tmp/new/oss/README" ] || fail "init made no files"
expect_rc 0 bt check "$tmp/new"
[ "$(cat "$tmp/out")" = "ok: 0 OSs (add one under oss/), dhcp proxy on lo, tracker :6969" ] ||
	fail "init summary: $(cat "$tmp/out") $(cat "$tmp/err")"
[ ! -s "$tmp/err" ] || fail "init+check printed: $(cat "$tmp/err")"
before=$(cksum <"$tmp/new/Boottorrent.yaml")
expect_rc 1 bt init "$tmp/new"
grep -q "already exists" "$tmp/err" || fail "refusal message"
[ "$(cksum <"$tmp/new/Boottorrent.yaml")" = "$before" ] || fail "init changed an existing folder"

# In a namespace of our own, vboxnet0 exists: the sample prints only the
# summary (and the user warning), and a range outside its subnet is an error.
if ip netns add "$ns" 2>/dev/null; then
	ip -n "$ns" link add vboxnet0 type veth peer name vbpeer0
	ip -n "$ns" addr add 192.168.1.1/24 dev vboxnet0
	ip -n "$ns" link set vboxnet0 up
	expect_rc 0 ip netns exec "$ns" timeout 20 "$BOOTTORRENT" check "$tmp/sample"
	[ "$(cat "$tmp/out")" = "$want" ] || fail "netns summary: $(cat "$tmp/out")"
	# (Only the author's dnsmasq user may still be missing here.)
	! grep -v "warning: user 'shreyansh' does not exist" "$tmp/err" ||
		fail "netns: valid sample printed: $(cat "$tmp/err")"
	sed -i 's/192.168.1.50,192.168.1.150/192.168.2.50,192.168.2.150/' \
		"$tmp/sample/Boottorrent.yaml"
	expect_rc 1 ip netns exec "$ns" timeout 20 "$BOOTTORRENT" check "$tmp/sample"
	grep -q "Boottorrent.yaml:13:15: error: dnsmasq.dhcp_range 192.168.2.50-192.168.2.150 is not inside the network 192.168.1.0/24 of interface 'vboxnet0'" \
		"$tmp/err" || fail "netns range: $(cat "$tmp/err")"
else
	echo "note: no network namespaces here; the interface checks were skipped" >&2
fi
echo "config-check: ok"
