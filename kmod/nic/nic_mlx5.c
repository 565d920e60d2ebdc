// SPDX-License-Identifier: GPL-2.0
/*
 * The mlx5 personality: TLS TX contexts come from a pool that a work item
 * refills in bulk between a low and a high mark (mlx5 en_accel/ktls_tx.c
 * does this with 16 at a time between 1024 and 4096); tls_dev_add takes
 * one, or makes one synchronously when the pool is empty, and the last
 * release gives it back.  Each offloaded packet's descriptor holds a
 * reference on its context until the descriptor completes.
 *
 * A pooled context is not in use and belongs to no flow, so it carries no
 * pointer to the device at all (FreeBSD's mlx5 once used the ifp of
 * preallocated tags that were not in use): the pool is reached through
 * the device, never the other way round.
 */
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "counters.h"
#include "fault.h"
#include "nic.h"

struct nrtls_mlx5_hw {
	struct list_head node;	/* in nic->pool while not in use */
	u32 id;
};

static atomic_t hw_ids;

static struct nrtls_mlx5_hw *hw_alloc(gfp_t gfp)
{
	struct nrtls_mlx5_hw *hw = kzalloc(sizeof(*hw), gfp);

	if (!hw)
		return NULL;
	hw->id = atomic_inc_return(&hw_ids);
	nrtls_obj_inc(NRTLS_OBJ_NIC_HWCTX);
	return hw;
}

static void hw_free(struct nrtls_mlx5_hw *hw)
{
	kfree(hw);
	nrtls_obj_dec(NRTLS_OBJ_NIC_HWCTX);
}

void nrtls_mlx5_refill(struct work_struct *work)
{
	struct nrtls_nic *nic = container_of(work, struct nrtls_nic, refill);
	struct nrtls_mlx5_hw *hw, *tmp;
	struct mem_cgroup *old;

	for (;;) {
		LIST_HEAD(batch);
		u32 want, n = 0;

		spin_lock_bh(&nic->lock);
		want = 0;
		if (!nic->dead && nic->pool_len < nic->cfg.pool_high)
			want = min(nic->cfg.pool_bulk,
				   nic->cfg.pool_high - nic->pool_len);
		spin_unlock_bh(&nic->lock);
		if (!want)
			return;

		/*
		 * The pool is the device's, paid by its creator: a user in
		 * a namespace of its own sets pool-high.  Past its memcg's
		 * limit the pool stays short; no OOM kill for it.
		 */
		old = set_active_memcg(nic->memcg);
		while (n < want) {
			hw = NULL;
			if (!nrtls_should_fail(NRTLS_FAULT_NIC_REFILL))
				hw = hw_alloc(GFP_KERNEL_ACCOUNT | __GFP_NORETRY |
					      __GFP_NOWARN);
			if (!hw)
				break;
			list_add(&hw->node, &batch);
			n++;
		}
		set_active_memcg(old);

		spin_lock_bh(&nic->lock);
		if (!nic->dead) {
			list_splice(&batch, &nic->pool);
			INIT_LIST_HEAD(&batch);
			nic->pool_len += n;
		}
		spin_unlock_bh(&nic->lock);
		list_for_each_entry_safe(hw, tmp, &batch, node)
			hw_free(hw);
		if (n)
			nrtls_nic_stat_inc(nic, NIC_ST_POOL_REFILLS);
		if (n < want) {
			/* Out of memory: try again at the next take. */
			nrtls_nic_stat_inc(nic, NIC_ST_POOL_ALLOC_FAIL);
			return;
		}
		cond_resched();
	}
}

