/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A slow disk for cold-cache tests: a memory-backed null_blk device whose
 * every request completes after a fixed latency, with ext4 on it; and the
 * nrtls tracepoints, to check the order of events.
 */
#ifndef NRTLS_DISK_H
#define NRTLS_DISK_H

#include <stdint.h>

struct nrtls_disk {
	char name[32];		/* configfs directory, and device name */
	char dev[64];
	char mnt[64];
	char skip[128];		/* why it could not be made */
};

/* 0, or -1 with d->skip set. */
int nrtls_disk_create(struct nrtls_disk *d, unsigned int latency_ms,
		      unsigned int size_mb);
void nrtls_disk_destroy(struct nrtls_disk *d);
/* Mark (or unmark) the device sectors holding file bytes [off, off+len). */
int nrtls_disk_badblocks(struct nrtls_disk *d, int fd, uint64_t off,
			 uint64_t len, int add);

/*
 * Clear the trace buffer and enable the nrtls tracepoints, with the
 * record-cmd option off until stop puts it back as it was.
 */
int nrtls_trace_start(void);
void nrtls_trace_stop(void);
/* A tracing option's value (0 or 1), or -1. */
int nrtls_trace_option(const char *opt);
void nrtls_trace_mark(const char *msg);
/* The trace buffer (malloc'd), or NULL. */
char *nrtls_trace_read(void);
/* Index of the first line at or after line @from containing @what, or -1. */
int nrtls_trace_find(const char *trace, int from, const char *what);
/* Index of the last line containing @what, or -1. */
int nrtls_trace_find_last(const char *trace, const char *what);

#endif /* NRTLS_DISK_H */
