// SPDX-License-Identifier: GPL-2.0
/*
 * Asynchronous sendfile with a cold page cache on a slow disk (null_blk,
 * 100 ms per request, ext4): the call returns before the read completes,
 * no thread waits per read, not-ready data counts against the send buffer,
 * and seed 000's ownership rules hold for closes, truncation, read errors,
 * TCP errors and every fault-injection site on the read path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kselftest_harness.h"
#include "nrtls_disk.h"
#include "nrtls_net.h"
#include "nrtls_test.h"

#define MiB (1024 * 1024ull)
#define LATENCY_MS 100

static struct nrtls_disk disk;
static bool disk_ok;
static pid_t disk_owner;

/* One disk for the whole binary: making ext4 on it takes seconds. */
static void __attribute__((constructor)) disk_setup(void)
{
	disk_owner = getpid();
	disk_ok = !nrtls_disk_create(&disk, LATENCY_MS, 512);
}

static void __attribute__((destructor)) disk_teardown(void)
{
	if (getpid() == disk_owner)
		nrtls_disk_destroy(&disk);
}

static const char hdr[] = "HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n";
#define HLEN (sizeof(hdr) - 1)

static long reads_in_flight(void)
{
	return nrtls_read_stat("events", "sf_io_started") -
	       nrtls_read_stat("events", "sf_io_done");
}

static int sndbuf(int fd, int bytes)
{
	return setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes));
}

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_state;
}

FIXTURE(cold) {
	int dev, snd, rcv, fd;
	char path[128];
	int n;
};

FIXTURE_SETUP(cold)
{
	struct timeval tv = { .tv_sec = 60 };

	self->fd = self->snd = self->rcv = -1;
	if (!disk_ok)
		SKIP(return, "no slow disk: %s", disk.skip);
	self->dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, nrtls_tcp_pair(&self->snd, &self->rcv));
	setsockopt(self->rcv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(self->path, sizeof(self->path), "%s/f-%d", disk.mnt, getpid());
	ASSERT_EQ(0, nrtls_fault_cmd("reset"));
}

FIXTURE_TEARDOWN(cold)
{
	if (!disk_ok)
		return;
	nrtls_fault_cmd("reset");
	nrtls_trace_stop();
	if (self->snd >= 0)
		close(self->snd);
	close(self->rcv);
	if (self->fd >= 0)
		close(self->fd);
	unlink(self->path);
	close(self->dev);
}

/* A file on the slow disk with nothing of it in the page cache. */
static int cold_file(struct __test_metadata *_metadata, const char *path,
		     uint64_t size, uint32_t seed)
{
	int fd = nrtls_make_file(path, size, seed);

	EXPECT_LE(0, fd);
	EXPECT_EQ(0, nrtls_drop_cache(fd));
	EXPECT_EQ(0, nrtls_resident_pages(fd, size));
	return fd;
}

/* Read @len bytes, checking each against header + pattern, until error. */
static uint64_t read_prefix(struct __test_metadata *_metadata, int fd,
			    uint64_t len, uint32_t seed, int *err)
{
	uint8_t buf[65536];
	uint64_t got = 0;

	*err = 0;
	while (got < len) {
		ssize_t n = read(fd, buf, sizeof(buf));

		/* io_uring's task work interrupts a read with a timeout. */
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*err = n ? errno : 0;
			break;
		}
		for (ssize_t i = 0; i < n; i++, got++) {
			uint8_t want = got < HLEN ? hdr[got] :
				       nrtls_file_byte(seed, got - HLEN);

			if (buf[i] != want) {
				EXPECT_EQ(want, buf[i]) TH_LOG("byte %llu", (unsigned long long)got);
				return got;
			}
		}
	}
	return got;
}

/*
 * The order of events, on one clock: the call returns while the read is
 * still on the disk; data reaches the peer only after the read completed.
 */
