#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The build and its tools: kernel selection, module BTF checks, module
# metadata, ABI, style, the benchmarks' arguments, and the VM runner's
# argument handling.
cd "$(dirname "$0")/../.." || exit 1
n=0
fails=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	fails=$((fails + 1))
	echo "not ok $n - $1"
	[ -n "${2:-}" ] && echo "$2" | head -n 10 | sed 's/^/# /'
}
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "$out"; fi
}
# fails_with DESCRIPTION PATTERN COMMAND...: COMMAND must fail, saying PATTERN.
fails_with() {
	local desc=$1 pat=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		not_ok "$desc" "succeeded: $out"
	elif echo "$out" | grep -q -- "$pat"; then
		ok "$desc"
	else
		not_ok "$desc" "$out"
	fi
}



for k in 6.1 6.12; do
	krel=$(scripts/krel.sh "$k" 2> /dev/null)
	check "krel.sh $k names an installed kernel ($krel)" \
		test -n "$krel" -a -e "/lib/modules/$krel/build/Makefile"
	ko=build/$krel/nrtls.ko
	base=$(cat "build/$krel/btf-base" 2> /dev/null)
	check "$k: nrtls.ko has BTF with its kfuncs and their flags" \
		scripts/check-btf.sh "$ko" "$base" "build/$krel/kmod/nrtls.o"
	check "$k: vermagic is $krel" \
		sh -c "modinfo -F vermagic '$ko' | grep -q '^$krel '"
	check "$k: modinfo shows version, license and the max_ctx parameter" \
		sh -c "modinfo -F version '$ko' | grep -qx '[0-9.]*' &&
		       modinfo -F license '$ko' | grep -qx GPL &&
		       modinfo -F parm '$ko' | grep -q '^max_ctx:'"
	check "$k: nrtls_nic.ko needs nrtls (and imports its namespace), never the other way" \
		sh -c "modinfo -F depends 'build/$krel/nrtls_nic.ko' | grep -q '\\bnrtls\\b' &&
		       modinfo -F import_ns 'build/$krel/nrtls_nic.ko' | grep -qx NRTLS &&
		       ! modinfo -F depends '$ko' | grep -q nrtls_nic &&
		       modinfo -F alias 'build/$krel/nrtls_nic.ko' | grep -qx rtnl-link-nrtls &&
		       modinfo -F alias '$ko' | grep -qx rtnl-link-nrtls_lag"
done

fails_with "krel.sh names the package for missing headers" \
	"apt-get install linux-headers-9.99" scripts/krel.sh 9.99
fails_with "make KVER=9.99 fails and names the package" \
	"apt-get install linux-headers-9.99" make --no-print-directory KVER=9.99 kmod
fails_with "make KDIR=/nonexistent fails clearly" \
	"not a configured kernel build tree" make --no-print-directory KDIR=/nonexistent kmod

krel61=$(scripts/krel.sh 6.1)
base61=$(cat "build/$krel61/btf-base")
fails_with "check-btf rejects a module without BTF (Kbuild's 6.1 output)" \
	"no .BTF section" scripts/check-btf.sh "build/$krel61/kmod/nrtls.ko" "$base61" \
	"build/$krel61/kmod/nrtls.o"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "build/$krel61/nrtls.ko" "$tmp/twice.ko"
rbt=$(scripts/btf-tools.sh resolve_btfids "$krel61")
"$rbt" -b "$base61" "$tmp/twice.ko" > /dev/null 2>&1
fails_with "check-btf rejects kfunc ids paired with the wrong flags" \
	"flags" scripts/check-btf.sh "$tmp/twice.ko" "$base61" "build/$krel61/kmod/nrtls.o"

for cc in gcc clang; do
	if $cc -std=c11 -pedantic -Wall -Wextra -Werror -Ikmod/uapi \
		-o "$tmp/abi-$cc" selftests/host/uapi_abi.c > "$tmp/abi.log" 2>&1; then
		"$tmp/abi-$cc" | sed -n 's/^ok 1 /ok - /p' | grep -q . &&
			ok "uapi header: strict C11, its ABI layout ($cc)" ||
			not_ok "uapi header: strict C11, its ABI layout ($cc)"
	else
		not_ok "uapi header: strict C11, its ABI layout ($cc)" "$(cat "$tmp/abi.log")"
	fi
