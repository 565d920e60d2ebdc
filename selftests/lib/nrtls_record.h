/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TLS records made and checked in userspace with OpenSSL's AEADs, from the
 * same key material a kTLS socket is given: the tests' independent peer of
 * the kernel's record layer (TLS 1.2 and 1.3; AES-GCM-128, AES-GCM-256,
 * ChaCha20-Poly1305).
 */
#ifndef NRTLS_RECORD_H
#define NRTLS_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <linux/tls.h>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

#define NRTLS_REC_MAX	16384		/* 2^14: the largest plaintext */
#define NRTLS_TAG_LEN	16
#define NRTLS_HDR_LEN	5
#define NRTLS_CT_ALERT	21
#define NRTLS_CT_HANDSHAKE 22
#define NRTLS_CT_DATA	23
#define NRTLS_SEQ0	7		/* the first record number: not zero */

union nrtls_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 g128;
	struct tls12_crypto_info_aes_gcm_256 g256;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};

/* Everything the sealer needs; the same bytes go to the kernel (ci). */
struct nrtls_keys {
	int version;		/* TLS_1_2_VERSION or TLS_1_3_VERSION */
	int cipher;
	const void *aead;	/* const EVP_CIPHER * */
	uint8_t key[32], iv[12];	/* iv: salt || iv, the 12-byte nonce base */
	size_t salt_len;
	uint64_t seq;		/* next record number */
	union nrtls_crypto_info ci;
	socklen_t ci_len;
};

/* Keys derived from @seed, the first record number NRTLS_SEQ0. */
void nrtls_keys_init(struct nrtls_keys *k, int version, int cipher, uint32_t seed);
/* Bytes between a record's header and its ciphertext (TLS 1.2 AES-GCM: 8). */
size_t nrtls_explicit_len(const struct nrtls_keys *k);
/*
 * Seals one record of content type @type from @data (@len bytes, plus @pad
 * zero bytes after the inner type in TLS 1.3) with record number k->seq,
 * into @out; returns its length on the wire, or 0 on failure.
 */
size_t nrtls_seal(struct nrtls_keys *k, uint8_t type, const void *data, size_t len,
		  size_t pad, uint8_t *out);
/*
 * Opens the whole record @rec (@len bytes, header included) with record
 * number k->seq into @out (room for NRTLS_REC_MAX + 256): the plaintext's
 * length, its content type in *type (TLS 1.3: the inner type, padding
 * removed), or -1 if the header, length or tag is wrong.
 */
ssize_t nrtls_open(struct nrtls_keys *k, const uint8_t *rec, size_t len,
		   uint8_t *type, uint8_t *out);
/* TCP_ULP "tls", then @dir (TLS_TX or TLS_RX) with @k: 0 or -errno. */
int nrtls_ulp_tls(int fd, int dir, const struct nrtls_keys *k);
/*
 * Reads one whole record off a plain TCP socket into @buf (room for
 * NRTLS_HDR_LEN + NRTLS_REC_MAX + 256 + NRTLS_TAG_LEN): its length, 0 at
 * the end of the stream, -1 on error or a record too long.
 */
ssize_t nrtls_read_record(int fd, uint8_t *buf, size_t size);
/* OpenSSL's configuration and ciphers loaded once, before tests fork. */
void nrtls_record_warm(void);
/*
 * For a test binary's constructor: without kTLS here (no tls module) it
 * prints a skip plan saying so and exits 4.
 */
void nrtls_need_ktls(void);
/* write() until all of @len is written: 0, or -1. */
int nrtls_write_all(int fd, const void *buf, size_t len);
/* @len bytes of a pattern of @seed. */
void nrtls_fill(uint8_t *buf, size_t len, uint32_t seed);

#endif
