#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nrtlsctl without the module (the host cannot load it); the VM suite's
# nrtlsctl.sh covers a loaded module.
cd "$(dirname "$0")/../.." || exit 1
ctl=build/user/bin/nrtlsctl
. selftests/lib/tap.sh
if [ -d /sys/module/nrtls ]; then
	tap_skip_all "nrtls is loaded on this host; the VM suite tests that case"
fi
t "status says not loaded and exits 1" \
	'out=$("$ctl" status); [ $? -eq 1 ] && [ "$out" = "nrtls: not loaded (insmod nrtls.ko)" ]'
t "status --json says so too" '[ "$("$ctl" status --json)" = "{\"loaded\":false}" ]'
t "contexts says not loaded and exits 1" \
	'out=$("$ctl" contexts 2>&1); [ $? -eq 1 ] && [ "$out" = "nrtls: not loaded (insmod nrtls.ko)" ]'
t "contexts --json says so on stdout, as JSON, and exits 1" \
	'out=$("$ctl" contexts --json 2> /dev/null); [ $? -eq 1 ] && [ "$out" = "{\"loaded\":false}" ] &&
	 [ -z "$("$ctl" contexts --json 2>&1 > /dev/null)" ]'
t "--version names the version of kmod/version.h" \
	'v=$(sed -n "s/^#define NRTLS_VERSION \"\(.*\)\"$/\1/p" kmod/version.h);
	 [ -n "$v" ] && [ "$("$ctl" --version)" = "nrtlsctl $v" ] &&
	 [ "$(build/user/bin/nrtls-serve --version)" = "nrtls-serve $v" ]'
t "--help exits 0 and shows usage" '"$ctl" --help | grep -q "^usage: nrtlsctl status"'
t "unknown commands and options exit 2" \
	'"$ctl" frob 2> /dev/null; a=$?; "$ctl" status --bad 2> /dev/null; b=$?; [ $a -eq 2 ] && [ $b -eq 2 ]'
# Options that take a value, given none: named, exit 2.  (No device by
# that name: nothing is attached here whatever the parsing does.)
for args in "rx attach nrtls-nodev --port" "rx status --netns" "steer attach nrtls-nodev --policy" \
	"steer rule add nrtls-nodev 10.0.0.0/8 --port" "steer status --netns" \
	"drain nrtls-nodev --wait" "drain nrtls-nodev --netns"; do
	opt=${args##* }
	t "$args: says option $opt needs a value, exits 2" \
		'out=$("$ctl" $args 2>&1); [ $? -eq 2 ] && [ "$out" = "nrtlsctl: option $opt needs a value" ]'
done
t "a bad --policy after a good one is refused, exit 2" \
	'out=$("$ctl" steer attach nrtls-nodev --policy hash --policy bogus 2>&1); [ $? -eq 2 ] &&
	 [ "$out" = "nrtlsctl: --policy: '"'bogus'"' is not hash, least-loaded or map" ]'
tap_done
