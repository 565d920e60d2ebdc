// SPDX-License-Identifier: GPL-2.0
/*
 * The emulated kTLS-offload NIC: a pair of Ethernet devices like veth
 * (what one end transmits, the other receives), each with a TX ring that
 * completes after a set latency, TLS TX offload for stock kTLS
 * (nic_tls.c), and one of two personalities for its offload contexts
 * (nic_mlx5.c, nic_cxgb4.c).
 */
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/memcontrol.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/rtnetlink.h>
#include <net/tls.h>

#include "counters.h"
#include "lag.h"
#include "link.h"
#include "nic.h"

#define DRV_NAME "nrtls"

static const char nic_stat_names[NIC_ST_NR][ETH_GSTRING_LEN] = {
	[NIC_ST_TX_PACKETS] = "tx_packets",
	[NIC_ST_TX_BYTES] = "tx_bytes",
	[NIC_ST_TX_DROPPED] = "tx_dropped",
	[NIC_ST_RX_PACKETS] = "rx_packets",
	[NIC_ST_RX_BYTES] = "rx_bytes",
	[NIC_ST_RX_DROPPED] = "rx_dropped",
	[NIC_ST_TLS_ADD] = "tx_tls_ctx_add",
	[NIC_ST_TLS_ADD_FAIL] = "tx_tls_ctx_add_fail",
	[NIC_ST_TLS_DEL] = "tx_tls_ctx_del",
	[NIC_ST_TLS_PKTS] = "tx_tls_encrypted_packets",
	[NIC_ST_TLS_BYTES] = "tx_tls_encrypted_bytes",
	[NIC_ST_TLS_OOO] = "tx_tls_ooo",
	[NIC_ST_TLS_RESYNC] = "tx_tls_resync",
	[NIC_ST_TLS_DUMP_BYTES] = "tx_tls_dump_bytes",
	[NIC_ST_TLS_ENC_FAIL] = "tx_tls_encrypt_fail",
	[NIC_ST_TLS_CTX_MISMATCH] = "tx_tls_ctx_mismatch",
	[NIC_ST_PLAIN_PKTS] = "tx_plain_packets",
	[NIC_ST_NOSOCK_PKTS] = "tx_nosock_packets",
	[NIC_ST_RING_FULL] = "tx_ring_full",
	[NIC_ST_DESC_FAIL] = "tx_desc_alloc_fail",
	[NIC_ST_RING_DROPPED] = "tx_ring_dropped",
	[NIC_ST_POOL_REFILLS] = "mlx5_pool_refills",
	[NIC_ST_POOL_SYNC_ALLOC] = "mlx5_pool_sync_alloc",
	[NIC_ST_POOL_ALLOC_FAIL] = "mlx5_pool_alloc_fail",
	[NIC_ST_CREDIT_WAITS] = "cxgb4_credit_waits",
	[NIC_ST_COMPL_REQ] = "cxgb4_completions_requested",
	[NIC_ST_CREDITS_RETURNED] = "cxgb4_credits_returned",
	[NIC_ST_FLUSHES] = "cxgb4_flushes",
	[NIC_ST_QUEUE_STOPS] = "tx_queue_stops",
	[NIC_ST_RX_TLS_ADD] = "rx_tls_ctx_add",
	[NIC_ST_RX_TLS_ADD_FAIL] = "rx_tls_ctx_add_fail",
	[NIC_ST_RX_TLS_DEL] = "rx_tls_ctx_del",
	[NIC_ST_RX_TLS_PKTS] = "rx_tls_decrypted_packets",
	[NIC_ST_RX_TLS_BYTES] = "rx_tls_decrypted_bytes",
	[NIC_ST_RX_TLS_ENC_PKTS] = "rx_tls_encrypted_packets",
	[NIC_ST_RX_TLS_AUTH_FAIL] = "rx_tls_auth_fail",
	[NIC_ST_RX_TLS_OOO] = "rx_tls_ooo",
	[NIC_ST_RX_TLS_RESYNC_REQ] = "rx_tls_resync_req",
	[NIC_ST_RX_TLS_RESYNC] = "rx_tls_resync",
	[NIC_ST_RX_TLS_LOST] = "rx_tls_lost_sync",
	[NIC_ST_RX_TLS_SEARCH_GIVEUP] = "rx_tls_search_giveups",
	[NIC_ST_RX_QUEUE_FULL] = "rx_queue_full",
	[NIC_ST_RX_XDP_PACKETS] = "rx_xdp_packets",
	[NIC_ST_RX_XDP_CONSUMED] = "rx_xdp_consumed",
	[NIC_ST_TX_XDP_FRAMES] = "tx_xdp_frames",
	[NIC_ST_TX_XDP_REFUSED] = "tx_xdp_refused",
};

