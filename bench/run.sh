#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench (in the VM): the hot client's latency while cold clients read
# from a slow disk, for blocking sendfile(2), io_uring splice and nrtls, in
# one run, over a matrix of cold file sizes and disk delays.  Prints a
# table per cell: p50, p99 and max of the hot client's latency under load,
# as ratios to the same path's unloaded latency, and the absolute values.
#
#   bench/run.sh NRTLS-BENCH [SIZES] [DELAYS_MS] [COLD_CLIENTS] [SECONDS]
#
# SIZES like "64k 1m 16m", DELAYS_MS like "5 25 100" (the defaults).
# COLD_NICE=N runs the cold clients at nice N (default 0): on a 2-CPU
# guest they compete with the hot path for CPU, whatever the server does.
# SPLIT_CPUS=HOT:COLD (like 0:1) pins the server and the hot client to the
# CPUs HOT, and the cold clients to the CPUs COLD, as if they were other
# machines; it adds two paths with their bulk work on the cold clients'
# CPUs: splice-b (io_uring's workers, IORING_REGISTER_IOWQ_AFF) and nrtls-b
# (the nrtls and nrtls_io workqueues' cpumask).
# REPEAT=N runs every cell, and every path's unloaded reference, N times
# (the paths taking turns) and reports medians, with the range of the
# runs' p99 ratios: one run's p99 differs from the next by up to a third.
# MODES="splice nrtls-b" runs only those paths.
# RING=plain|coop|defer: how the io_uring paths' server runs completions
# (nrtls-bench --ring; default plain, io_uring's own; nrtls-serve's is defer).
# ALTERNATE=MS switches each run's cold load on and off every MS ms
# (nrtls-bench --alternate) and takes each run's unloaded reference from
# its load-off phases instead of from separate runs: the ratios then do
# not carry the drift of the machine's speed from one run to the next.
set -eu
bench=$1
sizes=${2:-64k 1m 16m}
delays=${3:-5 25 100}
clients=${4:-8}
secs=${5:-10}
cold_nice=${COLD_NICE:-0}
repeat=${REPEAT:-1}
case $repeat in
''|*[!0-9]*|0*) echo "run.sh: REPEAT is a count of runs, like 3" >&2; exit 2 ;;
esac
alt=${ALTERNATE:-}
case $alt in
'') ;;
*[!0-9]*|0*) echo "run.sh: ALTERNATE is a phase length in ms, like 1000" >&2; exit 2 ;;
esac
name=nrtlsbench
cfg=/sys/kernel/config/nullb/$name
mnt=/tmp/$name
modes="sendfile splice nrtls nrtls-n10"
wq=/sys/devices/virtual/workqueue
split=${SPLIT_CPUS:-}
pins=()
ring=()
[ -z "${RING:-}" ] || ring=(--ring "$RING")
if [ -n "$split" ]; then
	case $split in
	*?:?*) ;;
	*) echo "run.sh: SPLIT_CPUS is HOT:COLD, like 0:1" >&2; exit 2 ;;
	esac
	hot_cpus=${split%%:*} cold_cpus=${split#*:}
	pins=(--hot-cpus "$hot_cpus" --cold-cpus "$cold_cpus")
	modes="sendfile splice splice-b nrtls nrtls-n10 nrtls-b"
fi
if [ -n "${MODES:-}" ]; then
	for m in $MODES; do
		case " $modes " in
		*" $m "*) ;;
		*) echo "run.sh: MODES: no path '$m' here (paths: $modes)" >&2; exit 2 ;;
		esac
	done
	modes=$MODES
fi
if [ -n "$split" ]; then
	wq_mask0=$(cat $wq/nrtls/cpumask)
	wq_io_mask0=$(cat $wq/nrtls_io/cpumask)
fi

bytes() {
	local n=${1%[kKmM]}
	case $1 in
	*[kK]) echo $((n * 1024)) ;;
	*[mM]) echo $((n * 1024 * 1024)) ;;
	*) echo "$n" ;;
	esac
}

disk_up() {
	modprobe null_blk nr_devices=0
	mkdir $cfg
	echo 1024 > $cfg/size
	echo 4096 > $cfg/blocksize
	echo 1 > $cfg/memory_backed
	echo 2 > $cfg/irqmode
	echo $(($1 * 1000000)) > $cfg/completion_nsec
	echo 1 > $cfg/power
	dev=/dev/$name
	[ -b $dev ] || dev=/dev/nullb$(cat $cfg/index)
	mkfs.ext4 -q -F -O ^has_journal -E lazy_itable_init=1,nodiscard $dev
	mkdir -p $mnt
	mount -o noatime $dev $mnt
}

