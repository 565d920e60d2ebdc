#!/bin/sh
# The two things module BTF needs that Debian's 6.1 headers do not ship,
# made once from Debian's own packages and cached under build/tools/
# (or $NRTLS_TOOLS):
#
#   btf-tools.sh vmlinux KREL          -> path of KREL's vmlinux (from
#                                         /boot/vmlinuz-KREL, for its BTF)
#   btf-tools.sh resolve_btfids KREL   -> path of a resolve_btfids binary
#                                         (built from linux-source-X.Y)
#
# The Debian package ships both, made at 'make deb' time, for the kernels
# whose headers lack them (6.1): $NRTLS_BTF_TOOLS/resolve_btfids-X.Y and
# $NRTLS_BTF_TOOLS/extract-vmlinux, so DKMS needs no kernel source.
set -eu

what=$1
krel=$2
top=$(cd "$(dirname "$0")/.." && pwd)
series=$(echo "$krel" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
tools=${NRTLS_TOOLS:-$top/build/tools}
shipped=${NRTLS_BTF_TOOLS:-}

source_tree() {
	"$top/scripts/ksource.sh" "$series"
}

case "$what" in
vmlinux)
	out=$tools/$krel/vmlinux
	if [ ! -s "$out" ]; then
		img=/boot/vmlinuz-$krel
		if [ ! -r "$img" ]; then
			echo "nrtls: $img missing; module BTF needs the kernel image: apt-get install linux-image-$krel" >&2
			exit 1
		fi
		if [ -n "$shipped" ] && [ -r "$shipped/extract-vmlinux" ]; then
			extract=$shipped/extract-vmlinux
		else
			extract=$(source_tree)/scripts/extract-vmlinux
		fi
		mkdir -p "$tools/$krel"
		sh "$extract" "$img" > "$out.tmp"
		if ! readelf -SW "$out.tmp" | grep -q ' \.BTF '; then
			echo "nrtls: $img has no BTF (CONFIG_DEBUG_INFO_BTF off?)" >&2
			rm -f "$out.tmp"
			exit 1
		fi
		mv "$out.tmp" "$out"
	fi
	echo "$out"
	;;
resolve_btfids)
	if [ -n "$shipped" ] && [ -x "$shipped/resolve_btfids-$series" ]; then
		echo "$shipped/resolve_btfids-$series"
		exit 0
	fi
	out=$tools/resolve_btfids-$series/resolve_btfids
	if [ ! -x "$out" ]; then
		if [ ! -e /usr/include/gelf.h ]; then
			echo "nrtls: building resolve_btfids needs libelf: apt-get install libelf-dev" >&2
			exit 1
		fi
		src=$(source_tree)
		mkdir -p "$(dirname "$out")"
		if ! make -s -C "$src/tools/bpf/resolve_btfids" \
			O="$(dirname "$out")" -j"$(nproc)" > "$tools/resolve_btfids-$series.log" 2>&1; then
			cat "$tools/resolve_btfids-$series.log" >&2
			echo "nrtls: building resolve_btfids from linux-source-$series failed" >&2
			exit 1
		fi
	fi
	echo "$out"
	;;
*)
	echo "usage: btf-tools.sh vmlinux|resolve_btfids KREL" >&2
	exit 2
	;;
esac
