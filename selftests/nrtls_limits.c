// SPDX-License-Identifier: GPL-2.0
/*
 * What an unprivileged user can do with nrtls, from a user and network
 * namespace of its own (where it holds CAP_NET_ADMIN, as anyone can after
 * "unshare -rn"), and what bounds it: the per-user quotas (contexts,
 * sockets with queued data), the per-socket caps (requests, header bytes),
 * and its memory cgroup, which every allocation is charged to.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nrtls_net.h"
#include "nrtls_nic.h"
#include "nrtls_test.h"

#define MiB (1024 * 1024ull)
#define USER 4243
#define LO 1

static const char *const params[] = {
	"max_user_ctx", "max_user_socks", "max_sock_reqs", "max_sock_hdr",
};
#define NPARAMS (sizeof(params) / sizeof(params[0]))

FIXTURE(limits) {
	char saved[NPARAMS][32];
	char path[64];
};

FIXTURE_SETUP(limits)
{
	static const char *const low[NPARAMS] = { "3", "2", "4", "8192" };
	int fd;

	for (size_t i = 0; i < NPARAMS; i++) {
		ASSERT_EQ(0, nrtls_param_read(params[i], self->saved[i], sizeof(self->saved[i])));
		ASSERT_EQ(0, nrtls_param_write(params[i], low[i]));
	}
	snprintf(self->path, sizeof(self->path), "/tmp/nrtls-limits-%d", getpid());
	fd = nrtls_make_file(self->path, 8 * MiB, 71);
	ASSERT_LE(0, fd);
	close(fd);
}

FIXTURE_TEARDOWN(limits)
{
	for (size_t i = 0; i < NPARAMS; i++)
		nrtls_param_write(params[i], self->saved[i]);
	unlink(self->path);
}

/* Become USER, alone in a user and network namespace of its own. */
static int become_unprivileged(void)
{
	char map[32];
	struct ifreq ifr = { .ifr_name = "lo" };
	int s;

	if (nrtls_become_user(USER))
		return -1;
	/* Changing uid made /proc/self root's; it must be ours to map ids. */
	if (prctl(PR_SET_DUMPABLE, 1))
		return -1;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
		return -1;
	snprintf(map, sizeof(map), "0 %d 1", USER);
	if (nrtls_write_file("/proc/self/setgroups", "deny") ||
	    nrtls_write_file("/proc/self/uid_map", map) ||
	    nrtls_write_file("/proc/self/gid_map", map))
		return -1;
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr))
		return -1;
	close(s);
	return 0;
}

