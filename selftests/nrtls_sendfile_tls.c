// SPDX-License-Identifier: GPL-2.0
/*
 * NRTLS_IOC_SENDFILE on kernel-TLS sockets (software kTLS TX set up by
 * OpenSSL), read by an unmodified OpenSSL client: every size, offset and
 * header for each version and cipher the kernel offers; and the same
 * page-cache pages sent at once on two connections with different keys
 * (seed 002: shared pages are never encrypted in place).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <linux/tcp.h>

#include <openssl/evp.h>

#include "kselftest_harness.h"
#include "nrtls_net.h"
#include "nrtls_test.h"

#define MiB (1024 * 1024ull)

static const char hdr[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n";
#define HLEN (sizeof(hdr) - 1)

static const uint64_t sizes[] = { 0, 1, 4095, 4096, 4097, MiB + 7, 64 * MiB };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
#define OFF 4097

/* One data file for the whole binary (the tests only read it). */
static char data_path[64];
static int data_fd = -1;
static pid_t data_owner;

/*
 * What all_sizes sends, the same for every cipher: hash it once, with the
 * 64 MiB (sent with one cipher of each TLS version: its cost is not the
 * cipher's) and without it.
 */
static uint8_t all_sizes_sha[2][SHA256_LEN];
static uint64_t all_sizes_total[2];

static void __attribute__((constructor)) data_setup(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *buf = malloc(MiB);

	data_owner = getpid();
	snprintf(data_path, sizeof(data_path), "/tmp/nrtls-tls-%d", getpid());
	data_fd = nrtls_make_file(data_path, OFF + 64 * MiB, 51);

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (size_t i = 0; i < 2 * NSIZES; i++) {
		uint64_t off = i % 2 ? OFF : 0, len = sizes[i / 2];

		if (i == 2 * (NSIZES - 1)) {
			EVP_MD_CTX *small = EVP_MD_CTX_new();

			EVP_MD_CTX_copy_ex(small, md);
			EVP_DigestFinal_ex(small, all_sizes_sha[0], NULL);
			EVP_MD_CTX_free(small);
			all_sizes_total[0] = all_sizes_total[1];
		}
		if (i % 2) {
			EVP_DigestUpdate(md, hdr, HLEN);
			all_sizes_total[1] += HLEN;
		}
		for (uint64_t done = 0; done < len;) {
			uint64_t n = len - done < MiB ? len - done : MiB;

			nrtls_file_fill(51, off + done, buf, n);
			EVP_DigestUpdate(md, buf, n);
			done += n;
		}
		all_sizes_total[1] += len;
	}
	EVP_DigestFinal_ex(md, all_sizes_sha[1], NULL);
	EVP_MD_CTX_free(md);
	free(buf);
}

static void __attribute__((destructor)) data_teardown(void)
{
	if (getpid() == data_owner)
		unlink(data_path);
}

FIXTURE(tls) {
	struct nrtls_tls t;
	int dev, fd;
};

FIXTURE_VARIANT(tls) {
	int version;
	const char *cipher;
	bool big;	/* all_sizes goes up to 64 MiB */
};

