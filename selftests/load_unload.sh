#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Load and unload nrtls.ko and nrtls_nic.ko 20 times in a row, using them
# in between (device, counters, the workqueue's cpumask in sysfs, a NIC
# pair left for the unload to delete), then leave them loaded.
# Needs NRTLS_KO and NRTLS_NIC_KO (the runner in the VM sets them).
ROUNDS=20
. "$(dirname "$0")/lib/tap.sh"
echo "TAP version 13"
if [ "$(id -u)" -ne 0 ]; then
	tap_skip_all "not root: loads and unloads the module"
fi
if [ -z "${NRTLS_KO:-}" ] || [ ! -r "$NRTLS_KO" ] || [ ! -r "${NRTLS_NIC_KO:-}" ]; then
	tap_skip_all "needs NRTLS_KO and NRTLS_NIC_KO (paths of nrtls.ko, nrtls_nic.ko)"
fi
echo "1..2"
params=${NRTLS_MODPARAMS:-}
wq=/sys/devices/virtual/workqueue/nrtls	# the push workqueue's CPUs (WQ_SYSFS)
fail=
if [ -d /sys/module/nrtls_nic ] && ! rmmod nrtls_nic; then
	fail="initial rmmod nrtls_nic failed"
elif [ -d /sys/module/nrtls ] && ! rmmod nrtls; then
	fail="initial rmmod failed"
fi
i=0
while [ -z "$fail" ] && [ $i -lt $ROUNDS ]; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	if ! insmod "$NRTLS_KO" $params || ! insmod "$NRTLS_NIC_KO"; then
		fail="insmod failed in round $i"
	elif ! ip link add nrtls-lu0 type nrtls; then
		fail="no NIC pair in round $i"
	elif rmmod nrtls 2> /dev/null; then
		fail="nrtls unloaded under nrtls_nic in round $i"
	elif ! rmmod nrtls_nic || ip link show nrtls-lu0 > /dev/null 2>&1; then
		fail="rmmod nrtls_nic failed or left its NICs in round $i"
	elif [ ! -c /dev/nrtls ] || ! exec 3<> /dev/nrtls; then
		fail="no usable /dev/nrtls in round $i"
	elif exec 3>&- && ! grep -q '^contexts 0$' /sys/kernel/debug/nrtls/counters; then
		fail="counters not readable in round $i"
	elif ! mask=$(cat $wq/cpumask) || ! echo "$mask" > $wq/cpumask; then
		fail="no settable $wq/cpumask in round $i"
	elif ! rmmod nrtls; then
		fail="rmmod failed in round $i"
	elif [ -e /dev/nrtls ] || [ -d /sys/kernel/debug/nrtls ] || [ -e $wq ]; then
		fail="device, debugfs or workqueue left after rmmod in round $i"
	fi
done
if [ -z "$fail" ]; then
	echo "ok 1 load and unload $ROUNDS times"
else
	echo "not ok 1 load and unload $ROUNDS times: $fail"
fi
# shellcheck disable=SC2086
if { [ -d /sys/module/nrtls ] || insmod "$NRTLS_KO" $params; } &&
	{ [ -d /sys/module/nrtls_nic ] || insmod "$NRTLS_NIC_KO"; }; then
	echo "ok 2 module loaded again for the rest of the suite"
else
	echo "not ok 2 module loaded again for the rest of the suite"
	fail=1
fi
[ -z "$fail" ]
