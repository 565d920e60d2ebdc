#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# 'make deps' on a host as Debian 12 leaves it (no policy-rc.d, no nginx)
# installs nginx, the benchmarks' peer, without starting it, now or at
# boot, and removes its temporary policy-rc.d again.  It runs
# scripts/deps.sh for real, offline, from the packages in apt's cache.
# Only in the nrtls VM: it purges and reinstalls nginx, which the guest's
# overlay root keeps from reaching the host.  Without deps.sh's guard
# nginx ends up enabled at boot (checked by hand: is-enabled says
# "enabled").  It would not start now even then, since the guest has no
# init for invoke-rc.d (no runlevel); on a real host the temporary
# policy-rc.d is what stops that, so "not running" here is weaker.
top=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
. "$(dirname "$0")/lib/tap.sh"
TAP_LOG=$log
echo "TAP version 13"
if [ "$(id -u)" -ne 0 ]; then
	tap_skip_all "not root"
fi
# The VM's marks: an overlay root and its run directory over 9p.
if [ "$(findmnt -n -o FSTYPE /)" != overlay ] || [ "$(findmnt -n -o FSTYPE /nrtls-out)" != 9p ]; then
	tap_skip_all "not in the nrtls VM: it purges and reinstalls nginx"
fi
ver=$(dpkg-query -W -f '${Version}' nginx 2> /dev/null)
cached=$(ls /var/cache/apt/archives/nginx_"${ver/:/%3a}"_*.deb \
	/var/cache/apt/archives/nginx-common_"${ver/:/%3a}"_*.deb 2> /dev/null | wc -l)
if [ -z "$ver" ] || [ "$cached" -ne 2 ]; then
	tap_skip_all "nginx ${ver:-(not installed)} and nginx-common not both in apt's cache (the guest is offline)"
fi
rm -f /usr/sbin/policy-rc.d
t "nginx purged: the host as Debian leaves it" \
	'dpkg --purge --force-depends nginx nginx-common > "$log" 2>&1 &&
	 ! dpkg-query -W -f "\${db:Status-Status}" nginx 2> /dev/null | grep -qx installed'
t "make deps (scripts/deps.sh) installs nginx" \
	'"$top/scripts/deps.sh" > "$log" 2>&1 &&
	 dpkg-query -W -f "\${db:Status-Status}" nginx | grep -qx installed'
t "nginx is not running and nothing listens on port 80" \
	'! grep -qx nginx /proc/[0-9]*/comm 2> /dev/null && ! ss -Hltn "sport = :80" | grep -q .'
t "its temporary policy-rc.d is gone" '[ ! -e /usr/sbin/policy-rc.d ]'
t "nginx does not start at boot either" \
	'[ "$(systemctl is-enabled nginx.service 2> "$log")" = disabled ] &&
	 [ -z "$(ls /etc/rc[2-5].d/S*nginx 2> /dev/null)" ]'
tap_done
