#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make install into a scratch DESTDIR, then build a program against the
# installed libnrtls with pkg-config, linked shared and static, and run it.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/tap.sh
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
prefix=/opt/nrtls-test
root=$dest$prefix
t "make install PREFIX=$prefix DESTDIR=..." \
	'make -s install PREFIX=$prefix DESTDIR="$dest" > "$dest/log" 2>&1'
t "installs the programs, libraries, headers, pkg-config file, unit" \
	'[ -x $root/bin/nrtls-serve ] && [ -x $root/bin/nrtlsctl ] &&
	 [ -f $root/lib/libnrtls.a ] && [ -L $root/lib/libnrtls.so ] &&
	 [ -f $root/include/libnrtls.h ] && [ -f $root/include/linux/nrtls.h ] &&
	 grep -q "^prefix=$prefix$" $root/lib/pkgconfig/libnrtls.pc &&
	 grep -q "^ExecStart=$prefix/bin/nrtls-serve" $root/share/nrtls/nrtls-serve.service &&
	 grep -q "ATTR{nice}" $root/share/nrtls/60-nrtls.rules'
t "and the BPF headers, a modules-load.d file, the pkg-config libdir" \
	'[ -f $root/include/nrtls/nrtls_kfuncs.h ] && [ -f $root/include/nrtls/nrtls_flow.bpf.h ] &&
	 grep -qx nrtls $root/share/nrtls/modules-load.conf &&
	 grep -qx "libdir=$prefix/lib" $root/lib/pkgconfig/libnrtls.pc'
iplib=$root/lib/ip
t "installs link_nrtls.so in the prefix, and ip loads it from there for both kinds" \
	'[ -f $iplib/link_nrtls.so ] &&
	 IP_LIB_DIR=$iplib ip link help nrtls 2>&1 | grep -q "personality { mlx5 | cxgb4 }" &&
	 IP_LIB_DIR=$iplib ip link help nrtls_lag 2>&1 | grep -q "type nrtls_lag"'
t "puts nothing outside the prefix" '[ -z "$(find "$dest" -type f ! -path "$root/*" ! -name log)" ]'
cat > "$dest/prog.c" <<'PROG'
#include <stdio.h>
#include <liburing.h>
#include <libnrtls.h>

int main(void)
{
	struct io_uring ring;
	struct nrtls *n;

	if (io_uring_queue_init(8, &ring, 0))
		return 1;
	n = nrtls_new(&ring, NRTLS_F_NO_MODULE);
	if (!n)
		return 1;
	printf("%s\n", nrtls_path_name(nrtls_get_path(n)));
	nrtls_free(n);
	io_uring_queue_exit(&ring);
	return 0;
}
PROG
export PKG_CONFIG_PATH=$root/lib/pkgconfig
flags="$(pkg-config --cflags libnrtls | sed "s|$prefix|$root|g")"
libs="$(pkg-config --libs libnrtls | sed "s|$prefix|$root|g")"
t "a program builds against it, shared, and runs" \
	'cc -std=gnu11 -Wall -Wextra -Werror $flags -o "$dest/prog" "$dest/prog.c" $libs -luring &&
	 [ "$(LD_LIBRARY_PATH=$root/lib "$dest/prog")" = splice ]'
t "and static" \
	'cc -std=gnu11 -Wall -Wextra -Werror $flags -o "$dest/prog-static" "$dest/prog.c" \
	    $root/lib/libnrtls.a $(pkg-config --static --libs liburing libssl) &&
	 [ "$("$dest/prog-static")" = splice ]'
t "libnrtls.h compiles on its own as strict C11" \
	'echo "#include <libnrtls.h>" | cc -std=c11 -pedantic -Wall -Wextra -Werror $flags \
	    -x c -fsyntax-only -'
t "make uninstall removes it all" \
	'make -s uninstall PREFIX=$prefix DESTDIR="$dest" > /dev/null 2>&1 &&
	 [ -z "$(find "$root" ! -type d)" ] && [ ! -e $iplib/link_nrtls.so ]'
