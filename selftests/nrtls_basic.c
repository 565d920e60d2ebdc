// SPDX-License-Identifier: GPL-2.0
/*
 * The module itself: its device, parameters, debugfs state, the context
 * ioctls and their ABI checks, limits, fault injection, and what happens
 * when a context's device goes away.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "nrtls_test.h"

#define LO 1

static int open_dev(void)
{
	return open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
}

TEST(module_loaded)
{
	char version[64];
	struct stat st;
	int fd;

	fd = open("/sys/module/nrtls/version", O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("nrtls is not loaded");
	ASSERT_LT(0, read(fd, version, sizeof(version)));
	close(fd);

	ASSERT_EQ(0, stat(NRTLS_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	fd = open_dev();
	ASSERT_LE(0, fd);
	close(fd);
}

TEST(parameters_in_modinfo)
{
	const char *ko = getenv("NRTLS_KO");
	char buf[64];

	ASSERT_EQ(0, nrtls_param_read("max_ctx", buf, sizeof(buf)));
	EXPECT_LT(0, atoi(buf));
	if (!ko || !*ko)
		SKIP(return, "modinfo check needs NRTLS_KO=<path of nrtls.ko>");
	EXPECT_EQ(0, nrtls_sh("modinfo -F parm '%s' | grep -q '^max_ctx:'", ko));
	EXPECT_EQ(0, nrtls_sh("modinfo -F license '%s' | grep -qx GPL", ko));
}

TEST(counters_start_at_zero)
{
	EXPECT_EQ(0, nrtls_read_stat("counters", "contexts"));
	EXPECT_EQ(0, nrtls_live_objects());
}

/* Which ABI the loaded module speaks, for callers built against any header. */
TEST(abi_version)
{
	struct {
		struct nrtls_version v;
		__u64 tail[2];
	} big;
	struct nrtls_version v;
	char release[64] = "";
	int fd = open_dev(), sys;

	ASSERT_LE(0, fd);
	memset(&v, 0xff, sizeof(v));
	ASSERT_EQ(0, ioctl(fd, NRTLS_IOC_VERSION, &v));
	EXPECT_EQ(NRTLS_ABI_VERSION, v.abi);
	EXPECT_EQ(NRTLS_SF_FLAGS, v.sf_flags);
	EXPECT_EQ(0, v.reserved[0] | v.reserved[1]);
	sys = open("/sys/module/nrtls/version", O_RDONLY);
	ASSERT_LE(0, sys);
	ASSERT_LT(0, read(sys, release, sizeof(release) - 1));
	close(sys);
	release[strcspn(release, "\n")] = '\0';
	EXPECT_STREQ(release, v.release);

	memset(&big, 0xff, sizeof(big));
	ASSERT_EQ(0, ioctl(fd, _IOR(NRTLS_IOC_MAGIC, 0x01, big), &big));
	EXPECT_EQ(NRTLS_ABI_VERSION, big.v.abi);
	EXPECT_EQ(0, big.tail[0] | big.tail[1]);
	EXPECT_EQ(-1, ioctl(fd, _IOR(NRTLS_IOC_MAGIC, 0x01, char[16]), &v));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, _IOW(NRTLS_IOC_MAGIC, 0x01, struct nrtls_version), &v));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

TEST(ioctl_unknown_commands)
{
	char buf[64] = {};
	int fd = open_dev();

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, _IOWR('x', 0x10, struct nrtls_ctx_create), buf));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, _IOWR(NRTLS_IOC_MAGIC, 0x7f, char[16]), buf));
	EXPECT_EQ(ENOTTY, errno);
	/* Right number, wrong direction. */
	EXPECT_EQ(-1, ioctl(fd, _IOR(NRTLS_IOC_MAGIC, 0x10, struct nrtls_ctx_create), buf));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

