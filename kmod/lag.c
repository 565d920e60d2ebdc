// SPDX-License-Identifier: GPL-2.0
/*
 * The wrapper device (FreeBSD's lagg with wrapper send tags, seed 001),
 * link kind "nrtls_lag": "ip link add lag0 type nrtls_lag", then "ip link
 * set nicN master lag0".  Stock kTLS offloads a flow routed through lag0
 * to lag0 itself; lag0 owns a wrapper context for it, and the wrapper
 * context owns a context on the lower NIC the flow is steered to.
 *
 * Before each offloaded packet goes down, lag0 checks that the lower
 * context belongs to the lower the flow is steered to now (by its hash,
 * or by a BPF program's decision, nrtls_lag_ctx_steer()).  On a mismatch
 * a reset work item allocates a context on the new lower with the
 * session's keys and installs it (FreeBSD's ktls_reset_send_tag), after
 * which the flow is offloaded there: the new lower resynchronises from
 * kTLS's record list at its first packet.  Meanwhile, if the old lower
 * still works (the steering changed), the packets keep going out through
 * it with its context: make before break.  If it went away, lag0 never
 * hands the old context to the new device: the packets go through the new
 * lower in software, the way stock kTLS encrypts packets that leave by
 * another device.  If no lower can offload,
 * the wrapper context says "sw" until one can.  A reset that fails is
 * tried again after a delay that doubles, at most LAG_RESET_TRIES times,
 * and then not until the lowers change: each try takes RTNL, so a flow's
 * packets must not each ask for one.
 *
 * Unlike FreeBSD, nothing is dropped while the reset is pending: Linux can
 * encrypt any packet in software at any device.  Unlike bonding, which
 * hands the flow to its slave's own context and falls back to software for
 * good when that slave goes away, lag0 re-homes the flow.
 */
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_vlan.h>
#include <linux/jhash.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/rtnetlink.h>
#include <net/tls.h>

#include "compat.h"
#include "counters.h"
#include "ctx.h"
#include "fault.h"
#include "lag.h"
#include "lower.h"

/*
 * A lower, on lag->lowers while it is one.  A wrapper context whose lower
 * context lives on it (its @home) holds a reference, so that @live can be
 * counted down after the device has left the lag; @dev is not to be used
 * through such a reference.
 */
struct nrtls_lag_lower {
	struct list_head node;
	struct net_device *dev;
	refcount_t ref;
	atomic_t live;		/* wrapper contexts at @home here */
	bool drained;		/* written under RTNL */
	u8 saved_addr[ETH_ALEN];
	unsigned int saved_mtu;
	struct rcu_head rcu;
};

/*
 * A wrapper context's state (nrtls_ctx_priv()).  @lower holds a reference
 * on the lower context; it changes under @lock and is read under RCU.  A
 * queued @reset holds a reference on the wrapper context and a hold on
 * lag0.
 */
struct nrtls_lag_ctx {
	struct nrtls_ctx *ctx;
	struct nrtls_lag *lag;
	struct list_head node;	/* on lag->ctxs */
	spinlock_t lock;	/* @lower, @home, @reset_pending, @dead, @fails.. */
	struct nrtls_ctx __rcu *lower;
	struct nrtls_lag_lower *home;	/* where @lower was made */
	struct work_struct reset;
	netdevice_tracker reset_tracker;
	u32 hash;
	/* A BPF program's decision: the lower's ifindex, or 0 (by hash). */
	u32 steer;
	bool reset_pending;
	bool dead;
	/*
	 * Failed resets in a row, with the lowers as they were (@fail_gen):
	 * the next try waits until @retry_at, and after LAG_RESET_TRIES the
	 * flow stays in software until the lowers change.
	 */
	u8 fails;
	u32 fail_gen;
	unsigned long retry_at;
	/* The session's keys, for each lower context it gets. */
	union tls_crypto_context crypto;
	/*
	 * The flow's last offloaded packet: when, and the id of its lower
	 * context (0: none, or one went through software since).  Written
	 * on the packet path without a lock of their own: a flow's packets
	 * rarely race each other, and then only a measurement is off.
	 */
	u64 last_tx_ns;
	u32 last_lower_id;
};

static const char lag_stat_names[LAG_ST_NR][ETH_GSTRING_LEN] = {
	[LAG_ST_TX_PACKETS] = "tx_packets",
	[LAG_ST_TX_BYTES] = "tx_bytes",
	[LAG_ST_TX_DROPPED] = "tx_dropped",
	[LAG_ST_RX_PACKETS] = "rx_packets",
	[LAG_ST_RX_BYTES] = "rx_bytes",
	[LAG_ST_TLS_ADD] = "tx_tls_ctx_add",
	[LAG_ST_TLS_DEL] = "tx_tls_ctx_del",
	[LAG_ST_TLS_OFFLOADED] = "tx_tls_offloaded_packets",
	[LAG_ST_TLS_SW] = "tx_tls_sw_packets",
	[LAG_ST_TLS_MISMATCH] = "tx_tls_ctx_mismatch",
	[LAG_ST_RESETS] = "tx_tls_resets",
	[LAG_ST_RESET_FAIL] = "tx_tls_reset_fail",
	[LAG_ST_FALLBACKS] = "tx_tls_fallbacks",
	[LAG_ST_LOWER_BUSY] = "tx_lower_busy",
	[LAG_ST_RESET_BACKOFF] = "tx_tls_reset_backoff",
	[LAG_ST_TLS_MOVING] = "tx_tls_moving_packets",
	[LAG_ST_MOVE_GAPS] = "tx_tls_move_gaps",
	[LAG_ST_MOVE_GAP_MAX_US] = "tx_tls_move_gap_max_us",
	[LAG_ST_MOVE_GAP_TOTAL_US] = "tx_tls_move_gap_total_us",
	[LAG_ST_TLS_ABOVE] = "tx_tls_encrypted_above_packets",
};

#define LAG_RESET_TRIES		5
#define LAG_RESET_DELAY		(HZ / 10)	/* doubled at each failure */

static struct workqueue_struct *lag_wq;
static const struct net_device_ops lag_netdev_ops;

static void lag_stat_inc(struct nrtls_lag *lag, enum nrtls_lag_stat s)
{
	nrtls_devstats_add(lag->stats, s, 1);
}

static struct nrtls_lag *lag_of(const struct net_device *dev)
{
	return dev->netdev_ops == &lag_netdev_ops ? netdev_priv(dev) : NULL;
}

static struct nrtls_lag_ctx *lag_ctx(struct nrtls_ctx *ctx)
{
	return nrtls_ctx_priv(ctx);
}

static bool lower_usable(const struct net_device *dev)
{
	return netif_running(dev) && netif_carrier_ok(dev);
}

