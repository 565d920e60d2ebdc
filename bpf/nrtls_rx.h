/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the nrtls_rx XDP program (nrtls_rx.bpf.c) keeps, for the programs
 * that read its maps.  Include after the definitions of __u8 .. __u64
 * (linux/types.h in userspace, vmlinux.h in BPF).
 */
#ifndef NRTLS_RX_H
#define NRTLS_RX_H

/* TLSPlaintext.length may not exceed 2^14 + 256 (RFC 8446, 5.2). */
#define NRTLS_RX_MAX_RECORD	(16384 + 256)
/* Record headers followed in one packet; a flow with more loses sync. */
#define NRTLS_RX_HDRS_PER_PKT	64
/*
 * An impossible header dropped this many times at one sequence number is
 * TCP retransmitting data the peer did send: then the program is what is
 * wrong (out of sync, say after a forged SYN), and it stops following the
 * flow instead of stalling it.
 */
#define NRTLS_RX_DROPS_AT_ONE_SEQ	3
#define NRTLS_RX_FLOWS		16384

enum nrtls_rx_flow_state {
	NRTLS_RX_SYNCED = 0,	/* following record headers */
	NRTLS_RX_LOST = 1,	/* gave up: a gap, a bad record, too many */
};

/* Value of the nrtls_rx_flows map; the key is the struct nrtls_flow. */
struct nrtls_rx_flow {
	__u64 records;		/* record headers seen */
	__u64 bytes;		/* bytes of those records, headers included */
	__u64 dropped;		/* packets dropped for an impossible record */
	__u64 hdr;		/* header bytes seen so far, the first highest */
	__u32 next_seq;		/* TCP sequence where the next header starts */
	__u8 have;		/* how many bytes of it are in hdr */
	__u8 state;		/* enum nrtls_rx_flow_state */
	__u8 drops_here;	/* packets dropped in a row at drop_seq */
	__u8 pad;
	__u32 drop_seq;		/* where the last impossible header started */
	__u32 pad2;
};

/* Index of the per-CPU nrtls_rx_stats map. */
enum nrtls_rx_stat {
	NRTLS_RX_PACKETS,	/* TCP packets of the watched port(s) */
	NRTLS_RX_RECORDS,	/* record headers seen, all flows */
	NRTLS_RX_DROPPED,	/* packets dropped for an impossible record */
	NRTLS_RX_LOST_SYNC,	/* flows that stopped being followed */
	NRTLS_RX_UNTRACKED,	/* packets of flows whose SYN was not seen */
	NRTLS_RX_STEERED,	/* packets sent to their context's CPU */
	NRTLS_RX_NSTATS,
};

#endif /* NRTLS_RX_H */
