// SPDX-License-Identifier: GPL-2.0
/*
 * Per-user quotas (see quota.h).  A user's entry lives while anything
 * charged to it or holding it does; lookups are lock-free.
 *
 * /sys/kernel/debug/nrtls/quotas: "uid contexts sockets pool waiting" per
 * user that has /dev/nrtls open or anything charged; empty when idle.
 */
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/user_namespace.h>

#include "counters.h"
#include "fault.h"
#include "quota.h"

static unsigned int max_user_ctx = 4096;
module_param(max_user_ctx, uint, 0644);
MODULE_PARM_DESC(max_user_ctx,
		 "Most contexts one user may own through /dev/nrtls (default 4096)");

static unsigned int max_user_socks = 65536;
module_param(max_user_socks, uint, 0644);
MODULE_PARM_DESC(max_user_socks,
		 "Most sockets with queued nrtls data one user may have (default 65536)");

struct nrtls_quota {
	struct hlist_node node;
	kuid_t uid;
	refcount_t ref;
	atomic_t used[NRTLS_QUOTA_NR];
	spinlock_t pool_lock;		/* the pool_ fields */
	unsigned int pool_jobs;		/* queued or running */
	unsigned int pool_waiting;
	struct list_head pool_wait;	/* of nrtls_pool_job, in order */
	struct rcu_head rcu;
};

#define QUOTA_HASH_BITS 6
static DEFINE_HASHTABLE(quotas, QUOTA_HASH_BITS);
static DEFINE_SPINLOCK(quotas_lock);

static unsigned int quota_limit(enum nrtls_quota_kind kind)
{
	if (kind == NRTLS_QUOTA_CTX)
		return READ_ONCE(max_user_ctx);
	return READ_ONCE(max_user_socks);
}

static struct nrtls_quota *quota_find(kuid_t uid)
{
	struct nrtls_quota *q;

	hash_for_each_possible_rcu(quotas, q, node, __kuid_val(uid)) {
		if (uid_eq(q->uid, uid) && refcount_inc_not_zero(&q->ref))
			return q;
	}
	return NULL;
}

/*
 * Whom the caller's use is charged to.  A user given a range of subuids
 * can become any of them inside a namespace it made: each is a distinct
 * kuid, so keying by the caller's own would multiply its quota by the
 * range.  The owner of the outermost user namespace on the caller's chain
 * that root did not make is the user who set the chain up; ranges root
 * hands out itself (rootful containers) stay one user per kuid.
 */
static kuid_t quota_uid(void)
{
	const struct user_namespace *ns;
	kuid_t uid = current_uid();

	for (ns = current_user_ns(); ns != &init_user_ns; ns = ns->parent)
		if (!uid_eq(ns->owner, GLOBAL_ROOT_UID))
			uid = ns->owner;
	return uid;
}

struct nrtls_quota *nrtls_quota_get(void)
{
	kuid_t uid = quota_uid();
	struct nrtls_quota *q, *new;

	rcu_read_lock();
	q = quota_find(uid);
	rcu_read_unlock();
	if (q)
		return q;

	if (nrtls_should_fail(NRTLS_FAULT_QUOTA_ALLOC))
		return NULL;
	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return NULL;
	new->uid = uid;
	refcount_set(&new->ref, 1);
	spin_lock_init(&new->pool_lock);
	INIT_LIST_HEAD(&new->pool_wait);
	spin_lock_bh(&quotas_lock);
	q = quota_find(uid);
	if (!q) {
		hash_add_rcu(quotas, &new->node, __kuid_val(uid));
		q = new;
		new = NULL;
	}
	spin_unlock_bh(&quotas_lock);
	kfree(new);
	return q;
}

struct nrtls_quota *nrtls_quota_hold(struct nrtls_quota *q)
{
	refcount_inc(&q->ref);
	return q;
}

/* From any context but hardirq: a context's charge goes in an RCU callback. */
void nrtls_quota_put(struct nrtls_quota *q)
{
	if (refcount_dec_not_one(&q->ref))
		return;
	spin_lock_bh(&quotas_lock);
	if (!refcount_dec_and_test(&q->ref)) {
		spin_unlock_bh(&quotas_lock);
		return;
	}
	hash_del_rcu(&q->node);
	spin_unlock_bh(&quotas_lock);
	kfree_rcu(q, rcu);
}

int nrtls_quota_charge(struct nrtls_quota *q, enum nrtls_quota_kind kind)
{
	if (atomic_inc_return(&q->used[kind]) > quota_limit(kind)) {
		atomic_dec(&q->used[kind]);
		return -EDQUOT;
	}
	return 0;
}

void nrtls_quota_uncharge(struct nrtls_quota *q, enum nrtls_quota_kind kind)
{
	atomic_dec(&q->used[kind]);
}

void nrtls_quota_pool_queue(struct nrtls_quota *q, struct workqueue_struct *wq,
			    struct nrtls_pool_job *job, unsigned int share)
{
	job->quota = nrtls_quota_hold(q);
	spin_lock_bh(&q->pool_lock);
	if (q->pool_jobs < max(share, 1U)) {
		q->pool_jobs++;
		spin_unlock_bh(&q->pool_lock);
		queue_work(wq, &job->work);
		return;
	}
	list_add_tail(&job->node, &q->pool_wait);
	q->pool_waiting++;
	spin_unlock_bh(&q->pool_lock);
	nrtls_event(NRTLS_EV_POOL_WAITS);
}

void nrtls_quota_pool_done(struct nrtls_pool_job *job,
			   struct workqueue_struct *wq)
{
	struct nrtls_quota *q = job->quota;
	struct nrtls_pool_job *next;

	spin_lock_bh(&q->pool_lock);
	next = list_first_entry_or_null(&q->pool_wait, struct nrtls_pool_job,
					node);
	if (next) {
		/* It takes the place of the job that ended. */
		list_del(&next->node);
		q->pool_waiting--;
	} else {
		q->pool_jobs--;
	}
	spin_unlock_bh(&q->pool_lock);
	if (next)
		queue_work(wq, &next->work);
	job->quota = NULL;
	nrtls_quota_put(q);
}

static int quotas_show(struct seq_file *m, void *v)
{
	struct nrtls_quota *q;
	unsigned int bkt;

	seq_puts(m, "uid contexts sockets pool waiting\n");
	rcu_read_lock();
	hash_for_each_rcu(quotas, bkt, q, node) {
		spin_lock_bh(&q->pool_lock);
		seq_printf(m, "%u %d %d %u %u\n",
			   from_kuid(&init_user_ns, q->uid),
			   atomic_read(&q->used[NRTLS_QUOTA_CTX]),
			   atomic_read(&q->used[NRTLS_QUOTA_SOCK]),
			   q->pool_jobs, q->pool_waiting);
		spin_unlock_bh(&q->pool_lock);
	}
	rcu_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(quotas);

void nrtls_quota_init(struct dentry *dir)
{
	debugfs_create_file("quotas", 0400, dir, NULL, &quotas_fops);
}

void nrtls_quota_exit(void)
{
	/* Entries go with their last user: /dev/nrtls is closed by now. */
	WARN_ON(!hash_empty(quotas));
}
