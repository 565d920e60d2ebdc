#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the nrtls selftests with the module loaded (in the VM, or as root on a
# real host).  Each test's own TAP is nested, indented four spaces (TAP 14
# subtests; prove reads it as TAP 13 and skips it), and after each the
# runner adds
#   ok - NAME: N results (subtests)      (not ok if any of them failed)
#   ok - NAME: live objects back to zero
#   ok - NAME: no kernel splat
# and a "not ok" line when a test crashed, timed out or broke its plan; its
# plan comes last.
usage() {
	cat <<'EOF'
usage: selftests/run.sh [-b BUILDDIR] [-t SECONDS] [-f TEST] [-x TEST]... [TEST...]

  -b BUILDDIR  where the test binaries are (default build/$(uname -r))
  -t SECONDS   kill a test after this long (default 900)
  -f TEST      run TEST first, then the others
  -x TEST      leave TEST out (repeatable)
  TEST         test names (nrtls_basic, load_unload, ...); default: all

Environment: NRTLS_KO (module path, for tests that reload it),
NRTLS_TEST_VERBOSE=1 (show the commands tests run).
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
build=$here/../build/$(uname -r)
tmo=900
first=
skip=()
while getopts "b:t:f:x:h" opt; do
	case $opt in
	b) build=$OPTARG ;;
	t) tmo=$OPTARG ;;
	f) first=$OPTARG ;;
	x) skip+=("$OPTARG") ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=()
	for t in "$build"/selftests/*; do
		[ -f "$t" ] && [ -x "$t" ] && tests+=("$(basename "$t")")
	done
	for t in "$here"/*.sh; do
		[ "$(basename "$t")" = run.sh ] || tests+=("$(basename "$t" .sh)")
	done
fi
for x in "${skip[@]}"; do
	rest=()
	for t in "${tests[@]}"; do
		[ "$t" = "$x" ] || rest+=("$t")
	done
	if [ ${#rest[@]} -eq ${#tests[@]} ]; then
		echo "run.sh: -x $x: no such test" >&2
		exit 2
	fi
	tests=("${rest[@]}")
done
if [ ${#tests[@]} -eq 0 ]; then
	echo "run.sh: no tests found in $build/selftests (run 'make selftests')" >&2
	exit 2
fi
if [ -n "$first" ]; then
	rest=()
	for t in "${tests[@]}"; do
		[ "$t" = "$first" ] || rest+=("$t")
	done
	if [ ${#rest[@]} -eq ${#tests[@]} ]; then
		echo "run.sh: -f $first: no such test" >&2
		exit 2
	fi
	tests=("$first" "${rest[@]}")
fi

splat=$(cat "$here/splat.re")
counters=/sys/kernel/debug/nrtls/counters
status=0

live_objects_zero() {
	local i
	[ -r $counters ] || return 0
	for i in $(seq 100); do
		awk '$2 != 0 { bad = 1 } END { exit bad }' $counters && return 0
		sleep 0.1
	done
	return 1
}

# The runner's own results; the plan goes at the end.
ntap=0
tap() {
	ntap=$((ntap + 1))
	echo "$@"
}

echo "TAP version 13"
for name in "${tests[@]}"; do
	if [ -x "$build/selftests/$name" ]; then
		cmd=("$build/selftests/$name")
	elif [ -x "$here/$name.sh" ]; then
		cmd=("$here/$name.sh")
	else
		tap "not ok - $name: no such test"
		status=1
		continue
	fi
	echo "# selftests: nrtls: $name"
	log=$(mktemp)
	t0=$SECONDS
	before=$(dmesg | wc -l)
	# A test's own TAP is a subtest: indented, as TAP 14 nests it.
	timeout -k 10 "$tmo" "${cmd[@]}" 2>&1 | tee "$log" | sed -u 's/^/    /'
	rc=${PIPESTATUS[0]}
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$log" | head -n 1)
	got=$(grep -cE '^(ok|not ok) ' "$log")
	bad=$(grep -cE '^not ok ' "$log")

	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		tap "not ok - $name: killed after ${tmo}s"
		status=1
	elif [ -n "$plan" ] && [ "$got" -lt "$plan" ]; then
		tap "not ok - $name: planned $plan results, printed $got (exit status $rc)"
		status=1
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$bad" -eq 0 ]; then
		tap "not ok - $name: exit status $rc without a failed result"
		status=1
	elif [ "$bad" -gt 0 ]; then
		status=1
	fi
	# The subtest's own line (tap-summary.sh counts its results instead).
	if [ "$bad" -gt 0 ]; then
		tap "not ok - $name: $bad of $got failed (subtests)"
	elif [ "$rc" -eq 4 ] && [ "$got" -eq 0 ]; then
		tap "ok - $name (subtests) # SKIP $(sed -n 's/^1\.\.0 *# *SKIP *//p' "$log")"
	else
		tap "ok - $name: $got results (subtests)"
	fi
	# Where make check's time goes (a comment to TAP).
	echo "# $name: $((SECONDS - t0)) s"
	rm -f "$log"

	if [ -d /sys/module/nrtls ]; then
		if live_objects_zero; then
			tap "ok - $name: live objects back to zero"
		else
			tap "not ok - $name: live objects left: $(awk '$2 != 0' $counters | tr '\n' ' ')"
			status=1
		fi
	fi
	new=$(dmesg | tail -n +$((before + 1)) | grep -B1 -E "$splat" | head -n 6)
	if [ -z "$new" ]; then
		tap "ok - $name: no kernel splat"
	else
		tap "not ok - $name: kernel splat"
		echo "$new" | sed 's/^/# /'
		status=1
	fi
done
echo "1..$ntap"
exit $status
