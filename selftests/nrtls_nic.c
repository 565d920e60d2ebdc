// SPDX-License-Identifier: GPL-2.0
/*
 * The emulated kTLS-offload NIC: stock kTLS device offload through it to
 * an unmodified OpenSSL peer in another namespace, with each personality
 * and cipher; retransmissions; sockets closed, killed and devices deleted
 * with packets still in the ring; the mlx5 pool running dry and failing;
 * cxgb4 credit starvation and the flush of the last release; forwarded
 * packets; the offload switches; async sendfile over an offloaded socket;
 * records from a wrong NIC state rejected by the peer; four TX queues.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "kselftest_harness.h"
#include "nrtls_net.h"
#include "nrtls_nic.h"
#include "nrtls_test.h"

#define MiB (1024 * 1024ull)
#define SEED 77

/* "key=N" in @line, or -1. */
static long line_value(const char *line, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), " %s=", key);
	p = strstr(line, k);
	return p ? strtol(p + strlen(k), NULL, 10) : -1;
}

static void sleep_ms(int ms)
{
	usleep(ms * 1000);
}

/* SSL_shutdown() on a connection whose device went away. */
static void __attribute__((constructor)) no_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

/*
 * No context, descriptor or waiting packet left; the devices' pools may
 * still be there (nrtls_wait_idle() is for when the devices are gone).
 */
static bool flows_idle(int ms)
{
	for (; ms > 0; ms -= 20) {
		if (!nrtls_read_stat("counters", "contexts") &&
		    !nrtls_read_stat("counters", "nic_descs") &&
		    !nrtls_read_stat("counters", "nic_pending"))
			return true;
		sleep_ms(20);
	}
	return false;
}

/* Counters need a moment after the last packet (the ring's latency). */
FIXTURE(nic) {
	struct nrtls_nicnet net;
	struct nrtls_tls t;
	bool have_tls;
};

FIXTURE_VARIANT(nic) {
	const char *opts;
	const char *cipher;
	const char *personality;
};

FIXTURE_VARIANT_ADD(nic, mlx5_aes128) {
	"personality mlx5", "ECDHE-ECDSA-AES128-GCM-SHA256", "mlx5" };
FIXTURE_VARIANT_ADD(nic, mlx5_aes256) {
	"personality mlx5", "ECDHE-ECDSA-AES256-GCM-SHA384", "mlx5" };
FIXTURE_VARIANT_ADD(nic, cxgb4_aes128) {
	"personality cxgb4", "ECDHE-ECDSA-AES128-GCM-SHA256", "cxgb4" };
FIXTURE_VARIANT_ADD(nic, cxgb4_aes256) {
	"personality cxgb4", "ECDHE-ECDSA-AES256-GCM-SHA384", "cxgb4" };

FIXTURE_SETUP(nic)
{
	ASSERT_EQ(0, nrtls_nicnet_setup(&self->net, variant->opts));
	ASSERT_EQ(0, nrtls_tls_pair_ns(&self->t, TLS1_2_VERSION, variant->cipher,
				       self->net.fd_a, "192.0.2.1", self->net.fd_b));
	self->have_tls = true;
}

FIXTURE_TEARDOWN(nic)
{
	if (self->have_tls)
		nrtls_tls_abort(&self->t);
	nrtls_nicnet_teardown(&self->net);
	EXPECT_TRUE(nrtls_wait_idle(20000));
}

/* The same, once per personality, for what does not depend on the cipher. */
FIXTURE(ring) {
	struct nrtls_nicnet net;
	struct nrtls_tls t;
	bool have_tls;
};

FIXTURE_VARIANT(ring) {
	const char *opts;
};

FIXTURE_VARIANT_ADD(ring, mlx5) { "personality mlx5" };
FIXTURE_VARIANT_ADD(ring, cxgb4) { "personality cxgb4" };

FIXTURE_SETUP(ring)
{
	ASSERT_EQ(0, nrtls_nicnet_setup(&self->net, variant->opts));
	ASSERT_EQ(0, nrtls_tls_pair_ns(&self->t, TLS1_2_VERSION,
				       "ECDHE-ECDSA-AES128-GCM-SHA256",
				       self->net.fd_a, "192.0.2.1", self->net.fd_b));
	self->have_tls = true;
}

FIXTURE_TEARDOWN(ring)
{
	if (self->have_tls)
		nrtls_tls_abort(&self->t);
	nrtls_nicnet_teardown(&self->net);
	EXPECT_TRUE(nrtls_wait_idle(20000));
}

static int tls_move(struct nrtls_tls *t, uint64_t len);

/* The flow is offloaded to nic0: stock kTLS says so, and so do we. */
TEST_F(nic, offloaded)
{
	char line[1024], type[32], mode[32], ctl[4096], out[4096], want[256];
	unsigned int id, ifindex, refs;

	EXPECT_EQ(1, nrtls_tls_stat(self->net.ns_a, "TlsCurrTxDevice"));
	EXPECT_EQ(0, nrtls_tls_stat(self->net.ns_a, "TlsCurrTxSw"));
	EXPECT_EQ(1, nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_ctx_add"));
	ASSERT_TRUE(nrtls_ctx_find(line, sizeof(line), " tls-tx device ", " dev=nic0 "));
	TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, " tcp 192.0.2.1:"));
	EXPECT_NE(NULL, strstr(line, variant->personality));
	/* The socket holds the only reference while nothing is in flight. */
	ASSERT_EQ(5, sscanf(line, "%u %31s %31s %u %u", &id, type, mode, &ifindex, &refs));
	EXPECT_EQ(1, refs);
	/* nrtlsctl shows the same. */
	ASSERT_EQ(0, nrtls_build_path("user/bin/nrtlsctl", ctl, sizeof(ctl)));
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "%s contexts --json", ctl));
	snprintf(want, sizeof(want), "{\"id\":%u,\"type\":\"tls-tx\",\"mode\":\"device\","
		 "\"ifindex\":%u,\"refs\":1,\"proto\":\"tcp\",\"src\":\"192.0.2.1:", id, ifindex);
	EXPECT_NE(NULL, strstr(out, want)) {
		TH_LOG("%s", out);
	}
	snprintf(want, sizeof(want), "\"personality\":\"%s\"", variant->personality);
	EXPECT_NE(NULL, strstr(out, want));
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "%s contexts", ctl));
	EXPECT_NE(NULL, strstr(out, "tls-tx   device")) {
		TH_LOG("%s", out);
	}
	nrtls_tls_abort(&self->t);
	self->have_tls = false;
	EXPECT_TRUE(flows_idle(20000));
	EXPECT_EQ(1, nrtls_wait_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_ctx_del", 1));
	EXPECT_FALSE(nrtls_ctx_find(NULL, 0, " dev=nic0 ", NULL));
}

