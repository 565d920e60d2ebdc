// SPDX-License-Identifier: GPL-2.0
/*
 * nrtls: FreeBSD's not-ready sendfile, kernel-TLS ownership rules and
 * refcounted NIC offload contexts, for Linux.  This file only wires the
 * parts together.
 */
#include <linux/debugfs.h>
#include <linux/module.h>

#include "counters.h"
#include "ctx.h"
#include "dev.h"
#include "fault.h"
#include "kfunc.h"
#include "lag.h"
#include "quota.h"
#include "sendfile.h"
#include "sockq.h"
#include "version.h"

static struct dentry *nrtls_debugfs;

static int __init nrtls_init(void)
{
	int err;

	nrtls_debugfs = debugfs_create_dir("nrtls", NULL);
	nrtls_counters_init(nrtls_debugfs);
	nrtls_fault_init(nrtls_debugfs);
	nrtls_quota_init(nrtls_debugfs);

	err = nrtls_ctx_init(nrtls_debugfs);
	if (err)
		goto err_debugfs;
	err = nrtls_sockq_init(nrtls_debugfs);
	if (err)
		goto err_ctx;
	err = nrtls_sf_init();
	if (err)
		goto err_sockq;
	/* Registered kfunc sets go away with the module's BTF. */
	err = nrtls_kfunc_init();
	if (err)
		goto err_sf;
	err = nrtls_lag_init();
	if (err)
		goto err_sf;
	err = nrtls_dev_init();
	if (err)
		goto err_lag;
	pr_info("nrtls " NRTLS_VERSION " loaded\n");
	return 0;

err_lag:
	nrtls_lag_exit();
err_sf:
	nrtls_sf_exit();
err_sockq:
	nrtls_sockq_exit();
err_ctx:
	nrtls_ctx_exit();
err_debugfs:
	debugfs_remove_recursive(nrtls_debugfs);
	return err;
}

static void __exit nrtls_exit(void)
{
	nrtls_dev_exit();
	nrtls_lag_exit();
	nrtls_sf_exit();
	nrtls_sockq_exit();
	nrtls_ctx_exit();
	nrtls_quota_exit();
	debugfs_remove_recursive(nrtls_debugfs);
}

module_init(nrtls_init);
module_exit(nrtls_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Not-ready sendfile, kTLS ownership and refcounted offload contexts");
MODULE_VERSION(NRTLS_VERSION);
