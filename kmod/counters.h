/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_COUNTERS_H
#define _NRTLS_COUNTERS_H

#include <linux/percpu.h>

struct dentry;

/*
 * Live objects: each is incremented when an object is created and
 * decremented when it is freed, so all must read zero once the module is
 * idle.  The test suite checks that before every rmmod.
 */
enum nrtls_obj {
	NRTLS_OBJ_CTX,
	NRTLS_OBJ_SOCK,		/* sockets with an nrtls queue */
	NRTLS_OBJ_REQ,		/* sendfile requests */
	NRTLS_OBJ_SEG,		/* queued segments */
	NRTLS_OBJ_FOLIO,	/* page-cache folio references held */
	NRTLS_OBJ_PAGE,		/* own page references (headers, copies) */
	NRTLS_OBJ_NIC_DESC,	/* descriptors in emulated NICs' TX rings */
	NRTLS_OBJ_NIC_HWCTX,	/* emulated NICs' context state, pools included */
	NRTLS_OBJ_NIC_PENDING,	/* packets waiting for cxgb4 credits */
	NRTLS_OBJ_NR,
};

/* Events: monotonic, for tests and operators. */
enum nrtls_event {
	NRTLS_EV_CTX_CREATED,
	NRTLS_EV_CTX_DETACHED,
	NRTLS_EV_BPF_LOOKUP,
	NRTLS_EV_BPF_HIT,
	NRTLS_EV_BPF_STEER,
	NRTLS_EV_BPF_STEER_ERR,
	NRTLS_EV_SF_REQUESTS,
	NRTLS_EV_SF_QUEUED,	/* bytes */
	NRTLS_EV_SF_SENT,	/* bytes */
	NRTLS_EV_SF_DROPPED,	/* bytes */
	NRTLS_EV_SF_IO_STARTED,	/* segments that waited for a read */
	NRTLS_EV_SF_IO_DONE,
	NRTLS_EV_SF_IO_ERRORS,
	NRTLS_EV_SF_FALLBACK,	/* reads through the bounded workqueue */
	NRTLS_EV_SF_ABORTS,	/* connections aborted */
	NRTLS_EV_SF_PUSH_EAGAIN,
	NRTLS_EV_CTX_MODE_CHANGES,
	NRTLS_EV_SF_SEGS,	/* segments queued */
	NRTLS_EV_SF_PUSHES,	/* hand-overs to the protocol */
	NRTLS_EV_SF_REAPER_PUSHES, /* pushes only the periodic look found */
	NRTLS_EV_SF_CANCELLED,	/* requests io_uring cancelled */
	NRTLS_EV_SF_SHUTDOWNS,	/* NRTLS_SF_SHUT_WR done */
	NRTLS_EV_SF_ORPHAN_TIMEOUTS, /* closed sockets given up on */
	NRTLS_EV_SF_READ_JOBS,	/* reads started on the read pool */
	NRTLS_EV_SF_HANDOVERS,	/* submissions handed to the lock holder */
	NRTLS_EV_SF_IO_RETRIES,	/* segments read again after another's read */
	NRTLS_EV_POOL_WAITS,	/* read jobs that waited for their user's share */
	NRTLS_EV_NR,
};

/*
 * Per-CPU, summed when read: counting costs no shared cache line on the
 * paths that count per segment, push and packet.  Any context.
 */
struct nrtls_stats {
	long objs[NRTLS_OBJ_NR];
	long events[NRTLS_EV_NR];
};

DECLARE_PER_CPU(struct nrtls_stats, nrtls_stats);

static inline void nrtls_obj_add(enum nrtls_obj o, long n)
{
	this_cpu_add(nrtls_stats.objs[o], n);
}

static inline void nrtls_obj_inc(enum nrtls_obj o)
{
	this_cpu_inc(nrtls_stats.objs[o]);
}

static inline void nrtls_obj_dec(enum nrtls_obj o)
{
	this_cpu_dec(nrtls_stats.objs[o]);
}

static inline void nrtls_event_add(enum nrtls_event e, long n)
{
	this_cpu_add(nrtls_stats.events[e], n);
}

static inline void nrtls_event(enum nrtls_event e)
{
	this_cpu_inc(nrtls_stats.events[e]);
}

long nrtls_obj_read(enum nrtls_obj o);
long nrtls_objs_live(void);
void nrtls_counters_init(struct dentry *dir);

#endif /* _NRTLS_COUNTERS_H */
