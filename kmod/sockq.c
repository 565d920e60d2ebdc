// SPDX-License-Identifier: GPL-2.0
/*
 * Per-socket queues of ready and not-ready data: FreeBSD's send buffer with
 * M_NOTREADY mbufs (pru_send(PRUS_NOTREADY), pru_ready, sendfile_iodone).
 *
 * Only the ready prefix of a queue is handed to the socket's protocol (TCP
 * or kTLS), in order.  Queued bytes are charged to sk_wmem_queued, so the
 * send buffer, poll() and EPOLLOUT account for data that is not ready yet.
 * Errors follow seed 000: the first one stops the queue, ready data is
 * freed at once, not-ready data when its read completes, and only then is
 * the connection aborted (tcp_abort: EIO to the application, a reset to
 * the peer).
 */
#include <linux/debugfs.h>
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <net/tcp.h>
#include <net/tls.h>

#include "compat.h"
#include "counters.h"
#include "fault.h"
#include "quota.h"
#include "sockq.h"
#include "trace.h"
#include "uring.h"

bool nrtls_debug_check;
module_param_named(debug_check, nrtls_debug_check, bool, 0644);
MODULE_PARM_DESC(debug_check,
		 "Check each queue's accounting after every change, WARN on a mismatch");

static unsigned int max_sock_reqs = 256;
module_param(max_sock_reqs, uint, 0644);
MODULE_PARM_DESC(max_sock_reqs,
		 "Most requests queued on one socket; more fail with ENOBUFS (default 256)");

static unsigned int max_sock_hdr = 1 << 20;
module_param(max_sock_hdr, uint, 0644);
MODULE_PARM_DESC(max_sock_hdr,
		 "Most header bytes the requests queued on one socket hold; more fail with ENOBUFS (default 1 MiB)");

static unsigned int orphan_timeout = 60;
module_param(orphan_timeout, uint, 0644);
MODULE_PARM_DESC(orphan_timeout,
		 "Seconds a queue whose socket the application closed may make no progress before its connection is aborted (default 60; 0: never)");

static struct workqueue_struct *sq_wq;
static struct kmem_cache *seg_cache;

/* Lookups are lock-free; the lock orders insertions and removals. */
#define SQ_HASH_BITS 10
static DEFINE_HASHTABLE(sq_table, SQ_HASH_BITS);
static DEFINE_SPINLOCK(sq_table_lock);

/* --- segments ------------------------------------------------------------ */

struct nrtls_seg *nrtls_seg_alloc(struct nrtls_req *req, int kind)
{
	struct nrtls_seg *seg;

	if (nrtls_should_fail(NRTLS_FAULT_SEG_ALLOC))
		return NULL;
	/* The cache is SLAB_ACCOUNT: charged to the active memcg. */
	seg = kmem_cache_zalloc(seg_cache, NRTLS_GFP);
	if (!seg)
		return NULL;
	INIT_LIST_HEAD(&seg->node);
	seg->req = req;
	seg->kind = kind;
	nrtls_obj_inc(NRTLS_OBJ_SEG);
	return seg;
}

struct folio *nrtls_seg_folio(struct nrtls_seg *seg, unsigned int i)
{
	return i ? seg->more[i - 1] : seg->folio;
}

void nrtls_seg_free(struct nrtls_seg *seg)
{
	unsigned int i;

	for (i = 0; i < seg->nr_folios; i++) {
		folio_put(nrtls_seg_folio(seg, i));
		nrtls_obj_dec(NRTLS_OBJ_FOLIO);
	}
	if (seg->page) {
		put_page(seg->page);
		nrtls_obj_dec(NRTLS_OBJ_PAGE);
	}
	kmem_cache_free(seg_cache, seg);
	nrtls_obj_dec(NRTLS_OBJ_SEG);
}

/*
 * Bvecs for @seg's first bytes, in at most @max bvecs: a segment may go
 * out over several calls.  Returns the bvecs used; *@bytes gets their size.
 */
static int seg_bvecs(struct nrtls_seg *seg, struct bio_vec *bv, int max,
		     size_t *bytes)
{
	u32 off = seg->off, left = seg->len;
	int n;

	if (seg->kind != NRTLS_SEG_FOLIO) {
		bvec_set_page(bv, seg->page, seg->len, seg->off);
		*bytes = seg->len;
		return 1;
	}
	for (n = 0; left && n < seg->nr_folios && n < max; n++) {
		struct folio *folio = nrtls_seg_folio(seg, n);
		u32 len = min_t(size_t, left, folio_size(folio) - off);

		bvec_set_page(&bv[n], &folio->page, len, off);
		left -= len;
		off = 0;
	}
	*bytes = seg->len - left;
	return n;
}

/* @sent more bytes went out: let go of the folios wholly sent. */
static void seg_advance(struct nrtls_seg *seg, u32 sent)
{
	seg->off += sent;
	seg->len -= sent;
	seg->pos += sent;
	while (seg->kind == NRTLS_SEG_FOLIO && seg->nr_folios > 1 &&
	       seg->off >= folio_size(seg->folio)) {
		seg->off -= folio_size(seg->folio);
		folio_put(seg->folio);
		nrtls_obj_dec(NRTLS_OBJ_FOLIO);
		seg->folio = seg->more[0];
		seg->nr_folios--;
		memmove(seg->more, seg->more + 1,
			(seg->nr_folios - 1) * sizeof(seg->more[0]));
	}
}

/* --- accounting ---------------------------------------------------------- */

static void sq_account(struct nrtls_sq *sq, long bytes)
{
	struct sock *sk = sq->sk;

	lockdep_assert_held(&sq->lock);
	if (!bytes)
		return;
	lock_sock(sk);
	sk_wmem_queued_add(sk, bytes);
	release_sock(sk);
	sq->charged += bytes;
	/* A refund of bytes never charged (SBCHECK's class of bug). */
	WARN_ONCE(nrtls_debug_check && sq->charged < 0,
		  "nrtls: queue charge went negative: %ld\n", sq->charged);
}

