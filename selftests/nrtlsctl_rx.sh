#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nrtlsctl rx: attach nrtls_rx to a veth, follow a real OpenSSL connection
# through it, replace it in place under the same link without losing its
# flows, survive the device's removal, detach; a device in another network
# namespace (--netns); errors for bad input.
top=$(cd "$(dirname "$0")/.." && pwd)
ctl=$top/build/user/bin/nrtlsctl
ns=nrtls-rx-$$
dir=$(mktemp -d)
. "$(dirname "$0")/lib/tap.sh"
echo "TAP version 13"
if [ "$(id -u)" -ne 0 ]; then
	tap_skip_all "not root: loads XDP programs"
fi
if [ ! -e /sys/module/nrtls ]; then
	tap_skip_all "nrtls is not loaded (modprobe nrtls)"
fi
if [ ! -x "$ctl" ]; then
	echo "1..1"
	echo "not ok 1 - $ctl missing (make userspace)"
	exit 1
fi
cleanup() {
	kill "${srv:-}" 2> /dev/null
	ip link del nrx0 2> /dev/null
	ip link del nrx2 2> /dev/null
	ip netns del "$ns" 2> /dev/null
	rm -rf "$dir" /sys/fs/bpf/nrtls/rx-*-*
}
trap cleanup EXIT
json_num() { grep -Eo "\"$1\":[0-9]+" | head -1 | cut -d: -f2; }

ip netns add "$ns"
ip link add nrx0 type veth peer name nrx1 netns "$ns"
ip addr add 198.51.100.1/24 dev nrx0
ip link set nrx0 up
ip -n "$ns" addr add 198.51.100.2/24 dev nrx1
ip -n "$ns" link set nrx1 up
ip -n "$ns" link set lo up
ifindex=$(cat /sys/class/net/nrx0/ifindex)
netino=$(stat -L -c %i /proc/self/ns/net)
pins=/sys/fs/bpf/nrtls/rx-$netino-$ifindex

out=$("$ctl" rx attach nrx0 --port 4433); rc=$?
link1=$("$ctl" rx status nrx0 --json | json_num link)
prog1=$("$ctl" rx status nrx0 --json | json_num program)
t "attach exits 0 and says where it pinned" \
	'[ $rc -eq 0 ] && echo "$out" | grep -q "attached to nrx0 .*port 4433; pinned in $pins"'
t "link and maps pinned, XDP on the device, link in bpftool" \
	'[ -e $pins/link ] && [ -e $pins/flows ] && [ -e $pins/stats ] && [ -e $pins/config ] &&
	 ip link show nrx0 | grep -q "prog/xdp" &&
	 bpftool link show | grep -Eq "^$link1: xdp +prog $prog1\b"'

# A TLS 1.3 connection from the namespace to port 4433, 1 MiB each way in.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=nrtls-rx \
	-keyout "$dir/k.pem" -out "$dir/c.pem" 2> /dev/null
head -c 1048576 /dev/urandom > "$dir/in"
# s_server ends the connection when its stdin ends: keep that open.
mkfifo "$dir/stdin"
openssl s_server -accept 198.51.100.1:4433 -cert "$dir/c.pem" -key "$dir/k.pem" \
	-naccept 1 -quiet < "$dir/stdin" > "$dir/out" 2> "$dir/srv.err" &
srv=$!
exec 5> "$dir/stdin"
# One connection only: no attempt before the server listens.
for _ in $(seq 200); do
	ss -Hltn "sport = :4433" | grep -q . && break
	sleep 0.1
done
ip netns exec "$ns" openssl s_client -connect 198.51.100.1:4433 -quiet -no_ign_eof \
	-nocommands < "$dir/in" > /dev/null 2> "$dir/cli.err"
wait $srv
exec 5>&-
t "the server got the client's bytes" 'cmp -s "$dir/in" "$dir/out"'
status=$("$ctl" rx status --json)
flow=$(echo "$status" | grep -Eo '\{"source":"198\.51\.100\.2:[0-9]+","destination":"198\.51\.100\.1:4433"[^}]*\}')
records=$(echo "$flow" | json_num records)
bytes=$(echo "$flow" | json_num bytes)
# 1 MiB needs at least 64 records of 2^14 bytes, plus the handshake's.
t "one flow, followed to the end: $records records, $bytes bytes" \
	'[ "$(echo "$flow" | wc -l)" -eq 1 ] && echo "$flow" | grep -q "\"state\":\"synced\"" &&
	 [ "${records:-0}" -ge 67 ] && [ "${bytes:-0}" -gt 1048576 ] &&
	 echo "$flow" | grep -q "\"dropped\":0"'
t "counters: none lost, none dropped" \
	'[ "$(echo "$status" | json_num lost_sync)" = 0 ] &&
	 [ "$(echo "$status" | json_num dropped)" = 0 ] &&
	 [ "$(echo "$status" | json_num records)" -ge "${records:-1}" ]'
text=$("$ctl" rx status)
t "text status names the device, the port and the flow" \
	'echo "$text" | grep -q "^nrx0 (ifindex $ifindex): attached, .*port 4433" &&
	 echo "$text" | grep -Eq "^  tcp +198\.51\.100\.2:[0-9]+ +198\.51\.100\.1:4433 +synced +$records +$bytes +0$"'

out=$("$ctl" rx attach nrx0); rc=$?
status=$("$ctl" rx status nrx0 --json)
t "attach again replaces the program in the same link" \
	'[ $rc -eq 0 ] && echo "$out" | grep -q "replaced on nrx0 .*all TCP ports" &&
	 [ "$(echo "$status" | json_num link)" = "$link1" ] &&
	 [ "$(echo "$status" | json_num program)" != "$prog1" ] &&
	 [ "$(echo "$status" | json_num port)" = 0 ]'
