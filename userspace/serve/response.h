/* SPDX-License-Identifier: GPL-2.0 */
/* What to answer, and the response head, for a request on a file or an error. */
#ifndef NRTLS_SERVE_RESPONSE_H
#define NRTLS_SERVE_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "http.h"

#define SERVER_NAME "nrtls-serve/0.1"

struct response {
	int status;
	uint64_t offset, length;	/* file bytes to send after the head */
	size_t head_len;		/* the head (and a small body) in the buffer */
};

/*
 * A GET or HEAD of a regular file: 200, 206, 304 or 416 after the
 * conditional and Range headers.  The head goes to @buf; the file range
 * in @r (length 0 for HEAD and bodiless statuses).  @encoding ("gzip",
 * "br") says the file is a precompressed form of what was asked for;
 * NULL if it is that itself.
 */
void response_file(const struct http_request *req, const struct stat *st,
		   const char *type, const char *encoding, bool keep_alive, char *buf,
		   size_t len, struct response *r);

/* An error status with a one-line text body, both in @buf. */
void response_error(int status, bool keep_alive, char *buf, size_t len,
		    struct response *r);

/* 301 to @location, with a one-line text body. */
void response_redirect(const char *location, bool keep_alive, char *buf, size_t len,
		       struct response *r);

/* 200 with @body of @type, head and body in @buf. */
void response_body(const char *type, const char *body, bool keep_alive,
		   char *buf, size_t len, struct response *r);

const char *response_reason(int status);

#endif /* NRTLS_SERVE_RESPONSE_H */
