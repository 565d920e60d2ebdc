// SPDX-License-Identifier: GPL-2.0
/*
 * Soak: nrtls-serve on the module under a thousand connections for a
 * while (NRTLS_SOAK_SECS, default 120; make bench runs 1800), files of
 * random sizes from a slow disk whose cache is dropped every few seconds
 * (cold) or kept (hot), clients that reset mid-response or read slowly,
 * and a fault armed at a random engine site every fraction of a second.
 *
 * It asserts that every byte any client got was right, that no connection
 * got stuck (each makes progress or ends within a deadline), that the
 * server stops cleanly, and that nothing of the module's is left once it
 * has; the runner adds the kernel's log (slub_debug is on in the VM).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nrtls_disk.h"
#include "nrtls_net.h"
#include "nrtls_nic.h"
#include "nrtls_test.h"

#define NCOLD	48
#define NHOT	16
#define STUCK_MS	60000	/* no byte for this long: stuck */
#define DRAIN_MS	600000	/* the last responses must be done by then */

static const char *const sites[] = {
	"req_alloc", "hdr_alloc", "seg_alloc", "sq_alloc", "folio_alloc",
	"read_folio", "readahead", "io_error", "push", "buf_alloc",
};

struct file {
	char name[16];
	uint64_t size;
	uint32_t seed;
};

enum cstate { C_IDLE, C_HEAD, C_BODY };

struct client {
	int fd;
	enum cstate state;
	const struct file *f;
	char head[1024];
	size_t head_len;
	uint64_t got, want;
	bool slow, reset_at_half;
	uint64_t last_progress;
};

struct soak_state {
	struct file files[NCOLD + NHOT];
	char root[96];
	int port;
	pid_t server;
	volatile bool stop;
	/* results */
	uint64_t requests, completed, bytes, resets, cut, connects, stuck, corrupt;
	long tcp_mem_peak;	/* pages */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* Sizes from 0 to 4 MiB, most of them small, as on a web server. */
static uint64_t random_size(void)
{
	switch (rand() % 4) {
	case 0:
		return rand() % 4096;
	case 1:
		return rand() % (64 << 10);
	case 2:
		return rand() % (512 << 10);
	default:
		return rand() % (4 << 20);
	}
}

static int make_files(struct soak_state *s)
{
	char path[192];

	for (int i = 0; i < NCOLD + NHOT; i++) {
		struct file *f = &s->files[i];
		int fd;

		snprintf(f->name, sizeof(f->name), "%c%d", i < NCOLD ? 'c' : 'h', i);
		f->size = i < NCOLD ? random_size() : random_size() % (1 << 20);
		f->seed = 1000 + i;
		snprintf(path, sizeof(path), "%s/%s", s->root, f->name);
		fd = nrtls_make_file(path, f->size, f->seed);
		if (fd < 0)
			return -1;
		close(fd);
	}
	return 0;
}

/* Cold files leave the page cache every few seconds. */
static void *dropper(void *arg)
{
	struct soak_state *s = arg;
	char path[192];

	while (!s->stop) {
		for (int i = 0; i < NCOLD; i++) {
			int fd;

			snprintf(path, sizeof(path), "%s/%s", s->root, s->files[i].name);
			fd = open(path, O_RDONLY);
			if (fd >= 0) {
				posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
				close(fd);
			}
		}
		for (int i = 0; i < 30 && !s->stop; i++)
			usleep(100000);
	}
	return NULL;
}

/* A fault at a random site, on one of its next few hundred calls. */
static void *faulter(void *arg)
{
	struct soak_state *s = arg;

	while (!s->stop) {
		nrtls_fault_arm(sites[rand() % (sizeof(sites) / sizeof(sites[0]))],
				50 + rand() % 500, 1);
		usleep(200000);
	}
	nrtls_fault_cmd("reset");
	return NULL;
}

static int start_server(struct soak_state *s)
{
	char bin[4096], http[32], resp[256];
	struct rlimit rl = { 16384, 16384 };

	setrlimit(RLIMIT_NOFILE, &rl);
	nrtls_serve_path(bin, sizeof(bin));
	s->port = nrtls_free_port();
	snprintf(http, sizeof(http), "127.0.0.1:%d", s->port);
	s->server = fork();
	if (!s->server) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execl(bin, bin, "--root", s->root, "--http", http, "--threads", "2",
		      "--max-conns", "4000", "--send-timeout", "20", "--idle-timeout", "30",
		      "--header-timeout", "30", "--shutdown-timeout", "30", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 400; i++) {
		int fd = nrtls_connect_port(s->port);
		const char req[] = "GET /h48 HTTP/1.0\r\n\r\n";

		if (fd >= 0) {
			bool up = write(fd, req, sizeof(req) - 1) > 0 &&
				  read(fd, resp, sizeof(resp)) > 0;

			close(fd);
			if (up)
				return 0;
		}
		usleep(25000);
	}
	return -1;
}

static void client_close(struct soak_state *s, struct client *c, int ep, bool reset)
{
	if (reset) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		s->resets++;
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->state = C_IDLE;
}

static void client_request(struct soak_state *s, struct client *c, int ep)
{
	char req[128];
	int n, small = 8192;

	if (c->fd < 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

		c->fd = nrtls_connect_port(s->port);
		if (c->fd < 0)
			return;
		s->connects++;
		c->slow = rand() % 10 == 0;
		if (c->slow)
			setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
		fcntl(c->fd, F_SETFL, O_NONBLOCK);
		epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	}
	c->f = &s->files[rand() % (NCOLD + NHOT)];
	c->reset_at_half = rand() % 30 == 0;
	n = snprintf(req, sizeof(req), "GET /%s HTTP/1.1\r\nHost: soak\r\n%s\r\n", c->f->name,
		     rand() % 4 ? "" : "Connection: close\r\n");
	c->state = C_HEAD;
	c->head_len = 0;
	c->got = 0;
	c->last_progress = now_ms();
	if (write(c->fd, req, n) != n) {
		client_close(s, c, ep, false);
		return;
	}
	s->requests++;
}

/* Body bytes at offset @off must be the file's. */
static bool body_ok(struct soak_state *s, struct client *c, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != nrtls_file_byte(c->f->seed, c->got + i)) {
			s->corrupt++;
			return false;
		}
	}
	return true;
}

