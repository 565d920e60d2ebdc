// SPDX-License-Identifier: GPL-2.0
/*
 * A policy of your own, the README's example: on a wrapper's egress, flows
 * whose local port is even go by its first usable lower, odd ones by the
 * second.  Decisions stick: a flow that has one is left alone.  Built like
 * any program against the nrtls kfuncs (here from the module's vmlinux.h;
 * nrtls_steer.bpf.c shows the UAPI-only way); nrtls_lag's tests attach it.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include "nrtls_kfuncs.h"
#include "nrtls_flow.bpf.h"

#define TC_ACT_UNSPEC (-1)

SEC("tc")
int steer_by_port(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct nrtls_flow flow;
	struct nrtls_pkt pkt;
	struct nrtls_ctx *ctx;
	int lower;

	if (nrtls_flow_parse_pkt(data, data_end, &flow, &pkt))
		return TC_ACT_UNSPEC;
	ctx = nrtls_skb_ctx_lookup(skb, &flow, sizeof(flow));
	if (!ctx)
		return TC_ACT_UNSPEC;
	if (nrtls_ctx_steered(ctx) == 0) {
		lower = nrtls_skb_lag_lower(skb, bpf_ntohs(flow.sport) & 1);
		if (lower > 0)
			nrtls_ctx_steer(ctx, lower);
	}
	nrtls_ctx_release(ctx);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
