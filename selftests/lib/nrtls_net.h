/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sendfile test helpers: the ioctl, files with known contents, loopback TCP
 * connections, kTLS connections set up by OpenSSL, and a peer that reads a
 * connection in a thread and hashes what it gets.
 */
#ifndef NRTLS_NET_H
#define NRTLS_NET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include <linux/nrtls.h>

#include "nrtls_pattern.h"

#define SHA256_LEN 32

/* NRTLS_IOC_SENDFILE: 0 or -errno; *queued gets the bytes accepted. */
int nrtls_sendfile(int dev, int sock, int file, uint64_t off, uint64_t count,
		   const void *hdr, uint32_t hdr_len, uint32_t flags,
		   uint64_t *queued);

struct io_uring_sqe;

/*
 * Fill @sqe for IORING_OP_URING_CMD on @dev with @sf (liburing 2.3 has no
 * helper for it): the 16-byte payload goes in sqe->cmd.
 */
void nrtls_uring_prep_sendfile(struct io_uring_sqe *sqe, int dev,
			       const struct nrtls_sendfile *sf, uint64_t data);

/* Create @path holding @size bytes of the pattern @seed; an fd, or -errno. */
int nrtls_make_file(const char *path, uint64_t size, uint32_t seed);
/* Drop the file's pages from the page cache (it must be clean). */
int nrtls_drop_cache(int fd);
/* Pages of the file's first @len bytes now in the page cache, or -1. */
long nrtls_resident_pages(int fd, uint64_t len);
/* SHA-256 of header + pattern[off, off + len). */
void nrtls_expected_sha(uint32_t seed, uint64_t off, uint64_t len,
			const void *hdr, size_t hdr_len, uint8_t *out);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int nrtls_free_port(void);
/* A blocking connection to 127.0.0.1:@port, or -1. */
int nrtls_connect_port(int port);
/* nrtls-serve of this checkout (build/user/bin), or $NRTLS_SERVE. */
void nrtls_serve_path(char *out, size_t len);

/* A connected loopback TCP pair in the current namespace. */
int nrtls_tcp_pair(int *sender, int *receiver);
/*
 * A connected TCP pair across namespaces: the sender listens in @ns_s on
 * @saddr (IPv4 or IPv6, any port), the receiver connects from @ns_r (namespace
 * fds; -1 for the current one).  The calling thread ends up where it was.
 */
int nrtls_tcp_pair_ns(int ns_s, const char *saddr, int ns_r, int *sender,
		      int *receiver);

/*
 * A TLS connection over loopback: the sender has kTLS TX set up by OpenSSL
 * (SSL_OP_ENABLE_KTLS), the receiver is a plain OpenSSL client that
 * decrypts in userspace.  @version is TLS1_2_VERSION or TLS1_3_VERSION,
 * @cipher an OpenSSL cipher (1.2) or ciphersuite (1.3) name.
 */
struct nrtls_tls {
	int sender, receiver;
	SSL_CTX *sctx, *cctx;
	SSL *sssl, *cssl;
};
/* Set: the receiver (client) gets kTLS too, in pairs made from then on. */
extern bool nrtls_tls_client_ktls;
/* 0, -EOPNOTSUPP if kTLS TX did not take, or another -errno. */
int nrtls_tls_pair(struct nrtls_tls *t, int version, const char *cipher);
/* The same over nrtls_tcp_pair_ns(). */
int nrtls_tls_pair_ns(struct nrtls_tls *t, int version, const char *cipher,
		      int ns_s, const char *saddr, int ns_r);
/* TLS over two connected sockets, which @t then owns. */
int nrtls_tls_over(struct nrtls_tls *t, int sender, int receiver,
		   int version, const char *cipher);
void nrtls_tls_close(struct nrtls_tls *t);
/*
 * Close both ends with SO_LINGER 0: a gracefully closed socket lingers in
 * FIN_WAIT and keeps its namespace (and the devices in it) alive.
 */
void nrtls_tls_abort(struct nrtls_tls *t);
/* @len bytes of the pattern @seed from @off, through SSL_write(): 0 or -1. */
int nrtls_ssl_send(SSL *ssl, uint32_t seed, uint64_t off, uint64_t len);

/* Reads a connection (plain or TLS) in a thread. */
struct nrtls_peer {
	int fd;
	SSL *ssl;		/* NULL for plain TCP */
	uint64_t want;		/* stop after this many bytes; 0: until EOF */
	bool keep;		/* keep the bytes in @data */
	int rcvbuf;		/* SO_RCVBUF if non-zero */
	pthread_t thread;
	/* results */
	uint64_t got;
	uint8_t sha[SHA256_LEN];
	int err;		/* 0, or errno of the failed read */
	unsigned long ssl_err;	/* ERR_peek_last_error() of a failed SSL_read */
	bool eof;
	uint8_t *data;
};
int nrtls_peer_start(struct nrtls_peer *p);
void nrtls_peer_join(struct nrtls_peer *p);

#endif /* NRTLS_NET_H */
