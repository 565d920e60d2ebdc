/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_LINK_H
#define _NRTLS_LINK_H

#include <net/rtnetlink.h>

extern struct rtnl_link_ops nrtls_link_ops;

#endif /* _NRTLS_LINK_H */
