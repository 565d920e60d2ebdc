#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Steering through the wrapper, in one run: a TLS flow sent through lag0
# (over two emulated NICs, offloaded), with no program on lag0's egress
# and with nrtls_steer attached by each policy; and the stall of the flow
# while it is moved to the other lower (draining its lower half-way
# through), against the same runs without a move and with the other lower
# drained instead.
#
#   bench/steer.sh NRTLS-RXBENCH [SECONDS] [ROUNDS]
#
# The sender (nrtls-rxbench's thread, kTLS offloaded by lag0's lowers,
# pinned to CPU 0) sits in one namespace, the receiver (software kTLS,
# pinned to CPU 1) in another behind a bridge over the NICs' peers.  The
# drain is a sysfs write from a shell waiting on CPU 1, so that starting
# a program (nrtlsctl, on a busy two-CPU VM) does not stall the flow: what
# the move costs the flow is the move's own.  Rows and rounds alternate;
# each cell is the median over ROUNDS (3) of SECONDS (10).  CPU is the busy time of all
# CPUs per MB (sender, TCP, the emulated NICs' encryption and the
# program all run there); packets/s is lag0's, spacing us the mean time
# between two of its packets (1e6 / packets/s); max gap is the longest wait
# between two reads at the receiver; move us is, at lag0, the time between
# the flow's last packet on the old lower and its first on the new one, for
# the drain's move (tx_tls_move_gap_total_us over tx_tls_move_gaps since
# just before it): with no stall it is about one spacing; retrans is the
# sender's TCP retransmitted segments (reordering across the two NICs
# would show there).
#
# Needs root, two CPUs, nrtls.ko and nrtls_nic.ko loaded, the tls module,
# ethtool, taskset, this build's ip(8) plugin (build/user/ip) and nrtlsctl.
set -eu
case "${1:-}" in
-h | --help)
	sed -n '3,/^$/s/^# \{0,1\}//p' "$0"
	exit 0
	;;
'' | -*)
	echo "usage: $0 NRTLS-RXBENCH [SECONDS] [ROUNDS] (--help)" >&2
	exit 2
	;;
