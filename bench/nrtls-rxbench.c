// SPDX-License-Identifier: GPL-2.0
/*
 * nrtls-rxbench: how fast, and at what CPU cost, does a TLS server take in
 * data when the NIC decrypts it, when kTLS does in software, and when
 * OpenSSL does in userspace?
 *
 * Run in the receiving network namespace; a sender thread joins
 * --send-netns, connects to --addr, and writes application data as fast
 * as its kTLS (software) lets it.  The receiver (libnrtls's server
 * context) takes the records one of three ways:
 *   nic   kTLS RX (libnrtls: nrtls_tls_ktls_rx(), nrtls_tls_recv()), which
 *         the kernel offloads when the route's device can do it
 *   sw    the same, with the device's tls-hw-rx-offload off (the caller's
 *         business: this program does not touch devices)
 *   user  SSL_read(), kTLS off
 * After a second of warm-up it counts the bytes, its own thread's CPU
 * time and the busy time of each CPU (/proc/stat) for --seconds.
 *
 * Prints one line:
 *   path kernel-path bytes seconds MB/s recv-thread-ms/MB recv-cpu-ms/MB
 *   other-cpus-ms/MB total-bytes max-gap-ms
 * max-gap is the longest wait between two reads that returned data, in
 * the counted time: a flow's stall (bench/steer.sh moves it meanwhile).
 * kernel-path is what /proc/net/tls_stat says the kernel did (device, sw,
 * or user); recv-cpu is the busy time of the receiver's CPU ("-" when not
 * pinned); other-cpus that of the rest, where the sender, TCP's softirq
 * and the emulated NIC's "hardware" run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "libnrtls.h"

#define BUF (256 * 1024)
#define MAXCPU 256

enum path { P_NIC, P_SW, P_USER };
static const char *const path_names[] = { "nic", "sw", "user" };

static struct {
	enum path path;
	int version;
	const char *cipher, *cert, *key, *send_ns, *addr;
	int seconds, recv_cpu, send_cpu;
} opt = { .path = -1, .seconds = 10, .recv_cpu = -1, .send_cpu = -1 };

static atomic_bool stop;
static struct sockaddr_in srv_addr;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void die_ssl(const char *what)
{
	fprintf(stderr, "nrtls-rxbench: %s failed\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

/* Busy ticks (everything but idle and iowait) of each CPU; how many CPUs. */
static int cpu_busy(unsigned long long busy[MAXCPU])
{
	FILE *f = fopen("/proc/stat", "r");
	char line[512];
	int n = 0;

	if (!f)
		die("/proc/stat");
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[8] = { 0 };
		int cpu;

		if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9')
			continue;
		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu,
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 8 ||
		    cpu < 0 || cpu >= MAXCPU)
			continue;
		busy[cpu] = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
		n = cpu + 1 > n ? cpu + 1 : n;
	}
	fclose(f);
	return n;
}

/* A counter of this namespace's /proc/net/tls_stat; 0 without kTLS. */
static long tls_stat(const char *name)
{
	FILE *f = fopen("/proc/net/tls_stat", "r");
	char key[64];
	long v, ret = 0;

	if (!f)
		return 0;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			ret = v;
	fclose(f);
	return ret;
}

/* @ctx speaks only --tls with --cipher; @who names it if it cannot. */
static void restrict_ctx(SSL_CTX *ctx, const char *who)
{
	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, opt.version) ||
	    !SSL_CTX_set_max_proto_version(ctx, opt.version) ||
	    (opt.version == TLS1_3_VERSION ? SSL_CTX_set_ciphersuites(ctx, opt.cipher)
					   : SSL_CTX_set_cipher_list(ctx, opt.cipher)) != 1)
		die_ssl(who);
}

static SSL_CTX *client_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	restrict_ctx(ctx, "the client's context");
	SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
	return ctx;
}

/* The sender: its own namespace and CPU, kTLS TX, writes until told. */
static void *sender(void *arg)
{
	SSL_CTX *ctx = client_ctx();
	static unsigned char buf[BUF];
	int ns, fd;
	SSL *ssl;

	(void)arg;
	if (opt.send_ns) {
		char p[256];

		snprintf(p, sizeof(p), "/run/netns/%s", opt.send_ns);
		ns = open(p, O_RDONLY | O_CLOEXEC);
		if (ns < 0 || setns(ns, CLONE_NEWNET))
			die(p);
		close(ns);
	}
	pin(opt.send_cpu);
	RAND_bytes(buf, sizeof(buf));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&srv_addr, sizeof(srv_addr)))
		die("connect");
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, fd) || SSL_connect(ssl) != 1)
		die_ssl("the client's handshake");
	if (!BIO_get_ktls_send(SSL_get_wbio(ssl)))
		fprintf(stderr, "nrtls-rxbench: the sender encrypts in userspace "
			"(no kTLS TX for %s)\n", opt.cipher);
	while (!stop)
		if (SSL_write(ssl, buf, sizeof(buf)) <= 0)
			break;
	shutdown(fd, SHUT_WR);
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	return NULL;
}