/*
 * Freed without sending: give the space back and wake writers.  Under the
 * socket lock, as TCP calls it (kTLS device offload pushes records there).
 */
static void sq_refund(struct nrtls_sq *sq, long bytes)
{
	struct sock *sk = sq->sk;

	lockdep_assert_held(&sq->lock);
	if (!bytes)
		return;
	lock_sock(sk);
	sk_wmem_queued_add(sk, -bytes);
	sk->sk_write_space(sk);
	release_sock(sk);
	sq->charged -= bytes;
	WARN_ONCE(nrtls_debug_check && sq->charged < 0,
		  "nrtls: queue charge went negative: %ld\n", sq->charged);
}

/* Queue @seg and charge its bytes to the socket, in that order. */
void nrtls_sq_link(struct nrtls_sq *sq, struct nrtls_seg *seg)
{
	lockdep_assert_held(&sq->lock);
	seg->sq = sq;
	list_add_tail(&seg->node, &sq->segs);
	seg->req->segs++;
	seg->req->queued += seg->len;
	if (seg->ready)
		sq->ready_bytes += seg->len;
	else
		sq->notready_bytes += seg->len;
	sq_account(sq, seg->len);
	nrtls_event_add(NRTLS_EV_SF_QUEUED, seg->len);
	nrtls_event(NRTLS_EV_SF_SEGS);
}

/* Unlink and free a whole segment: sent, or dropped. */
static u32 seg_unlink(struct nrtls_sq *sq, struct nrtls_seg *seg, bool sent)
{
	struct nrtls_req *req = seg->req;
	u32 len = seg->len;

	lockdep_assert_held(&sq->lock);
	list_del(&seg->node);
	if (seg->ready)
		sq->ready_bytes -= len;
	else
		sq->notready_bytes -= len;
	if (sent) {
		req->sent += len;
	} else {
		req->dropped += len;
		nrtls_event_add(NRTLS_EV_SF_DROPPED, len);
	}
	req->segs--;
	nrtls_seg_free(seg);
	return len;
}

/* --- lifetime ------------------------------------------------------------ */

void nrtls_sq_put(struct nrtls_sq *sq)
{
	if (!refcount_dec_and_test(&sq->ref))
		return;
	WARN_ON(!list_empty(&sq->segs) || !list_empty(&sq->reqs) ||
		!list_empty(&sq->submitted) || sq->charged || sq->io_pending);
	/* Lookups may still be looking at it. */
	kfree_rcu(sq, rcu);
	nrtls_obj_dec(NRTLS_OBJ_SOCK);
	/*
	 * The last reference goes in the worker or a read job (our
	 * workqueues, drained before the module's code goes), or in a caller
	 * that holds /dev/nrtls open.
	 */
	module_put(THIS_MODULE);
}

/* Run the worker, with a reference the caller already took for it. */
static void sq_kick_held(struct nrtls_sq *sq, int reason)
{
	set_bit(reason, &sq->kick_reasons);
	if (!queue_work(sq_wq, &sq->work))
		nrtls_sq_put(sq);
}

static void sq_kick(struct nrtls_sq *sq, int reason)
{
	refcount_inc(&sq->ref);
	sq_kick_held(sq, reason);
}

void nrtls_sq_kick(struct nrtls_sq *sq)
{
	sq_kick(sq, NRTLS_KICK_EVENT);
}

/*
 * A segment's read job finished, or the folio its waiter was on was
 * unlocked (any context, IRQs maybe off): hand it to the worker.  Drops
 * the reference that the job or waiter held, after the kick took one.
 */
void nrtls_sq_io_done(struct nrtls_seg *seg)
{
	struct nrtls_sq *sq = seg->sq;

	llist_add(&seg->done, &sq->io_done);
	nrtls_sq_kick(sq);
	nrtls_sq_put(sq);
}

/* @seg was linked not ready: something will complete it. */
void nrtls_sq_io_start(struct nrtls_sq *sq, struct nrtls_seg *seg)
{
	lockdep_assert_held(&sq->lock);
	sq->io_pending++;
	nrtls_event(NRTLS_EV_SF_IO_STARTED);
}

static void sq_reaper(struct work_struct *work)
{
	struct nrtls_sq *sq = container_of(to_delayed_work(work),
					   struct nrtls_sq, reaper);

	sq_kick(sq, NRTLS_KICK_REAPER);
	nrtls_sq_put(sq);
}

/*
 * Waiting for the network: look again after a second in which nothing
 * happened, so that an application that closed the socket (with SO_LINGER
 * 0, or for good) and a cancelled command on 6.1 are noticed even if
 * nothing moves.  Each wait pushes the look further out: progress comes
 * from the socket's wake-ups, and a push the reaper finds means one was
 * missed (sf_reaper_pushes).
 */
static void sq_arm_reaper(struct nrtls_sq *sq)
{
	refcount_inc(&sq->ref);
	if (mod_delayed_work(sq_wq, &sq->reaper, HZ))
		nrtls_sq_put(sq);	/* it was pending, with its reference */
}

/* Socket wake-ups: room to send, state changes, errors. */
static int sq_sk_wake(struct wait_queue_entry *wait, unsigned int mode,
		      int sync, void *key)
{
	struct nrtls_sq *sq = container_of(wait, struct nrtls_sq, sk_wait);
	__poll_t mask = key_to_poll(key);

	if (mask && !(mask & (EPOLLOUT | EPOLLWRNORM | EPOLLERR | EPOLLHUP)))
		return 0;
	nrtls_sq_kick(sq);
	return 0;
}

static void sq_work(struct work_struct *work);

static struct nrtls_sq *sq_lookup(struct sock *sk)
{
	struct nrtls_sq *sq;

	hash_for_each_possible_rcu(sq_table, sq, hnode, (unsigned long)sk) {
		if (sq->sk == sk && !READ_ONCE(sq->detached) &&
		    refcount_inc_not_zero(&sq->ref))
			return sq;
	}
	return NULL;
}

