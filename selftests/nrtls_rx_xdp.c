// SPDX-License-Identifier: GPL-2.0
/*
 * nrtls_rx, the receive-side XDP program: it follows the TLS record
 * headers of each TCP flow through every header shape the parser accepts
 * (VLAN tags, IPv4 options, IPv6 extension headers, TCP options, link
 * padding), with headers split across packets and retransmissions; it
 * drops a packet with an impossible record only on a flow that has a
 * context; and over a real TCP connection its per-flow counts are exact.
 *
 * Frames are run through BPF_PROG_TEST_RUN, where the program's device is
 * this namespace's loopback, and for real traffic in driver mode over a
 * veth pair and over the emulated NIC, whose XDP (nic_xdp.c) is tested
 * here too: with --steer-cpu a flow that has a context is received on the
 * context's CPU, and frames other devices redirect to the NIC go out.
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
#include "nrtls_rx.h"
#include "nrtls_rx.skel.h"

#define ISN 0xfffff000u		/* the stream wraps the sequence space */
#define MAXFRAME 3000

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	fprintf(stderr, "# libbpf: ");
	return vfprintf(stderr, fmt, ap);
}

static void __attribute__((constructor)) quiet_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

/* How a test frame is wrapped. */
struct shape {
	const char *name;
	int family;
	int vlans;		/* 0..2 tags */
	int ip4_opts;		/* bytes of IPv4 options, a multiple of 4 */
	int v6_ext;		/* 1: hop-by-hop + destination options; 2: fragment */
	int tcp_opts;		/* bytes of TCP options, a multiple of 4 */
	int pad;		/* bytes of link padding after the IP packet */
};

static const struct shape shapes[] = {
	{ "ipv4", AF_INET, 0, 0, 0, 0, 0 },
	{ "ipv4, 2 VLAN tags, options, padding", AF_INET, 2, 12, 0, 12, 6 },
	{ "ipv6", AF_INET6, 0, 0, 0, 0, 0 },
	{ "ipv6, hop-by-hop and destination options", AF_INET6, 1, 0, 1, 8, 0 },
	{ "ipv6, first fragment, padding", AF_INET6, 0, 0, 2, 0, 4 },
};

