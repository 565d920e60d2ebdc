#!/bin/sh
# Sum TAP results over files: every "ok"/"not ok" line counts once, nested
# (indented) ones too ("ok ... # SKIP" as skipped), except a runner's line
# for a whole subtest ("... (subtests)"), whose results are counted
# already; one that skipped altogether counts as skipped.  Lists the
# failures, then ends with one line "N passed, N failed[, N skipped]".
# Exit status 1 if anything failed or nothing ran.
#
#   tap-summary.sh FILE...
awk '
{ line = $0; sub(/^[ \t]+/, "", line) }
line !~ /^(not )?ok/ { next }
/\(subtests\)/ && toupper(line) !~ /# SKIP/ { next }
line ~ /^not ok/ { fail++; failed[fail] = FILENAME ": " line; next }
{ if (toupper(line) ~ /# SKIP/) skip++; else pass++ }
END {
	for (i = 1; i <= fail; i++)
		print "FAILED: " failed[i]
	line = (pass + 0) " passed, " (fail + 0) " failed"
	if (skip)
		line = line ", " skip " skipped"
	print line
	exit (fail || !(pass + skip))
}' "$@"
