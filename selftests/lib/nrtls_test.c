// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nrtls_test.h"

#define KSFT_SKIP 4

/* A test file whose tests also run without the module overrides this. */
__attribute__((weak)) bool nrtls_test_needs_module(void)
{
	return true;
}

/* Whether the test binary needs nrtls_nic.ko (the emulated NIC) too. */
__attribute__((weak)) bool nrtls_test_needs_nic(void)
{
	return false;
}

/*
 * kselftest's convention: a test binary that cannot run here skips as a
 * whole, saying why, with exit status 4.  Priority 101 runs this before
 * the test files' own constructors, which set up disks and files.
 */
static void __attribute__((constructor(101))) nrtls_test_require(void)
{
	const char *why = NULL;

	if (geteuid())
		why = "not root: the tests load programs, arm faults and read debugfs";
	else if (!nrtls_test_needs_module())
		return;
	else if (access(NRTLS_DEVICE, F_OK))
		why = "no " NRTLS_DEVICE ": load the module first (modprobe nrtls)";
	else if (access(NRTLS_DEBUGFS, F_OK))
		why = "no " NRTLS_DEBUGFS ": mount debugfs on /sys/kernel/debug";
	else if (nrtls_test_needs_nic() && access("/sys/module/nrtls_nic", F_OK))
		why = "no emulated NIC: load its module first (modprobe nrtls_nic)";
	if (!why)
		return;
	printf("TAP version 13\n1..0 # SKIP %s\n", why);
	exit(KSFT_SKIP);
}

long nrtls_read_stat(const char *file, const char *name)
{
	char path[256], key[64];
	long val, found = -1;
	FILE *f;

	snprintf(path, sizeof(path), NRTLS_DEBUGFS "/%s", file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &val) == 2) {
		if (!strcmp(key, name)) {
			found = val;
			break;
		}
	}
	fclose(f);
	return found;
}

long nrtls_live_objects(void)
{
	char key[64];
	long val, sum = 0;
	int n = 0;
	FILE *f;

	f = fopen(NRTLS_DEBUGFS "/counters", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &val) == 2) {
		sum += val;
		n++;
	}
	fclose(f);
	return n ? sum : -1;
}

long nrtls_quota_used(unsigned int uid, const char *what)
{
	long ctxs, socks, found = -1;
	char line[128];
	unsigned int u;
	FILE *f;

	f = fopen(NRTLS_DEBUGFS "/quotas", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %ld %ld", &u, &ctxs, &socks) == 3 && u == uid) {
			found = strcmp(what, "contexts") ? socks : ctxs;
			break;
		}
	}
	fclose(f);
	return found;
}

int nrtls_become_user(unsigned int uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		return -1;
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

bool nrtls_wait_stat(const char *file, const char *name, long val, int ms)
{
	for (; ms > 0; ms -= 20) {
		if (nrtls_read_stat(file, name) == val)
			return true;
		sleep_ms(20);
	}
	return nrtls_read_stat(file, name) == val;
}

bool nrtls_wait_idle(int ms)
{
	/* Objects are freed after an RCU grace period, so poll briefly. */
	for (; ms > 0; ms -= 20) {
		if (nrtls_live_objects() == 0)
			return true;
		sleep_ms(20);
	}
	return nrtls_live_objects() == 0;
}

int nrtls_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int nrtls_param_read(const char *name, char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), NRTLS_PARAMS "/%s", name);
	return nrtls_read_file(path, buf, len);
}

int nrtls_write_file(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	if (n < 0)
		return -errno;
	return 0;
}

int nrtls_param_write(const char *name, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), NRTLS_PARAMS "/%s", name);
	return nrtls_write_file(path, val);
}

int nrtls_fault_arm(const char *site, int nth, int count)
{
	char buf[96];

	snprintf(buf, sizeof(buf), "%s %d %d\n", site, nth, count);
	return nrtls_fault_cmd(buf);
}

int nrtls_fault_cmd(const char *cmd)
{
	return nrtls_write_file(NRTLS_DEBUGFS "/fault", cmd);
}

long nrtls_fault_hits(const char *site)
{
	char name[64], line[256];
	long calls, hits;
	int countdown, remaining;
	FILE *f;

	f = fopen(NRTLS_DEBUGFS "/fault", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld %d %d %ld", name, &calls, &countdown,
			   &remaining, &hits) == 5 && !strcmp(name, site)) {
			fclose(f);
			return hits;
		}
	}
	fclose(f);
	return -1;
}

