/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * nrtls user ABI: ioctls on /dev/nrtls.
 *
 * Every request is an extensible struct: the ioctl number encodes the size
 * the caller was built with.  A caller built against an older header passes
 * a smaller struct (missing fields read as zero); a newer caller may pass a
 * larger one as long as the bytes this module does not know are zero
 * (E2BIG otherwise).  Unknown flags and non-zero reserved fields are
 * rejected with EINVAL; a struct smaller than the first version's, with
 * EINVAL.  NRTLS_IOC_VERSION tells which ABI the loaded module speaks.
 *
 * Who may do what: /dev/nrtls is open to everyone.  Sendfile acts only on
 * the caller's own descriptors; contexts need CAP_NET_ADMIN in the network
 * namespace whose device they name (which a user has in a namespace of its
 * own).  What a user makes is bounded by per-user quotas (contexts,
 * sockets with queued data: EDQUOT), per-socket caps (requests, header
 * bytes: ENOBUFS) and its memory cgroup, which everything it makes is
 * charged to (ENOMEM when full).  See the module's parameters.
 */
#ifndef _UAPI_NRTLS_H
#define _UAPI_NRTLS_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * 1: contexts, sendfile.  2: NRTLS_IOC_VERSION, NRTLS_SF_SHUT_WR, counts
 * capped at 2 GiB - 4 KiB, io_uring commands cancelable.
 */
#define NRTLS_ABI_VERSION	2
#define NRTLS_DEVICE		"/dev/nrtls"
#define NRTLS_IOC_MAGIC		0xBA

/*
 * NRTLS_IOC_VERSION: what the loaded module speaks (a module of ABI 1
 * answers ENOTTY).  Needs no privilege.
 */
struct nrtls_version {
	__u32	abi;		/* out: NRTLS_ABI_VERSION */
	__u32	sf_flags;	/* out: the NRTLS_SF_* flags it knows */
	char	release[32];	/* out: the module's version, NUL-terminated */
	__u64	reserved[2];	/* out: zero */
};

#define NRTLS_IOC_VERSION	_IOR(NRTLS_IOC_MAGIC, 0x01, struct nrtls_version)

/*
 * A flow: the key under which an offload context is found, by the kernel
 * and by BPF programs (nrtls_xdp_ctx_lookup(), nrtls_skb_ctx_lookup()).
 * Addresses and ports are in network byte order; an IPv4 address is in
 * word 0 of its array and the other words are zero.  All padding must be
 * zero: the struct is compared as a whole.  A flow is keyed as its packets
 * carry it: a dual-stack IPv6 socket talking IPv4 (v4-mapped addresses)
 * has an AF_INET flow.
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
 * (BPF programs may hold it a little longer).  On success @id is set;
 * the id is usable only once the call returned it.  Errors besides
 * EINVAL: EPERM (no CAP_NET_ADMIN), ENODEV, EEXIST (the flow has a
 * context), ENOSPC (max_ctx contexts alive), EDQUOT (the opener's user
 * owns max_user_ctx contexts), ENOMEM, EFAULT (nothing was created).
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

/*
 * Asynchronous sendfile (FreeBSD's sendfile(2) with not-ready data).
 *
 * Queues @hdr_len bytes from @hdr, then @count bytes of @file_fd from
 * @offset (0: to the end of the file), on the connected TCP socket
 * @sock_fd, plain or kTLS.  Returns once the data is queued, not once it
 * is read from disk: page-cache misses are read by the module's read
 * pool, never in the caller, and the data is sent, in order, as the reads
 * complete; the header goes out with the file's first bytes, not before
 * them.  Queued data counts against the socket's send buffer.  As
 * with read(2) and write(2), one request takes at most MAX_RW_COUNT (2 GiB
 * - 4 KiB) bytes, header included: a longer one is cut there, and its
 * count says so (send the rest with another request).
 *
 * ioctl: returns 0 when everything was queued, and sets @queued to the
 * bytes accepted (header included).  Otherwise -1 with errno, and @queued
 * set to what was accepted before:
 *   EAGAIN  the send buffer is full (non-blocking socket, or NRTLS_SF_NOWAIT)
 *   EBUSY   NRTLS_SF_NODISKIO and the next page is not in memory
 *   EINTR   a signal arrived while waiting for send-buffer space
 *   EIO, ...  the socket's queue failed before (its error), nothing queued
 *   EPIPE   a request before it carries NRTLS_SF_SHUT_WR
 *   ENOBUFS the socket has max_sock_reqs requests queued, or they hold
 *           max_sock_hdr header bytes
 *   EDQUOT  the caller's user has max_user_socks sockets with queued data
 *   ENOMEM  out of memory, or the caller's memory cgroup is full
 *   EFAULT  @queued could not be written: the data was accepted
 * A blocking socket waits for send-buffer space, never for the disk.
 *
 * After the call, a failure reading the file or sending it aborts the
 * connection: the peer sees a reset, the application EIO on its next call.
 * The socket stays open while data is queued, even if the application
 * closes it; it is then closed once the data has gone (with SO_LINGER 0:
 * dropped, everything freed; if the peer takes nothing for orphan_timeout
 * seconds: aborted).  While data is queued, send other bytes on the socket
 * only through nrtls (the header), or they may overtake it; to close the
 * write side behind the data, use NRTLS_SF_SHUT_WR, not shutdown(2).
 */
