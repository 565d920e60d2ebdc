// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the request parser and the target-to-path decoding must
 * never read outside the input, and what they return must be consistent.
 */
#include <stdlib.h>
#include <string.h>

#include "http.h"

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
		if (!http_target_path(req.target, req.target_len, path, sizeof(path))) {
			/* A decoded path never climbs out of the root. */
			if (path[0] == '/' || strstr(path, "../") ||
			    !strcmp(path, "..") || strlen(path) >= sizeof(path))
				abort();
		}
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
