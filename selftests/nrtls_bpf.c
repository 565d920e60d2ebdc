// SPDX-License-Identifier: GPL-2.0
/*
 * BPF programs using the module's kfuncs: XDP and TC programs that look up
 * and release contexts load, run on real traffic over a veth pair and find
 * the right context; programs that break the acquire/release contract are
 * rejected by the verifier.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kselftest_harness.h"
#include "nrtls_net.h"
#include "nrtls_nic.h"
#include "nrtls_test.h"
#include "selftest_bad.skel.h"
#include "selftest_ctx.skel.h"

#define SPORT 40000
#define DPORT 9

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	char buf[1024], *line, *save;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		fprintf(stderr, "# libbpf: %s\n", line);
	return 0;
}

static void __attribute__((constructor)) quiet_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

FIXTURE(veth) {
	struct nrtls_netpair net;
	struct selftest_ctx *skel;
	int dev;
	int sock, sock2;	/* UDP, in namespace a, ports SPORT, SPORT + 1 */
	bool xdp, tc;
	struct bpf_tc_hook hook;
};

FIXTURE_SETUP(veth)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(SPORT),
	};

	ASSERT_EQ(0, nrtls_netpair_setup(&self->net));
	ASSERT_EQ(0, nrtls_netns_enter(self->net.fd_a));
	self->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->sock);
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	ASSERT_EQ(0, bind(self->sock, (void *)&sin, sizeof(sin)));
	self->sock2 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->sock2);
	sin.sin_port = htons(SPORT + 1);
	ASSERT_EQ(0, bind(self->sock2, (void *)&sin, sizeof(sin)));
	/* Everything else happens on the receiving side. */
	ASSERT_EQ(0, nrtls_netns_enter(self->net.fd_b));

	self->dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	self->skel = selftest_ctx__open_and_load();
	ASSERT_NE(NULL, self->skel);
}

FIXTURE_TEARDOWN(veth)
{
	if (self->xdp)
		bpf_xdp_detach(self->net.ifindex_b, 0, NULL);
	if (self->tc)
		bpf_tc_hook_destroy(&self->hook);
	selftest_ctx__destroy(self->skel);
	close(self->dev);
	close(self->sock);
	close(self->sock2);
	nrtls_netpair_teardown(&self->net);
}

static int send_from(int sock, int n)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(DPORT) };
	int i;

	inet_pton(AF_INET, "192.0.2.2", &dst.sin_addr);
	for (i = 0; i < n; i++)
		if (sendto(sock, "x", 1, 0, (void *)&dst, sizeof(dst)) != 1)
			break;
	return i;
}

static bool wait_packets(struct selftest_ctx *skel, __u64 n)
{
	struct timespec ts = { 0, 10 * 1000000L };
	int i;

	for (i = 0; i < 500; i++) {
		if (__atomic_load_n(&skel->bss->packets, __ATOMIC_RELAXED) >= n)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static void run_traffic(struct __test_metadata *_metadata,
			FIXTURE_DATA(veth) *self)
{
	struct nrtls_flow flow;
	long hits0 = nrtls_read_stat("events", "bpf_hit");
	__u32 id;

	/* The flow as the receiving side sees it: source is namespace a. */
	nrtls_flow_v4(&flow, IPPROTO_UDP, "192.0.2.1", SPORT, "192.0.2.2", DPORT);
	ASSERT_EQ(0, nrtls_ctx_create(self->dev, self->net.ifindex_b, &flow, &id));

	ASSERT_EQ(10, send_from(self->sock, 10));
	ASSERT_EQ(5, send_from(self->sock2, 5));
	ASSERT_TRUE(wait_packets(self->skel, 15));
	EXPECT_EQ(15, self->skel->bss->packets);
	EXPECT_EQ(10, self->skel->bss->hits);
	EXPECT_EQ(id, self->skel->bss->last_id);
	EXPECT_EQ(self->net.ifindex_b, (int)self->skel->bss->last_ifindex);
	EXPECT_EQ(NRTLS_CTX_PLAIN, self->skel->bss->last_type);
	EXPECT_EQ(hits0 + 10, nrtls_read_stat("events", "bpf_hit"));

	/* Once destroyed, programs no longer find it. */
	ASSERT_EQ(0, nrtls_ctx_destroy(self->dev, id));
	ASSERT_EQ(3, send_from(self->sock, 3));
	ASSERT_TRUE(wait_packets(self->skel, 18));
	EXPECT_EQ(10, self->skel->bss->hits);
	EXPECT_TRUE(nrtls_wait_idle(5000));
}

TEST_F(veth, xdp_lookup_release)
{
	int fd = bpf_program__fd(self->skel->progs.xdp_lookup);

	ASSERT_EQ(0, bpf_xdp_attach(self->net.ifindex_b, fd, 0, NULL));
	self->xdp = true;
	run_traffic(_metadata, self);
}

/* @prog on the receiving veth's ingress; the teardown takes it off. */
static void attach_tc_ingress(struct __test_metadata *_metadata,
			      FIXTURE_DATA(veth) *self, struct bpf_program *prog)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts);

	memset(&self->hook, 0, sizeof(self->hook));
	self->hook.sz = sizeof(self->hook);
	self->hook.ifindex = self->net.ifindex_b;
	self->hook.attach_point = BPF_TC_INGRESS;
	ASSERT_EQ(0, bpf_tc_hook_create(&self->hook));
	self->tc = true;
	opts.prog_fd = bpf_program__fd(prog);
	ASSERT_EQ(0, bpf_tc_attach(&self->hook, &opts));
}

