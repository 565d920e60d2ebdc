/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_SENDFILE_H
#define _NRTLS_SENDFILE_H

#include <linux/types.h>

#include "uapi/linux/nrtls.h"

struct file;
struct io_uring_cmd;
struct nrtls_req;
struct nrtls_sq;

struct nrtls_req *nrtls_sf_submit(const struct nrtls_sendfile *a,
				  struct io_uring_cmd *ucmd, bool nowait,
				  struct nrtls_sq **sqp, struct file **putp);
long nrtls_sf_ioctl(unsigned int cmd, void __user *uarg);
int nrtls_sf_init(void);
void nrtls_sf_exit(void);

#endif /* _NRTLS_SENDFILE_H */
