// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libnrtls TLS helpers: an OpenSSL server context that moves record
 * encryption into the kernel, a handshake step for non-blocking sockets
 * driven by the caller's ring, and what actually moved.
 */
#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/x509.h>

#include "libnrtls.h"

#define TLS_APPLICATION_DATA	23
#define TLS_ALERT		21

/*
 * The client's first TLS 1.3 application traffic secret, from OpenSSL's
 * key log, for a connection whose receive side OpenSSL does not hand to
 * the kernel; wiped once used.  Hangs off the SSL as ex_data.
 */
struct rx_secret {
	unsigned char secret[EVP_MAX_MD_SIZE];
	size_t len;
	bool self;	/* libnrtls gave the kernel the receive side */
};

union crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 gcm128;
	struct tls12_crypto_info_aes_gcm_256 gcm256;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};

static int rx_idx = -1;
static pthread_once_t rx_once = PTHREAD_ONCE_INIT;

static void rx_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
		    void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	OPENSSL_clear_free(ptr, sizeof(struct rx_secret));
}

static void rx_index(void)
{
	rx_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, rx_free);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* OpenSSL's key log, NSS format: "LABEL CLIENT_RANDOM SECRET", in hex. */
static void keylog(const SSL *ssl, const char *line)
{
	static const char label[] = "CLIENT_TRAFFIC_SECRET_0 ";
	struct rx_secret *rs;
	const char *hex;
	size_t n = 0;

	if (strncmp(line, label, sizeof(label) - 1) || rx_idx < 0)
		return;
	hex = strchr(line + sizeof(label) - 1, ' ');
	if (!hex)
		return;
	rs = SSL_get_ex_data(ssl, rx_idx);
	if (!rs) {
		rs = OPENSSL_zalloc(sizeof(*rs));
		/* The callback's SSL is const; the ex_data slot is its own. */
		if (!rs || !SSL_set_ex_data((SSL *)ssl, rx_idx, rs)) {
			OPENSSL_free(rs);
			return;
		}
	}
	for (hex++; n < sizeof(rs->secret) && hexval(hex[0]) >= 0 && hexval(hex[1]) >= 0; hex += 2)
		rs->secret[n++] = hexval(hex[0]) << 4 | hexval(hex[1]);
	rs->len = *hex ? 0 : n;
}

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
	pthread_once(&rx_once, rx_index);
	SSL_CTX_set_keylog_callback(ctx, keylog);
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
	struct rx_secret *rs = rx_idx < 0 ? NULL : SSL_get_ex_data(ssl, rx_idx);
	unsigned int k = 0;

	if (BIO_get_ktls_send(SSL_get_wbio(ssl)))
		k |= NRTLS_KTLS_TX;
	if (BIO_get_ktls_recv(SSL_get_rbio(ssl)))
		k |= NRTLS_KTLS_RX;
	if (rs && rs->self)
		k |= NRTLS_KTLS_RX | NRTLS_KTLS_RX_SELF;
	return k;
}

/* RFC 8446 7.1's HKDF-Expand-Label with an empty context. */
static int expand_label(const EVP_MD *md, const struct rx_secret *rs, const char *label,
			unsigned char *out, size_t len)
{
	unsigned char info[2 + 1 + 255 + 1];
	size_t ll = strlen("tls13 ") + strlen(label), il = 0;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, ret = -1;
	OSSL_PARAM params[5];

	info[il++] = len >> 8;
	info[il++] = len & 0xff;
	info[il++] = ll;
	il += snprintf((char *)info + il, sizeof(info) - il, "tls13 %s", label);
	info[il++] = 0;
	params[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)EVP_MD_get0_name(md), 0);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						      (void *)rs->secret, rs->len);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, il);
	params[4] = OSSL_PARAM_construct_end();
	if (kctx && EVP_KDF_derive(kctx, out, len, params) == 1)
		ret = 0;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ret;
}

