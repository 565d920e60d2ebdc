// SPDX-License-Identifier: GPL-2.0
/*
 * IORING_OP_URING_CMD on /dev/nrtls: the asynchronous sendfile as an
 * io_uring request.  The CQE is posted once the request is queued (or
 * sent, with NRTLS_SF_WAIT_SENT): by the issue path when that is already
 * so, else from the submitting task's context (task work).
 *
 * Issued without blocking (IO_URING_F_NONBLOCK), a command never sleeps on
 * its socket's queue lock (it is handed to the holder) and never reads a
 * file (read jobs do).  Its result always goes through io_uring_cmd_done()
 * and -EIOCBQUEUED, so that io_uring never issues it a second time (an
 * inline -EAGAIN would).  Commands are cancelable: on 6.12 io_uring calls
 * back with IO_URING_F_CANCEL; on 6.1 the queue's worker notices that the
 * task or the ring went away.
 */
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "fault.h"
#include "sendfile.h"
#include "sockq.h"
#include "uring.h"

/* The request rides in the command's driver area until its CQE. */
static struct nrtls_req **uring_pdu(struct io_uring_cmd *ucmd)
{
	BUILD_BUG_ON(sizeof(struct nrtls_req *) > sizeof(ucmd->pdu));
	return (struct nrtls_req **)ucmd->pdu;
}

bool nrtls_uring_claim(struct nrtls_req *req)
{
	return !test_and_set_bit(NRTLS_REQ_CQE_CLAIMED, &req->cmd_flags);
}

static void uring_done(struct io_uring_cmd *ucmd, unsigned int issue_flags)
{
	struct nrtls_req *req = *uring_pdu(ucmd);

	io_uring_cmd_done(ucmd, req->result, 0, issue_flags);
	nrtls_req_put(req);
}

void nrtls_uring_complete(struct nrtls_req *req)
{
	io_uring_cmd_complete_in_task(req->ucmd, uring_done);
}

bool nrtls_uring_gone(struct nrtls_req *req)
{
	return nrtls_uring_cmd_orphaned(req->ucmd);
}

/* 6.12: io_uring cancels the command (task exit, ring teardown, cancel). */
static void uring_cancel(struct io_uring_cmd *ucmd, unsigned int issue_flags)
{
	struct nrtls_req *req = *uring_pdu(ucmd);

	/* Lost: the queue's result is on its way to the CQ. */
	if (!nrtls_uring_claim(req))
		return;
	io_uring_cmd_done(ucmd, -ECANCELED, 0, issue_flags);
	nrtls_req_cancel(req);
	nrtls_req_put(req);
}

int nrtls_uring_cmd(struct io_uring_cmd *ucmd, unsigned int issue_flags)
{
	const struct nrtls_uring_cmd *pl = nrtls_uring_payload(ucmd);
	struct nrtls_sendfile a;
	struct nrtls_req *req;
	u64 addr;
	u32 size;
	int ret;

	if (issue_flags & NRTLS_URING_F_CANCEL) {
		uring_cancel(ucmd, issue_flags);
		return 0;
	}
	if (ucmd->cmd_op != NRTLS_URING_SENDFILE)
		return -EOPNOTSUPP;
	addr = READ_ONCE(pl->addr);
	size = READ_ONCE(pl->size);
	if (READ_ONCE(pl->flags))
		return -EINVAL;
	if (size < offsetofend(struct nrtls_sendfile, reserved))
		return -EINVAL;
	/* A larger struct's tail must be zero: do not scan gigabytes for it. */
	if (size > PAGE_SIZE)
		return -E2BIG;
	if (nrtls_should_fail(NRTLS_FAULT_URING_COPYIN))
		return -EFAULT;
	ret = copy_struct_from_user(&a, sizeof(a), u64_to_user_ptr(addr), size);
	if (ret)
		return ret;

	req = nrtls_sf_req_new(&a, ucmd);
	if (IS_ERR(req))
		return PTR_ERR(req);
	*uring_pdu(ucmd) = req;
	nrtls_uring_mark_cancelable(ucmd, issue_flags);
	ret = nrtls_sf_req_submit(req, issue_flags & IO_URING_F_NONBLOCK);
	if (ret < 0) {
		if (nrtls_uring_claim(req)) {
			io_uring_cmd_done(ucmd, ret, 0, issue_flags);
			nrtls_req_put(req);
		}
	} else if (ret > 0) {
		io_uring_cmd_done(ucmd, req->result, 0, issue_flags);
		nrtls_req_put(req);
	}
	nrtls_req_put(req);	/* the issuer's */
	return -EIOCBQUEUED;
}
