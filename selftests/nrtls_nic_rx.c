// SPDX-License-Identifier: GPL-2.0
/*
 * TLS RX offload on the emulated NIC: stock kTLS RX asks nic0 for it, and
 * the NIC decrypts what an unmodified OpenSSL client sends before the
 * stack sees it.  The client's records come from its own NIC (nic0p's TX
 * offload), from software kTLS or from OpenSSL in userspace, so they cut
 * packets differently.  Also:
 * a record whose tag does not verify, packets the NIC never saw and the
 * resync with the stack after them, a context that cannot be made, both
 * directions over IPv6, and the socket, the device and the module going
 * with records in flight.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <net/if.h>
#include <bpf/libbpf.h>

#include "kselftest_harness.h"
#include "selftest_ctx.skel.h"
#include "nrtls_net.h"
#include "nrtls_nic.h"
#include "nrtls_test.h"

#define MiB (1024 * 1024ull)
#define SEED 91

static void __attribute__((constructor)) no_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE(rx) {
	struct nrtls_nicnet net;
	struct nrtls_tls t;
	bool have_tls;
};

/* Who makes the client's records. */
enum sender {
	FROM_USER,	/* OpenSSL in userspace, written to the socket */
	FROM_SW,	/* kTLS in software */
	FROM_NIC,	/* kTLS offloaded to nic0p */
};

FIXTURE_VARIANT(rx) {
	const char *cipher;
	enum sender sender;
};

FIXTURE_VARIANT_ADD(rx, aes128_from_nic) { "ECDHE-ECDSA-AES128-GCM-SHA256", FROM_NIC };
FIXTURE_VARIANT_ADD(rx, aes256_from_nic) { "ECDHE-ECDSA-AES256-GCM-SHA384", FROM_NIC };
FIXTURE_VARIANT_ADD(rx, aes128_from_sw) { "ECDHE-ECDSA-AES128-GCM-SHA256", FROM_SW };
FIXTURE_VARIANT_ADD(rx, aes128_from_user) { "ECDHE-ECDSA-AES128-GCM-SHA256", FROM_USER };

static long stat_a(FIXTURE_DATA(rx) *self, const char *name)
{
	return nrtls_ethtool_stat(self->net.ns_a, "nic0", name);
}

static int setup_net(FIXTURE_DATA(rx) *self, enum sender sender)
{
	nrtls_tls_client_ktls = sender != FROM_USER;
	if (nrtls_fault_cmd("reset") ||
	    nrtls_nicnet_setup(&self->net, "personality mlx5") ||
	    nrtls_sh("ip netns exec %s ethtool -K nic0 tls-hw-rx-offload on",
		     self->net.ns_a))
		return -1;
	if (sender != FROM_NIC &&
	    nrtls_sh("ip netns exec %s ethtool -K nic0p tls-hw-tx-offload off",
		     self->net.ns_b))
		return -1;
	return 0;
}

FIXTURE_SETUP(rx)
{
	ASSERT_EQ(0, setup_net(self, variant->sender));
	ASSERT_EQ(0, nrtls_tls_pair_ns(&self->t, TLS1_2_VERSION, variant->cipher,
				       self->net.fd_a, "192.0.2.1", self->net.fd_b));
	self->have_tls = true;
}

static void pair_teardown(struct __test_metadata *_metadata, FIXTURE_DATA(rx) *self)
{
	nrtls_fault_cmd("reset");
	if (self->have_tls)
		nrtls_tls_abort(&self->t);
	nrtls_nicnet_teardown(&self->net);
	EXPECT_TRUE(nrtls_wait_idle(20000));
}

FIXTURE_TEARDOWN(rx)
{
	pair_teardown(_metadata, self);
}

/* What does not depend on the cipher or the sender: AES-GCM-128 from nic0p. */
#define ONE_CIPHER "ECDHE-ECDSA-AES128-GCM-SHA256"

FIXTURE(one) {
	FIXTURE_DATA(rx) r;
};

/* One session in ONE_CIPHER, whose client's records come from @sender. */
static void session_setup(struct __test_metadata *_metadata, FIXTURE_DATA(rx) *r,
		      enum sender sender)
{
	ASSERT_EQ(0, setup_net(r, sender));
	ASSERT_EQ(0, nrtls_tls_pair_ns(&r->t, TLS1_2_VERSION, ONE_CIPHER,
				       r->net.fd_a, "192.0.2.1", r->net.fd_b));
	r->have_tls = true;
}