esac
bench=$1
secs=${2:-10}
rounds=${3:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
export IP_LIB_DIR=$top/build/user/ip
ctl=$top/build/user/bin/nrtlsctl
s=nrtls-stb-s-$$
r=nrtls-stb-r-$$
dir=$(mktemp -d /tmp/nrtls-steerbench.XXXXXX)
cleanup() {
	"$ctl" steer detach lag0 --netns $s > /dev/null 2>&1 || true
	ip netns del $s 2> /dev/null || true
	ip netns del $r 2> /dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

[ -x "$bench" ] || { echo "bench: $bench missing (make bench-build)" >&2; exit 1; }
[ -e /dev/nrtls ] || { echo "bench: nrtls.ko is not loaded" >&2; exit 1; }
[ -d /sys/module/nrtls_nic ] || { echo "bench: nrtls_nic.ko (the emulated NIC) is not loaded" >&2; exit 1; }
[ -e "$IP_LIB_DIR/link_nrtls.so" ] || { echo "bench: $IP_LIB_DIR/link_nrtls.so missing (make userspace)" >&2; exit 1; }
[ -x "$ctl" ] || { echo "bench: $ctl missing (make userspace)" >&2; exit 1; }
for t in ip ethtool openssl taskset; do
	command -v $t > /dev/null || { echo "bench: $t not found (make deps)" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "bench: needs two CPUs (sender, receiver)" >&2; exit 1; }
modprobe tls

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=192.0.2.1 -keyout "$dir/key.pem" -out "$dir/cert.pem" 2> /dev/null
ip netns add $s
ip netns add $r
ip -n $s link set lo up
ip -n $r link set lo up
ip -n $s link add nic0 type nrtls personality mlx5 peer name nic0p netns $r
ip -n $s link add nic1 type nrtls personality mlx5 peer name nic1p netns $r
ip -n $s link add lag0 type nrtls_lag
ip -n $s link set nic0 master lag0
ip -n $s link set nic1 master lag0
for d in nic0 nic1 lag0; do ip -n $s link set $d up; done
ip -n $s addr add 192.0.2.2/24 dev lag0
ip -n $r link add br0 address 02:00:00:00:02:02 type bridge
for d in nic0p nic1p; do
	ip -n $r link set $d master br0
	ip netns exec $r ethtool -K $d tls-hw-rx-offload off
done
for d in nic0p nic1p br0; do ip -n $r link set $d up; done
ip -n $r addr add 192.0.2.1/24 dev br0
ifindex1=$(ip netns exec $s cat /sys/class/net/nic1/ifindex)

lag_stat() {
	ip netns exec $s ethtool -S lag0 | awk -v k="$1:" '$1 == k { print $2 }'
}

retrans() {
	ip netns exec $s awk '/^Tcp:/ {
		if (!c) { for (i = 1; i <= NF; i++) if ($i == "RetransSegs") c = i }
		else print $c }' /proc/net/snmp
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# Drain the flow's lower half-way through the counted time (noting lag0's
# move counters before, in $dir/pre), or with "other" the lower the flow
# is not on (the same write, no move); the loop undoes it.  Which lower
# is found during nrtls-rxbench's second of warm-up, on the sender's CPU,
# so that the programs that takes neither run in the counted time nor
# starve the receiver (whose queues would overflow in slow start); the
# drain is then a write to the lower's nrtls_lag/drain in sysfs by a shell
# started on CPU 1 beforehand, waiting on a FIFO: no process starts at
# the move.
move_later() {
	local trig lower=

	taskset -cp 0 $BASHPID > /dev/null
	rm -f "$dir/go"
	mkfifo "$dir/go"
	# shellcheck disable=SC2016
	taskset -c 1 ip netns exec $s bash -c \
		'read -r l < "$1" && [ -n "$l" ] && echo 1 > "/sys/class/net/$l/nrtls_lag/drain"' \
		_ "$dir/go" &
	trig=$!
	for _ in $(seq 20); do
		lower=$(grep " dev=lag0 " /sys/kernel/debug/nrtls/contexts |
			grep -o "lower_dev=[a-z0-9]*" | head -1 | cut -d= -f2)
		[ -z "$lower" ] || break
		sleep 0.05
	done
	if [ "${1:-}" = other ]; then
		[ "$lower" = nic0 ] && lower=nic1 || lower=nic0
	elif [ -n "$lower" ]; then
		echo "$(lag_stat tx_tls_move_gaps) $(lag_stat tx_tls_move_gap_total_us)" > "$dir/pre"
	fi
	taskset -cp 1 $BASHPID > /dev/null
	sleep $((secs / 2 + 1))
	echo "$lower" > "$dir/go"
	wait $trig || true
}

rows=(none hash least-loaded map hash+move hash+drain-other)
echo "Steering through lag0 (two emulated mlx5 NICs): $rounds rounds of $secs s per row,"
echo "TLS 1.2 AES-GCM-128 offloaded by the NICs; CPU: all CPUs' busy ms per MB sent"
printf '%-16s %9s %10s %10s %8s %12s %8s %6s %18s %8s\n' program MB/s packets/s \
	"spacing us" CPU "max gap ms" resets sw "move us" retrans
declare -A res=()
for ((i = 0; i < rounds; i++)); do
	for row in "${rows[@]}"; do
		case $row in
		none) ;;
		hash+*) "$ctl" steer attach lag0 --netns $s --policy hash > /dev/null ;;
		map)
			"$ctl" steer attach lag0 --netns $s --policy map > /dev/null
			"$ctl" steer rule add lag0 192.0.2.0/24 nic1 --netns $s > /dev/null
			;;
		*) "$ctl" steer attach lag0 --netns $s --policy $row > /dev/null ;;
		esac
		p0=$(ip netns exec $s cat /sys/class/net/lag0/statistics/tx_packets)
		rs0=$(lag_stat tx_tls_resets)
		sw0=$(lag_stat tx_tls_sw_packets)
		rm -f "$dir/pre"
		rt0=$(retrans)
		mover=
		if [ $row = hash+move ]; then
			move_later &
			mover=$!
		elif [ $row = hash+drain-other ]; then
			move_later other &
			mover=$!
		fi
		t0=$(date +%s.%N)
		line=$(ip netns exec $r "$bench" --path sw --tls 1.2 --cert "$dir/cert.pem" \
			--key "$dir/key.pem" --addr 192.0.2.1 --send-netns $s --seconds "$secs" \
			--send-cpu 0 --recv-cpu 1)
		t1=$(date +%s.%N)
		[ -z "$mover" ] || wait $mover
		p1=$(ip netns exec $s cat /sys/class/net/lag0/statistics/tx_packets)
		read -r _ kpath _ _ mbs _ _ oms _ gap <<< "$line"
		res[$row.mbs]+="$mbs "
		res[$row.pps]+="$(awk "BEGIN { printf \"%.0f\", ($p1 - $p0) / ($t1 - $t0) }") "
		res[$row.sp]+="$(awk "BEGIN { printf \"%.0f\", 1e6 * ($t1 - $t0) / ($p1 - $p0) }") "
		res[$row.cpu]+="$oms "
		res[$row.gap]+="$gap "
		res[$row.rs]+="$(($(lag_stat tx_tls_resets) - rs0)) "
		res[$row.sw]+="$(($(lag_stat tx_tls_sw_packets) - sw0)) "
		if [ -s "$dir/pre" ]; then
			read -r mg0 mt0 < "$dir/pre"
			mg=$(($(lag_stat tx_tls_move_gaps) - mg0))
			[ $mg -eq 0 ] ||
				res[$row.mv]+="$((($(lag_stat tx_tls_move_gap_total_us) - mt0) / mg)) "
		fi
		res[$row.rt]+="$(($(retrans) - rt0)) "
		"$ctl" drain nic0 --undo --netns $s > /dev/null 2>&1 || true
		"$ctl" drain nic1 --undo --netns $s > /dev/null 2>&1 || true
		[ $row = none ] || "$ctl" steer detach lag0 --netns $s > /dev/null
	done
done
for row in "${rows[@]}"; do
	col() { tr ' ' '\n' <<< "${res[$row.$1]:-}" | grep -v '^$' | median; }
	mv=$(col mv)
	[ -z "$mv" ] || mv="$mv ($(tr ' ' '\n' <<< "${res[$row.mv]}" | grep -v '^$' | sort -g |
		sed -n '1p;$p' | paste -sd-))"
	printf '%-16s %9s %10s %10s %8s %12s %8s %6s %18s %8s\n' $row "$(col mbs)" "$(col pps)" \
		"$(col sp)" "$(col cpu)" "$(col gap)" "$(col rs)" "$(col sw)" "${mv:--}" "$(col rt)"
done
echo
echo "resets: contexts made on a lower (the first placement, and one per move);"
echo "sw: packets lag0 sent for software encryption (the first ones, before the"
echo "flow's context on a lower exists). hash+move: hash, and the flow's lower"
echo "drained half-way through; its max gap is the stall of the move plus the"
echo "noise the other rows show; hash+drain-other drains the other lower at the"
echo "same moment (the same write, no move). move us: at lag0, the flow's wait"
echo "for a packet across the drain's move (median over the rounds, and their"
echo "range; - without);"
echo "the move's stall is what it adds to the row's spacing us."
