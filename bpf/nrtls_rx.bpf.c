// SPDX-License-Identifier: GPL-2.0
/*
 * nrtls_rx: XDP on the receiving NIC.  Follows the TLS record headers of
 * each TCP flow from its SYN (FreeBSD's header peek, done before the
 * stack): counts records and bytes per flow, and drops a packet whose
 * record cannot be TLS (over 2^14 + 256 bytes, unknown content type) on a
 * flow that has an nrtls context, where such a record would only cost the
 * receiver a decryption failure.  Flows without a context are never
 * dropped: on those the program just stops following.  Nor is one
 * sequence number dropped more than NRTLS_RX_DROPS_AT_ONE_SEQ times: what
 * TCP keeps retransmitting is real, and the program out of sync.
 *
 * Only in-order data is followed: a gap (reordering, loss before this
 * point) ends following of that flow, counted in NRTLS_RX_LOST_SYNC.
 *
 * nrtlsctl embeds it, and nrtlsctl does not depend on the kernel it runs
 * on, so this is built from UAPI headers, not from a kernel's vmlinux.h;
 * libbpf resolves the kfuncs in the module's BTF at load time.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/nrtls.h>
#include <bpf/bpf_helpers.h>

/*
 * Opaque to this program.  libbpf matches a kfunc's prototype against the
 * kernel's by kind and name, and a declaration alone would be a BTF FWD,
 * not the STRUCT the module has.
 */
struct nrtls_ctx {
	__u32 id;
};

#include "nrtls_kfuncs.h"
#include "nrtls_flow.bpf.h"
#include "nrtls_rx.h"

#define TCP_FLAG_SYN 0x02

/* Host order; 0 follows every TCP flow.  Set before load. */
const volatile __u16 port;
/* Send the packets of flows that have a context to its CPU.  Before load. */
const volatile bool steer_cpu;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NRTLS_RX_FLOWS);
	__type(key, struct nrtls_flow);
	__type(value, struct nrtls_rx_flow);
} nrtls_rx_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NRTLS_RX_NSTATS);
	__type(key, __u32);
	__type(value, __u64);
} nrtls_rx_stats SEC(".maps");

/*
 * A queue to each CPU the flows may be steered to (userspace sizes it to
 * the possible CPUs and fills it before attaching).
 */
struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} nrtls_rx_cpus SEC(".maps");

static __always_inline void stat_add(__u32 i, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&nrtls_rx_stats, &i);

	if (v)
		*v += n;
}

/*
 * A context for the flow, as the wire has it or as its receiver's socket:
 * held, to be released.
 */
static __always_inline struct nrtls_ctx *ctx_of(struct xdp_md *xdp,
						const struct nrtls_flow *flow)
{
	struct nrtls_flow f = *flow;
	struct nrtls_ctx *ctx;

	ctx = nrtls_xdp_ctx_lookup(xdp, &f, sizeof(f));
	if (!ctx) {
		__builtin_memcpy(f.saddr, flow->daddr, sizeof(f.saddr));
		__builtin_memcpy(f.daddr, flow->saddr, sizeof(f.daddr));
		f.sport = flow->dport;
		f.dport = flow->sport;
		ctx = nrtls_xdp_ctx_lookup(xdp, &f, sizeof(f));
	}
	return ctx;
}

static __always_inline bool has_ctx(struct xdp_md *xdp,
				    const struct nrtls_flow *flow)
{
	struct nrtls_ctx *ctx = ctx_of(xdp, flow);

	if (!ctx)
		return false;
	nrtls_ctx_release(ctx);
	return true;
}

/* A packet the program lets through: to its flow's CPU, if steering. */
static __always_inline int pass(struct xdp_md *xdp,
				const struct nrtls_flow *flow)
{
	struct nrtls_ctx *ctx;
	__u32 cpu;
	int act;

	if (!steer_cpu)
		return XDP_PASS;
	ctx = ctx_of(xdp, flow);
	if (!ctx)
		return XDP_PASS;
	cpu = nrtls_ctx_cpu(ctx);
	nrtls_ctx_release(ctx);
	/* No queue to that CPU: the packet is received here, not lost. */
	act = bpf_redirect_map(&nrtls_rx_cpus, cpu, XDP_PASS);
	if (act == XDP_REDIRECT)
		stat_add(NRTLS_RX_STEERED, 1);
	return act;
}

/* Content types 20..24 (change_cipher_spec .. heartbeat), version 3.x. */
static __always_inline bool record_possible(__u64 hdr)
{
	__u8 type = hdr >> 32, major = hdr >> 24;

	return type >= 20 && type <= 24 && major == 3 &&
	       (hdr & 0xffff) <= NRTLS_RX_MAX_RECORD;
}

