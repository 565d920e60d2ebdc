// SPDX-License-Identifier: GPL-2.0
/*
 * TLS TX offload on the emulated NIC: stock kTLS device offload calls
 * tls_dev_add/tls_dev_del here, each offloaded flow gets an nrtls context
 * that the socket references, and the NIC's transmit encrypts the
 * packets of offloaded flows itself, so that real TLS records leave the
 * other end of the pair.
 *
 * The "hardware" crypto is the kernel's own per-packet TLS encryption
 * (tls_encrypt_skb(), the device-offload fallback): it finds the record
 * of each packet from the socket's record list, re-reads the start of the
 * record when a packet begins inside one (what mlx5 does with DUMP work
 * requests after a retransmission) and writes the ciphertext into new
 * pages, never into the page cache's.  The NIC tracks where each of its
 * contexts expects the next packet, and counts the out-of-order packets
 * and resyncs this costs, as a real NIC would.
 */
#include <linux/tcp.h>
#include <net/tcp.h>
#include <net/tls.h>

#include "compat.h"
#include "counters.h"
#include "fault.h"
#include "nic.h"

static struct nrtls_nic_tx_ctx *tx_ctx(struct nrtls_ctx *ctx)
{
	return (struct nrtls_nic_tx_ctx *)ctx->priv;
}

static struct nrtls_ctx **driver_slot(struct tls_context *tls_ctx)
{
	return __tls_driver_ctx(tls_ctx, TLS_OFFLOAD_CTX_DIR_TX);
}

/*
 * The context of an offloaded packet bound for @dev, or NULL.  Only a
 * packet of a local, full socket whose kTLS TX is offloaded to this very
 * device counts: a forwarded packet has no socket and is never taken for
 * an offloaded one, whatever its "decrypted" bit says (seed 001's
 * CSUM_SND_TAG versus rcvif).  Called under rcu_read_lock_bh() from the
 * transmit path: tls_device_down() waits for it before tls_dev_del().
 */
struct nrtls_ctx *nrtls_nic_tls_ctx(struct sk_buff *skb,
				    const struct net_device *dev)
{
	struct sock *sk = skb->sk;
	struct tls_context *tls_ctx;

	if (!sk || !sk_fullsock(sk))
		return NULL;
	/* Pairs with the release in tls_set_device_offload(). */
	if (smp_load_acquire(&sk->sk_validate_xmit_skb) != tls_validate_xmit_skb)
		return NULL;
	tls_ctx = tls_get_ctx(sk);
	if (rcu_access_pointer(tls_ctx->netdev) != dev)
		return NULL;
	return *driver_slot(tls_ctx);
}

/* Where packet @seq falls in its record, as the NIC must know to resync. */
static void nic_resync(struct nrtls_nic *nic, struct nrtls_nic_tx_ctx *tc,
		       struct sk_buff *skb, u32 seq)
{
	struct tls_context *tls_ctx = tls_get_ctx(skb->sk);
	struct tls_offload_context_tx *octx = tls_offload_ctx_tx(tls_ctx);
	struct tls_record_info *rec;
	unsigned long flags;
	u64 rcd_sn;

	lockdep_assert_held(&tc->lock);
	spin_lock_irqsave(&octx->lock, flags);
	rec = tls_get_record(octx, seq, &rcd_sn);
	if (rec && !tls_record_is_start_marker(rec)) {
		u32 start = tls_record_start_seq(rec);

		tc->rcd_sn = rcd_sn;
		nrtls_nic_stat_add(nic, NIC_ST_TLS_DUMP_BYTES, seq - start);
	}
	spin_unlock_irqrestore(&octx->lock, flags);
	tc->resyncs++;
	nrtls_nic_stat_inc(nic, NIC_ST_TLS_RESYNC);
}

/*
 * Transmit a packet of offloaded flow @ctx (from this device's
 * ndo_start_xmit, or from a wrapper that chose this device, holding its TX
 * queue lock).  The caller keeps @ctx alive for the call.
 */
