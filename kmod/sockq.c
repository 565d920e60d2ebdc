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
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <net/tcp.h>

#include "compat.h"
#include "counters.h"
#include "fault.h"
#include "sockq.h"
#include "trace.h"
#include "uring.h"

bool nrtls_debug_check;
module_param_named(debug_check, nrtls_debug_check, bool, 0644);
MODULE_PARM_DESC(debug_check,
		 "Check each queue's accounting after every change, WARN on a mismatch");

static struct workqueue_struct *sq_wq;
static struct kmem_cache *seg_cache;

#define SQ_HASH_BITS 8
static DEFINE_HASHTABLE(sq_table, SQ_HASH_BITS);
static DEFINE_MUTEX(sq_table_lock);

/* --- segments ------------------------------------------------------------ */

struct nrtls_seg *nrtls_seg_alloc(struct nrtls_req *req, int kind)
{
	struct nrtls_seg *seg;

	if (nrtls_should_fail(NRTLS_FAULT_SEG_ALLOC))
		return NULL;
	seg = kmem_cache_zalloc(seg_cache, GFP_KERNEL);
	if (!seg)
		return NULL;
	INIT_LIST_HEAD(&seg->node);
	seg->req = req;
	seg->kind = kind;
	nrtls_obj_inc(NRTLS_OBJ_SEG);
	return seg;
}

static struct folio *seg_folio(struct nrtls_seg *seg, unsigned int i)
{
	return i ? seg->more[i - 1] : seg->folio;
}