TEST(ctx_create_rejects_bad_input)
{
	struct nrtls_ctx_create req;
	struct nrtls_flow flow;
	int fd = open_dev();

	ASSERT_LE(0, fd);
	nrtls_flow_v4(&flow, IPPROTO_TCP, "127.0.0.1", 1000, "127.0.0.1", 2000);

#define EXPECT_CREATE_ERR(err, ...) do {				\
		memset(&req, 0, sizeof(req));				\
		req.ifindex = LO;					\
		req.flow = flow;					\
		__VA_ARGS__;						\
		EXPECT_EQ(-1, ioctl(fd, NRTLS_IOC_CTX_CREATE, &req));	\
		EXPECT_EQ(err, errno);					\
	} while (0)

	EXPECT_CREATE_ERR(EINVAL, req.flags = 1);
	EXPECT_CREATE_ERR(EINVAL, req.reserved[1] = 1);
	EXPECT_CREATE_ERR(EINVAL, req.id = 7);
	EXPECT_CREATE_ERR(EOPNOTSUPP, req.type = NRTLS_CTX_TLS_TX);
	EXPECT_CREATE_ERR(EOPNOTSUPP, req.type = 99);
	EXPECT_CREATE_ERR(ENODEV, req.ifindex = 0);
	EXPECT_CREATE_ERR(ENODEV, req.ifindex = 999999);
	EXPECT_CREATE_ERR(EAFNOSUPPORT, req.flow.family = 99);
	EXPECT_CREATE_ERR(EPROTONOSUPPORT, req.flow.protocol = IPPROTO_ICMP);
	EXPECT_CREATE_ERR(EINVAL, req.flow.saddr[2] = 1);
	EXPECT_CREATE_ERR(EINVAL, req.flow.pad = 1);

	EXPECT_EQ(-1, ioctl(fd, NRTLS_IOC_CTX_CREATE, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, nrtls_live_objects());
	close(fd);
}

/* A request struct from an older or newer header. */
TEST(ctx_create_extensible_struct)
{
	struct {
		struct nrtls_ctx_create req;
		__u64 tail[2];
	} big;
	struct nrtls_flow flow;
	unsigned long cmd_big, cmd_small;
	int fd = open_dev();

	ASSERT_LE(0, fd);
	cmd_big = _IOWR(NRTLS_IOC_MAGIC, 0x10, big);
	cmd_small = _IOWR(NRTLS_IOC_MAGIC, 0x10, char[16]);
	nrtls_flow_v4(&flow, IPPROTO_TCP, "127.0.0.1", 1001, "127.0.0.1", 2001);

	memset(&big, 0, sizeof(big));
	EXPECT_EQ(-1, ioctl(fd, cmd_small, &big));
	EXPECT_EQ(EINVAL, errno);

	big.req.ifindex = LO;
	big.req.flow = flow;
	big.tail[1] = 1;
	EXPECT_EQ(-1, ioctl(fd, cmd_big, &big));
	EXPECT_EQ(E2BIG, errno);

	big.tail[1] = 0;
	ASSERT_EQ(0, ioctl(fd, cmd_big, &big));
	EXPECT_LT(0, big.req.id);
	EXPECT_EQ(0, big.tail[0]);
	EXPECT_EQ(0, nrtls_ctx_destroy(fd, big.req.id));
	close(fd);
	EXPECT_TRUE(nrtls_wait_idle(5000));
}

