// SPDX-License-Identifier: GPL-2.0
/*
 * Stock kTLS transmit, in software and through the emulated NIC's TX
 * offload, checked from the wire: the families of FreeBSD's
 * tests/sys/kern/ktls_test.c (short and long records, control records,
 * empty writes, sendfile, unsupported settings) and of Linux's
 * selftests/net/tls.c (MSG_MORE, iovecs, splice, getsockopt, shutdown,
 * close with records queued, refused flags and control messages), for each
 * version and cipher.
 *
 * The writer is a kTLS TX socket; the reader is plain TCP and opens each
 * record itself with OpenSSL's AEADs from the same key material, so that a
 * record cut, typed, numbered or sealed wrongly fails here however the
 * kernel's own receive side would take it.  The NIC variant puts the writer
 * in a namespace behind the emulated NIC pair (mlx5, TX offload on) and the
 * reader behind its peer: the records on the wire are the NIC's.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nrtls_net.h"
#include "nrtls_nic.h"
#include "nrtls_record.h"
#include "nrtls_test.h"

#define REC_BUF (NRTLS_HDR_LEN + 8 + NRTLS_REC_MAX + 256 + NRTLS_TAG_LEN)
#define BIG	(3 * NRTLS_REC_MAX + 5)

/* Stock kTLS only: runs without the module too (but for the NIC variant). */
bool nrtls_test_needs_module(void)
{
	return false;
}

/*
 * Without kTLS the whole binary skips, saying so.  OpenSSL loads its
 * configuration and fetches each cipher on first use: done once here,
 * every test's process inherits it instead of paying about a second each
 * in the VM.
 */
static void __attribute__((constructor)) setup_once(void)
{
	nrtls_need_ktls();
	nrtls_record_warm();
}

/* sendmsg() of @len bytes with a TLS_SET_RECORD_TYPE of @type. */
static ssize_t send_typed(int fd, uint8_t type, const void *buf, size_t len, int flags)
{
	char cbuf[CMSG_SPACE(sizeof(uint8_t))] = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_TLS;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(sizeof(uint8_t));
	*CMSG_DATA(cm) = type;
	return sendmsg(fd, &msg, flags);
}

FIXTURE(tx) {
	struct nrtls_keys k;	/* the writer's, as given to the kernel */
	struct nrtls_keys peer;	/* the reader's copy: its record number */
	int tx, rx;		/* tx: kTLS TX into rx, plain TCP */
	struct nrtls_nicnet net;	/* for the NIC variant */
	uint8_t rec[REC_BUF];
	uint8_t in[BIG], out[BIG + NRTLS_REC_MAX + 256];	/* a record opened at its end */
};

FIXTURE_VARIANT(tx) {
	int version;
	int cipher;
	bool nic;		/* through the emulated NIC, which encrypts */
};

FIXTURE_VARIANT_ADD(tx, tls12_aes_gcm_128) {
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_128,
};
FIXTURE_VARIANT_ADD(tx, tls12_aes_gcm_256) {
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_256,
};
FIXTURE_VARIANT_ADD(tx, tls12_chacha20) {
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_CHACHA20_POLY1305,
};
FIXTURE_VARIANT_ADD(tx, tls12_aes_gcm_128_nic) {
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_128, .nic = true,
};
FIXTURE_VARIANT_ADD(tx, tls13_aes_gcm_128) {
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_128,
};
FIXTURE_VARIANT_ADD(tx, tls13_aes_gcm_256) {
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_256,
};
FIXTURE_VARIANT_ADD(tx, tls13_chacha20) {
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_CHACHA20_POLY1305,
};

/* The writer in namespace a behind nic0 (TX offload on), the reader in b. */
static int nic_pair(FIXTURE_DATA(tx) *self)
{
	if (nrtls_nicnet_setup(&self->net, "personality mlx5") ||
	    nrtls_sh("ip netns exec %s ethtool -K nic0 tls-hw-tx-offload on",
		     self->net.ns_a))
		return -1;
	return nrtls_tcp_pair_ns(self->net.fd_a, "192.0.2.1", self->net.fd_b,
				 &self->tx, &self->rx);
}

