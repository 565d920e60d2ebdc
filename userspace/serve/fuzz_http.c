// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the request parser and the target-to-path decoding must
 * never read outside the input, and what they return must be consistent.
 */
#include <stdlib.h>
#include <string.h>

#include "http.h"

/* Is the path absolute, or has it a ".." segment (a name may end in "..")? */
static int climbs(const char *path)
{
	const char *seg = path;

	if (*path == '/')
		return 1;
	for (;;) {
		const char *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);

		if (n == 2 && seg[0] == '.' && seg[1] == '.')
			return 1;
		if (!end)
			return 0;
		seg = end + 1;
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const struct http_limits lim = { .max_head = 4096, .max_target = 512 };
	struct http_request req;
	char path[1024];
	char *buf;
	int n;

	/* A copy of exactly @size bytes, so that ASan catches overreads. */
	buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	n = http_parse(buf, size, &lim, &req);
	if (n > 0) {
		if ((size_t)n > size || req.target < buf ||
		    req.target + req.target_len > buf + n)
			abort();
		if (!http_target_path(req.target, req.target_len, path, sizeof(path)) &&
		    climbs(path))
			abort();
		if (req.range.present && !req.range.suffix &&
		    req.range.last < req.range.first)
			abort();
	} else if (n != 0 && n != -400 && n != -414 && n != -431 && n != -505) {
		abort();
	}
	http_target_path(buf, size, path, sizeof(path));
	free(buf);
	return 0;
}
