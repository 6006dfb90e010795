#!/bin/sh
# Markdown tables from one or more bench/scale.sh result files (TSV), for
# docs/benchmarks.md. When a (stack, N) pair appears more than once, the
# last row wins, so a rerun of one row can be appended to a file.
#
#   bench/scale-report.sh build/bench/scale-DATE.tsv [more.tsv...]
set -eu
[ $# -ge 1 ] || { echo "usage: $0 RESULTS.tsv..." >&2; exit 2; }
awk -F'\t' '
FNR == 1 { next }
{
	k = $3 SUBSEP $4
	if (!(($4) in seen)) { seen[$4] = 1; ns[++nn] = $4 }
	ts[$4] = $6; dn[k] = $7; bt[k] = $8; rd[k] = $9; rb[k] = $10; up[k] = $11
	okn[k] = $13; cn[k] = $14; cs[k] = $15; busy[k] = $16; sat[k] = $17; load[k] = $2
	if (!(($3) in sseen)) { sseen[$3] = 1; st[++sn] = $3 }
}
function cell(t, r) { return t == "nan" || t == "" ? "did not finish" : sprintf("%.1f s (%.2f)", t, r) }
function has(s, n) { return (s SUBSEP n) in dn }
END {
	# Numeric order of N.
	for (i = 1; i <= nn; i++)
		for (j = i + 1; j <= nn; j++)
			if (ns[j] + 0 < ns[i] + 0) { t = ns[i]; ns[i] = ns[j]; ns[j] = t }
	print "| N | T* | ours: all done | ours: all booted | central HTTP | central TFTP | aria2c stack | HTTP ÷ ours | server sent ÷ S: ours / aria2c |"
	print "|---|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= nn; i++) {
		n = ns[i]; o = "ours" SUBSEP n; h = "http" SUBSEP n
		f = has("tftp", n) ? cell(dn["tftp" SUBSEP n], rd["tftp" SUBSEP n]) : "-"
		a = has("aria2", n) ? cell(dn["aria2" SUBSEP n], rd["aria2" SUBSEP n]) : "-"
		hh = has("http", n) ? cell(dn[h], rd[h]) : "-"
		sp = has("ours", n) && has("http", n) && dn[o] != "nan" && dn[h] != "nan" ? \
			sprintf("%.1f×", dn[h] / dn[o]) : "-"
		printf "| %d | %.1f s | %s | %s | %s | %s | %s | %s | %s / %s |\n", n, ts[n],
			has("ours", n) ? cell(dn[o], rd[o]) : "-", has("ours", n) ? cell(bt[o], rb[o]) : "-",
			hh, f, a, sp, has("ours", n) ? up[o] : "-",
			has("aria2", n) ? up["aria2" SUBSEP n] : "-"
	}
	print ""
	print "| N | stack | copies right | node CPU s | server CPU s | machine busy | time both cores ≥ 95 % | load at start |"
	print "|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= nn; i++)
		for (j = 1; j <= sn; j++) {
			k = st[j] SUBSEP ns[i]
			if (!(k in dn)) continue
			printf "| %d | %s | %d/%d | %.1f | %.1f | %.0f %% | %.0f %% | %s |\n", ns[i], st[j],
				okn[k], ns[i], cn[k], cs[k], busy[k] * 100, sat[k] * 100, load[k]
		}
}' "$@"
