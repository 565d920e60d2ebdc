#!/bin/sh
# Fail unless a module carries BTF that registers its kfuncs correctly:
#   - a .BTF section, split against BASE (the kernel's vmlinux BTF),
#   - a BTF FUNC for every kfunc in the module's kfunc set,
#   - every kfunc id in .BTF_ids resolved (non-zero), and paired with the
#     flags (KF_ACQUIRE, KF_RELEASE, ...) that the source gave it, as found
#     in REF, the linked object before any BTF processing.
# Without these the module loads but registers no kfuncs (silently), or
# registers them with each other's flags.
#
#   check-btf.sh MODULE.ko BASE REF.o
set -eu

ko=$1
base=$2
ref=$3
fail() {
	echo "nrtls: BTF check of $ko failed: $*" >&2
	exit 1
}

readelf -SW "$ko" | grep -q ' \.BTF ' || fail "no .BTF section (pahole missing or no vmlinux BTF)"
funcs=$(bpftool btf dump file "$ko" --base-btf "$base" 2> /dev/null |
	sed -n "s/^\[\([0-9]*\)\] FUNC '\([^']*\)'.*/\2 \1/p")
[ -n "$funcs" ] || fail "bpftool cannot read its BTF against $base"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
objcopy -O binary --only-section=.BTF_ids "$ko" "$tmp/ids"
objcopy -O binary --only-section=.BTF_ids "$ref" "$tmp/ref"
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }

# Where each set8 lies in the final section: offset of its pairs and count.
sets=$(readelf -sW "$ko" | awk '$8 ~ /^__BTF_ID__set8__/ { print $2 }')
n=0
for sym in $(readelf -sW "$ref" | awk '$8 ~ /^__BTF_ID__func__/ { print $2 "," $8 }'); do
	off=$((0x${sym%%,*}))
	name=$(echo "${sym#*,}" | sed -E 's/^__BTF_ID__func__//; s/__[0-9]+$//')
	want=$(u32 "$tmp/ref" $((off + 4)))
	id=$(echo "$funcs" | awk -v n="$name" '$1 == n { print $2 }')
	[ -n "$id" ] || fail "kfunc $name has no BTF FUNC"
	got=
	for s in $sets; do
		soff=$((0x$s))
		cnt=$(u32 "$tmp/ids" "$soff")
		i=0
		while [ $i -lt "$cnt" ]; do
			p=$((soff + 8 + i * 8))
			if [ "$(u32 "$tmp/ids" $p)" = "$id" ]; then
				got=$(u32 "$tmp/ids" $((p + 4)))
			fi
			i=$((i + 1))
		done
	done
	[ -n "$got" ] || fail "kfunc $name (BTF id $id) is not in any resolved kfunc set (resolve_btfids not run?)"
	[ "$got" = "$want" ] || fail "kfunc $name has flags $got, the source gave $want (resolve_btfids run twice?)"
	n=$((n + 1))
done
[ $n -gt 0 ] || fail "no kfuncs found in .BTF_ids"
echo "  BTF     $ko: $n kfuncs resolved with their flags"
