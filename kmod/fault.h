/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_FAULT_H
#define _NRTLS_FAULT_H

#include <linux/jump_label.h>
#include <linux/types.h>

struct dentry;

/*
 * Named fault-injection sites: every allocation or I/O step whose failure
 * has an error path gets one, so the test suite can run that path.
 */
enum nrtls_fault_site {
	NRTLS_FAULT_CTX_ALLOC,
	NRTLS_FAULT_CTX_ID,
	NRTLS_FAULT_SQ_ALLOC,		/* per-socket queue */
	NRTLS_FAULT_REQ_ALLOC,		/* sendfile request */
	NRTLS_FAULT_HDR_ALLOC,		/* a page for header bytes */
	NRTLS_FAULT_SEG_ALLOC,		/* a segment */
	NRTLS_FAULT_READAHEAD,		/* readahead brings nothing in */
	NRTLS_FAULT_FOLIO_ALLOC,	/* a page-cache folio for a miss */
	NRTLS_FAULT_READ_FOLIO,		/* starting the read of that folio */
	NRTLS_FAULT_IO_ERROR,		/* a completed read reports an error */
	NRTLS_FAULT_BUF_ALLOC,		/* a page for a workqueue read */
	NRTLS_FAULT_FALLBACK_READ,	/* that read */
	NRTLS_FAULT_PUSH,		/* TCP refuses data with an error */
	NRTLS_FAULT_CHECK_SKEW,		/* debug_check sees a bad count */
	NRTLS_FAULT_NIC_DESC,		/* a NIC TX descriptor */
	NRTLS_FAULT_NIC_HWCTX,		/* a NIC's context state (tls_dev_add) */
	NRTLS_FAULT_NIC_REFILL,		/* mlx5 pool refill */
	NRTLS_FAULT_NIC_ENCRYPT,	/* the NIC's encryption of a packet */
	NRTLS_FAULT_LAG_RESET,		/* a new lower context on re-homing */
	NRTLS_FAULT_QUOTA_ALLOC,	/* a user's quota entry */
	NRTLS_FAULT_CTX_XA,		/* a context's slot in its file */
	NRTLS_FAULT_CTX_COPYOUT,	/* the created context's id to the caller */
	NRTLS_FAULT_DEV_OPEN,		/* opening /dev/nrtls */
	NRTLS_FAULT_HDR_ARRAY,		/* the array of a request's header pages */
	NRTLS_FAULT_SF_COPYOUT,		/* the ioctl's count back to the caller */
	NRTLS_FAULT_URING_COPYIN,	/* an io_uring command's request struct */
	NRTLS_FAULT_SQ_BUSY,		/* a non-blocking submitter finds the lock busy */
	NRTLS_FAULT_NIC_RCD_SN,		/* the NIC's record number goes wrong */
	NRTLS_FAULT_NIC_KEY,		/* a NIC context's cipher (tls_dev_add) */
	NRTLS_FAULT_NIC_RX_SYNC,	/* the NIC misses a received packet */
	NRTLS_FAULT_NIC_RX_MEM,		/* memory to decrypt a received packet */
	NRTLS_FAULT_NIC_RX_CIPHER,	/* the NIC's cipher at a received record */
	NRTLS_FAULT_NIC_XDP_SKB,	/* a buffer for a frame redirected to a NIC */
	NRTLS_FAULT_NIC_RXQ,		/* a NIC's receive queue is full */
	NRTLS_FAULT_NIC_UNCLONE,	/* a NIC's own copy of a received clone */
	NRTLS_FAULT_LAG_SYSFS,		/* a new lower's nrtls_lag directory */
	NRTLS_FAULT_DEV_STATS,		/* a new device's per-CPU counters */
	NRTLS_FAULT_RETRY_FOLIO,	/* a folio found again to read it again */
	NRTLS_FAULT_NR,
};

/* On while any site is armed: a disarmed site costs a patched-out jump. */
DECLARE_STATIC_KEY_FALSE(nrtls_fault_armed);

bool __nrtls_should_fail(enum nrtls_fault_site site);

static inline bool nrtls_should_fail(enum nrtls_fault_site site)
{
	if (!static_branch_unlikely(&nrtls_fault_armed))
		return false;
	return __nrtls_should_fail(site);
}

void nrtls_fault_init(struct dentry *dir);

#endif /* _NRTLS_FAULT_H */
