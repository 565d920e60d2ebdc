#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host-side tests: no module, no VM.  Runs every selftests/host/test_*.sh
# from the checkout's root.  Each one's TAP is nested, indented four spaces
# (TAP 14 subtests), under a line of its own at the top level, so that
# prove reads the whole as TAP 13.  Needs 'make' (both kernels, for the
# module checks) and 'make selftests' first.
cd "$(dirname "$0")/../.." || exit 1
status=0 n=0
echo "TAP version 13"
for t in selftests/host/test_*.sh; do
	name=nrtls-host:$(basename "$t" .sh)
	log=$(mktemp)
	echo "# selftests: $name"
	t0=$SECONDS
	"$t" 2>&1 | tee "$log" | sed -u 's/^/    /'
	rc=${PIPESTATUS[0]}
	# Where make check's time goes (a comment to TAP).
	echo "# $name: $((SECONDS - t0)) s"
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$log" | head -n 1)
	got=$(grep -cE '^(ok|not ok) ' "$log")
	bad=$(grep -cE '^not ok ' "$log")
	n=$((n + 1))
	if [ "$rc" -eq 4 ] && [ "$got" -eq 0 ]; then
		echo "ok $n - $name (subtests) # SKIP $(sed -n 's/^1\.\.0 *# *SKIP *//p' "$log")"
		rm -f "$log"
		continue
	elif [ "$bad" -gt 0 ]; then
		echo "not ok $n - $name: $bad of $got failed (subtests)"
		status=1
	else
		echo "ok $n - $name: $got results (subtests)"
	fi
	# What no result of its own says (tap-summary.sh counts these).
	if [ -z "$plan" ] || [ "$got" -lt "$plan" ]; then
		n=$((n + 1))
		echo "not ok $n - $name: planned ${plan:-no} results, printed $got (exit status $rc)"
		status=1
	elif [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		n=$((n + 1))
		echo "not ok $n - $name: exit status $rc without a failed result"
		status=1
	fi
	rm -f "$log"
done
echo "1..$n"
exit $status
