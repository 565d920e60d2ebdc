// SPDX-License-Identifier: GPL-2.0
/*
 * Live-object and event counters, shown in debugfs:
 *   /sys/kernel/debug/nrtls/counters  "name value" per live-object kind
 *   /sys/kernel/debug/nrtls/events    "name value" per event
 */
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "counters.h"

DEFINE_PER_CPU(struct nrtls_stats, nrtls_stats);
/* nrtls_nic.ko counts its objects here too. */
EXPORT_SYMBOL_NS_GPL(nrtls_stats, NRTLS);

static const char *const obj_names[NRTLS_OBJ_NR] = {
	[NRTLS_OBJ_CTX] = "contexts",
	[NRTLS_OBJ_SOCK] = "sockets",
	[NRTLS_OBJ_REQ] = "requests",
	[NRTLS_OBJ_SEG] = "segments",
	[NRTLS_OBJ_FOLIO] = "folios",
	[NRTLS_OBJ_PAGE] = "pages",
	[NRTLS_OBJ_NIC_DESC] = "nic_descs",
	[NRTLS_OBJ_NIC_HWCTX] = "nic_hwctx",
	[NRTLS_OBJ_NIC_PENDING] = "nic_pending",
};

static const char *const event_names[NRTLS_EV_NR] = {
	[NRTLS_EV_CTX_CREATED] = "ctx_created",
	[NRTLS_EV_CTX_DETACHED] = "ctx_detached",
	[NRTLS_EV_BPF_LOOKUP] = "bpf_lookup",
	[NRTLS_EV_BPF_HIT] = "bpf_hit",
	[NRTLS_EV_BPF_STEER] = "bpf_steer",
	[NRTLS_EV_BPF_STEER_ERR] = "bpf_steer_err",
	[NRTLS_EV_SF_REQUESTS] = "sf_requests",
	[NRTLS_EV_SF_QUEUED] = "sf_bytes_queued",
	[NRTLS_EV_SF_SENT] = "sf_bytes_sent",
	[NRTLS_EV_SF_DROPPED] = "sf_bytes_dropped",
	[NRTLS_EV_SF_IO_STARTED] = "sf_io_started",
	[NRTLS_EV_SF_IO_DONE] = "sf_io_done",
	[NRTLS_EV_SF_IO_ERRORS] = "sf_io_errors",
	[NRTLS_EV_SF_FALLBACK] = "sf_fallback_reads",
	[NRTLS_EV_SF_ABORTS] = "sf_aborts",
	[NRTLS_EV_SF_PUSH_EAGAIN] = "sf_push_eagain",
	[NRTLS_EV_CTX_MODE_CHANGES] = "ctx_mode_changes",
	[NRTLS_EV_SF_SEGS] = "sf_segments",
	[NRTLS_EV_SF_PUSHES] = "sf_pushes",
	[NRTLS_EV_SF_REAPER_PUSHES] = "sf_reaper_pushes",
	[NRTLS_EV_SF_CANCELLED] = "sf_cancelled",
	[NRTLS_EV_SF_SHUTDOWNS] = "sf_shutdowns",
	[NRTLS_EV_SF_ORPHAN_TIMEOUTS] = "sf_orphan_timeouts",
	[NRTLS_EV_SF_READ_JOBS] = "sf_read_jobs",
	[NRTLS_EV_SF_HANDOVERS] = "sf_handovers",
	[NRTLS_EV_SF_IO_RETRIES] = "sf_io_retries",
	[NRTLS_EV_POOL_WAITS] = "sf_pool_waits",
};

/* A CPU that went offline keeps its counts: sum every possible CPU. */
long nrtls_obj_read(enum nrtls_obj o)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(nrtls_stats.objs[o], cpu);
	return sum;
}

static long event_read(enum nrtls_event e)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(nrtls_stats.events[e], cpu);
	return sum;
}

long nrtls_objs_live(void)
{
	long sum = 0;
	int i;

	for (i = 0; i < NRTLS_OBJ_NR; i++)
		sum += nrtls_obj_read(i);
	return sum;
}

static int counters_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < NRTLS_OBJ_NR; i++)
		seq_printf(m, "%s %ld\n", obj_names[i], nrtls_obj_read(i));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counters);

static int events_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < NRTLS_EV_NR; i++)
		seq_printf(m, "%s %ld\n", event_names[i], event_read(i));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(events);

void nrtls_counters_init(struct dentry *dir)
{
	debugfs_create_file("counters", 0444, dir, NULL, &counters_fops);
	debugfs_create_file("events", 0444, dir, NULL, &events_fops);
}