TEST(ctx_lifecycle)
{
	struct nrtls_flow flow;
	char line[256];
	__u32 id, id2;
	int fd = open_dev();

	ASSERT_LE(0, fd);
	nrtls_flow_v4(&flow, IPPROTO_TCP, "127.0.0.1", 1002, "127.0.0.1", 2002);
	ASSERT_EQ(0, nrtls_ctx_create(fd, LO, &flow, &id));
	EXPECT_LT(0, id);
	EXPECT_EQ(1, nrtls_read_stat("counters", "contexts"));

	ASSERT_TRUE(nrtls_ctx_listed(id, line, sizeof(line)));
	TH_LOG("listed: %s", line);
	EXPECT_NE(NULL, strstr(line, " plain none 1 1 tcp 127.0.0.1:1002 127.0.0.1:2002"));

	/* One context per flow and namespace. */
	EXPECT_EQ(-EEXIST, nrtls_ctx_create(fd, LO, &flow, NULL));
	flow.dport = htons(2003);
	ASSERT_EQ(0, nrtls_ctx_create(fd, LO, &flow, &id2));
	EXPECT_NE(id, id2);

	EXPECT_EQ(0, nrtls_ctx_destroy(fd, id));
	EXPECT_FALSE(nrtls_ctx_listed(id, NULL, 0));
	EXPECT_EQ(-ENOENT, nrtls_ctx_destroy(fd, id));
	EXPECT_EQ(0, nrtls_ctx_destroy(fd, id2));
	EXPECT_TRUE(nrtls_wait_idle(5000));
	close(fd);
}

struct destroyer {
	int fd;
	volatile int stop;
	long found;
};

static void *destroy_predicted_ids(void *arg)
{
	struct destroyer *d = arg;
	__u32 id;

	while (!d->stop) {
		/* Ids are the lowest free ones: the next create gets one of these. */
		for (id = 1; id <= 4; id++)
			if (!nrtls_ctx_destroy(d->fd, id))
				d->found++;
	}
	return NULL;
}

/*
 * A create whose result cannot be copied out (the struct is in a read-only
 * page) must fail without ever making the context reachable by id: a
 * thread destroying the ids it predicts finds nothing, and nothing is used
 * after it was freed (the VM runs with slub_debug).
 */
TEST(ctx_create_copy_out_fails_races_destroy)
{
	struct nrtls_ctx_create *ro;
	struct destroyer d = {};
	struct nrtls_flow flow;
	pthread_t thr;
	long efault = 0;
	int i;

	d.fd = open_dev();
	ASSERT_LE(0, d.fd);
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	nrtls_flow_v4(&flow, IPPROTO_TCP, "127.0.0.1", 1006, "127.0.0.1", 2006);
	ro->ifindex = LO;
	ro->flow = flow;
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));

	ASSERT_EQ(0, pthread_create(&thr, NULL, destroy_predicted_ids, &d));
	for (i = 0; i < 20000; i++) {
		if (ioctl(d.fd, NRTLS_IOC_CTX_CREATE, ro) == -1 && errno == EFAULT)
			efault++;
	}
	d.stop = 1;
	pthread_join(thr, NULL);
	EXPECT_EQ(20000, efault);
	EXPECT_EQ(0, d.found);
	EXPECT_TRUE(nrtls_wait_stat("counters", "contexts", 0, 5000));
	close(d.fd);
	munmap(ro, 4096);
	EXPECT_TRUE(nrtls_wait_idle(5000));
}

/* Another file cannot destroy a context it does not own. */
TEST(ctx_owned_by_file)
{
	struct nrtls_flow flow;
	int fd = open_dev(), fd2 = open_dev();
	__u32 id;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	nrtls_flow_v4(&flow, IPPROTO_UDP, "127.0.0.1", 1003, "127.0.0.1", 2003);
	ASSERT_EQ(0, nrtls_ctx_create(fd, LO, &flow, &id));
	EXPECT_EQ(-ENOENT, nrtls_ctx_destroy(fd2, id));
	EXPECT_TRUE(nrtls_ctx_listed(id, NULL, 0));
	close(fd2);
	close(fd);
	EXPECT_TRUE(nrtls_wait_idle(5000));
}