struct nrtls_sendfile {
	__s32	sock_fd;
	__s32	file_fd;
	__u64	offset;
	__u64	count;		/* 0: to the end of the file */
	__u64	hdr;		/* user address of header bytes, or 0 */
	__u32	hdr_len;	/* at most NRTLS_SF_HDR_MAX */
	__u32	flags;		/* NRTLS_SF_* */
	__u32	readahead;	/* pages, with NRTLS_SF_READAHEAD */
	__u32	reserved0;	/* must be 0 */
	__u64	queued;		/* out: bytes accepted */
	__u64	reserved[2];	/* must be 0 */
};

#define NRTLS_SF_NODISKIO	(1U << 0)	/* only pages already in memory */
#define NRTLS_SF_READAHEAD	(1U << 1)	/* read ahead exactly @readahead pages */
#define NRTLS_SF_NOCACHE	(1U << 2)	/* drop the file's pages once sent */
#define NRTLS_SF_NOWAIT		(1U << 3)	/* never wait for send-buffer space */
#define NRTLS_SF_WAIT_SENT	(1U << 4)	/* complete once handed to TCP */
#define NRTLS_SF_SHUT_WR	(1U << 5)	/* FIN behind the last byte */
#define NRTLS_SF_FLAGS		0x3f

#define NRTLS_SF_HDR_MAX	65536

#define NRTLS_IOC_SENDFILE	_IOWR(NRTLS_IOC_MAGIC, 0x20, struct nrtls_sendfile)

/*
 * The same request through io_uring: IORING_OP_URING_CMD on an open
 * /dev/nrtls, sqe->cmd_op = NRTLS_URING_SENDFILE, and this 16-byte payload
 * in sqe->cmd (no IORING_SETUP_SQE128 needed).  The struct is read when
 * the command is issued; @queued is not written back.
 *
 * The CQE comes once everything is queued (with NRTLS_SF_WAIT_SENT: once
 * it is handed to TCP).  cqe->res is the bytes accepted, or -errno if none
 * were (as for the ioctl); a short count means the request stopped early
 * (NRTLS_SF_NODISKIO, NRTLS_SF_NOWAIT, or the connection failed).  The
 * command never waits in the submitting task, for send-buffer space, for
 * the socket's queue or for a read, and is issued once.  @size may exceed
 * the struct this module knows, up to 4096 (E2BIG beyond), with a zero
 * tail.  io_uring cancelling the command (its task exits, or its ring is
 * torn down) completes it with -ECANCELED; a request that had queued part
 * of its data leaves a hole in the stream, so its connection is aborted.
 */
#define NRTLS_URING_SENDFILE	0x20

struct nrtls_uring_cmd {
	__u64	addr;		/* struct nrtls_sendfile */
	__u32	size;		/* sizeof(struct nrtls_sendfile) */
	__u32	flags;		/* must be 0 */
};

