#!/bin/bash
# Durable leases: our server (dhcp-serve) sends an ACK only after the lease's
# journal line is written and fdatasync'd (group commit on a worker thread).
# The lease file sits on a two-page tmpfs, mounted in the server's own mount
# namespace, which we fill once the server has started: every journal write
# then fails (ENOSPC), and the server must withhold its ACKs. busybox udhcpc
# gets OFFERs but no lease; a server that sent ACKs before (or whatever the
# result of) the write would give it one. Then the filler goes, the client
# gets its lease, and its script finds the lease in the file at the moment it
# holds the ACK. (A failed fdatasync takes the same path as a failed write;
# a lost power supply cannot be tested here.)
set -eu
. "$SRCDIR/tests/lib/lab.sh"
serve="$BUILDDIR/src/dhcp/dhcp-serve"
command -v udhcpc >/dev/null || { echo "udhcpc missing: skipping"; exit 77; }
command -v unshare >/dev/null || { echo "unshare missing: skipping"; exit 77; }
[ -x "$serve" ] || { echo "dhcp-serve not built"; exit 1; }
lab_init dhcpd
lab_switch
lab_host srv 10.77.0.1/24
lab_host cli
lab_exec cli ip link set eth0 address 52:54:00:77:02:01

T=$LAB_TMP
M=$T/mnt
mkdir "$M"
fail() { echo "FAIL: $*" >&2; echo "--- server log"; cat "$T/srv.log" >&2 || true; exit 1; }

# The tmpfs lives and dies with the server's private mount namespace.
lab_bg srv unshare -m --propagation private sh -c '
	mount -t tmpfs -o size=8k,mode=0755 bench "$1" || exit 1
	shift
	exec "$@"' sh "$M" "$serve" --interface eth0 --server-ip 10.77.0.1 \
	--range 10.77.0.100-10.77.0.110 --lease-time 120 --lease-file "$M/leases" \
	--bios pxelinux.0 --log-level debug >>"$T/srv.log" 2>&1
SRV=$LAB_LAST_PID
lab_wait 5 sh -c "ip netns exec $(lab_ns srv) ss -uln | grep -q ':67 '" ||
	fail "server did not bind port 67"
# The server's view of the tmpfs, from outside its mount namespace.
R=/proc/$SRV/root$M
[ -f "$R/leases" ] || fail "no lease file on the server's tmpfs"
# The file's own page has room for a few dozen lines: pad it to the page's
# end with a line the loader skips, then take every free page.
size=$(stat -c %s "$R/leases")
[ "$size" -lt 4000 ] || fail "lease file unexpectedly large: $size bytes"
{ printf '#'; head -c $((4096 - size - 2)) /dev/zero | tr '\0' x; echo; } >>"$R/leases"
dd if=/dev/zero of="$R/fill" bs=4k count=16 2>/dev/null || true
[ -s "$R/fill" ] || fail "could not fill the server's tmpfs: $(ls -la "$R" 2>&1)"
if printf 'x' 2>/dev/null >>"$R/leases"; then
	fail "the lease file still takes writes: this test would prove nothing"
fi

# The udhcpc script records the lease and whether the server's file holds
# the client's MAC and address while the client holds its ACK.
cat >"$T/script.sh" <<'SH'
#!/bin/sh
case $1 in
bound)
	if grep -q "52:54:00:77:02:01 $ip .* bound" "$LEASES"; then f=yes; else f=no; fi
	echo "bound ip=$ip infile=$f" >>"$OUT"
	;;
esac
exit 0
SH
chmod +x "$T/script.sh"
get() { # OUTFILE
	timeout 20 ip netns exec "$(lab_ns cli)" env OUT="$1" LEASES="$R/leases" \
		udhcpc -i eth0 -f -q -n -t 3 -T 1 -A 1 -s "$T/script.sh" >>"$T/cli.log" 2>&1
}

# 1. Journal writes fail: offers, but no ACK.
if get "$T/full"; then
	fail "a lease although the lease file could not be written: $(cat "$T/full")"
fi
grep -q "offer 52:54:00:77:02:01" "$T/srv.log" || fail "no OFFER: the test did not reach the server"
grep -q "cannot write the lease file .*replies withheld" "$T/srv.log" ||
	fail "the server did not report withholding its replies"
[ ! -s "$T/full" ] || fail "the client was told: $(cat "$T/full")"

# 2. Room again: the lease, on disk before the client has it.
rm -f "$R/fill"
get "$T/ok" || fail "no lease once the file could be written: $(cat "$T/cli.log")"
grep -q "^bound ip=10.77.0.1[01][0-9] infile=yes" "$T/ok" ||
	fail "the client held its ACK before the lease was in the file: $(cat "$T/ok")"
echo "dhcp durable ok"
