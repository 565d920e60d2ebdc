// SPDX-License-Identifier: GPL-2.0
/*
 * TLS TX offload on the emulated NIC: stock kTLS device offload calls
 * tls_dev_add/tls_dev_del here, each offloaded flow gets an nrtls context
 * that the socket references, and the NIC's transmit encrypts the
 * packets of offloaded flows itself, so that real TLS records leave the
 * other end of the pair.
 *
 * The NIC encrypts from its own state (nic_crypto.c), as mlx5 does: it
 * expects each flow's next packet at a TCP sequence number, and a packet
 * anywhere else (a retransmission) makes it resynchronise from kTLS's
 * record list (tls_get_record()), re-reading the start of the record the
 * packet begins in; it counts those packets, resyncs and bytes.  The
 * ciphertext goes into private memory, never into the page cache's.
 */
#include <linux/tcp.h>
#include <net/tcp.h>
#include <net/tls.h>

#include "compat.h"
#include "counters.h"
#include "fault.h"
#include "lower.h"
#include "nic.h"

static struct nrtls_nic_tx_ctx *tx_ctx(struct nrtls_ctx *ctx)
{
	return nrtls_ctx_priv(ctx);
}

/*
 * Encrypt a packet of @tc's flow that starts at @seq, from the state the
 * NIC keeps (expected where it is), or after a resync.  0: @skb holds the
 * records; 1: it starts before offloading did and goes as it is.
 */
static int nic_encrypt(struct nrtls_nic *nic, struct nrtls_nic_tx_ctx *tc,
		       struct sk_buff *skb, u32 seq, u32 len)
{
	u32 rec_off;
	s32 sync;
	u64 sn;
	int err;

	lockdep_assert_held(&tc->lock);
	if (tc->synced && seq == tc->next_seq) {
		sync = tc->rec_off;
		sn = tc->rcd_sn;
	} else {
		if (tc->synced) {
			tc->ooo++;
			nrtls_nic_stat_inc(nic, NIC_ST_TLS_OOO);
		}
		err = nrtls_nic_crypto_locate(skb->sk, seq, &sync, &sn);
		if (err)
			return err;
		/* Data kTLS sent before offloading started: already records. */
		if (sync < 0)
			return len <= -sync ? 1 : -EINVAL;
		tc->resyncs++;
		nrtls_nic_stat_inc(nic, NIC_ST_TLS_RESYNC);
		nrtls_nic_stat_add(nic, NIC_ST_TLS_DUMP_BYTES, sync);
	}
	/* The fault stands for the encryption failing, as it may (memory). */
	if (nrtls_should_fail(NRTLS_FAULT_NIC_ENCRYPT))
		return -ENOMEM;
	err = nrtls_nic_crypto_encrypt(tc, skb, sync, &sn, &rec_off);
	if (err)
		return err;
	/* Like mlx5, the state follows the last packet, retransmitted or not. */
	tc->next_seq = seq + len;
	tc->rcd_sn = sn;
	tc->rec_off = rec_off;
	tc->synced = true;
	/* A wrong record number must give records the peer rejects. */
	if (nrtls_should_fail(NRTLS_FAULT_NIC_RCD_SN))
		tc->rcd_sn++;
	return 0;
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
	u32 seq, len;
	int err;

