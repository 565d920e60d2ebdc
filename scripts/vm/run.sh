#!/bin/bash
# Boot a Debian kernel under QEMU (TCG) with the host's userland, load
# tls and nrtls.ko, run one command from the checkout, unload, and check
# the kernel log.  Usable by hand, by make and by other tools.
set -u

usage() {
	cat <<'EOF'
usage: scripts/vm/run.sh [options] [--] [COMMAND [ARG...]]

Boots the chosen Debian kernel under QEMU TCG, with the host's root file
system read-only over virtio-9p under a tmpfs overlay, loads tls and
nrtls.ko, runs COMMAND from the current directory, then unloads nrtls and
scans dmesg for kernel splats.  COMMAND's output is streamed to stdout.
A kernel that panics while booting, before COMMAND starts, is booted once
more (TCG has been seen to crash a boot, rarely).

options:
  --kver SEL       kernel: 6.1 (default), 6.12, or an installed release
  --ko PATH        module to load (default: build/<release>/nrtls.ko)
  --no-module      do not load nrtls.ko
  --params STR     module parameters for insmod, e.g. 'debug_check=1'
  --cmd STR        run STR with bash -c instead of COMMAND
  --shell          interactive shell on this terminal instead of a command
  --timeout SEC    kill the guest after SEC seconds (default 900)
  --mem MB         guest memory (default 3072)
  --cpus N         guest vCPUs (default 2)
  --append STR     extra kernel command line
  --no-slub-debug  boot without slub_debug=FZPU (for benchmarks: it checks,
                   poisons and records a stack trace on every allocation)
  --outdir DIR     keep the run directory (console.log, dmesg, rc, result)
  --alone          wait until no other guest of this runner is running on
                   this machine, and warn if one starts before this one
                   ends (for benchmarks: guests share the host's CPUs)
  --pin-vcpus      guest CPU 0's QEMU thread alone on the first host CPU
                   this runner may use, QEMU's other threads on the rest,
                   the other vCPUs at SCHED_IDLE so that QEMU's own
                   threads (its big lock's holders) never wait behind them
                   (for latency benchmarks that measure on guest CPU 0,
                   on an otherwise idle host: beside busy processes the
                   other vCPUs get no host time; needs two host CPUs)
  -h, --help       this text

exit status: COMMAND's status when the guest ended cleanly; otherwise
  124 timeout, 125 the guest could not run the command (boot, insmod),
  126 kernel splat, objects leaked, or rmmod failed.
EOF
}

top=$(cd "$(dirname "$0")/../.." && pwd)
kver=6.1 ko= noko= params= cmd= shell= timeout=900 mem=3072 cpus=2 append= outdir=
alone= pin=
slub=slub_debug=FZPU
while [ $# -gt 0 ]; do
	case "$1" in
	--kver) kver=$2; shift 2 ;;
	--ko) ko=$2; shift 2 ;;
	--no-module) noko=1; shift ;;
	--params) params=$2; shift 2 ;;
	--cmd) cmd=$2; shift 2 ;;
	--shell) shell=1; shift ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--no-slub-debug) slub=; shift ;;
	--outdir) outdir=$2; shift 2 ;;
	--alone) alone=1; shift ;;
	--pin-vcpus) pin=1; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ -z "$shell" ] && [ -z "$cmd" ] && [ $# -eq 0 ]; then
	echo "run.sh: no command given (see --help)" >&2
	exit 2
fi
case "$timeout" in '' | *[!0-9]*) echo "run.sh: bad --timeout" >&2; exit 2 ;; esac

