// SPDX-License-Identifier: GPL-2.0
/*
 * Refcounted offload contexts (FreeBSD's send tags, m_snd_tag_init/ref/
 * rele): creation, the flow table BPF programs look them up in, listing,
 * and detaching them from a device that goes away.
 *
 * References may be dropped in process or softirq context (BPF programs,
 * TX completion), never in hard IRQ context.
 */
#include <linux/debugfs.h>
#include <linux/hashtable.h>
#include <linux/in.h>
#include <linux/jhash.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sock_diag.h>
#include <linux/socket.h>
#include <linux/xarray.h>
#include <linux/rtnetlink.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netns/hash.h>

#include "counters.h"
#include "ctx.h"
#include "fault.h"
#include "quota.h"

static unsigned int max_ctx = 65536;
module_param(max_ctx, uint, 0644);
MODULE_PARM_DESC(max_ctx, "Most offload contexts alive at once (default 65536)");

enum {
	CTX_PUBLISHED,	/* in the flow table */
	CTX_DETACHED,	/* device gone, reference on it dropped */
	CTX_BY_COOKIE,	/* in the cookie table */
};

#define CTX_HASH_BITS 10
static DEFINE_HASHTABLE(ctx_table, CTX_HASH_BITS);
/* Those of a socket, by its cookie; several per socket (TX and RX). */
static DEFINE_HASHTABLE(ctx_cookies, CTX_HASH_BITS);
static DEFINE_SPINLOCK(ctx_table_lock);	/* writers of both tables */

/* Contexts alive, against max_ctx (the per-CPU counter is for showing). */
static atomic_t ctx_live;

/* Every context from allocation to free, by id (listing, device removal). */
static DEFINE_XARRAY_FLAGS(ctx_ids, XA_FLAGS_ALLOC1 | XA_FLAGS_LOCK_BH);

static u32 ctx_hash(const struct net *net, const struct nrtls_flow *flow)
{
	return jhash2((const u32 *)flow, sizeof(*flow) / sizeof(u32),
		      net_hash_mix(net));
}

