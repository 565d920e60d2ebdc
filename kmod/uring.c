// SPDX-License-Identifier: GPL-2.0
/*
 * IORING_OP_URING_CMD on /dev/nrtls: the asynchronous sendfile as an
 * io_uring request.  The CQE is posted from the submitting task's context
 * (task work) once the request is queued, or sent with NRTLS_SF_WAIT_SENT.
 */
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "fault.h"
#include "sendfile.h"
#include "sockq.h"
#include "uring.h"

/* The request rides in the command's driver area until its CQE is posted. */
static struct nrtls_req **uring_pdu(struct io_uring_cmd *ucmd)
{
	BUILD_BUG_ON(sizeof(struct nrtls_req *) > sizeof(ucmd->pdu));
	return (struct nrtls_req **)ucmd->pdu;
}

static void uring_done(struct io_uring_cmd *ucmd, unsigned int issue_flags)
{
	struct nrtls_req *req = *uring_pdu(ucmd);

	io_uring_cmd_done(ucmd, req->result, 0, issue_flags);
	/* The caller's reference, which the command carried. */
	nrtls_req_put(req);
}

void nrtls_uring_complete(struct nrtls_req *req)
{
	*uring_pdu(req->ucmd) = req;
	io_uring_cmd_complete_in_task(req->ucmd, uring_done);
}

int nrtls_uring_cmd(struct io_uring_cmd *ucmd, unsigned int issue_flags)
{
	const struct nrtls_uring_cmd *pl = nrtls_uring_payload(ucmd);
	struct nrtls_sendfile a;
	struct nrtls_req *req;
	struct nrtls_sq *sq;
	struct file *put = NULL;
	u64 addr;
	u32 size;
	int ret;

	if (ucmd->cmd_op != NRTLS_URING_SENDFILE)
		return -EOPNOTSUPP;
	addr = READ_ONCE(pl->addr);
	size = READ_ONCE(pl->size);
	if (READ_ONCE(pl->flags))
		return -EINVAL;
	if (size < offsetofend(struct nrtls_sendfile, reserved))
		return -EINVAL;
	if (nrtls_should_fail(NRTLS_FAULT_URING_COPYIN))
		return -EFAULT;
	ret = copy_struct_from_user(&a, sizeof(a), u64_to_user_ptr(addr), size);
	if (ret)
		return ret;

	req = nrtls_sf_submit(&a, ucmd, a.flags & NRTLS_SF_NOWAIT, &sq, &put);
	if (IS_ERR(req))
		return PTR_ERR(req);
	if (req->notified) {
		ret = req->result;
		mutex_unlock(&sq->lock);
		nrtls_req_put(req);
	} else {
		/* From now on the worker posts the CQE (nrtls_uring_complete). */
		ret = -EIOCBQUEUED;
		mutex_unlock(&sq->lock);
	}
	if (put)
		fput(put);
	nrtls_sq_put(sq);
	return ret;
}