TEST_F(veth, tc_lookup_release)
{
	attach_tc_ingress(_metadata, self, self->skel->progs.tc_lookup);
	run_traffic(_metadata, self);
}

/*
 * The steering kfuncs on what is not a wrapper: a veth has no lowers
 * (-ENODEV), a plain context is no wrapper's (-EINVAL), and each refused
 * steer counts as bpf_steer_err.
 */
TEST_F(veth, steering_kfuncs_refuse_what_is_not_a_wrapper)
{
	struct nrtls_flow flow;
	long errs = nrtls_read_stat("events", "bpf_steer_err");
	__u32 id;

	nrtls_flow_v4(&flow, IPPROTO_UDP, "192.0.2.1", SPORT, "192.0.2.2", DPORT);
	ASSERT_EQ(0, nrtls_ctx_create(self->dev, self->net.ifindex_b, &flow, &id));
	self->skel->bss->probe_bad_ifindex = self->net.ifindex_b;
	attach_tc_ingress(_metadata, self, self->skel->progs.tc_steer_probe);
	ASSERT_EQ(4, send_from(self->sock, 4));
	ASSERT_TRUE(wait_packets(self->skel, 4));
	EXPECT_EQ(4, self->skel->bss->probe_ctx_packets);
	EXPECT_EQ(-ENODEV, self->skel->bss->probe_lower0);
	EXPECT_EQ(-ENODEV, self->skel->bss->probe_lower_past);
	EXPECT_EQ(-ENODEV, self->skel->bss->probe_contexts_bad);
	EXPECT_EQ(-EINVAL, self->skel->bss->probe_steered);
	EXPECT_EQ(-EINVAL, self->skel->bss->probe_home);
	EXPECT_EQ(4, self->skel->bss->probe_lower_none);
	EXPECT_EQ(-EINVAL, self->skel->bss->probe_steer_bad);
	EXPECT_EQ(-EINVAL, self->skel->bss->probe_steer_zero);
	EXPECT_EQ(errs + 8, nrtls_read_stat("events", "bpf_steer_err"));
	EXPECT_EQ(0, nrtls_ctx_destroy(self->dev, id));
}

/*
 * A program built against a larger struct nrtls_flow finds contexts when
 * the part this module does not know is zero, and never otherwise.
 */
TEST_F(veth, lookup_larger_flow_struct)
{
	int fd = bpf_program__fd(self->skel->progs.xdp_lookup_sizes);
	struct nrtls_flow flow;
	__u32 id;

	nrtls_flow_v4(&flow, IPPROTO_UDP, "192.0.2.1", SPORT, "192.0.2.2", DPORT);
	ASSERT_EQ(0, nrtls_ctx_create(self->dev, self->net.ifindex_b, &flow, &id));
	ASSERT_EQ(0, bpf_xdp_attach(self->net.ifindex_b, fd, 0, NULL));
	self->xdp = true;
	ASSERT_EQ(6, send_from(self->sock, 6));
	ASSERT_TRUE(wait_packets(self->skel, 6));
	EXPECT_EQ(6, self->skel->bss->big_hits);
	EXPECT_EQ(id, self->skel->bss->last_id);
	EXPECT_EQ(0, self->skel->bss->bad_tail_hits);
	EXPECT_EQ(0, nrtls_ctx_destroy(self->dev, id));
}