int nrtls_ctx_validate_flow(const struct nrtls_flow *flow)
{
	if (flow->pad)
		return -EINVAL;
	if (flow->protocol != IPPROTO_TCP && flow->protocol != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	switch (flow->family) {
	case AF_INET:
		if (flow->saddr[1] || flow->saddr[2] || flow->saddr[3] ||
		    flow->daddr[1] || flow->daddr[2] || flow->daddr[3])
			return -EINVAL;
		return 0;
	case AF_INET6:
		return 0;
	default:
		return -EAFNOSUPPORT;
	}
}

struct nrtls_ctx *nrtls_ctx_alloc(struct net_device *dev,
				  const struct nrtls_flow *flow,
				  enum nrtls_ctx_type type,
				  const struct nrtls_ctx_ops *ops,
				  size_t priv_size, gfp_t gfp)
{
	struct nrtls_ctx *ctx;
	int err;

	if (atomic_inc_return(&ctx_live) > max_ctx) {
		err = -ENOSPC;
		goto err_count;
	}
	if (nrtls_should_fail(NRTLS_FAULT_CTX_ALLOC)) {
		err = -ENOMEM;
		goto err_count;
	}
	ctx = kzalloc(size_add(NRTLS_CTX_PRIV_OFF, priv_size), gfp);
	if (!ctx) {
		err = -ENOMEM;
		goto err_count;
	}
	refcount_set(&ctx->ref, 1);
	ctx->ifindex = dev->ifindex;
	strscpy(ctx->ifname, dev->name, sizeof(ctx->ifname));
	ctx->type = type;
	ctx->cpu = raw_smp_processor_id();
	ctx->mode = type == NRTLS_CTX_PLAIN ? NRTLS_MODE_NONE : NRTLS_MODE_SW;
	ctx->flow = *flow;
	ctx->ops = ops;
	write_pnet(&ctx->net, dev_net(dev));
	INIT_HLIST_NODE(&ctx->hnode);
	/* Hold the device before the notifier can find the context. */
	ctx->dev = dev;
	netdev_hold(dev, &ctx->dev_tracker, gfp);

	if (nrtls_should_fail(NRTLS_FAULT_CTX_ID))
		err = -ENOMEM;
	else
		err = xa_alloc_bh(&ctx_ids, &ctx->id, ctx, xa_limit_31b, gfp);
	if (err)
		goto err_free;

	nrtls_obj_inc(NRTLS_OBJ_CTX);
	nrtls_event(NRTLS_EV_CTX_CREATED);
	return ctx;

err_free:
	netdev_put(dev, &ctx->dev_tracker);
	kfree(ctx);
err_count:
	atomic_dec(&ctx_live);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_NS_GPL(nrtls_ctx_alloc, NRTLS);

/*
 * The device's state goes, then the hold on the device: once, either when
 * the last reference goes or when the device unregisters.
 */
static void ctx_release_dev(struct nrtls_ctx *ctx)
{
	struct net_device *dev = ctx->dev;

	if (test_and_set_bit(CTX_DETACHED, &ctx->flags))
		return;
	if (ctx->ops && ctx->ops->free)
		ctx->ops->free(ctx);
	WRITE_ONCE(ctx->dev, NULL);
	netdev_put(dev, &ctx->dev_tracker);
}

static void ctx_free_rcu(struct rcu_head *head)
{
	struct nrtls_ctx *ctx = container_of(head, struct nrtls_ctx, rcu);

	ctx_release_dev(ctx);
	if (ctx->quota) {
		nrtls_quota_uncharge(ctx->quota, NRTLS_QUOTA_CTX);
		nrtls_quota_put(ctx->quota);
	}
	kfree(ctx);
	nrtls_obj_dec(NRTLS_OBJ_CTX);
	atomic_dec(&ctx_live);
}

/*
 * A context the stack asks a device for on a socket's behalf (tls_dev_add,
 * in the task setting the key), whole (on failure the caller frees it)
 * but not published.  On a device of a network namespace that a user
 * namespace other than the initial one owns, which an unprivileged user
 * can make (its own emulated NIC or wrapper), it counts against the
 * calling user's max_user_ctx, as contexts made through /dev/nrtls do,
 * until it is freed: 0, -EDQUOT, or -ENOMEM.
 */
int nrtls_ctx_charge_caller(struct nrtls_ctx *ctx)
{
	struct nrtls_quota *q;
	int err;

	if (read_pnet(&ctx->net)->user_ns == &init_user_ns)
		return 0;
	q = nrtls_quota_get();
	if (!q)
		return -ENOMEM;
	err = nrtls_quota_charge(q, NRTLS_QUOTA_CTX);
	if (err) {
		nrtls_quota_put(q);
		return err;
	}
	ctx->quota = q;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(nrtls_ctx_charge_caller, NRTLS);

/* Whether @ctx was allocated on @dev and still holds it. */
bool nrtls_ctx_on_dev(const struct nrtls_ctx *ctx,
		      const struct net_device *dev)
{
	return READ_ONCE(ctx->dev) == dev &&
	       !test_bit(CTX_DETACHED, &ctx->flags);
}
EXPORT_SYMBOL_NS_GPL(nrtls_ctx_on_dev, NRTLS);

/*
 * The transitions a context's mode may take (seed 002): a device context
 * may fall back to software and a wrapper context may come back to the
 * device; anything may be detached; nothing leaves detached.
 */
static bool mode_allowed(u8 from, u8 to)
{
	switch (from) {
	case NRTLS_MODE_NONE:
		return to == NRTLS_MODE_DETACHED;
	case NRTLS_MODE_SW:
		return to == NRTLS_MODE_DEVICE || to == NRTLS_MODE_DETACHED;
	case NRTLS_MODE_DEVICE:
		return to == NRTLS_MODE_SW || to == NRTLS_MODE_DETACHED;
	default:
		return false;
	}
}

int nrtls_ctx_set_mode(struct nrtls_ctx *ctx, enum nrtls_ctx_mode mode)
{
	u8 old = READ_ONCE(ctx->mode);

	do {
		if (old == mode)
			return 0;
		if (!mode_allowed(old, mode))
			return -EINVAL;
	} while (!try_cmpxchg(&ctx->mode, &old, mode));
	nrtls_event(NRTLS_EV_CTX_MODE_CHANGES);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(nrtls_ctx_set_mode, NRTLS);

/*
 * The flow as its packets carry it: a dual-stack socket talking IPv4
 * (v4-mapped addresses) is an IPv4 flow, or a NIC and BPF programs, which
 * parse packets, would never find it.
 */
void nrtls_ctx_flow_of_sk(const struct sock *sk, struct nrtls_flow *flow)
{
	const struct inet_sock *inet = inet_sk(sk);

	memset(flow, 0, sizeof(*flow));
	flow->family = AF_INET;
	flow->protocol = sk->sk_protocol;
	flow->sport = inet->inet_sport;
	flow->dport = inet->inet_dport;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		flow->family = AF_INET6;
		memcpy(flow->saddr, &sk->sk_v6_rcv_saddr, sizeof(flow->saddr));
		memcpy(flow->daddr, &sk->sk_v6_daddr, sizeof(flow->daddr));
		return;
	}
#endif
	flow->saddr[0] = inet->inet_saddr;
	flow->daddr[0] = inet->inet_daddr;
}
EXPORT_SYMBOL_NS_GPL(nrtls_ctx_flow_of_sk, NRTLS);

void nrtls_ctx_put(struct nrtls_ctx *ctx)
{
	if (!refcount_dec_and_test(&ctx->ref))
		return;
	/* Whoever published the context holds a reference until it unpublishes. */
	WARN_ON_ONCE(test_bit(CTX_PUBLISHED, &ctx->flags));
	nrtls_ctx_unpublish(ctx);
	xa_erase_bh(&ctx_ids, ctx->id);
	call_rcu(&ctx->rcu, ctx_free_rcu);
}
EXPORT_SYMBOL_NS_GPL(nrtls_ctx_put, NRTLS);

int nrtls_ctx_publish(struct nrtls_ctx *ctx)
{
	struct net *net = read_pnet(&ctx->net);
	u32 hash = ctx_hash(net, &ctx->flow);
	struct nrtls_ctx *other;
	int err = 0;

	spin_lock_bh(&ctx_table_lock);
	if (test_bit(CTX_DETACHED, &ctx->flags)) {
		err = -ENODEV;
		goto out;
	}
	/*
	 * A socket's TX and RX contexts have one flow: the first takes the
	 * flow table, both are found by the socket's cookie and type.
	 */
	if (ctx->cookie && !test_and_set_bit(CTX_BY_COOKIE, &ctx->flags))
		hash_add_rcu(ctx_cookies, &ctx->cnode, ctx->cookie);
	hash_for_each_possible(ctx_table, other, hnode, hash) {
		if (net_eq(read_pnet(&other->net), net) &&
		    !memcmp(&other->flow, &ctx->flow, sizeof(ctx->flow))) {
			err = -EEXIST;
			goto out;
		}
	}
	hash_add_rcu(ctx_table, &ctx->hnode, hash);
	set_bit(CTX_PUBLISHED, &ctx->flags);
out:
	spin_unlock_bh(&ctx_table_lock);
	return err;
}
EXPORT_SYMBOL_NS_GPL(nrtls_ctx_publish, NRTLS);

void nrtls_ctx_unpublish(struct nrtls_ctx *ctx)
{
	spin_lock_bh(&ctx_table_lock);
	if (test_and_clear_bit(CTX_PUBLISHED, &ctx->flags))
		hash_del_rcu(&ctx->hnode);
	if (test_and_clear_bit(CTX_BY_COOKIE, &ctx->flags))
		hash_del_rcu(&ctx->cnode);
	spin_unlock_bh(&ctx_table_lock);
}
EXPORT_SYMBOL_NS_GPL(nrtls_ctx_unpublish, NRTLS);

struct nrtls_ctx *nrtls_ctx_lookup(struct net *net,
				   const struct nrtls_flow *flow)
{
	u32 hash = ctx_hash(net, flow);
	struct nrtls_ctx *ctx, *found = NULL;

	rcu_read_lock();
	hash_for_each_possible_rcu(ctx_table, ctx, hnode, hash) {
		if (net_eq(read_pnet(&ctx->net), net) &&
		    !memcmp(&ctx->flow, flow, sizeof(*flow)) &&
		    refcount_inc_not_zero(&ctx->ref)) {
			found = ctx;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

/* Before it is published: the context is @sk's, found by its cookie too. */
void nrtls_ctx_set_sock(struct nrtls_ctx *ctx, struct sock *sk)
{
	u32 c[2];

	WARN_ON_ONCE(test_bit(CTX_PUBLISHED, &ctx->flags));
	/* The exported way to sock_gen_cookie(): it makes one if need be. */
	sock_diag_save_cookie(sk, c);
	ctx->cookie = (u64)c[1] << 32 | c[0];
}
EXPORT_SYMBOL_NS_GPL(nrtls_ctx_set_sock, NRTLS);

/* The context of type @type of the socket whose cookie is @cookie. */
struct nrtls_ctx *nrtls_ctx_lookup_cookie(struct net *net, u64 cookie,
					  u32 type)
{
	struct nrtls_ctx *ctx, *found = NULL;

	if (!cookie)
		return NULL;
	rcu_read_lock();
	hash_for_each_possible_rcu(ctx_cookies, ctx, cnode, cookie) {
		if (ctx->cookie == cookie && ctx->type == type &&
		    net_eq(read_pnet(&ctx->net), net) &&
		    refcount_inc_not_zero(&ctx->ref)) {
			found = ctx;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

static const struct nrtls_ctx_ops plain_ops;

struct nrtls_ctx *nrtls_ctx_create_plain(struct net *net, u32 ifindex,
					 const struct nrtls_flow *flow)
{
	struct net_device *dev;
	struct nrtls_ctx *ctx;
	int err;

	err = nrtls_ctx_validate_flow(flow);
	if (err)
		return ERR_PTR(err);
	/* Under RTNL the device cannot start unregistering behind our back. */
	rtnl_lock();
	dev = __dev_get_by_index(net, ifindex);
	if (!dev || dev->reg_state != NETREG_REGISTERED) {
		ctx = ERR_PTR(-ENODEV);
		goto out;
	}
	/* Made at a user's request: charged to its memcg. */
	ctx = nrtls_ctx_alloc(dev, flow, NRTLS_CTX_PLAIN, &plain_ops, 0,
			      GFP_KERNEL_ACCOUNT);
	if (IS_ERR(ctx))
		goto out;
	err = nrtls_ctx_publish(ctx);
	if (err) {
		nrtls_ctx_put(ctx);
		ctx = ERR_PTR(err);
	}
out:
	rtnl_unlock();
	return ctx;
}

/*
 * The device is unregistering: nobody may find its contexts any more, and
 * they give back their hold on it so that unregistration can finish.  The
 * contexts themselves live on until their last reference goes.
 */
static void ctx_detach(struct nrtls_ctx *ctx)
{
	nrtls_ctx_unpublish(ctx);
	nrtls_ctx_set_mode(ctx, NRTLS_MODE_DETACHED);
	if (!test_bit(CTX_DETACHED, &ctx->flags)) {
		ctx_release_dev(ctx);
		nrtls_event(NRTLS_EV_CTX_DETACHED);
	}
}

static int ctx_netdev_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct nrtls_ctx *ctx;
	unsigned long id;

	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	rcu_read_lock();
	xa_for_each(&ctx_ids, id, ctx) {
		if (!nrtls_ctx_on_dev(ctx, dev))
			continue;
		if (!refcount_inc_not_zero(&ctx->ref))
			continue;
		ctx_detach(ctx);
		nrtls_ctx_put(ctx);
	}
	rcu_read_unlock();
	return NOTIFY_DONE;
}

static struct notifier_block ctx_netdev_nb = {
	.notifier_call = ctx_netdev_event,
};

static const char *const type_names[] = {
	[NRTLS_CTX_PLAIN] = "plain",
	[NRTLS_CTX_TLS_TX] = "tls-tx",
	[NRTLS_CTX_TLS_RX] = "tls-rx",
};

static const char *const mode_names[] = {
	[NRTLS_MODE_NONE] = "none",
	[NRTLS_MODE_SW] = "sw",
	[NRTLS_MODE_DEVICE] = "device",
	[NRTLS_MODE_DETACHED] = "detached",
};

static void show_flow(struct seq_file *m, const struct nrtls_flow *f)
{
	const char *proto = f->protocol == IPPROTO_TCP ? "tcp" : "udp";

	if (f->family == AF_INET)
		seq_printf(m, "%s %pI4:%u %pI4:%u", proto, f->saddr,
			   ntohs(f->sport), f->daddr, ntohs(f->dport));
	else
		seq_printf(m, "%s [%pI6c]:%u [%pI6c]:%u", proto, f->saddr,
			   ntohs(f->sport), f->daddr, ntohs(f->dport));
}

static int contexts_show(struct seq_file *m, void *v)
{
	struct nrtls_ctx *ctx;
	unsigned long id;

	seq_puts(m, "id type mode ifindex refs proto src dst [dev=NAME key=value...]\n");
	rcu_read_lock();
	xa_for_each(&ctx_ids, id, ctx) {
		unsigned int refs;

		/* A reference keeps the device's state for ->show(). */
		if (!nrtls_ctx_tryget(ctx))
			continue;
		refs = refcount_read(&ctx->ref) - 1;
		seq_printf(m, "%u %s %s %u %u ", ctx->id, type_names[ctx->type],
			   mode_names[READ_ONCE(ctx->mode)], ctx->ifindex, refs);
		show_flow(m, &ctx->flow);
		seq_printf(m, " dev=%s", ctx->ifname);
		/*
		 * Racy by design: see struct nrtls_ctx_ops.  Detached first:
		 * the ops of a detached context may be in a module unloaded
		 * since.
		 */
		if (!test_bit(CTX_DETACHED, &ctx->flags) && ctx->ops &&
		    ctx->ops->show)
			ctx->ops->show(ctx, m);
		seq_putc(m, '\n');
		nrtls_ctx_put(ctx);
	}
	rcu_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(contexts);

int nrtls_ctx_init(struct dentry *dir)
{
	debugfs_create_file("contexts", 0444, dir, NULL, &contexts_fops);
	return register_netdevice_notifier(&ctx_netdev_nb);
}

void nrtls_ctx_exit(void)
{
	unregister_netdevice_notifier(&ctx_netdev_nb);
	/* Let pending ctx_free_rcu() callbacks run before the code goes. */
	rcu_barrier();
	WARN_ON(!xa_empty(&ctx_ids));
}
