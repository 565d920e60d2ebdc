// SPDX-License-Identifier: GPL-2.0
/*
 * Stock kTLS receive, the baseline that RX offload in the emulated NIC
 * must keep: record semantics in the families of FreeBSD's
 * tests/sys/kern/ktls_test.c (short, long, padded, empty, control,
 * unknown-type and invalid records) and of Linux's selftests/net/tls.c
 * (peek, waitall, rcvlowat, iovecs, splice, getsockopt, the no-padding
 * hint, both directions on one socket, two readers, shutdown, close with
 * records queued), for each version and cipher.
 *
 * Records are sealed in userspace with OpenSSL's AEADs, from the same key
 * material the receiving socket is given, and written to it over plain
 * TCP: that is how a test can send what the kernel's own TX never makes
 * (padding, empty records, a wrong tag, a skipped sequence number).  Two
 * tests send from a kTLS TX socket instead, so that the sealer is checked
 * against the kernel's.
 *
 * The same tests run once more with the records decrypted by a NIC: the
 * writer sits in another namespace behind the emulated NIC pair, and the
 * receiving end (mlx5, tls-hw-rx-offload on) decrypts them before the
 * stack sees them (TLS 1.2 AES-GCM: what Linux offloads for RX).
 *
 * What Linux does where FreeBSD differs (the tests assert Linux's):
 * consecutive data records are merged into one read, a control record
 * never is and needs room for its TLS_GET_RECORD_TYPE control message
 * (EIO without), and a second TLS_RX (TLS 1.3 key update) is refused with
 * EBUSY on 6.1 and 6.12.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nrtls_net.h"
#include "nrtls_nic.h"
#include "nrtls_record.h"
#include "nrtls_test.h"

/* Stock kTLS only: runs without the module too. */
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

/* recvmsg() with room for the record type; *type is 0 if none came. */
static ssize_t recv_rec(int fd, void *buf, size_t len, int flags, uint8_t *type)
{
	char cbuf[CMSG_SPACE(sizeof(uint8_t))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	*type = 0;
	n = recvmsg(fd, &msg, flags);
	cm = CMSG_FIRSTHDR(&msg);
	if (n >= 0 && cm && cm->cmsg_level == SOL_TLS &&
	    cm->cmsg_type == TLS_GET_RECORD_TYPE)
		*type = *(uint8_t *)CMSG_DATA(cm);
	return n;
}

static void set_timeout(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

FIXTURE(rx) {
	struct nrtls_keys k;
	int tx, rx;		/* tx: plain TCP into rx, which has kTLS RX */
	struct nrtls_nicnet net;	/* for the NIC variant */
	uint8_t rec[NRTLS_HDR_LEN + 8 + NRTLS_REC_MAX + 256 + NRTLS_TAG_LEN];
	uint8_t in[NRTLS_REC_MAX + 256], out[2 * NRTLS_REC_MAX];
};

FIXTURE_VARIANT(rx) {
	int version;
	int cipher;
	bool nic;		/* through the emulated NIC, which decrypts */
};

FIXTURE_VARIANT_ADD(rx, tls12_aes_gcm_128) {
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_128,
};
FIXTURE_VARIANT_ADD(rx, tls12_aes_gcm_256) {
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_256,
};
FIXTURE_VARIANT_ADD(rx, tls12_chacha20) {
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_CHACHA20_POLY1305,
};
FIXTURE_VARIANT_ADD(rx, tls12_aes_gcm_128_nic) {
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_128, .nic = true,
};
FIXTURE_VARIANT_ADD(rx, tls13_aes_gcm_128) {
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_128,
};
FIXTURE_VARIANT_ADD(rx, tls13_aes_gcm_256) {
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_256,
};
FIXTURE_VARIANT_ADD(rx, tls13_chacha20) {
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_CHACHA20_POLY1305,
};

/*
 * The writer in namespace b, the reader in a behind nic0, whose RX
 * offload is on: 0 or -1.
 */
static int nic_pair(FIXTURE_DATA(rx) *self)
{
	if (nrtls_nicnet_setup(&self->net, "personality mlx5") ||
	    nrtls_sh("ip netns exec %s ethtool -K nic0 tls-hw-rx-offload on",
		     self->net.ns_a))
		return -1;
	return nrtls_tcp_pair_ns(self->net.fd_b, "192.0.2.2", self->net.fd_a,
				 &self->tx, &self->rx);
}

FIXTURE_SETUP(rx)
{
	int ret, one = 1;

	self->tx = self->rx = -1;
	self->net.fd_a = self->net.fd_b = -1;
	if (variant->nic && access("/sys/module/nrtls_nic", F_OK)) {
		/* 6.1's harness runs the test after a SKIP here unless it failed. */
		_metadata->passed = 0;
		SKIP(return, "the NIC variant needs the nrtls_nic module (the emulated NIC)");
	}
	nrtls_keys_init(&self->k, variant->version, variant->cipher, 1);
	ret = variant->nic ? nic_pair(self) : nrtls_tcp_pair(&self->tx, &self->rx);
	ASSERT_EQ(0, ret);
	/* Records go out as written, not held for the peer's delayed ACK. */
	ASSERT_EQ(0, setsockopt(self->tx, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	ret = nrtls_ulp_tls(self->rx, TLS_RX, &self->k);
	ASSERT_EQ(0, ret) TH_LOG("TLS_RX: %s", strerror(-ret));
	/* A test that hangs is a failure, not a stalled suite. */
	set_timeout(self->rx, 10000);
}

FIXTURE_TEARDOWN(rx)
{
	close(self->tx);
	close(self->rx);
	if (variant->nic) {
		/* The NIC took the flow: stock kTLS asked it, not software. */
		EXPECT_EQ(1, nrtls_ethtool_stat(self->net.ns_a, "nic0", "rx_tls_ctx_add"));
		EXPECT_EQ(0, nrtls_tls_stat(self->net.ns_a, "TlsRxSw"));
		nrtls_nicnet_teardown(&self->net);
		EXPECT_TRUE(nrtls_wait_idle(20000));
	}
}

/* Seals and writes one record. */
static int send_rec(FIXTURE_DATA(rx) *self, uint8_t type, const void *data,
		    size_t len, size_t pad)
{
	size_t n = nrtls_seal(&self->k, type, data, len, pad, self->rec);

	return n ? nrtls_write_all(self->tx, self->rec, n) : -1;
}

/* Reads exactly @len bytes of type @type, in as many reads as it takes. */
static int recv_exact(int fd, uint8_t *buf, size_t len, uint8_t want)
{
	size_t got = 0;
	uint8_t type;

	while (got < len) {
		ssize_t n = recv_rec(fd, buf + got, len - got, 0, &type);

		if (n <= 0 || type != want)
			return -1;
		got += n;
	}
	return 0;
}

TEST_F(rx, records_of_every_size)
{
	static const size_t sizes[] = {
		1, 2, 15, 16, 17, 255, 256, 1000, 4095, 4096, 4097,
		8192, NRTLS_REC_MAX - 1, NRTLS_REC_MAX,
	};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		nrtls_fill(self->in, sizes[i], i);
		ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in, sizes[i], 0));
		ASSERT_EQ(0, recv_exact(self->rx, self->out, sizes[i], NRTLS_CT_DATA))
			TH_LOG("record of %zu bytes", sizes[i]);
		ASSERT_EQ(0, memcmp(self->in, self->out, sizes[i]))
			TH_LOG("record of %zu bytes", sizes[i]);
	}
	/*
	 * In step from the first record: the NIC decrypted every packet but
	 * those the writer sent again (on a loaded machine), which TCP
	 * throws away.
	 */
	if (variant->nic) {
		long enc = nrtls_ethtool_stat(self->net.ns_a, "nic0", "rx_tls_encrypted_packets");
		long re = nrtls_snmp_stat(self->net.ns_b, "Tcp", "RetransSegs");

		EXPECT_LE((long)(sizeof(sizes) / sizeof(sizes[0])),
			  nrtls_ethtool_stat(self->net.ns_a, "nic0", "rx_tls_decrypted_packets"));
		EXPECT_LE(0, re);
		EXPECT_LE(enc, re) TH_LOG("%ld packets passed encrypted, %ld sent again", enc, re);
	}
}

TEST_F(rx, data_records_merge_into_one_read)
{
	uint8_t type;

	nrtls_fill(self->in, 300, 3);
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in, 100, 0));
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in + 100, 200, 0));
	ASSERT_EQ(300, recv_rec(self->rx, self->out, 300, MSG_WAITALL, &type));
	EXPECT_EQ(NRTLS_CT_DATA, type);
	EXPECT_EQ(0, memcmp(self->in, self->out, 300));
}

