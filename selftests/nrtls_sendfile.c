// SPDX-License-Identifier: GPL-2.0
/*
 * NRTLS_IOC_SENDFILE over plain TCP on loopback: argument checks, data
 * integrity for many sizes, offsets and headers, ordering of requests
 * queued back to back, send-buffer semantics (EAGAIN, partial counts,
 * poll), NODISKIO, NOCACHE, closing, and every fault-injection site.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include <openssl/evp.h>

#include "kselftest_harness.h"
#include "nrtls_disk.h"
#include "nrtls_net.h"
#include "nrtls_test.h"

#define MiB (1024 * 1024ull)

static const char hdr100[] =
	"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
	"Server: nrtls-selftest\r\nX-Pad: 0123456\r\n\r\n";

static void tmp_path(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "/tmp/nrtls-%s-%d", tag, getpid());
}

/* Receive with a timeout, so that missing data fails instead of hanging. */
static void rcvtimeo(int fd, int sec)
{
	struct timeval tv = { .tv_sec = sec };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

struct conn {
	int dev, snd, rcv, fd;
	char path[64];
};

static void conn_setup(struct __test_metadata *_metadata, struct conn *c)
{
	c->dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c->dev);
	ASSERT_EQ(0, nrtls_tcp_pair(&c->snd, &c->rcv));
	rcvtimeo(c->rcv, 60);
	tmp_path(c->path, sizeof(c->path), "sf");
	c->fd = -1;
}

static void conn_teardown(struct conn *c)
{
	close(c->snd);
	close(c->rcv);
	if (c->fd >= 0)
		close(c->fd);
	unlink(c->path);
	close(c->dev);
}

FIXTURE(arg) {
	struct conn c;
};

FIXTURE_SETUP(arg)
{
	conn_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(arg)
{
	conn_teardown(&self->c);
}

FIXTURE(sf) {
	struct conn c;
};

FIXTURE_SETUP(sf)
{
	conn_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(sf)
{
	conn_teardown(&self->c);
}

/* --- argument checks ----------------------------------------------------- */

TEST_F(arg, bad_fds)
{
	int ufd[2], pfd[2], dir, lfd, conn, wr;
	uint64_t q;

	self->c.fd = nrtls_make_file(self->c.path, 100, 1);
	ASSERT_LE(0, self->c.fd);

	EXPECT_EQ(-EBADF, nrtls_sendfile(self->c.dev, -1, self->c.fd, 0, 0, NULL, 0, 0, &q));
	EXPECT_EQ(-EBADF, nrtls_sendfile(self->c.dev, self->c.snd, -1, 0, 0, NULL, 0, 0, &q));
	/* Not a socket. */
	EXPECT_EQ(-ENOTSOCK, nrtls_sendfile(self->c.dev, self->c.fd, self->c.fd, 0, 0, NULL, 0, 0, &q));
	/* Not a regular file: a pipe, a directory, a character device. */
	ASSERT_EQ(0, pipe(pfd));
	EXPECT_EQ(-EINVAL, nrtls_sendfile(self->c.dev, self->c.snd, pfd[0], 0, 0, NULL, 0, 0, &q));
	dir = open("/tmp", O_RDONLY | O_DIRECTORY);
	EXPECT_EQ(-EINVAL, nrtls_sendfile(self->c.dev, self->c.snd, dir, 0, 0, NULL, 0, 0, &q));
	EXPECT_EQ(-EINVAL, nrtls_sendfile(self->c.dev, self->c.snd, self->c.dev, 0, 0, NULL, 0, 0, &q));
	/* Not readable. */
	wr = open(self->c.path, O_WRONLY);
	EXPECT_EQ(-EBADF, nrtls_sendfile(self->c.dev, self->c.snd, wr, 0, 0, NULL, 0, 0, &q));
	/* Sockets that are not TCP, or not connected. */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, ufd));
	EXPECT_EQ(-EOPNOTSUPP, nrtls_sendfile(self->c.dev, ufd[0], self->c.fd, 0, 0, NULL, 0, 0, &q));
	conn = socket(AF_INET, SOCK_DGRAM, 0);
	EXPECT_EQ(-EINVAL, nrtls_sendfile(self->c.dev, conn, self->c.fd, 0, 0, NULL, 0, 0, &q));
	close(conn);
	conn = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT_EQ(-ENOTCONN, nrtls_sendfile(self->c.dev, conn, self->c.fd, 0, 0, NULL, 0, 0, &q));
	lfd = socket(AF_INET6, SOCK_STREAM, 0);
	ASSERT_EQ(0, listen(lfd, 1));
	EXPECT_EQ(-ENOTCONN, nrtls_sendfile(self->c.dev, lfd, self->c.fd, 0, 0, NULL, 0, 0, &q));
	/* Shut down for writing. */
	ASSERT_EQ(0, shutdown(self->c.snd, SHUT_WR));
	EXPECT_EQ(-EPIPE, nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd, 0, 0, NULL, 0, 0, &q));
	EXPECT_EQ(0, q);

	close(conn);
	close(lfd);
	close(wr);
	close(dir);
	close(pfd[0]);
	close(pfd[1]);
	close(ufd[0]);
	close(ufd[1]);
	EXPECT_TRUE(nrtls_wait_idle(5000));
}

