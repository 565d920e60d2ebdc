// SPDX-License-Identifier: GPL-2.0
/*
 * The wrapper device (seed 001's lagg and route changes): a kTLS flow
 * offloaded through lag0 moves between lower NICs while it runs, staying
 * offloaded and byte-exact; with no lower that can offload it goes to
 * software and comes back; a failed re-homing, one that keeps failing
 * (bounded tries), a deleted lower; no offload offered over a veth alone;
 * lag0 with a VLAN of its own.  And stock
 * bonding over the same NICs: it offloads to a slave, and breaks the flow
 * when that slave goes away.  And nrtls_steer, the TC program that steers
 * flows through lag0: where each policy puts flows (seen at the peer),
 * draining a lower (nrtlsctl drain: busy and idle flows, with and without
 * the program, the last open lower), a steered lower going down.
 *
 *   a: lag0 192.0.2.1 over nic0 (mlx5), nic1 (cxgb4) [, v0 veth]
 *   b: br0 192.0.2.2 over their peers
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/nrtls.h>
#include <linux/pkt_cls.h>

#include "kselftest_harness.h"
#include "nrtls_net.h"
#include "nrtls_nic.h"
#include "nrtls_test.h"
#include "nrtls_steer.h"
#include "nrtls_steer.skel.h"
#include "example_steer.skel.h"
#include "selftest_ctx.skel.h"

#define MiB (1024 * 1024ull)
#define SEED 91
#define CIPHER "ECDHE-ECDSA-AES128-GCM-SHA256"

static void __attribute__((constructor)) no_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

static void sleep_ms(int ms)
{
	usleep(ms * 1000);
}

/* The listing's line for the wrapper context on lag0, or false. */
static bool wrapper_line(char *line, size_t len)
{
	return nrtls_ctx_find(line, len, " dev=lag0 ", NULL);
}

/* "lower_dev=NAME" of the wrapper context, into @dev ("" if none). */
static bool wrapper_lower(char *dev, size_t len, char *mode, size_t mlen)
{
	char line[1024], *p;

	dev[0] = '\0';
	if (!wrapper_line(line, sizeof(line)))
		return false;
	p = strstr(line, " lower_dev=");
	if (p)
		snprintf(dev, len, "%.*s", (int)strcspn(p + 11, " \n"), p + 11);
	if (mode)
		sscanf(line, "%*u %*s %31s", mode);
	(void)mlen;
	return true;
}

/* Until the wrapper context is in @mode on @dev (NULL: any), or timeout. */
static bool wait_wrapper(const char *want_mode, const char *want_dev)
{
	char dev[32], mode[32];

	for (int i = 0; i < 300; i++) {
		if (wrapper_lower(dev, sizeof(dev), mode, sizeof(mode)) &&
		    !strcmp(mode, want_mode) &&
		    (!want_dev || !strcmp(dev, want_dev)))
			return true;
		sleep_ms(20);
	}
	return false;
}

/* What the lag and bond fixtures share. */
struct env {
	struct nrtls_nicnet net;
	struct nrtls_tls t;
	bool have_tls;
};

/* @master: "lag0" (created with @lag_opts) or "bond0". */
static void env_setup_opts(struct __test_metadata *_metadata, struct env *e,
			   const char *master, const char *lag_opts)
{
	const char *a, *b;

	ASSERT_EQ(0, nrtls_fault_cmd("reset"));
	ASSERT_EQ(0, nrtls_nicnet_ns(&e->net));
	a = e->net.ns_a;
	b = e->net.ns_b;
	ASSERT_EQ(0, nrtls_sh("ip -n %s link add nic0 type nrtls personality mlx5 "
			      "peer name nic0p netns %s", a, b));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link add nic1 type nrtls personality cxgb4 "
			      "peer name nic1p netns %s", a, b));
	if (!strcmp(master, "bond0")) {
		ASSERT_EQ(0, nrtls_sh("modprobe bonding max_bonds=0 && "
				      "ip -n %s link add bond0 type bond mode balance-xor "
				      "xmit_hash_policy layer3+4", a));
	} else {
		ASSERT_EQ(0, nrtls_sh("ip -n %s link add lag0 type nrtls_lag %s",
				      a, lag_opts));
	}
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set nic0 master %s && "
			      "ip -n %s link set nic1 master %s", a, master, a, master));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set nic0 up && ip -n %s link set nic1 up && "
			      "ip -n %s link set %s up && ip -n %s addr add 192.0.2.1/24 dev %s",
			      a, a, a, master, a, master));
	/*
	 * br0 gets an address of its own: by default it takes the lowest of
	 * its ports', and deleting that port would change it under a's
	 * neighbour cache.
	 */
	ASSERT_EQ(0, nrtls_sh("ip -n %s link add br0 address 02:00:00:00:02:02 type bridge && "
			      "ip -n %s link set nic0p master br0 && ip -n %s link set nic1p master br0 && "
			      "ip -n %s link set nic0p up && ip -n %s link set nic1p up && "
			      "ip -n %s link set br0 up && ip -n %s addr add 192.0.2.2/24 dev br0",
			      b, b, b, b, b, b, b));
}

static void env_setup(struct __test_metadata *_metadata, struct env *e,
		      const char *master)
{
	env_setup_opts(_metadata, e, master, "");
}

static void env_teardown(struct __test_metadata *_metadata, struct env *e)
{
	if (e->have_tls)
		nrtls_tls_abort(&e->t);
	nrtls_fault_cmd("reset");
	nrtls_nicnet_teardown(&e->net);
	EXPECT_TRUE(nrtls_wait_idle(20000));
}

static void open_flow(struct __test_metadata *_metadata, struct env *e)
{
	ASSERT_EQ(0, nrtls_tls_pair_ns(&e->t, TLS1_2_VERSION, CIPHER,
				       e->net.fd_a, "192.0.2.1", e->net.fd_b));
	e->have_tls = true;
	ASSERT_EQ(1, nrtls_tls_stat(e->net.ns_a, "TlsCurrTxDevice"));
}

/* lag0 places a new flow on a lower in its reset work: wait for that. */
static void open_lag_flow(struct __test_metadata *_metadata, struct env *e,
			  char *lower, size_t len)
{
	char mode[32];

	open_flow(_metadata, e);
	ASSERT_TRUE(wait_wrapper("device", NULL));
	ASSERT_TRUE(wrapper_lower(lower, len, mode, sizeof(mode)));
	ASSERT_TRUE(!strcmp(lower, "nic0") || !strcmp(lower, "nic1"));
}

typedef void (*step_fn)(struct __test_metadata *, struct env *, int);

/*
 * Send @len bytes on @t; after each MiB, @step(i) may change the lowers.
 * The peer must get exactly the plaintext.
 */
static void transfer_on(struct __test_metadata *_metadata, struct env *e,
			struct nrtls_tls *t, uint64_t len, step_fn step)
{
	struct nrtls_peer peer = { .fd = t->receiver, .ssl = t->cssl };
	uint8_t want[SHA256_LEN];

	struct timeval tmo = { .tv_sec = 30 };
	int sent = 0;

