#!/bin/sh
# A PNG from bench/boot-vm.sh results (gnuplot): for each N and each system,
# a bar of the seconds from power-on to the target's marker, split into the
# stages the watcher stamps (mean over the machines), and the worst machine's
# time as a point.
#
#   bench/boot-vm-plot.sh OUT.png [build/bench/boot-vm.json]
set -eu
[ $# -ge 1 ] || { echo "usage: $0 OUT.png [boot-vm.json]" >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "gnuplot is missing (tools/deps.sh bench)" >&2; exit 1; }
out=$1
json=${2:-$(dirname "$0")/../build/bench/boot-vm.json}
[ -r "$json" ] || { echo "$json: no results (run bench/boot-vm.sh first)" >&2; exit 1; }
dat=$(mktemp /tmp/boot-vm-plot.XXXXXX)
trap 'rm -f "$dat"' EXIT

# One row per run: label, then the mean seconds each stage added (a stage a
# machine never reached counts as not reached: NaN), then the worst booted.
python3 - "$json" >"$dat" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))
stages = ["dhcp", "ph1", "menu", "downloaded", "kexec", "booted"]
name = {"ours": "ours", "base": "baseline"}
def key(k):
    kind = k.rstrip("0123456789")
    return (int(k[len(kind):]), kind != "ours")
print("# label " + " ".join(stages) + " worst_booted")
for k in sorted(runs, key=key):
    kind = k.rstrip("0123456789")
    ms = runs[k]
    prev, cells = 0.0, []
    for s in stages:
        v = [m[f"seconds_to_{s}"] for m in ms if m.get(f"seconds_to_{s}") is not None]
        if len(v) < len(ms) or not v:
            cells.append("NaN")
            continue
        mean = sum(v) / len(v)
        cells.append(f"{max(mean - prev, 0):.2f}")
        prev = mean
    b = [m["seconds_to_booted"] for m in ms if m.get("seconds_to_booted") is not None]
    worst = f"{max(b):.2f}" if len(b) == len(ms) and b else "NaN"
    print(f'"{name.get(kind, kind)}\\nN={k[len(kind):]}" ' + " ".join(cells) + " " + worst)
PY

gnuplot <<EOF
set terminal pngcairo size 1000,520 font "DejaVu Sans,10"
set output "$out"
set datafile missing "NaN"
set title "Power-on to the target's marker, QEMU -accel tcg machines at once (bench/boot-vm.sh)"
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.6
set ylabel "seconds from power-on (mean over the machines)"
set yrange [0:*]
set grid ytics
set bmargin 4
set key outside right top
plot "$dat" using 2:xtic(1) title "DHCP", \
     "" using 3 title "to phase 1 init", \
     "" using 4 title "to menu", \
     "" using 5 title "to downloaded", \
     "" using 6 title "to kexec", \
     "" using 7 title "to target's marker", \
     "" using 0:8 with points pt 7 ps 1.2 lc rgb "black" title "worst machine"
EOF
echo "wrote $out"
