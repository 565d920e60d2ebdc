// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

long nrtls_ethtool_stat(const char *ns, const char *dev, const char *name)
{
	static char buf[16384];

	if (nrtls_sh_out(buf, sizeof(buf), "ip netns exec %s ethtool -S %s 2>/dev/null",
			 ns, dev))
		return -1;
	return find_value(buf, name);
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
	ssize_t n;
	int fd;

	if (ns)
		return nrtls_sh_out(buf, sizeof(buf), "ip netns exec %s cat /proc/net/tls_stat",
				    ns) ? -1 : find_value(buf, name);
	fd = open("/proc/net/tls_stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return find_value(buf, name);
}

long nrtls_snmp_stat(const char *ns, const char *proto, const char *name)
{
	static char buf[16384];
	char *names = NULL, *line, *save = NULL;
	size_t plen = strlen(proto);

	if (nrtls_sh_out(buf, sizeof(buf), "ip netns exec %s cat /proc/net/snmp", ns))
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