/* Usable, and not drained: a lower that takes flows. */
static bool lower_open(const struct nrtls_lag_lower *l)
{
	return lower_usable(l->dev) && !READ_ONCE(l->drained);
}

static void lag_lower_put(struct nrtls_lag_lower *l)
{
	if (l && refcount_dec_and_test(&l->ref))
		kfree_rcu(l, rcu);
}

static bool lower_eligible(const struct nrtls_lag_lower *l, bool open)
{
	return open ? lower_open(l) : lower_usable(l->dev);
}

static struct nrtls_lag_lower *lag_pick_from(struct nrtls_lag *lag, u32 hash,
					     bool open)
{
	struct nrtls_lag_lower *l;
	unsigned int n = 0, i;

	list_for_each_entry_rcu(l, &lag->lowers, node)
		n += lower_eligible(l, open);
	if (!n)
		return NULL;
	i = hash % n;
	list_for_each_entry_rcu(l, &lag->lowers, node) {
		if (lower_eligible(l, open) && !i--)
			return l;
	}
	return NULL;
}

/*
 * The default steering: the open lowers in order, by flow hash, like
 * bonding's layer3+4 policy.  Drained ones only when no other is usable,
 * so that draining the last lower cuts nothing.  Under RCU.
 */
static struct nrtls_lag_lower *lag_pick(struct nrtls_lag *lag, u32 hash)
{
	return lag_pick_from(lag, hash, true) ?: lag_pick_from(lag, hash, false);
}

/* The open lower with this ifindex, or NULL.  Under RCU. */
static struct nrtls_lag_lower *lag_lower_by_ifindex(struct nrtls_lag *lag,
						    u32 ifindex)
{
	struct nrtls_lag_lower *l;

	list_for_each_entry_rcu(l, &lag->lowers, node)
		if (l->dev->ifindex == ifindex && lower_open(l))
			return l;
	return NULL;
}

/*
 * Where a flow goes now: the lower a program steered it to while that one
 * is open, else the hash's.  Under RCU.
 */
static struct nrtls_lag_lower *lag_target(struct nrtls_lag *lag, u32 steer,
					  u32 hash)
{
	struct nrtls_lag_lower *l = NULL;

	if (steer)
		l = lag_lower_by_ifindex(lag, steer);
	return l ?: lag_pick(lag, hash);
}

/*
 * The usable lower that @lower_ctx lives on, or NULL.  Under RCU (BH).
 * A walk, not lc->home: a lower that left the lag is not one to use.
 */
static struct nrtls_lag_lower *lag_home(struct nrtls_lag *lag,
					const struct nrtls_ctx *lower_ctx)
{
	struct nrtls_lag_lower *l;

	list_for_each_entry_rcu(l, &lag->lowers, node)
		if (nrtls_ctx_on_dev(lower_ctx, l->dev) && lower_usable(l->dev))
			return l;
	return NULL;
}

/*
 * The lowers changed.  Also restart the queue: it may have stopped for a
 * lower that is gone or down now, whose ring would never wake it.
 */
static void lag_update_carrier(struct nrtls_lag *lag)
{
	struct nrtls_lag_lower *l;
	bool up = false;

	ASSERT_RTNL();
	WRITE_ONCE(lag->gen, lag->gen + 1);
	list_for_each_entry(l, &lag->lowers, node)
		up |= lower_usable(l->dev);
	if (up)
		netif_carrier_on(lag->dev);
	else
		netif_carrier_off(lag->dev);
	nrtls_lag_wake(lag->dev);
}

/* --- wrapper contexts ------------------------------------------------------ */

/*
 * Under RTNL, so that the lower cannot start unregistering between the
 * check and the new context (whose device would then never be let go).
 * The new context starts unsynchronised: the lower finds where the flow
 * is from kTLS's record list at its first packet, as after any
 * retransmission, so no record state is carried from the old lower.
 */
static void lag_reset_work(struct work_struct *work)
{
	struct nrtls_lag_ctx *lc = container_of(work, struct nrtls_lag_ctx, reset);
	struct nrtls_ctx_params state = {
		.flow = lc->ctx->flow,
		.crypto = &lc->crypto.info,
	};
	struct nrtls_lag *lag = lc->lag;
	struct nrtls_ctx *new = NULL, *old = NULL, *cur;
	struct nrtls_lag_lower *target, *old_home = NULL;
	const struct nrtls_lower_ops *ops = NULL;
	struct net_device *lower = NULL;
	bool failed = false, there;

	rtnl_lock();
	/* Lowers come and go under RTNL: @target stays while it is held. */
	rcu_read_lock();
	target = lag_target(lag, READ_ONCE(lc->steer), lc->hash);
	rcu_read_unlock();
	if (target) {
		lower = target->dev;
		ops = nrtls_lower_ops_of(lower);
	}
	if (ops && !ops->can_offload(lower))
		ops = NULL;

	/* Asked again for where it is already (twice, or a steer back). */
	spin_lock_bh(&lc->lock);
	cur = rcu_dereference_protected(lc->lower, lockdep_is_held(&lc->lock));
	there = ops && cur && lc->home == target &&
		nrtls_ctx_on_dev(cur, lower);
	spin_unlock_bh(&lc->lock);

	if (ops && !there && !READ_ONCE(lc->dead)) {
		if (nrtls_should_fail(NRTLS_FAULT_LAG_RESET))
			new = ERR_PTR(-ENOMEM);
		else
			new = ops->ctx_alloc(lower, &state, GFP_KERNEL);
		if (IS_ERR(new)) {
			lag_stat_inc(lag, LAG_ST_RESET_FAIL);
			new = NULL;
			failed = true;
		}
	}

	spin_lock_bh(&lc->lock);
	cur = rcu_dereference_protected(lc->lower, lockdep_is_held(&lc->lock));
	/*
	 * Make before break: a failed move leaves the flow where it works,
	 * on a lower still in the lag (not one that left and came back).
	 */
	rcu_read_lock();
	if (failed && cur && lc->home && lag_home(lag, cur) == lc->home)
		there = true;
	rcu_read_unlock();
	if (lc->dead) {
		old = new;
	} else if (!there) {
		old = rcu_replace_pointer(lc->lower, new,
					  lockdep_is_held(&lc->lock));
		old_home = lc->home;
		lc->home = NULL;
		if (new) {
			refcount_inc(&target->ref);
			atomic_inc(&target->live);
			lc->home = target;
			nrtls_ctx_set_mode(lc->ctx, NRTLS_MODE_DEVICE);
			lag_stat_inc(lag, LAG_ST_RESETS);
		} else if (lc->ctx->mode == NRTLS_MODE_DEVICE) {
			nrtls_ctx_set_mode(lc->ctx, NRTLS_MODE_SW);
			lag_stat_inc(lag, LAG_ST_FALLBACKS);
		}
	}
	if (failed) {
		lc->fails = min(lc->fails + 1, LAG_RESET_TRIES);
		lc->fail_gen = lag->gen;
		lc->retry_at = jiffies + (LAG_RESET_DELAY << (lc->fails - 1));
	} else {
		lc->fails = 0;
	}
	/* The next reset may take the tracker once this one is let go. */
	netdev_put(lag->dev, &lc->reset_tracker);
	lc->reset_pending = false;
	spin_unlock_bh(&lc->lock);
	rtnl_unlock();

	if (old_home) {
		atomic_dec(&old_home->live);
		lag_lower_put(old_home);
	}
	if (old)
		nrtls_ctx_put(old);
	nrtls_ctx_put(lc->ctx);
}

