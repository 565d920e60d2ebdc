#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: in the VM (or as root on a host with nrtls.ko loaded), serve a
# generated directory over HTTPS with nrtls-serve (io_uring, kTLS, nrtls's
# asynchronous sendfile), fetch every file with curl, check it, show what
# the server and the module did, and shut down.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
serve=$top/build/user/bin/nrtls-serve
ctl=$top/build/user/bin/nrtlsctl
dir=$(mktemp -d /tmp/nrtls-demo.XXXXXX)
port=8443
section() { printf '\n== %s\n' "$*"; }
fail() {
	echo "demo: $*" >&2
	exit 1
}

[ -x "$serve" ] && [ -x "$ctl" ] || fail "build/user/bin is missing: run make first"
trap 'kill $pid 2> /dev/null; rm -rf "$dir"' EXIT

section "nrtls.ko"
"$ctl" status | sed -n '1,2p'
modprobe -q tls 2> /dev/null

section "a directory to serve, and a self-signed certificate"
mkdir -p "$dir/www/docs"
for n in 1 4096 262144 4194304 33554432; do
	head -c $n /dev/urandom > "$dir/www/file-$n.bin"
done
echo '<!doctype html><title>nrtls</title><p>Served by nrtls-serve.' > "$dir/www/index.html"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
	-keyout "$dir/key.pem" -out "$dir/cert.pem" 2> /dev/null || fail "openssl req failed"
ls -l "$dir/www" | tail -n +2

section "nrtls-serve --https 127.0.0.1:$port"
"$serve" --root "$dir/www" --https 127.0.0.1:$port --cert "$dir/cert.pem" \
	--key "$dir/key.pem" --threads 2 --stats --access-log "$dir/access.log" &
pid=$!
for _ in $(seq 50); do
	curl -s -o /dev/null --cacert "$dir/cert.pem" https://127.0.0.1:$port/ && break
	sleep 0.1
done

section "fetching with curl (TLS 1.2 and 1.3), checking SHA-256"
ok=0 bad=0
for v in 1.2 1.3; do
	for f in "$dir"/www/*.bin "$dir/www/index.html"; do
		name=${f#"$dir/www/"}
		got=$(curl -sf --cacert "$dir/cert.pem" --tlsv$v --tls-max $v \
			"https://127.0.0.1:$port/$name" | sha256sum | cut -d' ' -f1)
		want=$(sha256sum < "$f" | cut -d' ' -f1)
		if [ "$got" = "$want" ]; then
			ok=$((ok + 1))
			printf '  TLS %s  %-22s %s  ok\n' $v "$name" "${got:0:16}"
		else
			bad=$((bad + 1))
			printf '  TLS %s  %-22s MISMATCH\n' $v "$name"
		fi
	done
done
echo "  $ok files verified, $bad mismatched"

section "the server's statistics"
curl -sf --cacert "$dir/cert.pem" https://127.0.0.1:$port/.nrtls/stats
section "its access log (last lines)"
tail -n 4 "$dir/access.log"
section "kernel TLS counters (/proc/net/tls_stat)"
grep -E 'TlsCurrTxSw|TlsTxSw|TlsTxDevice' /proc/net/tls_stat 2> /dev/null || echo "  no kTLS here"
section "the module's counters"
"$ctl" status | sed -n '/live objects/,$p'

section "SIGTERM"
kill -TERM $pid
wait $pid
echo "  nrtls-serve exited with status $?"
[ $bad -eq 0 ] || exit 1