FIXTURE_VARIANT_ADD(tls, tls12_aes128) {
	.version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256", .big = true };
FIXTURE_VARIANT_ADD(tls, tls12_aes256) {
	.version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES256-GCM-SHA384" };
FIXTURE_VARIANT_ADD(tls, tls12_chacha) {
	.version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-CHACHA20-POLY1305" };
FIXTURE_VARIANT_ADD(tls, tls13_aes128) {
	.version = TLS1_3_VERSION, .cipher = "TLS_AES_128_GCM_SHA256", .big = true };
FIXTURE_VARIANT_ADD(tls, tls13_aes256) {
	.version = TLS1_3_VERSION, .cipher = "TLS_AES_256_GCM_SHA384" };
FIXTURE_VARIANT_ADD(tls, tls13_chacha) {
	.version = TLS1_3_VERSION, .cipher = "TLS_CHACHA20_POLY1305_SHA256" };

FIXTURE_SETUP(tls)
{
	int ret;

	self->fd = -1;
	self->dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	ASSERT_LE(0, data_fd);
	self->fd = dup(data_fd);
	ret = nrtls_tls_pair(&self->t, variant->version, variant->cipher);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "the kernel's kTLS does not offload %s for TX", variant->cipher);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(tls)
{
	nrtls_tls_close(&self->t);
	if (self->fd >= 0)
		close(self->fd);
	close(self->dev);
}

/*
 * Every size, once from offset 0 without a header and once from an odd
 * offset with one, back to back on one connection (64 MiB with AES-128
 * only).
 */
TEST_F_TIMEOUT(tls, all_sizes, 600)
{
	struct nrtls_peer peer = { .fd = self->t.receiver, .ssl = self->t.cssl };
	int big = variant->big;
	uint64_t total = all_sizes_total[big], q;
	size_t i, n = 2 * (NSIZES - !big);
	int h;

	peer.want = total;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	for (i = 0; i < n; i++) {
		uint64_t off = i % 2 ? OFF : 0, len = sizes[i / 2];

		h = i % 2 ? HLEN : 0;
		if (!len && !h)
			continue;
		/* count 0 is "to the end", so ask for len bytes explicitly... */
		if (!len) {
			ASSERT_EQ(0, nrtls_sendfile(self->dev, self->t.sender, self->fd,
						    OFF + 64 * MiB, 0, hdr, h, 0, &q));
		} else {
			ASSERT_EQ(0, nrtls_sendfile(self->dev, self->t.sender, self->fd,
						    off, len, h ? hdr : NULL, h, 0, &q));
		}
		EXPECT_EQ(h + len, q);
	}
	nrtls_peer_join(&peer);
	EXPECT_EQ(0, peer.err);
	EXPECT_EQ(total, peer.got);
	EXPECT_EQ(0, memcmp(all_sizes_sha[big], peer.sha, SHA256_LEN));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* A send by OpenSSL itself, then ours: the record stream stays intact. */
TEST_F(tls, mixed_with_ssl_write)
{
	struct nrtls_peer peer = { .fd = self->t.receiver, .ssl = self->t.cssl };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t want[SHA256_LEN], buf[100000];
	uint64_t q;

	for (size_t j = 0; j < sizeof(buf); j++)
		buf[j] = nrtls_file_byte(51, j);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, "before\n", 7);
	EVP_DigestUpdate(md, buf, sizeof(buf));
	EVP_DigestUpdate(md, "after\n", 6);
	EVP_DigestFinal_ex(md, want, NULL);
	EVP_MD_CTX_free(md);

	peer.want = 7 + sizeof(buf) + 6;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	ASSERT_EQ(7, SSL_write(self->t.sssl, "before\n", 7));
	ASSERT_EQ(0, nrtls_sendfile(self->dev, self->t.sender, self->fd, 0, sizeof(buf),
				    NULL, 0, NRTLS_SF_WAIT_SENT, &q));
	ASSERT_EQ(6, SSL_write(self->t.sssl, "after\n", 6));
	nrtls_peer_join(&peer);
	EXPECT_EQ(peer.want, peer.got);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

static void file_sha(int fd, uint64_t len, uint8_t *out)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t buf[1 << 16];
	uint64_t off = 0;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (off < len) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);

		if (n <= 0)
			break;
		EVP_DigestUpdate(md, buf, n);
		off += n;
	}
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
}

/* SHA-256 of @copies copies of pattern bytes [0, @len), @len in MiB. */
static void repeated_sha(uint64_t len, int copies, uint8_t *out)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *buf = malloc(MiB);

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (int i = 0; i < copies; i++) {
		for (uint64_t done = 0; done < len; done += MiB) {
			nrtls_file_fill(51, done, buf, MiB);
			EVP_DigestUpdate(md, buf, MiB);
		}
	}
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
	free(buf);
}

/*
 * Seed 002: the same page-cache pages on two kTLS connections with
 * different keys at the same time.  Both peers decrypt the plaintext, and
 * the file is unchanged afterwards: nobody encrypted the shared pages in
 * place.
 */
