// SPDX-License-Identifier: GPL-2.0
/*
 * nrtls-bench: how much does a cold-cache client hurt a hot one?
 *
 * A one-thread file server answers "GET <path>\n" with an 8-byte length
 * and the file, using one of:
 *   sendfile  blocking sendfile(2) from an epoll loop
 *   splice    io_uring: IORING_OP_SEND, then IORING_OP_SPLICE file->pipe->socket
 *   nrtls     io_uring: IORING_OP_URING_CMD on /dev/nrtls (async sendfile)
 * Cold clients fetch files from a slow disk, dropping each from the page
 * cache once fetched, so that every fetch reads the disk; one hot client
 * fetches a small cached file in a loop and records its latency.
 * Prints one line per run: latency percentiles, cold throughput, threads.
 * --make-cold writes the cold files (--size bytes, --files per client).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/nrtls.h>

enum mode { M_SENDFILE, M_SPLICE, M_NRTLS };
static const char *const mode_names[] = { "sendfile", "splice", "nrtls" };

/*
 * How the server's ring runs completions' task work: "plain" (io_uring's
 * default) interrupts a running server with an IPI; "coop" runs it at the
 * server's next entry to the kernel; "defer" (what nrtls-serve uses) only
 * when it waits, so a cold client's completion never interrupts the
 * server while it serves the hot one.
 */
enum ring_mode { R_PLAIN, R_COOP, R_DEFER };
static const char *const ring_names[] = { "plain", "coop", "defer" };

static struct {
	enum mode mode;
	enum ring_mode ring;
	const char *cold_dir;	/* files cold-<client>-<n> */
	const char *hot;
	int cold_clients;
	int cold_nice;
	int alternate;		/* ms per phase of cold load on/off; 0: always on */
	int seconds;
	int port;
	/* CPUs of the server and hot client, the cold clients, io-wq; empty: any. */
	cpu_set_t hot_cpus, cold_cpus, iowq_cpus;
} opt = { .cold_clients = 8, .seconds = 10, .port = 7077 };

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* "0", "1-3", "0,2-3": into @set; 0, or -1 for anything else. */
static int parse_cpus(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	do {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s || a < 0 || a >= CPU_SETSIZE)
			return -1;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a || b >= CPU_SETSIZE)
				return -1;
		}
		for (long c = a; c <= b; c++)
			CPU_SET(c, set);
		s = end;
	} while (*s == ',' && s++);
	return *s ? -1 : 0;
}

/* The calling thread onto @set, unless it is empty. */
static void pin(const cpu_set_t *set)
{
	if (CPU_COUNT(set) && sched_setaffinity(0, sizeof(*set), set))
		die("sched_setaffinity");
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* --- the server ---------------------------------------------------------- */

#define MAXCONN 64
#define REQ_MAX 256

struct conn {
	int fd;
	char req[REQ_MAX];
	size_t len;
	/* splice mode */
	int file, pipe[2];
	uint64_t size, done;
	int inflight;
	uint64_t hdr;
	/* nrtls mode */
	struct nrtls_sendfile sf;
	struct nrtls_uring_cmd cmd;
};

static struct conn conns[MAXCONN];

static int listen_on(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (void *)&sin, sizeof(sin)) || listen(fd, 128))
		die("listen");
	return fd;
}

/* A complete request line in @c->req: open its file. */
static int request_file(struct conn *c, uint64_t *size)
{
	struct stat st;
	char *nl = memchr(c->req, '\n', c->len);
	int fd;

	if (!nl || strncmp(c->req, "GET ", 4))
		return -1;
	*nl = '\0';
	fd = open(c->req + 4, O_RDONLY);
	c->len = 0;
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*size = st.st_size;
	return fd;
}

