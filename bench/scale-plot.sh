#!/bin/sh
# A PNG from bench/scale.sh results (gnuplot): time until every node has the
# image against N for each stack with the fluid bound T*, each time over T*,
# and the server's upload over the image size S.
#
#   bench/scale-plot.sh OUT.png RESULTS.tsv [more.tsv...]
#
# When a (stack, N) pair appears more than once, the last row wins (a rerun
# of one row can be appended). "nan" (a run that did not finish) is left
# out of the plot.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 OUT.png RESULTS.tsv..." >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "gnuplot is missing (tools/deps.sh bench)" >&2; exit 1; }
out=$1
shift
dat=$(mktemp /tmp/scale-plot.XXXXXX)
trap 'rm -f "$dat"' EXIT

# One line per N: N T* then, per stack, time, ratio and server upload / S;
# ours twice (done, and booted after its seeding policy).
awk -F'\t' '
FNR == 1 { next }
{
	k = $3 SUBSEP $4
	if (!(($4) in seen)) { seen[$4] = 1; ns[++nn] = $4 }
	ts[$4] = $6; dn[k] = $7; bt[k] = $8; up[k] = $11
}
function v(x) { return x == "" || x == "nan" ? "NaN" : x }
END {
	for (i = 1; i <= nn; i++)
		for (j = i + 1; j <= nn; j++)
			if (ns[j] + 0 < ns[i] + 0) { t = ns[i]; ns[i] = ns[j]; ns[j] = t }
	print "# N tstar ours_done ours_boot http tftp aria2 ours_up http_up tftp_up aria2_up"
	for (i = 1; i <= nn; i++) {
		n = ns[i]
		printf "%s %s", n, ts[n]
		printf " %s %s", v(dn["ours" SUBSEP n]), v(bt["ours" SUBSEP n])
		printf " %s %s %s", v(dn["http" SUBSEP n]), v(dn["tftp" SUBSEP n]), v(dn["aria2" SUBSEP n])
		printf " %s %s %s %s\n", v(up["ours" SUBSEP n]), v(up["http" SUBSEP n]),
			v(up["tftp" SUBSEP n]), v(up["aria2" SUBSEP n])
	}
}' "$@" >"$dat"

gnuplot <<EOF
set terminal pngcairo size 1500,520 font "DejaVu Sans,10"
set output "$out"
set datafile missing "NaN"
set multiplot layout 1,3 title "64 MiB to N machines, server uplink 200 Mbit/s, nodes 50 Mbit/s (bench/scale.sh)"
set logscale x 2
set xrange [3:45]
set xtics (4, 8, 16, 32)
set xlabel "N machines"
set grid
set key top left opaque box
# Room above the data for the legend.
set offsets 0, 0, graph 0.7, 0
set style data linespoints
set title "Time until every machine has the image"
set ylabel "seconds"
set yrange [0:*]
plot "$dat" u 1:2 w l lw 2 dt 2 lc rgb "black" t "fluid bound T*", \
     "" u 1:3 lw 2 pt 7 lc rgb "#1f77b4" t "BootTorrent (ours)", \
     "" u 1:4 lw 1 pt 6 dt 3 lc rgb "#1f77b4" t "ours, after its seeding policy", \
     "" u 1:5 lw 2 pt 5 lc rgb "#d62728" t "central HTTP (busybox + curl)", \
     "" u 1:6 lw 2 pt 9 lc rgb "#ff7f0e" t "central TFTP (dnsmasq + tftp-hpa)", \
     "" u 1:7 lw 2 pt 13 lc rgb "#2ca02c" t "original: opentracker + aria2c"
set title "Time ÷ T*"
set ylabel "ratio"
set yrange [0:*]
set key top left opaque box
plot 1.25 w l lw 2 dt 2 lc rgb "black" t "goal 1.25", \
     "$dat" u 1:(\$3/\$2) lw 2 pt 7 lc rgb "#1f77b4" t "ours", \
     "" u 1:(\$4/\$2) lw 1 pt 6 dt 3 lc rgb "#1f77b4" t "ours, after seeding", \
     "" u 1:(\$5/\$2) lw 2 pt 5 lc rgb "#d62728" t "HTTP", \
     "" u 1:(\$6/\$2) lw 2 pt 9 lc rgb "#ff7f0e" t "TFTP", \
     "" u 1:(\$7/\$2) lw 2 pt 13 lc rgb "#2ca02c" t "aria2c stack"
set title "Server upload ÷ image size S"
set offsets 0, 0, 0, 0
set ylabel "copies sent by the server"
set logscale y 2
set yrange [0.5:64]
set ytics (0.5, 1, 1.5, 2, 4, 8, 16, 32, 64)
plot 1.5 w l lw 2 dt 2 lc rgb "black" t "goal 1.5", \
     "$dat" u 1:8 lw 2 pt 7 lc rgb "#1f77b4" t "ours", \
     "" u 1:9 lw 2 pt 5 lc rgb "#d62728" t "HTTP", \
     "" u 1:10 lw 2 pt 9 lc rgb "#ff7f0e" t "TFTP", \
     "" u 1:11 lw 2 pt 13 lc rgb "#2ca02c" t "aria2c stack"
unset multiplot
EOF
echo "wrote $out"