TEST_F_TIMEOUT(tls, shared_pages_two_keys, 300)
{
	struct nrtls_tls t2;
	struct nrtls_peer p1 = { .fd = self->t.receiver, .ssl = self->t.cssl };
	struct nrtls_peer p2 = { 0 };
	uint8_t before[SHA256_LEN], after[SHA256_LEN], want[SHA256_LEN];
	uint64_t len = 8 * MiB, q;
	int i;

	ASSERT_EQ(0, nrtls_tls_pair(&t2, variant->version, variant->cipher));
	file_sha(self->fd, OFF + len, before);
	p2.fd = t2.receiver;
	p2.ssl = t2.cssl;
	p1.want = p2.want = 2 * len;
	ASSERT_EQ(0, nrtls_peer_start(&p1));
	ASSERT_EQ(0, nrtls_peer_start(&p2));
	/* Interleave the two sockets so their records share the pages. */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, nrtls_sendfile(self->dev, self->t.sender, self->fd, 0, len,
					    NULL, 0, 0, &q));
		ASSERT_EQ(0, nrtls_sendfile(self->dev, t2.sender, self->fd, 0, len,
					    NULL, 0, 0, &q));
	}
	nrtls_peer_join(&p1);
	nrtls_peer_join(&p2);
	EXPECT_EQ(2 * len, p1.got);
	EXPECT_EQ(2 * len, p2.got);
	/* Two copies of the range each. */
	repeated_sha(len, 2, want);
	EXPECT_EQ(0, memcmp(want, p1.sha, SHA256_LEN));
	EXPECT_EQ(0, memcmp(want, p2.sha, SHA256_LEN));
	file_sha(self->fd, OFF + len, after);
	EXPECT_EQ(0, memcmp(before, after, SHA256_LEN));
	nrtls_tls_close(&t2);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* TCP_INFO into @ti: the bytes the kernel filled, or -1. */
static long tcp_info_read(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len))
		return -1;
	return len;
}

#define TCP_INFO_HAS(len, field) \
	((len) >= (long)(offsetof(struct tcp_info, field) + sizeof(((struct tcp_info *)0)->field)))

/* TCP_INFO's count of data packets sent; -1 if it cannot be read. */
static int64_t data_segs_out(int fd)
{
	struct tcp_info ti;

	if (!TCP_INFO_HAS(tcp_info_read(fd, &ti), tcpi_data_segs_out))
		return -1;
	return ti.tcpi_data_segs_out;
}

static int tcp_opt(int fd, int opt)
{
	socklen_t len = sizeof(int);
	int v = -1;

	if (getsockopt(fd, IPPROTO_TCP, opt, &v, &len))
		return -1;
	return v;
}

/*
 * Send the first @hlen bytes of hdr and [off, off + len) through nrtls to a
 * reading peer and check them.
 */
