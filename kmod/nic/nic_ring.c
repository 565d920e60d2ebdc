// SPDX-License-Identifier: GPL-2.0
/*
 * The emulated NIC's TX ring: descriptors complete in order, a set latency
 * after they were posted, from a softirq timer; completion hands the frame
 * to the peer end and gives back what the descriptor held.  This is what
 * makes "packets still in the ring" a real state.
 */
#include <linux/etherdevice.h>
#include <linux/slab.h>

#include "compat.h"
#include "counters.h"
#include "fault.h"
#include "nic.h"

static struct kmem_cache *desc_cache;

/* Completions handled per timer run, so that one ring cannot hog a CPU. */
#define RING_BUDGET 64

struct nrtls_nic_desc *nrtls_nic_desc_alloc(void)
{
	struct nrtls_nic_desc *d;

	if (nrtls_should_fail(NRTLS_FAULT_NIC_DESC))
		return NULL;
	d = kmem_cache_zalloc(desc_cache, GFP_ATOMIC);
	if (d)
		nrtls_obj_inc(NRTLS_OBJ_NIC_DESC);
	return d;
}

void nrtls_nic_desc_free(struct nrtls_nic_desc *d)
{
	kmem_cache_free(desc_cache, d);
	nrtls_obj_dec(NRTLS_OBJ_NIC_DESC);
}

bool nrtls_nic_ring_full(const struct nrtls_nic *nic)
{
	return nic->ring_count >= READ_ONCE(nic->cfg.ring);
}

/* With nic->lock held. */
void nrtls_nic_ring_post(struct nrtls_nic *nic, struct nrtls_nic_desc *d)
{
	bool first = list_empty(&nic->ring);

	lockdep_assert_held(&nic->lock);

	d->due = ktime_add_us(ktime_get(), READ_ONCE(nic->cfg.latency_us));
	list_add_tail(&d->node, &nic->ring);
	if (!(d->flags & NRTLS_DESC_RESERVED))
		nic->ring_count++;
	/* From inside the callback (cxgb4's resume), it re-arms itself. */
	if (first && !nic->in_timer)
		hrtimer_start(&nic->timer, d->due, HRTIMER_MODE_ABS_SOFT);
}

/* The receiving end's TLS decryption; what it refuses is freed. */
static bool nic_rx_or_drop(struct nrtls_nic *nic, struct sk_buff *skb)
{
	if (nrtls_nic_rx(nic, skb))
		return true;
	kfree_skb(skb);
	return false;
}

/* Hand a frame to the other end of the pair, as a veth does. */
static void nic_deliver(struct nrtls_nic *nic, struct sk_buff *skb)
{
	struct net_device *peer;
	unsigned int len = skb->len;

	rcu_read_lock();
	peer = rcu_dereference(nic->peer);
	if (unlikely(!peer || !netif_running(peer))) {
		rcu_read_unlock();
		nrtls_nic_stat_inc(nic, NIC_ST_TX_DROPPED);
		kfree_skb(skb);
		return;
	}
	/*
	 * The frame is on the wire now: it belongs to no socket, and
	 * "decrypted" (to be encrypted by the device, here) does not follow
	 * it.  Otherwise an egress on the peer's side (ifb, forwarding) would
	 * run the sender's kTLS validation on it again, encrypting it twice,
	 * or drop it as unencrypted.
	 */
	skb_orphan(skb);
	nrtls_skb_mark_decrypted(skb, false);
	if (__dev_forward_skb(peer, skb) != NET_RX_SUCCESS ||
	    !nic_rx_or_drop(netdev_priv(peer), skb)) {
		nrtls_nic_stat_inc(netdev_priv(peer), NIC_ST_RX_DROPPED);
	} else if (!nrtls_nic_rx_queue(netdev_priv(peer), skb)) {
		kfree_skb(skb);
		nrtls_nic_stat_inc(netdev_priv(peer), NIC_ST_RX_DROPPED);
	}
	rcu_read_unlock();
	nrtls_nic_stat_inc(nic, NIC_ST_TX_PACKETS);
	nrtls_nic_stat_add(nic, NIC_ST_TX_BYTES, len);
}

/* Whatever a finished or dropped descriptor still held. */
void nrtls_nic_desc_release(struct nrtls_nic_desc *d)
{
	kfree_skb(d->skb);
	if (d->ctx)
		nrtls_ctx_put(d->ctx);
	nrtls_nic_desc_free(d);
}

void nrtls_nic_ring_release(struct list_head *descs)
{
	struct nrtls_nic_desc *d, *tmp;

	list_for_each_entry_safe(d, tmp, descs, node) {
		list_del(&d->node);
		nrtls_nic_desc_release(d);
	}
}

