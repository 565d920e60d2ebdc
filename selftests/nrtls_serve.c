// SPDX-License-Identifier: GPL-2.0
/*
 * nrtls-serve end to end, against curl and raw sockets: file integrity over
 * HTTP and HTTPS (TLS 1.2 and 1.3), ranges, keep-alive, conditional
 * requests, every error status, path traversal, and clients that misbehave
 * (half-open, not reading, resetting, a thousand at once), with the
 * server's file descriptors counted before and after.
 *
 * Runs on the host (splice, TLS in userspace when the kernel has no kTLS)
 * and in the VM (nrtls.ko, kTLS): it asserts the path that the machine
 * should give.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kselftest_harness.h"
#include "nrtls_net.h"
#include "nrtls_nic.h"
#include "nrtls_test.h"

#define MiB (1024 * 1024ull)

static const uint64_t sizes[] = { 0, 1, 4095, 4096, 4097, 262144, MiB + 7, 16 * MiB };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

struct server {
	pid_t pid;
	int http, https;	/* ports */
	char dir[64], root[96], cert[96], key[96], log[96];
	const char *send_timeout;	/* seconds; NULL: 3 */
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A real OpenSSL made certificate for 127.0.0.1, with a key of its own. */
static int make_cert(const char *key, const char *cert)
{
	return nrtls_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
			"-nodes -days 2 -subj /CN=127.0.0.1 "
			"-addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s", key, cert);
}

static int make_tree(struct server *s)
{
	char path[200];
	int fd;

	snprintf(s->dir, sizeof(s->dir), "/tmp/nrtls-serve-%d", getpid());
	snprintf(s->root, sizeof(s->root), "%s/www", s->dir);
	snprintf(s->cert, sizeof(s->cert), "%s/cert.pem", s->dir);
	snprintf(s->key, sizeof(s->key), "%s/key.pem", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/access.log", s->dir);
	if (nrtls_sh("mkdir -p %s/sub/noindex && echo '<h1>hi</h1>' > %s/index.html && "
		     "echo '<p>page</p>' > %s/sub/page.html && echo secret > %s/outside && "
		     "ln -s /etc/passwd %s/escape && ln -s ../outside %s/escape2 && "
		     "mkdir -p %s/.git %s/.well-known && echo key=1 > %s/.env && "
		     "echo cfg > %s/.git/config && echo token > %s/.well-known/acme && "
		     "ln -s f1.bin %s/inner",	/* last: nrtls_sh adds a redirection */
		     s->root, s->root, s->root, s->dir, s->root, s->root, s->root, s->root,
		     s->root, s->root, s->root, s->root))
		return -1;
	for (size_t i = 0; i < NSIZES; i++) {
		snprintf(path, sizeof(path), "%s/f%llu.bin", s->root,
			 (unsigned long long)sizes[i]);
		fd = nrtls_make_file(path, sizes[i], 70 + i);
		if (fd < 0)
			return -1;
		close(fd);
	}
	return make_cert(s->key, s->cert);
}

/* A raw request on a new connection; the whole response (Connection: close). */
static int raw(int port, const char *req, char *resp, size_t len)
{
	int fd = nrtls_connect_port(port);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	while (got + 1 < len && (n = read(fd, resp + got, len - got - 1)) > 0)
		got += n;
	resp[got] = '\0';
	close(fd);
	return got > 9 ? atoi(resp + 9) : -1;	/* "HTTP/1.1 NNN" */
}

static int start_server(struct server *s)
{
	struct rlimit rl = { 16384, 16384 };
	char bin[PATH_MAX], http[32], https[32], resp[4096];
	int i;

	/* A thousand connections on both ends (the server inherits it). */
	setrlimit(RLIMIT_NOFILE, &rl);

	nrtls_serve_path(bin, sizeof(bin));
	s->http = nrtls_free_port();
	s->https = nrtls_free_port();
	snprintf(http, sizeof(http), "127.0.0.1:%d", s->http);
	snprintf(https, sizeof(https), "127.0.0.1:%d", s->https);
	s->pid = fork();
	if (!s->pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execl(bin, bin, "--root", s->root, "--http", http, "--https", https,
		      "--cert", s->cert, "--key", s->key, "--threads", "2", "--stats",
		      "--header-timeout", "2", "--send-timeout", s->send_timeout ?: "3",
		      "--idle-timeout", "5",
		      "--shutdown-timeout", "20", "--access-log", s->log, (char *)NULL);
		_exit(127);
	}
	/*
	 * Up once it answers: its listeners take connections before every
	 * worker is set up, but workers run only once all are.
	 */
	for (i = 0; i < 400; i++) {
		if (raw(s->http, "GET /.nrtls/stats HTTP/1.0\r\n\r\n", resp, sizeof(resp)) == 200)
			return 0;
		sleep_ms(25);
	}
	return -1;
}

static int stop_server(struct server *s)
{
	int status;

	if (s->pid <= 0)
		return 0;
	kill(s->pid, SIGTERM);
	if (waitpid(s->pid, &status, 0) != s->pid)
		return -1;
	s->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * The server's open sockets and files.  Pipes are left out: libnrtls keeps
 * a pool of them for splicing, which grows with the concurrency seen.
 */
static int count_fds(pid_t pid)
{
	char path[64], link[340], target[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		target[len > 0 ? len : 0] = '\0';
		n += strncmp(target, "pipe:", 5) != 0;
	}
	if (d)
		closedir(d);
	return n;
}

/* The server's fds go back to @base (connections close asynchronously). */
/*
 * Up to 30 s: a TCG guest on a loaded host takes its time over closing a
 * thousand connections; a descriptor that leaks never comes back at all.
 */
static bool fds_back_to(pid_t pid, int base)
{
	for (int i = 0; i < 600; i++) {
		if (count_fds(pid) <= base)
			return true;
		sleep_ms(50);
	}
	return false;
}

static void file_sha(const char *path, uint8_t *out, uint64_t *len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	*len = 0;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(md, buf, n);
		*len += n;
	}
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
	if (fd >= 0)
		close(fd);
}

/* A stats value: the number after "key": in the JSON, or -1. */
static long stat_of(struct server *s, const char *key)
{
	char resp[4096], pat[64], *p;

	raw(s->http, "GET /.nrtls/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    resp, sizeof(resp));
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(resp, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	return *p == '"' ? (strncmp(p, "\"nrtls\"", 7) ? 0 : 1) : atol(p);
}

/*
 * stat_of(), once it reaches @want or after 5 s.  A response the module
 * sends ends with its FIN, so the client can have it all before the worker
 * has taken the completion that counts it (and the next request may reach
 * the other worker first).
 */
static long stat_reaches(struct server *s, const char *key, long want)
{
	long v = stat_of(s, key);

	for (int i = 0; i < 200 && v < want; i++) {
		sleep_ms(25);
		v = stat_of(s, key);
	}
	return v;
}

/* The server's descriptors once start_server()'s probe connection has gone. */
static int settled_fds(struct server *s)
{
	int n = count_fds(s->pid);

	for (int i = 0; i < 20; i++) {
		int now;

		sleep_ms(50);
		now = count_fds(s->pid);
		n = now < n ? now : n;
	}
	return n;
}

FIXTURE(srv) {
	struct server s;
	int fds;
};

FIXTURE_SETUP(srv)
{
	ASSERT_EQ(0, make_tree(&self->s));
	ASSERT_EQ(0, start_server(&self->s)) TH_LOG("nrtls-serve did not start");
	self->fds = settled_fds(&self->s);
}

FIXTURE_TEARDOWN(srv)
{
	EXPECT_EQ(0, stop_server(&self->s));
	nrtls_sh("rm -rf %s", self->s.dir);
}

static void check_file(struct __test_metadata *_metadata, const char *out, size_t i)
{
	uint8_t want[SHA256_LEN], got[SHA256_LEN];
	uint64_t len;

	nrtls_expected_sha(70 + i, 0, sizes[i], NULL, 0, want);
	file_sha(out, got, &len);
	EXPECT_EQ(sizes[i], len);
	EXPECT_EQ(0, memcmp(want, got, SHA256_LEN)) TH_LOG("f%llu.bin differs",
							  (unsigned long long)sizes[i]);
}

TEST_F_TIMEOUT(srv, http_files, 300)
{
	char out[128];

	snprintf(out, sizeof(out), "%s/out", self->s.dir);
	for (size_t i = 0; i < NSIZES; i++) {
		ASSERT_EQ(0, nrtls_sh("curl -sf -o %s http://127.0.0.1:%d/f%llu.bin", out,
				      self->s.http, (unsigned long long)sizes[i]));
		check_file(_metadata, out, i);
	}
	/*
	 * Whichever path the machine offers is the one used (the empty file
	 * has no body: its head goes out as a plain send, on either).
	 */
	if (access(NRTLS_DEVICE, F_OK)) {
		EXPECT_EQ(0, stat_of(&self->s, "path"));
		EXPECT_LE((long)NSIZES, stat_reaches(&self->s, "splice", NSIZES));
	} else {
		EXPECT_EQ(1, stat_of(&self->s, "path"));
		EXPECT_LE((long)NSIZES - 1, stat_reaches(&self->s, "nrtls", NSIZES - 1));
	}
}

FIXTURE(tls) {
	struct server s;
};

FIXTURE_VARIANT(tls) {
	const char *version;
};
FIXTURE_VARIANT_ADD(tls, v1_2) { "1.2" };
FIXTURE_VARIANT_ADD(tls, v1_3) { "1.3" };

FIXTURE_SETUP(tls)
{
	ASSERT_EQ(0, make_tree(&self->s));
	ASSERT_EQ(0, start_server(&self->s));
}

FIXTURE_TEARDOWN(tls)
{
	EXPECT_EQ(0, stop_server(&self->s));
	nrtls_sh("rm -rf %s", self->s.dir);
}

TEST_F_TIMEOUT(tls, https_files, 300)
{
	bool ktls = !access("/proc/net/tls_stat", F_OK);
	char out[128];

	snprintf(out, sizeof(out), "%s/out", self->s.dir);
	for (size_t i = 0; i < NSIZES; i++) {
		ASSERT_EQ(0, nrtls_sh("curl -sf --cacert %s --tlsv%s --tls-max %s -o %s "
				      "https://127.0.0.1:%d/f%llu.bin", self->s.cert,
				      variant->version, variant->version, out, self->s.https,
				      (unsigned long long)sizes[i]));
		check_file(_metadata, out, i);
	}
	/*
	 * A kernel with kTLS (the tls module) gets the records encrypted by
	 * the kernel; one without falls back to SSL_write in userspace.
	 */
	TH_LOG("kTLS %s: ktls_tx %ld, tls_userspace %ld", ktls ? "present" : "absent",
	       stat_of(&self->s, "ktls_tx"), stat_of(&self->s, "tls_userspace"));
	if (ktls) {
		EXPECT_LE((long)NSIZES, stat_reaches(&self->s, "ktls_tx", NSIZES));
		EXPECT_EQ(0, stat_of(&self->s, "tls_userspace"));
	} else {
		EXPECT_EQ(0, stat_of(&self->s, "ktls_tx"));
		EXPECT_LE((long)NSIZES, stat_reaches(&self->s, "tls_userspace", NSIZES));
	}
}

static const char *slurp(const char *path);

/*
 * With kTLS the kernel decrypts the requests too: over TLS 1.2 OpenSSL
 * hands it the receive side, over TLS 1.3 libnrtls does (OpenSSL 3.0 does
 * not), from the client's traffic secret.  For each cipher, two requests
 * are answered, on one connection unless the server timed it out (the
 * record numbers run on), and the server's ktls_rx counts exactly the
 * connections that the kernel's TlsRxSw counts.  The first ChaCha20 of a
 * boot loads the kernel's cipher modules inside the server's setsockopt:
 * seconds in a loaded TCG guest, past this server's 2 s header timeout,
 * so curl may get an empty reply and ask again on a new connection.
 */
TEST_F_TIMEOUT(tls, kernel_decrypts_requests, 120)
{
	static const char *const ciphers[2][3] = {
		{ "--ciphers ECDHE-ECDSA-AES128-GCM-SHA256", "--ciphers ECDHE-ECDSA-AES256-GCM-SHA384",
		  "--ciphers ECDHE-ECDSA-CHACHA20-POLY1305" },
		{ "--tls13-ciphers TLS_AES_128_GCM_SHA256", "--tls13-ciphers TLS_AES_256_GCM_SHA384",
		  "--tls13-ciphers TLS_CHACHA20_POLY1305_SHA256" },
	};
	const char *const *c = ciphers[!strcmp(variant->version, "1.3")];
	const char *d = self->s.dir;
	int p = self->s.https;
	char cv[160];

	if (nrtls_tls_stat(NULL, "TlsRxSw") < 0)
		SKIP(return, "no kTLS here: /proc/net/tls_stat is missing (modprobe tls)");
	for (int i = 0; i < 3; i++) {
		long rx = stat_of(&self->s, "ktls_rx"), sw = nrtls_tls_stat(NULL, "TlsRxSw");

		EXPECT_EQ(0, nrtls_sh("curl -sfv --max-time 20 --cacert %s --tlsv%s --tls-max %s %s "
				      "-o %s/o1 -o %s/o2 https://127.0.0.1:%d/index.html "
				      "https://127.0.0.1:%d/sub/page.html 2> %s/cv && grep -q hi %s/o1 && "
				      "grep -q page %s/o2", self->s.cert, variant->version,
				      variant->version, c[i], d, d, p, p, d, d, d)) TH_LOG("%s", c[i]);
		rx = stat_of(&self->s, "ktls_rx") - rx;
		sw = nrtls_tls_stat(NULL, "TlsRxSw") - sw;
		EXPECT_LE(1, rx) TH_LOG("%s", c[i]);
		EXPECT_EQ(sw, rx) TH_LOG("%s", c[i]);
		if (rx > 1) {
			snprintf(cv, sizeof(cv), "%s/cv", d);
			TH_LOG("%s: %ld connections for two requests; curl -v:\n%s", c[i], rx,
			       slurp(cv));
		}
	}
}

/*
 * "Connection: close": the last response completes once queued and asks
 * for the FIN behind its last byte (NRTLS_SF_SHUT_WR on the module, a
 * shutdown once sent on the other paths).  The client gets every byte,
 * then a clean end of stream, never a reset, though it reads slowly.
 */
TEST_F_TIMEOUT(srv, closing_response_ends_with_fin, 120)
{
	const char req[] = "GET /f16777216.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	uint64_t body = 0, want = 16 * MiB;
	char buf[65536], *eoh;
	size_t head = 0;
	int fd, err = 0;
	ssize_t n;
	bool in_head = true;

	fd = nrtls_connect_port(self->s.http);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)strlen(req), write(fd, req, strlen(req)));
	while ((n = read(fd, buf + head, sizeof(buf) - head)) > 0) {
		if (in_head) {
			head += n;
			eoh = memmem(buf, head, "\r\n\r\n", 4);
			if (!eoh && head < sizeof(buf))
				continue;
			ASSERT_NE(NULL, eoh);
			body = head - (eoh + 4 - buf);
			in_head = false;
			head = 0;
			continue;
		}
		body += n;
		/* A slow reader: the response waits in the server meanwhile. */
		if (body < MiB)
			usleep(1000);
	}
	if (n < 0)
		err = errno;
	EXPECT_EQ(0, err);
	EXPECT_EQ(want, body);
	close(fd);
}

TEST_F(srv, ranges)
{
	char resp[8192], req[256];
	uint8_t want[64];

#define RANGE(r) (snprintf(req, sizeof(req), "GET /f4097.bin HTTP/1.1\r\nHost: x\r\n"	\
			   "Range: %s\r\nConnection: close\r\n\r\n", r),		\
		  raw(self->s.http, req, resp, sizeof(resp)))
	EXPECT_EQ(206, RANGE("bytes=100-163"));
	EXPECT_NE(NULL, strstr(resp, "Content-Range: bytes 100-163/4097\r\n"));
	nrtls_file_fill(74, 100, want, 64);
	EXPECT_EQ(0, memcmp(want, strstr(resp, "\r\n\r\n") + 4, 64));
	EXPECT_EQ(206, RANGE("bytes=-10"));
	EXPECT_NE(NULL, strstr(resp, "Content-Range: bytes 4087-4096/4097\r\n"));
	EXPECT_EQ(206, RANGE("bytes=4090-"));
	EXPECT_NE(NULL, strstr(resp, "Content-Length: 7\r\n"));
	EXPECT_EQ(416, RANGE("bytes=5000-6000"));
	EXPECT_NE(NULL, strstr(resp, "Content-Range: bytes */4097\r\n"));
	/* Several ranges: the whole file. */
	EXPECT_EQ(200, RANGE("bytes=0-1,5-6"));
	EXPECT_NE(NULL, strstr(resp, "Content-Length: 4097\r\n"));