/* One read: bytes, 0 at the end, -1 on an error (reported). */
static ssize_t rx(SSL *ssl, int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t n;

		if (opt.path == P_USER) {
			n = SSL_read(ssl, buf, len);
			if (n > 0)
				return n;
			if (SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN || stop)
				return 0;
			die_ssl("SSL_read");
		}
		n = nrtls_tls_recv(fd, buf, len);
		if (n >= 0)
			return n;
		if (n == -EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			poll(&p, 1, -1);
			continue;
		}
		if (stop)
			return 0;
		errno = -n;
		die("nrtls_tls_recv");
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nrtls-rxbench --path nic|sw|user --tls 1.2|1.3 --cert PEM --key PEM\n"
		"                     --addr IPV4 [--send-netns NAME] [--cipher NAME]\n"
		"                     [--seconds S] [--recv-cpu N] [--send-cpu N]\n"
		"\n"
		"Listens on IPV4 (any port) in the caller's network namespace; a sender\n"
		"thread in NAME connects and writes TLS application data through kTLS TX\n"
		"while this end receives it by the chosen path: kTLS RX (nic, sw) or\n"
		"OpenSSL in userspace (user).  Whether the kernel decrypts in the device\n"
		"or in software is up to the device (ethtool -K DEV tls-hw-rx-offload).\n"
		"--cipher is an OpenSSL cipher (TLS 1.2) or ciphersuite (TLS 1.3) name;\n"
		"AES-GCM-128 by default.  After 1 s of warm-up, measures for S seconds\n"
		"(10) and prints: path, kernel path (device, sw, user), bytes, seconds,\n"
		"MB/s, receiving thread's CPU ms per MB, receiving CPU's busy ms per MB\n"
		"(with --recv-cpu), the other CPUs' busy ms per MB, bytes received, the\n"
		"longest wait between two reads (ms).\n");
}

static void bad(const char *what, const char *arg, const char *want)
{
	fprintf(stderr, "nrtls-rxbench: %s %s: want %s\n", what, arg, want);
	exit(2);
}