TEST(close_releases_contexts)
{
	struct nrtls_flow flow;
	int fd = open_dev(), i;

	ASSERT_LE(0, fd);
	for (i = 0; i < 50; i++) {
		nrtls_flow_v4(&flow, IPPROTO_TCP, "127.0.0.1", 3000 + i,
			      "127.0.0.1", 443);
		ASSERT_EQ(0, nrtls_ctx_create(fd, LO, &flow, NULL));
	}
	EXPECT_EQ(50, nrtls_read_stat("counters", "contexts"));
	close(fd);
	EXPECT_TRUE(nrtls_wait_idle(5000));
}

/* The same flow may have a context in each network namespace. */
TEST(ctx_per_netns)
{
	struct nrtls_flow flow;
	int fd = open_dev();
	__u32 id1, id2;

	ASSERT_LE(0, fd);
	nrtls_flow_v4(&flow, IPPROTO_TCP, "127.0.0.1", 1004, "127.0.0.1", 2004);
	ASSERT_EQ(0, nrtls_ctx_create(fd, LO, &flow, &id1));
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	EXPECT_EQ(0, nrtls_ctx_create(fd, LO, &flow, &id2));
	EXPECT_NE(id1, id2);
	close(fd);
	EXPECT_TRUE(nrtls_wait_idle(5000));
}

FIXTURE(limit) {
	char saved[32];
};

FIXTURE_SETUP(limit)
{
	ASSERT_EQ(0, nrtls_param_read("max_ctx", self->saved, sizeof(self->saved)));
}

FIXTURE_TEARDOWN(limit)
{
	nrtls_param_write("max_ctx", self->saved);
}

/* Contexts owned through /dev/nrtls count against their user's quota. */
TEST_F(limit, max_user_ctx)
{
	struct nrtls_flow flow;
	char saved[32];
	int fd = open_dev(), fd2 = open_dev(), i;
	__u32 id;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, nrtls_param_read("max_user_ctx", saved, sizeof(saved)));
	ASSERT_EQ(0, nrtls_param_write("max_user_ctx", "3"));
	for (i = 0; i < 3; i++) {
		nrtls_flow_v4(&flow, IPPROTO_TCP, "127.0.0.1", 4200 + i,
			      "127.0.0.1", 443);
		/* Two files of the same user share the quota. */
		ASSERT_EQ(0, nrtls_ctx_create(i ? fd : fd2, LO, &flow, &id));
	}
	nrtls_flow_v4(&flow, IPPROTO_TCP, "127.0.0.1", 4300, "127.0.0.1", 443);
	EXPECT_EQ(-EDQUOT, nrtls_ctx_create(fd, LO, &flow, NULL));
	EXPECT_EQ(-EDQUOT, nrtls_ctx_create(fd2, LO, &flow, NULL));
	EXPECT_EQ(3, nrtls_quota_used(getuid(), "contexts"));
	EXPECT_EQ(0, nrtls_ctx_destroy(fd, id));
	EXPECT_EQ(0, nrtls_ctx_create(fd2, LO, &flow, NULL));
	close(fd2);
	EXPECT_EQ(1, nrtls_quota_used(getuid(), "contexts"));
	nrtls_param_write("max_user_ctx", saved);
	close(fd);
	EXPECT_TRUE(nrtls_wait_idle(5000));
}

TEST_F(limit, max_ctx)
{
	struct nrtls_flow flow;
	int fd = open_dev(), i;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nrtls_param_write("max_ctx", "3"));
	for (i = 0; i < 3; i++) {
		nrtls_flow_v4(&flow, IPPROTO_TCP, "127.0.0.1", 4000 + i,
			      "127.0.0.1", 443);
		ASSERT_EQ(0, nrtls_ctx_create(fd, LO, &flow, NULL));
	}
	nrtls_flow_v4(&flow, IPPROTO_TCP, "127.0.0.1", 4100, "127.0.0.1", 443);
	EXPECT_EQ(-ENOSPC, nrtls_ctx_create(fd, LO, &flow, NULL));
	EXPECT_EQ(3, nrtls_read_stat("counters", "contexts"));
	close(fd);
	EXPECT_TRUE(nrtls_wait_idle(5000));
}