static void serve_sendfile(int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[32];
	int ep = epoll_create1(0);

	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 32, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			struct conn *c;
			uint64_t size;
			ssize_t r;
			int file;

			if (fd == lfd) {
				int s = accept(lfd, NULL, NULL);

				if (s < 0 || s >= MAXCONN)
					die("accept");
				conns[s] = (struct conn){ .fd = s };
				ev.data.fd = s;
				epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
				continue;
			}
			c = &conns[fd];
			r = read(fd, c->req + c->len, REQ_MAX - c->len);
			if (r <= 0) {
				close(fd);
				continue;
			}
			c->len += r;
			file = request_file(c, &size);
			if (file < 0)
				continue;
			/* Blocking: this thread waits for the disk and the peer. */
			if (send(fd, &size, 8, MSG_MORE) != 8)
				die("write");
			for (off_t off = 0; off < (off_t)size;)
				if (sendfile(fd, file, &off, size - off) <= 0)
					break;
			close(file);
		}
	}
}

/* io_uring servers: user_data is conn index << 8 | operation. */
enum { OP_ACCEPT, OP_RECV, OP_SEND_HDR, OP_SPLICE_IN, OP_SPLICE_OUT, OP_NRTLS };

static struct io_uring ring;

static struct io_uring_sqe *get_sqe(void)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

	if (!sqe) {
		io_uring_submit(&ring);
		sqe = io_uring_get_sqe(&ring);
	}
	if (!sqe)
		die("sqe");
	return sqe;
}

static void arm_recv(int i)
{
	struct io_uring_sqe *sqe = get_sqe();

	io_uring_prep_recv(sqe, conns[i].fd, conns[i].req + conns[i].len,
			   REQ_MAX - conns[i].len, 0);
	io_uring_sqe_set_data64(sqe, (uint64_t)i << 8 | OP_RECV);
}

#define CHUNK (1 << 20)

static void splice_chunk(int i)
{
	struct conn *c = &conns[i];
	uint64_t n = c->size - c->done < CHUNK ? c->size - c->done : CHUNK;
	struct io_uring_sqe *sqe;

	sqe = get_sqe();
	io_uring_prep_splice(sqe, c->file, c->done, c->pipe[1], -1, n, 0);
	sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data64(sqe, (uint64_t)i << 8 | OP_SPLICE_IN);
	sqe = get_sqe();
	io_uring_prep_splice(sqe, c->pipe[0], -1, c->fd, -1, n, 0);
	io_uring_sqe_set_data64(sqe, (uint64_t)i << 8 | OP_SPLICE_OUT);
	c->inflight = 2;
	c->done += n;
}

static void start_response(int i, int dev)
{
	struct conn *c = &conns[i];
	struct io_uring_sqe *sqe;

	if (opt.mode == M_NRTLS) {
		c->hdr = c->size;
		c->sf = (struct nrtls_sendfile){
			.sock_fd = c->fd, .file_fd = c->file,
			.hdr = (uintptr_t)&c->hdr, .hdr_len = 8,
		};
		c->cmd = (struct nrtls_uring_cmd){ .addr = (uintptr_t)&c->sf,
						   .size = sizeof(c->sf) };
		sqe = get_sqe();
		memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = dev;
		sqe->cmd_op = NRTLS_URING_SENDFILE;
		memcpy(sqe->cmd, &c->cmd, sizeof(c->cmd));
		io_uring_sqe_set_data64(sqe, (uint64_t)i << 8 | OP_NRTLS);
		return;
	}
	c->hdr = c->size;
	c->done = 0;
	sqe = get_sqe();
	io_uring_prep_send(sqe, c->fd, &c->hdr, 8, MSG_MORE);
	io_uring_sqe_set_data64(sqe, (uint64_t)i << 8 | OP_SEND_HDR);
}

static void arm_accept(int lfd)
{
	struct io_uring_sqe *sqe = get_sqe();

	io_uring_prep_accept(sqe, lfd, NULL, NULL, 0);
	io_uring_sqe_set_data64(sqe, OP_ACCEPT);
}

