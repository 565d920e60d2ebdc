// SPDX-License-Identifier: GPL-2.0
/*
 * nrtls-serve's event loop.  Each thread owns a ring, its own listening
 * sockets (SO_REUSEPORT) and its connections; nothing is shared but the
 * statistics.  Plain connections read with multishot recv into provided
 * buffers; TLS connections are driven by poll and OpenSSL; responses go
 * out through libnrtls (nrtls.ko, or splice, or SSL_write when kTLS could
 * not be set up).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>
#include <openssl/err.h>
#include <systemd/sd-daemon.h>

#include "files.h"
#include "http.h"
#include "libnrtls.h"
#include "mime.h"
#include "response.h"
#include "server.h"
#include "stats.h"
#include "tcpinfo.h"

#define NBUFS		1024	/* provided receive buffers per thread */
#define BUF_SIZE	4096
#define BGID		1
#define HEAD_MAX	1024	/* a response head */
#define STATS_PATH	"/.nrtls/stats"
#define METRICS_PATH	"/.nrtls/metrics"
#define METRICS_MAX	4096
#define SQ_ENTRIES	4096	/* each ring's submission queue */
#define CQ_MAX		65536	/* the most CQ entries the kernel gives a ring */

enum kind { K_ACCEPT, K_RECV, K_POLL, K_TIMER, K_WAKE, K_CANCEL };

struct conn {
	int fd;
	bool used, tls, handshaking, closing, eof;
	bool recv_armed, poll_armed, responding, keep_alive;
	bool recv_paused;		/* its multishot recv is being cancelled */
	bool shut_wr;			/* the last response shuts the write side */
	bool ktls_rx;			/* the kernel decrypts the requests */
	bool rx_self;			/* ... set up by libnrtls: no SSL_read */
	bool tls_more;			/* reading stopped with in full: more may wait */
	unsigned int pending;		/* SQEs and operations in flight */
	SSL *ssl;
	char *in;			/* request bytes, up to max_head */
	size_t in_len;
	char *spill;			/* received bytes that in had no room for */
	size_t spill_len, spill_cap;
	uint64_t deadline;		/* ms; 0: none */
	uint64_t head_start;		/* ms: the awaited head's clock; 0: idle */
	uint64_t acked;			/* bytes the peer had acked at the last check */
	uint64_t progress;		/* ms of the last change */
	struct nrtls_op op;
	char head[HEAD_MAX];
	char *out;			/* a larger response than head holds, or NULL */
	int file;
	/* for the access log, escaped */
	char peer[64], line[300], referer[160], agent[160];
	uint32_t hdr_len;
	int status;
	uint64_t t0;
};

struct worker {
	int id;
	pthread_t thread;
	struct io_uring ring;
	struct nrtls *nrtls;
	int lfd[MAX_LISTEN];		/* cfg->listen[i]; -1 once closed */
	bool accepting[MAX_LISTEN];
	int naccepting;
	int wake;			/* eventfd: stop */
	uint64_t wake_val;
	struct io_uring_buf_ring *br;
	char *bufs;
	bool recv_starved;		/* ran out of buffers: re-arm on the timer */
	struct conn *conns;
	unsigned int max, live;
	unsigned int *free_slots, nfree;
	struct __kernel_timespec tick;
	uint64_t now, stop_at;
	bool stopping;
};

static struct server_config *cfg;
static struct worker *workers;
static const struct http_limits *limits;

/*
 * The TLS context new connections get: SIGHUP replaces it.  A connection's
 * SSL holds a reference to the context it was made from, so those in
 * flight keep theirs.
 */
static pthread_mutex_t tls_lock = PTHREAD_MUTEX_INITIALIZER;
static SSL_CTX *tls_ctx;

static SSL *tls_new(void)
{
	SSL_CTX *ctx;
	SSL *ssl;

	/* Only the reference under the lock: SSL_new() allocates. */
	pthread_mutex_lock(&tls_lock);
	ctx = tls_ctx;
	SSL_CTX_up_ref(ctx);
	pthread_mutex_unlock(&tls_lock);
	ssl = SSL_new(ctx);
	SSL_CTX_free(ctx);
	return ssl;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static uint64_t ud(unsigned int idx, enum kind k)
{
	return (uint64_t)idx << 8 | k << 1;
}

static struct io_uring_sqe *sqe_get(struct worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) {
		io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
	}
	if (!sqe) {
		/* Sized so that this cannot happen; a bug if it does. */
		fprintf(stderr, "nrtls-serve: submission queue full\n");
		abort();
	}
	return sqe;
}

/* --- connections ---------------------------------------------------------- */

static void conn_close(struct worker *w, struct conn *c);

static void arm_recv(struct worker *w, struct conn *c)
{
	struct io_uring_sqe *sqe;

	/* Not while bytes wait in the spill: they go first. */
	if (c->recv_armed || c->closing || c->spill_len)
		return;
	sqe = sqe_get(w);
	io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	io_uring_sqe_set_data64(sqe, ud(c - w->conns, K_RECV));
	c->recv_armed = true;
	c->pending++;
}