static void client_read(struct soak_state *s, struct client *c, int ep)
{
	uint8_t buf[65536];
	size_t max = c->slow ? 16384 : sizeof(buf);
	ssize_t n;

	while ((n = read(c->fd, buf, max)) > 0) {
		size_t off = 0;

		c->last_progress = now_ms();
		if (c->state == C_HEAD) {
			char *end;
			size_t take = (size_t)n < sizeof(c->head) - 1 - c->head_len ?
				      (size_t)n : sizeof(c->head) - 1 - c->head_len;

			memcpy(c->head + c->head_len, buf, take);
			c->head_len += take;
			c->head[c->head_len] = '\0';
			end = strstr(c->head, "\r\n\r\n");
			if (!end) {
				if (c->head_len == sizeof(c->head) - 1)
					goto bad;
				continue;
			}
			if (strncmp(c->head, "HTTP/1.1 200", 12))
				goto bad;
			c->want = c->f->size;
			off = (end + 4 - c->head) - (c->head_len - take);
			c->state = C_BODY;
		}
		if (c->state == C_BODY && (size_t)n > off) {
			size_t len = n - off;

			if (c->got + len > c->want || !body_ok(s, c, buf + off, len))
				goto bad;
			c->got += len;
			s->bytes += len;
		}
		if (c->state == C_BODY && c->got == c->want) {
			s->completed++;
			/* Keep-alive unless asked to close; the server closes then. */
			if (strstr(c->head, "Connection: close"))
				client_close(s, c, ep, false);
			else
				c->state = C_IDLE;
			return;
		}
		if (c->reset_at_half && c->got > c->want / 2) {
			client_close(s, c, ep, true);
			return;
		}
		if (c->slow)
			return;	/* a slow reader: more next tick */
	}
	if (n < 0 && errno == EAGAIN)
		return;
	/* EOF or reset before the end: a fault (or the server's timeout). */
	s->cut++;
	client_close(s, c, ep, false);
	return;
bad:
	client_close(s, c, ep, true);
}

/*
 * TCP's memory in use, and how often since the soak began it was under
 * pressure, dropped, pruned or timed out (nstat, from iproute2).
 */
#define NSTAT_FILE "/tmp/nrtls_soak.nstat"
#define NSTAT "NSTAT_HISTORY=" NSTAT_FILE " nstat"
#define TCP_PRESSURE \
	"cat /proc/net/sockstat; " NSTAT " -s | " \
	"grep -E '^TcpExt.*(Memory|Prune|Drop|Collapse|Timeouts|Abort)'"

