// SPDX-License-Identifier: GPL-2.0
/*
 * nrtls_nic: the emulated kTLS-offload NIC pair (link kind "nrtls"), a
 * module of its own beside nrtls.ko, the way netdevsim sits beside the
 * stack.  It uses nrtls.ko's contexts, counters and fault sites; the
 * wrapper in nrtls.ko reaches it only through the ops registered here.
 */
#include <linux/module.h>
#include <net/rtnetlink.h>

#include "link.h"
#include "lower.h"
#include "nic.h"
#include "version.h"

static int __init nrtls_nic_init(void)
{
	int err;

	err = nrtls_nic_ring_cache_init();
	if (err)
		return err;
	err = rtnl_link_register(&nrtls_link_ops);
	if (err)
		goto err_cache;
	err = nrtls_lower_register(&nrtls_nic_lower_ops);
	if (err)
		goto err_link;
	return 0;

err_link:
	rtnl_link_unregister(&nrtls_link_ops);
err_cache:
	nrtls_nic_ring_cache_exit();
	return err;
}

/*
 * The wrapper stops using the NICs first; then every NIC goes (its
 * contexts are detached from it, which runs their ->free here, while this
 * module is still loaded), and its descriptors with it.
 */
static void __exit nrtls_nic_exit(void)
{
	nrtls_lower_unregister(&nrtls_nic_lower_ops);
	rtnl_link_unregister(&nrtls_link_ops);
	nrtls_nic_ring_cache_exit();
}

module_init(nrtls_nic_init);
module_exit(nrtls_nic_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nrtls's emulated kTLS-offload NIC (mlx5 and cxgb4 personalities)");
MODULE_VERSION(NRTLS_VERSION);
MODULE_IMPORT_NS(NRTLS);