	/* A peer that stopped reading must not hang the test. */
	setsockopt(t->sender, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	peer.want = len;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	for (uint64_t off = 0; off < len; off += MiB) {
		sent = nrtls_ssl_send(t->sssl, SEED, off,
				      len - off < MiB ? len - off : MiB);
		if (sent)
			break;
		if (step)
			step(_metadata, e, off / MiB);
	}
	if (sent)
		shutdown(t->receiver, SHUT_RDWR);
	nrtls_peer_join(&peer);
	EXPECT_EQ(0, sent) {
		static char out[8192];

		TH_LOG("the send stalled; the peer read %llu bytes, error %d",
		       (unsigned long long)peer.got, peer.err);
		nrtls_sh_out(out, sizeof(out), "cat %s/contexts; ip netns exec %s ethtool -S lag0 |"
			     " grep -v ': 0$'; ip -n %s link; ip netns exec %s ss -tin",
			     NRTLS_DEBUGFS, e->net.ns_a, e->net.ns_a, e->net.ns_a);
		TH_LOG("%s", out);
	}
	nrtls_expected_sha(SEED, 0, len, NULL, 0, want);
	EXPECT_EQ(0, peer.err);
	EXPECT_EQ(len, peer.got);
	EXPECT_EQ(0, memcmp(want, peer.sha, SHA256_LEN));
}

static void transfer(struct __test_metadata *_metadata, struct env *e,
		     uint64_t len, step_fn step)
{
	transfer_on(_metadata, e, &e->t, len, step);
}

static const char *other_nic(const char *nic)
{
	return strcmp(nic, "nic0") ? "nic0" : "nic1";
}

FIXTURE(lag) {
	struct env e;
};

FIXTURE_SETUP(lag)
{
	env_setup(_metadata, &self->e, "lag0");
}

FIXTURE_TEARDOWN(lag)
{
	env_teardown(_metadata, &self->e);
}

static char first_lower[32];

/* Take the flow's lower down after 3 MiB and bring it back after 8. */
static void bounce_lower(struct __test_metadata *_metadata, struct env *e, int mib)
{
	if (mib == 3)
		ASSERT_EQ(0, nrtls_sh("ip -n %s link set %s down", e->net.ns_a, first_lower));
	/* Re-homed to the other NIC, and offloaded there. */
	if (mib == 5)
		EXPECT_TRUE(wait_wrapper("device", other_nic(first_lower)));
	if (mib == 8)
		ASSERT_EQ(0, nrtls_sh("ip -n %s link set %s up", e->net.ns_a, first_lower));
}

/*
 * The flow's lower goes down and comes back under a running transfer;
 * each time a context is made on the new lower, the flow stays offloaded.
 */
TEST_F_TIMEOUT(lag, rehome_under_transfer, 300)
{
	const char *a = self->e.net.ns_a;

	open_lag_flow(_metadata, &self->e, first_lower, sizeof(first_lower));
	TH_LOG("the flow starts on %s", first_lower);
	transfer(_metadata, &self->e, 16 * MiB, bounce_lower);
	EXPECT_LE(1, nrtls_ethtool_stat(a, "lag0", "tx_tls_resets"));
	EXPECT_LE(1, nrtls_ethtool_stat(a, "lag0", "tx_tls_ctx_mismatch"));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "lag0", "tx_tls_fallbacks"));
	EXPECT_LT(0, nrtls_ethtool_stat(a, "nic0", "tx_tls_encrypted_packets"));
	EXPECT_LT(0, nrtls_ethtool_stat(a, "nic1", "tx_tls_encrypted_packets"));
	/* Neither NIC was ever handed a context it did not make. */
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "nic0", "tx_tls_ctx_mismatch"));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "nic1", "tx_tls_ctx_mismatch"));
	EXPECT_TRUE(wait_wrapper("device", NULL));
}

/* The flow's lower is deleted between two transfers. */
TEST_F_TIMEOUT(lag, lower_deleted, 300)
{
	open_lag_flow(_metadata, &self->e, first_lower, sizeof(first_lower));
	transfer(_metadata, &self->e, 2 * MiB, NULL);
	ASSERT_EQ(0, nrtls_sh("timeout 20 ip -n %s link del %s", self->e.net.ns_a,
			      first_lower));
	transfer(_metadata, &self->e, 4 * MiB, NULL);
	EXPECT_TRUE(wait_wrapper("device", other_nic(first_lower)));
}

/* The reset fails once: software, then offloaded again at the next try. */
TEST_F_TIMEOUT(lag, reset_fails_then_recovers, 300)
{
	const char *a = self->e.net.ns_a;
	long hits = nrtls_fault_hits("lag_reset");

	open_lag_flow(_metadata, &self->e, first_lower, sizeof(first_lower));
	ASSERT_EQ(0, nrtls_fault_arm("lag_reset", 1, 1));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set %s down", a, first_lower));
	transfer(_metadata, &self->e, 2 * MiB, NULL);
	EXPECT_EQ(hits + 1, nrtls_fault_hits("lag_reset"));
	EXPECT_EQ(1, nrtls_ethtool_stat(a, "lag0", "tx_tls_reset_fail"));
	EXPECT_EQ(1, nrtls_ethtool_stat(a, "lag0", "tx_tls_fallbacks"));
	/* In software, a lower that can offload brings it back. */
	transfer(_metadata, &self->e, 2 * MiB, NULL);
	EXPECT_TRUE(wait_wrapper("device", other_nic(first_lower)));
	EXPECT_LE(1, nrtls_ethtool_stat(a, "lag0", "tx_tls_resets"));
}

/*
 * Re-homing fails every time: a few tries, the packets in between not
 * asking again (each try takes RTNL), the data exact in software; when
 * the lowers change, the flow tries again.
 */
TEST_F_TIMEOUT(lag, reset_backs_off, 300)
{
	const char *a = self->e.net.ns_a;
	long hits = nrtls_fault_hits("lag_reset"), tries;

	open_lag_flow(_metadata, &self->e, first_lower, sizeof(first_lower));
	ASSERT_EQ(0, nrtls_fault_arm("lag_reset", 1, 1000));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set %s down", a, first_lower));
	transfer(_metadata, &self->e, 8 * MiB, NULL);
	tries = nrtls_fault_hits("lag_reset") - hits;
	EXPECT_LE(1, tries);
	/* LAG_RESET_TRIES */
	EXPECT_GE(5, tries);
	EXPECT_EQ(tries, nrtls_ethtool_stat(a, "lag0", "tx_tls_reset_fail"));
	EXPECT_LT(0, nrtls_ethtool_stat(a, "lag0", "tx_tls_reset_backoff"));
	EXPECT_TRUE(wait_wrapper("sw", NULL));
	ASSERT_EQ(0, nrtls_fault_cmd("reset"));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set %s up", a, first_lower));
	transfer(_metadata, &self->e, 2 * MiB, NULL);
	EXPECT_TRUE(wait_wrapper("device", NULL));
}

/* Another task holding RTNL (debugfs rtnl_hold) until told to let go. */
struct rtnl_holder {
	pthread_t thread;
	ssize_t ret;
	int err;
};

static void *hold_rtnl(void *arg)
{
	struct rtnl_holder *h = arg;
	int fd = open(NRTLS_DEBUGFS "/rtnl_hold", O_WRONLY | O_CLOEXEC);

	h->ret = -1;
	h->err = errno;
	if (fd < 0)
		return NULL;
	/* The module's cap: it gives RTNL back by itself then. */
	h->ret = write(fd, "45000", 5);
	h->err = errno;
	close(fd);
	return NULL;
}

