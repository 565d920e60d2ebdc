// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of nrtls-serve's request parser, target decoding, response
 * decisions and MIME table (no network, no module).
 */
#include <string.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "http.h"
#include "mime.h"
#include "response.h"

static const struct http_limits lim = { .max_head = 1024, .max_target = 256 };

static int parse(const char *s, struct http_request *r)
{
	return http_parse(s, strlen(s), &lim, r);
}

TEST(simple_get)
{
	const char *s = "GET /a/b.html?x=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: t/1\r\n"
			"Referer: http://r/\r\nIf-Range: \"e1\"\r\n\r\n";
	struct http_request r;

	ASSERT_EQ((int)strlen(s), parse(s, &r));
	EXPECT_EQ(HTTP_GET, r.method);
	EXPECT_EQ(1, r.minor);
	EXPECT_TRUE(r.keep_alive);
	EXPECT_FALSE(r.has_body);
	EXPECT_EQ(13, (int)r.target_len);
	EXPECT_EQ(0, strncmp(r.target, "/a/b.html?x=1", r.target_len));
	EXPECT_EQ(3, (int)r.user_agent_len);
	EXPECT_EQ(0, strncmp(r.referer, "http://r/", r.referer_len));
	EXPECT_EQ(0, strncmp(r.if_range, "\"e1\"", r.if_range_len));
	EXPECT_EQ(4, (int)r.if_range_len);
}

TEST(methods_and_versions)
{
	struct http_request r;

	EXPECT_LT(0, parse("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", &r));
	EXPECT_EQ(HTTP_HEAD, r.method);
	EXPECT_LT(0, parse("POST / HTTP/1.1\r\nHost: h\r\n\r\n", &r));
	EXPECT_EQ(HTTP_OTHER, r.method);
	/* Methods are case-sensitive. */
	EXPECT_LT(0, parse("get / HTTP/1.1\r\nHost: h\r\n\r\n", &r));
	EXPECT_EQ(HTTP_OTHER, r.method);
	/* HTTP/1.0: no Host needed, keep-alive only on request. */
	EXPECT_LT(0, parse("GET / HTTP/1.0\r\n\r\n", &r));
	EXPECT_FALSE(r.keep_alive);
	EXPECT_LT(0, parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r));
	EXPECT_TRUE(r.keep_alive);
	EXPECT_LT(0, parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n", &r));
	EXPECT_FALSE(r.keep_alive);
	EXPECT_EQ(-505, parse("GET / HTTP/2.0\r\nHost: h\r\n\r\n", &r));
	EXPECT_EQ(-400, parse("GET / HTTP/1.x\r\nHost: h\r\n\r\n", &r));
}

TEST(incomplete_and_pipelined)
{
	const char *two = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
	struct http_request r;

	EXPECT_EQ(0, parse("GET / HTTP/1.1\r\nHost: h\r\n", &r));
	EXPECT_EQ(0, parse("GET / HTT", &r));
	EXPECT_EQ(0, parse("", &r));
	EXPECT_EQ(28, parse(two, &r));
	EXPECT_EQ(0, strncmp(r.target, "/1", 2));
	/* Bare LF line ends are accepted. */
	EXPECT_EQ(24, parse("GET / HTTP/1.1\nHost: h\n\n", &r));
}