FIXTURE_SETUP(one)
{
	session_setup(_metadata, &self->r, FROM_NIC);
}

FIXTURE_TEARDOWN(one)
{
	pair_teardown(_metadata, &self->r);
}

/*
 * @len bytes written through @from (whose socket is @from_fd) and read
 * from @to_fd with @to; 0 if they all arrived as they were sent.  The
 * reader's error, if any, in @err.
 */
static int move(SSL *from, int from_fd, SSL *to, int to_fd, uint64_t off,
		uint64_t len, int *err)
{
	struct nrtls_peer peer = { .fd = to_fd, .ssl = to, .want = len };
	uint8_t want[SHA256_LEN];
	int ret;

	if (nrtls_peer_start(&peer))
		return -1;
	ret = nrtls_ssl_send(from, SEED, off, len);
	if (ret)
		shutdown(from_fd, SHUT_RDWR);
	nrtls_peer_join(&peer);
	if (err)
		*err = peer.err;
	nrtls_expected_sha(SEED, off, len, NULL, 0, want);
	return !ret && peer.got == len && !memcmp(want, peer.sha, SHA256_LEN) ? 0 : -1;
}

/* From the client (in ns_b) to the server's kTLS RX socket on nic0. */
static int move_in(struct nrtls_tls *t, uint64_t off, uint64_t len, int *err)
{
	return move(t->cssl, t->receiver, t->sssl, t->sender, off, len, err);
}

/* From the server to the client. */
static int move_out(struct nrtls_tls *t, uint64_t off, uint64_t len)
{
	return move(t->sssl, t->sender, t->cssl, t->receiver, off, len, NULL);
}

static void log_stats(struct __test_metadata *_metadata, FIXTURE_DATA(rx) *self)
{
	char line[1024] = "";

	nrtls_ctx_find(line, sizeof(line), " tls-rx ", " dev=nic0 ");
	TH_LOG("nic0p encrypted %ld packets; nic0 decrypted %ld packets, %ld encrypted, "
	       "%ld auth failures, %ld lost, %ld resync requests, %ld resyncs; %s",
	       nrtls_ethtool_stat(self->net.ns_b, "nic0p", "tx_tls_encrypted_packets"),
	       stat_a(self, "rx_tls_decrypted_packets"),
	       stat_a(self, "rx_tls_encrypted_packets"),
	       stat_a(self, "rx_tls_auth_fail"),
	       stat_a(self, "rx_tls_lost_sync"),
	       stat_a(self, "rx_tls_resync_req"),
	       stat_a(self, "rx_tls_resync"), line);
}

/* Stock kTLS says RX is offloaded, the NIC decrypted, the data is intact. */
TEST_F_TIMEOUT(rx, decrypts, 120)
{
	const char *a = self->net.ns_a;
	char ctl[4096], out[4096];
	long dec0, bytes0;

	EXPECT_EQ(1, nrtls_tls_stat(a, "TlsCurrRxDevice"));
	EXPECT_EQ(0, nrtls_tls_stat(a, "TlsCurrRxSw"));
	EXPECT_EQ(1, stat_a(self, "rx_tls_ctx_add"));
	EXPECT_TRUE(nrtls_ctx_find(NULL, 0, " tls-rx device ", " dev=nic0 "));
	ASSERT_EQ(0, nrtls_build_path("user/bin/nrtlsctl", ctl, sizeof(ctl)));
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "%s contexts --json", ctl));
	EXPECT_NE(NULL, strstr(out, "\"type\":\"tls-rx\",\"mode\":\"device\"")) {
		TH_LOG("%s", out);
	}
	dec0 = stat_a(self, "rx_tls_decrypted_packets");
	bytes0 = stat_a(self, "rx_tls_decrypted_bytes");
	EXPECT_EQ(0, move_in(&self->t, 0, 4 * MiB, NULL));
	log_stats(_metadata, self);
	EXPECT_EQ(variant->sender == FROM_NIC,
		  nrtls_ethtool_stat(self->net.ns_b, "nic0p", "tx_tls_encrypted_packets") > 0);
	EXPECT_LT(dec0, stat_a(self, "rx_tls_decrypted_packets"));
	/* Most of it: only what came before a resync may be left to software. */
	EXPECT_LT((long)(bytes0 + 2 * MiB), stat_a(self, "rx_tls_decrypted_bytes"));
	EXPECT_EQ(0, stat_a(self, "rx_tls_auth_fail"));
	EXPECT_EQ(0, nrtls_tls_stat(a, "TlsDecryptError"));

	nrtls_tls_abort(&self->t);
	self->have_tls = false;
	EXPECT_TRUE(nrtls_wait_stat("counters", "contexts", 0, 20000));
	EXPECT_EQ(1, stat_a(self, "rx_tls_ctx_del"));
	EXPECT_FALSE(nrtls_ctx_find(NULL, 0, " tls-rx ", " dev=nic0 "));
}

