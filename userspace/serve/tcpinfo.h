/* SPDX-License-Identifier: GPL-2.0 */
/* What TCP knows of a connection's progress (glibc's tcp_info is too old). */
#ifndef NRTLS_SERVE_TCPINFO_H
#define NRTLS_SERVE_TCPINFO_H

#include <stdint.h>

/* Bytes the peer has acknowledged so far; 0, or -1 with errno set. */
int tcpinfo_bytes_acked(int fd, uint64_t *acked);

#endif /* NRTLS_SERVE_TCPINFO_H */