/*
 * Place the flow on the lower it is steered to now, in a work item.  The
 * caller holds a reference (the socket's, from tls_dev_add or transmit).
 */
static void lag_schedule_reset(struct nrtls_lag_ctx *lc)
{
	spin_lock_bh(&lc->lock);
	if (lc->fails && lc->fail_gen == READ_ONCE(lc->lag->gen) &&
	    (lc->fails >= LAG_RESET_TRIES ||
	     time_before(jiffies, lc->retry_at))) {
		/* Not again so soon: each try takes RTNL. */
		spin_unlock_bh(&lc->lock);
		lag_stat_inc(lc->lag, LAG_ST_RESET_BACKOFF);
		return;
	}
	if (!lc->reset_pending && !lc->dead) {
		lc->reset_pending = true;
		nrtls_ctx_get(lc->ctx);
		netdev_hold(lc->lag->dev, &lc->reset_tracker, GFP_ATOMIC);
		queue_work(lag_wq, &lc->reset);
	}
	spin_unlock_bh(&lc->lock);
}

static void lag_ctx_free(struct nrtls_ctx *ctx)
{
	struct nrtls_lag_ctx *lc = lag_ctx(ctx);
	struct nrtls_lag_lower *home;
	struct nrtls_ctx *lower;

	spin_lock_bh(&lc->lag->ctxs_lock);
	list_del(&lc->node);
	spin_unlock_bh(&lc->lag->ctxs_lock);

	spin_lock_bh(&lc->lock);
	lc->dead = true;
	lower = rcu_replace_pointer(lc->lower, NULL, lockdep_is_held(&lc->lock));
	home = lc->home;
	lc->home = NULL;
	spin_unlock_bh(&lc->lock);
	memzero_explicit(&lc->crypto, sizeof(lc->crypto));
	if (home) {
		atomic_dec(&home->live);
		lag_lower_put(home);
	}
	if (lower)
		nrtls_ctx_put(lower);
}

static void lag_ctx_show(struct nrtls_ctx *ctx, struct seq_file *m)
{
	struct nrtls_lag_ctx *lc = lag_ctx(ctx);
	struct nrtls_ctx *lower;

	rcu_read_lock();
	lower = rcu_dereference(lc->lower);
	if (lower)
		seq_printf(m, " lower=%u lower_dev=%s", lower->id, lower->ifname);
	else
		seq_puts(m, " lower=none");
	rcu_read_unlock();
}

static const struct nrtls_ctx_ops lag_ctx_ops = {
	.free = lag_ctx_free,
	.show = lag_ctx_show,
};

static int lag_tls_dev_add(struct net_device *dev, struct sock *sk,
			   enum tls_offload_ctx_dir direction,
			   struct tls_crypto_info *crypto_info,
			   u32 start_offload_tcp_sn)
{
	struct nrtls_lag *lag = netdev_priv(dev);
	struct nrtls_flow flow;
	struct nrtls_ctx *ctx;
	struct nrtls_lag_ctx *lc;
	int err;

	if (direction != TLS_OFFLOAD_CTX_DIR_TX)
		return -EOPNOTSUPP;
	if (!nrtls_tls_offloadable(crypto_info))
		return -EOPNOTSUPP;
	nrtls_ctx_flow_of_sk(sk, &flow);
	/* Made in the task setting the key: its memory cgroup pays. */
	ctx = nrtls_ctx_alloc(dev, &flow, NRTLS_CTX_TLS_TX, &lag_ctx_ops,
			      sizeof(*lc), GFP_KERNEL_ACCOUNT);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	lc = lag_ctx(ctx);
	lc->ctx = ctx;
	lc->lag = lag;
	spin_lock_init(&lc->lock);
	INIT_WORK(&lc->reset, lag_reset_work);
	lc->hash = jhash(&flow, sizeof(flow), 0);
	memcpy(&lc->crypto, crypto_info,
	       crypto_info->cipher_type == TLS_CIPHER_AES_GCM_128 ?
	       sizeof(lc->crypto.aes_gcm_128) : sizeof(lc->crypto.aes_gcm_256));
	spin_lock_bh(&lag->ctxs_lock);
	list_add_tail(&lc->node, &lag->ctxs);
	spin_unlock_bh(&lag->ctxs_lock);
	/* Whole now: its free takes it off the list. */
	err = nrtls_ctx_charge_caller(ctx);
	if (err) {
		nrtls_ctx_put(ctx);
		return err;
	}

	/*
	 * kTLS holds its offload lock here, which it also takes under RTNL:
	 * the lower context is made by the reset work, under RTNL.  Until
	 * then the flow's packets are encrypted in software.
	 */
	lag_schedule_reset(lc);

	nrtls_tls_attach(sk, ctx);
	lag_stat_inc(lag, LAG_ST_TLS_ADD);
	return 0;
}

static void lag_tls_dev_del(struct net_device *dev, struct tls_context *tls_ctx,
			    enum tls_offload_ctx_dir direction)
{
	if (nrtls_tls_detach(tls_ctx, direction))
		lag_stat_inc(netdev_priv(dev), LAG_ST_TLS_DEL);
}

static const struct tlsdev_ops lag_tlsdev_ops = {
	.tls_dev_add = lag_tls_dev_add,
	.tls_dev_del = lag_tls_dev_del,
	.tls_dev_resync = nrtls_tls_dev_resync,
};

/* --- transmit and receive ------------------------------------------------- */

static netdev_tx_t lag_to_lower(struct nrtls_lag *lag, struct sk_buff *skb,
				struct net_device *lower)
{
	skb->dev = lower;
	dev_queue_xmit(skb);
	return NETDEV_TX_OK;
}

/*
 * The flow's lower context, referenced, or NULL.  A reset swaps the
 * pointer before it lets the old context go, so when the reference fails
 * the new one is in place: read again.  Contexts are freed after RCU.
 */
