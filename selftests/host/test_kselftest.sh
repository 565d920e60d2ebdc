#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The selftests' kselftest side: the config fragment matches the kernels
# they run on, a test that cannot run skips with its reason and exit status
# 4, and selftests/Makefile runs them under kselftest's runner.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/tap.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

# Every option of selftests/config is built in (=y) or at least a module
# (=m) in the kernels make check boots.
config_ok() {
	local cfg=/boot/config-$1 opt want got bad=0
	[ -r "$cfg" ] || return 1
	while IFS='=' read -r opt want; do
		case $opt in CONFIG_*) ;; *) continue ;; esac
		got=$(sed -n "s/^$opt=//p" "$cfg")
		case $want:$got in
		y:y | m:y | m:m) ;;
		*)
			echo "# $1: $opt=${got:-n}, the tests need $want"
			bad=1
			;;
		esac
	done < selftests/config
	return $bad
}
for k in 6.1 6.12; do
	krel=$(scripts/krel.sh "$k" 2> /dev/null)
	t "selftests/config: every option is set in $krel" 'config_ok "$krel"'
done
t "selftests/config names the options the suites use (tls, io_uring, null_blk, fuse, veth)" \
	'[ "$(grep -cE "^CONFIG_(TLS|TLS_DEVICE|IO_URING|BLK_DEV_NULL_BLK|FUSE_FS|VETH|MEMCG|DEBUG_INFO_BTF_MODULES)=" \
	      selftests/config)" -eq 8 ]'

# A test binary run as an ordinary user, and as root without the module.
krel=$(scripts/krel.sh 6.1 2> /dev/null)
bin=build/$krel/selftests/nrtls_basic
cp "$bin" "$tmp/" 2> /dev/null && chmod 755 "$tmp/nrtls_basic"
t "a test binary as an ordinary user: a skip plan saying not root, exit 4" \
	'out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/nrtls_basic");
	 [ $? -eq 4 ] && echo "$out" | grep -q "^1\.\.0 # SKIP not root"'
t "a shell test as an ordinary user: the same" \
	'out=$(setpriv --reuid=65534 --regid=65534 --clear-groups bash selftests/nrtlsctl.sh);
	 [ $? -eq 4 ] && echo "$out" | grep -q "^1\.\.0 # SKIP not root"'
if [ -e /dev/nrtls ]; then
	tap_skip "as root without the module: a skip plan saying no /dev/nrtls, exit 4" \
		"nrtls is loaded on this host"
	tap_skip "make -C selftests run_tests: every test skips under kselftest's runner" \
		"nrtls is loaded on this host"
else
	t "as root without the module: a skip plan saying no /dev/nrtls, exit 4" \
		'out=$("$tmp/nrtls_basic"); [ $? -eq 4 ] && echo "$out" | grep -q "^1\.\.0 # SKIP no /dev/nrtls"'
	# Those that need the module (nrtls_serve runs without it, in
	# test_serve.sh, and nrtls_ktls_rx and nrtls_ktls_tx need only the
	# kernel's kTLS);
	# load_unload, modprobe and package run only with NRTLS_KO.
	progs=$(cd selftests && ls nrtls_*.c | sed 's/\.c$//' |
		grep -vx -e nrtls_serve -e nrtls_ktls_rx -e nrtls_ktls_tx | tr '\n' ' ')
	make -s -C selftests KVER=6.1 TEST_GEN_PROGS="$progs" run_tests > "$tmp/ksft.tap" 2>&1 < /dev/null
	rc=$?
	total=$(($(echo $progs | wc -w) + $(cd selftests && ls ./*.sh | grep -cvx ./run.sh)))
	t "make -C selftests run_tests: kselftest's runner, every test skips ($total)" \
		'[ $rc -eq 0 ] && grep -qx "1\.\.$total" "$tmp/ksft.tap" &&
		 [ "$(grep -c "^ok [0-9]* selftests: .* # SKIP$" "$tmp/ksft.tap")" -eq "$total" ]'
	grep -v "^ok\|^#\|^TAP\|^1\.\." "$tmp/ksft.tap" | head -5 | sed 's/^/# /'
fi
t "emit_tests lists the C tests and the shell tests" \
	'out=$(make -s -C selftests KVER=6.1 emit_tests) &&
	 echo "$out" | grep -qx nrtls:nrtls_basic && echo "$out" | grep -qx nrtls:load_unload.sh'
tap_done