# nrtls-n10: nrtls with its workqueues (pushes, reads) at nice 10, as the
# udev rule in userspace/ sets them: bulk work yields to the hot path.
wq_nice() {
	echo "$1" > $wq/nrtls/nice
	echo "$1" > $wq/nrtls_io/nice
}

path_of() {
	echo "${1%-*}"
}

# A hex cpumask of a CPU list like 1,2-3.
cpu_mask() {
	local m=0 r a b c
	for r in ${1//,/ }; do
		a=${r%-*} b=${r#*-}
		for ((c = a; c <= b; c++)); do
			m=$((m | 1 << c))
		done
	done
	printf '%x\n' $m
}

mode_off() {
	wq_nice 0
	if [ -n "$split" ]; then
		echo "$wq_mask0" > $wq/nrtls/cpumask
		echo "$wq_io_mask0" > $wq/nrtls_io/cpumask
	fi
}

disk_down() {
	if mountpoint -q $mnt; then umount $mnt; fi
	if [ -d $cfg ]; then
		echo 0 > $cfg/power
		rmdir $cfg
	fi
}
trap 'mode_off; disk_down' EXIT

# One run of path @1, the rest being nrtls-bench's options; its line out.
run_mode() {
	local mode=$1 extra=() rc=0
	shift
	case $mode in
	nrtls-n10) wq_nice 10 ;;
	nrtls-b)
		cpu_mask "$cold_cpus" > $wq/nrtls/cpumask
		cpu_mask "$cold_cpus" > $wq/nrtls_io/cpumask
		;;
	splice-b) extra=(--iowq-cpus "$cold_cpus") ;;
	esac
	"$bench" --mode "$(path_of "$mode")" --hot /tmp/hot "$@" \
		${pins[@]+"${pins[@]}"} ${ring[@]+"${ring[@]}"} \
		${extra[@]+"${extra[@]}"} || rc=$?
	mode_off
	return $rc
}

# The median of its arguments, numbers (the lower middle one of an even count).
median() {
	printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"
}

# "-" when there is no reference (ALTERNATE, no load-off phase drained).
ratio() {
	[ "$1" != - ] && [ "$2" != - ] || { echo -; return; }
	awk "BEGIN { printf \"%.2f\", $1 / $2 }"
}

head -c 4096 /dev/urandom > /tmp/hot

# Unloaded latency: per path, the reference for every cell; as long as a
# cell, so that both p99s rest on as many samples.  With REPEAT, the
# median of each measure over the runs.  With ALTERNATE, each run has its
# own, from its load-off phases.
declare -A u50 u99 umax
if [ -z "$alt" ]; then
	for ((r = 0; r < repeat; r++)); do
		for mode in $modes; do
			read -r _ _ _ l50 l99 lmax _ _ _ < <(run_mode $mode --seconds "$secs")
			u50[$mode]+=" $l50" u99[$mode]+=" $l99" umax[$mode]+=" $lmax"
		done
	done
	for mode in $modes; do
		u50[$mode]=$(median ${u50[$mode]})
		u99[$mode]=$(median ${u99[$mode]})
		umax[$mode]=$(median ${umax[$mode]})
	done
fi

echo "hot client: 4 KiB, $clients cold clients each fetching its files over and over,"
echo "every fetch from the disk (cold clients at nice $cold_nice); latencies as ratios"
[ -n "$split" ] && echo "(server and hot client on CPUs $hot_cpus, cold clients on CPUs $cold_cpus)"
if [ -n "$alt" ]; then
	echo "to the same path with the load off, in the same runs (load on and off"
	echo "every $alt ms; 'p99 un us': the load-off phases' p99)"
else
	echo "to the same path unloaded:"
	for mode in $modes; do
		printf '  %-9s unloaded p50 %6s us, p99 %6s us, max %6s us\n' $mode \
			"${u50[$mode]}" "${u99[$mode]}" "${umax[$mode]}"
	done
fi
if [ "$repeat" -gt 1 ]; then
	echo "every figure the median of $repeat runs (paths taking turns); 'p99 x runs': the"
	echo "lowest and highest of the runs' p99 ratios"
fi
echo
hdr='%-6s %-5s %-9s %7s %7s %7s %9s %9s %9s %8s %9s %7s %8s'
head=(delay size path "p50 x" "p99 x" "max x" "p50 us" "p99 us" "max us" "hot reqs"
      "cold MB/s" threads kthreads)
if [ -n "$alt" ]; then
	hdr+=' %10s'
	head+=("p99 un us")