/*
 * The queue of @sock, created on first use (charged to the caller's
 * quota); returned referenced, not locked.  It may detach before the
 * caller locks it: callers check sq->detached and come back.
 */
static struct nrtls_sq *sq_get(struct socket *sock, struct file *sockfile)
{
	struct sock *sk = sock->sk;
	struct nrtls_quota *quota;
	struct nrtls_sq *sq, *new = NULL;
	int err;

	rcu_read_lock();
	sq = sq_lookup(sk);
	rcu_read_unlock();
	if (sq)
		return sq;

	quota = nrtls_quota_get();
	if (!quota)
		return ERR_PTR(-ENOMEM);
	err = nrtls_quota_charge(quota, NRTLS_QUOTA_SOCK);
	if (err)
		goto err_quota;
	err = -ENOMEM;
	if (!nrtls_should_fail(NRTLS_FAULT_SQ_ALLOC))
		new = kzalloc(sizeof(*new), NRTLS_GFP);
	if (!new)
		goto err_charge;
	refcount_set(&new->ref, 2);	/* the table's and ours */
	mutex_init(&new->lock);
	spin_lock_init(&new->submit_lock);
	INIT_LIST_HEAD(&new->segs);
	INIT_LIST_HEAD(&new->reqs);
	INIT_LIST_HEAD(&new->submitted);
	init_llist_head(&new->io_done);
	INIT_WORK(&new->work, sq_work);
	INIT_DELAYED_WORK(&new->reaper, sq_reaper);
	new->sk = sk;
	new->sock = sock;
	new->quota = quota;
	new->last_progress = jiffies;
	init_waitqueue_func_entry(&new->sk_wait, sq_sk_wake);

	spin_lock(&sq_table_lock);
	sq = sq_lookup(sk);
	if (!sq) {
		new->file = get_file(sockfile);
		add_wait_queue(sk_sleep(sk), &new->sk_wait);
		hash_add_rcu(sq_table, &new->hnode, (unsigned long)sk);
		__module_get(THIS_MODULE);
		nrtls_obj_inc(NRTLS_OBJ_SOCK);
		sq = new;
		new = NULL;
	}
	spin_unlock(&sq_table_lock);
	if (!new)
		return sq;
	/* Another submitter made it first. */
	kfree(new);
	nrtls_quota_uncharge(quota, NRTLS_QUOTA_SOCK);
	nrtls_quota_put(quota);
	return sq;

err_charge:
	nrtls_quota_uncharge(quota, NRTLS_QUOTA_SOCK);
err_quota:
	nrtls_quota_put(quota);
	return ERR_PTR(err);
}

/* Idle: unhook from the socket and give its file back (to fput unlocked). */
static struct file *sq_maybe_detach(struct nrtls_sq *sq)
{
	struct file *file;

	lockdep_assert_held(&sq->lock);
	if (sq->detached || !list_empty(&sq->segs) ||
	    !list_empty(&sq->reqs) || sq->io_pending)
		return NULL;
	spin_lock(&sq->submit_lock);
	if (!list_empty(&sq->submitted)) {
		/* Handed over after this run took the list: it kicked us. */
		spin_unlock(&sq->submit_lock);
		return NULL;
	}
	WRITE_ONCE(sq->detached, true);
	spin_unlock(&sq->submit_lock);
	WARN_ON(sq->charged);
	spin_lock(&sq_table_lock);
	hash_del_rcu(&sq->hnode);
	spin_unlock(&sq_table_lock);
	remove_wait_queue(sk_sleep(sq->sk), &sq->sk_wait);
	if (cancel_delayed_work(&sq->reaper))
		nrtls_sq_put(sq);
	nrtls_quota_uncharge(sq->quota, NRTLS_QUOTA_SOCK);
	nrtls_quota_put(sq->quota);
	sq->quota = NULL;
	file = sq->file;
	sq->file = NULL;
	/* The table's reference; the caller still holds one. */
	nrtls_sq_put(sq);
	return file;
}

/* --- requests ------------------------------------------------------------ */

void nrtls_req_stop(struct nrtls_req *req, int err)
{
	if (req->state != NRTLS_REQ_QUEUEING)
		return;
	req->state = NRTLS_REQ_QUEUED;
	req->stop_err = err;
}

void nrtls_req_put(struct nrtls_req *req)
{
	if (!refcount_dec_and_test(&req->ref))
		return;
	nrtls_sf_req_release(req);
}

/*
 * Take @req into the queue.  A queue that has failed, or will shut its
 * write side, completes it at once with that error: nothing may be queued
 * behind either.
 */
static void sq_add_req(struct nrtls_sq *sq, struct nrtls_req *req)
{
	int err = 0;

	lockdep_assert_held(&sq->lock);
	list_add_tail(&req->node, &sq->reqs);
	nrtls_event(NRTLS_EV_SF_REQUESTS);
	if (sq->error)
		err = sq->error;
	else if (sq->shut_queued || sq->shut_done)
		err = -EPIPE;
	else if (sq->hdr_bytes + req->hdr_len > READ_ONCE(max_sock_hdr))
		err = -ENOBUFS;
	if (err) {
		nrtls_req_stop(req, err);
		return;
	}
	sq->hdr_bytes += req->hdr_len;
	req->hdr_counted = true;
	if (req->flags & NRTLS_SF_SHUT_WR)
		sq->shut_queued = true;
}

/* Requests handed over while the lock was busy go first, in order. */
static void sq_take_submitted(struct nrtls_sq *sq)
{
	struct nrtls_req *req, *tmp;
	LIST_HEAD(list);

	lockdep_assert_held(&sq->lock);
	spin_lock(&sq->submit_lock);
	list_splice_init(&sq->submitted, &list);
	spin_unlock(&sq->submit_lock);
	list_for_each_entry_safe(req, tmp, &list, node) {
		list_del(&req->node);
		sq_add_req(sq, req);
	}
}