/*
 * Every size from a byte to 64 MiB, one after the other: what the peer's
 * OpenSSL decrypts is the plaintext, and the NIC encrypted it.
 */
TEST_F_TIMEOUT(nic, sizes, 600)
{
	/* 64 MiB once per personality: its cost is not the cipher's. */
	static const uint64_t sizes[] = { 1, 4095, 16385, MiB + 7, 64 * MiB };
	size_t n = sizeof(sizes) / sizeof(sizes[0]) - !!strstr(variant->cipher, "AES256");
	long enc0 = nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_encrypted_bytes");
	uint64_t off = 0;

	for (size_t i = 0; i < n; i++) {
		struct nrtls_peer peer = { .fd = self->t.receiver, .ssl = self->t.cssl };
		uint8_t want[SHA256_LEN];

		peer.want = sizes[i];
		ASSERT_EQ(0, nrtls_peer_start(&peer));
		ASSERT_EQ(0, nrtls_ssl_send(self->t.sssl, SEED, off, sizes[i]));
		nrtls_peer_join(&peer);
		nrtls_expected_sha(SEED, off, sizes[i], NULL, 0, want);
		EXPECT_EQ(0, peer.err);
		EXPECT_EQ(sizes[i], peer.got);
		EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN)) {
			TH_LOG("size %llu: the peer decrypted something else",
			       (unsigned long long)sizes[i]);
		}
		off += sizes[i];
	}
	EXPECT_LE(enc0 + (long)off,
		  nrtls_wait_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_encrypted_bytes", enc0 + off));
	EXPECT_EQ(1, nrtls_tls_stat(self->net.ns_a, "TlsTxDevice"));
}

