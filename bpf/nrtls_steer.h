/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the nrtls_steer TC program (nrtls_steer.bpf.c) keeps and reads,
 * for the programs that fill and read its maps.  Include after the
 * definitions of __u8 .. __u64 and struct nrtls_flow (<linux/nrtls.h> in
 * userspace, vmlinux.h in BPF).
 */
#ifndef NRTLS_STEER_H
#define NRTLS_STEER_H

/* Lowers of one wrapper the program chooses among. */
#define NRTLS_STEER_LOWERS_MAX	8
/* Entries of the rules map. */
#define NRTLS_STEER_RULES	1024

/* How a flow without a decision on an open lower gets one. */
enum nrtls_steer_policy {
	NRTLS_STEER_HASH = 0,		/* of the 4-tuple, over open lowers */
	NRTLS_STEER_LEAST_LOADED = 1,	/* fewest offloaded flows */
	NRTLS_STEER_MAP = 2,		/* nrtls_steer_rules, else hash */
};

/*
 * Key of the nrtls_steer_rules LPM trie: the peer's port (0: any) and
 * address, IPv4 as ::ffff:a.b.c.d.  @prefixlen counts the port's 16 bits
 * and then the address's: 16 + 96 + 24 for an IPv4 /24.  A flow matches
 * the rules for its port first, then those for any port.
 */
struct nrtls_steer_key {
	__u32 prefixlen;
	__u8 port[2];		/* network order */
	__u8 addr[16];
};

/*
 * The hash policy's hash of a flow (struct nrtls_flow, as the wire has it
 * leaving): the flow goes to open lower number hash % n, in the order the
 * wrapper lists them (usable, drained ones left out).  murmur3's finaliser, so
 * that nearby ports spread.
 */
static inline __u32 nrtls_steer_hash(const struct nrtls_flow *f)
{
	__u32 h = (__u32)f->sport << 16 | f->dport;
	int i;

	for (i = 0; i < 4; i++)
		h ^= f->saddr[i] * 0x9e3779b1 ^ f->daddr[i] * 0x85ebca77;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* Index of the per-CPU nrtls_steer_stats map. */
enum nrtls_steer_stat {
	NRTLS_STEER_PACKETS,	/* TCP packets seen */
	NRTLS_STEER_OFFLOADED,	/* of those, of flows with a context */
	NRTLS_STEER_DECISIONS,	/* decisions recorded */
	NRTLS_STEER_ERRORS,	/* decisions the wrapper refused */
	NRTLS_STEER_NO_LOWER,	/* no open lower (usable, not drained) */
	NRTLS_STEER_NSTATS,
};

#endif /* NRTLS_STEER_H */