/*
 * Packets the NIC does not see (the fault), cannot take (no memory) or a
 * record its cipher fails on: it loses its place, finds a record header,
 * the stack confirms it, and the NIC decrypts again.  Nothing is lost or
 * changed on the way.
 */
TEST_F_TIMEOUT(rx, resync, 180)
{
	static const char *const sites[] = { "nic_rx_sync", "nic_rx_mem", "nic_rx_cipher" };
	const char *a = self->net.ns_a;
	uint64_t off = 0;

	for (int i = 0; i < 3; i++) {
		long lost = stat_a(self, "rx_tls_lost_sync");
		long resyncs = stat_a(self, "rx_tls_resync");
		long stack = nrtls_tls_stat(a, "TlsRxDeviceResync");
		long hits = nrtls_fault_hits(sites[i]);
		long dec;

		/*
		 * Up to three times; the cipher's only while the NIC is in
		 * step, so how often depends on how soon the stack answers.
		 */
		ASSERT_EQ(0, nrtls_fault_arm(sites[i], 5, 3));
		EXPECT_EQ(0, move_in(&self->t, off, MiB, NULL));
		off += MiB;
		EXPECT_LT(hits, nrtls_fault_hits(sites[i])) {
			TH_LOG("%s", sites[i]);
		}
		nrtls_fault_cmd("reset");
		EXPECT_LT(lost, stat_a(self, "rx_tls_lost_sync"));
		EXPECT_LT(resyncs, stat_a(self, "rx_tls_resync"));
		EXPECT_LT(stack, nrtls_tls_stat(a, "TlsRxDeviceResync"));
		/* In step again: the next data is decrypted by the NIC. */
		dec = stat_a(self, "rx_tls_decrypted_packets");
		EXPECT_EQ(0, move_in(&self->t, off, MiB / 2, NULL));
		off += MiB / 2;
		EXPECT_LT(dec, stat_a(self, "rx_tls_decrypted_packets"));
		log_stats(_metadata, self);
	}
	EXPECT_EQ(0, stat_a(self, "rx_tls_auth_fail"));
	EXPECT_EQ(0, nrtls_tls_stat(a, "TlsDecryptError"));
}

/*
 * Over IPv6, both NICs offload: nic0p encrypts what the client sends and
 * nic0 decrypts it, nic0 encrypts what the server sends (their IPv6 header
 * parsing and TCP checksums), and the contexts list IPv6 flows.
 */
TEST_F_TIMEOUT(one, ipv6, 120)
{
	FIXTURE_DATA(rx) *r = &self->r;
	const char *a = r->net.ns_a, *b = r->net.ns_b;
	long dec0, enc_a0, enc_b0;

	nrtls_tls_abort(&r->t);
	r->have_tls = false;
	ASSERT_EQ(0, nrtls_sh("ip -n %s addr add 2001:db8::1/64 dev nic0 nodad && "
			      "ip -n %s addr add 2001:db8::2/64 dev nic0p nodad", a, b));
	ASSERT_EQ(0, nrtls_tls_pair_ns(&r->t, TLS1_2_VERSION, ONE_CIPHER,
				       r->net.fd_a, "2001:db8::1", r->net.fd_b));
	r->have_tls = true;
	EXPECT_EQ(1, nrtls_tls_stat(a, "TlsCurrRxDevice"));
	EXPECT_EQ(1, nrtls_tls_stat(a, "TlsCurrTxDevice"));
	EXPECT_EQ(1, nrtls_tls_stat(b, "TlsCurrTxDevice"));
	EXPECT_TRUE(nrtls_ctx_find(NULL, 0, " tls-rx device ", "[2001:db8::1]:"));
	EXPECT_TRUE(nrtls_ctx_find(NULL, 0, " tls-tx device ", "[2001:db8::2]:"));

	dec0 = stat_a(r, "rx_tls_decrypted_bytes");
	enc_b0 = nrtls_ethtool_stat(b, "nic0p", "tx_tls_encrypted_bytes");
	EXPECT_EQ(0, move_in(&r->t, 0, 4 * MiB, NULL));
	log_stats(_metadata, r);
	EXPECT_LT(enc_b0 + (long)(2 * MiB),
		  nrtls_ethtool_stat(b, "nic0p", "tx_tls_encrypted_bytes"));
	EXPECT_LT(dec0 + (long)(2 * MiB), stat_a(r, "rx_tls_decrypted_bytes"));

	enc_a0 = stat_a(r, "tx_tls_encrypted_bytes");
	EXPECT_EQ(0, move_out(&r->t, 0, 4 * MiB));
	EXPECT_LT(enc_a0 + (long)(2 * MiB), stat_a(r, "tx_tls_encrypted_bytes"));
	EXPECT_EQ(0, stat_a(r, "rx_tls_auth_fail"));
	EXPECT_EQ(0, nrtls_tls_stat(a, "TlsDecryptError"));
	EXPECT_EQ(0, nrtls_tls_stat(b, "TlsDecryptError"));
}