TEST_F(arg, bad_arguments)
{
	struct nrtls_sendfile sf;
	uint64_t q;

	self->c.fd = nrtls_make_file(self->c.path, 4096, 2);
	ASSERT_LE(0, self->c.fd);

#define EXPECT_SF_ERR(err, ...) do {					\
		memset(&sf, 0, sizeof(sf));				\
		sf.sock_fd = self->c.snd;					\
		sf.file_fd = self->c.fd;					\
		__VA_ARGS__;						\
		EXPECT_EQ(-1, ioctl(self->c.dev, NRTLS_IOC_SENDFILE, &sf));	\
		EXPECT_EQ(err, errno);					\
	} while (0)

	EXPECT_SF_ERR(EINVAL, sf.flags = 1u << 31);
	EXPECT_SF_ERR(EINVAL, sf.flags = NRTLS_SF_FLAGS + 1);
	EXPECT_SF_ERR(EINVAL, sf.reserved0 = 1);
	EXPECT_SF_ERR(EINVAL, sf.reserved[1] = 1);
	EXPECT_SF_ERR(EINVAL, sf.flags = NRTLS_SF_READAHEAD);
	EXPECT_SF_ERR(EINVAL, sf.readahead = 8);
	EXPECT_SF_ERR(EINVAL, sf.flags = NRTLS_SF_NOWAIT | NRTLS_SF_WAIT_SENT);
	EXPECT_SF_ERR(EINVAL, sf.hdr_len = NRTLS_SF_HDR_MAX + 1; sf.hdr = 1);
	EXPECT_SF_ERR(EFAULT, sf.hdr_len = 10; sf.hdr = 8);
	/* Offsets past the end, and ranges that overflow. */
	EXPECT_SF_ERR(EINVAL, sf.offset = 4097);
	EXPECT_SF_ERR(EINVAL, sf.offset = 1ull << 63);
	EXPECT_SF_ERR(EINVAL, sf.offset = 10; sf.count = ~0ull - 5);
	/* Older struct sizes are refused, newer ones need zeroes. */
	EXPECT_EQ(-1, ioctl(self->c.dev, _IOWR(NRTLS_IOC_MAGIC, 0x20, char[16]), &sf));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(0, nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd, 4096, 0, NULL, 0, 0, &q));
	EXPECT_EQ(0, q);
	EXPECT_TRUE(nrtls_wait_idle(5000));
}

/* --- data integrity ------------------------------------------------------ */

FIXTURE_VARIANT(sf) {
	uint64_t size;		/* bytes to send */
	uint64_t off;
	bool hdr;
	bool to_eof;		/* count 0 */
};

#define SIZE_VARIANTS(name, sz)						\
FIXTURE_VARIANT_ADD(sf, name) { .size = sz, .to_eof = true };		\
FIXTURE_VARIANT_ADD(sf, name##_off_hdr) { .size = sz, .off = 4097, .hdr = true }

SIZE_VARIANTS(s0, 0);
SIZE_VARIANTS(s1, 1);
SIZE_VARIANTS(s4095, 4095);
SIZE_VARIANTS(s4096, 4096);
SIZE_VARIANTS(s4097, 4097);
SIZE_VARIANTS(s1m7, MiB + 7);
SIZE_VARIANTS(s64m, 64 * MiB);

TEST_F_TIMEOUT(sf, integrity, 300)
{
	uint8_t want[SHA256_LEN];
	struct nrtls_peer peer = { .fd = self->c.rcv };
	const char *hdr = variant->hdr ? hdr100 : NULL;
	uint32_t hlen = variant->hdr ? sizeof(hdr100) - 1 : 0;
	uint64_t q;

	self->c.fd = nrtls_make_file(self->c.path, variant->off + variant->size, 7);
	ASSERT_LE(0, self->c.fd);
	nrtls_expected_sha(7, variant->off, variant->size, hdr, hlen, want);
	peer.want = hlen + variant->size;
	if (!peer.want) {
		/* Nothing to send: nothing arrives, the call still succeeds. */
		char c;

		ASSERT_EQ(0, nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd,
					    variant->off, 0, NULL, 0, 0, &q));
		EXPECT_EQ(0, q);
		EXPECT_EQ(-1, recv(self->c.rcv, &c, 1, MSG_DONTWAIT));
		EXPECT_EQ(EAGAIN, errno);
		EXPECT_TRUE(nrtls_wait_idle(10000));
		return;
	}
	ASSERT_EQ(0, nrtls_peer_start(&peer));

	ASSERT_EQ(0, nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd, variant->off,
				    variant->to_eof ? 0 : variant->size,
				    hdr, hlen, 0, &q));
	EXPECT_EQ(hlen + variant->size, q);
	nrtls_peer_join(&peer);
	EXPECT_EQ(0, peer.err);
	EXPECT_EQ(hlen + variant->size, peer.got);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/*
 * A resident file is queued in runs of folios, not a segment per page, and
 * handed to TCP in batches: both counts stay well under the page count
 * (one per page would be 2048 of each here).
 */
