// SPDX-License-Identifier: GPL-2.0
/*
 * Asynchronous sendfile (seed 000): requests, and the segments they queue.
 *
 * A page-cache miss starts readahead and puts a waiter on the folio's wait
 * queue; the call returns at once and the waiter, which runs when the read
 * unlocks the folio, hands the segment to the queue's worker.  No thread
 * waits for a read.  File systems without ->read_folio (tmpfs holes, DAX)
 * are read by a bounded workqueue instead.
 */
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/pagevec.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "compat.h"
#include "counters.h"
#include "fault.h"
#include "sendfile.h"
#include "sockq.h"
#include "trace.h"

static unsigned int io_workers = 4;
module_param(io_workers, uint, 0444);
MODULE_PARM_DESC(io_workers,
		 "Reads in flight for file systems without ->read_folio (default 4)");

/* Most pages an NRTLS_SF_READAHEAD hint may ask for. */
#define SF_RA_MAX	4096

static struct workqueue_struct *io_wq;
static atomic64_t req_ids;

/* --- requests ------------------------------------------------------------ */

void nrtls_sf_req_release(struct nrtls_req *req)
{
	unsigned int i, n = DIV_ROUND_UP(req->hdr_len, PAGE_SIZE);

	for (i = 0; i < n && req->hdr_pages; i++) {
		if (req->hdr_pages[i]) {
			put_page(req->hdr_pages[i]);
			nrtls_obj_dec(NRTLS_OBJ_PAGE);
		}
	}
	kfree(req->hdr_pages);
	if (req->file)
		fput(req->file);
	kfree(req);
	nrtls_obj_dec(NRTLS_OBJ_REQ);
}

static int sf_check_args(const struct nrtls_sendfile *a)
{
	if (a->flags & ~NRTLS_SF_FLAGS)
		return -EINVAL;
	if (a->reserved0 || a->reserved[0] || a->reserved[1])
		return -EINVAL;
	if (!!(a->flags & NRTLS_SF_READAHEAD) != !!a->readahead)
		return -EINVAL;
	if ((a->flags & NRTLS_SF_NOWAIT) && (a->flags & NRTLS_SF_WAIT_SENT))
		return -EINVAL;
	if (a->hdr_len > NRTLS_SF_HDR_MAX)
		return -EINVAL;
	if (a->offset > LLONG_MAX || a->count > LLONG_MAX - a->offset)
		return -EINVAL;
	return 0;
}

static int sf_check_socket(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (sock->type != SOCK_STREAM)
		return -EINVAL;
	if ((sk->sk_family != AF_INET && sk->sk_family != AF_INET6) ||
	    sk->sk_protocol != IPPROTO_TCP)
		return -EOPNOTSUPP;
	if (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)
		return -EPIPE;
	switch (READ_ONCE(sk->sk_state)) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_SYN_SENT:	/* connecting: queued until it is up, or fails */
		break;
	default:
		return sock_error(sk) ?: -ENOTCONN;
	}
	return sock_error(sk);
}

static int sf_copy_header(struct nrtls_req *req, const void __user *hdr)
{
	unsigned int i, n = DIV_ROUND_UP(req->hdr_len, PAGE_SIZE);

	if (!n)
		return 0;
	if (!nrtls_should_fail(NRTLS_FAULT_HDR_ARRAY))
		req->hdr_pages = kcalloc(n, sizeof(*req->hdr_pages), GFP_KERNEL);
	if (!req->hdr_pages)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		u32 len = min_t(u32, PAGE_SIZE, req->hdr_len - i * PAGE_SIZE);
		struct page *page = NULL;

		if (!nrtls_should_fail(NRTLS_FAULT_HDR_ALLOC))
			page = alloc_page(GFP_KERNEL);
		if (!page)
			return -ENOMEM;
		req->hdr_pages[i] = page;
		nrtls_obj_inc(NRTLS_OBJ_PAGE);
		if (copy_from_user(page_address(page), hdr + i * PAGE_SIZE, len))
			return -EFAULT;
	}
	return 0;
}

/*
 * Check everything and build a request; on success the request owns a
 * reference to the file and the caller one to the socket's file.
 */
