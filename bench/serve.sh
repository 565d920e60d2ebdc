#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nrtls-serve against nginx, in one run, with the same number of workers:
# requests per second, throughput and the servers' CPU time per MB with
# wrk, keep-alive, for 4 KiB, 256 KiB and 16 MiB files.
#
#   bench/serve.sh http|https [SECONDS] [WORKERS] [CONNECTIONS] [ROUNDS]
#
# http runs anywhere (the host: nrtls-serve takes the splice path without
# the module); https is meant for the VM, where kTLS and nrtls.ko are.
#
# With more CPUs than WORKERS, the servers run on CPUs 0..WORKERS-1 and wrk
# on the others, and so does nrtls.ko's push workqueue (its sysfs cpumask):
# otherwise a single-threaded wrk that is busy decrypting shares its CPU
# with whichever server the scheduler puts there, and on a 2-CPU guest that
# decides the result more than the servers do.  Then "CPU ms/MB" is the
# busy time of the server CPUs (user, system, irq, softirq) per MB served.
# "cs/MB" is context switches per MB and "pkt/MB" TCP segments sent per MB
# (the whole machine's, wrk's included: compare the two servers, not the
# numbers).  Rounds vary by more than the servers differ on a busy
# machine: read the per-round ratios before the means.
#
# Environment: SIZES="16m" runs only those files (of 4k 256k 16m); PIN=0
# does not pin; VERBOSE=1 prints every run; PROFILE=DIR records the server
# CPU with perf (cpu-clock, call graphs) during each run, into
# DIR/{nginx,nrtls}-FILE-rROUND.data, and writes each one's hottest
# symbols next to it (.txt) and to standard error (in the VM, whose writes
# stay in the guest, that is the only copy you get).
set -eu
case "${1:-}" in
-h | --help)
	sed -n '3,/^$/s/^# \{0,1\}//p' "$0"
	exit 0
	;;
http | https | '') ;;
*)
	echo "usage: $0 http|https [SECONDS] [WORKERS] [CONNECTIONS] [ROUNDS] (--help)" >&2
	exit 2
	;;
esac
scheme=${1:-http}
secs=${2:-10}
workers=${3:-1}
conns=${4:-16}
rounds=${5:-1}
top=$(cd "$(dirname "$0")/.." && pwd)
serve=$top/build/user/bin/nrtls-serve
dir=$(mktemp -d /tmp/nrtls-bench.XXXXXX)
chmod 755 "$dir"
wqmask=/sys/devices/virtual/workqueue/nrtls/cpumask
wqsaved=
cleanup() {
	kill $spid 2> /dev/null
	[ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2> /dev/null
	[ -z "$wqsaved" ] || echo "$wqsaved" > $wqmask
	sleep 0.5
	rm -rf "$dir"
}
trap cleanup EXIT
spid=
nport=18700
sport=18701

for t in wrk nginx curl openssl; do
	command -v $t > /dev/null || { echo "bench: $t not found (make deps)" >&2; exit 1; }
done
[ -x "$serve" ] || { echo "bench: $serve missing (make userspace)" >&2; exit 1; }
[ "$scheme" = https ] && modprobe -q tls 2> /dev/null
if [ -n "${PROFILE:-}" ]; then
	if ! perf version > /dev/null 2>&1; then
		echo "bench: PROFILE needs perf (apt-get install linux-perf)" >&2
		exit 1
	fi
	# Kernel symbols in the reports.
	echo 0 > /proc/sys/kernel/kptr_restrict
fi

ncpu=$(nproc)
spin='' cpin=''
if [ "${PIN:-1}" != 0 ] && [ "$ncpu" -gt "$workers" ]; then
	spin=0-$((workers - 1)) cpin=$workers-$((ncpu - 1))
	[ "$workers" = 1 ] && spin=0
	[ $((workers + 1)) = "$ncpu" ] && cpin=$workers
	if [ -w $wqmask ]; then
		wqsaved=$(cat $wqmask)
		printf '%x\n' $(((1 << workers) - 1)) > $wqmask
	fi
fi

mkdir -p "$dir/www"
head -c 4096 /dev/urandom > "$dir/www/4k.bin"
head -c 262144 /dev/urandom > "$dir/www/256k.bin"
head -c 16777216 /dev/urandom > "$dir/www/16m.bin"
chmod -R a+rX "$dir/www"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=127.0.0.1 -keyout "$dir/key.pem" -out "$dir/cert.pem" 2> /dev/null

if [ "$scheme" = https ]; then
	listen="listen 127.0.0.1:$nport ssl;
		ssl_certificate $dir/cert.pem; ssl_certificate_key $dir/key.pem;
		ssl_protocols TLSv1.2 TLSv1.3; ssl_conf_command Options KTLS;"
	sflags="--https 127.0.0.1:$sport --cert $dir/cert.pem --key $dir/key.pem"
else
	listen="listen 127.0.0.1:$nport;"
	sflags="--http 127.0.0.1:$sport"
fi
cat > "$dir/nginx.conf" <<EOF
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/nginx.err;
events { worker_connections 4096; }
http {
	sendfile on; tcp_nopush on; tcp_nodelay on;
	keepalive_requests 1000000; keepalive_timeout 60;
	access_log off;
	client_body_temp_path $dir/tmp; proxy_temp_path $dir/tmp;
	fastcgi_temp_path $dir/tmp; uwsgi_temp_path $dir/tmp; scgi_temp_path $dir/tmp;
	types { application/octet-stream bin; }
	server { $listen root $dir/www; }
}
EOF
mkdir -p "$dir/tmp"
${spin:+taskset -c $spin} nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/nginx.err" || { cat "$dir/nginx.err"; exit 1; }
# shellcheck disable=SC2086
${spin:+taskset -c $spin} "$serve" --root "$dir/www" $sflags --threads "$workers" --access-log off \
	--max-conns 4096 2> "$dir/serve.err" &
spid=$!
for p in $nport $sport; do
	for _ in $(seq 100); do
		curl -skf -o /dev/null "$scheme://127.0.0.1:$p/4k.bin" && break
		sleep 0.1
	done
done
path=$(sed -n 's/.*sendfile path: //p' "$dir/serve.err")
ktls=
if [ "$scheme" = https ]; then
	ktls=$(grep -E '^TlsTx(Sw|Device)' /proc/net/tls_stat 2> /dev/null | awk '{ s += $2 } END { print s + 0 }')
fi

ctxt() { awk '$1 == "ctxt" { print $2 }' /proc/stat; }
outsegs() {
	awk '$1 == "Tcp:" { if (!h) { for (i = 2; i <= NF; i++) if ($i == "OutSegs") h = i; next }
			    print $h }' /proc/net/snmp
}

