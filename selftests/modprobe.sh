#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# 'make modules_install' puts nrtls.ko where modprobe finds it: modprobe
# loads it (and tls, which it depends on), nrtlsctl sees it, modprobe -r
# and 'make modules_uninstall' take it away.  Leaves the module loaded from
# NRTLS_KO, as it found it.  Needs root and NRTLS_KO (the VM's runner).
top=$(cd "$(dirname "$0")/.." && pwd)
krel=$(uname -r)
params=${NRTLS_MODPARAMS:-}
n=0 fails=0
t() {
	n=$((n + 1))
	if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fails=$((fails + 1)); fi
}
echo "TAP version 13"
if [ -z "${NRTLS_KO:-}" ] || [ ! -r "$NRTLS_KO" ] || [ ! -e "$top/build/$krel/nrtls.ko" ]; then
	echo "1..0 # SKIP needs NRTLS_KO and build/$krel/nrtls.ko (make KVER=$krel)"
	exit 4
fi
[ -d /sys/module/nrtls ] && rmmod nrtls
t "make modules_install" \
	'make -s -C "$top" KVER="$krel" modules_install > /tmp/nrtls-mi.log 2>&1 &&
	 [ -f /lib/modules/$krel/updates/nrtls.ko ]'
t "modinfo finds it and names tls as a dependency" \
	'modinfo -F depends nrtls | grep -qw tls'
if rmmod tls 2> /dev/null; then
	t "modprobe nrtls loads it, and tls first" \
		'modprobe nrtls $params && [ -d /sys/module/nrtls ] && [ -d /sys/module/tls ]'
else
	n=$((n + 1))
	echo "ok $n - modprobe nrtls loads tls first # SKIP tls is in use here, cannot unload it"
	t "modprobe nrtls loads it" 'modprobe nrtls $params && [ -d /sys/module/nrtls ]'
fi
t "nrtlsctl status sees it" '"$top/build/user/bin/nrtlsctl" status > /dev/null'
t "modprobe -r nrtls unloads it" 'modprobe -r nrtls && [ ! -d /sys/module/nrtls ]'
modprobe tls
t "make modules_uninstall: gone, and modprobe says so" \
	'make -s -C "$top" KVER="$krel" modules_uninstall > /tmp/nrtls-mi.log 2>&1 &&
	 [ ! -e /lib/modules/$krel/updates/nrtls.ko ] && ! modprobe nrtls 2> /dev/null'
# shellcheck disable=SC2086
t "module loaded again for the rest of the suite" \
	'[ -d /sys/module/nrtls ] || insmod "$NRTLS_KO" $params'
echo "1..$n"
[ $fails -eq 0 ]
