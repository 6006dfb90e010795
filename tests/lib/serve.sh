# Helpers for tests and benchmarks that run one of our service drivers
# (tftp-serve, http-serve) alone on loopback. Source it from sh or bash:
#   . "$SRCDIR/tests/lib/serve.sh"
#   serve_init                       # $SERVE_TMP, traps for cleanup
#   serve_start tftp-serve --root "$SERVE_TMP/root"   # sets $SERVE_PORT, $SERVE_PID
#   ...
# Everything started is killed and the temp folder removed on exit, even on
# failure. Servers bind 127.0.0.1 on an ephemeral port only.

SERVE_TMP=""
SERVE_PIDS=""

serve_cleanup() {
	rc=$?
	trap - EXIT INT TERM
	for p in $SERVE_PIDS; do
		kill "$p" 2>/dev/null || true
	done
	for p in $SERVE_PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 20 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null || true
	done
	[ -z "$SERVE_TMP" ] || rm -rf "$SERVE_TMP"
	exit $rc
}

serve_init() {
	SERVE_TMP=$(mktemp -d /tmp/bt-serve.XXXXXX)
	mkdir -p "$SERVE_TMP/root"
	trap serve_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# serve_start PROGRAM ARGS...: PROGRAM is tftp-serve or http-serve from
# $BUILDDIR; it runs on 127.0.0.1 with --port 0 and reports its port.
# The log goes to $SERVE_TMP/PROGRAM.log.
serve_start() {
	prog=$1
	shift
	bin=$(find "$BUILDDIR/src" -name "$prog" -type f -perm -u+x | head -n 1)
	[ -n "$bin" ] || { echo "serve: $prog not built in $BUILDDIR" >&2; exit 1; }
	rm -f "$SERVE_TMP/$prog.port"
	"$bin" --address 127.0.0.1 --port 0 --port-file "$SERVE_TMP/$prog.port" "$@" \
		2>>"$SERVE_TMP/$prog.log" &
	SERVE_PID=$!
	SERVE_PIDS="$SERVE_PIDS $SERVE_PID"
	i=0
	while [ ! -s "$SERVE_TMP/$prog.port" ]; do
		i=$((i + 1))
		if [ $i -gt 50 ] || ! kill -0 "$SERVE_PID" 2>/dev/null; then
			echo "serve: $prog did not start:" >&2
			cat "$SERVE_TMP/$prog.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	SERVE_PORT=$(cat "$SERVE_TMP/$prog.port")
}

# serve_need CMD...: skip (77) when a client program is missing.
serve_need() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || { echo "skip: $c is not installed"; exit 77; }
	done
}

# serve_same A B: fail unless files A and B have the same sha256.
serve_same() {
	a=$(sha256sum < "$1" | cut -d' ' -f1)
	b=$(sha256sum < "$2" 2>/dev/null | cut -d' ' -f1)
	if [ "$a" != "$b" ]; then
		echo "FAIL: $2 differs from $1" >&2
		return 1
	fi
}