TEST_F(arg, resident_file_in_runs)
{
	uint64_t size = 8 * MiB, pages = size / 4096, q;
	struct nrtls_peer peer = { .fd = self->c.rcv, .want = size - 1000 };
	uint8_t want[SHA256_LEN];
	long segs, pushes;

	self->c.fd = nrtls_make_file(self->c.path, size, 8);
	ASSERT_LE(0, self->c.fd);
	segs = nrtls_read_stat("events", "sf_segments");
	pushes = nrtls_read_stat("events", "sf_pushes");
	ASSERT_LE(0, segs);
	ASSERT_LE(0, pushes);
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	ASSERT_EQ(0, nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd, 1000,
				    0, NULL, 0, 0, &q));
	EXPECT_EQ(size - 1000, q);
	nrtls_peer_join(&peer);
	nrtls_expected_sha(8, 1000, size - 1000, NULL, 0, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_TRUE(nrtls_wait_idle(10000));
	segs = nrtls_read_stat("events", "sf_segments") - segs;
	pushes = nrtls_read_stat("events", "sf_pushes") - pushes;
	TH_LOG("%llu pages in %ld segments and %ld pushes",
	       (unsigned long long)pages, segs, pushes);
	EXPECT_LT(0, segs);
	EXPECT_GE((long)pages / 4, segs);
	EXPECT_LT(0, pushes);
	EXPECT_GE((long)pages / 4, pushes);
}


/* --- ordering ------------------------------------------------------------ */

/*
 * Many requests queued back to back on one socket, each with its own
 * header and range, arrive in order.
 */
static void b2b_request(int i, uint64_t *off, uint64_t *len, char *hdr,
			size_t hsz, int *hl)
{
	*off = (i * 104729ull) % (2 * MiB);
	*len = (i * 7919) % 200000 ?: 1;	/* count 0 would mean "to EOF" */
	*hl = snprintf(hdr, hsz, "request %d: %llu+%llu\n", i,
		       (unsigned long long)*off, (unsigned long long)*len);
}

TEST_F_TIMEOUT(arg, back_to_back_in_order, 120)
{
	struct nrtls_peer peer = { .fd = self->c.rcv };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t want[SHA256_LEN];
	uint64_t total = 0, off, len, q;
	char hdr[64];
	int i, hl;

	self->c.fd = nrtls_make_file(self->c.path, 3 * MiB, 11);
	ASSERT_LE(0, self->c.fd);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (i = 0; i < 60; i++) {
		uint8_t *buf;

		b2b_request(i, &off, &len, hdr, sizeof(hdr), &hl);
		buf = malloc(len);
		for (uint64_t j = 0; j < len; j++)
			buf[j] = nrtls_file_byte(11, off + j);
		EVP_DigestUpdate(md, hdr, hl);
		EVP_DigestUpdate(md, buf, len);
		free(buf);
		total += hl + len;
	}
	EVP_DigestFinal_ex(md, want, NULL);
	EVP_MD_CTX_free(md);

	peer.want = total;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	for (i = 0; i < 60; i++) {
		b2b_request(i, &off, &len, hdr, sizeof(hdr), &hl);
		ASSERT_EQ(0, nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd,
					    off, len, hdr, hl, 0, &q));
		EXPECT_EQ(hl + len, q);
	}
	nrtls_peer_join(&peer);
	EXPECT_EQ(0, peer.err);
	EXPECT_EQ(peer.want, peer.got);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* --- file systems without ->read_folio ----------------------------------- */

/*
 * tmpfs has no ->read_folio: resident pages are sent from the page cache,
 * holes are read by the bounded workqueue (and read as zeroes).
 */
