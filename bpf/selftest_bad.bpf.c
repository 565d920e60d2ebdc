// SPDX-License-Identifier: GPL-2.0
/*
 * Programs the verifier must reject: each breaks the acquire/release
 * contract of the nrtls kfuncs in one way.  The selftest loads them one at
 * a time and checks the verifier's reason.
 */
#include "vmlinux.h"
#include "nrtls_kfuncs.h"

/* Takes a reference and never releases it. */
SEC("xdp")
int leak(struct xdp_md *xdp)
{
	struct nrtls_flow flow = {};
	struct nrtls_ctx *ctx;

	ctx = nrtls_xdp_ctx_lookup(xdp, &flow, sizeof(flow));
	if (ctx)
		return ctx->id ? XDP_DROP : XDP_PASS;
	return XDP_PASS;
}

/* Reads the context after releasing it. */
SEC("xdp")
int use_after_release(struct xdp_md *xdp)
{
	struct nrtls_flow flow = {};
	struct nrtls_ctx *ctx;

	ctx = nrtls_xdp_ctx_lookup(xdp, &flow, sizeof(flow));
	if (!ctx)
		return XDP_PASS;
	nrtls_ctx_release(ctx);
	return ctx->id ? XDP_DROP : XDP_PASS;
}

/* Dereferences the result without checking it for NULL. */
SEC("xdp")
int no_null_check(struct xdp_md *xdp)
{
	struct nrtls_flow flow = {};
	struct nrtls_ctx *ctx;
	int ret;

	ctx = nrtls_xdp_ctx_lookup(xdp, &flow, sizeof(flow));
	ret = ctx->id ? XDP_DROP : XDP_PASS;
	if (ctx)
		nrtls_ctx_release(ctx);
	return ret;
}

/* Releases the same reference twice. */
SEC("tc")
int double_release(struct __sk_buff *skb)
{
	struct nrtls_flow flow = {};
	struct nrtls_ctx *ctx;

	ctx = nrtls_skb_ctx_lookup(skb, &flow, sizeof(flow));
	if (!ctx)
		return 0;
	nrtls_ctx_release(ctx);
	nrtls_ctx_release(ctx);
	return 0;
}

/* Steers a context after releasing it. */
SEC("tc")
int steer_after_release(struct __sk_buff *skb)
{
	struct nrtls_flow flow = {};
	struct nrtls_ctx *ctx;

	ctx = nrtls_skb_ctx_lookup(skb, &flow, sizeof(flow));
	if (!ctx)
		return 0;
	nrtls_ctx_release(ctx);
	return nrtls_ctx_steer(ctx, 1);
}

/* Steers what the lookup returned without checking it for NULL. */
SEC("tc")
int steer_no_null_check(struct __sk_buff *skb)
{
	struct nrtls_flow flow = {};
	struct nrtls_ctx *ctx;
	int ret;

	ctx = nrtls_skb_ctx_lookup(skb, &flow, sizeof(flow));
	ret = nrtls_ctx_steer(ctx, 1);
	if (ctx)
		nrtls_ctx_release(ctx);
	return ret;
}

/* Steering is for TC on a wrapper's egress, not XDP. */
SEC("xdp")
int steer_from_xdp(struct xdp_md *xdp)
{
	struct nrtls_flow flow = {};
	struct nrtls_ctx *ctx;
	int ret;

	ctx = nrtls_xdp_ctx_lookup(xdp, &flow, sizeof(flow));
	if (!ctx)
		return XDP_PASS;
	ret = nrtls_ctx_steer(ctx, 1);
	nrtls_ctx_release(ctx);
	return ret ? XDP_DROP : XDP_PASS;
}

/* Reads a context's CPU after releasing it. */
SEC("xdp")
int cpu_after_release(struct xdp_md *xdp)
{
	struct nrtls_flow flow = {};
	struct nrtls_ctx *ctx;

	ctx = nrtls_xdp_ctx_lookup(xdp, &flow, sizeof(flow));
	if (!ctx)
		return XDP_PASS;
	nrtls_ctx_release(ctx);
	return nrtls_ctx_cpu(ctx) ? XDP_DROP : XDP_PASS;
}

/* Reads the CPU of what the lookup returned without checking it for NULL. */
SEC("xdp")
int cpu_no_null_check(struct xdp_md *xdp)
{
	struct nrtls_flow flow = {};
	struct nrtls_ctx *ctx;
	__u32 cpu;

	ctx = nrtls_xdp_ctx_lookup(xdp, &flow, sizeof(flow));
	cpu = nrtls_ctx_cpu(ctx);
	if (ctx)
		nrtls_ctx_release(ctx);
	return cpu ? XDP_DROP : XDP_PASS;
}