FIXTURE(fault) {
	int fd;
};

FIXTURE_SETUP(fault)
{
	self->fd = open_dev();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, nrtls_fault_cmd("reset"));
}

FIXTURE_TEARDOWN(fault)
{
	nrtls_fault_cmd("reset");
	close(self->fd);
}

FIXTURE_VARIANT(fault) {
	const char *site;
	int err;
};

FIXTURE_VARIANT_ADD(fault, ctx_alloc) {
	.site = "ctx_alloc",
	.err = -ENOMEM,
};

FIXTURE_VARIANT_ADD(fault, ctx_id) {
	.site = "ctx_id",
	.err = -ENOMEM,
};

/* The context's slot in the file, reserved before its id goes out. */
FIXTURE_VARIANT_ADD(fault, ctx_xa) {
	.site = "ctx_xa",
	.err = -ENOMEM,
};

/* The id cannot reach the caller: the context must not survive. */
FIXTURE_VARIANT_ADD(fault, ctx_copyout) {
	.site = "ctx_copyout",
	.err = -EFAULT,
};

/* Each allocation step of a context fails cleanly: nothing is left over. */
TEST_F(fault, ctx_create)
{
	struct nrtls_flow flow;
	long hits = nrtls_fault_hits(variant->site);
	__u32 id;

	ASSERT_LE(0, hits);
	nrtls_flow_v4(&flow, IPPROTO_TCP, "127.0.0.1", 5000, "127.0.0.1", 443);

	ASSERT_EQ(0, nrtls_fault_arm(variant->site, 1, 1));
	EXPECT_EQ(variant->err, nrtls_ctx_create(self->fd, LO, &flow, NULL));
	EXPECT_EQ(hits + 1, nrtls_fault_hits(variant->site));
	EXPECT_TRUE(nrtls_wait_idle(5000));
	/* The file's quota was given back, and the flow is free again. */
	EXPECT_EQ(0, nrtls_quota_used(getuid(), "contexts"));

	/* The second call from now fails, the first succeeds. */
	ASSERT_EQ(0, nrtls_fault_arm(variant->site, 2, 1));
	ASSERT_EQ(0, nrtls_ctx_create(self->fd, LO, &flow, &id));
	flow.sport = htons(5001);
	EXPECT_EQ(variant->err, nrtls_ctx_create(self->fd, LO, &flow, NULL));
	EXPECT_EQ(0, nrtls_ctx_create(self->fd, LO, &flow, NULL));
	EXPECT_TRUE(nrtls_wait_stat("counters", "contexts", 2, 5000));
	EXPECT_EQ(2, nrtls_quota_used(getuid(), "contexts"));
	EXPECT_EQ(0, nrtls_ctx_destroy(self->fd, id));
	EXPECT_EQ(1, nrtls_quota_used(getuid(), "contexts"));
}

/* Opening the device allocates its file state and finds the user's quota. */
TEST(fault_dev_open)
{
	long hits = nrtls_fault_hits("dev_open");
	int fd;

	ASSERT_EQ(0, nrtls_fault_cmd("reset"));
	ASSERT_EQ(0, nrtls_fault_arm("dev_open", 1, 1));
	EXPECT_EQ(-1, open_dev());
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(hits + 1, nrtls_fault_hits("dev_open"));
	fd = open_dev();
	EXPECT_LE(0, fd);
	close(fd);
	nrtls_fault_cmd("reset");
}