static struct nrtls_ctx *lag_lower_ctx_get(struct nrtls_lag_ctx *lc)
{
	struct nrtls_ctx *lower;

	do {
		lower = rcu_dereference_bh(lc->lower);
	} while (lower && !nrtls_ctx_tryget(lower));
	return lower;
}

/*
 * The flow's first offloaded packet on a new lower context: how long it
 * had none since its last one on the old (the stall a move costs the flow
 * at the wrapper; for a flow idle when it moved, its idle time too).
 */
static void lag_note_tx(struct nrtls_lag *lag, struct nrtls_lag_ctx *lc,
			const struct nrtls_ctx *lower_ctx)
{
	u32 last = READ_ONCE(lc->last_lower_id);
	u64 now = ktime_get_ns();
	s64 gap_us, max;

	if (last && last != lower_ctx->id) {
		gap_us = div_u64(now - READ_ONCE(lc->last_tx_ns), NSEC_PER_USEC);
		lag_stat_inc(lag, LAG_ST_MOVE_GAPS);
		nrtls_devstats_add(lag->stats, LAG_ST_MOVE_GAP_TOTAL_US, gap_us);
		max = atomic64_read(&lag->move_gap_max_us);
		while (gap_us > max &&
		       !atomic64_try_cmpxchg(&lag->move_gap_max_us, &max, gap_us))
			;
	}
	WRITE_ONCE(lc->last_tx_ns, now);
	WRITE_ONCE(lc->last_lower_id, lower_ctx->id);
}

/* A packet of an offloaded flow: to its lower context, or through software. */
static netdev_tx_t lag_xmit_tls(struct nrtls_lag *lag, struct sk_buff *skb,
				struct nrtls_ctx *ctx, struct net_device *lower)
{
	struct nrtls_lag_ctx *lc = lag_ctx(ctx);
	struct nrtls_ctx *lower_ctx = lag_lower_ctx_get(lc);
	const struct nrtls_lower_ops *ops;
	struct nrtls_lag_lower *home;
	struct netdev_queue *txq;
	netdev_tx_t rc;

	/*
	 * Steered off a lower that still works: make before break.  The
	 * packets keep going out offloaded where the flow is until the
	 * context on the new lower exists; a mismatch below is only for a
	 * lower that went away.
	 */
	if (lower_ctx && !nrtls_ctx_on_dev(lower_ctx, lower)) {
		home = lag_home(lag, lower_ctx);
		if (home) {
			lag_schedule_reset(lc);
			lag_stat_inc(lag, LAG_ST_TLS_MOVING);
			lower = home->dev;
		}
	}
	ops = nrtls_lower_ops_of(lower);
	if (lower_ctx && ops && nrtls_ctx_on_dev(lower_ctx, lower) &&
	    ops->can_offload(lower)) {
		txq = netdev_get_tx_queue(lower, 0);
		__netif_tx_lock(txq, smp_processor_id());
		if (netif_xmit_stopped(txq)) {
			rc = NETDEV_TX_BUSY;
		} else {
			/*
			 * The lower's, as for any packet it transmits: a
			 * descriptor may outlive lag0.
			 */
			skb->dev = lower;
			rc = ops->xmit_ctx(lower, skb, lower_ctx);
		}
		if (rc == NETDEV_TX_OK)
			lag_note_tx(lag, lc, lower_ctx);
		__netif_tx_unlock(txq);
		nrtls_ctx_put(lower_ctx);
		if (rc == NETDEV_TX_BUSY) {
			skb->dev = lag->dev;
			lag_stat_inc(lag, LAG_ST_LOWER_BUSY);
			/* Every queue of lag0 may lead to that lower. */
			netif_tx_stop_all_queues(lag->dev);
			/*
			 * The lower wakes us when its ring has room: if it
			 * did before the stop was seen, wake ourselves.
			 */
			smp_mb__after_atomic();
			if (!netif_xmit_stopped(txq) &&
			    !ops->ring_full(lower))
				netif_tx_wake_all_queues(lag->dev);
			return NETDEV_TX_BUSY;
		}
		lag_stat_inc(lag, LAG_ST_TLS_OFFLOADED);
		return NETDEV_TX_OK;
	}
	if (lower_ctx)
		nrtls_ctx_put(lower_ctx);
	/*
	 * The context below is for another device (or none is): re-home the
	 * flow, unless it is in software and stays there.
	 */
	if (READ_ONCE(ctx->mode) == NRTLS_MODE_DEVICE) {
		lag_stat_inc(lag, LAG_ST_TLS_MISMATCH);
		lag_schedule_reset(lc);
	} else if (ops && ops->can_offload(lower)) {
		lag_schedule_reset(lc);
	}
	WRITE_ONCE(lc->last_lower_id, 0);
	lag_stat_inc(lag, LAG_ST_TLS_SW);
	return lag_to_lower(lag, skb, lower);
}

static netdev_tx_t lag_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct nrtls_lag *lag = netdev_priv(dev);
	struct nrtls_ctx *ctx = nrtls_tls_ctx(skb, dev);
	struct nrtls_lag_lower *target = NULL;
	unsigned int len = skb->len;
	netdev_tx_t rc;

	if (ctx) {
		target = lag_target(lag, READ_ONCE(lag_ctx(ctx)->steer),
				    lag_ctx(ctx)->hash);
	} else if (likely(netif_running(dev))) {
		/*
		 * Encrypted by kTLS at lag0 already (its flow went to
		 * software when lag0 went down, or is offloaded elsewhere):
		 * plain bytes for the lower, whose own validation would
		 * encrypt them again.
		 */
		if (nrtls_tls_encrypted_for(skb, dev)) {
			skb_orphan(skb);
			nrtls_skb_mark_decrypted(skb, false);
			lag_stat_inc(lag, LAG_ST_TLS_ABOVE);
		}
		target = lag_pick(lag, skb_get_hash(skb));
	}
	if (!target) {
		lag_stat_inc(lag, LAG_ST_TX_DROPPED);
		kfree_skb(skb);
		return NETDEV_TX_OK;
	}
	/*
	 * The tag goes out of band, as to a NIC that inserts it; it is the
	 * same again if the packet comes back here after NETDEV_TX_BUSY.
	 */
	if (lag->vid)
		__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q), lag->vid);
	if (ctx)
		rc = lag_xmit_tls(lag, skb, ctx, target->dev);
	else
		rc = lag_to_lower(lag, skb, target->dev);
	if (rc == NETDEV_TX_BUSY && unlikely(!netif_running(dev))) {
		/*
		 * Closing: handed back, the packet could outlive the
		 * qdisc's reset and, once tls_device_down() ran, come back
		 * unvalidated, taken for one kTLS encrypted here.
		 */
		lag_stat_inc(lag, LAG_ST_TX_DROPPED);
		kfree_skb(skb);
		return NETDEV_TX_OK;
	}
	if (rc == NETDEV_TX_OK) {
		lag_stat_inc(lag, LAG_ST_TX_PACKETS);
		nrtls_devstats_add(lag->stats, LAG_ST_TX_BYTES, len);
	}
	return rc;
}

