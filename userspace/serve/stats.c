// SPDX-License-Identifier: GPL-2.0
#include "stats.h"

struct serve_stats stats;
const char *stats_sendfile_path = "splice";

size_t stats_json(char *buf, size_t len)
{
	int n = snprintf(buf, len,
		"{\"connections\":{\"open\":%lu,\"total\":%lu,\"rejected\":%lu,\"timed_out\":%lu},"
		"\"requests\":%lu,\"bytes\":%lu,"
		"\"status\":{\"2xx\":%lu,\"3xx\":%lu,\"4xx\":%lu,\"5xx\":%lu},"
		"\"sendfile\":{\"path\":\"%s\",\"nrtls\":%lu,\"splice\":%lu,\"tls_userspace\":%lu},"
		"\"tls\":{\"handshakes\":%lu,\"failed\":%lu,\"ktls_tx\":%lu,\"ktls_rx\":%lu}}\n",
		stats.conns_open, stats.conns_total, stats.conns_rejected, stats.timeouts,
		stats.requests, stats.bytes, stats.status[2], stats.status[3],
		stats.status[4], stats.status[5], stats_sendfile_path,
		stats.path_module, stats.path_splice, stats.path_tls_user,
		stats.tls_handshakes, stats.tls_failed, stats.ktls_tx, stats.ktls_rx);

	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}
