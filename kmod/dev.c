// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/nrtls: the misc device userspace talks to.  Each open file owns the
 * contexts it created; closing it releases them.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>

#include "ctx.h"
#include "dev.h"
#include "fault.h"
#include "quota.h"
#include "sendfile.h"
#include "uring.h"
#include "version.h"

struct nrtls_file {
	struct xarray ctxs;	/* id -> context, one owner reference each */
	struct nrtls_quota *quota;	/* the opener's: charged per context */
};

/*
 * Requests are extensible structs: the size comes from the ioctl number.
 * copy_struct_from_user() zero-fills what an older caller did not pass and
 * rejects (E2BIG) non-zero bytes a newer caller added.
 */
static int req_copy_in(void *k, size_t ksize, size_t minsize,
		       unsigned int cmd, void __user *uarg)
{
	size_t usize = _IOC_SIZE(cmd);

	if (usize < minsize)
		return -EINVAL;
	return copy_struct_from_user(k, ksize, uarg, usize);
}

static int req_copy_out(void __user *uarg, unsigned int cmd, const void *k,
			size_t ksize)
{
	return copy_to_user(uarg, k, min_t(size_t, ksize, _IOC_SIZE(cmd))) ?
		-EFAULT : 0;
}

/* The file lets go of a context it owned. */
static void ctx_drop(struct nrtls_file *f, struct nrtls_ctx *ctx)
{
	nrtls_ctx_unpublish(ctx);
	nrtls_ctx_put(ctx);
	nrtls_quota_uncharge(f->quota, NRTLS_QUOTA_CTX);
}

/*
 * The id becomes usable (NRTLS_IOC_CTX_DESTROY) only once it has reached
 * the caller: until then its slot in the file is reserved, which reads as
 * empty, so nothing else can destroy the context under us.
 */