static void arm_poll(struct worker *w, struct conn *c, short events)
{
	struct io_uring_sqe *sqe;

	if (c->poll_armed || c->closing)
		return;
	sqe = sqe_get(w);
	io_uring_prep_poll_add(sqe, c->fd, events);
	io_uring_sqe_set_data64(sqe, ud(c - w->conns, K_POLL));
	c->poll_armed = true;
	c->pending++;
}

static void conn_free(struct worker *w, struct conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->file >= 0)
		close(c->file);
	close(c->fd);
	free(c->in);
	free(c->spill);
	free(c->out);
	c->out = NULL;
	c->used = false;
	w->free_slots[w->nfree++] = c - w->conns;
	w->live--;
	stats.conns_open--;
}

/*
 * Closing waits for every SQE of the connection: shutdown() makes pending
 * recvs and polls complete, and a response in flight fail.  A last
 * response that shuts the write side itself may still be queued in the
 * module behind reads: only the read side is shut under it.
 */
static void conn_close(struct worker *w, struct conn *c)
{
	if (!c->closing) {
		c->closing = true;
		if (c->pending)
			shutdown(c->fd, c->shut_wr ? SHUT_RD : SHUT_RDWR);
	}
	if (!c->pending)
		conn_free(w, c);
}

/*
 * Waiting for a request.  A head must be complete within --header-timeout
 * of its first byte, however slowly it trickles in, and a connection's
 * first request within that of the connection being ready for it
 * (accepted, or its TLS handshake done); between requests, the
 * connection may idle for --idle-timeout.
 */
static void set_idle(struct worker *w, struct conn *c)
{
	if (c->in_len && !c->head_start)
		c->head_start = w->now;
	c->deadline = c->head_start ? c->head_start + cfg->header_timeout * 1000ull
				    : w->now + cfg->idle_timeout * 1000ull;
}

/*
 * Copy @len bytes of a request into a log field as nginx escapes them: a
 * quote, a backslash and bytes outside printable ASCII become \xHH, so
 * that a client cannot forge fields or lines.  Cut to fit; "-" if empty.
 */
static void log_field(char *dst, size_t size, const char *src, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = src[i];

		if (ch == '"' || ch == '\\' || ch < 0x20 || ch > 0x7e) {
			if (o + 4 >= size)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[ch >> 4];
			dst[o++] = hex[ch & 15];
		} else {
			if (o + 1 >= size)
				break;
			dst[o++] = ch;
		}
	}
	if (!o)
		dst[o++] = '-';
	dst[o] = '\0';
}

/*
 * The "combined" format (Apache's and nginx's default, which log
 * analysers parse); the count is of body bytes sent.  --log-format timing
 * adds the milliseconds taken and the path the body took.
 */
static void log_request(struct conn *c, uint64_t bytes)
{
	char when[40];
	time_t t = time(NULL);
	struct tm tm;

	if (!cfg->access_log)
		return;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	bytes = bytes > c->hdr_len ? bytes - c->hdr_len : 0;
	if (!cfg->log_timing) {
		fprintf(cfg->access_log, "%s - - [%s] \"%s\" %d %" PRIu64 " \"%s\" \"%s\"\n",
			c->peer, when, c->line, c->status, bytes, c->referer, c->agent);
		return;
	}
	fprintf(cfg->access_log, "%s - - [%s] \"%s\" %d %" PRIu64 " \"%s\" \"%s\" %" PRIu64 "ms %s%s%s\n",
		c->peer, when, c->line, c->status, bytes, c->referer, c->agent,
		now_ms() - c->t0, c->tls ? "tls:" : "", nrtls_op_path_name(&c->op),
		!c->tls ? "" : c->ktls_rx ? " rx:kernel" : " rx:user");
}

static void process(struct worker *w, struct conn *c);
static void tls_read(struct worker *w, struct conn *c);

/*
 * Hand the head (and file range) to libnrtls.  False if it failed at once:
 * the connection is closed then, and may be freed (c->in with it), so the
 * caller must not touch it again.
 */
static bool respond(struct worker *w, struct conn *c, const struct response *r,
		    int file, bool keep_alive)
{
	const char *buf = c->out ? c->out : c->head, *hend;
	int ret;

	c->status = r->status;
	/* The log counts body bytes: an error's body is in the head buffer. */
	hend = memmem(buf, r->head_len, "\r\n\r\n", 4);
	c->hdr_len = hend ? (size_t)(hend + 4 - buf) : r->head_len;
	c->keep_alive = keep_alive && !w->stopping;
	c->shut_wr = !c->keep_alive;
	c->file = file;
	c->op = (struct nrtls_op){
		.sock = c->fd,
		.file = file,
		.offset = r->offset,
		.count = file >= 0 ? r->length : 0,
		.hdr = buf,
		.hdr_len = r->head_len,
		/*
		 * Complete once handed to TCP: what is written next (a head
		 * sent directly) must not overtake data nrtls still queues.
		 * The last response instead completes once queued, and the
		 * FIN follows its last byte (the socket may be closed before).
		 */
		.flags = c->keep_alive ? NRTLS_SF_WAIT_SENT : NRTLS_SF_SHUT_WR,
		.ssl = c->tls ? c->ssl : NULL,
		.data = c,
	};
	ret = nrtls_sendfile(w->nrtls, &c->op);
	if (ret) {
		c->status = 500;
		log_request(c, 0);
		conn_close(w, c);
		return false;
	}
	c->responding = true;
	c->pending++;
	c->acked = 0;
	c->progress = w->now;
	c->deadline = 0;
	stats.requests++;
	stats.status[r->status / 100 % 6]++;
	return true;
}

