/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything that differs between the kernels nrtls builds for (Debian 12's
 * 6.1 and 6.12) lives here, so that the rest of the module is written
 * against one API.
 */
#ifndef _NRTLS_COMPAT_H
#define _NRTLS_COMPAT_H

#include <linux/version.h>
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0) || LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#error "nrtls builds for Linux 6.1 to 6.12 (kmod/Kbuild says so first)"
#endif
#include <linux/bvec.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/pagemap.h>
#include <linux/skbuff.h>
#include <linux/socket.h>
#include <linux/uio.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif

/*
 * kfunc definitions: 6.1 has neither the annotation nor the markers.  Its
 * own kfuncs are plain global functions (external linkage keeps the symbol
 * and its BTF), and it does not build with -Wmissing-prototypes, which the
 * markers silence.
 */
#ifndef __bpf_kfunc
#define __bpf_kfunc
#endif

#ifndef __bpf_kfunc_start_defs
#define __bpf_kfunc_start_defs()
#define __bpf_kfunc_end_defs()
#endif

#ifndef BTF_KFUNCS_START
#define BTF_KFUNCS_START(name) BTF_SET8_START(name)
#define BTF_KFUNCS_END(name) BTF_SET8_END(name)
#endif

/* --- page cache --------------------------------------------------------- */

/*
 * A referenced folio of @mapping at @index, or NULL: 6.1 returns NULL for
 * a miss, 6.12 an ERR_PTR.
 */
static inline struct folio *nrtls_folio_lookup(struct address_space *mapping,
					       pgoff_t index)
{
	struct folio *folio = filemap_get_folio(mapping, index);

	return IS_ERR_OR_NULL(folio) ? NULL : folio;
}

/* The locked folio at @index, created for a miss (may sleep); or NULL. */
static inline struct folio *nrtls_folio_create(struct address_space *mapping,
					       pgoff_t index)
{
	struct folio *folio;

	folio = __filemap_get_folio(mapping, index, FGP_LOCK | FGP_CREAT,
				    mapping_gfp_mask(mapping));
	return IS_ERR_OR_NULL(folio) ? NULL : folio;
}

static inline void nrtls_async_readahead(struct address_space *mapping,
					 struct file_ra_state *ra,
					 struct file *file, struct folio *folio,
					 unsigned long req_count)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	page_cache_async_readahead(mapping, ra, file, folio, req_count);
#else
	page_cache_async_readahead(mapping, ra, file, folio, folio->index,
				   req_count);
#endif
}

/* --- pages to a socket --------------------------------------------------- */

/*
 * Hand the first @len bytes of @nr bvecs to the socket's protocol, which is TCP
 * or kTLS (kTLS replaces sk_prot and the socket's ops), without waiting and
 * without SIGPIPE.  The protocol takes its own page references.  Returns
 * the bytes taken, or -errno if none were.
 *
 * The last bytes go without MSG_MORE (or NOTLAST): kTLS closes its record
 * and TCP pushes what it holds.  A tail left corked stalled transfers (seen
 * on 6.1 with NOTLAST): nothing pushed it while kTLS refused more data for
 * want of send-buffer space.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
static inline int nrtls_sock_send_pages(struct socket *sock,
					struct bio_vec *bv, int nr, size_t len)
{
	struct msghdr msg = {
		.msg_flags = MSG_SPLICE_PAGES | MSG_DONTWAIT | MSG_NOSIGNAL,
	};

	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bv, nr, len);
	return sock_sendmsg(sock, &msg);
}
#else
static inline int nrtls_sock_send_pages(struct socket *sock,
					struct bio_vec *bv, int nr, size_t len)
{
	size_t done = 0;
	int i, ret;

	for (i = 0; i < nr; i++) {
		struct page *page = bv[i].bv_page + bv[i].bv_offset / PAGE_SIZE;
		size_t off = bv[i].bv_offset % PAGE_SIZE;
		size_t left = bv[i].bv_len;

		while (left && done < len) {
			size_t chunk = min3(left, PAGE_SIZE - off, len - done);
			int f = MSG_DONTWAIT | MSG_NOSIGNAL;

			if (done + chunk < len)
				f |= MSG_SENDPAGE_NOTLAST | MSG_MORE;
			ret = kernel_sendpage(sock, page, off, chunk, f);
			if (ret <= 0)
				return done ? done : ret;
			done += ret;
			if (ret < chunk)
				return done;
			left -= chunk;
			page++;
			off = 0;
		}
	}
	return done;
}
#endif

/* --- sk_buff ------------------------------------------------------------- */

