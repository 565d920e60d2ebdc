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
set -eu
bench=$1
sizes=${2:-64k 1m 16m}
delays=${3:-5 25 100}
clients=${4:-8}
secs=${5:-10}
cold_nice=${COLD_NICE:-0}
name=nrtlsbench
cfg=/sys/kernel/config/nullb/$name
mnt=/tmp/$name
modes="sendfile splice nrtls nrtls-n10"
wq=/sys/devices/virtual/workqueue
split=${SPLIT_CPUS:-}
pins=()
if [ -n "$split" ]; then
	case $split in
	*?:?*) ;;
	*) echo "run.sh: SPLIT_CPUS is HOT:COLD, like 0:1" >&2; exit 2 ;;
	esac
	hot_cpus=${split%%:*} cold_cpus=${split#*:}
	pins=(--hot-cpus "$hot_cpus" --cold-cpus "$cold_cpus")
	modes="sendfile splice splice-b nrtls nrtls-n10 nrtls-b"
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
		${pins[@]+"${pins[@]}"} ${extra[@]+"${extra[@]}"} || rc=$?
	mode_off
	return $rc
}

head -c 4096 /dev/urandom > /tmp/hot

# Unloaded latency: once per path, the reference for every cell; as long
# as a cell, so that both p99s rest on as many samples.
declare -A u50 u99 umax
for mode in $modes; do
	read -r _ _ _ u50[$mode] u99[$mode] umax[$mode] _ _ _ < <(run_mode $mode \
		--seconds "$secs")
done

echo "hot client: 4 KiB, $clients cold clients each fetching its files over and over,"
echo "every fetch from the disk (cold clients at nice $cold_nice); latencies as ratios"
[ -n "$split" ] && echo "(server and hot client on CPUs $hot_cpus, cold clients on CPUs $cold_cpus)"
echo "to the same path unloaded:"
for mode in $modes; do
	printf '  %-9s unloaded p50 %6s us, p99 %6s us, max %6s us\n' $mode \
		"${u50[$mode]}" "${u99[$mode]}" "${umax[$mode]}"
done
echo
printf '%-6s %-5s %-9s %7s %7s %7s %9s %9s %9s %8s %9s %7s %8s\n' delay size path \
	"p50 x" "p99 x" "max x" "p50 us" "p99 us" "max us" "hot reqs" "cold MB/s" threads kthreads
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
		for mode in $modes; do
			echo 3 > /proc/sys/vm/drop_caches
			n=0
			read -r _ _ n l50 l99 lmax mbs thr kthr < <(run_mode $mode \
				--cold-dir $mnt/$size --cold-clients "$clients" \
				--cold-nice "$cold_nice" --seconds "$secs") || true
			if [ "$n" -gt 0 ]; then
				r50=$(awk "BEGIN { printf \"%.1f\", $l50 / ${u50[$mode]} }")
				r99=$(awk "BEGIN { printf \"%.1f\", $l99 / ${u99[$mode]} }")
				rmax=$(awk "BEGIN { printf \"%.1f\", $lmax / ${umax[$mode]} }")
			else
				r50=starved r99=starved rmax=starved	# not one hot reply
			fi
			printf '%-6s %-5s %-9s %7s %7s %7s %9s %9s %9s %8s %9s %7s %8s\n' \
				"${delay}ms" "$size" $mode "$r50" "$r99" "$rmax" "$l50" "$l99" \
				"$lmax" "$n" "$mbs" "$thr" "$kthr"
		done
		rm -rf "${mnt:?}/$size"
	done
	disk_down
done
