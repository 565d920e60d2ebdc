#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# link_nrtls.so, the "nrtls", "nrtls_lag" and "nrtls_lag_slave" link types
# for ip(8): their
# help and their answers to bad options, which need no module (the VM suite
# creates devices).
cd "$(dirname "$0")/../.." || exit 1
export IP_LIB_DIR=build/user/ip
. selftests/lib/tap.sh
bad() {
	out=$(ip link add nrtls-x type nrtls "$@" 2>&1)
	[ $? -ne 0 ]
}
t "ip link help nrtls shows the options" \
	'ip link help nrtls 2>&1 | grep -q "\[ personality { mlx5 | cxgb4 } \]"'
t "ip link help nrtls points to the wrapper's own type" \
	'ip link help nrtls 2>&1 | grep -q "see ip link help nrtls_lag"'
t "ip link help nrtls_lag shows the wrapper's vlan" \
	'ip link help nrtls_lag 2>&1 | grep -q "type nrtls_lag \[ vlan VID \]"'
t "nrtls_lag names an option it does not know" \
	'! out=$(ip link add nrtls-x type nrtls_lag ring 3 2>&1) &&
	 echo "$out" | grep -q "unknown option \"ring\""'
t "nrtls_lag refuses a bad VLAN number" \
	'! out=$(ip link add nrtls-x type nrtls_lag vlan x1 2>&1) &&
	 echo "$out" | grep -q "\"x1\" is not a valid vlan"'
t "ip link help nrtls_lag_slave says what ip shows of a lower, and how to drain it" \
	'ip link help nrtls_lag_slave 2>&1 | grep -q "nrtls_lag_slave drain on|off" &&
	 ip link help nrtls_lag_slave 2>&1 | grep -q "nrtlsctl drain DEV"'
t "ip link set ... type nrtls_lag_slave points to nrtlsctl drain" \
	'! out=$(ip link set lo type nrtls_lag_slave drain on 2>&1) &&
	 echo "$out" | grep -q "use nrtlsctl drain DEV"'
t "an unknown option is named" 'bad frob 1 && echo "$out" | grep -q "unknown option \"frob\""'
t "a bad number is refused" 'bad ring 12x && echo "$out" | grep -q "\"12x\" is not a valid ring"'
t "a negative number is refused" 'bad latency -5 && echo "$out" | grep -q "not a valid latency"'
t "an unknown mode is refused" 'bad mode star && echo "$out" | grep -q "unknown mode \"star\""'
t "an unknown personality is refused" \
	'bad personality e1000 && echo "$out" | grep -q "unknown personality \"e1000\""'
t "an option without its value is refused" 'bad credits && echo "$out" | grep -q "needs a value"'
t "the peer cannot have another type" \
	'bad peer name p type veth && echo "$out" | grep -q "the peer.s type is nrtls too"'
tap_done
