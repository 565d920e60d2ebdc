/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_DEV_H
#define _NRTLS_DEV_H

int nrtls_dev_init(void);
void nrtls_dev_exit(void);

#endif /* _NRTLS_DEV_H */
