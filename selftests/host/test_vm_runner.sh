#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The VM runner fails a run for each reason it promises to: a hung guest,
# a kernel splat, a failed rmmod, a kernel that panics while booting (after
# booting it once more); and passes back the command's output and exit
# status; --alone waits for other guests and warns of one beside it; and
# --pin-vcpus pins QEMU's threads.
# Each case boots a small guest (about 15 s each).
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/tap.sh
tmp=$(mktemp -d)
trap 'kill ${fake1:-} ${fake2:-} 2> /dev/null; rm -rf "$tmp"' EXIT

# expect DESC STATUS PATTERN-IN-OUTPUT RUN-ARGS...
expect() {
	local desc=$1 want=$2 pat=$3 rc
	shift 3
	scripts/vm/run.sh --outdir "$tmp/run" "$@" > "$tmp/out" 2>&1
	rc=$?
	TAP_LOG=$tmp/out TAP_LOG_LINES=15 t "$desc" \
		'[ $rc -eq "$want" ] && grep -q -- "$pat" "$tmp/out" ||
		 { echo "# exit $rc, wanted $want and \"$pat\""; false; }'
}

expect "vm-run returns the command's output and exit status, slub_debug on" 7 "out put" \
	--no-module --cmd 'grep -q slub_debug=FZPU /proc/cmdline && echo "out put"; exit 7'
expect "--no-slub-debug boots without slub_debug" 0 "slub_debug off" \
	--no-module --no-slub-debug --alone --cmd 'grep -q slub_debug /proc/cmdline || echo "slub_debug off"'
t "--alone with no other guest neither waits nor warns" \
	'! grep -E "nrtls-vm: (--alone|warning)" "$tmp/out"'
expect "the guest's /tmp is a tmpfs, even for a checkout under /tmp" 0 "tmp is tmpfs" \
	--no-module --cmd '[ "$(stat -f -c %T /tmp)" = tmpfs ] && [ -x scripts/vm/run.sh ] &&
		echo "tmp is tmpfs"'
expect "a hung guest is killed at the timeout, console tail shown" 124 "console tail" \
	--no-module --timeout 20 -- sleep 600
expect "a kernel that panics while booting is booted once more, then fails" 125 "one more boot" \
	--no-module --append "rdinit=/nonexistent init=/nonexistent" -- true
t "...and only once" '[ "$(grep -c "one more boot" "$tmp/out")" = 1 ]'
expect "a kernel splat in dmesg fails the run" 126 "kernel splat" \
	--no-module --cmd 'echo "WARNING: CPU: 0 PID: 1 at nrtls runner test" > /dev/kmsg'
expect "a failed rmmod fails the run" 126 "rmmod nrtls failed" \
	--cmd 'sleep 600 3< /dev/nrtls & sleep 1'
skew='echo "check_skew 1 1000" > /sys/kernel/debug/nrtls/fault &&
      build/$(uname -r)/selftests/nrtls_uring > /dev/null 2>&1; true'
expect "debug_check=1 WARNs on a queue accounting mismatch" 126 "queue accounting mismatch" \
	--params debug_check=1 --cmd "$skew"
expect "without debug_check the checker never runs" 0 "^check_skew 0 " \
	--cmd "$skew; grep ^check_skew /sys/kernel/debug/nrtls/fault"

# --alone, against stand-ins for other guests: processes that look like
# this runner's QEMU (argv[0], and nrtls_src= in the arguments), waiting
# in a builtin so that killing one leaves nothing behind.  Every step
# waits for an event, not for a time; the guest's --timeout bounds it.
mkfifo "$tmp/fifo"
fake_guest() {
	(exec -a qemu-system-x86_64 bash -c 'read -r -t 600 <> "$0"' "$tmp/fifo" \
		"-append nrtls_src=$tmp") &
}
# until_true CMD: wait, while run.sh ($run) lives, for CMD to succeed.
until_true() {
	until eval "$1"; do
		kill -0 "$run" 2> /dev/null || return 1
		sleep 0.2
	done
}
fake_guest
fake1=$!
scripts/vm/run.sh --outdir "$tmp/alone" --no-module --alone --timeout 180 \
	--cmd 'touch /nrtls-out/started; until [ -e /nrtls-out/go ]; do sleep 0.2; done; echo alone done' \
	> "$tmp/out" 2>&1 &
run=$!
until_true 'grep -Eq "waiting for the other guests to end \(QEMU( [0-9]+)* $fake1[ )]" "$tmp/out"'
waited=$?
kill "$fake1"
until_true '[ -e "$tmp/alone/started" ]'
fake_guest
fake2=$!
# The watcher has seen the second stand-in; only then may the guest end.
until_true '[ -e "$tmp/alone/crowded" ]'
touch "$tmp/alone/go"
wait "$run"
rc=$?
kill "$fake2"
TAP_LOG=$tmp/out TAP_LOG_LINES=15 t "--alone waits for a guest already running, naming its QEMU" \
	'[ $waited -eq 0 ]'
TAP_LOG=$tmp/out TAP_LOG_LINES=15 t "--alone warns of a guest that started beside it, and passes the status" \
	'[ $rc -eq 0 ] && grep -q "alone done" "$tmp/out" &&
	 grep -q "another guest ran beside this one" "$tmp/out"'