TEST_F(cold, call_returns_before_read)
{
	uint64_t size = 1 * MiB, q, got = 0;
	char *trace, buf[65536];
	int r, queued, io, peer;

	self->fd = cold_file(_metadata, self->path, size, 21);
	ASSERT_EQ(0, sndbuf(self->snd, 16 * MiB));
	ASSERT_EQ(0, nrtls_trace_start());

	ASSERT_EQ(0, nrtls_sendfile(self->dev, self->snd, self->fd, 0, 0, hdr, HLEN, 0, &q));
	nrtls_trace_mark("nrtls-test: returned");
	EXPECT_EQ(HLEN + size, q);
	while (got < HLEN + size) {
		ssize_t n = read(self->rcv, buf, sizeof(buf));

		ASSERT_LT(0, n);
		if (got <= HLEN && got + n > HLEN)
			nrtls_trace_mark("nrtls-test: file data at the peer");
		got += n;
	}
	trace = nrtls_trace_read();
	ASSERT_NE(NULL, trace);
	queued = nrtls_trace_find(trace, 0, "nrtls_sf_queued");
	r = nrtls_trace_find(trace, 0, "nrtls-test: returned");
	io = nrtls_trace_find(trace, 0, "nrtls_sf_io_done");
	peer = nrtls_trace_find(trace, 0, "nrtls-test: file data at the peer");
	TH_LOG("trace lines: queued %d, returned %d, first read done %d, data at peer %d",
	       queued, r, io, peer);
	EXPECT_LE(0, queued);
	EXPECT_LT(queued, r);
	EXPECT_LT(r, io);
	EXPECT_LT(io, peer);
	EXPECT_EQ(-1, nrtls_trace_find(trace, 0, "notready=0"))
		TH_LOG("the file data was queued ready: the cache was not cold");
	free(trace);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

static int count_threads(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc");
	int n = 0;

	while (d && (de = readdir(d))) {
		char path[300];
		DIR *t;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", de->d_name);
		t = opendir(path);
		while (t && readdir(t))
			n++;
		if (t) {
			n -= 2;
			closedir(t);
		}
	}
	if (d)
		closedir(d);
	return n;
}

/* Many reads in flight, and no thread per read. */
TEST_F_TIMEOUT(cold, no_thread_per_read, 120)
{
	enum { N = 48 };
	int snd[N], rcv[N], fd[N], before, during, i;
	long inflight;
	char path[160];
	uint64_t q;

	for (i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "%s.%d", self->path, i);
		fd[i] = cold_file(_metadata, path, 64 * 1024, 100 + i);
		unlink(path);
		ASSERT_EQ(0, nrtls_tcp_pair(&snd[i], &rcv[i]));
		ASSERT_EQ(0, sndbuf(snd[i], 1 * MiB));
	}
	before = count_threads();
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, nrtls_sendfile(self->dev, snd[i], fd[i], 0, 0, NULL, 0, 0, &q));
	inflight = reads_in_flight();
	during = count_threads();
	TH_LOG("%ld reads in flight; threads: %d before, %d during", inflight,
	       before, during);
	EXPECT_LE(N / 2, inflight) TH_LOG("reads completed too soon to measure");
	EXPECT_GT(inflight / 4, during - before);
	for (i = 0; i < N; i++) {
		close(snd[i]);
		close(rcv[i]);
		close(fd[i]);
	}
	EXPECT_TRUE(nrtls_wait_idle(30000));
}

