// SPDX-License-Identifier: GPL-2.0
/*
 * Asynchronous sendfile (seed 000): requests, and the segments they queue.
 *
 * The submitter only looks in the page cache: what is there and up to date
 * is queued ready; a run of folios under read is queued with a waiter on
 * the first of them; a miss is queued as a segment for a read job.  Read
 * jobs run on a pool, at most io_workers of each user's at once, never in
 * the submitter: they do the readahead and, for folios readahead did not
 * bring, ->read_folio, which on some file systems (9p, FUSE, NFS) waits
 * for the read.  They run as the submitter: its memory and block cgroups,
 * the file opener's credentials.  When a job is done, or a folio waited on
 * is unlocked, the queue's worker marks the segment ready or waits on its
 * next folio.  No thread waits for a read on behalf of a request; a pool
 * thread may, on the file systems that wait, at most io_workers for each
 * user.  File systems without ->read_folio (tmpfs holes, DAX) are read by
 * the pool into pages of ours.
 */
#include <linux/blkdev.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/pagevec.h>
#include <linux/sched/mm.h>
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
		 "Read jobs one user may have running at once, on all file systems (default 4)");

/* Most pages an NRTLS_SF_READAHEAD hint may ask for. */
#define SF_RA_MAX	4096

static struct workqueue_struct *io_wq;
static atomic64_t req_ids;

/* --- who a request runs as ----------------------------------------------- */

static void owner_init(struct nrtls_owner *o)
{
	o->memcg = get_mem_cgroup_from_mm(current->mm);
#ifdef CONFIG_BLK_CGROUP
	o->blkcg = task_get_css(current, io_cgrp_id);
#endif
}

static void owner_release(struct nrtls_owner *o)
{
	mem_cgroup_put(o->memcg);
	if (o->blkcg)
		css_put(o->blkcg);
}

/* Allocations in the worker are charged to the submitter's memcg. */
struct mem_cgroup *nrtls_owner_enter(struct nrtls_req *req)
{
	return set_active_memcg(req->owner.memcg);
}

void nrtls_owner_leave(struct mem_cgroup *old)
{
	set_active_memcg(old);
}

struct owner_ctx {
	struct mem_cgroup *memcg;
	const struct cred *cred;
};

/*
 * A read job reads as the submitter: page cache charged to its memcg, the
 * I/O to its blkcg (the pool's threads are kthreads), the file opener's
 * credentials for the file system.
 */
static void job_enter(struct nrtls_req *req, struct owner_ctx *c)
{
	c->memcg = set_active_memcg(req->owner.memcg);
	kthread_associate_blkcg(req->owner.blkcg);
	c->cred = override_creds(req->file->f_cred);
}

static void job_leave(struct owner_ctx *c)
{
	revert_creds(c->cred);
	kthread_associate_blkcg(NULL);
	set_active_memcg(c->memcg);
}

/*
 * The pool's jobs are counted for the user of the queue they read for
 * (its creator's quota): at most io_workers each, so that one user's
 * reads that never end (a FUSE daemon of its own) leave the others the
 * rest of the pool.  A queue lets go of its quota when it detaches,
 * which a readahead job does not hold off: each job holds the quota.
 */
static void pool_queue(struct nrtls_sq *sq, struct nrtls_pool_job *job)
{
	/* Locked with data queued, it has not detached: its quota is there. */
	lockdep_assert_held(&sq->lock);
	nrtls_quota_pool_queue(sq->quota, io_wq, job, io_workers);
}

static void pool_done(struct nrtls_pool_job *job)
{
	nrtls_quota_pool_done(job, io_wq);
}

/* --- requests ------------------------------------------------------------ */

static void sf_ra_job(struct work_struct *work);
static bool sf_seg_retry(struct nrtls_seg *seg, struct folio *folio);

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
	if (req->sockfile)
		fput(req->sockfile);
	if (req->file)
		fput(req->file);
	owner_release(&req->owner);
	if (req->sq)
		nrtls_sq_put(req->sq);
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