static bool respond_error(struct worker *w, struct conn *c, int status)
{
	struct response r;

	response_error(status, false, c->head, sizeof(c->head), &r);
	c->in_len = 0;	/* nothing after a bad request is trusted */
	c->spill_len = 0;
	return respond(w, c, &r, -1, false);
}

/*
 * --precompressed (nginx's gzip_static): a file's .br or .gz sibling goes
 * out instead of it, through the same sendfile path, when the client takes
 * that coding.  Not for a directory's index.html.  Swaps *@fd and *@st;
 * returns the coding, or NULL.
 */
static const char *precompressed(const struct http_request *req, const char *path,
				 const char *name, int *fd, struct stat *st)
{
	static const char *const codings[][2] = { { "br", ".br" }, { "gzip", ".gz" } };
	struct stat sst;

	if (!cfg->precompressed || !req->accept_encoding || strcmp(path, name))
		return NULL;
	for (size_t i = 0; i < sizeof(codings) / sizeof(codings[0]); i++) {
		int sfd;

		if (!http_accepts(req->accept_encoding, req->accept_encoding_len, codings[i][0]))
			continue;
		sfd = files_open_sibling(cfg->root_fd, path, codings[i][1], &sst);
		if (sfd < 0)
			continue;
		close(*fd);
		*fd = sfd;
		*st = sst;
		return codings[i][0];
	}
	return NULL;
}

/* The response to @req; false as respond()'s. */
static bool handle(struct worker *w, struct conn *c, const struct http_request *req)
{
	char path[4096], name[4096];
	struct response r;
	struct stat st;
	const char *encoding;
	int fd, ret;

	if (req->has_body) {
		return respond_error(w, c, 413);
	}
	if (req->method == HTTP_OTHER) {
		response_error(405, req->keep_alive, c->head, sizeof(c->head), &r);
		return respond(w, c, &r, -1, req->keep_alive);
	}
	if (cfg->stats_endpoint && req->target_len == strlen(STATS_PATH) &&
	    !memcmp(req->target, STATS_PATH, req->target_len)) {
		char body[800];

		stats_json(body, sizeof(body));
		response_body("application/json", body, req->keep_alive, c->head,
			      sizeof(c->head), &r);
		if (req->method == HTTP_HEAD)
			r.head_len -= strlen(body);
		return respond(w, c, &r, -1, req->keep_alive);
	}
	if (cfg->stats_endpoint && req->target_len == strlen(METRICS_PATH) &&
	    !memcmp(req->target, METRICS_PATH, req->target_len)) {
		char body[METRICS_MAX - 512];
		size_t n = stats_prometheus(body, sizeof(body), NRTLS_VERSION);

		c->out = malloc(METRICS_MAX);
		if (!c->out) {
			return respond_error(w, c, 503);
		}
		response_body("text/plain; version=0.0.4", body, req->keep_alive, c->out,
			      METRICS_MAX, &r);
		if (req->method == HTTP_HEAD)
			r.head_len -= n;
		return respond(w, c, &r, -1, req->keep_alive);
	}
	ret = http_target_path(req->target, req->target_len, path, sizeof(path));
	if (!ret && !cfg->dotfiles && http_path_hidden(path))
		ret = -403;
	fd = ret ? ret : files_open(cfg->root_fd, path,
				    http_target_dir(req->target, req->target_len), &st,
				    name, sizeof(name));
	if (fd == -301) {
		char loc[HEAD_MAX / 2];

		/* A Location that would not fit in the head: too long a URI. */
		if (http_dir_location(path, req->target, req->target_len, loc, sizeof(loc))) {
			response_redirect(loc, req->keep_alive, c->head, sizeof(c->head), &r);
			return respond(w, c, &r, -1, req->keep_alive);
		}
		fd = -414;
	}
	if (fd < 0) {
		response_error(-fd, req->keep_alive, c->head, sizeof(c->head), &r);
		return respond(w, c, &r, -1, req->keep_alive);
	}
	encoding = precompressed(req, path, name, &fd, &st);
	response_file(req, &st, mime_type(name), encoding, req->keep_alive, c->head,
		      sizeof(c->head), &r);
	if (!r.length) {
		close(fd);
		fd = -1;
	}
	return respond(w, c, &r, fd, req->keep_alive);
}

/* Move what the spill holds into the request buffer, as far as it has room. */
static void unspill(struct conn *c)
{
	size_t room = cfg->max_head - c->in_len;
	size_t k = c->spill_len < room ? c->spill_len : room;

	if (!k)
		return;
	memcpy(c->in + c->in_len, c->spill, k);
	c->in_len += k;
	memmove(c->spill, c->spill + k, c->spill_len - k);
	c->spill_len -= k;
}