int nrtls_ctx_create(int fd, int ifindex, const struct nrtls_flow *flow,
		     __u32 *id)
{
	struct nrtls_ctx_create req = {
		.ifindex = ifindex,
		.type = NRTLS_CTX_PLAIN,
		.flow = *flow,
	};

	if (ioctl(fd, NRTLS_IOC_CTX_CREATE, &req))
		return -errno;
	if (id)
		*id = req.id;
	return 0;
}

int nrtls_ctx_destroy(int fd, __u32 id)
{
	struct nrtls_ctx_destroy req = { .id = id };

	return ioctl(fd, NRTLS_IOC_CTX_DESTROY, &req) ? -errno : 0;
}

bool nrtls_ctx_listed(__u32 id, char *line, size_t len)
{
	char buf[512];
	unsigned int got;
	bool found = false;
	FILE *f;

	f = fopen(NRTLS_DEBUGFS "/contexts", "r");
	if (!f)
		return false;
	while (fgets(buf, sizeof(buf), f)) {
		if (sscanf(buf, "%u", &got) == 1 && got == id) {
			found = true;
			if (line) {
				snprintf(line, len, "%s", buf);
				line[strcspn(line, "\n")] = '\0';
			}
			break;
		}
	}
	fclose(f);
	return found;
}

void nrtls_flow_v4(struct nrtls_flow *flow, int protocol, const char *saddr,
		   int sport, const char *daddr, int dport)
{
	memset(flow, 0, sizeof(*flow));
	flow->family = AF_INET;
	flow->protocol = protocol;
	flow->sport = htons(sport);
	flow->dport = htons(dport);
	inet_pton(AF_INET, saddr, &flow->saddr[0]);
	inet_pton(AF_INET, daddr, &flow->daddr[0]);
}

#define CGROOT "/sys/fs/cgroup"

int nrtls_cgroup_create(char *path, size_t len, const char *controllers,
			char *why, size_t why_len)
{
	char have[256] = "", want[64], *c, *save = NULL;
	FILE *f = fopen(CGROOT "/cgroup.controllers", "r");

	if (!f || !fgets(have, sizeof(have), f)) {
		if (f)
			fclose(f);
		snprintf(why, why_len, "no cgroup v2 at " CGROOT);
		return -1;
	}
	fclose(f);
	snprintf(want, sizeof(want), "%s", controllers);
	for (c = strtok_r(want, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
		char plus[32];

		if (!strstr(have, c)) {
			snprintf(why, why_len, "no %s controller in cgroup v2", c);
			return -1;
		}
		snprintf(plus, sizeof(plus), "+%s", c);
		if (nrtls_cgroup_write(CGROOT, "cgroup.subtree_control", plus)) {
			snprintf(why, why_len, "cannot enable the %s controller", c);
			return -1;
		}
	}
	snprintf(path, len, CGROOT "/nrtls-test-%d", getpid());
	if (mkdir(path, 0755) && errno != EEXIST) {
		snprintf(why, why_len, "cannot create %s", path);
		return -1;
	}
	return 0;
}

int nrtls_cgroup_write(const char *path, const char *file, const char *val)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", path, file);
	return nrtls_write_file(p, val);
}

int nrtls_cgroup_enter(const char *path)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", getpid());
	return nrtls_cgroup_write(path, "cgroup.procs", pid);
}

long long nrtls_cgroup_read(const char *path, const char *file,
			    const char *prefix, const char *key)
{
	char p[256], line[1024], *at;
	long long val = -1;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", path, file);
	f = fopen(p, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			val = atoll(line);
			break;
		}
		if (prefix && strncmp(line, prefix, strlen(prefix)))
			continue;
		/* "key value" (memory.stat) or "key=value" (io.stat) */
		for (at = line; (at = strstr(at, key)); at++) {
			char sep = at[strlen(key)];

			if ((at == line || at[-1] == ' ') && (sep == ' ' || sep == '=')) {
				val = atoll(at + strlen(key) + 1);
				break;
			}
		}
		if (val >= 0)
			break;
	}
	fclose(f);
	return val;
}

void nrtls_cgroup_destroy(const char *path)
{
	/* Its processes are gone; the kernel may take a moment to agree. */
	for (int i = 0; i < 100 && rmdir(path) && errno == EBUSY; i++)
		sleep_ms(50);
}

int nrtls_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (!getenv("NRTLS_TEST_VERBOSE"))
		strncat(cmd, " >/dev/null 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	fflush(NULL);
	ret = system(cmd);
	if (ret == -1)
		return -1;
	return WIFEXITED(ret) ? WEXITSTATUS(ret) : 128 + WTERMSIG(ret);
}

int nrtls_netns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET);
}