/* A loopback pair whose receiver reads nothing and holds little. */
static int stuck_pair(int *snd, int *rcv)
{
	int small = 4096;

	if (nrtls_tcp_pair(snd, rcv))
		return -1;
	setsockopt(*snd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(*rcv, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	return 0;
}

/* The one CQE that came within @ms, or -ETIME. */
static int reap_one(struct io_uring *ring, int ms)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

#define STEP(n, cond) do {						\
		if (!(cond)) {						\
			fprintf(stderr, "# step %d failed: %s (errno %d)\n", n, #cond, errno); \
			return n;					\
		}							\
	} while (0)

/* The unprivileged user's side: 0, or the number of the step that failed. */
static int unprivileged(const char *path)
{
	static char hdr[4096];
	struct nrtls_sendfile sf = { 0 };
	struct nrtls_flow flow;
	struct io_uring ring;
	int dev, file, a[2], b[2], c[2], i;
	uint64_t q;

	STEP(1, !become_unprivileged());
	dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	STEP(2, dev >= 0);
	file = open(path, O_RDONLY);
	STEP(3, file >= 0);

	/* Contexts in its own namespace, up to its quota. */
	for (i = 0; i < 3; i++) {
		nrtls_flow_v4(&flow, IPPROTO_TCP, "127.0.0.1", 6000 + i, "127.0.0.1", 443);
		/* Only its own namespace's devices: none but lo. */
		STEP(10 + i, nrtls_ctx_create(dev, 2, &flow, NULL) == -ENODEV);
		STEP(13 + i, !nrtls_ctx_create(dev, LO, &flow, NULL));
	}
	nrtls_flow_v4(&flow, IPPROTO_TCP, "127.0.0.1", 6100, "127.0.0.1", 443);
	STEP(16, nrtls_ctx_create(dev, LO, &flow, NULL) == -EDQUOT);

	/* None of the module's controls. */
	STEP(20, open(NRTLS_DEBUGFS "/fault", O_WRONLY) < 0);
	STEP(21, open(NRTLS_DEBUGFS "/counters", O_RDONLY) < 0);
	STEP(22, open(NRTLS_PARAMS "/max_ctx", O_WRONLY) < 0);
	STEP(23, open(NRTLS_PARAMS "/max_user_ctx", O_WRONLY) < 0);

	/* Requests queued on one socket, up to the cap: then ENOBUFS. */
	STEP(30, !io_uring_queue_init(16, &ring, 0));
	STEP(31, !stuck_pair(&a[0], &a[1]));
	sf.sock_fd = a[0];
	sf.file_fd = file;
	for (i = 0; i < 5; i++)
		nrtls_uring_prep_sendfile(io_uring_get_sqe(&ring), dev, &sf, i);
	STEP(32, io_uring_submit(&ring) == 5);
	STEP(33, reap_one(&ring, 3000) == -ENOBUFS);
	STEP(34, reap_one(&ring, 300) == -ETIME);

	/* Header bytes held on one socket, up to the cap: then ENOBUFS. */
	STEP(40, !stuck_pair(&b[0], &b[1]));
	sf.sock_fd = b[0];
	sf.hdr = (uintptr_t)hdr;
	sf.hdr_len = sizeof(hdr);
	for (i = 0; i < 3; i++)
		nrtls_uring_prep_sendfile(io_uring_get_sqe(&ring), dev, &sf, 10 + i);
	STEP(41, io_uring_submit(&ring) == 3);
	STEP(42, reap_one(&ring, 3000) == -ENOBUFS);
	STEP(43, reap_one(&ring, 300) == -ETIME);

	/* Sockets with queued data, up to its quota: then EDQUOT. */
	STEP(50, !stuck_pair(&c[0], &c[1]));
	STEP(51, nrtls_sendfile(dev, c[0], file, 0, 0, NULL, 0, NRTLS_SF_NOWAIT, &q) == -EDQUOT);
	STEP(52, q == 0);

	/* Going away takes all of it along (checked by the parent). */
	return 0;
}

TEST_F_TIMEOUT(limits, unprivileged_user, 120)
{
	struct nrtls_flow flow;
	int status, fd;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(unprivileged(self->path));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("the unprivileged side failed at step %d",
						  WEXITSTATUS(status));
	EXPECT_TRUE(nrtls_wait_idle(30000));
	/* Its quota entry went with it; another user's quota is its own. */
	EXPECT_EQ(-1, nrtls_quota_used(USER, "contexts"));
	fd = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	nrtls_flow_v4(&flow, IPPROTO_TCP, "127.0.0.1", 6200, "127.0.0.1", 443);
	EXPECT_EQ(0, nrtls_ctx_create(fd, LO, &flow, NULL));
	close(fd);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* Sends a line over @t and reads it back at the peer: 0 or -1. */
static int tls_echo(struct nrtls_tls *t)
{
	static const char msg[] = "offloaded, or not";
	char buf[sizeof(msg)];

	if (SSL_write(t->sssl, msg, sizeof(msg)) != sizeof(msg) ||
	    SSL_read(t->cssl, buf, sizeof(buf)) != sizeof(buf))
		return -1;
	return memcmp(buf, msg, sizeof(msg)) ? -1 : 0;
}

/* Tells the parent @what and waits for it to say go on: 0 or -1. */
static int handshake(int wr, int rd, char what)
{
	char c;

	return write(wr, &what, 1) == 1 && read(rd, &c, 1) == 1 ? 0 : -1;
}

/* A subuid root gave USER, as /etc/subuid and newuidmap do. */
#define SUBUID 231072

/*
 * The subuid side of subuids_share_their_owners_quota: in a namespace
 * USER made, where root mapped ns-uid 0 to USER and 1 to SUBUID, a device
 * opened as each; contexts made through either count for USER.  0, or
 * the failed step.
 */
static int subuid_side(int wr, int rd)
{
	struct nrtls_flow flow;
	int dev[2], i;

	STEP(1, !nrtls_become_user(USER) && !prctl(PR_SET_DUMPABLE, 1));
	STEP(2, !unshare(CLONE_NEWUSER | CLONE_NEWNET));
	STEP(3, !handshake(wr, rd, 'm'));
	dev[0] = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	STEP(4, dev[0] >= 0);
	/* Real uid SUBUID, effective still 0: the capabilities stay. */
	STEP(5, !setresuid(1, -1, -1) && getuid() == 1);
	dev[1] = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	STEP(6, dev[1] >= 0);
	for (i = 0; i < 4; i++) {
		nrtls_flow_v4(&flow, IPPROTO_TCP, "127.0.0.1", 6300 + i, "127.0.0.1", 443);
		STEP(10 + i, nrtls_ctx_create(dev[i / 2], LO, &flow, NULL) ==
			     (i < 3 ? 0 : -EDQUOT));
	}
	/* The parent looks at the quotas while they are held. */
	STEP(20, !handshake(wr, rd, 'h'));
	return 0;
}

/*
 * A user with subuids (what rootless containers need) can be any of them
 * in a namespace of its own: each is another kuid, but not another user.
 * Keyed by the caller's uid, one user's quota was max_user_ctx times the
 * number of its subuids.
 */
TEST_F_TIMEOUT(limits, subuids_share_their_owners_quota, 60)
{
	char path[64], map[64];
	int status, up[2], down[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(up[0]);
		close(down[1]);
		_exit(subuid_side(up[1], down[0]));
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], &c, 1) == 1) {
		snprintf(map, sizeof(map), "0 %d 1\n1 %d 1\n", USER, SUBUID);
		snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
		EXPECT_EQ(0, nrtls_write_file(path, map));
		snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
		EXPECT_EQ(0, nrtls_write_file(path, map));
		ASSERT_EQ(1, write(down[1], "g", 1));
	}
	if (read(up[0], &c, 1) == 1) {
		EXPECT_EQ(3, nrtls_quota_used(USER, "contexts"));
		EXPECT_EQ(-1, nrtls_quota_used(SUBUID, "contexts"));
		ASSERT_EQ(1, write(down[1], "g", 1));
	}
	close(up[0]);
	close(down[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("the subuid side failed at step %d",
						  WEXITSTATUS(status));
	EXPECT_TRUE(nrtls_wait_idle(30000));
	EXPECT_EQ(-1, nrtls_quota_used(USER, "contexts"));
}

#define NTLS 5

/*
 * The unprivileged user's side of device_contexts_counted: its own NIC
 * pair between two namespaces of its own, a wrapper over one end, and TLS
 * sessions that the stack offloads to them.  0, or the failed step.
 */
static int unprivileged_tls(int wr, int rd)
{
	const char *cipher = "ECDHE-ECDSA-AES128-GCM-SHA256";
	struct nrtls_tls t[NTLS];
	int ns_a, ns_b, p[2], i;
	char path[64], c;
	pid_t holder;

	STEP(1, !become_unprivileged());
	ns_a = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	STEP(2, ns_a >= 0 && !pipe(p));
	/* A process of its own holds the second namespace while it is set up. */
	holder = fork();
	if (!holder) {
		if (unshare(CLONE_NEWNET) || write(p[1], "n", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	STEP(3, holder > 0 && read(p[0], &c, 1) == 1);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", holder);
	ns_b = open(path, O_RDONLY | O_CLOEXEC);
	STEP(4, ns_b >= 0);
	STEP(5, !nrtls_sh("ip link add nicu type nrtls personality mlx5 peer name nicup "
			  "netns %d && ip addr add 192.0.2.1/24 dev nicu && "
			  "ip link set nicu up", holder));
	STEP(6, !setns(ns_b, CLONE_NEWNET));
	STEP(7, !nrtls_sh("ip addr add 192.0.2.2/24 dev nicup && ip link set nicup up && "
			  "ip link set lo up"));
	STEP(8, !setns(ns_a, CLONE_NEWNET));
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);

	/*
	 * TX on the NIC: the first context finds no memory for the user's
	 * quota entry (fault quota_alloc, armed by the parent), the next
	 * three fill max_user_ctx, the fifth is over it.  Both failures
	 * leave the session to software kTLS.
	 */
	for (i = 0; i < NTLS; i++) {
		STEP(10, !nrtls_tls_pair_ns(&t[i], TLS1_2_VERSION, cipher, ns_a,
					    "192.0.2.1", ns_b));
		STEP(11, !tls_echo(&t[i]));
	}
	STEP(12, nrtls_tls_stat(NULL, "TlsCurrTxDevice") == 3);
	STEP(13, nrtls_tls_stat(NULL, "TlsCurrTxSw") == 2);
	STEP(14, !handshake(wr, rd, 't'));
	for (i = 0; i < NTLS; i++)
		nrtls_tls_abort(&t[i]);

	/* The same through a wrapper of its own over the NIC (quota free again). */
	STEP(20, !handshake(wr, rd, 'c'));
	STEP(21, !nrtls_sh("ip link add lagu type nrtls_lag && ip addr del 192.0.2.1/24 dev nicu && "
			   "ip link set nicu master lagu && ip link set lagu up && "
			   "ip addr add 192.0.2.1/24 dev lagu"));
	/* nicu took the wrapper's address: the peer must ask again. */
	STEP(22, !setns(ns_b, CLONE_NEWNET));
	STEP(23, !nrtls_sh("ip neigh flush all"));
	STEP(24, !setns(ns_a, CLONE_NEWNET));
	for (i = 0; i < 4; i++) {
		STEP(25, !nrtls_tls_pair_ns(&t[i], TLS1_2_VERSION, cipher, ns_a,
					    "192.0.2.1", ns_b));
		STEP(26, !tls_echo(&t[i]));
	}
	STEP(27, nrtls_tls_stat(NULL, "TlsCurrTxDevice") == 3);
	STEP(28, nrtls_tls_stat(NULL, "TlsCurrTxSw") == 1);
	STEP(29, !handshake(wr, rd, 'l'));
	for (i = 0; i < 4; i++)
		nrtls_tls_abort(&t[i]);

	/* RX on the peer's NIC, with TX in software: the receiver's contexts. */
	STEP(30, !handshake(wr, rd, 'c'));
	STEP(31, !nrtls_sh("ethtool -K lagu tls-hw-tx-offload off"));
	STEP(32, !setns(ns_b, CLONE_NEWNET));
	/* Its own TX in software too: only the receiving contexts count. */
	STEP(33, !nrtls_sh("ethtool -K nicup tls-hw-rx-offload on tls-hw-tx-offload off"));
	STEP(34, !setns(ns_a, CLONE_NEWNET));
	nrtls_tls_client_ktls = true;
	for (i = 0; i < 4; i++) {
		STEP(35, !nrtls_tls_pair_ns(&t[i], TLS1_2_VERSION, cipher, ns_a,
					    "192.0.2.1", ns_b));
		STEP(36, !tls_echo(&t[i]));
	}
	STEP(37, !setns(ns_b, CLONE_NEWNET));
	STEP(38, nrtls_tls_stat(NULL, "TlsCurrRxDevice") == 3);
	STEP(39, nrtls_tls_stat(NULL, "TlsCurrRxSw") == 1);
	STEP(40, !setns(ns_a, CLONE_NEWNET));
	STEP(41, !handshake(wr, rd, 'r'));
	for (i = 0; i < 4; i++)
		nrtls_tls_abort(&t[i]);
	return 0;
}

/*
 * Contexts the stack makes for a user's sockets on devices in namespaces
 * the user owns (its own emulated NIC, its own wrapper; TX and RX) count
 * against its max_user_ctx, and past it the session stays in software: a
 * user cannot use up max_ctx for everyone.  Devices root made in its own
 * namespaces charge nobody (every other NIC test).
 */
TEST_F_TIMEOUT(limits, device_contexts_counted, 180)
{
	int status, up[2], down[2];
	long hits;
	char c;
	pid_t pid;

	if (access("/sys/module/nrtls_nic", F_OK))
		SKIP(return, "no emulated NIC: nrtls_nic.ko is not loaded");
	ASSERT_EQ(0, nrtls_use_ip_plugin());
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	hits = nrtls_fault_hits("quota_alloc");
	ASSERT_EQ(0, nrtls_fault_arm("quota_alloc", 1, 1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(unprivileged_tls(up[1], down[0]));
	close(up[1]);
	close(down[0]);
	/* Each phase: its contexts counted while they live, none after. */
	for (int phase = 0; phase < 3; phase++) {
		if (read(up[0], &c, 1) != 1)
			break;
		EXPECT_EQ(3, nrtls_quota_used(USER, "contexts")) TH_LOG("phase %c", c);
		if (!phase)
			EXPECT_EQ(hits + 1, nrtls_fault_hits("quota_alloc"));
		ASSERT_EQ(1, write(down[1], "g", 1));
		if (read(up[0], &c, 1) != 1)
			break;
		/* Freed after the sockets' teardown and a grace period. */
		for (int i = 0; i < 400 && nrtls_quota_used(USER, "contexts") > 0; i++)
			usleep(50000);
		EXPECT_GE(0, nrtls_quota_used(USER, "contexts")) TH_LOG("phase %c", c);
		ASSERT_EQ(1, write(down[1], "g", 1));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("the unprivileged side failed at step %d",
						  WEXITSTATUS(status));
	close(up[0]);
	close(down[1]);
	nrtls_fault_cmd("reset");
	EXPECT_TRUE(nrtls_wait_idle(30000));
	EXPECT_EQ(-1, nrtls_quota_used(USER, "contexts"));
}

/*
 * memory.current counts charges each CPU keeps cached for the cgroup (up
 * to MEMCG_CHARGE_BATCH pages per CPU), not only what is allocated.  A
 * memory.high under the usage makes the kernel drain those caches (then
 * reclaim, with nothing left here to reclaim but page cache); restore it.
 * Remote CPUs drain from a work item: the caller polls.
 */
static long long drained_usage(const char *cg, long long target)
{
	char high[32];

	snprintf(high, sizeof(high), "%lld", target);
	nrtls_cgroup_write(cg, "memory.high", high);
	nrtls_cgroup_write(cg, "memory.high", "max");
	return nrtls_cgroup_read(cg, "memory.current", NULL, NULL);
}

/*
 * io_uring keeps the requests it allocated for reuse: have @n of them
 * before the cgroup fills, so that the ring's own GFP_KERNEL allocations
 * never meet its limit (they would invoke its OOM killer, not fail).
 */
static int warm_ring(struct io_uring *ring, int n)
{
	struct __kernel_timespec ts = { .tv_sec = 100 };
	struct io_uring_cqe *cqe;

	for (int i = 0; i < n; i++)
		io_uring_prep_timeout(io_uring_get_sqe(ring), &ts, 0, 0);
	if (io_uring_submit(ring) != n)
		return -1;
	io_uring_prep_cancel64(io_uring_get_sqe(ring), 0, IORING_ASYNC_CANCEL_ANY);
	if (io_uring_submit(ring) != 1)
		return -1;
	for (int i = 0; i < n + 1; i++) {
		if (io_uring_wait_cqe(ring, &cqe))
			return -1;
		io_uring_cqe_seen(ring, cqe);
	}
	return 0;
}

/*
 * A request refused at once (max_sock_reqs=0) leaves no queue behind.  One
 * made for it and left would keep the socket's file and a socket of the
 * user's quota until a wake-up for room or an error, which an idle
 * connection never sends.
 */
TEST_F(limits, refused_request_leaves_no_queue)
{
	int dev, file, snd, rcv;
	uint64_t queued = 1;

	ASSERT_TRUE(nrtls_wait_idle(10000));
	ASSERT_EQ(0, nrtls_param_write("max_sock_reqs", "0"));
	dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	file = open(self->path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, file);
	ASSERT_EQ(0, nrtls_tcp_pair(&snd, &rcv));
	EXPECT_EQ(-ENOBUFS, nrtls_sendfile(dev, snd, file, 0, 0, NULL, 0, 0, &queued));
	EXPECT_EQ(0, queued);
	EXPECT_EQ(0, nrtls_read_stat("counters", "sockets"));
	EXPECT_EQ(-ENOBUFS, nrtls_sendfile(dev, snd, file, 0, 0, NULL, 0,
					   NRTLS_SF_NOWAIT, &queued));
	EXPECT_EQ(0, nrtls_read_stat("counters", "sockets"));
	close(snd);
	close(rcv);
	close(file);
	close(dev);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/*
 * Requests and their header pages are charged to the submitter's memory
 * cgroup: the charge shows in memory.current, a full cgroup refuses more
 * with ENOMEM (nrtls's allocations may fail; they never call its OOM
 * killer), and all of it goes when the cgroup's processes exit.  The
 * child's sockets are made outside the cgroup: TCP charges socket memory
 * with GFP_KERNEL, which would OOM-kill instead of failing.
 */
TEST_F_TIMEOUT(limits, memcg_charged_and_bounded, 120)
{
	long long base, queued, after;
	char cg[128], why[128], max[32], c;
	int status, go[2], done[2];
	pid_t pid;

	if (nrtls_cgroup_create(cg, sizeof(cg), "memory", why, sizeof(why)))
		SKIP(return, "%s", why);
	/* This test is about memory, not the caps: lift them. */
	nrtls_param_write("max_sock_reqs", "256");
	nrtls_param_write("max_sock_hdr", "1048576");
	nrtls_param_write("max_user_socks", "65536");
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		static char hdr[NRTLS_SF_HDR_MAX];
		struct nrtls_sendfile sf = {
			.hdr = (uintptr_t)hdr, .hdr_len = sizeof(hdr),
		};
		int dev, rcv[17], snd[17], ret = 0;
		struct io_uring ring;

		for (int i = 0; i < 17; i++)
			if (stuck_pair(&snd[i], &rcv[i]))
				_exit(3);
		if (nrtls_cgroup_enter(cg) || io_uring_queue_init(128, &ring, 0) ||
		    warm_ring(&ring, 128))
			_exit(1);
		dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
		sf.file_fd = open(self->path, O_RDONLY);
		if (dev < 0 || sf.file_fd < 0 || write(done[1], "r", 1) != 1 ||
		    read(go[0], &c, 1) != 1)
			_exit(2);
		/* 8 requests of 64 KiB of header each, waiting for room. */
		sf.sock_fd = snd[0];
		for (int i = 0; i < 8; i++)
			nrtls_uring_prep_sendfile(io_uring_get_sqe(&ring), dev, &sf, i);
		if (io_uring_submit(&ring) != 8 || reap_one(&ring, 300) != -ETIME ||
		    write(done[1], "q", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(4);
		/* The cgroup is full now: more until refused (256 KiB each). */
		for (int i = 1; i < 17 && ret != -ENOMEM; i++) {
			sf.sock_fd = snd[i];
			for (int j = 0; j < 4; j++)
				nrtls_uring_prep_sendfile(io_uring_get_sqe(&ring), dev, &sf, j);
			io_uring_submit(&ring);
			ret = reap_one(&ring, 200);
		}
		_exit(ret == -ENOMEM ? 0 : 5);
	}
	close(go[0]);
	close(done[1]);
	ASSERT_EQ(1, read(done[0], &c, 1));
	base = nrtls_cgroup_read(cg, "memory.current", NULL, NULL);
	/* Without the caches, or the check at the end proves little. */
	for (int i = 0; i < 20; i++) {
		usleep(50000);
		after = drained_usage(cg, base - 4096);
		if (after >= base)
			break;
		base = after;
	}
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(1, read(done[0], &c, 1));
	queued = nrtls_cgroup_read(cg, "memory.current", NULL, NULL);
	TH_LOG("memory.current: %lld before, %lld with 8 x 64 KiB of headers queued",
	       base, queued);
	EXPECT_LE(base + 8 * NRTLS_SF_HDR_MAX, queued);
	snprintf(max, sizeof(max), "%lld", queued + 256 * 1024);
	ASSERT_EQ(0, nrtls_cgroup_write(cg, "memory.max", max));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/* Refused with ENOMEM, and nothing was killed. */
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("child: exit %d, signal %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	EXPECT_EQ(0, nrtls_cgroup_read(cg, "memory.events", "oom", "oom"));
	EXPECT_LT(0, nrtls_cgroup_read(cg, "memory.events", "max", "max"));
	EXPECT_TRUE(nrtls_wait_idle(30000));
	/*
	 * Sockets and queues are freed after an RCU grace period, the ring
	 * from a work item.  What stays is a partial page of slab objects
	 * per CPU at most.
	 */
	for (int i = 0; i < 400; i++) {
		after = drained_usage(cg, base);
		if (after <= base + 4 * 4096)
			break;
		usleep(50000);
	}
	TH_LOG("memory.current once its processes exited: %lld", after);
	EXPECT_GE(base + 4 * 4096, after);
	close(go[1]);
	close(done[0]);
	nrtls_cgroup_destroy(cg);
}

/*
 * The mlx5 personality's pool of hardware contexts is the NIC's, paid by
 * the memcg of the task that made the pair: whoever sets pool-high high
 * (up to 2^20; root of a namespace of its own may) pays for it, 32 bytes
 * each (8 MiB here), and gets it back when the pair goes.
 */
TEST_F_TIMEOUT(limits, nic_pool_charged_to_its_creator, 180)
{
	long long base, full = -1, after = -1;
	char cg[128], why[128], ns[32];
	long pool = -1;
	bool made;

	if (nrtls_cgroup_create(cg, sizeof(cg), "memory", why, sizeof(why)))
		SKIP(return, "%s", why);
	ASSERT_EQ(0, nrtls_use_ip_plugin());
	snprintf(ns, sizeof(ns), "nrtls-pool-%d", getpid());
	ASSERT_EQ(0, nrtls_sh("ip netns add %s", ns));
	/* From here on, whatever fails, the namespace and cgroup go at the end. */
	base = nrtls_cgroup_read(cg, "memory.current", NULL, NULL);
	/* Made from inside the cgroup, brought up from outside. */
	made = !nrtls_sh("echo $$ > %s/cgroup.procs && exec ip -n %s link add npa type nrtls "
			 "pool-low 262144 pool-high 262144 pool-bulk 4096 peer name npb",
			 cg, ns) &&
	       !nrtls_sh("ip -n %s link set npa up", ns);
	EXPECT_TRUE(made);
	for (int i = 0; made && i < 300 && pool < 262144; i++) {
		pool = nrtls_ethtool_stat(ns, "npa", "mlx5_pool_size");
		usleep(100000);
	}
	full = nrtls_cgroup_read(cg, "memory.current", NULL, NULL);
	TH_LOG("pool of %ld: memory.current %lld before the pair, %lld with it",
	       pool, base, full);
	EXPECT_EQ(262144, pool);
	EXPECT_LE(base + 6 * (long long)MiB, full);
	EXPECT_EQ(0, nrtls_sh("ip netns del %s", ns));
	/*
	 * The namespace goes from a work item, the pool with the NIC: slowly
	 * on a loaded machine (seen: 10% of 2^20 objects still charged 30 s
	 * on).
	 */
	for (int i = 0; made && i < 1200; i++) {
		after = nrtls_cgroup_read(cg, "memory.current", NULL, NULL);
		if (after <= base + (full - base) / 16)
			break;
		usleep(50000);
	}
	TH_LOG("memory.current once the pair is gone: %lld", after);
	EXPECT_GE(base + (full - base) / 2, after);
	EXPECT_TRUE(nrtls_wait_idle(30000));
	nrtls_cgroup_destroy(cg);
}

/*
 * A pair's settings are both ends': a user who is root only of the
 * namespace one end was put in (a container's) cannot change them, and
 * so not the other end's, which root keeps.
 */
TEST_F_TIMEOUT(limits, pair_settings_need_both_namespaces, 60)
{
	char out[4096], c;
	int status, go[2], ready[2];
	pid_t pid;

	ASSERT_EQ(0, nrtls_use_ip_plugin());
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int rc;

		/* A parent that fails an assertion ends it: EOF on go. */
		close(go[1]);
		close(ready[0]);
		if (become_unprivileged() || write(ready[1], "r", 1) != 1 ||
		    read(go[0], &c, 1) != 1)
			_exit(2);
		/* Refused, and its own end's settings are the pair's. */
		rc = nrtls_sh("ip link set nicc type nrtls latency 10000000 ring 65536 2>/dev/null");
		/* Its namespace, and the pair with it, stay until the parent looked. */
		if (write(ready[1], rc ? "n" : "y", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, nrtls_sh("ip link add nich type nrtls latency 10 peer name nicc netns %d",
			      pid));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(1, read(ready[0], &c, 1));
	EXPECT_EQ('n', c) {
		TH_LOG("the user's change was not refused");
	}
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "ip -d link show nich"));
	EXPECT_NE(NULL, strstr(out, "latency 10 ")) {
		TH_LOG("%s", out);
	}
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	/* The pair goes with the user's namespace, or here. */
	nrtls_sh("ip link del nich 2>/dev/null");
	close(go[1]);
	close(ready[0]);
}

TEST_HARNESS_MAIN
