/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the tests of the emulated NIC and the wrapper device:
 * namespaces joined by an nrtls NIC pair, device counters from ethtool and
 * /proc/net/tls_stat, the ip(8) plugin from this build.
 */
#ifndef NRTLS_NIC_H
#define NRTLS_NIC_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Namespaces @ns_a and @ns_b (fds @fd_a, @fd_b), names carrying the pid:
 * "nic0" in a (192.0.2.1/24) and its peer "nic0p" in b (192.0.2.2/24).
 */
struct nrtls_nicnet {
	char ns_a[32], ns_b[32];
	int fd_a, fd_b;
};

/* @rel under build/ (e.g. "user/bin/nrtlsctl"), from the test binary's place. */
int nrtls_build_path(const char *rel, char *out, size_t len);

/*
 * Point ip(8) at this build's link_nrtls.so (IP_LIB_DIR), from the test
 * binary's place in build/<release>/selftests/.  0 or -1.
 */
int nrtls_use_ip_plugin(void);

/* The namespaces only (no devices): 0 or -1. */
int nrtls_nicnet_ns(struct nrtls_nicnet *n);
/* The namespaces and the pair, @opts given to "type nrtls": 0 or -1. */
int nrtls_nicnet_setup(struct nrtls_nicnet *n, const char *opts);
/* The same, @link_opts given to "ip link add nic0" (e.g. "numtxqueues 4"). */
int nrtls_nicnet_setup_link(struct nrtls_nicnet *n, const char *link_opts,
			    const char *opts);
void nrtls_nicnet_teardown(struct nrtls_nicnet *n);

/*
 * The line of the contexts listing that holds @n1 and @n2 (if not NULL),
 * without its newline, into @line (if not NULL).
 */
bool nrtls_ctx_find(char *line, size_t len, const char *n1, const char *n2);
/* Counter @name of "ethtool -S @dev" in namespace @ns, or -1. */
long nrtls_ethtool_stat(const char *ns, const char *dev, const char *name);
/* The same once it is at least @at_least, or after 10 s whatever it is. */
long nrtls_wait_ethtool_stat(const char *ns, const char *dev, const char *name,
			     long at_least);
/* Counter @name of /proc/net/tls_stat in namespace @ns (NULL: the
 * caller's own), or -1 (no such namespace, no kTLS, no such counter). */
long nrtls_tls_stat(const char *ns, const char *name);
/* The bytes @dev received in namespace @ns (NULL: the caller's), or -1. */
long nrtls_netdev_rx_bytes(const char *ns, const char *dev);
/*
 * The counter @name of protocol @proto ("Tcp", "Ip", ...) in
 * /proc/net/snmp of namespace @ns; -1 if there is none.
 */
long nrtls_snmp_stat(const char *ns, const char *proto, const char *name);
/*
 * Run a shell command and keep the first @len - 1 bytes of its output in
 * @out; its exit status.
 */
int nrtls_sh_out(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* NRTLS_NIC_H */
