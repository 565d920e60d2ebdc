// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"

/* RFC 9110 token characters. */
static bool tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool ieq(const char *a, size_t alen, const char *b)
{
	return alen == strlen(b) && !strncasecmp(a, b, alen);
}

/* Does the comma-separated list @v contain the token @tok? */
static bool list_has(const char *v, size_t len, const char *tok)
{
	size_t i = 0, n = strlen(tok);

	while (i < len) {
		size_t start, end;

		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		start = i;
		while (i < len && v[i] != ',')
			i++;
		end = i;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (end - start == n && !strncasecmp(v + start, tok, n))
			return true;
	}
	return false;
}

static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (!len || len > 19)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* "bytes=A-B", "bytes=A-", "bytes=-N"; anything else is ignored. */
static void parse_range(const char *v, size_t len, struct http_range *r)
{
	const char *dash;
	size_t a, b;

	r->present = false;
	if (len < 7 || strncasecmp(v, "bytes=", 6))
		return;
	v += 6;
	len -= 6;
	if (memchr(v, ',', len))
		return;	/* several ranges: serve the whole file */
	dash = memchr(v, '-', len);
	if (!dash)
		return;
	a = dash - v;
	b = len - a - 1;
	if (!a) {
		if (!parse_u64(dash + 1, b, &r->last) || !r->last)
			return;
		r->suffix = true;
	} else {
		if (!parse_u64(v, a, &r->first))
			return;
		if (!b)
			r->last = UINT64_MAX;
		else if (!parse_u64(dash + 1, b, &r->last) || r->last < r->first)
			return;
		r->suffix = false;
	}
	r->present = true;
}

/* End of the head: the byte after "\n\r\n" or "\n\n", or NULL. */
static const char *head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return buf + i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return buf + i + 3;
	}
	return NULL;
}

static int parse_request_line(const char *p, const char *eol,
			      const struct http_limits *lim,
			      struct http_request *req)
{
	const char *sp1, *sp2, *v;
	size_t vlen;

	if (eol > p && eol[-1] == '\r')
		eol--;
	sp1 = memchr(p, ' ', eol - p);
	if (!sp1 || sp1 == p || sp1 - p > 16)
		return -400;
	for (const char *c = p; c < sp1; c++)
		if (!tchar(*c))
			return -400;
	sp2 = memchr(sp1 + 1, ' ', eol - sp1 - 1);
	if (!sp2 || sp2 == sp1 + 1)
		return -400;
	if ((size_t)(sp2 - sp1 - 1) > lim->max_target)
		return -414;
	for (const char *c = sp1 + 1; c < sp2; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f)
			return -400;
	v = sp2 + 1;
	vlen = eol - v;
	if (vlen != 8 || strncmp(v, "HTTP/", 5) || !isdigit((unsigned char)v[5]) ||
	    v[6] != '.' || !isdigit((unsigned char)v[7]))
		return -400;
	if (v[5] != '1')
		return -505;
	req->minor = v[7] - '0';
	req->method_str = p;
	req->method_len = sp1 - p;
	/* Methods are case-sensitive. */
	if (sp1 - p == 3 && !memcmp(p, "GET", 3))
		req->method = HTTP_GET;
	else if (sp1 - p == 4 && !memcmp(p, "HEAD", 4))
		req->method = HTTP_HEAD;
	else
		req->method = HTTP_OTHER;
	req->target = sp1 + 1;
	req->target_len = sp2 - sp1 - 1;
	return 0;
}

int http_parse(const char *buf, size_t len, const struct http_limits *lim,
	       struct http_request *req)
{
	size_t scan = len < lim->max_head ? len : lim->max_head;
	const char *end, *p, *eol;
	bool host = false, close = false, keep = false;
	bool have_cl = false;
	uint64_t cl = 0;
	int ret;

	memset(req, 0, sizeof(*req));
	eol = memchr(buf, '\n', scan);
	if (!eol) {
		if (scan > lim->max_target + 32)
			return -414;
		return len >= lim->max_head ? -431 : 0;
	}
	ret = parse_request_line(buf, eol, lim, req);
	if (ret)
		return ret;
	end = head_end(buf, scan);
	if (!end)
		return len >= lim->max_head ? -431 : 0;

