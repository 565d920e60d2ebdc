#!/bin/bash
# Stage 2 of the nrtls test guest: PID 1 in an overlay of the host's root.  Sets up the usual pseudo file systems, loads tls and
# nrtls.ko, runs the command the host put in the run directory, then
# unloads the module and scans the kernel log for splats.
#
# The run directory (/nrtls-out) carries everything back to the host:
#   rc      exit status of the command
#   result  ok | splat | leak | rmmod | insmod | infra
#   dmesg   the whole kernel log
#   splat   the offending kernel log lines, if any
out=/nrtls-out
# shellcheck source=/dev/null
. "$out/env"

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux} LANG=C.UTF-8

# PID 1 must not exit: power the guest off instead, so that QEMU exits.
finish() {
	echo "$1" > "$out/result"
	sync
	echo o > /proc/sysrq-trigger
	sleep 60
}

mount -t proc proc /proc
mount -t sysfs sys /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t tmpfs tmpfs /dev/shm
# Fresh tmpfs scratch directories, as on a normal host: the tests expect
# /tmp to be tmpfs (on the overlay, files take overlayfs's paths, and its
# files have no page cache of their own).  A checkout under one of them (a
# clone in /tmp) is bind-mounted back at its path on top.
keep=("$NRTLS_SRC")
case "$NRTLS_CWD/" in
"$NRTLS_SRC"/*) ;;
*) keep+=("$NRTLS_CWD") ;;
esac
for d in /tmp /run /var/tmp; do
	stashed=()
	for p in "${keep[@]}"; do
		case "$p/" in
		"$d"/*)
			mkdir -p "/mnt/nrtls-keep${#stashed[@]}"
			mount --bind "$p" "/mnt/nrtls-keep${#stashed[@]}" || finish infra
			stashed+=("$p")
			;;
		esac
	done
	mode=1777
	[ $d = /run ] && mode=755
	mount -t tmpfs -o mode=$mode tmpfs $d
	for i in "${!stashed[@]}"; do
		mkdir -p "${stashed[$i]}"
		mount --move "/mnt/nrtls-keep$i" "${stashed[$i]}" || finish infra
	done
done
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf
modprobe -q configfs && mount -t configfs configfs /sys/kernel/config
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mkdir -p /run/netns /var/log/nginx /var/lib/nginx
hostname nrtls-vm
ip link set lo up
ulimit -l unlimited
ulimit -c 0

# Without the accelerated ciphers kTLS runs the generic C code.
modprobe -q aesni_intel
modprobe -q ghash_clmulni_intel
modprobe tls || finish infra

# The whole log is scanned, boot included.
# The emulated NIC's module sits beside nrtls.ko and needs it.
NRTLS_NIC_KO=
if [ -n "$NRTLS_KO" ]; then
	NRTLS_NIC_KO=$(dirname "$NRTLS_KO")/nrtls_nic.ko
	# shellcheck disable=SC2086
	if ! insmod "$NRTLS_KO" $NRTLS_MODPARAMS || ! insmod "$NRTLS_NIC_KO"; then
		dmesg > "$out/dmesg"
		finish insmod
	fi
fi

export NRTLS_KO NRTLS_NIC_KO NRTLS_MODPARAMS
cd "$NRTLS_CWD" || finish infra
if [ -n "$NRTLS_INTERACTIVE" ]; then
	echo "nrtls-vm: $(uname -r), module ${NRTLS_KO:-not loaded}; exit the shell to power off"
	setsid -c bash -i < /dev/console > /dev/console 2>&1
	rc=$?
else
	echo "nrtls-vm: ready"
	bash "$out/cmd"
	rc=$?
fi
echo "$rc" > "$out/rc"
cd /

result=ok
if [ -d /sys/module/nrtls ]; then
	cnt=/sys/kernel/debug/nrtls/counters
	if [ -r $cnt ] && awk '$2 != 0 { bad = 1 } END { exit !bad }' $cnt; then
		echo "nrtls-vm: live objects left before rmmod:"
		awk '$2 != 0' $cnt
		result=leak
	fi
	if [ -d /sys/module/nrtls_nic ] && ! rmmod nrtls_nic; then
		echo "nrtls-vm: rmmod nrtls_nic failed"
		result=rmmod
	elif ! rmmod nrtls; then
		echo "nrtls-vm: rmmod nrtls failed"
		result=rmmod
	fi
fi

dmesg > "$out/dmesg"
# One line before each match: WARN()s print their message there.
if grep -B1 -E -f "$NRTLS_SRC/selftests/splat.re" "$out/dmesg" > "$out/splat"; then
	echo "nrtls-vm: kernel splat in dmesg:"
	head -n 40 "$out/splat"
	[ $result = ok ] && result=splat
fi
finish $result
