#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The man pages: groff formats them without a warning, and they document
# exactly the options each program's --help lists.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/tap.sh
# Long options, one per line, sorted: from --help, and from a man page
# (where they are written \-\-name).
help_opts() { "build/user/bin/$1" --help | grep -o -- '--[a-z][a-z-]*' | sort -u; }
man_opts() { grep -o -- '\\-\\-[a-z][a-z\\-]*' "userspace/man/$1.8" | sed 's/\\-/-/g' | sort -u; }
for p in nrtls-serve nrtlsctl; do
	page=userspace/man/$p.8
	t "$p.8: groff -man -ww formats it without a warning" \
		'[ -z "$(sed "s/@[A-Z]*@/x/g" "$page" | groff -man -Tutf8 -ww -z 2>&1)" ]'
	t "$p.8: the options of $p --help, no more, no fewer" \
		'diff <(help_opts "$p") <(man_opts "$p") > /dev/null ||
		 { diff <(help_opts "$p") <(man_opts "$p") | sed "s/^/# /"; false; }'
done
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
make -s install PREFIX=/usr DESTDIR="$dest" > /dev/null 2>&1
installed_ok() {
	local f=$dest/usr/share/man/man8/$1.8

	grep -q "^\.TH .* \"nrtls [0-9][0-9.]*\"" "$f" && ! grep -q "@[A-Z]*@" "$f"
}
t "make install puts them in share/man/man8, version and paths filled in" \
	'installed_ok nrtls-serve && installed_ok nrtlsctl'
tap_done
