#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host-side tests: no module, no VM.  Runs every selftests/host/test_*.sh
# from the checkout's root and prints their TAP.  Needs 'make' (both
# kernels, for the module checks) and 'make selftests' first.
cd "$(dirname "$0")/../.." || exit 1
status=0
echo "TAP version 13"
for t in selftests/host/test_*.sh; do
	echo "# selftests: nrtls-host: $(basename "$t" .sh)"
	"$t" || status=1
done
exit $status
