#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nrtlsctl with the module loaded: text and JSON status.
ctl=$(dirname "$0")/../build/user/bin/nrtlsctl
. "$(dirname "$0")/lib/tap.sh"
echo "TAP version 13"
if [ "$(id -u)" -ne 0 ]; then
	tap_skip_all "not root: nrtlsctl reads debugfs"
fi
if [ ! -e /sys/module/nrtls ]; then
	tap_skip_all "nrtls is not loaded (modprobe nrtls)"
fi
if [ ! -x "$ctl" ]; then
	echo "1..1"
	echo "not ok 1 - $ctl missing (make userspace)"
	exit 1
fi
text=$("$ctl" status); rc=$?
json=$("$ctl" status --json)
version=$(cat /sys/module/nrtls/version)
t "status exits 0 when loaded" '[ $rc -eq 0 ]'
t "text names the version" 'echo "$text" | grep -q "^nrtls: loaded, version $version"'
t "text lists parameters and live objects" \
	'echo "$text" | grep -q "^  max_ctx " && echo "$text" | grep -q "^  sockets *0$"'
t "json: loaded, version, device" \
	'echo "$json" | grep -q "^{\"loaded\":true,\"version\":\"$version\",\"device\":\"/dev/nrtls\""'
t "json: parameters, counters and events are objects of numbers" \
	'echo "$json" | grep -Eq "\"parameters\":\{(\"[a-z_]+\":[^,}]+,?)+\}" &&
	 echo "$json" | grep -Eq "\"counters\":\{(\"[a-z_]+\":[0-9]+,?)+\}" &&
	 echo "$json" | grep -Eq "\"events\":\{(\"[a-z_]+\":[0-9]+,?)+\}"'
t "json: one line, braces balanced" \
	'[ "$(echo "$json" | wc -l)" -eq 1 ] &&
	 [ "$(echo "$json" | tr -cd "{" | wc -c)" -eq "$(echo "$json" | tr -cd "}" | wc -c)" ]'
t "usage errors exit 2" '"$ctl" frobnicate 2> /dev/null; [ $? -eq 2 ] && ! "$ctl" 2> /dev/null'
tap_done
