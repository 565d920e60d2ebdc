/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_COUNTERS_H
#define _NRTLS_COUNTERS_H

#include <linux/atomic.h>

struct dentry;

/*
 * Live objects: each is incremented when an object is created and
 * decremented when it is freed, so all must read zero once the module is
 * idle.  The test suite checks that before every rmmod.
 */
enum nrtls_obj {
	NRTLS_OBJ_CTX,
	NRTLS_OBJ_NR,
};

/* Events: monotonic, for tests and operators. */
enum nrtls_event {
	NRTLS_EV_CTX_CREATED,
	NRTLS_EV_CTX_DETACHED,
	NRTLS_EV_BPF_LOOKUP,
	NRTLS_EV_BPF_HIT,
	NRTLS_EV_NR,
};

extern atomic_long_t nrtls_objs[NRTLS_OBJ_NR];
extern atomic_long_t nrtls_events[NRTLS_EV_NR];

static inline void nrtls_obj_inc(enum nrtls_obj o)
{
	atomic_long_inc(&nrtls_objs[o]);
}

static inline void nrtls_obj_dec(enum nrtls_obj o)
{
	atomic_long_dec(&nrtls_objs[o]);
}

static inline void nrtls_event(enum nrtls_event e)
{
	atomic_long_inc(&nrtls_events[e]);
}

long nrtls_objs_live(void);
void nrtls_counters_init(struct dentry *dir);

#endif /* _NRTLS_COUNTERS_H */
