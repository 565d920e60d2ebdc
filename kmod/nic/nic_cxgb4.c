// SPDX-License-Identifier: GPL-2.0
/*
 * The cxgb4 personality, after FreeBSD's cxgbe "ethofld" path (seed 001):
 * each offloaded flow has a work queue in the "firmware" with a number of
 * credits.  A packet waits in the flow's pending queue until its credits
 * are there; completions are asked for on only some requests, so credits
 * come back in batches, and whatever was sent after the last such request
 * stays owed until a flush.
 *
 * The rules the seed ends up with, kept here:
 *  - a pending packet holds a context reference, dropped when the packet
 *    is queued to the firmware; so once the socket's reference is gone and
 *    every packet has reached the firmware, the last release happens;
 *  - the last release sends a flush that returns the owed credits, and the
 *    flow's state is freed when the flush completes;
 *  - the transmit loop holds a temporary reference, so that dropping the
 *    last packet's reference inside the loop cannot free the context
 *    under it.
 * In Linux the queued packet must also stop charging its socket (it is
 * orphaned): otherwise a closing socket would wait for its memory, the
 * memory for the credits, and the credits for the socket's release.
 */
#include <linux/slab.h>

#include "counters.h"
#include "fault.h"
#include "nic.h"

struct nrtls_cx_flow {
	struct list_head node;		/* in nic->flows */
	struct nrtls_ctx *ctx;		/* while the context lives; no reference */
	struct sk_buff_head pending;	/* each holds a context reference */
	struct nrtls_nic_desc *flush;	/* made up front: a flush cannot fail */
	u32 id;
	u32 total, credits;
	u32 owed;			/* of completed requests, not returned */
	u32 nocompl;			/* credits sent since the last completion asked */
	u32 since_compl;		/* requests sent since then */
	u32 ncompl;			/* requests in the ring that ask for one */
	u32 in_ring;			/* data requests in the ring */
	bool dying, flushing, waiting;
};

static atomic_t flow_ids;

/* Credits of a packet: one per request and one per 8 KiB, at most half. */
static u32 cx_cost(const struct nrtls_cx_flow *flow, const struct sk_buff *skb)
{
	return clamp_t(u32, 1 + skb->len / 8192, 1, max(1U, flow->total / 2));
}

/*
 * Whether a request asks for a completion, as cxgbe decides: when none in
 * the ring does, when it would leave more than half the credits behind
 * requests that do not, or every compl_every requests.  So credits that
 * are out without a completion coming are at most half, a packet never
 * costs more than half, and a waiting packet always gets its credits.
 */
static bool cx_want_compl(struct nrtls_cx_flow *flow, u32 cost, u32 every)
{
	if (!flow->ncompl || flow->nocompl + cost > flow->total / 2 ||
	    ++flow->since_compl >= every) {
		flow->ncompl++;
		flow->nocompl = 0;
		flow->since_compl = 0;
		return true;
	}
	flow->nocompl += cost;
	return false;
}

static void cx_flow_free(struct nrtls_cx_flow *flow)
{
	list_del(&flow->node);
	if (flow->flush)
		nrtls_nic_desc_free(flow->flush);
	kfree(flow);
	nrtls_obj_dec(NRTLS_OBJ_NIC_HWCTX);
}

static void cx_drop_pending(struct nrtls_nic *nic, struct nrtls_cx_flow *flow)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&flow->pending))) {
		kfree_skb(skb);
		nrtls_obj_dec(NRTLS_OBJ_NIC_PENDING);
		nrtls_nic_stat_inc(nic, NIC_ST_TX_DROPPED);
		nrtls_ctx_put(flow->ctx);
	}
}