/* --- steering by BPF programs (kfunc.c) ------------------------------------ */

/*
 * The wrapper context behind @ctx, locked, while its lag0 is still held;
 * else NULL.  lag_ctx_free() runs, under the same lock, before the
 * context lets its device go.
 */
static struct nrtls_lag_ctx *lag_ctx_lock(struct nrtls_ctx *ctx)
{
	struct nrtls_lag_ctx *lc;

	if (ctx->ops != &lag_ctx_ops)
		return NULL;
	lc = lag_ctx(ctx);
	spin_lock_bh(&lc->lock);
	if (!lc->dead)
		return lc;
	spin_unlock_bh(&lc->lock);
	return NULL;
}

/*
 * Steer @ctx's flow to the lower @ifindex (0: back to the hash).  The
 * packets honour it from the next one; the re-home is the reset work's.
 */
int nrtls_lag_ctx_steer(struct nrtls_ctx *ctx, u32 ifindex)
{
	struct nrtls_lag_ctx *lc = lag_ctx_lock(ctx);
	int err = 0;

	if (!lc)
		return -EINVAL;
	rcu_read_lock();
	if (ifindex && !lag_lower_by_ifindex(lc->lag, ifindex))
		err = -ENODEV;
	else
		WRITE_ONCE(lc->steer, ifindex);
	rcu_read_unlock();
	spin_unlock_bh(&lc->lock);
	return err;
}

/* The decision on @ctx (an ifindex, 0 for none), or -EINVAL. */
int nrtls_lag_ctx_steered(struct nrtls_ctx *ctx)
{
	return ctx->ops == &lag_ctx_ops ? READ_ONCE(lag_ctx(ctx)->steer) :
					  -EINVAL;
}

/* The ifindex of the lower @ctx's flow is offloaded on, 0, or -EINVAL. */
int nrtls_lag_ctx_home(struct nrtls_ctx *ctx)
{
	struct nrtls_lag_ctx *lc;
	struct nrtls_ctx *lower;
	int ifindex = 0;

	if (ctx->ops != &lag_ctx_ops)
		return -EINVAL;
	lc = lag_ctx(ctx);
	rcu_read_lock();
	lower = rcu_dereference(lc->lower);
	if (lower)
		ifindex = lower->ifindex;
	rcu_read_unlock();
	return ifindex;
}

/*
 * The context @ctx's flow has on its lower now, with a reference; NULL if
 * none or if @ctx is not a wrapper's.  It is not in the flow table (the
 * wrapper's context holds the flow's key), so this is how it is found.
 */
struct nrtls_ctx *nrtls_lag_ctx_lower(struct nrtls_ctx *ctx)
{
	struct nrtls_ctx *lower;

	if (ctx->ops != &lag_ctx_ops)
		return NULL;
	rcu_read_lock_bh();
	lower = lag_lower_ctx_get(lag_ctx(ctx));
	rcu_read_unlock_bh();
	return lower;
}

/*
 * The ifindex of the @i-th open lower of @dev; -ENOENT past the last
 * one, -ENODEV if @dev is not a wrapper.  Under RCU.
 */
int nrtls_lag_lower(const struct net_device *dev, u32 i)
{
	struct nrtls_lag *lag = dev ? lag_of(dev) : NULL;
	struct nrtls_lag_lower *l;

	if (!lag)
		return -ENODEV;
	list_for_each_entry_rcu(l, &lag->lowers, node) {
		if (lower_open(l) && !i--)
			return l->dev->ifindex;
	}
	return -ENOENT;
}

/* How many of @dev's flows are offloaded on its open lower @ifindex. */
int nrtls_lag_lower_contexts(const struct net_device *dev, u32 ifindex)
{
	struct nrtls_lag *lag = dev ? lag_of(dev) : NULL;
	struct nrtls_lag_lower *l;

	if (!lag)
		return -ENODEV;
	l = lag_lower_by_ifindex(lag, ifindex);
	return l ? atomic_read(&l->live) : -ENODEV;
}

void nrtls_lag_wake(struct net_device *dev)
{
	if (lag_of(dev) && netif_running(dev) && nrtls_txq_any_stopped(dev))
		netif_tx_wake_all_queues(dev);
}
EXPORT_SYMBOL_NS_GPL(nrtls_lag_wake, NRTLS);

/*
 * With a VLAN of its own, lag0 takes only that VLAN's frames (the core has
 * moved the tag into the skb by now) and leaves the rest to the lower.
 */
static rx_handler_result_t lag_rx(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct nrtls_lag *lag = rcu_dereference(skb->dev->rx_handler_data);

	if (lag->vid && (!skb_vlan_tag_present(skb) ||
			 skb_vlan_tag_get_id(skb) != lag->vid ||
			 skb->vlan_proto != htons(ETH_P_8021Q)))
		return RX_HANDLER_PASS;
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb)
		return RX_HANDLER_CONSUMED;
	*pskb = skb;
	if (lag->vid)
		__vlan_hwaccel_clear_tag(skb);
	skb->dev = lag->dev;
	lag_stat_inc(lag, LAG_ST_RX_PACKETS);
	nrtls_devstats_add(lag->stats, LAG_ST_RX_BYTES, skb->len);
	return RX_HANDLER_ANOTHER;
}

/* --- lowers ----------------------------------------------------------------- */

/* The lower behind @lower_dev.  Under RTNL or RCU. */
static struct nrtls_lag_lower *lag_lower_of(struct nrtls_lag *lag,
					    const struct net_device *lower_dev)
{
	struct nrtls_lag_lower *l;

	list_for_each_entry_rcu(l, &lag->lowers, node, lockdep_rtnl_is_held())
		if (l->dev == lower_dev)
			return l;
	return NULL;
}

static void lag_move_off(struct nrtls_lag *lag, struct nrtls_lag_lower *l);

/* Drain @l or open it again, for rtnetlink and sysfs alike. */
static void lag_set_drain(struct nrtls_lag *lag, struct nrtls_lag_lower *l,
			  bool drain)
{
	ASSERT_RTNL();
	if (drain == l->drained)
		return;
	WRITE_ONCE(l->drained, drain);
	/* Flows backing off retry now that the lowers changed. */
	lag_update_carrier(lag);
	if (drain)
		lag_move_off(lag, l);
}