static int mlx5_bind(struct nrtls_nic *nic, struct nrtls_ctx *ctx, gfp_t gfp)
{
	struct nrtls_nic_tx_ctx *tc = nrtls_ctx_priv(ctx);
	struct nrtls_mlx5_hw *hw;
	bool low;

	spin_lock_bh(&nic->lock);
	hw = list_first_entry_or_null(&nic->pool, struct nrtls_mlx5_hw, node);
	if (hw) {
		list_del(&hw->node);
		nic->pool_len--;
	}
	low = !nic->dead && nic->pool_len < nic->cfg.pool_low;
	spin_unlock_bh(&nic->lock);
	if (low)
		schedule_work(&nic->refill);

	if (!hw) {
		struct mem_cgroup *old;

		/*
		 * The pool ran dry: make one now, as mlx5 does.  It goes
		 * back to the pool, the device's: its creator pays, not the
		 * caller, and at its limit the session stays in software
		 * rather than OOM-kill the creator's tasks.
		 */
		old = set_active_memcg(nic->memcg);
		if (!nrtls_should_fail(NRTLS_FAULT_NIC_HWCTX))
			hw = hw_alloc(gfp | __GFP_ACCOUNT | __GFP_NORETRY |
				      __GFP_NOWARN);
		set_active_memcg(old);
		if (!hw) {
			nrtls_nic_stat_inc(nic, NIC_ST_POOL_ALLOC_FAIL);
			return -ENOMEM;
		}
		nrtls_nic_stat_inc(nic, NIC_ST_POOL_SYNC_ALLOC);
	}
	WRITE_ONCE(tc->hw, hw);
	return 0;
}

static void mlx5_unbind(struct nrtls_nic *nic, struct nrtls_ctx *ctx)
{
	struct nrtls_nic_tx_ctx *tc = nrtls_ctx_priv(ctx);
	struct nrtls_mlx5_hw *hw;

	spin_lock_bh(&nic->lock);
	hw = tc->hw;
	WRITE_ONCE(tc->hw, NULL);
	if (hw && !nic->dead && nic->pool_len < nic->cfg.pool_high) {
		list_add(&hw->node, &nic->pool);
		nic->pool_len++;
		hw = NULL;
	}
	spin_unlock_bh(&nic->lock);
	if (hw)
		hw_free(hw);
}

/* With nic->lock: the descriptor holds a context reference until done. */
static void mlx5_xmit(struct nrtls_nic *nic, struct sk_buff *skb,
		      struct nrtls_ctx *ctx)
{
	struct nrtls_nic_desc *d = nrtls_nic_desc_alloc();

	lockdep_assert_held(&nic->lock);

	if (unlikely(!d)) {
		nrtls_nic_stat_inc(nic, NIC_ST_DESC_FAIL);
		nrtls_nic_stat_inc(nic, NIC_ST_TX_DROPPED);
		kfree_skb(skb);
		return;
	}
	d->skb = skb;
	d->ctx = nrtls_ctx_get(ctx);
	nrtls_nic_ring_post(nic, d);
}

static void mlx5_show(struct nrtls_nic *nic, struct nrtls_ctx *ctx,
		      struct seq_file *m)
{
	struct nrtls_nic_tx_ctx *tc = nrtls_ctx_priv(ctx);
	struct nrtls_mlx5_hw *hw = tc->hw;

	if (hw)
		seq_printf(m, " hw=%u", hw->id);
	seq_printf(m, " pool=%u", nic->pool_len);
}

static void mlx5_open(struct nrtls_nic *nic)
{
	schedule_work(&nic->refill);
}

/* The device unregisters; contexts may still come back until it is freed. */
static void mlx5_destroy(struct nrtls_nic *nic)
{
	struct nrtls_mlx5_hw *hw, *tmp;
	LIST_HEAD(pool);

	spin_lock_bh(&nic->lock);
	nic->dead = true;
	list_splice_init(&nic->pool, &pool);
	nic->pool_len = 0;
	spin_unlock_bh(&nic->lock);
	cancel_work_sync(&nic->refill);
	/* Up to 2^20 of them (pool-high): let others run meanwhile. */
	list_for_each_entry_safe(hw, tmp, &pool, node) {
		hw_free(hw);
		cond_resched();
	}
}

const struct nrtls_nic_pers nrtls_mlx5_pers = {
	.name = "mlx5",
	.bind = mlx5_bind,
	.unbind = mlx5_unbind,
	.xmit = mlx5_xmit,
	.show = mlx5_show,
	.open = mlx5_open,
	.destroy = mlx5_destroy,
	.tls_rx = true,
};