static enum hrtimer_restart nic_ring_timer(struct hrtimer *t)
{
	struct nrtls_nic *nic = container_of(t, struct nrtls_nic, timer);
	struct nrtls_nic_desc *d, *tmp;
	ktime_t now = ktime_get();
	LIST_HEAD(done);
	bool again;
	int n = 0;

	spin_lock(&nic->lock);
	nic->in_timer = true;
	list_for_each_entry_safe(d, tmp, &nic->ring, node) {
		if (ktime_after(d->due, now) || n++ == RING_BUDGET)
			break;
		list_move_tail(&d->node, &done);
		if (!(d->flags & NRTLS_DESC_RESERVED))
			nic->ring_count--;
		if (nic->pers->complete)
			nic->pers->complete(nic, d);
	}
	if (nic->running && nic->pers->resume)
		nic->pers->resume(nic);
	d = list_first_entry_or_null(&nic->ring, struct nrtls_nic_desc, node);
	again = d;
	if (again)
		hrtimer_set_expires(t, ktime_after(d->due, now) ? d->due : now);
	nic->in_timer = false;
	nrtls_nic_wake_locked(nic);
	spin_unlock(&nic->lock);

	list_for_each_entry_safe(d, tmp, &done, node) {
		list_del(&d->node);
		if (d->skb) {
			nic_deliver(nic, d->skb);
			d->skb = NULL;
		}
		nrtls_nic_desc_release(d);
	}
	nrtls_nic_wake_master(nic);
	return again ? HRTIMER_RESTART : HRTIMER_NORESTART;
}

netdev_tx_t nrtls_nic_xmit_plain(struct nrtls_nic *nic, struct sk_buff *skb)
{
	struct nrtls_nic_desc *d;

	spin_lock(&nic->lock);
	if (unlikely(!nic->running)) {
		spin_unlock(&nic->lock);
		nrtls_nic_stat_inc(nic, NIC_ST_TX_DROPPED);
		kfree_skb(skb);
		return NETDEV_TX_OK;
	}
	if (nrtls_nic_full_stop(nic)) {
		spin_unlock(&nic->lock);
		nrtls_nic_stat_inc(nic, NIC_ST_RING_FULL);
		return NETDEV_TX_BUSY;
	}
	d = nrtls_nic_desc_alloc();
	if (unlikely(!d)) {
		spin_unlock(&nic->lock);
		nrtls_nic_stat_inc(nic, NIC_ST_DESC_FAIL);
		nrtls_nic_stat_inc(nic, NIC_ST_TX_DROPPED);
		kfree_skb(skb);
		return NETDEV_TX_OK;
	}
	d->skb = skb;
	nrtls_nic_ring_post(nic, d);
	nrtls_nic_full_stop(nic);
	spin_unlock(&nic->lock);
	nrtls_nic_stat_inc(nic, NIC_ST_PLAIN_PKTS);
	return NETDEV_TX_OK;
}

void nrtls_nic_ring_init(struct nrtls_nic *nic)
{
	INIT_LIST_HEAD(&nic->ring);
	hrtimer_init(&nic->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	nic->timer.function = nic_ring_timer;
}

/*
 * The device goes down: the ring is dropped, as a real NIC's is on reset,
 * and whatever its descriptors held is given back.  TCP retransmits.
 */
void nrtls_nic_ring_stop(struct nrtls_nic *nic)
{
	LIST_HEAD(freed);
	u32 n = 0;

	spin_lock_bh(&nic->lock);
	nic->running = false;
	spin_unlock_bh(&nic->lock);
	/* Not running: the timer cannot be re-armed by a transmit now. */
	hrtimer_cancel(&nic->timer);

	spin_lock_bh(&nic->lock);
	list_splice_init(&nic->ring, &freed);
	nic->ring_count = 0;
	if (nic->pers->stop)
		nic->pers->stop(nic, &freed);
	spin_unlock_bh(&nic->lock);

	while (!list_empty(&freed)) {
		struct nrtls_nic_desc *d;

		d = list_first_entry(&freed, struct nrtls_nic_desc, node);
		list_del(&d->node);
		if (d->skb)
			n++;
		nrtls_nic_desc_release(d);
	}
	nrtls_nic_stat_add(nic, NIC_ST_RING_DROPPED, n);
}

int nrtls_nic_ring_cache_init(void)
{
	desc_cache = KMEM_CACHE(nrtls_nic_desc, 0);
	return desc_cache ? 0 : -ENOMEM;
}

void nrtls_nic_ring_cache_exit(void)
{
	kmem_cache_destroy(desc_cache);
}
