/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything that differs between the kernels nrtls builds for (Debian 12's
 * 6.1 and 6.12) lives here, so that the rest of the module is written
 * against one API.
 */
#ifndef _NRTLS_COMPAT_H
#define _NRTLS_COMPAT_H

#include <linux/version.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>

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

#endif /* _NRTLS_COMPAT_H */
