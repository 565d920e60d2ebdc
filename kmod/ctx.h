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
struct seq_file;
struct sock;
struct tls_crypto_info;

/*
 * What a device is asked for when it allocates a context (FreeBSD's
 * if_snd_tag_alloc parameters).  For TLS TX: the session's keys, and,
 * when @synced, where the first record starts (TCP sequence @tcp_seq, the
 * record numbered by @crypto's rec_seq).  Without it the device finds its
 * place from kTLS's record list at the first packet (a resync).
 */
struct nrtls_ctx_params {
	struct nrtls_flow flow;
	const struct tls_crypto_info *crypto;
	u32 tcp_seq;
	bool synced;
};

/*
 * What a device provides for its contexts (FreeBSD's snd_tag_sw).
 * @free releases the device's state exactly once: when the last reference
 * goes, or earlier when the device unregisters; it runs before the
 * context drops its device, like snd_tag_free before if_rele, may run in
 * softirq context, and must not free the context itself.  @show appends
 * the device's view of the context to its line in the listing; it runs
 * under RCU and may race with @free on another CPU (a device unregistering
 * at that moment), so it reads what @free tears down under the lock @free
 * takes.  The ops may live in another module: one that goes away
 * unregisters its devices first, which frees their contexts' state, and
 * its text outlives any @show still inside it by a grace period.  A
 * detached context's ops are never touched again: they may be gone.
 */
struct nrtls_ctx_ops {
	void (*free)(struct nrtls_ctx *ctx);
	void (*show)(struct nrtls_ctx *ctx, struct seq_file *m);
};

/*
 * A refcounted per-flow offload context, the Linux form of FreeBSD's
 * m_snd_tag.  It holds its net device from creation until the last
 * reference is dropped or the device unregisters, whichever is first.
 *
 * Lookups (by flow, from BPF and from the stack) run under RCU and take a
 * reference with refcount_inc_not_zero(); memory is freed after a grace
 * period.  BPF programs read the fields below through BTF.
 *
 * @mode changes only through nrtls_ctx_set_mode(), along the transitions
 * it allows (seed 002: a flow's mode is visible and moves only in defined
 * ways).
 */
struct nrtls_ctx {
	refcount_t ref;
	u32 id;
	u32 ifindex;		/* of the device it was created on */
	char ifname[IFNAMSIZ];	/* its name then */
	u8 type;		/* enum nrtls_ctx_type */
	u8 mode;		/* enum nrtls_ctx_mode */
	u32 cpu;		/* where its creator ran: the flow's owner */
	struct nrtls_flow flow;
	u64 cookie;		/* of its socket (SO_COOKIE), 0 if none */

	/* private to ctx.c */
	unsigned long flags;
	struct net_device *dev;	/* NULL once detached */
	netdevice_tracker dev_tracker;
	possible_net_t net;
	struct nrtls_quota *quota;	/* charged one context, or NULL */
	const struct nrtls_ctx_ops *ops;
	struct hlist_node hnode;
	struct hlist_node cnode;	/* by cookie, when it has one */
	struct rcu_head rcu;
};

/*
 * The device's per-context state, after the context.  Not a member: BTF
 * lets a BPF program that holds a context read any offset of a trailing
 * integer array, and so the memory beyond it.
 */
#define NRTLS_CTX_PRIV_OFF	ALIGN(sizeof(struct nrtls_ctx), 8)

static inline void *nrtls_ctx_priv(struct nrtls_ctx *ctx)
{
	return (void *)ctx + NRTLS_CTX_PRIV_OFF;
}

struct nrtls_ctx *nrtls_ctx_alloc(struct net_device *dev,
				  const struct nrtls_flow *flow,
				  enum nrtls_ctx_type type,
				  const struct nrtls_ctx_ops *ops,
				  size_t priv_size, gfp_t gfp);
int nrtls_ctx_charge_caller(struct nrtls_ctx *ctx);
int nrtls_ctx_publish(struct nrtls_ctx *ctx);
void nrtls_ctx_unpublish(struct nrtls_ctx *ctx);
struct nrtls_ctx *nrtls_ctx_lookup(struct net *net,
				   const struct nrtls_flow *flow);
void nrtls_ctx_set_sock(struct nrtls_ctx *ctx, struct sock *sk);
struct nrtls_ctx *nrtls_ctx_lookup_cookie(struct net *net, u64 cookie,
					  u32 type);
struct nrtls_ctx *nrtls_ctx_create_plain(struct net *net, u32 ifindex,
					 const struct nrtls_flow *flow);
int nrtls_ctx_validate_flow(const struct nrtls_flow *flow);
void nrtls_ctx_flow_of_sk(const struct sock *sk, struct nrtls_flow *flow);
int nrtls_ctx_set_mode(struct nrtls_ctx *ctx, enum nrtls_ctx_mode mode);
bool nrtls_ctx_on_dev(const struct nrtls_ctx *ctx,
		      const struct net_device *dev);

static inline struct nrtls_ctx *nrtls_ctx_get(struct nrtls_ctx *ctx)
{
	refcount_inc(&ctx->ref);
	return ctx;
}

/* A reference, unless the context is already on its way out. */
static inline struct nrtls_ctx *nrtls_ctx_tryget(struct nrtls_ctx *ctx)
{
	return refcount_inc_not_zero(&ctx->ref) ? ctx : NULL;
}

void nrtls_ctx_put(struct nrtls_ctx *ctx);

int nrtls_ctx_init(struct dentry *dir);
void nrtls_ctx_exit(void);

#endif /* _NRTLS_CTX_H */
