#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian package from 'make deb', as an admin uses it: dpkg -i builds
# nrtls.ko with DKMS for the running kernel (with its BTF, signed), modprobe
# loads it after tls (from updates/dkms/, as nrtls.ko.xz where the kernel's
# modules are compressed), the installed nrtlsctl, ip plugin and pkg-config file
# work, and dpkg -r takes every file away again.  Leaves the module loaded
# from NRTLS_KO, as it found it.  Needs root and NRTLS_KO (the VM's runner),
# and build/deb/nrtls_*.deb.
top=$(cd "$(dirname "$0")/.." && pwd)
krel=$(uname -r)
params=${NRTLS_MODPARAMS:-}
log=$(mktemp)
boot=$(mktemp -d)
trap 'rm -f "$log" "$log.files"; rm -rf "$boot"' EXIT
. "$(dirname "$0")/lib/tap.sh"
TAP_LOG=$log
TAP_LOG_LINES=30
echo "TAP version 13"
if [ "$(id -u)" -ne 0 ]; then
	tap_skip_all "not root: installs a package and loads modules"
fi
deb=$(ls "$top"/build/deb/nrtls_*_amd64.deb 2> /dev/null | tail -n 1)
if [ -z "$deb" ] || [ -z "${NRTLS_KO:-}" ]; then
	tap_skip_all "needs NRTLS_KO and build/deb/nrtls_*_amd64.deb (make deb)"
fi
if dpkg-query -W nrtls > /dev/null 2>&1; then
	tap_skip_all "the nrtls package is already installed here; not touching it"
fi
ver=$(dpkg-deb -f "$deb" Version)
dkmsdir=/lib/modules/$krel/updates/dkms
ko=
[ -d /sys/module/nrtls_nic ] && rmmod nrtls_nic
[ -d /sys/module/nrtls ] && rmmod nrtls

# DKMS builds for the running kernel and for the newest in /boot.  Only the
# running one is tested here, and a build takes minutes in a TCG guest: in a
# mount namespace of its own, dpkg sees a /boot with this kernel's files only.
install_deb() {
	cp /boot/config-"$krel" /boot/System.map-"$krel" "$boot"/ 2> /dev/null
	unshare -m sh -c 'mount --bind "$1" /boot && dpkg -i "$2"' sh "$boot" "$deb"
}
t "dpkg -i installs it, DKMS builds and installs nrtls.ko and nrtls_nic.ko for $krel" \
	'install_deb > "$log" 2>&1 &&
	 dkms status -m nrtls -v "$ver" -k "$krel" | grep -q ": installed" &&
	 ko=$(ls "$dkmsdir"/nrtls.ko* 2> /dev/null) && [ -f "$ko" ] &&
	 [ -f "$(ls "$dkmsdir"/nrtls_nic.ko* 2> /dev/null)" ]'
echo "# dpkg -i took $SECONDS s: $(grep -o "Building for .*" "$log")"
t "the DKMS build added BTF with every kfunc resolved" \
	'grep -q "kfuncs resolved with their flags" /var/lib/dkms/nrtls/"$ver"/"$krel"/x86_64/log/make.log'
t "DKMS signed it (with its own key, as on a host without one)" \
	'[ -n "$ko" ] && [ -n "$(modinfo -F signer "$ko")" ] && [ -f /var/lib/dkms/mok.pub ]'
if rmmod tls 2> /dev/null; then
	t "modprobe nrtls loads it, and tls first" \
		'modprobe nrtls $params 2> "$log" && [ -d /sys/module/tls ] &&
		 [ "$(cat /sys/module/nrtls/version)" = "$ver" ]'
else
	n=$((n + 1))
	echo "ok $n - modprobe nrtls loads tls first # SKIP tls is in use here, cannot unload it"
	t "modprobe nrtls loads it" \
		'modprobe nrtls $params 2> "$log" && [ "$(cat /sys/module/nrtls/version)" = "$ver" ]'
fi
t "its kfuncs are registered (module BTF loaded)" \
	'bpftool btf dump file /sys/kernel/btf/nrtls 2> "$log" | grep -q "FUNC .nrtls_ctx_release."'
t "the installed nrtlsctl status sees it" \
	'/usr/bin/nrtlsctl status > "$log" 2>&1 && grep -q "$ver" "$log"'
t "ip(8) finds the installed link plugin" \
	'ip link help nrtls 2>&1 | grep -q "personality { mlx5 | cxgb4 }"'
t "the systemd unit is installed, not enabled" \
	'[ -f /lib/systemd/system/nrtls-serve.service ] &&
	 [ -z "$(find /etc/systemd/system -name nrtls-serve.service 2> /dev/null)" ]'
t "pkg-config finds libnrtls, and nrtls-serve runs" \
	'[ "$(pkg-config --modversion libnrtls)" = "$ver" ] &&
	 /usr/bin/nrtls-serve --version | grep -q "$ver"'
t "modprobe -r nrtls unloads it" 'modprobe -r nrtls && [ ! -d /sys/module/nrtls ]'
dpkg-query -L nrtls > "$log.files" 2> /dev/null
t "dpkg -r removes the package, the DKMS tree and the module" \
	'dpkg -r nrtls > "$log" 2>&1 && [ -z "$(ls "$dkmsdir"/nrtls*.ko* 2> /dev/null)" ] &&
	 [ ! -e /var/lib/dkms/nrtls ] &&
	 [ ! -e /usr/src/nrtls-"$ver" ] && ! modprobe -n nrtls 2> /dev/null'
echo "# dpkg -r done $SECONDS s from the start"
t "no file of the package is left" \
	'left=; while read -r f; do
	     [ ! -d "$f" ] && { [ -f "$f" ] || [ -L "$f" ]; } && left="$left $f"; done < "$log.files";
	 [ -s "$log.files" ] && [ -z "$left" ] || { echo "left:$left" > "$log"; false; }'
modprobe tls
# shellcheck disable=SC2086
t "modules loaded again for the rest of the suite" \
	'{ [ -d /sys/module/nrtls ] || insmod "$NRTLS_KO" $params; } &&
	 { [ -d /sys/module/nrtls_nic ] || insmod "$NRTLS_NIC_KO"; }'
tap_done