static void serve_uring(int lfd)
{
	static const unsigned int flags[] = {
		[R_PLAIN] = 0,
		[R_COOP] = IORING_SETUP_COOP_TASKRUN,
		[R_DEFER] = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	};
	int dev = -1, err;

	err = io_uring_queue_init(256, &ring, flags[opt.ring]);
	if (err) {
		errno = -err;
		die("io_uring_queue_init");
	}
	if (CPU_COUNT(&opt.iowq_cpus)) {
		err = io_uring_register_iowq_aff(&ring, sizeof(opt.iowq_cpus),
						 &opt.iowq_cpus);
		if (err) {
			errno = -err;
			die("io_uring_register_iowq_aff");
		}
	}
	if (opt.mode == M_NRTLS) {
		dev = open(NRTLS_DEVICE, O_RDWR);
		if (dev < 0)
			die(NRTLS_DEVICE);
	}
	arm_accept(lfd);
	for (;;) {
		struct io_uring_cqe *cqe;
		int i, op, res;

		io_uring_submit_and_wait(&ring, 1);
		while (!io_uring_peek_cqe(&ring, &cqe)) {
			i = cqe->user_data >> 8;
			op = cqe->user_data & 0xff;
			res = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
			switch (op) {
			case OP_ACCEPT:
				if (res < 0 || res >= MAXCONN)
					die("accept");
				conns[res] = (struct conn){ .fd = res, .file = -1 };
				if (opt.mode == M_SPLICE) {
					if (pipe(conns[res].pipe))
						die("pipe");
					fcntl(conns[res].pipe[0], F_SETPIPE_SZ, CHUNK);
				}
				arm_recv(res);
				arm_accept(lfd);
				break;
			case OP_RECV:
				if (res <= 0) {
					close(conns[i].fd);
					break;
				}
				conns[i].len += res;
				conns[i].file = request_file(&conns[i], &conns[i].size);
				if (conns[i].file < 0)
					arm_recv(i);
				else
					start_response(i, dev);
				break;
			case OP_SEND_HDR:
				splice_chunk(i);
				break;
			case OP_SPLICE_IN:
			case OP_SPLICE_OUT:
				if (--conns[i].inflight)
					break;
				if (conns[i].done < conns[i].size) {
					splice_chunk(i);
					break;
				}
				close(conns[i].file);
				arm_recv(i);
				break;
			case OP_NRTLS:
				if (res < 0)
					fprintf(stderr, "nrtls: %s\n", strerror(-res));
				close(conns[i].file);
				arm_recv(i);
				break;
			}
		}
	}
}

/* --- clients ------------------------------------------------------------- */

static atomic_bool stop;
static atomic_ulong cold_bytes, cold_files;

/*
 * --alternate: the cold clients fetch only while the load is on, and the
 * hot client's samples go to the loaded or the unloaded set by the phase
 * they started and ended in, once the phase has settled (a quarter of it:
 * the cold reads going, or the last cold fetch over).  Both sets then come
 * from the same seconds of the same run, so that a machine whose speed
 * drifts from one run to the next (an emulated one does, by up to 1.6x
 * at p50 over ten seconds) weighs on both alike.
 */
static pthread_mutex_t phase_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t phase_cond = PTHREAD_COND_INITIALIZER;
static atomic_bool load_on = true;
static atomic_int cold_busy;		/* cold fetches under way */
static atomic_ullong settled_at;	/* when the current phase counts */
static atomic_int phase_seq;		/* bumped at every switch */

static int connect_server(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(opt.port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int tries = 0; connect(fd, (void *)&sin, sizeof(sin)); tries++) {
		if (tries > 100)
			die("connect");
		usleep(20000);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* One request; the bytes of the body, or -1. */
static long fetch(int fd, const char *path)
{
	static __thread char buf[1 << 16];
	char req[300];
	uint64_t size, got = 0;
	size_t have = 0;
	int n = snprintf(req, sizeof(req), "GET %s\n", path);

	if (write(fd, req, n) != n)
		return -1;
	while (have < 8) {
		ssize_t r = read(fd, (char *)&size + have, 8 - have);

		if (r <= 0)
			return -1;
		have += r;
	}
	while (got < size) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r <= 0)
			return -1;
		got += r;
	}
	return got;
}

/* The page cache forgets @path: its next fetch reads the disk again. */
static void drop_cache(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
}

