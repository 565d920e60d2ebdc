// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection at named sites (Debian's kernels are built without
 * CONFIG_FAULT_INJECTION, and its per-task fail-nth would not reach the
 * work that runs from I/O completions anyway).
 *
 * /sys/kernel/debug/nrtls/fault:
 *   read:  "site calls countdown remaining hits" per site (calls are
 *          counted while some site is armed)
 *   write: "SITE N [COUNT]"  fail COUNT (default 1) calls at SITE,
 *                            starting with the N-th call from now
 *          "SITE 0"          disarm SITE
 *          "reset"           disarm every site
 *
 * /sys/kernel/debug/nrtls/rtnl_hold: RTNL held by another task, to show
 * that a path does not need it:
 *   write: "MS"  take RTNL and keep it until released, or MS milliseconds
 *                (at most RTNL_HOLD_MAX_MS) pass; returns once it gave it
 *                back: the count, or -ETIMEDOUT if nobody released it
 *          "0"   release the holder
 *   read:  "held" or "free"
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/rtnetlink.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "fault.h"

struct fault_site {
	const char *name;
	atomic_long_t calls;
	atomic_long_t hits;
	atomic_t countdown;
	atomic_t remaining;
};

static struct fault_site sites[NRTLS_FAULT_NR] = {
	[NRTLS_FAULT_CTX_ALLOC] = { .name = "ctx_alloc" },
	[NRTLS_FAULT_CTX_ID] = { .name = "ctx_id" },
	[NRTLS_FAULT_SQ_ALLOC] = { .name = "sq_alloc" },
	[NRTLS_FAULT_REQ_ALLOC] = { .name = "req_alloc" },
	[NRTLS_FAULT_HDR_ALLOC] = { .name = "hdr_alloc" },
	[NRTLS_FAULT_SEG_ALLOC] = { .name = "seg_alloc" },
	[NRTLS_FAULT_READAHEAD] = { .name = "readahead" },
	[NRTLS_FAULT_FOLIO_ALLOC] = { .name = "folio_alloc" },
	[NRTLS_FAULT_READ_FOLIO] = { .name = "read_folio" },
	[NRTLS_FAULT_IO_ERROR] = { .name = "io_error" },
	[NRTLS_FAULT_BUF_ALLOC] = { .name = "buf_alloc" },
	[NRTLS_FAULT_FALLBACK_READ] = { .name = "fallback_read" },
	[NRTLS_FAULT_PUSH] = { .name = "push" },
	[NRTLS_FAULT_CHECK_SKEW] = { .name = "check_skew" },
	[NRTLS_FAULT_NIC_DESC] = { .name = "nic_desc" },
	[NRTLS_FAULT_NIC_HWCTX] = { .name = "nic_hwctx" },
	[NRTLS_FAULT_NIC_REFILL] = { .name = "nic_refill" },
	[NRTLS_FAULT_NIC_ENCRYPT] = { .name = "nic_encrypt" },
	[NRTLS_FAULT_LAG_RESET] = { .name = "lag_reset" },
	[NRTLS_FAULT_QUOTA_ALLOC] = { .name = "quota_alloc" },
	[NRTLS_FAULT_CTX_XA] = { .name = "ctx_xa" },
	[NRTLS_FAULT_CTX_COPYOUT] = { .name = "ctx_copyout" },
	[NRTLS_FAULT_DEV_OPEN] = { .name = "dev_open" },
	[NRTLS_FAULT_HDR_ARRAY] = { .name = "hdr_array" },
	[NRTLS_FAULT_SF_COPYOUT] = { .name = "sf_copyout" },
	[NRTLS_FAULT_URING_COPYIN] = { .name = "uring_copyin" },
	[NRTLS_FAULT_SQ_BUSY] = { .name = "sq_busy" },
	[NRTLS_FAULT_NIC_RCD_SN] = { .name = "nic_rcd_sn" },
	[NRTLS_FAULT_NIC_KEY] = { .name = "nic_key" },
	[NRTLS_FAULT_NIC_RX_SYNC] = { .name = "nic_rx_sync" },
	[NRTLS_FAULT_NIC_RX_MEM] = { .name = "nic_rx_mem" },
	[NRTLS_FAULT_NIC_RX_CIPHER] = { .name = "nic_rx_cipher" },
	[NRTLS_FAULT_NIC_XDP_SKB] = { .name = "nic_xdp_skb" },
	[NRTLS_FAULT_NIC_RXQ] = { .name = "nic_rxq" },
	[NRTLS_FAULT_NIC_UNCLONE] = { .name = "nic_unclone" },
	[NRTLS_FAULT_LAG_SYSFS] = { .name = "lag_sysfs" },
	[NRTLS_FAULT_DEV_STATS] = { .name = "dev_stats" },
	[NRTLS_FAULT_RETRY_FOLIO] = { .name = "retry_folio" },
};

DEFINE_STATIC_KEY_FALSE(nrtls_fault_armed);
EXPORT_SYMBOL_NS_GPL(nrtls_fault_armed, NRTLS);
/* Serialises arming, and the key with it. */
static DEFINE_MUTEX(fault_lock);

