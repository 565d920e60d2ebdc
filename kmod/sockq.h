/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_SOCKQ_H
#define _NRTLS_SOCKQ_H

#include <linux/bvec.h>
#include <linux/fs.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/refcount.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/sock.h>

#include "uapi/linux/nrtls.h"

struct io_uring_cmd;
struct nrtls_sq;

/*
 * A queued piece of the byte stream: header bytes in a page of ours, file
 * bytes in page-cache folios, or file bytes copied into a page of ours by
 * the bounded workqueue (file systems without ->read_folio).  A FOLIO
 * segment under read holds one folio; one that was resident when queued
 * holds a run of up to NRTLS_SEG_FOLIOS contiguous folios, so that a hot
 * file costs one segment per run, not one per page.
 *
 * Ownership (seed 000): a segment is owned by whoever built it until it is
 * linked into its queue; then by the queue while it is ready, and by its
 * read while it is not.  A not-ready segment has a waiter on its folio's
 * wait queue (or a work item) that nobody else can remove, so only the
 * read's completion may free it; the send path and error paths skip it.
 */
enum nrtls_seg_kind {
	NRTLS_SEG_HDR,
	NRTLS_SEG_FOLIO,
	NRTLS_SEG_BUF,
};

#define NRTLS_SEG_FOLIOS 16

struct nrtls_seg {
	struct list_head node;		/* in sq->segs */
	struct nrtls_req *req;
	struct nrtls_sq *sq;
	struct page *page;		/* HDR, BUF */
	struct folio *folio;		/* FOLIO: the first of the run */
	u32 off;			/* in the page or the first folio */
	u32 len;
	loff_t pos;			/* file position (FOLIO, BUF) */
	u8 kind;
	u8 nr_folios;			/* FOLIO: @folio, then @more */
	bool ready;
	int err;			/* set by a failed read */
	union {
		struct wait_page_queue wpq;	/* FOLIO under read: one folio */
		struct work_struct read_work;	/* BUF under read */
		struct folio *more[NRTLS_SEG_FOLIOS - 1]; /* FOLIO, resident */
	};
	struct llist_node done;		/* read completed, for the worker */
};

enum nrtls_req_state {
	NRTLS_REQ_QUEUEING,	/* more to queue */
	NRTLS_REQ_QUEUED,	/* all of it queued, or stopped early */
};

struct nrtls_req {
	refcount_t ref;		/* the queue's, and the waiter's */
	struct list_head node;	/* in sq->reqs */
	u64 id;
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
	int stop_err;		/* why queueing stopped early */
	int err;		/* the connection failed */
	bool notified;
	bool issuing;		/* in its submit call: result goes back inline */
	int result;
	wait_queue_head_t wait;		/* ioctl caller */
	struct io_uring_cmd *ucmd;	/* io_uring caller */
};

/*
 * Per-socket queue, the Linux form of a FreeBSD send buffer holding
 * not-ready mbufs.  Everything below is under @lock (a mutex: queueing,
 * sending and completing run in process context).  Atomic contexts (folio
 * and socket wake-ups) only add to @io_done and kick the worker.
 *
 * Lifetime: created by the first sendfile on a socket, found through a
 * table keyed by the sock; it pins the socket's file while anything is
 * queued, so the socket outlives an application close() until the data
 * is gone, and it is detached and freed once idle.  References: the
 * table's, each not-ready segment's, a queued work item's.
 */
struct nrtls_sq {
	refcount_t ref;
	struct hlist_node hnode;
	struct sock *sk;
	struct socket *sock;
	struct file *file;		/* pinned socket file */
	struct mutex lock;
	struct list_head segs;
	struct list_head reqs;
	u64 ready_bytes, notready_bytes;
	long charged;			/* our part of sk->sk_wmem_queued */
	struct bio_vec bv[2 * NRTLS_SEG_FOLIOS];	/* one push */
	unsigned int io_pending;	/* segments under read */
	int error;			/* first error; stops everything */
	bool dropping;			/* closed with SO_LINGER 0 */
	bool aborted;
	bool detached;
	struct wait_queue_entry sk_wait;
	struct work_struct work;
	struct delayed_work reaper;
	struct llist_head io_done;
};

extern bool nrtls_debug_check;

struct nrtls_sq *nrtls_sq_get(struct socket *sock, struct file *sockfile);
void nrtls_sq_put(struct nrtls_sq *sq);
void nrtls_sq_kick(struct nrtls_sq *sq);
/* Under sq->lock: queue, send, complete; returns a file to fput() unlocked. */
struct file *nrtls_sq_run(struct nrtls_sq *sq);
void nrtls_sq_add_req(struct nrtls_sq *sq, struct nrtls_req *req);
void nrtls_sq_link(struct nrtls_sq *sq, struct nrtls_seg *seg);
void nrtls_sq_charge(struct nrtls_sq *sq, long bytes);
void nrtls_sq_fail(struct nrtls_sq *sq, int err);
void nrtls_sq_io_start(struct nrtls_sq *sq, struct nrtls_seg *seg);
void nrtls_sq_io_done(struct nrtls_seg *seg);
void nrtls_req_stop(struct nrtls_req *req, int err);

struct nrtls_seg *nrtls_seg_alloc(struct nrtls_req *req, int kind);
void nrtls_seg_free(struct nrtls_seg *seg);
void nrtls_req_put(struct nrtls_req *req);

int nrtls_sockq_init(void);
void nrtls_sockq_exit(void);

/* sendfile.c */
int nrtls_sf_fill(struct nrtls_sq *sq, struct nrtls_req *req, long budget);
int nrtls_sf_seg_check(struct nrtls_seg *seg);
int nrtls_sf_seg_eof(struct nrtls_seg *seg);
void nrtls_sf_req_release(struct nrtls_req *req);
void nrtls_sf_nocache(struct nrtls_req *req);

#endif /* _NRTLS_SOCKQ_H */
