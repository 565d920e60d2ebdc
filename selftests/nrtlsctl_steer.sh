#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nrtlsctl steer and drain: attach nrtls_steer to a wrapper over two
# emulated NICs, serve HTTPS (nrtls-serve, kTLS offloaded through the
# wrapper) to curl in a namespace, replace the program, add and remove
# rules, drain a lower (nrtlsctl drain) and see the next download avoid
# it, drain through sysfs, detach, drain with nothing attached; a
# wrapper in another namespace (--netns) and deleted under the program;
# errors for bad input.
top=$(cd "$(dirname "$0")/.." && pwd)
ctl=$top/build/user/bin/nrtlsctl
serve=$top/build/user/bin/nrtls-serve
# ip(8) learns the nrtls link kinds from this build's plugin.
export IP_LIB_DIR=$top/build/user/ip
ns=nrtls-st-$$
dir=$(mktemp -d)
. "$(dirname "$0")/lib/tap.sh"
echo "TAP version 13"
if [ "$(id -u)" -ne 0 ]; then
	tap_skip_all "not root: loads TC programs"
fi
if [ ! -e /sys/module/nrtls ] || [ ! -e /sys/module/nrtls_nic ]; then
	tap_skip_all "nrtls and nrtls_nic are not loaded (modprobe nrtls_nic)"
fi
if [ ! -x "$ctl" ] || [ ! -x "$serve" ] || [ ! -e "$IP_LIB_DIR/link_nrtls.so" ]; then
	echo "1..1"
	echo "not ok 1 - nrtlsctl, nrtls-serve or link_nrtls.so missing (make userspace)"
	exit 1
fi
cleanup() {
	kill "${srv:-}" 2> /dev/null
	wait 2> /dev/null
	ip link del slag0 2> /dev/null
	ip link del nst0 2> /dev/null
	ip link del nst1 2> /dev/null
	ip netns del "$ns" 2> /dev/null
	rm -rf "$dir" /sys/fs/bpf/nrtls/steer-*-*
}
trap cleanup EXIT
json_num() { grep -Eo "\"$1\":[0-9]+" | head -1 | cut -d: -f2; }
json_str_of() { grep -Eo "\"$1\":\"[^\"]*\"" | head -1 | cut -d'"' -f4; }
stat_of() { ethtool -S "$1" | awk -v k="$2:" '$1 == k { print $2 }'; }
txb() { cat "/sys/class/net/$1/statistics/tx_bytes"; }

set -e
ip netns add "$ns"
ip link add nst0 type nrtls personality mlx5 peer name nst0p netns "$ns"
ip link add nst1 type nrtls personality cxgb4 peer name nst1p netns "$ns"
ip link add slag0 type nrtls_lag
ip link set nst0 master slag0
ip link set nst1 master slag0
ip link set nst0 up
ip link set nst1 up
ip link set slag0 up
ip addr add 198.51.100.1/24 dev slag0
ip -n "$ns" link add br0 address 02:00:00:00:02:02 type bridge
ip -n "$ns" link set nst0p master br0
ip -n "$ns" link set nst1p master br0
for d in nst0p nst1p br0 lo; do ip -n "$ns" link set "$d" up; done
ip -n "$ns" addr add 198.51.100.2/24 dev br0
ifindex=$(cat /sys/class/net/slag0/ifindex)
pins=/sys/fs/bpf/nrtls/steer-$(stat -L -c %i /proc/self/ns/net)-$ifindex
set +e

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=nrtls-steer \
	-keyout "$dir/k.pem" -out "$dir/c.pem" 2> /dev/null
mkdir "$dir/www"
head -c 4194304 /dev/urandom > "$dir/www/f"
"$serve" --root "$dir/www" --https 198.51.100.1:8443 --cert "$dir/c.pem" \
	--key "$dir/k.pem" --threads 1 --access-log off 2> "$dir/srv.err" &
srv=$!
for _ in $(seq 200); do
	ss -Hltn "sport = :8443" | grep -q . && break
	sleep 0.1