/* Serve every complete request in the buffer, one at a time. */
static void process(struct worker *w, struct conn *c)
{
	struct http_request req;
	char line[240];
	int n;

	if (c->responding || c->closing || c->handshaking)
		return;
	unspill(c);
	n = http_parse(c->in, c->in_len, limits, &req);
	if (n < 0) {
		log_field(c->line, sizeof(c->line), "", 0);
		log_field(c->referer, sizeof(c->referer), "", 0);
		log_field(c->agent, sizeof(c->agent), "", 0);
		c->t0 = w->now;
		respond_error(w, c, -n);
		return;
	}
	if (!n) {
		if (c->eof || w->stopping) {
			conn_close(w, c);
			return;
		}
		set_idle(w, c);
		/*
		 * Over TLS, once a full buffer stopped the reading, OpenSSL
		 * may hold decrypted requests already: no POLLIN would say so.
		 */
		if (c->tls && c->tls_more)
			tls_read(w, c);
		else if (c->tls)
			arm_poll(w, c, POLLIN);
		else
			arm_recv(w, c);
		return;
	}
	c->t0 = w->now;
	c->head_start = 0;	/* the next head's clock starts with its first byte */
	snprintf(line, sizeof(line), "%.*s %.*s HTTP/1.%d", (int)req.method_len,
		 req.method_str, (int)(req.target_len < 200 ? req.target_len : 200),
		 req.target, req.minor);
	log_field(c->line, sizeof(c->line), line, strlen(line));
	log_field(c->referer, sizeof(c->referer), req.referer, req.referer_len);
	log_field(c->agent, sizeof(c->agent), req.user_agent, req.user_agent_len);
	/* Closed (and perhaps freed) if the response failed at once. */
	if (!handle(w, c, &req))
		return;
	/* The head is parsed and copied into the response: drop it. */
	if (c->in_len >= (size_t)n) {
		memmove(c->in, c->in + n, c->in_len - n);
		c->in_len -= n;
	}
}

static void response_done(struct worker *w, struct nrtls_op *op)
{
	struct conn *c = op->data;
	uint64_t want = op->hdr_len + op->count;

	c->pending--;
	c->responding = false;
	if (c->file >= 0) {
		close(c->file);
		c->file = -1;
	}
	free(c->out);
	c->out = NULL;
	stats.bytes += op->res > 0 ? op->res : 0;
	switch (nrtls_op_path(op)) {
	case NRTLS_OP_MODULE:
		stats.path_module++;
		break;
	case NRTLS_OP_SPLICE:
		stats.path_splice++;
		break;
	case NRTLS_OP_TLS_USER:
		stats.path_tls_user++;
		break;
	}
	log_request(c, op->res > 0 ? op->res : 0);
	if (op->res < 0 || (uint64_t)op->res != want || !c->keep_alive || c->closing) {
		/* Cut short: no FIN that would make it look complete. */
		if (op->res < 0 || (uint64_t)op->res != want)
			c->shut_wr = false;
		conn_close(w, c);
		return;
	}
	process(w, c);
}

/* --- TLS ----------------------------------------------------------------- */

/*
 * Read requests until the buffer is full or nothing more is there, then
 * serve them.  A full buffer never leaves process() wanting more (it
 * holds a request, or too large a head), so the two recurse once at most.
 */
static void tls_read(struct worker *w, struct conn *c)
{
	c->tls_more = false;
	if (c->rx_self) {
		while (c->in_len < cfg->max_head) {
			ssize_t n = nrtls_tls_recv(c->fd, c->in + c->in_len,
						   cfg->max_head - c->in_len);

			if (n > 0) {
				c->in_len += n;
				continue;
			}
			/* close_notify, reset, bad record, a key update */
			c->eof = n != -EAGAIN;
			goto parse;
		}
		c->tls_more = true;
		goto parse;
	}
	while (c->in_len < cfg->max_head) {
		int n;

		ERR_clear_error();
		n = SSL_read(c->ssl, c->in + c->in_len, cfg->max_head - c->in_len);
		if (n > 0) {
			c->in_len += n;
			continue;
		}
		switch (SSL_get_error(c->ssl, n)) {
		case SSL_ERROR_WANT_READ:
			goto parse;
		case SSL_ERROR_WANT_WRITE:
			arm_poll(w, c, POLLOUT);
			return;
		default:	/* close_notify, reset, bad record */
			c->eof = true;
			goto parse;
		}
	}
	c->tls_more = true;
parse:
	process(w, c);
}

static void tls_continue(struct worker *w, struct conn *c)
{
	unsigned int k;

	switch (nrtls_tls_handshake(c->ssl)) {
	case NRTLS_TLS_WANT_READ:
		arm_poll(w, c, POLLIN);
		return;
	case NRTLS_TLS_WANT_WRITE:
		arm_poll(w, c, POLLOUT);
		return;
	case NRTLS_TLS_FAILED:
		stats.tls_failed++;
		conn_close(w, c);
		return;
	case NRTLS_TLS_DONE:
		break;
	}
	c->handshaking = false;
	c->head_start = w->now;
	stats.tls_handshakes++;
	k = nrtls_tls_ktls_rx(c->ssl);
	if (k & NRTLS_KTLS_TX)
		stats.ktls_tx++;
	c->ktls_rx = k & NRTLS_KTLS_RX;
	c->rx_self = k & NRTLS_KTLS_RX_SELF;
	if (c->ktls_rx)
		stats.ktls_rx++;
	tls_read(w, c);
}