static void put16(unsigned char *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(unsigned char *p, unsigned int v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* The flow of frames from build(), as the program keys it (sender first). */
static void shape_flow(const struct shape *s, int sport, int dport,
		       struct nrtls_flow *flow)
{
	memset(flow, 0, sizeof(*flow));
	flow->family = s->family;
	flow->protocol = IPPROTO_TCP;
	flow->sport = htons(sport);
	flow->dport = htons(dport);
	if (s->family == AF_INET) {
		inet_pton(AF_INET, "198.51.100.1", flow->saddr);
		inet_pton(AF_INET, "198.51.100.2", flow->daddr);
	} else {
		inet_pton(AF_INET6, "2001:db8::1", flow->saddr);
		inet_pton(AF_INET6, "2001:db8::2", flow->daddr);
	}
}

/*
 * An Ethernet frame with one TCP segment.  @frag: the IPv4 fragment offset
 * field or, for IPv6 shapes with a fragment header, its offset in bytes.
 */
static size_t build(unsigned char *b, const struct shape *s, int sport,
		    int dport, unsigned int seq, int flags, const void *data,
		    size_t len, unsigned int frag)
{
	struct nrtls_flow flow;
	size_t off = 12, ip, l4len, tcp;
	int proto = IPPROTO_TCP, i;

	shape_flow(s, sport, dport, &flow);
	memset(b, 0, MAXFRAME);
	memcpy(b, "\x02\0\0\0\0\2\x02\0\0\0\0\1", 12);
	for (i = 0; i < s->vlans; i++) {
		put16(b + off, i == 0 && s->vlans == 2 ? 0x88a8 : 0x8100);
		put16(b + off + 2, 100 + i);
		off += 4;
	}
	put16(b + off, s->family == AF_INET ? 0x0800 : 0x86dd);
	ip = off + 2;
	l4len = 20 + s->tcp_opts + len;
	if (s->family == AF_INET) {
		b[ip] = 0x40 | (5 + s->ip4_opts / 4);
		put16(b + ip + 2, 20 + s->ip4_opts + l4len);
		put16(b + ip + 6, frag);
		b[ip + 8] = 64;
		b[ip + 9] = proto;
		memcpy(b + ip + 12, flow.saddr, 4);
		memcpy(b + ip + 16, flow.daddr, 4);
		memset(b + ip + 20, 1, s->ip4_opts);	/* NOPs */
		tcp = ip + 20 + s->ip4_opts;
	} else {
		size_t ext = 0, e = ip + 40;

		b[ip] = 0x60;
		b[ip + 7] = 64;
		memcpy(b + ip + 8, flow.saddr, 16);
		memcpy(b + ip + 24, flow.daddr, 16);
		if (s->v6_ext == 1) {
			b[ip + 6] = 0;			/* hop-by-hop, 8 bytes */
			b[e] = 60;
			b[e + 1] = 0;
			b[e + 8] = proto;		/* destination options, 16 */
			b[e + 9] = 1;
			b[e + 10] = 1;			/* PadN over the rest */
			b[e + 11] = 12;
			ext = 24;
		} else if (s->v6_ext == 2) {
			b[ip + 6] = 44;			/* fragment */
			b[e] = proto;
			put16(b + e + 2, frag | 1);	/* more fragments */
			put32(b + e + 4, 0x1234);
			ext = 8;
		} else {
			b[ip + 6] = proto;
		}
		put16(b + ip + 4, ext + l4len);
		tcp = e + ext;
	}
	put16(b + tcp, sport);
	put16(b + tcp + 2, dport);
	put32(b + tcp + 4, seq);
	b[tcp + 12] = (5 + s->tcp_opts / 4) << 4;
	b[tcp + 13] = flags;
	put16(b + tcp + 14, 65535);
	memset(b + tcp + 20, 1, s->tcp_opts);
	memcpy(b + tcp + 20 + s->tcp_opts, data, len);
	/* Link padding: bytes the IP length says are not the packet's. */
	memset(b + tcp + 20 + s->tcp_opts + len, 0xee, s->pad);
	return tcp + 20 + s->tcp_opts + len + s->pad;
}

/* A TLS byte stream: records of these payload lengths, each type 23. */
static size_t make_stream(unsigned char *buf, size_t size, const int *lens,
			  int n, unsigned long long *bytes)
{
	size_t off = 0;

	*bytes = 0;
	for (int i = 0; i < n; i++) {
		if (off + 5 + lens[i] > size)
			return 0;
		buf[off] = 23;
		buf[off + 1] = 3;
		buf[off + 2] = 3;
		put16(buf + off + 3, lens[i]);
		/* A body that is full of things that look like headers. */
		memset(buf + off + 5, 0x17, lens[i]);
		off += 5 + lens[i];
		*bytes += 5 + lens[i];
	}
	return off;
}

FIXTURE(prog) {
	struct nrtls_rx *skel;
	int fd, flows, stats;
	int dev;
};

FIXTURE_SETUP(prog)
{
	self->dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	self->skel = nrtls_rx__open_and_load();
	ASSERT_NE(NULL, self->skel);
	self->fd = bpf_program__fd(self->skel->progs.nrtls_rx);
	self->flows = bpf_map__fd(self->skel->maps.nrtls_rx_flows);
	self->stats = bpf_map__fd(self->skel->maps.nrtls_rx_stats);
}

FIXTURE_TEARDOWN(prog)
{
	nrtls_rx__destroy(self->skel);
	close(self->dev);
}

/* Run one frame through the program; its verdict, or -1. */
static int run(int fd, const void *frame, size_t len)
{
	unsigned char out[MAXFRAME + 256];
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = frame,
		.data_size_in = len,
		.data_out = out,
		.data_size_out = sizeof(out),
		.repeat = 1,
	);

	if (bpf_prog_test_run_opts(fd, &opts))
		return -1;
	return opts.retval;
}

static unsigned long long stat_sum(int fd, __u32 key)
{
	int n = libbpf_num_possible_cpus();
	unsigned long long sum = 0;
	__u64 v[n > 0 ? n : 1];

	if (n <= 0 || bpf_map_lookup_elem(fd, &key, v))
		return ~0ULL;
	for (int i = 0; i < n; i++)
		sum += v[i];
	return sum;
}

static bool flow_state(int fd, const struct nrtls_flow *flow,
		       struct nrtls_rx_flow *st)
{
	return !bpf_map_lookup_elem(fd, flow, st);
}

#define TCP_SYN 0x02
#define TCP_ACK 0x10

/*
 * Send @stream as segments of the sizes in @cuts (the last repeated),
 * starting at stream offset @from; return the verdicts' OR, bit 0 = DROP.
 */
static int send_stream(int fd, const struct shape *s, int port,
		       const unsigned char *stream, size_t from, size_t to,
		       const int *cuts, int ncuts)
{
	unsigned char frame[MAXFRAME];
	int verdicts = 0, c = 0;

	while (from < to) {
		size_t n = cuts[c < ncuts ? c : ncuts - 1];
		int r;

		c++;
		if (n > to - from)
			n = to - from;
		r = run(fd, frame, build(frame, s, port, 443, ISN + 1 + from,
					 TCP_ACK, stream + from, n, 0));
		if (r != XDP_PASS)
			verdicts |= r == XDP_DROP ? 1 : 2;
		from += n;
	}
	return verdicts;
}

static int syn(int fd, const struct shape *s, int port)
{
	unsigned char frame[MAXFRAME];

	return run(fd, frame, build(frame, s, port, 443, ISN, TCP_SYN, NULL, 0, 0));
}

/* Record lengths from 0 to the largest allowed; headers split 2 + 3. */
static const int lens[] = { 0, 1, 100, NRTLS_RX_MAX_RECORD, 3000, 7, 1395 };
static const int cuts[] = { 2, 3, 1, 999, 1400 };

TEST_F(prog, follows_records_in_every_shape)
{
	static unsigned char stream[64 << 10];
	unsigned long long bytes;
	size_t len = make_stream(stream, sizeof(stream), lens, 7, &bytes);
	unsigned long long pkts0 = stat_sum(self->stats, NRTLS_RX_PACKETS);
	unsigned long long frames = 0;

	ASSERT_NE(0, len);
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];
		struct nrtls_rx_flow st;
		struct nrtls_flow flow;
		int port = 20000 + i;

		shape_flow(s, port, 443, &flow);
		ASSERT_EQ(XDP_PASS, syn(self->fd, s, port));
		EXPECT_EQ(0, send_stream(self->fd, s, port, stream, 0, len,
					 cuts, 5)) TH_LOG("%s", s->name);
		ASSERT_TRUE(flow_state(self->flows, &flow, &st)) TH_LOG("%s", s->name);
		EXPECT_EQ(NRTLS_RX_SYNCED, st.state) TH_LOG("%s", s->name);
		EXPECT_EQ(7, st.records) TH_LOG("%s", s->name);
		EXPECT_EQ(bytes, st.bytes) TH_LOG("%s", s->name);
		EXPECT_EQ((__u32)(ISN + 1 + len), st.next_seq) TH_LOG("%s", s->name);
		EXPECT_EQ(0, st.have);
		frames += 1 + 4 + (len - 1005 + 1399) / 1400;
	}
	EXPECT_EQ(pkts0 + frames, stat_sum(self->stats, NRTLS_RX_PACKETS));
	EXPECT_EQ(7 * 5, stat_sum(self->stats, NRTLS_RX_RECORDS));
	EXPECT_EQ(0, stat_sum(self->stats, NRTLS_RX_LOST_SYNC));
}