FIXTURE_SETUP(tx)
{
	struct timeval tv = { .tv_sec = 10 };
	int ret;

	self->tx = self->rx = -1;
	self->net.fd_a = self->net.fd_b = -1;
	if (variant->nic && access("/sys/module/nrtls_nic", F_OK)) {
		/* 6.1's harness runs the test after a SKIP here unless it failed. */
		_metadata->passed = 0;
		SKIP(return, "the NIC variant needs the nrtls_nic module (the emulated NIC)");
	}
	nrtls_keys_init(&self->k, variant->version, variant->cipher, 3);
	self->peer = self->k;
	ret = variant->nic ? nic_pair(self) : nrtls_tcp_pair(&self->tx, &self->rx);
	ASSERT_EQ(0, ret);
	ret = nrtls_ulp_tls(self->tx, TLS_TX, &self->k);
	ASSERT_EQ(0, ret) TH_LOG("TLS_TX: %s", strerror(-ret));
	/* A test that hangs is a failure, not a stalled suite. */
	setsockopt(self->rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(self->tx, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

FIXTURE_TEARDOWN(tx)
{
	close(self->tx);
	close(self->rx);
	if (variant->nic) {
		/* The NIC took the flow: stock kTLS asked it, not software. */
		EXPECT_EQ(1, nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_ctx_add"));
		EXPECT_EQ(0, nrtls_tls_stat(self->net.ns_a, "TlsTxSw"));
		nrtls_nicnet_teardown(&self->net);
		EXPECT_TRUE(nrtls_wait_idle(20000));
	}
}

/*
 * Reads and opens the next record on the wire into @out: its plaintext
 * length and *type, or -1 (also logged) if it does not open.
 */
static ssize_t next_record(FIXTURE_DATA(tx) *self, uint8_t *out, uint8_t *type)
{
	ssize_t n = nrtls_read_record(self->rx, self->rec, sizeof(self->rec));

	if (n <= 0) {
		fprintf(stderr, "# no record on the wire (%zd): %s\n", n, strerror(errno));
		return -1;
	}
	n = nrtls_open(&self->peer, self->rec, n, type, out);
	if (n < 0)
		fprintf(stderr, "# record %llu (type %u, %u bytes) does not open\n",
			(unsigned long long)self->peer.seq, self->rec[0],
			self->rec[3] << 8 | self->rec[4]);
	return n;
}

/*
 * Reads data records until @len bytes came and compares them with @want:
 * the number of records they took, or -1.
 */
static int expect_data(FIXTURE_DATA(tx) *self, const uint8_t *want, size_t len)
{
	size_t got = 0;
	int recs = 0;

	while (got < len) {
		uint8_t type;
		ssize_t n = next_record(self, self->out + got, &type);

		if (n < 0 || type != NRTLS_CT_DATA || got + n > len) {
			fprintf(stderr, "# after %zu of %zu bytes: record of %zd bytes, type %u\n",
				got, len, n, n < 0 ? 0 : type);
			return -1;
		}
		got += n;
		recs++;
	}
	return memcmp(want, self->out, len) ? -1 : recs;
}

/* Nothing more on the wire within @ms: the writer sent no extra record. */
static bool wire_quiet(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };
	bool quiet;
	uint8_t b;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	quiet = recv(fd, &b, 1, MSG_PEEK) < 0 && errno == EAGAIN;
	tv.tv_sec = 10;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return quiet;
}

TEST_F(tx, writes_of_every_size)
{
	static const size_t sizes[] = {
		1, 2, 16, 255, 4096, NRTLS_REC_MAX - 1, NRTLS_REC_MAX,
		NRTLS_REC_MAX + 1, 2 * NRTLS_REC_MAX, BIG,
	};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i];
		int recs;

		nrtls_fill(self->in, len, i);
		ASSERT_EQ(0, nrtls_write_all(self->tx, self->in, len));
		recs = expect_data(self, self->in, len);
		ASSERT_LT(0, recs) TH_LOG("write of %zu bytes", len);
		/* Whole records of 2^14 bytes, the rest in the last. */
		EXPECT_EQ((int)((len + NRTLS_REC_MAX - 1) / NRTLS_REC_MAX), recs)
			TH_LOG("write of %zu bytes", len);
	}
}

TEST_F(tx, separate_writes_are_separate_records)
{
	for (int i = 0; i < 5; i++) {
		nrtls_fill(self->in, 100, i);
		ASSERT_EQ(0, nrtls_write_all(self->tx, self->in, 100));
		ASSERT_EQ(1, expect_data(self, self->in, 100));
	}
	EXPECT_EQ(NRTLS_SEQ0 + 5, self->peer.seq);
}

TEST_F(tx, msg_more_gathers_writes_into_one_record)
{
	nrtls_fill(self->in, 400, 1);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(100, send(self->tx, self->in + i * 100, 100, MSG_MORE));
	/* Held back until a send without MSG_MORE. */
	EXPECT_TRUE(wire_quiet(self->rx, 300));
	ASSERT_EQ(100, send(self->tx, self->in + 300, 100, 0));
	EXPECT_EQ(1, expect_data(self, self->in, 400));
}

TEST_F(tx, msg_more_still_cuts_full_records)
{
	nrtls_fill(self->in, 2 * NRTLS_REC_MAX, 2);
	ASSERT_EQ(NRTLS_REC_MAX + 100,
		  send(self->tx, self->in, NRTLS_REC_MAX + 100, MSG_MORE));
	/* The full record goes out; the 100 bytes after it wait. */
	ASSERT_EQ(1, expect_data(self, self->in, NRTLS_REC_MAX));
	EXPECT_TRUE(wire_quiet(self->rx, 300));
	ASSERT_EQ(200, send(self->tx, self->in + NRTLS_REC_MAX + 100, 200, 0));
	EXPECT_EQ(1, expect_data(self, self->in + NRTLS_REC_MAX, 300));
}

TEST_F(tx, iovecs_gather_into_one_record)
{
	struct iovec iov[10];
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 10 };

	nrtls_fill(self->in, 10 * 1000, 3);
	for (int i = 0; i < 10; i++) {
		iov[i].iov_base = self->in + i * 1000;
		iov[i].iov_len = 1000;
	}
	ASSERT_EQ(10000, sendmsg(self->tx, &msg, 0));
	EXPECT_EQ(1, expect_data(self, self->in, 10000));
}

