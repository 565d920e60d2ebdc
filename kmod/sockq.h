/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_SOCKQ_H
#define _NRTLS_SOCKQ_H

#include <linux/bvec.h>
#include <linux/fs.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/sock.h>

#include "quota.h"
#include "uapi/linux/nrtls.h"

struct cgroup_subsys_state;
struct dentry;
struct io_uring_cmd;
struct mem_cgroup;
struct nrtls_quota;
struct nrtls_sq;

/*
 * A queued piece of the byte stream: header bytes in a page of ours, file
 * bytes in page-cache folios, or file bytes copied into a page of ours by
 * the bounded read pool (file systems without ->read_folio).  A FOLIO
 * segment holds a run of up to NRTLS_SEG_FOLIOS contiguous folios, so that
 * a file costs one segment per run, not one per page.
 *
 * Ownership (seed 000): a segment is owned by whoever built it until it is
 * linked into its queue; then by the queue while it is ready, and by its
 * read while it is not.  A not-ready segment has exactly one thing that
 * will complete it: a read job on the pool (which finds or reads its
 * folios), or a waiter on the wait queue of the first of its folios still
 * under read.  Nobody else can remove either, so only that completion may
 * free it; the send path and error paths skip it.
 */
enum nrtls_seg_kind {
	NRTLS_SEG_HDR,
	NRTLS_SEG_FOLIO,
	NRTLS_SEG_BUF,
};

#define NRTLS_SEG_FOLIOS 16

/*
 * Bvecs in one call to the protocol: 32 folios' worth from any offset, so
 * that a call over 4 KiB folios can end on a 16 KiB TLS record at 128 KiB.
 */
#define NRTLS_PUSH_BVECS (2 * NRTLS_SEG_FOLIOS + 1)

struct nrtls_seg {
	struct list_head node;		/* in sq->segs */
	struct nrtls_req *req;
	struct nrtls_sq *sq;
	struct page *page;		/* HDR, BUF */
	struct folio *folio;		/* FOLIO: the first of the run */
	struct folio *more[NRTLS_SEG_FOLIOS - 1];
	u32 off;			/* in the page or the first folio */
	u32 len;
	loff_t pos;			/* file position (FOLIO, BUF) */
	u8 kind;
	u8 nr_folios;			/* FOLIO: 0 until its read job found them */
	u8 wait_idx;			/* FOLIO not ready: the folio waited on */
	bool ready;
	bool retried;			/* FOLIO: its folios were read again */
	int err;			/* set by a failed read job */
	/* A read job runs first, a waiter after it: never both at once. */
	union {
		struct wait_page_queue wpq;
		struct nrtls_pool_job read_job;
	};
	struct llist_node done;		/* read completed, for the worker */
};

enum nrtls_req_state {
	NRTLS_REQ_QUEUEING,	/* more to queue */
	NRTLS_REQ_QUEUED,	/* all of it queued, or stopped early */
};

/* req->cmd_flags */
enum {
	NRTLS_REQ_CQE_CLAIMED,	/* whoever sets it posts the io_uring CQE */
	NRTLS_REQ_CANCELLED,	/* io_uring cancelled the command */
	NRTLS_REQ_RA_QUEUED,	/* its asynchronous readahead job is queued */
};

/*
 * What a request is read and charged as: the submitter's memory and block
 * cgroups and the opener's credentials of the file, for the read jobs and
 * the worker that run on its behalf.
 */
struct nrtls_owner {
	struct mem_cgroup *memcg;
	struct cgroup_subsys_state *blkcg;
};

struct nrtls_req {
	refcount_t ref;		/* the queue's, the issuer's, the command's */
	struct list_head node;	/* in sq->submitted, then sq->reqs */
	struct nrtls_sq *sq;	/* referenced, from submission on */
	u64 id;
	struct file *sockfile;	/* until submitted */
	struct file *file;
	struct address_space *mapping;
	struct file_ra_state ra;	/* with NRTLS_SF_READAHEAD */
	loff_t pos, end;	/* file bytes still to queue */
	struct page **hdr_pages;
	u32 hdr_len, hdr_done;
	u32 flags;
	u32 readahead;
	u64 total;		/* header + file bytes asked for */
	u64 queued, sent, dropped;
	u64 nocache_from;	/* first page index sent, for NOCACHE */
	unsigned int segs;	/* linked segments */
	u8 state;
	bool nowait;		/* stop at the first lack of room */
	bool hdr_counted;	/* its header counts in sq->hdr_bytes */
	bool notified;
	bool issuing;		/* in its submit call: result goes back inline */
	int stop_err;		/* why queueing stopped early */
	int err;		/* the connection failed */
	int result;
	unsigned long cmd_flags;
	wait_queue_head_t wait;		/* ioctl caller */
	struct io_uring_cmd *ucmd;	/* io_uring caller */
	struct nrtls_owner owner;
	struct nrtls_pool_job ra_job;	/* asynchronous readahead */
	struct folio *ra_folio;		/* ...at this folio */
};