/* Whether a request reserves a slot on the socket: ENOBUFS past the cap. */
static int sq_reserve_req(struct nrtls_sq *sq)
{
	if (atomic_inc_return(&sq->nr_reqs) > READ_ONCE(max_sock_reqs)) {
		atomic_dec(&sq->nr_reqs);
		return -ENOBUFS;
	}
	return 0;
}

int nrtls_sq_submit(struct socket *sock, struct file *sockfile,
		    struct nrtls_req *req, bool trylock)
{
	struct nrtls_sq *sq;
	struct file *put;
	int ret = 0;

again:
	sq = sq_get(sock, sockfile);
	if (IS_ERR(sq))
		return PTR_ERR(sq);
	if ((trylock && nrtls_should_fail(NRTLS_FAULT_SQ_BUSY)) ||
	    !mutex_trylock(&sq->lock)) {
		if (trylock) {
			spin_lock(&sq->submit_lock);
			if (!sq->detached) {
				ret = sq_reserve_req(sq);
				if (!ret) {
					/*
					 * Once listed the holder may finish the
					 * request, and its reference with it:
					 * the kick's is taken first.
					 */
					refcount_inc(&sq->ref);
					req->sq = sq;
					list_add_tail(&req->node, &sq->submitted);
				}
				spin_unlock(&sq->submit_lock);
				if (ret) {
					nrtls_sq_put(sq);
					return ret;
				}
				nrtls_event(NRTLS_EV_SF_HANDOVERS);
				sq_kick_held(sq, NRTLS_KICK_EVENT);
				return 0;
			}
			spin_unlock(&sq->submit_lock);
			nrtls_sq_put(sq);
			goto again;
		}
		mutex_lock(&sq->lock);
	}
	if (sq->detached) {
		mutex_unlock(&sq->lock);
		nrtls_sq_put(sq);
		goto again;
	}
	ret = sq_reserve_req(sq);
	if (ret) {
		/* Refused on a queue made for it (max_sock_reqs=0): unmake it. */
		put = sq_maybe_detach(sq);
		mutex_unlock(&sq->lock);
		nrtls_sq_put(sq);
		if (put)
			fput(put);
		return ret;
	}
	req->sq = sq;
	req->issuing = true;
	sq_take_submitted(sq);
	sq_add_req(sq, req);
	put = nrtls_sq_run(sq);
	req->issuing = false;
	/*
	 * Claimed under the lock, where the worker looks at commands whose
	 * CQE nobody claimed yet (nrtls_uring_gone()).
	 */
	if (req->notified && (!req->ucmd || nrtls_uring_claim(req)))
		ret = 1;
	mutex_unlock(&sq->lock);
	if (put)
		fput(put);
	return ret;
}

static void req_deliver(struct nrtls_req *req)
{
	bool sent_mode = req->flags & NRTLS_SF_WAIT_SENT;

	if (sent_mode && req->dropped)
		req->result = req->err ?: -EIO;
	else if (req->queued)
		req->result = req->flags & NRTLS_SF_WAIT_SENT ? req->sent :
			      req->queued;
	else if (req->total)
		req->result = req->stop_err ?: req->err ?: -EIO;
	else
		req->result = 0;
	req->notified = true;
	if (req->issuing)
		return;
	if (req->ucmd) {
		if (nrtls_uring_claim(req))
			nrtls_uring_complete(req);
	} else {
		wake_up(&req->wait);
	}
}

/* The request's last byte is with TCP: send the FIN behind it. */
static void sq_shut(struct nrtls_sq *sq, struct nrtls_req *req)
{
	lockdep_assert_held(&sq->lock);
	sq->shut_queued = false;
	/* Cut short: the caller sees the count and decides. */
	if (req->sent != req->total || sq->error)
		return;
	sq->shut_done = true;
	kernel_sock_shutdown(sq->sock, SHUT_WR);
	nrtls_event(NRTLS_EV_SF_SHUTDOWNS);
}

static void sq_notify(struct nrtls_sq *sq)
{
	struct nrtls_req *req, *tmp;

	lockdep_assert_held(&sq->lock);
	list_for_each_entry_safe(req, tmp, &sq->reqs, node) {
		bool queued = req->state != NRTLS_REQ_QUEUEING;
		bool gone = queued && req->sent + req->dropped == req->queued;

		if (!req->notified &&
		    (req->flags & NRTLS_SF_WAIT_SENT ? gone : queued))
			req_deliver(req);
		if (!gone)
			continue;
		if (req->flags & NRTLS_SF_NOCACHE)
			nrtls_sf_nocache(req);
		if ((req->flags & NRTLS_SF_SHUT_WR) && req->hdr_counted)
			sq_shut(sq, req);
		trace_nrtls_sf_done(req->id, req->total, req->queued, req->sent,
				    req->result);
		list_del(&req->node);
		atomic_dec(&sq->nr_reqs);
		if (req->hdr_counted)
			sq->hdr_bytes -= req->hdr_len;
		nrtls_req_put(req);
	}
}

/* --- errors -------------------------------------------------------------- */

/*
 * The first error stops the queue: requests stop queueing, ready data is
 * freed now, not-ready data by its read's completion (seed 000: the send
 * path never frees data that is not ready).
 */
void nrtls_sq_fail(struct nrtls_sq *sq, int err)
{
	struct nrtls_seg *seg, *tmp;
	struct nrtls_req *req;
	long freed = 0;

	lockdep_assert_held(&sq->lock);
	if (sq->error)
		return;
	sq->error = err;
	trace_nrtls_sf_error(err, sq->io_pending);
	list_for_each_entry_safe(seg, tmp, &sq->segs, node) {
		if (seg->ready)
			freed += seg_unlink(sq, seg, false);
	}
	list_for_each_entry(req, &sq->reqs, node) {
		if (!req->err)
			req->err = err;
		nrtls_req_stop(req, err);
	}
	sq_refund(sq, freed);
}

