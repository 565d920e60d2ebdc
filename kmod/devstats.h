/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device's counters, one set per CPU: the packet path adds to its own
 * CPU's set, with no cache line shared between CPUs; readers (ethtool,
 * ndo_get_stats64) add the sets up.  Used by both modules, hence inline.
 */
#ifndef NRTLS_DEVSTATS_H
#define NRTLS_DEVSTATS_H

#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>

#include "fault.h"

struct nrtls_devstats {
	struct u64_stats_sync syncp;
	u64_stats_t v[];
};

/* From ndo_init: charged to the creator's memory cgroup. */
static inline struct nrtls_devstats __percpu *nrtls_devstats_alloc(unsigned int n)
{
	struct nrtls_devstats __percpu *stats;
	int cpu;

	if (nrtls_should_fail(NRTLS_FAULT_DEV_STATS))
		return NULL;
	stats = __alloc_percpu_gfp(sizeof(struct nrtls_devstats) +
				   n * sizeof(u64_stats_t),
				   __alignof__(struct nrtls_devstats),
				   GFP_KERNEL_ACCOUNT);
	if (stats)
		for_each_possible_cpu(cpu)
			u64_stats_init(&per_cpu_ptr(stats, cpu)->syncp);
	return stats;
}

/* From any context: process (reset work), softirq (xmit, NAPI), hardirq. */
static inline void nrtls_devstats_add(struct nrtls_devstats __percpu *stats,
				      unsigned int i, u64 n)
{
	struct nrtls_devstats *s = get_cpu_ptr(stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_add(&s->v[i], n);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
	put_cpu_ptr(stats);
}

static inline u64 nrtls_devstats_get(struct nrtls_devstats __percpu *stats,
				     unsigned int i)
{
	const struct nrtls_devstats *s;
	unsigned int start;
	u64 sum = 0, v;
	int cpu;

	for_each_possible_cpu(cpu) {
		s = per_cpu_ptr(stats, cpu);
		do {
			start = u64_stats_fetch_begin(&s->syncp);
			v = u64_stats_read(&s->v[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		sum += v;
	}
	return sum;
}

#endif
