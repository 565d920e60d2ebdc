#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nrtls-serve on the host: no module, so responses take the splice path,
# and HTTPS falls back to TLS in userspace if the host has no kTLS.  The
# same test binary runs in the VM suite, with nrtls.ko and kTLS.
cd "$(dirname "$0")/../.." || exit 1
bin=build/$(scripts/krel.sh 6.1 2> /dev/null)/selftests/nrtls_serve
if [ ! -x "$bin" ] || [ ! -x build/user/bin/nrtls-serve ]; then
	echo "1..1"
	echo "not ok 1 - $bin or build/user/bin/nrtls-serve missing (make selftests userspace)"
	exit 1
fi
exec "$bin"
