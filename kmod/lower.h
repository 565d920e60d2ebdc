/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_LOWER_H
#define _NRTLS_LOWER_H

#include <linux/netdevice.h>
#include <net/tls.h>

#include "ctx.h"

struct netlink_ext_ack;
struct nlattr;

/*
 * The contract between the wrapper and the driver of the devices below it
 * (nrtls_nic.ko), which registers these at load: nrtls.ko never imports a
 * symbol from it.  A driver's ops are called under RTNL or RCU, on one of
 * its own devices (@is_ours), and only while registered.
 */
struct nrtls_lower_ops {
	bool (*is_ours)(const struct net_device *dev);
	/* Whether @dev takes a TLS TX flow now. */
	bool (*can_offload)(const struct net_device *dev);
	/* A context on @dev for a flow the wrapper re-homes (under RTNL). */
	struct nrtls_ctx *(*ctx_alloc)(struct net_device *dev,
				       const struct nrtls_ctx_params *p,
				       gfp_t gfp);
	/* A packet of @ctx's flow, with @dev's queue 0 lock held. */
	netdev_tx_t (*xmit_ctx)(struct net_device *dev, struct sk_buff *skb,
				struct nrtls_ctx *ctx);
	bool (*ring_full)(const struct net_device *dev);
};

int nrtls_lower_register(const struct nrtls_lower_ops *ops);
void nrtls_lower_unregister(const struct nrtls_lower_ops *ops);
/* The ops for @dev, or NULL; under RCU (BH) or RTNL. */
const struct nrtls_lower_ops *nrtls_lower_ops_of(const struct net_device *dev);

/* For both kinds of device, and their drivers. */
int nrtls_link_validate_addr(struct nlattr *tb[],
			     struct netlink_ext_ack *extack);
struct nrtls_ctx *nrtls_tls_ctx(struct sk_buff *skb,
				const struct net_device *dev);
bool nrtls_tls_encrypted_for(const struct sk_buff *skb,
			     const struct net_device *dev);
bool nrtls_tls_offloadable(const struct tls_crypto_info *ci);
void nrtls_tls_attach(struct sock *sk, struct nrtls_ctx *ctx);
bool nrtls_tls_detach(struct tls_context *tls_ctx,
		      enum tls_offload_ctx_dir direction);
int nrtls_tls_dev_resync(struct net_device *dev, struct sock *sk, u32 seq,
			 u8 *rcd_sn, enum tls_offload_ctx_dir direction);

/* Whether any of @dev's TX queues is stopped. */
static inline bool nrtls_txq_any_stopped(struct net_device *dev)
{
	unsigned int i;

	for (i = 0; i < dev->real_num_tx_queues; i++)
		if (netif_tx_queue_stopped(netdev_get_tx_queue(dev, i)))
			return true;
	return false;
}

#endif /* _NRTLS_LOWER_H */