/*
 * The client's NIC numbers a record wrongly (the fault): its tag does not
 * verify at nic0, which passes it up encrypted, and kTLS fails it in
 * software: the server's read gets EBADMSG.
 */
/*
 * Dual-stack sockets talking IPv4 (v4-mapped addresses, as a server
 * listening on [::] accepts): their flow is the IPv4 one on the wire, so
 * the NIC finds the receiver's context and decrypts.
 */
TEST_F_TIMEOUT(one, ipv4_mapped, 120)
{
	FIXTURE_DATA(rx) *r = &self->r;
	long dec0;

	nrtls_tls_abort(&r->t);
	r->have_tls = false;
	ASSERT_EQ(0, nrtls_tls_pair_ns(&r->t, TLS1_2_VERSION, ONE_CIPHER,
				       r->net.fd_a, "::ffff:192.0.2.1", r->net.fd_b));
	r->have_tls = true;
	EXPECT_TRUE(nrtls_ctx_find(NULL, 0, " tls-rx device ", " 192.0.2.1:"));
	dec0 = stat_a(r, "rx_tls_decrypted_bytes");
	EXPECT_EQ(0, move_in(&r->t, 0, 4 * MiB, NULL));
	log_stats(_metadata, r);
	EXPECT_LT(dec0 + (long)(2 * MiB), stat_a(r, "rx_tls_decrypted_bytes"));
}

TEST_F_TIMEOUT(one, bad_tag, 120)
{
	FIXTURE_DATA(rx) *r = &self->r;
	const char *a = r->net.ns_a;
	long err0 = nrtls_tls_stat(a, "TlsDecryptError"), hits;
	struct timeval tmo = { .tv_sec = 10 };
	int err = 0;

	ASSERT_EQ(0, move_in(&r->t, 0, MiB, NULL));
	/*
	 * The server stops reading at the bad record: the client's write must
	 * not wait for it forever once the socket buffers are full.
	 */
	ASSERT_EQ(0, setsockopt(r->t.receiver, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo)));
	hits = nrtls_fault_hits("nic_rcd_sn");
	ASSERT_EQ(0, nrtls_fault_arm("nic_rcd_sn", 1, 1));
	EXPECT_NE(0, move_in(&r->t, MiB, MiB, &err));
	log_stats(_metadata, r);
	EXPECT_EQ(hits + 1, nrtls_fault_hits("nic_rcd_sn"));
	EXPECT_EQ(EBADMSG, err) {
		TH_LOG("the server's read: %s", strerror(err));
	}
	EXPECT_LE(1, stat_a(r, "rx_tls_auth_fail"));
	EXPECT_LT(err0, nrtls_tls_stat(a, "TlsDecryptError"));
}

FIXTURE(user) {
	FIXTURE_DATA(rx) r;
};

/* A client whose records OpenSSL makes in userspace: its socket is raw TCP. */
FIXTURE_SETUP(user)
{
	session_setup(_metadata, &self->r, FROM_USER);
}

FIXTURE_TEARDOWN(user)
{
	pair_teardown(_metadata, &self->r);
}

