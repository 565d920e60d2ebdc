/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fill a struct nrtls_flow from an IPv4/IPv6 TCP or UDP packet, as it is
 * seen on the wire (source = sender), and say where its payload is.
 *
 * Handled: Ethernet with up to two VLAN tags (802.1Q, 802.1ad), IPv4 with
 * options, IPv6 with up to NRTLS_IPV6_EXT_MAX extension headers (hop-by-hop,
 * routing, destination options, fragment, AH), TCP with options.  Not
 * flows: non-first fragments (no ports), ESP, anything else.
 */
#ifndef NRTLS_FLOW_BPF_H
#define NRTLS_FLOW_BPF_H

#include <bpf/bpf_endian.h>

#ifndef ETH_P_IP
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#endif
#ifndef ETH_P_8021Q
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#endif
#ifndef AF_INET
#define AF_INET 2
#define AF_INET6 10
#endif

/* uapi/linux/in6.h has these as macros, which vmlinux.h cannot carry. */
#ifndef IPPROTO_HOPOPTS
#define IPPROTO_HOPOPTS 0
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_DSTOPTS 60
#endif

#define NRTLS_IPV6_EXT_MAX 8

/* Where a parsed packet's transport payload is (offsets from data). */
struct nrtls_pkt {
	__u32 payload_off;
	__u32 payload_len;	/* from the IP length: link padding excluded */
	__u32 seq;		/* TCP only, host order */
	__u8 tcp_flags;		/* TCP only: FIN 0x01, SYN 0x02, RST 0x04, ... */
};

struct nrtls_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct nrtls_ipv6_opt_hdr {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct nrtls_ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

static __always_inline int nrtls_flow_parse_pkt(void *data, void *data_end,
						struct nrtls_flow *flow,
						struct nrtls_pkt *pkt)
{
	struct ethhdr *eth = data;
	__u32 off = sizeof(*eth), l4len;
	__be16 proto;
	__u8 l4proto;
	int i;

	__builtin_memset(flow, 0, sizeof(*flow));
	__builtin_memset(pkt, 0, sizeof(*pkt));
	if ((void *)(eth + 1) > data_end)
		return -1;
	proto = eth->h_proto;
	for (i = 0; i < 2; i++) {
		struct nrtls_vlan_hdr *vlan = data + off;

		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vlan + 1) > data_end)
			return -1;
		proto = vlan->proto;
		off += sizeof(*vlan);
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + off;
		__u32 ihl, tot;

		if ((void *)(ip + 1) > data_end)
			return -1;
		ihl = ip->ihl * 4;
		tot = bpf_ntohs(ip->tot_len);
		/* Fragments after the first carry no transport header. */
		if (ihl < sizeof(*ip) || tot < ihl ||
		    (ip->frag_off & bpf_htons(0x1fff)))
			return -1;
		l4proto = ip->protocol;
		flow->family = AF_INET;
		flow->saddr[0] = ip->saddr;
		flow->daddr[0] = ip->daddr;
		off += ihl;
		l4len = tot - ihl;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + off;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		l4proto = ip6->nexthdr;
		l4len = bpf_ntohs(ip6->payload_len);
		flow->family = AF_INET6;
		__builtin_memcpy(flow->saddr, &ip6->saddr, 16);
		__builtin_memcpy(flow->daddr, &ip6->daddr, 16);
		off += sizeof(*ip6);
		for (i = 0; i < NRTLS_IPV6_EXT_MAX; i++) {
			struct nrtls_ipv6_opt_hdr *opt;
			__u32 len;

			off &= 0xffff;	/* bounded, for the verifier */
			opt = data + off;
			if (l4proto != IPPROTO_HOPOPTS &&
			    l4proto != IPPROTO_ROUTING &&
			    l4proto != IPPROTO_DSTOPTS &&
			    l4proto != IPPROTO_FRAGMENT &&
			    l4proto != IPPROTO_AH)
				break;
			if ((void *)(opt + 1) > data_end)
				return -1;
			if (l4proto == IPPROTO_FRAGMENT) {
				struct nrtls_ipv6_frag_hdr *fh = data + off;

				if ((void *)(fh + 1) > data_end ||
				    (fh->frag_off & bpf_htons(0xfff8)))
					return -1;
				len = sizeof(*fh);
			} else if (l4proto == IPPROTO_AH) {
				len = (opt->hdrlen + 2) * 4;
			} else {
				len = (opt->hdrlen + 1) * 8;
			}
			if (l4len < len)
				return -1;
			l4proto = opt->nexthdr;
			l4len -= len;
			off += len;
		}
	} else {
		return -1;
	}
	off &= 0xffff;
	if (l4proto == IPPROTO_TCP) {
		struct tcphdr *th = data + off;
		__u32 doff;

		if ((void *)(th + 1) > data_end)
			return -1;
		doff = th->doff * 4;
		if (doff < sizeof(*th) || l4len < doff)
			return -1;
		flow->sport = th->source;
		flow->dport = th->dest;
		pkt->seq = bpf_ntohl(th->seq);
		pkt->tcp_flags = ((__u8 *)th)[13];
		pkt->payload_off = off + doff;
		pkt->payload_len = l4len - doff;
	} else if (l4proto == IPPROTO_UDP) {
		struct udphdr *uh = data + off;

		if ((void *)(uh + 1) > data_end || l4len < sizeof(*uh))
			return -1;
		flow->sport = uh->source;
		flow->dport = uh->dest;
		pkt->payload_off = off + sizeof(*uh);
		pkt->payload_len = l4len - sizeof(*uh);
	} else {
		return -1;
	}
	flow->protocol = l4proto;
	return 0;
}

static __always_inline int nrtls_flow_parse(void *data, void *data_end,
					    struct nrtls_flow *flow)
{
	struct nrtls_pkt pkt;

	return nrtls_flow_parse_pkt(data, data_end, flow, &pkt);
}

#endif /* NRTLS_FLOW_BPF_H */