TEST_F(rx, control_record_is_never_merged)
{
	uint8_t type;

	nrtls_fill(self->in, 150, 4);
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in, 100, 0));
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_ALERT, "\x01\x00", 2, 0));
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in + 100, 50, 0));
	ASSERT_EQ(100, recv_rec(self->rx, self->out, sizeof(self->out), MSG_WAITALL, &type));
	EXPECT_EQ(NRTLS_CT_DATA, type);
	EXPECT_EQ(0, memcmp(self->in, self->out, 100));
	ASSERT_EQ(2, recv_rec(self->rx, self->out, sizeof(self->out), MSG_WAITALL, &type));
	EXPECT_EQ(NRTLS_CT_ALERT, type);
	EXPECT_EQ(0, memcmp("\x01\x00", self->out, 2));
	ASSERT_EQ(50, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(NRTLS_CT_DATA, type);
	EXPECT_EQ(0, memcmp(self->in + 100, self->out, 50));
}

TEST_F(rx, control_record_needs_room_for_its_type)
{
	uint8_t type;

	ASSERT_EQ(0, send_rec(self, NRTLS_CT_HANDSHAKE, "\x18\x00\x00\x01\x00", 5, 0));
	EXPECT_EQ(-1, recv(self->rx, self->out, sizeof(self->out), 0));
	EXPECT_EQ(EIO, errno);
	/* Not consumed: a read that can take the type gets it. */
	ASSERT_EQ(5, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(NRTLS_CT_HANDSHAKE, type);
	EXPECT_EQ(0, memcmp("\x18\x00\x00\x01\x00", self->out, 5));
}

TEST_F(rx, unknown_content_type_is_a_control_record)
{
	uint8_t type;

	ASSERT_EQ(0, send_rec(self, 99, "odd", 3, 0));
	ASSERT_EQ(3, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(99, type);
	EXPECT_EQ(0, memcmp("odd", self->out, 3));
}

TEST_F(rx, empty_data_record_is_skipped)
{
	uint8_t type;

	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, "", 0, 0));
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, "after", 5, 0));
	ASSERT_EQ(5, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(NRTLS_CT_DATA, type);
	EXPECT_EQ(0, memcmp("after", self->out, 5));
}