static bool rtnl_held(void)
{
	char buf[16] = "";
	int fd = open(NRTLS_DEBUGFS "/rtnl_hold", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	return !strncmp(buf, "held", 4);
}

/*
 * Re-homing fails while another task holds RTNL: the flow's packets go
 * on in software all the while (nothing on the packet path waits for
 * RTNL), and the reset's try waits for RTNL, then fails and backs off.
 * The transfer ends while RTNL is still held: the holder is released by
 * the test, never by its time limit.
 */
TEST_F_TIMEOUT(lag, rtnl_held_elsewhere, 300)
{
	const char *a = self->e.net.ns_a;
	struct rtnl_holder h = { 0 };
	long hits, sw;
	int i;

	open_lag_flow(_metadata, &self->e, first_lower, sizeof(first_lower));
	ASSERT_EQ(0, nrtls_fault_arm("lag_reset", 1, 1000));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set %s down", a, first_lower));
	sw = nrtls_ethtool_stat(a, "lag0", "tx_tls_sw_packets");
	ASSERT_EQ(0, pthread_create(&h.thread, NULL, hold_rtnl, &h));
	for (i = 0; i < 2000 && !rtnl_held(); i++)
		usleep(10000);
	ASSERT_TRUE(rtnl_held());
	/* No reset can run from here until RTNL is given back. */
	hits = nrtls_fault_hits("lag_reset");
	transfer(_metadata, &self->e, 2 * MiB, NULL);
	EXPECT_EQ(hits, nrtls_fault_hits("lag_reset"));
	EXPECT_EQ(0, nrtls_write_file(NRTLS_DEBUGFS "/rtnl_hold", "0"));
	pthread_join(h.thread, NULL);
	EXPECT_EQ(5, h.ret) {
		TH_LOG("the RTNL holder: %s", h.ret < 0 ? strerror(h.err) : "?");
	}
	EXPECT_LT(sw, nrtls_ethtool_stat(a, "lag0", "tx_tls_sw_packets"));
	/* The reset that waited for RTNL ran then, and failed. */
	for (i = 0; i < 2000 && nrtls_fault_hits("lag_reset") == hits; i++)
		usleep(10000);
	EXPECT_LT(hits, nrtls_fault_hits("lag_reset"));
	EXPECT_LE(1, nrtls_ethtool_stat(a, "lag0", "tx_tls_reset_fail"));
	ASSERT_EQ(0, nrtls_fault_cmd("reset"));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set %s up", a, first_lower));
	transfer(_metadata, &self->e, 2 * MiB, NULL);
	EXPECT_TRUE(wait_wrapper("device", NULL));
}

static void to_veth(struct __test_metadata *_metadata, struct env *e, int mib)
{
	const char *a = e->net.ns_a;

	if (mib == 2)
		ASSERT_EQ(0, nrtls_sh("ip -n %s link set v0 up && ip -n %s link set nic0 down",
				      a, a));
	if (mib == 4) {
		/* Nothing below can offload: software, and it says so. */
		EXPECT_TRUE(wait_wrapper("sw", NULL));
		EXPECT_LE(1, nrtls_ethtool_stat(a, "lag0", "tx_tls_fallbacks"));
	}
	if (mib == 6)
		ASSERT_EQ(0, nrtls_sh("ip -n %s link set nic0 up && ip -n %s link set v0 down",
				      a, a));
	if (mib == 9)
		EXPECT_TRUE(wait_wrapper("device", "nic0"));
}

/*
 * lag0 over nic0 and a veth, which cannot offload: device, then software
 * while only the veth is up, then the device again.
 */
TEST_F_TIMEOUT(lag, software_and_back, 300)
{
	const char *a = self->e.net.ns_a, *b = self->e.net.ns_b;
	long modes = nrtls_read_stat("events", "ctx_mode_changes");

	/* Only nic0 and the veth below lag0. */
	ASSERT_EQ(0, nrtls_sh("ip -n %s link del nic1", a));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link add v0 type veth peer name v0p netns %s", a, b));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set v0 master lag0 && "
			      "ip -n %s link set v0p master br0 && ip -n %s link set v0p up",
			      a, b, b));
	open_flow(_metadata, &self->e);
	EXPECT_TRUE(wait_wrapper("device", "nic0"));
	transfer(_metadata, &self->e, 12 * MiB, to_veth);
	EXPECT_LE(modes + 3, nrtls_read_stat("events", "ctx_mode_changes"));
	EXPECT_LT(0, nrtls_ethtool_stat(a, "lag0", "tx_tls_sw_packets"));
}

/*
 * Over lowers that cannot offload, lag0 does not offer to: kTLS stays in
 * software (no device mode, no wrapper context, nothing encrypted twice
 * below) and the data is exact.  A NIC below again brings the offer back.
 */
TEST_F_TIMEOUT(lag, no_offload_offered_over_a_veth, 300)
{
	const char *a = self->e.net.ns_a, *b = self->e.net.ns_b;
	char out[8192];

	ASSERT_EQ(0, nrtls_sh("ip -n %s link add v0 type veth peer name v0p netns %s", a, b));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set v0 master lag0 && ip -n %s link set v0 up && "
			      "ip -n %s link set v0p master br0 && ip -n %s link set v0p up",
			      a, a, b, b));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set nic0 nomaster && ip -n %s link set nic1 nomaster",
			      a, a));
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "ip netns exec %s ethtool -k lag0", a));
	EXPECT_NE(NULL, strstr(out, "tls-hw-tx-offload: off")) {
		TH_LOG("%s", out);
	}
	ASSERT_EQ(0, nrtls_tls_pair_ns(&self->e.t, TLS1_2_VERSION, CIPHER,
				       self->e.net.fd_a, "192.0.2.1", self->e.net.fd_b));
	self->e.have_tls = true;
	EXPECT_EQ(0, nrtls_tls_stat(a, "TlsCurrTxDevice"));
	EXPECT_EQ(1, nrtls_tls_stat(a, "TlsCurrTxSw"));
	EXPECT_FALSE(nrtls_ctx_find(NULL, 0, " dev=lag0 ", NULL));
	transfer(_metadata, &self->e, 2 * MiB, NULL);
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "lag0", "tx_tls_ctx_add"));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "lag0", "tx_tls_sw_packets"));

	ASSERT_EQ(0, nrtls_sh("ip -n %s link set nic0 master lag0", a));
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "ip netns exec %s ethtool -k lag0", a));
	EXPECT_NE(NULL, strstr(out, "tls-hw-tx-offload: on")) {
		TH_LOG("%s", out);
	}
}

/*
 * lag0 itself goes down and up under an offloaded flow: kTLS moves the
 * flow to software (tls_device_down()), so lag0's validation encrypts its
 * packets.  The lower's must not encrypt them again: the peer would get
 * garbage under a bad MAC.
 */
TEST_F_TIMEOUT(lag, wrapper_down_and_up, 300)
{
	const char *a = self->e.net.ns_a;

	open_lag_flow(_metadata, &self->e, first_lower, sizeof(first_lower));
	transfer(_metadata, &self->e, 2 * MiB, NULL);
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set lag0 down && ip -n %s link set lag0 up", a, a));
	transfer(_metadata, &self->e, 4 * MiB, NULL);
	EXPECT_LT(0, nrtls_ethtool_stat(a, "lag0", "tx_tls_encrypted_above_packets"));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "nic0", "tx_tls_ctx_mismatch"));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "nic1", "tx_tls_ctx_mismatch"));
}

/*
 * nrtls_nic.ko goes while lag0 carries an idle offloaded flow on one of
 * its NICs: listing the contexts then touches nothing of the module.
 */
TEST_F_TIMEOUT(lag, nic_module_unloaded_under_an_idle_flow, 300)
{
	const char *ko = getenv("NRTLS_NIC_KO");
	char out[8192];
	int listed;

	if (!ko)
		SKIP(return, "needs NRTLS_NIC_KO (set by the VM runner) to load nrtls_nic.ko again");
	open_lag_flow(_metadata, &self->e, first_lower, sizeof(first_lower));
	transfer(_metadata, &self->e, MiB, NULL);
	ASSERT_EQ(0, nrtls_sh("rmmod nrtls_nic"));
	listed = nrtls_sh_out(out, sizeof(out), "cat %s/contexts", NRTLS_DEBUGFS);
	EXPECT_EQ(0, nrtls_sh("insmod %s", ko));
	EXPECT_EQ(0, listed);
	EXPECT_NE(NULL, strstr(out, " dev=lag0 ")) {
		TH_LOG("%s", out);
	}
}

/* --- nrtls_steer ------------------------------------------------------------ */

#define NFLOWS_HASH 24
#define NFLOWS 4

FIXTURE(steer) {
	struct env e;
	struct nrtls_steer *skel;
	struct nrtls_tls t[NFLOWS_HASH];
	int nflows;
	int ifindex[2];		/* nic0, nic1: lag0's lowers in its order */
	int orig_ns;
};

FIXTURE_SETUP(steer)
{
	env_setup(_metadata, &self->e, "lag0");
	self->orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->orig_ns);
	ASSERT_EQ(0, nrtls_netns_enter(self->e.net.fd_a));
	self->ifindex[0] = if_nametoindex("nic0");
	self->ifindex[1] = if_nametoindex("nic1");
	ASSERT_EQ(0, nrtls_netns_enter(self->orig_ns));
	ASSERT_LT(0, self->ifindex[0]);
	ASSERT_LT(0, self->ifindex[1]);
}

FIXTURE_TEARDOWN(steer)
{
	for (int i = 0; i < self->nflows; i++)
		nrtls_tls_abort(&self->t[i]);
	/* Going with lag0: the clsact qdisc and the program's last user. */
	env_teardown(_metadata, &self->e);
	nrtls_steer__destroy(self->skel);
	close(self->orig_ns);
}

/* Attach @prog on lag0's egress, or replace what is there (atomically). */
static void tc_attach(struct __test_metadata *_metadata,
		      FIXTURE_DATA(steer) *self, int prog, bool replace)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1);

	ASSERT_EQ(0, nrtls_netns_enter(self->e.net.fd_a));
	hook.ifindex = if_nametoindex("lag0");
	if (!replace)
		ASSERT_EQ(0, bpf_tc_hook_create(&hook));
	opts.prog_fd = prog;
	if (replace)
		opts.flags = BPF_TC_F_REPLACE;
	ASSERT_EQ(0, bpf_tc_attach(&hook, &opts));
	ASSERT_EQ(0, nrtls_netns_enter(self->orig_ns));
}