/* Once no read is pending, abort a connection that is still up. */
static void sq_finish_error(struct nrtls_sq *sq)
{
	struct sock *sk = sq->sk;
	int state;

	lockdep_assert_held(&sq->lock);
	if (!sq->error || sq->io_pending || sq->aborted)
		return;
	sq->aborted = true;
	state = READ_ONCE(sk->sk_state);
	/* Closed with SO_LINGER 0: the close itself resets the connection. */
	if (sq->dropping || state == TCP_CLOSE)
		return;
	trace_nrtls_sf_abort(sq->error, state);
	nrtls_event(NRTLS_EV_SF_ABORTS);
	tcp_abort(sk, EIO);
}

static void sq_check_socket(struct nrtls_sq *sq)
{
	struct sock *sk = sq->sk;
	bool closed;
	int err;

	lockdep_assert_held(&sq->lock);
	/* Nothing to protect; an idle queue detaches at the end of the run. */
	if (sq->error || (list_empty(&sq->segs) && list_empty(&sq->reqs)))
		return;
	/* Peek: the application still gets the error from its next call. */
	err = READ_ONCE(sk->sk_err);
	if (err) {
		nrtls_sq_fail(sq, -err);
		return;
	}
	if (READ_ONCE(sk->sk_state) == TCP_CLOSE ||
	    ((READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN) && !sq->shut_done)) {
		nrtls_sq_fail(sq, -EPIPE);
		return;
	}
	/* Only our pin is left: the application closed the socket. */
	closed = file_count(sq->file) == 1;
	if (closed && sock_flag(sk, SOCK_LINGER) &&
	    !READ_ONCE(sk->sk_lingertime)) {
		sq->dropping = true;
		nrtls_sq_fail(sq, -ECONNRESET);
		return;
	}
	/*
	 * Closed, and the peer takes nothing: as TCP gives up on an orphan
	 * whose window stays shut, so as not to pin the socket for ever.
	 */
	if (closed && READ_ONCE(orphan_timeout) && !sq->io_pending &&
	    time_after(jiffies, sq->last_progress +
			       READ_ONCE(orphan_timeout) * HZ)) {
		nrtls_event(NRTLS_EV_SF_ORPHAN_TIMEOUTS);
		nrtls_sq_fail(sq, -ETIMEDOUT);
	}
}

/*
 * io_uring gave up on requests whose CQE is not posted yet.  One that
 * queued nothing just goes; one that did leaves a hole in the stream, so
 * the connection is aborted, as for any error after the call.
 */
static void sq_cancel(struct nrtls_sq *sq)
{
	struct nrtls_req *req;

	lockdep_assert_held(&sq->lock);
	list_for_each_entry(req, &sq->reqs, node) {
		/* 6.1: nothing calls us when the task or the ring goes. */
		if (req->ucmd && !req->notified && nrtls_uring_gone(req) &&
		    nrtls_uring_claim(req)) {
			req->result = -ECANCELED;
			nrtls_uring_complete(req);
			set_bit(NRTLS_REQ_CANCELLED, &req->cmd_flags);
			nrtls_event(NRTLS_EV_SF_CANCELLED);
		}
		if (!test_bit(NRTLS_REQ_CANCELLED, &req->cmd_flags))
			continue;
		/* Its CQE is posted: deliver nothing more. */
		req->notified = true;
		if (req->state != NRTLS_REQ_QUEUEING)
			continue;
		if (req->queued)
			nrtls_sq_fail(sq, -ECANCELED);
		else
			nrtls_req_stop(req, -ECANCELED);
	}
}

void nrtls_req_cancel(struct nrtls_req *req)
{
	struct nrtls_sq *sq;

	set_bit(NRTLS_REQ_CANCELLED, &req->cmd_flags);
	nrtls_event(NRTLS_EV_SF_CANCELLED);
	/* Pairs with the submitter setting req->sq before it runs the queue. */
	smp_mb__after_atomic();
	sq = READ_ONCE(req->sq);
	if (sq)
		nrtls_sq_kick(sq);
}

/* --- reads completing ---------------------------------------------------- */

static void sq_complete_io(struct nrtls_sq *sq)
{
	struct llist_node *list = llist_reverse_order(llist_del_all(&sq->io_done));
	struct nrtls_seg *seg, *tmp;
	long freed = 0;

	lockdep_assert_held(&sq->lock);
	llist_for_each_entry_safe(seg, tmp, list, done) {
		int err = nrtls_sf_seg_check(seg, sq->error);

		/* Another of its folios is still under read. */
		if (err > 0)
			continue;
		sq->io_pending--;
		nrtls_event(NRTLS_EV_SF_IO_DONE);
		trace_nrtls_sf_io_done(seg->req->id, seg->pos, seg->len, err);
		if (err) {
			nrtls_event(NRTLS_EV_SF_IO_ERRORS);
			nrtls_sq_fail(sq, err);
		}
		if (sq->error) {
			freed += seg_unlink(sq, seg, false);
			continue;
		}
		seg->ready = true;
		sq->notready_bytes -= seg->len;
		sq->ready_bytes += seg->len;
	}
	sq_refund(sq, freed);
}

/* --- queueing and sending ------------------------------------------------ */

/*
 * Room for more queued bytes now: what the send buffer has, and no more
 * than TCP takes now under TCP_NOTSENT_LOWAT.  Ready bytes that TCP would
 * refuse would only sit charged to the buffer, and keep the socket from
 * ever looking writable, which is what wakes us.
 */
static long sq_room(struct nrtls_sq *sq)
{
	struct sock *sk = sq->sk;
	struct tcp_sock *tp = tcp_sk(sk);
	long room = sk_stream_wspace(sk);
	u32 lowat = tcp_notsent_lowat(tp);
	long unsent;

	if (lowat == UINT_MAX)
		return room;
	unsent = (u32)(READ_ONCE(tp->write_seq) - READ_ONCE(tp->snd_nxt));
	return min_t(long, room, (long)lowat - unsent - sq->charged);
}

/*
 * Out of room: NRTLS_SF_NOWAIT requests stop here, behind it included; the
 * others wait for the socket's wake-up.
 */