netdev_tx_t nrtls_nic_xmit_ctx(struct nrtls_nic *nic, struct sk_buff *skb,
			       struct nrtls_ctx *ctx)
{
	struct nrtls_nic_tx_ctx *tc = tx_ctx(ctx);
	u32 seq, len, end;

	/* Seed 001: never use a context another device allocated. */
	if (unlikely(!nrtls_ctx_on_dev(ctx, nic->dev) || !READ_ONCE(tc->hw))) {
		nrtls_nic_stat_inc(nic, NIC_ST_TLS_CTX_MISMATCH);
		goto drop;
	}
	if (unlikely(!READ_ONCE(nic->running)))
		goto drop;
	/* Encrypting consumes the skb: make sure the ring can take it. */
	spin_lock(&nic->lock);
	if (nrtls_nic_full_stop(nic)) {
		spin_unlock(&nic->lock);
		nrtls_nic_stat_inc(nic, NIC_ST_RING_FULL);
		return NETDEV_TX_BUSY;
	}
	spin_unlock(&nic->lock);

	seq = ntohl(tcp_hdr(skb)->seq);
	len = skb->len - skb_tcp_all_headers(skb);
	if (len) {
		end = seq + len;
		/* One flow's packets encrypt one at a time, as on a NIC. */
		spin_lock(&tc->lock);
		if (!tc->synced || seq != tc->next_seq) {
			if (tc->synced) {
				tc->ooo++;
				nrtls_nic_stat_inc(nic, NIC_ST_TLS_OOO);
			}
			nic_resync(nic, tc, skb, seq);
			tc->synced = true;
		}
		if (after(end, tc->next_seq) || seq == tc->next_seq)
			tc->next_seq = end;
		/* The fault stands for tls_encrypt_skb() failing, as it may. */
		if (nrtls_should_fail(NRTLS_FAULT_NIC_ENCRYPT)) {
			kfree_skb(skb);
			skb = NULL;
		} else {
			skb = tls_encrypt_skb(skb);
		}
		if (skb) {
			tc->pkts++;
			tc->bytes += len;
		}
		spin_unlock(&tc->lock);
		if (!skb) {
			nrtls_nic_stat_inc(nic, NIC_ST_TLS_ENC_FAIL);
			nrtls_nic_stat_inc(nic, NIC_ST_TX_DROPPED);
			return NETDEV_TX_OK;
		}
		nrtls_nic_stat_inc(nic, NIC_ST_TLS_PKTS);
		nrtls_nic_stat_add(nic, NIC_ST_TLS_BYTES, len);
	}

	spin_lock(&nic->lock);
	if (unlikely(!nic->running || !tc->hw)) {
		spin_unlock(&nic->lock);
		goto drop;
	}
	nic->pers->xmit(nic, skb, ctx);
	nrtls_nic_full_stop(nic);
	spin_unlock(&nic->lock);
	return NETDEV_TX_OK;

drop:
	nrtls_nic_stat_inc(nic, NIC_ST_TX_DROPPED);
	kfree_skb(skb);
	return NETDEV_TX_OK;
}

static void nic_ctx_free(struct nrtls_ctx *ctx)
{
	struct nrtls_nic_tx_ctx *tc = tx_ctx(ctx);

	if (tc->nic && tc->hw)
		tc->nic->pers->unbind(tc->nic, ctx);
	WRITE_ONCE(tc->nic, NULL);
}

/*
 * A resync requested from outside the transmit path: the new record
 * state.  The caller holds a reference and keeps the device registered.
 */
static int nic_ctx_modify(struct nrtls_ctx *ctx,
			  const struct nrtls_ctx_params *p)
{
	struct nrtls_nic_tx_ctx *tc = tx_ctx(ctx);
	struct nrtls_nic *nic = tc->nic;

	if (!nic)
		return -ENODEV;
	spin_lock_bh(&tc->lock);
	tc->next_seq = p->tcp_seq;
	tc->rcd_sn = p->rcd_sn;
	tc->synced = p->synced;
	spin_unlock_bh(&tc->lock);
	return 0;
}

