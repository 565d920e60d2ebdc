// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nrtls_nic.h"
#include "nrtls_test.h"

int nrtls_build_path(const char *rel, char *out, size_t len)
{
	char self[3072];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -1;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(out, len, "%s/../../%s", self, rel);
	return access(out, R_OK) ? -1 : 0;
}

int nrtls_use_ip_plugin(void)
{
	char dir[4096];

	if (nrtls_build_path("user/ip", dir, sizeof(dir)))
		return -1;
	return setenv("IP_LIB_DIR", dir, 1);
}

int nrtls_nicnet_ns(struct nrtls_nicnet *n)
{
	memset(n, 0, sizeof(*n));
	n->fd_a = n->fd_b = -1;
	nrtls_reap_stale_ns();
	snprintf(n->ns_a, sizeof(n->ns_a), "nrtls-na-%d", getpid());
	snprintf(n->ns_b, sizeof(n->ns_b), "nrtls-nb-%d", getpid());
	if (nrtls_use_ip_plugin() ||
	    nrtls_sh("ip netns add %s && ip netns add %s && "
		     "ip -n %s link set lo up && ip -n %s link set lo up",
		     n->ns_a, n->ns_b, n->ns_a, n->ns_b))
		return -1;
	n->fd_a = nrtls_netns_open(n->ns_a);
	n->fd_b = nrtls_netns_open(n->ns_b);
	return n->fd_a >= 0 && n->fd_b >= 0 ? 0 : -1;
}

int nrtls_nicnet_setup(struct nrtls_nicnet *n, const char *opts)
{
	return nrtls_nicnet_setup_link(n, "", opts);
}

int nrtls_nicnet_setup_link(struct nrtls_nicnet *n, const char *link_opts,
			    const char *opts)
{
	if (nrtls_nicnet_ns(n))
		return -1;
	if (nrtls_sh("ip -n %s link add nic0 %s type nrtls %s peer name nic0p netns %s",
		     n->ns_a, link_opts, opts, n->ns_b) ||
	    nrtls_sh("ip -n %s addr add 192.0.2.1/24 dev nic0 && ip -n %s link set nic0 up",
		     n->ns_a, n->ns_a) ||
	    nrtls_sh("ip -n %s addr add 192.0.2.2/24 dev nic0p && ip -n %s link set nic0p up",
		     n->ns_b, n->ns_b))
		return -1;
	return 0;
}

void nrtls_nicnet_teardown(struct nrtls_nicnet *n)
{
	if (n->fd_a >= 0)
		close(n->fd_a);
	if (n->fd_b >= 0)
		close(n->fd_b);
	/* A namespace's devices go with it (the pair with either end). */
	nrtls_sh("ip netns del %s; ip netns del %s", n->ns_a, n->ns_b);
	n->fd_a = n->fd_b = -1;
}

bool nrtls_ctx_find(char *line, size_t len, const char *n1, const char *n2)
{
	char buf[1024];
	bool found = false;
	FILE *f = fopen(NRTLS_DEBUGFS "/contexts", "r");

	if (!f)
		return false;
	while (!found && fgets(buf, sizeof(buf), f)) {
		if (strstr(buf, n1) && (!n2 || strstr(buf, n2))) {
			found = true;
			if (line) {
				snprintf(line, len, "%s", buf);
				line[strcspn(line, "\n")] = '\0';
			}
		}
	}
	fclose(f);
	return found;
}

