/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_FAULT_H
#define _NRTLS_FAULT_H

#include <linux/types.h>

struct dentry;

/*
 * Named fault-injection sites: every allocation or I/O step whose failure
 * has an error path gets one, so the test suite can run that path.
 */
enum nrtls_fault_site {
	NRTLS_FAULT_CTX_ALLOC,
	NRTLS_FAULT_CTX_ID,
	NRTLS_FAULT_NR,
};

bool nrtls_should_fail(enum nrtls_fault_site site);
void nrtls_fault_init(struct dentry *dir);

#endif /* _NRTLS_FAULT_H */
