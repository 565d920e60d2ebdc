/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_URING_H
#define _NRTLS_URING_H

struct io_uring_cmd;
struct nrtls_req;

int nrtls_uring_cmd(struct io_uring_cmd *ucmd, unsigned int issue_flags);
/* Post the CQE of a request (from any process context, under sq->lock). */
void nrtls_uring_complete(struct nrtls_req *req);

#endif /* _NRTLS_URING_H */