static int number(const char *what, const char *arg, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < lo || v > hi) {
		char want[64];

		snprintf(want, sizeof(want), "a number from %ld to %ld", lo, hi);
		bad(what, arg, want);
	}
	return v;
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "path", 1, NULL, 'p' }, { "tls", 1, NULL, 't' },
		{ "cert", 1, NULL, 'c' }, { "key", 1, NULL, 'k' },
		{ "addr", 1, NULL, 'a' }, { "send-netns", 1, NULL, 'n' },
		{ "cipher", 1, NULL, 'C' }, { "seconds", 1, NULL, 's' },
		{ "recv-cpu", 1, NULL, 'r' }, { "send-cpu", 1, NULL, 'S' },
		{ "help", 0, NULL, 'h' }, { 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			for (int i = 0; i < 3; i++)
				if (!strcmp(optarg, path_names[i]))
					opt.path = i;
			if ((int)opt.path < 0)
				bad("--path", optarg, "nic, sw or user");
			break;
		case 't':
			opt.version = !strcmp(optarg, "1.2") ? TLS1_2_VERSION :
				      !strcmp(optarg, "1.3") ? TLS1_3_VERSION : -1;
			if (opt.version < 0)
				bad("--tls", optarg, "1.2 or 1.3");
			break;
		case 'c': opt.cert = optarg; break;
		case 'k': opt.key = optarg; break;
		case 'a': opt.addr = optarg; break;
		case 'n': opt.send_ns = optarg; break;
		case 'C': opt.cipher = optarg; break;
		case 's': opt.seconds = number("--seconds", optarg, 1, 86400); break;
		case 'r': opt.recv_cpu = number("--recv-cpu", optarg, 0, MAXCPU - 1); break;
		case 'S': opt.send_cpu = number("--send-cpu", optarg, 0, MAXCPU - 1); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc || (int)opt.path < 0 || !opt.version || !opt.cert ||
	    !opt.key || !opt.addr) {
		fprintf(stderr, "nrtls-rxbench: %s\n", optind < argc ? "too many arguments" :
			"--path, --tls, --cert, --key and --addr are needed");
		usage(stderr);
		exit(2);
	}
	if (!opt.cipher)
		opt.cipher = opt.version == TLS1_3_VERSION ? "TLS_AES_128_GCM_SHA256"
							   : "ECDHE-ECDSA-AES128-GCM-SHA256";
	srv_addr.sin_family = AF_INET;
	if (inet_pton(AF_INET, opt.addr, &srv_addr.sin_addr) != 1) {
		fprintf(stderr, "nrtls-rxbench: --addr %s is not an IPv4 address\n", opt.addr);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	unsigned long long b0[MAXCPU] = { 0 }, b1[MAXCPU] = { 0 };
	static unsigned char buf[BUF];
	double t0, t1, c0, c1, mb, recv_ms = 0, other_ms = 0, last, gap = 0;
	unsigned long long total = 0, counted = 0;
	long dev0, sw0;
	const char *kpath;
	char err[256];
	socklen_t alen = sizeof(srv_addr);
	int lfd, fd, ncpu;
	pthread_t thr;
	SSL_CTX *ctx;
	SSL *ssl;
	ssize_t n;

	parse(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	ctx = nrtls_tls_server_ctx(opt.cert, opt.key, err, sizeof(err));
	if (!ctx) {
		fprintf(stderr, "nrtls-rxbench: %s\n", err);
		return 1;
	}
	restrict_ctx(ctx, "the server's context");
	if (opt.path == P_USER)
		SSL_CTX_clear_options(ctx, SSL_OP_ENABLE_KTLS);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&srv_addr, sizeof(srv_addr)) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&srv_addr, &alen))
		die(opt.addr);
	/* The snapshot before the handshake: OpenSSL sets TLS 1.2's RX in it. */
	dev0 = tls_stat("TlsRxDevice");
	sw0 = tls_stat("TlsRxSw");
	if (pthread_create(&thr, NULL, sender, NULL))
		die("pthread_create");
	pin(opt.recv_cpu);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		die("accept");
	close(lfd);
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, fd) || SSL_accept(ssl) != 1)
		die_ssl("the server's handshake");
	if (opt.path != P_USER && !(nrtls_tls_ktls_rx(ssl) & NRTLS_KTLS_RX)) {
		fprintf(stderr, "nrtls-rxbench: the kernel did not take the receive side "
			"of %s %s\n", SSL_get_version(ssl), opt.cipher);
		return 1;
	}
	kpath = opt.path == P_USER ? "user" :
		tls_stat("TlsRxDevice") > dev0 ? "device" :
		tls_stat("TlsRxSw") > sw0 ? "sw" : "?";

	/* Warm-up: TCP's window opens, the NIC gets its first records. */
	for (t0 = now_s(); now_s() - t0 < 1;) {
		n = rx(ssl, fd, buf, sizeof(buf));
		if (n <= 0)
			goto early;
		total += n;
	}
	ncpu = cpu_busy(b0);
	c0 = thread_cpu_s();
	t0 = now_s();
	last = t0;
	do {
		n = rx(ssl, fd, buf, sizeof(buf));
		if (n <= 0)
			goto early;
		counted += n;
		t1 = now_s();
		if (t1 - last > gap)
			gap = t1 - last;
		last = t1;
	} while (t1 - t0 < opt.seconds);
	c1 = thread_cpu_s();
	cpu_busy(b1);
	total += counted;

	stop = true;
	while ((n = rx(ssl, fd, buf, sizeof(buf))) > 0)
		total += n;
	pthread_join(thr, NULL);

	for (int i = 0; i < ncpu; i++) {
		double ms = (b1[i] - b0[i]) * 1000.0 / sysconf(_SC_CLK_TCK);

		if (i == opt.recv_cpu)
			recv_ms = ms;
		else
			other_ms += ms;
	}
	mb = counted / 1e6;
	printf("%s %s %llu %.2f %.1f %.2f ", path_names[opt.path], kpath, counted,
	       t1 - t0, mb / (t1 - t0), (c1 - c0) * 1000 / mb);
	if (opt.recv_cpu >= 0)
		printf("%.2f ", recv_ms / mb);
	else
		printf("- ");
	printf("%.2f %llu %.3f\n", other_ms / mb, total, gap * 1000);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return 0;
early:
	fprintf(stderr, "nrtls-rxbench: the sender stopped after %llu bytes\n",
		total + counted);
	return 1;
}