/* A command's output, a log line per line. */
static void __attribute__((format(printf, 2, 3)))
log_cmd(struct __test_metadata *_metadata, const char *fmt, ...)
{
	static char out[16384];
	char cmd[1024], *line, *save;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	nrtls_sh_out(out, sizeof(out), "%s", cmd);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		TH_LOG("%s", line);
}

/*
 * Why @fd stalled: what the module's queue for the server's end holds (its
 * peer port is our port; debugfs "queues"), both ends' TCP state, and the
 * stack's memory pressure and drops.
 */
static void show_stuck(struct __test_metadata *_metadata, int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char line[512], key[32];
	bool in = false, found = false;
	FILE *f;

	if (getsockname(fd, (struct sockaddr *)&sa, &len))
		return;
	snprintf(key, sizeof(key), ":%u state=", ntohs(sa.sin_port));
	f = fopen("/sys/kernel/debug/nrtls/queues", "r");
	if (!f) {
		TH_LOG("no queue dump: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "sq ", 3)) {
			in = strstr(line, key);
			found |= in;
		}
		if (in)
			TH_LOG("%.*s", (int)strcspn(line, "\n"), line);
	}
	fclose(f);
	if (!found)
		TH_LOG("the module has no queue for port %u", ntohs(sa.sin_port));
	log_cmd(_metadata, "ss -tinmH '( sport = :%u or dport = :%u )'; %s",
		ntohs(sa.sin_port), ntohs(sa.sin_port), TCP_PRESSURE);
}

/* The pages TCP has allocated now (/proc/net/sockstat), or -1. */
static long tcp_mem_pages(void)
{
	char line[256];
	long mem = -1;
	FILE *f = fopen("/proc/net/sockstat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *m = strstr(line, " mem ");

		if (!strncmp(line, "TCP:", 4) && m)
			mem = atol(m + 5);
	}
	fclose(f);
	return mem;
}

static void run(struct __test_metadata *_metadata, struct soak_state *s, int nconn, int secs)
{
	struct client *cl = calloc(nconn, sizeof(*cl));
	struct epoll_event evs[256];
	uint64_t end = now_ms() + secs * 1000ull, drain_end = 0, tick = 0;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_NE(NULL, cl);
	for (int i = 0; i < nconn; i++)
		cl[i].fd = -1;
	for (;;) {
		uint64_t now = now_ms();
		int n, busy = 0;

		if (!drain_end && now >= end) {
			s->stop = true;
			drain_end = now + DRAIN_MS;
		}
		for (int i = 0; i < nconn; i++) {
			struct client *c = &cl[i];

			if (c->state == C_IDLE && !drain_end)
				client_request(s, c, ep);
			if (c->state == C_IDLE)
				continue;
			busy++;
			if ((int64_t)(now - c->last_progress) > STUCK_MS) {
				TH_LOG("stuck: /%s, %llu of %llu bytes, %s reader",
				       c->f->name, (unsigned long long)c->got,
				       (unsigned long long)c->want, c->slow ? "slow" : "fast");
				show_stuck(_metadata, c->fd);
				s->stuck++;
				client_close(s, c, ep, true);
			} else if (c->slow && now - tick >= 50) {
				client_read(s, c, ep);
			}
		}
		if (now - tick >= 50) {
			long mem = tcp_mem_pages();

			if (mem > s->tcp_mem_peak)
				s->tcp_mem_peak = mem;
			tick = now;
		}
		if (drain_end && !busy)
			break;
		if (drain_end && now > drain_end) {
			TH_LOG("%d responses not done %d s after the end", busy, DRAIN_MS / 1000);
			s->stuck += busy;
			break;
		}
		n = epoll_wait(ep, evs, 256, 20);
		for (int i = 0; i < n; i++) {
			struct client *c = evs[i].data.ptr;

			if (c->fd >= 0 && !c->slow)
				client_read(s, c, ep);
		}
	}
	for (int i = 0; i < nconn; i++) {
		if (cl[i].fd >= 0)
			close(cl[i].fd);
	}
	close(ep);
	free(cl);
}

#define TCP_MEM "/proc/sys/net/ipv4/tcp_mem"

FIXTURE(soak) {
	char tcp_mem[64];	/* as found, to put back */
};

/*
 * A thousand connections with files of up to 4 MiB keep TCP at its
 * memory limit in a 3 GiB guest (tcp_mem is a sixteenth of memory): it
 * then drops what arrives and retransmits with backoff, and a connection
 * can hear nothing for a minute, the engine long done with it (seen on
 * 6.12 beside CPU hogs: under pressure all run, 20000 TCPTimeouts).  The
 * soak is about the engine, so TCP may use half the memory here; the
 * counters are logged.
 */