/* The last byte of the tag, a ciphertext byte, the explicit nonce or AAD. */
static void tamper_case(struct __test_metadata *_metadata, FIXTURE_DATA(rx) *self,
			int where)
{
	size_t len = 64, n;
	uint8_t type;

	nrtls_fill(self->in, len, 9);
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in, len, 0));
	ASSERT_EQ((ssize_t)len, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	n = nrtls_seal(&self->k, NRTLS_CT_DATA, self->in, len, 0, self->rec);
	ASSERT_NE(0, n);
	switch (where) {
	case 0:
		self->rec[n - 1] ^= 0x01;
		break;
	case 1:
		self->rec[NRTLS_HDR_LEN + nrtls_explicit_len(&self->k) + 10] ^= 0x80;
		break;
	default:
		/* A record number the receiver does not expect. */
		n = nrtls_seal(&self->k, NRTLS_CT_DATA, self->in, len, 0, self->rec);
		break;
	}
	ASSERT_EQ(0, nrtls_write_all(self->tx, self->rec, n));
	EXPECT_EQ(-1, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(EBADMSG, errno);
	/* The connection is torn down: nothing more is read from it. */
	EXPECT_GE(0, recv_rec(self->rx, self->out, sizeof(self->out), MSG_DONTWAIT, &type));
}

TEST_F(rx, bad_tag_is_ebadmsg)
{
	tamper_case(_metadata, self, 0);
}

TEST_F(rx, bad_ciphertext_is_ebadmsg)
{
	tamper_case(_metadata, self, 1);
}

TEST_F(rx, skipped_record_number_is_ebadmsg)
{
	tamper_case(_metadata, self, 2);
}

TEST_F(rx, bad_record_does_not_disturb_another_connection)
{
	struct nrtls_keys k2;
	int tx2, rx2;
	uint8_t type;
	size_t n;

	nrtls_keys_init(&k2, variant->version, variant->cipher, 1);
	ASSERT_EQ(0, nrtls_tcp_pair(&tx2, &rx2));
	ASSERT_EQ(0, nrtls_ulp_tls(rx2, TLS_RX, &k2));
	n = nrtls_seal(&self->k, NRTLS_CT_DATA, "broken", 6, 0, self->rec);
	self->rec[n - 3] ^= 0x10;
	ASSERT_EQ(0, nrtls_write_all(self->tx, self->rec, n));
	n = nrtls_seal(&k2, NRTLS_CT_DATA, "intact", 6, 0, self->rec);
	ASSERT_EQ(0, nrtls_write_all(tx2, self->rec, n));
	EXPECT_EQ(-1, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(EBADMSG, errno);
	EXPECT_EQ(6, recv_rec(rx2, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(0, memcmp("intact", self->out, 6));
	close(tx2);
	close(rx2);
}

/*
 * A record header claiming @len bytes, and the explicit nonce that TLS 1.2
 * AES-GCM reads with the header (the length is judged once both are in).
 */
static void bad_length(struct __test_metadata *_metadata, FIXTURE_DATA(rx) *self,
		       size_t len, int err)
{
	uint8_t hdr[NRTLS_HDR_LEN + 8] = { NRTLS_CT_DATA, 3, 3 }, type;

	hdr[3] = (uint8_t)(len >> 8);
	hdr[4] = (uint8_t)len;
	ASSERT_EQ(0, nrtls_write_all(self->tx, hdr, sizeof(hdr)));
	EXPECT_EQ(-1, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(err, errno);
}

TEST_F(rx, oversize_record_is_refused)
{
	size_t max = NRTLS_REC_MAX + nrtls_explicit_len(&self->k) + NRTLS_TAG_LEN +
		     (variant->version == TLS_1_3_VERSION);	/* inner type */

	/* One byte more than the largest legal ciphertext: refused from its header. */
	bad_length(_metadata, self, max + 1, EMSGSIZE);
}

TEST_F(rx, record_shorter_than_its_tag_is_ebadmsg)
{
	bad_length(_metadata, self, NRTLS_TAG_LEN - 1, EBADMSG);
}

TEST_F(rx, bad_header_version_is_refused)
{
	uint8_t type;
	size_t n;

	n = nrtls_seal(&self->k, NRTLS_CT_DATA, "v", 1, 0, self->rec);
	self->rec[2] = 1;	/* 3.1: TLS 1.0 */
	ASSERT_EQ(0, nrtls_write_all(self->tx, self->rec, n));
	EXPECT_EQ(-1, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(rx, small_reads_take_a_record_in_pieces)
{
	uint8_t type;

	nrtls_fill(self->in, 10000, 14);
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in, 10000, 0));
	for (size_t off = 0; off < 10000; off += 100) {
		ASSERT_EQ(100, recv_rec(self->rx, self->out + off, 100, 0, &type));
		ASSERT_EQ(NRTLS_CT_DATA, type);
	}
	EXPECT_EQ(0, memcmp(self->in, self->out, 10000));
}

TEST_F(rx, many_records_in_one_segment)
{
	size_t n = 0;

	nrtls_fill(self->in, 20 * 50, 15);
	for (int i = 0; i < 20; i++) {
		size_t m = nrtls_seal(&self->k, NRTLS_CT_DATA, self->in + i * 50, 50, 0,
				self->out + n);

		ASSERT_NE(0, m);
		n += m;
	}
	ASSERT_EQ(0, nrtls_write_all(self->tx, self->out, n));
	ASSERT_EQ(0, recv_exact(self->rx, self->out, 1000, NRTLS_CT_DATA));
	EXPECT_EQ(0, memcmp(self->in, self->out, 1000));
}

static bool kernel_older_than(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma < major || (ma == major && mi < minor);
}

/*
 * 6.12 polls the record, 6.1 the TCP bytes (its tls ULP has no poll of
 * its own): there a partial record reports POLLIN, though a read of it
 * still finds nothing.
 */
TEST_F(rx, poll_waits_for_a_whole_record)
{
	struct pollfd pfd = { .fd = self->rx, .events = POLLIN };
	int polled;
	size_t n;

	n = nrtls_seal(&self->k, NRTLS_CT_DATA, "whole", 5, 0, self->rec);
	ASSERT_EQ(0, nrtls_write_all(self->tx, self->rec, n - 1));
	polled = poll(&pfd, 1, 50);
	if (kernel_older_than(6, 12))
		TH_LOG("poll with a partial record: %d (6.1 reports the TCP bytes)", polled);
	else
		EXPECT_EQ(0, polled);
	EXPECT_EQ(-1, recv(self->rx, self->out, sizeof(self->out), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, nrtls_write_all(self->tx, self->rec + n - 1, 1));
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_TRUE(pfd.revents & POLLIN);
	EXPECT_EQ(5, recv(self->rx, self->out, sizeof(self->out), 0));
}

TEST_F(rx, clean_end_after_the_last_record)
{
	uint8_t type;

	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, "last", 4, 0));
	ASSERT_EQ(0, shutdown(self->tx, SHUT_WR));
	ASSERT_EQ(4, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(0, memcmp("last", self->out, 4));
	EXPECT_EQ(0, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
}

TEST_F(rx, peek_then_read)
{
	uint8_t type;

	nrtls_fill(self->in, 500, 5);
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in, 500, 0));
	ASSERT_EQ(500, recv_rec(self->rx, self->out, sizeof(self->out), MSG_PEEK, &type));
	EXPECT_EQ(NRTLS_CT_DATA, type);
	EXPECT_EQ(0, memcmp(self->in, self->out, 500));
	memset(self->out, 0, 500);
	ASSERT_EQ(500, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(NRTLS_CT_DATA, type);
	EXPECT_EQ(0, memcmp(self->in, self->out, 500));
}

struct later {
	FIXTURE_DATA(rx) *self;
	int nrec, gap_ms;
	size_t len;
};

/* Seals @nrec records of @len bytes, @gap_ms apart, from a thread. */
static void *send_later(void *arg)
{
	struct later *l = arg;

	for (int i = 0; i < l->nrec; i++) {
		usleep(l->gap_ms * 1000);
		if (send_rec(l->self, NRTLS_CT_DATA, l->self->in + i * l->len, l->len, 0))
			return NULL;
	}
	return l;
}

TEST_F(rx, waitall_spans_records_sent_apart)
{
	struct later l = { self, 3, 20, 1000 };
	pthread_t thr;
	uint8_t type;
	void *ok;

	nrtls_fill(self->in, 3000, 6);
	ASSERT_EQ(0, pthread_create(&thr, NULL, send_later, &l));
	EXPECT_EQ(3000, recv_rec(self->rx, self->out, 3000, MSG_WAITALL, &type));
	pthread_join(thr, &ok);
	ASSERT_NE(NULL, ok);
	EXPECT_EQ(0, memcmp(self->in, self->out, 3000));
}

TEST_F(rx, rcvlowat_waits_for_enough_records)
{
	struct later l = { self, 2, 20, 1000 };
	int lowat = 2000;
	pthread_t thr;
	uint8_t type;
	void *ok;

	nrtls_fill(self->in, 2000, 7);
	ASSERT_EQ(0, setsockopt(self->rx, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)));
	ASSERT_EQ(0, pthread_create(&thr, NULL, send_later, &l));
	EXPECT_EQ(2000, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	pthread_join(thr, &ok);
	ASSERT_NE(NULL, ok);
	EXPECT_EQ(0, memcmp(self->in, self->out, 2000));
}

TEST_F(rx, partial_record_is_not_returned)
{
	uint8_t type;
	size_t n;

	nrtls_fill(self->in, 1000, 8);
	n = nrtls_seal(&self->k, NRTLS_CT_DATA, self->in, 1000, 0, self->rec);
	ASSERT_EQ(0, nrtls_write_all(self->tx, self->rec, n / 2));
	set_timeout(self->rx, 100);
	EXPECT_EQ(-1, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, recv_rec(self->rx, self->out, sizeof(self->out), MSG_DONTWAIT, &type));
	EXPECT_EQ(EAGAIN, errno);
	set_timeout(self->rx, 10000);
	ASSERT_EQ(0, nrtls_write_all(self->tx, self->rec + n / 2, n - n / 2));
	ASSERT_EQ(1000, recv_rec(self->rx, self->out, 1000, MSG_WAITALL, &type));
	EXPECT_EQ(0, memcmp(self->in, self->out, 1000));
}

TEST_F(rx, record_split_into_one_byte_segments)
{
	uint8_t type;
	size_t n;

	nrtls_fill(self->in, 300, 10);
	n = nrtls_seal(&self->k, NRTLS_CT_DATA, self->in, 300, 0, self->rec);
	for (size_t i = 0; i < n; i++)
		ASSERT_EQ(1, write(self->tx, self->rec + i, 1));
	ASSERT_EQ(300, recv_rec(self->rx, self->out, 300, MSG_WAITALL, &type));
	EXPECT_EQ(0, memcmp(self->in, self->out, 300));
}

/* @len bytes spliced out of @fd through the pipe @p into @buf: 0 or -1. */
static int splice_all(int fd, const int p[2], uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = splice(fd, NULL, p[1], NULL, len - got, 0);

		if (n <= 0 || read(p[0], buf + got, n) != n)
			return -1;
		got += n;
	}
	return 0;
}

TEST_F(rx, splice_out_of_the_socket)
{
	int p[2];

	nrtls_fill(self->in, 2 * 4000, 11);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in, 4000, 0));
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in + 4000, 4000, 0));
	ASSERT_EQ(0, splice_all(self->rx, p, self->out, 8000));
	EXPECT_EQ(0, memcmp(self->in, self->out, 8000));
	/* A control record is not spliced: it needs its type. */
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_ALERT, "\x01\x00", 2, 0));
	EXPECT_EQ(-1, splice(self->rx, NULL, p[1], NULL, 100, 0));
	EXPECT_EQ(EINVAL, errno);
	close(p[0]);
	close(p[1]);
}

