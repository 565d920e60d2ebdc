/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_NIC_H
#define _NRTLS_NIC_H

#include <linux/hashtable.h>
#include <linux/hrtimer.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/tls.h>

#include "ctx.h"
#include "devstats.h"
#include "lower.h"

struct crypto_aead;
struct crypto_shash;
struct crypto_sync_skcipher;
struct shash_desc;
struct nlattr;
struct netlink_ext_ack;

/* Settings shared by a NIC and its peer (IFLA_NRTLS_*). */
struct nrtls_nic_cfg {
	u32 ring;
	u32 latency_us;
	u32 pool_low, pool_high, pool_bulk;
	u32 credits, compl_every;
};

/* Per-device counters, shown by "ethtool -S". */
enum nrtls_nic_stat {
	NIC_ST_TX_PACKETS,
	NIC_ST_TX_BYTES,
	NIC_ST_TX_DROPPED,
	NIC_ST_RX_PACKETS,
	NIC_ST_RX_BYTES,
	NIC_ST_RX_DROPPED,
	NIC_ST_TLS_ADD,
	NIC_ST_TLS_ADD_FAIL,
	NIC_ST_TLS_DEL,
	NIC_ST_TLS_PKTS,
	NIC_ST_TLS_BYTES,
	NIC_ST_TLS_OOO,
	NIC_ST_TLS_RESYNC,
	NIC_ST_TLS_DUMP_BYTES,
	NIC_ST_TLS_ENC_FAIL,
	NIC_ST_TLS_CTX_MISMATCH,
	NIC_ST_PLAIN_PKTS,
	NIC_ST_NOSOCK_PKTS,
	NIC_ST_RING_FULL,
	NIC_ST_DESC_FAIL,
	NIC_ST_RING_DROPPED,
	NIC_ST_POOL_REFILLS,
	NIC_ST_POOL_SYNC_ALLOC,
	NIC_ST_POOL_ALLOC_FAIL,
	NIC_ST_CREDIT_WAITS,
	NIC_ST_COMPL_REQ,
	NIC_ST_CREDITS_RETURNED,
	NIC_ST_FLUSHES,
	NIC_ST_QUEUE_STOPS,
	NIC_ST_RX_TLS_ADD,
	NIC_ST_RX_TLS_ADD_FAIL,
	NIC_ST_RX_TLS_DEL,
	NIC_ST_RX_TLS_PKTS,
	NIC_ST_RX_TLS_BYTES,
	NIC_ST_RX_TLS_ENC_PKTS,
	NIC_ST_RX_TLS_AUTH_FAIL,
	NIC_ST_RX_TLS_OOO,
	NIC_ST_RX_TLS_RESYNC_REQ,
	NIC_ST_RX_TLS_RESYNC,
	NIC_ST_RX_TLS_LOST,
	NIC_ST_RX_TLS_SEARCH_GIVEUP,
	NIC_ST_RX_QUEUE_FULL,
	NIC_ST_RX_XDP_PACKETS,
	NIC_ST_RX_XDP_CONSUMED,
	NIC_ST_TX_XDP_FRAMES,
	NIC_ST_TX_XDP_REFUSED,
	NIC_ST_NR,
};

/*
 * A transmit descriptor in the NIC's ring.  The ring is the "hardware": a
 * descriptor is completed @latency_us after it was posted, in order, by a
 * timer.  An mlx5 descriptor of an offloaded packet holds a context
 * reference until its completion (seed 001: packets reference their tag);
 * a cxgb4 descriptor refers to its flow's state instead, whose credits
 * come back with completions.  A flush carries no packet.
 */
struct nrtls_nic_desc {
	struct list_head node;
	ktime_t due;
	struct sk_buff *skb;
	struct nrtls_ctx *ctx;
	struct nrtls_cx_flow *flow;
	u16 credits;
	u8 flags;
};

#define NRTLS_DESC_COMPL	BIT(0)	/* cxgb4: completion requested */
#define NRTLS_DESC_FLUSH	BIT(1)	/* cxgb4: return all outstanding credits */
#define NRTLS_DESC_RESERVED	BIT(2)	/* not counted against the ring size */

struct nrtls_nic;