/* Load nrtls_steer with @policy and attach it, or replace the one there. */
static void steer_attach(struct __test_metadata *_metadata,
			 FIXTURE_DATA(steer) *self, __u32 policy, bool replace)
{
	struct nrtls_steer *skel = nrtls_steer__open();

	ASSERT_NE(NULL, skel);
	skel->rodata->policy = policy;
	ASSERT_EQ(0, nrtls_steer__load(skel));
	tc_attach(_metadata, self, bpf_program__fd(skel->progs.nrtls_steer), replace);
	/* The old program may go: the filter holds the new one now. */
	nrtls_steer__destroy(self->skel);
	self->skel = skel;
}

static __u64 steer_stat(FIXTURE_DATA(steer) *self, __u32 i)
{
	int n = libbpf_num_possible_cpus();
	__u64 v[n > 0 ? n : 1], sum = 0;

	if (n <= 0 || bpf_map_lookup_elem(bpf_map__fd(self->skel->maps.nrtls_steer_stats),
					  &i, v))
		return 0;
	for (int c = 0; c < n; c++)
		sum += v[c];
	return sum;
}

static void open_flow_at(struct __test_metadata *_metadata,
			 FIXTURE_DATA(steer) *self)
{
	ASSERT_GT(NFLOWS_HASH, self->nflows);
	ASSERT_EQ(0, nrtls_tls_pair_ns(&self->t[self->nflows], TLS1_2_VERSION,
				       CIPHER, self->e.net.fd_a, "192.0.2.1",
				       self->e.net.fd_b));
	self->nflows++;
}

/* The flow of @t, as the program sees it leaving a (struct nrtls_flow). */
static void flow_of(struct nrtls_tls *t, struct nrtls_flow *f, int *port)
{
	struct sockaddr_in me, peer;
	socklen_t len = sizeof(me);

	getsockname(t->sender, (struct sockaddr *)&me, &len);
	len = sizeof(peer);
	getpeername(t->sender, (struct sockaddr *)&peer, &len);
	memset(f, 0, sizeof(*f));
	f->family = AF_INET;
	f->protocol = IPPROTO_TCP;
	f->sport = me.sin_port;
	f->dport = peer.sin_port;
	f->saddr[0] = me.sin_addr.s_addr;
	f->daddr[0] = peer.sin_addr.s_addr;
	*port = ntohs(me.sin_port);
}

/* debugfs's line of @t's context on lag0. */
static bool flow_line(struct nrtls_tls *t, char *line, size_t len)
{
	struct nrtls_flow f;
	char src[64];
	int port;

	flow_of(t, &f, &port);
	snprintf(src, sizeof(src), " 192.0.2.1:%d ", port);
	return nrtls_ctx_find(line, len, " dev=lag0 ", src);
}

/* The lower the wrapper context of @t's flow is offloaded on, or false. */
static bool flow_lower(struct nrtls_tls *t, char *dev, size_t len)
{
	char line[1024], *p;

	dev[0] = '\0';
	if (!flow_line(t, line, sizeof(line)) ||
	    !strstr(line, " device ") || !(p = strstr(line, " lower_dev=")))
		return false;
	snprintf(dev, len, "%.*s", (int)strcspn(p + 11, " \n"), p + 11);
	return true;
}

/* The id of the context @t's flow has on its lower; 0 if none. */
static __u32 flow_lower_id(struct nrtls_tls *t)
{
	char line[1024], *p;

	if (!flow_line(t, line, sizeof(line)) || !(p = strstr(line, " lower=")))
		return 0;
	return strtoul(p + 7, NULL, 10);
}

/* Until @t's flow is offloaded on @want (NULL: on any lower). */
static bool wait_flow_on(struct nrtls_tls *t, const char *want)
{
	char dev[32];

	for (int i = 0; i < 300; i++) {
		if (flow_lower(t, dev, sizeof(dev)) && (!want || !strcmp(dev, want)))
			return true;
		usleep(20000);
	}
	return false;
}

/*
 * 1 MiB on @t: which lower carried it, as the peer's NICs count it
 * (nicNp received it all); -1 if neither or both did.
 */
static int carried_by(struct __test_metadata *_metadata, struct env *e,
		      struct nrtls_tls *t)
{
	const char *b = e->net.ns_b;
	long r0 = nrtls_netdev_rx_bytes(b, "nic0p"), r1 = nrtls_netdev_rx_bytes(b, "nic1p");

	transfer_on(_metadata, e, t, MiB, NULL);
	r0 = nrtls_netdev_rx_bytes(b, "nic0p") - r0;
	r1 = nrtls_netdev_rx_bytes(b, "nic1p") - r1;
	/* The other one sees at most ARP or a stray ACK of another flow. */
	if (r0 >= (long)MiB && r1 < 64 * 1024)
		return 0;
	if (r1 >= (long)MiB && r0 < 64 * 1024)
		return 1;
	TH_LOG("nic0p got %ld bytes, nic1p %ld", r0, r1);
	return -1;
}

static const char *nic_name(int i)
{
	return i ? "nic1" : "nic0";
}

/*
 * The hash policy: each of NFLOWS_HASH flows is carried (at the peer) by
 * the lower its hash names, and the flows spread: with random ports each
 * lower gets at least 4 of 24 but with probability 3e-4.
 */
TEST_F_TIMEOUT(steer, hash_places_each_flow_where_its_hash_says, 300)
{
	const char *a = self->e.net.ns_a;
	int count[2] = { 0, 0 };

	steer_attach(_metadata, self, NRTLS_STEER_HASH, false);
	for (int i = 0; i < NFLOWS_HASH; i++) {
		struct nrtls_flow f;
		int port, want;

		open_flow_at(_metadata, self);
		flow_of(&self->t[i], &f, &port);
		want = nrtls_steer_hash(&f) % 2;
		/* The first packets decide, and the flow moves there. */
		transfer_on(_metadata, &self->e, &self->t[i], 64 * 1024, NULL);
		ASSERT_TRUE(wait_flow_on(&self->t[i], nic_name(want))) {
			TH_LOG("flow from port %d is not offloaded on %s", port,
			       nic_name(want));
		}
		EXPECT_EQ(want, carried_by(_metadata, &self->e, &self->t[i]));
		count[want]++;
	}
	TH_LOG("nic0 carries %d flows, nic1 %d", count[0], count[1]);
	EXPECT_LE(4, count[0]);
	EXPECT_LE(4, count[1]);
	EXPECT_LE(NFLOWS_HASH, steer_stat(self, NRTLS_STEER_DECISIONS));
	EXPECT_EQ(0, steer_stat(self, NRTLS_STEER_ERRORS));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "lag0", "tx_tls_fallbacks"));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "nic0", "tx_tls_ctx_mismatch"));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "nic1", "tx_tls_ctx_mismatch"));
}

/* A rule in the map policy: the peer 192.0.2.2, any port, to @ifindex. */
static int add_rule(FIXTURE_DATA(steer) *self, __u32 ifindex)
{
	struct nrtls_steer_key key = { .prefixlen = 16 + 96 + 32 };

	key.addr[10] = 0xff;
	key.addr[11] = 0xff;
	inet_pton(AF_INET, "192.0.2.2", &key.addr[12]);
	return bpf_map_update_elem(bpf_map__fd(self->skel->maps.nrtls_steer_rules),
				   &key, &ifindex, BPF_ANY);
}

/*
 * Two flows put on nic0 by a rule (the map policy); then least-loaded,
 * replacing the program: the two flows stay (decisions stick), the next
 * two fill nic1, and each is carried where the listing says.
 */
TEST_F_TIMEOUT(steer, least_loaded_fills_the_emptier_lower, 300)
{
	steer_attach(_metadata, self, NRTLS_STEER_MAP, false);
	ASSERT_EQ(0, add_rule(self, self->ifindex[0]));
	for (int i = 0; i < 2; i++) {
		open_flow_at(_metadata, self);
		transfer_on(_metadata, &self->e, &self->t[i], 64 * 1024, NULL);
		ASSERT_TRUE(wait_flow_on(&self->t[i], "nic0"));
		EXPECT_EQ(0, carried_by(_metadata, &self->e, &self->t[i]));
	}
	steer_attach(_metadata, self, NRTLS_STEER_LEAST_LOADED, true);
	for (int i = 2; i < 4; i++) {
		open_flow_at(_metadata, self);
		transfer_on(_metadata, &self->e, &self->t[i], 64 * 1024, NULL);
		ASSERT_TRUE(wait_flow_on(&self->t[i], "nic1"));
		EXPECT_EQ(1, carried_by(_metadata, &self->e, &self->t[i]));
	}
	for (int i = 0; i < 2; i++)
		EXPECT_EQ(0, carried_by(_metadata, &self->e, &self->t[i]));
	EXPECT_EQ(0, steer_stat(self, NRTLS_STEER_ERRORS));
}