t "the replacement keeps the flows and counters" \
	'echo "$status" | grep -q "\"records\":$records,\"bytes\":$bytes,"'

out=$("$ctl" rx attach nrx0 --port 4433 --steer-cpu); rc=$?
status=$("$ctl" rx status nrx0 --json)
t "--steer-cpu replaces it in the same link and shows in status" \
	'[ $rc -eq 0 ] && echo "$out" | grep -q "port 4433, steering flows with a context to their CPU" &&
	 [ "$(echo "$status" | json_num link)" = "$link1" ] &&
	 echo "$status" | grep -q "\"steer_cpu\":true" &&
	 echo "$status" | grep -q "\"steered\":0" &&
	 "$ctl" rx status nrx0 | grep -q "^nrx0 (ifindex $ifindex): attached, .*port 4433, steering to CPUs"'

# Two attachments and two pin directories without pins, one made before
# and one after the second attachment: whatever order status reads them
# in, the broken ones print nothing, not even a comma.
ip link add nrx2 type veth peer name nrx3
mkdir "/sys/fs/bpf/nrtls/rx-$netino-2147483646"
"$ctl" rx attach nrx2 > /dev/null
mkdir "/sys/fs/bpf/nrtls/rx-$netino-2147483647"
status=$("$ctl" rx status --json 2> "$dir/status.err"); rc=$?
t "status --json with unreadable attachments: exit 1, the two others, well formed" \
	'[ $rc -eq 1 ] && [ "$(grep -c "incomplete or unreadable" "$dir/status.err")" -eq 2 ] &&
	 echo "$status" | grep -Eq "^\{\"programs\":\[\{\"device\":.*\}\]\}$" &&
	 [ "$(echo "$status" | grep -o "{\"device\":" | wc -l)" -eq 2 ] &&
	 ! echo "$status" | grep -Eq "\[,|,\]|,,|\}\{"'
rmdir /sys/fs/bpf/nrtls/rx-"$netino"-214748364[67]
"$ctl" rx detach nrx2 > /dev/null
ip link del nrx2

t "usage errors exit 2" \
	'"$ctl" rx attach 2> /dev/null; [ $? -eq 2 ] &&
	 { "$ctl" rx attach nrx0 --port 70000 2> /dev/null; [ $? -eq 2 ]; } &&
	 { "$ctl" rx frob nrx0 2> /dev/null; [ $? -eq 2 ]; } &&
	 { "$ctl" rx detach nrx0 --steer-cpu 2> /dev/null; [ $? -eq 2 ]; }'
t "a device that does not exist: exit 1 and a message" \
	'err=$("$ctl" rx attach nrx-none 2>&1); [ $? -eq 1 ] && echo "$err" | grep -q "no device"'

out=$("$ctl" rx detach nrx0); rc=$?
t "detach removes the program and its pins" \
	'[ $rc -eq 0 ] && [ ! -e $pins ] && ! ip link show nrx0 | grep -q "prog/xdp" &&
	 ! bpftool link show | grep -Eq "^$link1: xdp"'
t "detach when not attached: exit 1 and a message" \
	'err=$("$ctl" rx detach nrx0 2>&1); [ $? -eq 1 ] && echo "$err" | grep -q "not attached"'

# The namespace's end, from here: pinned in this mount namespace.
nsino=$(stat -L -c %i /run/netns/"$ns")
out=$("$ctl" rx attach nrx1 --netns "$ns" --port 443); rc=$?
status=$("$ctl" rx status --json)
t "attach --netns: on the device there, pinned here, listed by status" \
	'[ $rc -eq 0 ] && ip -n "$ns" link show nrx1 | grep -q "prog/xdp" &&
	 ls -d /sys/fs/bpf/nrtls/rx-$nsino-* > /dev/null &&
	 echo "$status" | grep -q "{\"device\":null,\"netns\":$nsino,\"ifindex\":[0-9]*,\"attached\":true" &&
	 "$ctl" rx status nrx1 --netns "$ns" --json | grep -q "{\"device\":\"nrx1\",\"netns\":$nsino,"'
out=$("$ctl" rx detach nrx1 --netns "$ns"); rc=$?
t "detach --netns" \
	'[ $rc -eq 0 ] && ! ip -n "$ns" link show nrx1 | grep -q "prog/xdp" &&
	 ! ls -d /sys/fs/bpf/nrtls/rx-$nsino-* > /dev/null 2>&1'
t "a namespace that does not exist: exit 1 and a message" \
	'err=$("$ctl" rx attach nrx1 --netns nrtls-none 2>&1); [ $? -eq 1 ] &&
	 echo "$err" | grep -q "network namespace nrtls-none"'

# What an attach that failed half-way could leave: pins without a link.
mkdir -p "$pins"
bpftool map create "$pins/flows" type array key 4 value 4 entries 1 name stale
t "attach over the pins a failed attach left" \
	'"$ctl" rx attach nrx0 > /dev/null && [ -e $pins/link ] &&
	 "$ctl" rx status nrx0 --json | grep -q "\"attached\":true" &&
	 ip link show nrx0 | grep -q "prog/xdp"'
ip link del nrx0
status=$("$ctl" rx status --json)
t "the device removed: status says detached, detach by ifindex cleans up" \
	'echo "$status" | grep -q "\"device\":null,\"netns\":[0-9]*,\"ifindex\":$ifindex,\"attached\":false" &&
	 "$ctl" rx detach "$ifindex" > /dev/null && [ ! -e $pins ]'
t "nothing attached: status says so" \
	'[ "$("$ctl" rx status --json)" = "{\"programs\":[]}" ]'
tap_done