	/*
	 * A driver's packets are its device's; the ring delivers from
	 * skb->dev, which must outlive the descriptor.
	 */
	if (WARN_ON_ONCE(skb->dev != nic->dev))
		goto drop;
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
		/* One flow's packets encrypt one at a time, as on a NIC. */
		spin_lock(&tc->lock);
		err = nic_encrypt(nic, tc, skb, seq, len);
		if (!err) {
			tc->pkts++;
			tc->bytes += len;
		}
		spin_unlock(&tc->lock);
		if (err < 0) {
			kfree_skb(skb);
			nrtls_nic_stat_inc(nic, NIC_ST_TLS_ENC_FAIL);
			nrtls_nic_stat_inc(nic, NIC_ST_TX_DROPPED);
			return NETDEV_TX_OK;
		}
		if (!err) {
			nrtls_nic_stat_inc(nic, NIC_ST_TLS_PKTS);
			nrtls_nic_stat_add(nic, NIC_ST_TLS_BYTES, len);
		}
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
	nrtls_nic_crypto_free(tc);
	WRITE_ONCE(tc->nic, NULL);
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
	err = nrtls_nic_crypto_init(tc, p->crypto);
	if (!err) {
		tc->next_seq = p->tcp_seq;
		tc->rcd_sn = tc->rcd_sn0;
		tc->synced = p->synced;
		err = nic->pers->bind(nic, ctx, gfp);
	}
	if (err) {
		nrtls_ctx_put(ctx);
		return ERR_PTR(err);
	}
	nrtls_ctx_set_mode(ctx, NRTLS_MODE_DEVICE);
	return ctx;
}

static int nic_tls_dev_add(struct net_device *dev, struct sock *sk,
			   enum tls_offload_ctx_dir direction,
			   struct tls_crypto_info *crypto_info,
			   u32 start_offload_tcp_sn)
{
	struct nrtls_nic *nic = netdev_priv(dev);
	struct nrtls_ctx_params p = {
		.crypto = crypto_info,
		.tcp_seq = start_offload_tcp_sn,
		.synced = true,
	};
	struct nrtls_ctx *ctx;
	int err;

	if (direction == TLS_OFFLOAD_CTX_DIR_RX)
		return nrtls_nic_rx_add(nic, sk, crypto_info,
					start_offload_tcp_sn);
	if (!nrtls_tls_offloadable(crypto_info)) {
		nrtls_nic_stat_inc(nic, NIC_ST_TLS_ADD_FAIL);
		return -EOPNOTSUPP;
	}
	nrtls_ctx_flow_of_sk(sk, &p.flow);
	/* Made in the task setting the key: its memory cgroup pays. */
	ctx = nrtls_nic_ctx_alloc(dev, &p, GFP_KERNEL_ACCOUNT);
	if (IS_ERR(ctx)) {
		nrtls_nic_stat_inc(nic, NIC_ST_TLS_ADD_FAIL);
		return PTR_ERR(ctx);
	}
	err = nrtls_ctx_charge_caller(ctx);
	if (err) {
		nrtls_ctx_put(ctx);
		nrtls_nic_stat_inc(nic, NIC_ST_TLS_ADD_FAIL);
		return err;
	}
	nrtls_tls_attach(sk, ctx);
	nrtls_nic_stat_inc(nic, NIC_ST_TLS_ADD);
	return 0;
}

static void nic_tls_dev_del(struct net_device *dev, struct tls_context *tls_ctx,
			    enum tls_offload_ctx_dir direction)
{
	if (direction == TLS_OFFLOAD_CTX_DIR_RX)
		nrtls_nic_rx_del(netdev_priv(dev), tls_ctx);
	else if (nrtls_tls_detach(tls_ctx, direction))
		nrtls_nic_stat_inc(netdev_priv(dev), NIC_ST_TLS_DEL);
}

static int nic_tls_dev_resync(struct net_device *dev, struct sock *sk, u32 seq,
			      u8 *rcd_sn, enum tls_offload_ctx_dir direction)
{
	if (direction == TLS_OFFLOAD_CTX_DIR_RX)
		return nrtls_nic_rx_resync(sk, seq, rcd_sn);
	return nrtls_tls_dev_resync(dev, sk, seq, rcd_sn, direction);
}

const struct tlsdev_ops nrtls_nic_tlsdev_ops = {
	.tls_dev_add = nic_tls_dev_add,
	.tls_dev_del = nic_tls_dev_del,
	.tls_dev_resync = nic_tls_dev_resync,
};