static void sq_wait_room(struct nrtls_sq *sq, struct nrtls_req *from)
{
	struct nrtls_req *req = from;

	lockdep_assert_held(&sq->lock);
	list_for_each_entry_from(req, &sq->reqs, node) {
		if (req->nowait)
			nrtls_req_stop(req, -EAGAIN);
	}
	sq_arm_reaper(sq);
}

/* Queue the requests in order, as far as there is room. */
static void sq_fill(struct nrtls_sq *sq)
{
	struct nrtls_req *req;
	bool armed = false;

	lockdep_assert_held(&sq->lock);
	list_for_each_entry(req, &sq->reqs, node) {
		long room;

		if (req->state != NRTLS_REQ_QUEUEING)
			continue;
again:
		room = sq_room(sq);
		if (room > 0) {
			struct mem_cgroup *old = nrtls_owner_enter(req);

			nrtls_sf_fill(sq, req, room);
			nrtls_owner_leave(old);
		}
		if (sq->error)
			return;
		if (req->state != NRTLS_REQ_QUEUEING)
			continue;
		if (!armed) {
			/* Ask TCP to wake us (tcp_check_space())... */
			set_bit(SOCK_NOSPACE, &sq->sock->flags);
			/* ...then look again: room made in between woke nobody. */
			smp_mb__after_atomic();
			armed = true;
			goto again;
		}
		sq_wait_room(sq, req);
		return;
	}
}

static void sq_consume(struct nrtls_sq *sq, size_t sent)
{
	lockdep_assert_held(&sq->lock);
	nrtls_event_add(NRTLS_EV_SF_SENT, sent);
	while (sent) {
		struct nrtls_seg *seg = list_first_entry(&sq->segs,
							 struct nrtls_seg, node);

		if (sent >= seg->len) {
			sent -= seg_unlink(sq, seg, true);
			continue;
		}
		seg_advance(seg, sent);
		seg->req->sent += sent;
		sq->ready_bytes -= sent;
		sent = 0;
	}
}

/*
 * Hold TCP's output until the push ends, as nginx's tcp_nopush does.  kTLS
 * pushes each record to TCP as it closes it, with the caller's flags; on
 * 6.2+ a push is one sendmsg() without MSG_MORE, so on a TCP_NODELAY socket
 * every record would leave as a packet of its own, with its own ACK to
 * process.  kTLS closes its last record in each call, so uncorking at the
 * end of the push leaves nothing held.  Returns whether we set the cork: an
 * application's own TCP_CORK is its own and is left alone.
 */
static bool sq_cork(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	bool was;

	lock_sock(sk);
	was = tp->nonagle & TCP_NAGLE_CORK;
	tp->nonagle |= TCP_NAGLE_CORK;
	release_sock(sk);
	return !was;
}

/*
 * Where to end a call of @total bytes that more bytes follow.  kTLS closes
 * a record at the end of every call, so on a record boundary; and there,
 * moved back within its last record to where a request starts or the
 * file's bytes start a page, so that each record after it is whole pages
 * of the file.  AES-GCM then takes every page in whole cipher blocks: a
 * page that starts mid-block costs a partial-block path (6.1's AES-NI
 * code) or a copy of the block it splits (6.11+).  It costs one short
 * record per request that sits off a page, where records cut from its
 * start would have been full.
 */
static size_t sq_cut(struct nrtls_sq *sq, size_t total)
{
	size_t cut = round_down(total, TLS_MAX_PAYLOAD_SIZE);
	size_t pos = 0, best = 0;
	struct nrtls_req *prev = NULL;
	struct nrtls_seg *seg;

	lockdep_assert_held(&sq->lock);
	list_for_each_entry(seg, &sq->segs, node) {
		if (pos > cut)
			break;
		if (seg->req != prev)
			best = pos;
		prev = seg->req;
		if (seg->kind != NRTLS_SEG_HDR) {
			size_t lim = min_t(size_t, cut, pos + seg->len);
			size_t off = offset_in_page(seg->pos + lim - pos);

			if (off <= lim - pos)
				best = lim - off;
		}
		pos += seg->len;
	}
	return best && cut - best < TLS_MAX_PAYLOAD_SIZE ? best : cut;
}

/*
 * Hand the ready prefix to the socket's protocol.  Our whole charge is
 * lifted while TCP takes the data, so that its room is judged by its own
 * queue: not-ready data must never keep ready data out (the send buffer
 * may have shrunk since).  It is put back before anything can fail the
 * queue, whose refunds expect it in place.  Returns the bytes pushed.
 */
