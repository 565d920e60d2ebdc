// SPDX-License-Identifier: GPL-2.0
/*
 * BPF kfuncs: XDP and TC programs look up the context of a flow and must
 * release it; the verifier enforces the release (KF_ACQUIRE/KF_RELEASE),
 * so a program can never leak a context reference.  TC programs on a
 * wrapper (lag.c) also steer flows: they read its lowers and record on a
 * context which lower must carry the flow (KF_TRUSTED_ARGS: only a
 * context the program holds a reference on).
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
#include "lag.h"

/* A TC program's netns: its packet's device's, or its socket's. */
static struct net *skb_net(struct __sk_buff *skb_ctx)
{
	struct sk_buff *skb = (struct sk_buff *)skb_ctx;

	if (skb->dev)
		return dev_net(skb->dev);
	return skb->sk ? sock_net(skb->sk) : NULL;
}

/* The largest flow struct a program may pass: room to grow, a bounded scan. */
#define KFUNC_FLOW_MAX	256

static struct nrtls_ctx *kfunc_lookup(struct net *net,
				      const struct nrtls_flow *flow,
				      u32 flow__sz)
{
	struct nrtls_ctx *ctx;

	nrtls_event(NRTLS_EV_BPF_LOOKUP);
	/*
	 * The verifier passes a map value it was not told is there (NULL),
	 * and ties no size to a struct's field passed for @flow.  A newer
	 * program's larger struct: the part we do not know is zero.
	 */
	if (!net || !flow || flow__sz < sizeof(*flow) ||
	    flow__sz > KFUNC_FLOW_MAX ||
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
 * @flow__sz: its size: sizeof(struct nrtls_flow), or more with a zero tail,
 *	up to 256 bytes
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
 * @flow__sz: its size: sizeof(struct nrtls_flow), or more with a zero tail,
 *	up to 256 bytes
 *
 * Return: the context, to be released with nrtls_ctx_release(), or NULL.
 */
__bpf_kfunc struct nrtls_ctx *
nrtls_skb_ctx_lookup(struct __sk_buff *skb_ctx, struct nrtls_flow *flow,
		     u32 flow__sz)
{
	return kfunc_lookup(skb_net(skb_ctx), flow, flow__sz);
}

static struct nrtls_ctx *kfunc_lookup_cookie(struct net *net, u64 cookie,
					     u32 type)
{
	struct nrtls_ctx *ctx;

	nrtls_event(NRTLS_EV_BPF_LOOKUP);
	if (!net)
		return NULL;
	ctx = nrtls_ctx_lookup_cookie(net, cookie, type);
	if (ctx)
		nrtls_event(NRTLS_EV_BPF_HIT);
	return ctx;
}

/**
 * nrtls_xdp_ctx_lookup_cookie - find a socket's context by its cookie
 * @xdp_ctx: the program's context; the lookup is in its device's netns
 * @cookie: the socket's cookie (SO_COOKIE, bpf_get_socket_cookie())
 * @type: NRTLS_CTX_TLS_TX or NRTLS_CTX_TLS_RX
 *
 * Contexts that devices and the wrapper make for a kTLS socket have one.
 *
 * Return: the context, to be released with nrtls_ctx_release(), or NULL.
 */
__bpf_kfunc struct nrtls_ctx *
nrtls_xdp_ctx_lookup_cookie(struct xdp_md *xdp_ctx, u64 cookie, u32 type)
{
	struct xdp_buff *xdp = (struct xdp_buff *)xdp_ctx;

	return kfunc_lookup_cookie(dev_net(xdp->rxq->dev), cookie, type);
}

/**
 * nrtls_skb_ctx_lookup_cookie - as nrtls_xdp_ctx_lookup_cookie(), for TC
 * @skb_ctx: the program's context
 * @cookie: the socket's cookie
 * @type: NRTLS_CTX_TLS_TX or NRTLS_CTX_TLS_RX
 *
 * Return: the context, to be released with nrtls_ctx_release(), or NULL.
 */
__bpf_kfunc struct nrtls_ctx *
nrtls_skb_ctx_lookup_cookie(struct __sk_buff *skb_ctx, u64 cookie, u32 type)
{
	return kfunc_lookup_cookie(skb_net(skb_ctx), cookie, type);
}

/**
 * nrtls_ctx_release - drop a reference taken by a lookup
 * @ctx: the context
 */
__bpf_kfunc void nrtls_ctx_release(struct nrtls_ctx *ctx)
{
	nrtls_ctx_put(ctx);
}

/**
 * nrtls_ctx_home - where a wrapper context's flow is offloaded now
 * @ctx: a context the program holds
 *
 * Return: the lower's ifindex, 0 if none (software, or not placed yet),
 * -EINVAL if @ctx is not a wrapper's.
 */
__bpf_kfunc int nrtls_ctx_home(struct nrtls_ctx *ctx)
{
	return nrtls_lag_ctx_home(ctx);
}

/**
 * nrtls_ctx_lower - the context a wrapper context's flow has on its lower
 * @ctx: a context the program holds
 *
 * Lookups find the wrapper's context of a flow offloaded through a
 * wrapper; the context on the lower NIC is reached from it.
 *
 * Return: that context, to be released with nrtls_ctx_release(), or NULL:
 * @ctx is not a wrapper's, or its flow is not offloaded on a lower now.
 */
__bpf_kfunc struct nrtls_ctx *nrtls_ctx_lower(struct nrtls_ctx *ctx)
{
	return nrtls_lag_ctx_lower(ctx);
}

/**
 * nrtls_ctx_steered - the steering decision recorded on a wrapper context
 * @ctx: a context the program holds
 *
 * Return: the lower's ifindex, 0 if none, -EINVAL if not a wrapper's.
 */
__bpf_kfunc int nrtls_ctx_steered(struct nrtls_ctx *ctx)
{
	return nrtls_lag_ctx_steered(ctx);
}

/**
 * nrtls_ctx_cpu - the CPU that owns a context's flow
 * @ctx: a context the program holds
 *
 * That is the CPU its creator ran on: for a socket's context, the task
 * that set up TLS on it or created the context with the ioctl.  An XDP
 * program sends the flow's packets there through a cpumap, so that they
 * are received where the reader runs.
 *
 * Return: the CPU number.
 */
__bpf_kfunc u32 nrtls_ctx_cpu(struct nrtls_ctx *ctx)
{
	return ctx->cpu;
}

/**
 * nrtls_ctx_steer - record which lower must carry a wrapper context's flow
 * @ctx: a context the program holds
 * @ifindex: an open lower of the context's wrapper (up, with carrier,
 *	not drained), or 0 for its hash
 *
 * The wrapper sends the flow's packets there from the next one on,
 * offloaded where it was until its context on the new lower is made.
 *
 * Return: 0, -EINVAL if @ctx is not a wrapper's, -ENODEV if @ifindex is
 * not an open lower of it.
 */
__bpf_kfunc int nrtls_ctx_steer(struct nrtls_ctx *ctx, u32 ifindex)
{
	int err = nrtls_lag_ctx_steer(ctx, ifindex);

	nrtls_event(err ? NRTLS_EV_BPF_STEER_ERR : NRTLS_EV_BPF_STEER);
	return err;
}

/**
 * nrtls_skb_lag_lower - an open lower of the wrapper a packet leaves by
 * @skb_ctx: the program's context, on the wrapper's egress
 * @i: 0 for the first open lower (up, with carrier, not drained), 1 for
 *	the next, ...
 *
 * Return: its ifindex; -ENOENT past the last one, -ENODEV if the packet's
 * device is not a wrapper.
 */
__bpf_kfunc int nrtls_skb_lag_lower(struct __sk_buff *skb_ctx, u32 i)
{
	return nrtls_lag_lower(((struct sk_buff *)skb_ctx)->dev, i);
}

/**
 * nrtls_skb_lag_contexts - the load of a lower, for least-loaded policies
 * @skb_ctx: the program's context, on the wrapper's egress
 * @ifindex: an open lower of it
 *
 * Return: how many of the wrapper's flows are offloaded on it, or
 * -ENODEV if it is not an open lower.
 */
__bpf_kfunc int nrtls_skb_lag_contexts(struct __sk_buff *skb_ctx, u32 ifindex)
{
	return nrtls_lag_lower_contexts(((struct sk_buff *)skb_ctx)->dev,
					ifindex);
}

__bpf_kfunc_end_defs();

/*
 * XDP: the look-ups by xdp_md only.  Each look-up reads its argument as
 * its own program type's context; given another type's, the verifier
 * checks no more than a plain struct (xdp_md is all scalars: a TC program
 * could pass any memory, or NULL), or refuses it for a reason that is no
 * promise (__sk_buff holds pointers).
 */
BTF_KFUNCS_START(nrtls_kfunc_ids)
BTF_ID_FLAGS(func, nrtls_xdp_ctx_lookup, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, nrtls_xdp_ctx_lookup_cookie, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, nrtls_ctx_release, KF_RELEASE)
BTF_ID_FLAGS(func, nrtls_ctx_home, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, nrtls_ctx_lower, KF_ACQUIRE | KF_RET_NULL | KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, nrtls_ctx_steered, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, nrtls_ctx_cpu, KF_TRUSTED_ARGS)
BTF_KFUNCS_END(nrtls_kfunc_ids)

static const struct btf_kfunc_id_set nrtls_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &nrtls_kfunc_ids,
};

/*
 * TC: the look-ups by __sk_buff, the rest as for XDP, and steering, only
 * where a packet leaves by a wrapper.  One set per program type: 6.1 takes
 * a module's set for a type once.
 */
BTF_KFUNCS_START(nrtls_tc_kfunc_ids)
BTF_ID_FLAGS(func, nrtls_skb_ctx_lookup, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, nrtls_skb_ctx_lookup_cookie, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, nrtls_ctx_release, KF_RELEASE)
BTF_ID_FLAGS(func, nrtls_ctx_home, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, nrtls_ctx_lower, KF_ACQUIRE | KF_RET_NULL | KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, nrtls_ctx_steered, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, nrtls_ctx_cpu, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, nrtls_ctx_steer, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, nrtls_skb_lag_lower)
BTF_ID_FLAGS(func, nrtls_skb_lag_contexts)
BTF_KFUNCS_END(nrtls_tc_kfunc_ids)

static const struct btf_kfunc_id_set nrtls_tc_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &nrtls_tc_kfunc_ids,
};

int nrtls_kfunc_init(void)
{
	int err;

	err = register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &nrtls_kfunc_set);
	if (!err)
		err = register_btf_kfunc_id_set(BPF_PROG_TYPE_SCHED_CLS,
						&nrtls_tc_kfunc_set);
	return err;
}