static long ctx_create(struct nrtls_file *f, unsigned int cmd,
		       void __user *uarg)
{
	struct net *net = current->nsproxy->net_ns;
	struct nrtls_ctx_create req;
	struct nrtls_ctx *ctx;
	int err;

	err = req_copy_in(&req, sizeof(req), sizeof(req), cmd, uarg);
	if (err)
		return err;
	if (req.flags || req.reserved[0] || req.reserved[1] || req.id)
		return -EINVAL;
	if (req.type != NRTLS_CTX_PLAIN)
		return -EOPNOTSUPP;
	if (!ns_capable(net->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	err = nrtls_quota_charge(f->quota, NRTLS_QUOTA_CTX);
	if (err)
		return err;

	ctx = nrtls_ctx_create_plain(net, req.ifindex, &req.flow);
	if (IS_ERR(ctx)) {
		nrtls_quota_uncharge(f->quota, NRTLS_QUOTA_CTX);
		return PTR_ERR(ctx);
	}
	err = -ENOMEM;
	if (!nrtls_should_fail(NRTLS_FAULT_CTX_XA))
		err = xa_reserve(&f->ctxs, ctx->id, GFP_KERNEL_ACCOUNT);
	if (err)
		goto err_drop;
	req.id = ctx->id;
	err = -EFAULT;
	if (!nrtls_should_fail(NRTLS_FAULT_CTX_COPYOUT))
		err = req_copy_out(uarg, cmd, &req, sizeof(req));
	if (err) {
		xa_release(&f->ctxs, ctx->id);
		goto err_drop;
	}
	/* A reserved slot takes its entry without allocating. */
	WARN_ON(xa_err(xa_store(&f->ctxs, ctx->id, ctx, GFP_KERNEL)));
	return 0;

err_drop:
	ctx_drop(f, ctx);
	return err;
}

static long ctx_destroy(struct nrtls_file *f, unsigned int cmd,
			void __user *uarg)
{
	struct nrtls_ctx_destroy req;
	struct nrtls_ctx *ctx;
	int err;

	err = req_copy_in(&req, sizeof(req), sizeof(req), cmd, uarg);
	if (err)
		return err;
	if (req.flags)
		return -EINVAL;
	/*
	 * Not xa_erase(): on a slot ctx_create() reserved, it would drop the
	 * reservation, and the store there would have to allocate.
	 */
	ctx = xa_load(&f->ctxs, req.id);
	if (!ctx || xa_cmpxchg(&f->ctxs, req.id, ctx, NULL, 0) != ctx)
		return -ENOENT;
	ctx_drop(f, ctx);
	return 0;
}

static long version(unsigned int cmd, void __user *uarg)
{
	struct nrtls_version v = {
		.abi = NRTLS_ABI_VERSION,
		.sf_flags = NRTLS_SF_FLAGS,
		.release = NRTLS_VERSION,
	};

	if (_IOC_SIZE(cmd) < offsetofend(struct nrtls_version, release))
		return -EINVAL;
	/* A newer caller's larger struct: what we do not know reads as zero. */
	if (_IOC_SIZE(cmd) > sizeof(v) &&
	    clear_user(uarg + sizeof(v), _IOC_SIZE(cmd) - sizeof(v)))
		return -EFAULT;
	return req_copy_out(uarg, cmd, &v, sizeof(v));
}

static long nrtls_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct nrtls_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;

	if (_IOC_TYPE(cmd) != NRTLS_IOC_MAGIC)
		return -ENOTTY;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(NRTLS_IOC_VERSION):
		if (_IOC_DIR(cmd) != _IOC_DIR(NRTLS_IOC_VERSION))
			return -ENOTTY;
		return version(cmd, uarg);
	case _IOC_NR(NRTLS_IOC_CTX_CREATE):
		if (_IOC_DIR(cmd) != _IOC_DIR(NRTLS_IOC_CTX_CREATE))
			return -ENOTTY;
		return ctx_create(f, cmd, uarg);
	case _IOC_NR(NRTLS_IOC_CTX_DESTROY):
		if (_IOC_DIR(cmd) != _IOC_DIR(NRTLS_IOC_CTX_DESTROY))
			return -ENOTTY;
		return ctx_destroy(f, cmd, uarg);
	case _IOC_NR(NRTLS_IOC_SENDFILE):
		if (_IOC_DIR(cmd) != _IOC_DIR(NRTLS_IOC_SENDFILE))
			return -ENOTTY;
		return nrtls_sf_ioctl(cmd, uarg);
	default:
		return -ENOTTY;
	}
}

static int nrtls_open(struct inode *inode, struct file *file)
{
	struct nrtls_file *f = NULL;

	if (!nrtls_should_fail(NRTLS_FAULT_DEV_OPEN))
		f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	f->quota = nrtls_quota_get();
	if (!f->quota) {
		kfree(f);
		return -ENOMEM;
	}
	xa_init(&f->ctxs);
	file->private_data = f;
	return 0;
}

static int nrtls_release(struct inode *inode, struct file *file)
{
	struct nrtls_file *f = file->private_data;
	struct nrtls_ctx *ctx;
	unsigned long id;

	xa_for_each(&f->ctxs, id, ctx) {
		xa_erase(&f->ctxs, id);
		ctx_drop(f, ctx);
	}
	xa_destroy(&f->ctxs);
	nrtls_quota_put(f->quota);
	kfree(f);
	return 0;
}

static const struct file_operations nrtls_fops = {
	.owner = THIS_MODULE,
	.open = nrtls_open,
	.release = nrtls_release,
	.unlocked_ioctl = nrtls_ioctl,
	.uring_cmd = nrtls_uring_cmd,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/*
 * World-accessible: requests only act on the caller's own file descriptors,
 * and the ones that touch devices check CAP_NET_ADMIN.
 */
static struct miscdevice nrtls_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "nrtls",
	.fops = &nrtls_fops,
	.mode = 0666,
};

int nrtls_dev_init(void)
{
	return misc_register(&nrtls_misc);
}

void nrtls_dev_exit(void)
{
	misc_deregister(&nrtls_misc);
}