/* Retransmitted and partly overlapping segments are not counted twice. */
TEST_F(prog, retransmissions_count_once)
{
	static unsigned char stream[64 << 10];
	const struct shape *s = &shapes[0];
	unsigned long long bytes;
	size_t len = make_stream(stream, sizeof(stream), lens, 7, &bytes);
	struct nrtls_rx_flow st;
	struct nrtls_flow flow;
	const int big[] = { 1400 };

	shape_flow(s, 20100, 443, &flow);
	ASSERT_EQ(XDP_PASS, syn(self->fd, s, 20100));
	EXPECT_EQ(0, send_stream(self->fd, s, 20100, stream, 0, 4000, big, 1));
	EXPECT_EQ(0, send_stream(self->fd, s, 20100, stream, 0, 4000, big, 1));
	/* Overlapping what was seen, then new data. */
	EXPECT_EQ(0, send_stream(self->fd, s, 20100, stream, 3000, len, big, 1));
	ASSERT_TRUE(flow_state(self->flows, &flow, &st));
	EXPECT_EQ(NRTLS_RX_SYNCED, st.state);
	EXPECT_EQ(7, st.records);
	EXPECT_EQ(bytes, st.bytes);
}

/* A gap (data past where the next header should be) stops following. */
TEST_F(prog, gap_loses_sync)
{
	static unsigned char stream[64 << 10];
	const struct shape *s = &shapes[2];
	unsigned long long bytes;
	size_t len = make_stream(stream, sizeof(stream), lens, 7, &bytes);
	unsigned long long lost0 = stat_sum(self->stats, NRTLS_RX_LOST_SYNC);
	struct nrtls_rx_flow st;
	struct nrtls_flow flow;
	const int big[] = { 1000 };

	shape_flow(s, 20200, 443, &flow);
	ASSERT_EQ(XDP_PASS, syn(self->fd, s, 20200));
	/* Headers at 0, 5, 11 and 116: the segment with the last is lost. */
	EXPECT_EQ(0, send_stream(self->fd, s, 20200, stream, 0, 100, big, 1));
	EXPECT_EQ(0, send_stream(self->fd, s, 20200, stream, 200, len, big, 1));
	ASSERT_TRUE(flow_state(self->flows, &flow, &st));
	EXPECT_EQ(NRTLS_RX_LOST, st.state);
	EXPECT_EQ(3, st.records);
	EXPECT_EQ(lost0 + 1, stat_sum(self->stats, NRTLS_RX_LOST_SYNC));
}

/* No ports in later fragments: such frames are not TCP packets to it. */
TEST_F(prog, later_fragments_are_not_flows)
{
	unsigned char frame[MAXFRAME];
	unsigned long long pkts0 = stat_sum(self->stats, NRTLS_RX_PACKETS);
	const struct shape v4 = { "ipv4", AF_INET, 0, 0, 0, 0, 0 };

	EXPECT_EQ(XDP_PASS, run(self->fd, frame,
				build(frame, &v4, 20300, 443, 1, TCP_ACK,
				      "\x17\x03\x03\xff\xff", 5, 0x2000 | 100)));
	EXPECT_EQ(XDP_PASS, run(self->fd, frame,
				build(frame, &shapes[4], 20300, 443, 1, TCP_ACK,
				      "\x17\x03\x03\xff\xff", 5, 800)));
	EXPECT_EQ(pkts0, stat_sum(self->stats, NRTLS_RX_PACKETS));
	/* A first fragment is (the shapes above include one). */
	EXPECT_EQ(XDP_PASS, run(self->fd, frame,
				build(frame, &v4, 20300, 443, 1, TCP_ACK,
				      "\x17\x03\x03\xff\xff", 5, 0x2000)));
	EXPECT_EQ(pkts0 + 1, stat_sum(self->stats, NRTLS_RX_PACKETS));
}

/*
 * An impossible record: a flow without a context is left alone (only no
 * longer followed); on a flow with one, as the wire names it or as its
 * receiving socket does, the packet is dropped and the flow's state is
 * unchanged, so that the genuine segment at that sequence still counts.
 */
static void impossible(struct __test_metadata *_metadata,
		       FIXTURE_DATA(prog) *self, int port, bool ctx,
		       bool reversed, const char *bad)
{
	static unsigned char stream[64 << 10];
	const struct shape *s = &shapes[1];
	unsigned char frame[MAXFRAME];
	unsigned long long bytes;
	size_t len = make_stream(stream, sizeof(stream), lens, 3, &bytes);
	unsigned long long drops0 = stat_sum(self->stats, NRTLS_RX_DROPPED);
	struct nrtls_rx_flow st;
	struct nrtls_flow flow, cflow;
	const int big[] = { 1400 };
	__u32 id = 0;

	shape_flow(s, port, 443, &flow);
	cflow = flow;
	if (reversed) {
		memcpy(cflow.saddr, flow.daddr, sizeof(cflow.saddr));
		memcpy(cflow.daddr, flow.saddr, sizeof(cflow.daddr));
		cflow.sport = flow.dport;
		cflow.dport = flow.sport;
	}
	/* The program's device in a test run is this namespace's lo. */
	if (ctx)
		ASSERT_EQ(0, nrtls_ctx_create(self->dev, 1, &cflow, &id));
	ASSERT_EQ(XDP_PASS, syn(self->fd, s, port));
	EXPECT_EQ(0, send_stream(self->fd, s, port, stream, 0, len, big, 1));
	EXPECT_EQ(ctx ? XDP_DROP : XDP_PASS,
		  run(self->fd, frame, build(frame, s, port, 443,
					     ISN + 1 + len, TCP_ACK, bad, 5, 0)));
	ASSERT_TRUE(flow_state(self->flows, &flow, &st));
	EXPECT_EQ(3, st.records);
	if (!ctx) {
		EXPECT_EQ(NRTLS_RX_LOST, st.state);
		EXPECT_EQ(drops0, stat_sum(self->stats, NRTLS_RX_DROPPED));
		return;
	}
	EXPECT_EQ(NRTLS_RX_SYNCED, st.state);
	EXPECT_EQ(1, st.dropped);
	EXPECT_EQ((__u32)(ISN + 1 + len), st.next_seq);
	EXPECT_EQ(drops0 + 1, stat_sum(self->stats, NRTLS_RX_DROPPED));
	/* The real data at that sequence. */
	EXPECT_EQ(XDP_PASS, run(self->fd, frame,
				build(frame, s, port, 443, ISN + 1 + len,
				      TCP_ACK, "\x17\x03\x03\x00\x00", 5, 0)));
	ASSERT_TRUE(flow_state(self->flows, &flow, &st));
	EXPECT_EQ(4, st.records);
	EXPECT_EQ(NRTLS_RX_SYNCED, st.state);
	EXPECT_EQ(0, nrtls_ctx_destroy(self->dev, id));
}