static struct nrtls_req *sf_req_create(const struct nrtls_sendfile *a,
				       struct file **sockfilep)
{
	struct file *sockfile, *file;
	struct nrtls_req *req;
	struct socket *sock;
	loff_t size;
	int err;

	err = sf_check_args(a);
	if (err)
		return ERR_PTR(err);
	sockfile = fget(a->sock_fd);
	if (!sockfile)
		return ERR_PTR(-EBADF);
	sock = sock_from_file(sockfile);
	err = sock ? sf_check_socket(sock) : -ENOTSOCK;
	if (err)
		goto err_sock;

	file = fget(a->file_fd);
	err = -EBADF;
	if (!file)
		goto err_sock;
	if (!(file->f_mode & FMODE_READ))
		goto err_file;
	err = -EINVAL;
	if (!S_ISREG(file_inode(file)->i_mode))
		goto err_file;
	size = i_size_read(file_inode(file));
	if (a->offset > size)
		goto err_file;

	err = -ENOMEM;
	if (nrtls_should_fail(NRTLS_FAULT_REQ_ALLOC))
		goto err_file;
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		goto err_file;
	nrtls_obj_inc(NRTLS_OBJ_REQ);
	refcount_set(&req->ref, 2);	/* the queue's and the caller's */
	INIT_LIST_HEAD(&req->node);
	init_waitqueue_head(&req->wait);
	req->id = atomic64_inc_return(&req_ids);
	req->file = file;
	req->mapping = file->f_mapping;
	req->flags = a->flags;
	req->pos = a->offset;
	req->end = a->count ? min_t(loff_t, a->offset + a->count, size) : size;
	req->hdr_len = a->hdr_len;
	req->total = req->hdr_len + (req->end - req->pos);
	req->nocache_from = a->offset >> PAGE_SHIFT;
	if (a->flags & NRTLS_SF_READAHEAD) {
		file_ra_state_init(&req->ra, req->mapping);
		req->ra.ra_pages = min_t(u32, a->readahead, SF_RA_MAX);
		req->readahead = req->ra.ra_pages;
	}
	err = sf_copy_header(req, u64_to_user_ptr(a->hdr));
	if (err) {
		nrtls_sf_req_release(req);
		goto err_sock;
	}
	*sockfilep = sockfile;
	return req;

err_file:
	fput(file);
err_sock:
	fput(sockfile);
	return ERR_PTR(err);
}

/* --- segments ------------------------------------------------------------ */

/* Nothing past the end of the file goes out, even if it was read before. */
int nrtls_sf_seg_eof(struct nrtls_seg *seg)
{
	if (seg->kind == NRTLS_SEG_HDR)
		return 0;
	if (seg->pos + seg->len > i_size_read(seg->req->mapping->host))
		return -EIO;
	return 0;
}

/* A read completed: is the data good? */
int nrtls_sf_seg_check(struct nrtls_seg *seg)
{
	if (nrtls_should_fail(NRTLS_FAULT_IO_ERROR))
		return -EIO;
	if (seg->kind == NRTLS_SEG_BUF)
		return seg->err ?: nrtls_sf_seg_eof(seg);
	/* Not up to date: the read failed.  No mapping: truncated away. */
	if (!folio_test_uptodate(seg->folio) ||
	    READ_ONCE(seg->folio->mapping) != seg->req->mapping)
		return -EIO;
	return nrtls_sf_seg_eof(seg);
}

static struct nrtls_seg *sf_hdr_seg(struct nrtls_sq *sq, struct nrtls_req *req,
				    long want)
{
	u32 off = req->hdr_done % PAGE_SIZE;
	struct nrtls_seg *seg;

	seg = nrtls_seg_alloc(req, NRTLS_SEG_HDR);
	if (!seg)
		return ERR_PTR(-ENOMEM);
	seg->page = req->hdr_pages[req->hdr_done / PAGE_SIZE];
	get_page(seg->page);
	nrtls_obj_inc(NRTLS_OBJ_PAGE);
	seg->off = off;
	seg->len = min_t(long, min_t(u32, PAGE_SIZE - off,
				     req->hdr_len - req->hdr_done), want);
	seg->pos = -1;
	seg->ready = true;
	nrtls_sq_link(sq, seg);
	req->hdr_done += seg->len;
	return seg;
}