/* Gauges after the counters in "ethtool -S". */
static const char nic_gauge_names[][ETH_GSTRING_LEN] = {
	"tx_ring_descs",
	"mlx5_pool_size",
};

static const struct net_device_ops nic_netdev_ops;

bool nrtls_is_nic(const struct net_device *dev)
{
	return dev->netdev_ops == &nic_netdev_ops;
}

bool nrtls_nic_can_offload(const struct net_device *dev)
{
	return nrtls_is_nic(dev) && (dev->features & NETIF_F_HW_TLS_TX) &&
	       netif_running(dev) && netif_carrier_ok(dev);
}

/*
 * The queues stop and restart under nic->lock, where the ring's fill
 * level changes, so that a completion cannot slip between a transmit that
 * finds the ring full and its stopping the queues.  All TX queues feed the
 * one ring: when it is full, every queue stops (a queue left running
 * would have the stack requeue and retry its packets in a busy loop), and
 * room wakes them all.
 */
void nrtls_nic_wake_locked(struct nrtls_nic *nic)
{
	lockdep_assert_held(&nic->lock);
	if (nic->running && !nrtls_nic_ring_full(nic) &&
	    nrtls_txq_any_stopped(nic->dev))
		netif_tx_wake_all_queues(nic->dev);
}

/* With nic->lock: whether the ring is full, stopping the queues if so. */
bool nrtls_nic_full_stop(struct nrtls_nic *nic)
{
	lockdep_assert_held(&nic->lock);
	if (!nrtls_nic_ring_full(nic))
		return false;
	if (!nrtls_txq_all_stopped(nic->dev))
		nrtls_nic_stat_inc(nic, NIC_ST_QUEUE_STOPS);
	netif_tx_stop_all_queues(nic->dev);
	return true;
}

/* Room in the ring: a wrapper above may have stopped for it. */
void nrtls_nic_wake_master(struct nrtls_nic *nic)
{
	struct net_device *master;

	rcu_read_lock();
	master = netdev_master_upper_dev_get_rcu(nic->dev);
	if (master)
		nrtls_lag_wake(master);
	rcu_read_unlock();
}

static netdev_tx_t nic_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct nrtls_nic *nic = netdev_priv(dev);
	struct nrtls_ctx *ctx = nrtls_tls_ctx(skb, dev);

	if (ctx)
		return nrtls_nic_xmit_ctx(nic, skb, ctx);
	if (!skb->sk)
		nrtls_nic_stat_inc(nic, NIC_ST_NOSOCK_PKTS);
	return nrtls_nic_xmit_plain(nic, skb);
}

static int nic_open(struct net_device *dev)
{
	struct nrtls_nic *nic = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(nic->peer);

	spin_lock_bh(&nic->lock);
	nic->running = true;
	spin_unlock_bh(&nic->lock);
	nrtls_nic_rx_open(nic);
	if (nic->pers->open)
		nic->pers->open(nic);
	netif_tx_start_all_queues(dev);
	if (peer && netif_running(peer)) {
		netif_carrier_on(dev);
		netif_carrier_on(peer);
	}
	return 0;
}

static int nic_stop(struct net_device *dev)
{
	struct nrtls_nic *nic = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(nic->peer);

	netif_tx_stop_all_queues(dev);
	netif_carrier_off(dev);
	if (peer)
		netif_carrier_off(peer);
	nrtls_nic_ring_stop(nic);
	nrtls_nic_rx_stop(nic);
	return 0;
}

static int nic_init(struct net_device *dev)
{
	struct nrtls_nic *nic = netdev_priv(dev);

	nic->stats = nrtls_devstats_alloc(NIC_ST_NR);
	if (!nic->stats)
		return -ENOMEM;
	/* From rtnetlink, in the task that creates the pair. */
	nic->memcg = get_mem_cgroup_from_mm(current->mm);
	return 0;
}

