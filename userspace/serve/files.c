// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "files.h"

static int open_beneath(int dirfd, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};

	return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static int status_of(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
		return -404;
	case EXDEV:	/* it would leave the root */
	case ELOOP:
	case EACCES:
	case EPERM:
		return -403;
	default:
		return -500;
	}
}

int files_open(int root, const char *path, bool slash, struct stat *st, char *name,
	       size_t namelen)
{
	int fd = open_beneath(root, *path ? path : ".");

	if (fd < 0)
		return status_of(errno);
	if (fstat(fd, st))
		goto fail500;
	snprintf(name, namelen, "%s", path);
	if (S_ISDIR(st->st_mode)) {
		/* No listings: a directory is its index.html or nothing. */
		char ipath[4096 + sizeof("/index.html")];
		int idx;

		if (*path && !slash) {
			close(fd);
			return -301;
		}
		/* Resolved as any other path: beneath the root, not the directory. */
		snprintf(ipath, sizeof(ipath), "%s%sindex.html", path,
			 *path && path[strlen(path) - 1] != '/' ? "/" : "");
		idx = open_beneath(root, ipath);
		close(fd);
		if (idx < 0)
			return errno == ENOENT ? -403 : status_of(errno);
		fd = idx;
		if (fstat(fd, st))
			goto fail500;
		snprintf(name, namelen, "index.html");
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return -403;
	}
	/* O_NONBLOCK only kept a FIFO from blocking the open. */
	fcntl(fd, F_SETFL, 0);
	return fd;
fail500:
	close(fd);
	return -500;
}

int files_open_sibling(int root, const char *path, const char *ext, struct stat *st)
{
	char name[4096];
	int fd;

	if (snprintf(name, sizeof(name), "%s%s", path, ext) >= (int)sizeof(name))
		return -1;
	fd = open_beneath(root, name);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, 0);
	return fd;
}