/*
 * /sys/class/net/LOWER/nrtls_lag/, while LOWER is a wrapper's: "drain"
 * (0 or 1) is IFLA_NRTLS_LAG_SLAVE_DRAIN and "contexts" its CONTEXTS, for
 * scripts and for a shell that is already running (a write is no
 * fork).  Both take RTNL as rtnetlink would; lag_release() removes the
 * group under RTNL, so they try for it and restart rather than wait.
 */
static struct nrtls_lag_lower *lag_lower_rtnl(struct net_device *lower_dev,
					      struct nrtls_lag **lagp)
{
	struct net_device *master = netdev_master_upper_dev_get(lower_dev);

	*lagp = master ? lag_of(master) : NULL;
	return *lagp ? lag_lower_of(*lagp, lower_dev) : NULL;
}

/* The lower's drain, or with @count how many flows it carries. */
static ssize_t lag_lower_show(struct device *d, char *buf, bool count)
{
	struct nrtls_lag_lower *l;
	struct nrtls_lag *lag;
	ssize_t ret = -ENODEV;

	if (!rtnl_trylock())
		return restart_syscall();
	l = lag_lower_rtnl(to_net_dev(d), &lag);
	if (l)
		ret = sysfs_emit(buf, "%d\n",
				 count ? atomic_read(&l->live) : l->drained);
	rtnl_unlock();
	return ret;
}

static ssize_t drain_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	return lag_lower_show(d, buf, false);
}

