/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_LINK_H
#define _NRTLS_LINK_H

#include <net/rtnetlink.h>

extern struct rtnl_link_ops nrtls_link_ops;

int nrtls_link_validate_addr(struct nlattr *tb[],
			     struct netlink_ext_ack *extack);
int nrtls_link_init(void);
void nrtls_link_exit(void);

#endif /* _NRTLS_LINK_H */
