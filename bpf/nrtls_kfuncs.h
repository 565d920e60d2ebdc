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
 * @flow__sz is sizeof(struct nrtls_flow), or more if the program was built
 * with a larger one: then the bytes past what the module knows must be 0.
 */
extern struct nrtls_ctx *nrtls_xdp_ctx_lookup(struct xdp_md *xdp_ctx,
					      struct nrtls_flow *flow,
					      __u32 flow__sz) __ksym;
extern struct nrtls_ctx *nrtls_skb_ctx_lookup(struct __sk_buff *skb_ctx,
					      struct nrtls_flow *flow,
					      __u32 flow__sz) __ksym;
extern void nrtls_ctx_release(struct nrtls_ctx *ctx) __ksym;

#endif /* NRTLS_KFUNCS_H */