/*
 * The waiter on a folio under read.  Runs when the folio is unlocked, with
 * IRQs off and the wait queue's lock held: just hand over to the worker.
 */
static int sf_folio_wake(struct wait_queue_entry *wait, unsigned int mode,
			 int sync, void *arg)
{
	struct nrtls_seg *seg = container_of(wait, struct nrtls_seg, wpq.wait);

	if (!wake_page_match(&seg->wpq, arg))
		return 0;
	list_del_init(&wait->entry);
	nrtls_sq_io_done(seg);
	return 1;
}

static void sf_wait_folio(struct nrtls_sq *sq, struct nrtls_seg *seg)
{
	struct folio *folio = seg->folio;

	seg->wpq.folio = folio;
	seg->wpq.bit_nr = PG_locked;
	init_waitqueue_func_entry(&seg->wpq.wait, sf_folio_wake);
	nrtls_sq_io_start(sq, seg);
	folio_add_wait_queue(folio, &seg->wpq.wait);
	/*
	 * The read may have unlocked the folio before the waiter was added,
	 * and then no unlock will ever wake it.  Taking and dropping the lock
	 * makes one if nobody holds it; if somebody does, their unlock will.
	 * (filemap.c closes this race under the wait queue's lock, which is
	 * not available to modules.)
	 */
	if (folio_trylock(folio))
		folio_unlock(folio);
}

/* Start reading a folio that is not up to date; it is unlocked when done. */
static void sf_read_folio(struct nrtls_req *req, struct folio *folio)
{
	int err;

	if (nrtls_should_fail(NRTLS_FAULT_READ_FOLIO)) {
		folio_unlock(folio);
		return;
	}
	/* On failure ->read_folio unlocks a folio it leaves !uptodate. */
	err = req->mapping->a_ops->read_folio(req->file, folio);
	if (err)
		nrtls_event(NRTLS_EV_SF_IO_ERRORS);
}

/* NRTLS_SF_READAHEAD: exactly the pages asked for; else the file's own. */
static struct file_ra_state *sf_ra(struct nrtls_req *req)
{
	return req->readahead ? &req->ra : &req->file->f_ra;
}

static unsigned long sf_ra_pages(struct nrtls_req *req)
{
	return req->readahead ?: DIV_ROUND_UP(req->end - req->pos, PAGE_SIZE);
}

static void sf_readahead(struct nrtls_req *req, pgoff_t index)
{
	if (nrtls_should_fail(NRTLS_FAULT_READAHEAD))
		return;
	page_cache_sync_readahead(req->mapping, sf_ra(req), req->file, index,
				  sf_ra_pages(req));
}

/*
 * A referenced folio for @index: found, brought in by readahead, or created
 * and read.  It may still be under read.  ERR_PTR(-EBUSY) if it would need
 * a read and the request said NODISKIO.
 */
static struct folio *sf_get_folio(struct nrtls_req *req, pgoff_t index)
{
	struct address_space *mapping = req->mapping;
	bool nodisk = req->flags & NRTLS_SF_NODISKIO;
	struct folio *folio;

	folio = nrtls_folio_lookup(mapping, index);
	if (folio) {
		if (folio_test_readahead(folio) && !nodisk)
			nrtls_async_readahead(mapping, sf_ra(req), req->file,
					      folio, sf_ra_pages(req));
	} else {
		if (nodisk)
			return ERR_PTR(-EBUSY);
		sf_readahead(req, index);
		folio = nrtls_folio_lookup(mapping, index);
	}
	if (!folio) {
		if (!nrtls_should_fail(NRTLS_FAULT_FOLIO_ALLOC))
			folio = nrtls_folio_create(mapping, index);
		if (!folio) {
			/* Lost a race with another creator?  Then it is there. */
			folio = nrtls_folio_lookup(mapping, index);
			if (!folio)
				return ERR_PTR(-ENOMEM);
		} else if (folio_test_uptodate(folio)) {
			folio_unlock(folio);
		} else {
			/* One read per call: its failure is the answer. */
			sf_read_folio(req, folio);
			return folio;
		}
	}
	if (folio_test_uptodate(folio))
		return folio;
	if (nodisk) {
		folio_put(folio);
		return ERR_PTR(-EBUSY);
	}
	/* Not up to date and unlocked: a read failed before, or never ran. */
	if (folio_trylock(folio)) {
		if (folio_test_uptodate(folio) || folio->mapping != mapping)
			folio_unlock(folio);
		else
			sf_read_folio(req, folio);
	}
	return folio;
}

