/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_QUOTA_H
#define _NRTLS_QUOTA_H

#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/workqueue.h>

/*
 * Per-user quotas on what any user can make nrtls create, keyed by a uid
 * in the initial user namespace: the caller's real uid, or, inside user
 * namespaces a user made, that user's, whichever of its subuids the caller
 * runs as.  So a user in a namespace of its own (where it holds
 * CAP_NET_ADMIN) is still the same user.  Exceeding one fails with EDQUOT,
 * as the kernel's key quotas do.
 */
enum nrtls_quota_kind {
	NRTLS_QUOTA_CTX,	/* contexts owned through /dev/nrtls, and
				 * made for its sockets on devices of a
				 * namespace it can own (nrtls_ctx_charge_caller)
				 */
	NRTLS_QUOTA_SOCK,	/* sockets with an nrtls queue */
	NRTLS_QUOTA_NR,
};

struct nrtls_quota;

/* The caller's quota, referenced; NULL when out of memory. */
struct nrtls_quota *nrtls_quota_get(void);
struct nrtls_quota *nrtls_quota_hold(struct nrtls_quota *q);
void nrtls_quota_put(struct nrtls_quota *q);
/* Take one of @kind: 0, or -EDQUOT over the limit. */
int nrtls_quota_charge(struct nrtls_quota *q, enum nrtls_quota_kind kind);
void nrtls_quota_uncharge(struct nrtls_quota *q, enum nrtls_quota_kind kind);

/*
 * A job on a pool all users share (the read pool), counted for its user:
 * one whose jobs never end (its own FUSE daemon's reads) holds at most
 * its share of the pool, not all of it.
 */
struct nrtls_pool_job {
	struct work_struct work;
	struct list_head node;		/* waiting for its user's share */
	struct nrtls_quota *quota;	/* its user's, referenced */
};

/*
 * Queue @job on @wq for @q's user, if it has fewer than @share jobs on
 * the pool; else it waits, in order, for one of them to end.  Each queued
 * job calls nrtls_quota_pool_done() when it ends; until then it holds
 * the quota, whatever else lets go of it.
 */
void nrtls_quota_pool_queue(struct nrtls_quota *q, struct workqueue_struct *wq,
			    struct nrtls_pool_job *job, unsigned int share);
void nrtls_quota_pool_done(struct nrtls_pool_job *job,
			   struct workqueue_struct *wq);

struct dentry;

void nrtls_quota_init(struct dentry *dir);
void nrtls_quota_exit(void);

#endif /* _NRTLS_QUOTA_H */