static void nic_uninit(struct net_device *dev)
{
	struct nrtls_nic *nic = netdev_priv(dev);

	if (nic->pers->destroy)
		nic->pers->destroy(nic);
}

/* After the last reference to the device: every context has let go. */
static void nic_destructor(struct net_device *dev)
{
	struct nrtls_nic *nic = netdev_priv(dev);

	WARN_ON(!list_empty(&nic->flows) || !list_empty(&nic->ring) ||
		!list_empty(&nic->pool) || atomic_read(&nic->rx_nflows) ||
		!skb_queue_empty(&nic->rxq) || rcu_access_pointer(nic->xdp_prog));
	free_percpu(nic->stats);
	mem_cgroup_put(nic->memcg);
}

static void nic_get_stats64(struct net_device *dev,
			    struct rtnl_link_stats64 *s)
{
	struct nrtls_nic *nic = netdev_priv(dev);

	s->tx_packets = nrtls_devstats_get(nic->stats, NIC_ST_TX_PACKETS);
	s->tx_bytes = nrtls_devstats_get(nic->stats, NIC_ST_TX_BYTES);
	s->tx_dropped = nrtls_devstats_get(nic->stats, NIC_ST_TX_DROPPED);
	s->rx_packets = nrtls_devstats_get(nic->stats, NIC_ST_RX_PACKETS);
	s->rx_bytes = nrtls_devstats_get(nic->stats, NIC_ST_RX_BYTES);
	s->rx_dropped = nrtls_devstats_get(nic->stats, NIC_ST_RX_DROPPED);
}

static int nic_get_iflink(const struct net_device *dev)
{
	struct nrtls_nic *nic = netdev_priv(dev);
	struct net_device *peer;
	int iflink;

	rcu_read_lock();
	peer = rcu_dereference(nic->peer);
	iflink = peer ? peer->ifindex : 0;
	rcu_read_unlock();
	return iflink;
}

static const struct net_device_ops nic_netdev_ops = {
	.ndo_init = nic_init,
	.ndo_open = nic_open,
	.ndo_stop = nic_stop,
	.ndo_uninit = nic_uninit,
	.ndo_start_xmit = nic_start_xmit,
	.ndo_get_stats64 = nic_get_stats64,
	.ndo_get_iflink = nic_get_iflink,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
	.ndo_bpf = nrtls_nic_bpf,
	.ndo_xdp_xmit = nrtls_nic_xdp_xmit,
};

static void nic_get_drvinfo(struct net_device *dev,
			    struct ethtool_drvinfo *info)
{
	struct nrtls_nic *nic = netdev_priv(dev);

	strscpy(info->driver, DRV_NAME, sizeof(info->driver));
	strscpy(info->version, nic->pers->name, sizeof(info->version));
	strscpy(info->bus_info, "emulated", sizeof(info->bus_info));
}

static int nic_get_sset_count(struct net_device *dev, int sset)
{
	if (sset != ETH_SS_STATS)
		return -EOPNOTSUPP;
	return NIC_ST_NR + ARRAY_SIZE(nic_gauge_names);
}

static void nic_get_strings(struct net_device *dev, u32 sset, u8 *buf)
{
	if (sset != ETH_SS_STATS)
		return;
	memcpy(buf, nic_stat_names, sizeof(nic_stat_names));
	memcpy(buf + sizeof(nic_stat_names), nic_gauge_names,
	       sizeof(nic_gauge_names));
}

static void nic_get_ethtool_stats(struct net_device *dev,
				  struct ethtool_stats *stats, u64 *data)
{
	struct nrtls_nic *nic = netdev_priv(dev);
	int i;

	for (i = 0; i < NIC_ST_NR; i++)
		data[i] = nrtls_devstats_get(nic->stats, i);
	spin_lock_bh(&nic->lock);
	data[i++] = nic->ring_count;
	data[i++] = nic->pool_len;
	spin_unlock_bh(&nic->lock);
}

static const struct ethtool_ops nic_ethtool_ops = {
	.get_drvinfo = nic_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_sset_count = nic_get_sset_count,
	.get_strings = nic_get_strings,
	.get_ethtool_stats = nic_get_ethtool_stats,
};

#define NIC_FEATURES (NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_RXCSUM | \
		      NETIF_F_HIGHDMA | NETIF_F_GSO_SOFTWARE)