static void *cold_client(void *arg)
{
	int id = (long)arg, fd = connect_server(), nfiles = 0;
	char path[300];

	pin(&opt.cold_cpus);
	/* Linux's nice is per thread: this client's, not the hot one's. */
	if (opt.cold_nice && setpriority(PRIO_PROCESS, gettid(), opt.cold_nice))
		die("setpriority");

	for (;; nfiles++) {
		snprintf(path, sizeof(path), "%s/cold-%d-%d", opt.cold_dir, id, nfiles);
		if (access(path, R_OK))
			break;
		drop_cache(path);
	}
	for (int n = 0; nfiles && !stop; n = (n + 1) % nfiles) {
		long got;

		pthread_mutex_lock(&phase_lock);
		while (!load_on && !stop)
			pthread_cond_wait(&phase_cond, &phase_lock);
		cold_busy++;
		pthread_mutex_unlock(&phase_lock);
		snprintf(path, sizeof(path), "%s/cold-%d-%d", opt.cold_dir, id, n);
		got = fetch(fd, path);
		if (got >= 0) {
			cold_bytes += got;
			cold_files++;
			drop_cache(path);
		}
		cold_busy--;
		if (got < 0)
			break;
	}
	close(fd);
	return NULL;
}

/* --make-cold: @files files of @size bytes per client, not compressible. */
static int make_cold(const char *dir, uint64_t size, int files, int clients)
{
	static uint64_t buf[1 << 17];
	uint64_t x = 88172645463325252ull;
	char path[300];

	for (int c = 0; c < clients; c++) {
		for (int n = 0; n < files; n++) {
			uint64_t left = size;
			int fd;

			snprintf(path, sizeof(path), "%s/cold-%d-%d", dir, c, n);
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0)
				return -1;
			while (left) {
				size_t len = left < sizeof(buf) ? left : sizeof(buf);

				for (size_t i = 0; i < (len + 7) / 8; i++) {
					x ^= x << 13;
					x ^= x >> 7;
					x ^= x << 17;
					buf[i] = x;
				}
				if (write(fd, buf, len) != (ssize_t)len) {
					close(fd);
					return -1;
				}
				left -= len;
			}
			if (fsync(fd) || close(fd))
				return -1;
		}
	}
	return 0;
}

struct lats {
	uint64_t *v;
	size_t n, cap;
};
static struct lats lat, ulat;	/* loaded (or all), unloaded (--alternate) */

static void add_lat(struct lats *l, uint64_t ns)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4096;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			die("realloc");
	}
	l->v[l->n++] = ns;
}