TEST_F(tx, many_iovecs_across_records)
{
	static struct iovec iov[480];
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 480 };
	size_t len = 480 * 100;

	/* 100-byte pieces, record boundaries falling inside some. */
	nrtls_fill(self->in, len, 9);
	for (int i = 0; i < 480; i++) {
		iov[i].iov_base = self->in + i * 100;
		iov[i].iov_len = 100;
	}
	ASSERT_EQ((ssize_t)len, sendmsg(self->tx, &msg, 0));
	EXPECT_EQ(3, expect_data(self, self->in, len));
}

TEST_F(tx, control_record)
{
	uint8_t type;
	static const uint8_t alert[2] = { 1, 0 };	/* warning, close_notify */

	ASSERT_EQ(2, send_typed(self->tx, NRTLS_CT_ALERT, alert, 2, 0));
	ASSERT_EQ(2, next_record(self, self->out, &type));
	EXPECT_EQ(NRTLS_CT_ALERT, type);
	EXPECT_EQ(0, memcmp(alert, self->out, 2));
	/* TLS 1.3 hides the type: every record is application_data outside. */
	EXPECT_EQ(variant->version == TLS_1_3_VERSION ? NRTLS_CT_DATA : NRTLS_CT_ALERT,
		  self->rec[0]);
}