void nrtls_nic_setup(struct net_device *dev)
{
	struct nrtls_nic *nic = netdev_priv(dev);

	ether_setup(dev);
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE;
	dev->netdev_ops = &nic_netdev_ops;
	dev->ethtool_ops = &nic_ethtool_ops;
	dev->tlsdev_ops = &nrtls_nic_tlsdev_ops;
	/* Like veth: a VLAN tag out of band reaches the peer as it is. */
	dev->features |= NIC_FEATURES | NETIF_F_HW_TLS_TX |
			 NETIF_F_HW_VLAN_CTAG_TX | NETIF_F_HW_VLAN_STAG_TX;
	/* RX decryption: off by default, offered by personalities that have it. */
	dev->hw_features |= NIC_FEATURES | NETIF_F_HW_TLS_TX |
			    NETIF_F_HW_VLAN_CTAG_TX |
			    NETIF_F_HW_VLAN_STAG_TX;
	dev->vlan_features |= NIC_FEATURES;
	dev->max_mtu = ETH_MAX_MTU;
	dev->needs_free_netdev = true;
	dev->priv_destructor = nic_destructor;

	nic->dev = dev;
	spin_lock_init(&nic->lock);
	INIT_LIST_HEAD(&nic->pool);
	INIT_LIST_HEAD(&nic->flows);
	nrtls_nic_rx_init(nic);
	INIT_WORK(&nic->refill, nrtls_mlx5_refill);
	nrtls_nic_ring_init(nic);
	nrtls_nic_napi_init(nic);
	nic->personality = NRTLS_PERS_MLX5;
	nic->pers = &nrtls_mlx5_pers;
	nic->cfg = (struct nrtls_nic_cfg) {
		.ring = 256, .latency_us = 10,
		.pool_low = 64, .pool_high = 256, .pool_bulk = 16,
		.credits = 64, .compl_every = 8,
	};
}

static void nic_set_personality(struct nrtls_nic *nic, u8 personality)
{
	nic->personality = personality;
	nic->pers = personality == NRTLS_PERS_CXGB4 ? &nrtls_cxgb4_pers :
						      &nrtls_mlx5_pers;
	if (nic->pers->tls_rx)
		nic->dev->hw_features |= NETIF_F_HW_TLS_RX;
}

/*
 * Under RTNL: settings to this end and to its peer.  They are the pair's,
 * so the caller needs CAP_NET_ADMIN over the peer's namespace too: root
 * may have put the other end in a container's.
 */
int nrtls_nic_set_cfg(struct net_device *dev, const struct nrtls_nic_cfg *cfg,
		      struct netlink_ext_ack *extack)
{
	struct nrtls_nic *nic = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(nic->peer);
	struct nrtls_nic *ends[2] = { nic, peer ? netdev_priv(peer) : NULL };
	int i;

	if (peer && !net_eq(dev_net(peer), dev_net(dev)) &&
	    !ns_capable(dev_net(peer)->user_ns, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG(extack,
			       "settings of the pair: needs CAP_NET_ADMIN over the peer's namespace too");
		return -EPERM;
	}

	for (i = 0; i < 2 && ends[i]; i++) {
		spin_lock_bh(&ends[i]->lock);
		ends[i]->cfg = *cfg;
		nrtls_nic_wake_locked(ends[i]);
		spin_unlock_bh(&ends[i]->lock);
		nrtls_nic_wake_master(ends[i]);
	}
	return 0;
}

const struct nrtls_nic_cfg *nrtls_nic_cfg(const struct net_device *dev)
{
	const struct nrtls_nic *nic = netdev_priv(dev);

	return &nic->cfg;
}

u8 nrtls_nic_personality(const struct net_device *dev)
{
	const struct nrtls_nic *nic = netdev_priv(dev);

	return nic->personality;
}

/*
 * Creates the peer first, then @dev, as veth does.  The peer's name,
 * address and namespace come from the nested IFLA_NRTLS_PEER.
 */
int nrtls_nic_newlink(struct net *src_net, struct net_device *dev,
		      struct nlattr *tb[], struct nlattr *peer_attr,
		      u8 personality, const struct nrtls_nic_cfg *cfg,
		      struct netlink_ext_ack *extack)
{
	struct nlattr *peer_tb[IFLA_MAX + 1], **tbp = tb;
	struct ifinfomsg *ifmp = NULL;
	unsigned char name_assign_type;
	struct nrtls_nic *nic, *pnic;
	struct net_device *peer;
	char ifname[IFNAMSIZ];
	struct net *net;
	int err;