done
# TLS 1.2 with AES-GCM: what kTLS offloads to a device on both kernels.
get() {
	ip netns exec "$ns" curl -sk --max-time 60 --tls-max 1.2 \
		--ciphers ECDHE-RSA-AES128-GCM-SHA256 -o "$dir/got" \
		https://198.51.100.1:8443/f && cmp -s "$dir/www/f" "$dir/got"
}

out=$("$ctl" steer attach slag0); rc=$?
t "attach exits 0 and says where it pinned" \
	'[ $rc -eq 0 ] && echo "$out" | grep -q "attached to slag0 .*policy hash; pinned in $pins"'
prog1=$("$ctl" steer status slag0 --json | json_num program)
how=$("$ctl" steer status slag0 --json | json_str_of how)
t "pinned; the program is in bpftool by name, attached to the egress ($how)" \
	'[ -e $pins/rules ] && [ -e $pins/stats ] && [ -e $pins/config ] &&
	 bpftool prog show id "$prog1" | grep -q "name nrtls_steer" &&
	 if [ "$how" = tcx ]; then [ -e $pins/link ] && bpftool link show | grep -q "prog $prog1"
	 else [ -e $pins/prog ] && tc filter show dev slag0 egress | grep -q "nrtls_steer"; fi'

off0=$(stat_of slag0 tx_tls_offloaded_packets)
t "an HTTPS download through the wrapper is byte-exact" get
st=$("$ctl" steer status slag0 --json)
echo "# after one download: $st; slag0 offloaded packets $off0 -> $(stat_of slag0 tx_tls_offloaded_packets)"
t "the program saw the offloaded flow and decided, no errors" \
	'[ "$(echo "$st" | json_num offloaded)" -gt 0 ] &&
	 [ "$(echo "$st" | json_num decisions)" -ge 1 ] &&
	 [ "$(echo "$st" | json_num errors)" -eq 0 ] &&
	 [ "$(stat_of slag0 tx_tls_offloaded_packets)" -gt "$off0" ]'
dec1=$(echo "$st" | json_num decisions)

out=$("$ctl" steer attach slag0 --policy least-loaded); rc=$?
st=$("$ctl" steer status slag0 --json)
t "attach again replaces the program, keeping the counters" \
	'[ $rc -eq 0 ] && echo "$out" | grep -q "replaced on slag0 .*policy least-loaded" &&
	 [ "$(echo "$st" | json_str_of policy)" = least-loaded ] &&
	 [ "$(echo "$st" | json_num program)" != "$prog1" ] &&
	 [ "$(echo "$st" | json_num decisions)" -eq "$dec1" ]'

t "rule add: listed by status" \
	'"$ctl" steer rule add slag0 198.51.100.0/24 nst1 --port 443 > /dev/null &&
	 "$ctl" steer status slag0 | grep -q "rule 198.51.100.0/24 port 443 -> nst1" &&
	 "$ctl" steer status slag0 --json |
		grep -q "\"rules\":\[{\"prefix\":\"198.51.100.0/24\",\"port\":443,\"lower\":\"nst1\"}\]"'
t "rule del: gone; again: exit 1 and a message" \
	'"$ctl" steer rule del slag0 198.51.100.0/24 --port 443 &&
	 ! "$ctl" steer status slag0 | grep -q "rule " &&
	 ! "$ctl" steer rule del slag0 198.51.100.0/24 --port 443 2> "$dir/err" &&
	 grep -q "no such rule" "$dir/err"'
t "rule add to a device that is not a lower: exit 1 and a message" \
	'! "$ctl" steer rule add slag0 10.0.0.0/8 lo 2> "$dir/err" &&
	 grep -q "lo is not a lower of slag0" "$dir/err"'
t "rule add with a bad prefix: exit 1 and a message" \
	'! "$ctl" steer rule add slag0 10.0.0.0/33 nst0 2> "$dir/err" &&
	 grep -q "bad prefix length" "$dir/err"'

"$ctl" steer attach slag0 --policy hash > /dev/null
t "drain nst0: waits until no flow is on it, listed as drained" \
	'"$ctl" drain nst0 > "$dir/out" && grep -q "nst0 drained (slag0)" "$dir/out" &&
	 grep -q "no flow left on it" "$dir/out" &&
	 "$ctl" steer status slag0 --json | grep -q "\"drained\":\[\"nst0\"\]"'