/* What makes the two personalities differ. */
struct nrtls_nic_pers {
	const char *name;
	/* Device state for a new TLS context (tls_dev_add). */
	int (*bind)(struct nrtls_nic *nic, struct nrtls_ctx *ctx, gfp_t gfp);
	/* Give it back: last reference, or the device unregisters. */
	void (*unbind)(struct nrtls_nic *nic, struct nrtls_ctx *ctx);
	/* An encrypted packet of @ctx, to the ring; called with nic->lock. */
	void (*xmit)(struct nrtls_nic *nic, struct sk_buff *skb,
		     struct nrtls_ctx *ctx);
	/* A descriptor completed; with nic->lock. */
	void (*complete)(struct nrtls_nic *nic, struct nrtls_nic_desc *d);
	/* The ring has room again; with nic->lock. */
	void (*resume)(struct nrtls_nic *nic);
	/* The device stops: drop what waits; with nic->lock. */
	void (*stop)(struct nrtls_nic *nic, struct list_head *freed);
	/* Its part of the context's line in the listing; with nic->lock. */
	void (*show)(struct nrtls_nic *nic, struct nrtls_ctx *ctx,
		     struct seq_file *m);
	void (*open)(struct nrtls_nic *nic);
	/* Whether it decrypts received TLS (tls_dev_add for RX). */
	bool tls_rx;
	/* The device unregisters (ndo_uninit). */
	void (*destroy)(struct nrtls_nic *nic);
};

extern const struct nrtls_nic_pers nrtls_mlx5_pers;
extern const struct nrtls_nic_pers nrtls_cxgb4_pers;

/*
 * One end of an emulated NIC pair (netdev_priv).  @lock covers the ring,
 * the mlx5 pool, the cxgb4 flows and @running; the stack's TX queue lock
 * serializes transmits.  @peer is RCU-protected, like veth's.
 */
struct nrtls_nic {
	struct net_device *dev;
	struct net_device __rcu *peer;
	const struct nrtls_nic_pers *pers;
	u8 personality;
	struct nrtls_nic_cfg cfg;
	spinlock_t lock;		/* see above */
	bool running;
	/* ring */
	struct list_head ring;
	u32 ring_count;		/* data descriptors */
	struct hrtimer timer;
	bool in_timer;		/* its callback runs: it re-arms itself */
	/* mlx5 */
	struct list_head pool;
	u32 pool_len;
	struct mem_cgroup *memcg;	/* its creator's: pays for the pool */
	bool dead;
	struct work_struct refill;
	/* cxgb4 */
	struct list_head flows;
	/* TLS RX flows, by their addresses: RCU readers, writers @rx_lock */
	DECLARE_HASHTABLE(rx_flows, 6);
	spinlock_t rx_lock;		/* writers of @rx_flows */
	atomic_t rx_nflows;
	/* receive (nic_xdp.c): what the peer's ring delivered, for NAPI */
	struct sk_buff_head rxq;
	struct napi_struct napi;
	struct bpf_prog __rcu *xdp_prog;	/* driver mode; under RTNL */
	struct nrtls_devstats __percpu *stats;	/* from ndo_init */
};

/*
 * A TLS TX context's state in the NIC (nrtls_ctx_priv()).  @nic is valid
 * while the context holds the device; the personality's part is cleared
 * under nic->lock when it is given back.
 */
struct nrtls_nic_tx_ctx {
	struct nrtls_nic *nic;
	void *hw;		/* struct nrtls_mlx5_hw or nrtls_cx_flow */
	/*
	 * The "hardware" state, under @lock: a flow's packets may come
	 * through any TX queue (and a wrapper's through the lower's queue 0),
	 * so no queue lock covers them all.  Keys from tls_dev_add; where the
	 * next packet is expected (@next_seq), the number of the record it
	 * falls in (@rcd_sn) and how far into that record (@rec_off).
	 */
	spinlock_t lock;
	struct crypto_aead *aead;
	u8 salt[4];
	u64 iv0, rcd_sn0;	/* the explicit nonce of record rcd_sn0 */
	bool synced;
	u32 next_seq;
	u32 rec_off;
	u64 rcd_sn;
	u64 pkts, bytes, ooo, resyncs;
};

#define NRTLS_NIC_RX_PRE	13	/* TLS 1.2 header and explicit nonce */
#define NRTLS_NIC_TAG		16