/*
 * A test the harness killed on timeout never ran its teardown: its
 * namespaces, and the devices and contexts in them, would outlive it and
 * fail the idle checks of every test after it.  Remove them.
 */
void nrtls_reap_stale_ns(void)
{
	DIR *d = opendir("/run/netns");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char kind[8];
		int pid, end = 0;

		if (sscanf(e->d_name, "nrtls-%7[a-z]-%d%n", kind, &pid, &end) == 2 &&
		    !e->d_name[end] && pid > 0 && kill(pid, 0) && errno == ESRCH) {
			fprintf(stderr, "# removing namespace %s of a dead test\n", e->d_name);
			nrtls_sh("ip netns del %s", e->d_name);
		}
	}
	closedir(d);
}

int nrtls_netns_open(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/*
 * Counters are read in-process rather than through "ip netns exec", which
 * forks, unshares a mount namespace and remounts /sys for each read: tests
 * that poll counters paid a large share of their time for it on a slow
 * guest.  Only the open needs the namespace: a /proc/thread-self/net file
 * and a socket keep the one they were opened in.
 */
int nrtls_netns_push(const char *name)
{
	int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int fd = nrtls_netns_open(name);

	if (orig < 0 || fd < 0 || setns(fd, CLONE_NEWNET)) {
		if (orig >= 0)
			close(orig);
		orig = -1;
	}
	if (fd >= 0)
		close(fd);
	return orig;
}

void nrtls_netns_pop(int orig)
{
	/* Going on in the wrong namespace would make every later result a lie. */
	if (setns(orig, CLONE_NEWNET)) {
		perror("setns back to the test's own network namespace");
		abort();
	}
	close(orig);
}

ssize_t nrtls_ns_read(const char *ns, const char *path, char *buf, size_t len)
{
	int orig = -1, fd;
	ssize_t n, got = 0;

	if (ns) {
		orig = nrtls_netns_push(ns);
		if (orig < 0)
			return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns)
		nrtls_netns_pop(orig);
	if (fd < 0)
		return -1;
	while (got < (ssize_t)len - 1 &&
	       (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

int nrtls_netpair_setup(struct nrtls_netpair *p)
{
	return nrtls_netpair_setup_type(p, "veth");
}

int nrtls_netpair_setup_type(struct nrtls_netpair *p, const char *type)
{
	int pid = getpid();

	memset(p, 0, sizeof(*p));
	p->fd_a = p->fd_b = -1;
	snprintf(p->ns_a, sizeof(p->ns_a), "nrtls-a-%d", pid);
	snprintf(p->ns_b, sizeof(p->ns_b), "nrtls-b-%d", pid);
	nrtls_reap_stale_ns();
	p->fd_orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (p->fd_orig < 0)
		return -1;
	if (nrtls_sh("ip netns add %s && ip netns add %s", p->ns_a, p->ns_b) ||
	    nrtls_sh("ip -n %s link add nrt-a type %s peer name nrt-b netns %s",
		     p->ns_a, type, p->ns_b) ||
	    nrtls_sh("ip -n %s addr add 192.0.2.1/24 dev nrt-a && "
		     "ip -n %s link set nrt-a up && ip -n %s link set lo up",
		     p->ns_a, p->ns_a, p->ns_a) ||
	    nrtls_sh("ip -n %s addr add 192.0.2.2/24 dev nrt-b && "
		     "ip -n %s link set nrt-b up && ip -n %s link set lo up",
		     p->ns_b, p->ns_b, p->ns_b))
		return -1;
	p->fd_a = nrtls_netns_open(p->ns_a);
	p->fd_b = nrtls_netns_open(p->ns_b);
	if (p->fd_a < 0 || p->fd_b < 0)
		return -1;
	if (nrtls_netns_enter(p->fd_a))
		return -1;
	p->ifindex_a = if_nametoindex("nrt-a");
	if (nrtls_netns_enter(p->fd_b))
		return -1;
	p->ifindex_b = if_nametoindex("nrt-b");
	if (nrtls_netns_enter(p->fd_orig))
		return -1;
	return p->ifindex_a && p->ifindex_b ? 0 : -1;
}

void nrtls_netpair_teardown(struct nrtls_netpair *p)
{
	if (p->fd_orig >= 0)
		nrtls_netns_enter(p->fd_orig);
	if (p->fd_a >= 0)
		close(p->fd_a);
	if (p->fd_b >= 0)
		close(p->fd_b);
	if (p->fd_orig >= 0)
		close(p->fd_orig);
	nrtls_sh("ip netns del %s; ip netns del %s", p->ns_a, p->ns_b);
}