TEST_F(rx, close_with_records_queued_resets)
{
	ssize_t n = 0;

	nrtls_fill(self->in, 1000, 12);
	for (int i = 0; i < 20; i++)
		ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in, 1000, 0));
	usleep(10000);
	close(self->rx);
	self->rx = -1;
	/* Unread data at close: the peer sees a reset, not a clean end. */
	for (int i = 0; i < 100 && n >= 0; i++) {
		n = send(self->tx, self->in, 1000, MSG_NOSIGNAL);
		usleep(10000);
	}
	EXPECT_EQ(-1, n);
	EXPECT_TRUE(errno == ECONNRESET || errno == EPIPE) TH_LOG("errno %d", errno);
}

TEST_F(rx, from_kernel_tx)
{
	struct nrtls_keys ktx;
	int tx, ret;
	size_t total = 256 * 1024;
	uint8_t *buf = malloc(total), *got = malloc(total);

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, got);
	/* The receiver's key and first record number. */
	nrtls_keys_init(&ktx, variant->version, variant->cipher, 1);
	tx = self->tx;
	ret = nrtls_ulp_tls(tx, TLS_TX, &ktx);
	ASSERT_EQ(0, ret) TH_LOG("TLS_TX: %s", strerror(-ret));
	nrtls_fill(buf, total, 13);
	for (size_t off = 0; off < total; off += 7777) {
		size_t n = total - off < 7777 ? total - off : 7777;

		ASSERT_EQ(0, nrtls_write_all(tx, buf + off, n));
	}
	ASSERT_EQ(0, recv_exact(self->rx, got, total, NRTLS_CT_DATA));
	EXPECT_EQ(0, memcmp(buf, got, total));
	free(buf);
	free(got);
}