/* A complete header: count its record and move past it. */
static __always_inline void record(struct nrtls_rx_flow *f, __u32 *pos)
{
	__u32 len = f->hdr & 0xffff;

	f->records++;
	f->bytes += 5 + len;
	*pos += len;
	f->next_seq = *pos;
	f->have = 0;
	f->hdr = 0;
}

/*
 * The loops are shaped for the verifier: only a complete, possible header
 * goes round again, so that it walks each iteration once and not every
 * combination of partial headers.
 */
SEC("xdp")
int nrtls_rx(struct xdp_md *xdp)
{
	void *data = (void *)(long)xdp->data;
	void *data_end = (void *)(long)xdp->data_end;
	struct nrtls_rx_flow *st, f;
	struct nrtls_flow flow;
	struct nrtls_pkt pkt;
	__u32 pos, off;
	__u8 b[5];
	int i, j;

	if (nrtls_flow_parse_pkt(data, data_end, &flow, &pkt) ||
	    flow.protocol != IPPROTO_TCP)
		return XDP_PASS;
	if (port && flow.sport != bpf_htons(port) &&
	    flow.dport != bpf_htons(port))
		return XDP_PASS;
	stat_add(NRTLS_RX_PACKETS, 1);
	if (pkt.tcp_flags & TCP_FLAG_SYN) {
		__builtin_memset(&f, 0, sizeof(f));
		f.next_seq = pkt.seq + 1;
		bpf_map_update_elem(&nrtls_rx_flows, &flow, &f, BPF_ANY);
		return pass(xdp, &flow);
	}
	st = bpf_map_lookup_elem(&nrtls_rx_flows, &flow);
	if (!st) {
		stat_add(NRTLS_RX_UNTRACKED, 1);
		return pass(xdp, &flow);
	}
	if (st->state != NRTLS_RX_SYNCED || !pkt.payload_len)
		return pass(xdp, &flow);
	/* Work on a copy: a packet that is dropped must change nothing. */
	f = *st;
	if (f.have > 4)
		goto lost;
	pos = f.next_seq + f.have;
	if ((__s32)(pos - pkt.seq) < 0)
		goto lost;	/* a gap: what lies between was not seen */

	/* The rest of a header that the previous packet began. */
	for (j = 0; j < 4 && f.have; j++) {
		off = pos - pkt.seq;
		if (off >= pkt.payload_len)
			goto save;
		if (bpf_xdp_load_bytes(xdp, pkt.payload_off + off, b, 1))
			goto lost;
		f.hdr = (f.hdr << 8) | b[0];
		pos++;
		if (++f.have == 5)
			break;
	}
	if (f.have == 5) {
		if (!record_possible(f.hdr)) {
			goto impossible;
		}
		record(&f, &pos);
	}

	for (i = 0; i < NRTLS_RX_HDRS_PER_PKT; i++) {
		__u32 left;

		off = pos - pkt.seq;
		if (off >= pkt.payload_len)
			goto save;
		left = pkt.payload_len - off;
		if (left < 5) {
			/* A header cut by the end of the packet: keep its start. */
			for (j = 0; j < 4 && j < left; j++) {
				if (bpf_xdp_load_bytes(xdp, pkt.payload_off + off + j,
						       b, 1))
					goto lost;
				f.hdr = (f.hdr << 8) | b[0];
			}
			f.have = left;
			goto save;
		}
		if (bpf_xdp_load_bytes(xdp, pkt.payload_off + off, b, 5))
			goto lost;
		f.hdr = (__u64)b[0] << 32 | (__u64)b[1] << 24 | b[2] << 16 |
			b[3] << 8 | b[4];
		if (!record_possible(f.hdr)) {
			goto impossible;
		}
		pos += 5;
		record(&f, &pos);
	}
	if (pos - pkt.seq >= pkt.payload_len)
		goto save;
	goto lost;	/* more headers in one packet than it follows */

impossible:
	/* The header starts at f.next_seq, whichever loop found it. */
	if (has_ctx(xdp, &flow)) {
		if (st->drop_seq != f.next_seq) {
			st->drop_seq = f.next_seq;
			st->drops_here = 0;
		}
		if (++st->drops_here <= NRTLS_RX_DROPS_AT_ONE_SEQ) {
			__sync_fetch_and_add(&st->dropped, 1);
			stat_add(NRTLS_RX_DROPPED, 1);
			return XDP_DROP;
		}
	}
	goto lost;
save:
	stat_add(NRTLS_RX_RECORDS, f.records - st->records);
	f.dropped = st->dropped;
	f.drop_seq = st->drop_seq;
	f.drops_here = st->drops_here;
	*st = f;
	return pass(xdp, &flow);
lost:
	st->state = NRTLS_RX_LOST;
	stat_add(NRTLS_RX_LOST_SYNC, 1);
	return pass(xdp, &flow);
}

char LICENSE[] SEC("license") = "GPL";
