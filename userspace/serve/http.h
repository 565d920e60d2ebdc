/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HTTP/1.1 request heads: parsing (no allocation, no I/O, so that it can be
 * unit-tested and fuzzed), and turning a request target into a path
 * relative to the served root.
 */
#ifndef NRTLS_SERVE_HTTP_H
#define NRTLS_SERVE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OTHER };

struct http_limits {
	size_t max_head;	/* request line + headers; beyond: 431 */
	size_t max_target;	/* beyond: 414 */
};

/* A single byte range; @last is inclusive, UINT64_MAX for "to the end". */
struct http_range {
	bool present;		/* a Range header we understood */
	bool suffix;		/* "-N": the last @last bytes */
	uint64_t first, last;
};

struct http_request {
	enum http_method method;
	const char *method_str;
	size_t method_len;
	const char *target;	/* into the parsed buffer */
	size_t target_len;
	int minor;		/* HTTP/1.minor */
	bool keep_alive;
	bool has_body;		/* Content-Length > 0 or Transfer-Encoding */
	struct http_range range;
	const char *if_none_match;
	size_t if_none_match_len;
	bool has_ims;
	time_t if_modified_since;
	const char *user_agent;
	size_t user_agent_len;
	const char *referer;
	size_t referer_len;
	const char *if_range;	/* an entity tag or a date */
	size_t if_range_len;
	const char *accept_encoding;
	size_t accept_encoding_len;
};

/*
 * Parse the request head at the start of @buf.
 * Return: its length (> 0) when complete, 0 when more bytes are needed,
 * or the negated status to answer with: -400, -414, -431, -505.
 */
int http_parse(const char *buf, size_t len, const struct http_limits *lim,
	       struct http_request *req);

/*
 * The path, relative to the root, that @target names: origin-form or
 * absolute-form, query dropped, percent-decoded, "." segments and repeated
 * slashes removed.  "" means the root itself.
 * Return: 0, or -400 (malformed, NUL, bad escape) or -403 ("..").
 */
int http_target_path(const char *target, size_t len, char *out, size_t outlen);

/*
 * Whether a decoded @path (from http_target_path()) names a hidden file or
 * directory: a segment that starts with '.', but for a leading
 * ".well-known" (RFC 8615, which ACME and others need served).
 */
bool http_path_hidden(const char *path);

/*
 * Whether an Accept-Encoding value takes @coding: named, or "*", with a
 * q-value above 0 (a name with q=0 refuses it whatever "*" says).
 */
bool http_accepts(const char *ae, size_t len, const char *coding);

/* Whether the path part of @target ends with '/'. */
bool http_target_dir(const char *target, size_t len);

/*
 * The Location for a directory requested without its slash: @path
 * (decoded) percent-encoded again, a '/', and @target's query if it is
 * plain printable ASCII.  Return: its length, or 0 if it does not fit.
 */
size_t http_dir_location(const char *path, const char *target, size_t len, char *out,
			 size_t outlen);

/* IMF-fixdate (RFC 9110), e.g. "Sun, 06 Nov 1994 08:49:37 GMT". */
size_t http_date(time_t t, char *buf, size_t len);
bool http_parse_date(const char *s, size_t len, time_t *out);

/* Does If-None-Match @inm match @etag (weak comparison)? */
bool http_etag_match(const char *inm, size_t len, const char *etag);

#endif /* NRTLS_SERVE_HTTP_H */
