/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_CTX_H
#define _NRTLS_CTX_H

#include <linux/netdevice.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/types.h>

#include "uapi/linux/nrtls.h"

struct dentry;
struct nrtls_ctx;

/*
 * What a device (or the core, for plain contexts) provides for its
 * contexts.  @free releases the device's state once the last reference is
 * gone; it runs before the context drops its device, like FreeBSD's
 * snd_tag_free before if_rele, and must not free the context itself.
 */
struct nrtls_ctx_ops {
	void (*free)(struct nrtls_ctx *ctx);
};

/*
 * A refcounted per-flow offload context, the Linux form of FreeBSD's
 * m_snd_tag.  It holds its net device from creation until the last
 * reference is dropped or the device unregisters, whichever is first.
 *
 * Lookups (by flow, from BPF and from the stack) run under RCU and take a
 * reference with refcount_inc_not_zero(); memory is freed after a grace
 * period.  BPF programs read the fields below through BTF.
 */
struct nrtls_ctx {
	refcount_t ref;
	u32 id;
	u32 ifindex;		/* of the device it was created on */
	u8 type;		/* enum nrtls_ctx_type */
	u8 mode;		/* enum nrtls_ctx_mode */
	struct nrtls_flow flow;

	/* private to ctx.c */
	unsigned long flags;
	struct net_device *dev;	/* NULL once detached */
	netdevice_tracker dev_tracker;
	possible_net_t net;
	const struct nrtls_ctx_ops *ops;
	struct hlist_node hnode;
	struct rcu_head rcu;
	u8 priv[] __aligned(8);	/* the device's per-context state */
};

struct nrtls_ctx *nrtls_ctx_alloc(struct net_device *dev,
				  const struct nrtls_flow *flow,
				  enum nrtls_ctx_type type,
				  const struct nrtls_ctx_ops *ops,
				  size_t priv_size, gfp_t gfp);
int nrtls_ctx_publish(struct nrtls_ctx *ctx);
void nrtls_ctx_unpublish(struct nrtls_ctx *ctx);
struct nrtls_ctx *nrtls_ctx_lookup(struct net *net,
				   const struct nrtls_flow *flow);
struct nrtls_ctx *nrtls_ctx_create_plain(struct net *net, u32 ifindex,
					 const struct nrtls_flow *flow);
int nrtls_ctx_validate_flow(const struct nrtls_flow *flow);

static inline struct nrtls_ctx *nrtls_ctx_get(struct nrtls_ctx *ctx)
{
	refcount_inc(&ctx->ref);
	return ctx;
}

void nrtls_ctx_put(struct nrtls_ctx *ctx);

int nrtls_ctx_init(struct dentry *dir);
void nrtls_ctx_exit(void);

#endif /* _NRTLS_CTX_H */