/* Header pages are the caller's memory, charged to its memcg. */
static int sf_copy_header(struct nrtls_req *req, const void __user *hdr)
{
	unsigned int i, n = DIV_ROUND_UP(req->hdr_len, PAGE_SIZE);

	if (!n)
		return 0;
	if (!nrtls_should_fail(NRTLS_FAULT_HDR_ARRAY))
		req->hdr_pages = kcalloc(n, sizeof(*req->hdr_pages), NRTLS_GFP);
	if (!req->hdr_pages)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		u32 len = min_t(u32, PAGE_SIZE, req->hdr_len - i * PAGE_SIZE);
		struct page *page = NULL;

		if (!nrtls_should_fail(NRTLS_FAULT_HDR_ALLOC))
			page = alloc_page(NRTLS_GFP);
		if (!page)
			return -ENOMEM;
		req->hdr_pages[i] = page;
		nrtls_obj_inc(NRTLS_OBJ_PAGE);
		if (copy_from_user(page_address(page), hdr + i * PAGE_SIZE, len))
			return -EFAULT;
	}
	return 0;
}

struct nrtls_req *nrtls_sf_req_new(const struct nrtls_sendfile *a,
				   struct io_uring_cmd *ucmd)
{
	struct file *sockfile, *file;
	struct nrtls_req *req;
	struct socket *sock;
	u64 count;
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
	req = kzalloc(sizeof(*req), NRTLS_GFP);
	if (!req)
		goto err_file;
	nrtls_obj_inc(NRTLS_OBJ_REQ);
	/* The queue's, the issuer's, and the command's until its CQE. */
	refcount_set(&req->ref, ucmd ? 3 : 2);
	INIT_LIST_HEAD(&req->node);
	INIT_WORK(&req->ra_job.work, sf_ra_job);
	init_waitqueue_head(&req->wait);
	req->id = atomic64_inc_return(&req_ids);
	req->sockfile = sockfile;
	req->file = file;
	req->mapping = file->f_mapping;
	req->ucmd = ucmd;
	req->flags = a->flags;
	/* As read(2) and write(2): a CQE's count must fit in an int. */
	count = min_t(u64, a->count ?: size - a->offset, size - a->offset);
	count = min_t(u64, count, MAX_RW_COUNT - a->hdr_len);
	req->pos = a->offset;
	req->end = a->offset + count;
	req->hdr_len = a->hdr_len;
	req->total = req->hdr_len + count;
	req->nocache_from = a->offset >> PAGE_SHIFT;
	req->nowait = a->flags & NRTLS_SF_NOWAIT ||
		      ((sockfile->f_flags & O_NONBLOCK) && !ucmd);
	if (a->flags & NRTLS_SF_READAHEAD) {
		file_ra_state_init(&req->ra, req->mapping);
		req->ra.ra_pages = min_t(u32, a->readahead, SF_RA_MAX);
		req->readahead = req->ra.ra_pages;
	}
	owner_init(&req->owner);
	err = -EINVAL;
	if (req->nowait && (req->flags & NRTLS_SF_WAIT_SENT))
		goto err_req;
	err = sf_copy_header(req, u64_to_user_ptr(a->hdr));
	if (err)
		goto err_req;
	return req;

err_req:
	nrtls_sf_req_release(req);
	return ERR_PTR(err);
err_file:
	fput(file);
err_sock:
	fput(sockfile);
	return ERR_PTR(err);
}