fi
if [ "$repeat" -gt 1 ]; then
	hdr+=' %11s'
	head+=("p99 x runs")
fi
# shellcheck disable=SC2059 # the format is ours, built above
printf "$hdr\n" "${head[@]}"
for delay in $delays; do
	disk_up "$delay"
	for size in $sizes; do
		b=$(bytes "$size")
		# Enough files to keep the clients reading, little enough to fit.
		files=$((64 * 1024 * 1024 / b))
		[ $files -gt 16 ] && files=16
		[ $files -lt 2 ] && files=2
		mkdir -p $mnt/$size
		"$bench" --make-cold $mnt/$size --size "$b" --files $files --cold-clients "$clients"
		declare -A c50=() c99=() cmax=() cn=() cmbs=() cthr=() ckthr=()
		declare -A a50=() a99=() amax=() ar99=()
		for ((r = 0; r < repeat; r++)); do
			for mode in $modes; do
				echo 3 > /proc/sys/vm/drop_caches
				n=0
				read -r _ _ n l50 l99 lmax mbs thr kthr _ v50 v99 vmax < <(run_mode $mode \
					--cold-dir $mnt/$size --cold-clients "$clients" \
					--cold-nice "$cold_nice" --seconds "$secs" \
					${alt:+--alternate "$alt"}) || true
				# A starved run (not one hot reply) has no latency; with
				# ALTERNATE, one whose cold fetches outlasted every phase
				# has no unloaded reference ("-").
				[ "$n" -gt 0 ] || continue
				if [ -n "$alt" ] && [ "$v99" != - ]; then
					a50[$mode]+=" $v50" a99[$mode]+=" $v99" amax[$mode]+=" $vmax"
					ar99[$mode]+=" $(ratio "$l99" "$v99")"
				fi
				c50[$mode]+=" $l50" c99[$mode]+=" $l99" cmax[$mode]+=" $lmax"
				cn[$mode]+=" $n" cmbs[$mode]+=" $mbs"
				# Threads: the most any run had.
				cthr[$mode]=$((thr > ${cthr[$mode]:-0} ? thr : ${cthr[$mode]:-0}))
				ckthr[$mode]=$((kthr > ${ckthr[$mode]:-0} ? kthr : ${ckthr[$mode]:-0}))
			done
		done
		for mode in $modes; do
			row=("${delay}ms" "$size" "$mode")
			if [ -z "${cn[$mode]:-}" ]; then
				row+=(starved starved starved - - - 0 - - -)
				[ -z "$alt" ] || row+=(-)
			else
				if [ -n "$alt" ] && [ -z "${a99[$mode]:-}" ]; then
					u50[$mode]=- u99[$mode]=- umax[$mode]=-
				elif [ -n "$alt" ]; then
					u50[$mode]=$(median ${a50[$mode]})
					u99[$mode]=$(median ${a99[$mode]})
					umax[$mode]=$(median ${amax[$mode]})
				fi
				l50=$(median ${c50[$mode]}) l99=$(median ${c99[$mode]})
				lmax=$(median ${cmax[$mode]})
				row+=("$(ratio "$l50" "${u50[$mode]}")" "$(ratio "$l99" "${u99[$mode]}")"
				      "$(ratio "$lmax" "${umax[$mode]}")" "$l50" "$l99" "$lmax"
				      "$(median ${cn[$mode]})" "$(median ${cmbs[$mode]})"
				      "${cthr[$mode]}" "${ckthr[$mode]}")
				[ -z "$alt" ] || row+=("${u99[$mode]}")
			fi
			if [ "$repeat" -gt 1 ]; then
				runs=()
				if [ -n "$alt" ]; then
					[ -z "${ar99[$mode]:-}" ] ||
						mapfile -t runs < <(printf '%s\n' ${ar99[$mode]} | sort -n)
				elif [ -n "${c99[$mode]:-}" ]; then
					mapfile -t runs < <(printf '%s\n' ${c99[$mode]} | sort -n)
				fi
				if [ ${#runs[@]} -eq 0 ]; then
					row+=(-)
				elif [ -n "$alt" ]; then
					row+=("${runs[0]}-${runs[-1]}")
				else
					row+=("$(ratio "${runs[0]}" "${u99[$mode]}")-$(ratio "${runs[-1]}" "${u99[$mode]}")")
				fi
				[ ${#runs[@]} -eq "$repeat" ] || row[-1]+="(${#runs[@]}/$repeat)"
			fi
			# shellcheck disable=SC2059
			printf "$hdr\n" "${row[@]}"
		done
		rm -rf "${mnt:?}/$size"
	done
	disk_down
done