/*
 * Lost, the NIC searches the peer's bytes for a record header and follows
 * each it finds.  Bytes with a header every 5 bytes, each chain of them
 * ending in a bad one, make it give up on the packet after a few: a search
 * costs at most a few walks of a packet, not one per byte (in softirq).
 */
TEST_F_TIMEOUT(user, search_of_hostile_bytes_gives_up, 120)
{
	static const uint8_t hdr[] = { 23, 3, 3, 0, 25 };
	static uint8_t blob[64 * 1024];
	FIXTURE_DATA(rx) *r = &self->r;
	long giveups = -1;

	/* 100 bytes of headers, then 40 zero bytes: a record ends in them. */
	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = i % 140 < 100 ? hdr[i % 140 % 5] : 0;
	ASSERT_EQ(0, nrtls_fault_arm("nic_rx_sync", 1, 1));
	ASSERT_EQ((ssize_t)sizeof(blob), write(r->t.receiver, blob, sizeof(blob)));
	for (int i = 0; i < 200 && giveups < 1; i++) {
		usleep(50000);
		giveups = stat_a(r, "rx_tls_search_giveups");
	}
	log_stats(_metadata, r);
	EXPECT_LE(1, giveups);
}

/*
 * Closed, killed or its device deleted while records are on the way: the
 * NIC's context goes (the teardown checks that nothing is left).
 */
TEST_F_TIMEOUT(one, gone_in_flight, 180)
{
	FIXTURE_DATA(rx) *r = &self->r;
	static const char *const how[] = { "close", "kill", "link del" };

	for (int i = 0; i < 3; i++) {
		struct nrtls_peer peer = { .fd = r->t.sender, .ssl = r->t.sssl,
					   .want = 64 * MiB };

		if (i) {
			ASSERT_EQ(0, nrtls_tls_pair_ns(&r->t, TLS1_2_VERSION,
						       ONE_CIPHER, r->net.fd_a,
						       "192.0.2.1", r->net.fd_b));
			r->have_tls = true;
			peer.fd = r->t.sender;
			peer.ssl = r->t.sssl;
		}
		EXPECT_EQ(1, nrtls_tls_stat(r->net.ns_a, "TlsCurrRxDevice"));
		ASSERT_EQ(0, nrtls_peer_start(&peer));
		/* The client writes until the server end goes. */
		shutdown(r->t.receiver, SHUT_RD);
		for (int k = 0; k < 16 &&
		     !nrtls_ssl_send(r->t.cssl, SEED, k * MiB / 4, MiB / 4); k++) {
			if (k != 4)
				continue;
			if (i == 0) {
				shutdown(r->t.sender, SHUT_RDWR);
			} else if (i == 1) {
				ASSERT_EQ(0, nrtls_sh("ip netns exec %s ss -K src 192.0.2.1",
						      r->net.ns_a));
			} else {
				ASSERT_EQ(0, nrtls_sh("timeout 20 ip -n %s link del nic0",
						      r->net.ns_a));
				/* Nothing reaches the server any more. */
				shutdown(r->t.sender, SHUT_RDWR);
			}
			break;
		}
		nrtls_peer_join(&peer);
		TH_LOG("%s: the server got %" PRIu64 " bytes, then %s", how[i], peer.got,
		       peer.err ? strerror(peer.err) : "end of stream");
		nrtls_tls_abort(&r->t);
		r->have_tls = false;
		EXPECT_TRUE(nrtls_wait_stat("counters", "contexts", 0, 20000)) {
			TH_LOG("%s", how[i]);
		}
	}
}

/*
 * tls_dev_add for RX fails (the context, or its cipher in the NIC): kTLS
 * RX stays in software, visibly, and works.  Both NICs' TX offload is off
 * so that RX is the only context made.
 */