TEST_F(rx, control_record_from_kernel_tx)
{
	char cbuf[CMSG_SPACE(sizeof(uint8_t))];
	struct iovec iov = { .iov_base = "\x02\x28", .iov_len = 2 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	struct nrtls_keys ktx;
	uint8_t type;

	nrtls_keys_init(&ktx, variant->version, variant->cipher, 1);
	ASSERT_EQ(0, nrtls_ulp_tls(self->tx, TLS_TX, &ktx));
	cm->cmsg_level = SOL_TLS;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(sizeof(uint8_t));
	*(uint8_t *)CMSG_DATA(cm) = NRTLS_CT_ALERT;
	ASSERT_EQ(5, send(self->tx, "data1", 5, 0));
	ASSERT_EQ(2, sendmsg(self->tx, &msg, 0));
	ASSERT_EQ(5, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(NRTLS_CT_DATA, type);
	ASSERT_EQ(2, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(NRTLS_CT_ALERT, type);
	EXPECT_EQ(0, memcmp("\x02\x28", self->out, 2));
}

TEST_F(rx, second_tls_rx_is_refused)
{
	/* TLS 1.3 key update for RX: not in 6.1 or 6.12. */
	EXPECT_EQ(-1, setsockopt(self->rx, SOL_TLS, TLS_RX, &self->k.ci, self->k.ci_len));
	EXPECT_EQ(EBUSY, errno);
}

/* Linux's recvmsg_multiple: one read scatters two records over three iovecs. */
TEST_F(rx, readv_scatters_records)
{
	uint8_t a[100], b[200], c[1700];
	struct iovec iov[] = {
		{ .iov_base = a, .iov_len = sizeof(a) },
		{ .iov_base = b, .iov_len = sizeof(b) },
		{ .iov_base = c, .iov_len = sizeof(c) },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 3 };

	nrtls_fill(self->in, 2000, 16);
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in, 1000, 0));
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in + 1000, 1000, 0));
	ASSERT_EQ(2000, recvmsg(self->rx, &msg, MSG_WAITALL));
	EXPECT_EQ(0, memcmp(self->in, a, sizeof(a)));
	EXPECT_EQ(0, memcmp(self->in + 100, b, sizeof(b)));
	EXPECT_EQ(0, memcmp(self->in + 300, c, sizeof(c)));
}

TEST_F(rx, nothing_queued_is_eagain)
{
	uint8_t type;

	EXPECT_EQ(-1, recv_rec(self->rx, self->out, sizeof(self->out), MSG_DONTWAIT, &type));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, "now", 3, 0));
	ASSERT_EQ(3, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(NRTLS_CT_DATA, type);
	EXPECT_EQ(0, memcmp("now", self->out, 3));
}

/* Linux's recv_peek_multiple_records: a waiting peek spans data records. */
TEST_F(rx, peek_waitall_spans_records)
{
	uint8_t type;

	nrtls_fill(self->in, 300, 17);
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in, 100, 0));
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in + 100, 200, 0));
	ASSERT_EQ(300, recv_rec(self->rx, self->out, 300, MSG_PEEK | MSG_WAITALL, &type));
	EXPECT_EQ(NRTLS_CT_DATA, type);
	EXPECT_EQ(0, memcmp(self->in, self->out, 300));
	memset(self->out, 0, 300);
	ASSERT_EQ(300, recv_rec(self->rx, self->out, 300, MSG_WAITALL, &type));
	EXPECT_EQ(0, memcmp(self->in, self->out, 300));
	EXPECT_EQ(-1, recv(self->rx, self->out, sizeof(self->out), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(rx, peek_leaves_a_control_record)
{
	uint8_t type;

	ASSERT_EQ(0, send_rec(self, NRTLS_CT_ALERT, "\x01\x00", 2, 0));
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, "data", 4, 0));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(2, recv_rec(self->rx, self->out, sizeof(self->out), MSG_PEEK, &type));
		EXPECT_EQ(NRTLS_CT_ALERT, type);
	}
	ASSERT_EQ(2, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(NRTLS_CT_ALERT, type);
	EXPECT_EQ(0, memcmp("\x01\x00", self->out, 2));
	ASSERT_EQ(4, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(NRTLS_CT_DATA, type);
	EXPECT_EQ(0, memcmp("data", self->out, 4));
}

/* Linux's recv_and_splice: half a record read, the other half spliced. */
TEST_F(rx, read_part_then_splice_the_rest)
{
	int p[2];

	nrtls_fill(self->in, 10000, 18);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in, 10000, 0));
	ASSERT_EQ(5000, recv(self->rx, self->out, 5000, MSG_WAITALL));
	EXPECT_EQ(5000, splice(self->rx, NULL, p[1], NULL, 5000, SPLICE_F_NONBLOCK));
	EXPECT_EQ(5000, read(p[0], self->out + 5000, 5000));
	EXPECT_EQ(0, memcmp(self->in, self->out, 10000));
	close(p[0]);
	close(p[1]);
}