TEST_F(tx, record_types_in_order)
{
	static const uint8_t types[] = {
		NRTLS_CT_DATA, NRTLS_CT_HANDSHAKE, NRTLS_CT_DATA, NRTLS_CT_ALERT,
		NRTLS_CT_HANDSHAKE, NRTLS_CT_DATA,
	};
	uint8_t type;

	for (size_t i = 0; i < sizeof(types); i++) {
		nrtls_fill(self->in + i * 50, 50, i);
		ASSERT_EQ(50, send_typed(self->tx, types[i], self->in + i * 50, 50, 0));
	}
	for (size_t i = 0; i < sizeof(types); i++) {
		ASSERT_EQ(50, next_record(self, self->out, &type));
		EXPECT_EQ(types[i], type) TH_LOG("record %zu", i);
		EXPECT_EQ(0, memcmp(self->in + i * 50, self->out, 50));
	}
}

TEST_F(tx, data_held_by_msg_more_goes_before_a_control_record)
{
	uint8_t type;

	ASSERT_EQ(3, send(self->tx, "abc", 3, MSG_MORE));
	ASSERT_EQ(4, send_typed(self->tx, NRTLS_CT_HANDSHAKE, "hand", 4, 0));
	ASSERT_EQ(3, next_record(self, self->out, &type));
	EXPECT_EQ(NRTLS_CT_DATA, type);
	EXPECT_EQ(0, memcmp("abc", self->out, 3));
	ASSERT_EQ(4, next_record(self, self->out, &type));
	EXPECT_EQ(NRTLS_CT_HANDSHAKE, type);
	EXPECT_EQ(0, memcmp("hand", self->out, 4));
}

TEST_F(tx, large_control_record_is_cut_like_data)
{
	uint8_t type;

	nrtls_fill(self->in, NRTLS_REC_MAX + 10, 4);
	ASSERT_EQ(NRTLS_REC_MAX + 10,
		  send_typed(self->tx, NRTLS_CT_HANDSHAKE, self->in, NRTLS_REC_MAX + 10, 0));
	ASSERT_EQ(NRTLS_REC_MAX, next_record(self, self->out, &type));
	EXPECT_EQ(NRTLS_CT_HANDSHAKE, type);
	ASSERT_EQ(10, next_record(self, self->out + NRTLS_REC_MAX, &type));
	EXPECT_EQ(NRTLS_CT_HANDSHAKE, type);
	EXPECT_EQ(0, memcmp(self->in, self->out, NRTLS_REC_MAX + 10));
}

/*
 * Software kTLS sends nothing for an empty write; device offload
 * (tls_device.c's tls_push_data()) closes and sends an empty record for
 * each, on 6.1 and 6.12: a record number used up, and a record a peer
 * must take.
 */
TEST_F(tx, empty_write)
{
	int empties = variant->nic ? 2 : 0;
	uint8_t type;

	EXPECT_EQ(0, send(self->tx, "", 0, 0));
	EXPECT_EQ(0, write(self->tx, "", 0));
	for (int i = 0; i < empties; i++) {
		EXPECT_EQ(0, next_record(self, self->out, &type));
		EXPECT_EQ(NRTLS_CT_DATA, type);
	}
	EXPECT_TRUE(wire_quiet(self->rx, 300));
	ASSERT_EQ(1, write(self->tx, "z", 1));
	ASSERT_EQ(1, expect_data(self, (const uint8_t *)"z", 1));
	EXPECT_EQ((uint64_t)(NRTLS_SEQ0 + empties + 1), self->peer.seq);
}

TEST_F(tx, sendfile_into_the_socket)
{
	int fd = memfd_create("nrtls_tx", 0);
	off_t off = 1000;
	size_t len = BIG - 1000;
	ssize_t n;

	ASSERT_LE(0, fd);
	nrtls_fill(self->in, BIG, 5);
	ASSERT_EQ(0, nrtls_write_all(fd, self->in, BIG));
	while (len) {
		n = sendfile(self->tx, fd, &off, len);
		ASSERT_LT(0, n) TH_LOG("sendfile: %s", strerror(errno));
		len -= n;
	}
	EXPECT_LT(0, expect_data(self, self->in + 1000, BIG - 1000));
	close(fd);
}

