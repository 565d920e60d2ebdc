// SPDX-License-Identifier: GPL-2.0
/*
 * File systems whose ->read_folio waits for the read (FUSE, 9p): no
 * submitter waits for a read, on any file system.  Reads run on the
 * module's bounded read pool, the call returns before they complete, and
 * a hot request on another socket is not held up by them.  Gated FUSE
 * reads also give a read that stays pending for as long as a test likes:
 * a queue that fails meanwhile must complete new requests at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nrtls_disk.h"
#include "nrtls_fs.h"
#include "nrtls_net.h"
#include "nrtls_pattern.h"
#include "nrtls_test.h"

#define MiB (1024 * 1024ull)

static const char hdr[] = "HTTP/1.1 200 OK\r\n\r\n";
#define HLEN (sizeof(hdr) - 1)

static long reads_in_flight(void)
{
	return nrtls_read_stat("events", "sf_io_started") -
	       nrtls_read_stat("events", "sf_io_done");
}

/* The next line of the text at *@pos, into @buf; false at its end. */
static bool next_line(const char **pos, char *buf, size_t len)
{
	size_t n = strcspn(*pos, "\n");

	if (!**pos)
		return false;
	snprintf(buf, len, "%.*s", (int)n, *pos);
	*pos += n + !!(*pos)[n];
	return true;
}

/* The lines of @trace that say why a queue failed. */
static void log_errors(struct __test_metadata *_metadata, const char *trace)
{
	char buf[512];

	while (next_line(&trace, buf, sizeof(buf))) {
		if (strstr(buf, "nrtls_sf_error:") || strstr(buf, "nrtls_sf_abort:") ||
		    strstr(buf, "nrtls_sf_retry:") ||
		    (strstr(buf, "nrtls_sf_io_done:") && !strstr(buf, " err=0")))
			TH_LOG("%s", buf);
	}
}

/* Every read job in @trace ran in a thread other than @pid; how many. */
static int reads_not_by(struct __test_metadata *_metadata, const char *trace,
			pid_t pid)
{
	char me[32], buf[512];
	int n = 0;

	/* "comm-PID [cpu] ...": the thread that hit the tracepoint. */
	snprintf(me, sizeof(me), "-%d ", pid);
	while (next_line(&trace, buf, sizeof(buf))) {
		if (!strstr(buf, "nrtls_sf_read:"))
			continue;
		EXPECT_EQ(NULL, strstr(buf, me)) TH_LOG("read in the submitter: %s", buf);
		n++;
	}
	return n;
}

FIXTURE(fuse) {
	struct nrtls_slowfs fs;
	int dev, snd, rcv, fd;
	char path[160];
};

FIXTURE_SETUP(fuse)
{
	struct timeval tv = { .tv_sec = 60 };

	self->dev = self->snd = self->rcv = self->fd = -1;
	if (nrtls_slowfs_start(&self->fs, 100))
		SKIP(return, "%s", self->fs.skip);
	self->dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, nrtls_tcp_pair(&self->snd, &self->rcv));
	setsockopt(self->rcv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ASSERT_EQ(0, nrtls_fault_cmd("reset"));
}

FIXTURE_TEARDOWN(fuse)
{
	nrtls_fault_cmd("reset");
	nrtls_trace_stop();
	if (self->fd >= 0)
		close(self->fd);
	if (self->snd >= 0)
		close(self->snd);
	if (self->rcv >= 0)
		close(self->rcv);
	if (self->dev >= 0)
		close(self->dev);
	nrtls_slowfs_stop(&self->fs);
}

static int open_fs_file(struct nrtls_slowfs *fs, const char *kind, uint64_t size,
			uint32_t seed)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s-%llu-%u", fs->mnt, kind,
		 (unsigned long long)size, seed);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* The lines of debugfs "queues" for @sock's queue show it waiting for reads. */