/*
 * The pieces of AES-GCM that let the NIC decrypt and authenticate a record
 * a packet at a time: CTR for the keystream, GHASH carried over packets.
 */
struct nrtls_nic_gcm {
	struct crypto_sync_skcipher *ctr;
	struct crypto_shash *ghash;
	struct shash_desc *mac;		/* the GHASH of the record so far */
	u8 salt[4];
	u8 ek_j0[16];			/* E(K, J0) of the record */
	u8 block[16];			/* scratch the cipher writes to */
};

/* Where a received stream is within its current record. */
enum { NIC_RX_HDR, NIC_RX_DATA, NIC_RX_TAG };

struct nrtls_nic_rx_pos {
	u8 phase;
	u8 have;		/* header or tag bytes gathered */
	bool mac;		/* this record is authenticated and decrypted */
	u8 hdr[NRTLS_NIC_RX_PRE];
	u8 tag[NRTLS_NIC_TAG];
	u32 plen, done;		/* payload length, bytes of it seen */
};

/* Whether the NIC knows the record numbers of the stream it follows. */
enum { NIC_RX_SYNCED, NIC_RX_SEARCH, NIC_RX_TRACK };

/*
 * A TLS RX context's state in the NIC (nrtls_ctx_priv()), under @lock: it
 * is taken from the receive path (softirq) and by the stack's tls_dev_del
 * and tls_dev_resync.  @sk is the socket until tls_dev_del; the entry leaves
 * nic->rx_flows then, and its memory outlives readers by a grace period.
 */
struct nrtls_nic_rx_ctx {
	struct nrtls_nic *nic;
	struct nrtls_ctx *ctx;
	struct hlist_node hnode;	/* unhashed once out of nic->rx_flows */
	spinlock_t lock;		/* the state below, see above */
	struct sock *sk;
	u8 state;
	u32 next_seq;		/* where the next packet should start */
	u32 track_seq;		/* the header the NIC asked the stack about */
	u32 track_recs;		/* headers since then */
	u64 rcd_sn;		/* number of the next record header */
	struct nrtls_nic_rx_pos pos;
	struct nrtls_nic_gcm gcm;
	u64 pkts, bytes, enc_pkts, auth_fail, ooo, lost, resync_req, resyncs;
};

static inline void nrtls_nic_stat_add(struct nrtls_nic *nic,
				      enum nrtls_nic_stat s, long n)
{
	nrtls_devstats_add(nic->stats, s, n);
}

static inline void nrtls_nic_stat_inc(struct nrtls_nic *nic,
				      enum nrtls_nic_stat s)
{
	nrtls_devstats_add(nic->stats, s, 1);
}

/* Whether all of them are. */
static inline bool nrtls_txq_all_stopped(struct net_device *dev)
{
	unsigned int i;

	for (i = 0; i < dev->real_num_tx_queues; i++)
		if (!netif_tx_queue_stopped(netdev_get_tx_queue(dev, i)))
			return false;
	return true;
}

bool nrtls_is_nic(const struct net_device *dev);
/* Whether @dev is an nrtls NIC that offloads TLS TX now. */
bool nrtls_nic_can_offload(const struct net_device *dev);

/* nic.c */
void nrtls_nic_setup(struct net_device *dev);
int nrtls_nic_newlink(struct net *src_net, struct net_device *dev,
		      struct nlattr *tb[], struct nlattr *peer_attr,
		      u8 personality, const struct nrtls_nic_cfg *cfg,
		      struct netlink_ext_ack *extack);
void nrtls_nic_dellink(struct net_device *dev, struct list_head *head);
int nrtls_nic_set_cfg(struct net_device *dev, const struct nrtls_nic_cfg *cfg,
		      struct netlink_ext_ack *extack);
const struct nrtls_nic_cfg *nrtls_nic_cfg(const struct net_device *dev);
u8 nrtls_nic_personality(const struct net_device *dev);
struct net *nrtls_nic_link_net(const struct net_device *dev);
void nrtls_nic_wake_locked(struct nrtls_nic *nic);
void nrtls_nic_wake_master(struct nrtls_nic *nic);
bool nrtls_nic_full_stop(struct nrtls_nic *nic);

/* nic_mlx5.c */
void nrtls_mlx5_refill(struct work_struct *work);