FIXTURE_SETUP(soak)
{
	long pages = sysconf(_SC_PHYS_PAGES);
	long lo, mid, hi;
	char val[64];
	FILE *f;

	f = fopen(TCP_MEM, "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(3, fscanf(f, "%ld %ld %ld", &lo, &mid, &hi));
	fclose(f);
	snprintf(self->tcp_mem, sizeof(self->tcp_mem), "%ld %ld %ld", lo, mid, hi);
	if (hi >= pages / 2)
		return;
	snprintf(val, sizeof(val), "%ld %ld %ld", pages / 4, pages * 3 / 8, pages / 2);
	ASSERT_EQ(0, nrtls_write_file(TCP_MEM, val));
	TH_LOG("tcp_mem %s, was %s (pages)", val, self->tcp_mem);
}

FIXTURE_TEARDOWN(soak)
{
	nrtls_fault_cmd("reset");
	if (self->tcp_mem[0])
		nrtls_write_file(TCP_MEM, self->tcp_mem);
}

/* 2400 s: make bench's 30 minutes and the drain after them. */
TEST_F_TIMEOUT(soak, serve_under_faults, 2400)
{
	const char *e = getenv("NRTLS_SOAK_SECS");
	int secs = e ? atoi(e) : 120, status;
	struct nrtls_disk disk;
	pthread_t drop, fault;
	struct soak_state s = { 0 };
	long hits = 0;

	if (nrtls_disk_create(&disk, 10, 256))
		SKIP(return, "no slow disk: %s", disk.skip);
	snprintf(s.root, sizeof(s.root), "%s/www", disk.mnt);
	ASSERT_EQ(0, mkdir(s.root, 0755));
	srand(getpid());
	ASSERT_EQ(0, make_files(&s));
	ASSERT_EQ(0, nrtls_fault_cmd("reset"));
	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++)
		hits -= nrtls_fault_hits(sites[i]);
	/*
	 * Turn the fault sites' static key on now, while the module is idle:
	 * the faulter's arming then patches no code under load.  Once, a
	 * CI guest (QEMU TCG, 6.12) died of an "Oops: int3" in
	 * nrtls_uring_cmd at a site patched as the load began.
	 */
	ASSERT_EQ(0, nrtls_fault_arm(sites[0], INT_MAX, 1));
	nrtls_sh(NSTAT " -n");
	ASSERT_EQ(0, start_server(&s)) TH_LOG("nrtls-serve did not start");
	ASSERT_EQ(0, pthread_create(&drop, NULL, dropper, &s));
	ASSERT_EQ(0, pthread_create(&fault, NULL, faulter, &s));
	TH_LOG("%d s, 1000 connections, %d files", secs, NCOLD + NHOT);
	run(_metadata, &s, 1000, secs);
	s.stop = true;
	pthread_join(drop, NULL);
	pthread_join(fault, NULL);
	nrtls_fault_cmd("reset");
	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++)
		hits += nrtls_fault_hits(sites[i]);
	TH_LOG("%ld faults injected", hits);
	TH_LOG("%llu requests, %llu complete, %llu MB, %llu connects, %llu client resets, "
	       "%llu cut short by the server, %llu stuck, %llu corrupt",
	       (unsigned long long)s.requests, (unsigned long long)s.completed,
	       (unsigned long long)(s.bytes >> 20), (unsigned long long)s.connects,
	       (unsigned long long)s.resets, (unsigned long long)s.cut,
	       (unsigned long long)s.stuck, (unsigned long long)s.corrupt);
	TH_LOG("TCP memory at most %ld pages", s.tcp_mem_peak);
	log_cmd(_metadata, "%s", TCP_PRESSURE);
	unlink(NSTAT_FILE);
	EXPECT_EQ(0, s.corrupt);
	EXPECT_EQ(0, s.stuck);
	EXPECT_LT(1000, s.completed);
	kill(s.server, SIGTERM);
	ASSERT_EQ(s.server, waitpid(s.server, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_TRUE(nrtls_wait_idle(60000)) {
		TH_LOG("left: %ld requests, %ld sockets, %ld segments",
		       nrtls_read_stat("counters", "requests"),
		       nrtls_read_stat("counters", "sockets"),
		       nrtls_read_stat("counters", "segments"));
	}
	nrtls_disk_destroy(&disk);
}

TEST_HARNESS_MAIN