static void sf_buf_read(struct work_struct *work)
{
	struct nrtls_seg *seg = container_of(work, struct nrtls_seg, read_work);
	loff_t pos = seg->pos;
	ssize_t n;

	if (nrtls_should_fail(NRTLS_FAULT_FALLBACK_READ)) {
		seg->err = -EIO;
	} else {
		n = kernel_read(seg->req->file, page_address(seg->page),
				seg->len, &pos);
		if (n != seg->len)
			seg->err = n < 0 ? n : -EIO;
	}
	nrtls_sq_io_done(seg);
}

/* No ->read_folio: copy the data in on the bounded workqueue. */
static struct nrtls_seg *sf_buf_seg(struct nrtls_sq *sq, struct nrtls_req *req,
				    long want)
{
	struct nrtls_seg *seg;
	struct page *page = NULL;

	seg = nrtls_seg_alloc(req, NRTLS_SEG_BUF);
	if (!seg)
		return ERR_PTR(-ENOMEM);
	if (!nrtls_should_fail(NRTLS_FAULT_BUF_ALLOC))
		page = alloc_page(GFP_KERNEL);
	if (!page) {
		nrtls_seg_free(seg);
		return ERR_PTR(-ENOMEM);
	}
	nrtls_obj_inc(NRTLS_OBJ_PAGE);
	seg->page = page;
	seg->pos = req->pos;
	seg->len = min_t(loff_t, min_t(loff_t, PAGE_SIZE, want),
			 req->end - req->pos);
	nrtls_sq_link(sq, seg);
	req->pos += seg->len;
	INIT_WORK(&seg->read_work, sf_buf_read);
	nrtls_sq_io_start(sq, seg);
	nrtls_event(NRTLS_EV_SF_FALLBACK);
	queue_work(io_wq, &seg->read_work);
	return seg;
}

/*
 * A segment for the resident run of folios at the request's position, one
 * lookup for them all; NULL if the first folio is not resident and up to
 * date (the caller takes the one-folio path, which reads it).
 */
static struct nrtls_seg *sf_run_seg(struct nrtls_sq *sq, struct nrtls_req *req,
				    long want)
{
	struct address_space *mapping = req->mapping;
	loff_t end = min_t(loff_t, req->end, req->pos + want);
	pgoff_t index = req->pos >> PAGE_SHIFT;
	struct folio_batch fbatch;
	struct nrtls_seg *seg;
	unsigned int i, nr;
	loff_t len;

	folio_batch_init(&fbatch);
	filemap_get_folios_contig(mapping, &index, (end - 1) >> PAGE_SHIFT,
				  &fbatch);
	for (nr = 0; nr < folio_batch_count(&fbatch) && nr < NRTLS_SEG_FOLIOS;
	     nr++) {
		if (!folio_test_uptodate(fbatch.folios[nr]))
			break;
	}
	seg = NULL;
	if (nr)
		seg = nrtls_seg_alloc(req, NRTLS_SEG_FOLIO);
	if (!seg) {
		folio_batch_release(&fbatch);
		return nr ? ERR_PTR(-ENOMEM) : NULL;
	}
	for (i = 0; i < folio_batch_count(&fbatch); i++) {
		struct folio *folio = fbatch.folios[i];

		if (i >= nr) {
			folio_put(folio);
			continue;
		}
		if (i)
			seg->more[i - 1] = folio;
		nrtls_obj_inc(NRTLS_OBJ_FOLIO);
		/* Keep readahead ahead of us, as sf_get_folio() does. */
		if (folio_test_readahead(folio) && mapping->a_ops->read_folio &&
		    !(req->flags & NRTLS_SF_NODISKIO))
			nrtls_async_readahead(mapping, sf_ra(req), req->file,
					      folio, sf_ra_pages(req));
	}
	seg->folio = fbatch.folios[0];
	seg->nr_folios = nr;
	seg->off = req->pos - folio_pos(seg->folio);
	seg->pos = req->pos;
	len = folio_pos(fbatch.folios[nr - 1]) +
	      folio_size(fbatch.folios[nr - 1]);
	seg->len = min(len, end) - req->pos;
	seg->ready = true;
	nrtls_sq_link(sq, seg);
	req->pos += seg->len;
	return seg;
}

