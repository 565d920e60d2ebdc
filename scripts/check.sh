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
#              NRTLS_CHECK_PACKAGE (the kernels whose guest runs the
#              package test, default the first of NRTLS_CHECK_KVERS;
#              empty: none),
#              NRTLS_VM_PARAMS (module parameters for the VM suites,
#              default debug_check=1).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
kvers=${NRTLS_CHECK_KVERS:-6.1 6.12}
pkgkvers=${NRTLS_CHECK_PACKAGE-${kvers%% *}}
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
# package is the one suite that is all CPU: DKMS compiles the module in
# the guest (make -j2: 20 files under TCG), 560 s alone, 1000-1800 s
# beside the other guest's suites, which it slows down as much.  On CI's
# 2 cores two of them no longer fitted (the guests timed out at 4200 s),
# so by default only the first kernel's guest runs it (6.1: its DKMS
# build also uses the BTF tools the package ships); 'make all' above
# builds the module for every kernel with the same script.  It runs last
# there, when the other guest is done or nearly: both its CPUs to itself.
# Where two guests run it, the later one runs it first so that the two
# do not overlap.  deps_nginx does not depend on the kernel (an offline
# apt-get, about five minutes in a loaded guest): only the last guest
# runs it.
pids=
pkgfirst=1
last=${kvers##* }
trap partial TERM INT
for k in $kvers; do
	step "VM suite on $k"
	args=()
	[ "$k" = "$last" ] || args+=(-x deps_nginx)
	case " $pkgkvers " in
	*" $k "*)
		[ -z "$pkgfirst" ] && [ -z "${NRTLS_CHECK_SERIAL:-}" ] && args+=(-f package)
		pkgfirst= ;;
	*)
		args+=(-x package) ;;
	esac
	if [ -n "${NRTLS_CHECK_SERIAL:-}" ]; then
		vm_suite "$k" "${args[@]}"
	else
		vm_suite "$k" "${args[@]}" &
		pids="$pids $!"
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
