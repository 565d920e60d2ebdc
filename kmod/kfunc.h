/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_KFUNC_H
#define _NRTLS_KFUNC_H

int nrtls_kfunc_init(void);

#endif /* _NRTLS_KFUNC_H */