/* --- events -------------------------------------------------------------- */

static void arm_accept(struct worker *w, int which)
{
	struct io_uring_sqe *sqe = sqe_get(w);

	io_uring_prep_multishot_accept(sqe, w->lfd[which], NULL, NULL,
				       SOCK_NONBLOCK | SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, ud(which, K_ACCEPT));
	w->accepting[which] = true;
	w->naccepting++;
}

static void on_accept(struct worker *w, int which, int fd, bool more)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	struct conn *c;
	int one = 1;

	if (!more) {
		w->accepting[which] = false;
		w->naccepting--;
		/* Out of fds or memory: try again on the next tick, not now. */
		if (!w->stopping && fd >= 0)
			arm_accept(w, which);
	}
	if (fd < 0)
		return;
	if (!w->nfree || w->stopping) {
		stats.conns_rejected++;
		close(fd);
		return;
	}
	c = &w->conns[w->free_slots[--w->nfree]];
	*c = (struct conn){ .fd = fd, .used = true, .file = -1, .tls = cfg->listen[which].tls };
	c->in = malloc(cfg->max_head);
	if (!c->in) {
		close(fd);
		w->nfree++;
		c->used = false;
		return;
	}
	w->live++;
	stats.conns_open++;
	stats.conns_total++;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!getpeername(fd, (struct sockaddr *)&sa, &salen)) {
		char ip[INET6_ADDRSTRLEN] = "?";

		if (sa.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, ip, sizeof(ip));
		else
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, ip, sizeof(ip));
		snprintf(c->peer, sizeof(c->peer), "%s", ip);
	}
	/* The TLS handshake, then the first request, within --header-timeout. */
	c->head_start = w->now;
	set_idle(w, c);
	if (c->tls) {
		c->ssl = tls_new();
		if (!c->ssl || !SSL_set_fd(c->ssl, fd)) {
			conn_close(w, c);
			return;
		}
		SSL_set_accept_state(c->ssl);
		c->handshaking = true;
		tls_continue(w, c);
	} else {
		arm_recv(w, c);
	}
}

static void recycle_buf(struct worker *w, unsigned int bid)
{
	io_uring_buf_ring_add(w->br, w->bufs + bid * BUF_SIZE, BUF_SIZE, bid,
			      io_uring_buf_ring_mask(NBUFS), 0);
	io_uring_buf_ring_advance(w->br, 1);
}

/*
 * The request buffer is full (requests pipelined behind one in progress):
 * stop receiving until it has room, so that TCP holds the rest back.
 * What the recv still brings before it stops goes to the spill.
 */
static void pause_recv(struct worker *w, struct conn *c)
{
	struct io_uring_sqe *sqe;

	if (!c->recv_armed || c->recv_paused)
		return;
	sqe = sqe_get(w);
	io_uring_prep_cancel64(sqe, ud(c - w->conns, K_RECV), 0);
	io_uring_sqe_set_data64(sqe, ud(0, K_CANCEL));
	c->recv_paused = true;
}

/*
 * Received bytes: into the request buffer, the rest (in order) to the
 * spill.  False if there is no memory for them.
 */
static bool take_bytes(struct worker *w, struct conn *c, const char *p, size_t len)
{
	size_t room = c->spill_len ? 0 : cfg->max_head - c->in_len;
	size_t k = len < room ? len : room;

	memcpy(c->in + c->in_len, p, k);
	c->in_len += k;
	if (k == len)
		return true;
	if (c->spill_len + len - k > c->spill_cap) {
		size_t cap = c->spill_cap ? c->spill_cap : BUF_SIZE;
		char *n;

		while (cap < c->spill_len + len - k)
			cap *= 2;
		n = realloc(c->spill, cap);
		if (!n)
			return false;
		c->spill = n;
		c->spill_cap = cap;
	}
	memcpy(c->spill + c->spill_len, p + k, len - k);
	c->spill_len += len - k;
	pause_recv(w, c);
	return true;
}

static void on_recv(struct worker *w, struct conn *c, int res, unsigned int flags)
{
	bool paused = c->recv_paused, lost = false;

	if (!(flags & IORING_CQE_F_MORE)) {
		c->recv_armed = false;
		c->recv_paused = false;
		c->pending--;
	}
	if (flags & IORING_CQE_F_BUFFER) {
		unsigned int bid = flags >> IORING_CQE_BUFFER_SHIFT;

		if (res > 0 && !c->closing)
			lost = !take_bytes(w, c, w->bufs + bid * BUF_SIZE, res);
		recycle_buf(w, bid);
	}
	if (c->closing || lost) {
		conn_close(w, c);
		return;
	}
	if (res == -ENOBUFS) {
		w->recv_starved = true;	/* re-armed on the next tick */
		return;
	}
	/* Stopped by pause_recv(), not the end of the stream: re-armed by process(). */
	if (res <= 0 && !(res == -ECANCELED && paused))
		c->eof = true;
	if (!c->responding)
		process(w, c);
	else if (c->eof && !c->recv_armed)
		return;	/* closed after the response */
}