/* The kernel's crypto_info for the client's records, sequence number 0. */
static int rx_crypto_info(SSL *ssl, const struct rx_secret *rs,
			  union crypto_info *ci, socklen_t *len)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
	const EVP_MD *md = cipher ? SSL_CIPHER_get_handshake_digest(cipher) : NULL;
	unsigned char iv[12] = { 0 }, *key, *salt = NULL, *civ;
	size_t klen;
	int ret;

	if (!md)
		return -1;
	memset(ci, 0, sizeof(*ci));
	ci->info.version = TLS_1_3_VERSION;
	switch (SSL_CIPHER_get_cipher_nid(cipher)) {
	case NID_aes_128_gcm:
		ci->info.cipher_type = TLS_CIPHER_AES_GCM_128;
		*len = sizeof(ci->gcm128);
		key = ci->gcm128.key;
		klen = sizeof(ci->gcm128.key);
		salt = ci->gcm128.salt;
		civ = ci->gcm128.iv;
		break;
	case NID_aes_256_gcm:
		ci->info.cipher_type = TLS_CIPHER_AES_GCM_256;
		*len = sizeof(ci->gcm256);
		key = ci->gcm256.key;
		klen = sizeof(ci->gcm256.key);
		salt = ci->gcm256.salt;
		civ = ci->gcm256.iv;
		break;
	case NID_chacha20_poly1305:
		ci->info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
		*len = sizeof(ci->chacha);
		key = ci->chacha.key;
		klen = sizeof(ci->chacha.key);
		civ = ci->chacha.iv;
		break;
	default:
		return -1;
	}
	ret = expand_label(md, rs, "key", key, klen) ||
	      expand_label(md, rs, "iv", iv, sizeof(iv)) ? -1 : 0;
	/* AES-GCM's 12-byte nonce base is the kernel's 4-byte salt and 8-byte iv. */
	if (salt) {
		memcpy(salt, iv, 4);
		memcpy(civ, iv + 4, 8);
	} else {
		memcpy(civ, iv, sizeof(iv));
	}
	OPENSSL_cleanse(iv, sizeof(iv));
	return ret;
}

unsigned int nrtls_tls_ktls_rx(SSL *ssl)
{
	struct rx_secret *rs = rx_idx < 0 ? NULL : SSL_get_ex_data(ssl, rx_idx);
	unsigned int k = nrtls_tls_ktls(ssl);
	union crypto_info ci;
	socklen_t len = 0;
	int ok;

	/*
	 * Only where OpenSSL sent with kTLS (the ULP is on the socket) and
	 * read nothing past the handshake: the kernel starts at the client's
	 * record number 0, at the socket's read position.
	 */
	if ((k & NRTLS_KTLS_RX) || !(k & NRTLS_KTLS_TX) || !rs || !rs->len ||
	    SSL_version(ssl) != TLS1_3_VERSION || SSL_has_pending(ssl))
		goto out;
	ok = !rx_crypto_info(ssl, rs, &ci, &len) &&
	     !setsockopt(SSL_get_rfd(ssl), SOL_TLS, TLS_RX, &ci, len);
	OPENSSL_cleanse(&ci, sizeof(ci));
	if (ok) {
		rs->self = true;
		k |= NRTLS_KTLS_RX | NRTLS_KTLS_RX_SELF;
	}
out:
	if (rs) {
		OPENSSL_cleanse(rs->secret, sizeof(rs->secret));
		rs->len = 0;
	}
	return k;
}

ssize_t nrtls_tls_recv(int fd, void *buf, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(unsigned char))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

	if (n < 0)
		return -errno;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_TLS || cm->cmsg_type != TLS_GET_RECORD_TYPE ||
	    *CMSG_DATA(cm) == TLS_APPLICATION_DATA)
		return n;
	/* In TLS 1.3 every alert ends the connection: close_notify as EOF. */
	if (*CMSG_DATA(cm) == TLS_ALERT)
		return n == 2 && ((unsigned char *)buf)[1] == 0 ? 0 : -ECONNRESET;
	/* A handshake message (a key update): the kernel cannot follow it. */
	return -EPROTO;
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