/*
 * nrtlsctl drain @args in a (the lower's name first); its exit status, and
 * what it printed (both streams) in @out.
 */
static int ctl_drain(struct env *e, const char *args, char *out, size_t len)
{
	char ctl[512];

	if (nrtls_build_path("user/bin/nrtlsctl", ctl, sizeof(ctl)))
		return -1;
	return nrtls_sh_out(out, len, "%s drain %s --netns %s 2>&1", ctl, args, e->net.ns_a);
}

static int drain_from;

/* After 2 MiB, drain the lower the flow is on, without waiting. */
static void drain_step(struct __test_metadata *_metadata, struct env *e, int mib)
{
	char args[64], out[512];

	snprintf(args, sizeof(args), "%s --no-wait", nic_name(drain_from));
	if (mib == 2)
		ASSERT_EQ(0, ctl_drain(e, args, out, sizeof(out))) {
			TH_LOG("%s", out);
		}
}

/* lag0's counters before a drain, and how many flows are to move. */
struct drain_before {
	long moved, sw, resets, gaps;
};

/*
 * NFLOWS flows, each offloaded on a lower; the lower of the first is the
 * one to drain (drain_from).
 */
static void drain_open_flows(struct __test_metadata *_metadata,
			     FIXTURE_DATA(steer) *self, struct drain_before *b)
{
	const char *a = self->e.net.ns_a;
	char dev[32];

	for (int i = 0; i < NFLOWS; i++) {
		open_flow_at(_metadata, self);
		transfer_on(_metadata, &self->e, &self->t[i], 64 * 1024, NULL);
		ASSERT_TRUE(wait_flow_on(&self->t[i], NULL));
	}
	ASSERT_TRUE(flow_lower(&self->t[0], dev, sizeof(dev)));
	drain_from = strcmp(dev, "nic0") ? 1 : 0;
	b->moved = 0;
	for (int i = 0; i < NFLOWS; i++)
		b->moved += flow_lower(&self->t[i], dev, sizeof(dev)) &&
			    !strcmp(dev, nic_name(drain_from));
	b->sw = nrtls_ethtool_stat(a, "lag0", "tx_tls_sw_packets");
	b->resets = nrtls_ethtool_stat(a, "lag0", "tx_tls_resets");
	b->gaps = nrtls_ethtool_stat(a, "lag0", "tx_tls_move_gaps");
}

/*
 * After the drain, each flow carried by the other lower at the peer; one
 * re-home each and its move timed at its first packet on the new lower,
 * none encrypted in software.
 */
static void drain_check(struct __test_metadata *_metadata,
			FIXTURE_DATA(steer) *self, const struct drain_before *b)
{
	const char *a = self->e.net.ns_a;

	for (int i = 0; i < NFLOWS; i++) {
		EXPECT_TRUE(wait_flow_on(&self->t[i], nic_name(!drain_from)));
		EXPECT_EQ(!drain_from, carried_by(_metadata, &self->e, &self->t[i]));
	}
	TH_LOG("%ld flows drained off %s", b->moved, nic_name(drain_from));
	EXPECT_EQ(b->sw, nrtls_ethtool_stat(a, "lag0", "tx_tls_sw_packets"));
	EXPECT_EQ(b->resets + b->moved, nrtls_ethtool_stat(a, "lag0", "tx_tls_resets"));
	EXPECT_EQ(b->gaps + b->moved, nrtls_ethtool_stat(a, "lag0", "tx_tls_move_gaps"));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "lag0", "tx_tls_fallbacks"));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "nic0", "tx_tls_ctx_mismatch"));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "nic1", "tx_tls_ctx_mismatch"));
}

/*
 * Draining a lower under a running transfer moves every flow off it, one
 * re-home each, with no packet encrypted in software on the way (make
 * before break) and byte-exact data at each peer.
 */
TEST_F_TIMEOUT(steer, drain_moves_every_flow_offloaded, 300)
{
	struct drain_before b;

	steer_attach(_metadata, self, NRTLS_STEER_HASH, false);
	drain_open_flows(_metadata, self, &b);
	transfer_on(_metadata, &self->e, &self->t[0], 8 * MiB, drain_step);
	for (int i = 0; i < NFLOWS; i++)
		transfer_on(_metadata, &self->e, &self->t[i], 256 * 1024, NULL);
	drain_check(_metadata, self, &b);
}

/*
 * Idle flows: nrtlsctl drain moves every flow off the lower at once, with
 * no packet sent, waits until none is left and says so; each flow is
 * then carried by the other lower, offloaded, one re-home each.  With
 * @policy >= 0, under nrtls_steer with that policy, whose decisions then
 * stick.  --undo lets the lower take flows again.
 */
static void drain_idle(struct __test_metadata *_metadata,
		       FIXTURE_DATA(steer) *self, int policy)
{
	const char *a = self->e.net.ns_a;
	char out[1024], args[64], want[96];
	struct drain_before b;
	long max_us, total_us;

	if (policy >= 0)
		steer_attach(_metadata, self, policy, false);
	drain_open_flows(_metadata, self, &b);

	snprintf(args, sizeof(args), "%s --wait 30", nic_name(drain_from));
	ASSERT_EQ(0, ctl_drain(&self->e, args, out, sizeof(out))) {
		TH_LOG("%s", out);
	}
	snprintf(want, sizeof(want), "%s drained (lag0): %ld offloaded flows to move",
		 nic_name(drain_from), b.moved);
	EXPECT_NE(NULL, strstr(out, want)) {
		TH_LOG("%s", out);
	}
	EXPECT_NE(NULL, strstr(out, "no flow left on it"));
	/* Moved before any of them sent again. */
	for (int i = 0; i < NFLOWS; i++)
		EXPECT_TRUE(wait_flow_on(&self->t[i], nic_name(!drain_from)));
	EXPECT_EQ(b.resets + b.moved, nrtls_ethtool_stat(a, "lag0", "tx_tls_resets"));
	drain_check(_metadata, self, &b);
	/*
	 * Each moved flow's first packet on its new lower timed the gap since
	 * its last on the old one: here its idle time, which is not 0.  (The
	 * program may have moved flows before, as they were placed.)
	 */
	max_us = nrtls_ethtool_stat(a, "lag0", "tx_tls_move_gap_max_us");
	total_us = nrtls_ethtool_stat(a, "lag0", "tx_tls_move_gap_total_us");
	EXPECT_LT(0, max_us);
	EXPECT_LE(max_us, total_us);
	EXPECT_LE(total_us, (b.gaps + b.moved) * max_us);
	if (policy >= 0)
		EXPECT_EQ(0, steer_stat(self, NRTLS_STEER_ERRORS));

	snprintf(args, sizeof(args), "%s --undo", nic_name(drain_from));
	EXPECT_EQ(0, ctl_drain(&self->e, args, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "takes flows again")) {
		TH_LOG("%s", out);
	}
}

TEST_F_TIMEOUT(steer, drain_moves_idle_flows_without_a_program, 300)
{
	drain_idle(_metadata, self, -1);
}

TEST_F_TIMEOUT(steer, drain_moves_idle_flows_under_the_program, 300)
{
	drain_idle(_metadata, self, NRTLS_STEER_LEAST_LOADED);
}

/*
 * Draining the only open lower cuts nothing: its flows stay there,
 * offloaded, and carry data; nrtlsctl drain says why it cannot finish
 * (exit 1).  When the other lower comes up, the wrapper moves them.
 */
