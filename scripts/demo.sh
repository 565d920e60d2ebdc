#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: runs in the guest (or as root on a host with nrtls loaded) and
# shows what the module is doing: its device, parameters and live state.
set -u
dbg=/sys/kernel/debug/nrtls
section() { printf '\n== %s\n' "$*"; }

if [ ! -d /sys/module/nrtls ]; then
	echo "demo: nrtls is not loaded (insmod kmod/nrtls.ko)" >&2
	exit 1
fi
section "nrtls $(cat /sys/module/nrtls/version) on $(uname -r)"
ls -l /dev/nrtls
section "parameters"
for p in /sys/module/nrtls/parameters/*; do
	printf '%-12s %s\n' "$(basename "$p")" "$(cat "$p")"
done
section "kfuncs in the module's BTF (for XDP and TC programs)"
id=$(bpftool btf list | awk '/name \[nrtls\]/ { sub(":", "", $1); print $1 }')
bpftool btf dump id "$id" -B /sys/kernel/btf/vmlinux |
	sed -n "s/^\[[0-9]*\] FUNC '\(nrtls_xdp_ctx_lookup\|nrtls_skb_ctx_lookup\|nrtls_ctx_release\)'.*/  \1/p"
section "live objects ($dbg/counters)"
cat $dbg/counters
section "events ($dbg/events)"
cat $dbg/events
section "contexts ($dbg/contexts)"
cat $dbg/contexts
section "fault injection sites ($dbg/fault)"
cat $dbg/fault