bool __nrtls_should_fail(enum nrtls_fault_site site)
{
	struct fault_site *s = &sites[site];

	atomic_long_inc(&s->calls);
	if (likely(!atomic_read(&s->remaining)))
		return false;
	if (atomic_dec_if_positive(&s->countdown) > 0)
		return false;
	if (atomic_dec_if_positive(&s->remaining) < 0)
		return false;
	atomic_long_inc(&s->hits);
	return true;
}
EXPORT_SYMBOL_NS_GPL(__nrtls_should_fail, NRTLS);

static int fault_show(struct seq_file *m, void *v)
{
	int i;

	seq_puts(m, "site calls countdown remaining hits\n");
	for (i = 0; i < NRTLS_FAULT_NR; i++)
		seq_printf(m, "%s %ld %d %d %ld\n", sites[i].name,
			   atomic_long_read(&sites[i].calls),
			   atomic_read(&sites[i].countdown),
			   atomic_read(&sites[i].remaining),
			   atomic_long_read(&sites[i].hits));
	return 0;
}

static void fault_arm(struct fault_site *s, unsigned int nth,
		      unsigned int count)
{
	lockdep_assert_held(&fault_lock);
	/* Disarm first so that a concurrent caller never sees a half state. */
	atomic_set(&s->remaining, 0);
	atomic_set(&s->countdown, nth);
	if (nth)
		atomic_set(&s->remaining, count);
}

/* The key stays on until a reset, so that "calls" counts consistently. */
static void fault_key_update(void)
{
	int i;

	lockdep_assert_held(&fault_lock);
	for (i = 0; i < NRTLS_FAULT_NR; i++) {
		if (atomic_read(&sites[i].remaining)) {
			static_branch_enable(&nrtls_fault_armed);
			return;
		}
	}
}

static ssize_t fault_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	char buf[64], name[32];
	unsigned int nth, count = 1;
	int i, n;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	strim(buf);

	if (!strcmp(buf, "reset")) {
		mutex_lock(&fault_lock);
		static_branch_disable(&nrtls_fault_armed);
		for (i = 0; i < NRTLS_FAULT_NR; i++)
			fault_arm(&sites[i], 0, 0);
		mutex_unlock(&fault_lock);
		return len;
	}
	n = sscanf(buf, "%31s %u %u", name, &nth, &count);
	if (n < 2 || count == 0 || count > INT_MAX || nth > INT_MAX)
		return -EINVAL;
	for (i = 0; i < NRTLS_FAULT_NR; i++) {
		if (!strcmp(name, sites[i].name)) {
			mutex_lock(&fault_lock);
			fault_arm(&sites[i], nth, count);
			fault_key_update();
			mutex_unlock(&fault_lock);
			return len;
		}
	}
	return -EINVAL;
}

static int fault_open(struct inode *inode, struct file *file)
{
	return single_open(file, fault_show, NULL);
}

static const struct file_operations fault_fops = {
	.owner = THIS_MODULE,
	.open = fault_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = fault_write,
	.release = single_release,
};

/* Below the hung-task timeout, which the VM sets to 60 s. */
#define RTNL_HOLD_MAX_MS	45000

enum { RTNL_FREE, RTNL_TAKING, RTNL_HELD };
static atomic_t rtnl_hold_state = ATOMIC_INIT(RTNL_FREE);
static bool rtnl_release;
static DECLARE_WAIT_QUEUE_HEAD(rtnl_hold_wq);

static ssize_t rtnl_hold_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	unsigned int ms;
	long left;
	int err;

	err = kstrtouint_from_user(ubuf, len, 0, &ms);
	if (err)
		return err;
	if (!ms) {
		WRITE_ONCE(rtnl_release, true);
		wake_up(&rtnl_hold_wq);
		return len;
	}
	if (ms > RTNL_HOLD_MAX_MS)
		return -EINVAL;
	if (atomic_cmpxchg(&rtnl_hold_state, RTNL_FREE, RTNL_TAKING) != RTNL_FREE)
		return -EBUSY;
	/* A release from now on counts, even one before RTNL is ours. */
	WRITE_ONCE(rtnl_release, false);
	rtnl_lock();
	atomic_set(&rtnl_hold_state, RTNL_HELD);
	left = wait_event_interruptible_timeout(rtnl_hold_wq,
						READ_ONCE(rtnl_release),
						msecs_to_jiffies(ms));
	rtnl_unlock();
	atomic_set(&rtnl_hold_state, RTNL_FREE);
	if (left < 0)
		return left;
	return left ? len : -ETIMEDOUT;
}

static ssize_t rtnl_hold_read(struct file *file, char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	const char *s = atomic_read(&rtnl_hold_state) == RTNL_HELD ?
			"held\n" : "free\n";

	return simple_read_from_buffer(ubuf, len, ppos, s, strlen(s));
}

static const struct file_operations rtnl_hold_fops = {
	.owner = THIS_MODULE,
	.read = rtnl_hold_read,
	.write = rtnl_hold_write,
	.llseek = default_llseek,
};

void nrtls_fault_init(struct dentry *dir)
{
	debugfs_create_file("fault", 0600, dir, NULL, &fault_fops);
	debugfs_create_file("rtnl_hold", 0600, dir, NULL, &rtnl_hold_fops);
}