static int send_checked(struct __test_metadata *_metadata, FIXTURE_DATA(tls) *self,
			uint64_t off, uint64_t len, size_t hlen)
{
	struct nrtls_peer peer = {
		.fd = self->t.receiver, .ssl = self->t.cssl, .want = hlen + len,
	};
	const char *h = hlen ? hdr : NULL;
	uint8_t want[SHA256_LEN];
	uint64_t q;
	int ret;

	if (nrtls_peer_start(&peer))
		return -1;
	ret = nrtls_sendfile(self->dev, self->t.sender, self->fd, off, len, h, hlen, 0, &q);
	EXPECT_EQ(0, ret);
	if (ret)	/* the peer would wait for bytes that never come */
		shutdown(self->t.sender, SHUT_WR);
	nrtls_peer_join(&peer);
	EXPECT_EQ(hlen + len, peer.got);
	nrtls_expected_sha(51, off, len, h, hlen, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	return peer.got == hlen + len ? 0 : -1;
}

/*
 * On 6.2+ a push is one sendmsg() without MSG_MORE, and kTLS pushes each
 * record to TCP as it closes it: on a TCP_NODELAY socket (nrtls-serve's)
 * every 16 KiB record left as a packet of its own whenever TCP could send
 * at once.  A push now corks the socket until it ends, so over loopback
 * (64 KiB packets) there are fewer data packets than records (before: about
 * 1.5 per record, now about a third), and the socket is not left corked.
 * Each round starts with nothing in flight after a warm-up has opened the
 * windows, so that TCP is not what holds records back.
 */
TEST_F_TIMEOUT(tls, records_share_packets, 120)
{
	const uint64_t chunk = MiB / 4, rounds = 32, records = rounds * chunk / 16384;
	int one = 1, sndbuf = 4 * MiB;
	int64_t before, after;

	ASSERT_EQ(0, setsockopt(self->t.sender, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	ASSERT_EQ(0, setsockopt(self->t.sender, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
	ASSERT_EQ(0, send_checked(_metadata, self, 0, 8 * MiB, 0));
	before = data_segs_out(self->t.sender);
	ASSERT_LE(0, before);
	for (uint64_t i = 0; i < rounds; i++)
		ASSERT_EQ(0, send_checked(_metadata, self, 8 * MiB + i * chunk, chunk, 0));
	after = data_segs_out(self->t.sender);
	ASSERT_LE(before, after);
	TH_LOG("%lld data packets for %llu full records", (long long)(after - before),
	       (unsigned long long)records);
	EXPECT_GT(records, (uint64_t)(after - before));
	EXPECT_EQ(0, tcp_opt(self->t.sender, TCP_CORK));
	EXPECT_EQ(1, tcp_opt(self->t.sender, TCP_NODELAY));
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* Bytes TCP has sent once, retransmissions left out; -1 if unreadable. */
static int64_t bytes_sent_once(int fd)
{
	struct tcp_info ti;

	if (!TCP_INFO_HAS(tcp_info_read(fd, &ti), tcpi_bytes_retrans))
		return -1;
	return ti.tcpi_bytes_sent - ti.tcpi_bytes_retrans;
}

/*
 * kTLS closes a record at the end of every call.  A push is cut into calls
 * of at most 33 folios, and a request bigger than the send buffer is queued
 * and pushed in parts as room comes.  Every call but a request's last ends
 * on a record boundary (before, each call and each push ended in a short
 * record: 67-69 records for 1 MiB instead of 65), and the first such call
 * ends where the file's bytes start a page, so that AES-GCM gets whole
 * pages in every record after it.  A request is therefore its header, its
 * bytes and how far they sit off a page, in full records.  The offsets and
 * lengths are such that the realigning record costs one more record than
 * the fewest possible in half of the rounds.  Records are counted by the
 * bytes TCP sent, less the payload, over one record's overhead, which a
 * 1-byte send measures first.
 */
TEST_F_TIMEOUT(tls, records_full_across_calls, 120)
{
	const uint64_t page = sysconf(_SC_PAGESIZE);
	int64_t before, after, overhead;

	before = bytes_sent_once(self->t.sender);
	ASSERT_LE(0, before);
	ASSERT_EQ(0, send_checked(_metadata, self, 0, 1, 0));
	after = bytes_sent_once(self->t.sender);
	overhead = after - before - 1;
	ASSERT_LT(0, overhead);
	for (uint64_t i = 0; i < 8; i++) {
		uint64_t off = OFF + i * (3 * MiB + 512), len = MiB + 14336 + i * 7;
		uint64_t h = i % 2 ? HLEN : 0, sent = h + len;
		uint64_t want = (sent + (off - h) % page + 16383) / 16384;
		int64_t records;

		before = after;
		ASSERT_EQ(0, send_checked(_metadata, self, off, len, h));
		after = bytes_sent_once(self->t.sender);
		ASSERT_EQ(0, (after - before - (int64_t)sent) % overhead);
		records = (after - before - (int64_t)sent) / overhead;
		TH_LOG("%llu + %llu bytes from %llu: %lld records of %lld-byte overhead, want %llu",
		       (unsigned long long)h, (unsigned long long)len, (unsigned long long)off,
		       (long long)records, (long long)overhead, (unsigned long long)want);
		EXPECT_EQ(want, (uint64_t)records);
	}
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

/* The application's own TCP_CORK is its own: a push leaves it set. */
TEST_F(tls, application_cork_kept)
{
	struct nrtls_peer peer = { .fd = self->t.receiver, .ssl = self->t.cssl };
	int one = 1, zero = 0;
	uint64_t q;

	ASSERT_EQ(0, setsockopt(self->t.sender, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)));
	peer.want = 100000;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	ASSERT_EQ(0, nrtls_sendfile(self->dev, self->t.sender, self->fd, 0, peer.want,
				    NULL, 0, NRTLS_SF_WAIT_SENT, &q));
	EXPECT_EQ(1, tcp_opt(self->t.sender, TCP_CORK));
	ASSERT_EQ(0, setsockopt(self->t.sender, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero)));
	nrtls_peer_join(&peer);
	EXPECT_EQ(peer.want, peer.got);
	EXPECT_TRUE(nrtls_wait_idle(10000));
}

TEST_HARNESS_MAIN
