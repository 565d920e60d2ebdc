# SPDX-License-Identifier: GPL-2.0
# TAP for the shell tests, sourced by each (VM and host ones alike).
#
#   t NAME EXPR          one result: EXPR is eval'ed, ok if it succeeds
#   tap_skip NAME WHY    one result skipped, with its reason
#   tap_skip_all WHY     the whole test cannot run here: a skip plan and
#                        exit status 4, as kselftest expects
#   tap_done             the plan; returns non-zero if anything failed
#
# With TAP_LOG naming a file, a failing result also shows that file's last
# TAP_LOG_LINES lines (20) as TAP comments: where a test sends the output
# of the commands it checks.
n=0 fails=0

t() {
	n=$((n + 1))
	if eval "$2"; then
		echo "ok $n - $1"
		return
	fi
	echo "not ok $n - $1"
	fails=$((fails + 1))
	if [ -n "${TAP_LOG:-}" ] && [ -f "$TAP_LOG" ]; then
		sed 's/^/# /' "$TAP_LOG" | tail -n "${TAP_LOG_LINES:-20}"
	fi
}

tap_skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

tap_skip_all() {
	echo "1..0 # SKIP $1"
	exit 4
}

tap_done() {
	echo "1..$n"
	[ "$fails" -eq 0 ]
}
