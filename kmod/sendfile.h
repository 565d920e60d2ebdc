/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_SENDFILE_H
#define _NRTLS_SENDFILE_H

#include <linux/types.h>

#include "uapi/linux/nrtls.h"

struct file;
struct io_uring_cmd;
struct nrtls_req;
struct nrtls_sq;

/*
 * A request for @a, checked, with its references and header copied in;
 * for @ucmd (io_uring) or the ioctl (NULL).  Submitted by
 * nrtls_sf_req_submit(): 1 if the result is known now (req->result; for
 * io_uring, the CQE is the caller's to post), 0 if it comes later,
 * -errno if it never reached a queue.
 */
struct nrtls_req *nrtls_sf_req_new(const struct nrtls_sendfile *a,
				   struct io_uring_cmd *ucmd);
int nrtls_sf_req_submit(struct nrtls_req *req, bool trylock);
long nrtls_sf_ioctl(unsigned int cmd, void __user *uarg);
int nrtls_sf_init(void);
void nrtls_sf_exit(void);

#endif /* _NRTLS_SENDFILE_H */