/* nic_crypto.c */
struct nrtls_nic_keys {
	const u8 *key, *salt;
	unsigned int klen;
	u64 iv0, rcd_sn0;	/* the explicit nonce and number of the first record */
};

int nrtls_nic_tls_keys(const struct tls_crypto_info *ci,
		       struct nrtls_nic_keys *k);
int nrtls_nic_crypto_init(struct nrtls_nic_tx_ctx *tc,
			  const struct tls_crypto_info *ci);
void nrtls_nic_crypto_free(struct nrtls_nic_tx_ctx *tc);
int nrtls_nic_crypto_locate(struct sock *sk, u32 seq, s32 *sync, u64 *sn);
int nrtls_nic_crypto_encrypt(struct nrtls_nic_tx_ctx *tc, struct sk_buff *skb,
			     u32 sync, u64 *sn, u32 *rec_off);

/* nic_rx_crypto.c */
int nrtls_nic_gcm_init(struct nrtls_nic_gcm *g,
		       const struct tls_crypto_info *ci, u64 *rcd_sn);
void nrtls_nic_gcm_free(struct nrtls_nic_gcm *g);
int nrtls_nic_gcm_rec_start(struct nrtls_nic_gcm *g, const u8 *hdr, u64 sn,
			    u32 plen);
int nrtls_nic_gcm_mac(struct nrtls_nic_gcm *g, const u8 *p, u32 n);
int nrtls_nic_gcm_rec_end(struct nrtls_nic_gcm *g, u32 plen, const u8 *tag);
int nrtls_nic_gcm_xor(struct nrtls_nic_gcm *g, const u8 *nonce, u32 off,
		      u8 *p, u32 n);

/* nic_rx.c */
int nrtls_nic_rx_add(struct nrtls_nic *nic, struct sock *sk,
		     struct tls_crypto_info *ci, u32 start_seq);
void nrtls_nic_rx_del(struct nrtls_nic *nic, struct tls_context *tls_ctx);
int nrtls_nic_rx_resync(struct sock *sk, u32 seq, const u8 *rcd_sn);
bool nrtls_nic_rx(struct nrtls_nic *nic, struct sk_buff *skb);
void nrtls_nic_rx_init(struct nrtls_nic *nic);

/* nic_ring.c */
struct nrtls_nic_desc *nrtls_nic_desc_alloc(void);
void nrtls_nic_desc_free(struct nrtls_nic_desc *d);
bool nrtls_nic_ring_full(const struct nrtls_nic *nic);
void nrtls_nic_ring_post(struct nrtls_nic *nic, struct nrtls_nic_desc *d);
void nrtls_nic_ring_init(struct nrtls_nic *nic);
void nrtls_nic_ring_stop(struct nrtls_nic *nic);
void nrtls_nic_desc_release(struct nrtls_nic_desc *d);
void nrtls_nic_ring_release(struct list_head *descs);
netdev_tx_t nrtls_nic_xmit_plain(struct nrtls_nic *nic, struct sk_buff *skb);
int nrtls_nic_ring_cache_init(void);
void nrtls_nic_ring_cache_exit(void);

/* nic_xdp.c */
struct netdev_bpf;
struct xdp_frame;
bool nrtls_nic_rx_queue(struct nrtls_nic *nic, struct sk_buff *skb);
int nrtls_nic_bpf(struct net_device *dev, struct netdev_bpf *bpf);
int nrtls_nic_xdp_xmit(struct net_device *dev, int n, struct xdp_frame **frames,
		       u32 flags);
void nrtls_nic_rx_open(struct nrtls_nic *nic);
void nrtls_nic_rx_stop(struct nrtls_nic *nic);
void nrtls_nic_napi_init(struct nrtls_nic *nic);

/* nic_tls.c */
extern const struct tlsdev_ops nrtls_nic_tlsdev_ops;
netdev_tx_t nrtls_nic_xmit_ctx(struct nrtls_nic *nic, struct sk_buff *skb,
			       struct nrtls_ctx *ctx);
struct nrtls_ctx *nrtls_nic_ctx_alloc(struct net_device *dev,
				      const struct nrtls_ctx_params *p,
				      gfp_t gfp);
extern const struct nrtls_lower_ops nrtls_nic_lower_ops;

#endif /* _NRTLS_NIC_H */