/* The "decrypted" bit: CONFIG_TLS_DEVICE's until 6.10, its own after. */
static inline void nrtls_skb_mark_decrypted(struct sk_buff *skb, bool on)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#ifdef CONFIG_SKB_DECRYPTED
	skb->decrypted = on;
#endif
#elif IS_ENABLED(CONFIG_TLS_DEVICE)
	skb->decrypted = on;
#endif
}

/* --- io_uring ------------------------------------------------------------ */

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
static inline const void *nrtls_uring_payload(struct io_uring_cmd *cmd)
{
	return io_uring_sqe_cmd(cmd->sqe);
}

/* io_uring calls ->uring_cmd() with this to cancel a marked command. */
#define NRTLS_URING_F_CANCEL	IO_URING_F_CANCEL

static inline void nrtls_uring_mark_cancelable(struct io_uring_cmd *cmd,
					       unsigned int issue_flags)
{
	io_uring_cmd_mark_cancelable(cmd, issue_flags);
}

/* io_uring cancels through NRTLS_URING_F_CANCEL: nothing to look for. */
static inline bool nrtls_uring_cmd_orphaned(struct io_uring_cmd *cmd)
{
	return false;
}
#else
#include <linux/io_uring_types.h>

static inline const void *nrtls_uring_payload(struct io_uring_cmd *cmd)
{
	return cmd->cmd;
}

#define NRTLS_URING_F_CANCEL	0

static inline void nrtls_uring_mark_cancelable(struct io_uring_cmd *cmd,
					       unsigned int issue_flags)
{
}

/*
 * Before 6.7 io_uring cannot cancel a driver's command: it waits for it,
 * in the ring's teardown or in its task's cancellation (in_idle), which
 * runs at exit, at execve() and when an SQPOLL thread stops.  The command
 * is as good as cancelled once either has begun, or its task exits; all
 * three outlive the command (each request holds its task), so looking is
 * safe while its CQE is not posted.
 */
static inline bool nrtls_uring_cmd_orphaned(struct io_uring_cmd *cmd)
{
	struct io_kiocb *req = cmd_to_io_kiocb(cmd);

	return (READ_ONCE(req->task->flags) & PF_EXITING) ||
	       atomic_read(&req->task->io_uring->in_idle) ||
	       percpu_ref_is_dying(&req->ctx->refs);
}
#endif

/* --- page cache ------------------------------------------------------------ */

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
#include <linux/magic.h>

/*
 * Before 6.7 hugetlbfs (memfd_create(MFD_HUGETLB) too) indexes its page
 * cache in huge pages, not in PAGE_SIZE units as every page-cache look-up
 * here assumes.  is_file_hugepages() is not for modules.
 */
static inline bool nrtls_file_huge_index(struct file *file)
{
	return file_inode(file)->i_sb->s_magic == HUGETLBFS_MAGIC;
}
#else
static inline bool nrtls_file_huge_index(struct file *file)
{
	return false;
}
#endif

/* --- XDP ------------------------------------------------------------------ */

/*
 * The skb XDP path, for a driver whose frames are socket buffers: it takes
 * the skb by reference from 6.9 (it may replace it), by value before.
 * XDP_PASS, or the skb is consumed.
 */
static inline int nrtls_do_xdp_generic(struct bpf_prog *prog,
				       struct sk_buff **pskb)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	return do_xdp_generic(prog, pskb);
#else
	return do_xdp_generic(prog, *pskb);
#endif
}

/*
 * What a driver's XDP does, for redirects aimed at it: 6.3 checks the
 * device's xdp_features before calling ndo_xdp_xmit; 6.1 has none.
 */
static inline void nrtls_xdp_features(struct net_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	dev->xdp_features = NETDEV_XDP_ACT_BASIC | NETDEV_XDP_ACT_REDIRECT |
			    NETDEV_XDP_ACT_NDO_XMIT;
#endif
}

/*
 * A device that must not change network namespace (the wrapper, whose
 * lowers stay behind): a feature bit until 6.11; 6.12 made it a flag,
 * netns_local, which Debian's 6.12 has under its later name.
 */
static inline void nrtls_netns_immutable(struct net_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	dev->netns_immutable = true;
#else
	dev->features |= NETIF_F_NETNS_LOCAL;
#endif
}

#endif /* _NRTLS_COMPAT_H */
