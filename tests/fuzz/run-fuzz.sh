#!/bin/sh
# Runs one libFuzzer harness for a fixed time, starting from its committed
# corpus (read-only) and writing new inputs to a scratch folder.
# Usage: run-fuzz.sh HARNESS CORPUS_DIR [SECONDS]
set -eu
harness=$1 corpus=$2 seconds=${3:-${FUZZ_SECONDS:-15}}
# meson passes the harness relative to the build folder: make it absolute
# before leaving for the scratch folder.
case $harness in /*) ;; *) harness=$(pwd)/$harness ;; esac
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
exec "$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 "$scratch" "$corpus"