int nrtls_sf_req_submit(struct nrtls_req *req, bool trylock)
{
	struct file *sockfile = req->sockfile;
	int ret;

	ret = nrtls_sq_submit(sock_from_file(sockfile), sockfile, req, trylock);
	req->sockfile = NULL;
	fput(sockfile);
	if (ret < 0)
		nrtls_req_put(req);	/* the queue's: it never had it */
	return ret;
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

/* Wait for folio @i of @seg to be unlocked (under sq->lock, seg not ready). */
static void sf_wait_folio(struct nrtls_seg *seg, unsigned int i)
{
	struct folio *folio = nrtls_seg_folio(seg, i);

	lockdep_assert_held(&seg->sq->lock);
	seg->wait_idx = i;
	seg->wpq.folio = folio;
	seg->wpq.bit_nr = PG_locked;
	init_waitqueue_func_entry(&seg->wpq.wait, sf_folio_wake);
	/* The waiter's reference, dropped by nrtls_sq_io_done(). */
	refcount_inc(&seg->sq->ref);
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

/*
 * A not-ready segment's job is done or the folio it waited on was
 * unlocked: is all of it good now?  Waits on the next folio still under
 * read.  Once the queue has failed (@failing) nothing is good any more,
 * but the segment still belongs to its reads until they all completed.
 */
int nrtls_sf_seg_check(struct nrtls_seg *seg, bool failing)
{
	unsigned int i;

	lockdep_assert_held(&seg->sq->lock);
	if (!failing && nrtls_should_fail(NRTLS_FAULT_IO_ERROR))
		return -EIO;
	if (!failing && seg->err)
		return seg->err;
	for (i = seg->wait_idx; i < seg->nr_folios; i++) {
		struct folio *folio = nrtls_seg_folio(seg, i);

		if (folio_test_locked(folio)) {
			sf_wait_folio(seg, i);
			return 1;
		}
		if (failing)
			continue;
		/*
		 * Out of the page cache, or unlocked and not up to date.  The
		 * read may not have been ours, and readahead drops folios it
		 * skips without an error (FUSE's does when congested): read
		 * them ourselves once, as filemap_update_page() does.  A file
		 * truncated meanwhile fails the EOF check after that.
		 */
		if (READ_ONCE(folio->mapping) != seg->req->mapping ||
		    !folio_test_uptodate(folio))
			return sf_seg_retry(seg, folio) ? 1 : -EIO;
	}
	return failing ? 0 : nrtls_sf_seg_eof(seg);
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

/* Start reading a locked folio that is not up to date; unlocked when done. */
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

/*
 * The folio at @index for a read job: found, or created and read.  It may
 * still be under read.  NULL and *err on failure.
 */
static struct folio *job_folio(struct nrtls_req *req, pgoff_t index, int *err)
{
	struct address_space *mapping = req->mapping;
	struct folio *folio;

	folio = nrtls_folio_lookup(mapping, index);
	if (!folio) {
		if (!nrtls_should_fail(NRTLS_FAULT_FOLIO_ALLOC))
			folio = nrtls_folio_create(mapping, index);
		if (!folio) {
			*err = -ENOMEM;
			return NULL;
		}
		if (folio_test_uptodate(folio))
			folio_unlock(folio);
		else
			sf_read_folio(req, folio);
		return folio;
	}
	/* Not up to date and unlocked: a read failed before, or never ran. */
	if (!folio_test_uptodate(folio) && folio_trylock(folio)) {
		if (folio_test_uptodate(folio) || folio->mapping != mapping)
			folio_unlock(folio);
		else
			sf_read_folio(req, folio);
	}
	return folio;
}

/*
 * The read job of a FOLIO segment queued on a miss: readahead for it (and
 * on), then its folios, read where readahead did not bring them.  The
 * segment is the job's until nrtls_sq_io_done().
 */
static void sf_read_job(struct work_struct *work)
{
	struct nrtls_seg *seg = container_of(work, struct nrtls_seg, read_job.work);
	struct nrtls_req *req = seg->req;
	pgoff_t index = seg->pos >> PAGE_SHIFT;
	loff_t end = seg->pos + seg->len;
	struct owner_ctx c;
	struct blk_plug plug;
	unsigned int n = 0;
	int err = 0;

	trace_nrtls_sf_read(req->id, seg->pos, seg->len);
	job_enter(req, &c);
	blk_start_plug(&plug);
	if (!nrtls_should_fail(NRTLS_FAULT_READAHEAD))
		page_cache_sync_readahead(req->mapping, sf_ra(req), req->file,
					  index, sf_ra_pages(req));
	while (n < NRTLS_SEG_FOLIOS) {
		struct folio *folio = job_folio(req, index, &err);

		if (!folio)
			break;
		if (n)
			seg->more[n - 1] = folio;
		else
			seg->folio = folio;
		n++;
		nrtls_obj_inc(NRTLS_OBJ_FOLIO);
		if (folio_pos(folio) + folio_size(folio) >= end)
			break;
		index = folio_next_index(folio);
	}
	blk_finish_plug(&plug);
	job_leave(&c);
	seg->nr_folios = n;
	if (n) {
		struct folio *last = nrtls_seg_folio(seg, n - 1);

		seg->off = seg->pos - folio_pos(seg->folio);
		if (!err && folio_pos(last) + folio_size(last) < end)
			err = -EIO;
	}
	seg->err = err ?: (n ? 0 : -EIO);
	pool_done(&seg->read_job);
	nrtls_sq_io_done(seg);
}

/*
 * Find each bad folio of @seg again, locked, waiting for any read still
 * on it: the same folio, or a new one in place of a dropped one; read it
 * if it is not up to date.  Then the segment is checked once more, and a
 * folio still not good is an error.
 */
static void sf_retry_job(struct work_struct *work)
{
	struct nrtls_seg *seg = container_of(work, struct nrtls_seg, read_job.work);
	struct nrtls_req *req = seg->req;
	struct address_space *mapping = req->mapping;
	struct owner_ctx c;
	unsigned int i;

	trace_nrtls_sf_read(req->id, seg->pos, seg->len);
	job_enter(req, &c);
	for (i = seg->wait_idx; i < seg->nr_folios; i++) {
		struct folio *old = nrtls_seg_folio(seg, i), *folio = NULL;
		int err = -ENOMEM;

		if (READ_ONCE(old->mapping) == mapping &&
		    folio_test_uptodate(old))
			continue;
		if (!nrtls_should_fail(NRTLS_FAULT_RETRY_FOLIO))
			folio = nrtls_folio_create(mapping, old->index);
		/* A folio of another size now: the segment cannot use it. */
		if (folio && (folio->index != old->index ||
			      folio_size(folio) != folio_size(old))) {
			folio_unlock(folio);
			folio_put(folio);
			folio = NULL;
			err = -EIO;
		}
		if (!folio) {
			seg->err = err;
			break;
		}
		/* The invariant checker reads a waiting segment's folios. */
		mutex_lock(&seg->sq->lock);
		if (i)
			seg->more[i - 1] = folio;
		else
			seg->folio = folio;
		mutex_unlock(&seg->sq->lock);
		folio_put(old);
		if (folio_test_uptodate(folio))
			folio_unlock(folio);
		else
			sf_read_folio(req, folio);
	}
	job_leave(&c);
	pool_done(&seg->read_job);
	nrtls_sq_io_done(seg);
}

/*
 * Hand @seg, whose @folio is not good, to sf_retry_job(), unless it had
 * its retry (under sq->lock).
 */
static bool sf_seg_retry(struct nrtls_seg *seg, struct folio *folio)
{
	lockdep_assert_held(&seg->sq->lock);
	if (seg->retried)
		return false;
	seg->retried = true;
	nrtls_event(NRTLS_EV_SF_IO_RETRIES);
	trace_nrtls_sf_retry(seg->req->id, seg->pos, seg->len,
			     READ_ONCE(folio->mapping) != seg->req->mapping);
	INIT_WORK(&seg->read_job.work, sf_retry_job);
	/* The job's reference, dropped by nrtls_sq_io_done(). */
	refcount_inc(&seg->sq->ref);
	pool_queue(seg->sq, &seg->read_job);
	return true;
}

static void sf_buf_read(struct work_struct *work)
{
	struct nrtls_seg *seg = container_of(work, struct nrtls_seg, read_job.work);
	struct nrtls_req *req = seg->req;
	loff_t pos = seg->pos;
	struct owner_ctx c;
	ssize_t n;

	trace_nrtls_sf_read(req->id, seg->pos, seg->len);
	if (nrtls_should_fail(NRTLS_FAULT_FALLBACK_READ)) {
		seg->err = -EIO;
	} else {
		job_enter(req, &c);
		n = kernel_read(req->file, page_address(seg->page), seg->len,
				&pos);
		job_leave(&c);
		if (n != seg->len)
			seg->err = n < 0 ? n : -EIO;
	}
	pool_done(&seg->read_job);
	nrtls_sq_io_done(seg);
}

/* Link a not-ready segment and hand it to its read job. */
static void sf_queue_job(struct nrtls_sq *sq, struct nrtls_seg *seg,
			 work_func_t fn)
{
	nrtls_sq_link(sq, seg);
	nrtls_sq_io_start(sq, seg);
	seg->req->pos += seg->len;
	INIT_WORK(&seg->read_job.work, fn);
	/* The job's reference, dropped by nrtls_sq_io_done(). */
	refcount_inc(&sq->ref);
	nrtls_event(NRTLS_EV_SF_READ_JOBS);
	pool_queue(sq, &seg->read_job);
}

/* No ->read_folio: copy the data in on the read pool. */
static struct nrtls_seg *sf_buf_seg(struct nrtls_sq *sq, struct nrtls_req *req,
				    long want)
{
	struct nrtls_seg *seg;
	struct page *page = NULL;

	seg = nrtls_seg_alloc(req, NRTLS_SEG_BUF);
	if (!seg)
		return ERR_PTR(-ENOMEM);
	if (!nrtls_should_fail(NRTLS_FAULT_BUF_ALLOC))
		page = alloc_page(NRTLS_GFP);
	if (!page) {
		nrtls_seg_free(seg);
		return ERR_PTR(-ENOMEM);
	}
	nrtls_obj_inc(NRTLS_OBJ_PAGE);
	seg->page = page;
	seg->pos = req->pos;
	seg->len = min_t(loff_t, min_t(loff_t, PAGE_SIZE, want),
			 req->end - req->pos);
	nrtls_event(NRTLS_EV_SF_FALLBACK);
	sf_queue_job(sq, seg, sf_buf_read);
	return seg;
}

/* A miss: a segment of up to NRTLS_SEG_FOLIOS pages for a read job. */
static struct nrtls_seg *sf_miss_seg(struct nrtls_sq *sq, struct nrtls_req *req,
				     long want)
{
	loff_t span = NRTLS_SEG_FOLIOS * PAGE_SIZE - offset_in_page(req->pos);
	struct nrtls_seg *seg;

	seg = nrtls_seg_alloc(req, NRTLS_SEG_FOLIO);
	if (!seg)
		return ERR_PTR(-ENOMEM);
	seg->pos = req->pos;
	seg->len = min3((loff_t)want, req->end - req->pos, span);
	sf_queue_job(sq, seg, sf_read_job);
	return seg;
}

static void sf_ra_job(struct work_struct *work)
{
	struct nrtls_req *req = container_of(work, struct nrtls_req, ra_job.work);
	struct folio *folio = req->ra_folio;
	struct owner_ctx c;

	job_enter(req, &c);
	nrtls_async_readahead(req->mapping, sf_ra(req), req->file, folio,
			      sf_ra_pages(req));
	job_leave(&c);
	folio_put(folio);
	clear_bit(NRTLS_REQ_RA_QUEUED, &req->cmd_flags);
	pool_done(&req->ra_job);
	nrtls_req_put(req);
}

/* Readahead marker reached: keep readahead ahead of us, on the pool. */
static void sf_async_readahead(struct nrtls_req *req, struct folio *folio)
{
	if (!folio_test_readahead(folio) || !req->mapping->a_ops->read_folio ||
	    (req->flags & NRTLS_SF_NODISKIO) ||
	    test_and_set_bit(NRTLS_REQ_RA_QUEUED, &req->cmd_flags))
		return;
	folio_get(folio);
	req->ra_folio = folio;
	refcount_inc(&req->ref);
	pool_queue(req->sq, &req->ra_job);
}

/*
 * The run of folios in the page cache at the request's position, one
 * lookup for them all: ready if all are up to date, else waiting on the
 * first that is not.  NULL if there is none to take (a miss, or a folio
 * that needs a read); ERR_PTR(-EBUSY) for NODISKIO when it would wait.
 */
static struct nrtls_seg *sf_run_seg(struct nrtls_sq *sq, struct nrtls_req *req,
				    long want)
{
	struct address_space *mapping = req->mapping;
	loff_t end = min_t(loff_t, req->end, req->pos + want);
	pgoff_t index = req->pos >> PAGE_SHIFT;
	bool nodisk = req->flags & NRTLS_SF_NODISKIO;
	int wait = -1;
	struct folio_batch fbatch;
	struct nrtls_seg *seg;
	unsigned int i, nr;
	loff_t len;

	folio_batch_init(&fbatch);
	filemap_get_folios_contig(mapping, &index, (end - 1) >> PAGE_SHIFT,
				  &fbatch);
	for (nr = 0; nr < folio_batch_count(&fbatch) && nr < NRTLS_SEG_FOLIOS;
	     nr++) {
		struct folio *folio = fbatch.folios[nr];

		if (folio_test_uptodate(folio))
			continue;
		/*
		 * Under read by someone: wait for it; else it needs a read.
		 * Without ->read_folio a lock is no read: tmpfs's reads lock a
		 * folio that fallocate() made and leave it not up to date.
		 */
		if (nodisk || !folio_test_locked(folio) ||
		    !mapping->a_ops->read_folio)
			break;
		if (wait < 0)
			wait = nr;
	}
	seg = NULL;
	if (nr)
		seg = nrtls_seg_alloc(req, NRTLS_SEG_FOLIO);
	if (!seg) {
		folio_batch_release(&fbatch);
		/* None to take: the caller reads, or says EBUSY (NODISKIO). */
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
		sf_async_readahead(req, folio);
	}
	seg->folio = fbatch.folios[0];
	seg->nr_folios = nr;
	seg->off = req->pos - folio_pos(seg->folio);
	seg->pos = req->pos;
	len = folio_pos(fbatch.folios[nr - 1]) +
	      folio_size(fbatch.folios[nr - 1]);
	seg->len = min(len, end) - req->pos;
	seg->ready = wait < 0;
	nrtls_sq_link(sq, seg);
	req->pos += seg->len;
	if (!seg->ready) {
		nrtls_sq_io_start(sq, seg);
		sf_wait_folio(seg, wait);
	}
	return seg;
}

static struct nrtls_seg *sf_file_seg(struct nrtls_sq *sq, struct nrtls_req *req,
				     long want)
{
	struct address_space *mapping = req->mapping;
	struct inode *inode = mapping->host;
	struct nrtls_seg *seg;

	/* Truncated since the call: nothing past the new end goes out. */
	if (req->pos >= i_size_read(inode))
		return ERR_PTR(-EIO);
	/* 6.1's hugetlbfs: memory, but not to be looked up by our index. */
	if (nrtls_file_huge_index(req->file))
		return sf_buf_seg(sq, req, want);
	if (!IS_DAX(inode)) {
		seg = sf_run_seg(sq, req, want);
		if (seg)
			return seg;
	}
	if (req->flags & NRTLS_SF_NODISKIO)
		return ERR_PTR(-EBUSY);
	if (!mapping->a_ops->read_folio || IS_DAX(inode))
		return sf_buf_seg(sq, req, want);
	return sf_miss_seg(sq, req, want);
}

/* Queue up to @budget more bytes of @req (under sq->lock). */
int nrtls_sf_fill(struct nrtls_sq *sq, struct nrtls_req *req, long budget)
{
	u64 ready = 0, notready = 0;
	u32 hdr = 0;
	long n = 0;

	lockdep_assert_held(&sq->lock);
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

/* --- the ioctl ----------------------------------------------------------- */

long nrtls_sf_ioctl(unsigned int cmd, void __user *uarg)
{
	struct nrtls_sendfile a;
	struct nrtls_req *req;
	struct nrtls_sq *sq;
	struct file *put;
	long timeo, ret;
	int err;

	if (_IOC_SIZE(cmd) < offsetofend(struct nrtls_sendfile, reserved))
		return -EINVAL;
	err = copy_struct_from_user(&a, sizeof(a), uarg, _IOC_SIZE(cmd));
	if (err)
		return err;
	req = nrtls_sf_req_new(&a, NULL);
	if (IS_ERR(req))
		return PTR_ERR(req);
	timeo = sock_sndtimeo(sock_from_file(req->sockfile)->sk, false);
	err = nrtls_sf_req_submit(req, false);
	if (err < 0) {
		nrtls_req_put(req);
		return err;
	}
	sq = req->sq;

	ret = wait_event_interruptible_timeout(req->wait,
					       READ_ONCE(req->notified), timeo);
	if (ret <= 0) {
		/* Signal or SO_SNDTIMEO: keep what is queued, stop the rest. */
		put = NULL;
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
	/* Its CPUs are settable like the push workqueue's (WQ_SYSFS). */
	/* Each user's share is io_workers: room for many users at once. */
	io_wq = alloc_workqueue("nrtls_io", WQ_UNBOUND | WQ_SYSFS, 0);
	return io_wq ? 0 : -ENOMEM;
}

void nrtls_sf_exit(void)
{
	destroy_workqueue(io_wq);
}