done

out=$(scripts/checkpatch.sh 2>&1)
if [ $? -eq 0 ]; then ok "checkpatch --strict: kmod/ is clean"; else not_ok "checkpatch --strict: kmod/ is clean" "$out"; fi
check "userspace builds without warnings under clang" make --no-print-directory -s clang-check
check "the benchmarks build (make bench-build)" make --no-print-directory -s KVER=6.1 bench-build
rxb=build/$(scripts/krel.sh 6.1 2> /dev/null)/bench/nrtls-rxbench
check "nrtls-rxbench --help says what it prints" sh -c "'$rxb' --help | grep -q 'kernel path'"
fails_with "nrtls-rxbench refuses an unknown path, naming the choices" \
	"--path tcp: want nic, sw or user" "$rxb" --path tcp
fails_with "nrtls-rxbench refuses a bad number" "--seconds 0: want a number" "$rxb" --seconds 0
fails_with "nrtls-rxbench needs its five arguments" "--addr are needed" "$rxb" --path nic --tls 1.2
fails_with "bench/rx.sh without the program says how to run it" "usage: bench/rx.sh" bench/rx.sh
bench=build/$(scripts/krel.sh 6.1 2> /dev/null)/bench/nrtls-bench
fails_with "nrtls-bench refuses a cold clients' nice outside 0-19" "--cold-nice NICE" \
	"$bench" --mode nrtls --hot /dev/null --cold-nice 20
check "nrtls-bench --help says what --cold-nice is for" sh -c "'$bench' --help | grep -q 'cold-nice runs the cold clients'"
fails_with "nrtls-bench --alternate needs cold clients" "--alternate MS" \
	"$bench" --mode nrtls --hot /dev/null --alternate 100
fails_with "nrtls-bench refuses --alternate below 10 ms" "--alternate MS" \
	"$bench" --mode nrtls --hot /dev/null --cold-dir /tmp --alternate 9
mkdir -p "$tmp/cold"
if "$bench" --make-cold "$tmp/cold" --size 65536 --files 2 --cold-clients 2 &&
   out=$("$bench" --mode sendfile --hot "$bench" --cold-dir "$tmp/cold" --cold-clients 2 \
	 --seconds 2 --alternate 100 --port 17079) &&
   echo "$out" | awk 'NF == 13 && $3 > 0 && $10 > 0 && $6 > 0 { ok = 1 } END { exit !ok }'; then
	ok "nrtls-bench --alternate reports loaded and unloaded phases from one run"
else
	not_ok "nrtls-bench --alternate reports loaded and unloaded phases from one run" "${out:-}"
fi
fails_with "nrtls-bench refuses a bad CPU list" "bad CPU list '1,'" \
	"$bench" --mode nrtls --hot /dev/null --cold-cpus 1,
fails_with "nrtls-bench pins the server to the CPUs it is given" "sched_setaffinity" \
	"$bench" --mode sendfile --hot /dev/null --seconds 1 --port 17077 --hot-cpus 1000
check "nrtls-bench serves with its threads pinned" sh -c \
	"'$bench' --mode sendfile --hot '$bench' --seconds 1 --port 17078 --hot-cpus 0 \
	 --cold-cpus 0 | awk '\$1 == \"sendfile\" && \$3 > 0 { ok = 1 } END { exit !ok }'"
fails_with "bench/run.sh refuses a SPLIT_CPUS without both halves" "SPLIT_CPUS is HOT:COLD" \
	env SPLIT_CPUS=1 bench/run.sh /bin/true
fails_with "bench/run.sh refuses a REPEAT that is not a count" "REPEAT is a count of runs" \
	env REPEAT=0 bench/run.sh /bin/true
fails_with "bench/run.sh refuses an ALTERNATE that is not a length in ms" "ALTERNATE is a phase length" \
	env ALTERNATE=1s bench/run.sh /bin/true
fails_with "bench/run.sh refuses a path it does not run" "MODES: no path 'nrtls-b' here" \
	env MODES="splice nrtls-b" bench/run.sh /bin/true
