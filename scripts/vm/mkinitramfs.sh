#!/bin/sh
# Build the small busybox initramfs that boots a Debian kernel and pivots
# into the host's root filesystem, exported read-only over virtio-9p.
#
#   mkinitramfs.sh KREL OUTPUT
#
# KREL is an installed kernel release (/lib/modules/KREL must exist).
set -eu

krel=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)

# busybox-static installs /bin/busybox; a dynamic one cannot run from the
# initramfs, which has no libc.
busybox=
for b in /bin/busybox /usr/bin/busybox; do
	if [ -x "$b" ] && ! readelf -lW "$b" | grep -q INTERP; then
		busybox=$b
		break
	fi
done
if [ -z "$busybox" ]; then
	echo "mkinitramfs: a static busybox is needed: apt-get install busybox-static" >&2
	exit 1
fi
if [ ! -d "/lib/modules/$krel" ]; then
	echo "mkinitramfs: no modules for $krel in /lib/modules" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$out.$$.tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/mods" "$tmp/proc" "$tmp/sys" "$tmp/dev" \
	"$tmp/host" "$tmp/rw" "$tmp/out" "$tmp/newroot"
cp "$busybox" "$tmp/bin/busybox"
cp "$here/init" "$tmp/init"
chmod 755 "$tmp/init"

# The guest needs virtio-pci (a module on 6.1, built in on 6.12), the 9p
# client and overlayfs.  modprobe --show-depends gives the load order;
# busybox insmod only takes uncompressed modules, hence the xz/zstd step.
: > "$tmp/mods/order"
for m in virtio_pci 9pnet_virtio 9p overlay; do
	modprobe -S "$krel" --show-depends "$m" | while read -r kind path _; do
		[ "$kind" = insmod ] || continue
		name=$(basename "$path")
		name=${name%.xz}
		name=${name%.zst}
		grep -qx "$name" "$tmp/mods/order" && continue
		case "$path" in
		*.xz) xz -dc "$path" > "$tmp/mods/$name" ;;
		*.zst) zstd -qdc "$path" > "$tmp/mods/$name" ;;
		*) cp "$path" "$tmp/mods/$name" ;;
		esac
		echo "$name" >> "$tmp/mods/order"
	done
done

# A name of our own: guests started at once build it at once.
(cd "$tmp" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out.$$.tmp"
mv "$out.$$.tmp" "$out"