TEST(malformed)
{
	struct http_request r;
	char buf[64];

	EXPECT_EQ(-400, parse("GET /\r\n\r\n", &r));
	EXPECT_EQ(-400, parse("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", &r));
	EXPECT_EQ(-400, parse("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", &r));
	EXPECT_EQ(-400, parse("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", &r));
	EXPECT_EQ(-400, parse("GET / HTTP/1.1\r\nBad Name: x\r\nHost: h\r\n\r\n", &r));
	EXPECT_EQ(-400, parse("GET / HTTP/1.1\r\n\r\n", &r));	/* no Host */
	EXPECT_EQ(-400, parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &r));
	EXPECT_EQ(-400, parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n", &r));
	EXPECT_EQ(-400, parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
			      "Content-Length: 2\r\n\r\n", &r));
	EXPECT_EQ(-400, parse("G\x01T / HTTP/1.1\r\nHost: h\r\n\r\n", &r));
	/* A NUL inside a header value. */
	memcpy(buf, "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 30);
	EXPECT_EQ(-400, http_parse(buf, 30, &lim, &r));
	/* Bodies are refused later (413), but seen. */
	EXPECT_LT(0, parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n", &r));
	EXPECT_TRUE(r.has_body);
	EXPECT_LT(0, parse("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", &r));
	EXPECT_TRUE(r.has_body);
}

TEST(oversized)
{
	char buf[2048];
	struct http_request r;
	int n;

	/* A target over max_target: 414, complete or not. */
	n = snprintf(buf, sizeof(buf), "GET /%0300d HTTP/1.1\r\nHost: h\r\n\r\n", 0);
	EXPECT_EQ(-414, http_parse(buf, n, &lim, &r));
	EXPECT_EQ(-414, http_parse(buf, 300, &lim, &r));
	/* Headers over max_head: 431, complete or not. */
	n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: h\r\nX: %01100d\r\n\r\n", 0);
	EXPECT_EQ(-431, http_parse(buf, n, &lim, &r));
	EXPECT_EQ(-431, http_parse(buf, 1024, &lim, &r));
	EXPECT_EQ(0, http_parse(buf, 1000, &lim, &r));
}

TEST(ranges)
{
	struct http_request r;

#define RANGE(h) parse("GET / HTTP/1.1\r\nHost: h\r\nRange: " h "\r\n\r\n", &r)
	EXPECT_LT(0, RANGE("bytes=10-19"));
	EXPECT_TRUE(r.range.present);
	EXPECT_FALSE(r.range.suffix);
	EXPECT_EQ(10, r.range.first);
	EXPECT_EQ(19, r.range.last);
	EXPECT_LT(0, RANGE("bytes=5-"));
	EXPECT_EQ(UINT64_MAX, r.range.last);
	EXPECT_LT(0, RANGE("bytes=-7"));
	EXPECT_TRUE(r.range.suffix);
	EXPECT_EQ(7, r.range.last);
	/* Ignored: several ranges, reversed, garbage, other units. */
	EXPECT_LT(0, RANGE("bytes=0-1,5-6"));
	EXPECT_FALSE(r.range.present);
	EXPECT_LT(0, RANGE("bytes=9-3"));
	EXPECT_FALSE(r.range.present);
	EXPECT_LT(0, RANGE("bytes=a-b"));
	EXPECT_FALSE(r.range.present);
	EXPECT_LT(0, RANGE("items=0-1"));
	EXPECT_FALSE(r.range.present);
	EXPECT_LT(0, RANGE("bytes=-0"));
	EXPECT_FALSE(r.range.present);
#undef RANGE
}

TEST(dates_and_etags)
{
	char buf[64];
	time_t t;

	EXPECT_TRUE(http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT", 29, &t));
	EXPECT_EQ(784111777, t);
	http_date(784111777, buf, sizeof(buf));
	EXPECT_STREQ("Sun, 06 Nov 1994 08:49:37 GMT", buf);
	/* The obsolete forms a recipient must still accept. */
	EXPECT_TRUE(http_parse_date("Sunday, 06-Nov-94 08:49:37 GMT", 30, &t));
	EXPECT_EQ(784111777, t);
	EXPECT_TRUE(http_parse_date("Sun Nov  6 08:49:37 1994", 24, &t));
	EXPECT_EQ(784111777, t);
	EXPECT_TRUE(http_parse_date("Thursday, 01-Jan-26 00:00:00 GMT", 32, &t));
	EXPECT_EQ(1767225600, t);	/* 2026, not 1926 */
	EXPECT_FALSE(http_parse_date("Sunday, 06-Nov-94 08:49:37", 26, &t));
	EXPECT_FALSE(http_parse_date("Sun Nov  6 08:49:37 1994 GMT", 28, &t));
	EXPECT_FALSE(http_parse_date("yesterday", 9, &t));
	EXPECT_FALSE(http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT junk", 34, &t));

	EXPECT_TRUE(http_etag_match("\"a\"", 3, "\"a\""));
	EXPECT_TRUE(http_etag_match("W/\"a\"", 5, "\"a\""));
	EXPECT_TRUE(http_etag_match("\"x\", \"a\"", 8, "\"a\""));
	EXPECT_TRUE(http_etag_match("*", 1, "\"a\""));
	EXPECT_FALSE(http_etag_match("\"b\"", 3, "\"a\""));
	EXPECT_FALSE(http_etag_match("\"a", 2, "\"a\""));
}

TEST(target_paths)
{
	char out[256];

#define PATH(t) http_target_path(t, strlen(t), out, sizeof(out))
	EXPECT_EQ(0, PATH("/"));
	EXPECT_STREQ("", out);
	EXPECT_EQ(0, PATH("/a/b.html?q=../x#f"));
	EXPECT_STREQ("a/b.html", out);
	EXPECT_EQ(0, PATH("//a///b/./c/"));
	EXPECT_STREQ("a/b/c", out);
	EXPECT_EQ(0, PATH("/a%20b/%41"));
	EXPECT_STREQ("a b/A", out);
	EXPECT_EQ(0, PATH("http://example.org/x/y"));
	EXPECT_STREQ("x/y", out);
	EXPECT_EQ(0, PATH("/..a/b.."));
	EXPECT_STREQ("..a/b..", out);
	/* Climbing out, in every spelling. */
	EXPECT_EQ(-403, PATH("/.."));
	EXPECT_EQ(-403, PATH("/../etc/passwd"));
	EXPECT_EQ(-403, PATH("/a/../../b"));
	EXPECT_EQ(-403, PATH("/%2e%2e/x"));
	EXPECT_EQ(-403, PATH("/a%2f..%2f..%2fb"));
	EXPECT_EQ(-403, PATH("/a/.%2E"));
	/* Not a path at all. */
	EXPECT_EQ(-400, PATH("*"));
	EXPECT_EQ(-400, PATH("a/b"));
	EXPECT_EQ(-400, PATH("/a%00b"));
	EXPECT_EQ(-400, PATH("/a%2"));
	EXPECT_EQ(-400, PATH("/a%zz"));
	EXPECT_EQ(-400, PATH("http://host-without-path"));
	/* Found by the fuzzer: the scheme check read past a short target. */
	EXPECT_EQ(-400, http_target_path("https:/", 7, out, sizeof(out)));
#undef PATH
}

static void file_stat(struct stat *st, off_t size, time_t mtime)
{
	memset(st, 0, sizeof(*st));
	st->st_size = size;
	st->st_ino = 42;
	st->st_mtim.tv_sec = mtime;
}

TEST(accept_encoding)
{
#define ACC(v, c) http_accepts(v, strlen(v), c)
	EXPECT_TRUE(ACC("gzip", "gzip"));
	EXPECT_TRUE(ACC("deflate, GZIP;q=0.5", "gzip"));
	EXPECT_TRUE(ACC("br;q=1.0, gzip", "br"));
	EXPECT_FALSE(ACC("gzip;q=0", "gzip"));
	EXPECT_FALSE(ACC("gzip; q=0.000, *", "gzip"));
	EXPECT_TRUE(ACC("gzip;q=0.001", "gzip"));
	EXPECT_TRUE(ACC("*", "br"));
	EXPECT_FALSE(ACC("*;q=0", "br"));
	EXPECT_FALSE(ACC("gzipx, xgzip", "gzip"));
	EXPECT_FALSE(ACC("identity", "gzip"));
	EXPECT_FALSE(ACC("", "gzip"));
#undef ACC
}

TEST(hidden_paths_and_directories)
{
	char loc[64];

	EXPECT_TRUE(http_path_hidden(".env"));
	EXPECT_TRUE(http_path_hidden("a/.git/config"));
	EXPECT_TRUE(http_path_hidden(".well-known/.x"));
	EXPECT_TRUE(http_path_hidden(".well-knownx"));
	EXPECT_FALSE(http_path_hidden(".well-known"));
	EXPECT_FALSE(http_path_hidden(".well-known/acme-challenge/t"));
	EXPECT_FALSE(http_path_hidden("a/b.c/d."));
	EXPECT_FALSE(http_path_hidden(""));

	EXPECT_TRUE(http_target_dir("/a/", 3));
	EXPECT_TRUE(http_target_dir("/a/?x/", 6));
	EXPECT_FALSE(http_target_dir("/a?x/", 5));
	EXPECT_TRUE(http_target_dir("/a/?x", 5));
	EXPECT_FALSE(http_target_dir("/a", 2));

#define LOC(p, t) http_dir_location(p, t, strlen(t), loc, sizeof(loc))
	EXPECT_EQ(7, (int)LOC("a b", "/a%20b"));
	EXPECT_STREQ("/a%20b/", loc);
	EXPECT_LT(0, (int)LOC("d", "/d?x=1&y=%22#frag"));
	EXPECT_STREQ("/d/?x=1&y=%22", loc);
	EXPECT_LT(0, (int)LOC("d", "/d?"));
	EXPECT_STREQ("/d/", loc);
	EXPECT_LT(0, (int)LOC("d\"\r\n", "/d"));
	EXPECT_STREQ("/d%22%0D%0A/", loc);
	EXPECT_EQ(0, (int)LOC("0123456789012345678901234567890123456789012345678901234567890",
			      "/x"));
#undef LOC
}

TEST(responses)
{
	struct http_request r;
	struct response resp;
	struct stat st;
	char head[1024], etag[80], *p;

	file_stat(&st, 1000, 784111777);
	ASSERT_LT(0, parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n", &r));
	response_file(&r, &st, "text/plain", NULL, true, head, sizeof(head), &resp);
	EXPECT_EQ(200, resp.status);
	EXPECT_EQ(0, resp.offset);
	EXPECT_EQ(1000, resp.length);
	EXPECT_NE(NULL, strstr(head, "Content-Length: 1000\r\n"));
	EXPECT_NE(NULL, strstr(head, "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
	EXPECT_EQ(resp.head_len, strlen(head));
	p = strstr(head, "ETag: ");
	ASSERT_NE(NULL, p);
	sscanf(p + 6, "%79s", etag);

	ASSERT_LT(0, parse("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", &r));
	response_file(&r, &st, "text/plain", NULL, true, head, sizeof(head), &resp);
	EXPECT_EQ(200, resp.status);
	EXPECT_EQ(0, resp.length);
	EXPECT_NE(NULL, strstr(head, "Content-Length: 1000\r\n"));

	/* Conditional requests. */
	r.method = HTTP_GET;
	r.if_none_match = etag;
	r.if_none_match_len = strlen(etag);
	response_file(&r, &st, "text/plain", NULL, true, head, sizeof(head), &resp);
	EXPECT_EQ(304, resp.status);
	EXPECT_EQ(0, resp.length);
	r.if_none_match = NULL;
	r.has_ims = true;
	r.if_modified_since = 784111777;
	response_file(&r, &st, "text/plain", NULL, true, head, sizeof(head), &resp);
	EXPECT_EQ(304, resp.status);
	r.if_modified_since = 784111776;
	response_file(&r, &st, "text/plain", NULL, true, head, sizeof(head), &resp);
	EXPECT_EQ(200, resp.status);
	r.has_ims = false;

	/* Ranges. */
	r.range = (struct http_range){ .present = true, .first = 10, .last = 19 };
	response_file(&r, &st, "text/plain", NULL, true, head, sizeof(head), &resp);
	EXPECT_EQ(206, resp.status);
	EXPECT_EQ(10, resp.offset);
	EXPECT_EQ(10, resp.length);
	EXPECT_NE(NULL, strstr(head, "Content-Range: bytes 10-19/1000\r\n"));
	r.range = (struct http_range){ .present = true, .first = 990, .last = UINT64_MAX };
	response_file(&r, &st, "text/plain", NULL, true, head, sizeof(head), &resp);
	EXPECT_EQ(206, resp.status);
	EXPECT_EQ(10, resp.length);
	r.range = (struct http_range){ .present = true, .suffix = true, .last = 5000 };
	response_file(&r, &st, "text/plain", NULL, true, head, sizeof(head), &resp);
	EXPECT_EQ(206, resp.status);
	EXPECT_EQ(0, resp.offset);
	EXPECT_EQ(1000, resp.length);
	/* If-Range: the range only while the validator still matches. */
	r.range = (struct http_range){ .present = true, .first = 10, .last = 19 };
	r.if_range = etag;
	r.if_range_len = strlen(etag);
	response_file(&r, &st, "text/plain", NULL, true, head, sizeof(head), &resp);
	EXPECT_EQ(206, resp.status);
	r.if_range = "\"other\"";
	r.if_range_len = strlen(r.if_range);
	response_file(&r, &st, "text/plain", NULL, true, head, sizeof(head), &resp);
	EXPECT_EQ(200, resp.status);
	EXPECT_EQ(1000, resp.length);
	r.if_range = "Sun, 06 Nov 1994 08:49:37 GMT";
	r.if_range_len = strlen(r.if_range);
	response_file(&r, &st, "text/plain", NULL, true, head, sizeof(head), &resp);
	EXPECT_EQ(206, resp.status);
	r.if_range = "Sun, 06 Nov 1994 08:49:38 GMT";
	r.if_range_len = strlen(r.if_range);
	response_file(&r, &st, "text/plain", NULL, true, head, sizeof(head), &resp);
	EXPECT_EQ(200, resp.status);
	r.if_range = "W/\"weak\"";	/* a weak tag never matches */
	r.if_range_len = strlen(r.if_range);
	response_file(&r, &st, "text/plain", NULL, true, head, sizeof(head), &resp);
	EXPECT_EQ(200, resp.status);
	r.if_range = NULL;
	r.range = (struct http_range){ .present = true, .first = 1000, .last = 1005 };
	response_file(&r, &st, "text/plain", NULL, true, head, sizeof(head), &resp);
	EXPECT_EQ(416, resp.status);
	EXPECT_NE(NULL, strstr(head, "Content-Range: bytes */1000\r\n"));

	/* A precompressed sibling: its coding, and Vary. */
	ASSERT_LT(0, parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n", &r));
	response_file(&r, &st, "text/plain", "gzip", true, head, sizeof(head), &resp);
	EXPECT_EQ(200, resp.status);
	EXPECT_NE(NULL, strstr(head, "\r\nContent-Type: text/plain\r\n"));
	EXPECT_NE(NULL, strstr(head, "\r\nContent-Encoding: gzip\r\nVary: Accept-Encoding\r\n"));
	response_file(&r, &st, "text/plain", NULL, true, head, sizeof(head), &resp);
	EXPECT_EQ(NULL, strstr(head, "Content-Encoding"));

	response_redirect("/d/", true, head, sizeof(head), &resp);
	EXPECT_EQ(301, resp.status);
	EXPECT_NE(NULL, strstr(head, "HTTP/1.1 301 Moved Permanently\r\n"));
	EXPECT_NE(NULL, strstr(head, "\r\nLocation: /d/\r\n"));
	EXPECT_EQ(resp.head_len, strlen(head));

	response_error(405, false, head, sizeof(head), &resp);
	EXPECT_NE(NULL, strstr(head, "Allow: GET, HEAD\r\n"));
	EXPECT_NE(NULL, strstr(head, "Connection: close\r\n"));
	EXPECT_NE(NULL, strstr(head, "\r\n\r\n405 Method Not Allowed\n"));
	EXPECT_EQ(resp.head_len, strlen(head));
}

TEST(mime_types)
{
	if (mime_load("/etc/mime.types") < 0)
		SKIP(return, "no /etc/mime.types (Debian package media-types)");
	EXPECT_STREQ("text/html", mime_type("a/index.html"));
	EXPECT_STREQ("text/css", mime_type("style.CSS"));
	EXPECT_STREQ("image/png", mime_type("x.png"));
	EXPECT_STREQ("application/octet-stream", mime_type("noext"));
	EXPECT_STREQ("application/octet-stream", mime_type("dir.d/noext"));
	EXPECT_STREQ("application/octet-stream", mime_type("x.unknown-ext"));
}

TEST_HARNESS_MAIN
