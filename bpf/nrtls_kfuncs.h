/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nrtls module kfuncs, for BPF programs.  Include after vmlinux.h, which
 * the build generates from the module's BTF so that it also declares
 * struct nrtls_ctx and struct nrtls_flow with their real layout; or after
 * UAPI headers, <linux/nrtls.h> and a definition of struct nrtls_ctx of
 * your own that the program does not read (nrtls_rx.bpf.c does that).
 */
#ifndef NRTLS_KFUNCS_H
#define NRTLS_KFUNCS_H

#include <bpf/bpf_helpers.h>

/*
 * Return a referenced context or NULL; release it with nrtls_ctx_release().
 * The xdp_ look-ups are for XDP programs, the skb_ ones for TC programs.
 * @flow__sz is sizeof(struct nrtls_flow), or more (up to 256 bytes) if the
 * program was built with a larger one: then the bytes past what the module
 * knows must be 0.  A NULL @flow finds nothing.
 */
extern struct nrtls_ctx *nrtls_xdp_ctx_lookup(struct xdp_md *xdp_ctx,
					      struct nrtls_flow *flow,
					      __u32 flow__sz) __ksym;
extern struct nrtls_ctx *nrtls_skb_ctx_lookup(struct __sk_buff *skb_ctx,
					      struct nrtls_flow *flow,
					      __u32 flow__sz) __ksym;
extern void nrtls_ctx_release(struct nrtls_ctx *ctx) __ksym;

/*
 * The same by a socket's cookie (SO_COOKIE, bpf_get_socket_cookie()) and
 * the context's type, NRTLS_CTX_TLS_TX or NRTLS_CTX_TLS_RX: the contexts
 * that devices and the wrapper make for a kTLS socket are found so, in
 * the program's network namespace.
 */
extern struct nrtls_ctx *nrtls_xdp_ctx_lookup_cookie(struct xdp_md *xdp_ctx,
						     __u64 cookie,
						     __u32 type) __ksym;
extern struct nrtls_ctx *nrtls_skb_ctx_lookup_cookie(struct __sk_buff *skb_ctx,
						     __u64 cookie,
						     __u32 type) __ksym;

/*
 * On a context held from a lookup.  Wrapper (nrtls_lag) contexts only,
 * else -EINVAL: the lower's ifindex where the flow is offloaded (0: not),
 * and the steering decision recorded on it (0: none, the wrapper's hash).
 */
extern int nrtls_ctx_home(struct nrtls_ctx *ctx) __ksym;
extern int nrtls_ctx_steered(struct nrtls_ctx *ctx) __ksym;

/*
 * The context a wrapper context's flow has on the lower NIC it is
 * offloaded on now, referenced: release it with nrtls_ctx_release().
 * NULL if the flow is not offloaded on a lower, or @ctx is not a
 * wrapper's.  Lookups find the wrapper's context, never this one.
 */
extern struct nrtls_ctx *nrtls_ctx_lower(struct nrtls_ctx *ctx) __ksym;

/*
 * On any context held from a lookup: the CPU that owns the flow, where
 * its creator ran (the task that set up TLS on the socket, or created the
 * context with the ioctl).  XDP and TC.
 */
extern __u32 nrtls_ctx_cpu(struct nrtls_ctx *ctx) __ksym;

/*
 * TC programs on a wrapper's egress only.  A lower is open while it is
 * up, has carrier and is not drained.  nrtls_ctx_steer() records that the
 * flow must leave by the open lower @ifindex (0: by the wrapper's hash);
 * the wrapper moves it there and keeps it offloaded.  -ENODEV: not an
 * open lower.  nrtls_skb_lag_lower() is the ifindex of the @i-th open
 * lower (-ENOENT past the last); nrtls_skb_lag_contexts() how many of the
 * wrapper's flows are offloaded on an open lower (-ENODEV: not one).
 */
extern int nrtls_ctx_steer(struct nrtls_ctx *ctx, __u32 ifindex) __ksym;
extern int nrtls_skb_lag_lower(struct __sk_buff *skb_ctx, __u32 i) __ksym;
extern int nrtls_skb_lag_contexts(struct __sk_buff *skb_ctx,
				  __u32 ifindex) __ksym;

#endif /* NRTLS_KFUNCS_H */