/* Linux's peek_and_splice: a peek over records, then all of them spliced. */
TEST_F(rx, peek_then_splice)
{
	int p[2];

	nrtls_fill(self->in, 16000, 19);
	ASSERT_EQ(0, pipe(p));
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in + i * 4000, 4000, 0));
	ASSERT_EQ(10000, recv(self->rx, self->out, 10000, MSG_PEEK | MSG_WAITALL));
	EXPECT_EQ(0, memcmp(self->in, self->out, 10000));
	memset(self->out, 0, 16000);
	ASSERT_EQ(0, splice_all(self->rx, p, self->out, 16000));
	EXPECT_EQ(0, memcmp(self->in, self->out, 16000));
	close(p[0]);
	close(p[1]);
}

/*
 * getsockopt(TLS_RX) gives back the key and the next record number, which
 * advanced by one per record read (Linux's getsockopt, for RX); a buffer
 * of the header's size gets only the version and cipher.
 */
TEST_F(rx, getsockopt_reports_the_record_number)
{
	union nrtls_crypto_info got;
	uint64_t seq = 0;
	socklen_t len;
	uint8_t *rs;

	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, "abc", 3, 0));
		ASSERT_EQ(0, recv_exact(self->rx, self->out, 3, NRTLS_CT_DATA));
	}
	len = self->k.ci_len;
	memset(&got, 0xa5, sizeof(got));
	ASSERT_EQ(0, getsockopt(self->rx, SOL_TLS, TLS_RX, &got, &len));
	EXPECT_EQ(self->k.ci_len, len);
	EXPECT_EQ(variant->version, got.info.version);
	EXPECT_EQ(variant->cipher, got.info.cipher_type);
	switch (variant->cipher) {
	case TLS_CIPHER_AES_GCM_128:
		EXPECT_EQ(0, memcmp(self->k.ci.g128.key, got.g128.key, sizeof(got.g128.key)));
		rs = got.g128.rec_seq;
		break;
	case TLS_CIPHER_AES_GCM_256:
		EXPECT_EQ(0, memcmp(self->k.ci.g256.key, got.g256.key, sizeof(got.g256.key)));
		rs = got.g256.rec_seq;
		break;
	default:
		EXPECT_EQ(0, memcmp(self->k.ci.chacha.key, got.chacha.key,
				    sizeof(got.chacha.key)));
		rs = got.chacha.rec_seq;
		break;
	}
	for (int i = 0; i < 8; i++)
		seq = seq << 8 | rs[i];
	EXPECT_EQ(NRTLS_SEQ0 + 3, seq);

	len = sizeof(struct tls_crypto_info);
	memset(&got, 0xa5, sizeof(got));
	ASSERT_EQ(0, getsockopt(self->rx, SOL_TLS, TLS_RX, &got, &len));
	EXPECT_EQ(sizeof(struct tls_crypto_info), len);
	EXPECT_EQ(variant->version, got.info.version);
	EXPECT_EQ(variant->cipher, got.info.cipher_type);
	len = sizeof(struct tls_crypto_info) - 1;
	EXPECT_EQ(-1, getsockopt(self->rx, SOL_TLS, TLS_RX, &got, &len));
	EXPECT_EQ(EINVAL, errno);
	len = self->k.ci_len - 1;
	EXPECT_EQ(-1, getsockopt(self->rx, SOL_TLS, TLS_RX, &got, &len));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * Linux's bad_in_large_read: three records in one segment, the third
 * broken: a large read gets the first two, the next read EBADMSG.
 */
TEST_F(rx, bad_record_after_good_ones_in_one_read)
{
	size_t n = 0, m;
	uint8_t type;

	nrtls_fill(self->in, 3 * 64, 20);
	for (int i = 0; i < 3; i++) {
		m = nrtls_seal(&self->k, NRTLS_CT_DATA, self->in + i * 64, 64, 0, self->out + n);
		ASSERT_NE(0, m);
		n += m;
	}
	self->out[n - 1] ^= 0x01;
	ASSERT_EQ(0, nrtls_write_all(self->tx, self->out, n));
	ASSERT_EQ(128, recv_rec(self->rx, self->out, sizeof(self->out), MSG_WAITALL, &type));
	EXPECT_EQ(0, memcmp(self->in, self->out, 128));
	EXPECT_EQ(-1, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(EBADMSG, errno);
	EXPECT_GE(0, recv_rec(self->rx, self->out, sizeof(self->out), MSG_DONTWAIT, &type));
}

/*
 * TLS_RX_EXPECT_NO_PAD (decrypt TLS 1.3 straight into the reader's buffer,
 * betting there is no padding): TLS 1.3 only, read back as set.
 */
TEST_F(rx, no_pad_hint_is_tls13_only)
{
	int one = 1, val = -1;
	socklen_t len = sizeof(val);
	uint8_t type;

	if (variant->version == TLS_1_2_VERSION) {
		EXPECT_EQ(-1, setsockopt(self->rx, SOL_TLS, TLS_RX_EXPECT_NO_PAD,
					 &one, sizeof(one)));
		EXPECT_EQ(EINVAL, errno);
		return;
	}
	ASSERT_EQ(0, setsockopt(self->rx, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &one, sizeof(one)));
	ASSERT_EQ(0, getsockopt(self->rx, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &val, &len));
	EXPECT_EQ(1, val);
	nrtls_fill(self->in, 5000, 21);
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in, 5000, 0));
	ASSERT_EQ(5000, recv_rec(self->rx, self->out, 5000, MSG_WAITALL, &type));
	EXPECT_EQ(0, memcmp(self->in, self->out, 5000));
}

