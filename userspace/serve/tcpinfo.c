// SPDX-License-Identifier: GPL-2.0
/* Alone in its file: <linux/tcp.h> and <netinet/tcp.h> do not mix. */
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/tcp.h>

#include "tcpinfo.h"

int tcpinfo_bytes_acked(int fd, uint64_t *acked)
{
	struct tcp_info ti = { 0 };
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	/* Kernels before 4.2 do not fill it in. */
	if (len < offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof(ti.tcpi_bytes_acked)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	*acked = ti.tcpi_bytes_acked;
	return 0;
}