/* 2^14 + 256 + 1 bytes */
#define OVERSIZE "\x17\x03\x03\x41\x01"

TEST_F(prog, oversize_record_without_context_passes)
{
	impossible(_metadata, self, 20400, false, false, OVERSIZE);
}

TEST_F(prog, oversize_record_with_context_dropped)
{
	impossible(_metadata, self, 20401, true, false, OVERSIZE);
}

TEST_F(prog, unknown_type_with_socket_context_dropped)
{
	impossible(_metadata, self, 20402, true, true, "\x63\x03\x03\x00\x10");
}

TEST_F(prog, old_version_with_context_dropped)
{
	impossible(_metadata, self, 20403, true, false, "\x17\x02\x00\x00\x10");
}

/*
 * Out of sync (a forged SYN moved the flow's start, say): the "impossible
 * record" is real data that TCP retransmits.  It is dropped a bounded
 * number of times, then the flow is no longer followed and goes through.
 */
TEST_F(prog, retransmitted_impossible_record_dropped_a_bounded_number_of_times)
{
	const struct shape *s = &shapes[0];
	unsigned char frame[MAXFRAME];
	struct nrtls_rx_flow st;
	struct nrtls_flow flow;
	size_t len;
	__u32 id;
	int i;

	shape_flow(s, 20600, 443, &flow);
	ASSERT_EQ(0, nrtls_ctx_create(self->dev, 1, &flow, &id));
	ASSERT_EQ(XDP_PASS, syn(self->fd, s, 20600));
	len = build(frame, s, 20600, 443, ISN + 1, TCP_ACK, OVERSIZE, 5, 0);
	for (i = 0; i < NRTLS_RX_DROPS_AT_ONE_SEQ; i++)
		EXPECT_EQ(XDP_DROP, run(self->fd, frame, len));
	EXPECT_EQ(XDP_PASS, run(self->fd, frame, len));
	ASSERT_TRUE(flow_state(self->flows, &flow, &st));
	EXPECT_EQ(NRTLS_RX_LOST, st.state);
	EXPECT_EQ(NRTLS_RX_DROPS_AT_ONE_SEQ, st.dropped);
	EXPECT_EQ(XDP_PASS, run(self->fd, frame, len));
	EXPECT_EQ(NRTLS_RX_DROPS_AT_ONE_SEQ,
		  stat_sum(self->stats, NRTLS_RX_DROPPED));
	EXPECT_EQ(0, nrtls_ctx_destroy(self->dev, id));
}

/* With a port set, other flows are not looked at. */
TEST(port_filter)
{
	unsigned char frame[MAXFRAME];
	struct nrtls_rx *skel = nrtls_rx__open();
	int fd, stats;

	ASSERT_NE(NULL, skel);
	skel->rodata->port = 8443;
	ASSERT_EQ(0, nrtls_rx__load(skel));
	fd = bpf_program__fd(skel->progs.nrtls_rx);
	stats = bpf_map__fd(skel->maps.nrtls_rx_stats);
	EXPECT_EQ(XDP_PASS, syn(fd, &shapes[0], 20500));	/* to 443 */
	EXPECT_EQ(0, stat_sum(stats, NRTLS_RX_PACKETS));
	EXPECT_EQ(XDP_PASS, run(fd, frame, build(frame, &shapes[0], 8443,
						 20500, ISN, TCP_SYN, NULL, 0, 0)));
	EXPECT_EQ(1, stat_sum(stats, NRTLS_RX_PACKETS));
	nrtls_rx__destroy(skel);
}

/* Over a veth pair: a real TCP connection, records of random sizes. */
/* Namespaces a and b joined by a pair of @variant->type, nrt-a and nrt-b. */
FIXTURE(link) {
	struct nrtls_netpair net;
	struct nrtls_rx *skel;
	bool xdp;
};

FIXTURE_VARIANT(link) {
	const char *type;
	bool nic;
};

FIXTURE_VARIANT_ADD(link, veth) {
	.type = "veth",
};

FIXTURE_VARIANT_ADD(link, nic) {
	.type = "nrtls",
	.nic = true,
};

FIXTURE_SETUP(link)
{
	ASSERT_EQ(0, nrtls_use_ip_plugin());
	ASSERT_EQ(0, nrtls_netpair_setup_type(&self->net, variant->type));
	self->skel = nrtls_rx__open_and_load();
	ASSERT_NE(NULL, self->skel);
}

FIXTURE_TEARDOWN(link)
{
	if (self->xdp) {
		nrtls_netns_enter(self->net.fd_b);
		bpf_xdp_detach(self->net.ifindex_b, 0, NULL);
	}
	nrtls_rx__destroy(self->skel);
	nrtls_netpair_teardown(&self->net);
}

struct reader {
	int fd;
	size_t expect, got;
	const unsigned char *want;
	bool same;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;
	unsigned char buf[65536];
	ssize_t n;

