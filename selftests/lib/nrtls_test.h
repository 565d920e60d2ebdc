/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the nrtls selftests: the module's debugfs files, its
 * ioctls, fault injection, and throw-away network namespaces.
 */
#ifndef NRTLS_TEST_H
#define NRTLS_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>

#include <linux/nrtls.h>

#define NRTLS_DEBUGFS "/sys/kernel/debug/nrtls"

/* Defined false by a test file that also runs without nrtls.ko. */
bool nrtls_test_needs_module(void);
/* Defined true by a test file that needs nrtls_nic.ko too. */
bool nrtls_test_needs_nic(void);
#define NRTLS_PARAMS "/sys/module/nrtls/parameters"

/* A value from a "name value" debugfs file (counters, events), or -1. */
long nrtls_read_stat(const char *file, const char *name);
/* Sum of all live-object counters, or -1 if they cannot be read. */
long nrtls_live_objects(void);
/* Wait (up to @ms) for a counter to read @val (contexts go after RCU). */
bool nrtls_wait_stat(const char *file, const char *name, long val, int ms);
/* Wait (up to @ms) for every live-object counter to reach zero. */
bool nrtls_wait_idle(int ms);

/* What user @uid holds of @what ("contexts", "sockets"), or -1 if nothing. */
long nrtls_quota_used(unsigned int uid, const char *what);
/* Root becomes @uid (and its group), with no supplementary groups: 0 or -1. */
int nrtls_become_user(unsigned int uid);

/* A file's first line (a sysfs or procfs value): 0 or -errno. */
int nrtls_read_file(const char *path, char *buf, size_t len);
int nrtls_param_read(const char *name, char *buf, size_t len);
/* Write @val to the file at @path: 0 or -errno. */
int nrtls_write_file(const char *path, const char *val);
int nrtls_param_write(const char *name, const char *val);
/* Fail @count calls at @site starting with the @nth; 0 disarms. */
int nrtls_fault_arm(const char *site, int nth, int count);
/* Write @cmd ("reset", "SITE N [COUNT]") to the fault file: 0 or -errno. */
int nrtls_fault_cmd(const char *cmd);
/* Hits so far at @site, or -1. */
long nrtls_fault_hits(const char *site);

/* NRTLS_IOC_CTX_CREATE on an open /dev/nrtls: 0 or -errno. */
int nrtls_ctx_create(int fd, int ifindex, const struct nrtls_flow *flow,
		     __u32 *id);
int nrtls_ctx_destroy(int fd, __u32 id);
/* The line of /sys/kernel/debug/nrtls/contexts for @id, or false. */
bool nrtls_ctx_listed(__u32 id, char *line, size_t len);

void nrtls_flow_v4(struct nrtls_flow *flow, int protocol, const char *saddr,
		   int sport, const char *daddr, int dport);

/*
 * cgroup v2, at /sys/fs/cgroup: a child cgroup with @controllers ("memory
 * io") enabled at the root.  0 with @path set, or -1 with @why set.
 */
int nrtls_cgroup_create(char *path, size_t len, const char *controllers,
			char *why, size_t why_len);
/* Move the calling process into @path: 0 or -errno. */
int nrtls_cgroup_enter(const char *path);
/* Write @val to @path/@file: 0 or -errno. */
int nrtls_cgroup_write(const char *path, const char *file, const char *val);
/*
 * A number from @path/@file: the whole file (memory.current), or the value
 * of @key ("file" in memory.stat, "rbytes" in io.stat) on the first line
 * that starts with @prefix (NULL: any).  -1 if not found.
 */
long long nrtls_cgroup_read(const char *path, const char *file,
			    const char *prefix, const char *key);
void nrtls_cgroup_destroy(const char *path);

/* Run a shell command (quiet unless NRTLS_TEST_VERBOSE); its exit status. */
int nrtls_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Two network namespaces joined by a veth pair:
 *   a: ifname "nrt-a", 192.0.2.1/24      b: ifname "nrt-b", 192.0.2.2/24
 * Names carry the pid so that parallel runs do not collide.
 */
struct nrtls_netpair {
	char ns_a[32], ns_b[32];
	int fd_a, fd_b, fd_orig;
	int ifindex_a, ifindex_b;	/* each in its own namespace */
};

int nrtls_netpair_setup(struct nrtls_netpair *p);
/* The same with a pair of another link type: "nrtls" for the emulated NIC. */
int nrtls_netpair_setup_type(struct nrtls_netpair *p, const char *type);
void nrtls_netpair_teardown(struct nrtls_netpair *p);
/* Remove the namespaces of tests that died without their teardown. */
void nrtls_reap_stale_ns(void);
/* An fd for the namespace "ip netns" calls @name, or -1. */
int nrtls_netns_open(const char *name);
/* Switch the calling thread to a namespace fd (fd_a, fd_b or fd_orig). */
int nrtls_netns_enter(int fd);
/*
 * Move the calling thread into namespace @name; the fd of the one it was
 * in, for nrtls_netns_pop(), or -1 (then it has not moved).
 */
int nrtls_netns_push(const char *name);
void nrtls_netns_pop(int orig);
/*
 * Read up to @len - 1 bytes of @path, opened in namespace @ns (NULL: the
 * caller's), NUL-terminated; the count or -1.  For /proc/net files use
 * /proc/thread-self/net: /proc/net is the thread group leader's.
 */
ssize_t nrtls_ns_read(const char *ns, const char *path, char *buf, size_t len);

#endif /* NRTLS_TEST_H */