/*
 * shutdown(SHUT_RD): the whole record already queued is still delivered,
 * then end of stream, with the half record behind it never returned.
 */
TEST_F(rx, shutdown_rd_delivers_whole_records_then_eof)
{
	uint8_t type;
	size_t n;

	nrtls_fill(self->in, 1500, 24);
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in, 1000, 0));
	n = nrtls_seal(&self->k, NRTLS_CT_DATA, self->in + 1000, 500, 0, self->rec);
	ASSERT_EQ(0, nrtls_write_all(self->tx, self->rec, n / 2));
	/* The first record is whole at the receiver before the read side shuts. */
	ASSERT_EQ(1000, recv_rec(self->rx, self->out, 1000, MSG_PEEK | MSG_WAITALL, &type));
	ASSERT_EQ(0, shutdown(self->rx, SHUT_RD));
	memset(self->out, 0, 1000);
	ASSERT_EQ(1000, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
	EXPECT_EQ(NRTLS_CT_DATA, type);
	EXPECT_EQ(0, memcmp(self->in, self->out, 1000));
	EXPECT_EQ(0, recv_rec(self->rx, self->out, sizeof(self->out), 0, &type));
}

/*
 * Linux's bidir: one socket with both directions in the kernel (with the
 * NIC: its RX and TX offload), records crossing each other; the peer
 * reads what it sent with kTLS RX under a second key.
 */
TEST_F(rx, both_directions_on_one_socket)
{
	struct nrtls_keys back;
	int ret;

	nrtls_keys_init(&back, variant->version, variant->cipher, 5);
	ret = nrtls_ulp_tls(self->tx, TLS_RX, &back);
	ASSERT_EQ(0, ret) TH_LOG("the peer's TLS_RX: %s", strerror(-ret));
	set_timeout(self->tx, 10000);
	ASSERT_EQ(0, setsockopt(self->rx, SOL_TLS, TLS_TX, &back.ci, back.ci_len));
	nrtls_fill(self->in, 6000, 25);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in + i * 1000, 1000, 0));
		ASSERT_EQ(1000, send(self->rx, self->in + 3000 + i * 1000, 1000, 0));
		ASSERT_EQ(0, recv_exact(self->rx, self->out, 1000, NRTLS_CT_DATA));
		EXPECT_EQ(0, memcmp(self->in + i * 1000, self->out, 1000));
		ASSERT_EQ(0, recv_exact(self->tx, self->out, 1000, NRTLS_CT_DATA));
		EXPECT_EQ(0, memcmp(self->in + 3000 + i * 1000, self->out, 1000));
	}
}

struct reader {
	int fd;
	ssize_t n;
	uint8_t buf[1000];
};

static void *read_record(void *arg)
{
	struct reader *r = arg;

	r->n = recv(r->fd, r->buf, sizeof(r->buf), MSG_WAITALL);
	return NULL;
}

/* Which of @nrec records of @len bytes in @in @buf is, or -1. */
static int which_record(const uint8_t *in, int nrec, size_t len, const uint8_t *buf)
{
	for (int i = 0; i < nrec; i++)
		if (!memcmp(in + i * len, buf, len))
			return i;
	return -1;
}

/* Linux's mutliproc_readers: two readers at once, one whole record each. */
TEST_F(rx, two_readers_get_whole_records)
{
	struct reader r[2] = { { .fd = self->rx }, { .fd = self->rx } };
	pthread_t thr[2];
	int a, b;

	nrtls_fill(self->in, 2000, 26);
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&thr[i], NULL, read_record, &r[i]));
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in, 1000, 0));
	ASSERT_EQ(0, send_rec(self, NRTLS_CT_DATA, self->in + 1000, 1000, 0));
	for (int i = 0; i < 2; i++)
		pthread_join(thr[i], NULL);
	ASSERT_EQ(1000, r[0].n);
	ASSERT_EQ(1000, r[1].n);
	a = which_record(self->in, 2, 1000, r[0].buf);
	b = which_record(self->in, 2, 1000, r[1].buf);
	EXPECT_NE(-1, a);
	EXPECT_NE(-1, b);
	EXPECT_NE(a, b);
}

/* TLS 1.3 only: padding and the inner content type. */
FIXTURE(rx13) {
	FIXTURE_DATA(rx) r;
};

FIXTURE_VARIANT(rx13) {
	int cipher;
};

FIXTURE_VARIANT_ADD(rx13, aes_gcm_128) { .cipher = TLS_CIPHER_AES_GCM_128 };
FIXTURE_VARIANT_ADD(rx13, aes_gcm_256) { .cipher = TLS_CIPHER_AES_GCM_256 };
FIXTURE_VARIANT_ADD(rx13, chacha20) { .cipher = TLS_CIPHER_CHACHA20_POLY1305 };

