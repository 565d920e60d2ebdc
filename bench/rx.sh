#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TLS receive, in one run: the emulated NIC decrypting (RX offload), kTLS
# decrypting in software (also with nrtls_rx, the XDP program that follows
# records, attached to the receiving NIC: path sw+rx; and sw+xdp, where it
# is attached but set to a port that no flow uses, which is the cost of
# generic XDP and the header parse alone), and OpenSSL
# decrypting in userspace, for TLS 1.2 and 1.3 with AES-GCM-128.
# Throughput, and CPU time per MB received.
#
#   bench/rx.sh NRTLS-RXBENCH [SECONDS] [ROUNDS]
#
# The receiver sits in one namespace behind nic0 (mlx5 personality), the
# sender in another behind its peer nic0p, encrypting with software kTLS
# (nic0p's TX offload off), so that every path gets the same records cut
# into the same packets.  Paths and rounds alternate; each column is the
# median over ROUNDS (3) of SECONDS (10) each.  With two CPUs or more the
# receiver runs on CPU 0 and the sender on CPU 1: "recv CPU" is CPU 0's
# busy time per MB, "other CPUs" the rest's, where the sender, TCP's
# softirq and the emulated NIC's decryption (on the sending CPU, where
# nic0p hands frames to nic0) run.  A real NIC would take that last part
# off the CPUs; here it is software.
#
# Needs root, nrtls.ko and nrtls_nic.ko loaded, the tls module, ethtool,
# this build's ip(8) plugin (build/user/ip) and nrtlsctl.
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
a=nrtls-rxb-a-$$
b=nrtls-rxb-b-$$
dir=$(mktemp -d /tmp/nrtls-rxbench.XXXXXX)
cleanup() {
	"$top/build/user/bin/nrtlsctl" rx detach nic0 --netns $a > /dev/null 2>&1 || true
	ip netns del $a 2> /dev/null || true
	ip netns del $b 2> /dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

[ -x "$bench" ] || { echo "bench: $bench missing (make bench-build)" >&2; exit 1; }
[ -e /dev/nrtls ] || { echo "bench: nrtls.ko is not loaded" >&2; exit 1; }
[ -d /sys/module/nrtls_nic ] || { echo "bench: nrtls_nic.ko (the emulated NIC) is not loaded" >&2; exit 1; }
[ -e "$IP_LIB_DIR/link_nrtls.so" ] || { echo "bench: $IP_LIB_DIR/link_nrtls.so missing (make userspace)" >&2; exit 1; }
ctl=$top/build/user/bin/nrtlsctl
[ -x "$ctl" ] || { echo "bench: $ctl missing (make userspace)" >&2; exit 1; }
for t in ip ethtool openssl; do
	command -v $t > /dev/null || { echo "bench: $t not found (make deps)" >&2; exit 1; }
done
modprobe tls

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=192.0.2.1 -keyout "$dir/key.pem" -out "$dir/cert.pem" 2> /dev/null
ip netns add $a
ip netns add $b
ip -n $a link set lo up
ip -n $b link set lo up
ip -n $a link add nic0 type nrtls personality mlx5 peer name nic0p netns $b
ip -n $a addr add 192.0.2.1/24 dev nic0
ip -n $b addr add 192.0.2.2/24 dev nic0p
ip -n $a link set nic0 up
ip -n $b link set nic0p up
ip netns exec $b ethtool -K nic0p tls-hw-tx-offload off

cpus=()
[ "$(nproc)" -ge 2 ] && cpus=(--recv-cpu 0 --send-cpu 1)
# nic0's NAPI runs where the sender's ring timer raised it; RPS keeps the
# protocol work there too (the sender's CPU), so that the receiver's CPU
# column holds only what the receiving socket costs.
if [ ${#cpus[@]} -gt 0 ]; then
	ip netns exec $a sh -c 'echo 2 > /sys/class/net/nic0/queues/rx-0/rps_cpus'
fi

nic_stat() {
	ip netns exec $a ethtool -S nic0 | awk -v k="$1:" '$1 == k { print $2 }'
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

echo "TLS receive: $rounds rounds of $secs s per cell, AES-GCM-128, 256 KiB reads;"
echo "the sender encrypts with software kTLS; CPU in ms per MB received"
[ ${#cpus[@]} -gt 0 ] || echo "(one CPU: no recv/other split)"
printf '%-4s %-6s %-7s %9s %12s %9s %11s %12s\n' TLS path kernel MB/s \
	"recv thread" "recv CPU" "other CPUs" "NIC decrypted"
for tls in 1.2 1.3; do
	declare -A res=()
	for ((r = 0; r < rounds; r++)); do
		for path in nic sw sw+xdp sw+rx user; do
			off=off
			[ $path = nic ] && off=on
			ip netns exec $a ethtool -K nic0 tls-hw-rx-offload $off
			case $path in
			sw+rx) "$ctl" rx attach nic0 --netns $a > /dev/null ;;
			sw+xdp) "$ctl" rx attach nic0 --netns $a --port 1 > /dev/null ;;
			esac
			d0=$(nic_stat rx_tls_decrypted_bytes)
			line=$(ip netns exec $a "$bench" --path ${path%+*} --tls $tls \
				--cert "$dir/cert.pem" --key "$dir/key.pem" --addr 192.0.2.1 \
				--send-netns $b --seconds "$secs" "${cpus[@]}")
			d1=$(nic_stat rx_tls_decrypted_bytes)
			if [ $path = sw+rx ] || [ $path = sw+xdp ]; then
				st=$("$ctl" rx status nic0 --netns $a --json)
				"$ctl" rx detach nic0 --netns $a > /dev/null
			fi
			# sw+rx must have followed the connection to its end.
			if [ $path = sw+rx ] && { ! grep -q '"records":[1-9]' <<< "$st" ||
				! grep -q '"lost_sync":0' <<< "$st"; }; then
				echo "bench: nrtls_rx lost the flow: $st" >&2
				exit 1
			fi
			read -r _ kpath _ _ mbs tms cms oms total _ <<< "$line"
			res[$path.kpath]=$kpath
			res[$path.mbs]+="$mbs "
			res[$path.tms]+="$tms "
			res[$path.cms]+="$cms "
			res[$path.oms]+="$oms "
			res[$path.dec]+="$(awk "BEGIN { printf \"%.0f\", 100 * ($d1 - $d0) / $total }") "
		done
	done
	for path in nic sw sw+xdp sw+rx user; do
		col() { tr ' ' '\n' <<< "${res[$path.$1]}" | grep -v '^$' | median; }
		printf '%-4s %-6s %-7s %9s %12s %9s %11s %12s\n' $tls $path "${res[$path.kpath]}" \
			"$(col mbs)" "$(col tms)" "$(col cms)" "$(col oms)" "$(col dec)%"
	done
	unset res
done
echo
echo "kernel: what /proc/net/tls_stat says decrypted (device = the NIC's RX offload;"
echo "Linux offloads TLS 1.2 receive only, so TLS 1.3 over nic falls back to sw)."
echo "NIC decrypted: the share of the bytes that nic0 marked decrypted."
echo "sw+rx: sw with nrtls_rx on nic0, following the flow (generic XDP: the NIC"
echo "has no native XDP); sw+xdp: attached but following nothing (--port 1)."