void nrtls_seg_free(struct nrtls_seg *seg)
{
	unsigned int i;

	for (i = 0; seg->folio && i < seg->nr_folios; i++) {
		folio_put(seg_folio(seg, i));
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
 * Describe @seg in bvecs from @bv on, at most @max of them; returns how
 * many, or 0 if it needs more.
 */
static int seg_bvecs(struct nrtls_seg *seg, struct bio_vec *bv, int max)
{
	u32 off = seg->off, left = seg->len;
	int n;

	if (seg->kind != NRTLS_SEG_FOLIO) {
		if (max < 1)
			return 0;
		bvec_set_page(bv, seg->page, seg->len, seg->off);
		return 1;
	}
	if (seg->nr_folios > max)
		return 0;
	for (n = 0; left && n < seg->nr_folios; n++) {
		struct folio *folio = seg_folio(seg, n);
		u32 len = min_t(size_t, left, folio_size(folio) - off);

		bvec_set_page(&bv[n], &folio->page, len, off);
		left -= len;
		off = 0;
	}
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

	if (!bytes)
		return;
	lock_sock(sk);
	sk_wmem_queued_add(sk, bytes);
	release_sock(sk);
	sq->charged += bytes;
}

void nrtls_sq_charge(struct nrtls_sq *sq, long bytes)
{
	sq_account(sq, bytes);
}

/*
 * Freed without sending: give the space back and wake writers.  Under the
 * socket lock, as TCP calls it (kTLS device offload pushes records there).
 */
static void sq_refund(struct nrtls_sq *sq, long bytes)
{
	struct sock *sk = sq->sk;

	if (!bytes)
		return;
	lock_sock(sk);
	sk_wmem_queued_add(sk, -bytes);
	sk->sk_write_space(sk);
	release_sock(sk);
	sq->charged -= bytes;
}

void nrtls_sq_link(struct nrtls_sq *sq, struct nrtls_seg *seg)
{
	seg->sq = sq;
	list_add_tail(&seg->node, &sq->segs);
	seg->req->segs++;
	seg->req->queued += seg->len;
	if (seg->ready)
		sq->ready_bytes += seg->len;
	else
		sq->notready_bytes += seg->len;
	nrtls_event_add(NRTLS_EV_SF_QUEUED, seg->len);
	nrtls_event(NRTLS_EV_SF_SEGS);
}

/* Unlink and free a whole segment: sent, or dropped. */
static u32 seg_unlink(struct nrtls_sq *sq, struct nrtls_seg *seg, bool sent)
{
	struct nrtls_req *req = seg->req;
	u32 len = seg->len;

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
		sq->charged || sq->io_pending);
	kfree(sq);
	nrtls_obj_dec(NRTLS_OBJ_SOCK);
	/*
	 * The last reference goes in the worker (our workqueue, drained before
	 * the module's code goes), or in a caller that holds /dev/nrtls open.
	 */
	module_put(THIS_MODULE);
}

void nrtls_sq_kick(struct nrtls_sq *sq)
{
	refcount_inc(&sq->ref);
	if (!queue_work(sq_wq, &sq->work))
		nrtls_sq_put(sq);
}

/* A read completed (any context, IRQs maybe off): hand it to the worker. */
void nrtls_sq_io_done(struct nrtls_seg *seg)
{
	struct nrtls_sq *sq = seg->sq;

	llist_add(&seg->done, &sq->io_done);
	nrtls_sq_kick(sq);
	/* The read's reference; the queued work holds another. */
	nrtls_sq_put(sq);
}

/* A read that will call nrtls_sq_io_done() exactly once. */
void nrtls_sq_io_start(struct nrtls_sq *sq, struct nrtls_seg *seg)
{
	refcount_inc(&sq->ref);
	sq->io_pending++;
	nrtls_event(NRTLS_EV_SF_IO_STARTED);
}

static void sq_reaper(struct work_struct *work)
{
	struct nrtls_sq *sq = container_of(to_delayed_work(work),
					   struct nrtls_sq, reaper);

	nrtls_sq_kick(sq);
	nrtls_sq_put(sq);
}

/*
 * Waiting for the network: look again in a second, so that an application
 * that closed the socket with SO_LINGER 0 is noticed even if nothing moves.
 */
static void sq_arm_reaper(struct nrtls_sq *sq)
{
	refcount_inc(&sq->ref);
	if (!queue_delayed_work(sq_wq, &sq->reaper, HZ))
		nrtls_sq_put(sq);
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

/*
 * The queue of @sock, created on first use; returned referenced and locked.
 * A queue that went idle and detached while we waited for its lock is
 * skipped for a new one.
 */
struct nrtls_sq *nrtls_sq_get(struct socket *sock, struct file *sockfile)
{
	struct sock *sk = sock->sk;
	struct nrtls_sq *sq;

again:
	mutex_lock(&sq_table_lock);
	hash_for_each_possible(sq_table, sq, hnode, (unsigned long)sk) {
		if (sq->sk == sk && !sq->detached) {
			refcount_inc(&sq->ref);
			goto found;
		}
	}
	sq = NULL;
	if (!nrtls_should_fail(NRTLS_FAULT_SQ_ALLOC))
		sq = kzalloc(sizeof(*sq), GFP_KERNEL);
	if (!sq) {
		mutex_unlock(&sq_table_lock);
		return ERR_PTR(-ENOMEM);
	}
	refcount_set(&sq->ref, 2);	/* the table's and ours */
	mutex_init(&sq->lock);
	INIT_LIST_HEAD(&sq->segs);
	INIT_LIST_HEAD(&sq->reqs);
	init_llist_head(&sq->io_done);
	INIT_WORK(&sq->work, sq_work);
	INIT_DELAYED_WORK(&sq->reaper, sq_reaper);
	sq->sk = sk;
	sq->sock = sock;
	sq->file = get_file(sockfile);
	init_waitqueue_func_entry(&sq->sk_wait, sq_sk_wake);
	add_wait_queue(sk_sleep(sk), &sq->sk_wait);
	hash_add(sq_table, &sq->hnode, (unsigned long)sk);
	__module_get(THIS_MODULE);
	nrtls_obj_inc(NRTLS_OBJ_SOCK);
found:
	mutex_unlock(&sq_table_lock);
	mutex_lock(&sq->lock);
	if (sq->detached) {
		mutex_unlock(&sq->lock);
		nrtls_sq_put(sq);
		goto again;
	}
	return sq;
}

/* Idle: unhook from the socket and give its file back (to fput unlocked). */
static struct file *sq_maybe_detach(struct nrtls_sq *sq)
{
	struct file *file;

	if (sq->detached || !list_empty(&sq->segs) ||
	    !list_empty(&sq->reqs) || sq->io_pending)
		return NULL;
	WARN_ON(sq->charged);
	mutex_lock(&sq_table_lock);
	hash_del(&sq->hnode);
	sq->detached = true;
	mutex_unlock(&sq_table_lock);
	remove_wait_queue(sk_sleep(sq->sk), &sq->sk_wait);
	if (cancel_delayed_work(&sq->reaper))
		nrtls_sq_put(sq);
	file = sq->file;
	sq->file = NULL;
	/* The table's reference; the caller still holds one. */
	nrtls_sq_put(sq);
	return file;
}

/* --- requests ------------------------------------------------------------ */

void nrtls_sq_add_req(struct nrtls_sq *sq, struct nrtls_req *req)
{
	list_add_tail(&req->node, &sq->reqs);
	nrtls_event(NRTLS_EV_SF_REQUESTS);
}

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

static void req_deliver(struct nrtls_req *req)
{
	bool sent_mode = req->flags & NRTLS_SF_WAIT_SENT;

	if (sent_mode && req->dropped)
		req->result = req->err ?: -EIO;
	else if (req->queued)
		req->result = min_t(u64, sent_mode ? req->sent : req->queued,
				    INT_MAX);
	else if (req->total)
		req->result = req->stop_err ?: req->err ?: -EIO;
	else
		req->result = 0;
	req->notified = true;
	if (req->issuing)
		return;
	if (req->ucmd)
		nrtls_uring_complete(req);
	else
		wake_up(&req->wait);
}

static void sq_notify(struct nrtls_sq *sq)
{
	struct nrtls_req *req, *tmp;

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
		trace_nrtls_sf_done(req->id, req->queued, req->sent,
				    req->result);
		list_del(&req->node);
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
	int err;

	if (sq->error)
		return;
	/* Peek: the application still gets the error from its next call. */
	err = READ_ONCE(sk->sk_err);
	if (err) {
		nrtls_sq_fail(sq, -err);
		return;
	}
	if (READ_ONCE(sk->sk_state) == TCP_CLOSE ||
	    (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)) {
		nrtls_sq_fail(sq, -EPIPE);
		return;
	}
	/* Only our pin is left: the application closed the socket. */
	if (file_count(sq->file) == 1 && sock_flag(sk, SOCK_LINGER) &&
	    !READ_ONCE(sk->sk_lingertime)) {
		sq->dropping = true;
		nrtls_sq_fail(sq, -ECONNRESET);
	}
}

/* --- reads completing ---------------------------------------------------- */

static void sq_complete_io(struct nrtls_sq *sq)
{
	struct llist_node *list = llist_reverse_order(llist_del_all(&sq->io_done));
	struct nrtls_seg *seg, *tmp;
	long freed = 0;

	llist_for_each_entry_safe(seg, tmp, list, done) {
		int err = nrtls_sf_seg_check(seg);

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

/* Ask TCP to wake us when there is room again (tcp_check_space()). */
static void sq_wait_space(struct nrtls_sq *sq)
{
	set_bit(SOCK_NOSPACE, &sq->sock->flags);
	sq_arm_reaper(sq);
}

/* Queue the requests in order, as far as the send buffer has room. */
static void sq_fill(struct nrtls_sq *sq)
{
	struct nrtls_req *req;

	list_for_each_entry(req, &sq->reqs, node) {
		int space;

		if (req->state != NRTLS_REQ_QUEUEING)
			continue;
		space = sk_stream_wspace(sq->sk);
		if (space > 0)
			nrtls_sf_fill(sq, req, space);
		if (sq->error)
			return;
		if (req->state == NRTLS_REQ_QUEUEING) {
			sq_wait_space(sq);
			return;
		}
	}
}

static void sq_consume(struct nrtls_sq *sq, size_t sent)
{
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
 * Hand the ready prefix to the socket's protocol.  Our whole charge is
 * lifted while TCP takes the data, so that its room is judged by its own
 * queue: not-ready data must never keep ready data out (the send buffer
 * may have shrunk since).  It is put back before anything can fail the
 * queue, whose refunds expect it in place.
 */
static void sq_push(struct nrtls_sq *sq)
{
	struct bio_vec *bv = sq->bv;
	bool lifted = false;
	long charged = 0;
	size_t pushed = 0;
	int err = 0;

	while (!list_empty(&sq->segs)) {
		struct nrtls_seg *seg, *first;
		size_t total = 0, sent;
		int n = 0, k, ret;

		first = list_first_entry(&sq->segs, struct nrtls_seg, node);
		if (!first->ready)
			break;
		list_for_each_entry(seg, &sq->segs, node) {
			if (!seg->ready)
				break;
			/* Truncated since it was read: send nothing past EOF. */
			err = nrtls_sf_seg_eof(seg);
			if (err)
				break;
			k = seg_bvecs(seg, bv + n, ARRAY_SIZE(sq->bv) - n);
			if (!k)
				break;
			n += k;
			total += seg->len;
		}
		if (!n)
			break;

		if (!lifted) {
			charged = sq->charged;
			sq_account(sq, -charged);
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
		}
		if (ret < 0 && ret != -EAGAIN) {
			err = ret;
			break;
		}
		if (sent < total) {
			nrtls_event(NRTLS_EV_SF_PUSH_EAGAIN);
			sq_arm_reaper(sq);
			break;
		}
		if (err)
			break;
	}
	if (lifted)
		sq_account(sq, charged - pushed);
	if (err)
		nrtls_sq_fail(sq, err);
}

/* --- the invariant checker (FreeBSD's SBCHECK) --------------------------- */

/* A FOLIO segment's folios hold its bytes; one under read has just one. */
static bool seg_run_ok(struct nrtls_seg *seg)
{
	u64 held = 0;
	unsigned int i;

	if (seg->kind != NRTLS_SEG_FOLIO)
		return true;
	if (!seg->nr_folios || seg->nr_folios > NRTLS_SEG_FOLIOS ||
	    (!seg->ready && seg->nr_folios != 1) ||
	    seg->off >= folio_size(seg->folio))
		return false;
	for (i = 0; i < seg->nr_folios; i++)
		held += folio_size(seg_folio(seg, i));
	return held - seg->off >= seg->len &&
	       held - folio_size(seg_folio(seg, seg->nr_folios - 1)) <
	       seg->off + seg->len;
}

static void sq_check(struct nrtls_sq *sq)
{
	u64 ready = 0, notready = 0, req_bytes = 0, seg_bytes = 0;
	unsigned int io = 0, segs = 0, req_segs = 0;
	struct nrtls_seg *seg;
	struct nrtls_req *req;

	if (!nrtls_debug_check)
		return;
	list_for_each_entry(seg, &sq->segs, node) {
		WARN_ONCE(!seg->len, "nrtls: empty segment queued\n");
		WARN_ONCE(!seg_run_ok(seg), "nrtls: bad run of %u folios\n",
			  seg->nr_folios);
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
	}
	if (nrtls_should_fail(NRTLS_FAULT_CHECK_SKEW))
		ready++;
	WARN_ONCE(ready != sq->ready_bytes || notready != sq->notready_bytes ||
		  io != sq->io_pending || ready + notready != sq->charged ||
		  seg_bytes != req_bytes || segs != req_segs ||
		  READ_ONCE(sq->sk->sk_wmem_queued) < sq->charged,
		  "nrtls: queue accounting mismatch: ready %llu/%llu notready %llu/%llu io %u/%u charged %ld wmem_queued %d requests %llu bytes in %u/%u segments\n",
		  ready, sq->ready_bytes, notready, sq->notready_bytes, io,
		  sq->io_pending, sq->charged, READ_ONCE(sq->sk->sk_wmem_queued),
		  req_bytes, req_segs, segs);
}

/* --- the worker ---------------------------------------------------------- */

struct file *nrtls_sq_run(struct nrtls_sq *sq)
{
	sq_complete_io(sq);
	sq_check_socket(sq);
	if (!sq->error) {
		sq_fill(sq);
		sq_push(sq);
	}
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

int nrtls_sockq_init(void)
{
	sq_wq = alloc_workqueue("nrtls", WQ_UNBOUND | WQ_SYSFS, 0);
	if (!sq_wq)
		return -ENOMEM;
	seg_cache = KMEM_CACHE(nrtls_seg, 0);
	if (!seg_cache) {
		destroy_workqueue(sq_wq);
		return -ENOMEM;
	}
	return 0;
}

void nrtls_sockq_exit(void)
{
	destroy_workqueue(sq_wq);
	kmem_cache_destroy(seg_cache);
}
