#!/bin/sh
# Runs BootTorrent's tests and ends with one line "N passed, M failed".
# Usage: tools/test.sh [unit] [interop] [e2e] [faults] [fuzz]   (default: all)
#
# unit, interop, e2e and faults run in build-test/ (ASan + UBSan, warnings as errors);
# fuzz runs each libFuzzer harness for FUZZ_SECONDS (default 20) in
# build-fuzz/ (clang). Results are read from meson's test logs.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kinds=${*:-unit interop e2e faults fuzz}
fuzz_seconds=${FUZZ_SECONDS:-20}

setup() { # dir, extra meson options...
	dir=$1; shift
	if [ -d "$dir" ] && [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		rm -rf "$dir"
		meson setup "$dir" "$@" >/dev/null
	fi && ninja -C "$dir" >/dev/null
}

status=0
logs=""
suites=""
for k in $kinds; do
	case $k in
	unit|interop|e2e|faults) suites="$suites --suite $k" ;;
	fuzz) ;;
	*) echo "test.sh: unknown kind '$k'" >&2; exit 2 ;;
	esac
done

if [ -n "$suites" ]; then
	if setup build-test -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true \
		-Dbuildtype=debug; then
		# Peers and lab scripts are not ours: sanitizers stop at our binaries.
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ASAN_OPTIONS=detect_leaks=1 \
		meson test -C build-test $suites --print-errorlogs || status=1
		logs="$logs build-test/meson-logs/testlog.json"
	else
		echo "test.sh: the sanitizer build failed" >&2
		status=1
		build_failed=1
	fi
fi
case " $kinds " in *" fuzz "*)
	if CC=clang setup build-fuzz -Dfuzz=true -Dfuzz_seconds="$fuzz_seconds" \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized; then
		meson test -C build-fuzz --suite fuzz --print-errorlogs || status=1
		logs="$logs build-fuzz/meson-logs/testlog.json"
	else
		echo "test.sh: the fuzz build failed" >&2
		status=1
		build_failed=1
	fi
	;;
esac

/usr/bin/python3 - ${build_failed:+--build-failed} $logs <<'PY'
import json, sys
args = sys.argv[1:]
failed_build = "--build-failed" in args
passed = failed = skipped = 0
bad = []
for path in (a for a in args if not a.startswith("--")):
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        r = t.get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
            bad.append(t.get("name"))
if failed_build:
    failed += 1
    bad.append("(build)")
if bad:
    print("failed: " + ", ".join(bad))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
