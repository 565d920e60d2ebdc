#!/bin/bash
# make check: everything a change needs, from a fresh Debian 12 machine.
#   1. install missing Debian packages
#   2. build the module, BPF objects and tests for each kernel; make deb
#   3. host-side tests (no module needed)
#   4. the VM suite on each kernel, side by side (module loaded, splat and
#      leak checks)
# Ends with one line "N passed, N failed[, N skipped]".
#
# Environment: NRTLS_CHECK_KVERS (default "6.1 6.12"),
#              NRTLS_VM_PARAMS (module parameters for the VM suites,
#              default debug_check=1).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
kvers=${NRTLS_CHECK_KVERS:-6.1 6.12}
# debug_check: the queue accounting is checked after every change.
params=${NRTLS_VM_PARAMS-debug_check=1}
out=$top/build/check
start=$(date +%s)

if ! scripts/deps.sh --check > /dev/null; then
	scripts/deps.sh || { echo "make check: installing dependencies failed" >&2; exit 1; }
fi
rm -rf "$out"
mkdir -p "$out"

step() { printf '\n=== %s (%d s in)\n' "$*" $(($(date +%s) - start)); }

for k in $kvers; do
	step "build for $k"
	if make KVER="$k" all selftests; then
		echo "ok - build for $k" > "$out/build-$k.tap"
	else
		echo "not ok - build for $k" > "$out/build-$k.tap"
	fi
done

# The Debian package, for the VM suites' package test (selftests/package.sh).
step "make deb"
if make deb > "$out/deb.log" 2>&1; then
	echo "ok - make deb" > "$out/build-deb.tap"
else
	tail -n 20 "$out/deb.log"
	echo "not ok - make deb: see $out/deb.log" > "$out/build-deb.tap"
fi

step "host tests"
if ! make host-tests; then
	echo "not ok - build the host tests (unit tests, fuzz target)" > "$out/build-host.tap"
fi
selftests/host/run.sh | tee "$out/host.tap"

# The guests run side by side: much of a suite waits (on netem, on the slow
# disk, on timers), and the tests must pass on a loaded machine anyway.
# package (DKMS builds the module in the guest, depmod reads every module
# over 9p) takes 7-10 minutes of it unloaded; the timeouts leave room for a
# loaded machine.  NRTLS_CHECK_SERIAL=1 runs them one after the other.
vm_suite() {
	local k=$1 rc
	shift

	if grep -q '^not ok' "$out/build-$k.tap"; then
		echo "not ok - vm $k: not run, the build failed" > "$out/vm-$k.tap"
		return
	fi
	# package beside the other guest's suites took 1310 s here, 1804 s
	# (killed) with one more busy process on the machine: room for that.
	scripts/vm/run.sh --kver "$k" --params "$params" --timeout 4200 \
		--outdir "$out/vm-$k" -- selftests/run.sh -t 2400 "$@" > "$out/vm-$k.tap"
	rc=$?
	case $rc in
	0 | 1) echo "ok - vm $k: guest ran the suite, unloaded nrtls, no kernel splat" ;;
	124) echo "not ok - vm $k: guest timed out" ;;
	125) echo "not ok - vm $k: guest could not run the suite" ;;
	126) echo "not ok - vm $k: $(cat "$out/vm-$k/result"): see $out/vm-$k/" ;;
	*) echo "not ok - vm $k: exit status $rc" ;;
	esac >> "$out/vm-$k.tap"
}

# Killed (a CI time limit): show how far each guest got.
partial() {
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill $pids 2> /dev/null
	for k in $kvers; do
		step "VM suite on $k: killed; its output so far"
		cat "$out/vm-$k.tap" 2> /dev/null
	done
	exit 1
}
# package is the one suite that is all CPU (DKMS compiles in the guest):
# two at once took 1600 s each on 2 cores, one alone 560 s.  So the
# guests after the first run it first, while the first is at the others.
# deps_nginx does not depend on the kernel (an offline apt-get, about
# five minutes in a loaded guest): only the last guest runs it.
pids=
order=
last=${kvers##* }
trap partial TERM INT
for k in $kvers; do
	step "VM suite on $k"
	only=
	[ "$k" = "$last" ] || only="-x deps_nginx"
	if [ -n "${NRTLS_CHECK_SERIAL:-}" ]; then
		# shellcheck disable=SC2086
		vm_suite "$k" $only
	else
		# shellcheck disable=SC2086
		vm_suite "$k" $order $only &
		pids="$pids $!"
		order="-f package"
	fi
done
for p in $pids; do
	wait "$p"
done
trap - TERM INT
for k in $kvers; do
	step "VM suite on $k: results"
	cat "$out/vm-$k.tap"
done

step "summary ($(($(date +%s) - start)) s)"
scripts/tap-summary.sh "$out"/*.tap
