/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fill a struct nrtls_flow from an IPv4/IPv6 TCP or UDP packet, as it is
 * seen on the wire (source = sender).  Returns 0, or -1 for anything else.
 */
#ifndef NRTLS_FLOW_BPF_H
#define NRTLS_FLOW_BPF_H

#include <bpf/bpf_endian.h>

#ifndef ETH_P_IP
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#endif
#ifndef AF_INET
#define AF_INET 2
#define AF_INET6 10
#endif

static __always_inline int nrtls_flow_parse(void *data, void *data_end,
					    struct nrtls_flow *flow)
{
	struct ethhdr *eth = data;
	struct udphdr *l4;
	__u8 proto;

	__builtin_memset(flow, 0, sizeof(*flow));
	if ((void *)(eth + 1) > data_end)
		return -1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->ihl != 5)
			return -1;
		proto = ip->protocol;
		flow->family = AF_INET;
		flow->saddr[0] = ip->saddr;
		flow->daddr[0] = ip->daddr;
		l4 = (void *)(ip + 1);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		proto = ip6->nexthdr;
		flow->family = AF_INET6;
		__builtin_memcpy(flow->saddr, &ip6->saddr, 16);
		__builtin_memcpy(flow->daddr, &ip6->daddr, 16);
		l4 = (void *)(ip6 + 1);
	} else {
		return -1;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -1;
	/* Source and destination ports sit at the same offsets in both. */
	if ((void *)(l4 + 1) > data_end)
		return -1;
	flow->protocol = proto;
	flow->sport = l4->source;
	flow->dport = l4->dest;
	return 0;
}

#endif /* NRTLS_FLOW_BPF_H */
