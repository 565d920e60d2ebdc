/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_URING_H
#define _NRTLS_URING_H

#include <linux/types.h>

struct io_uring_cmd;
struct nrtls_req;

int nrtls_uring_cmd(struct io_uring_cmd *ucmd, unsigned int issue_flags);
/*
 * The right to post @req's CQE, taken once: by the queue delivering its
 * result, by the issue path, or by a cancellation.  Whoever takes it posts
 * the CQE and then drops the command's reference.
 */
bool nrtls_uring_claim(struct nrtls_req *req);
/* Post the claimed CQE (req->result) from task work. */
void nrtls_uring_complete(struct nrtls_req *req);
/*
 * Whether io_uring went away under a command it cannot cancel itself (6.1:
 * the task exits or the ring is torn down).  Under sq->lock, with the CQE
 * not claimed yet.
 */
bool nrtls_uring_gone(struct nrtls_req *req);

#endif /* _NRTLS_URING_H */