	r->same = true;
	while (r->got < r->expect) {
		n = read(r->fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (r->got + n > r->expect ||
		    memcmp(buf, r->want + r->got, n))
			r->same = false;
		r->got += n;
	}
	return NULL;
}

/* Records of random sizes, a quarter of them under 64 bytes. */
static size_t random_records(unsigned char *stream, size_t size,
			     unsigned long long *records,
			     unsigned long long *bytes)
{
	size_t len = 0;

	*records = *bytes = 0;
	while (len + 5 + NRTLS_RX_MAX_RECORD <= size) {
		int n = rand() % (NRTLS_RX_MAX_RECORD + 1);

		if (rand() % 4 == 0)
			n %= 64;
		stream[len] = 23;
		stream[len + 1] = 3;
		stream[len + 2] = 3;
		put16(stream + len + 3, n);
		for (int i = 0; i < n; i++)
			stream[len + 5 + i] = rand();
		len += 5 + n;
		*bytes += 5 + n;
		(*records)++;
	}
	return len;
}

/* Write @len bytes in writes of random sizes while @r reads and checks. */
static bool transfer(int snd, struct reader *r, const unsigned char *stream,
		     size_t len)
{
	size_t sent = 0;
	pthread_t thr;

	r->expect = len;
	r->got = 0;
	r->want = stream;
	if (pthread_create(&thr, NULL, read_all, r))
		return false;
	/* Writes of random sizes, so that segments cut records anywhere. */
	while (sent < len) {
		size_t n = 1 + rand() % 20000;
		ssize_t w;

		if (n > len - sent)
			n = len - sent;
		w = write(snd, stream + sent, n);
		if (w <= 0)
			break;
		sent += w;
	}
	pthread_join(thr, NULL);
	return sent == len && r->got == len && r->same;
}

static unsigned short ip_csum(const unsigned char *p, int len)
{
	unsigned int sum = 0;

	for (int i = 0; i < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/*
 * From namespace a's end of the pair, a segment of the flow at @seq that
 * starts a record of 2^14 + 257 bytes.  Its TCP checksum is left wrong:
 * should the program let it through, TCP discards it and the real stream
 * stays intact, so what fails is only the drop count.
 */
/* The MAC address of @ifname in the caller's namespace: 0 or -1. */
static int hwaddr(const char *ifname, unsigned char *mac)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = -1;

	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, ifname);
	if (!ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
		ret = 0;
	}
	close(fd);
	return ret;
}

/* Ethernet to @mac and IPv4 @src -> @dst headers, @l4_len bytes after them. */
static void eth_ipv4(unsigned char *f, const unsigned char *mac, int proto,
		     int l4_len, const char *src, const char *dst)
{
	memcpy(f, mac, ETH_ALEN);
	put16(f + 12, ETH_P_IP);
	f[14] = 0x45;
	put16(f + 16, 20 + l4_len);
	f[22] = 64;
	f[23] = proto;
	inet_pton(AF_INET, src, f + 26);
	inet_pton(AF_INET, dst, f + 30);
	put16(f + 24, ip_csum(f + 14, 20));
}

/* Frame @f, to the MAC it starts with, out of @ifindex: 0 or -1. */
static int send_raw(int ifindex, const unsigned char *f, size_t len)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = ifindex,
		.sll_halen = ETH_ALEN,
	};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0), ret;

	if (fd < 0)
		return -1;
	memcpy(sll.sll_addr, f, ETH_ALEN);
	ret = sendto(fd, f, len, 0, (void *)&sll, sizeof(sll)) == (ssize_t)len ? 0 : -1;
	close(fd);
	return ret;
}

static int forge(struct nrtls_netpair *net, int sport, int dport, unsigned int seq)
{
	unsigned char f[64] = { 0 }, mac[ETH_ALEN];

	/* The receiving end's address, asked in its namespace. */
	if (nrtls_netns_enter(net->fd_b) || hwaddr("nrt-b", mac) ||
	    nrtls_netns_enter(net->fd_a))
		return -1;
	eth_ipv4(f, mac, IPPROTO_TCP, 20 + 5, "192.0.2.1", "192.0.2.2");
	put16(f + 34, sport);
	put16(f + 36, dport);
	put32(f + 38, seq);
	f[46] = 5 << 4;
	f[47] = TCP_ACK;
	put16(f + 48, 65535);
	memcpy(f + 54, OVERSIZE, 5);
	return send_raw(net->ifindex_a, f, 60);
}

/* nrtls_rx on nrt-b in driver mode, which both link types have. */
static int attach_drv(FIXTURE_DATA(link) *self)
{
	__u32 id = 0;

	if (nrtls_netns_enter(self->net.fd_b) ||
	    bpf_xdp_attach(self->net.ifindex_b,
			   bpf_program__fd(self->skel->progs.nrtls_rx),
			   XDP_FLAGS_DRV_MODE, NULL))
		return -1;
	self->xdp = true;
	if (bpf_xdp_query_id(self->net.ifindex_b, XDP_FLAGS_DRV_MODE, &id) || !id)
		return -1;
	return 0;
}