b0=$(txb nst0) b1=$(txb nst1)
t "ip -d link shows nst0 drained, and no flow on it" \
	'ip -d link show nst0 | grep -q "nrtls_lag_slave drain on contexts 0"'
t "a download while nst0 is drained goes by nst1" get
d0=$(($(txb nst0) - b0)) d1=$(($(txb nst1) - b1))
echo "# while drained: nst0 sent $d0 bytes, nst1 $d1"
# nst0 may carry the handshake (not yet offloaded, so not steered).
t "nst1 carried the download, nst0 at most its handshake" \
	'[ $d1 -ge 4194304 ] && [ $d0 -lt 65536 ]'
t "drain --undo: drained none" \
	'"$ctl" drain nst0 --undo | grep -q "nst0 takes flows again" &&
	 "$ctl" steer status slag0 | grep -q "drained: none"'
t "ip -d -j link: a lower's drain and flows, in JSON" \
	'"$ctl" drain nst1 --no-wait > /dev/null &&
	 ip -d -j link show nst1 > "$dir/json" && grep -Eq "\"drain\":(true|\"on\")" "$dir/json" &&
	 grep -Eq "\"contexts\":[0-9]+" "$dir/json" &&
	 "$ctl" drain nst1 --undo > /dev/null &&
	 ip -d link show nst1 | grep -q "nrtls_lag_slave drain off"'
sys=/sys/class/net/nst0/nrtls_lag
t "sysfs: nrtls_lag/drain and contexts; writing 1 drains as nrtlsctl does, 0 undoes" \
	'[ "$(cat $sys/drain)" = 0 ] && [ "$(cat $sys/contexts)" = 0 ] &&
	 echo 1 > $sys/drain && [ "$(cat $sys/drain)" = 1 ] &&
	 ip -d link show nst0 | grep -q "nrtls_lag_slave drain on" &&
	 "$ctl" steer status slag0 --json | grep -q "\"drained\":\[\"nst0\"\]" &&
	 echo 0 > $sys/drain && ip -d link show nst0 | grep -q "nrtls_lag_slave drain off"'
t "sysfs: other values refused (EINVAL); writes need root and CAP_NET_ADMIN" \
	'{ echo 2 > $sys/drain; } 2> "$dir/err"; grep -q "Invalid argument" "$dir/err" &&
	 { echo on > $sys/drain; } 2> "$dir/err"; grep -q "Invalid argument" "$dir/err" &&
	 ! setpriv --reuid 65534 --regid 65534 --clear-groups sh -c "echo 1 > $sys/drain" 2> /dev/null &&
	 ! setpriv --bounding-set -net_admin bash -c "echo 1 > $sys/drain" 2> "$dir/err" &&
	 grep -q "Operation not permitted" "$dir/err" && [ "$(cat $sys/drain)" = 0 ]'
t "sysfs: the directory goes with the lower, and comes back with it" \
	'ip link set nst1 nomaster && [ ! -e /sys/class/net/nst1/nrtls_lag ] &&
	 ip link set nst1 master slag0 && ip link set nst1 up &&
	 [ "$(cat /sys/class/net/nst1/nrtls_lag/drain)" = 0 ]'
hits() { awk -v s=lag_sysfs '$1 == s { print $5 }' /sys/kernel/debug/nrtls/fault; }
h0=$(hits)
t "no memory for the directory (fault lag_sysfs): enslaving fails, nst1 left as it was" \
	'ip link set nst1 nomaster && addr=$(cat /sys/class/net/nst1/address) &&
	 echo "lag_sysfs 1 1" > /sys/kernel/debug/nrtls/fault &&
	 ! ip link set nst1 master slag0 2> "$dir/err" && grep -q "Cannot allocate memory" "$dir/err" &&
	 [ "$(hits)" = $((h0 + 1)) ] && [ ! -e /sys/class/net/nst1/master ] &&
	 [ ! -e /sys/class/net/nst1/nrtls_lag ] && [ "$(cat /sys/class/net/nst1/address)" = "$addr" ] &&
	 ip link set nst1 master slag0 && ip link set nst1 up && [ -e /sys/class/net/nst1/nrtls_lag ]'
