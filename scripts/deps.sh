#!/bin/sh
# Install every Debian package nrtls needs to build and test, idempotently.
#
#   deps.sh          install what is missing (apt-get update first)
#   deps.sh --check  exit 1 and list what is missing, install nothing
set -eu

PACKAGES="
build-essential make gcc clang llvm libclang-rt-14-dev pkg-config binutils
dwarves bpftool libbpf-dev libelf-dev zlib1g-dev
liburing-dev libssl-dev openssl libfuse3-dev fuse3 libsystemd-dev
linux-headers-amd64 linux-image-amd64 linux-source-6.1
linux-headers-6.12-amd64 linux-image-6.12-amd64
qemu-system-x86 busybox-static cpio xz-utils zstd kmod
iproute2 ethtool curl nginx media-types wrk perl groff-base systemd util-linux
dpkg-dev debhelper dh-dkms dkms
"

missing=
for p in $PACKAGES; do
	if ! dpkg-query -W -f '${db:Status-Status}' "$p" 2> /dev/null | grep -qx installed; then
		missing="$missing $p"
	fi
done

if [ "${1:-}" = --check ]; then
	if [ -n "$missing" ]; then
		echo "nrtls: missing packages:$missing (run 'make deps')"
		exit 1
	fi
	exit 0
fi
if [ -z "$missing" ]; then
	echo "nrtls: all build and test dependencies are installed"
	exit 0
fi

sudo=
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo > /dev/null; then
		echo "nrtls: need root to install:$missing" >&2
		exit 1
	fi
	sudo=sudo
fi
echo "nrtls: installing:$missing"
$sudo apt-get update
# nginx is only a benchmark peer that the benchmarks start themselves: its
# package must not start a web server on port 80.  A policy-rc.d that
# forbids every start covers the install (only if the host has none).
policy=/usr/sbin/policy-rc.d
if [ ! -e $policy ]; then
	printf '#!/bin/sh\nexit 101\n' | $sudo tee $policy > /dev/null
	$sudo chmod 755 $policy
	trap '$sudo rm -f $policy' EXIT
fi
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $missing
case " $missing " in
*" nginx "*)
	# Nor at the next boot.
	if command -v systemctl > /dev/null; then
		$sudo systemctl disable nginx.service > /dev/null 2>&1 || true
	else
		$sudo update-rc.d nginx disable > /dev/null 2>&1 || true
	fi
	;;
esac
