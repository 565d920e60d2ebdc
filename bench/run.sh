#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench (in the VM): the hot client's latency while cold clients
# read from a slow disk, for blocking sendfile(2), io_uring splice and
# nrtls, in one run.  Prints a table; latencies are ratios to the same
# path's unloaded latency.
#
#   bench/run.sh NRTLS-BENCH [LATENCY_MS] [COLD_CLIENTS] [SECONDS]
set -eu
bench=$1
latency=${2:-100}
clients=${3:-8}
secs=${4:-10}
files=40		# per cold client; each is read once
size=$((256 * 1024))
name=nrtlsbench
cfg=/sys/kernel/config/nullb/$name
mnt=/tmp/$name

modprobe null_blk nr_devices=0
mkdir $cfg
echo 1024 > $cfg/size
echo 4096 > $cfg/blocksize
echo 1 > $cfg/memory_backed
echo 2 > $cfg/irqmode
echo $((latency * 1000000)) > $cfg/completion_nsec
echo 1 > $cfg/power
dev=/dev/$name
[ -b $dev ] || dev=/dev/nullb$(cat $cfg/index)
mkfs.ext4 -q -F -O ^has_journal -E lazy_itable_init=1,nodiscard $dev
mkdir -p $mnt
mount -o noatime $dev $mnt
trap 'umount $mnt; echo 0 > $cfg/power; rmdir $cfg' EXIT

mkdir $mnt/cold
for c in $(seq 0 $((clients - 1))); do
	for n in $(seq 0 $((files - 1))); do
		head -c $size /dev/urandom > $mnt/cold/cold-$c-$n
	done
done
head -c 4096 /dev/urandom > /tmp/hot
sync

echo "slow disk: ${latency} ms per request; $clients cold clients, ${size}-byte files; hot: 4 KiB"
echo
printf '%-9s %12s %12s %10s %10s %9s %9s %8s %8s\n' path "unloaded p50" "unloaded p99" \
	"p50 x" "p99 x" "hot reqs" "cold MB/s" "threads" "kthreads"
for mode in sendfile splice nrtls; do
	read -r _ _ _ u50 u99 _ _ _ < <("$bench" --mode $mode --hot /tmp/hot --seconds 3)
	echo 3 > /proc/sys/vm/drop_caches
	read -r _ _ n l50 l99 mbs thr kthr < <("$bench" --mode $mode --hot /tmp/hot \
		--cold-dir $mnt/cold --cold-clients "$clients" --seconds "$secs")
	if [ "$n" -gt 0 ]; then
		r50=$(awk "BEGIN { printf \"%.1f\", $l50 / $u50 }")
		r99=$(awk "BEGIN { printf \"%.1f\", $l99 / $u99 }")
	else
		r50=starved r99=starved	# not one hot reply in the whole run
	fi
	printf '%-9s %10s us %10s us %10s %10s %9s %9s %8s %8s\n' $mode "$u50" "$u99" \
		"$r50" "$r99" "$n" "$mbs" "$thr" "$kthr"
done