echo reset > /sys/kernel/debug/nrtls/fault
t "drain of a device that is not a lower: exit 1 and a message" \
	'! "$ctl" drain lo 2> "$dir/err" && grep -q "not a lower of an nrtls_lag" "$dir/err"'
t "attach to a device that is not a wrapper: exit 1 and a message" \
	'! "$ctl" steer attach nst0 2> "$dir/err" && grep -q "not an nrtls_lag wrapper" "$dir/err"'
t "usage errors exit 2" \
	'"$ctl" steer > /dev/null 2>&1; [ $? -eq 2 ] &&
	 { "$ctl" steer attach slag0 --policy fastest 2> "$dir/err"; [ $? -eq 2 ]; } &&
	 grep -q "not hash, least-loaded or map" "$dir/err" &&
	 { "$ctl" drain > /dev/null 2>&1; [ $? -eq 2 ]; } &&
	 { "$ctl" drain nst0 --wait 0 2> "$dir/err"; [ $? -eq 2 ]; } &&
	 grep -q "not a number of seconds" "$dir/err" &&
	 { "$ctl" steer frob slag0 > /dev/null 2>&1; [ $? -eq 2 ]; }'

# A wrapper in the other namespace, driven from here with --netns.
ip -n "$ns" link add nst2 type nrtls personality mlx5 peer name nst2p
ip -n "$ns" link add slag1 type nrtls_lag
ip -n "$ns" link set nst2 master slag1
ip -n "$ns" link set nst2 up
ip -n "$ns" link set slag1 up
nsino=$(ip netns exec "$ns" stat -L -c %i /proc/self/ns/net)
ifindex2=$(ip netns exec "$ns" cat /sys/class/net/slag1/ifindex)
t "attach --netns: on the wrapper there, pinned here, listed by status" \
	'"$ctl" steer attach slag1 --netns "$ns" > /dev/null &&
	 [ -d /sys/fs/bpf/nrtls/steer-$nsino-$ifindex2 ] &&
	 "$ctl" steer status --json | grep -q "\"netns\":$nsino,\"ifindex\":$ifindex2,\"attached\":true"'
t "drain --netns finds the wrapper of a lower there" \
	'"$ctl" drain nst2 --netns "$ns" | grep -q "nst2 drained" &&
	 "$ctl" steer status slag1 --netns "$ns" --json | grep -q "\"drained\":\[\"nst2\"\]"'
ip -n "$ns" link del slag1
t "the wrapper deleted: status says detached, detach by ifindex cleans up" \
	'"$ctl" steer status "$ifindex2" --netns "$ns" --json | grep -q "\"attached\":false" &&
	 "$ctl" steer detach "$ifindex2" --netns "$ns" > /dev/null &&
	 [ ! -e /sys/fs/bpf/nrtls/steer-$nsino-$ifindex2 ]'

prog2=$("$ctl" steer status slag0 --json | json_num program)
out=$("$ctl" steer detach slag0); rc=$?
t "detach removes the program and its pins" \
	'[ $rc -eq 0 ] && [ ! -e $pins ] && ! bpftool prog show id "$prog2" > /dev/null 2>&1 &&
	 ! tc filter show dev slag0 egress | grep -q nrtls_steer'
t "attach after a detach (the clsact qdisc left in place on 6.1): nothing on stderr" \
	'"$ctl" steer attach slag0 > /dev/null 2> "$dir/err" && [ ! -s "$dir/err" ] &&
	 "$ctl" steer detach slag0 > /dev/null 2> "$dir/err" && [ ! -s "$dir/err" ]'
t "detach when not attached: exit 1 and a message" \
	'! "$ctl" steer detach slag0 2> "$dir/err" && grep -q "not attached to slag0" "$dir/err"'
t "drain is the wrapper's: it works with nothing attached, twice, and --undo" \
	'"$ctl" drain nst0 --no-wait | grep -q "nst0 drained (slag0)" &&
	 "$ctl" drain nst0 | grep -q "no flow left on it" &&
	 "$ctl" drain nst0 --undo | grep -q "nst0 takes flows again"'
t "a download with nothing attached still works" get
t "nothing attached: status says so" \
	'"$ctl" steer status | grep -q "nrtls_steer is not attached"'
tap_done