# --pin-vcpus: the host CPUs for guest CPU 0's thread and for the rest.
if [ -n "$pin" ]; then
	pin_cpus=()
	IFS=, read -ra parts <<< "$(taskset -pc $$ | sed 's/.*: //')"
	for part in "${parts[@]}"; do
		for ((c = ${part%-*}; c <= ${part#*-}; c++)); do pin_cpus+=("$c"); done
	done
	if [ ${#pin_cpus[@]} -lt 2 ]; then
		echo "run.sh: --pin-vcpus needs two host CPUs; this runner may use ${pin_cpus[*]}" >&2
		exit 2
	fi
	pin_own=${pin_cpus[0]}
	pin_rest=$(IFS=,; echo "${pin_cpus[*]:1}")
fi

for tool in qemu-system-x86_64:qemu-system-x86 cpio:cpio; do
	if ! command -v "${tool%%:*}" > /dev/null; then
		echo "run.sh: ${tool%%:*} not found: apt-get install ${tool#*:} (or run 'make deps')" >&2
		exit 125
	fi
done

krel=$("$top/scripts/krel.sh" --image "$kver") || exit 125
if [ -n "$noko" ]; then
	ko=
else
	ko=${ko:-$top/build/$krel/nrtls.ko}
	if [ ! -r "$ko" ]; then
		echo "run.sh: $ko not found: run 'make KVER=$kver' first" >&2
		exit 125
	fi
	ko=$(cd "$(dirname "$ko")" && pwd)/$(basename "$ko")
fi

vmdir=$top/build/vm
mkdir -p "$vmdir"
initrd=$vmdir/initramfs-$krel.cpio.gz
if [ ! -e "$initrd" ] || [ "$top/scripts/vm/init" -nt "$initrd" ] ||
	[ "$top/scripts/vm/mkinitramfs.sh" -nt "$initrd" ]; then
	"$top/scripts/vm/mkinitramfs.sh" "$krel" "$initrd" || exit 125
fi

keep=
if [ -n "$outdir" ]; then
	keep=1
	rm -rf "$outdir"
	mkdir -p "$outdir"
else
	outdir=$(mktemp -d "$vmdir/run.XXXXXX")
fi
outdir=$(cd "$outdir" && pwd)

{
	printf 'NRTLS_KO=%q\n' "$ko"
	printf 'NRTLS_CWD=%q\n' "$PWD"
	printf 'NRTLS_MODPARAMS=%q\n' "$params"
	printf 'NRTLS_INTERACTIVE=%q\n' "$shell"
	printf 'NRTLS_KREL=%q\n' "$krel"
	printf 'NRTLS_SRC=%q\n' "$top"
} > "$outdir/env"
if [ -n "$cmd" ]; then
	printf '%s\n' "$cmd" > "$outdir/cmd"
elif [ $# -gt 0 ]; then
	printf '%q ' "$@" > "$outdir/cmd"
	echo >> "$outdir/cmd"
fi

kcmd="console=ttyS0 loglevel=3 $slub panic=-1 nrtls_src=$top"
kcmd="$kcmd sysctl.kernel.hung_task_timeout_secs=60 $append"
[ -z "$shell" ] && kcmd="$kcmd oops=panic"

# Thread names ("CPU 0/TCG") for --pin-vcpus and for host-side tools.
qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp "$cpus" -m "$mem"
	-name "nrtls,debug-threads=on"
	-nic none -no-reboot -display none -monitor none
	-kernel "/boot/vmlinuz-$krel" -initrd "$initrd" -append "$kcmd"
	-fsdev "local,id=hostroot,path=/,readonly=on,security_model=none,multidevs=remap"
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
	-fsdev "local,id=out,path=$outdir,security_model=none"
	-device virtio-9p-pci,fsdev=out,mount_tag=nrtlsout)

# --pin-vcpus: pin the threads of QEMU, the child of timeout(1) @1, as
# they appear (QEMU starts its workers when it needs them).
pin_vcpus() {
	local q= t tid n
	local -A pinned=()
	while [ -z "$q" ] && kill -0 "$1" 2> /dev/null; do
		sleep 0.1
		q=$(cat "/proc/$1/task/$1/children" 2> /dev/null)
	done
	q=${q%% *}
	while [ -n "$q" ] && kill -0 "$q" 2> /dev/null; do
		for t in /proc/"$q"/task/*; do
			tid=${t##*/}
			[ -z "${pinned[$tid]:-}" ] || continue
			n=$(cat "$t/comm" 2> /dev/null) || continue
			case $n in
			"CPU 0/"*) taskset -pc "$pin_own" "$tid" ;;
			"CPU "*/*) taskset -pc "$pin_rest" "$tid" && chrt -i -p 0 "$tid" ;;
			*) taskset -pc "$pin_rest" "$tid" ;;
			esac > /dev/null 2>&1 && pinned[$tid]=1
		done
		sleep 1
	done
}

# One boot, the command's output streamed to stdout.
boot() {
	: > "$outdir/console.log"
	# QEMU exits on SIGTERM; timeout(1) then returns 124.
	timeout -k 10 "$timeout" "${qemu[@]}" -serial "file:$outdir/console.log" \
		< /dev/null 2> "$outdir/qemu.log" &
	qpid=$!
	pinner=
	if [ -n "$pin" ]; then
		pin_vcpus $qpid &
		pinner=$!
	fi
	# Stream the command's output: everything after stage 2's marker.
	tail -s 0.2 --pid=$qpid -n +1 -f "$outdir/console.log" |
		sed -u -n '/^nrtls-vm: ready\r\{0,1\}$/,$p' |
		sed -u '1d; s/\r$//; /^\[ *[0-9.]*\] \(reboot: Power down\|sysrq: Power Off\)$/d'
	wait $qpid
	[ $? -eq 124 ] && touch "$outdir/timedout"
	[ -z "$pinner" ] || wait $pinner
}

# The PIDs of this runner's other guests on this machine: QEMUs whose
# kernel command line has nrtls_src=, but not this run's directory.  Only
# builtins for the processes that are not QEMU: the watcher below polls
# while a benchmark runs.
other_guests() {
	local f argv0 args
	for f in /proc/[0-9]*/cmdline; do
		argv0=
		{ IFS= read -r -d '' argv0 < "$f"; } 2> /dev/null
		[ "${argv0:-}" = qemu-system-x86_64 ] || continue
		{ mapfile -d '' args < "$f"; } 2> /dev/null || continue
		case "${args[*]}" in
		*",path=$outdir,"*) continue ;;
		*" nrtls_src="*) ;;
		*) continue ;;
		esac
		f=${f#/proc/}
		echo "${f%/cmdline}"
	done
}

watcher=
if [ -n "$alone" ]; then
	said=
	while others=$(other_guests) && [ -n "$others" ]; do
		[ -n "$said" ] ||
			echo "nrtls-vm: --alone: waiting for the other guests to end (QEMU" $others")" >&2
		said=1
		sleep 2
	done
	(while sleep 5; do
		if [ -n "$(other_guests)" ]; then
			: > "$outdir/crowded"
			exit 0
		fi
	done) < /dev/null > /dev/null 2>&1 &
	watcher=$!
fi

if [ -n "$shell" ]; then
	"${qemu[@]}" -serial mon:stdio
else
	boot
	# A kernel that panicked before the command started never ran it: boot
	# it once more rather than fail the run.  Seen once on TCG, 1.4 s into
	# boot: an int3 oops in hrtimer code, a kernel text patch racing the
	# other vCPU, before any module was loaded.
	if [ ! -e "$outdir/timedout" ] && [ ! -e "$outdir/result" ] &&
		! grep -q '^nrtls-vm: ready' "$outdir/console.log" &&
		grep -q 'Kernel panic' "$outdir/console.log"; then
		echo "nrtls-vm: the guest's kernel panicked while booting; console tail, then one more boot:" >&2
		tail -n 30 "$outdir/console.log" | sed 's/\r$//' >&2
		boot
	fi
fi

if [ -n "$watcher" ]; then
	kill "$watcher" 2> /dev/null
	wait "$watcher" 2> /dev/null
	[ -e "$outdir/crowded" ] &&
		echo "nrtls-vm: warning: another guest ran beside this one (--alone): its timings are disturbed" >&2
fi

result=$(cat "$outdir/result" 2> /dev/null)
rc=$(cat "$outdir/rc" 2> /dev/null)
status=0
if [ -e "$outdir/timedout" ]; then
	echo "nrtls-vm: FAIL: guest killed after ${timeout}s; console tail:" >&2
	status=124
elif [ -z "$result" ] || [ "$result" = infra ] || [ "$result" = insmod ]; then
	echo "nrtls-vm: FAIL: guest did not run the command (${result:-no result}); console tail:" >&2
	status=125
elif [ "$result" != ok ]; then
	echo "nrtls-vm: FAIL: $result (kernel log: $outdir/dmesg)" >&2
	keep=1
	status=126
else
	status=${rc:-125}
fi
if [ $status -ge 124 ] && [ $status -le 125 ] && [ -z "$shell" ]; then
	tail -n 60 "$outdir/console.log" | sed 's/\r$//' >&2
	[ -s "$outdir/qemu.log" ] && sed 's/^/qemu: /' "$outdir/qemu.log" >&2
	[ -s "$outdir/dmesg" ] && tail -n 30 "$outdir/dmesg" >&2
	keep=1
fi
if [ -n "$keep" ]; then
	[ $status -ne 0 ] && echo "nrtls-vm: run directory kept: $outdir" >&2
else
	rm -rf "$outdir"
fi
exit $status