/*
 * The verifier passes a map value the program did not check for NULL as
 * the flow; both look-ups must take NULL for nothing found, not read it
 * (an oops, in softirq on a real device).  Run by BPF_PROG_TEST_RUN.
 */
TEST_F(veth, lookup_of_a_null_flow_finds_nothing)
{
	struct bpf_program *progs[] = {
		self->skel->progs.xdp_lookup_null_flow,
		self->skel->progs.tc_lookup_null_flow,
	};
	long lookups = nrtls_read_stat("events", "bpf_lookup");
	char pkt[64] = { 0 };

	for (int i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			    .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = 1);

		ASSERT_EQ(0, bpf_prog_test_run_opts(bpf_program__fd(progs[i]), &opts))
			TH_LOG("%s", bpf_program__name(progs[i]));
	}
	EXPECT_EQ(2, self->skel->bss->null_flow_runs);
	EXPECT_EQ(0, self->skel->bss->null_flow_hits);
	EXPECT_EQ(lookups + 2, nrtls_read_stat("events", "bpf_lookup"));
}

/* A context in another namespace is invisible, even for the same flow. */
TEST_F(veth, lookup_is_per_netns)
{
	int fd = bpf_program__fd(self->skel->progs.xdp_lookup);
	struct nrtls_flow flow;
	__u32 id;

	nrtls_flow_v4(&flow, IPPROTO_UDP, "192.0.2.1", SPORT, "192.0.2.2", DPORT);
	ASSERT_EQ(0, nrtls_netns_enter(self->net.fd_a));
	ASSERT_EQ(0, nrtls_ctx_create(self->dev, self->net.ifindex_a, &flow, &id));
	ASSERT_EQ(0, nrtls_netns_enter(self->net.fd_b));

	ASSERT_EQ(0, bpf_xdp_attach(self->net.ifindex_b, fd, 0, NULL));
	self->xdp = true;
	ASSERT_EQ(5, send_from(self->sock, 5));
	ASSERT_TRUE(wait_packets(self->skel, 5));
	EXPECT_EQ(0, self->skel->bss->hits);
	EXPECT_EQ(0, nrtls_ctx_destroy(self->dev, id));
}

struct churn {
	int dev, ifindex, rounds;
	struct nrtls_flow flow;
	volatile bool stop;
	int errors;
};

static void *churn_contexts(void *arg)
{
	struct churn *c = arg;
	__u32 id;
	int i;

	for (i = 0; i < c->rounds; i++) {
		if (nrtls_ctx_create(c->dev, c->ifindex, &c->flow, &id) ||
		    nrtls_ctx_destroy(c->dev, id))
			c->errors++;
	}
	c->stop = true;
	return NULL;
}

/*
 * Contexts created and destroyed while programs look them up on every
 * packet: lookups that race with the last put must never resurrect a
 * context, and everything is freed at the end.
 */
TEST_F_TIMEOUT(veth, lookup_races_destroy, 120)
{
	int fd = bpf_program__fd(self->skel->progs.xdp_lookup);
	struct churn c = {
		.dev = self->dev,
		.ifindex = self->net.ifindex_b,
		.rounds = 3000,
	};
	pthread_t thr;
	long sent = 0;

	nrtls_flow_v4(&c.flow, IPPROTO_UDP, "192.0.2.1", SPORT, "192.0.2.2", DPORT);
	ASSERT_EQ(0, bpf_xdp_attach(self->net.ifindex_b, fd, 0, NULL));
	self->xdp = true;
	ASSERT_EQ(0, pthread_create(&thr, NULL, churn_contexts, &c));
	/*
	 * In step with the receiver: a veth with XDP drops what overflows its
	 * ring, and a slow machine must not turn that into a failure.
	 */
	while (!c.stop) {
		sent += send_from(self->sock, 16);
		ASSERT_TRUE(wait_packets(self->skel, sent));
	}
	pthread_join(thr, NULL);
	TH_LOG("%ld packets, %llu found a context, 3000 create/destroy rounds",
	       sent, (unsigned long long)self->skel->bss->hits);
	EXPECT_EQ(0, c.errors);
	EXPECT_LE(self->skel->bss->hits, self->skel->bss->packets);
	EXPECT_TRUE(nrtls_wait_idle(5000));
}

/*
 * Load one program of selftest_bad; the verifier must refuse it for
 * @reason, or for @reason2 if not NULL (the words differ between kernels).
 */
