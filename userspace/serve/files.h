/* SPDX-License-Identifier: GPL-2.0 */
/* Opening request paths beneath the served root, and nowhere else. */
#ifndef NRTLS_SERVE_FILES_H
#define NRTLS_SERVE_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/*
 * Open @path (from http_target_path()) beneath @root with openat2() and
 * RESOLVE_BENEATH: no "..", no absolute symlink, no symlink that leads out
 * of the root.  A directory means its index.html, if it was asked for with
 * a trailing slash (@slash); without, -301 says to redirect to that.
 * @name gets the name the file was opened by (for its Content-Type).
 * Return: the fd, or -301, -403, -404 or -500.
 */
int files_open(int root, const char *path, bool slash, struct stat *st, char *name,
	       size_t namelen);

/*
 * The precompressed sibling of the file @path: @path with @ext (".gz",
 * ".br") appended, beneath @root, if it is a regular file.
 * Return: the fd (its stat in @st), or -1.
 */
int files_open_sibling(int root, const char *path, const char *ext, struct stat *st);

#endif /* NRTLS_SERVE_FILES_H */