/* Keeps what a lookup by cookie returned. */
SEC("xdp")
int cookie_leak(struct xdp_md *xdp)
{
	struct nrtls_ctx *ctx = nrtls_xdp_ctx_lookup_cookie(xdp, 1, 1);

	return ctx ? XDP_DROP : XDP_PASS;
}

/* Releases the wrapper's context but keeps its lower's. */
SEC("tc")
int lower_leak(struct __sk_buff *skb)
{
	struct nrtls_flow flow = {};
	struct nrtls_ctx *ctx, *lower;

	ctx = nrtls_skb_ctx_lookup(skb, &flow, sizeof(flow));
	if (!ctx)
		return 0;
	lower = nrtls_ctx_lower(ctx);
	nrtls_ctx_release(ctx);
	return lower ? 1 : 0;
}

/* Asks for the lower of a context already released. */
SEC("xdp")
int lower_after_release(struct xdp_md *xdp)
{
	struct nrtls_flow flow = {};
	struct nrtls_ctx *ctx, *lower;

	ctx = nrtls_xdp_ctx_lookup(xdp, &flow, sizeof(flow));
	if (!ctx)
		return XDP_PASS;
	nrtls_ctx_release(ctx);
	lower = nrtls_ctx_lower(ctx);
	if (lower)
		nrtls_ctx_release(lower);
	return XDP_PASS;
}

/* Reads the lower's id without checking it for NULL. */
SEC("xdp")
int lower_no_null_check(struct xdp_md *xdp)
{
	struct nrtls_flow flow = {};
	struct nrtls_ctx *ctx, *lower;
	__u32 id;

	ctx = nrtls_xdp_ctx_lookup(xdp, &flow, sizeof(flow));
	if (!ctx)
		return XDP_PASS;
	lower = nrtls_ctx_lower(ctx);
	id = lower->id;
	if (lower)
		nrtls_ctx_release(lower);
	nrtls_ctx_release(ctx);
	return id ? XDP_DROP : XDP_PASS;
}

/*
 * The XDP look-ups from TC, with memory that is no xdp_md (here none):
 * not TC's kfuncs.
 */
SEC("tc")
int xdp_lookup_from_tc(struct __sk_buff *skb)
{
	struct nrtls_flow flow = {};
	struct nrtls_ctx *ctx;

	ctx = nrtls_xdp_ctx_lookup(NULL, &flow, sizeof(flow));
	if (ctx)
		nrtls_ctx_release(ctx);
	return 0;
}

SEC("tc")
int xdp_cookie_lookup_from_tc(struct __sk_buff *skb)
{
	struct nrtls_ctx *ctx;

	ctx = nrtls_xdp_ctx_lookup_cookie(NULL, 1, 1);
	if (ctx)
		nrtls_ctx_release(ctx);
	return 0;
}

/*
 * And the other way: the TC look-ups from XDP, with memory that is no
 * __sk_buff (here none), which they would read as an sk_buff.
 */
SEC("xdp")
int skb_lookup_from_xdp(struct xdp_md *xdp)
{
	struct nrtls_flow flow = {};
	struct nrtls_ctx *ctx;

	ctx = nrtls_skb_ctx_lookup(NULL, &flow, sizeof(flow));
	if (ctx)
		nrtls_ctx_release(ctx);
	return XDP_PASS;
}

SEC("xdp")
int skb_cookie_lookup_from_xdp(struct xdp_md *xdp)
{
	struct nrtls_ctx *ctx;

	ctx = nrtls_skb_ctx_lookup_cookie(NULL, 1, 1);
	if (ctx)
		nrtls_ctx_release(ctx);
	return XDP_PASS;
}

/* Reads just past the context, where its device keeps its own state. */
SEC("xdp")
int read_past_ctx(struct xdp_md *xdp)
{
	struct nrtls_flow flow = {};
	struct nrtls_ctx *ctx;
	__u64 v;

	ctx = nrtls_xdp_ctx_lookup(xdp, &flow, sizeof(flow));
	if (!ctx)
		return XDP_PASS;
	v = *(__u64 *)((char *)ctx + sizeof(*ctx) + 8);
	nrtls_ctx_release(ctx);
	return v ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
