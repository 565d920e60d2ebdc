// SPDX-License-Identifier: GPL-2.0
/*
 * rtnetlink link kind "nrtls": "ip link add NAME type nrtls ... peer name
 * PEER" makes an emulated NIC pair (nic.c).  The wrapper device is a kind
 * of its own (lag.c).  The attributes are documented in uapi/linux/nrtls.h.
 */
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/rtnetlink.h>
#include <net/rtnetlink.h>

#include "link.h"
#include "lower.h"
#include "nic.h"

static const struct nla_policy nrtls_policy[IFLA_NRTLS_MAX + 1] = {
	[IFLA_NRTLS_MODE] = NLA_POLICY_MAX(NLA_U8, NRTLS_LINK_LAG),
	[IFLA_NRTLS_PERSONALITY] = NLA_POLICY_MAX(NLA_U8, NRTLS_PERS_CXGB4),
	[IFLA_NRTLS_PEER] = { .len = sizeof(struct ifinfomsg) },
	[IFLA_NRTLS_RING] = { .type = NLA_U32 },
	[IFLA_NRTLS_LATENCY] = { .type = NLA_U32 },
	[IFLA_NRTLS_POOL_LOW] = { .type = NLA_U32 },
	[IFLA_NRTLS_POOL_HIGH] = { .type = NLA_U32 },
	[IFLA_NRTLS_POOL_BULK] = { .type = NLA_U32 },
	[IFLA_NRTLS_CREDITS] = { .type = NLA_U32 },
	[IFLA_NRTLS_COMPL_EVERY] = { .type = NLA_U32 },
	/* The wrapper's, since it is a kind of its own. */
	[IFLA_NRTLS_VLAN] = { .type = NLA_REJECT },
};

/* What was the wrapper's before it became a kind of its own. */
static int nrtls_validate(struct nlattr *tb[], struct nlattr *data[],
			  struct netlink_ext_ack *extack)
{
	if (data && data[IFLA_NRTLS_MODE] &&
	    nla_get_u8(data[IFLA_NRTLS_MODE]) == NRTLS_LINK_LAG) {
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_NRTLS_MODE],
				    "the wrapper is a link kind of its own: type nrtls_lag");
		return -EINVAL;
	}
	return nrtls_link_validate_addr(tb, extack);
}

/* @cfg updated from @data, checked as a whole. */
static int cfg_from_attrs(struct nrtls_nic_cfg *cfg, struct nlattr *data[],
			  struct netlink_ext_ack *extack)
{
	static const struct {
		int attr;
		size_t off;
		u32 min, max;
	} fields[] = {
		{ IFLA_NRTLS_RING, offsetof(struct nrtls_nic_cfg, ring), 1, 65536 },
		{ IFLA_NRTLS_LATENCY, offsetof(struct nrtls_nic_cfg, latency_us),
		  0, 10000000 },
		{ IFLA_NRTLS_POOL_LOW, offsetof(struct nrtls_nic_cfg, pool_low),
		  0, 1 << 20 },
		{ IFLA_NRTLS_POOL_HIGH, offsetof(struct nrtls_nic_cfg, pool_high),
		  0, 1 << 20 },
		{ IFLA_NRTLS_POOL_BULK, offsetof(struct nrtls_nic_cfg, pool_bulk),
		  1, 4096 },
		{ IFLA_NRTLS_CREDITS, offsetof(struct nrtls_nic_cfg, credits),
		  1, 65536 },
		{ IFLA_NRTLS_COMPL_EVERY, offsetof(struct nrtls_nic_cfg, compl_every),
		  1, 65536 },
	};
	int i;

	if (!data)
		return 0;
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		struct nlattr *a = data[fields[i].attr];
		u32 v;