FIXTURE_SETUP(rx13)
{
	int ret, one = 1;

	nrtls_keys_init(&self->r.k, TLS_1_3_VERSION, variant->cipher, 2);
	ASSERT_EQ(0, nrtls_tcp_pair(&self->r.tx, &self->r.rx));
	ASSERT_EQ(0, setsockopt(self->r.tx, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	ret = nrtls_ulp_tls(self->r.rx, TLS_RX, &self->r.k);
	ASSERT_EQ(0, ret) TH_LOG("TLS_RX: %s", strerror(-ret));
	set_timeout(self->r.rx, 10000);
}

FIXTURE_TEARDOWN(rx13)
{
	close(self->r.tx);
	close(self->r.rx);
}

TEST_F(rx13, padded_records)
{
	static const size_t cases[][2] = {	/* data, padding */
		{ 1, 1 }, { 100, 200 }, { 1000, 15000 }, { 0, NRTLS_REC_MAX }, { NRTLS_REC_MAX - 1, 0 },
		{ 10, NRTLS_REC_MAX - 10 },
	};
	uint8_t type;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i][0];

		nrtls_fill(self->r.in, len, i);
		ASSERT_EQ(0, send_rec(&self->r, NRTLS_CT_DATA, self->r.in, len, cases[i][1]));
		if (!len)
			continue;	/* an empty record: nothing to read */
		ASSERT_EQ((ssize_t)len, recv_rec(self->r.rx, self->r.out, len, MSG_WAITALL, &type))
			TH_LOG("%zu bytes, %zu padding", len, cases[i][1]);
		EXPECT_EQ(NRTLS_CT_DATA, type);
		EXPECT_EQ(0, memcmp(self->r.in, self->r.out, len));
	}
}

TEST_F(rx13, padded_control_record)
{
	uint8_t type;

	ASSERT_EQ(0, send_rec(&self->r, NRTLS_CT_ALERT, "\x01\x00", 2, 300));
	ASSERT_EQ(2, recv_rec(self->r.rx, self->r.out, sizeof(self->r.out), 0, &type));
	EXPECT_EQ(NRTLS_CT_ALERT, type);
	EXPECT_EQ(0, memcmp("\x01\x00", self->r.out, 2));
}

TEST_F(rx13, padding_over_the_limit_is_refused)
{
	uint8_t type;

	/* 2^14 + 2 bytes of inner plaintext, one more than allowed. */
	ASSERT_EQ(0, send_rec(&self->r, NRTLS_CT_DATA, "x", 1, NRTLS_REC_MAX));
	EXPECT_EQ(-1, recv_rec(self->r.rx, self->r.out, sizeof(self->r.out), 0, &type));
	EXPECT_TRUE(errno == EMSGSIZE || errno == EBADMSG) TH_LOG("errno %d", errno);
}

/*
 * The no-padding bet lost: a record decrypted straight into the reader's
 * buffer turns out padded (counted as TlsRxNoPadViolation) or a control
 * record (TlsDecryptRetry), and is decrypted again the usual way.  The
 * reader gets the right bytes and type, and nothing past them is written.
 * The bet is only taken when the whole record fits the read.
 */
TEST_F(rx13, no_pad_hint_survives_padding)
{
	long viol0 = nrtls_tls_stat(NULL, "TlsRxNoPadViolation");
	long retry0 = nrtls_tls_stat(NULL, "TlsDecryptRetry");
	uint8_t first[32], later[64], type;
	char cbuf[CMSG_SPACE(sizeof(uint8_t))];
	struct iovec iov[] = {
		{ .iov_base = first, .iov_len = sizeof(first) },
		{ .iov_base = later, .iov_len = sizeof(later) },
	};
	struct msghdr msg = {
		.msg_iov = iov, .msg_iovlen = 2,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	int one = 1;

	ASSERT_LE(0, viol0);
	ASSERT_LE(0, retry0);
	ASSERT_EQ(0, setsockopt(self->r.rx, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &one, sizeof(one)));
	nrtls_fill(self->r.in, 1000, 22);
	ASSERT_EQ(0, send_rec(&self->r, NRTLS_CT_DATA, self->r.in, 1000, 200));
	ASSERT_EQ(1000, recv_rec(self->r.rx, self->r.out, sizeof(self->r.out), 0, &type));
	EXPECT_EQ(NRTLS_CT_DATA, type);
	EXPECT_EQ(0, memcmp(self->r.in, self->r.out, 1000));
	EXPECT_LT(viol0, nrtls_tls_stat(NULL, "TlsRxNoPadViolation"));

	nrtls_fill(self->r.in, sizeof(first), 23);
	memset(later, 0x5a, sizeof(later));
	retry0 = nrtls_tls_stat(NULL, "TlsDecryptRetry");
	ASSERT_EQ(0, send_rec(&self->r, NRTLS_CT_HANDSHAKE, self->r.in, sizeof(first), 0));
	ASSERT_EQ((ssize_t)sizeof(first), recvmsg(self->r.rx, &msg, 0));
	EXPECT_EQ(0, memcmp(self->r.in, first, sizeof(first)));
	for (size_t i = 0; i < sizeof(later); i++) {
		ASSERT_EQ(0x5a, later[i]) {
			TH_LOG("byte %zu past the record was written", i);
		}
	}
	EXPECT_LT(retry0, nrtls_tls_stat(NULL, "TlsDecryptRetry"));
}

TEST_F(rx13, all_zero_inner_plaintext_is_ebadmsg)
{
	uint8_t zeros[32] = { 0 }, type;

	/* No non-zero byte: no inner content type (RFC 8446 5.4). */
	ASSERT_EQ(0, send_rec(&self->r, 0, zeros, sizeof(zeros), 0));
	EXPECT_EQ(-1, recv_rec(self->r.rx, self->r.out, sizeof(self->r.out), 0, &type));
	EXPECT_EQ(EBADMSG, errno);
}

TEST_HARNESS_MAIN