TEST_F(tx, sendfile_of_nothing_sends_nothing)
{
	int fd = memfd_create("nrtls_tx", 0);
	off_t off = 0;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nrtls_write_all(fd, "file", 4));
	EXPECT_EQ(0, sendfile(self->tx, fd, &off, 0));
	off = 4;
	EXPECT_EQ(0, sendfile(self->tx, fd, &off, 100));	/* at its end */
	EXPECT_TRUE(wire_quiet(self->rx, 300));
	ASSERT_EQ(1, write(self->tx, "z", 1));
	ASSERT_EQ(1, expect_data(self, (const uint8_t *)"z", 1));
	EXPECT_EQ(NRTLS_SEQ0 + 1, self->peer.seq);
	close(fd);
}

TEST_F(tx, splice_from_a_pipe)
{
	int p[2];
	size_t left = 5000;

	ASSERT_EQ(0, pipe(p));
	nrtls_fill(self->in, 5000, 6);
	ASSERT_EQ(5000, write(p[1], self->in, 5000));
	while (left) {
		ssize_t n = splice(p[0], NULL, self->tx, NULL, left, 0);

		ASSERT_LT(0, n) TH_LOG("splice: %s", strerror(errno));
		left -= n;
	}
	EXPECT_LT(0, expect_data(self, self->in, 5000));
	close(p[0]);
	close(p[1]);
}

/* Adds @n to the big-endian counter @p of @len bytes. */
static void be_add(uint8_t *p, size_t len, unsigned int n)
{
	for (size_t i = len; i-- && n;) {
		n += p[i];
		p[i] = (uint8_t)n;
		n >>= 8;
	}
}

TEST_F(tx, getsockopt_reports_the_next_record_number)
{
	union nrtls_crypto_info got, want = self->k.ci;
	socklen_t len = self->k.ci_len;

	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(1, write(self->tx, "r", 1));
		ASSERT_EQ(1, expect_data(self, (const uint8_t *)"r", 1));
	}
	ASSERT_EQ(0, getsockopt(self->tx, SOL_TLS, TLS_TX, &got, &len));
	ASSERT_EQ(self->k.ci_len, len);
	/* rec_seq sits last in each layout: three records on. */
	be_add((uint8_t *)&want + len - 8, 8, 3);
	/*
	 * TLS 1.2 AES-GCM's explicit nonce is a counter of its own, from the
	 * iv given, that moves with each record.
	 */
	if (nrtls_explicit_len(&self->k))
		be_add(want.g128.iv, 8, 3);	/* g256: the same offset */
	EXPECT_EQ(0, memcmp(&want, &got, len));
}

TEST_F(tx, second_tls_tx_is_refused)
{
	/* No TLS 1.3 key update for TX on 6.1 and 6.12 (it came in 6.14). */
	EXPECT_EQ(-1, setsockopt(self->tx, SOL_TLS, TLS_TX, &self->k.ci, self->k.ci_len));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(2, write(self->tx, "ok", 2));
	EXPECT_EQ(1, expect_data(self, (const uint8_t *)"ok", 2));
}