#undef RANGE
}

/*
 * Ranges of a file large enough to go through libnrtls's pipes (where the
 * module is not used) from offsets inside a page: each round's splice
 * must fit the pipe's slots, a page each, the first one partly used.
 */
TEST_F_TIMEOUT(srv, unaligned_ranges, 120)
{
	static const uint64_t from[] = { 7, 4097, MiB + 4095 };
	uint8_t want[SHA256_LEN], got[SHA256_LEN];
	char out[128];
	uint64_t len;

	snprintf(out, sizeof(out), "%s/out", self->s.dir);
	for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
		EXPECT_EQ(0, nrtls_sh("curl -sf -r %llu- -o %s http://127.0.0.1:%d/f16777216.bin",
				      (unsigned long long)from[i], out, self->s.http));
		nrtls_expected_sha(70 + NSIZES - 1, from[i], 16 * MiB - from[i], NULL, 0, want);
		file_sha(out, got, &len);
		EXPECT_EQ(16 * MiB - from[i], len) TH_LOG("from %llu", (unsigned long long)from[i]);
		EXPECT_EQ(0, memcmp(want, got, SHA256_LEN)) TH_LOG("from %llu",
								    (unsigned long long)from[i]);
	}
}

TEST_F(srv, keep_alive_and_head)
{
	char resp[4096];
	FILE *p;
	int conns = -1;

	/* Three requests, one connection. */
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd),
			 "curl -sf -o /dev/null -o /dev/null -o /dev/null -w '%%{num_connects}\\n' "
			 "http://127.0.0.1:%d/f1.bin http://127.0.0.1:%d/f4096.bin "
			 "http://127.0.0.1:%d/index.html", self->s.http, self->s.http, self->s.http);
		p = popen(cmd, "r");
		ASSERT_NE(NULL, p);
		conns = 0;
		for (int c; fscanf(p, "%d", &c) == 1;)
			conns += c;
		EXPECT_EQ(0, pclose(p));
	}
	EXPECT_EQ(1, conns);

	EXPECT_EQ(200, raw(self->s.http, "HEAD /f4097.bin HTTP/1.1\r\nHost: x\r\n"
			   "Connection: close\r\n\r\n", resp, sizeof(resp)));
	EXPECT_NE(NULL, strstr(resp, "Content-Length: 4097\r\n"));
	EXPECT_EQ('\0', strstr(resp, "\r\n\r\n")[4]);	/* no body */
	EXPECT_EQ(200, raw(self->s.http, "GET / HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_NE(NULL, strstr(resp, "Content-Type: text/html\r\n"));
	EXPECT_NE(NULL, strstr(resp, "<h1>hi</h1>"));
	EXPECT_EQ(200, raw(self->s.http, "GET /sub/page.html HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_EQ(200, raw(self->s.http, "GET /inner HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_TRUE(fds_back_to(self->s.pid, self->fds));
}

TEST_F(srv, conditional)
{
	char resp[8192], req[512], etag[80], lm[64];

	ASSERT_EQ(200, raw(self->s.http, "GET /f4096.bin HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	ASSERT_EQ(1, sscanf(strstr(resp, "ETag: ") + 6, "%79[^\r]", etag));
	ASSERT_EQ(1, sscanf(strstr(resp, "Last-Modified: ") + 15, "%63[^\r]", lm));
	snprintf(req, sizeof(req), "GET /f4096.bin HTTP/1.0\r\nIf-None-Match: \"x\", %s\r\n\r\n", etag);
	EXPECT_EQ(304, raw(self->s.http, req, resp, sizeof(resp)));
	EXPECT_EQ('\0', strstr(resp, "\r\n\r\n")[4]);
	snprintf(req, sizeof(req), "GET /f4096.bin HTTP/1.0\r\nIf-Modified-Since: %s\r\n\r\n", lm);
	EXPECT_EQ(304, raw(self->s.http, req, resp, sizeof(resp)));
	EXPECT_EQ(200, raw(self->s.http, "GET /f4096.bin HTTP/1.0\r\n"
			   "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
			   resp, sizeof(resp)));
}

TEST_F(srv, error_statuses)
{
	char resp[8192], req[12000];
	int n;

#define ST(r) raw(self->s.http, r, resp, sizeof(resp))
	EXPECT_EQ(404, ST("GET /nope HTTP/1.0\r\n\r\n"));
	EXPECT_EQ(403, ST("GET /sub/noindex/ HTTP/1.0\r\n\r\n"));
	EXPECT_EQ(405, ST("POST /f1.bin HTTP/1.0\r\n\r\n"));
	EXPECT_NE(NULL, strstr(resp, "Allow: GET, HEAD\r\n"));
	EXPECT_EQ(413, ST("GET /f1.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
	EXPECT_EQ(400, ST("GARBAGE\r\n\r\n"));
	EXPECT_EQ(400, ST("GET /f1.bin HTTP/1.1\r\n\r\n"));	/* no Host */
	EXPECT_EQ(505, ST("GET / HTTP/2.0\r\nHost: x\r\n\r\n"));
	n = snprintf(req, sizeof(req), "GET /%03000d HTTP/1.1\r\nHost: x\r\n\r\n", 0);
	EXPECT_EQ(414, raw(self->s.http, req, resp, sizeof(resp))) TH_LOG("%d bytes", n);
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: %09000d\r\n\r\n", 0);
	EXPECT_EQ(431, raw(self->s.http, req, resp, sizeof(resp)));
#undef ST
}

/* Every way out of the root is refused; nothing of /etc/passwd leaks. */
TEST_F(srv, traversal)
{
	static const char *const attempts[] = {
		"GET /../etc/passwd HTTP/1.0\r\n\r\n",
		"GET /../../../../etc/passwd HTTP/1.0\r\n\r\n",
		"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.0\r\n\r\n",
		"GET /sub/..%2f..%2f..%2fetc/passwd HTTP/1.0\r\n\r\n",
		"GET /sub/%2E%2E/%2E%2E/etc/passwd HTTP/1.0\r\n\r\n",
		"GET http://x/../etc/passwd HTTP/1.0\r\n\r\n",
		"GET /escape HTTP/1.0\r\n\r\n",
		"GET /escape2 HTTP/1.0\r\n\r\n",
		"GET /%00/etc/passwd HTTP/1.0\r\n\r\n",
		"GET //etc/passwd HTTP/1.0\r\n\r\n",
		"GET /etc/passwd HTTP/1.0\r\n\r\n",
		"GET \\..\\etc\\passwd HTTP/1.0\r\n\r\n",
	};
	char resp[8192];

	for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
		int st = raw(self->s.http, attempts[i], resp, sizeof(resp));

		EXPECT_TRUE(st == 400 || st == 403 || st == 404)
			TH_LOG("%.40s: %d", attempts[i], st);
		EXPECT_EQ(NULL, strstr(resp, "root:")) TH_LOG("leaked: %.40s", attempts[i]);
		EXPECT_EQ(NULL, strstr(resp, "secret")) TH_LOG("leaked: %.40s", attempts[i]);
	}
}

/* Connections that send half a request are closed at the header timeout. */
TEST_F(srv, half_open_connections)
{
	int fds[50], i;
	char resp[4096];

	for (i = 0; i < 50; i++) {
		fds[i] = nrtls_connect_port(self->s.http);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(8, write(fds[i], "GET / HT", 8));
	}
	/* Others are served meanwhile. */
	EXPECT_EQ(200, raw(self->s.http, "GET /f1.bin HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	for (i = 0; i < 50; i++) {
		struct timeval tv = { .tv_sec = 10 };
		char c;

		setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		EXPECT_EQ(0, read(fds[i], &c, 1)) TH_LOG("not closed by the server");
		close(fds[i]);
	}
	EXPECT_LE(50, stat_of(&self->s, "timed_out"));
	EXPECT_TRUE(fds_back_to(self->s.pid, self->fds));
}

/* A client that stops reading does not hold up others, and is dropped. */
TEST_F(srv, slow_reader_does_not_block_others)
{
	int fd = nrtls_connect_port(self->s.http);
	const char *req = "GET /f16777216.bin HTTP/1.1\r\nHost: x\r\n\r\n";
	char resp[4096], buf[65536];
	long timeouts = stat_of(&self->s, "timed_out");
	ssize_t n;

	/*
	 * 16 MiB does not fit in the socket buffers of a client that does not
	 * read.  (No tiny SO_RCVBUF: against loopback's 64 KiB MSS that would
	 * leave the data to crawl out through zero-window probes.)
	 */
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)strlen(req), write(fd, req, strlen(req)));
	sleep_ms(500);
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(200, raw(self->s.http, "GET /f4096.bin HTTP/1.0\r\n\r\n",
				   resp, sizeof(resp)));
	/* After the send timeout (3 s here) the server gives up on it. */
	sleep_ms(6000);
	EXPECT_LT(timeouts, stat_of(&self->s, "timed_out"));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	EXPECT_TRUE(fds_back_to(self->s.pid, self->fds));
}

/* A thousand connections at once, each with a request. */
TEST_F_TIMEOUT(srv, thousand_connections, 120)
{
	enum { N = 1000 };
	static int fds[N];
	const char *req = "GET /f4096.bin HTTP/1.1\r\nHost: x\r\n\r\n";
	long total0 = stat_of(&self->s, "total");
	char buf[8192];
	int i, ok = 0;

	for (i = 0; i < N; i++) {
		fds[i] = nrtls_connect_port(self->s.http);
		ASSERT_LE(0, fds[i]) TH_LOG("connection %d: %s", i, strerror(errno));
		ASSERT_EQ((ssize_t)strlen(req), write(fds[i], req, strlen(req)));
	}
	for (i = 0; i < N; i++) {
		size_t got = 0;
		char *body = NULL;

		while (!(body = memmem(buf, got, "\r\n\r\n", 4)) || got < (size_t)(body - buf) + 4 + 4096) {
			ssize_t n = read(fds[i], buf + got, sizeof(buf) - got);

			if (n <= 0)
				break;
			got += n;
		}
		if (body && !strncmp(buf, "HTTP/1.1 200", 12) &&
		    got == (size_t)(body - buf) + 4 + 4096)
			ok++;
		else if (i - ok < 3)
			TH_LOG("connection %d: %zu bytes: %.40s", i, got, buf);
	}
	EXPECT_EQ(N, ok);
	/* All were accepted (idle ones may since have timed out). */
	EXPECT_LE(total0 + N, stat_of(&self->s, "total"));
	for (i = 0; i < N; i++)
		close(fds[i]);
	EXPECT_TRUE(fds_back_to(self->s.pid, self->fds));
}

/* Clients that reset the connection in the middle of a response. */
TEST_F(srv, reset_mid_response)
{
	const char *req = "GET /f16777216.bin HTTP/1.1\r\nHost: x\r\n\r\n";
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char buf[65536], resp[4096];

	for (int i = 0; i < 20; i++) {
		int fd = nrtls_connect_port(self->s.http);

		ASSERT_LE(0, fd);
		ASSERT_EQ((ssize_t)strlen(req), write(fd, req, strlen(req)));
		EXPECT_LT(0, read(fd, buf, sizeof(buf)));
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
	EXPECT_EQ(200, raw(self->s.http, "GET /f4096.bin HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_TRUE(fds_back_to(self->s.pid, self->fds));
	if (!access(NRTLS_DEVICE, F_OK)) {
		EXPECT_TRUE(nrtls_wait_idle(10000));
	}
}

/*
 * A TLS client of the server's, on a blocking socket: TLS @version ("1.2"
 * or "1.3"), with @ciphers (TLS 1.2's) unless NULL.  NULL if it fails.
 */
static SSL *tls_connect(int port, const char *version, const char *ciphers, int *fdp)
{
	int v = strcmp(version, "1.3") ? TLS1_2_VERSION : TLS1_3_VERSION;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int fd = nrtls_connect_port(port);
	SSL *ssl = NULL;

	if (!ctx || fd < 0 || !SSL_CTX_set_min_proto_version(ctx, v) ||
	    !SSL_CTX_set_max_proto_version(ctx, v) ||
	    (ciphers && !SSL_CTX_set_cipher_list(ctx, ciphers)))
		goto fail;
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, fd) || SSL_connect(ssl) != 1)
		goto fail;
	SSL_CTX_free(ctx);	/* the SSL holds its own reference */
	*fdp = fd;
	return ssl;
fail:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* True if nrtls-serve has exited (it is reaped, stop_server() then passes). */
static bool server_gone(struct server *s)
{
	int status;

	if (s->pid <= 0 || waitpid(s->pid, &status, WNOHANG) != s->pid)
		return false;
	s->pid = 0;
	return true;
}

/* Read until the server closes (or 30 s pass); false if it never did. */
static bool closed_by_server(int fd)
{
	struct timeval tv = { .tv_sec = 30 };
	char buf[16384];
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/*
 * A TLS connection whose encryption stayed in OpenSSL (a CBC suite, which
 * kTLS does not take) sends two pipelined requests and more, then a record
 * that does not decrypt, all at once: the server reads the requests, then
 * fails, and its response to the first fails at once in SSL_write.  The
 * connection goes with what it had buffered; the server serves on (it used
 * to write the rest of the buffer into the freed connection).
 */
TEST_F_TIMEOUT(srv, tls_response_fails_at_once, 120)
{
	static const char req[] = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"
				  "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\nGET /ind";
	/* An application data record of zeros: no key opens it. */
	static const uint8_t bad[5 + 64] = { 23, 3, 3, 0, 64 };
	char resp[4096];

	for (int i = 0; i < 20; i++) {
		uint8_t out[4096];
		BIO *mem = BIO_new(BIO_s_mem());
		char *rec;
		long len;
		SSL *ssl;
		int fd;

		ssl = tls_connect(self->s.https, "1.2", "ECDHE-ECDSA-AES128-SHA", &fd);
		ASSERT_NE(NULL, ssl) TH_LOG("TLS 1.2 with a CBC suite: %s", server_gone(&self->s) ?
					    "nrtls-serve died" : "refused");
		ASSERT_NE(NULL, mem);
		/* The requests' records go to memory, to be sent in one write. */
		SSL_set0_wbio(ssl, mem);
		ASSERT_EQ((int)strlen(req), SSL_write(ssl, req, strlen(req)));
		len = BIO_get_mem_data(mem, &rec);
		ASSERT_GT(len, 0);
		ASSERT_GE(sizeof(out), len + sizeof(bad));
		memcpy(out, rec, len);
		memcpy(out + len, bad, sizeof(bad));
		ASSERT_EQ((ssize_t)(len + sizeof(bad)), write(fd, out, len + sizeof(bad)));
		EXPECT_TRUE(closed_by_server(fd));
		SSL_free(ssl);
		close(fd);
	}
	ASSERT_FALSE(server_gone(&self->s)) TH_LOG("nrtls-serve died");
	EXPECT_EQ(200, raw(self->s.http, "GET /f4096.bin HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_TRUE(fds_back_to(self->s.pid, self->fds));
}

/*
 * @n pipelined requests for f1.bin, the last with "Connection: close", in
 * @buf (of @size); their length.
 */
static size_t pipelined(char *buf, size_t size, int n)
{
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += snprintf(buf + len, size - len, "GET /f1.bin HTTP/1.1\r\nHost: x\r\n%s\r\n",
				i == n - 1 ? "Connection: close\r\n" : "");
	return len;
}

/* The complete 200 responses of f1.bin (one byte of body) in @resp. */
static int count_responses(const char *resp, size_t len)
{
	const char *p = resp, *end = resp + len, *eoh;
	int n = 0;

	while (p < end && (eoh = memmem(p, end - p, "\r\n\r\n", 4)) && eoh + 5 <= end) {
		if (strncmp(p, "HTTP/1.1 200 ", 13))
			break;
		n++;
		p = eoh + 5;
	}
	return p == end ? n : -n - 1;
}

/*
 * 400 requests pipelined in one write, more than --max-header (8 KiB)
 * holds: each one gets its response, then the connection ends.
 */
TEST_F_TIMEOUT(srv, pipelined_beyond_max_header, 60)
{
	static char req[32768], resp[262144];
	struct timeval tv = { .tv_sec = 30 };
	size_t len = pipelined(req, sizeof(req), 400), got = 0;
	int fd = nrtls_connect_port(self->s.http);
	ssize_t n;

	ASSERT_LE(0, fd);
	ASSERT_LT(8192, len);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ASSERT_EQ((ssize_t)len, write(fd, req, len));
	while (got < sizeof(resp) && (n = read(fd, resp + got, sizeof(resp) - got)) > 0)
		got += n;
	EXPECT_EQ(400, count_responses(resp, got)) TH_LOG("%zu bytes", got);
	close(fd);
}

/*
 * 400 requests pipelined in one TLS record (one SSL_write, 14 KiB), more
 * than --max-header (8 KiB) holds: OpenSSL has decrypted them all at once,
 * so no poll for more input would wake the server for the rest.  Each
 * gets its response, then the connection ends.
 */
TEST_F_TIMEOUT(tls, pipelined_in_one_record, 60)
{
	static char req[32768], resp[262144];
	struct timeval tv = { .tv_sec = 30 };
	size_t len = pipelined(req, sizeof(req), 400), got = 0;
	SSL *ssl;
	int fd, n;

	ASSERT_LT(8192, len);
	ASSERT_GE(16384, len);	/* one record */
	ssl = tls_connect(self->s.https, variant->version, NULL, &fd);
	ASSERT_NE(NULL, ssl);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ASSERT_EQ((int)len, SSL_write(ssl, req, len));
	while (got < sizeof(resp) && (n = SSL_read(ssl, resp + got, sizeof(resp) - got)) > 0)
		got += n;
	EXPECT_EQ(400, count_responses(resp, got)) TH_LOG("%zu bytes", got);
	SSL_free(ssl);
	close(fd);
}

/* SIGTERM: responses in flight finish, new connections are refused. */
TEST_F_TIMEOUT(srv, graceful_shutdown, 60)
{
	char out[128], cmd[512];
	struct stat st = { 0 };
	FILE *p;
	int status, fd;

	/*
	 * A client reading at 2 MB/s from a receive buffer that took in
	 * megabytes at once acknowledges nothing for seconds: not a stalled
	 * peer, so no 3 s send timeout here.
	 */
	ASSERT_EQ(0, stop_server(&self->s));
	self->s.send_timeout = "60";
	ASSERT_EQ(0, start_server(&self->s));
	snprintf(out, sizeof(out), "%s/out", self->s.dir);
	snprintf(cmd, sizeof(cmd), "curl -sf --limit-rate 2M -o %s "
		 "http://127.0.0.1:%d/f16777216.bin; echo $?", out, self->s.http);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	/* Stop once the download is under way (curl may take its time). */
	for (int i = 0; i < 400 && (stat(out, &st) || st.st_size == 0); i++)
		sleep_ms(50);
	kill(self->s.pid, SIGTERM);
	for (int i = 0; i < 100 && (fd = nrtls_connect_port(self->s.http)) >= 0; i++) {
		close(fd);
		sleep_ms(50);
	}
	EXPECT_EQ(-1, fd) TH_LOG("still accepting 5 s after SIGTERM");
	EXPECT_EQ(1, fscanf(p, "%d", &status));
	pclose(p);
	EXPECT_EQ(0, status) TH_LOG("curl failed: the download was cut");
	check_file(_metadata, out, NSIZES - 1);
	EXPECT_EQ(0, stop_server(&self->s));
}

/* --- operations: arguments, listeners, signals ---------------------------- */

FIXTURE(ops) {
	struct server s;
	char err[128], bin[PATH_MAX];
};

FIXTURE_SETUP(ops)
{
	ASSERT_EQ(0, make_tree(&self->s));
	snprintf(self->err, sizeof(self->err), "%s/err", self->s.dir);
	nrtls_serve_path(self->bin, sizeof(self->bin));
}

FIXTURE_TEARDOWN(ops)
{
	EXPECT_EQ(0, stop_server(&self->s));
	nrtls_sh("rm -rf %s", self->s.dir);
}

/* nrtls-serve --root ROOT @args, to its end; its exit status. */
static int serve_status(FIXTURE_DATA(ops) *self, const char *args)
{
	return nrtls_sh("(%s --root %s %s 2> %s)", self->bin, self->s.root, args, self->err);
}

/* The file's text (up to 16 KiB), or "" */
static const char *slurp(const char *path)
{
	static char buf[16384];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return buf;
}

/* Wait up to 5 s for @text to appear in the file @path (a log, stderr). */
static void wait_for_text(const char *path, const char *text)
{
	for (int i = 0; i < 200 && !strstr(slurp(path), text); i++)
		sleep_ms(25);
}

/*
 * nrtls-serve --root ROOT @args in the background, its standard error in
 * self->err; up once @port takes a connection, failed if it exited.
 */
static int spawn_server(FIXTURE_DATA(ops) *self, int port, const char *args)
{
	char cmd[PATH_MAX + 2048];
	int status;

	if (snprintf(cmd, sizeof(cmd), "exec %s --root %s %s > /dev/null 2> %s", self->bin,
		     self->s.root, args, self->err) >= (int)sizeof(cmd))
		return -1;
	self->s.pid = fork();
	if (!self->s.pid) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 400; i++) {
		int fd = nrtls_connect_port(port);

		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (waitpid(self->s.pid, &status, WNOHANG) == self->s.pid) {
			self->s.pid = 0;
			return -1;
		}
		sleep_ms(25);
	}
	return -1;
}

static int curl_ok(const char *opts, const char *url)
{
	return nrtls_sh("curl -sf -g --max-time 20 %s -o /dev/null '%s'", opts, url);
}

/* Each bad argument is named, with the option it was given to, and exits 2. */
TEST_F(ops, bad_arguments)
{
	int p = nrtls_free_port();
	char args[512], other[160];
	const struct {
		const char *args;	/* %1$d: a port, %2$s: the directory */
		int status;
		const char *says;
	} cases[] = {
		{ "--http 127.0.0.1:%1$d --threads 0", 2, "bad value '0' for --threads (1 to 256)" },
		{ "--http 127.0.0.1:%1$d --max-conns=lots", 2, "bad value 'lots' for --max-conns" },
		{ "--http 127.0.0.1:%1$d --idle-timeout", 2, "requires an argument" },
		{ "--http 1.2.3:80", 2, "bad address '1.2.3:80' for --http" },
		{ "--http 127.0.0.1:%1$d --user nrtls-no-such-user", 2,
		  "--user nrtls-no-such-user: no such user" },
		{ "--https [::1:80", 2, "bad address '[::1:80' for --https" },
		{ "--http 127.0.0.1:0", 2, "bad address '127.0.0.1:0'" },
		{ "--http 127.0.0.1:%1$d --https 127.0.0.1:%1$d --cert %2$s/cert.pem "
		  "--key %2$s/key.pem", 2, "port %1$d is given to both --http and --https" },
		{ "--http 127.0.0.1:%1$d --http 127.0.0.1:%1$d", 2, "127.0.0.1:%1$d is given twice" },
		{ "--https 127.0.0.1:%1$d", 2, "--https goes with --cert and --key" },
		{ "--https 127.0.0.1:%1$d --cert %2$s/none.pem --key %2$s/key.pem", 1,
		  "none.pem: No such file or directory" },
		{ "--https 127.0.0.1:%1$d --cert %2$s/cert.pem --key %2$s/other.key", 1,
		  "the key does not match the certificate" },
		{ "--root %2$s/none --http 127.0.0.1:%1$d", 1, "none: No such file or directory" },
		{ "--http 127.0.0.1:%1$d --access-log %2$s/none/log", 1,
		  "none/log: No such file or directory" },
	};

	snprintf(other, sizeof(other), "%s/other.crt", self->s.dir);
	snprintf(args, sizeof(args), "%s/other.key", self->s.dir);
	ASSERT_EQ(0, make_cert(args, other));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char says[160];

		snprintf(args, sizeof(args), cases[i].args, p, self->s.dir);
		snprintf(says, sizeof(says), cases[i].says, p, self->s.dir);
		EXPECT_EQ(cases[i].status, serve_status(self, args)) TH_LOG("%s", args);
		EXPECT_NE(NULL, strstr(slurp(self->err), says))
			TH_LOG("%s: wanted \"%s\", said: %s", args, says, slurp(self->err));
		EXPECT_EQ(NULL, strstr(slurp(self->err), "(null)"));
	}
	/* None of them left a listener behind. */
	EXPECT_GT(0, nrtls_connect_port(p));
}

/* --check: arguments, certificate and key checked; nothing served. */
TEST_F(ops, check_validates)
{
	int p = nrtls_free_port();
	char args[512];

	snprintf(args, sizeof(args), "--https 127.0.0.1:%d --cert %s --key %s --check "
		 "--access-log %s", p, self->s.cert, self->s.key, self->s.log);
	EXPECT_EQ(0, serve_status(self, args));
	EXPECT_GT(0, nrtls_connect_port(p));
	ASSERT_EQ(0, nrtls_sh("echo garbage > %s/bad.key", self->s.dir));
	snprintf(args, sizeof(args), "--https 127.0.0.1:%d --cert %s --key %s/bad.key --check",
		 p, self->s.cert, self->s.dir);
	EXPECT_EQ(1, serve_status(self, args));
	EXPECT_NE(NULL, strstr(slurp(self->err), "bad.key")) TH_LOG("%s", slurp(self->err));
}

/*
 * Several listeners: IPv4 and IPv6 on the same port (the IPv6 socket is
 * V6ONLY, as nginx's), plain and TLS, and a host name.
 */
TEST_F_TIMEOUT(ops, several_listeners, 60)
{
	struct sockaddr_in6 lo6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int p1 = nrtls_free_port(), p2 = nrtls_free_port(), p3 = nrtls_free_port();
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char args[512], url[128], opt[160];
	bool v6;

	v6 = fd >= 0 && !bind(fd, (struct sockaddr *)&lo6, sizeof(lo6));
	if (fd >= 0)
		close(fd);
	if (!v6)
		SKIP(return, "no IPv6 loopback address here");
	snprintf(args, sizeof(args), "--http 0.0.0.0:%d --http [::]:%d --https 127.0.0.1:%d "
		 "--https [::1]:%d --http localhost:%d --cert %s --key %s --threads 2",
		 p1, p1, p2, p2, p3, self->s.cert, self->s.key);
	ASSERT_EQ(0, spawn_server(self, p1, args)) TH_LOG("%s", slurp(self->err));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/index.html", p1);
	EXPECT_EQ(0, curl_ok("", url));
	snprintf(url, sizeof(url), "http://[::1]:%d/index.html", p1);
	EXPECT_EQ(0, curl_ok("", url));
	snprintf(opt, sizeof(opt), "--cacert %s", self->s.cert);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/index.html", p2);
	EXPECT_EQ(0, curl_ok(opt, url));
	/* The certificate names 127.0.0.1 only: connect to ::1 under its name. */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/index.html", p2);
	snprintf(opt, sizeof(opt), "--cacert %s --connect-to 127.0.0.1:%d:[::1]:%d",
		 self->s.cert, p2, p2);
	EXPECT_EQ(0, curl_ok(opt, url));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/index.html", p3);
	EXPECT_EQ(0, curl_ok("", url));
	snprintf(args, sizeof(args), "http://0.0.0.0:%d http://[::]:%d https://127.0.0.1:%d "
		 "https://[::1]:%d http://127.0.0.1:%d", p1, p1, p2, p2, p3);
	EXPECT_NE(NULL, strstr(slurp(self->err), args)) TH_LOG("%s", slurp(self->err));
}

/*
 * Each thread's ring is sized from --max-conns and --threads, within what
 * the kernel takes: a completion queue no smaller than the submission
 * queue (few connections a thread) and of at most 65536 entries (many).
 */
TEST_F_TIMEOUT(ops, ring_sizes, 60)
{
	static const char *const cases[] = {
		"--max-conns 100", "--threads 32 --max-conns 10000", "--threads 1 --max-conns 20000",
	};
	char args[256], url[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int p = nrtls_free_port();

		snprintf(args, sizeof(args), "--http 127.0.0.1:%d %s", p, cases[i]);
		ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s: %s", cases[i], slurp(self->err));
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/index.html", p);
		EXPECT_EQ(0, curl_ok("", url)) TH_LOG("%s: %s", cases[i], slurp(self->err));
		EXPECT_EQ(0, stop_server(&self->s)) TH_LOG("%s: %s", cases[i], slurp(self->err));
	}
}

/*
 * --header-timeout counts from a head's first byte: a client that sends a
 * byte of it every 0.4 s is cut off, though the server hears from it far
 * more often than that.  And a TLS client's first request gets the header
 * timeout after the handshake too, not the (here much longer) idle one.
 */
TEST_F_TIMEOUT(ops, header_timeout_from_first_byte, 120)
{
	const char *head = "GET /index.html HTTP/1.1\r\nHost: x\r\nX-Slow: ";
	int p = nrtls_free_port(), ps = nrtls_free_port(), fd, tfd;
	bool closed = false;
	char args[512];
	SSL *ssl;

	snprintf(args, sizeof(args), "--http 127.0.0.1:%d --https 127.0.0.1:%d --cert %s "
		 "--key %s --header-timeout 2 --idle-timeout 600", p, ps, self->s.cert,
		 self->s.key);
	ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
	fd = nrtls_connect_port(p);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)strlen(head), write(fd, head, strlen(head)));
	/* Up to 30 s (a generous bound, not the server's timeout). */
	for (int i = 0; i < 75 && !closed; i++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char c;

		if (poll(&pfd, 1, 400) > 0)
			closed = read(fd, &c, 1) <= 0;	/* no response: an end or a reset */
		else
			closed = send(fd, "a", 1, MSG_NOSIGNAL) != 1;
	}
	EXPECT_TRUE(closed) TH_LOG("a head sent a byte at a time was never cut off");
	close(fd);

	ssl = tls_connect(ps, "1.3", NULL, &tfd);
	ASSERT_NE(NULL, ssl);
	EXPECT_TRUE(closed_by_server(tfd)) TH_LOG("no header timeout after the TLS handshake");
	SSL_free(ssl);
	close(tfd);
}

/*
 * A user over /proc/sys/fs/pipe-user-pages-soft gets small pipes that
 * F_SETPIPE_SZ cannot grow: nrtls-serve running as that user still sends
 * whole files through them (the splice path: without the module, or with
 * --no-module).  Another process of the user takes up its pipe pages.
 */
TEST_F_TIMEOUT(ops, small_pipes, 120)
{
	struct passwd *pw = getpwnam("nobody");
	int p = nrtls_free_port(), ready[2], hold[2];
	char args[256], out[128], ok = 0;
	pid_t holder;

	if (!pw || geteuid())
		SKIP(return, "needs root and the user nobody");
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(hold, O_CLOEXEC));
	holder = fork();
	ASSERT_LE(0, holder);
	if (!holder) {
		char r = 0, c;

		close(ready[0]);
		close(hold[1]);
		if (!setgid(pw->pw_gid) && !setuid(pw->pw_uid)) {
			/* 1 MiB pipes until the kernel says no: over the soft limit. */
			for (int i = 0; i < 4096; i++) {
				int fds[2];

				if (pipe(fds))
					break;
				if (fcntl(fds[0], F_SETPIPE_SZ, 1 << 20) < 0) {
					r = errno == EPERM;
					break;
				}
			}
		}
		if (write(ready[1], &r, 1) != 1 || read(hold[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	EXPECT_EQ(1, read(ready[0], &ok, 1));
	close(ready[0]);
	if (ok) {
		snprintf(args, sizeof(args), "--http 127.0.0.1:%d --user nobody --no-module", p);
		ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
		snprintf(out, sizeof(out), "%s/out", self->s.dir);
		for (size_t i = NSIZES - 2; i < NSIZES; i++) {
			EXPECT_EQ(0, nrtls_sh("curl -sf -o %s http://127.0.0.1:%d/f%llu.bin", out, p,
					      (unsigned long long)sizes[i]));
			check_file(_metadata, out, i);
		}
		EXPECT_EQ(0, stop_server(&self->s));
	}
	close(hold[1]);	/* the holder exits, and its pipes go */
	EXPECT_EQ(holder, waitpid(holder, NULL, 0));
	if (!ok)
		SKIP(return, "the user nobody's pipes never hit pipe-user-pages-soft (0: no limit?)");
}

/*
 * An address some other server holds is refused, as nginx refuses it, even
 * when that server shares it (SO_REUSEPORT, same user): nrtls-serve's
 * threads share their sockets among themselves only.
 */
TEST_F_TIMEOUT(ops, address_in_use, 60)
{
	int p = nrtls_free_port(), one = 1, fd;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(p),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char args[256];

	snprintf(args, sizeof(args), "--http 127.0.0.1:%d --threads 2", p);
	for (int reuseport = 0; reuseport < 2; reuseport++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ASSERT_LE(0, fd);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (reuseport)
			setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
		ASSERT_EQ(0, listen(fd, 8));
		EXPECT_EQ(1, serve_status(self, args)) TH_LOG("SO_REUSEPORT %d", reuseport);
		EXPECT_NE(NULL, strstr(slurp(self->err), "Address already in use"));
		close(fd);
	}
	/* One nrtls-serve on it: a second one is refused, the first serves on. */
	ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
	EXPECT_EQ(1, nrtls_sh("(%s --root %s %s 2> %s/err2)", self->bin, self->s.root, args,
			      self->s.dir));
	snprintf(args, sizeof(args), "%s/err2", self->s.dir);
	EXPECT_NE(NULL, strstr(slurp(args), "Address already in use")) TH_LOG("%s", slurp(args));
	snprintf(args, sizeof(args), "http://127.0.0.1:%d/index.html", p);
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(0, curl_ok("", args));
}

/*
 * SIGHUP: new connections get the certificate now on disk; a download in
 * flight finishes on the old one; a bad new key leaves the one in use.
 */
TEST_F_TIMEOUT(ops, sighup_reloads_certificate, 180)
{
	char args[512], old[128], out[128], url[128], opt[160], cmd[512];
	int p = nrtls_free_port(), status;
	struct stat st = { 0 };
	FILE *dl;

	snprintf(args, sizeof(args), "--https 127.0.0.1:%d --cert %s --key %s --threads 2 "
		 "--send-timeout 60", p, self->s.cert, self->s.key);
	ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
	snprintf(old, sizeof(old), "%s/old.pem", self->s.dir);
	snprintf(out, sizeof(out), "%s/out", self->s.dir);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/index.html", p);
	ASSERT_EQ(0, nrtls_sh("cp %s %s", self->s.cert, old));
	snprintf(cmd, sizeof(cmd), "curl -sf --cacert %s --limit-rate 2M -o %s "
		 "https://127.0.0.1:%d/f16777216.bin; echo $?", old, out, p);
	dl = popen(cmd, "r");
	ASSERT_NE(NULL, dl);
	for (int i = 0; i < 400 && (stat(out, &st) || st.st_size == 0); i++)
		sleep_ms(50);
	ASSERT_LT(0, st.st_size);

	/* A new certificate and key, moved in place as a renewal would. */
	ASSERT_EQ(0, make_cert(self->s.key, self->s.cert));
	kill(self->s.pid, SIGHUP);
	snprintf(opt, sizeof(opt), "--cacert %s", self->s.cert);
	for (int i = 0; i < 100 && curl_ok(opt, url); i++)
		sleep_ms(50);
	EXPECT_EQ(0, curl_ok(opt, url)) TH_LOG("the new certificate is not served");
	snprintf(opt, sizeof(opt), "--cacert %s", old);
	EXPECT_NE(0, curl_ok(opt, url)) TH_LOG("the old certificate is still served");
	EXPECT_NE(NULL, strstr(slurp(self->err), "reloaded"));

	/* The download in flight was not disturbed. */
	EXPECT_EQ(1, fscanf(dl, "%d", &status));
	pclose(dl);
	EXPECT_EQ(0, status) TH_LOG("curl failed: the download was cut");
	check_file(_metadata, out, NSIZES - 1);

	/* A key that does not load: refused, the certificate in use stays. */
	ASSERT_EQ(0, nrtls_sh("echo garbage > %s", self->s.key));
	kill(self->s.pid, SIGHUP);
	wait_for_text(self->err, "keeping");
	EXPECT_NE(NULL, strstr(slurp(self->err), "keeping the certificate in use"))
		TH_LOG("%s", slurp(self->err));
	snprintf(opt, sizeof(opt), "--cacert %s", self->s.cert);
	EXPECT_EQ(0, curl_ok(opt, url));
}

/*
 * SIGUSR1 reopens the access log (logrotate moves it first), as SIGHUP
 * does; SIGUSR2 prints the statistics.
 */
TEST_F_TIMEOUT(ops, signals_reopen_the_log, 60)
{
	char args[256], url[128], rotated[160], sig;
	int p = nrtls_free_port();

	snprintf(args, sizeof(args), "--http 127.0.0.1:%d --access-log %s", p, self->s.log);
	ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
	for (int round = 0; round < 2; round++) {
		sig = round ? SIGHUP : SIGUSR1;
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/index.html", p);
		ASSERT_EQ(0, curl_ok("", url));
		/* The line is written once the send completes, after curl has it. */
		wait_for_text(self->s.log, "GET /index.html");
		snprintf(rotated, sizeof(rotated), "%s.%d", self->s.log, round);
		ASSERT_EQ(0, rename(self->s.log, rotated));
		kill(self->s.pid, sig);
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/sub/page.html", p);
		for (int i = 0; i < 100 && access(self->s.log, F_OK); i++) {
			ASSERT_EQ(0, curl_ok("", url));
			sleep_ms(50);
		}
		ASSERT_EQ(0, curl_ok("", url));
		/* Again written once the send completes, perhaps after curl returns. */
		wait_for_text(self->s.log, "GET /sub/page.html");
		EXPECT_NE(NULL, strstr(slurp(rotated), "GET /index.html")) TH_LOG("signal %d", sig);
		EXPECT_NE(NULL, strstr(slurp(self->s.log), "GET /sub/page.html"))
			TH_LOG("signal %d: no new log", sig);
		EXPECT_EQ(NULL, strstr(slurp(self->s.log), "GET /index.html"));
	}
	kill(self->s.pid, SIGUSR2);
	wait_for_text(self->err, "stats {");
	EXPECT_NE(NULL, strstr(slurp(self->err), "\"requests\":"));
}

/* Whether @line matches the extended regular expression @re. */
static bool matches(const char *re, const char *line)
{
	regex_t r;
	bool ok;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB))
		return false;
	ok = !regexec(&r, line, 0, NULL, 0);
	regfree(&r);
	return ok;
}

#define LOG_HEAD "^127\\.0\\.0\\.1 - - \\[[0-3][0-9]/[A-Z][a-z]{2}/20[0-9]{2}:[0-2][0-9]:[0-5][0-9]:[0-6][0-9] \\+0000\\] "

/*
 * The access log is in the "combined" format by default (the count is of
 * body bytes), a client's quotes and control bytes escaped as \xHH as
 * nginx does; --log-format timing adds the milliseconds and send path.
 */
TEST_F_TIMEOUT(ops, access_log_formats, 60)
{
	static const char *const want[] = {
		LOG_HEAD "\"GET /index\\.html HTTP/1\\.1\" 200 12 "
			"\"http://example\\.org/a\" \"agent \\\\x22q\\\\x22\\\\x5Cx\"$",
		LOG_HEAD "\"GET /nothing/\\\\x22x HTTP/1\\.1\" 404 [1-9][0-9]* \"-\" \"-\"$",
		LOG_HEAD "\"GET /index\\.html HTTP/1\\.1\" 200 12 \"-\" \"-\" "
			"[0-9]+ms (tls:)?[a-z-]+$",
	};
	char args[256], url[128], *log, *line, *save;
	int p = nrtls_free_port(), n = 0;

	for (int round = 0; round < 2; round++) {
		snprintf(args, sizeof(args), "--http 127.0.0.1:%d --access-log %s%s", p,
			 self->s.log, round ? " --log-format timing" : "");
		ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/index.html", p);
		if (!round) {
			ASSERT_EQ(0, curl_ok("-A 'agent \"q\"\\x' -e http://example.org/a", url));
			snprintf(url, sizeof(url), "http://127.0.0.1:%d/nothing/\"x", p);
			EXPECT_NE(0, curl_ok("-A ''", url));
		} else {
			ASSERT_EQ(0, curl_ok("-A ''", url));
		}
		EXPECT_EQ(0, stop_server(&self->s));
	}
	log = strdup(slurp(self->s.log));
	ASSERT_NE(NULL, log);
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		ASSERT_GT(3, n) TH_LOG("extra line: %s", line);
		EXPECT_TRUE(matches(want[n], line)) TH_LOG("line %d: %s", n, line);
	}
	EXPECT_EQ(3, n);
	free(log);
}

/*
 * Over HTTPS the timing format says who decrypted the request: rx:kernel
 * exactly when the server's socket got kTLS RX (TlsRxSw counts each),
 * which with kTLS is over TLS 1.2 and 1.3 alike.
 */
TEST_F_TIMEOUT(ops, ktls_rx_in_log, 60)
{
	static const char *const how[] = { "--tlsv1.2 --tls-max 1.2", "--tlsv1.3" };
	char args[512], opt[512], url[128], *log, *line, *save;
	long before[2], after[2];
	int p = nrtls_free_port(), n = 0;

	if (nrtls_tls_stat(NULL, "TlsRxSw") < 0)
		SKIP(return, "no kTLS here: /proc/net/tls_stat is missing (modprobe tls)");
	snprintf(args, sizeof(args), "--https 127.0.0.1:%d --cert %s --key %s --access-log %s "
		 "--log-format timing", p, self->s.cert, self->s.key, self->s.log);
	ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/index.html", p);
	for (int i = 0; i < 2; i++) {
		before[i] = nrtls_tls_stat(NULL, "TlsRxSw");
		snprintf(opt, sizeof(opt), "--cacert %s %s", self->s.cert, how[i]);
		ASSERT_EQ(0, curl_ok(opt, url)) TH_LOG("%s", how[i]);
		after[i] = nrtls_tls_stat(NULL, "TlsRxSw");
	}
	EXPECT_EQ(0, stop_server(&self->s));
	EXPECT_LT(before[0], after[0]);
	EXPECT_LT(before[1], after[1]);
	log = strdup(slurp(self->s.log));
	ASSERT_NE(NULL, log);
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		ASSERT_GT(2, n) TH_LOG("extra line: %s", line);
		EXPECT_TRUE(matches(LOG_HEAD "\"GET /index\\.html HTTP/1\\.1\" 200 12 \"-\" \"curl/"
				    "[^\"]*\" [0-9]+ms tls:[a-z-]+ rx:(kernel|user)$", line))
			TH_LOG("line %d: %s", n, line);
		EXPECT_STREQ(after[n] > before[n] ? "rx:kernel" : "rx:user", strrchr(line, ' ') + 1)
			TH_LOG("%s: TlsRxSw %ld -> %ld", how[n], before[n], after[n]);
	}
	EXPECT_EQ(2, n);
	free(log);
}

/*
 * --stats also serves Prometheus's text format at /.nrtls/metrics: every
 * sample is well formed and follows its family's TYPE line, and the
 * counts are this server's.  Without --stats the URL is not special.
 */
TEST_F_TIMEOUT(ops, metrics_endpoint, 60)
{
	static const char sample[] =
		"^(nrtls_serve_[a-z_]+)(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\\})? [0-9]+$";
	char args[256], resp[8192], typed[1024] = " ", *body, *line, *save, *open_line;
	int p = nrtls_free_port(), samples = 0, bad;
	regmatch_t m[2];
	regex_t re;

	snprintf(args, sizeof(args), "--http 127.0.0.1:%d --stats --access-log off", p);
	ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(200, raw(p, "GET /index.html HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	ASSERT_EQ(404, raw(p, "GET /nothing HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	ASSERT_EQ(200, raw(p, "HEAD /.nrtls/metrics HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	body = strstr(resp, "\r\n\r\n");
	ASSERT_NE(NULL, body);
	EXPECT_STREQ("", body + 4) TH_LOG("HEAD has no body");
	ASSERT_EQ(200, raw(p, "GET /.nrtls/metrics HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_NE(NULL, strstr(resp, "\r\nContent-Type: text/plain; version=0.0.4\r\n"));
	body = strstr(resp, "\r\n\r\n");
	ASSERT_NE(NULL, body);
	body += 4;
	/* The two files and the HEAD; this GET counts once answered. */
	EXPECT_NE(NULL, strstr(body, "\nnrtls_serve_requests_total{code=\"2xx\"} 3\n"))
		TH_LOG("%s", body);
	EXPECT_NE(NULL, strstr(body, "\nnrtls_serve_requests_total{code=\"4xx\"} 1\n"));
	/* This one, and maybe earlier ones the server has not closed yet. */
	open_line = strstr(body, "\nnrtls_serve_connections_open ");
	ASSERT_NE(NULL, open_line);
	EXPECT_LE(1, atoi(open_line + strlen("\nnrtls_serve_connections_open ")));
	ASSERT_EQ(0, regcomp(&re, sample, REG_EXTENDED));
	for (line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];

		if (sscanf(line, "# TYPE %127s", name) == 1) {
			EXPECT_EQ(NULL, strstr(typed, name)) TH_LOG("TYPE twice: %s", name);
			snprintf(typed + strlen(typed), sizeof(typed) - strlen(typed), "%s ", name);
			continue;
		}
		if (!strncmp(line, "# HELP ", 7))
			continue;
		samples++;
		bad = regexec(&re, line, 2, m, 0);
		EXPECT_EQ(0, bad) TH_LOG("not a sample: %s", line);
		if (bad)
			continue;
		snprintf(name, sizeof(name), " %.*s ", (int)(m[1].rm_eo - m[1].rm_so),
			 line + m[1].rm_so);
		EXPECT_NE(NULL, strstr(typed, name)) TH_LOG("no TYPE before %s", line);
	}
	regfree(&re);
	EXPECT_LE(15, samples);
	EXPECT_EQ(0, stop_server(&self->s));

	snprintf(args, sizeof(args), "--http 127.0.0.1:%d --access-log off", p);
	ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
	/* A name with a dot like any other. */
	EXPECT_EQ(403, raw(p, "GET /.nrtls/metrics HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
}

/*
 * A directory asked for without its slash is redirected to it (query
 * kept); names that start with a dot are refused unless --dotfiles, but
 * for /.well-known/.
 */
TEST_F_TIMEOUT(ops, directories_and_dotfiles, 60)
{
	char args[256], resp[8192];
	int p = nrtls_free_port();

	snprintf(args, sizeof(args), "--http 127.0.0.1:%d --access-log off", p);
	ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
	EXPECT_EQ(301, raw(p, "GET /sub HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_NE(NULL, strstr(resp, "\r\nLocation: /sub/\r\n")) TH_LOG("%s", resp);
	EXPECT_EQ(301, raw(p, "GET /sub/noindex?a=1&b=%20 HTTP/1.0\r\n\r\n", resp,
			   sizeof(resp)));
	EXPECT_NE(NULL, strstr(resp, "\r\nLocation: /sub/noindex/?a=1&b=%20\r\n"))
		TH_LOG("%s", resp);
	EXPECT_EQ(301, raw(p, "GET /s%75b HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_NE(NULL, strstr(resp, "\r\nLocation: /sub/\r\n")) TH_LOG("%s", resp);
	EXPECT_EQ(200, raw(p, "GET / HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_EQ(200, raw(p, "GET /sub/page.html HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_EQ(403, raw(p, "GET /.env HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_EQ(NULL, strstr(resp, "key=1"));
	EXPECT_EQ(403, raw(p, "GET /%2Eenv HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_EQ(403, raw(p, "GET /.git/config HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_EQ(403, raw(p, "GET /.git HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_EQ(200, raw(p, "GET /.well-known/acme HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_NE(NULL, strstr(resp, "\r\n\r\ntoken\n"));
	/*
	 * A directory's index.html resolves beneath the root as any path
	 * does: a symlink to elsewhere in the root is served, one that
	 * leaves it is not.
	 */
	ASSERT_EQ(0, nrtls_sh("mkdir %s/up %s/out && ln -s ../index.html %s/up/index.html && "
			      "ln -s /etc/passwd %s/out/index.html", self->s.root, self->s.root,
			      self->s.root, self->s.root));
	EXPECT_EQ(200, raw(p, "GET /up/ HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_NE(NULL, strstr(resp, "<h1>hi</h1>"));
	EXPECT_EQ(403, raw(p, "GET /out/ HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_EQ(NULL, strstr(resp, "root:"));
	EXPECT_EQ(0, stop_server(&self->s));

	snprintf(args, sizeof(args), "--http 127.0.0.1:%d --access-log off --dotfiles", p);
	ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
	EXPECT_EQ(200, raw(p, "GET /.env HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_NE(NULL, strstr(resp, "\r\n\r\nkey=1\n"));
	EXPECT_EQ(200, raw(p, "GET /.git/config HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
}

/*
 * With HTTPS the start-up says whether the kernel will encrypt and
 * decrypt records, and why not: it agrees with whether the tls module is there after the
 * start (as root the server's probe loads it).  Without HTTPS, nothing.
 */
TEST_F_TIMEOUT(ops, ktls_startup_line, 60)
{
	char args[512];
	int p = nrtls_free_port(), p2 = nrtls_free_port();

	snprintf(args, sizeof(args), "--http 127.0.0.1:%d --https 127.0.0.1:%d --cert %s --key %s "
		 "--access-log off", p, p2, self->s.cert, self->s.key);
	ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
	/* It listens a moment before it prints. */
	wait_for_text(self->err, "kTLS: ");
	if (!access("/proc/net/tls_stat", F_OK)) {
		EXPECT_NE(NULL, strstr(slurp(self->err), "\nnrtls-serve: kTLS: on: the kernel "
				       "encrypts and decrypts TLS records (for the ciphers it "
				       "supports)\n")) TH_LOG("%s", slurp(self->err));
	} else {
		EXPECT_NE(NULL, strstr(slurp(self->err), "\nnrtls-serve: kTLS: off: the kernel's "
				       "tls module is not loaded (modprobe tls); TLS records "
				       "are encrypted in userspace\n")) TH_LOG("%s", slurp(self->err));
	}
	EXPECT_EQ(0, stop_server(&self->s));

	snprintf(args, sizeof(args), "--http 127.0.0.1:%d --access-log off", p);
	ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
	wait_for_text(self->err, "sendfile path: ");
	EXPECT_NE(NULL, strstr(slurp(self->err), "sendfile path: "));
	EXPECT_EQ(NULL, strstr(slurp(self->err), "kTLS"));
}

/* The next datagram on @fd (systemd's notification protocol), or "". */
static const char *notification(int fd)
{
	static char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/*
 * --user: set up as root, then serve as nobody, for good (on the module's
 * path where there is one); systemd hears READY=1 once it listens and
 * STOPPING=1 on SIGTERM (sd_notify, as Type=notify wants).
 */
TEST_F_TIMEOUT(ops, user_and_notify, 60)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 20 };
	char args[256], resp[4096], status[160], line[256];
	int p = nrtls_free_port(), fd, ids = 0;
	FILE *f;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/notify", self->s.dir);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sun, sizeof(sun)));
	ASSERT_EQ(0, chmod(sun.sun_path, 0777));	/* as systemd's own */
	setenv("NOTIFY_SOCKET", sun.sun_path, 1);
	snprintf(args, sizeof(args), "--http 127.0.0.1:%d --access-log off --stats --user nobody",
		 p);
	ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
	unsetenv("NOTIFY_SOCKET");
	EXPECT_STREQ("READY=1", notification(fd));
	EXPECT_NE(NULL, strstr(slurp(self->err), "running as user nobody (uid 65534"));

	snprintf(status, sizeof(status), "/proc/%d/status", self->s.pid);
	f = fopen(status, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4)) {
			EXPECT_STREQ("65534\t65534\t65534\t65534\n", line + 5) TH_LOG("%s", line);
			ids++;
		}
		if (!strncmp(line, "Groups:", 7))
			EXPECT_STREQ("\t65534 \n", line + 7) TH_LOG("%s", line);
	}
	fclose(f);
	EXPECT_EQ(2, ids);

	EXPECT_EQ(200, raw(p, "GET /index.html HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	EXPECT_NE(NULL, strstr(resp, "<h1>hi</h1>"));
	self->s.http = p;
	if (!access(NRTLS_DEVICE, F_OK))
		EXPECT_EQ(1, stat_reaches(&self->s, "nrtls", 1)) TH_LOG("the module's path as nobody");
	kill(self->s.pid, SIGTERM);
	EXPECT_STREQ("STOPPING=1", notification(fd));
	EXPECT_EQ(0, stop_server(&self->s));
	close(fd);

	/* A root directory only root can read: the user is warned at start. */
	ASSERT_EQ(0, chmod(self->s.root, 0700));
	snprintf(args, sizeof(args), "--http 127.0.0.1:%d --access-log off --user nobody", p);
	ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
	/* The warning is a write of its own, after "running as". */
	wait_for_text(self->err, "requests will fail");
	snprintf(line, sizeof(line), "warning: --root %s: Permission denied for user nobody; "
		 "requests will fail\n", self->s.root);
	EXPECT_NE(NULL, strstr(slurp(self->err), line)) TH_LOG("%s", slurp(self->err));
	EXPECT_EQ(403, raw(p, "GET /index.html HTTP/1.0\r\n\r\n", resp, sizeof(resp)));
	chmod(self->s.root, 0755);
}

/*
 * --precompressed: FILE.gz (made by gzip) goes out for FILE to a client
 * that takes gzip, with its coding and the original's type, and curl
 * --compressed decodes it to FILE; .br is preferred when taken; refused
 * codings, an index.html and a server without the option get FILE itself.
 */
TEST_F_TIMEOUT(ops, precompressed_siblings, 60)
{
	char args[256], resp[8192], url[128], out[200], want[300];
	int p = nrtls_free_port();

	/* "true" last: nrtls_sh redirects the last command's output. */
	ASSERT_EQ(0, nrtls_sh("cd %s && seq 1 20000 > big.txt && gzip -k -9 big.txt && "
			      "echo brotli-bytes > big.txt.br.tmp && true", self->s.root));
	snprintf(args, sizeof(args), "--http 127.0.0.1:%d --access-log off --precompressed", p);
	ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
	EXPECT_EQ(200, raw(p, "GET /big.txt HTTP/1.0\r\nAccept-Encoding: gzip, deflate\r\n\r\n",
			   resp, sizeof(resp)));
	EXPECT_NE(NULL, strstr(resp, "\r\nContent-Encoding: gzip\r\n"));
	EXPECT_NE(NULL, strstr(resp, "\r\nContent-Type: text/plain"));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/big.txt", p);
	snprintf(out, sizeof(out), "%s/got", self->s.dir);
	snprintf(want, sizeof(want), "--compressed -o %s", out);
	ASSERT_EQ(0, curl_ok(want, url));
	EXPECT_EQ(0, nrtls_sh("cmp %s %s/big.txt", out, self->s.root));
	/* The gzip bytes themselves, byte for byte. */
	snprintf(want, sizeof(want), "-H 'Accept-Encoding: gzip' -o %s", out);
	ASSERT_EQ(0, curl_ok(want, url));
	EXPECT_EQ(0, nrtls_sh("cmp %s %s/big.txt.gz", out, self->s.root));

	EXPECT_EQ(200, raw(p, "GET /big.txt HTTP/1.0\r\nAccept-Encoding: gzip;q=0\r\n\r\n",
			   resp, sizeof(resp)));
	EXPECT_EQ(NULL, strstr(resp, "Content-Encoding"));
	EXPECT_NE(NULL, strstr(resp, "\r\n\r\n1\n2\n3\n"));
	ASSERT_EQ(0, nrtls_sh("mv %s/big.txt.br.tmp %s/big.txt.br", self->s.root, self->s.root));
	EXPECT_EQ(200, raw(p, "GET /big.txt HTTP/1.0\r\nAccept-Encoding: gzip, br\r\n\r\n",
			   resp, sizeof(resp)));
	EXPECT_NE(NULL, strstr(resp, "\r\nContent-Encoding: br\r\n"));
	EXPECT_NE(NULL, strstr(resp, "\r\n\r\nbrotli-bytes\n"));
	EXPECT_EQ(200, raw(p, "GET / HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n", resp,
			   sizeof(resp)));
	EXPECT_EQ(NULL, strstr(resp, "Content-Encoding"));
	EXPECT_EQ(0, stop_server(&self->s));

	snprintf(args, sizeof(args), "--http 127.0.0.1:%d --access-log off", p);
	ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
	EXPECT_EQ(200, raw(p, "GET /big.txt HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n",
			   resp, sizeof(resp)));
	EXPECT_EQ(NULL, strstr(resp, "Content-Encoding"));
}

/* Whether curl, resolving @host to 127.0.0.1, fetches / with @ca as the only CA. */
static int sni_get(FIXTURE_DATA(ops) *self, const char *host, int port, const char *ca)
{
	return nrtls_sh("curl -sf --max-time 20 --resolve %s:%d:127.0.0.1 --cacert %s/%s.pem "
			"-o /dev/null https://%s:%d/index.html", host, port, self->s.dir, ca,
			host, port);
}

/*
 * Several --cert/--key pairs: each client gets the pair that covers the
 * name it sends (an exact name, a wildcard), the first for any other
 * name; pairs must be whole; a SIGHUP reloads all of them.
 */
TEST_F_TIMEOUT(ops, sni_picks_certificate, 90)
{
	static const char *const names[][2] = {
		{ "a", "a.test" }, { "b", "b.test" }, { "w", "*.w.test" },
	};
	char args[1024], *a = args;
	int p = nrtls_free_port(), p2 = nrtls_free_port();

	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, nrtls_sh("cd %s && openssl req -x509 -newkey ec -pkeyopt "
				      "ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=%s "
				      "-addext subjectAltName=DNS:%s -keyout %s.key -out %s.pem",
				      self->s.dir, names[i][1], names[i][1], names[i][0],
				      names[i][0]));
	a += sprintf(a, "--http 127.0.0.1:%d --https 127.0.0.1:%d --access-log off", p, p2);
	for (int i = 0; i < 3; i++)
		a += sprintf(a, " --cert %s/%s.pem --key %s/%s.key", self->s.dir, names[i][0],
			     self->s.dir, names[i][0]);
	ASSERT_EQ(0, spawn_server(self, p, args)) TH_LOG("%s", slurp(self->err));
	EXPECT_EQ(0, sni_get(self, "a.test", p2, "a"));
	EXPECT_EQ(0, sni_get(self, "b.test", p2, "b"));
	EXPECT_NE(0, sni_get(self, "b.test", p2, "a"));
	EXPECT_EQ(0, sni_get(self, "x.w.test", p2, "w"));
	/* Another name, or none: the first pair (curl then rejects the name). */
	EXPECT_EQ(0, nrtls_sh("curl -sv -k --max-time 20 --resolve c.test:%d:127.0.0.1 "
			      "https://c.test:%d/index.html 2>&1 | grep -q 'subject: CN=a.test'",
			      p2, p2));
	EXPECT_EQ(0, nrtls_sh("curl -sv -k --max-time 20 https://127.0.0.1:%d/index.html 2>&1 "
			      "| grep -q 'subject: CN=a.test'", p2));

	/* SIGHUP: b's pair replaced on disk is what new clients get. */
	ASSERT_EQ(0, nrtls_sh("(cd %s && openssl req -x509 -newkey ec -pkeyopt "
			      "ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=b.test "
			      "-addext subjectAltName=DNS:b.test -keyout b.key -out b.pem && "
			      "cp b.pem b2.pem)", self->s.dir));
	kill(self->s.pid, SIGHUP);
	wait_for_text(self->err, "reloaded");
	EXPECT_NE(NULL, strstr(slurp(self->err), "and the other certificates"));
	EXPECT_EQ(0, sni_get(self, "b.test", p2, "b2"));
	EXPECT_EQ(0, sni_get(self, "a.test", p2, "a"));
	EXPECT_EQ(0, stop_server(&self->s));

	snprintf(args, sizeof(args), "--https 127.0.0.1:%d --cert %s/a.pem --key %s/a.key "
		 "--cert %s/b.pem", p2, self->s.dir, self->s.dir, self->s.dir);
	EXPECT_EQ(2, serve_status(self, args));
	EXPECT_NE(NULL, strstr(slurp(self->err), "2 --cert but 1 --key: give them in pairs"));
}

/* The host's test_serve.sh runs these too, without the module. */
bool nrtls_test_needs_module(void)
{
	return false;
}

TEST_HARNESS_MAIN