# serve.sh over plain HTTP runs on any host (nrtls-serve takes its splice
# path): a row per file, with context switches and packets per MB, ending
# with each round's MB/s and CPU ratios.
sout=$(mktemp)
check "bench/serve.sh prints context switches and packets per MB, and each round's ratios" \
	sh -c "SIZES=4k bench/serve.sh http 1 1 2 2 > '$sout' 2>&1 && grep -q 'cs/MB.*pkt/MB' '$sout' &&
	       awk '\$1 == \"4k\" { ok = NF == 15 && \$10 > 0 && \$11 > 0 && \$12 > 0 && \$13 > 0 &&
	                          \$14 ~ /^[0-9.]+,([0-9.]+|-)\$/ && \$15 ~ /^[0-9.]+,([0-9.]+|-)\$/ }
	            END { exit !ok }' '$sout' || { cat '$sout'; false; }"
rm -f "$sout"

# Every kernel error path is exercised: each fault site is armed by a test.
untested=
for site in $(sed -n 's/^\t\[NRTLS_FAULT_[A-Z0-9_]*\] = { .name = "\([a-z0-9_]*\)" },$/\1/p' kmod/fault.c); do
	grep -rqE "\"$site[ \"]|\.site = \"$site\"" selftests/*.c selftests/*.sh selftests/host/*.sh ||
		untested="$untested $site"
done
nsites=$(grep -cP '^\t\[NRTLS_FAULT_' kmod/fault.c)
if [ "$nsites" -gt 20 ] && [ -z "$untested" ]; then
	ok "every one of the $nsites fault sites is armed by a test"
else
	not_ok "every fault site is armed by a test" "sites: $nsites; never armed:$untested"
fi

fails_with "vm/run.sh rejects unknown options" "unknown option" scripts/vm/run.sh --bogus
fails_with "vm/run.sh wants a command" "no command" scripts/vm/run.sh
fails_with "vm/run.sh names the package for a missing kernel" \
	"apt-get install linux-headers-9.99" scripts/vm/run.sh --kver 9.99 true
check "vm/run.sh --help" sh -c "scripts/vm/run.sh --help | grep -q '^usage:'"

printf 'ok 1 a\nnot ok 2 b\nok 3 # SKIP c\nok - d\n    ok 1 e\n    not ok 2 f\n' > "$tmp/s.tap"
printf 'not ok - t: 1 of 2 failed (subtests)\nok - u (subtests) # SKIP no device\n' >> "$tmp/s.tap"
out=$(scripts/tap-summary.sh "$tmp/s.tap")
if [ $? -eq 1 ] && [ "$(echo "$out" | tail -n 1)" = "3 passed, 2 failed, 2 skipped" ]; then
	ok "tap-summary counts passed, failed and skipped"
else
	not_ok "tap-summary counts passed, failed and skipped" "$out"
fi
check "deps.sh --check: every package is installed" scripts/deps.sh --check

# The VM suite's runner nests each test's TAP: prove takes the whole.
mkdir -p "$tmp/b/selftests"
printf '#!/bin/sh\necho "TAP version 13"; echo 1..2; echo "ok 1 a"; echo "ok 2 b # SKIP why"\n' \
	> "$tmp/b/selftests/two"
printf '#!/bin/sh\necho "TAP version 13"; echo "1..0 # SKIP no device"; exit 4\n' \
	> "$tmp/b/selftests/none"
chmod +x "$tmp/b/selftests/two" "$tmp/b/selftests/none"
selftests/run.sh -b "$tmp/b" two none two > "$tmp/r.tap" 2>&1
check "prove accepts the suite runner's nested TAP" prove -e cat "$tmp/r.tap"
check "and tap-summary counts its results" \
	sh -c "scripts/tap-summary.sh '$tmp/r.tap' | tail -n 1 | grep -qx '[0-9]* passed, 0 failed, 3 skipped'"

fails_with "Kbuild refuses a kernel outside 6.1-6.12 in one line" \
	"nrtls builds for Linux 6.1 to 6.12.*5.10.0-x is not one of them" \
	make -s -f kmod/Kbuild VERSION=5 PATCHLEVEL=10 KERNELRELEASE=5.10.0-x
fails_with "and 6.13" "6.13.0-x is not one of them" \
	make -s -f kmod/Kbuild VERSION=6 PATCHLEVEL=13 KERNELRELEASE=6.13.0-x

echo "1..$n"
[ $fails -eq 0 ]