static bool wait_dropped(int stats, unsigned long long n)
{
	struct timespec ts = { 0, 10 * 1000000L };

	for (int i = 0; i < 500; i++) {
		if (stat_sum(stats, NRTLS_RX_DROPPED) >= n)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/*
 * A real connection: per-flow counts exact over 8 MiB of records cut
 * anywhere by TCP; then, with a context for the flow, a forged impossible
 * record at the flow's next header is dropped and the flow goes on, its
 * data and counts exact.
 */
TEST_F_TIMEOUT(link, counts_exact_over_tcp, 120)
{
	int flows = bpf_map__fd(self->skel->maps.nrtls_rx_flows);
	int stats = bpf_map__fd(self->skel->maps.nrtls_rx_stats);
	unsigned long long bytes, records, bytes2, records2;
	size_t size = 8 << 20, len, len2;
	unsigned char *stream = malloc(size);
	struct nrtls_rx_flow st;
	struct nrtls_flow flow;
	struct sockaddr_in me, peer;
	socklen_t melen = sizeof(me), peerlen = sizeof(peer);
	struct reader r = { 0 };
	int snd, dev;
	__u32 id;

	ASSERT_NE(NULL, stream);
	srand(time(NULL));
	len = random_records(stream, size, &records, &bytes);

	ASSERT_EQ(0, attach_drv(self));
	/*
	 * The sender is namespace a's end (it listened there): its data and
	 * its SYN-ACK, where the program starts following, come in on nrt-b.
	 */
	ASSERT_EQ(0, nrtls_tcp_pair_ns(self->net.fd_a, "192.0.2.1", self->net.fd_b,
				       &snd, &r.fd));
	ASSERT_EQ(0, getsockname(snd, (void *)&me, &melen));
	ASSERT_EQ(0, getpeername(snd, (void *)&peer, &peerlen));
	EXPECT_TRUE(transfer(snd, &r, stream, len));

	nrtls_flow_v4(&flow, IPPROTO_TCP, "192.0.2.1", ntohs(me.sin_port),
		      "192.0.2.2", ntohs(peer.sin_port));
	ASSERT_TRUE(flow_state(flows, &flow, &st));
	EXPECT_EQ(NRTLS_RX_SYNCED, st.state);
	EXPECT_EQ(records, st.records);
	EXPECT_EQ(bytes, st.bytes);
	EXPECT_EQ(0, st.have);
	EXPECT_EQ(0, stat_sum(stats, NRTLS_RX_LOST_SYNC));
	TH_LOG("%llu records, %llu bytes followed", records, bytes);

	/* All of it was read: the next header is at the sender's next byte. */
	ASSERT_EQ(0, nrtls_netns_enter(self->net.fd_b));
	dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, nrtls_ctx_create(dev, self->net.ifindex_b, &flow, &id));
	ASSERT_EQ(0, forge(&self->net, ntohs(me.sin_port), ntohs(peer.sin_port),
			   st.next_seq));
	ASSERT_TRUE(wait_dropped(stats, 1));
	ASSERT_TRUE(flow_state(flows, &flow, &st));
	EXPECT_EQ(1, st.dropped);
	EXPECT_EQ(NRTLS_RX_SYNCED, st.state);
	EXPECT_EQ(records, st.records);

	len2 = random_records(stream, 1 << 20, &records2, &bytes2);
	EXPECT_TRUE(transfer(snd, &r, stream, len2));
	ASSERT_TRUE(flow_state(flows, &flow, &st));
	EXPECT_EQ(NRTLS_RX_SYNCED, st.state);
	EXPECT_EQ(records + records2, st.records);
	EXPECT_EQ(bytes + bytes2, st.bytes);
	EXPECT_EQ(1, stat_sum(stats, NRTLS_RX_DROPPED));
	if (variant->nic)
		EXPECT_LT(0, nrtls_ethtool_stat(self->net.ns_b, "nrt-b",
						"rx_xdp_packets"));
	EXPECT_EQ(0, nrtls_ctx_destroy(dev, id));
	close(dev);
	close(snd);
	close(r.fd);
	free(stream);
}

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu < 0) {
		for (int i = 0; i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
	} else {
		CPU_SET(cpu, &set);
	}
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * --steer-cpu: while the flow has a context, its packets are received on
 * the CPU that created the context (the receiving socket's
 * SO_INCOMING_CPU), not where they came in, the sender's CPU; each of two
 * CPUs in turn.  Without a context nothing is steered.
 */
TEST_F_TIMEOUT(link, steers_flows_to_their_context_cpu, 180)
{
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN), cpus, stats, snd, dev, cpu;
	struct bpf_cpumap_val qval = { .qsize = 2048 };
	unsigned long long records, bytes, steered;
	struct sockaddr_in me, peer;
	socklen_t melen = sizeof(me), peerlen = sizeof(peer), cpulen;
	size_t size = 1 << 20, len;
	unsigned char *stream;
	struct reader r = { 0 };
	struct nrtls_flow flow;
	__u32 id, c;

	if (ncpus < 2)
		SKIP(return, "steering between CPUs needs 2 of them; %d online", ncpus);
	/*
	 * A veth hands on the sender's checksum-offloaded packets with their
	 * checksums unfilled, and a frame redirected by native XDP loses the
	 * mark that says so: the sender fills them in.
	 */
	if (!variant->nic)
		ASSERT_EQ(0, nrtls_sh("ip netns exec %s ethtool -K nrt-a tx off",
				      self->net.ns_a));
	stream = malloc(size);
	ASSERT_NE(NULL, stream);
	nrtls_rx__destroy(self->skel);
	self->skel = nrtls_rx__open();
	ASSERT_NE(NULL, self->skel);
	self->skel->rodata->steer_cpu = true;
	ASSERT_EQ(0, bpf_map__set_max_entries(self->skel->maps.nrtls_rx_cpus,
					      libbpf_num_possible_cpus()));
	ASSERT_EQ(0, nrtls_rx__load(self->skel));
	cpus = bpf_map__fd(self->skel->maps.nrtls_rx_cpus);
	stats = bpf_map__fd(self->skel->maps.nrtls_rx_stats);
	for (c = 0; c < 2; c++)
		ASSERT_EQ(0, bpf_map_update_elem(cpus, &c, &qval, BPF_ANY));
	ASSERT_EQ(0, attach_drv(self));
	ASSERT_EQ(0, nrtls_tcp_pair_ns(self->net.fd_a, "192.0.2.1", self->net.fd_b,
				       &snd, &r.fd));
	ASSERT_EQ(0, getsockname(snd, (void *)&me, &melen));
	ASSERT_EQ(0, getpeername(snd, (void *)&peer, &peerlen));
	nrtls_flow_v4(&flow, IPPROTO_TCP, "192.0.2.1", ntohs(me.sin_port),
		      "192.0.2.2", ntohs(peer.sin_port));
	ASSERT_EQ(0, nrtls_netns_enter(self->net.fd_b));
	dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);

	for (int target = 0; target < 2; target++) {
		steered = stat_sum(stats, NRTLS_RX_STEERED);
		ASSERT_EQ(0, pin_to(target));
		ASSERT_EQ(0, nrtls_ctx_create(dev, self->net.ifindex_b, &flow, &id));
		/* Sender and reader on the other CPU: where the packets come in. */
		ASSERT_EQ(0, pin_to(1 - target));
		len = random_records(stream, size, &records, &bytes);
		EXPECT_TRUE(transfer(snd, &r, stream, len));
		cpu = -1;
		cpulen = sizeof(cpu);
		ASSERT_EQ(0, getsockopt(r.fd, SOL_SOCKET, SO_INCOMING_CPU, &cpu, &cpulen));
		EXPECT_EQ(target, cpu);
		EXPECT_LT(steered, stat_sum(stats, NRTLS_RX_STEERED));
		TH_LOG("context on CPU %d: %llu packets steered, received on CPU %d",
		       target, stat_sum(stats, NRTLS_RX_STEERED) - steered, cpu);
		EXPECT_EQ(0, nrtls_ctx_destroy(dev, id));
	}
	steered = stat_sum(stats, NRTLS_RX_STEERED);
	len = random_records(stream, size, &records, &bytes);
	EXPECT_TRUE(transfer(snd, &r, stream, len));
	EXPECT_EQ(steered, stat_sum(stats, NRTLS_RX_STEERED));
	EXPECT_EQ(0, pin_to(-1));
	close(dev);
	close(snd);
	close(r.fd);
	free(stream);
}