TEST_F(tx, refused_flags_and_control_messages_send_nothing)
{
	char cbuf[CMSG_SPACE(2)] = { 0 };
	struct iovec iov = { .iov_base = "xx", .iov_len = 2 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	EXPECT_EQ(-1, send(self->tx, "x", 1, MSG_OOB));
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* A record type without its byte. */
	cm->cmsg_level = SOL_TLS;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(0);
	EXPECT_EQ(-1, sendmsg(self->tx, &msg, 0));
	EXPECT_EQ(EINVAL, errno);
	/* A SOL_TLS control message kTLS does not know. */
	cm->cmsg_type = 99;
	cm->cmsg_len = CMSG_LEN(1);
	EXPECT_EQ(-1, sendmsg(self->tx, &msg, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(wire_quiet(self->rx, 300));
	ASSERT_EQ(1, write(self->tx, "y", 1));
	ASSERT_EQ(1, expect_data(self, (const uint8_t *)"y", 1));
	EXPECT_EQ(NRTLS_SEQ0 + 1, self->peer.seq);
}

/*
 * After shutdown(SHUT_WR) nothing more reaches the wire.  Neither kernel
 * says so to the writer: software kTLS and device offload both return the
 * length of a send after it (TCP's EPIPE stays inside kTLS's push), and the
 * record is lost; the test asserts only what the peer sees.
 */
TEST_F(tx, shutdown_wr_ends_the_stream_after_the_records)
{
	ssize_t late;
	uint8_t b;

	nrtls_fill(self->in, 3000, 7);
	ASSERT_EQ(0, nrtls_write_all(self->tx, self->in, 3000));
	ASSERT_EQ(0, shutdown(self->tx, SHUT_WR));
	late = send(self->tx, "late", 4, MSG_NOSIGNAL);
	TH_LOG("a send after SHUT_WR: %zd (%s)", late, late < 0 ? strerror(errno) : "no error");
	EXPECT_EQ(1, expect_data(self, self->in, 3000));
	EXPECT_EQ(0, recv(self->rx, &b, 1, 0));
}

TEST_F(tx, peer_reset_is_reported)
{
	/*
	 * No events asked for: poll() waits for POLLERR and POLLHUP alone (a
	 * writable socket's POLLOUT would end the wait at once, before the
	 * reset has come through the NIC's ring).
	 */
	struct pollfd pfd = { .fd = self->tx };
	int err;

	ASSERT_EQ(1, write(self->tx, "x", 1));
	ASSERT_EQ(1, recv(self->rx, self->rec, 1, MSG_PEEK));
	/* Closed with a record unread: the reader's end resets. */
	close(self->rx);
	self->rx = -1;
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	ASSERT_TRUE(pfd.revents & (POLLERR | POLLHUP));
	EXPECT_EQ(-1, send(self->tx, "after", 5, MSG_NOSIGNAL));
	err = errno;
	EXPECT_TRUE(err == ECONNRESET || err == EPIPE) TH_LOG("send: %s", strerror(err));
}

TEST_F(tx, close_with_records_queued_delivers_them)
{
	uint8_t b;
	int recs;

	nrtls_fill(self->in, BIG, 8);
	ASSERT_EQ(0, nrtls_write_all(self->tx, self->in, BIG));
	close(self->tx);
	self->tx = -1;
	recs = expect_data(self, self->in, BIG);
	EXPECT_EQ(4, recs);
	EXPECT_EQ(0, recv(self->rx, &b, 1, 0));
}

/*
 * Settings kTLS must refuse, for each direction: FreeBSD's "unsupported
 * suites" and Linux's bad-setsockopt cases.
 */
FIXTURE(setup) {
	int a, b;
	struct nrtls_keys k;
};

FIXTURE_VARIANT(setup) {
	int dir;
};

FIXTURE_VARIANT_ADD(setup, tx) { .dir = TLS_TX };
FIXTURE_VARIANT_ADD(setup, rx) { .dir = TLS_RX };

FIXTURE_SETUP(setup)
{
	ASSERT_EQ(0, nrtls_tcp_pair(&self->a, &self->b));
	nrtls_keys_init(&self->k, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 9);
}

FIXTURE_TEARDOWN(setup)
{
	close(self->a);
	close(self->b);
}

static int set_ulp(int fd)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls"));
}

TEST_F(setup, keys_before_the_ulp_are_refused)
{
	EXPECT_EQ(-1, setsockopt(self->a, SOL_TLS, variant->dir, &self->k.ci, self->k.ci_len));
	EXPECT_EQ(ENOPROTOOPT, errno);
}

TEST_F(setup, unknown_version_is_einval)
{
	ASSERT_EQ(0, set_ulp(self->a));
	self->k.ci.info.version = 0x0302;	/* TLS 1.1 */
	EXPECT_EQ(-1, setsockopt(self->a, SOL_TLS, variant->dir, &self->k.ci, self->k.ci_len));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(setup, unknown_cipher_is_einval)
{
	ASSERT_EQ(0, set_ulp(self->a));
	self->k.ci.info.cipher_type = 0x4242;
	EXPECT_EQ(-1, setsockopt(self->a, SOL_TLS, variant->dir, &self->k.ci, self->k.ci_len));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(setup, short_crypto_info_is_einval)
{
	ASSERT_EQ(0, set_ulp(self->a));
	EXPECT_EQ(-1, setsockopt(self->a, SOL_TLS, variant->dir, &self->k.ci,
				 sizeof(struct tls_crypto_info) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(self->a, SOL_TLS, variant->dir, &self->k.ci,
				 self->k.ci_len - 1));
	EXPECT_EQ(EINVAL, errno);
	/* Refused settings leave the socket free to take good ones. */
	EXPECT_EQ(0, setsockopt(self->a, SOL_TLS, variant->dir, &self->k.ci, self->k.ci_len));
}

TEST_F(setup, key_size_must_match_the_cipher)
{
	ASSERT_EQ(0, set_ulp(self->a));
	/* AES-GCM-256 in the size of AES-GCM-128's settings. */
	self->k.ci.info.cipher_type = TLS_CIPHER_AES_GCM_256;
	EXPECT_EQ(-1, setsockopt(self->a, SOL_TLS, variant->dir, &self->k.ci,
				 sizeof(struct tls12_crypto_info_aes_gcm_128)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(setup, getsockopt_before_keys_is_ebusy)
{
	union nrtls_crypto_info got;
	socklen_t len = sizeof(got);

	ASSERT_EQ(0, set_ulp(self->a));
	EXPECT_EQ(-1, getsockopt(self->a, SOL_TLS, variant->dir, &got, &len));
	EXPECT_EQ(EBUSY, errno);
}

TEST_F(setup, getsockopt_buffer_sizes)
{
	union nrtls_crypto_info got;
	socklen_t len = sizeof(struct tls_crypto_info) - 1;

	ASSERT_EQ(0, set_ulp(self->a));
	ASSERT_EQ(0, setsockopt(self->a, SOL_TLS, variant->dir, &self->k.ci, self->k.ci_len));
	EXPECT_EQ(-1, getsockopt(self->a, SOL_TLS, variant->dir, &got, &len));
	EXPECT_EQ(EINVAL, errno);
	/* Room for the version and cipher only: that much, no key. */
	memset(&got, 0, sizeof(got));
	len = sizeof(struct tls_crypto_info);
	EXPECT_EQ(0, getsockopt(self->a, SOL_TLS, variant->dir, &got, &len));
	EXPECT_EQ(sizeof(struct tls_crypto_info), len);
	EXPECT_EQ(TLS_1_3_VERSION, got.info.version);
	EXPECT_EQ(TLS_CIPHER_AES_GCM_128, got.info.cipher_type);
	/* Between that and the whole: refused. */
	len = self->k.ci_len - 1;
	EXPECT_EQ(-1, getsockopt(self->a, SOL_TLS, variant->dir, &got, &len));
	EXPECT_EQ(EINVAL, errno);
}

TEST(ulp_needs_an_established_connection)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, set_ulp(fd));
	EXPECT_EQ(ENOTCONN, errno);
	close(fd);
}

TEST(ulp_twice_is_eexist)
{
	int a, b;

	ASSERT_EQ(0, nrtls_tcp_pair(&a, &b));
	ASSERT_EQ(0, set_ulp(a));
	EXPECT_EQ(-1, set_ulp(a));
	EXPECT_EQ(EEXIST, errno);
	close(a);
	close(b);
}

TEST(unknown_option_is_enoprotoopt)
{
	struct nrtls_keys k;
	int a, b;

	ASSERT_EQ(0, nrtls_tcp_pair(&a, &b));
	ASSERT_EQ(0, set_ulp(a));
	nrtls_keys_init(&k, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, 1);
	EXPECT_EQ(-1, setsockopt(a, SOL_TLS, 99, &k.ci, k.ci_len));
	EXPECT_EQ(ENOPROTOOPT, errno);
	close(a);
	close(b);
}

TEST_HARNESS_MAIN
