#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unit tests of nrtls-serve's parser and responses (make host-tests).
cd "$(dirname "$0")/../.." || exit 1
bin=build/user/test/test_http
if [ ! -x $bin ]; then
	echo "1..1"
	echo "not ok 1 - $bin missing (make host-tests)"
	exit 1
fi
exec $bin
