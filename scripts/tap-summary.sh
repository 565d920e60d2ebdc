#!/bin/sh
# Sum TAP results over files: every "ok"/"not ok" line at the start of a
# line counts once ("ok ... # SKIP" as skipped).  Lists the failures, then
# ends with one line "N passed, N failed[, N skipped]".  Exit status 1 if
# anything failed or nothing ran.
#
#   tap-summary.sh FILE...
awk '
/^not ok/ { fail++; failed[fail] = FILENAME ": " $0; next }
/^ok/ { if (toupper($0) ~ /# SKIP/) skip++; else pass++ }
END {
	for (i = 1; i <= fail; i++)
		print "FAILED: " failed[i]
	line = (pass + 0) " passed, " (fail + 0) " failed"
	if (skip)
		line = line ", " skip " skipped"
	print line
	exit (fail || !(pass + skip))
}' "$@"