/*
 * Per-socket queue, the Linux form of a FreeBSD send buffer holding
 * not-ready mbufs.  Everything below is under @lock (a mutex: queueing,
 * sending and completing run in process context) unless it says
 * otherwise.  Atomic contexts (folio and socket wake-ups) only add to
 * @io_done and kick the worker; a submitter that must not sleep on @lock
 * hands its request over through @submitted.
 *
 * Lifetime: created by the first sendfile on a socket, found through a
 * table keyed by the sock (RCU); it pins the socket's file while anything
 * is queued, so the socket outlives an application close() until the data
 * is gone, and it is detached and freed once idle.  References: the
 * table's, each not-ready segment's, each request's, a queued work
 * item's.
 */
struct nrtls_sq {
	refcount_t ref;
	struct hlist_node hnode;
	struct sock *sk;
	struct socket *sock;
	struct file *file;		/* pinned socket file */
	struct nrtls_quota *quota;	/* its creator's, one socket charged */
	struct mutex lock;
	struct list_head segs;
	struct list_head reqs;
	spinlock_t submit_lock;		/* @submitted and @detached */
	struct list_head submitted;	/* handed over while @lock was busy */
	atomic_t nr_reqs;		/* in @reqs and @submitted */
	u32 hdr_bytes;			/* header bytes their requests hold */
	u64 ready_bytes, notready_bytes;
	long charged;			/* our part of sk->sk_wmem_queued */
	struct bio_vec bv[NRTLS_PUSH_BVECS];	/* one call of a push */
	unsigned int io_pending;	/* segments not ready */
	int error;			/* first error; stops everything */
	bool dropping;			/* closed with SO_LINGER 0 */
	bool aborted;
	bool detached;
	bool shut_queued;		/* a request will shut the write side */
	bool shut_done;			/* ...and did: nothing more may go */
	unsigned long kick_reasons;	/* atomic: NRTLS_KICK_* since the last run */
	unsigned long last_progress;	/* jiffies of the last byte to TCP */
	struct wait_queue_entry sk_wait;
	struct work_struct work;
	struct delayed_work reaper;
	struct llist_head io_done;
	struct rcu_head rcu;
};

/* Why the worker runs (sq->kick_reasons). */
enum {
	NRTLS_KICK_EVENT,	/* a read completed, room, a hand-over... */
	NRTLS_KICK_REAPER,	/* the periodic look while waiting */
};

/*
 * What a request makes is charged to its submitter's memory cgroup (the
 * worker and the read jobs run with it active), and a cgroup that is full
 * refuses it with ENOMEM instead of calling its OOM killer: the caller
 * gets a clear error it can act on, and only its own request fails.
 */
#define NRTLS_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL)

extern bool nrtls_debug_check;

/*
 * Submit @req on @sock's queue.  With @trylock (io_uring's non-blocking
 * issue) this never sleeps on the queue's lock: if it is busy the request
 * is handed to its holder, and completes later.  Otherwise it is queued
 * and run here; req->notified then says whether its result is known.
 * Takes the caller's reference to @sockfile's queue into req->sq.
 */
int nrtls_sq_submit(struct socket *sock, struct file *sockfile,
		    struct nrtls_req *req, bool trylock);
void nrtls_sq_put(struct nrtls_sq *sq);
void nrtls_sq_kick(struct nrtls_sq *sq);
/* Under sq->lock: queue, send, complete; returns a file to fput() unlocked. */
struct file *nrtls_sq_run(struct nrtls_sq *sq);
void nrtls_sq_link(struct nrtls_sq *sq, struct nrtls_seg *seg);
void nrtls_sq_fail(struct nrtls_sq *sq, int err);
void nrtls_sq_io_start(struct nrtls_sq *sq, struct nrtls_seg *seg);
void nrtls_sq_io_done(struct nrtls_seg *seg);
void nrtls_req_stop(struct nrtls_req *req, int err);
/* io_uring gave up on the request's command (any context that may sleep). */
void nrtls_req_cancel(struct nrtls_req *req);

struct nrtls_seg *nrtls_seg_alloc(struct nrtls_req *req, int kind);
void nrtls_seg_free(struct nrtls_seg *seg);
struct folio *nrtls_seg_folio(struct nrtls_seg *seg, unsigned int i);
void nrtls_req_put(struct nrtls_req *req);

int nrtls_sockq_init(struct dentry *dir);
void nrtls_sockq_exit(void);

/* sendfile.c */
int nrtls_sf_fill(struct nrtls_sq *sq, struct nrtls_req *req, long budget);
/* A not-ready segment's read completed: 0 (ready), 1 (waits again), -errno. */
int nrtls_sf_seg_check(struct nrtls_seg *seg, bool failing);
int nrtls_sf_seg_eof(struct nrtls_seg *seg);
void nrtls_sf_req_release(struct nrtls_req *req);
void nrtls_sf_nocache(struct nrtls_req *req);
/* Run as the request's owner (memcg) in a worker; returns what to restore. */
struct mem_cgroup *nrtls_owner_enter(struct nrtls_req *req);
void nrtls_owner_leave(struct mem_cgroup *old);

#endif /* _NRTLS_SOCKQ_H */