/* The not-ready engine's sendfile over an offloaded socket. */
TEST_F(ring, async_sendfile)
{
	static const char hdr[] = "HTTP/1.1 200 OK\r\n\r\n";
	struct nrtls_peer peer = { .fd = self->t.receiver, .ssl = self->t.cssl };
	uint64_t len = 4 * MiB + 3, q;
	uint8_t want[SHA256_LEN];
	char path[64];
	int dev, fd;

	snprintf(path, sizeof(path), "/tmp/nrtls-nic-%d", getpid());
	fd = nrtls_make_file(path, len + 100, SEED);
	ASSERT_LE(0, fd);
	unlink(path);
	dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	peer.want = sizeof(hdr) - 1 + len;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	ASSERT_EQ(0, nrtls_sendfile(dev, self->t.sender, fd, 100, len, hdr,
				    sizeof(hdr) - 1, 0, &q));
	EXPECT_EQ(peer.want, q);
	nrtls_peer_join(&peer);
	nrtls_expected_sha(SEED, 100, len, hdr, sizeof(hdr) - 1, want);
	EXPECT_EQ(peer.want, peer.got);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	EXPECT_LT(0, nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_encrypted_packets"));
	close(fd);
	close(dev);
}

/*
 * The NIC encrypts from its own record number, not the socket's: when a
 * fault makes it wrong, the peer's OpenSSL rejects the records that
 * follow (bad record MAC).  The same flow decrypted exactly just before.
 */
TEST_F_TIMEOUT(ring, wrong_record_number, 180)
{
	struct nrtls_peer peer = { .fd = self->t.receiver, .ssl = self->t.cssl,
				   .want = 4 * MiB };
	/* The sender stops once the peer has stopped reading. */
	struct timeval tv = { .tv_sec = 5 };
	long hits = nrtls_fault_hits("nic_rcd_sn");

	ASSERT_EQ(0, tls_move(&self->t, MiB));
	EXPECT_EQ(hits, nrtls_fault_hits("nic_rcd_sn"));
	ASSERT_EQ(0, setsockopt(self->t.sender, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(0, nrtls_fault_arm("nic_rcd_sn", 10, 1));
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	nrtls_ssl_send(self->t.sssl, SEED, MiB, 4 * MiB);
	nrtls_peer_join(&peer);
	EXPECT_EQ(hits + 1, nrtls_fault_hits("nic_rcd_sn"));
	EXPECT_NE(0, peer.err);
	EXPECT_GT(4 * MiB, peer.got);
	EXPECT_EQ(SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC, ERR_GET_REASON(peer.ssl_err)) {
		TH_LOG("peer: %s", ERR_reason_error_string(peer.ssl_err) ?: "no SSL error");
	}
}

/*
 * Loss and reordering on the peer's side (ifb and netem on its ingress):
 * TCP retransmits from inside records, the NIC resyncs, the data is exact.
 */
TEST_F_TIMEOUT(nic, retransmissions, 300)
{
	struct nrtls_peer peer;
	uint64_t len = 6 * MiB;
	uint8_t want[SHA256_LEN];
	const char *b = self->net.ns_b;
	unsigned int retrans = 0;

	ASSERT_EQ(0, nrtls_sh("modprobe ifb numifbs=0"));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link add ifb0 type ifb && ip -n %s link set ifb0 up", b, b));
	ASSERT_EQ(0, nrtls_sh("ip netns exec %s tc qdisc add dev nic0p handle ffff: ingress && "
			      "ip netns exec %s tc filter add dev nic0p parent ffff: matchall "
			      "action mirred egress redirect dev ifb0", b, b));
	ASSERT_EQ(0, nrtls_sh("ip netns exec %s tc qdisc add dev ifb0 root netem "
			      "delay 2ms reorder 20%% 50%% loss 2%%", b));
	nrtls_expected_sha(SEED, 0, len, NULL, 0, want);
	/*
	 * The loss is random and the packets few (GSO): until TCP has
	 * retransmitted at least once, send again (rarely needed).
	 */
	for (int round = 0; round < 5 && !retrans; round++) {
		struct tcp_info ti;
		socklen_t tl = sizeof(ti);

		peer = (struct nrtls_peer){ .fd = self->t.receiver, .ssl = self->t.cssl,
					    .want = len };
		ASSERT_EQ(0, nrtls_peer_start(&peer));
		ASSERT_EQ(0, nrtls_ssl_send(self->t.sssl, SEED, 0, len));
		nrtls_peer_join(&peer);
		EXPECT_EQ(len, peer.got);
		EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
		ASSERT_EQ(0, getsockopt(self->t.sender, IPPROTO_TCP, TCP_INFO, &ti, &tl));
		retrans = ti.tcpi_total_retrans;
		TH_LOG("round %d: %u retransmissions", round, retrans);
	}
	ASSERT_LT(0u, retrans) TH_LOG("the netem loss never hit the flow");
	EXPECT_LT(0, nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_ooo"));
	EXPECT_LT(0, nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_dump_bytes"));
	TH_LOG("ooo %ld resyncs %ld dumped %ld bytes",
	       nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_ooo"),
	       nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_resync"),
	       nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_dump_bytes"));
}

static int ring_latency(FIXTURE_DATA(ring) *self, unsigned int us)
{
	return nrtls_sh("ip -n %s link set nic0 type nrtls latency %u", self->net.ns_a, us);
}

/*
 * Slow the ring down, queue @len in the sender, and return once some of
 * it is in the ring.  The send buffer takes all of it at once: an mlx5
 * descriptor keeps its packet charged to the socket, so TCP Small Queues
 * lets only a packet or two into a 400 ms ring, and a blocking send of
 * megabytes could take minutes.
 */
static int fill_ring(struct __test_metadata *_metadata, FIXTURE_DATA(ring) *self,
		     struct nrtls_peer *peer, uint64_t len)
{
	int sndbuf = len + MiB;
	long descs = 0;

	if (ring_latency(self, 400000) ||
	    setsockopt(self->t.sender, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		return -1;
	peer->fd = self->t.receiver;
	peer->ssl = self->t.cssl;
	peer->want = len;
	if (nrtls_peer_start(peer) || nrtls_ssl_send(self->t.sssl, SEED, 0, len))
		return -1;
	for (int i = 0; i < 1000 && descs <= 0; i++) {
		descs = nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_ring_descs");
		if (descs <= 0)
			sleep_ms(5);
	}
	TH_LOG("%ld descriptors in the ring", descs);
	return descs > 0 ? 0 : -1;
}

/* The ring and the flows' queues in front of it are empty. */
static bool ring_drained(FIXTURE_DATA(ring) *self, int ms)
{
	for (; ms > 0; ms -= 20) {
		if (!nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_ring_descs") &&
		    !nrtls_read_stat("counters", "nic_pending"))
			return true;
		sleep_ms(20);
	}
	return false;
}

/* The application closes while its packets are in the ring. */
TEST_F_TIMEOUT(ring, close_with_packets_in_ring, 120)
{
	struct nrtls_peer peer = { 0 };
	uint64_t len = 512 * 1024;
	uint8_t want[SHA256_LEN];

	ASSERT_EQ(0, fill_ring(_metadata, self, &peer, len));
	EXPECT_LE(1, nrtls_read_stat("counters", "contexts"));
	EXPECT_LE(1, nrtls_read_stat("counters", "nic_descs"));
	/* Closed without close_notify: the kernel still sends what it has. */
	close(self->t.sender);
	self->t.sender = -1;
	/* The rest need not crawl through the slow ring. */
	ASSERT_EQ(0, ring_latency(self, 10));
	nrtls_peer_join(&peer);
	nrtls_expected_sha(SEED, 0, len, NULL, 0, want);
	EXPECT_EQ(len, peer.got);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	/* The peer closes too: the sender goes once the ring has drained. */
	nrtls_tls_abort(&self->t);
	self->have_tls = false;
	EXPECT_TRUE(flows_idle(20000));
}

/* "ss -K" kills the socket with its packets in the ring. */
TEST_F_TIMEOUT(ring, killed_with_packets_in_ring, 120)
{
	struct nrtls_peer peer = { 0 };

	ASSERT_EQ(0, fill_ring(_metadata, self, &peer, 2 * MiB));
	ASSERT_EQ(0, nrtls_sh("ip netns exec %s ss -K dst 192.0.2.2", self->net.ns_a));
	/* Dead: the application's next write fails. */
	EXPECT_EQ(-1, send(self->t.sender, "x", 1, MSG_NOSIGNAL));
	/* What was in the ring still leaves it, and the reset after it. */
	ASSERT_EQ(0, ring_latency(self, 10));
	EXPECT_TRUE(ring_drained(self, 20000));
	/*
	 * Nothing is retransmitted for a dead socket, its reset included: the
	 * peer may never hear of it.  Whatever it got, it got by now.
	 */
	sleep_ms(100);
	shutdown(self->t.receiver, SHUT_RD);
	nrtls_peer_join(&peer);
	EXPECT_GE(2 * MiB, peer.got);
	TH_LOG("the peer got %" PRIu64 " bytes, then %s", peer.got,
	       peer.err ? strerror(peer.err) : "end of stream");
	/* Once the application lets go of the dead socket, all of it goes. */
	nrtls_tls_abort(&self->t);
	self->have_tls = false;
	EXPECT_TRUE(flows_idle(20000));
}

/*
 * The device goes with packets in its ring: its contexts let go of it,
 * "ip link del" returns, and the flow carries on in software.
 */
TEST_F_TIMEOUT(ring, deleted_with_packets_in_ring, 120)
{
	struct nrtls_peer peer = { 0 };

	ASSERT_EQ(0, fill_ring(_metadata, self, &peer, 2 * MiB));
	EXPECT_LE(1, nrtls_read_stat("counters", "contexts"));
	ASSERT_EQ(0, nrtls_sh("timeout 20 ip -n %s link del nic0", self->net.ns_a));
	EXPECT_TRUE(flows_idle(20000));
	/* Nothing reaches the peer any more: stop it. */
	shutdown(self->t.receiver, SHUT_RDWR);
	nrtls_peer_join(&peer);
}

/* Turned off, the offload is not offered to new flows; RX is off by default. */
TEST_F(ring, offload_switches)
{
	struct nrtls_tls t2;
	struct nrtls_peer peer = { 0 };
	uint8_t want[SHA256_LEN];
	long sw0 = nrtls_tls_stat(self->net.ns_a, "TlsTxSw");
	long rxsw0 = nrtls_tls_stat(self->net.ns_a, "TlsRxSw");

	ASSERT_EQ(0, nrtls_sh("ip netns exec %s ethtool -K nic0 tls-hw-tx-offload off",
			      self->net.ns_a));
	ASSERT_EQ(0, nrtls_tls_pair_ns(&t2, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256",
				       self->net.fd_a, "192.0.2.1", self->net.fd_b));
	EXPECT_EQ(sw0 + 1, nrtls_tls_stat(self->net.ns_a, "TlsTxSw"));
	EXPECT_EQ(1, nrtls_tls_stat(self->net.ns_a, "TlsCurrTxDevice"));
	/* OpenSSL asked for kTLS RX too: software has it, the NIC was not asked. */
	EXPECT_EQ(rxsw0 + 1, nrtls_tls_stat(self->net.ns_a, "TlsRxSw"));
	EXPECT_EQ(0, nrtls_ethtool_stat(self->net.ns_a, "nic0", "rx_tls_ctx_add"));
	EXPECT_EQ(1, nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_ctx_add"));
	peer.fd = t2.receiver;
	peer.ssl = t2.cssl;
	peer.want = MiB;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	ASSERT_EQ(0, nrtls_ssl_send(t2.sssl, SEED, 0, MiB));
	nrtls_peer_join(&peer);
	nrtls_expected_sha(SEED, 0, MiB, NULL, 0, want);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
	nrtls_tls_abort(&t2);
}

/*
 * A router (namespace a) forwards plain TCP from a third namespace to b
 * through nic0 while its own kTLS flow is offloaded there: the forwarded
 * packets have no socket and go out as they came.
 */
TEST_F(ring, forwarded_not_offloaded)
{
	struct nrtls_peer fwd = { 0 }, tls = { .fd = self->t.receiver, .ssl = self->t.cssl };
	char ns_c[32];
	int fd_c, s, r;
	uint8_t want[SHA256_LEN];
	long nosock0 = nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_nosock_packets");
	long enc0 = nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_encrypted_bytes");
	static uint8_t buf[1 << 16];
	uint64_t len = 2 * MiB;
	char path[64];

	snprintf(ns_c, sizeof(ns_c), "nrtls-nc-%d", getpid());
	ASSERT_EQ(0, nrtls_sh("ip netns add %s && ip -n %s link set lo up", ns_c, ns_c));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link add fwd0 type veth peer name fwd0p netns %s",
			      self->net.ns_a, ns_c));
	ASSERT_EQ(0, nrtls_sh("ip -n %s addr add 198.51.100.1/24 dev fwd0 && "
			      "ip -n %s link set fwd0 up && "
			      "ip netns exec %s sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'",
			      self->net.ns_a, self->net.ns_a, self->net.ns_a));
	ASSERT_EQ(0, nrtls_sh("ip -n %s addr add 198.51.100.2/24 dev fwd0p && "
			      "ip -n %s link set fwd0p up && "
			      "ip -n %s route add 192.0.2.0/24 via 198.51.100.1",
			      ns_c, ns_c, ns_c));
	ASSERT_EQ(0, nrtls_sh("ip -n %s route add 198.51.100.0/24 via 192.0.2.1",
			      self->net.ns_b));
	snprintf(path, sizeof(path), "/run/netns/%s", ns_c);
	fd_c = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd_c);
	/* b listens, c connects through a. */
	ASSERT_EQ(0, nrtls_tcp_pair_ns(self->net.fd_b, "192.0.2.2", fd_c, &s, &r));
	fwd.fd = s;
	fwd.want = len;
	tls.want = len;
	ASSERT_EQ(0, nrtls_peer_start(&fwd));
	ASSERT_EQ(0, nrtls_peer_start(&tls));
	for (uint64_t off = 0; off < len; off += sizeof(buf)) {
		nrtls_file_fill(SEED, off, buf, sizeof(buf));
		ASSERT_EQ((ssize_t)sizeof(buf), write(r, buf, sizeof(buf)));
	}
	ASSERT_EQ(0, nrtls_ssl_send(self->t.sssl, SEED, 0, len));
	nrtls_peer_join(&fwd);
	nrtls_peer_join(&tls);
	nrtls_expected_sha(SEED, 0, len, NULL, 0, want);
	EXPECT_EQ(0, memcmp(want, fwd.sha, SHA256_LEN));
	EXPECT_EQ(0, memcmp(want, tls.sha, SHA256_LEN));
	/* Forwarded segments left through nic0 without a socket... */
	EXPECT_LT(nosock0 + 20, nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_nosock_packets"));
	/* ...and only the kTLS flow's bytes were encrypted. */
	EXPECT_GE(enc0 + (long)len + (long)len / 2,
		  nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_encrypted_bytes"));
	close(s);
	close(r);
	close(fd_c);
	nrtls_sh("ip netns del %s", ns_c);
}

/* --- mlx5: the pool --------------------------------------------------------- */

FIXTURE(mlx5) {
	struct nrtls_nicnet net;
};

FIXTURE_SETUP(mlx5)
{
	long size = -1;

	ASSERT_EQ(0, nrtls_fault_cmd("reset"));
	ASSERT_EQ(0, nrtls_nicnet_setup(&self->net, "personality mlx5 pool-low 1 "
					"pool-high 2 pool-bulk 1"));
	for (int i = 0; i < 100 && size != 2; i++) {
		size = nrtls_ethtool_stat(self->net.ns_a, "nic0", "mlx5_pool_size");
		sleep_ms(20);
	}
	ASSERT_EQ(2, size);
}

FIXTURE_TEARDOWN(mlx5)
{
	nrtls_fault_cmd("reset");
	nrtls_nicnet_teardown(&self->net);
	EXPECT_TRUE(nrtls_wait_idle(20000));
}

/* @len bytes written @pieces at a time, read and checked at the peer. */
static int tls_move_in(struct nrtls_tls *t, uint64_t len, int pieces)
{
	struct nrtls_peer peer = { .fd = t->receiver, .ssl = t->cssl, .want = len };
	uint8_t want[SHA256_LEN];
	uint64_t off = 0;

	if (nrtls_peer_start(&peer))
		return -1;
	for (int i = 0; i < pieces; i++) {
		uint64_t n = (len - off) / (pieces - i);

		if (nrtls_ssl_send(t->sssl, SEED, off, n))
			break;
		off += n;
	}
	nrtls_peer_join(&peer);
	nrtls_expected_sha(SEED, 0, len, NULL, 0, want);
	return off == len && peer.got == len && !memcmp(want, peer.sha, SHA256_LEN) ? 0 : -1;
}

static int tls_move(struct nrtls_tls *t, uint64_t len)
{
	return tls_move_in(t, len, 1);
}

/*
 * Two contexts in the pool and none to come: the rest are made on the
 * spot; then even that fails, and kTLS visibly stays in software.
 */
TEST_F_TIMEOUT(mlx5, pool_runs_dry_then_fails, 180)
{
	const char *a = self->net.ns_a;
	struct nrtls_tls t[5];
	long sw0 = nrtls_tls_stat(a, "TlsTxSw"), hits;
	int i;

	ASSERT_EQ(0, nrtls_fault_arm("nic_refill", 1, 1000));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, nrtls_tls_pair_ns(&t[i], TLS1_2_VERSION,
					       "ECDHE-ECDSA-AES128-GCM-SHA256",
					       self->net.fd_a, "192.0.2.1", self->net.fd_b));
	EXPECT_EQ(4, nrtls_tls_stat(a, "TlsCurrTxDevice"));
	EXPECT_EQ(2, nrtls_ethtool_stat(a, "nic0", "mlx5_pool_sync_alloc"));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "nic0", "mlx5_pool_size"));
	EXPECT_LE(1, nrtls_ethtool_stat(a, "nic0", "mlx5_pool_alloc_fail"));

	hits = nrtls_fault_hits("nic_hwctx");
	ASSERT_EQ(0, nrtls_fault_arm("nic_hwctx", 1, 1));
	ASSERT_EQ(0, nrtls_tls_pair_ns(&t[4], TLS1_2_VERSION,
				       "ECDHE-ECDSA-AES128-GCM-SHA256",
				       self->net.fd_a, "192.0.2.1", self->net.fd_b));
	EXPECT_EQ(hits + 1, nrtls_fault_hits("nic_hwctx"));
	EXPECT_EQ(4, nrtls_tls_stat(a, "TlsCurrTxDevice"));
	EXPECT_EQ(sw0 + 1, nrtls_tls_stat(a, "TlsTxSw"));
	EXPECT_EQ(1, nrtls_ethtool_stat(a, "nic0", "tx_tls_ctx_add_fail"));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(0, tls_move(&t[i], 300000 + i));
		nrtls_tls_abort(&t[i]);
	}
	/* Released contexts refill the pool up to its high mark. */
	EXPECT_EQ(2, nrtls_wait_ethtool_stat(a, "nic0", "mlx5_pool_size", 2));
}

/*
 * A failed context allocation in tls_dev_add (the context, or its cipher
 * in the NIC): software kTLS, no leak.
 */
TEST_F(mlx5, ctx_alloc_fault)
{
	static const char *const sites[] = { "ctx_alloc", "nic_key" };

	for (int i = 0; i < 2; i++) {
		long hits = nrtls_fault_hits(sites[i]);
		long fails = nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_ctx_add_fail");
		struct nrtls_tls t;

		ASSERT_EQ(0, nrtls_fault_arm(sites[i], 1, 1));
		ASSERT_EQ(0, nrtls_tls_pair_ns(&t, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256",
					       self->net.fd_a, "192.0.2.1", self->net.fd_b));
		EXPECT_EQ(hits + 1, nrtls_fault_hits(sites[i])) {
			TH_LOG("%s", sites[i]);
		}
		EXPECT_EQ(fails + 1, nrtls_ethtool_stat(self->net.ns_a, "nic0",
							"tx_tls_ctx_add_fail"));
		EXPECT_EQ(0, nrtls_tls_stat(self->net.ns_a, "TlsCurrTxDevice"));
		EXPECT_EQ(0, tls_move(&t, MiB));
		nrtls_tls_abort(&t);
	}
}

/*
 * Packets lost inside the NIC (no descriptor, or its encryption failed)
 * are retransmitted by TCP and the data arrives intact.
 */
TEST_F_TIMEOUT(mlx5, dropped_in_the_nic, 120)
{
	static const char *const sites[] = { "nic_desc", "nic_encrypt" };

	for (int i = 0; i < 2; i++) {
		struct nrtls_tls t;
		long hits;

		ASSERT_EQ(0, nrtls_tls_pair_ns(&t, TLS1_2_VERSION,
					       "ECDHE-ECDSA-AES128-GCM-SHA256",
					       self->net.fd_a, "192.0.2.1", self->net.fd_b));
		hits = nrtls_fault_hits(sites[i]);
		ASSERT_EQ(0, nrtls_fault_arm(sites[i], 20, 3));
		EXPECT_EQ(0, tls_move(&t, 2 * MiB));
		EXPECT_EQ(hits + 3, nrtls_fault_hits(sites[i])) {
			TH_LOG("%s", sites[i]);
		}
		nrtls_tls_abort(&t);
	}
	/* Either end may have lost the descriptors (ACKs come back). */
	EXPECT_EQ(3, nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_desc_alloc_fail") +
		     nrtls_ethtool_stat(self->net.ns_b, "nic0p", "tx_desc_alloc_fail"));
	EXPECT_EQ(3, nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_encrypt_fail"));
}

/*
 * Stock Linux offloads no TLS through a VLAN device (it has no tlsdev_ops,
 * and kTLS looks no further down): a flow over nic0.5 is software kTLS,
 * and exact.  lag0's own "vlan" is the way to offload it (nrtls_lag).
 */
TEST_F(ring, stock_vlan_is_software)
{
	const char *a = self->net.ns_a, *b = self->net.ns_b;
	struct nrtls_tls t;
	long sw0 = nrtls_tls_stat(a, "TlsCurrTxSw");

	ASSERT_EQ(0, nrtls_sh("ip -n %s link add link nic0 name nic0.5 type vlan id 5 && "
			      "ip -n %s addr add 198.51.100.1/24 dev nic0.5 && "
			      "ip -n %s link set nic0.5 up", a, a, a));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link add link nic0p name nic0p.5 type vlan id 5 && "
			      "ip -n %s addr add 198.51.100.2/24 dev nic0p.5 && "
			      "ip -n %s link set nic0p.5 up", b, b, b));
	ASSERT_EQ(0, nrtls_tls_pair_ns(&t, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256",
				       self->net.fd_a, "198.51.100.1", self->net.fd_b));
	EXPECT_EQ(sw0 + 1, nrtls_tls_stat(a, "TlsCurrTxSw"));
	EXPECT_EQ(1, nrtls_tls_stat(a, "TlsCurrTxDevice"));
	EXPECT_EQ(0, tls_move(&t, MiB));
	nrtls_tls_abort(&t);
}

/* --- several TX queues ------------------------------------------------------ */

#define MQ_FLOWS 8

FIXTURE(mq) {
	struct nrtls_nicnet net;
	struct nrtls_tls t[MQ_FLOWS];
	int n;
};

FIXTURE_VARIANT(mq) {
	const char *opts;
};

/*
 * A ring of four that completes after 20 ms: eight flows starting at once
 * fill it, however fast or slow the machine, so the queues stop and wake.
 */
FIXTURE_VARIANT_ADD(mq, mlx5) { "personality mlx5 ring 4 latency 20000" };
FIXTURE_VARIANT_ADD(mq, cxgb4) { "personality cxgb4 ring 4 latency 20000" };

FIXTURE_SETUP(mq)
{
	ASSERT_EQ(0, nrtls_nicnet_setup_link(&self->net, "numtxqueues 4", variant->opts));
	for (; self->n < MQ_FLOWS; self->n++)
		ASSERT_EQ(0, nrtls_tls_pair_ns(&self->t[self->n], TLS1_2_VERSION,
					       "ECDHE-ECDSA-AES128-GCM-SHA256",
					       self->net.fd_a, "192.0.2.1", self->net.fd_b));
}

FIXTURE_TEARDOWN(mq)
{
	for (int i = 0; i < self->n; i++)
		nrtls_tls_abort(&self->t[i]);
	nrtls_nicnet_teardown(&self->net);
	EXPECT_TRUE(nrtls_wait_idle(20000));
}

struct mq_sender {
	SSL *ssl;
	uint64_t off, len;
	int rc;
	pthread_t thread;
};

static void *mq_send(void *arg)
{
	struct mq_sender *s = arg;

	s->rc = nrtls_ssl_send(s->ssl, SEED, s->off, s->len);
	return NULL;
}

/* How many of @dev's TX queues (mq's child qdiscs) sent packets, or -1. */
static int txqs_used(const char *ns, const char *dev)
{
	static char out[16384];
	int used = 0, child = 0;
	char *line, *save;

	if (nrtls_sh_out(out, sizeof(out), "ip netns exec %s tc -s qdisc show dev %s", ns, dev))
		return -1;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long bytes, pkts;

		if (!strncmp(line, "qdisc ", 6))
			child = strstr(line, " parent :") != NULL;
		else if (child && sscanf(line, " Sent %llu bytes %llu pkt", &bytes, &pkts) == 2)
			used += pkts > 0;
	}
	return used;
}

/*
 * Four TX queues feeding one ring, eight offloaded flows sending at once:
 * every queue stops when the ring is full and wakes when it has room (a
 * queue left stopped stalls its flows), and every flow's data is exact.
 */
TEST_F_TIMEOUT(mq, parallel_flows, 300)
{
	struct nrtls_peer peer[MQ_FLOWS];
	struct mq_sender snd[MQ_FLOWS];
	struct timeval tv = { .tv_sec = 60 };
	/* Far more than the ring holds: the limit is the ring, 200 a second. */
	uint64_t len = MiB / 2 + 5;
	uint8_t want[SHA256_LEN];
	int i;

	EXPECT_EQ(MQ_FLOWS, nrtls_tls_stat(self->net.ns_a, "TlsCurrTxDevice"));
	for (i = 0; i < MQ_FLOWS; i++) {
		/* A stalled queue fails the send instead of hanging the test. */
		ASSERT_EQ(0, setsockopt(self->t[i].sender, SOL_SOCKET, SO_SNDTIMEO,
					&tv, sizeof(tv)));
		peer[i] = (struct nrtls_peer){ .fd = self->t[i].receiver,
					       .ssl = self->t[i].cssl, .want = len };
		ASSERT_EQ(0, nrtls_peer_start(&peer[i]));
		snd[i] = (struct mq_sender){ .ssl = self->t[i].sssl, .off = i, .len = len };
		ASSERT_EQ(0, pthread_create(&snd[i].thread, NULL, mq_send, &snd[i]));
	}
	for (i = 0; i < MQ_FLOWS; i++) {
		pthread_join(snd[i].thread, NULL);
		if (snd[i].rc)
			shutdown(self->t[i].receiver, SHUT_RDWR);
		nrtls_peer_join(&peer[i]);
		nrtls_expected_sha(SEED, i, len, NULL, 0, want);
		EXPECT_EQ(0, snd[i].rc) {
			TH_LOG("flow %d: the send stalled", i);
		}
		EXPECT_EQ(len, peer[i].got);
		EXPECT_EQ(0, memcmp(want, peer[i].sha, SHA256_LEN));
	}
	EXPECT_LT(0, nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_queue_stops"));
	EXPECT_LE(2, txqs_used(self->net.ns_a, "nic0"));
	EXPECT_LE((long)len * MQ_FLOWS,
		  nrtls_ethtool_stat(self->net.ns_a, "nic0", "tx_tls_encrypted_bytes"));
}

/* --- cxgb4: credits ----------------------------------------------------------- */

FIXTURE(cxgb4) {
	struct nrtls_nicnet net;
	struct nrtls_tls t;
};

FIXTURE_SETUP(cxgb4)
{
	ASSERT_EQ(0, nrtls_nicnet_setup(&self->net, "personality cxgb4 credits 24 "
					"compl-every 8 latency 50000"));
	ASSERT_EQ(0, nrtls_tls_pair_ns(&self->t, TLS1_2_VERSION,
				       "ECDHE-ECDSA-AES128-GCM-SHA256",
				       self->net.fd_a, "192.0.2.1", self->net.fd_b));
}

FIXTURE_TEARDOWN(cxgb4)
{
	nrtls_tls_abort(&self->t);
	nrtls_nicnet_teardown(&self->net);
	EXPECT_TRUE(nrtls_wait_idle(20000));
}

/*
 * Few credits: packets wait for them, completions come on a subset of
 * requests and return credits in batches; what the last requests used is
 * owed until the last release sends a flush.
 */
TEST_F_TIMEOUT(cxgb4, credits_and_flush, 180)
{
	const char *a = self->net.ns_a;
	long flushes0 = nrtls_ethtool_stat(a, "nic0", "cxgb4_flushes");
	long hw0 = nrtls_read_stat("counters", "nic_hwctx");
	long reqs, compl, owed = 0;
	char line[1024];
	int one = 1;

	EXPECT_EQ(0, tls_move(&self->t, 4 * MiB));
	EXPECT_LT(0, nrtls_ethtool_stat(a, "nic0", "cxgb4_credit_waits"));
	reqs = nrtls_ethtool_stat(a, "nic0", "tx_tls_encrypted_packets");
	compl = nrtls_ethtool_stat(a, "nic0", "cxgb4_completions_requested");
	TH_LOG("%ld requests, %ld with a completion", reqs, compl);
	EXPECT_LT(0, compl);
	EXPECT_GT(reqs, compl);
	EXPECT_LT(0, nrtls_ethtool_stat(a, "nic0", "cxgb4_credits_returned"));

	/*
	 * Two small records back to back, each its own packet (no Nagle):
	 * the first asks for a completion; the second, posted while the first
	 * is still in the slowed ring, does not, and once both are through its
	 * credits stay owed.  The ring stays well under TCP's 200 ms minimum
	 * RTO: a retransmission would ask again and take back what is owed.
	 */
	ASSERT_EQ(0, setsockopt(self->t.sender, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set nic0 type nrtls latency 50000", a));
	for (int i = 0; i < 5 && owed <= 0; i++) {
		EXPECT_EQ(0, tls_move_in(&self->t, 200, 2));
		sleep_ms(100);
		ASSERT_TRUE(nrtls_ctx_find(line, sizeof(line), " tls-tx ", " dev=nic0 "));
		owed = line_value(line, "owed");
	}
	TH_LOG("%s", line);
	ASSERT_LT(0, owed);
	EXPECT_EQ(flushes0, nrtls_ethtool_stat(a, "nic0", "cxgb4_flushes"));

	/*
	 * Release with credits out: the reset the close sends asks for a
	 * completion (none is outstanding) but is still in the slowed ring
	 * when the socket, no longer charged for it, lets go of the context.
	 */
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set nic0 type nrtls latency 500000", a));
	nrtls_tls_abort(&self->t);
	EXPECT_EQ(flushes0 + 1, nrtls_wait_ethtool_stat(a, "nic0", "cxgb4_flushes", flushes0 + 1));
	EXPECT_TRUE(flows_idle(20000));
	EXPECT_EQ(hw0 - 1, nrtls_read_stat("counters", "nic_hwctx"));
}

/*
 * The cxgb4 paths that fail: a packet without a descriptor is dropped and
 * retransmitted; a flow that gets no state stays in software.
 */
TEST_F_TIMEOUT(cxgb4, faults, 180)
{
	const char *a = self->net.ns_a;
	long hits = nrtls_fault_hits("nic_desc");
	long sw0 = nrtls_tls_stat(a, "TlsTxSw");
	struct nrtls_tls t;

	ASSERT_EQ(0, nrtls_fault_arm("nic_desc", 20, 3));
	EXPECT_EQ(0, tls_move(&self->t, 2 * MiB));
	EXPECT_EQ(hits + 3, nrtls_fault_hits("nic_desc"));
	hits = nrtls_fault_hits("nic_hwctx");
	ASSERT_EQ(0, nrtls_fault_arm("nic_hwctx", 1, 1));
	ASSERT_EQ(0, nrtls_tls_pair_ns(&t, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256",
				       self->net.fd_a, "192.0.2.1", self->net.fd_b));
	EXPECT_EQ(hits + 1, nrtls_fault_hits("nic_hwctx"));
	EXPECT_EQ(sw0 + 1, nrtls_tls_stat(a, "TlsTxSw"));
	EXPECT_EQ(1, nrtls_ethtool_stat(a, "nic0", "tx_tls_ctx_add_fail"));
	EXPECT_EQ(0, tls_move(&t, MiB));
	nrtls_tls_abort(&t);
	nrtls_fault_cmd("reset");
}

/* --- configuration ------------------------------------------------------- */

TEST(bad_settings)
{
	struct nrtls_nicnet net;
	char out[512];

	ASSERT_EQ(0, nrtls_nicnet_ns(&net));
	EXPECT_NE(0, nrtls_sh_out(out, sizeof(out), "ip -n %s link add x type nrtls ring 0 2>&1",
				  net.ns_a));
	EXPECT_NE(NULL, strstr(out, "out of range"));
	EXPECT_NE(0, nrtls_sh_out(out, sizeof(out),
				  "ip -n %s link add x type nrtls pool-low 9 pool-high 3 2>&1",
				  net.ns_a));
	EXPECT_NE(NULL, strstr(out, "pool-low is above pool-high"));
	/* The wrapper is a kind of its own now: the kernel says so. */
	EXPECT_NE(0, nrtls_sh_out(out, sizeof(out), "ip -n %s link add x type nrtls mode lag 2>&1",
				  net.ns_a));
	EXPECT_NE(NULL, strstr(out, "the wrapper is a link kind of its own: type nrtls_lag"));
	EXPECT_NE(0, nrtls_sh_out(out, sizeof(out), "ip -n %s link add x type nrtls bogus 1 2>&1",
				  net.ns_a));
	EXPECT_NE(NULL, strstr(out, "unknown option"));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link add x type nrtls personality cxgb4 latency 7 "
			      "peer name xp", net.ns_a));
	EXPECT_NE(0, nrtls_sh_out(out, sizeof(out),
				  "ip -n %s link set x type nrtls personality mlx5 2>&1", net.ns_a));
	EXPECT_NE(NULL, strstr(out, "only be set when the device is created"));
	/* Settings apply to both ends and show in "ip -d link". */
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set xp type nrtls latency 123 ring 77", net.ns_a));
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "ip -n %s -d link show x", net.ns_a));
	EXPECT_NE(NULL, strstr(out, "personality cxgb4 ring 77 latency 123 ")) {
		TH_LOG("%s", out);
	}
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "ip -n %s -j -d link show xp", net.ns_a));
	EXPECT_NE(NULL, strstr(out, "\"personality\":\"cxgb4\""));
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "ip netns exec %s ethtool -i x", net.ns_a));
	EXPECT_NE(NULL, strstr(out, "driver: nrtls"));
	/* Names taken: the peer's (nothing made), then the device's (the peer goes). */
	EXPECT_NE(0, nrtls_sh_out(out, sizeof(out),
				  "ip -n %s link add y type nrtls peer name x 2>&1", net.ns_a));
	EXPECT_NE(0, nrtls_sh_out(out, sizeof(out),
				  "ip -n %s link add x type nrtls peer name y 2>&1", net.ns_a));
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "ip -n %s link show", net.ns_a));
	EXPECT_EQ(NULL, strstr(out, " y@")) {
		TH_LOG("%s", out);
	}
	nrtls_nicnet_teardown(&net);
}