TEST_F(arg, tmpfs_holes_use_workqueue)
{
	uint64_t size = 1 * MiB, q;
	long fallback = nrtls_read_stat("events", "sf_fallback_reads");
	struct nrtls_peer peer = { .fd = self->c.rcv, .keep = true };
	uint8_t *want = calloc(1, size);
	char buf[4096];

	self->c.fd = open(self->c.path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, self->c.fd);
	ASSERT_EQ(0, ftruncate(self->c.fd, size));
	/* Data in the middle, holes around it. */
	for (uint64_t off = 256 * 1024; off < 512 * 1024; off += sizeof(buf)) {
		for (size_t i = 0; i < sizeof(buf); i++)
			want[off + i] = buf[i] = nrtls_file_byte(3, off + i);
		ASSERT_EQ(sizeof(buf), pwrite(self->c.fd, buf, sizeof(buf), off));
	}
	peer.want = size;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	ASSERT_EQ(0, nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd, 0, 0,
				    NULL, 0, 0, &q));
	nrtls_peer_join(&peer);
	ASSERT_EQ(size, peer.got);
	EXPECT_EQ(0, memcmp(want, peer.data, size));
	EXPECT_LE(fallback + 192, nrtls_read_stat("events", "sf_fallback_reads"));
	free(peer.data);
	free(want);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* NODISKIO sends what is in memory and stops with EBUSY at a hole. */