/* Cold and hot requests queued back to back still arrive in order. */
TEST_F_TIMEOUT(cold, cold_and_hot_in_order, 120)
{
	struct nrtls_peer peer = { .fd = self->rcv };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t want[SHA256_LEN], *buf;
	char hot[64], h[64];
	uint64_t total = 0, q;
	int hotfd, i, hl;

	self->fd = cold_file(_metadata, self->path, 2 * MiB, 22);
	snprintf(hot, sizeof(hot), "/tmp/nrtls-hot-%d", getpid());
	hotfd = nrtls_make_file(hot, 2 * MiB, 23);
	ASSERT_LE(0, hotfd);
	buf = malloc(256 * 1024);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (i = 0; i < 16; i++) {
		uint32_t seed = i % 2 ? 23 : 22;
		uint64_t off = i * 100000;

		hl = snprintf(h, sizeof(h), "part %d\n", i);
		for (int j = 0; j < 256 * 1024; j++)
			buf[j] = nrtls_file_byte(seed, off + j);
		EVP_DigestUpdate(md, h, hl);
		EVP_DigestUpdate(md, buf, 256 * 1024);
		total += hl + 256 * 1024;
	}
	EVP_DigestFinal_ex(md, want, NULL);
	EVP_MD_CTX_free(md);
	free(buf);

	peer.want = total;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	for (i = 0; i < 16; i++) {
		hl = snprintf(h, sizeof(h), "part %d\n", i);
		ASSERT_EQ(0, nrtls_sendfile(self->dev, self->snd, i % 2 ? hotfd : self->fd,
					    i * 100000, 256 * 1024, h, hl, 0, &q));
	}
	nrtls_peer_join(&peer);
	EXPECT_EQ(total, peer.got);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	close(hotfd);
	unlink(hot);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* Data that is not ready yet fills the send buffer: poll says so. */
TEST_F(cold, poll_counts_not_ready_data)
{
	struct pollfd pfd = { .fd = self->snd, .events = POLLOUT };
	struct nrtls_peer peer = { .fd = self->rcv };
	uint8_t want[SHA256_LEN];
	int small = 65536;
	uint64_t q;
	int ret;

	self->fd = cold_file(_metadata, self->path, 4 * MiB, 24);
	ASSERT_EQ(0, setsockopt(self->snd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)));
	ASSERT_EQ(0, fcntl(self->snd, F_SETFL, O_NONBLOCK));
	ret = nrtls_sendfile(self->dev, self->snd, self->fd, 0, 0, NULL, 0, 0, &q);
	EXPECT_EQ(-EAGAIN, ret);
	ASSERT_LT(0, q);
	EXPECT_LT(0, reads_in_flight()) TH_LOG("reads completed too soon to test");
	EXPECT_EQ(0, poll(&pfd, 1, 0)) TH_LOG("writable with %llu bytes not ready",
					       (unsigned long long)q);
	/* Once read and sent, there is room again. */
	peer.want = q;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	nrtls_peer_join(&peer);
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	nrtls_expected_sha(24, 0, q, NULL, 0, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/*
 * The send buffer shrinks below what is queued: not-ready data must not
 * keep the ready data out of TCP once it is read.
 */
TEST_F(cold, send_buffer_shrinks_below_queued)
{
	struct nrtls_peer peer = { .fd = self->rcv, .want = 4 * MiB };
	uint8_t want[SHA256_LEN];
	int tiny = 4096;
	uint64_t q;

	self->fd = cold_file(_metadata, self->path, 4 * MiB, 35);
	ASSERT_EQ(0, sndbuf(self->snd, 16 * MiB));
	ASSERT_EQ(0, nrtls_sendfile(self->dev, self->snd, self->fd, 0, 0, NULL, 0, 0, &q));
	EXPECT_LT(0, reads_in_flight());
	ASSERT_EQ(0, setsockopt(self->snd, SOL_SOCKET, SO_SNDBUF, &tiny, sizeof(tiny)));
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	nrtls_peer_join(&peer);
	EXPECT_EQ(0, peer.err);
	EXPECT_EQ(4 * MiB, peer.got);
	nrtls_expected_sha(35, 0, 4 * MiB, NULL, 0, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* Closing while reads are pending: the data still goes, then a FIN. */
TEST_F(cold, close_during_read_sends_everything)
{
	struct nrtls_peer peer = { .fd = self->rcv };
	uint8_t want[SHA256_LEN];
	uint64_t q;

	self->fd = cold_file(_metadata, self->path, 4 * MiB, 25);
	ASSERT_EQ(0, sndbuf(self->snd, 16 * MiB));
	ASSERT_EQ(0, nrtls_sendfile(self->dev, self->snd, self->fd, 0, 0, hdr, HLEN, 0, &q));
	EXPECT_LT(0, reads_in_flight());
	close(self->snd);
	self->snd = -1;
	EXPECT_EQ(1, nrtls_read_stat("counters", "sockets"));
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	nrtls_peer_join(&peer);
	EXPECT_EQ(0, peer.err);
	EXPECT_TRUE(peer.eof);
	EXPECT_EQ(HLEN + 4 * MiB, peer.got);
	nrtls_expected_sha(25, 0, 4 * MiB, hdr, HLEN, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* Closing with SO_LINGER 0 while reads are pending: dropped, reset. */
TEST_F(cold, close_linger0_during_read_drops)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	long dropped = nrtls_read_stat("events", "sf_bytes_dropped");
	uint64_t q, got;
	int err;

	self->fd = cold_file(_metadata, self->path, 4 * MiB, 26);
	ASSERT_EQ(0, sndbuf(self->snd, 16 * MiB));
	ASSERT_EQ(0, nrtls_sendfile(self->dev, self->snd, self->fd, 0, 0, hdr, HLEN, 0, &q));
	EXPECT_LT(0, reads_in_flight());
	ASSERT_EQ(0, setsockopt(self->snd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(self->snd);
	self->snd = -1;
	got = read_prefix(_metadata, self->rcv, HLEN + 4 * MiB, 26, &err);
	EXPECT_EQ(ECONNRESET, err);
	EXPECT_GT(HLEN + 4 * MiB, got);
	EXPECT_TRUE(nrtls_wait_idle(10000));
	EXPECT_LT(dropped, nrtls_read_stat("events", "sf_bytes_dropped"));
}

/*
 * Truncated while the request is being read, before it reached the new
 * end: nothing past the new end, then a reset, and a short count.  A small
 * send buffer (and the peer's first window) keep the request far from the
 * new end until the peer reads, so the truncation cannot come after the
 * bytes past it were handed to TCP (those would go out as they are: a
 * truncation zeroes the tail of the last page in place, the same page TCP
 * holds).  io_uring, because a blocking call would wait for the peer; its
 * count is of the bytes accepted, so it may pass the new end.
 */
TEST_F(cold, truncate_during_read)
{
	struct nrtls_sendfile sf = {
		.sock_fd = self->snd, .hdr = (uintptr_t)hdr, .hdr_len = HLEN,
	};
	uint64_t got, keep = 1 * MiB + 100;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	char c;
	int err;

	self->fd = cold_file(_metadata, self->path, 4 * MiB, 27);
	sf.file_fd = self->fd;
	ASSERT_EQ(0, sndbuf(self->snd, 65536));
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	nrtls_uring_prep_sendfile(io_uring_get_sqe(&ring), self->dev, &sf, 0);
	ASSERT_EQ(1, io_uring_submit(&ring));
	EXPECT_LT(0, reads_in_flight());
	ASSERT_EQ(0, ftruncate(self->fd, keep));
	got = read_prefix(_metadata, self->rcv, HLEN + 4 * MiB, 27, &err);
	TH_LOG("peer got %llu bytes, then error %d", (unsigned long long)got, err);
	EXPECT_EQ(ECONNRESET, err);
	EXPECT_GE(HLEN + keep, got);
	EXPECT_LT(HLEN + 512 * 1024, got) TH_LOG("the prefix before the new end went out");
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	TH_LOG("completion: %d", cqe->res);
	/* Bytes accepted before the end moved: more than went out, not all. */
	EXPECT_LE((int)got, cqe->res);
	EXPECT_GT((int)(HLEN + 4 * MiB), cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	EXPECT_EQ(-1, send(self->snd, &c, 1, MSG_NOSIGNAL));
	EXPECT_EQ(EIO, errno);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* A read error from the disk aborts the connection after a good prefix. */
TEST_F(cold, read_error_aborts)
{
	long errs = nrtls_read_stat("events", "sf_io_errors");
	uint64_t q, got, bad = 2 * MiB;
	char c;
	int err;

	self->fd = cold_file(_metadata, self->path, 4 * MiB, 28);
	ASSERT_EQ(0, nrtls_disk_badblocks(&disk, self->fd, bad, 4096, 1));
	ASSERT_EQ(0, sndbuf(self->snd, 16 * MiB));
	ASSERT_EQ(0, nrtls_sendfile(self->dev, self->snd, self->fd, 0, 0, hdr, HLEN, 0, &q));
	got = read_prefix(_metadata, self->rcv, HLEN + 4 * MiB, 28, &err);
	nrtls_disk_badblocks(&disk, self->fd, bad, 4096, 0);
	TH_LOG("peer got %llu bytes, then error %d", (unsigned long long)got, err);
	EXPECT_EQ(ECONNRESET, err);
	EXPECT_GE(HLEN + bad, got);
	EXPECT_EQ(-1, send(self->snd, &c, 1, MSG_NOSIGNAL));
	EXPECT_EQ(EIO, errno);
	EXPECT_LT(errs, nrtls_read_stat("events", "sf_io_errors"));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/*
 * TCP refuses data while reads are pending (seed 000): the not-ready data
 * stays with its reads, and the connection is aborted only once they
 * complete.
 */
TEST_F(cold, tcp_error_waits_for_reads)
{
	char *trace, c;
	int err_at, last_io, abort_at, err;
	uint64_t q;

	self->fd = cold_file(_metadata, self->path, 1 * MiB, 29);
	/*
	 * The file's first page only is in memory, so that the header goes
	 * out with it at once (a header waits for its file's first bytes)
	 * while the rest is read.
	 */
	ASSERT_EQ(0, readahead(self->fd, 0, 4096));
	ASSERT_EQ(1, pread(self->fd, &c, 1, 0));
	ASSERT_EQ(1, nrtls_resident_pages(self->fd, 1 * MiB));
	ASSERT_EQ(0, sndbuf(self->snd, 16 * MiB));
	ASSERT_EQ(0, nrtls_trace_start());
	ASSERT_EQ(0, nrtls_fault_arm("push", 1, 1));
	/* The header and the first page are pushed first; that push fails. */
	ASSERT_EQ(0, nrtls_sendfile(self->dev, self->snd, self->fd, 0, 0, hdr, HLEN, 0, &q));
	EXPECT_LT(0, reads_in_flight());
	EXPECT_LT(0, nrtls_read_stat("counters", "segments"));
	EXPECT_EQ(TCP_ESTABLISHED, tcp_state(self->snd));
	read_prefix(_metadata, self->rcv, HLEN + 1 * MiB, 29, &err);
	EXPECT_EQ(ECONNRESET, err);
	EXPECT_EQ(-1, send(self->snd, &c, 1, MSG_NOSIGNAL));
	EXPECT_EQ(EIO, errno);
	EXPECT_TRUE(nrtls_wait_idle(10000));

	trace = nrtls_trace_read();
	ASSERT_NE(NULL, trace);
	err_at = nrtls_trace_find(trace, 0, "nrtls_sf_error");
	last_io = nrtls_trace_find_last(trace, "nrtls_sf_io_done");
	abort_at = nrtls_trace_find(trace, 0, "nrtls_sf_abort");
	TH_LOG("trace lines: error %d, last read done %d, abort %d", err_at, last_io,
	       abort_at);
	EXPECT_LE(0, err_at);
	EXPECT_EQ(-1, nrtls_trace_find(trace, 0, "io_pending=0"))
		TH_LOG("no read was pending when TCP failed");
	EXPECT_LT(err_at, last_io);
	EXPECT_LT(last_io, abort_at);
	free(trace);
}

/* NODISKIO on a cold file: only the header, and EBUSY; no read started. */
TEST_F(cold, nodiskio)
{
	long started = nrtls_read_stat("events", "sf_io_started");
	uint64_t q;

	self->fd = cold_file(_metadata, self->path, 1 * MiB, 30);
	EXPECT_EQ(-EBUSY, nrtls_sendfile(self->dev, self->snd, self->fd, 0, 0, hdr, HLEN,
					 NRTLS_SF_NODISKIO, &q));
	EXPECT_EQ(HLEN, q);
	EXPECT_EQ(started, nrtls_read_stat("events", "sf_io_started"));
	EXPECT_EQ(0, nrtls_resident_pages(self->fd, 1 * MiB));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* An exact readahead hint reads that much ahead, no more and no less. */
TEST_F(cold, readahead_hint)
{
	struct nrtls_sendfile sf = {
		.sock_fd = self->snd, .count = 64 * 1024,
		.flags = NRTLS_SF_READAHEAD, .readahead = 512,
	};
	struct nrtls_peer peer = { .fd = self->rcv, .want = 2 * 64 * 1024 };
	char path2[160];
	long plain, hinted;
	uint64_t q;
	int fd2;

	self->fd = cold_file(_metadata, self->path, 4 * MiB, 31);
	snprintf(path2, sizeof(path2), "%s.2", self->path);
	fd2 = cold_file(_metadata, path2, 4 * MiB, 31);
	unlink(path2);
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	ASSERT_EQ(0, nrtls_sendfile(self->dev, self->snd, self->fd, 0, 64 * 1024,
				    NULL, 0, 0, &q));
	sf.file_fd = fd2;
	ASSERT_EQ(0, ioctl(self->dev, NRTLS_IOC_SENDFILE, &sf));
	nrtls_peer_join(&peer);
	/* Readahead completes asynchronously: give it the disk's latency. */
	usleep(3 * LATENCY_MS * 1000);
	plain = nrtls_resident_pages(self->fd, 4 * MiB);
	hinted = nrtls_resident_pages(fd2, 4 * MiB);
	TH_LOG("resident pages after 64 KiB: %ld plain, %ld with a 512-page hint",
	       plain, hinted);
	EXPECT_LT(plain, 256);
	EXPECT_LE(480, hinted);
	EXPECT_GE(600, hinted);
	close(fd2);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* NOCACHE: pages sent from are dropped from the cache afterwards. */
TEST_F(cold, nocache_drops_pages)
{
	struct nrtls_tls t;
	struct nrtls_peer peer = { 0 };
	uint64_t size = 1 * MiB, q;
	int ret;

	self->fd = nrtls_make_file(self->path, size, 32);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, fsync(self->fd));
	/*
	 * kTLS copies the data as it encrypts, so no page stays referenced by
	 * the network stack; with plain TCP the pages may still be in flight.
	 */
	ret = nrtls_tls_pair(&t, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256");
	if (ret == -EOPNOTSUPP)
		SKIP(return, "kTLS TX not available");
	ASSERT_EQ(0, ret);
	peer.fd = t.receiver;
	peer.ssl = t.cssl;
	peer.want = 2 * size;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	EXPECT_EQ(256, nrtls_resident_pages(self->fd, size));
	ASSERT_EQ(0, nrtls_sendfile(self->dev, t.sender, self->fd, 0, 0, NULL, 0,
				    NRTLS_SF_WAIT_SENT, &q));
	EXPECT_EQ(256, nrtls_resident_pages(self->fd, size));
	ASSERT_EQ(0, nrtls_sendfile(self->dev, t.sender, self->fd, 0, 0, NULL, 0,
				    NRTLS_SF_WAIT_SENT | NRTLS_SF_NOCACHE, &q));
	nrtls_peer_join(&peer);
	EXPECT_TRUE(nrtls_wait_idle(10000));
	EXPECT_EQ(0, nrtls_resident_pages(self->fd, size));
	EXPECT_EQ(2 * size, peer.got);
	nrtls_tls_close(&t);
}

/* The io_uring CQE comes when the data is queued, before it is read. */
TEST_F(cold, uring_cqe_before_read)
{
	struct nrtls_sendfile sf = {
		.sock_fd = self->snd, .hdr = (uintptr_t)hdr, .hdr_len = HLEN,
	};
	struct nrtls_peer peer = { .fd = self->rcv, .want = HLEN + 1 * MiB };
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	uint8_t want[SHA256_LEN];
	char *trace;
	int cqe_at, io;

	self->fd = cold_file(_metadata, self->path, 1 * MiB, 33);
	sf.file_fd = self->fd;
	ASSERT_EQ(0, sndbuf(self->snd, 16 * MiB));
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	ASSERT_EQ(0, nrtls_trace_start());
	nrtls_uring_prep_sendfile(io_uring_get_sqe(&ring), self->dev, &sf, 0);
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	nrtls_trace_mark("nrtls-test: cqe");
	EXPECT_EQ(HLEN + 1 * MiB, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	nrtls_peer_join(&peer);
	nrtls_expected_sha(33, 0, 1 * MiB, hdr, HLEN, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	trace = nrtls_trace_read();
	ASSERT_NE(NULL, trace);
	cqe_at = nrtls_trace_find(trace, 0, "nrtls-test: cqe");
	io = nrtls_trace_find(trace, 0, "nrtls_sf_io_done");
	EXPECT_LT(0, cqe_at);
	EXPECT_LT(cqe_at, io);
	free(trace);
	io_uring_queue_exit(&ring);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* With NRTLS_SF_WAIT_SENT the CQE comes once the data is handed to TCP. */
TEST_F(cold, uring_wait_sent_after_reads)
{
	struct nrtls_sendfile sf = {
		.sock_fd = self->snd, .flags = NRTLS_SF_WAIT_SENT,
	};
	struct nrtls_peer peer = { .fd = self->rcv, .want = 1 * MiB };
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	char *trace;
	int cqe_at, io;

	self->fd = cold_file(_metadata, self->path, 1 * MiB, 34);
	sf.file_fd = self->fd;
	ASSERT_EQ(0, sndbuf(self->snd, 16 * MiB));
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	ASSERT_EQ(0, nrtls_trace_start());
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	nrtls_uring_prep_sendfile(io_uring_get_sqe(&ring), self->dev, &sf, 0);
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	nrtls_trace_mark("nrtls-test: cqe");
	EXPECT_EQ(1 * MiB, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	nrtls_peer_join(&peer);
	trace = nrtls_trace_read();
	ASSERT_NE(NULL, trace);
	cqe_at = nrtls_trace_find(trace, 0, "nrtls-test: cqe");
	io = nrtls_trace_find_last(trace, "nrtls_sf_io_done");
	EXPECT_LT(0, io);
	EXPECT_LT(io, cqe_at);
	free(trace);
	io_uring_queue_exit(&ring);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/*
 * NRTLS_SF_SHUT_WR: the FIN goes behind the last byte, though the file's
 * reads complete after the call (a shutdown(2) now would overtake them).
 * Nothing may be queued behind it.
 */
TEST_F(cold, shut_wr_after_last_byte)
{
	struct nrtls_peer peer = { .fd = self->rcv };
	long shut = nrtls_read_stat("events", "sf_shutdowns");
	uint8_t want[SHA256_LEN];
	uint64_t q;

	self->fd = cold_file(_metadata, self->path, 4 * MiB, 36);
	ASSERT_EQ(0, sndbuf(self->snd, 16 * MiB));
	ASSERT_EQ(0, nrtls_sendfile(self->dev, self->snd, self->fd, 0, 0, hdr, HLEN,
				    NRTLS_SF_SHUT_WR, &q));
	EXPECT_EQ(HLEN + 4 * MiB, q);
	EXPECT_LT(0, reads_in_flight());
	EXPECT_EQ(-EPIPE, nrtls_sendfile(self->dev, self->snd, self->fd, 0, 0, hdr, HLEN,
					 0, &q));
	EXPECT_EQ(0, q);
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	nrtls_peer_join(&peer);
	EXPECT_EQ(0, peer.err);
	EXPECT_TRUE(peer.eof);
	EXPECT_EQ(HLEN + 4 * MiB, peer.got);
	nrtls_expected_sha(36, 0, 4 * MiB, hdr, HLEN, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_EQ(shut + 1, nrtls_read_stat("events", "sf_shutdowns"));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/*
 * Reads run as the submitter: a cold transfer from a process in its own
 * cgroup charges the page cache to that cgroup's memory and the reads to
 * its I/O, though most of them start after the call, from the module's
 * threads (the send buffer is small).
 */
TEST_F_TIMEOUT(cold, reads_charged_to_submitter_cgroup, 120)
{
	struct nrtls_peer peer = { .fd = self->rcv, .want = 4 * MiB };
	/*
	 * Page updates a read of memory.stat may not see: each CPU holds back
	 * up to 64, and the flush is skipped below 64 per CPU pending.
	 */
	long long stat_slack = 2 * 64 * 4096 * sysconf(_SC_NPROCESSORS_ONLN);
	long long charged, file, rbytes;
	char cg[128], why[128], dev[32];
	struct stat st;
	int status;
	pid_t pid;

	if (nrtls_cgroup_create(cg, sizeof(cg), "memory io", why, sizeof(why)))
		SKIP(return, "%s", why);
	ASSERT_EQ(0, stat(disk.dev, &st));
	snprintf(dev, sizeof(dev), "%u:%u ", major(st.st_rdev), minor(st.st_rdev));
	self->fd = cold_file(_metadata, self->path, 4 * MiB, 37);
	ASSERT_EQ(0, sndbuf(self->snd, 65536));
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint64_t q;

		if (nrtls_cgroup_enter(cg))
			_exit(1);
		_exit(nrtls_sendfile(self->dev, self->snd, self->fd, 0, 0, NULL, 0,
				     NRTLS_SF_WAIT_SENT, &q) ? 2 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	nrtls_peer_join(&peer);
	EXPECT_EQ(4 * MiB, peer.got);
	charged = nrtls_cgroup_read(cg, "memory.current", NULL, NULL);
	file = nrtls_cgroup_read(cg, "memory.stat", NULL, "file");
	rbytes = nrtls_cgroup_read(cg, "io.stat", dev, "rbytes");
	TH_LOG("cgroup: %lld bytes charged, %lld of page cache, %lld read from %s",
	       charged, file, rbytes, dev);
	/* The charge is exact; its memory.stat breakdown is flushed lazily. */
	EXPECT_LE((long long)(4 * MiB), charged);
	EXPECT_LE((long long)(4 * MiB) - stat_slack, file);
	EXPECT_LE((long long)(4 * MiB), rbytes);
	/* Drop the pages while they are charged here, then the cgroup. */
	nrtls_drop_cache(self->fd);
	nrtls_cgroup_destroy(cg);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* --- fault injection on the read path ------------------------------------ */

/*
 * With readahead skipped, the read job creates the folio and reads it
 * through ->read_folio; then each step of that path fails in turn.  All of
 * it happens after the call returned.  A folio left not up to date is
 * read once more (as filemap_update_page() does: FUSE readahead drops
 * folios when congested); any other failure aborts the connection.
 */
TEST_F(cold, read_path_faults)
{
	static const struct {
		const char *site;
		int count;
		const char *also;	/* armed for its first call */
		long retries;
		bool aborts;
	} cases[] = {
		{ NULL, 0, NULL, 0, false },	/* create the folio, ->read_folio */
		{ "folio_alloc", 1, NULL, 0, true },
		{ "read_folio", 1, NULL, 1, false },	/* read again: good */
		{ "read_folio", 1000, NULL, -1, true },	/* and again bad */
		{ "read_folio", 1, "retry_folio", 1, true },
		{ "io_error", 1, NULL, 0, true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long aborts = nrtls_read_stat("events", "sf_aborts");
		long retries = nrtls_read_stat("events", "sf_io_retries");
		int snd, rcv, err, ret;
		uint64_t q, got;

		TH_LOG("case: %s x%d %s", cases[i].site ?: "no readahead",
		       cases[i].count, cases[i].also ?: "");
		if (self->fd >= 0)
			close(self->fd);
		self->fd = cold_file(_metadata, self->path, 256 * 1024, 40 + i);
		ASSERT_EQ(0, nrtls_tcp_pair(&snd, &rcv));
		ASSERT_EQ(0, sndbuf(snd, 16 * MiB));
		ASSERT_EQ(0, nrtls_fault_arm("readahead", 1, 1000));
		if (cases[i].site)
			ASSERT_EQ(0, nrtls_fault_arm(cases[i].site, 1, cases[i].count));
		if (cases[i].also)
			ASSERT_EQ(0, nrtls_fault_arm(cases[i].also, 1, 1));
		ret = nrtls_sendfile(self->dev, snd, self->fd, 0, 0, hdr, HLEN, 0, &q);
		EXPECT_EQ(0, ret);
		EXPECT_EQ(HLEN + 256 * 1024, q);
		got = read_prefix(_metadata, rcv, q, 40 + i, &err);
		/* Only now: io_error strikes when the read completes. */
		nrtls_fault_cmd("reset");
		if (cases[i].aborts) {
			EXPECT_EQ(ECONNRESET, err);
			EXPECT_EQ(aborts + 1, nrtls_read_stat("events", "sf_aborts"));
		} else {
			EXPECT_EQ(0, err);
			EXPECT_EQ(q, got);
		}
		/* Every read failing: at least the first segment read again. */
		if (cases[i].retries < 0) {
			EXPECT_LT(retries, nrtls_read_stat("events", "sf_io_retries"));
		} else {
			EXPECT_EQ(retries + cases[i].retries,
				  nrtls_read_stat("events", "sf_io_retries"));
		}
		close(snd);
		close(rcv);
		EXPECT_TRUE(nrtls_wait_idle(10000));
	}
}

TEST_HARNESS_MAIN