TEST_F_TIMEOUT(steer, drain_of_the_last_open_lower, 300)
{
	const char *a = self->e.net.ns_a;
	char out[1024], args[64];
	const char *keep;

	open_flow_at(_metadata, self);
	transfer_on(_metadata, &self->e, &self->t[0], 64 * 1024, NULL);
	ASSERT_TRUE(wait_flow_on(&self->t[0], NULL));
	ASSERT_TRUE(flow_lower(&self->t[0], args, sizeof(args)));
	keep = strcmp(args, "nic0") ? "nic1" : "nic0";
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set %s down", a, other_nic(keep)));

	snprintf(args, sizeof(args), "%s --wait 1", keep);
	EXPECT_EQ(1, ctl_drain(&self->e, args, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "1 flows still on it after 1 s (no other lower")) {
		TH_LOG("%s", out);
	}
	transfer_on(_metadata, &self->e, &self->t[0], MiB, NULL);
	EXPECT_TRUE(wait_flow_on(&self->t[0], keep));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "lag0", "tx_tls_fallbacks"));

	ASSERT_EQ(0, nrtls_sh("ip -n %s link set %s up", a, other_nic(keep)));
	transfer_on(_metadata, &self->e, &self->t[0], MiB, NULL);
	EXPECT_TRUE(wait_flow_on(&self->t[0], other_nic(keep)));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "lag0", "tx_tls_fallbacks"));
}

/*
 * A lower that leaves lag0 takes no flow with it, idle ones included:
 * whatever flows are on that NIC once it is back are its again, so that
 * draining it moves them.
 */
TEST_F_TIMEOUT(lag, lower_leaves_and_comes_back, 300)
{
	const char *a = self->e.net.ns_a;
	char out[1024], args[64];

	open_lag_flow(_metadata, &self->e, first_lower, sizeof(first_lower));
	transfer(_metadata, &self->e, MiB, NULL);
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set %s nomaster && ip -n %s link set %s master lag0",
			      a, first_lower, a, first_lower));
	EXPECT_TRUE(wait_wrapper("device", NULL));
	snprintf(args, sizeof(args), "%s --wait 30", first_lower);
	EXPECT_EQ(0, ctl_drain(&self->e, args, out, sizeof(out))) {
		TH_LOG("%s", out);
	}
	EXPECT_TRUE(wait_wrapper("device", other_nic(first_lower)));
	transfer(_metadata, &self->e, MiB, NULL);
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "lag0", "tx_tls_fallbacks"));
}

/*
 * A move that fails leaves the flow offloaded where it is (make before
 * break): no packet in software, no fallback; it moves at a later try.
 */
TEST_F_TIMEOUT(steer, failed_move_keeps_the_flow_offloaded, 300)
{
	const char *a = self->e.net.ns_a;
	long hits = nrtls_fault_hits("lag_reset");
	struct drain_before b;
	char args[64], out[512], dev[32];
	bool moved = false;

	steer_attach(_metadata, self, NRTLS_STEER_HASH, false);
	drain_open_flows(_metadata, self, &b);
	ASSERT_EQ(0, nrtls_fault_arm("lag_reset", 1, 1));
	snprintf(args, sizeof(args), "%s --no-wait", nic_name(drain_from));
	ASSERT_EQ(0, ctl_drain(&self->e, args, out, sizeof(out))) {
		TH_LOG("%s", out);
	}
	/* Each round sends on every flow; the failed one retries after a delay. */
	for (int round = 0; round < 100 && !moved; round++) {
		moved = true;
		for (int i = 0; i < NFLOWS; i++) {
			transfer_on(_metadata, &self->e, &self->t[i], 64 * 1024, NULL);
			moved &= flow_lower(&self->t[i], dev, sizeof(dev)) &&
				 !strcmp(dev, nic_name(!drain_from));
		}
		if (!moved)
			sleep_ms(50);
	}
	EXPECT_TRUE(moved);
	EXPECT_EQ(hits + 1, nrtls_fault_hits("lag_reset"));
	EXPECT_EQ(1, nrtls_ethtool_stat(a, "lag0", "tx_tls_reset_fail"));
	EXPECT_EQ(b.sw, nrtls_ethtool_stat(a, "lag0", "tx_tls_sw_packets"));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "lag0", "tx_tls_fallbacks"));
}

static const char *down_dev;

static void down_step(struct __test_metadata *_metadata, struct env *e, int mib)
{
	if (mib == 2)
		ASSERT_EQ(0, nrtls_sh("ip -n %s link set %s down", e->net.ns_a, down_dev));
	if (mib == 5)
		ASSERT_EQ(0, nrtls_sh("ip -n %s link set %s up", e->net.ns_a, down_dev));
}

/*
 * The lower a flow is steered to goes down under a transfer: the flow is
 * decided again, onto the other one, offloaded there; when the first
 * comes back the flow stays where it is (decisions stick).
 */
TEST_F_TIMEOUT(steer, steered_lower_goes_down, 300)
{
	const char *a = self->e.net.ns_a;
	char dev[32];

	steer_attach(_metadata, self, NRTLS_STEER_HASH, false);
	open_flow_at(_metadata, self);
	transfer_on(_metadata, &self->e, &self->t[0], 64 * 1024, NULL);
	ASSERT_TRUE(wait_flow_on(&self->t[0], NULL));
	ASSERT_TRUE(flow_lower(&self->t[0], dev, sizeof(dev)));
	down_dev = strcmp(dev, "nic0") ? "nic1" : "nic0";
	transfer_on(_metadata, &self->e, &self->t[0], 8 * MiB, down_step);
	EXPECT_TRUE(wait_flow_on(&self->t[0], other_nic(down_dev)));
	EXPECT_EQ(strcmp(down_dev, "nic0") ? 0 : 1,
		  carried_by(_metadata, &self->e, &self->t[0]));
	EXPECT_TRUE(wait_flow_on(&self->t[0], other_nic(down_dev)));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "lag0", "tx_tls_fallbacks"));
	EXPECT_EQ(0, steer_stat(self, NRTLS_STEER_ERRORS));
}

static FIXTURE_DATA(steer) *churn_self;

/* Attach at 2 MiB, replace at 5, detach at 8: all under the transfer. */
static void churn_step(struct __test_metadata *_metadata, struct env *e, int mib)
{
	FIXTURE_DATA(steer) *self = churn_self;

	if (mib == 2)
		steer_attach(_metadata, self, NRTLS_STEER_HASH, false);
	if (mib == 5)
		steer_attach(_metadata, self, NRTLS_STEER_LEAST_LOADED, true);
	if (mib == 8) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1);

		ASSERT_EQ(0, nrtls_netns_enter(e->net.fd_a));
		hook.ifindex = if_nametoindex("lag0");
		ASSERT_EQ(0, bpf_tc_detach(&hook, &opts));
		ASSERT_EQ(0, nrtls_netns_enter(self->orig_ns));
	}
}

/*
 * The program attached, replaced and detached while a flow sends: the
 * data stays exact, the flow offloaded (never in software for good).
 */
TEST_F_TIMEOUT(steer, attach_replace_detach_under_traffic, 300)
{
	const char *a = self->e.net.ns_a;

	open_flow_at(_metadata, self);
	ASSERT_TRUE(wait_flow_on(&self->t[0], NULL));
	churn_self = self;
	transfer_on(_metadata, &self->e, &self->t[0], 12 * MiB, churn_step);
	EXPECT_LE(1, steer_stat(self, NRTLS_STEER_OFFLOADED));
	EXPECT_EQ(0, steer_stat(self, NRTLS_STEER_ERRORS));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "lag0", "tx_tls_fallbacks"));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "nic0", "tx_tls_ctx_mismatch"));
	EXPECT_EQ(0, nrtls_ethtool_stat(a, "nic1", "tx_tls_ctx_mismatch"));
	EXPECT_TRUE(wait_flow_on(&self->t[0], NULL));
}

/*
 * The steering kfuncs on a wrapper's context refuse a lower that is not
 * one (-ENODEV, counted as bpf_steer_err), say where the lowers end
 * (-ENOENT), take 0 (back to the hash) and say where the flow is; the
 * context on that lower is the one the wrapper's context lists, a NIC's.
 */