TEST_F(arg, nodiskio_stops_at_hole)
{
	struct nrtls_peer peer = { .fd = self->c.rcv, .want = 100 + 65536 };
	uint8_t want[SHA256_LEN];
	char buf[65536];
	uint64_t q;

	self->c.fd = open(self->c.path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, self->c.fd);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = nrtls_file_byte(4, i);
	ASSERT_EQ(sizeof(buf), pwrite(self->c.fd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, ftruncate(self->c.fd, 1 * MiB));
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	EXPECT_EQ(-EBUSY, nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd, 0, 0,
					 hdr100, 100, NRTLS_SF_NODISKIO, &q));
	EXPECT_EQ(100 + sizeof(buf), q);
	nrtls_peer_join(&peer);
	nrtls_expected_sha(4, 0, sizeof(buf), hdr100, 100, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	/* Resident data alone: everything, no error. */
	EXPECT_EQ(0, nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd, 0,
				    sizeof(buf), NULL, 0, NRTLS_SF_NODISKIO, &q));
	EXPECT_EQ(sizeof(buf), q);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* --- the send buffer ----------------------------------------------------- */

/* Fill a non-blocking socket whose peer does not read: EAGAIN, counts. */
static uint64_t fill_nonblocking(struct __test_metadata *_metadata,
				 struct conn *c, uint64_t size)
{
	uint64_t total = 0, q;
	int ret, sndbuf = 65536;

	ASSERT_EQ(0, setsockopt(c->snd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
	ASSERT_EQ(0, fcntl(c->snd, F_SETFL, O_NONBLOCK));
	for (;;) {
		ret = nrtls_sendfile(c->dev, c->snd, c->fd, total, size - total,
				     NULL, 0, 0, &q);
		total += q;
		if (ret == -EAGAIN && !q)
			break;
		ASSERT_TRUE(ret == 0 || ret == -EAGAIN) TH_LOG("ret %d", ret);
		ASSERT_LT(total, size) TH_LOG("a peer that does not read took it all");
	}
	return total;
}

TEST_F(arg, nonblocking_full_socket)
{
	uint64_t size = 32 * MiB, total, q;
	struct nrtls_peer peer = { .fd = self->c.rcv, .want = size };
	uint8_t want[SHA256_LEN];
	struct pollfd pfd = { .fd = self->c.snd, .events = POLLOUT };

	self->c.fd = nrtls_make_file(self->c.path, size, 5);
	ASSERT_LE(0, self->c.fd);
	total = fill_nonblocking(_metadata, &self->c, size);
	TH_LOG("%llu bytes accepted before EAGAIN", (unsigned long long)total);
	EXPECT_LT(0, total);
	/* The buffer is full: poll agrees. */
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	/* NOWAIT does the same on a blocking socket. */
	ASSERT_EQ(0, fcntl(self->c.snd, F_SETFL, 0));
	EXPECT_EQ(-EAGAIN, nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd,
					  total, 0, NULL, 0, NRTLS_SF_NOWAIT, &q));
	EXPECT_EQ(0, q);

	/* Once the peer reads, the rest goes through and all of it is right. */
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	ASSERT_EQ(0, nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd, total, 0,
				    NULL, 0, 0, &q));
	EXPECT_EQ(size - total, q);
	nrtls_peer_join(&peer);
	nrtls_expected_sha(5, 0, size, NULL, 0, want);
	EXPECT_EQ(size, peer.got);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* A blocking socket with SO_SNDTIMEO: EAGAIN and a partial count. */
TEST_F(arg, sndtimeo_partial)
{
	struct timeval tv = { .tv_usec = 300000 };
	uint64_t q;

	self->c.fd = nrtls_make_file(self->c.path, 16 * MiB, 6);
	ASSERT_LE(0, self->c.fd);
	ASSERT_EQ(0, setsockopt(self->c.snd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	EXPECT_EQ(-EAGAIN, nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd, 0, 0,
					  NULL, 0, 0, &q));
	EXPECT_LT(0, q);
	EXPECT_GT(16 * MiB, q);
}

/*
 * The application closed the socket and the peer takes nothing: the queue
 * gives up after orphan_timeout seconds without progress, as TCP gives up
 * on an orphan whose window stays shut, instead of pinning it for ever.
 */
TEST_F(arg, orphan_timeout)
{
	long timeouts = nrtls_read_stat("events", "sf_orphan_timeouts");
	struct nrtls_sendfile sf = { .sock_fd = self->c.snd };
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int small = 65536, err;
	char saved[16], buf[65536];
	ssize_t n;

	self->c.fd = nrtls_make_file(self->c.path, 8 * MiB, 7);
	ASSERT_LE(0, self->c.fd);
	ASSERT_EQ(0, nrtls_param_read("orphan_timeout", saved, sizeof(saved)));
	ASSERT_EQ(0, nrtls_param_write("orphan_timeout", "2"));
	ASSERT_EQ(0, setsockopt(self->c.snd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)));
	ASSERT_EQ(0, setsockopt(self->c.rcv, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	/* More than TCP will ever take: the rest waits in the queue. */
	sf.file_fd = self->c.fd;
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	nrtls_uring_prep_sendfile(io_uring_get_sqe(&ring), self->c.dev, &sf, 1);
	ASSERT_EQ(1, io_uring_submit(&ring));
	close(self->c.snd);
	self->c.snd = -1;
	/* Its command comes back with the part that was queued. */
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	EXPECT_LT(0, cqe->res);
	EXPECT_GT((int)(8 * MiB), cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	EXPECT_TRUE(nrtls_wait_idle(30000));
	EXPECT_EQ(timeouts + 1, nrtls_read_stat("events", "sf_orphan_timeouts"));
	nrtls_param_write("orphan_timeout", saved);
	/* The peer gets what TCP had, then the reset. */
	do {
		n = read(self->c.rcv, buf, sizeof(buf));
	} while (n > 0);
	err = n ? errno : 0;
	EXPECT_EQ(ECONNRESET, err);
}

/*
 * TCP_NOTSENT_LOWAT: TCP takes little at a time, and each time it has room
 * again it is the socket's wake-up that brings the next push, never the
 * periodic look.  The throughput with and without it is logged (a
 * benchmark, not asserted).
 */
TEST_F_TIMEOUT(arg, notsent_lowat_woken_by_the_socket, 600)
{
	const uint64_t size = 64 * MiB;
	double secs[2];

	self->c.fd = nrtls_make_file(self->c.path, size, 8);
	ASSERT_LE(0, self->c.fd);
	for (int lowat = 0; lowat < 2; lowat++) {
		long reaped = nrtls_read_stat("events", "sf_reaper_pushes");
		struct nrtls_peer peer = { .want = size };
		struct timespec t0, t1;
		int snd, rcv, v = 16384;
		uint8_t want[SHA256_LEN];
		uint64_t q;

		ASSERT_EQ(0, nrtls_tcp_pair(&snd, &rcv));
		if (lowat)
			ASSERT_EQ(0, setsockopt(snd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &v, sizeof(v)));
		peer.fd = rcv;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ASSERT_EQ(0, nrtls_peer_start(&peer));
		ASSERT_EQ(0, nrtls_sendfile(self->c.dev, snd, self->c.fd, 0, 0, NULL, 0,
					    NRTLS_SF_WAIT_SENT, &q));
		nrtls_peer_join(&peer);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs[lowat] = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		EXPECT_EQ(size, peer.got);
		nrtls_expected_sha(8, 0, size, NULL, 0, want);
		EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
		EXPECT_EQ(reaped, nrtls_read_stat("events", "sf_reaper_pushes"))
			TH_LOG("%s: pushes only the periodic look found",
			       lowat ? "NOTSENT_LOWAT 16 KiB" : "default");
		close(snd);
		close(rcv);
		EXPECT_TRUE(nrtls_wait_idle(10000));
	}
	TH_LOG("64 MiB: %.0f MB/s by default, %.0f MB/s with TCP_NOTSENT_LOWAT 16 KiB (%.2fx)",
	       size / 1e6 / secs[0], size / 1e6 / secs[1], secs[0] / secs[1]);
}

/*
 * As read(2) and write(2), one request takes at most MAX_RW_COUNT bytes
 * (2 GiB - 4 KiB), header included, so that its count always fits a CQE:
 * asked for 3 GiB, it takes on exactly that much (seen in its trace).
 */
TEST_F(arg, count_capped_at_max_rw_count)
{
	const uint64_t max_rw = 0x7ffff000;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int record_cmd = nrtls_trace_option("record-cmd");
	char *trace, want[64];
	uint64_t q;

	self->c.fd = open(self->c.path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, self->c.fd);
	ASSERT_EQ(0, ftruncate(self->c.fd, 3ull << 30));
	ASSERT_LE(0, record_cmd);
	ASSERT_EQ(0, nrtls_trace_start());
	EXPECT_EQ(0, nrtls_trace_option("record-cmd"));
	/* Some of it queued, then the peer's window is full; drop the rest. */
	EXPECT_EQ(-EAGAIN, nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd, 0, 0,
					  hdr100, sizeof(hdr100) - 1, NRTLS_SF_NOWAIT, &q));
	EXPECT_LT(0, q);
	ASSERT_EQ(0, setsockopt(self->c.snd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(self->c.snd);
	self->c.snd = -1;
	EXPECT_TRUE(nrtls_wait_idle(10000));
	trace = nrtls_trace_read();
	ASSERT_NE(NULL, trace);
	snprintf(want, sizeof(want), "total=%llu ", (unsigned long long)max_rw);
	EXPECT_LE(0, nrtls_trace_find(trace, 0, want)) TH_LOG("no request of %s", want);
	free(trace);
	nrtls_trace_stop();
	EXPECT_EQ(record_cmd, nrtls_trace_option("record-cmd"));
}

/* --- fault injection ----------------------------------------------------- */

FIXTURE(fault) {
	struct conn c;
};

FIXTURE_SETUP(fault)
{
	conn_setup(_metadata, &self->c);
	ASSERT_EQ(0, nrtls_fault_cmd("reset"));
	self->c.fd = nrtls_make_file(self->c.path, 1 * MiB, 10);
	ASSERT_LE(0, self->c.fd);
}

FIXTURE_TEARDOWN(fault)
{
	nrtls_fault_cmd("reset");
	conn_teardown(&self->c);
}

FIXTURE_VARIANT(fault) {
	const char *site;
	int nth;
	int err;		/* from the call */
	bool partial;		/* some bytes were accepted before */
	bool sparse;		/* holes: the workqueue path */
	bool aborts;		/* the connection is aborted */
};

FIXTURE_VARIANT_ADD(fault, sq_alloc) { .site = "sq_alloc", .nth = 1, .err = -ENOMEM };
FIXTURE_VARIANT_ADD(fault, req_alloc) { .site = "req_alloc", .nth = 1, .err = -ENOMEM };
FIXTURE_VARIANT_ADD(fault, hdr_alloc_1) { .site = "hdr_alloc", .nth = 1, .err = -ENOMEM };
FIXTURE_VARIANT_ADD(fault, hdr_alloc_3) { .site = "hdr_alloc", .nth = 3, .err = -ENOMEM };
FIXTURE_VARIANT_ADD(fault, hdr_array) { .site = "hdr_array", .nth = 1, .err = -ENOMEM };
FIXTURE_VARIANT_ADD(fault, seg_alloc_1) { .site = "seg_alloc", .nth = 1, .err = -ENOMEM };
FIXTURE_VARIANT_ADD(fault, seg_alloc_5) {
	.site = "seg_alloc", .nth = 5, .err = -ENOMEM, .partial = true,
};
FIXTURE_VARIANT_ADD(fault, buf_alloc) {
	.site = "buf_alloc", .nth = 2, .err = -ENOMEM, .partial = true, .sparse = true,
};
FIXTURE_VARIANT_ADD(fault, fallback_read) {
	.site = "fallback_read", .nth = 3, .partial = true, .sparse = true, .aborts = true,
};
FIXTURE_VARIANT_ADD(fault, push) { .site = "push", .nth = 1, .partial = true, .aborts = true };
FIXTURE_VARIANT_ADD(fault, push_later) {
	.site = "push", .nth = 4, .partial = true, .aborts = true,
};

/*
 * Each failure is reported or aborts the connection, frees everything
 * exactly once (counters back to zero, slub_debug quiet), and leaves a
 * working module behind.
 */
TEST_F(fault, site)
{
	char hdr[3 * 4096];
	struct nrtls_peer peer = { .fd = self->c.rcv, .keep = true };
	long aborts = nrtls_read_stat("events", "sf_aborts");
	long hits = nrtls_fault_hits(variant->site);
	uint64_t q;
	int ret;

	memset(hdr, 'h', sizeof(hdr));
	if (variant->sparse) {
		ASSERT_EQ(0, ftruncate(self->c.fd, 0));
		ASSERT_EQ(0, ftruncate(self->c.fd, 1 * MiB));
	}
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	ASSERT_EQ(0, nrtls_fault_arm(variant->site, variant->nth, 1));
	ret = nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd, 0, 0, hdr,
			     sizeof(hdr), 0, &q);
	TH_LOG("%s #%d: returned %d, %llu bytes queued", variant->site,
	       variant->nth, ret, (unsigned long long)q);
	/* A site that aborts may fail after the call returned (in a worker). */
	if (!variant->aborts) {
		EXPECT_EQ(hits + 1, nrtls_fault_hits(variant->site));
	}
	EXPECT_EQ(variant->err, ret);
	if (variant->partial) {
		EXPECT_LT(0, q);
	} else {
		EXPECT_EQ(0, q);
	}

	if (variant->aborts) {
		/* The peer sees a reset, the application EIO. */
		char c;

		nrtls_peer_join(&peer);
		EXPECT_EQ(hits + 1, nrtls_fault_hits(variant->site));
		EXPECT_EQ(ECONNRESET, peer.err);
		EXPECT_EQ(-1, send(self->c.snd, &c, 1, MSG_NOSIGNAL));
		EXPECT_EQ(EIO, errno);
		EXPECT_EQ(aborts + 1, nrtls_read_stat("events", "sf_aborts"));
		/* Whatever arrived is a correct prefix of the stream. */
		for (uint64_t i = 0; i < peer.got && i < sizeof(hdr); i++)
			ASSERT_EQ('h', peer.data[i]);
		for (uint64_t i = sizeof(hdr); i < peer.got; i++)
			ASSERT_EQ(variant->sparse ? 0 : nrtls_file_byte(10, i - sizeof(hdr)),
				  peer.data[i]);
	} else {
		/* The connection still works: send the whole file now. */
		uint8_t want[SHA256_LEN];

		/* shutdown() would overtake data still queued: wait for it. */
		EXPECT_EQ(0, nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd, 0, 0,
					    NULL, 0, NRTLS_SF_WAIT_SENT, NULL));
		shutdown(self->c.snd, SHUT_WR);
		nrtls_peer_join(&peer);
		EXPECT_EQ(0, peer.err);
		EXPECT_EQ(q + 1 * MiB, peer.got);
		nrtls_expected_sha(10, 0, 1 * MiB, NULL, 0, want);
		if (!q) {
			EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
		}
	}
	free(peer.data);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/*
 * The count cannot be written back: EFAULT, as write(2) would say, but the
 * request was accepted and all of it is sent.
 */
TEST_F(arg, fault_sf_copyout)
{
	struct nrtls_peer peer = { .fd = self->c.rcv, .want = 5 + 1 * MiB };
	long hits = nrtls_fault_hits("sf_copyout");
	uint8_t want[SHA256_LEN];
	uint64_t q = 7;

	self->c.fd = nrtls_make_file(self->c.path, 1 * MiB, 10);
	ASSERT_LE(0, self->c.fd);
	ASSERT_EQ(0, nrtls_fault_cmd("reset"));
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	ASSERT_EQ(0, nrtls_fault_arm("sf_copyout", 1, 1));
	EXPECT_EQ(-EFAULT, nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd, 0, 0,
					  "head\n", 5, 0, &q));
	EXPECT_EQ(hits + 1, nrtls_fault_hits("sf_copyout"));
	EXPECT_EQ(0, q);
	nrtls_peer_join(&peer);
	EXPECT_EQ(5 + 1 * MiB, peer.got);
	nrtls_expected_sha(10, 0, 1 * MiB, "head\n", 5, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_TRUE(nrtls_wait_idle(10000));
	nrtls_fault_cmd("reset");
}

/*
 * tmpfs has no ->read_folio, and its reads lock each folio that
 * fallocate() made and unlock it still not up to date.  A request that
 * finds such a folio locked must not wait on it for a read that nobody
 * does (its retry would call the missing ->read_folio): it copies the
 * file's zeros in.  A reader goes over the file's two pages all the
 * while, so that requests for them often find one locked.
 */
TEST_F(arg, tmpfs_fallocated_folios_under_reads)
{
	static const uint8_t zero[8192];
	struct nrtls_peer peer = { .fd = self->c.rcv };
	uint8_t want[SHA256_LEN];
	struct timespec t0, t;
	uint64_t queued;
	struct statfs fs;
	int n = 0, status;
	EVP_MD_CTX *md;
	pid_t pid;

	self->c.fd = open(self->c.path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, self->c.fd);
	ASSERT_EQ(0, fstatfs(self->c.fd, &fs));
	if (fs.f_type != TMPFS_MAGIC)
		SKIP(return, "%s is not on tmpfs", self->c.path);
	ASSERT_EQ(0, fallocate(self->c.fd, 0, 0, sizeof(zero)));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char buf[sizeof(zero)];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			if (pread(self->c.fd, buf, sizeof(buf), 0) < 0)
				_exit(1);
	}
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	md = EVP_MD_CTX_new();
	ASSERT_NE(NULL, md);
	ASSERT_EQ(1, EVP_DigestInit_ex(md, EVP_sha256(), NULL));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		ASSERT_EQ(0, nrtls_sendfile(self->c.dev, self->c.snd, self->c.fd, 0,
					    sizeof(zero), NULL, 0, 0, &queued));
		ASSERT_EQ(sizeof(zero), queued);
		EVP_DigestUpdate(md, zero, sizeof(zero));
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (++n < 20 || t.tv_sec - t0.tv_sec < 3);
	EVP_DigestFinal_ex(md, want, NULL);
	EVP_MD_CTX_free(md);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status)) TH_LOG("the reader failed: %#x", status);
	/* All of it with TCP first: the FIN must not overtake it. */
	EXPECT_TRUE(nrtls_wait_idle(30000));
	shutdown(self->c.snd, SHUT_WR);
	nrtls_peer_join(&peer);
	EXPECT_EQ(n * sizeof(zero), peer.got);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	TH_LOG("%d requests of %zu bytes, %ld retries", n, sizeof(zero),
	       nrtls_read_stat("events", "sf_io_retries"));
}

/* --- connecting sockets (seed 000's implied open) ------------------------ */

FIXTURE(connecting) {
	struct nrtls_netpair net;
	int dev, fd, lfd;
	char path[64];
};

FIXTURE_SETUP(connecting)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(8080) };

	self->lfd = -1;
	self->dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	tmp_path(self->path, sizeof(self->path), "conn");
	self->fd = nrtls_make_file(self->path, 8192, 12);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, nrtls_netpair_setup(&self->net));
	/* Slow the peer's answers (SYN-ACK or RST) to hold us in SYN_SENT. */
	ASSERT_EQ(0, nrtls_sh("ip netns exec %s tc qdisc add dev nrt-b root netem delay 300ms",
			      self->net.ns_b));
	ASSERT_EQ(0, nrtls_netns_enter(self->net.fd_b));
	self->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->lfd);
	inet_pton(AF_INET, "192.0.2.2", &sin.sin_addr);
	ASSERT_EQ(0, bind(self->lfd, (void *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(self->lfd, 1));
	ASSERT_EQ(0, nrtls_netns_enter(self->net.fd_a));
}

FIXTURE_TEARDOWN(connecting)
{
	if (self->lfd >= 0)
		close(self->lfd);
	nrtls_netpair_teardown(&self->net);
	close(self->fd);
	unlink(self->path);
	close(self->dev);
}

static int connect_nonblocking(struct __test_metadata *_metadata, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, "192.0.2.2", &sin.sin_addr);
	EXPECT_EQ(-1, connect(fd, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EINPROGRESS, errno);
	EXPECT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len));
	EXPECT_EQ(TCP_SYN_SENT, ti.tcpi_state);
	return fd;
}