static void on_poll(struct worker *w, struct conn *c)
{
	c->poll_armed = false;
	c->pending--;
	if (c->closing) {
		conn_close(w, c);
		return;
	}
	if (c->handshaking)
		tls_continue(w, c);
	else if (!c->responding)
		tls_read(w, c);
}

static void arm_timer(struct worker *w)
{
	struct io_uring_sqe *sqe = sqe_get(w);

	io_uring_prep_timeout(sqe, &w->tick, 0, 0);
	io_uring_sqe_set_data64(sqe, ud(0, K_TIMER));
}

/*
 * A peer that takes no data for send_timeout seconds is dropped: data waits
 * in its send queue and it has acknowledged nothing more.  (The queue's
 * length alone says nothing: a server that keeps it full sees it the same.)
 */
static void check_progress(struct worker *w, struct conn *c)
{
	uint64_t acked;
	int outq;

	if (ioctl(c->fd, SIOCOUTQ, &outq) || tcpinfo_bytes_acked(c->fd, &acked))
		return;
	if (!outq || acked != c->acked) {
		c->acked = acked;
		c->progress = w->now;
	} else if (w->now - c->progress > cfg->send_timeout * 1000ull) {
		stats.timeouts++;
		conn_close(w, c);
	}
}

static void on_timer(struct worker *w)
{
	for (unsigned int i = 0; i < w->max; i++) {
		struct conn *c = &w->conns[i];

		if (!c->used || c->closing)
			continue;
		if (c->responding) {
			if (w->stopping && w->now > w->stop_at)
				conn_close(w, c);
			else
				check_progress(w, c);
			continue;
		}
		if (w->stopping || (c->deadline && w->now > c->deadline)) {
			if (!w->stopping)
				stats.timeouts++;
			conn_close(w, c);
			continue;
		}
		if (w->recv_starved && !c->tls)
			arm_recv(w, c);
	}
	w->recv_starved = false;
	for (int i = 0; i < cfg->nlisten; i++)
		if (w->lfd[i] >= 0 && !w->accepting[i] && !w->stopping)
			arm_accept(w, i);
	if (!w->stopping || w->live)
		arm_timer(w);
}

static void begin_stop(struct worker *w)
{
	w->stopping = true;
	w->stop_at = w->now + cfg->shutdown_timeout * 1000ull;
	for (int i = 0; i < cfg->nlisten; i++) {
		if (w->accepting[i]) {
			struct io_uring_sqe *sqe = sqe_get(w);

			io_uring_prep_cancel64(sqe, ud(i, K_ACCEPT), 0);
			io_uring_sqe_set_data64(sqe, ud(0, K_CANCEL));
		}
		/*
		 * New clients are refused, not left in the backlog: the socket
		 * goes once the cancelled accept drops io_uring's reference.
		 */
		if (w->lfd[i] >= 0) {
			close(w->lfd[i]);
			w->lfd[i] = -1;
		}
	}
	/* Idle connections go now, busy ones after their response. */
	on_timer(w);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct io_uring_sqe *sqe;
	int ret;

	/* Debian's liburing 2.3 declares io_uring_enable_rings() but lacks it. */
	if ((w->ring.flags & IORING_SETUP_R_DISABLED) &&
	    syscall(__NR_io_uring_register, w->ring.ring_fd,
		    IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0) {
		fprintf(stderr, "nrtls-serve: worker %d: io_uring: %s\n", w->id,
			strerror(errno));
		exit(1);
	}
	for (int i = 0; i < cfg->nlisten; i++)
		arm_accept(w, i);
	sqe = sqe_get(w);
	io_uring_prep_read(sqe, w->wake, &w->wake_val, sizeof(w->wake_val), 0);
	io_uring_sqe_set_data64(sqe, ud(0, K_WAKE));
	arm_timer(w);

	while (!w->stopping || w->live || w->naccepting) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		ret = io_uring_submit_and_wait(&w->ring, 1);
		if (ret < 0 && ret != -EINTR) {
			/* Nothing the loop can recover from: say so and stop. */
			fprintf(stderr, "nrtls-serve: worker %d: io_uring: %s\n",
				w->id, strerror(-ret));
			exit(1);
		}
		w->now = now_ms();
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			uint64_t data = cqe->user_data;
			unsigned int idx = data >> 8;

			seen++;
			if (nrtls_cqe_is_ours(cqe)) {
				struct nrtls_op *op = nrtls_cqe(w->nrtls, cqe);

				if (op)
					response_done(w, op);
				continue;
			}
			switch ((data >> 1) & 0x7f) {
			case K_ACCEPT:
				on_accept(w, idx, cqe->res, cqe->flags & IORING_CQE_F_MORE);
				break;
			case K_RECV:
				on_recv(w, &w->conns[idx], cqe->res, cqe->flags);
				break;
			case K_POLL:
				on_poll(w, &w->conns[idx]);
				break;
			case K_TIMER:
				on_timer(w);
				break;
			case K_WAKE:
				begin_stop(w);
				break;
			}
		}
		io_uring_cq_advance(&w->ring, seen);
	}
	return NULL;
}

