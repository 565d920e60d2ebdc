// SPDX-License-Identifier: GPL-2.0
/*
 * The emulated NIC's receive side: one RX queue polled by NAPI, and XDP
 * in driver mode.  What the peer's ring completes lands in @rxq in wire
 * order and one NAPI instance takes it from there, so a flow's packets
 * reach the stack in the order they were sent wherever the ring's timer
 * ran (netif_rx() from the timer would put them on whichever CPU's
 * backlog that was).
 *
 * The frames arrive as socket buffers, as they do in tun: the driver-mode
 * program runs on each one through the kernel's skb XDP path before GRO,
 * with the verdicts of native XDP; XDP_TX leaves by this NIC's own ring.
 * Frames redirected here by other devices' XDP (ndo_xdp_xmit) are built
 * into socket buffers and go out through the ring like any other.
 */
#include <linux/bpf.h>
#include <linux/etherdevice.h>
#include <linux/filter.h>
#include <linux/netdevice.h>
#include <net/xdp.h>

#include "compat.h"
#include "fault.h"
#include "nic.h"

/* Frames the RX queue holds before the NIC drops, as a full ring would. */
#define NIC_RXQ_MAX 1024

/* From the peer's ring timer (softirq): @skb is this end's, eth header pulled. */
bool nrtls_nic_rx_queue(struct nrtls_nic *nic, struct sk_buff *skb)
{
	if (unlikely(skb_queue_len_lockless(&nic->rxq) >= NIC_RXQ_MAX ||
		     nrtls_should_fail(NRTLS_FAULT_NIC_RXQ))) {
		nrtls_nic_stat_inc(nic, NIC_ST_RX_QUEUE_FULL);
		return false;
	}
	skb_queue_tail(&nic->rxq, skb);
	napi_schedule(&nic->napi);
	return true;
}

/* XDP_PASS, or the frame is gone (dropped, sent back, redirected). */
static u32 nic_run_xdp(struct nrtls_nic *nic, struct bpf_prog *prog,
		       struct sk_buff **pskb)
{
	u32 act;

	nrtls_nic_stat_inc(nic, NIC_ST_RX_XDP_PACKETS);
	act = nrtls_do_xdp_generic(prog, pskb);
	if (act != XDP_PASS)
		nrtls_nic_stat_inc(nic, NIC_ST_RX_XDP_CONSUMED);
	return act;
}

/*
 * Whether GRO may have @skb.  A frame is often the sender's clone of a
 * buffer TCP keeps for retransmission, and GRO moves fragments in and out
 * of the shared info: that would rewrite the buffer under the sender.  So
 * a clone gets shared info of its own first, or skips GRO.
 */
static bool nic_own(struct sk_buff *skb)
{
	if (skb_shared(skb))
		return false;
	if (!skb_cloned(skb))
		return true;
	return !nrtls_should_fail(NRTLS_FAULT_NIC_UNCLONE) &&
	       !pskb_expand_head(skb, 0, 0, GFP_ATOMIC);
}

static int nic_poll(struct napi_struct *napi, int budget)
{
	struct nrtls_nic *nic = container_of(napi, struct nrtls_nic, napi);
	struct bpf_prog *prog;
	struct sk_buff *skb;
	int done = 0;

	rcu_read_lock();
	prog = rcu_dereference(nic->xdp_prog);
	while (done < budget && (skb = skb_dequeue(&nic->rxq))) {
		done++;
		/* Counted as on the wire, whatever the program does with it. */
		nrtls_nic_stat_inc(nic, NIC_ST_RX_PACKETS);
		nrtls_nic_stat_add(nic, NIC_ST_RX_BYTES,
				   skb->len + skb->data - skb_mac_header(skb));
		if (prog) {
			/* As the stack sets them before its own skb XDP. */
			skb_reset_network_header(skb);
			skb_reset_mac_len(skb);
			if (nic_run_xdp(nic, prog, &skb) != XDP_PASS)
				continue;
		}
		if (nic_own(skb))
			napi_gro_receive(napi, skb);
		else
			netif_receive_skb(skb);
	}
	rcu_read_unlock();
	if (done < budget && napi_complete_done(napi, done) &&
	    !skb_queue_empty(&nic->rxq))
		napi_schedule(napi);
	return done;
}

static int nic_xdp_set(struct nrtls_nic *nic, struct netdev_bpf *bpf)
{
	struct bpf_prog *old;

	/* Frames longer than a page are linearized for it: nothing to refuse. */
	old = rcu_replace_pointer(nic->xdp_prog, bpf->prog, lockdep_rtnl_is_held());
	if (old)
		bpf_prog_put(old);
	return 0;
}

int nrtls_nic_bpf(struct net_device *dev, struct netdev_bpf *bpf)
{
	struct nrtls_nic *nic = netdev_priv(dev);

	ASSERT_RTNL();
	switch (bpf->command) {
	case XDP_SETUP_PROG:
		return nic_xdp_set(nic, bpf);
	default:
		return -EOPNOTSUPP;
	}
}

/*
 * Frames redirected to this NIC by another device's XDP.  The ones not
 * taken (the return value counts those that were) stay the caller's to
 * free; once a frame is in a socket buffer it is taken, sent or dropped.
 */
int nrtls_nic_xdp_xmit(struct net_device *dev, int n, struct xdp_frame **frames,
		       u32 flags)
{
	struct nrtls_nic *nic = netdev_priv(dev);
	struct sk_buff *skb;
	int i;

	/* Up, but its peer is not: nothing would receive them. */
	if (unlikely(!netif_carrier_ok(dev))) {
		nrtls_nic_stat_add(nic, NIC_ST_TX_XDP_REFUSED, n);
		return -ENETDOWN;
	}
	for (i = 0; i < n; i++) {
		skb = nrtls_should_fail(NRTLS_FAULT_NIC_XDP_SKB) ? NULL :
		      xdp_build_skb_from_frame(frames[i], dev);
		if (unlikely(!skb))
			break;
		/* Built for receiving: the Ethernet header goes back on. */
		skb_push(skb, skb->data - skb_mac_header(skb));
		nrtls_nic_stat_inc(nic, NIC_ST_TX_XDP_FRAMES);
		if (nrtls_nic_xmit_plain(nic, skb) == NETDEV_TX_BUSY) {
			nrtls_nic_stat_inc(nic, NIC_ST_TX_DROPPED);
			kfree_skb(skb);
		}
	}
	if (i < n)
		nrtls_nic_stat_add(nic, NIC_ST_TX_XDP_REFUSED, n - i);
	return i;
}

void nrtls_nic_rx_open(struct nrtls_nic *nic)
{
	napi_enable(&nic->napi);
}

/*
 * The device is down (not running): a delivery that saw it running is in
 * an RCU section that synchronize_net() waits for, and what it queued
 * after napi_disable() is purged here.
 */
void nrtls_nic_rx_stop(struct nrtls_nic *nic)
{
	napi_disable(&nic->napi);
	synchronize_net();
	nrtls_nic_stat_add(nic, NIC_ST_RX_DROPPED, skb_queue_len(&nic->rxq));
	skb_queue_purge(&nic->rxq);
}

void nrtls_nic_napi_init(struct nrtls_nic *nic)
{
	skb_queue_head_init(&nic->rxq);
	netif_napi_add(nic->dev, &nic->napi, nic_poll);
	nrtls_xdp_features(nic->dev);
}