TEST_F_TIMEOUT(steer, kfuncs_refuse_what_is_not_a_lower, 300)
{
	struct selftest_ctx *probe = selftest_ctx__open_and_load();
	long errs = nrtls_read_stat("events", "bpf_steer_err");
	char dev[32];

	ASSERT_NE(NULL, probe);
	open_flow_at(_metadata, self);
	ASSERT_TRUE(wait_flow_on(&self->t[0], NULL));
	ASSERT_TRUE(flow_lower(&self->t[0], dev, sizeof(dev)));
	probe->bss->probe_bad_ifindex = 1;	/* lo */
	tc_attach(_metadata, self, bpf_program__fd(probe->progs.tc_steer_probe), false);
	transfer_on(_metadata, &self->e, &self->t[0], 64 * 1024, NULL);
	EXPECT_LT(0, probe->bss->probe_ctx_packets);
	EXPECT_EQ(self->ifindex[0], probe->bss->probe_lower0);
	EXPECT_EQ(-ENOENT, probe->bss->probe_lower_past);
	EXPECT_EQ(-ENODEV, probe->bss->probe_contexts_bad);
	EXPECT_EQ(0, probe->bss->probe_steered);
	EXPECT_EQ(self->ifindex[strcmp(dev, "nic0") ? 1 : 0], probe->bss->probe_home);
	EXPECT_EQ(0, probe->bss->probe_lower_none);
	EXPECT_EQ(flow_lower_id(&self->t[0]), probe->bss->probe_lower_id);
	EXPECT_EQ(probe->bss->probe_home, (int)probe->bss->probe_lower_ifindex);
	EXPECT_EQ(NRTLS_CTX_TLS_TX, probe->bss->probe_lower_type);
	EXPECT_EQ(-EINVAL, probe->bss->probe_lower_home);
	EXPECT_EQ(0, probe->bss->probe_lower_nested);
	EXPECT_EQ(-ENODEV, probe->bss->probe_steer_bad);
	EXPECT_EQ(0, probe->bss->probe_steer_zero);
	EXPECT_LE(errs + (long)probe->bss->probe_ctx_packets,
		  nrtls_read_stat("events", "bpf_steer_err"));
	/* Steered nowhere, the flow stayed where its hash put it. */
	EXPECT_TRUE(wait_flow_on(&self->t[0], dev));
	selftest_ctx__destroy(probe);
}

/*
 * The README's custom policy (bpf/example_steer.bpf.c): even local ports
 * by the first lower, odd ones by the second, as the peer sees it.
 */
TEST_F_TIMEOUT(steer, a_custom_policy_program, 300)
{
	struct example_steer *ex = example_steer__open_and_load();

	ASSERT_NE(NULL, ex);
	tc_attach(_metadata, self, bpf_program__fd(ex->progs.steer_by_port), false);
	for (int i = 0; i < NFLOWS; i++) {
		struct nrtls_flow f;
		int port;

		open_flow_at(_metadata, self);
		flow_of(&self->t[i], &f, &port);
		transfer_on(_metadata, &self->e, &self->t[i], 64 * 1024, NULL);
		EXPECT_TRUE(wait_flow_on(&self->t[i], nic_name(port & 1)));
		EXPECT_EQ(port & 1, carried_by(_metadata, &self->e, &self->t[i]));
	}
	example_steer__destroy(ex);
}

/*
 * lag0 with a VLAN of its own, 100: b answers only on br0.100, so the
 * flow works only if lag0's frames carry the tag and it takes b's.
 */
FIXTURE(vlan) {
	struct env e;
};

FIXTURE_SETUP(vlan)
{
	const char *b;

	env_setup_opts(_metadata, &self->e, "lag0", "vlan 100");
	b = self->e.net.ns_b;
	ASSERT_EQ(0, nrtls_sh("ip -n %s addr del 192.0.2.2/24 dev br0 && "
			      "ip -n %s link add link br0 name br0.100 type vlan id 100 && "
			      "ip -n %s addr add 192.0.2.2/24 dev br0.100 && "
			      "ip -n %s link set br0.100 up", b, b, b, b));
}

FIXTURE_TEARDOWN(vlan)
{
	env_teardown(_metadata, &self->e);
}

/*
 * Stock Linux offloads no TLS through a VLAN device (nrtls_nic's
 * ring.*.stock_vlan_is_software); lag0's own VLAN keeps the flow
 * offloaded, tagged, and re-homed under transfer like any other.
 */
TEST_F_TIMEOUT(vlan, offloaded_tagged_and_rehomed, 300)
{
	const char *a = self->e.net.ns_a, *b = self->e.net.ns_b;
	char out[4096];

	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "ip -n %s -d link show lag0", a));
	EXPECT_NE(NULL, strstr(out, "nrtls_lag vlan 100 ")) {
		TH_LOG("%s", out);
	}
	open_lag_flow(_metadata, &self->e, first_lower, sizeof(first_lower));
	transfer(_metadata, &self->e, 12 * MiB, bounce_lower);
	EXPECT_LE(1, nrtls_ethtool_stat(a, "lag0", "tx_tls_resets"));
	EXPECT_LT(0, nrtls_ethtool_stat(a, "nic0", "tx_tls_encrypted_packets"));
	EXPECT_LT(0, nrtls_ethtool_stat(a, "nic1", "tx_tls_encrypted_packets"));
	EXPECT_EQ(1, nrtls_tls_stat(a, "TlsCurrTxDevice"));
	/* What came in on b's VLAN device: the whole transfer. */
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out),
				  "ip -n %s -s link show br0.100 | awk 'f{print $1; exit} /RX:/{f=1}'",
				  b));
	EXPECT_LT(12 * (long)MiB, atol(out));
}

FIXTURE(bond) {
	struct env e;
};

FIXTURE_SETUP(bond)
{
	env_setup(_metadata, &self->e, "bond0");
}

FIXTURE_TEARDOWN(bond)
{
	env_teardown(_metadata, &self->e);
}

/*
 * Stock bonding hands the flow to one slave's own context, and that works.
 * When the slave goes down, stock kTLS moves the flow to software for
 * good (tls_device_down()); but then both bond0 (a queueless device, so it
 * validates its packets) and the slave below it run the socket's software
 * fallback on each packet: every record is encrypted twice and the peer
 * fails on a bad record MAC.  Seen on 6.1 and 6.12.  lag0 re-homes the
 * same flow instead (lag.rehome_under_transfer).
 */
TEST_F_TIMEOUT(bond, offloads_then_breaks_when_the_slave_goes_down, 300)
{
	struct nrtls_peer peer = { .fd = self->e.t.receiver };
	const char *a = self->e.net.ns_a;
	char slave[8];

	open_flow(_metadata, &self->e);
	snprintf(slave, sizeof(slave), "%s",
		 nrtls_ethtool_stat(a, "nic0", "tx_tls_ctx_add") == 1 ? "nic0" : "nic1");
	EXPECT_EQ(1, nrtls_ethtool_stat(a, slave, "tx_tls_ctx_add"));
	transfer(_metadata, &self->e, 2 * MiB, NULL);
	EXPECT_LT(2 * (long)MiB, nrtls_ethtool_stat(a, slave, "tx_tls_encrypted_bytes"));

	ASSERT_EQ(0, nrtls_sh("ip -n %s link set %s down", a, slave));
	EXPECT_EQ(1, nrtls_ethtool_stat(a, slave, "tx_tls_ctx_del"));
	/* The NIC's context goes after a grace period. */
	EXPECT_TRUE(nrtls_wait_stat("counters", "contexts", 0, 5000));
	/*
	 * Records sent at once after the slave went down have arrived intact
	 * (once in three runs on 6.1, cause not found); a second later they
	 * never did.  Until 4019ae2 the counter reads above, each through
	 * "ip netns exec", took about that long.
	 */
	sleep(1);
	/* Small enough for the socket buffers: the sender does not block. */
	peer.ssl = self->e.t.cssl;
	peer.want = 64 * 1024;
	ASSERT_EQ(0, nrtls_peer_start(&peer));
	ASSERT_EQ(0, nrtls_ssl_send(self->e.t.sssl, SEED, 0, peer.want));
	nrtls_peer_join(&peer);
	EXPECT_EQ(EPROTO, peer.err);
	EXPECT_GT(peer.want, peer.got);
}