/* Queued while connecting, sent once the connection is up. */
TEST_F(connecting, sent_once_connected)
{
	struct pollfd pfd = { .events = POLLOUT };
	struct nrtls_peer peer = { .want = 100 + 8192 };
	uint8_t want[SHA256_LEN];
	uint64_t q;
	int s = connect_nonblocking(_metadata, 8080);

	EXPECT_EQ(0, nrtls_sendfile(self->dev, s, self->fd, 0, 0, hdr100, 100, 0, &q));
	EXPECT_EQ(100 + 8192, q);
	EXPECT_LT(0, nrtls_read_stat("counters", "segments"));
	ASSERT_EQ(0, nrtls_netns_enter(self->net.fd_b));
	peer.fd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, peer.fd);
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	nrtls_peer_join(&peer);
	nrtls_expected_sha(12, 0, 8192, hdr100, 100, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	pfd.fd = s;
	EXPECT_EQ(1, poll(&pfd, 1, 5000));
	close(peer.fd);
	close(s);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* A failed connect leaves nothing queued, and the error is the connect's. */
TEST_F(connecting, failed_connect_leaves_nothing)
{
	struct pollfd pfd = { .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0, s = connect_nonblocking(_metadata, 8081);
	uint64_t q;

	EXPECT_EQ(0, nrtls_sendfile(self->dev, s, self->fd, 0, 0, hdr100, 100, 0, &q));
	EXPECT_LT(0, nrtls_read_stat("counters", "segments"));
	pfd.fd = s;
	EXPECT_EQ(1, poll(&pfd, 1, 5000));
	EXPECT_TRUE(nrtls_wait_idle(5000));
	EXPECT_EQ(0, getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(ECONNREFUSED, err);
	/* Nothing was sent, nothing is left, no abort was needed. */
	EXPECT_EQ(0, nrtls_read_stat("counters", "segments"));
	close(s);
}

TEST_HARNESS_MAIN