static struct nrtls_seg *sf_file_seg(struct nrtls_sq *sq, struct nrtls_req *req,
				     long want)
{
	struct address_space *mapping = req->mapping;
	struct inode *inode = mapping->host;
	struct nrtls_seg *seg;
	struct folio *folio;
	loff_t foff;

	/* Truncated since the call: nothing past the new end goes out. */
	if (req->pos >= i_size_read(inode))
		return ERR_PTR(-EIO);
	if (!IS_DAX(inode)) {
		seg = sf_run_seg(sq, req, want);
		if (seg)
			return seg;
	}
	if (!mapping->a_ops->read_folio || IS_DAX(inode)) {
		/* Use the page cache if it has the data, else copy it in. */
		folio = nrtls_folio_lookup(mapping, req->pos >> PAGE_SHIFT);
		if (!folio || !folio_test_uptodate(folio)) {
			if (folio)
				folio_put(folio);
			if (req->flags & NRTLS_SF_NODISKIO)
				return ERR_PTR(-EBUSY);
			return sf_buf_seg(sq, req, want);
		}
	} else {
		folio = sf_get_folio(req, req->pos >> PAGE_SHIFT);
		if (IS_ERR(folio))
			return ERR_CAST(folio);
	}

	seg = nrtls_seg_alloc(req, NRTLS_SEG_FOLIO);
	if (!seg) {
		folio_put(folio);
		return ERR_PTR(-ENOMEM);
	}
	nrtls_obj_inc(NRTLS_OBJ_FOLIO);
	seg->folio = folio;
	seg->nr_folios = 1;
	foff = req->pos - folio_pos(folio);
	seg->off = foff;
	seg->pos = req->pos;
	seg->len = min3((loff_t)folio_size(folio) - foff, req->end - req->pos,
			(loff_t)want);
	seg->ready = folio_test_uptodate(folio);
	nrtls_sq_link(sq, seg);
	req->pos += seg->len;
	if (!seg->ready)
		sf_wait_folio(sq, seg);
	return seg;
}

/* Queue up to @budget more bytes of @req (under sq->lock). */
int nrtls_sf_fill(struct nrtls_sq *sq, struct nrtls_req *req, long budget)
{
	u64 ready = 0, notready = 0;
	u32 hdr = 0;
	long n = 0;

	while (n < budget && req->state == NRTLS_REQ_QUEUEING) {
		struct nrtls_seg *seg;

		if (req->hdr_done < req->hdr_len) {
			seg = sf_hdr_seg(sq, req, budget - n);
		} else if (req->pos < req->end) {
			seg = sf_file_seg(sq, req, budget - n);
		} else {
			req->state = NRTLS_REQ_QUEUED;
			break;
		}
		if (IS_ERR(seg)) {
			nrtls_req_stop(req, PTR_ERR(seg));
			/* -EIO: the file was truncated; abort as for a read error. */
			if (PTR_ERR(seg) == -EIO)
				nrtls_sq_fail(sq, -EIO);
			break;
		}
		n += seg->len;
		if (seg->kind == NRTLS_SEG_HDR)
			hdr += seg->len;
		else if (seg->ready)
			ready += seg->len;
		else
			notready += seg->len;
	}
	if (req->state == NRTLS_REQ_QUEUEING && req->hdr_done == req->hdr_len &&
	    req->pos >= req->end)
		req->state = NRTLS_REQ_QUEUED;
	nrtls_sq_charge(sq, n);
	if (n)
		trace_nrtls_sf_queued(req->id, hdr, ready, notready);
	return n;
}

void nrtls_sf_nocache(struct nrtls_req *req)
{
	pgoff_t last;

	if (!req->sent || req->end <= (loff_t)req->nocache_from << PAGE_SHIFT)
		return;
	last = (req->end - 1) >> PAGE_SHIFT;
	/* Keep a last partial page if the file goes on (SF_NOCACHE). */
	if ((req->end & ~PAGE_MASK) && req->end < i_size_read(req->mapping->host)) {
		if (last == req->nocache_from)
			return;
		last--;
	}
	invalidate_mapping_pages(req->mapping, req->nocache_from, last);
}