static void *hot_client(void *arg)
{
	int fd;

	(void)arg;
	pin(&opt.hot_cpus);
	fd = connect_server();
	while (!stop) {
		uint64_t t = now_ns(), d;
		int seq = phase_seq;
		bool on = load_on, idle = !cold_busy;

		if (fetch(fd, opt.hot) < 0)
			break;
		d = now_ns() - t;
		if (!opt.alternate)
			add_lat(&lat, d);
		else if (seq == phase_seq && t >= settled_at && (on || (idle && !cold_busy)))
			add_lat(on ? &lat : &ulat, d);
	}
	close(fd);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Threads of @pid, and kernel threads (children of kthreadd) overall. */
static void count_threads(pid_t pid, int *proc, int *kthreads)
{
	char path[300], line[256];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	*proc = 0;
	d = opendir(path);
	while (d && (de = readdir(d)))
		*proc += de->d_name[0] != '.';
	if (d)
		closedir(d);
	*kthreads = 0;
	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", de->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "PPid:", 5)) {
				*kthreads += atoi(line + 5) == 2;
				break;
			}
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nrtls-bench --mode sendfile|splice|nrtls --hot FILE [--cold-dir DIR]\n"
		"                   [--cold-clients N] [--cold-nice NICE] [--seconds S] [--port P]\n"
		"                   [--hot-cpus LIST] [--cold-cpus LIST] [--iowq-cpus LIST]\n"
		"                   [--ring plain|coop|defer] [--alternate MS]\n"
		"       nrtls-bench --make-cold DIR --size BYTES --files N [--cold-clients N]\n"
		"\n"
		"Runs a one-thread file server with the chosen send path, N cold clients\n"
		"fetching DIR/cold-<client>-<n> over and over, each dropped from the page\n"
		"cache once fetched, and one hot client fetching FILE in a loop.  Without\n"
		"--cold-dir, only the hot client runs.  --cold-nice runs the cold clients\n"
		"at that nice value (0-19, default 0), to tell how much of the hot tail\n"
		"is the clients' own CPU on a small machine.  --hot-cpus pins the server\n"
		"and the hot client, --cold-cpus the cold clients (as if they were other\n"
		"machines), --iowq-cpus io_uring's workers (IORING_REGISTER_IOWQ_AFF);\n"
		"LIST is like 0,2-3.  --ring: how an io_uring server runs completions:\n"
		"plain (the default: io_uring's), coop (IORING_SETUP_COOP_TASKRUN) or\n"
		"defer (IORING_SETUP_DEFER_TASKRUN, as nrtls-serve).  --alternate switches\n"
		"the cold load on and off every MS ms (10-60000) and sorts the hot\n"
		"client's samples by phase, a quarter of each phase left to settle: the\n"
		"unloaded reference from the same run, so that drift of the machine's\n"
		"speed from run to run is not taken for the load's cost.\n"
		"Prints: mode, cold clients, hot requests, p50, p99 and max latency (us),\n"
		"cold MB/s, most server threads, most kernel threads (over the start);\n"
		"with --alternate, the load-on phases' figures, then the unloaded\n"
		"phases' hot requests, p50, p99 and max (0 - - - when the cold\n"
		"fetches outlasted every phase).\n"
		"--make-cold writes N files of BYTES for each of the cold clients.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mode", 1, NULL, 'm' }, { "hot", 1, NULL, 'h' },
		{ "cold-dir", 1, NULL, 'd' }, { "cold-clients", 1, NULL, 'n' },
		{ "seconds", 1, NULL, 's' }, { "port", 1, NULL, 'p' },
		{ "make-cold", 1, NULL, 'M' }, { "size", 1, NULL, 'S' },
		{ "files", 1, NULL, 'F' }, { "cold-nice", 1, NULL, 'N' },
		{ "hot-cpus", 1, NULL, 'c' }, { "cold-cpus", 1, NULL, 'C' },
		{ "iowq-cpus", 1, NULL, 'w' }, { "ring", 1, NULL, 'r' },
		{ "alternate", 1, NULL, 'a' }, { "help", 0, NULL, 'H' }, { 0 },
	};
	const char *make_dir = NULL;
	uint64_t make_size = 0;
	int make_files = 0;
	pthread_t hot, cold[MAXCONN];
	int c, lfd, kt0, kt1, pt, ptmax = 0, ktmax = 0, ncold;
	uint64_t t0, t, wake, now, end, next_phase, next_count;
	pid_t srv;

	opt.mode = -1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			for (int i = 0; i < 3; i++)
				if (!strcmp(optarg, mode_names[i]))
					opt.mode = i;
			break;
		case 'r':
			opt.ring = -1;
			for (int i = 0; i < 3; i++)
				if (!strcmp(optarg, ring_names[i]))
					opt.ring = i;
			break;
		case 'h': opt.hot = optarg; break;
		case 'd': opt.cold_dir = optarg; break;
		case 'n': opt.cold_clients = atoi(optarg); break;
		case 's': opt.seconds = atoi(optarg); break;
		case 'p': opt.port = atoi(optarg); break;
		case 'M': make_dir = optarg; break;
		case 'S': make_size = strtoull(optarg, NULL, 0); break;
		case 'F': make_files = atoi(optarg); break;
		case 'N': opt.cold_nice = atoi(optarg); break;
		case 'a': opt.alternate = atoi(optarg); break;
		case 'c':
		case 'C':
		case 'w':
			if (parse_cpus(optarg, c == 'c' ? &opt.hot_cpus :
					       c == 'C' ? &opt.cold_cpus : &opt.iowq_cpus)) {
				fprintf(stderr, "nrtls-bench: bad CPU list '%s'\n", optarg);
				return 2;
			}
			break;
		case 'H': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (make_dir) {
		if (!make_size || make_files <= 0 || opt.cold_clients <= 0) {
			usage(stderr);
			return 2;
		}
		if (make_cold(make_dir, make_size, make_files, opt.cold_clients))
			die(make_dir);
		return 0;
	}
	if ((int)opt.mode < 0 || (int)opt.ring < 0 || !opt.hot ||
	    opt.cold_clients < 0 || opt.cold_clients > MAXCONN - 8 || opt.seconds <= 0 ||
	    opt.cold_nice < 0 || opt.cold_nice > 19 ||
	    (opt.alternate && (!opt.cold_dir || opt.alternate < 10 || opt.alternate > 60000))) {
		usage(stderr);
		return 2;
	}
	ncold = opt.cold_dir ? opt.cold_clients : 0;

	lfd = listen_on(opt.port);
	srv = fork();
	if (!srv) {
		pin(&opt.hot_cpus);
		if (opt.mode == M_SENDFILE)
			serve_sendfile(lfd);
		else
			serve_uring(lfd);
		return 0;
	}
	close(lfd);
	signal(SIGPIPE, SIG_IGN);
	/* This thread's look at /proc every 100 ms is not the server's work. */
	pin(&opt.cold_cpus);
	count_threads(srv, &pt, &kt0);

	t0 = now_ns();
	for (long i = 0; i < ncold; i++)
		pthread_create(&cold[i], NULL, cold_client, (void *)i);
	/* Let the cold clients get their reads going first. */
	usleep(ncold ? 200000 : 0);
	pthread_create(&hot, NULL, hot_client, NULL);
	/*
	 * By the clock, not by turns: this thread shares the cold clients'
	 * CPUs, and under their load its 100 ms sleeps took twice as long.
	 */
	end = now_ns() + opt.seconds * 1000000000ull;
	next_phase = now_ns() + opt.alternate * 1000000ull;
	settled_at = now_ns() + opt.alternate * 250000ull;
	next_count = now_ns();
	while ((t = now_ns()) < end) {
		if (opt.alternate && t >= next_phase) {
			pthread_mutex_lock(&phase_lock);
			load_on = !load_on;
			phase_seq++;
			settled_at = t + opt.alternate * 250000ull;
			pthread_cond_broadcast(&phase_cond);
			pthread_mutex_unlock(&phase_lock);
			next_phase = t + opt.alternate * 1000000ull;
		}
		if (t >= next_count) {
			count_threads(srv, &pt, &kt1);
			ptmax = pt > ptmax ? pt : ptmax;
			ktmax = kt1 - kt0 > ktmax ? kt1 - kt0 : ktmax;
			next_count = t + 100000000ull;
		}
		wake = opt.alternate && next_phase < next_count ? next_phase : next_count;
		wake = wake < end ? wake : end;
		now = now_ns();
		if (wake > now)
			usleep((wake - now) / 1000 + 1);
	}
	pthread_mutex_lock(&phase_lock);
	stop = true;
	pthread_cond_broadcast(&phase_cond);
	pthread_mutex_unlock(&phase_lock);
	/* The server may be stuck in a read for a cold client: kill it first. */
	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
	pthread_join(hot, NULL);
	for (int i = 0; i < ncold; i++)
		pthread_join(cold[i], NULL);

	if (!lat.n) {
		printf("%-8s %3d %7d %9s %9s %9s %8.1f %4d %4d\n", mode_names[opt.mode],
		       ncold, 0, "-", "-", "-", 0.0, ptmax, ktmax);
		return 1;
	}
	qsort(lat.v, lat.n, sizeof(*lat.v), cmp_u64);
	printf("%-8s %3d %7zu %9.0f %9.0f %9.0f %8.1f %4d %4d", mode_names[opt.mode],
	       ncold, lat.n, lat.v[lat.n / 2] / 1e3, lat.v[lat.n * 99 / 100] / 1e3,
	       lat.v[lat.n - 1] / 1e3, cold_bytes / 1e6 / ((now_ns() - t0) / 1e9), ptmax,
	       ktmax);
	/* No load-off sample: the cold fetches outlasted every phase. */
	if (opt.alternate && !ulat.n) {
		printf(" %7d %9s %9s %9s", 0, "-", "-", "-");
	} else if (opt.alternate) {
		qsort(ulat.v, ulat.n, sizeof(*ulat.v), cmp_u64);
		printf(" %7zu %9.0f %9.0f %9.0f", ulat.n, ulat.v[ulat.n / 2] / 1e3,
		       ulat.v[ulat.n * 99 / 100] / 1e3, ulat.v[ulat.n - 1] / 1e3);
	}
	printf("\n");
	return 0;
}