static void expect_rejected(struct __test_metadata *_metadata,
			    const char *name, const char *reason,
			    const char *reason2)
{
	struct selftest_bad *skel;
	struct bpf_program *prog, *target = NULL;
	size_t size = 1 << 20;
	char *log, *hit, *eol;

	log = calloc(1, size);
	ASSERT_NE(NULL, log);
	skel = selftest_bad__open();
	ASSERT_NE(NULL, skel);
	bpf_object__for_each_program(prog, skel->obj) {
		bool me = !strcmp(bpf_program__name(prog), name);

		bpf_program__set_autoload(prog, me);
		if (me)
			target = prog;
	}
	ASSERT_NE(NULL, target);
	bpf_program__set_log_buf(target, log, size);
	bpf_program__set_log_level(target, 1);

	EXPECT_NE(0, selftest_bad__load(skel));
	hit = strstr(log, reason);
	if (!hit && reason2)
		hit = strstr(log, reason2);
	EXPECT_NE(NULL, hit) TH_LOG("verifier log of %s:\n%s", name, log);
	if (hit) {
		eol = strchr(hit, '\n');
		if (eol)
			*eol = '\0';
		/* stderr: the harness's child exits without flushing stdout. */
		fprintf(stderr, "# verifier rejected %s: %s\n", name, hit);
	}
	selftest_bad__destroy(skel);
	free(log);
}

TEST(verifier_rejects_leaked_reference)
{
	expect_rejected(_metadata, "leak", "Unreleased reference", NULL);
}

TEST(verifier_rejects_use_after_release)
{
	expect_rejected(_metadata, "use_after_release", "invalid mem access", NULL);
}

TEST(verifier_rejects_missing_null_check)
{
	expect_rejected(_metadata, "no_null_check", "invalid mem access", NULL);
}

TEST(verifier_rejects_double_release)
{
	expect_rejected(_metadata, "double_release",
			"arg#0 pointer type STRUCT nrtls_ctx", NULL);
}

TEST(verifier_rejects_steer_after_release)
{
	expect_rejected(_metadata, "steer_after_release",
			"arg#0 pointer type STRUCT nrtls_ctx", NULL);
}

TEST(verifier_rejects_steer_without_null_check)
{
	/* 6.1 says no more than for a pointer that is not one. */
	expect_rejected(_metadata, "steer_no_null_check",
			"Possibly NULL pointer passed to trusted arg0",
			"arg#0 pointer type STRUCT nrtls_ctx");
}

TEST(verifier_rejects_steer_from_xdp)
{
	expect_rejected(_metadata, "steer_from_xdp",
			"calling kernel function nrtls_ctx_steer is not allowed",
			NULL);
}

TEST(verifier_rejects_cpu_after_release)
{
	expect_rejected(_metadata, "cpu_after_release",
			"arg#0 pointer type STRUCT nrtls_ctx", NULL);
}

TEST(verifier_rejects_cpu_without_null_check)
{
	expect_rejected(_metadata, "cpu_no_null_check",
			"Possibly NULL pointer passed to trusted arg0",
			"arg#0 pointer type STRUCT nrtls_ctx");
}

TEST(verifier_rejects_xdp_lookup_from_tc)
{
	expect_rejected(_metadata, "xdp_lookup_from_tc",
			"calling kernel function nrtls_xdp_ctx_lookup is not allowed",
			NULL);
	expect_rejected(_metadata, "xdp_cookie_lookup_from_tc",
			"calling kernel function nrtls_xdp_ctx_lookup_cookie is not allowed",
			NULL);
}

TEST(verifier_rejects_skb_lookup_from_xdp)
{
	expect_rejected(_metadata, "skb_lookup_from_xdp",
			"calling kernel function nrtls_skb_ctx_lookup is not allowed",
			NULL);
	expect_rejected(_metadata, "skb_cookie_lookup_from_xdp",
			"calling kernel function nrtls_skb_ctx_lookup_cookie is not allowed",
			NULL);
}

TEST(verifier_rejects_read_past_context)
{
	expect_rejected(_metadata, "read_past_ctx", "access beyond struct nrtls_ctx", NULL);
}

TEST(verifier_rejects_cookie_lookup_leak)
{
	expect_rejected(_metadata, "cookie_leak", "Unreleased reference", NULL);
}

TEST(verifier_rejects_lower_leak)
{
	expect_rejected(_metadata, "lower_leak", "Unreleased reference", NULL);
}

