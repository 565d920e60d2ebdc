// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <liburing.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "nrtls_net.h"

void nrtls_uring_prep_sendfile(struct io_uring_sqe *sqe, int dev,
			       const struct nrtls_sendfile *sf, uint64_t data)
{
	struct nrtls_uring_cmd cmd = { .addr = (uintptr_t)sf, .size = sizeof(*sf) };

	if (!sqe)
		abort();	/* the tests size their rings */
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = dev;
	sqe->cmd_op = NRTLS_URING_SENDFILE;
	memcpy(sqe->cmd, &cmd, sizeof(cmd));
	sqe->user_data = data;
}

int nrtls_sendfile(int dev, int sock, int file, uint64_t off, uint64_t count,
		   const void *hdr, uint32_t hdr_len, uint32_t flags,
		   uint64_t *queued)
{
	struct nrtls_sendfile sf = {
		.sock_fd = sock,
		.file_fd = file,
		.offset = off,
		.count = count,
		.hdr = (uintptr_t)hdr,
		.hdr_len = hdr_len,
		.flags = flags,
	};
	int ret;

	ret = ioctl(dev, NRTLS_IOC_SENDFILE, &sf) ? -errno : 0;
	if (queued)
		*queued = sf.queued;
	return ret;
}

int nrtls_free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (void *)&sin, sizeof(sin));
	getsockname(fd, (void *)&sin, &len);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

int nrtls_connect_port(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (void *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

void nrtls_serve_path(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (getenv("NRTLS_SERVE")) {
		snprintf(out, len, "%s", getenv("NRTLS_SERVE"));
		return;
	}
	self[n > 0 ? n : 0] = '\0';
	*strrchr(self, '/') = '\0';	/* build/<krel>/selftests */
	snprintf(out, len, "%.3900s/../../user/bin/nrtls-serve", self);
}

int nrtls_make_file(const char *path, uint64_t size, uint32_t seed)
{
	static uint8_t buf[1 << 16];
	uint64_t done = 0;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (done < size) {
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);

		nrtls_file_fill(seed, done, buf, n);
		if (pwrite(fd, buf, n, done) != (ssize_t)n) {
			close(fd);
			return -EIO;
		}
		done += n;
	}
	return fd;
}

int nrtls_drop_cache(int fd)
{
	if (fdatasync(fd))
		return -errno;
	return -posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

long nrtls_resident_pages(int fd, uint64_t len)
{
	long page = sysconf(_SC_PAGESIZE), n = 0;
	size_t pages = (len + page - 1) / page;
	unsigned char *vec;
	void *map;

	if (!len)
		return 0;
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -1;
	vec = calloc(pages, 1);
	if (vec && !mincore(map, len, vec)) {
		for (size_t i = 0; i < pages; i++)
			n += vec[i] & 1;
	} else {
		n = -1;
	}
	free(vec);
	munmap(map, len);
	return n;
}

void nrtls_expected_sha(uint32_t seed, uint64_t off, uint64_t len,
			const void *hdr, size_t hdr_len, uint8_t *out)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t buf[1 << 16];

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	if (hdr_len)
		EVP_DigestUpdate(md, hdr, hdr_len);
	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		nrtls_file_fill(seed, off, buf, n);
		EVP_DigestUpdate(md, buf, n);
		off += n;
		len -= n;
	}
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
}

int nrtls_tcp_pair(int *sender, int *receiver)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int lfd, s = -1, c = -1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	if (bind(lfd, (void *)&sin, sizeof(sin)) || listen(lfd, 1) ||
	    getsockname(lfd, (void *)&sin, &len))
		goto fail;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (void *)&sin, sizeof(sin)))
		goto fail;
	s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		goto fail;
	close(lfd);
	*sender = s;
	*receiver = c;
	return 0;
fail:
	if (c >= 0)
		close(c);
	close(lfd);
	return -errno ?: -EIO;
}

int nrtls_tcp_pair_ns(int ns_s, const char *saddr, int ns_r, int *sender,
		      int *receiver)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr *sa = (struct sockaddr *)&sin;
	socklen_t len = sizeof(sin);
	int orig, lfd = -1, s = -1, c = -1, err = 0;

	orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0)
		return -errno;
	if (inet_pton(AF_INET6, saddr, &sin6.sin6_addr) == 1) {
		sa = (struct sockaddr *)&sin6;
		len = sizeof(sin6);
	} else if (inet_pton(AF_INET, saddr, &sin.sin_addr) != 1) {
		err = -EINVAL;
		goto out;
	}
	if ((ns_s >= 0 && setns(ns_s, CLONE_NEWNET)) ||
	    (lfd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(lfd, sa, len) || listen(lfd, 1) ||
	    getsockname(lfd, sa, &len) ||
	    (ns_r >= 0 && setns(ns_r, CLONE_NEWNET)) ||
	    (c = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(c, sa, len) ||
	    (s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		err = -errno ?: -EIO;
out:
	if (setns(orig, CLONE_NEWNET) && !err)
		err = -errno;
	close(orig);
	if (lfd >= 0)
		close(lfd);
	if (err) {
		if (c >= 0)
			close(c);
		if (s >= 0)
			close(s);
		return err;
	}
	*sender = s;
	*receiver = c;
	return 0;
}

/* A throw-away self-signed P-256 certificate for the sending side. */
static int tls_make_cert(SSL_CTX *ctx)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	int ok = 0;

	if (!key || !x)
		goto out;
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"nrtls-test", -1, -1, 0);
	X509_set_issuer_name(x, name);
	ok = X509_sign(x, key, EVP_sha256()) &&
	     SSL_CTX_use_certificate(ctx, x) == 1 &&
	     SSL_CTX_use_PrivateKey(ctx, key) == 1;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return ok ? 0 : -EINVAL;
}

bool nrtls_tls_client_ktls;

static SSL_CTX *tls_ctx(bool server, int version, const char *cipher)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, version);
	SSL_CTX_set_max_proto_version(ctx, version);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	if ((version == TLS1_3_VERSION ? SSL_CTX_set_ciphersuites(ctx, cipher)
				       : SSL_CTX_set_cipher_list(ctx, cipher)) != 1 ||
	    (server && tls_make_cert(ctx)) ||
	    ((server || nrtls_tls_client_ktls) &&
	     !SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS))) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static void *tls_client_thread(void *arg)
{
	struct nrtls_tls *t = arg;

	return (void *)(long)(SSL_connect(t->cssl) == 1);
}