static bool queue_shows(struct __test_metadata *_metadata, int sock, uint64_t total)
{
	struct sockaddr_in me, peer;
	socklen_t l1 = sizeof(me), l2 = sizeof(peer);
	char text[16384], key[96], want[64], *q, *end;
	size_t n;
	FILE *f;

	if (getsockname(sock, (struct sockaddr *)&me, &l1) ||
	    getpeername(sock, (struct sockaddr *)&peer, &l2))
		return false;
	f = fopen("/sys/kernel/debug/nrtls/queues", "r");
	if (!f)
		return false;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	snprintf(key, sizeof(key), "sq 127.0.0.1:%u 127.0.0.1:%u state=",
		 ntohs(me.sin_port), ntohs(peer.sin_port));
	q = strstr(text, key);
	if (!q) {
		TH_LOG("no line \"%s\" in:\n%s", key, text);
		return false;
	}
	/* Its block: up to the next queue's line. */
	end = strstr(q + 1, "\nsq ");
	if (end)
		end[1] = '\0';
	snprintf(want, sizeof(want), " total=%llu ", (unsigned long long)total);
	if (!strstr(q, "\n  req id=") || !strstr(q, want) ||
	    !strstr(q, "\n  seg notready kind=1 pos=") || !strstr(q, " io=")) {
		TH_LOG("%s", q);
		return false;
	}
	return true;
}

/*
 * Reads wait at the gate: the call still returns with everything queued,
 * and the read jobs ran on the pool, not in the caller.  The header waits
 * for the file's first bytes and goes out with them, not alone before.
 */