/* The wrapper's own kind: its one setting, and no NIC's. */
TEST(wrapper_settings)
{
	struct nrtls_nicnet net;
	char out[512];

	ASSERT_EQ(0, nrtls_nicnet_ns(&net));
	EXPECT_NE(0, nrtls_sh_out(out, sizeof(out),
				  "ip -n %s link add x type nrtls_lag credits 3 2>&1", net.ns_a));
	EXPECT_NE(NULL, strstr(out, "unknown option \"credits\""));
	/* A VLAN of its own is the wrapper's, 1..4094, fixed. */
	for (int i = 0; i < 2; i++) {
		EXPECT_NE(0, nrtls_sh_out(out, sizeof(out),
					  "ip -n %s link add x type nrtls_lag vlan %d 2>&1",
					  net.ns_a, i ? 4095 : 0));
		EXPECT_NE(NULL, strstr(out, "out of range"));
	}
	ASSERT_EQ(0, nrtls_sh("ip -n %s link add w type nrtls_lag vlan 4094", net.ns_a));
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "ip -n %s -d link show w", net.ns_a));
	EXPECT_NE(NULL, strstr(out, "nrtls_lag vlan 4094 ")) {
		TH_LOG("%s", out);
	}
	EXPECT_NE(0, nrtls_sh_out(out, sizeof(out),
				  "ip -n %s link set w type nrtls_lag vlan 7 2>&1", net.ns_a));
	EXPECT_NE(NULL, strstr(out, "only be set when the device is created"));
	/* Nor can one kind become the other. */
	ASSERT_EQ(0, nrtls_sh("ip -n %s link add nic9 type nrtls peer name nic9p", net.ns_a));
	EXPECT_NE(0, nrtls_sh_out(out, sizeof(out),
				  "ip -n %s link set nic9 type nrtls_lag vlan 7 2>&1", net.ns_a));
	EXPECT_NE(0, nrtls_sh_out(out, sizeof(out), "ip -n %s link set w type nrtls ring 7 2>&1",
				  net.ns_a));
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "ip -n %s -d link show nic9", net.ns_a));
	EXPECT_EQ(NULL, strstr(out, "vlan"));
	EXPECT_NE(NULL, strstr(out, "nrtls personality mlx5 ")) {
		TH_LOG("%s", out);
	}
	nrtls_nicnet_teardown(&net);
}

/* Every test here runs on the emulated NIC. */
bool nrtls_test_needs_nic(void)
{
	return true;
}

TEST_HARNESS_MAIN
