# Helpers for the agent's interop tests (sourced; not a test itself).
# Everything runs on loopback; agent_cleanup (an EXIT trap) stops what was
# started here, by pid, and removes the work folder.
: "${BOOTTORRENT:?}"
AG_WORK=$(mktemp -d /tmp/agent-test.XXXXXX)
AG_PIDS=""
AG_FAILS=0

agent_cleanup() {
	local pid
	trap - EXIT INT TERM
	for pid in $AG_PIDS; do kill "$pid" 2>/dev/null || true; done
	for pid in $AG_PIDS; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$pid" 2>/dev/null || true
	done
	[ -z "${AG_TMUX:-}" ] || tmux -L "$AG_TMUX" kill-server 2>/dev/null || true
	rm -rf "$AG_WORK"
}
trap agent_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
	echo "FAIL: $*"
	AG_FAILS=$((AG_FAILS + 1))
}

# wait_for SECONDS COMMAND...: polls every 0.2 s.
wait_for() {
	local n=$(($1 * 5))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

# make_os NAME KIB...: an OS folder $AG_WORK/src/NAME with one random file
# per size (file0, file1, ...), and its torrent in the bundle.
make_os() {
	local name=$1 i=0
	shift
	mkdir -p "$AG_WORK/src/$name" "$AG_WORK/bundle/oss/$name" "$AG_WORK/bundle/torrents"
	for kib in "$@"; do
		head -c $((kib * 1024)) /dev/urandom >"$AG_WORK/src/$name/file$i"
		i=$((i + 1))
	done
	"$BOOTTORRENT" mktorrent -q -d "$AG_WORK/src/$name" \
		-o "$AG_WORK/bundle/torrents/$name.torrent" >/dev/null
}

# start_seed NAME: `boottorrent seed` of NAME on a free loopback port, in
# $SEED_PORT once it listens.
start_seed() {
	local log="$AG_WORK/seed-$1.log" notrk=--no-tracker
	[ -z "${AG_ANNOUNCE:-}" ] || notrk=""
	timeout 300 "$BOOTTORRENT" seed "$AG_WORK/bundle/torrents/$1.torrent" --dir "$AG_WORK/src" \
		--port 0 --bind 127.0.0.1 $notrk >"$log" 2>&1 &
	AG_PIDS="$AG_PIDS $!"
	wait_for 10 grep -qs 'listening on port' "$log" || { echo "seed did not start"; cat "$log"; exit 1; }
	SEED_PORT=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$log" | head -n 1)
}

# start_tracker NAME...: the tracker module's test driver on a free loopback
# port, serving NAMEs' torrents, which are made again with its announce URL
# (the info-hash does not change); sets AG_ANNOUNCE.
start_tracker() {
	local tool="${BUILDDIR:-}/src/tracker/tracker-serve" port pid tries=0 name
	[ -x "$tool" ] || return 1
	: >"$AG_WORK/whitelist"
	for name in "$@"; do
		"$BOOTTORRENT" torrent-info "$AG_WORK/bundle/torrents/$name.torrent" |
			awk '/^Info hash:/ { print $3 }' >>"$AG_WORK/whitelist"
	done
	while [ $tries -lt 5 ]; do
		tries=$((tries + 1))
		port=$((20000 + RANDOM % 20000))
		"$tool" -a 127.0.0.1 -p "$port" -i 2 -q -w "$AG_WORK/whitelist" \
			>"$AG_WORK/tracker.log" 2>&1 &
		pid=$!
		sleep 0.5
		if kill -0 "$pid" 2>/dev/null; then
			AG_PIDS="$AG_PIDS $pid"
			AG_ANNOUNCE="http://127.0.0.1:$port/announce"
			for name in "$@"; do
				"$BOOTTORRENT" mktorrent -q -d -f -a "$AG_ANNOUNCE" "$AG_WORK/src/$name" \
					-o "$AG_WORK/bundle/torrents/$name.torrent" >/dev/null
			done
			return 0
		fi
	done
	return 1
}

# start_reporter: a small HTTP server on loopback that answers 204 to POST
# /api/report and writes each body as one line to $AG_WORK/reports.
start_reporter() {
	/usr/bin/python3 - "$AG_WORK/reports" "$AG_WORK/reporter.port" <<'PY' &
import http.server, sys
out, portfile = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        ok = self.path == "/api/report" and self.headers.get("Content-Type") == "application/json"
        with open(out, "ab") as f:
            f.write((body if ok else b"BAD " + self.path.encode()) + b"\n")
        self.send_response(204 if ok else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile, "w").write(str(s.server_address[1]))
s.serve_forever()
PY
	AG_PIDS="$AG_PIDS $!"
	wait_for 10 test -s "$AG_WORK/reporter.port" || { echo "reporter did not start"; exit 1; }
	REPORT_PORT=$(cat "$AG_WORK/reporter.port")
}

# write_bundle TIMEOUT DEFAULT SEED_TIME SWARM_PORT [extra yaml]: the
# bundle's Boottorrent.yaml.
write_bundle() {
	{
		printf 'version: 1\nboot:\n  timeout: %s\n  default_os: %s\n  seed_time: %s\n' \
			"$1" "$2" "$3"
		# No LPD: its multicast would leave loopback.
		printf 'dhcp:\n  mode: off\nswarm:\n  port: %s\n  lpd: false\n' "$4"
		printf '%s' "${5:-}"
	} >"$AG_WORK/bundle/Boottorrent.yaml"
}

# os_config NAME DISPNAME: a kexec config.yaml for NAME.
os_config() {
	printf 'dispname: %s\nmethod: kexec\nkernel: file0\ninitrd: file1\n' "$2" \
		>"$AG_WORK/bundle/oss/$1/config.yaml"
}
