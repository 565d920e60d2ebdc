// SPDX-License-Identifier: GPL-2.0
/*
 * nrtls_steer: TC egress on a wrapper (nrtls_lag).  For each packet of a
 * flow offloaded through the wrapper, decide which lower carries it and
 * record that on the flow's context; the wrapper honours the decision and
 * moves the flow (make before break: it stays offloaded throughout).
 *
 * Decisions stick: a flow keeps its lower while that lower is open
 * (usable and not drained).  A flow without one gets one by the policy
 * chosen at load: hash of the 4-tuple, least-loaded (the lower with the
 * fewest offloaded flows, not counting this one), or the rules map (peer
 * prefix and port), falling back to the hash.  The kfuncs list open lowers
 * only: a drained lower ("nrtlsctl drain", in the wrapper) gets no flow,
 * and the wrapper moves the flows on it itself.
 *
 * Packets are never changed or dropped here.  Like nrtls_rx, built from
 * UAPI headers so that nrtlsctl runs on any kernel.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/nrtls.h>
#include <bpf/bpf_helpers.h>

/* Opaque here; see nrtls_rx.bpf.c for why it is a struct. */
struct nrtls_ctx {
	__u32 id;
};

#include "nrtls_kfuncs.h"
#include "nrtls_flow.bpf.h"
#include "nrtls_steer.h"

/* enum nrtls_steer_policy; set before load. */
const volatile __u32 policy;

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NRTLS_STEER_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct nrtls_steer_key);
	__type(value, __u32);		/* ifindex of a lower */
} nrtls_steer_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NRTLS_STEER_NSTATS);
	__type(key, __u32);
	__type(value, __u64);
} nrtls_steer_stats SEC(".maps");

static __always_inline void stat_inc(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&nrtls_steer_stats, &i);

	if (v)
		*v += 1;
}

/* The rule for the flow's peer and port, then for its peer, or 0. */
static __always_inline __u32 rule(const struct nrtls_flow *f)
{
	struct nrtls_steer_key key = {
		.prefixlen = 16 + 128,
	};
	__u32 *ifindex;

	__builtin_memcpy(key.port, &f->dport, 2);
	if (f->family == AF_INET) {
		key.addr[10] = 0xff;
		key.addr[11] = 0xff;
		__builtin_memcpy(&key.addr[12], &f->daddr[0], 4);
	} else {
		__builtin_memcpy(key.addr, f->daddr, 16);
	}
	ifindex = bpf_map_lookup_elem(&nrtls_steer_rules, &key);
	if (!ifindex) {
		key.port[0] = 0;
		key.port[1] = 0;
		ifindex = bpf_map_lookup_elem(&nrtls_steer_rules, &key);
	}
	return ifindex ? *ifindex : 0;
}

/* Whether @ifindex is an open lower of the wrapper. */
static __always_inline bool candidate(struct __sk_buff *skb, int ifindex)
{
	return ifindex > 0 && nrtls_skb_lag_contexts(skb, ifindex) >= 0;
}

/*
 * A lower for a flow that has none it may keep; 0 if none is usable.  The
 * lowers are read again at each pass, not kept in an array: the verifier
 * takes a variable index into the stack badly, and they may change
 * between passes anyway (then 0, and the next packet decides).
 */
static __always_inline __u32 decide(struct __sk_buff *skb,
				    const struct nrtls_flow *f, int home)
{
	__u32 n = 0, k, i, best = 0;
	int load, best_load = 0x7fffffff;
	int ifindex;

	if (policy == NRTLS_STEER_MAP) {
		ifindex = rule(f);
		if (candidate(skb, ifindex))
			return ifindex;
	}
	if (policy == NRTLS_STEER_LEAST_LOADED) {
		for (i = 0; i < NRTLS_STEER_LOWERS_MAX; i++) {
			ifindex = nrtls_skb_lag_lower(skb, i);
			if (ifindex <= 0)
				break;
			load = nrtls_skb_lag_contexts(skb, ifindex);
			if (load < 0)
				continue;
			/* Not this flow itself; on a tie, where it is. */
			if (ifindex == home)
				load--;
			if (load < best_load ||
			    (load == best_load && ifindex == home)) {
				best_load = load;
				best = ifindex;
			}
		}
		return best;
	}

	for (i = 0; i < NRTLS_STEER_LOWERS_MAX; i++) {
		if (nrtls_skb_lag_lower(skb, i) <= 0)
			break;
		n++;
	}
	if (!n)
		return 0;
	k = nrtls_steer_hash(f) % n;
	ifindex = nrtls_skb_lag_lower(skb, k);
	return ifindex > 0 ? ifindex : 0;
}

SEC("tc")
int nrtls_steer(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct nrtls_flow flow;
	struct nrtls_pkt pkt;
	struct nrtls_ctx *ctx;
	int cur, home;
	__u32 want;

	if (nrtls_flow_parse_pkt(data, data_end, &flow, &pkt) ||
	    flow.protocol != IPPROTO_TCP)
		return TC_ACT_UNSPEC;
	stat_inc(NRTLS_STEER_PACKETS);
	ctx = nrtls_skb_ctx_lookup(skb, &flow, sizeof(flow));
	if (!ctx)
		return TC_ACT_UNSPEC;
	stat_inc(NRTLS_STEER_OFFLOADED);

	cur = nrtls_ctx_steered(ctx);
	/* Sticky, while open. */
	if (candidate(skb, cur))
		goto out;
	if (cur < 0)		/* not a wrapper's context */
		goto out;
	home = nrtls_ctx_home(ctx);
	want = decide(skb, &flow, home);
	if (!want) {
		stat_inc(NRTLS_STEER_NO_LOWER);
		goto out;
	}
	if (nrtls_ctx_steer(ctx, want))
		stat_inc(NRTLS_STEER_ERRORS);
	else
		stat_inc(NRTLS_STEER_DECISIONS);
out:
	nrtls_ctx_release(ctx);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
