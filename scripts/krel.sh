#!/bin/sh
# Map a kernel version selector to an installed Debian kernel release.
#
#   krel.sh 6.1     -> e.g. 6.1.0-56-amd64
#   krel.sh 6.12    -> e.g. 6.12.117+deb12-amd64
#   krel.sh RELEASE -> RELEASE, if its headers are installed
#
#   krel.sh --image SEL  also require /boot/vmlinuz-KREL and its modules
#
# Prints the release on stdout; on failure says which package to install.
set -eu

need_image=
if [ "${1:-}" = --image ]; then
	need_image=1
	shift
fi
sel=${1:-6.1}

case "$sel" in
6.1) pkg_headers=linux-headers-amd64 pkg_image=linux-image-amd64 ;;
6.12) pkg_headers=linux-headers-6.12-amd64 pkg_image=linux-image-6.12-amd64 ;;
*) pkg_headers="linux-headers-$sel" pkg_image="linux-image-$sel" ;;
esac

pick() {
	# Highest installed release whose headers exist, for this series.
	for d in /usr/src/linux-headers-"$sel".*-amd64 /usr/src/linux-headers-"$sel"-amd64; do
		[ -e "$d/Makefile" ] || continue
		basename "$d" | sed 's/^linux-headers-//'
	done | sort -V | tail -n 1
}

case "$sel" in
6.1 | 6.12) krel=$(pick) ;;
*) krel=$sel ;;
esac

if [ -z "$krel" ] || [ ! -e "/lib/modules/$krel/build/Makefile" ]; then
	echo "nrtls: no kernel headers for '$sel': apt-get install $pkg_headers (or run 'make deps')" >&2
	exit 1
fi
if [ -n "$need_image" ]; then
	if [ ! -r "/boot/vmlinuz-$krel" ] || [ ! -d "/lib/modules/$krel/kernel" ]; then
		echo "nrtls: no kernel image for $krel: apt-get install $pkg_image (or run 'make deps')" >&2
		exit 1
	fi
fi
echo "$krel"
