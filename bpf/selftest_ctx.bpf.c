// SPDX-License-Identifier: GPL-2.0
/*
 * Selftest programs: look up the context of every TCP/UDP packet through
 * the module's kfuncs, count what they find, release it.  tc_steer_probe
 * calls the steering kfuncs the ways they must refuse, and keeps what
 * they return; tc_cookie_probe looks contexts up by socket cookie.
 */
#include "vmlinux.h"
#include "nrtls_kfuncs.h"
#include "nrtls_flow.bpf.h"

__u64 packets;
__u64 hits;
__u32 last_id;
__u32 last_ifindex;
__u32 last_type;
__u64 big_hits;		/* a larger flow struct, zero tail */
__u64 bad_tail_hits;	/* ...with a non-zero tail: never found */

static __always_inline void seen(struct nrtls_ctx *ctx)
{
	__sync_fetch_and_add(&hits, 1);
	last_id = ctx->id;
	last_ifindex = ctx->ifindex;
	last_type = ctx->type;
}

SEC("xdp")
int xdp_lookup(struct xdp_md *xdp)
{
	struct nrtls_flow flow;
	struct nrtls_ctx *ctx;

	if (nrtls_flow_parse((void *)(long)xdp->data,
			     (void *)(long)xdp->data_end, &flow))
		return XDP_PASS;
	__sync_fetch_and_add(&packets, 1);
	ctx = nrtls_xdp_ctx_lookup(xdp, &flow, sizeof(flow));
	if (!ctx)
		return XDP_PASS;
	seen(ctx);
	nrtls_ctx_release(ctx);
	return XDP_PASS;
}

SEC("tc")
int tc_lookup(struct __sk_buff *skb)
{
	struct nrtls_flow flow;
	struct nrtls_ctx *ctx;

	if (nrtls_flow_parse((void *)(long)skb->data,
			     (void *)(long)skb->data_end, &flow))
		return 0; /* TC_ACT_OK */
	__sync_fetch_and_add(&packets, 1);
	ctx = nrtls_skb_ctx_lookup(skb, &flow, sizeof(flow));
	if (!ctx)
		return 0;
	seen(ctx);
	nrtls_ctx_release(ctx);
	return 0;
}

/* A program built against a newer, larger struct nrtls_flow. */
struct flow_v2 {
	struct nrtls_flow flow;
	__u64 tail;
};

SEC("xdp")
int xdp_lookup_sizes(struct xdp_md *xdp)
{
	struct flow_v2 big = {};
	struct nrtls_ctx *ctx;

	if (nrtls_flow_parse((void *)(long)xdp->data,
			     (void *)(long)xdp->data_end, &big.flow))
		return XDP_PASS;
	__sync_fetch_and_add(&packets, 1);
	ctx = nrtls_xdp_ctx_lookup(xdp, &big.flow, sizeof(big));
	if (ctx) {
		seen(ctx);
		__sync_fetch_and_add(&big_hits, 1);
		nrtls_ctx_release(ctx);
	}
	big.tail = 1;
	ctx = nrtls_xdp_ctx_lookup(xdp, &big.flow, sizeof(big));
	if (ctx) {
		__sync_fetch_and_add(&bad_tail_hits, 1);
		nrtls_ctx_release(ctx);
	}
	return XDP_PASS;
}

/*
 * The flow from a map value the program never checked for NULL: the
 * verifier lets a maybe-NULL pointer through as sized memory.  The map is
 * always empty, so the look-ups get NULL, and must find nothing.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flow_v2);
} no_flows SEC(".maps");

__u64 null_flow_runs, null_flow_hits;

SEC("xdp")
int xdp_lookup_null_flow(struct xdp_md *xdp)
{
	struct nrtls_ctx *ctx;
	struct flow_v2 *f;
	__u32 k = 0;

	f = bpf_map_lookup_elem(&no_flows, &k);
	__sync_fetch_and_add(&null_flow_runs, 1);
	ctx = nrtls_xdp_ctx_lookup(xdp, (struct nrtls_flow *)f, sizeof(f->flow));
	if (ctx) {
		__sync_fetch_and_add(&null_flow_hits, 1);
		nrtls_ctx_release(ctx);
	}
	return XDP_PASS;
}

SEC("tc")
int tc_lookup_null_flow(struct __sk_buff *skb)
{
	struct nrtls_ctx *ctx;
	struct flow_v2 *f;
	__u32 k = 0;

	f = bpf_map_lookup_elem(&no_flows, &k);
	__sync_fetch_and_add(&null_flow_runs, 1);
	/* Larger than the module's struct: its tail would be read first. */
	ctx = nrtls_skb_ctx_lookup(skb, (struct nrtls_flow *)f, sizeof(*f));
	if (ctx) {
		__sync_fetch_and_add(&null_flow_hits, 1);
		nrtls_ctx_release(ctx);
	}
	return 0;
}

