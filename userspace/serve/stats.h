/* SPDX-License-Identifier: GPL-2.0 */
/* Server-wide counters: printed on SIGUSR2, served as JSON and to Prometheus with --stats. */
#ifndef NRTLS_SERVE_STATS_H
#define NRTLS_SERVE_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

struct serve_stats {
	atomic_ulong conns_open, conns_total, conns_rejected;
	atomic_ulong requests, bytes, status[6];	/* by first digit */
	atomic_ulong tls_handshakes, tls_failed, ktls_tx, ktls_rx;
	atomic_ulong path_module, path_splice, path_tls_user;
	atomic_ulong timeouts;
};

extern struct serve_stats stats;
extern const char *stats_sendfile_path;	/* "nrtls" or "splice" */

size_t stats_json(char *buf, size_t len);
/* The same in Prometheus's text exposition format. */
size_t stats_prometheus(char *buf, size_t len, const char *version);

#endif /* NRTLS_SERVE_STATS_H */
