#!/bin/sh
# Build nrtls.ko for one kernel, with verified module BTF, and the
# emulated NIC's nrtls_nic.ko beside it.
#
#   build-kmod.sh KDIR OUTDIR
#
# Kbuild runs in OUTDIR/kmod, a tree of symlinks to kmod/, so that builds
# for several kernels do not share object files.  The results are
# OUTDIR/nrtls.ko and OUTDIR/nrtls_nic.ko.  Where the headers ship no
# vmlinux (Debian's 6.1), Kbuild skips module BTF; nrtls.ko's is then
# added here with pahole and resolve_btfids against the kernel's own BTF,
# made from Debian's packages.
set -eu

kdir=$1
out=$2
top=$(cd "$(dirname "$0")/.." && pwd)

uts=$kdir/include/generated/utsrelease.h
if [ ! -r "$uts" ] || [ ! -r "$kdir/Makefile" ]; then
	echo "nrtls: $kdir is not a configured kernel build tree: install the kernel's headers (linux-headers-...)" >&2
	exit 1
fi
# Debian's 6.1 kernel.release says 6.1.N; UTS_RELEASE is what uname -r says.
krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$uts")
for t in gcc:build-essential make:make pahole:dwarves bpftool:bpftool \
	objcopy:binutils readelf:binutils; do
	if ! command -v "${t%%:*}" > /dev/null; then
		echo "nrtls: ${t%%:*} not found: apt-get install ${t#*:} (or run 'make deps')" >&2
		exit 1
	fi
done

mkdir -p "$out/kmod"
out=$(cd "$out" && pwd)
# Link sources only: a module left in kmod/ must not become Kbuild's output.
(cd "$top/kmod" && find . -type f \( -name '*.[ch]' -o -name Kbuild \)) |
	while read -r f; do
		mkdir -p "$out/kmod/$(dirname "$f")"
		ln -sf "$top/kmod/$f" "$out/kmod/$f"
	done
find "$out/kmod" -xtype l -delete

make -C "$kdir" M="$out/kmod" -j"$(nproc)" modules
built=$out/kmod/nrtls.ko

if [ -f "$kdir/vmlinux" ]; then
	base=$kdir/vmlinux
	if [ "$built" -nt "$out/nrtls.ko" ] || [ ! -e "$out/nrtls.ko" ]; then
		cp "$built" "$out/nrtls.ko.tmp"
	fi
else
	if [ "$krel" = "$(uname -r)" ] && [ -r /sys/kernel/btf/vmlinux ]; then
		base=/sys/kernel/btf/vmlinux
	else
		base=$("$top/scripts/btf-tools.sh" vmlinux "$krel")
	fi
	if [ "$built" -nt "$out/nrtls.ko" ] || [ ! -e "$out/nrtls.ko" ]; then
		if [ -x "$kdir/tools/bpf/resolve_btfids/resolve_btfids" ]; then
			rbt=$kdir/tools/bpf/resolve_btfids/resolve_btfids
		else
			rbt=$("$top/scripts/btf-tools.sh" resolve_btfids "$krel")
		fi
		flags="--btf_gen_floats -j"
		if [ -x "$kdir/scripts/pahole-flags.sh" ]; then
			flags=$(PAHOLE=pahole "$kdir/scripts/pahole-flags.sh")
		fi
		cp "$built" "$out/nrtls.ko.tmp"
		echo "  BTF [M] $out/nrtls.ko (base $base)"
		# shellcheck disable=SC2086
		LLVM_OBJCOPY=objcopy pahole -J $flags --btf_base "$base" "$out/nrtls.ko.tmp"
		"$rbt" -b "$base" "$out/nrtls.ko.tmp"
	fi
fi
if [ -e "$out/nrtls.ko.tmp" ]; then
	if ! "$top/scripts/check-btf.sh" "$out/nrtls.ko.tmp" "$base" "$out/kmod/nrtls.o"; then
		rm -f "$out/nrtls.ko.tmp" "$out/nrtls.ko"
		exit 1
	fi
	mv "$out/nrtls.ko.tmp" "$out/nrtls.ko"
fi
# The emulated NIC has no kfuncs: no BTF step of its own.
cp -p "$out/kmod/nic/nrtls_nic.ko" "$out/nrtls_nic.ko"
echo "$base" > "$out/btf-base"