# Busy jiffies (USER_HZ) of the server CPUs, from /proc/stat.
busy() {
	[ -n "$spin" ] || { echo 0; return; }
	awk -v n="$workers" '$1 ~ /^cpu[0-9]+$/ && substr($1, 4) + 0 < n {
		s += $2 + $3 + $4 + $7 + $8 } END { print s + 0 }' /proc/stat
}

# One wrk run ($1: URL, $2: name for PROFILE): requests/s, MB/s, server
# CPU ms per MB, context switches and TCP segments sent per MB.
run_wrk() {
	local b0 b1 c0 c1 p0 p1 prof=()
	sleep 1	# let the previous run's connections go
	if [ -n "${PROFILE:-}" ] && [ -n "$spin" ]; then
		mkdir -p "$PROFILE"
		prof=(perf record -q -C "$spin" -e cpu-clock -g -o "$PROFILE/$2.data" --)
	fi
	b0=$(busy) c0=$(ctxt) p0=$(outsegs)
	"${prof[@]}" ${cpin:+taskset -c $cpin} wrk -t1 -c"$conns" -d"${secs}s" "$1" 2> /dev/null \
		> "$dir/wrk.out"
	b1=$(busy) c1=$(ctxt) p1=$(outsegs)
	if [ ${#prof[@]} -gt 0 ]; then
		perf report -q -i "$PROFILE/$2.data" --no-children --sort sym -g none 2> /dev/null |
			grep -v '^$' | head -40 > "$PROFILE/$2.txt"
		{ echo "# $2: hottest symbols on CPU $spin"; cat "$PROFILE/$2.txt"; } >&2
	fi
	awk -v cpu=$((b1 - b0)) -v cs=$((c1 - c0)) -v pk=$((p1 - p0)) -v hz="$(getconf CLK_TCK)" '
		function mib(v, u) { u = substr(v, length(v) - 1); v += 0
				     return u == "GB" ? v * 1024 : u == "KB" ? v / 1024 : v }
		/^Requests\/sec:/ { rps = $2 }
		/^Transfer\/sec:/ { mbs = mib($2) }
		/^ *[0-9]+ requests in/ { mb = mib($5) }
		END { printf "%.0f %.2f %.2f %.1f %.1f\n", rps, mbs, (mb > 0 ? cpu * 1000 / hz / mb : 0),
		      (mb > 0 ? cs / mb : 0), (mb > 0 ? pk / mb : 0) }' "$dir/wrk.out"
}

if [ -n "$spin" ]; then
	pinned="servers on CPU $spin, wrk on CPU $cpin"
	[ -n "$wqsaved" ] && pinned="$pinned, nrtls workqueue on CPU $spin"
else
	pinned="not pinned"
fi
echo "$scheme, $workers worker(s) each, wrk -t1 -c$conns -d${secs}s, keep-alive," \
	"$rounds round(s) (means; the servers take turns going first); $pinned;" \
	"nrtls-serve sendfile path: $path"
# The ratio is of throughput: big files may see no whole request a second.
fmt='%-5s %9s %9s %9s %9s %6s %10s %10s %6s %8s %8s %8s %8s  %s\n'
# shellcheck disable=SC2059
printf "$fmt" file "nginx" "nrtls" "nginx" "nrtls" "" "nginx CPU" "nrtls CPU" "" \
	"nginx" "nrtls" "nginx" "nrtls" "per round: MB/s ratio,"
# shellcheck disable=SC2059
printf "$fmt" "" "req/s" "req/s" "MB/s" "MB/s" ratio "ms/MB" "ms/MB" ratio \
	"cs/MB" "cs/MB" "pkt/MB" "pkt/MB" "CPU ratio"
ratio() { awk "BEGIN { printf \"%.2f\", $2 / ($1 ? $1 : 1) }"; }
# The mean of one server's rounds in $dir/rounds, as run_wrk prints a run.
mean() {
	awk -v who="$1" '$1 == who { for (i = 2; i <= 6; i++) t[i] += $i; n++ }
		END { printf "%.0f %.2f %.2f %.1f %.1f\n", t[2] / n, t[3] / n, t[4] / n,
		      t[5] / n, t[6] / n }' "$dir/rounds"
}
for f in ${SIZES:-4k 256k 16m}; do
	: > "$dir/rounds"
	each=
	for r in $(seq "$rounds"); do
		if [ $((r % 2)) = 1 ]; then
			n=$(run_wrk "$scheme://127.0.0.1:$nport/$f.bin" nginx-$f-r$r)
			s=$(run_wrk "$scheme://127.0.0.1:$sport/$f.bin" nrtls-$f-r$r)
		else
			s=$(run_wrk "$scheme://127.0.0.1:$sport/$f.bin" nrtls-$f-r$r)
			n=$(run_wrk "$scheme://127.0.0.1:$nport/$f.bin" nginx-$f-r$r)
		fi
		printf 'nginx %s\nnrtls %s\n' "$n" "$s" >> "$dir/rounds"
		read -r _ b c x w <<< "$n"
		read -r _ e g y z <<< "$s"
		[ -z "${VERBOSE:-}" ] || echo "$f round $r: nginx $b MB/s $c ms/MB $x cs/MB $w pkt/MB," \
			"nrtls-serve $e MB/s $g ms/MB $y cs/MB $z pkt/MB" >&2
		if [ -n "$spin" ]; then
			each="$each $(ratio "$b" "$e"),$(ratio "$g" "$c")"
		else
			each="$each $(ratio "$b" "$e"),-"
		fi
	done
	read -r nr nm nc nx np < <(mean nginx)
	read -r sr sm sc sx sp < <(mean nrtls)
	if [ -n "$spin" ]; then
		cr=$(ratio "$sc" "$nc")
	else
		nc=- sc=- cr=-
	fi
	# shellcheck disable=SC2059
	printf "$fmt" "$f" "$nr" "$sr" "$nm" "$sm" "$(ratio "$nm" "$sm")" "$nc" "$sc" "$cr" \
		"$nx" "$sx" "$np" "$sp" "${each# }"
done
echo "MB/s ratio: nrtls-serve over nginx (above 1: nrtls-serve faster);" \
	"CPU ratio: nginx over nrtls-serve (above 1: nrtls-serve cheaper)"
if [ -n "$ktls" ]; then
	now=$(grep -E '^TlsTx(Sw|Device)' /proc/net/tls_stat | awk '{ s += $2 } END { print s + 0 }')
	echo "kTLS TX sessions during the run: $((now - ktls)) (nginx's and nrtls-serve's)"
fi