/* --- submission ---------------------------------------------------------- */

/*
 * Build @a into a request, queue what the send buffer takes now and start
 * sending.  Returns the request (the caller holds a reference) and its
 * socket's queue, locked; or an error.
 */
struct nrtls_req *nrtls_sf_submit(const struct nrtls_sendfile *a,
				  struct io_uring_cmd *ucmd, bool nowait,
				  struct nrtls_sq **sqp, struct file **putp)
{
	struct file *sockfile;
	struct nrtls_req *req;
	struct nrtls_sq *sq;

	req = sf_req_create(a, &sockfile);
	if (IS_ERR(req))
		return req;
	if ((sockfile->f_flags & O_NONBLOCK) && !ucmd)
		nowait = true;
	if (nowait && (req->flags & NRTLS_SF_WAIT_SENT)) {
		fput(sockfile);
		nrtls_sf_req_release(req);
		return ERR_PTR(-EINVAL);
	}
	sq = nrtls_sq_get(sock_from_file(sockfile), sockfile);
	fput(sockfile);
	if (IS_ERR(sq)) {
		nrtls_sf_req_release(req);
		return ERR_CAST(sq);
	}
	req->ucmd = ucmd;
	req->issuing = true;
	nrtls_sq_add_req(sq, req);
	*putp = nrtls_sq_run(sq);
	if (nowait && req->state == NRTLS_REQ_QUEUEING) {
		nrtls_req_stop(req, -EAGAIN);
		WARN_ON(*putp);
		*putp = nrtls_sq_run(sq);
	}
	req->issuing = false;
	*sqp = sq;
	return req;
}

long nrtls_sf_ioctl(unsigned int cmd, void __user *uarg)
{
	struct nrtls_sendfile a;
	struct nrtls_req *req;
	struct nrtls_sq *sq;
	struct file *put = NULL;
	long timeo, ret;
	int err;

	if (_IOC_SIZE(cmd) < offsetofend(struct nrtls_sendfile, reserved))
		return -EINVAL;
	err = copy_struct_from_user(&a, sizeof(a), uarg, _IOC_SIZE(cmd));
	if (err)
		return err;
	req = nrtls_sf_submit(&a, NULL, a.flags & NRTLS_SF_NOWAIT, &sq, &put);
	if (IS_ERR(req))
		return PTR_ERR(req);
	timeo = sock_sndtimeo(sq->sk, false);
	mutex_unlock(&sq->lock);
	if (put)
		fput(put);
	put = NULL;

	ret = wait_event_interruptible_timeout(req->wait,
					       READ_ONCE(req->notified), timeo);
	if (ret <= 0) {
		/* Signal or SO_SNDTIMEO: keep what is queued, stop the rest. */
		mutex_lock(&sq->lock);
		if (!req->notified) {
			nrtls_req_stop(req, ret ? -EINTR : -EAGAIN);
			req->notified = true;
			req->result = ret ? -EINTR : -EAGAIN;
			put = nrtls_sq_run(sq);
		}
		mutex_unlock(&sq->lock);
		if (put)
			fput(put);
	}

	mutex_lock(&sq->lock);
	a.queued = req->queued;
	if ((req->flags & NRTLS_SF_WAIT_SENT) && req->result < 0)
		err = req->result;
	else if (req->queued == req->total)
		err = 0;
	else
		err = req->stop_err ?: req->err ?: -EIO;
	mutex_unlock(&sq->lock);
	nrtls_sq_put(sq);
	nrtls_req_put(req);

	/* As write(2): the data went, only the count could not be told. */
	if (nrtls_should_fail(NRTLS_FAULT_SF_COPYOUT) ||
	    copy_to_user(uarg + offsetof(struct nrtls_sendfile, queued),
			 &a.queued, sizeof(a.queued)))
		return -EFAULT;
	return err;
}

int nrtls_sf_init(void)
{
	io_wq = alloc_workqueue("nrtls_io", WQ_UNBOUND, io_workers ?: 1);
	return io_wq ? 0 : -ENOMEM;
}

void nrtls_sf_exit(void)
{
	destroy_workqueue(io_wq);
}
