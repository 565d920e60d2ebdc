#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The HTTP parser under libFuzzer for a bounded time (NRTLS_FUZZ_SECONDS,
# default 30), from the checked-in seed corpus.  A crash fails the test
# and leaves the input in build/user/fuzz/.
cd "$(dirname "$0")/../.." || exit 1
bin=build/user/fuzz/fuzz_http
secs=${NRTLS_FUZZ_SECONDS:-30}
echo "1..1"
if [ ! -x $bin ]; then
	echo "not ok 1 - $bin missing (make fuzz)"
	exit 1
fi
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp userspace/serve/fuzz-corpus/* "$corpus/"
if out=$(cd build/user/fuzz && ./fuzz_http -max_total_time="$secs" -max_len=4096 \
	-print_final_stats=1 "$corpus" 2>&1); then
	runs=$(echo "$out" | sed -n 's/^stat::number_of_executed_units: *//p')
	echo "ok 1 - HTTP parser fuzzed for ${secs}s (${runs:-?} inputs), no crash"
else
	echo "not ok 1 - HTTP parser fuzzing found a crash"
	echo "$out" | grep -E "ERROR|SUMMARY|Test unit written" | sed 's/^/# /'
	exit 1
fi