TEST_F_TIMEOUT(one, add_fault, 120)
{
	FIXTURE_DATA(rx) *r = &self->r;
	static const char *const sites[] = { "ctx_alloc", "nic_key" };
	const char *a = r->net.ns_a;
	long adds = stat_a(r, "rx_tls_ctx_add");

	nrtls_tls_abort(&r->t);
	r->have_tls = false;
	ASSERT_EQ(0, nrtls_sh("ip netns exec %s ethtool -K nic0 tls-hw-tx-offload off && "
			      "ip netns exec %s ethtool -K nic0p tls-hw-tx-offload off",
			      a, r->net.ns_b));
	for (int i = 0; i < 2; i++) {
		long hits = nrtls_fault_hits(sites[i]);
		long fails = stat_a(r, "rx_tls_ctx_add_fail");
		long sw = nrtls_tls_stat(a, "TlsRxSw");

		ASSERT_EQ(0, nrtls_fault_arm(sites[i], 1, 1));
		ASSERT_EQ(0, nrtls_tls_pair_ns(&r->t, TLS1_2_VERSION, ONE_CIPHER,
					       r->net.fd_a, "192.0.2.1", r->net.fd_b));
		r->have_tls = true;
		EXPECT_EQ(hits + 1, nrtls_fault_hits(sites[i])) {
			TH_LOG("%s", sites[i]);
		}
		EXPECT_EQ(fails + 1, stat_a(r, "rx_tls_ctx_add_fail"));
		EXPECT_EQ(0, nrtls_tls_stat(a, "TlsCurrRxDevice"));
		EXPECT_EQ(sw + 1, nrtls_tls_stat(a, "TlsRxSw"));
		EXPECT_EQ(0, move_in(&r->t, 0, MiB, NULL));
		nrtls_tls_abort(&r->t);
		r->have_tls = false;
	}
	EXPECT_EQ(adds, stat_a(r, "rx_tls_ctx_add"));
}

/* cxgb4's kTLS offload is TX only: the switch is not there to turn on. */
/*
 * A socket offloaded both ways has two contexts: a TC program on nic0's
 * egress finds each by the socket's cookie and its type, on the socket's
 * every packet (its data and its ACKs), and they are not the same.
 */
TEST_F_TIMEOUT(one, cookie_lookup_finds_both_directions, 120)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts);
	struct nrtls_tls *t = &self->r.t;
	socklen_t len = sizeof(__u64);
	struct selftest_ctx *skel;
	__u64 cookie;

	skel = selftest_ctx__open_and_load();
	ASSERT_NE(NULL, skel);
	ASSERT_EQ(0, getsockopt(t->sender, SOL_SOCKET, SO_COOKIE, &cookie, &len));
	skel->bss->want_cookie = cookie;
	ASSERT_EQ(0, nrtls_netns_enter(self->r.net.fd_a));
	hook.ifindex = if_nametoindex("nic0");
	ASSERT_EQ(0, bpf_tc_hook_create(&hook));
	opts.prog_fd = bpf_program__fd(skel->progs.tc_cookie_probe);
	ASSERT_EQ(0, bpf_tc_attach(&hook, &opts));

	EXPECT_EQ(0, move_in(t, 0, MiB, NULL));
	EXPECT_EQ(0, move_out(t, 0, MiB));
	TH_LOG("%llu packets of the socket: TX context %u, RX context %u",
	       skel->bss->cookie_packets, skel->bss->cookie_tx_id, skel->bss->cookie_rx_id);
	EXPECT_LT(0, skel->bss->cookie_packets);
	EXPECT_EQ(skel->bss->cookie_packets, skel->bss->cookie_hits);
	EXPECT_EQ(skel->bss->cookie_packets, skel->bss->cookie_rx_hits);
	EXPECT_NE(0, skel->bss->cookie_rx_id);
	EXPECT_NE(0, skel->bss->cookie_tx_id);
	EXPECT_NE(skel->bss->cookie_tx_id, skel->bss->cookie_rx_id);
	bpf_tc_hook_destroy(&hook);
	selftest_ctx__destroy(skel);
}

TEST(cxgb4_has_no_rx_offload)
{
	struct nrtls_nicnet net;
	char out[256];

	ASSERT_EQ(0, nrtls_nicnet_setup(&net, "personality cxgb4"));
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out),
				  "ip netns exec %s ethtool -k nic0 | grep tls-hw-rx-offload",
				  net.ns_a));
	EXPECT_NE(NULL, strstr(out, "off [fixed]")) {
		TH_LOG("%s", out);
	}
	EXPECT_NE(0, nrtls_sh("ip netns exec %s ethtool -K nic0 tls-hw-rx-offload on 2>/dev/null",
			      net.ns_a));
	nrtls_nicnet_teardown(&net);
	EXPECT_TRUE(nrtls_wait_idle(20000));
}

/* Every test here runs on the emulated NIC. */
bool nrtls_test_needs_nic(void)
{
	return true;
}

TEST_HARNESS_MAIN
