/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnrtls: asynchronous sendfile on an io_uring, with or without nrtls.ko.
 *
 * With /dev/nrtls present, a sendfile is one IORING_OP_URING_CMD: the
 * module queues the data and reads the file without any thread waiting.
 * Without it, the library falls back to IORING_OP_SEND for the header and
 * linked IORING_OP_SPLICE file -> pipe -> socket for the file.  On a TLS
 * connection whose transmit side could not move into the kernel (no kTLS),
 * it reads the file with IORING_OP_READ and encrypts with SSL_write().
 * The caller sees the same completion on every path.
 *
 * The library shares the caller's ring.  Its SQEs carry user_data with
 * bit 0 set (NRTLS_CQE_TAG); the caller must keep bit 0 of its own
 * user_data clear, and hand every CQE with the bit set to nrtls_cqe().
 * Splicing to a socket the peer has closed raises SIGPIPE: servers ignore
 * it.
 *
 *	struct nrtls *n = nrtls_new(&ring, 0);
 *	struct nrtls_op op = { .sock = s, .file = fd, .count = size,
 *			       .hdr = hdr, .hdr_len = hlen, .data = conn };
 *	nrtls_sendfile(n, &op);
 *	io_uring_submit(&ring);
 *	...
 *	if (nrtls_cqe_is_ours(cqe)) {
 *		struct nrtls_op *done = nrtls_cqe(n, cqe);
 *		if (done)
 *			finished(done->data, done->res);
 *	}
 *
 * Not thread-safe: use one struct nrtls per ring (per thread).
 */
#ifndef LIBNRTLS_H
#define LIBNRTLS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/nrtls.h>
#include <openssl/ssl.h>

