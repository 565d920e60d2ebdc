// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libnrtls TLS helpers: an OpenSSL server context that moves record
 * encryption into the kernel, a handshake step for non-blocking sockets
 * driven by the caller's ring, and what actually moved.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "libnrtls.h"

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char http11[] = "\x08http/1.1";

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto((unsigned char **)out, outlen, http11,
				  sizeof(http11) - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	return SSL_TLSEXT_ERR_OK;
}

static void ssl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	const char *why = e ? ERR_reason_error_string(e) : "failed";

	if (ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
		why = "the key does not match the certificate";
	/* A file that cannot be opened is a system error, without a reason string. */
	if (!why && ERR_SYSTEM_ERROR(e))
		why = strerror(ERR_GET_REASON(e));
	snprintf(err, errlen, "%s: %s", what, why ? why : "failed");
	ERR_clear_error();
}

SSL_CTX *nrtls_tls_server_ctx(const char *cert, const char *key, char *err,
			      size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx) {
		ssl_err(err, errlen, "SSL_CTX_new");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/*
	 * Records go to the kernel once the handshake is done.  No session
	 * tickets: TLS 1.3 sends them after the handshake, through the same
	 * kernel path, which buys nothing for a file server.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS | SSL_OP_NO_RENEGOTIATION |
			    SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		ssl_err(err, errlen, cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ssl_err(err, errlen, key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_err(err, errlen, "the key does not match the certificate");
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

enum nrtls_tls_step nrtls_tls_handshake(SSL *ssl)
{
	int ret;

	ERR_clear_error();
	ret = SSL_do_handshake(ssl);
	if (ret == 1)
		return NRTLS_TLS_DONE;
	switch (SSL_get_error(ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return NRTLS_TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return NRTLS_TLS_WANT_WRITE;
	default:
		ERR_clear_error();
		return NRTLS_TLS_FAILED;
	}
}

unsigned int nrtls_tls_ktls(SSL *ssl)
{
	unsigned int k = 0;

	if (BIO_get_ktls_send(SSL_get_wbio(ssl)))
		k |= NRTLS_KTLS_TX;
	if (BIO_get_ktls_recv(SSL_get_rbio(ssl)))
		k |= NRTLS_KTLS_RX;
	return k;
}

const char *nrtls_tls_ktls_unavailable(void)
{
#ifdef OPENSSL_NO_KTLS
	return "this OpenSSL was built without kTLS";
#else
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return NULL;	/* cannot tell: let each connection try */
	/*
	 * The kernel looks the ULP up (loading the module if the caller may)
	 * before it finds the socket unconnected: ENOENT says there is none.
	 */
	err = setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) ? errno : 0;
	close(fd);
	return err == ENOENT ? "the kernel's tls module is not loaded (modprobe tls)" : NULL;
#endif
}