TEST_F(fuse, call_returns_before_read)
{
	struct nrtls_peer peer = { .fd = 0 };
	uint8_t want[SHA256_LEN];
	char *trace, buf[64];
	uint64_t q;

	self->fd = open_fs_file(&self->fs, "gated", 1 * MiB, 51);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, nrtls_trace_start());
	ASSERT_EQ(0, nrtls_sendfile(self->dev, self->snd, self->fd, 0, 0, hdr, HLEN, 0, &q));
	EXPECT_EQ(HLEN + 1 * MiB, q);
	EXPECT_LT(0, reads_in_flight());
	/* Nothing goes, not even the header: the file's reads are at the gate. */
	usleep(200 * 1000);
	EXPECT_EQ(-1, recv(self->rcv, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	/* debugfs "queues" shows the queue, the request and a read waiting. */
	EXPECT_TRUE(queue_shows(_metadata, self->snd, HLEN + 1 * MiB));

	nrtls_slowfs_gate(&self->fs, true);
	peer.fd = self->rcv;
	peer.want = HLEN + 1 * MiB;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	nrtls_peer_join(&peer);
	/* Seen twice on a loaded machine (6.12, 6.1): a reset after the header. */
	EXPECT_EQ(HLEN + 1 * MiB, peer.got)
		TH_LOG("peer: err %d (%s), eof %d", peer.err, strerror(peer.err), peer.eof);
	nrtls_expected_sha(51, 0, 1 * MiB, hdr, HLEN, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	trace = nrtls_trace_read();
	ASSERT_NE(NULL, trace);
	if (peer.got != HLEN + 1 * MiB)
		log_errors(_metadata, trace);
	EXPECT_LT(0, reads_not_by(_metadata, trace, getpid()));
	free(trace);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* A hot request on another socket goes out while cold reads wait. */
TEST_F(fuse, hot_request_not_delayed)
{
	struct nrtls_peer hot_peer = { .want = HLEN + 256 * 1024 };
	int hsnd, hrcv, hot;
	char path[64];
	uint64_t q;

	self->fd = open_fs_file(&self->fs, "gated", 1 * MiB, 52);
	ASSERT_LE(0, self->fd);
	snprintf(path, sizeof(path), "/tmp/nrtls-hot-%d", getpid());
	hot = nrtls_make_file(path, 256 * 1024, 53);
	ASSERT_LE(0, hot);
	unlink(path);
	ASSERT_EQ(0, nrtls_tcp_pair(&hsnd, &hrcv));

	ASSERT_EQ(0, nrtls_sendfile(self->dev, self->snd, self->fd, 0, 0, hdr, HLEN, 0, &q));
	EXPECT_LT(0, reads_in_flight());
	hot_peer.fd = hrcv;
	ASSERT_EQ(0, nrtls_peer_start(&hot_peer));
	ASSERT_EQ(0, nrtls_sendfile(self->dev, hsnd, hot, 0, 0, hdr, HLEN, 0, &q));
	nrtls_peer_join(&hot_peer);
	EXPECT_EQ(HLEN + 256 * 1024, hot_peer.got);
	/* ...and the cold reads are still at the gate. */
	EXPECT_LT(0, reads_in_flight());

	nrtls_slowfs_gate(&self->fs, true);
	close(hsnd);
	close(hrcv);
	close(hot);
	close(self->snd);
	self->snd = -1;
	EXPECT_TRUE(nrtls_wait_idle(30000));
}

/* Every read takes 100 ms: a file bigger than the send buffer arrives intact. */
TEST_F_TIMEOUT(fuse, slow_reads_intact, 300)
{
	struct nrtls_peer peer = { .want = 4 * MiB };
	uint8_t want[SHA256_LEN];
	int small = 65536;
	uint64_t q;

	self->fd = open_fs_file(&self->fs, "f", 4 * MiB, 54);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, setsockopt(self->snd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)));
	peer.fd = self->rcv;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	ASSERT_EQ(0, nrtls_sendfile(self->dev, self->snd, self->fd, 0, 0, NULL, 0, 0, &q));
	nrtls_peer_join(&peer);
	EXPECT_EQ(4 * MiB, peer.got);
	nrtls_expected_sha(54, 0, 4 * MiB, NULL, 0, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/*
 * The first read of each flaky file fails, as a readahead's may (FUSE's
 * drops the pages it skips when congested): the kernel's read() reads a
 * page itself when another read left it, and so does the queue.
 */
TEST_F(fuse, failed_read_read_again)
{
	long retries = nrtls_read_stat("events", "sf_io_retries");
	struct nrtls_peer peer = { .fd = -1, .want = 1 * MiB };
	uint8_t want[SHA256_LEN], *buf;
	uint64_t q;
	ssize_t n;
	int fd;

	/* read() first, as the reference: a failed first read is no error. */
	fd = open_fs_file(&self->fs, "flaky", 256 * 1024, 56);
	ASSERT_LE(0, fd);
	buf = malloc(256 * 1024);
	ASSERT_NE(NULL, buf);
	n = pread(fd, buf, 256 * 1024, 0);
	EXPECT_EQ(256 * 1024, n) TH_LOG("read(): %s", n < 0 ? strerror(errno) : "short");
	for (size_t i = 0; n == 256 * 1024 && i < (size_t)n; i++) {
		if (buf[i] != nrtls_file_byte(56, i)) {
			EXPECT_EQ(nrtls_file_byte(56, i), buf[i]) TH_LOG("byte %zu", i);
			break;
		}
	}
	free(buf);
	close(fd);

	self->fd = open_fs_file(&self->fs, "flaky", 1 * MiB, 57);
	ASSERT_LE(0, self->fd);
	peer.fd = self->rcv;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	ASSERT_EQ(0, nrtls_sendfile(self->dev, self->snd, self->fd, 0, 0, NULL, 0, 0, &q));
	nrtls_peer_join(&peer);
	EXPECT_EQ(1 * MiB, peer.got)
		TH_LOG("peer: err %d (%s), eof %d", peer.err, strerror(peer.err), peer.eof);
	nrtls_expected_sha(57, 0, 1 * MiB, NULL, 0, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_LT(retries, nrtls_read_stat("events", "sf_io_retries"));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/*
 * A queue fails (a read error) while another read is still pending: the
 * requests submitted after that complete at once with the queue's error,
 * through each caller, instead of waiting for ever.
 */
TEST_F_TIMEOUT(fuse, failed_queue_completes_new_requests, 120)
{
	struct timeval tmo = { .tv_sec = 10 };
	struct __kernel_timespec cqe_tmo = { .tv_sec = 10 };
	long errors = nrtls_read_stat("events", "sf_io_errors");
	struct nrtls_sendfile sf = { .sock_fd = self->snd };
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	char path[64], c;
	int sparse, i;
	uint64_t q;

	self->fd = open_fs_file(&self->fs, "gated", 64 * 1024, 55);
	ASSERT_LE(0, self->fd);
	snprintf(path, sizeof(path), "/tmp/nrtls-sparse-%d", getpid());
	sparse = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, sparse);
	unlink(path);
	ASSERT_EQ(0, ftruncate(sparse, 64 * 1024));
	/* A blocking caller that waited for ever would come back with EAGAIN. */
	ASSERT_EQ(0, setsockopt(self->snd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo)));

	/* A read stays pending at the gate... */
	ASSERT_EQ(0, nrtls_sendfile(self->dev, self->snd, self->fd, 0, 0, NULL, 0, 0, &q));
	/* ...while a hole's read (on the pool) fails: the queue fails. */
	ASSERT_EQ(0, nrtls_fault_arm("fallback_read", 1, 1));
	ASSERT_EQ(0, nrtls_sendfile(self->dev, self->snd, sparse, 0, 0, NULL, 0, 0, &q));
	for (i = 0; i < 500 && nrtls_read_stat("events", "sf_io_errors") == errors; i++)
		usleep(10000);
	ASSERT_LT(errors, nrtls_read_stat("events", "sf_io_errors"));
	ASSERT_LT(0, reads_in_flight());

	EXPECT_EQ(-EIO, nrtls_sendfile(self->dev, self->snd, sparse, 0, 0, hdr, HLEN, 0, &q));
	EXPECT_EQ(0, q);
	EXPECT_EQ(-EIO, nrtls_sendfile(self->dev, self->snd, sparse, 0, 0, hdr, HLEN,
				       NRTLS_SF_NOWAIT, &q));
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	sf.file_fd = sparse;
	nrtls_uring_prep_sendfile(io_uring_get_sqe(&ring), self->dev, &sf, 7);
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(0, io_uring_wait_cqe_timeout(&ring, &cqe, &cqe_tmo));
	EXPECT_EQ(-EIO, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	/* All of that while the first read was still at the gate. */
	EXPECT_LT(0, reads_in_flight());

	nrtls_slowfs_gate(&self->fs, true);
	EXPECT_TRUE(nrtls_wait_idle(30000));
	EXPECT_EQ(-1, send(self->snd, &c, 1, MSG_NOSIGNAL));
	EXPECT_EQ(EIO, errno);
	close(sparse);
}

#define OTHER_USER 4244
#define HOG_FILES 8

/*
 * Another user's read on the pool (a hole of its own memfd: shmem has no
 * ->read_folio), received within @secs: 0, or the step that failed.
 */
static int other_user_read(int secs)
{
	struct timeval tmo = { .tv_sec = secs };
	int dev, snd, rcv, fd;
	char buf[65536];
	size_t got = 0;
	ssize_t n;
	uint64_t q;

	if (nrtls_become_user(OTHER_USER))
		return 1;
	dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	fd = memfd_create("nrtls-hole", MFD_CLOEXEC);
	if (dev < 0 || fd < 0 || ftruncate(fd, sizeof(buf)) || nrtls_tcp_pair(&snd, &rcv))
		return 2;
	setsockopt(rcv, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	if (nrtls_sendfile(dev, snd, fd, 0, 0, NULL, 0, 0, &q) || q != sizeof(buf))
		return 3;
	while (got < sizeof(buf) && (n = recv(rcv, buf, sizeof(buf) - got, 0)) > 0)
		got += n;
	return got == sizeof(buf) ? 0 : 4;
}

/*
 * The read pool is shared by every user, and a FUSE daemon (which any
 * user can run, in a namespace of its own) decides when its reads end:
 * one user's reads that never end must not keep another user's reads
 * from the pool.  Each user has at most io_workers jobs on it at once.
 */
TEST_F_TIMEOUT(fuse, one_user_cannot_hold_the_read_pool, 120)
{
	int snd[HOG_FILES], rcv[HOG_FILES], fd[HOG_FILES], status;
	long started = nrtls_read_stat("events", "sf_read_jobs");
	long waits = nrtls_read_stat("events", "sf_pool_waits");
	pid_t pid;
	uint64_t q;

	for (int i = 0; i < HOG_FILES; i++) {
		/* Small: after the gate, each read still takes 100 ms. */
		fd[i] = open_fs_file(&self->fs, "gated", 64 * 1024, 60 + i);
		ASSERT_LE(0, fd[i]);
		ASSERT_EQ(0, nrtls_tcp_pair(&snd[i], &rcv[i]));
		ASSERT_EQ(0, nrtls_sendfile(self->dev, snd[i], fd[i], 0, 0, NULL, 0, 0, &q));
	}
	/* Reads for all of them were queued; none can end. */
	EXPECT_LE(started + HOG_FILES, nrtls_read_stat("events", "sf_read_jobs"));
	EXPECT_LT(0, reads_in_flight());
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(other_user_read(30));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the other user's read: step %d failed (4: not received in 30 s)",
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	/* ...and the first user's reads were at the gate all along. */
	EXPECT_LT(0, reads_in_flight());
	/* Past its share, they waited for their user's jobs, not in the pool. */
	EXPECT_LT(waits, nrtls_read_stat("events", "sf_pool_waits"));

	nrtls_slowfs_gate(&self->fs, true);
	for (int i = 0; i < HOG_FILES; i++) {
		close(snd[i]);
		close(rcv[i]);
		close(fd[i]);
	}
	EXPECT_TRUE(nrtls_wait_idle(60000));
}

/*
 * 9p (the VM's run directory): ->read_folio sends the read to the host and
 * waits.  The reads run on the pool, and the data arrives intact.
 */
TEST(p9_reads_on_the_pool)
{
	struct nrtls_peer peer = { .want = HLEN + 2 * MiB };
	uint8_t want[SHA256_LEN];
	char dir[128], path[192], *trace;
	int dev, snd, rcv, fd;
	uint64_t q;

	if (!nrtls_find_9p(dir, sizeof(dir)))
		SKIP(return, "no writable 9p mount (the VM's run directory is one)");
	snprintf(path, sizeof(path), "%s/nrtls-9p-%d", dir, getpid());
	fd = nrtls_make_file(path, 2 * MiB, 56);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, nrtls_drop_cache(fd));
	dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, nrtls_tcp_pair(&snd, &rcv));
	ASSERT_EQ(0, nrtls_trace_start());
	peer.fd = rcv;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	ASSERT_EQ(0, nrtls_sendfile(dev, snd, fd, 0, 0, hdr, HLEN, 0, &q));
	nrtls_peer_join(&peer);
	EXPECT_EQ(HLEN + 2 * MiB, peer.got);
	nrtls_expected_sha(56, 0, 2 * MiB, hdr, HLEN, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	trace = nrtls_trace_read();
	ASSERT_NE(NULL, trace);
	EXPECT_LT(0, reads_not_by(_metadata, trace, getpid()));
	free(trace);
	nrtls_trace_stop();
	close(snd);
	close(rcv);
	close(fd);
	unlink(path);
	close(dev);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"

/*
 * hugetlbfs: 2 MiB pages that its page cache (before 6.7) indexes in
 * huge pages.  Ranges inside either page and across both come out as
 * the file has them.
 */
TEST(hugetlbfs_ranges)
{
	static const struct { uint64_t off, len; } r[] = {
		{ 0, 8192 }, { 4096, 8192 }, { 2 * MiB - 4096, 8192 },
		{ 2 * MiB + 12345, 100000 }, { 0, 4 * MiB },
	};
	char dir[] = "/tmp/nrtls-huge-XXXXXX", path[64], old[32] = "";
	uint64_t size = 4 * MiB, q;
	int dev, snd, rcv, fd;
	uint8_t *map, *want;

	ASSERT_NE(NULL, mkdtemp(dir));
	if (nrtls_read_file(NR_HUGEPAGES, old, sizeof(old)) ||
	    nrtls_write_file(NR_HUGEPAGES, "2") ||
	    mount("none", dir, "hugetlbfs", 0, "pagesize=2M")) {
		int err = errno;

		if (old[0])
			nrtls_write_file(NR_HUGEPAGES, old);
		rmdir(dir);
		SKIP(return, "no 2 MiB hugetlbfs here (errno %d)", err);
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, size));
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		umount(dir);
		rmdir(dir);
		nrtls_write_file(NR_HUGEPAGES, old);
		SKIP(return, "no two huge pages free (errno %d)", errno);
	}
	nrtls_file_fill(57, 0, map, size);
	munmap(map, size);
	want = malloc(size);
	ASSERT_NE(NULL, want);
	dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, nrtls_tcp_pair(&snd, &rcv));
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		struct nrtls_peer peer = { .fd = rcv, .want = r[i].len, .keep = true };

		ASSERT_EQ(0, nrtls_peer_start(&peer));
		EXPECT_EQ(0, nrtls_sendfile(dev, snd, fd, r[i].off, r[i].len, NULL, 0, 0, &q));
		nrtls_peer_join(&peer);
		ASSERT_EQ(r[i].len, peer.got);
		nrtls_file_fill(57, r[i].off, want, r[i].len);
		EXPECT_EQ(0, memcmp(want, peer.data, r[i].len))
			TH_LOG("bytes %llu..+%llu", (unsigned long long)r[i].off,
			       (unsigned long long)r[i].len);
		free(peer.data);
	}
	free(want);
	close(snd);
	close(rcv);
	close(fd);
	close(dev);
	EXPECT_TRUE(nrtls_wait_idle(10000));
	unlink(path);
	EXPECT_EQ(0, umount(dir));
	rmdir(dir);
	nrtls_write_file(NR_HUGEPAGES, old);
}

TEST_HARNESS_MAIN