static size_t sq_push(struct nrtls_sq *sq)
{
	struct bio_vec *bv = sq->bv;
	bool lifted = false, corked = false;
	long charged = 0;
	size_t pushed = 0;
	int err = 0;

	lockdep_assert_held(&sq->lock);
	while (!list_empty(&sq->segs)) {
		struct nrtls_seg *seg, *first;
		size_t total = 0, sent;
		bool full = false, tail, hdr_only = true;
		int n = 0, ret;

		first = list_first_entry(&sq->segs, struct nrtls_seg, node);
		if (!first->ready)
			break;
		list_for_each_entry(seg, &sq->segs, node) {
			size_t len;

			if (!seg->ready)
				break;
			/* Truncated since it was read: send nothing past EOF. */
			err = nrtls_sf_seg_eof(seg);
			if (err)
				break;
			if (n == ARRAY_SIZE(sq->bv)) {
				full = true;
				break;
			}
			hdr_only &= seg->kind == NRTLS_SEG_HDR;
			n += seg_bvecs(seg, bv + n, ARRAY_SIZE(sq->bv) - n,
				       &len);
			total += len;
			if (len < seg->len) {
				full = true;
				break;
			}
		}
		if (!n)
			break;
		/*
		 * A header whose body is still being read waits for it, as
		 * FreeBSD's TCP does not output at a not-ready append: alone
		 * it would be a packet (and a kTLS record) of its own.
		 */
		if (hdr_only && !list_entry_is_head(seg, &sq->segs, node) &&
		    !seg->ready && seg->req == first->req)
			break;
		/*
		 * kTLS closes a record at the end of every call, so each call
		 * ends on a record boundary where more bytes follow: ready ones
		 * in this push, or the rest of a request that sq_fill() ran out
		 * of room for.  It armed TCP's wake-up, and the bytes pushed
		 * here bring it, so a tail held back goes with those bytes.
		 * Plain TCP just takes them a little later.
		 */
		tail = list_entry_is_head(seg, &sq->segs, node) &&
		       list_last_entry(&sq->segs, struct nrtls_seg,
				       node)->req->state == NRTLS_REQ_QUEUEING;
		if ((full || tail) && total > TLS_MAX_PAYLOAD_SIZE)
			total = sq_cut(sq, total);
		else if (tail && pushed)
			break;

		if (!lifted) {
			charged = sq->charged;
			sq_account(sq, -charged);
			corked = sq_cork(sq->sk);
			lifted = true;
		}
		if (nrtls_should_fail(NRTLS_FAULT_PUSH))
			ret = -EPIPE;
		else
			ret = nrtls_sock_send_pages(sq->sock, bv, n, total);
		sent = ret > 0 ? ret : 0;
		nrtls_event(NRTLS_EV_SF_PUSHES);
		trace_nrtls_sf_push(first->req->id, total, ret);
		if (sent) {
			sq_consume(sq, sent);
			pushed += sent;
			sq->last_progress = jiffies;
		}
		if (ret < 0 && ret != -EAGAIN) {
			err = ret;
			break;
		}
		if (sent < total) {
			/* TCP set SOCK_NOSPACE: its wake-up brings us back. */
			nrtls_event(NRTLS_EV_SF_PUSH_EAGAIN);
			sq_arm_reaper(sq);
			break;
		}
		if (err)
			break;
	}
	if (corked)
		tcp_sock_set_cork(sq->sk, false);
	if (lifted)
		sq_account(sq, charged - pushed);
	if (err)
		nrtls_sq_fail(sq, err);
	return pushed;
}

/* --- the invariant checker (FreeBSD's SBCHECK) --------------------------- */

/* A FOLIO segment's folios hold its bytes; one waiting for its job none. */
static bool seg_run_ok(struct nrtls_seg *seg)
{
	u64 held = 0;
	unsigned int i;

	if (seg->kind != NRTLS_SEG_FOLIO || (!seg->ready && !seg->nr_folios))
		return true;
	if (!seg->nr_folios || seg->nr_folios > NRTLS_SEG_FOLIOS ||
	    seg->off >= folio_size(seg->folio))
		return false;
	for (i = 0; i < seg->nr_folios; i++)
		held += folio_size(nrtls_seg_folio(seg, i));
	return held - seg->off >= seg->len &&
	       held - folio_size(nrtls_seg_folio(seg, seg->nr_folios - 1)) <
	       seg->off + seg->len;
}

static void sq_check(struct nrtls_sq *sq)
{
	u64 ready = 0, notready = 0, req_bytes = 0, seg_bytes = 0;
	unsigned int io = 0, segs = 0, req_segs = 0, nreqs = 0, hdr = 0;
	struct nrtls_seg *seg;
	struct nrtls_req *req;

	lockdep_assert_held(&sq->lock);
	if (!nrtls_debug_check)
		return;
	list_for_each_entry(seg, &sq->segs, node) {
		WARN_ONCE(!seg->len, "nrtls: empty segment queued\n");
		/* Not-ready segments belong to their reads: hands off. */
		WARN_ONCE(seg->ready && !seg_run_ok(seg),
			  "nrtls: bad run of %u folios\n", seg->nr_folios);
		if (seg->ready) {
			ready += seg->len;
		} else {
			notready += seg->len;
			io++;
		}
		seg_bytes += seg->len;
		segs++;
	}
	list_for_each_entry(req, &sq->reqs, node) {
		req_bytes += req->queued - req->sent - req->dropped;
		req_segs += req->segs;
		nreqs++;
		if (req->hdr_counted)
			hdr += req->hdr_len;
	}
	if (nrtls_should_fail(NRTLS_FAULT_CHECK_SKEW))
		ready++;
	WARN_ONCE(ready != sq->ready_bytes || notready != sq->notready_bytes ||
		  io != sq->io_pending || ready + notready != sq->charged ||
		  seg_bytes != req_bytes || segs != req_segs ||
		  hdr != sq->hdr_bytes || nreqs > atomic_read(&sq->nr_reqs) ||
		  sq->charged < 0 ||
		  READ_ONCE(sq->sk->sk_wmem_queued) < sq->charged,
		  "nrtls: queue accounting mismatch: ready %llu/%llu notready %llu/%llu io %u/%u charged %ld wmem_queued %d requests %u/%d (%u header bytes/%u) %llu bytes in %u/%u segments\n",
		  ready, sq->ready_bytes, notready, sq->notready_bytes, io,
		  sq->io_pending, sq->charged, READ_ONCE(sq->sk->sk_wmem_queued),
		  nreqs, atomic_read(&sq->nr_reqs), hdr, sq->hdr_bytes,
		  req_bytes, req_segs, segs);
}

/* --- debugfs "queues": what each queue holds, for diagnosing a stall ---- */

#define QUEUES_SHOWN	8192

static void show_sock(struct seq_file *m, struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);

#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		seq_printf(m, "[%pI6c]:%u [%pI6c]:%u", &sk->sk_v6_rcv_saddr,
			   ntohs(inet->inet_sport), &sk->sk_v6_daddr,
			   ntohs(sk->sk_dport));
		return;
	}
#endif
	seq_printf(m, "%pI4:%u %pI4:%u", &inet->inet_saddr,
		   ntohs(inet->inet_sport), &sk->sk_daddr, ntohs(sk->sk_dport));
}