/* --- setup --------------------------------------------------------------- */

/*
 * A listening socket of @a.  Each thread has its own (SO_REUSEPORT), and
 * only these join the group: @exclusive binds without it, first, so that
 * an address another server holds (nginx, a second nrtls-serve) fails
 * with EADDRINUSE as nginx does, instead of sharing its connections.
 */
static int listen_on(const struct listen_addr *a, bool exclusive)
{
	int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!exclusive)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* [::]:80 beside 0.0.0.0:80, as nginx's ipv6only=on. */
	if (a->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->sa, a->len) ||
	    (!exclusive && listen(fd, 4096))) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static int worker_init(struct worker *w, int id)
{
	/*
	 * One thread submits and waits on each ring, so its task work can
	 * wait until that thread asks for completions: a recv woken by an
	 * arriving packet then runs after the softirq that delivered it, not
	 * at once on another CPU spinning for the socket lock it still holds
	 * (30% of a core in the 4 KiB benchmark).  The ring starts disabled:
	 * the worker thread that enables it becomes its single issuer.
	 */
	struct io_uring_params p = {
		.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER |
			 IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED,
	};
	struct io_uring_buf_reg reg = { .ring_entries = NBUFS, .bgid = BGID };
	unsigned int per = cfg->max_conns / cfg->threads + 1;
	uint64_t cq = (uint64_t)per * 4 + 64;
	int ret;

	w->id = id;
	w->max = per;
	/*
	 * Every connection may have a recv or poll, and an operation of two
	 * SQEs.  The kernel takes no fewer CQ entries than SQ entries and no
	 * more than CQ_MAX; beyond that, completions that do not fit wait in
	 * its overflow list (IORING_FEAT_NODROP), none is lost.
	 */
	p.cq_entries = cq < SQ_ENTRIES ? SQ_ENTRIES : cq > CQ_MAX ? CQ_MAX : cq;
	ret = io_uring_queue_init_params(SQ_ENTRIES, &w->ring, &p);
	if (ret) {
		/* Before 6.1: cooperative task work, which 5.19 has. */
		p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN;
		ret = io_uring_queue_init_params(SQ_ENTRIES, &w->ring, &p);
		if (ret) {
			/* liburing returns -errno and may leave errno alone. */
			fprintf(stderr, "nrtls-serve: io_uring: %s\n", strerror(-ret));
			return -1;
		}
	}
	w->nrtls = nrtls_new(&w->ring, cfg->no_module ? NRTLS_F_NO_MODULE : 0);
	if (!w->nrtls)
		return -1;
	w->bufs = malloc((size_t)NBUFS * BUF_SIZE);
	w->br = mmap(NULL, NBUFS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
		     MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (!w->bufs || w->br == MAP_FAILED)
		return -1;
	reg.ring_addr = (uintptr_t)w->br;
	if (io_uring_register_buf_ring(&w->ring, &reg, 0)) {
		fprintf(stderr, "nrtls-serve: provided buffer rings need Linux 5.19 or later\n");
		return -1;
	}
	io_uring_buf_ring_init(w->br);
	for (unsigned int i = 0; i < NBUFS; i++)
		io_uring_buf_ring_add(w->br, w->bufs + i * BUF_SIZE, BUF_SIZE, i,
				      io_uring_buf_ring_mask(NBUFS), i);
	io_uring_buf_ring_advance(w->br, NBUFS);

	w->conns = calloc(per, sizeof(*w->conns));
	w->free_slots = calloc(per, sizeof(*w->free_slots));
	if (!w->conns || !w->free_slots)
		return -1;
	for (unsigned int i = 0; i < per; i++)
		w->free_slots[w->nfree++] = per - 1 - i;
	for (int i = 0; i < cfg->nlisten; i++) {
		w->lfd[i] = listen_on(&cfg->listen[i], false);
		if (w->lfd[i] < 0) {
			fprintf(stderr, "nrtls-serve: cannot listen on %s: %s\n",
				cfg->listen[i].text, strerror(errno));
			return -1;
		}
	}
	w->wake = eventfd(0, EFD_CLOEXEC);
	w->tick.tv_sec = 1;
	w->now = now_ms();
	return w->wake < 0 ? -1 : 0;
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	/* One fd a connection, plus files being sent and pipes. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Point the access log at a new file of its name, under its stream lock. */
static void reopen_log(void)
{
	int fd;

	if (!cfg->access_log_path)
		return;
	fd = open(cfg->access_log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "nrtls-serve: %s: %s; still logging to the old file\n",
			cfg->access_log_path, strerror(errno));
		return;
	}
	flockfile(cfg->access_log);
	fflush(cfg->access_log);
	dup3(fd, fileno(cfg->access_log), O_CLOEXEC);
	funlockfile(cfg->access_log);
	close(fd);
}

/* SIGHUP: the certificate and key again, for connections from now on. */
static void reload(void)
{
	SSL_CTX *ctx, *old;
	char err[256];

	reopen_log();
	if (!cfg->ncerts)
		return;
	ctx = certs_load(cfg->certs, cfg->keys, cfg->ncerts, err, sizeof(err));
	if (!ctx) {
		fprintf(stderr, "nrtls-serve: reload: %s; keeping the certificate in use\n", err);
		return;
	}
	pthread_mutex_lock(&tls_lock);
	old = tls_ctx;
	tls_ctx = ctx;
	pthread_mutex_unlock(&tls_lock);
	SSL_CTX_free(old);
	fprintf(stderr, "nrtls-serve: reloaded %s%s\n", cfg->certs[0],
		cfg->ncerts > 1 ? " and the other certificates" : "");
}

/*
 * --user: everything that needs root (the listeners, the rings, the
 * certificate, key and log) is set up; become the user, for good.
 */
static int drop_privileges(void)
{
	if (setgroups(1, &cfg->gid) || setgid(cfg->gid) || setuid(cfg->uid)) {
		fprintf(stderr, "nrtls-serve: cannot become user %s: %s\n", cfg->user,
			strerror(errno));
		return -1;
	}
	if (cfg->uid && !setuid(0)) {
		fprintf(stderr, "nrtls-serve: could become root again after --user %s\n",
			cfg->user);
		return -1;
	}
	fprintf(stderr, "nrtls-serve: running as user %s (uid %u, gid %u)\n", cfg->user,
		(unsigned int)cfg->uid, (unsigned int)cfg->gid);
	/* Root could read the root directory; can the user? */
	if (access(cfg->root, R_OK | X_OK))
		fprintf(stderr, "nrtls-serve: warning: --root %s: %s for user %s; requests "
			"will fail\n", cfg->root, strerror(errno), cfg->user);
	return 0;
}

int server_run(struct server_config *config)
{
	static struct http_limits lim;
	char where[MAX_LISTEN * 90] = "";
	sigset_t set;
	int sig, i;

	cfg = config;
	tls_ctx = cfg->tls;
	lim.max_head = cfg->max_head;
	lim.max_target = cfg->max_target;
	limits = &lim;
	raise_fd_limit();

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * Is anyone else on these addresses?  (Between this probe and the
	 * threads' binds, a server started at the same moment can slip in.)
	 */
	for (i = 0; i < cfg->nlisten; i++) {
		const struct listen_addr *a = &cfg->listen[i];
		int fd = listen_on(a, true);

		if (fd < 0) {
			fprintf(stderr, "nrtls-serve: cannot listen on %s: %s\n", a->text,
				strerror(errno));
			return 1;
		}
		close(fd);
		snprintf(where + strlen(where), sizeof(where) - strlen(where), " %s://%s",
			 a->tls ? "https" : "http", a->text);
	}
	workers = calloc(cfg->threads, sizeof(*workers));
	if (!workers)
		return 1;
	for (i = 0; i < cfg->threads; i++)
		if (worker_init(&workers[i], i))
			return 1;
	stats_sendfile_path = nrtls_path_name(nrtls_get_path(workers[0].nrtls));
	fprintf(stderr, "nrtls-serve: serving %s on%s with %d thread%s; sendfile path: %s\n",
		cfg->root, where, cfg->threads, cfg->threads > 1 ? "s" : "",
		stats_sendfile_path);
	if (cfg->tls) {
		const char *why = nrtls_tls_ktls_unavailable();

		if (why)
			fprintf(stderr, "nrtls-serve: kTLS: off: %s; TLS records are "
				"encrypted in userspace\n", why);
		else
			fprintf(stderr, "nrtls-serve: kTLS: on: the kernel encrypts and decrypts "
				"TLS records (for the ciphers it supports)\n");
	}
	if (cfg->user && drop_privileges())
		return 1;
	for (i = 0; i < cfg->threads; i++)
		pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
	/* For systemd's Type=notify: listening, and set up. */
	sd_notify(0, "READY=1");

	for (;;) {
		char buf[800];

		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP) {
			reload();
		} else if (sig == SIGUSR1) {
			reopen_log();
		} else {
			stats_json(buf, sizeof(buf));
			fprintf(stderr, "nrtls-serve: stats %s", buf);
		}
	}
	sd_notify(0, "STOPPING=1");
	fprintf(stderr, "nrtls-serve: %s: finishing requests in flight\n", strsignal(sig));
	for (i = 0; i < cfg->threads; i++) {
		uint64_t one = 1;

		if (write(workers[i].wake, &one, sizeof(one)) != sizeof(one))
			return 1;
	}
	for (i = 0; i < cfg->threads; i++) {
		pthread_join(workers[i].thread, NULL);
		nrtls_free(workers[i].nrtls);
		io_uring_queue_exit(&workers[i].ring);
	}
	SSL_CTX_free(tls_ctx);
	fprintf(stderr, "nrtls-serve: stopped\n");
	return 0;
}