	for (p = eol + 1; p < end; p = eol + 1) {
		const char *colon, *v, *ve;

		eol = memchr(p, '\n', end - p);
		ve = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		if (ve == p)
			break;	/* the empty line */
		if (*p == ' ' || *p == '\t')
			return -400;	/* obsolete line folding */
		colon = memchr(p, ':', ve - p);
		if (!colon || colon == p)
			return -400;
		for (const char *c = p; c < colon; c++)
			if (!tchar(*c))
				return -400;
		for (const char *c = colon + 1; c < ve; c++)
			if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
				return -400;
		v = colon + 1;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;

#define IS(name) ieq(p, colon - p, name)
		if (IS("host")) {
			if (host)
				return -400;
			host = true;
		} else if (IS("connection")) {
			close |= list_has(v, ve - v, "close");
			keep |= list_has(v, ve - v, "keep-alive");
		} else if (IS("content-length")) {
			uint64_t n;

			if (!parse_u64(v, ve - v, &n) || (have_cl && n != cl))
				return -400;
			have_cl = true;
			cl = n;
		} else if (IS("transfer-encoding")) {
			req->has_body = true;
		} else if (IS("range")) {
			parse_range(v, ve - v, &req->range);
		} else if (IS("if-none-match")) {
			req->if_none_match = v;
			req->if_none_match_len = ve - v;
		} else if (IS("if-modified-since")) {
			req->has_ims = http_parse_date(v, ve - v, &req->if_modified_since);
		} else if (IS("user-agent")) {
			req->user_agent = v;
			req->user_agent_len = ve - v;
		} else if (IS("referer")) {
			req->referer = v;
			req->referer_len = ve - v;
		} else if (IS("accept-encoding")) {
			req->accept_encoding = v;
			req->accept_encoding_len = ve - v;
		} else if (IS("if-range")) {
			req->if_range = v;
			req->if_range_len = ve - v;
		}
#undef IS
	}
	if (req->minor >= 1 && !host)
		return -400;
	if (cl)
		req->has_body = true;
	req->keep_alive = req->minor >= 1 ? !close : keep && !close;
	return end - buf;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int http_target_path(const char *t, size_t len, char *out, size_t outlen)
{
	size_t o = 0, i = 0, seg;

	/* absolute-form: http://authority/path */
	if (len >= 7 && !strncasecmp(t, "http://", 7))
		i = 7;
	else if (len >= 8 && !strncasecmp(t, "https://", 8))
		i = 8;
	if (i) {
		const char *slash = memchr(t + i, '/', len - i);

		if (!slash)
			return -400;
		i = slash - t;
	}
	if (i >= len || t[i] != '/')
		return -400;
	seg = 0;
	while (i < len && t[i] != '?' && t[i] != '#') {
		char c = t[i++];

		if (c == '%') {
			int hi, lo;

			if (i + 2 > len || (hi = hexval(t[i])) < 0 ||
			    (lo = hexval(t[i + 1])) < 0)
				return -400;
			c = hi << 4 | lo;
			i += 2;
			if (!c)
				return -400;
		}
		if (c == '/') {
			/* End of a segment: drop "", "." and refuse "..". */
			size_t n = o - seg;

			if (n == 2 && out[seg] == '.' && out[seg + 1] == '.')
				return -403;
			if (n == 0 || (n == 1 && out[seg] == '.')) {
				o = seg;
				continue;
			}
			if (o + 1 >= outlen)
				return -400;
			out[o++] = '/';
			seg = o;
			continue;
		}
		if (o + 1 >= outlen)
			return -400;
		out[o++] = c;
	}
	if (o - seg == 2 && out[seg] == '.' && out[seg + 1] == '.')
		return -403;
	if (o - seg == 1 && out[seg] == '.')
		o = seg;
	if (o && out[o - 1] == '/')
		o--;
	out[o] = '\0';
	return 0;
}

bool http_path_hidden(const char *path)
{
	const char *s = path;

	if (!strncmp(s, ".well-known", 11) && (s[11] == '/' || !s[11]))
		s += 11;
	for (; s; s = strchr(s, '/')) {
		if (*s == '/')
			s++;
		if (*s == '.')
			return true;
	}
	return false;
}

bool http_accepts(const char *ae, size_t len, const char *coding)
{
	size_t i = 0, n = strlen(coding);
	int named = -1, star = -1;

	while (i < len) {
		size_t start, end;
		bool zero = false;

		while (i < len && (ae[i] == ' ' || ae[i] == '\t' || ae[i] == ','))
			i++;
		start = i;
		while (i < len && ae[i] != ',' && ae[i] != ';' && ae[i] != ' ' && ae[i] != '\t')
			i++;
		end = i;
		/* Parameters: only q matters; "q=0", "q=0.0", "q=0.000" refuse. */
		while (i < len && ae[i] != ',') {
			if ((ae[i] == 'q' || ae[i] == 'Q') && i + 1 < len && ae[i + 1] == '=' &&
			    (i == 0 || ae[i - 1] == ';' || ae[i - 1] == ' ')) {
				size_t j = i + 2;

				zero = j < len && ae[j] == '0';
				for (j++; zero && j < len && ae[j] != ',' && ae[j] != ';' &&
				     ae[j] != ' '; j++)
					zero = ae[j] == '.' || ae[j] == '0';
			}
			i++;
		}
		if (end - start == n && !strncasecmp(ae + start, coding, n))
			named = !zero;
		else if (end - start == 1 && ae[start] == '*')
			star = !zero;
	}
	return named >= 0 ? named : star > 0;
}

static size_t target_path_len(const char *t, size_t len)
{
	size_t i = 0;

	while (i < len && t[i] != '?' && t[i] != '#')
		i++;
	return i;
}

bool http_target_dir(const char *t, size_t len)
{
	size_t n = target_path_len(t, len);

	return n && t[n - 1] == '/';
}

size_t http_dir_location(const char *path, const char *t, size_t len, char *out,
			 size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0, q = target_path_len(t, len), qend = q;

	if (outlen < 3)
		return 0;
	out[o++] = '/';
	for (; *path; path++) {
		unsigned char c = *path;

		if (o + 4 >= outlen)
			return 0;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~/!$&'()*+,;=:@", c)) {
			out[o++] = c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o++] = '/';
	/* The query, up to a fragment, if nothing in it needs escaping. */
	while (qend < len && t[qend] != '#' && t[qend] > 0x20 && t[qend] < 0x7f)
		qend++;
	if (q < len && t[q] == '?' && (qend == len || t[qend] == '#') && qend - q > 1) {
		if (o + (qend - q) >= outlen)
			return 0;
		memcpy(out + o, t + q, qend - q);
		o += qend - q;
	}
	out[o] = '\0';
	return o;
}

static const char *const wdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

size_t http_date(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	return snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d GMT",
			wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
			tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

bool http_parse_date(const char *s, size_t len, time_t *out)
{
	char buf[64], mon[4] = "";
	int day, year, h, m, sec, n = 0;
	struct tm tm = { 0 };

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	/*
	 * The three forms RFC 9110 says a recipient must accept: IMF-fixdate
	 * "Sun, 06 Nov 1994 08:49:37 GMT", the obsolete RFC 850 form
	 * "Sunday, 06-Nov-94 08:49:37 GMT" and asctime's
	 * "Sun Nov  6 08:49:37 1994".
	 */
	if (sscanf(buf, "%*3[A-Za-z], %2d %3s %4d %2d:%2d:%2d GMT%n", &day, mon, &year,
		   &h, &m, &sec, &n) == 6 && (size_t)n == len) {
		/* IMF-fixdate */
	} else if (sscanf(buf, "%*[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d GMT%n", &day, mon,
			  &year, &h, &m, &sec, &n) == 6 && (size_t)n == len) {
		/* A two-digit year more than 50 years ahead is in the past. */
		struct tm now;
		time_t t = time(NULL);

		gmtime_r(&t, &now);
		year += 2000;
		if (year > now.tm_year + 1900 + 50)
			year -= 100;
	} else if (sscanf(buf, "%*3[A-Za-z] %3s %2d %2d:%2d:%2d %4d%n", mon, &day, &h, &m,
			  &sec, &year, &n) != 6 || (size_t)n != len) {
		return false;
	}
	for (tm.tm_mon = 0; tm.tm_mon < 12; tm.tm_mon++)
		if (!strcmp(mon, months[tm.tm_mon]))
			break;
	if (tm.tm_mon == 12 || day < 1 || day > 31 || h > 23 || m > 59 || sec > 60)
		return false;
	tm.tm_mday = day;
	tm.tm_year = year - 1900;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	*out = timegm(&tm);
	return true;
}

bool http_etag_match(const char *inm, size_t len, const char *etag)
{
	size_t i = 0, n = strlen(etag);

	while (i < len) {
		size_t start;

		while (i < len && (inm[i] == ' ' || inm[i] == '\t' || inm[i] == ','))
			i++;
		if (i < len && inm[i] == '*')
			return true;
		if (i + 2 <= len && inm[i] == 'W' && inm[i + 1] == '/')
			i += 2;
		start = i;
		if (i < len && inm[i] == '"') {
			const char *q = memchr(inm + i + 1, '"', len - i - 1);

			if (!q)
				return false;
			i = q - inm + 1;
		} else {
			while (i < len && inm[i] != ',')
				i++;
		}
		if (i - start == n && !memcmp(inm + start, etag, n))
			return true;
	}
	return false;
}