TEST(verifier_rejects_lower_after_release)
{
	expect_rejected(_metadata, "lower_after_release",
			"arg#0 pointer type STRUCT nrtls_ctx", NULL);
}

TEST(verifier_rejects_lower_without_null_check)
{
	expect_rejected(_metadata, "lower_no_null_check", "invalid mem access", NULL);
}

/* nic0 (namespace a, 192.0.2.1) and nic0p (b, 192.0.2.2): an emulated NIC pair. */
FIXTURE(nic) {
	struct nrtls_nicnet net;
	struct selftest_ctx *skel;
	struct bpf_tc_hook hook;
	bool tc;
};

FIXTURE_SETUP(nic)
{
	ASSERT_EQ(0, nrtls_use_ip_plugin());
	ASSERT_EQ(0, nrtls_nicnet_setup(&self->net, ""));
	self->skel = selftest_ctx__open_and_load();
	ASSERT_NE(NULL, self->skel);
}

FIXTURE_TEARDOWN(nic)
{
	if (self->tc && !nrtls_netns_enter(self->net.fd_a))
		bpf_tc_hook_destroy(&self->hook);
	selftest_ctx__destroy(self->skel);
	nrtls_nicnet_teardown(&self->net);
}

/*
 * A TC program on the sender's egress finds the socket's device context
 * by its cookie (bpf_get_socket_cookie()), the same one the flow finds,
 * and no RX context; a plain TCP socket's cookie finds nothing.
 */
TEST_F_TIMEOUT(nic, cookie_lookup_finds_the_socket_context, 120)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts);
	socklen_t len = sizeof(__u64);
	char buf[16384], in[16384];
	int plain_s, plain_r, got;
	struct nrtls_tls t;
	__u64 cookie;

	ASSERT_EQ(0, nrtls_tls_pair_ns(&t, TLS1_2_VERSION,
				       "ECDHE-ECDSA-AES128-GCM-SHA256",
				       self->net.fd_a, "192.0.2.1", self->net.fd_b));
	ASSERT_EQ(0, nrtls_tcp_pair_ns(self->net.fd_a, "192.0.2.1", self->net.fd_b,
				       &plain_s, &plain_r));
	ASSERT_EQ(0, getsockopt(t.sender, SOL_SOCKET, SO_COOKIE, &cookie, &len));
	self->skel->bss->want_cookie = cookie;
	ASSERT_EQ(0, nrtls_netns_enter(self->net.fd_a));
	self->hook.sz = sizeof(self->hook);
	self->hook.ifindex = if_nametoindex("nic0");
	self->hook.attach_point = BPF_TC_EGRESS;
	ASSERT_EQ(0, bpf_tc_hook_create(&self->hook));
	self->tc = true;
	opts.prog_fd = bpf_program__fd(self->skel->progs.tc_cookie_probe);
	ASSERT_EQ(0, bpf_tc_attach(&self->hook, &opts));

	memset(buf, 'n', sizeof(buf));
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(sizeof(buf), SSL_write(t.sssl, buf, sizeof(buf)));
		for (got = 0; got < (int)sizeof(buf); ) {
			int n = SSL_read(t.cssl, in + got, sizeof(in) - got);

			ASSERT_LT(0, n);
			got += n;
		}
		EXPECT_EQ(0, memcmp(buf, in, sizeof(buf)));
		ASSERT_EQ(sizeof(buf), write(plain_s, buf, sizeof(buf)));
		for (got = 0; got < (int)sizeof(buf); ) {
			int n = read(plain_r, in + got, sizeof(in) - got);

			ASSERT_LT(0, n);
			got += n;
		}
	}
	TH_LOG("%llu packets of the kTLS socket, %llu of others",
	       self->skel->bss->cookie_packets, self->skel->bss->other_packets);
	EXPECT_LT(0, self->skel->bss->cookie_packets);
	EXPECT_EQ(self->skel->bss->cookie_packets, self->skel->bss->cookie_hits);
	EXPECT_EQ(self->skel->bss->cookie_hits, self->skel->bss->cookie_same);
	EXPECT_EQ(0, self->skel->bss->cookie_rx_hits);
	EXPECT_LT(0, self->skel->bss->other_packets);
	EXPECT_EQ(0, self->skel->bss->other_hits);
	close(plain_s);
	close(plain_r);
	nrtls_tls_abort(&t);
}

TEST_HARNESS_MAIN
