#!/bin/sh
# checkpatch --strict over kmod/, with checkpatch.pl from Debian's
# linux-source-6.1.  Prints nothing and exits 0 when clean.  The only
# exceptions are where the rule cannot apply:
#   compat.h      version checks are what the compat header is for
#   uapi/linux/nrtls.h  BIT() does not exist for userspace
#   trace.h       TRACE_EVENT() is laid out the kernel's way
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cp=$("$top/scripts/ksource.sh" 6.1)/scripts/checkpatch.pl
cd "$top"
run() {
	perl "$cp" --no-tree --terse --strict --quiet "$@" || true
}
{
	run $(ls kmod/*.c kmod/*.h kmod/nic/*.c kmod/nic/*.h |
	      grep -v -e kmod/compat.h -e kmod/trace.h) -f
	run --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f kmod/compat.h
	run --ignore BIT_MACRO -f kmod/uapi/linux/nrtls.h
	run --ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT -f kmod/trace.h
} | grep -v '^total: 0 errors, 0 warnings, 0 checks' | tee /dev/stderr | grep -q . && exit 1
exit 0