		if (!a)
			continue;
		v = nla_get_u32(a);
		if (v < fields[i].min || v > fields[i].max) {
			NL_SET_ERR_MSG_ATTR(extack, a, "value out of range");
			return -ERANGE;
		}
		*(u32 *)((u8 *)cfg + fields[i].off) = v;
	}
	if (cfg->pool_low > cfg->pool_high) {
		NL_SET_ERR_MSG(extack, "pool-low is above pool-high");
		return -EINVAL;
	}
	return 0;
}

static int nrtls_newlink(struct net *src_net, struct net_device *dev,
			 struct nlattr *tb[], struct nlattr *data[],
			 struct netlink_ext_ack *extack)
{
	u8 personality = NRTLS_PERS_MLX5;
	struct nrtls_nic_cfg cfg = *nrtls_nic_cfg(dev);
	int err;

	if (data && data[IFLA_NRTLS_PERSONALITY])
		personality = nla_get_u8(data[IFLA_NRTLS_PERSONALITY]);
	err = cfg_from_attrs(&cfg, data, extack);
	if (err)
		return err;
	return nrtls_nic_newlink(src_net, dev, tb,
				 data ? data[IFLA_NRTLS_PEER] : NULL,
				 personality, &cfg, extack);
}

static int nrtls_changelink(struct net_device *dev, struct nlattr *tb[],
			    struct nlattr *data[],
			    struct netlink_ext_ack *extack)
{
	static const int fixed[] = {
		IFLA_NRTLS_MODE, IFLA_NRTLS_PERSONALITY, IFLA_NRTLS_PEER,
	};
	struct nrtls_nic_cfg cfg;
	int err, i;

	for (i = 0; data && i < ARRAY_SIZE(fixed); i++) {
		if (data[fixed[i]]) {
			NL_SET_ERR_MSG_ATTR(extack, data[fixed[i]],
					    "can only be set when the device is created");
			return -EOPNOTSUPP;
		}
	}
	cfg = *nrtls_nic_cfg(dev);
	err = cfg_from_attrs(&cfg, data, extack);
	if (err)
		return err;
	return nrtls_nic_set_cfg(dev, &cfg, extack);
}

static size_t nrtls_get_size(const struct net_device *dev)
{
	return nla_total_size(1) + 7 * nla_total_size(4);
}

static int nrtls_fill_info(struct sk_buff *skb, const struct net_device *dev)
{
	const struct nrtls_nic_cfg *cfg;

	cfg = nrtls_nic_cfg(dev);
	if (nla_put_u8(skb, IFLA_NRTLS_PERSONALITY, nrtls_nic_personality(dev)) ||
	    nla_put_u32(skb, IFLA_NRTLS_RING, cfg->ring) ||
	    nla_put_u32(skb, IFLA_NRTLS_LATENCY, cfg->latency_us) ||
	    nla_put_u32(skb, IFLA_NRTLS_POOL_LOW, cfg->pool_low) ||
	    nla_put_u32(skb, IFLA_NRTLS_POOL_HIGH, cfg->pool_high) ||
	    nla_put_u32(skb, IFLA_NRTLS_POOL_BULK, cfg->pool_bulk) ||
	    nla_put_u32(skb, IFLA_NRTLS_CREDITS, cfg->credits) ||
	    nla_put_u32(skb, IFLA_NRTLS_COMPL_EVERY, cfg->compl_every))
		return -EMSGSIZE;
	return 0;
}

struct rtnl_link_ops nrtls_link_ops = {
	.kind = "nrtls",
	.priv_size = sizeof(struct nrtls_nic),
	.setup = nrtls_nic_setup,
	.validate = nrtls_validate,
	.newlink = nrtls_newlink,
	.changelink = nrtls_changelink,
	.dellink = nrtls_nic_dellink,
	.get_size = nrtls_get_size,
	.fill_info = nrtls_fill_info,
	.get_link_net = nrtls_nic_link_net,
	.policy = nrtls_policy,
	.maxtype = IFLA_NRTLS_MAX,
};

MODULE_ALIAS_RTNL_LINK("nrtls");