static ssize_t drain_store(struct device *d, struct device_attribute *attr,
			   const char *buf, size_t len)
{
	struct net_device *lower_dev = to_net_dev(d);
	struct nrtls_lag_lower *l;
	struct nrtls_lag *lag;
	u8 drain;
	int err;

	if (!ns_capable(dev_net(lower_dev)->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	err = kstrtou8(buf, 0, &drain);
	if (err)
		return err;
	if (drain > 1)
		return -EINVAL;
	if (!rtnl_trylock())
		return restart_syscall();
	l = lag_lower_rtnl(lower_dev, &lag);
	if (l)
		lag_set_drain(lag, l, drain);
	rtnl_unlock();
	return l ? len : -ENODEV;
}
static DEVICE_ATTR_RW(drain);

static ssize_t contexts_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	return lag_lower_show(d, buf, true);
}
static DEVICE_ATTR_RO(contexts);

static struct attribute *lag_lower_attrs[] = {
	&dev_attr_drain.attr,
	&dev_attr_contexts.attr,
	NULL,
};

static const struct attribute_group lag_lower_group = {
	.name = "nrtls_lag",
	.attrs = lag_lower_attrs,
};

static int lag_add_lower(struct net_device *dev, struct net_device *lower_dev,
			 struct netlink_ext_ack *extack)
{
	struct nrtls_lag *lag = netdev_priv(dev);
	struct nrtls_lag_lower *l;
	struct sockaddr_storage ss;
	int err;

	if (lower_dev->type != ARPHRD_ETHER || lower_dev->flags & IFF_LOOPBACK) {
		NL_SET_ERR_MSG(extack, "nrtls lag: lowers must be Ethernet devices");
		return -EINVAL;
	}
	if (lag_of(lower_dev)) {
		NL_SET_ERR_MSG(extack, "nrtls lag: cannot be a lower of a lag");
		return -EINVAL;
	}
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->dev = lower_dev;
	refcount_set(&l->ref, 1);
	ether_addr_copy(l->saved_addr, lower_dev->dev_addr);
	l->saved_mtu = lower_dev->mtu;

	/* lag0's packets leave by any lower: each must carry lag0's MTU. */
	err = dev_set_mtu(lower_dev, dev->mtu);
	if (err) {
		NL_SET_ERR_MSG(extack, "nrtls lag: the lower cannot take the wrapper's MTU");
		goto err_free;
	}
	/* Frames for lag0 arrive on whichever lower: give them its address. */
	ss.ss_family = lower_dev->type;
	memcpy(ss.__data, dev->dev_addr, ETH_ALEN);
	err = dev_set_mac_address(lower_dev, (struct sockaddr *)&ss, extack);
	if (err)
		goto err_mtu;
	err = netdev_rx_handler_register(lower_dev, lag_rx, lag);
	if (err)
		goto err_addr;
	err = netdev_master_upper_dev_link(lower_dev, dev, NULL, NULL, extack);
	if (err)
		goto err_handler;
	if (nrtls_should_fail(NRTLS_FAULT_LAG_SYSFS))
		err = -ENOMEM;
	else
		err = sysfs_create_group(&lower_dev->dev.kobj, &lag_lower_group);
	if (err)
		goto err_unlink;
	list_add_tail_rcu(&l->node, &lag->lowers);
	lag_update_carrier(lag);
	netdev_update_features(dev);
	return 0;

err_unlink:
	netdev_upper_dev_unlink(lower_dev, dev);
err_handler:
	netdev_rx_handler_unregister(lower_dev);
err_addr:
	memcpy(ss.__data, l->saved_addr, ETH_ALEN);
	dev_set_mac_address(lower_dev, (struct sockaddr *)&ss, NULL);
err_mtu:
	dev_set_mtu(lower_dev, l->saved_mtu);
err_free:
	kfree(l);
	return err;
}

/* Every lower follows, or none does and lag0 keeps its MTU. */
static int lag_change_mtu(struct net_device *dev, int new_mtu)
{
	struct nrtls_lag *lag = netdev_priv(dev);
	struct nrtls_lag_lower *l;
	int err;

	ASSERT_RTNL();
	list_for_each_entry(l, &lag->lowers, node) {
		err = dev_set_mtu(l->dev, new_mtu);
		if (err)
			goto undo;
	}
	WRITE_ONCE(dev->mtu, new_mtu);
	return 0;

undo:
	list_for_each_entry_continue_reverse(l, &lag->lowers, node)
		dev_set_mtu(l->dev, dev->mtu);
	return err;
}

/*
 * lag0 offers TLS TX offload only while a lower it can place flows on
 * does: over a veth alone, kTLS would pick device mode and have every
 * packet encrypted by the software fallback below, slower than software
 * kTLS and silent.
 */
static netdev_features_t lag_fix_features(struct net_device *dev,
					  netdev_features_t features)
{
	struct nrtls_lag *lag = netdev_priv(dev);
	struct nrtls_lag_lower *l;

	ASSERT_RTNL();
	list_for_each_entry(l, &lag->lowers, node)
		if (nrtls_lower_ops_of(l->dev) &&
		    (l->dev->features & NETIF_F_HW_TLS_TX))
			return features;
	return features & ~NETIF_F_HW_TLS_TX;
}

static void lag_release(struct nrtls_lag *lag, struct nrtls_lag_lower *l)
{
	struct sockaddr_storage ss;

	sysfs_remove_group(&l->dev->dev.kobj, &lag_lower_group);
	list_del_rcu(&l->node);
	netdev_upper_dev_unlink(l->dev, lag->dev);
	netdev_rx_handler_unregister(l->dev);
	ss.ss_family = l->dev->type;
	memcpy(ss.__data, l->saved_addr, ETH_ALEN);
	dev_set_mac_address(l->dev, (struct sockaddr *)&ss, NULL);
	/* Being unregistered, it gets it back without notifiers (as bonding). */
	if (l->dev->reg_state == NETREG_REGISTERED)
		dev_set_mtu(l->dev, l->saved_mtu);
	else
		__dev_set_mtu(l->dev, l->saved_mtu);
	lag_update_carrier(lag);
	/*
	 * Its flows, idle ones too, move now: left on @l they would be
	 * counted on no lower, and drained or steered with no lower's.
	 */
	lag_move_off(lag, l);
	lag_lower_put(l);
}

static int lag_del_lower(struct net_device *dev, struct net_device *lower_dev)
{
	struct nrtls_lag *lag = netdev_priv(dev);
	struct nrtls_lag_lower *l = lag_lower_of(lag, lower_dev);

	if (!l)
		return -ENOENT;
	lag_release(lag, l);
	if (dev->reg_state == NETREG_REGISTERED)
		netdev_update_features(dev);
	return 0;
}

/*
 * Move every flow offloaded on @l to where it goes now, idle ones too:
 * packets would move the busy ones, but an idle flow would keep its
 * context on @l until it sends again.  A flow a program steered keeps a
 * decision, the lower picked here, so that the program does not move it
 * a second time.
 */
static void lag_move_off(struct nrtls_lag *lag, struct nrtls_lag_lower *l)
{
	struct nrtls_lag_lower *to;
	struct nrtls_lag_ctx *lc;
	bool here;

	ASSERT_RTNL();
	spin_lock_bh(&lag->ctxs_lock);
	list_for_each_entry(lc, &lag->ctxs, node) {
		/* A context being freed is left to its free. */
		if (!nrtls_ctx_tryget(lc->ctx))
			continue;
		spin_lock(&lc->lock);
		here = lc->home == l;
		if (here && lc->steer) {
			rcu_read_lock();
			to = lag_pick(lag, lc->hash);
			WRITE_ONCE(lc->steer, to ? to->dev->ifindex : 0);
			rcu_read_unlock();
		}
		spin_unlock(&lc->lock);
		if (here)
			lag_schedule_reset(lc);
		/* Not the last reference: contexts are freed from RCU. */
		nrtls_ctx_put(lc->ctx);
	}
	spin_unlock_bh(&lag->ctxs_lock);
}

static void lag_uninit(struct net_device *dev)
{
	struct nrtls_lag *lag = netdev_priv(dev);
	struct nrtls_lag_lower *l, *tmp;

	list_for_each_entry_safe(l, tmp, &lag->lowers, node)
		lag_release(lag, l);
}

static int lag_open(struct net_device *dev)
{
	lag_update_carrier(netdev_priv(dev));
	netif_tx_start_all_queues(dev);
	return 0;
}

static int lag_stop(struct net_device *dev)
{
	netif_tx_stop_all_queues(dev);
	return 0;
}

static void lag_get_stats64(struct net_device *dev,
			    struct rtnl_link_stats64 *s)
{
	struct nrtls_lag *lag = netdev_priv(dev);

	s->tx_packets = nrtls_devstats_get(lag->stats, LAG_ST_TX_PACKETS);
	s->tx_bytes = nrtls_devstats_get(lag->stats, LAG_ST_TX_BYTES);
	s->tx_dropped = nrtls_devstats_get(lag->stats, LAG_ST_TX_DROPPED);
	s->rx_packets = nrtls_devstats_get(lag->stats, LAG_ST_RX_PACKETS);
	s->rx_bytes = nrtls_devstats_get(lag->stats, LAG_ST_RX_BYTES);
}

static int lag_init(struct net_device *dev)
{
	struct nrtls_lag *lag = netdev_priv(dev);

	lag->stats = nrtls_devstats_alloc(LAG_ST_NR);
	return lag->stats ? 0 : -ENOMEM;
}

static void lag_destructor(struct net_device *dev)
{
	struct nrtls_lag *lag = netdev_priv(dev);

	free_percpu(lag->stats);
}

static const struct net_device_ops lag_netdev_ops = {
	.ndo_init = lag_init,
	.ndo_open = lag_open,
	.ndo_stop = lag_stop,
	.ndo_uninit = lag_uninit,
	.ndo_start_xmit = lag_start_xmit,
	.ndo_get_stats64 = lag_get_stats64,
	.ndo_add_slave = lag_add_lower,
	.ndo_del_slave = lag_del_lower,
	.ndo_fix_features = lag_fix_features,
	.ndo_change_mtu = lag_change_mtu,
	.ndo_validate_addr = eth_validate_addr,
};

static void lag_get_drvinfo(struct net_device *dev,
			    struct ethtool_drvinfo *info)
{
	strscpy(info->driver, "nrtls", sizeof(info->driver));
	strscpy(info->version, "lag", sizeof(info->version));
}

static int lag_get_sset_count(struct net_device *dev, int sset)
{
	return sset == ETH_SS_STATS ? LAG_ST_NR : -EOPNOTSUPP;
}

static void lag_get_strings(struct net_device *dev, u32 sset, u8 *buf)
{
	if (sset == ETH_SS_STATS)
		memcpy(buf, lag_stat_names, sizeof(lag_stat_names));
}

static void lag_get_ethtool_stats(struct net_device *dev,
				  struct ethtool_stats *stats, u64 *data)
{
	struct nrtls_lag *lag = netdev_priv(dev);
	int i;

	for (i = 0; i < LAG_ST_NR; i++)
		data[i] = nrtls_devstats_get(lag->stats, i);
	data[LAG_ST_MOVE_GAP_MAX_US] = atomic64_read(&lag->move_gap_max_us);
}

static const struct ethtool_ops lag_ethtool_ops = {
	.get_drvinfo = lag_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_sset_count = lag_get_sset_count,
	.get_strings = lag_get_strings,
	.get_ethtool_stats = lag_get_ethtool_stats,
};

#define LAG_FEATURES (NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_HIGHDMA | \
		      NETIF_F_GSO_SOFTWARE)

/* --- link kind "nrtls_lag" ----------------------------------------------- */

static const struct nla_policy lag_policy[IFLA_NRTLS_LAG_MAX + 1] = {
	[IFLA_NRTLS_LAG_VLAN] = NLA_POLICY_RANGE(NLA_U32, 1, VLAN_N_VID - 2),
};

