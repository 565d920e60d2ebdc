// SPDX-License-Identifier: GPL-2.0
/*
 * The asynchronous sendfile as IORING_OP_URING_CMD on /dev/nrtls, with
 * liburing 2.3 and a hand-filled SQE (16-byte payload, no SQE128).
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kselftest_harness.h"
#include "nrtls_net.h"
#include "nrtls_test.h"

#define MiB (1024 * 1024ull)

/* Wait up to @ms for a CQE; its res, or -ETIME. */
static int reap(struct io_uring *ring, int ms, uint64_t *data)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return ret;
	ret = cqe->res;
	if (data)
		*data = cqe->user_data;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

FIXTURE(ur) {
	struct io_uring ring;
	int dev, snd, rcv, fd;
	char path[64];
	bool ring_up;
};

FIXTURE_SETUP(ur)
{
	struct timeval tv = { .tv_sec = 60 };

	self->dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, nrtls_tcp_pair(&self->snd, &self->rcv));
	setsockopt(self->rcv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(self->path, sizeof(self->path), "/tmp/nrtls-ur-%d", getpid());
	self->fd = nrtls_make_file(self->path, 8 * MiB, 61);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, io_uring_queue_init(64, &self->ring, 0));
	self->ring_up = true;
}

FIXTURE_TEARDOWN(ur)
{
	if (self->ring_up)
		io_uring_queue_exit(&self->ring);
	if (self->snd >= 0)
		close(self->snd);
	close(self->rcv);
	close(self->fd);
	unlink(self->path);
	close(self->dev);
}