/* The record state as the transmit path last left it, all of one packet. */
static int nic_ctx_query(struct nrtls_ctx *ctx, struct nrtls_ctx_params *p)
{
	struct nrtls_nic_tx_ctx *tc = tx_ctx(ctx);

	p->flow = ctx->flow;
	spin_lock_bh(&tc->lock);
	p->tcp_seq = tc->next_seq;
	p->rcd_sn = tc->rcd_sn;
	p->synced = tc->synced;
	spin_unlock_bh(&tc->lock);
	return 0;
}

static void nic_ctx_show(struct nrtls_ctx *ctx, struct seq_file *m)
{
	struct nrtls_nic_tx_ctx *tc = tx_ctx(ctx);
	/*
	 * Called under RCU for a context that held its device a moment ago:
	 * the device's memory outlives this (unregistration waits for a grace
	 * period after detaching its contexts).
	 */
	struct nrtls_nic *nic = READ_ONCE(tc->nic);

	seq_printf(m, " pkts=%llu bytes=%llu ooo=%llu resyncs=%llu next_seq=%u",
		   READ_ONCE(tc->pkts), READ_ONCE(tc->bytes), READ_ONCE(tc->ooo),
		   READ_ONCE(tc->resyncs), READ_ONCE(tc->next_seq));
	if (!nic)
		return;
	spin_lock_bh(&nic->lock);
	seq_printf(m, " personality=%s", nic->pers->name);
	if (nic->pers->show)
		nic->pers->show(nic, ctx, m);
	spin_unlock_bh(&nic->lock);
}

static const struct nrtls_ctx_ops nic_ctx_ops = {
	.free = nic_ctx_free,
	.modify = nic_ctx_modify,
	.query = nic_ctx_query,
	.show = nic_ctx_show,
};

/*
 * A TLS TX context on NIC @dev (FreeBSD's if_snd_tag_alloc), for the
 * stack's tls_dev_add or for a wrapper moving a flow here.  Not published.
 */
struct nrtls_ctx *nrtls_nic_ctx_alloc(struct net_device *dev,
				      const struct nrtls_ctx_params *p,
				      gfp_t gfp)
{
	struct nrtls_nic *nic = netdev_priv(dev);
	struct nrtls_nic_tx_ctx *tc;
	struct nrtls_ctx *ctx;
	int err;

	ctx = nrtls_ctx_alloc(dev, &p->flow, NRTLS_CTX_TLS_TX, &nic_ctx_ops,
			      sizeof(*tc), gfp);
	if (IS_ERR(ctx))
		return ctx;
	tc = tx_ctx(ctx);
	tc->nic = nic;
	spin_lock_init(&tc->lock);
	tc->next_seq = p->tcp_seq;
	tc->rcd_sn = p->rcd_sn;
	tc->synced = p->synced;
	err = nic->pers->bind(nic, ctx, gfp);
	if (err) {
		nrtls_ctx_put(ctx);
		return ERR_PTR(err);
	}
	nrtls_ctx_set_mode(ctx, NRTLS_MODE_DEVICE);
	return ctx;
}

/* The record sequence number kTLS starts offloading at. */
u64 nrtls_nic_tls_rec_seq(const struct tls_crypto_info *ci)
{
	const u8 *rec_seq;
	__be64 sn;

	switch (ci->cipher_type) {
	case TLS_CIPHER_AES_GCM_128:
		rec_seq = ((const struct tls12_crypto_info_aes_gcm_128 *)ci)->rec_seq;
		break;
	case TLS_CIPHER_AES_GCM_256:
		rec_seq = ((const struct tls12_crypto_info_aes_gcm_256 *)ci)->rec_seq;
		break;
	default:
		return 0;
	}
	memcpy(&sn, rec_seq, sizeof(sn));
	return be64_to_cpu(sn);
}

