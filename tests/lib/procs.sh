# Stopping background processes, for tests/lib/lab.sh and
# tests/interop/bt-helpers/common.sh. Source it from bash.
#
#   procs_stop PID...   SIGTERM each, up to 2 s for them to exit, then SIGKILL

procs_stop() {
	local pid alive
	for pid in "$@"; do
		kill "$pid" 2>/dev/null || true
	done
	# A moment to exit cleanly (and flush logs), then force.
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		alive=""
		for pid in "$@"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ -n "$alive" ] || break
		sleep 0.2
	done
	for pid in "$@"; do
		kill -9 "$pid" 2>/dev/null || true
	done
}