	if (peer_attr) {
		ifmp = nla_data(peer_attr);
		err = rtnl_nla_parse_ifinfomsg(peer_tb, peer_attr, extack);
		if (err < 0)
			return err;
		err = nrtls_link_validate_addr(peer_tb, extack);
		if (err)
			return err;
		tbp = peer_tb;
	}
	if (ifmp && tbp[IFLA_IFNAME]) {
		nla_strscpy(ifname, tbp[IFLA_IFNAME], IFNAMSIZ);
		name_assign_type = NET_NAME_USER;
	} else {
		snprintf(ifname, IFNAMSIZ, DRV_NAME "p%%d");
		name_assign_type = NET_NAME_ENUM;
	}

	net = rtnl_link_get_net(src_net, tbp);
	if (IS_ERR(net))
		return PTR_ERR(net);
	peer = rtnl_create_link(net, ifname, name_assign_type, &nrtls_link_ops,
				tbp, extack);
	if (IS_ERR(peer)) {
		put_net(net);
		return PTR_ERR(peer);
	}
	if (!ifmp || !tbp[IFLA_ADDRESS])
		eth_hw_addr_random(peer);
	if (ifmp && dev->ifindex)
		peer->ifindex = ifmp->ifi_index;
	pnic = netdev_priv(peer);
	nic_set_personality(pnic, personality);
	pnic->cfg = *cfg;

	err = register_netdevice(peer);
	put_net(net);
	if (err < 0) {
		free_netdev(peer);
		return err;
	}
	netif_carrier_off(peer);
	err = rtnl_configure_link(peer, ifmp, 0, NULL);
	if (err < 0)
		goto err_peer;

	if (!tb[IFLA_ADDRESS])
		eth_hw_addr_random(dev);
	if (tb[IFLA_IFNAME])
		nla_strscpy(dev->name, tb[IFLA_IFNAME], IFNAMSIZ);
	else
		snprintf(dev->name, IFNAMSIZ, DRV_NAME "%%d");
	nic = netdev_priv(dev);
	nic_set_personality(nic, personality);
	nic->cfg = *cfg;
	err = register_netdevice(dev);
	if (err < 0)
		goto err_peer;
	netif_carrier_off(dev);

	rcu_assign_pointer(nic->peer, peer);
	rcu_assign_pointer(pnic->peer, dev);
	return 0;

err_peer:
	unregister_netdevice(peer);
	return err;
}

void nrtls_nic_dellink(struct net_device *dev, struct list_head *head)
{
	struct nrtls_nic *nic = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(nic->peer);

	/* As in veth: both go, and the pointers before either does. */
	RCU_INIT_POINTER(nic->peer, NULL);
	unregister_netdevice_queue(dev, head);
	if (peer) {
		struct nrtls_nic *pnic = netdev_priv(peer);

		RCU_INIT_POINTER(pnic->peer, NULL);
		unregister_netdevice_queue(peer, head);
	}
}

struct net *nrtls_nic_link_net(const struct net_device *dev)
{
	struct nrtls_nic *nic = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(nic->peer);

	return peer ? dev_net(peer) : dev_net(dev);
}

/* --- what the wrapper (nrtls.ko) asks of a NIC below it ------------------ */

static netdev_tx_t nic_lower_xmit_ctx(struct net_device *dev,
				      struct sk_buff *skb,
				      struct nrtls_ctx *ctx)
{
	return nrtls_nic_xmit_ctx(netdev_priv(dev), skb, ctx);
}

static bool nic_lower_ring_full(const struct net_device *dev)
{
	return nrtls_nic_ring_full(netdev_priv(dev));
}

const struct nrtls_lower_ops nrtls_nic_lower_ops = {
	.is_ours = nrtls_is_nic,
	.can_offload = nrtls_nic_can_offload,
	.ctx_alloc = nrtls_nic_ctx_alloc,
	.xmit_ctx = nic_lower_xmit_ctx,
	.ring_full = nic_lower_ring_full,
};
