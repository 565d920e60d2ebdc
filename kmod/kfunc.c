// SPDX-License-Identifier: GPL-2.0
/*
 * BPF kfuncs: XDP and TC programs look up the context of a flow and must
 * release it; the verifier enforces the release (KF_ACQUIRE/KF_RELEASE),
 * so a program can never leak a context reference.
 */
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/skbuff.h>
#include <linux/string.h>
#include <net/sock.h>
#include <net/xdp.h>

#include "compat.h"
#include "counters.h"
#include "ctx.h"
#include "kfunc.h"

static struct nrtls_ctx *kfunc_lookup(struct net *net,
				      const struct nrtls_flow *flow,
				      u32 flow__sz)
{
	struct nrtls_ctx *ctx;

	nrtls_event(NRTLS_EV_BPF_LOOKUP);
	/* A newer program's larger struct: the part we do not know is zero. */
	if (!net || flow__sz < sizeof(*flow) ||
	    memchr_inv((const u8 *)flow + sizeof(*flow), 0,
		       flow__sz - sizeof(*flow)))
		return NULL;
	ctx = nrtls_ctx_lookup(net, flow);
	if (ctx)
		nrtls_event(NRTLS_EV_BPF_HIT);
	return ctx;
}

__bpf_kfunc_start_defs();

/**
 * nrtls_xdp_ctx_lookup - find the context of a flow and take a reference
 * @xdp_ctx: the program's context; the lookup is in its device's netns
 * @flow: the flow, all padding zero
 * @flow__sz: its size: sizeof(struct nrtls_flow), or more with a zero tail
 *
 * Return: the context, to be released with nrtls_ctx_release(), or NULL.
 */
__bpf_kfunc struct nrtls_ctx *
nrtls_xdp_ctx_lookup(struct xdp_md *xdp_ctx, struct nrtls_flow *flow,
		     u32 flow__sz)
{
	struct xdp_buff *xdp = (struct xdp_buff *)xdp_ctx;

	return kfunc_lookup(dev_net(xdp->rxq->dev), flow, flow__sz);
}

/**
 * nrtls_skb_ctx_lookup - as nrtls_xdp_ctx_lookup(), for TC programs
 * @skb_ctx: the program's context
 * @flow: the flow, all padding zero
 * @flow__sz: its size: sizeof(struct nrtls_flow), or more with a zero tail
 *
 * Return: the context, to be released with nrtls_ctx_release(), or NULL.
 */
__bpf_kfunc struct nrtls_ctx *
nrtls_skb_ctx_lookup(struct __sk_buff *skb_ctx, struct nrtls_flow *flow,
		     u32 flow__sz)
{
	struct sk_buff *skb = (struct sk_buff *)skb_ctx;
	struct net *net = NULL;

	if (skb->dev)
		net = dev_net(skb->dev);
	else if (skb->sk)
		net = sock_net(skb->sk);
	return kfunc_lookup(net, flow, flow__sz);
}

/**
 * nrtls_ctx_release - drop a reference taken by a lookup
 * @ctx: the context
 */
__bpf_kfunc void nrtls_ctx_release(struct nrtls_ctx *ctx)
{
	nrtls_ctx_put(ctx);
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(nrtls_kfunc_ids)
BTF_ID_FLAGS(func, nrtls_xdp_ctx_lookup, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, nrtls_skb_ctx_lookup, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, nrtls_ctx_release, KF_RELEASE)
BTF_KFUNCS_END(nrtls_kfunc_ids)

static const struct btf_kfunc_id_set nrtls_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &nrtls_kfunc_ids,
};

int nrtls_kfunc_init(void)
{
	int err;

	err = register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &nrtls_kfunc_set);
	if (!err)
		err = register_btf_kfunc_id_set(BPF_PROG_TYPE_SCHED_CLS,
						&nrtls_kfunc_set);
	return err;
}