/* The ciphers Linux's TX device offload hands to a driver. */
bool nrtls_tls_offloadable(const struct tls_crypto_info *ci)
{
	return ci->cipher_type == TLS_CIPHER_AES_GCM_128 ||
	       ci->cipher_type == TLS_CIPHER_AES_GCM_256;
}

/*
 * The socket's reference on @ctx, in kTLS's driver state.  BPF programs
 * find the flow's context by its addresses; a context someone already made
 * for the same flow keeps the key, and this one then works unlisted.
 */
void nrtls_tls_attach(struct sock *sk, struct nrtls_ctx *ctx)
{
	nrtls_ctx_publish(ctx);
	*driver_slot(tls_get_ctx(sk)) = ctx;
}

/* tls_dev_del: the socket's reference goes; packets may hold more. */
bool nrtls_tls_detach(struct tls_context *tls_ctx,
		      enum tls_offload_ctx_dir direction)
{
	struct nrtls_ctx **slot = driver_slot(tls_ctx);
	struct nrtls_ctx *ctx = *slot;

	if (direction != TLS_OFFLOAD_CTX_DIR_TX || !ctx)
		return false;
	*slot = NULL;
	nrtls_ctx_unpublish(ctx);
	nrtls_ctx_put(ctx);
	return true;
}

/* Only RX asks for resyncs, and RX is not offloaded. */
int nrtls_tls_dev_resync(struct net_device *dev, struct sock *sk, u32 seq,
			 u8 *rcd_sn, enum tls_offload_ctx_dir direction)
{
	return -EOPNOTSUPP;
}

static int nic_tls_dev_add(struct net_device *dev, struct sock *sk,
			   enum tls_offload_ctx_dir direction,
			   struct tls_crypto_info *crypto_info,
			   u32 start_offload_tcp_sn)
{
	struct nrtls_nic *nic = netdev_priv(dev);
	struct nrtls_ctx_params p = {
		.tcp_seq = start_offload_tcp_sn,
		.synced = true,
	};
	struct nrtls_ctx *ctx;

	/* RX decryption is not emulated (yet): kTLS RX stays in software. */
	if (direction != TLS_OFFLOAD_CTX_DIR_TX) {
		nrtls_nic_stat_inc(nic, NIC_ST_TLS_RX_REFUSED);
		return -EOPNOTSUPP;
	}
	if (!nrtls_tls_offloadable(crypto_info)) {
		nrtls_nic_stat_inc(nic, NIC_ST_TLS_ADD_FAIL);
		return -EOPNOTSUPP;
	}
	nrtls_ctx_flow_of_sk(sk, &p.flow);
	p.rcd_sn = nrtls_nic_tls_rec_seq(crypto_info);
	ctx = nrtls_nic_ctx_alloc(dev, &p, GFP_KERNEL);
	if (IS_ERR(ctx)) {
		nrtls_nic_stat_inc(nic, NIC_ST_TLS_ADD_FAIL);
		return PTR_ERR(ctx);
	}
	nrtls_tls_attach(sk, ctx);
	nrtls_nic_stat_inc(nic, NIC_ST_TLS_ADD);
	return 0;
}

static void nic_tls_dev_del(struct net_device *dev, struct tls_context *tls_ctx,
			    enum tls_offload_ctx_dir direction)
{
	if (nrtls_tls_detach(tls_ctx, direction))
		nrtls_nic_stat_inc(netdev_priv(dev), NIC_ST_TLS_DEL);
}

const struct tlsdev_ops nrtls_nic_tlsdev_ops = {
	.tls_dev_add = nic_tls_dev_add,
	.tls_dev_del = nic_tls_dev_del,
	.tls_dev_resync = nrtls_tls_dev_resync,
};
