#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nrtls-serve against nginx, in one run, with the same number of workers:
# requests per second and throughput with wrk, keep-alive, for 4 KiB,
# 256 KiB and 16 MiB files.
#
#   bench/serve.sh http|https [SECONDS] [WORKERS] [CONNECTIONS]
#
# http runs anywhere (the host: nrtls-serve takes the splice path without
# the module); https is meant for the VM, where kTLS and nrtls.ko are.
set -eu
scheme=${1:-http}
secs=${2:-10}
workers=${3:-1}
conns=${4:-16}
top=$(cd "$(dirname "$0")/.." && pwd)
serve=$top/build/user/bin/nrtls-serve
dir=$(mktemp -d /tmp/nrtls-bench.XXXXXX)
chmod 755 "$dir"
trap 'kill $spid 2> /dev/null; [ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2> /dev/null; sleep 0.5; rm -rf "$dir"' EXIT
spid=
nport=18700
sport=18701

for t in wrk nginx curl openssl; do
	command -v $t > /dev/null || { echo "bench: $t not found (make deps)" >&2; exit 1; }
done
[ -x "$serve" ] || { echo "bench: $serve missing (make userspace)" >&2; exit 1; }
[ "$scheme" = https ] && modprobe -q tls 2> /dev/null

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
nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/nginx.err" || { cat "$dir/nginx.err"; exit 1; }
# shellcheck disable=SC2086
"$serve" --root "$dir/www" $sflags --threads "$workers" --access-log off \
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

# wrk's summary: requests/s and transfer/s (in MB/s).
run_wrk() {
	wrk -t1 -c"$conns" -d"${secs}s" "$1" 2> /dev/null | awk '
		/^Requests\/sec:/ { rps = $2 }
		/^Transfer\/sec:/ { v = $2; u = substr(v, length(v) - 1); v += 0;
				    if (u == "GB") v *= 1024; else if (u == "KB") v /= 1024;
				    mbs = v }
		END { printf "%.0f %.2f\n", rps, mbs }'
}

echo "$scheme, $workers worker(s) each, wrk -t1 -c$conns -d${secs}s, keep-alive;" \
	"nrtls-serve sendfile path: $path"
# The ratio is of throughput: big files may see no whole request a second.
printf '%-8s %12s %12s %12s %12s %9s\n' file "nginx req/s" "nrtls req/s" \
	"nginx MB/s" "nrtls MB/s" ratio
for f in 4k 256k 16m; do
	read -r nr nm < <(run_wrk "$scheme://127.0.0.1:$nport/$f.bin")
	read -r sr sm < <(run_wrk "$scheme://127.0.0.1:$sport/$f.bin")
	printf '%-8s %12s %12s %12s %12s %9s\n' $f "$nr" "$sr" "$nm" "$sm" \
		"$(awk "BEGIN { printf \"%.2f\", $sm / ($nm ? $nm : 1) }")"
done
if [ -n "$ktls" ]; then
	now=$(grep -E '^TlsTx(Sw|Device)' /proc/net/tls_stat | awk '{ s += $2 } END { print s + 0 }')
	echo "kTLS TX sessions during the run: $((now - ktls)) (nginx's and nrtls-serve's)"
fi
