#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# 'make modules_install' puts nrtls.ko where modprobe finds it, with its
# dependency on tls: modprobe loads both, nrtlsctl sees the module,
# modprobe -r and 'make modules_uninstall' take it away.  Leaves the module
# loaded from NRTLS_KO, as it found it.  Needs root and NRTLS_KO (the VM's
# runner).
#
# The tree is a DESTDIR holding only the kernel's tls module beside
# nrtls's (modprobe -d): depmod over the whole of /lib/modules reads 4000
# compressed modules, minutes in a TCG guest.
top=$(cd "$(dirname "$0")/.." && pwd)
krel=$(uname -r)
params=${NRTLS_MODPARAMS:-}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
. "$(dirname "$0")/lib/tap.sh"
echo "TAP version 13"
if [ "$(id -u)" -ne 0 ]; then
	tap_skip_all "not root: loads and unloads modules"
fi
if [ -z "${NRTLS_KO:-}" ] || [ ! -r "$NRTLS_KO" ] || [ ! -e "$top/build/$krel/nrtls.ko" ]; then
	tap_skip_all "needs NRTLS_KO and build/$krel/nrtls.ko (make KVER=$krel)"
fi
tls=$(modinfo -n tls 2> /dev/null)
if [ -z "$tls" ] || [ ! -f "$tls" ]; then
	tap_skip_all "tls is not a module of this kernel"
fi
mods=$root/lib/modules/$krel
mkdir -p "$mods/kernel/net/tls"
cp "$tls" "$mods/kernel/net/tls/"
cp /lib/modules/"$krel"/modules.builtin* /lib/modules/"$krel"/modules.order "$mods/"
[ -d /sys/module/nrtls_nic ] && rmmod nrtls_nic
[ -d /sys/module/nrtls ] && rmmod nrtls
t "make modules_install" \
	'make -s -C "$top" KVER="$krel" DESTDIR="$root" modules_install > "$root/log" 2>&1 &&
	 [ -f "$mods/updates/nrtls.ko" ] && [ -f "$mods/updates/nrtls_nic.ko" ]'
t "depmod made tls its dependency, and nrtls the NIC's" \
	'grep -qx "updates/nrtls.ko: kernel/net/tls/$(basename "$tls")" "$mods/modules.dep" &&
	 grep -qx "updates/nrtls_nic.ko: updates/nrtls.ko kernel/net/tls/$(basename "$tls")" \
	     "$mods/modules.dep"'
if rmmod tls 2> /dev/null; then
	t "modprobe nrtls loads it, and tls first" \
		'modprobe -d "$root" nrtls $params && [ -d /sys/module/nrtls ] && [ -d /sys/module/tls ]'
else
	n=$((n + 1))
	echo "ok $n - modprobe nrtls loads tls first # SKIP tls is in use here, cannot unload it"
	t "modprobe nrtls loads it" 'modprobe -d "$root" nrtls $params && [ -d /sys/module/nrtls ]'
fi
t "nrtlsctl status sees it" '"$top/build/user/bin/nrtlsctl" status > /dev/null'
t "modprobe -r nrtls unloads it" 'modprobe -d "$root" -r nrtls && [ ! -d /sys/module/nrtls ]'
t "modprobe nrtls_nic loads nrtls with it; modprobe -r takes both" \
	'modprobe -d "$root" nrtls_nic && [ -d /sys/module/nrtls ] &&
	 modprobe -d "$root" -r nrtls_nic nrtls && [ ! -d /sys/module/nrtls_nic ] &&
	 [ ! -d /sys/module/nrtls ]'
modprobe tls
t "make modules_uninstall: gone, and modprobe says so" \
	'make -s -C "$top" KVER="$krel" DESTDIR="$root" modules_uninstall > "$root/log" 2>&1 &&
	 [ ! -e "$mods/updates/nrtls.ko" ] && [ ! -e "$mods/updates/nrtls_nic.ko" ] &&
	 ! modprobe -d "$root" nrtls 2> /dev/null'
# shellcheck disable=SC2086
t "modules loaded again for the rest of the suite" \
	'{ [ -d /sys/module/nrtls ] || insmod "$NRTLS_KO" $params; } &&
	 { [ -d /sys/module/nrtls_nic ] || insmod "$NRTLS_NIC_KO"; }'
tap_done
