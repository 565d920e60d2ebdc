#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# link_nrtls.so, the "nrtls" link type for ip(8): its help and its answers
# to bad options, which need no module (the VM suite creates devices).
cd "$(dirname "$0")/../.." || exit 1
export IP_LIB_DIR=build/user/ip
n=0 fails=0
t() {
	n=$((n + 1))
	if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fails=$((fails + 1)); fi
}
bad() {
	out=$(ip link add nrtls-x type nrtls "$@" 2>&1)
	[ $? -ne 0 ]
}
t "ip link help nrtls shows the options" \
	'ip link help nrtls 2>&1 | grep -q "\[ mode { nic | lag } \]"'
t "ip link help nrtls shows the wrapper's vlan" 'ip link help nrtls 2>&1 | grep -q "\[ vlan VID \]"'
t "an unknown option is named" 'bad frob 1 && echo "$out" | grep -q "unknown option \"frob\""'
t "a bad number is refused" 'bad ring 12x && echo "$out" | grep -q "\"12x\" is not a valid ring"'
t "a negative number is refused" 'bad latency -5 && echo "$out" | grep -q "not a valid latency"'
t "an unknown mode is refused" 'bad mode star && echo "$out" | grep -q "unknown mode \"star\""'
t "an unknown personality is refused" \
	'bad personality e1000 && echo "$out" | grep -q "unknown personality \"e1000\""'
t "an option without its value is refused" 'bad credits && echo "$out" | grep -q "needs a value"'
t "the peer cannot have another type" \
	'bad peer name p type veth && echo "$out" | grep -q "the peer.s type is nrtls too"'
echo "1..$n"
[ $fails -eq 0 ]