/* A user's first open makes its quota entry; the last close removes it. */
TEST(fault_quota_alloc)
{
	long hits = nrtls_fault_hits("quota_alloc");
	int status, sync[2];
	char c;
	pid_t pid;

	ASSERT_EQ(0, nrtls_fault_cmd("reset"));
	ASSERT_EQ(0, pipe(sync));
	ASSERT_EQ(0, nrtls_fault_arm("quota_alloc", 1, 1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		close(sync[0]);
		if (setresuid(4242, 4242, 4242))
			_exit(10);
		fd = open_dev();
		if (fd >= 0 || errno != ENOMEM)
			_exit(11);
		fd = open_dev();
		if (fd < 0)
			_exit(12);
		if (write(sync[1], "x", 1) != 1)
			_exit(13);
		/* Until the parent has looked. */
		pause();
		_exit(0);
	}
	close(sync[1]);
	ASSERT_EQ(1, read(sync[0], &c, 1));
	EXPECT_EQ(0, nrtls_quota_used(4242, "contexts"));
	kill(pid, SIGTERM);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(hits + 1, nrtls_fault_hits("quota_alloc"));
	EXPECT_EQ(-1, nrtls_quota_used(4242, "contexts"));
	close(sync[0]);
	nrtls_fault_cmd("reset");
}

TEST(fault_file_rejects_bad_input)
{
	EXPECT_EQ(-EINVAL, nrtls_fault_cmd("no_such_site 1"));
	EXPECT_EQ(-EINVAL, nrtls_fault_cmd("ctx_alloc"));
	EXPECT_EQ(-EINVAL, nrtls_fault_cmd("ctx_alloc 1 0"));
	EXPECT_EQ(-EINVAL, nrtls_fault_cmd("ctx_alloc -1"));
	EXPECT_EQ(0, nrtls_fault_cmd("ctx_alloc 0"));
	EXPECT_EQ(0, nrtls_fault_cmd("reset"));
}

/*
 * A context holds its device, but must not keep it from going away: the
 * context is detached (mode "detached"), unregistration completes, and the
 * context is freed when its owner lets go.
 */
TEST(device_removal_detaches)
{
	struct nrtls_flow flow;
	long detached = nrtls_read_stat("events", "ctx_detached");
	char line[256];
	int fd, ifindex;
	__u32 id;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, nrtls_sh("ip link add nrt-d0 type veth peer name nrt-d1"));
	ifindex = if_nametoindex("nrt-d0");
	ASSERT_LT(0, ifindex);
	fd = open_dev();
	ASSERT_LE(0, fd);
	nrtls_flow_v4(&flow, IPPROTO_TCP, "192.0.2.1", 1000, "192.0.2.2", 443);
	ASSERT_EQ(0, nrtls_ctx_create(fd, ifindex, &flow, &id));

	/* timeout: a leaked device hold makes "ip link del" wait forever. */
	ASSERT_EQ(0, nrtls_sh("timeout 20 ip link del nrt-d0"));
	ASSERT_TRUE(nrtls_ctx_listed(id, line, sizeof(line)));
	TH_LOG("after ip link del: %s", line);
	EXPECT_NE(NULL, strstr(line, " plain detached "));
	EXPECT_EQ(detached + 1, nrtls_read_stat("events", "ctx_detached"));
	EXPECT_EQ(-ENODEV, nrtls_ctx_create(fd, ifindex, &flow, NULL));

	EXPECT_EQ(0, nrtls_ctx_destroy(fd, id));
	close(fd);
	EXPECT_TRUE(nrtls_wait_idle(5000));
}

/* Creating contexts needs CAP_NET_ADMIN; opening the device does not. */
TEST(ctx_create_needs_net_admin)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};
	struct nrtls_flow flow;
	int fd;

	ASSERT_EQ(0, syscall(SYS_capget, &hdr, data));
	data[0].effective &= ~(1u << CAP_NET_ADMIN);
	ASSERT_EQ(0, syscall(SYS_capset, &hdr, data));

	fd = open_dev();
	ASSERT_LE(0, fd);
	nrtls_flow_v4(&flow, IPPROTO_TCP, "127.0.0.1", 1005, "127.0.0.1", 2005);
	EXPECT_EQ(-EPERM, nrtls_ctx_create(fd, LO, &flow, NULL));
	close(fd);
}

TEST_HARNESS_MAIN