static void lag_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE;
	dev->netdev_ops = &lag_netdev_ops;
	dev->ethtool_ops = &lag_ethtool_ops;
	dev->tlsdev_ops = &lag_tlsdev_ops;
	dev->features = LAG_FEATURES | NETIF_F_HW_TLS_TX;
	dev->hw_features = LAG_FEATURES | NETIF_F_HW_TLS_TX;
	dev->vlan_features = LAG_FEATURES;
	dev->max_mtu = ETH_MAX_MTU;
	/* Its lowers cannot follow it to another namespace (as bonding). */
	nrtls_netns_immutable(dev);
	dev->needs_free_netdev = true;
	dev->priv_destructor = lag_destructor;
}

static int lag_validate(struct nlattr *tb[], struct nlattr *data[],
			struct netlink_ext_ack *extack)
{
	return nrtls_link_validate_addr(tb, extack);
}

static int lag_newlink(struct net *src_net, struct net_device *dev,
		       struct nlattr *tb[], struct nlattr *data[],
		       struct netlink_ext_ack *extack)
{
	struct nrtls_lag *lag = netdev_priv(dev);
	int err;

	lag->dev = dev;
	INIT_LIST_HEAD(&lag->ctxs);
	spin_lock_init(&lag->ctxs_lock);
	if (data && data[IFLA_NRTLS_LAG_VLAN])
		lag->vid = nla_get_u32(data[IFLA_NRTLS_LAG_VLAN]);
	INIT_LIST_HEAD(&lag->lowers);
	netdev_lockdep_set_classes(dev);
	if (!tb[IFLA_ADDRESS])
		eth_hw_addr_random(dev);
	err = register_netdevice(dev);
	if (err)
		return err;
	netif_carrier_off(dev);
	return 0;
}

static int lag_changelink(struct net_device *dev, struct nlattr *tb[],
			  struct nlattr *data[], struct netlink_ext_ack *extack)
{
	if (data && data[IFLA_NRTLS_LAG_VLAN]) {
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_NRTLS_LAG_VLAN],
				    "can only be set when the device is created");
		return -EOPNOTSUPP;
	}
	return 0;
}

static const struct nla_policy lag_slave_policy[IFLA_NRTLS_LAG_SLAVE_MAX + 1] = {
	[IFLA_NRTLS_LAG_SLAVE_DRAIN] = NLA_POLICY_MAX(NLA_U8, 1),
	[IFLA_NRTLS_LAG_SLAVE_CONTEXTS] = {
		.type = NLA_REJECT,
		.reject_message = "read-only",
	},
};

static int lag_slave_changelink(struct net_device *dev,
				struct net_device *lower_dev,
				struct nlattr *tb[], struct nlattr *data[],
				struct netlink_ext_ack *extack)
{
	struct nrtls_lag *lag = netdev_priv(dev);
	struct nrtls_lag_lower *l = lag_lower_of(lag, lower_dev);

	/* Its master is lag0, so it is one of lag0's lowers. */
	if (WARN_ON_ONCE(!l))
		return -ENODEV;
	if (!data || !data[IFLA_NRTLS_LAG_SLAVE_DRAIN])
		return 0;
	lag_set_drain(lag, l, nla_get_u8(data[IFLA_NRTLS_LAG_SLAVE_DRAIN]));
	return 0;
}

static size_t lag_get_slave_size(const struct net_device *dev,
				 const struct net_device *lower_dev)
{
	return nla_total_size(1) + nla_total_size(4);
}

static int lag_fill_slave_info(struct sk_buff *skb, const struct net_device *dev,
			       const struct net_device *lower_dev)
{
	struct nrtls_lag *lag = netdev_priv(dev);
	struct nrtls_lag_lower *l;
	int err = 0;

	rcu_read_lock();
	l = lag_lower_of(lag, lower_dev);
	if (l && (nla_put_u8(skb, IFLA_NRTLS_LAG_SLAVE_DRAIN, READ_ONCE(l->drained)) ||
		  nla_put_u32(skb, IFLA_NRTLS_LAG_SLAVE_CONTEXTS, atomic_read(&l->live))))
		err = -EMSGSIZE;
	rcu_read_unlock();
	return err;
}

static size_t lag_get_size(const struct net_device *dev)
{
	return nla_total_size(4);
}

static int lag_fill_info(struct sk_buff *skb, const struct net_device *dev)
{
	const struct nrtls_lag *lag = netdev_priv(dev);

	if (lag->vid && nla_put_u32(skb, IFLA_NRTLS_LAG_VLAN, lag->vid))
		return -EMSGSIZE;
	return 0;
}

static struct rtnl_link_ops lag_link_ops = {
	.kind = "nrtls_lag",
	.priv_size = sizeof(struct nrtls_lag),
	.setup = lag_setup,
	.validate = lag_validate,
	.newlink = lag_newlink,
	.changelink = lag_changelink,
	.get_size = lag_get_size,
	.fill_info = lag_fill_info,
	.policy = lag_policy,
	.maxtype = IFLA_NRTLS_LAG_MAX,
	.slave_policy = lag_slave_policy,
	.slave_maxtype = IFLA_NRTLS_LAG_SLAVE_MAX,
	.slave_changelink = lag_slave_changelink,
	.get_slave_size = lag_get_slave_size,
	.fill_slave_info = lag_fill_slave_info,
};

/* Lowers going away, up or down, or changing their features. */
static int lag_netdev_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct net_device *master;
	struct nrtls_lag *lag;

	master = netdev_master_upper_dev_get(dev);
	lag = master ? lag_of(master) : NULL;
	if (!lag)
		return NOTIFY_DONE;
	switch (event) {
	case NETDEV_UNREGISTER:
		lag_del_lower(master, dev);
		break;
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGE:
		lag_update_carrier(lag);
		break;
	case NETDEV_FEAT_CHANGE:
		netdev_update_features(master);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block lag_netdev_nb = {
	.notifier_call = lag_netdev_event,
};

int nrtls_lag_init(void)
{
	int err;

	lag_wq = alloc_workqueue("nrtls_lag", 0, 0);
	if (!lag_wq)
		return -ENOMEM;
	err = register_netdevice_notifier(&lag_netdev_nb);
	if (err)
		goto err_wq;
	err = rtnl_link_register(&lag_link_ops);
	if (err)
		goto err_nb;
	return 0;

err_nb:
	unregister_netdevice_notifier(&lag_netdev_nb);
err_wq:
	destroy_workqueue(lag_wq);
	return err;
}

/* Deletes every wrapper; their lowers and contexts are let go. */
void nrtls_lag_exit(void)
{
	rtnl_link_unregister(&lag_link_ops);
	unregister_netdevice_notifier(&lag_netdev_nb);
	destroy_workqueue(lag_wq);
}

MODULE_ALIAS_RTNL_LINK("nrtls_lag");
