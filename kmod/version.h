/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NRTLS_VERSION_H
#define _NRTLS_VERSION_H

#define NRTLS_VERSION "0.1.0"

#endif /* _NRTLS_VERSION_H */
