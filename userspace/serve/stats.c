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

#define COUNTER(name, help) "# HELP nrtls_serve_" name " " help "\n# TYPE nrtls_serve_" name " counter\n"
#define GAUGE(name, help) "# HELP nrtls_serve_" name " " help "\n# TYPE nrtls_serve_" name " gauge\n"

size_t stats_prometheus(char *buf, size_t len, const char *version)
{
	int n = snprintf(buf, len,
		GAUGE("info", "Version and the sendfile path in use.")
		"nrtls_serve_info{version=\"%s\",sendfile_path=\"%s\"} 1\n"
		GAUGE("connections_open", "Connections open now.")
		"nrtls_serve_connections_open %lu\n"
		COUNTER("connections_total", "Connections accepted, and refused at the limit.")
		"nrtls_serve_connections_total{result=\"accepted\"} %lu\n"
		"nrtls_serve_connections_total{result=\"rejected\"} %lu\n"
		COUNTER("timeouts_total", "Connections closed by a timeout.")
		"nrtls_serve_timeouts_total %lu\n"
		COUNTER("requests_total", "Requests answered, by status class.")
		"nrtls_serve_requests_total{code=\"2xx\"} %lu\n"
		"nrtls_serve_requests_total{code=\"3xx\"} %lu\n"
		"nrtls_serve_requests_total{code=\"4xx\"} %lu\n"
		"nrtls_serve_requests_total{code=\"5xx\"} %lu\n"
		COUNTER("sent_bytes_total", "Response bytes sent, heads included.")
		"nrtls_serve_sent_bytes_total %lu\n"
		COUNTER("responses_total", "Responses sent, by the path their bytes took.")
		"nrtls_serve_responses_total{path=\"nrtls\"} %lu\n"
		"nrtls_serve_responses_total{path=\"splice\"} %lu\n"
		"nrtls_serve_responses_total{path=\"tls-userspace\"} %lu\n"
		COUNTER("tls_handshakes_total", "TLS handshakes, by result.")
		"nrtls_serve_tls_handshakes_total{result=\"ok\"} %lu\n"
		"nrtls_serve_tls_handshakes_total{result=\"failed\"} %lu\n"
		COUNTER("ktls_total", "Connections whose records the kernel handles, by direction.")
		"nrtls_serve_ktls_total{direction=\"tx\"} %lu\n"
		"nrtls_serve_ktls_total{direction=\"rx\"} %lu\n",
		version, stats_sendfile_path, stats.conns_open, stats.conns_total,
		stats.conns_rejected, stats.timeouts, stats.status[2], stats.status[3],
		stats.status[4], stats.status[5], stats.bytes, stats.path_module,
		stats.path_splice, stats.path_tls_user, stats.tls_handshakes,
		stats.tls_failed, stats.ktls_tx, stats.ktls_rx);

	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}