#ifdef __cplusplus
extern "C" {
#endif

/* From <liburing.h>, which the caller includes (this header does not need it). */
struct io_uring;
struct io_uring_cqe;
struct nrtls;

/* Which way sendfiles go. */
enum nrtls_path {
	NRTLS_PATH_MODULE,	/* IORING_OP_URING_CMD on /dev/nrtls */
	NRTLS_PATH_SPLICE,	/* IORING_OP_SPLICE through a pipe */
};

#define NRTLS_F_NO_MODULE	(1U << 0)	/* splice even if nrtls.ko is loaded */

#define NRTLS_CQE_TAG		1ULL

/**
 * nrtls_new() - set up sendfile on @ring
 * @ring: the caller's ring; it must outlive the returned object
 * @flags: NRTLS_F_*
 *
 * Return: the object, or NULL with errno set.
 */
struct nrtls *nrtls_new(struct io_uring *ring, unsigned int flags);

/* Free @n; operations in flight must have completed. */
void nrtls_free(struct nrtls *n);

enum nrtls_path nrtls_get_path(const struct nrtls *n);
const char *nrtls_path_name(enum nrtls_path path);

/* Private state of an operation (the library's; do not touch). */
struct nrtls_op_state {
	struct nrtls_sendfile sf;	/* the module's request */
	uint64_t hdr_done, file_done;
	int pipe;			/* pipe pair index, or -1 */
	uint32_t in_pipe;		/* bytes spliced in, not yet out */
	int inflight;
	bool polling;			/* waiting for POLLOUT on the socket */
	bool copy;			/* small file: READ + SEND */
	uint64_t copied;
	int err;
	int stage;
	int path;
	char *buf;			/* TLS without kTLS: file data */
	uint32_t buf_len, buf_done;
	struct nrtls_op *wait_next;	/* waiting for a pipe */
};

/*
 * One sendfile.  The caller fills the first fields, keeps the struct (and
 * @hdr) alive until it completes, and reads @res then.
 */
struct nrtls_op {
	int sock;		/* connected TCP socket, plain or kTLS */
	int file;		/* regular file, open for reading */
	uint64_t offset;
	uint64_t count;		/* bytes of the file; 0 sends only the header */
	const void *hdr;	/* bytes to send first, or NULL */
	uint32_t hdr_len;	/* at most NRTLS_SF_HDR_MAX */
	uint32_t flags;		/* NRTLS_SF_* for the module; of them, SHUT_WR
				 * is honoured on every path */
	SSL *ssl;		/* the TLS connection, if @sock has one */
	void *data;		/* the caller's */
	int64_t res;		/* bytes sent (header included), or -errno */
	struct nrtls_op_state priv;
};

/**
 * nrtls_sendfile() - queue SQEs for @op on the ring (the caller submits)
 *
 * Return: 0, or -errno (then nothing was queued and @op is not in flight).
 * The result comes in @op->res once nrtls_cqe() returns @op.  A result
 * smaller than hdr_len + count means the connection failed part way.
 */
int nrtls_sendfile(struct nrtls *n, struct nrtls_op *op);

/* Whether @cqe belongs to the library (bit 0 of its user_data). */
bool nrtls_cqe_is_ours(const struct io_uring_cqe *cqe);

/**
 * nrtls_cqe() - process a CQE of the library's
 *
 * Return: the operation it finished, or NULL if more SQEs were queued for
 * it (the caller submits them with its next submission).
 */
struct nrtls_op *nrtls_cqe(struct nrtls *n, const struct io_uring_cqe *cqe);

/* The way an operation went (valid once nrtls_sendfile() returned 0). */
enum nrtls_op_path {
	NRTLS_OP_MODULE,	/* nrtls.ko */
	NRTLS_OP_SPLICE,	/* send + splice */
	NRTLS_OP_TLS_USER,	/* read + SSL_write: TLS without kTLS TX */
};
enum nrtls_op_path nrtls_op_path(const struct nrtls_op *op);
const char *nrtls_op_path_name(const struct nrtls_op *op);

/* Counters, for the caller's statistics. */
struct nrtls_stats {
	uint64_t ops, bytes, errors;
	uint64_t module_ops, splice_ops, tls_user_ops;
};
void nrtls_get_stats(const struct nrtls *n, struct nrtls_stats *st);

/* --- kernel TLS with OpenSSL ---------------------------------------------- */

/**
 * nrtls_tls_server_ctx() - an OpenSSL server context that moves TLS into
 * the kernel (SSL_OP_ENABLE_KTLS), speaks TLS 1.2 and 1.3, and selects
 * ALPN "http/1.1"; its key log callback is libnrtls's, for
 * nrtls_tls_ktls_rx(): a caller that sets its own loses TLS 1.3's receive
 * side in the kernel
 * @cert: PEM certificate chain
 * @key: PEM private key
 * @err: where to put a message on failure
 *
 * Return: the context, or NULL.
 */
SSL_CTX *nrtls_tls_server_ctx(const char *cert, const char *key, char *err,
			      size_t errlen);

enum nrtls_tls_step {
	NRTLS_TLS_DONE = 0,
	NRTLS_TLS_WANT_READ,	/* poll the socket for POLLIN, then call again */
	NRTLS_TLS_WANT_WRITE,	/* poll the socket for POLLOUT, then call again */
	NRTLS_TLS_FAILED,
};

/*
 * One step of the handshake on a non-blocking socket: the caller drives it
 * with IORING_OP_POLL_ADD on the ring until it returns NRTLS_TLS_DONE.
 */
enum nrtls_tls_step nrtls_tls_handshake(SSL *ssl);

#define NRTLS_KTLS_TX	(1U << 0)	/* records are encrypted by the kernel */
#define NRTLS_KTLS_RX	(1U << 1)	/* records are decrypted by the kernel */
/* libnrtls, not OpenSSL, gave the kernel the receive side: read with
 * nrtls_tls_recv(), never SSL_read() */
#define NRTLS_KTLS_RX_SELF (1U << 2)

/* Which directions of @ssl moved into the kernel after the handshake. */
unsigned int nrtls_tls_ktls(SSL *ssl);

/**
 * nrtls_tls_ktls_rx() - after the handshake, give the kernel the receive
 * side where OpenSSL kept it (TLS 1.3 with OpenSSL 3.0, which moves only
 * the send side), from the client's traffic secret in OpenSSL's key log
 * @ssl: a server connection of nrtls_tls_server_ctx()'s, its handshake done
 *
 * Only when the send side is in the kernel already and OpenSSL has read
 * nothing past the handshake; AES-GCM-128/256 and ChaCha20-Poly1305.  The
 * secret is wiped either way.  Call it once, before the first read.
 *
 * Return: nrtls_tls_ktls() after it.
 */
unsigned int nrtls_tls_ktls_rx(SSL *ssl);

/**
 * nrtls_tls_recv() - read application data from a socket whose receive
 * side nrtls_tls_ktls_rx() gave the kernel (NRTLS_KTLS_RX_SELF), without
 * blocking
 * @fd: the socket
 *
 * Return: the bytes read; 0 at the peer's close_notify or EOF; -EAGAIN
 * when nothing is there; -ECONNRESET for another alert, -EPROTO for a
 * handshake message (a TLS 1.3 key update, which these kernels cannot
 * follow), -EBADMSG for a record that does not decrypt, or recvmsg()'s
 * -errno.
 */
ssize_t nrtls_tls_recv(int fd, void *buf, size_t len);

/*
 * Why kTLS cannot be used on this machine (OpenSSL built without it, or
 * the kernel's tls module not loaded and not loadable by this process), or
 * NULL if it can, for ciphers the kernel supports.
 */
const char *nrtls_tls_ktls_unavailable(void);


#ifdef __cplusplus
}
#endif

#endif /* LIBNRTLS_H */
