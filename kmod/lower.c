// SPDX-License-Identifier: GPL-2.0
/*
 * What nrtls.ko offers the driver of the devices below the wrapper
 * (nrtls_nic.ko, the emulated NIC), and the one registration through
 * which the wrapper reaches that driver: the module split keeps the
 * dependency one way, driver to nrtls.ko.
 */
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/rtnetlink.h>
#include <net/tls.h>

#include "lower.h"

static const struct nrtls_lower_ops __rcu *lower_ops;
static DEFINE_MUTEX(lower_lock);	/* registration */

int nrtls_lower_register(const struct nrtls_lower_ops *ops)
{
	int err = 0;

	mutex_lock(&lower_lock);
	if (rcu_access_pointer(lower_ops))
		err = -EBUSY;
	else
		rcu_assign_pointer(lower_ops, ops);
	mutex_unlock(&lower_lock);
	return err;
}
EXPORT_SYMBOL_NS_GPL(nrtls_lower_register, NRTLS);

/*
 * Before the driver's devices go: from here on the wrapper treats them as
 * lowers without offload, and no call into the driver is still running
 * once this returns (RTNL holders included, as the ops are only used
 * under RTNL or RCU).
 */
void nrtls_lower_unregister(const struct nrtls_lower_ops *ops)
{
	mutex_lock(&lower_lock);
	if (rcu_access_pointer(lower_ops) == ops)
		RCU_INIT_POINTER(lower_ops, NULL);
	mutex_unlock(&lower_lock);
	rtnl_lock();
	rtnl_unlock();
	synchronize_net();
}
EXPORT_SYMBOL_NS_GPL(nrtls_lower_unregister, NRTLS);

const struct nrtls_lower_ops *nrtls_lower_ops_of(const struct net_device *dev)
{
	const struct nrtls_lower_ops *ops;

	ops = rcu_dereference_check(lower_ops, rcu_read_lock_bh_held() ||
				    lockdep_rtnl_is_held());
	return ops && ops->is_ours(dev) ? ops : NULL;
}

int nrtls_link_validate_addr(struct nlattr *tb[],
			     struct netlink_ext_ack *extack)
{
	if (!tb[IFLA_ADDRESS])
		return 0;
	if (nla_len(tb[IFLA_ADDRESS]) != ETH_ALEN) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_ADDRESS], "not an Ethernet address");
		return -EINVAL;
	}
	if (!is_valid_ether_addr(nla_data(tb[IFLA_ADDRESS]))) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_ADDRESS], "not a unicast address");
		return -EADDRNOTAVAIL;
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(nrtls_link_validate_addr, NRTLS);

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
struct nrtls_ctx *nrtls_tls_ctx(struct sk_buff *skb,
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
EXPORT_SYMBOL_NS_GPL(nrtls_tls_ctx, NRTLS);

/*
 * Whether kTLS, validating @skb for @dev before @dev's ndo_start_xmit,
 * encrypted it in software: its socket's TX is offloaded to another
 * device, or to none since tls_device_down().  A device above others must
 * not let such a packet be validated again below, which would encrypt it
 * a second time.  An offload to @dev ends in tls_device_down() on @dev,
 * after @dev stopped running: the caller drops packets then, which may
 * have been validated before it and seen here after.
 */
bool nrtls_tls_encrypted_for(const struct sk_buff *skb,
			     const struct net_device *dev)
{
	struct sock *sk = skb->sk;
	typeof(sk->sk_validate_xmit_skb) validate;

	if (!sk || !sk_fullsock(sk))
		return false;
	/* Pairs with the release in tls_set_device_offload(). */
	validate = smp_load_acquire(&sk->sk_validate_xmit_skb);
	if (!validate)
		return false;
	/* The other is tls_validate_xmit_skb_sw(), which always encrypts. */
	if (validate != tls_validate_xmit_skb)
		return true;
	return rcu_access_pointer(tls_get_ctx(sk)->netdev) != dev;
}

/* The ciphers Linux's TX device offload hands to a driver. */
bool nrtls_tls_offloadable(const struct tls_crypto_info *ci)
{
	return ci->cipher_type == TLS_CIPHER_AES_GCM_128 ||
	       ci->cipher_type == TLS_CIPHER_AES_GCM_256;
}
EXPORT_SYMBOL_NS_GPL(nrtls_tls_offloadable, NRTLS);

/*
 * The socket's reference on @ctx, in kTLS's driver state.  BPF programs
 * find the flow's context by its addresses; a context someone already made
 * for the same flow keeps the key, and this one then works unlisted.
 */
void nrtls_tls_attach(struct sock *sk, struct nrtls_ctx *ctx)
{
	nrtls_ctx_set_sock(ctx, sk);
	nrtls_ctx_publish(ctx);
	*driver_slot(tls_get_ctx(sk)) = ctx;
}
EXPORT_SYMBOL_NS_GPL(nrtls_tls_attach, NRTLS);

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
EXPORT_SYMBOL_NS_GPL(nrtls_tls_detach, NRTLS);

/* Only RX asks for resyncs; TX resyncs from kTLS's record list. */
int nrtls_tls_dev_resync(struct net_device *dev, struct sock *sk, u32 seq,
			 u8 *rcd_sn, enum tls_offload_ctx_dir direction)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_NS_GPL(nrtls_tls_dev_resync, NRTLS);