/* What cannot be a lower says why, and leaves nothing behind. */
TEST(lag_refuses_bad_lowers)
{
	struct nrtls_nicnet net;
	char out[1024];
	const char *a;

	ASSERT_EQ(0, nrtls_nicnet_ns(&net));
	a = net.ns_a;
	ASSERT_EQ(0, nrtls_sh("ip -n %s link add lag0 type nrtls_lag && "
			      "ip -n %s link add lag1 type nrtls_lag", a, a));
	EXPECT_NE(0, nrtls_sh_out(out, sizeof(out), "ip -n %s link set lo master lag0 2>&1", a));
	EXPECT_NE(NULL, strstr(out, "lowers must be Ethernet devices"));
	EXPECT_NE(0, nrtls_sh_out(out, sizeof(out), "ip -n %s link set lag1 master lag0 2>&1", a));
	EXPECT_NE(NULL, strstr(out, "cannot be a lower of a lag"));
	/* A device with another receive handler (a macvlan's lower). */
	ASSERT_EQ(0, nrtls_sh("ip -n %s link add v0 address 02:00:00:00:00:10 type veth "
			      "peer name v0p && ip -n %s link add mv0 link v0 type macvlan", a, a));
	EXPECT_NE(0, nrtls_sh("ip -n %s link set v0 master lag0", a));
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "ip -n %s link show v0", a));
	EXPECT_NE(NULL, strstr(out, "02:00:00:00:00:10")) {
		TH_LOG("the lower's address was not given back: %s", out);
	}
	/* A device whose address cannot change (ipvlan). */
	ASSERT_EQ(0, nrtls_sh("ip -n %s link add ipv0 link v0p type ipvlan", a));
	EXPECT_NE(0, nrtls_sh("ip -n %s link set ipv0 master lag0", a));
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "ip -n %s link show master lag0", a));
	EXPECT_EQ(NULL, strstr(out, "ipv0"));
	nrtls_nicnet_teardown(&net);
	EXPECT_TRUE(nrtls_wait_idle(20000));
}

/* The MTU of @dev in namespace @ns, or -1. */
static int mtu_of(const char *ns, const char *dev)
{
	char out[1024];
	const char *m;

	if (nrtls_sh_out(out, sizeof(out), "ip -n %s -o link show dev %s", ns, dev))
		return -1;
	m = strstr(out, " mtu ");
	return m ? atoi(m + 5) : -1;
}

/*
 * lag0's packets leave by any lower, so every lower takes lag0's MTU while
 * it is one, and gets its own back when it leaves.  A change of lag0's MTU
 * that one lower refuses (a VLAN device cannot go above its link's) is
 * undone on the lowers that took it; a device that cannot take lag0's MTU
 * is refused as a lower.
 */
TEST(lowers_follow_the_wrapper_mtu)
{
	struct nrtls_nicnet net;
	char out[1024];
	const char *a;

	ASSERT_EQ(0, nrtls_nicnet_ns(&net));
	a = net.ns_a;
	ASSERT_EQ(0, nrtls_sh("ip -n %s link add lag0 type nrtls_lag && "
			      "ip -n %s link add v0 mtu 9000 type veth peer name v0p mtu 9000 && "
			      "ip -n %s link add w0 type veth peer name w0p && "
			      "ip -n %s link add link w0 name w0.5 type vlan id 5", a, a, a, a));
	ASSERT_EQ(1500, mtu_of(a, "lag0"));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set v0 master lag0 && "
			      "ip -n %s link set w0.5 master lag0", a, a));
	EXPECT_EQ(1500, mtu_of(a, "v0"));

	ASSERT_EQ(0, nrtls_sh("ip -n %s link set lag0 mtu 1400", a));
	EXPECT_EQ(1400, mtu_of(a, "lag0"));
	EXPECT_EQ(1400, mtu_of(a, "v0"));
	EXPECT_EQ(1400, mtu_of(a, "w0.5"));

	/* v0 takes 2000 first, then w0.5 refuses: v0 goes back. */
	EXPECT_NE(0, nrtls_sh("ip -n %s link set lag0 mtu 2000 2> /dev/null", a));
	EXPECT_EQ(1400, mtu_of(a, "lag0"));
	EXPECT_EQ(1400, mtu_of(a, "v0"));
	EXPECT_EQ(1400, mtu_of(a, "w0.5"));

	ASSERT_EQ(0, nrtls_sh("ip -n %s link set v0 nomaster && "
			      "ip -n %s link set w0.5 nomaster", a, a));
	EXPECT_EQ(9000, mtu_of(a, "v0"));
	EXPECT_EQ(1500, mtu_of(a, "w0.5"));

	/* Above what w0.5 can take: not a lower, nothing of lag0 on it. */
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set lag0 mtu 2000", a));
	EXPECT_NE(0, nrtls_sh_out(out, sizeof(out),
				  "ip -n %s link set w0.5 master lag0 2>&1", a));
	EXPECT_NE(NULL, strstr(out, "MTU")) {
		TH_LOG("no reason given: %s", out);
	}
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "ip -n %s -o link show dev w0.5", a));
	EXPECT_EQ(NULL, strstr(out, "master lag0"));
	EXPECT_EQ(1500, mtu_of(a, "w0.5"));

	/* A lower deleted while it is one leaves lag0 as it was. */
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set v0 master lag0 && ip -n %s link del v0",
			      a, a));
	EXPECT_EQ(2000, mtu_of(a, "lag0"));
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "ip -n %s -o link show master lag0", a));
	EXPECT_EQ(NULL, strstr(out, "v0"));
	nrtls_nicnet_teardown(&net);
	EXPECT_TRUE(nrtls_wait_idle(20000));
}

/* lag0 stays in its namespace: its lowers could not follow it. */
TEST(wrapper_stays_in_its_namespace)
{
	struct nrtls_nicnet net;
	char out[1024];
	const char *a;

	ASSERT_EQ(0, nrtls_nicnet_ns(&net));
	a = net.ns_a;
	ASSERT_EQ(0, nrtls_sh("ip -n %s link add lag0 type nrtls_lag && "
			      "ip -n %s link add v0 type veth peer name v0p && "
			      "ip -n %s link set v0 master lag0", a, a, a));
	EXPECT_NE(0, nrtls_sh_out(out, sizeof(out), "ip -n %s link set lag0 netns %s 2>&1",
				  a, net.ns_b));
	EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "ip -n %s -o link show master lag0", a));
	EXPECT_NE(NULL, strstr(out, "v0"));
	EXPECT_NE(0, nrtls_sh("ip -n %s link show lag0 > /dev/null 2>&1", net.ns_b));
	nrtls_nicnet_teardown(&net);
	EXPECT_TRUE(nrtls_wait_idle(20000));
}

/*
 * No memory for a new device's counters (fault dev_stats): the wrapper,
 * either end of a NIC pair (the peer is made first) is refused with
 * ENOMEM and nothing of it is left.
 */
TEST(devices_without_counters_are_not_made)
{
	static const char *const cmds[] = {
		"link add lagx type nrtls_lag",
		"link add nicx type nrtls peer name nicxp",
		"link add nicx type nrtls peer name nicxp",
	};
	static const int nth[] = { 1, 1, 2 };
	struct nrtls_nicnet net;
	char out[1024];
	const char *a;

	ASSERT_EQ(0, nrtls_nicnet_ns(&net));
	a = net.ns_a;
	for (int i = 0; i < 3; i++) {
		long hits = nrtls_fault_hits("dev_stats");

		ASSERT_EQ(0, nrtls_fault_arm("dev_stats", nth[i], 1));
		EXPECT_NE(0, nrtls_sh_out(out, sizeof(out), "ip -n %s %s 2>&1", a, cmds[i]));
		EXPECT_NE(NULL, strstr(out, "Cannot allocate memory")) {
			TH_LOG("%s: %s", cmds[i], out);
		}
		EXPECT_EQ(hits + 1, nrtls_fault_hits("dev_stats"));
		nrtls_fault_cmd("reset");
		EXPECT_EQ(0, nrtls_sh_out(out, sizeof(out), "ip -n %s -o link show", a));
		EXPECT_EQ(NULL, strstr(out, "lagx"));
		EXPECT_EQ(NULL, strstr(out, "nicx"));
	}
	/* And made, counting, once the memory is there. */
	ASSERT_EQ(0, nrtls_sh("ip -n %s %s && ip -n %s link set lagx up", a, cmds[0], a));
	EXPECT_LE(0, nrtls_ethtool_stat(a, "lagx", "tx_packets"));
	ASSERT_EQ(0, nrtls_sh("ip -n %s %s", a, cmds[1]));
	nrtls_nicnet_teardown(&net);
	EXPECT_TRUE(nrtls_wait_idle(20000));
}

/* Every test here runs on the emulated NIC. */
bool nrtls_test_needs_nic(void)
{
	return true;
}

TEST_HARNESS_MAIN
