/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_LAG_H
#define _NRTLS_LAG_H

#include <linux/netdevice.h>

#include "devstats.h"

enum nrtls_lag_stat {
	LAG_ST_TX_PACKETS,
	LAG_ST_TX_BYTES,
	LAG_ST_TX_DROPPED,
	LAG_ST_RX_PACKETS,
	LAG_ST_RX_BYTES,
	LAG_ST_TLS_ADD,
	LAG_ST_TLS_DEL,
	LAG_ST_TLS_OFFLOADED,
	LAG_ST_TLS_SW,
	LAG_ST_TLS_MISMATCH,
	LAG_ST_RESETS,
	LAG_ST_RESET_FAIL,
	LAG_ST_FALLBACKS,
	LAG_ST_LOWER_BUSY,
	LAG_ST_RESET_BACKOFF,
	LAG_ST_TLS_MOVING,
	LAG_ST_MOVE_GAPS,
	LAG_ST_MOVE_GAP_MAX_US,
	LAG_ST_MOVE_GAP_TOTAL_US,
	LAG_ST_TLS_ABOVE,
	LAG_ST_NR,
};

/*
 * The wrapper device (netdev_priv).  @lowers is an RCU list changed under
 * RTNL; @gen counts those changes (and the lowers' state changes), so that
 * a flow whose re-homing failed knows when to try again.
 */
struct nrtls_lag {
	struct net_device *dev;
	struct list_head lowers;
	/* Its wrapper contexts, to move them off a drained lower. */
	struct list_head ctxs;
	spinlock_t ctxs_lock;	/* @ctxs; taken before a context's lock */
	u32 gen;
	u16 vid;		/* its own VLAN, or 0; fixed */
	struct nrtls_devstats __percpu *stats;	/* from ndo_init */
	atomic64_t move_gap_max_us;
};

struct nrtls_ctx;

void nrtls_lag_wake(struct net_device *dev);
int nrtls_lag_ctx_steer(struct nrtls_ctx *ctx, u32 ifindex);
int nrtls_lag_ctx_steered(struct nrtls_ctx *ctx);
int nrtls_lag_ctx_home(struct nrtls_ctx *ctx);
struct nrtls_ctx *nrtls_lag_ctx_lower(struct nrtls_ctx *ctx);
int nrtls_lag_lower(const struct net_device *dev, u32 i);
int nrtls_lag_lower_contexts(const struct net_device *dev, u32 ifindex);
int nrtls_lag_init(void);
void nrtls_lag_exit(void);

#endif /* _NRTLS_LAG_H */