int nrtls_sh_out(char *out, size_t len, const char *fmt, ...)
{
	char cmd[1024];
	size_t got = 0;
	va_list ap;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(NULL);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (len && got < len - 1) {
		size_t n = fread(out + got, 1, len - 1 - got, f);

		if (!n)
			break;
		got += n;
	}
	if (len)
		out[got] = '\0';
	/* Read to the end, so that the command does not die of SIGPIPE. */
	while (fgetc(f) != EOF)
		;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The number after "@name:" or "@name" at the start of a line of @text. */
static long find_value(const char *text, const char *name)
{
	size_t nl = strlen(name);
	const char *p = text;

	while (p && *p) {
		const char *q = p + strspn(p, " \t");

		if (!strncmp(q, name, nl) && (q[nl] == ':' || q[nl] == ' ' ||
					      q[nl] == '\t'))
			return strtol(q + nl + 1 + strspn(q + nl + 1, ": \t"), NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* ETHTOOL_GSSET_INFO / GSTRINGS / GSTATS, what "ethtool -S" asks. */
long nrtls_ethtool_stat(const char *ns, const char *dev, const char *name)
{
	union {
		struct ethtool_sset_info info;
		char room[sizeof(struct ethtool_sset_info) + sizeof(__u32)];
	} sset = { .info = { .cmd = ETHTOOL_GSSET_INFO,
			     .sset_mask = 1ULL << ETH_SS_STATS } };
	struct ethtool_gstrings *names = NULL;
	struct ethtool_stats *stats = NULL;
	struct ifreq ifr = { 0 };
	long v = -1;
	int orig, fd;
	__u32 n;

	orig = ns ? nrtls_netns_push(ns) : -1;
	if (ns && orig < 0)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ns)
		nrtls_netns_pop(orig);
	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = (void *)&sset;
	if (ioctl(fd, SIOCETHTOOL, &ifr) || !sset.info.sset_mask)
		goto out;
	n = sset.info.data[0];
	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	stats = calloc(1, sizeof(*stats) + (size_t)n * sizeof(__u64));
	if (!names || !stats)
		goto out;
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = n;
	ifr.ifr_data = (void *)names;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		goto out;
	stats->cmd = ETHTOOL_GSTATS;
	stats->n_stats = n;
	ifr.ifr_data = (void *)stats;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		goto out;
	for (__u32 i = 0; i < n && i < names->len && i < stats->n_stats; i++)
		if (!strncmp((char *)names->data + i * ETH_GSTRING_LEN, name,
			     ETH_GSTRING_LEN)) {
			v = (long)stats->data[i];
			break;
		}
out:
	free(names);
	free(stats);
	close(fd);
	return v;
}

long nrtls_wait_ethtool_stat(const char *ns, const char *dev, const char *name,
			     long at_least)
{
	struct timespec ts = { 0, 50 * 1000000L };
	long v = -1;

	for (int i = 0; i < 200; i++) {
		v = nrtls_ethtool_stat(ns, dev, name);
		if (v >= at_least)
			break;
		nanosleep(&ts, NULL);
	}
	return v;
}

long nrtls_tls_stat(const char *ns, const char *name)
{
	char buf[4096];

	if (nrtls_ns_read(ns, "/proc/thread-self/net/tls_stat", buf, sizeof(buf)) < 0)
		return -1;
	return find_value(buf, name);
}

/* /proc/net/dev: "  dev: rx_bytes rx_packets ...", a line per device. */
long nrtls_netdev_rx_bytes(const char *ns, const char *dev)
{
	char buf[8192];

	if (nrtls_ns_read(ns, "/proc/thread-self/net/dev", buf, sizeof(buf)) < 0)
		return -1;
	return find_value(buf, dev);
}

long nrtls_snmp_stat(const char *ns, const char *proto, const char *name)
{
	static char buf[16384];
	char *names = NULL, *line, *save = NULL;
	size_t plen = strlen(proto);

	if (nrtls_ns_read(ns, "/proc/thread-self/net/snmp", buf, sizeof(buf)) < 0)
		return -1;
	/* Pairs of lines, "Tcp: Name1 Name2 ..." then "Tcp: 1 2 ...". */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *n, *v, *sn, *sv;

		if (strncmp(line, proto, plen) || line[plen] != ':')
			continue;
		if (!names) {
			names = line;
			continue;
		}
		n = strtok_r(names + plen + 1, " ", &sn);
		v = strtok_r(line + plen + 1, " ", &sv);
		for (; n && v; n = strtok_r(NULL, " ", &sn), v = strtok_r(NULL, " ", &sv))
			if (!strcmp(n, name))
				return strtol(v, NULL, 10);
		return -1;
	}
	return -1;
}