/*
 * The emulated kTLS-offload NIC: rtnetlink link kind "nrtls".  "ip link
 * add NAME type nrtls ..." takes the options below through link_nrtls.so
 * (built in userspace/iplink/).  Attributes of IFLA_INFO_DATA:
 *
 *   MODE         u8   NRTLS_LINK_NIC (default): a pair of NICs, like veth;
 *                     NRTLS_LINK_LAG is refused: the wrapper is a link
 *                     kind of its own, "nrtls_lag" (below)
 *   PERSONALITY  u8   NRTLS_PERS_MLX5 (default) or NRTLS_PERS_CXGB4
 *   PEER         nested struct ifinfomsg and IFLA_* of the peer
 *   RING         u32  TX ring descriptors, 1..65536 (default 256)
 *   LATENCY      u32  TX completion latency in microseconds, up to 10 s
 *                     (default 10)
 *   POOL_LOW     u32  mlx5: refill the context pool below this (default 64)
 *   POOL_HIGH    u32  mlx5: ...up to this many (default 256)
 *   POOL_BULK    u32  mlx5: contexts made per refill step (default 16)
 *   CREDITS      u32  cxgb4: work-request credits per flow (default 64)
 *   COMPL_EVERY  u32  cxgb4: ask for a completion every N requests
 *                     (default 8)
 *   VLAN         u32  refused: the wrapper's (IFLA_NRTLS_LAG_VLAN)
 *
 * MODE, PERSONALITY and PEER are fixed at creation; the rest can be
 * changed with "ip link set NAME type nrtls ...".  A NIC and its peer share
 * their settings.
 */
enum {
	IFLA_NRTLS_UNSPEC,
	IFLA_NRTLS_MODE,
	IFLA_NRTLS_PERSONALITY,
	IFLA_NRTLS_PEER,
	IFLA_NRTLS_RING,
	IFLA_NRTLS_LATENCY,
	IFLA_NRTLS_POOL_LOW,
	IFLA_NRTLS_POOL_HIGH,
	IFLA_NRTLS_POOL_BULK,
	IFLA_NRTLS_CREDITS,
	IFLA_NRTLS_COMPL_EVERY,
	IFLA_NRTLS_VLAN,
	__IFLA_NRTLS_MAX,
};

#define IFLA_NRTLS_MAX (__IFLA_NRTLS_MAX - 1)

enum nrtls_link_mode {
	NRTLS_LINK_NIC = 0,
	NRTLS_LINK_LAG = 1,
};

enum nrtls_personality {
	NRTLS_PERS_MLX5 = 0,	/* preallocated context pool */
	NRTLS_PERS_CXGB4 = 1,	/* per-flow credits, batched completions */
};

/*
 * The wrapper device: rtnetlink link kind "nrtls_lag" ("ip link add NAME
 * type nrtls_lag [vlan VID]", through link_nrtls_lag.so); its lowers are
 * added with "ip link set DEV master NAME".  Attributes of IFLA_INFO_DATA:
 *
 *   VLAN         u32  an 802.1Q VLAN of its own, 1..4094: its frames leave
 *                     tagged, and only that VLAN's come in; fixed at
 *                     creation
 */
enum {
	IFLA_NRTLS_LAG_UNSPEC,
	IFLA_NRTLS_LAG_VLAN,
	__IFLA_NRTLS_LAG_MAX,
};

#define IFLA_NRTLS_LAG_MAX (__IFLA_NRTLS_LAG_MAX - 1)

/*
 * A lower's state in its wrapper: IFLA_INFO_SLAVE_DATA of the lower's link
 * (kind "nrtls_lag"), set with RTM_NEWLINK on the lower ("nrtlsctl drain"),
 * shown by "ip -d link show DEV".
 *
 *   DRAIN        u8   1: no flow is placed on this lower while another
 *                     usable one is not drained, and the flows offloaded
 *                     on it are moved off at once (idle ones too), each
 *                     offloaded on its new lower; 0: it takes flows again
 *   CONTEXTS     u32  read-only: flows offloaded on this lower now
 */
enum {
	IFLA_NRTLS_LAG_SLAVE_UNSPEC,
	IFLA_NRTLS_LAG_SLAVE_DRAIN,
	IFLA_NRTLS_LAG_SLAVE_CONTEXTS,
	__IFLA_NRTLS_LAG_SLAVE_MAX,
};

#define IFLA_NRTLS_LAG_SLAVE_MAX (__IFLA_NRTLS_LAG_SLAVE_MAX - 1)

#endif /* _UAPI_NRTLS_H */