static int cx_bind(struct nrtls_nic *nic, struct nrtls_ctx *ctx, gfp_t gfp)
{
	struct nrtls_nic_tx_ctx *tc = nrtls_ctx_priv(ctx);
	struct nrtls_cx_flow *flow = NULL;
	struct nrtls_nic_desc *flush = NULL;

	if (!nrtls_should_fail(NRTLS_FAULT_NIC_HWCTX)) {
		flow = kzalloc(sizeof(*flow), gfp);
		flush = nrtls_nic_desc_alloc();
	}
	if (!flow || !flush) {
		kfree(flow);
		if (flush)
			nrtls_nic_desc_free(flush);
		return -ENOMEM;
	}
	flow->flush = flush;
	nrtls_obj_inc(NRTLS_OBJ_NIC_HWCTX);
	flow->id = atomic_inc_return(&flow_ids);
	flow->ctx = ctx;
	__skb_queue_head_init(&flow->pending);
	spin_lock_bh(&nic->lock);
	flow->total = nic->cfg.credits;
	flow->credits = flow->total;
	list_add_tail(&flow->node, &nic->flows);
	WRITE_ONCE(tc->hw, flow);
	spin_unlock_bh(&nic->lock);
	return 0;
}

/* With nic->lock: move pending packets to the firmware while credits last. */
static void cx_tx(struct nrtls_nic *nic, struct nrtls_cx_flow *flow)
{
	struct nrtls_ctx *ctx = flow->ctx;
	u32 compl_every = nic->cfg.compl_every;
	struct sk_buff *skb;

	lockdep_assert_held(&nic->lock);

	if (!ctx || skb_queue_empty(&flow->pending))
		return;
	/* Pending packets hold references, so this one cannot be the first. */
	nrtls_ctx_get(ctx);
	while ((skb = skb_peek(&flow->pending))) {
		u32 cost = cx_cost(flow, skb);
		struct nrtls_nic_desc *d;

		if (cost > flow->credits) {
			if (!flow->waiting)
				nrtls_nic_stat_inc(nic, NIC_ST_CREDIT_WAITS);
			flow->waiting = true;
			break;
		}
		if (nrtls_nic_ring_full(nic))
			break;
		flow->waiting = false;
		__skb_unlink(skb, &flow->pending);
		nrtls_obj_dec(NRTLS_OBJ_NIC_PENDING);
		d = nrtls_nic_desc_alloc();
		if (unlikely(!d)) {
			/* Nothing may be left waiting for a completion that
			 * will not come: drop it, TCP retransmits.
			 */
			nrtls_nic_stat_inc(nic, NIC_ST_DESC_FAIL);
			nrtls_nic_stat_inc(nic, NIC_ST_TX_DROPPED);
			kfree_skb(skb);
			nrtls_ctx_put(ctx);
			continue;
		}
		flow->credits -= cost;
		d->credits = cost;
		d->flow = flow;
		if (cx_want_compl(flow, cost, compl_every)) {
			d->flags |= NRTLS_DESC_COMPL;
			nrtls_nic_stat_inc(nic, NIC_ST_COMPL_REQ);
		}
		skb_orphan(skb);
		d->skb = skb;
		flow->in_ring++;
		nrtls_nic_ring_post(nic, d);
		/* The packet's reference: gone once it is in the firmware. */
		nrtls_ctx_put(ctx);
	}
	nrtls_ctx_put(ctx);
}

/* With nic->lock held. */
static void cx_xmit(struct nrtls_nic *nic, struct sk_buff *skb,
		    struct nrtls_ctx *ctx)
{
	struct nrtls_nic_tx_ctx *tc = nrtls_ctx_priv(ctx);
	struct nrtls_cx_flow *flow = tc->hw;

	lockdep_assert_held(&nic->lock);

	__skb_queue_tail(&flow->pending, skb);
	nrtls_obj_inc(NRTLS_OBJ_NIC_PENDING);
	nrtls_ctx_get(ctx);
	cx_tx(nic, flow);
}

static bool cx_flow_done(const struct nrtls_cx_flow *flow)
{
	return flow->dying && !flow->in_ring && !flow->flushing;
}

static void cx_return(struct nrtls_nic *nic, struct nrtls_cx_flow *flow)
{
	flow->credits += flow->owed;
	nrtls_nic_stat_add(nic, NIC_ST_CREDITS_RETURNED, flow->owed);
	flow->owed = 0;
}

