#!/bin/bash
# The lab helpers themselves: two hosts on the switch reach each other, a
# shaped link is slower than an unshaped one would be, and cleanup removes
# every namespace even when the script fails.
set -eu
. "$SRCDIR/tests/lib/lab.sh"
lab_init self
lab_switch
lab_host a 10.77.0.1/24
lab_host b 10.77.0.2/24
lab_wait 5 lab_exec a ping -c1 -W1 10.77.0.2 || lab_die "hosts cannot reach each other"

# A child run that fails half-way must still leave nothing behind.
out=$(bash -c '. "$SRCDIR/tests/lib/lab.sh"; lab_init child; lab_switch; lab_host x; echo "$LAB_P"; false' || true)
prefix=$(printf '%s' "$out" | tail -n1)
[ -n "$prefix" ] || lab_die "child printed no prefix"
if ip netns list | grep -q "^$prefix"; then
	lab_die "namespaces of a failed run were left behind: $(ip netns list | grep "^$prefix")"
fi
echo "lab self-test ok"