/* An XDP program that sends every frame to @ifindex (bpf_redirect). */
static int redirect_prog(int ifindex)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1,
		  .imm = ifindex },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "nrtls_redir", "GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), NULL);
}

/* A UDP datagram @msg from 192.0.2.2 to 192.0.2.1:@port, sent into @ifindex. */
static int send_udp(int ifindex, const unsigned char *mac, int port,
		    const char *msg)
{
	unsigned char f[128] = { 0 };
	int n = strlen(msg);

	eth_ipv4(f, mac, IPPROTO_UDP, 8 + n, "192.0.2.2", "192.0.2.1");
	f[6] = 0x02;		/* a locally administered source */
	put16(f + 34, 9);
	put16(f + 36, port);
	put16(f + 38, 8 + n);	/* checksum 0: none, as IPv4 allows */
	memcpy(f + 42, msg, n);
	return send_raw(ifindex, f, 42 + n);
}

/*
 * The NIC as the target of another device's XDP (ndo_xdp_xmit): frames a
 * veth's program redirects to nrt-b leave by its ring and reach nrt-a's
 * side; one that gets no buffer (fault nic_xdp_skb), and one sent while
 * nrt-a is down, are refused and never arrive.
 */
FIXTURE(xmit) {
	struct nrtls_netpair net;
};

FIXTURE_SETUP(xmit)
{
	ASSERT_EQ(0, nrtls_use_ip_plugin());
	ASSERT_EQ(0, nrtls_netpair_setup_type(&self->net, "nrtls"));
}

FIXTURE_TEARDOWN(xmit)
{
	nrtls_fault_cmd("reset");
	nrtls_netpair_teardown(&self->net);
}

