#!/bin/sh
# Extract the parts of Debian's kernel source package that nrtls builds
# with (tools/ for resolve_btfids and the kselftest harness, scripts/ for
# extract-vmlinux), once, under build/tools/ (or $NRTLS_TOOLS).  Prints the tree's path.
#
#   ksource.sh SERIES     e.g. 6.1
set -eu

series=$1
top=$(cd "$(dirname "$0")/.." && pwd)
tools=${NRTLS_TOOLS:-$top/build/tools}
srcpkg=/usr/src/linux-source-$series.tar.xz
dir=$tools/linux-source-$series

if [ ! -e "$dir/.extracted" ]; then
	if [ ! -r "$srcpkg" ]; then
		echo "nrtls: $srcpkg missing: apt-get install linux-source-$series (or run 'make deps')" >&2
		exit 1
	fi
	rm -rf "$dir"
	mkdir -p "$tools"
	tar -C "$tools" -xf "$srcpkg" "linux-source-$series/tools" \
		"linux-source-$series/scripts" \
		"linux-source-$series/include/linux/btf_ids.h" \
		"linux-source-$series/Makefile" >&2
	touch "$dir/.extracted"
fi
echo "$dir"