/* With nic->lock: the firmware finished a request. */
static void cx_complete(struct nrtls_nic *nic, struct nrtls_nic_desc *d)
{
	struct nrtls_cx_flow *flow = d->flow;

	lockdep_assert_held(&nic->lock);

	if (!flow)
		return;
	if (d->flags & NRTLS_DESC_FLUSH) {
		cx_return(nic, flow);
		flow->flushing = false;
		nrtls_nic_stat_inc(nic, NIC_ST_FLUSHES);
	} else {
		flow->in_ring--;
		flow->owed += d->credits;
		if (d->flags & NRTLS_DESC_COMPL) {
			flow->ncompl--;
			cx_return(nic, flow);
		}
	}
	d->flow = NULL;
	if (cx_flow_done(flow))
		cx_flow_free(flow);
}

/* With nic->lock: the ring has room and credits may have come back. */
static void cx_resume(struct nrtls_nic *nic)
{
	struct nrtls_cx_flow *flow;

	lockdep_assert_held(&nic->lock);

	list_for_each_entry(flow, &nic->flows, node)
		cx_tx(nic, flow);
}

/*
 * The context's last reference went (or its device unregisters): ask the
 * firmware to give back what is owed, and let the flow go when it has.
 */
static void cx_unbind(struct nrtls_nic *nic, struct nrtls_ctx *ctx)
{
	struct nrtls_nic_tx_ctx *tc = nrtls_ctx_priv(ctx);
	struct nrtls_cx_flow *flow;

	spin_lock_bh(&nic->lock);
	flow = tc->hw;
	WRITE_ONCE(tc->hw, NULL);
	/* Only an unregistering device's contexts still have packets here. */
	cx_drop_pending(nic, flow);
	flow->ctx = NULL;
	flow->dying = true;
	if (nic->running && (flow->in_ring || flow->owed ||
			     flow->credits != flow->total)) {
		struct nrtls_nic_desc *d = flow->flush;

		flow->flush = NULL;
		d->flow = flow;
		d->flags = NRTLS_DESC_FLUSH | NRTLS_DESC_RESERVED;
		flow->flushing = true;
		nrtls_nic_ring_post(nic, d);
	} else if (cx_flow_done(flow)) {
		cx_flow_free(flow);
	}
	spin_unlock_bh(&nic->lock);
}

/* With nic->lock: the device stops and its ring was dropped. */
static void cx_stop(struct nrtls_nic *nic, struct list_head *freed)
{
	struct nrtls_cx_flow *flow, *tmp;
	struct nrtls_nic_desc *d;

	lockdep_assert_held(&nic->lock);

	/* The dropped descriptors must not point at flows freed below. */
	list_for_each_entry(d, freed, node)
		d->flow = NULL;
	list_for_each_entry_safe(flow, tmp, &nic->flows, node) {
		if (flow->ctx)
			cx_drop_pending(nic, flow);
		flow->in_ring = 0;
		flow->owed = 0;
		flow->ncompl = 0;
		flow->nocompl = 0;
		flow->since_compl = 0;
		flow->credits = flow->total;
		flow->flushing = false;
		if (cx_flow_done(flow))
			cx_flow_free(flow);
	}
}

static void cx_show(struct nrtls_nic *nic, struct nrtls_ctx *ctx,
		    struct seq_file *m)
{
	struct nrtls_nic_tx_ctx *tc = nrtls_ctx_priv(ctx);
	struct nrtls_cx_flow *flow = tc->hw;

	if (flow)
		seq_printf(m, " flow=%u credits=%u/%u owed=%u pending=%u in_ring=%u asked=%u",
			   flow->id, flow->credits, flow->total, flow->owed,
			   skb_queue_len(&flow->pending), flow->in_ring, flow->ncompl);
}

const struct nrtls_nic_pers nrtls_cxgb4_pers = {
	.name = "cxgb4",
	.bind = cx_bind,
	.unbind = cx_unbind,
	.xmit = cx_xmit,
	.complete = cx_complete,
	.resume = cx_resume,
	.stop = cx_stop,
	.show = cx_show,
};