TEST_F_TIMEOUT(xmit, nic_sends_frames_redirected_to_it, 120)
{
	struct timeval tv = { .tv_sec = 20 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	const char *b = self->net.ns_b;
	unsigned char mac[ETH_ALEN];
	int udp, prog, va, vb, port;
	long hits, frames;
	char buf[64];

	/* No IPv6 on the veth: its own frames would be redirected too. */
	ASSERT_EQ(0, nrtls_sh("ip netns exec %s sh -c 'echo 1 > "
			      "/proc/sys/net/ipv6/conf/default/disable_ipv6'", b));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link add va type veth peer name vb && "
			      "ip -n %s link set va up && ip -n %s link set vb up",
			      b, b, b));
	ASSERT_EQ(0, nrtls_netns_enter(self->net.fd_a));
	ASSERT_EQ(0, hwaddr("nrt-a", mac));
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, udp);
	ASSERT_EQ(0, setsockopt(udp, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(0, bind(udp, (void *)&sin, sizeof(sin)));
	ASSERT_EQ(0, getsockname(udp, (void *)&sin, &sl));
	port = ntohs(sin.sin_port);

	ASSERT_EQ(0, nrtls_netns_enter(self->net.fd_b));
	va = if_nametoindex("va");
	vb = if_nametoindex("vb");
	ASSERT_LT(0, va);
	prog = redirect_prog(self->net.ifindex_b);
	ASSERT_LE(0, prog);
	ASSERT_EQ(0, bpf_xdp_attach(vb, prog, XDP_FLAGS_DRV_MODE, NULL));

	ASSERT_EQ(0, send_udp(va, mac, port, "first"));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(5, recv(udp, buf, sizeof(buf), 0));
	EXPECT_STREQ("first", buf);
	EXPECT_EQ(1, nrtls_ethtool_stat(b, "nrt-b", "tx_xdp_frames"));

	hits = nrtls_fault_hits("nic_xdp_skb");
	ASSERT_EQ(0, nrtls_fault_arm("nic_xdp_skb", 1, 1));
	ASSERT_EQ(0, nrtls_netns_enter(self->net.fd_b));
	ASSERT_EQ(0, send_udp(va, mac, port, "lost"));
	EXPECT_EQ(1, nrtls_wait_ethtool_stat(b, "nrt-b", "tx_xdp_refused", 1));
	EXPECT_EQ(hits + 1, nrtls_fault_hits("nic_xdp_skb"));

	ASSERT_EQ(0, nrtls_sh("ip -n %s link set nrt-a down", self->net.ns_a));
	ASSERT_EQ(0, nrtls_netns_enter(self->net.fd_b));
	ASSERT_EQ(0, send_udp(va, mac, port, "down"));
	EXPECT_EQ(2, nrtls_wait_ethtool_stat(b, "nrt-b", "tx_xdp_refused", 2));
	ASSERT_EQ(0, nrtls_sh("ip -n %s link set nrt-a up", self->net.ns_a));
	ASSERT_EQ(0, nrtls_netns_enter(self->net.fd_b));
	frames = nrtls_ethtool_stat(b, "nrt-b", "tx_xdp_frames");
	ASSERT_EQ(0, send_udp(va, mac, port, "after"));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(5, recv(udp, buf, sizeof(buf), 0));
	EXPECT_STREQ("after", buf);
	EXPECT_EQ(frames + 1, nrtls_ethtool_stat(b, "nrt-b", "tx_xdp_frames"));
	EXPECT_EQ(2, nrtls_ethtool_stat(b, "nrt-b", "tx_xdp_refused"));

	bpf_xdp_detach(vb, XDP_FLAGS_DRV_MODE, NULL);
	close(prog);
	close(udp);
}

/*
 * A full receive queue drops the frame (fault nic_rxq, three times during
 * a transfer): counted, and TCP's retransmissions deliver every byte.
 */
TEST_F_TIMEOUT(xmit, full_rx_queue_drops_and_tcp_recovers, 120)
{
	unsigned long long records, bytes;
	size_t size = 1 << 20, len;
	unsigned char *stream = malloc(size);
	struct reader r = { 0 };
	long hits = nrtls_fault_hits("nic_rxq");
	int snd;

	ASSERT_NE(NULL, stream);
	ASSERT_EQ(0, nrtls_tcp_pair_ns(self->net.fd_a, "192.0.2.1", self->net.fd_b,
				       &snd, &r.fd));
	ASSERT_EQ(0, nrtls_fault_arm("nic_rxq", 20, 3));
	len = random_records(stream, size, &records, &bytes);
	EXPECT_TRUE(transfer(snd, &r, stream, len));
	EXPECT_EQ(hits + 3, nrtls_fault_hits("nic_rxq"));
	/* Data one way, ACKs the other: the three may fall on either end. */
	EXPECT_EQ(3, nrtls_ethtool_stat(self->net.ns_a, "nrt-a", "rx_queue_full") +
		     nrtls_ethtool_stat(self->net.ns_b, "nrt-b", "rx_queue_full"));
	close(snd);
	close(r.fd);
	free(stream);
}

/*
 * Drops spread over a transfer of small segments (one frame in every few
 * dozen, armed again as soon as the last one hit): selective ACKs make the
 * sender shift and retransmit what its queue holds.  Those are the very
 * buffers whose clones the NIC handed to the peer, so this fails (corrupt
 * data, or skb_shift()'s BUG on the sender) if the peer's GRO writes into
 * a clone's shared fragments.
 */
TEST_F_TIMEOUT(xmit, spread_drops_leave_the_senders_queue_intact, 180)
{
	long base = nrtls_fault_hits("nic_rxq"), hits = base;
	size_t size = 4 << 20, sent = 0;
	unsigned char *stream = malloc(size);
	struct reader r = { 0 };
	int snd, one = 1;
	long armed = 0;
	pthread_t thr;

	ASSERT_NE(NULL, stream);
	for (size_t i = 0; i < size; i++)
		stream[i] = rand();
	ASSERT_EQ(0, nrtls_tcp_pair_ns(self->net.fd_a, "192.0.2.1", self->net.fd_b,
				       &snd, &r.fd));
	/* Writes under one MSS go out as they are: no GSO, no new buffers. */
	ASSERT_EQ(0, setsockopt(snd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	r.expect = size;
	r.want = stream;
	ASSERT_EQ(0, pthread_create(&thr, NULL, read_all, &r));
	while (sent < size) {
		size_t n = 1 + rand() % 3000;
		ssize_t w;

		if (armed == hits - base) {
			if (nrtls_fault_arm("nic_rxq", 8 + rand() % 40, 1))
				break;
			armed++;
		}
		if (n > size - sent)
			n = size - sent;
		w = write(snd, stream + sent, n);
		if (w <= 0)
			break;
		sent += w;
		hits = nrtls_fault_hits("nic_rxq");
	}
	pthread_join(thr, NULL);
	hits = nrtls_fault_hits("nic_rxq") - base;
	TH_LOG("%zu bytes sent, %ld frames dropped", sent, hits);
	EXPECT_EQ(size, sent);
	EXPECT_EQ(size, r.got);
	EXPECT_TRUE(r.same);
	/* Each arming hits once; the last may still be counting down. */
	EXPECT_LE(armed - 1, hits);
	EXPECT_GE(armed, hits);
	EXPECT_LE(20, hits);
	close(snd);
	close(r.fd);
	free(stream);
}

/*
 * No memory for a received clone's own fragment list (fault nic_unclone,
 * the first 16 clones): those frames skip GRO and arrive all the same.
 */
TEST_F_TIMEOUT(xmit, clones_without_a_copy_skip_gro, 120)
{
	unsigned long long records, bytes;
	size_t size = 1 << 20, len;
	unsigned char *stream = malloc(size);
	long hits = nrtls_fault_hits("nic_unclone");
	struct reader r = { 0 };
	int snd;

	ASSERT_NE(NULL, stream);
	ASSERT_EQ(0, nrtls_tcp_pair_ns(self->net.fd_a, "192.0.2.1", self->net.fd_b,
				       &snd, &r.fd));
	ASSERT_EQ(0, nrtls_fault_arm("nic_unclone", 1, 16));
	len = random_records(stream, size, &records, &bytes);
	EXPECT_TRUE(transfer(snd, &r, stream, len));
	/* Every TCP data frame is a clone: 1 MiB takes more than 16. */
	EXPECT_EQ(hits + 16, nrtls_fault_hits("nic_unclone"));
	close(snd);
	close(r.fd);
	free(stream);
}

TEST_HARNESS_MAIN
