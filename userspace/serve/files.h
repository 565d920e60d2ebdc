/* SPDX-License-Identifier: GPL-2.0 */
/* Opening request paths beneath the served root, and nowhere else. */
#ifndef NRTLS_SERVE_FILES_H
#define NRTLS_SERVE_FILES_H

#include <stddef.h>
#include <sys/stat.h>

/*
 * Open @path (from http_target_path()) beneath @root with openat2() and
 * RESOLVE_BENEATH: no "..", no absolute symlink, no symlink that leads out
 * of the root.  A directory means its index.html.  @name gets the name the
 * file was opened by (for its Content-Type).
 * Return: the fd, or -403, -404 or -500.
 */
int files_open(int root, const char *path, struct stat *st, char *name,
	       size_t namelen);

#endif /* NRTLS_SERVE_FILES_H */