# --pin-vcpus, read off the running QEMU.
taskset -c 0 scripts/vm/run.sh --pin-vcpus --no-module --cmd true > "$tmp/out" 2>&1
rc=$?
TAP_LOG=$tmp/out t "--pin-vcpus refuses a runner with one host CPU" \
	'[ $rc -eq 2 ] && grep -q "needs two host CPUs" "$tmp/out"'
# The CPUs of a list like 0,2-3, one a line.
cpus_of() {
	local part c
	IFS=, read -ra parts <<< "$1"
	for part in "${parts[@]}"; do
		for ((c = ${part%-*}; c <= ${part#*-}; c++)); do echo "$c"; done
	done
}
mine=$(cpus_of "$(taskset -pc $$ | sed 's/.*: //')")
if [ "$(echo "$mine" | wc -l)" -lt 2 ]; then
	tap_skip "--pin-vcpus pins QEMU's threads" "this runner may use one host CPU"
else
	own=$(echo "$mine" | head -n 1)
	rest=$(echo "$mine" | tail -n +2 | tr '\n' ' ')
	# Read while QEMU starts, not after the guest boots: a SCHED_IDLE vCPU
	# gets no host time beside busy processes, so on a loaded host the
	# guest may take longer to boot than this test should wait.
	scripts/vm/run.sh --outdir "$tmp/pin" --no-module --pin-vcpus --timeout 180 \
		--cmd true > "$tmp/out" 2>&1 &
	run=$!
	# Each thread of this run's QEMU: "name|its CPUs|its policy".
	qemu_threads() {
		local f argv0 task tid
		threads= qemu=
		for f in /proc/[0-9]*/cmdline; do
			argv0=
			{ IFS= read -r -d '' argv0 < "$f"; } 2> /dev/null
			[ "$argv0" = qemu-system-x86_64 ] && grep -qa "path=$tmp/pin," "$f" || continue
			qemu=${f%/cmdline}
			qemu=${qemu#/proc/}
			for task in "${f%/cmdline}"/task/*; do
				tid=${task##*/}
				threads+="$(cat "$task/comm")|$(cpus_of "$(taskset -pc "$tid" |
					sed 's/.*: //')" | tr '\n' ' ')|$(chrt -p "$tid" |
					sed -n '1s/.*: //p')"$'\n'
			done
		done
	}
	# Pinned as they appear: wait for the whole picture (or the run's end).
	until_true 'qemu_threads; grep -q "^CPU 1/TCG|.*|SCHED_IDLE$" <<< "$threads" &&
		[ "$(grep -c "|\(.* \)\?$own " <<< "$threads")" = 1 ]'
	[ -z "$qemu" ] || kill "$qemu" 2> /dev/null
	wait "$run"
	echo "$threads" | sed '/^$/d; s/^/# thread: /' > "$tmp/threads"
	TAP_LOG=$tmp/threads t "--pin-vcpus: guest CPU 0's thread alone on host CPU $own" \
		'grep -qx "CPU 0/TCG|$own |SCHED_OTHER" <<< "$threads" &&
		 [ "$(grep -c "|\(.* \)\?$own " <<< "$threads")" = 1 ]'
	TAP_LOG=$tmp/threads t "--pin-vcpus: guest CPU 1's thread on host CPUs ${rest% } at SCHED_IDLE" \
		'grep -qx "CPU 1/TCG|$rest|SCHED_IDLE" <<< "$threads"'
fi

# selftests/run.sh -f (make check runs package first in the second guest that runs it).
mkdir -p "$tmp/b/selftests"
for t in alpha beta gamma; do
	printf '#!/bin/sh\necho "1..1"\necho "ok 1 %s"\n' "$t" > "$tmp/b/selftests/$t"
	chmod +x "$tmp/b/selftests/$t"
done
# The tests run.sh runs with ARGS, in order.
ran() {
	selftests/run.sh -b "$tmp/b" "$@" 2> /dev/null |
		sed -n 's/^# selftests: nrtls: //p' | tr '\n' ' '
}
# run.sh with ARGS is a usage error (exit 2) that says PATTERN.
usage_error() {
	local desc=$1 pat=$2 rc
	shift 2
	selftests/run.sh -b "$tmp/b" "$@" > "$tmp/out" 2>&1
	rc=$?
	t "$desc" '[ $rc -eq 2 ] && grep -q -- "$pat" "$tmp/out" || { echo "# exit $rc"; false; }'
}
order=$(ran -f beta alpha beta)
t "selftests/run.sh -f runs that test first" \
	'[ "$order" = "beta alpha " ] || { echo "# ran: $order"; false; }'
usage_error "selftests/run.sh -f with an unknown test is a usage error" \
	"no such test" -f gamma alpha
# selftests/run.sh -x (make check runs deps_nginx in one guest only).
order=$(ran -x alpha -x beta alpha beta gamma)
t "selftests/run.sh -x leaves those tests out" \
	'[ "$order" = "gamma " ] || { echo "# ran: $order"; false; }'
usage_error "selftests/run.sh -x with an unknown test is a usage error" \
	"-x delta: no such test" -x delta alpha
tap_done