__u32 probe_bad_ifindex;	/* set by the test: not a lower */
__u64 probe_ctx_packets;
int probe_lower0, probe_lower_past, probe_contexts_bad;
int probe_steered, probe_home, probe_steer_bad, probe_steer_zero;
/* What nrtls_ctx_lower() gave: the last lower context, or none. */
__u32 probe_lower_id, probe_lower_ifindex, probe_lower_type;
int probe_lower_home;
__u64 probe_lower_none, probe_lower_nested;

SEC("tc")
int tc_steer_probe(struct __sk_buff *skb)
{
	struct nrtls_ctx *ctx, *lower, *nested;
	struct nrtls_flow flow;

	if (nrtls_flow_parse((void *)(long)skb->data,
			     (void *)(long)skb->data_end, &flow))
		return 0;
	__sync_fetch_and_add(&packets, 1);
	probe_lower0 = nrtls_skb_lag_lower(skb, 0);
	probe_lower_past = nrtls_skb_lag_lower(skb, 7);
	probe_contexts_bad = nrtls_skb_lag_contexts(skb, probe_bad_ifindex);
	ctx = nrtls_skb_ctx_lookup(skb, &flow, sizeof(flow));
	if (!ctx)
		return 0;
	probe_steered = nrtls_ctx_steered(ctx);
	probe_home = nrtls_ctx_home(ctx);
	lower = nrtls_ctx_lower(ctx);
	if (lower) {
		probe_lower_id = lower->id;
		probe_lower_ifindex = lower->ifindex;
		probe_lower_type = lower->type;
		probe_lower_home = nrtls_ctx_home(lower);
		nested = nrtls_ctx_lower(lower);
		if (nested) {
			__sync_fetch_and_add(&probe_lower_nested, 1);
			nrtls_ctx_release(nested);
		}
		nrtls_ctx_release(lower);
	} else {
		__sync_fetch_and_add(&probe_lower_none, 1);
	}
	probe_steer_bad = nrtls_ctx_steer(ctx, probe_bad_ifindex);
	probe_steer_zero = nrtls_ctx_steer(ctx, 0);
	nrtls_ctx_release(ctx);
	__sync_fetch_and_add(&probe_ctx_packets, 1);
	return 0;
}

/* Packets of the socket whose cookie is want_cookie, and of the others. */
__u64 want_cookie;
__u64 cookie_packets, cookie_hits, cookie_same, cookie_rx_hits;
__u32 cookie_tx_id, cookie_rx_id;	/* the contexts found, by type */
__u64 other_packets, other_hits;

SEC("tc")
int tc_cookie_probe(struct __sk_buff *skb)
{
	__u64 cookie = bpf_get_socket_cookie(skb);
	struct nrtls_ctx *ctx, *by_flow;
	struct nrtls_flow flow;

	if (!cookie || nrtls_flow_parse((void *)(long)skb->data,
					(void *)(long)skb->data_end, &flow))
		return 0;
	ctx = nrtls_skb_ctx_lookup_cookie(skb, cookie, 1 /* NRTLS_CTX_TLS_TX */);
	if (cookie != want_cookie) {
		__sync_fetch_and_add(&other_packets, 1);
		if (ctx) {
			__sync_fetch_and_add(&other_hits, 1);
			nrtls_ctx_release(ctx);
		}
		return 0;
	}
	__sync_fetch_and_add(&cookie_packets, 1);
	if (ctx) {
		__sync_fetch_and_add(&cookie_hits, 1);
		cookie_tx_id = ctx->id;
		by_flow = nrtls_skb_ctx_lookup(skb, &flow, sizeof(flow));
		if (by_flow) {
			if (by_flow->id == ctx->id)
				__sync_fetch_and_add(&cookie_same, 1);
			nrtls_ctx_release(by_flow);
		}
		nrtls_ctx_release(ctx);
	}
	ctx = nrtls_skb_ctx_lookup_cookie(skb, cookie, 2 /* NRTLS_CTX_TLS_RX */);
	if (ctx) {
		__sync_fetch_and_add(&cookie_rx_hits, 1);
		cookie_rx_id = ctx->id;
		nrtls_ctx_release(ctx);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