int nrtls_tls_pair(struct nrtls_tls *t, int version, const char *cipher)
{
	int s, r, ret;

	memset(t, 0, sizeof(*t));
	t->sender = t->receiver = -1;
	ret = nrtls_tcp_pair(&s, &r);
	if (ret)
		return ret;
	return nrtls_tls_over(t, s, r, version, cipher);
}

int nrtls_tls_pair_ns(struct nrtls_tls *t, int version, const char *cipher,
		      int ns_s, const char *saddr, int ns_r)
{
	int s, r, ret;

	memset(t, 0, sizeof(*t));
	t->sender = t->receiver = -1;
	ret = nrtls_tcp_pair_ns(ns_s, saddr, ns_r, &s, &r);
	if (ret)
		return ret;
	return nrtls_tls_over(t, s, r, version, cipher);
}

int nrtls_tls_over(struct nrtls_tls *t, int sender, int receiver,
		   int version, const char *cipher)
{
	pthread_t thr;
	void *cok;
	int ret;

	memset(t, 0, sizeof(*t));
	t->sender = sender;
	t->receiver = receiver;
	t->sctx = tls_ctx(true, version, cipher);
	t->cctx = tls_ctx(false, version, cipher);
	if (!t->sctx || !t->cctx)
		return -EINVAL;
	t->sssl = SSL_new(t->sctx);
	t->cssl = SSL_new(t->cctx);
	if (!t->sssl || !t->cssl || !SSL_set_fd(t->sssl, t->sender) ||
	    !SSL_set_fd(t->cssl, t->receiver))
		return -ENOMEM;
	if (pthread_create(&thr, NULL, tls_client_thread, t))
		return -EAGAIN;
	ret = SSL_accept(t->sssl);
	pthread_join(thr, &cok);
	if (ret != 1 || !cok) {
		ERR_print_errors_fp(stderr);
		return -EPROTO;
	}
	if (!BIO_get_ktls_send(SSL_get_wbio(t->sssl)))
		return -EOPNOTSUPP;
	return 0;
}

void nrtls_tls_close(struct nrtls_tls *t)
{
	SSL_free(t->sssl);
	SSL_free(t->cssl);
	SSL_CTX_free(t->sctx);
	SSL_CTX_free(t->cctx);
	if (t->sender >= 0)
		close(t->sender);
	if (t->receiver >= 0)
		close(t->receiver);
	memset(t, 0, sizeof(*t));
	t->sender = t->receiver = -1;
}

void nrtls_tls_abort(struct nrtls_tls *t)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (t->sender >= 0)
		setsockopt(t->sender, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (t->receiver >= 0)
		setsockopt(t->receiver, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	nrtls_tls_close(t);
}

int nrtls_ssl_send(SSL *ssl, uint32_t seed, uint64_t off, uint64_t len)
{
	static __thread uint8_t buf[256 * 1024];

	while (len) {
		int n = len < sizeof(buf) ? len : sizeof(buf);

		nrtls_file_fill(seed, off, buf, n);
		if (SSL_write(ssl, buf, n) != n)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

static void *peer_thread(void *arg)
{
	struct nrtls_peer *p = arg;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t cap = 0;
	char buf[1 << 16];

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (!p->want || p->got < p->want) {
		size_t want = sizeof(buf);
		ssize_t n;

		if (p->want && p->want - p->got < want)
			want = p->want - p->got;
		if (p->ssl) {
			n = SSL_read(p->ssl, buf, want);
			if (n <= 0) {
				int e = SSL_get_error(p->ssl, n);

				if (e == SSL_ERROR_ZERO_RETURN)
					p->eof = true;
				else if (e == SSL_ERROR_SYSCALL && !errno)
					p->eof = true;
				else
					p->err = errno ?: EPROTO;
				/* Say why: a bad record MAC is worth knowing. */
				if (e == SSL_ERROR_SSL) {
					p->ssl_err = ERR_peek_last_error();
					ERR_print_errors_fp(stderr);
				}
				break;
			}
		} else {
			n = read(p->fd, buf, want);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (n < 0)
					p->err = errno;
				else
					p->eof = true;
				break;
			}
		}
		EVP_DigestUpdate(md, buf, n);
		if (p->keep) {
			if (p->got + n > cap) {
				cap = (p->got + n) * 2;
				p->data = realloc(p->data, cap);
			}
			memcpy(p->data + p->got, buf, n);
		}
		p->got += n;
	}
	EVP_DigestFinal_ex(md, p->sha, NULL);
	EVP_MD_CTX_free(md);
	return NULL;
}

int nrtls_peer_start(struct nrtls_peer *p)
{
	if (p->rcvbuf &&
	    setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &p->rcvbuf, sizeof(p->rcvbuf)))
		return -errno;
	return -pthread_create(&p->thread, NULL, peer_thread, p);
}

void nrtls_peer_join(struct nrtls_peer *p)
{
	pthread_join(p->thread, NULL);
}