# The unit, installed for real under a scratch prefix, as systemd reads it.
unitroot=$dest/unit
make -s install PREFIX="$unitroot" > /dev/null 2>&1
unit=$unitroot/share/nrtls/nrtls-serve.service
t "the systemd unit passes systemd-analyze verify without a word" \
	'[ -z "$(systemd-analyze verify --man=no "$unit" 2>&1)" ]'
t "it is Type=notify, a dynamic user with a logs directory, tls loaded first" \
	'grep -qx "Type=notify" "$unit" && grep -qx "DynamicUser=yes" "$unit" &&
	 grep -qx "LogsDirectory=nrtls-serve" "$unit" &&
	 grep -qx "ExecStartPre=-+/sbin/modprobe -q tls" "$unit" &&
	 grep -q "^ExecReload=/bin/kill -HUP" "$unit"'
sysip=/usr/lib/$(cc -print-multiarch)/ip
t "IPLIBDIR=$sysip puts it where ip(8) looks, when asked" \
	'make -s install PREFIX=$prefix DESTDIR="$dest" IPLIBDIR=$sysip > /dev/null 2>&1 &&
	 [ -f "$dest$sysip/link_nrtls.so" ] &&
	 make -s uninstall PREFIX=$prefix DESTDIR="$dest" IPLIBDIR=$sysip > /dev/null 2>&1 &&
	 [ ! -e "$dest$sysip/link_nrtls.so" ] && [ ! -L "$dest$sysip/link_nrtls_lag.so" ] &&
	 [ ! -L "$dest$sysip/link_nrtls_lag_slave.so" ]'
# The Debian package: its contents (selftests/package.sh installs it in the VMs).
ver=$(sed -n 's/^#define NRTLS_VERSION "\(.*\)"$/\1/p' kmod/version.h)
t "dkms.conf has the module's version ($ver)" 'grep -qx "PACKAGE_VERSION=\"$ver\"" dkms.conf'
deb=$dest/deb/nrtls_${ver}_amd64.deb
t "make deb builds nrtls_${ver}_amd64.deb" \
	'make -s deb DEB="$dest/deb" > "$dest/log" 2>&1 && [ -f "$deb" ] &&
	 dpkg-deb -c "$deb" | awk "{ print \$6 }" | sed "s|^\./|/|" > "$dest/files"'
multi=/usr/lib/$(cc -print-multiarch)
t "it holds the DKMS source, and the userspace where Debian puts it" \
	'for f in /usr/src/nrtls-$ver/dkms.conf /usr/src/nrtls-$ver/kmod/Kbuild \
	    /usr/src/nrtls-$ver/kmod/nic/Kbuild /usr/src/nrtls-$ver/kmod/nic/nic.c \
	    /usr/src/nrtls-$ver/kmod/uapi/linux/nrtls.h /usr/src/nrtls-$ver/scripts/build-kmod.sh \
	    /usr/lib/nrtls/btf/resolve_btfids-6.1 /usr/lib/nrtls/btf/extract-vmlinux \
	    /usr/bin/nrtls-serve /usr/bin/nrtlsctl $multi/libnrtls.so.0 $multi/libnrtls.a \
	    $multi/pkgconfig/libnrtls.pc $multi/ip/link_nrtls.so $multi/ip/link_nrtls_lag.so \
	    $multi/ip/link_nrtls_lag_slave.so \
	    /usr/include/libnrtls.h \
	    /usr/include/nrtls/nrtls_kfuncs.h /lib/systemd/system/nrtls-serve.service \
	    /lib/udev/rules.d/60-nrtls.rules /usr/share/man/man8/nrtls-serve.8.gz; do
	     grep -qx "$f" "$dest/files" || { echo "# missing $f"; exit 1; }; done'
t "it depends on dkms and the BTF tools; its postinst hands the module to DKMS" \
	'dpkg-deb -f "$deb" Depends | grep -q "dkms.*dwarves, bpftool" &&
	 dpkg-deb -e "$deb" "$dest/ctl" && grep -q "^DKMS_NAME=nrtls$" "$dest/ctl/postinst" &&
	 grep -q "common.postinst" "$dest/ctl/postinst"'
tap_done
