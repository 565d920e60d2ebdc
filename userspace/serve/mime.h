/* SPDX-License-Identifier: GPL-2.0 */
/* Content-Type by file extension, from /etc/mime.types (Debian's media-types). */
#ifndef NRTLS_SERVE_MIME_H
#define NRTLS_SERVE_MIME_H

/* Load @path; the number of extensions, or -1 with errno. */
int mime_load(const char *path);
/* The type for the last extension of @name, or application/octet-stream. */
const char *mime_type(const char *name);

#endif /* NRTLS_SERVE_MIME_H */
