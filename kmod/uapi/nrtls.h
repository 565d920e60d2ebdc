/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * nrtls user ABI: ioctls on /dev/nrtls.
 *
 * Every request is an extensible struct: the ioctl number encodes the size
 * the caller was built with.  A caller built against an older header passes
 * a smaller struct (missing fields read as zero); a newer caller may pass a
 * larger one as long as the bytes this module does not know are zero.
 * Unknown flags and non-zero reserved fields are rejected with EINVAL.
 */
#ifndef _UAPI_NRTLS_H
#define _UAPI_NRTLS_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define NRTLS_ABI_VERSION	1
#define NRTLS_DEVICE		"/dev/nrtls"
#define NRTLS_IOC_MAGIC		0xBA

/*
 * A flow: the key under which an offload context is found, by the kernel
 * and by BPF programs (nrtls_xdp_ctx_lookup(), nrtls_skb_ctx_lookup()).
 * Addresses and ports are in network byte order; an IPv4 address is in
 * word 0 of its array and the other words are zero.  All padding must be
 * zero: the struct is compared as a whole.
 */
struct nrtls_flow {
	__u8	family;		/* AF_INET or AF_INET6 */
	__u8	protocol;	/* IPPROTO_TCP */
	__u16	pad;		/* must be 0 */
	__be16	sport;
	__be16	dport;
	__be32	saddr[4];
	__be32	daddr[4];
};

enum nrtls_ctx_type {
	NRTLS_CTX_PLAIN = 0,	/* no crypto: steering only */
	NRTLS_CTX_TLS_TX = 1,
	NRTLS_CTX_TLS_RX = 2,
};

enum nrtls_ctx_mode {
	NRTLS_MODE_NONE = 0,	/* plain context, nothing offloaded */
	NRTLS_MODE_SW = 1,	/* crypto in software */
	NRTLS_MODE_DEVICE = 2,	/* crypto on the device */
	NRTLS_MODE_DETACHED = 3, /* its device went away */
};

/*
 * NRTLS_IOC_CTX_CREATE: a plain context for @flow on device @ifindex, in
 * the caller's network namespace; needs CAP_NET_ADMIN there.  The context
 * belongs to the open file: it lives until NRTLS_IOC_CTX_DESTROY, until
 * the file is closed, or until the device goes away, whichever is first
 * (BPF programs may hold it a little longer).  On success @id is set.
 */
struct nrtls_ctx_create {
	__u32	ifindex;
	__u32	type;		/* NRTLS_CTX_PLAIN */
	__u32	flags;		/* must be 0 */
	__u32	id;		/* out */
	struct nrtls_flow flow;
	__u64	reserved[2];	/* must be 0 */
};

struct nrtls_ctx_destroy {
	__u32	id;
	__u32	flags;		/* must be 0 */
};

#define NRTLS_IOC_CTX_CREATE	_IOWR(NRTLS_IOC_MAGIC, 0x10, struct nrtls_ctx_create)
#define NRTLS_IOC_CTX_DESTROY	_IOW(NRTLS_IOC_MAGIC, 0x11, struct nrtls_ctx_destroy)

#endif /* _UAPI_NRTLS_H */