/*
 * A not-ready segment belongs to its read (a job may be filling in its
 * folios right now): its fields are not read, only the page cache's folio
 * at its position, looked up afresh.
 */
static void show_notready(struct seq_file *m, struct nrtls_seg *seg)
{
	struct folio *folio = NULL;

	seq_printf(m, "  seg notready kind=%u pos=%lld len=%u", seg->kind,
		   seg->pos, seg->len);
	if (seg->kind == NRTLS_SEG_FOLIO)
		folio = nrtls_folio_lookup(seg->req->mapping,
					   seg->pos >> PAGE_SHIFT);
	if (folio) {
		seq_printf(m, " folio: locked=%d uptodate=%d waiters=%d",
			   folio_test_locked(folio), folio_test_uptodate(folio),
			   folio_test_waiters(folio));
		folio_put(folio);
	} else if (seg->kind == NRTLS_SEG_FOLIO) {
		seq_puts(m, " folio: none");
	}
	seq_putc(m, '\n');
}

static void show_queue(struct seq_file *m, struct nrtls_sq *sq)
{
	struct sock *sk = sq->sk;
	struct nrtls_seg *seg;
	struct nrtls_req *req;
	unsigned int nready = 0;

	lockdep_assert_held(&sq->lock);
	seq_puts(m, "sq ");
	show_sock(m, sk);
	seq_printf(m, " state=%u error=%d io=%u ready=%llu notready=%llu charged=%ld wmem_queued=%d sndbuf=%d outq=%u idle_ms=%u work=%d reaper=%d reqs=%d\n",
		   READ_ONCE(sk->sk_state), sq->error, sq->io_pending,
		   sq->ready_bytes, sq->notready_bytes, sq->charged,
		   READ_ONCE(sk->sk_wmem_queued), READ_ONCE(sk->sk_sndbuf),
		   READ_ONCE(tcp_sk(sk)->write_seq) - READ_ONCE(tcp_sk(sk)->snd_una),
		   jiffies_to_msecs(jiffies - sq->last_progress),
		   work_pending(&sq->work), delayed_work_pending(&sq->reaper),
		   atomic_read(&sq->nr_reqs));
	list_for_each_entry(req, &sq->reqs, node)
		seq_printf(m, "  req id=%llu state=%u pos=%lld end=%lld hdr=%u/%u total=%llu queued=%llu sent=%llu dropped=%llu segs=%u stop=%d err=%d flags=%#x cmd=%#lx\n",
			   req->id, req->state, req->pos, req->end,
			   req->hdr_done, req->hdr_len, req->total, req->queued,
			   req->sent, req->dropped, req->segs, req->stop_err,
			   req->err, req->flags, READ_ONCE(req->cmd_flags));
	list_for_each_entry(seg, &sq->segs, node) {
		if (seg->ready)
			nready++;
		else
			show_notready(m, seg);
	}
	seq_printf(m, "  segs ready=%u\n", nready);
}

static int queues_show(struct seq_file *m, void *v)
{
	struct nrtls_sq **sqs, *sq;
	unsigned int n = 0, more = 0, bkt, i;

	sqs = kvmalloc_array(QUEUES_SHOWN, sizeof(*sqs), GFP_KERNEL);
	if (!sqs)
		return -ENOMEM;
	/* References first: a queue's lock cannot be taken under RCU. */
	rcu_read_lock();
	hash_for_each_rcu(sq_table, bkt, sq, hnode) {
		if (READ_ONCE(sq->detached) || !refcount_inc_not_zero(&sq->ref))
			continue;
		if (n == QUEUES_SHOWN) {
			more++;
			nrtls_sq_put(sq);
			continue;
		}
		sqs[n++] = sq;
	}
	rcu_read_unlock();
	for (i = 0; i < n; i++) {
		sq = sqs[i];
		mutex_lock(&sq->lock);
		if (!sq->detached)
			show_queue(m, sq);
		mutex_unlock(&sq->lock);
		nrtls_sq_put(sq);
	}
	if (more)
		seq_printf(m, "%u more queues not shown\n", more);
	kvfree(sqs);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(queues);

/* --- the worker ---------------------------------------------------------- */

struct file *nrtls_sq_run(struct nrtls_sq *sq)
{
	unsigned long reasons;
	size_t pushed = 0;

	lockdep_assert_held(&sq->lock);
	reasons = xchg(&sq->kick_reasons, 0);
	sq_take_submitted(sq);
	sq_complete_io(sq);
	sq_check_socket(sq);
	sq_cancel(sq);
	if (!sq->error) {
		sq_fill(sq);
		pushed = sq_push(sq);
	}
	/* Progress that only the reaper found: a wake-up was missed. */
	if (pushed && reasons == BIT(NRTLS_KICK_REAPER))
		nrtls_event(NRTLS_EV_SF_REAPER_PUSHES);
	sq_finish_error(sq);
	sq_notify(sq);
	sq_check(sq);
	return sq_maybe_detach(sq);
}

static void sq_work(struct work_struct *work)
{
	struct nrtls_sq *sq = container_of(work, struct nrtls_sq, work);
	struct file *file;

	mutex_lock(&sq->lock);
	file = sq->detached ? NULL : nrtls_sq_run(sq);
	mutex_unlock(&sq->lock);
	if (file)
		fput(file);
	nrtls_sq_put(sq);
}

int nrtls_sockq_init(struct dentry *dir)
{
	sq_wq = alloc_workqueue("nrtls", WQ_UNBOUND | WQ_SYSFS, 0);
	if (!sq_wq)
		return -ENOMEM;
	seg_cache = KMEM_CACHE(nrtls_seg, SLAB_ACCOUNT);
	if (!seg_cache) {
		destroy_workqueue(sq_wq);
		return -ENOMEM;
	}
	debugfs_create_file("queues", 0400, dir, NULL, &queues_fops);
	return 0;
}

void nrtls_sockq_exit(void)
{
	destroy_workqueue(sq_wq);
	kmem_cache_destroy(seg_cache);
}
