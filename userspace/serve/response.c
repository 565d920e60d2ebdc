// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "response.h"

const char *response_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Internal Server Error";
	}
}

/* Status line, Date, Server, Connection. */
static size_t head_start(char *buf, size_t len, int status, bool keep_alive)
{
	char date[40];

	http_date(time(NULL), date, sizeof(date));
	return snprintf(buf, len,
			"HTTP/1.1 %d %s\r\nDate: %s\r\nServer: " SERVER_NAME
			"\r\nConnection: %s\r\n",
			status, response_reason(status), date,
			keep_alive ? "keep-alive" : "close");
}

static size_t clamp(size_t n, size_t len)
{
	return n < len ? n : len - 1;
}

/*
 * If-Range: the range applies only if the representation is still the one
 * the client has, by a strong entity tag (compared exactly) or by the
 * exact Last-Modified date; otherwise the whole file goes out (RFC 9110).
 */
static bool if_range_holds(const struct http_request *req, const char *etag, time_t mtime)
{
	time_t t;

	if (!req->if_range)
		return true;
	if (req->if_range_len && (req->if_range[0] == '"' || req->if_range[0] == 'W'))
		return req->if_range_len == strlen(etag) &&
		       !memcmp(req->if_range, etag, req->if_range_len);
	return http_parse_date(req->if_range, req->if_range_len, &t) && t == mtime;
}

void response_file(const struct http_request *req, const struct stat *st,
		   const char *type, const char *encoding, bool keep_alive, char *buf,
		   size_t len, struct response *r)
{
	uint64_t size = st->st_size, first = 0, last = size ? size - 1 : 0;
	char etag[64], lastmod[40];
	size_t n;

	snprintf(etag, sizeof(etag), "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"",
		 (uint64_t)st->st_ino, size,
		 (uint64_t)st->st_mtim.tv_sec * 1000000000 + (uint64_t)st->st_mtim.tv_nsec);
	http_date(st->st_mtim.tv_sec, lastmod, sizeof(lastmod));

	r->status = 200;
	if (req->if_none_match) {
		if (http_etag_match(req->if_none_match, req->if_none_match_len, etag))
			r->status = 304;
	} else if (req->has_ims && st->st_mtim.tv_sec <= req->if_modified_since) {
		r->status = 304;
	}
	if (r->status == 200 && req->range.present &&
	    if_range_holds(req, etag, st->st_mtim.tv_sec)) {
		if (req->range.suffix) {
			first = req->range.last >= size ? 0 : size - req->range.last;
			r->status = size ? 206 : 416;
		} else if (req->range.first >= size) {
			r->status = 416;
		} else {
			first = req->range.first;
			if (req->range.last < last)
				last = req->range.last;
			r->status = 206;
		}
	}

	n = head_start(buf, len, r->status, keep_alive);
	n += snprintf(buf + n, len - n, "ETag: %s\r\nLast-Modified: %s\r\n"
		      "Accept-Ranges: bytes\r\n", etag, lastmod);
	n = clamp(n, len);
	if (encoding)
		n += snprintf(buf + n, len - n, "Content-Encoding: %s\r\n"
			      "Vary: Accept-Encoding\r\n", encoding);
	n = clamp(n, len);
	r->offset = 0;
	r->length = 0;
	switch (r->status) {
	case 304:
		break;
	case 416:
		n += snprintf(buf + n, len - n, "Content-Range: bytes */%" PRIu64
			      "\r\nContent-Length: 0\r\n", size);
		break;
	case 206:
		n += snprintf(buf + n, len - n, "Content-Type: %s\r\nContent-Range: bytes %"
			      PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\nContent-Length: %" PRIu64
			      "\r\n", type, first, last, size, last - first + 1);
		r->offset = first;
		r->length = last - first + 1;
		break;
	default:
		n += snprintf(buf + n, len - n, "Content-Type: %s\r\nContent-Length: %"
			      PRIu64 "\r\n", type, size);
		r->length = size;
	}
	n = clamp(n, len);
	n += snprintf(buf + n, len - n, "\r\n");
	r->head_len = clamp(n, len);
	if (req->method == HTTP_HEAD)
		r->length = 0;
}

/* @status with a one-line text body, and a Location if not NULL. */
static void text_response(int status, const char *location, bool keep_alive, char *buf,
			  size_t len, struct response *r)
{
	size_t n = head_start(buf, len, status, keep_alive);
	const char *reason = response_reason(status);

	if (location)
		n += snprintf(buf + n, len - n, "Location: %s\r\n", location);
	n = clamp(n, len);
	n += snprintf(buf + n, len - n, "%sContent-Type: text/plain\r\n"
		      "Content-Length: %zu\r\n\r\n%d %s\n",
		      status == 405 ? "Allow: GET, HEAD\r\n" : "",
		      strlen(reason) + 5, status, reason);
	r->status = status;
	r->offset = r->length = 0;
	r->head_len = clamp(n, len);
}

void response_error(int status, bool keep_alive, char *buf, size_t len,
		    struct response *r)
{
	text_response(status, NULL, keep_alive, buf, len, r);
}

void response_redirect(const char *location, bool keep_alive, char *buf, size_t len,
		       struct response *r)
{
	text_response(301, location, keep_alive, buf, len, r);
}

void response_body(const char *type, const char *body, bool keep_alive,
		   char *buf, size_t len, struct response *r)
{
	size_t n = head_start(buf, len, 200, keep_alive);

	n += snprintf(buf + n, len - n, "Content-Type: %s\r\nCache-Control: no-store\r\n"
		      "Content-Length: %zu\r\n\r\n%s", type, strlen(body), body);
	r->status = 200;
	r->offset = r->length = 0;
	r->head_len = clamp(n, len);
}