TEST_F(ur, one_request)
{
	struct nrtls_sendfile sf = {
		.sock_fd = self->snd, .file_fd = self->fd, .offset = 123, .count = 1 * MiB,
		.hdr = (uintptr_t)"hello\n", .hdr_len = 6,
	};
	struct nrtls_peer peer = { .fd = self->rcv, .want = 6 + 1 * MiB };
	uint8_t want[SHA256_LEN];
	uint64_t data;

	ASSERT_EQ(0, nrtls_peer_start(&peer));
	nrtls_uring_prep_sendfile(io_uring_get_sqe(&self->ring), self->dev, &sf, 42);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(6 + 1 * MiB, reap(&self->ring, 30000, &data));
	EXPECT_EQ(42, data);
	nrtls_peer_join(&peer);
	nrtls_expected_sha(61, 123, 1 * MiB, "hello\n", 6, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* Many requests in one submission arrive in order; all complete. */
TEST_F_TIMEOUT(ur, many_in_flight, 120)
{
	enum { N = 32 };
	struct nrtls_sendfile sf[N];
	char hdr[N][32];
	struct nrtls_peer peer = { .fd = self->rcv };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t want[SHA256_LEN], *buf = malloc(256 * 1024);
	bool seen[N] = { false };
	int i;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (i = 0; i < N; i++) {
		int hl = snprintf(hdr[i], sizeof(hdr[i]), "response %d\n", i);

		sf[i] = (struct nrtls_sendfile){
			.sock_fd = self->snd, .file_fd = self->fd,
			.offset = i * 65537, .count = 256 * 1024,
			.hdr = (uintptr_t)hdr[i], .hdr_len = hl,
		};
		nrtls_file_fill(61, i * 65537, buf, 256 * 1024);
		EVP_DigestUpdate(md, hdr[i], hl);
		EVP_DigestUpdate(md, buf, 256 * 1024);
		peer.want += hl + 256 * 1024;
		nrtls_uring_prep_sendfile(io_uring_get_sqe(&self->ring), self->dev, &sf[i], i);
	}
	EVP_DigestFinal_ex(md, want, NULL);
	EVP_MD_CTX_free(md);
	free(buf);
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	ASSERT_EQ(N, io_uring_submit(&self->ring));
	for (i = 0; i < N; i++) {
		uint64_t data;
		int res = reap(&self->ring, 30000, &data);

		ASSERT_LT(data, N);
		EXPECT_EQ((int)sf[data].hdr_len + 256 * 1024, res);
		seen[data] = true;
	}
	for (i = 0; i < N; i++)
		EXPECT_TRUE(seen[i]);
	nrtls_peer_join(&peer);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/*
 * More than the send buffer holds: the command waits for room without
 * blocking the submitter, and completes once the peer reads.
 */
TEST_F(ur, waits_for_room_asynchronously)
{
	struct nrtls_sendfile sf = { .sock_fd = self->snd, .file_fd = self->fd };
	struct nrtls_peer peer = { .fd = self->rcv, .want = 8 * MiB };
	int small = 65536, rcvsmall = 65536;
	uint8_t want[SHA256_LEN];

	ASSERT_EQ(0, setsockopt(self->snd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)));
	ASSERT_EQ(0, setsockopt(self->rcv, SOL_SOCKET, SO_RCVBUF, &rcvsmall, sizeof(rcvsmall)));
	nrtls_uring_prep_sendfile(io_uring_get_sqe(&self->ring), self->dev, &sf, 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	/* io_uring_submit() returned: the submitter did not wait for room. */
	EXPECT_EQ(-ETIME, reap(&self->ring, 500, NULL));
	EXPECT_EQ(1, nrtls_read_stat("counters", "requests"));
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	EXPECT_EQ(8 * MiB, reap(&self->ring, 30000, NULL));
	nrtls_peer_join(&peer);
	nrtls_expected_sha(61, 0, 8 * MiB, NULL, 0, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* NRTLS_SF_NOWAIT: a short count at once instead of waiting. */
TEST_F(ur, nowait_short_count)
{
	struct nrtls_sendfile sf = {
		.sock_fd = self->snd, .file_fd = self->fd, .flags = NRTLS_SF_NOWAIT,
	};
	int small = 65536, rcvsmall = 65536, res;

	ASSERT_EQ(0, setsockopt(self->snd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)));
	ASSERT_EQ(0, setsockopt(self->rcv, SOL_SOCKET, SO_RCVBUF, &rcvsmall, sizeof(rcvsmall)));
	nrtls_uring_prep_sendfile(io_uring_get_sqe(&self->ring), self->dev, &sf, 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	res = reap(&self->ring, 5000, NULL);
	TH_LOG("NOWAIT queued %d bytes", res);
	EXPECT_LT(0, res);
	EXPECT_GT(8 * MiB, (uint64_t)res);
}

/* Small buffers on both sides: a transfer soon waits for room. */
static int small_buffers(int snd, int rcv)
{
	int small = 65536;

	if (setsockopt(snd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)))
		return -1;
	return setsockopt(rcv, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
}

/* The application closes the socket while a command waits: it completes. */
TEST_F(ur, socket_closed_while_waiting)
{
	struct nrtls_sendfile sf = { .sock_fd = self->snd, .file_fd = self->fd };
	struct nrtls_peer peer = { .fd = self->rcv };
	uint8_t want[SHA256_LEN];

	ASSERT_EQ(0, small_buffers(self->snd, self->rcv));
	nrtls_uring_prep_sendfile(io_uring_get_sqe(&self->ring), self->dev, &sf, 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-ETIME, reap(&self->ring, 300, NULL));
	close(self->snd);
	self->snd = -1;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	EXPECT_EQ(8 * MiB, reap(&self->ring, 30000, NULL));
	nrtls_peer_join(&peer);
	EXPECT_TRUE(peer.eof);
	EXPECT_EQ(8 * MiB, peer.got);
	nrtls_expected_sha(61, 0, 8 * MiB, NULL, 0, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/*
 * The ring goes away with a command waiting for room: the command is
 * cancelled.  It had queued part of its data, so the stream has a hole
 * and the connection is aborted: the peer gets a prefix, then a reset.
 */
TEST_F(ur, ring_closed_while_waiting)
{
	struct nrtls_sendfile sf = { .sock_fd = self->snd, .file_fd = self->fd };
	struct nrtls_peer peer = { .fd = self->rcv, .want = 8 * MiB };
	long cancelled = nrtls_read_stat("events", "sf_cancelled");

	ASSERT_EQ(0, small_buffers(self->snd, self->rcv));
	nrtls_uring_prep_sendfile(io_uring_get_sqe(&self->ring), self->dev, &sf, 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-ETIME, reap(&self->ring, 300, NULL));
	io_uring_queue_exit(&self->ring);
	self->ring_up = false;
	EXPECT_TRUE(nrtls_wait_idle(30000));
	EXPECT_EQ(cancelled + 1, nrtls_read_stat("events", "sf_cancelled"));
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	nrtls_peer_join(&peer);
	EXPECT_EQ(ECONNRESET, peer.err);
	EXPECT_GT(8 * MiB, peer.got);
}

/*
 * A non-blocking issue that finds the socket's queue lock busy hands its
 * request to the holder (here: every other one, by fault injection): all
 * still complete, and arrive in the order they were submitted.
 */
TEST_F(ur, handed_over_in_order)
{
	enum { N = 8 };
	struct nrtls_sendfile sf[N];
	struct nrtls_peer peer = { .fd = self->rcv, .keep = true };
	long handovers = nrtls_read_stat("events", "sf_handovers");
	char hdr[N][16];
	uint64_t want = 0, off = 0;
	int i;

	ASSERT_EQ(0, nrtls_fault_cmd("reset"));
	for (i = 0; i < N; i++) {
		int hl = snprintf(hdr[i], sizeof(hdr[i]), "request %d\n", i);

		sf[i] = (struct nrtls_sendfile){
			.sock_fd = self->snd, .file_fd = self->fd, .offset = i * 4096,
			.count = 100000, .hdr = (uintptr_t)hdr[i], .hdr_len = hl,
		};
		want += hl + 100000;
	}
	peer.want = want;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	for (i = 0; i < N; i++) {
		/* Every other submission finds the lock "busy". */
		if (i % 2 == 0)
			ASSERT_EQ(0, nrtls_fault_arm("sq_busy", 1, 1));
		nrtls_uring_prep_sendfile(io_uring_get_sqe(&self->ring), self->dev, &sf[i], i);
		ASSERT_EQ(1, io_uring_submit(&self->ring));
	}
	for (i = 0; i < N; i++)
		EXPECT_EQ((int)(sf[i].hdr_len + 100000), reap(&self->ring, 30000, NULL));
	nrtls_peer_join(&peer);
	nrtls_fault_cmd("reset");
	ASSERT_EQ(want, peer.got);
	for (i = 0; i < N; i++) {
		uint64_t hl = sf[i].hdr_len;

		EXPECT_EQ(0, memcmp(peer.data + off, hdr[i], hl)) TH_LOG("request %d out of place", i);
		for (uint64_t j = 0; j < 100000; j += 4099)
			ASSERT_EQ(nrtls_file_byte(61, i * 4096 + j), peer.data[off + hl + j]);
		off += hl + 100000;
	}
	EXPECT_LE(handovers + N / 2, nrtls_read_stat("events", "sf_handovers"));
	free(peer.data);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/*
 * NRTLS_SF_NOWAIT on a full send buffer: io_uring issues the command once
 * (an inline -EAGAIN would make it issue it again from io-wq): one CQE,
 * one request.
 */
TEST_F(ur, nowait_full_buffer_runs_once)
{
	struct nrtls_sendfile sf = {
		.sock_fd = self->snd, .file_fd = self->fd, .flags = NRTLS_SF_NOWAIT,
	};
	int small = 4096;
	char buf[4096] = { 0 };
	long reqs;

	ASSERT_EQ(0, setsockopt(self->snd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)));
	ASSERT_EQ(0, setsockopt(self->rcv, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	while (send(self->snd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	ASSERT_EQ(EAGAIN, errno);
	reqs = nrtls_read_stat("events", "sf_requests");
	nrtls_uring_prep_sendfile(io_uring_get_sqe(&self->ring), self->dev, &sf, 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-EAGAIN, reap(&self->ring, 5000, NULL));
	EXPECT_EQ(-ETIME, reap(&self->ring, 500, NULL));
	EXPECT_EQ(reqs + 1, nrtls_read_stat("events", "sf_requests"));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

enum { THEN_EXEC, THEN_PAUSE };

/*
 * A child that has two commands waiting for room on a peer that reads
 * nothing (issued by an SQPOLL thread if @ring_flags say so), then execs
 * /bin/true or pauses.  Its pid once the commands are submitted, or -1.
 */
static pid_t child_with_waiting_commands(int dev, int snd, int fd,
					 unsigned int ring_flags, int then)
{
	int sync[2];
	pid_t pid;
	char c;

	if (pipe(sync))
		return -1;
	pid = fork();
	if (!pid) {
		struct nrtls_sendfile sf = { .sock_fd = snd, .file_fd = fd };
		struct io_uring ring;

		if (io_uring_queue_init(8, &ring, ring_flags))
			_exit(1);
		for (int i = 0; i < 2; i++)
			nrtls_uring_prep_sendfile(io_uring_get_sqe(&ring), dev, &sf, i);
		if (io_uring_submit(&ring) != 2 || write(sync[1], "x", 1) != 1)
			_exit(2);
		if (then == THEN_EXEC)
			execl("/bin/true", "true", (char *)NULL);
		else
			pause();
		_exit(3);
	}
	close(sync[1]);
	if (pid > 0 && read(sync[0], &c, 1) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(sync[0]);
	return pid;
}

/*
 * A process exits with commands waiting for room on a peer that reads
 * nothing (its window stays shut): io_uring cancels them (6.12), or the
 * module notices (6.1), and nothing of them is left: not the requests,
 * not the socket they pinned.
 */
TEST_F_TIMEOUT(ur, exit_cancels_waiting_commands, 120)
{
	long cancelled = nrtls_read_stat("events", "sf_cancelled");
	int status;
	pid_t pid;

	ASSERT_EQ(0, small_buffers(self->snd, self->rcv));
	pid = child_with_waiting_commands(self->dev, self->snd, self->fd, 0, THEN_PAUSE);
	ASSERT_LT(0, pid);
	EXPECT_EQ(2, nrtls_read_stat("counters", "requests"));
	/* The child's descriptors are the last ones to the socket now. */
	close(self->snd);
	self->snd = -1;
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(nrtls_wait_idle(30000)) {
		TH_LOG("left: %ld requests, %ld sockets", nrtls_read_stat("counters", "requests"),
		       nrtls_read_stat("counters", "sockets"));
	}
	EXPECT_EQ(cancelled + 2, nrtls_read_stat("events", "sf_cancelled"));
}

/*
 * Whether @pid ended within @ms.  If not, the peer reads, so that the
 * commands complete, and the child is reaped all the same.
 */
static bool ended_within(pid_t pid, int rcv, int ms, int *status)
{
	static char buf[65536];

	for (int t = 0; t < ms; t += 50) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, status, WNOHANG) != pid)
		if (read(rcv, buf, sizeof(buf)) <= 0)
			usleep(10000);
	return false;
}

/*
 * execve() waits for the task's io_uring requests (it cancels them first):
 * commands waiting on a peer that reads nothing must be cancelled, not
 * waited for until the peer reads (on 6.1 the module sees the task's
 * io_uring cancelling; 6.12 cancels through io_uring).
 */
TEST_F_TIMEOUT(ur, exec_cancels_waiting_commands, 120)
{
	long cancelled = nrtls_read_stat("events", "sf_cancelled");
	int status;
	pid_t pid;

	ASSERT_EQ(0, small_buffers(self->snd, self->rcv));
	pid = child_with_waiting_commands(self->dev, self->snd, self->fd, 0, THEN_EXEC);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(ended_within(pid, self->rcv, 30000, &status));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("status %#x", status);
	EXPECT_EQ(cancelled + 2, nrtls_read_stat("events", "sf_cancelled"));
	EXPECT_TRUE(nrtls_wait_idle(30000));
}

/*
 * The same for a process killed while its ring's SQPOLL thread issued
 * the commands: that thread cancels its requests before it exits, and the
 * process is not gone until it has.
 */
TEST_F_TIMEOUT(ur, sqpoll_exit_cancels_waiting_commands, 120)
{
	long cancelled = nrtls_read_stat("events", "sf_cancelled");
	int status;
	pid_t pid;

	ASSERT_EQ(0, small_buffers(self->snd, self->rcv));
	pid = child_with_waiting_commands(self->dev, self->snd, self->fd,
					  IORING_SETUP_SQPOLL, THEN_PAUSE);
	ASSERT_LT(0, pid);
	EXPECT_TRUE(nrtls_wait_stat("counters", "requests", 2, 30000));
	kill(pid, SIGKILL);
	ASSERT_TRUE(ended_within(pid, self->rcv, 30000, &status));
	EXPECT_TRUE(WIFSIGNALED(status)) TH_LOG("status %#x", status);
	EXPECT_EQ(cancelled + 2, nrtls_read_stat("events", "sf_cancelled"));
	EXPECT_TRUE(nrtls_wait_idle(30000));
}

TEST_F(ur, bad_commands)
{
	struct nrtls_sendfile sf = { .sock_fd = self->snd, .file_fd = self->fd, .count = 10 };
	struct nrtls_uring_cmd cmd;
	struct io_uring_sqe *sqe;
	long hits;

#define EXPECT_CMD_ERR(err, ...) do {					\
		sqe = io_uring_get_sqe(&self->ring);			\
		nrtls_uring_prep_sendfile(sqe, self->dev, &sf, 0);			\
		memcpy(&cmd, sqe->cmd, sizeof(cmd));			\
		__VA_ARGS__;						\
		memcpy(sqe->cmd, &cmd, sizeof(cmd));			\
		ASSERT_EQ(1, io_uring_submit(&self->ring));		\
		EXPECT_EQ(err, reap(&self->ring, 5000, NULL));		\
	} while (0)

	EXPECT_CMD_ERR(-EOPNOTSUPP, sqe->cmd_op = 0x99);
	EXPECT_CMD_ERR(-EINVAL, cmd.flags = 1);
	EXPECT_CMD_ERR(-EINVAL, cmd.size = 8);
	/* Not scanned for a zero tail past a page. */
	EXPECT_CMD_ERR(-E2BIG, cmd.size = 4097);
	EXPECT_CMD_ERR(-EFAULT, cmd.addr = 8);
	/* The same error path, reached by fault injection on a good address. */
	hits = nrtls_fault_hits("uring_copyin");
	ASSERT_EQ(0, nrtls_fault_cmd("reset"));
	ASSERT_EQ(0, nrtls_fault_arm("uring_copyin", 1, 1));
	EXPECT_CMD_ERR(-EFAULT);
	EXPECT_EQ(hits + 1, nrtls_fault_hits("uring_copyin"));
	nrtls_fault_cmd("reset");
	EXPECT_CMD_ERR(-EBADF, sf.sock_fd = -1);
	sf.sock_fd = self->snd;
	EXPECT_CMD_ERR(-EINVAL, sf.reserved[0] = 1);
	sf.reserved[0] = 0;
	EXPECT_CMD_ERR(-ENOTSOCK, sf.sock_fd = self->fd);
	sf.sock_fd = self->snd;
	/* A file that is not /dev/nrtls does not know the command. */
	sqe = io_uring_get_sqe(&self->ring);
	nrtls_uring_prep_sendfile(sqe, self->fd, &sf, 0);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-EOPNOTSUPP, reap(&self->ring, 5000, NULL));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

TEST_HARNESS_MAIN
