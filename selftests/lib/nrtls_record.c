// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <openssl/evp.h>

#include "nrtls_net.h"
#include "nrtls_record.h"

void nrtls_keys_init(struct nrtls_keys *k, int version, int cipher, uint32_t seed)
{
	struct tls_crypto_info *info = &k->ci.info;
	uint8_t seq[8];

	memset(k, 0, sizeof(*k));
	k->version = version;
	k->cipher = cipher;
	k->seq = NRTLS_SEQ0;
	for (size_t i = 0; i < sizeof(k->key); i++)
		k->key[i] = (uint8_t)(seed * 31 + i * 7 + 1);
	for (size_t i = 0; i < sizeof(k->iv); i++)
		k->iv[i] = (uint8_t)(seed * 17 + i * 13 + 5);
	for (int i = 0; i < 8; i++)
		seq[i] = (uint8_t)((uint64_t)NRTLS_SEQ0 >> (56 - 8 * i));
	info->version = version;
	info->cipher_type = cipher;
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:
		k->aead = EVP_aes_128_gcm();
		k->salt_len = 4;
		memcpy(k->ci.g128.key, k->key, 16);
		memcpy(k->ci.g128.salt, k->iv, 4);
		memcpy(k->ci.g128.iv, k->iv + 4, 8);
		memcpy(k->ci.g128.rec_seq, seq, 8);
		k->ci_len = sizeof(k->ci.g128);
		break;
	case TLS_CIPHER_AES_GCM_256:
		k->aead = EVP_aes_256_gcm();
		k->salt_len = 4;
		memcpy(k->ci.g256.key, k->key, 32);
		memcpy(k->ci.g256.salt, k->iv, 4);
		memcpy(k->ci.g256.iv, k->iv + 4, 8);
		memcpy(k->ci.g256.rec_seq, seq, 8);
		k->ci_len = sizeof(k->ci.g256);
		break;
	default:
		k->aead = EVP_chacha20_poly1305();
		k->salt_len = 0;
		memcpy(k->ci.chacha.key, k->key, 32);
		memcpy(k->ci.chacha.iv, k->iv, 12);
		memcpy(k->ci.chacha.rec_seq, seq, 8);
		k->ci_len = sizeof(k->ci.chacha);
		break;
	}
}

size_t nrtls_explicit_len(const struct nrtls_keys *k)
{
	return k->version == TLS_1_2_VERSION && k->salt_len ? 8 : 0;
}

static void put_seq(uint8_t *p, uint64_t seq)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(seq >> (56 - 8 * i));
}

/*
 * The nonce and additional data of record k->seq whose header is @hdr and
 * plaintext (TLS 1.2: without the inner type) @ptlen bytes long; TLS 1.2
 * AES-GCM takes the nonce's explicit part from @explicit.
 */
static size_t nonce_aad(const struct nrtls_keys *k, const uint8_t *hdr, uint8_t type,
			size_t ptlen, const uint8_t *explicit, uint8_t *nonce,
			uint8_t *aad)
{
	memcpy(nonce, k->iv, 12);
	if (nrtls_explicit_len(k)) {
		memcpy(nonce + 4, explicit, 8);
	} else {
		uint8_t seq[8];

		put_seq(seq, k->seq);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= seq[i];
	}
	if (k->version == TLS_1_3_VERSION) {
		memcpy(aad, hdr, NRTLS_HDR_LEN);
		return NRTLS_HDR_LEN;
	}
	put_seq(aad, k->seq);
	aad[8] = type;
	aad[9] = 3;
	aad[10] = 3;
	aad[11] = (uint8_t)(ptlen >> 8);
	aad[12] = (uint8_t)ptlen;
	return 13;
}

size_t nrtls_seal(struct nrtls_keys *k, uint8_t type, const void *data, size_t len,
		  size_t pad, uint8_t *out)
{
	size_t ex = nrtls_explicit_len(k), ptlen = len, ctlen, aad_len, n = 0;
	uint8_t nonce[12], aad[13], *p = out + NRTLS_HDR_LEN + ex;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl;

	if (k->version == TLS_1_3_VERSION)
		ptlen += 1 + pad;
	ctlen = ex + ptlen + NRTLS_TAG_LEN;
	out[0] = k->version == TLS_1_3_VERSION ? NRTLS_CT_DATA : type;
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)(ctlen >> 8);
	out[4] = (uint8_t)ctlen;
	if (ex)
		put_seq(out + NRTLS_HDR_LEN, k->seq);
	aad_len = nonce_aad(k, out, type, len, out + NRTLS_HDR_LEN, nonce, aad);
	memcpy(p, data, len);
	if (k->version == TLS_1_3_VERSION) {
		p[len] = type;
		memset(p + len + 1, 0, pad);
	}
	if (!c || EVP_EncryptInit_ex(c, k->aead, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_EncryptInit_ex(c, NULL, NULL, k->key, nonce) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &outl, aad, (int)aad_len) != 1 ||
	    EVP_EncryptUpdate(c, p, &outl, p, (int)ptlen) != 1 ||
	    EVP_EncryptFinal_ex(c, p + outl, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, NRTLS_TAG_LEN, p + ptlen) != 1)
		goto out;
	k->seq++;
	n = NRTLS_HDR_LEN + ctlen;
out:
	EVP_CIPHER_CTX_free(c);
	return n;
}

ssize_t nrtls_open(struct nrtls_keys *k, const uint8_t *rec, size_t len,
		   uint8_t *type, uint8_t *out)
{
	size_t ex = nrtls_explicit_len(k), ctlen, ptlen, aad_len;
	uint8_t nonce[12], aad[13], tag[NRTLS_TAG_LEN];
	EVP_CIPHER_CTX *c;
	ssize_t ret = -1;
	int outl;

	if (len < NRTLS_HDR_LEN + ex + NRTLS_TAG_LEN || rec[1] != 3 || rec[2] != 3)
		return -1;
	ctlen = (size_t)rec[3] << 8 | rec[4];
	if (ctlen != len - NRTLS_HDR_LEN)
		return -1;
	ptlen = ctlen - ex - NRTLS_TAG_LEN;
	if (ptlen > NRTLS_REC_MAX + 256)
		return -1;
	aad_len = nonce_aad(k, rec, rec[0], ptlen, rec + NRTLS_HDR_LEN, nonce, aad);
	memcpy(tag, rec + len - NRTLS_TAG_LEN, NRTLS_TAG_LEN);
	c = EVP_CIPHER_CTX_new();
	if (!c || EVP_DecryptInit_ex(c, k->aead, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, k->key, nonce) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &outl, aad, (int)aad_len) != 1 ||
	    EVP_DecryptUpdate(c, out, &outl, rec + NRTLS_HDR_LEN + ex, (int)ptlen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, NRTLS_TAG_LEN, tag) != 1 ||
	    EVP_DecryptFinal_ex(c, out + outl, &outl) != 1)
		goto out;
	*type = rec[0];
	if (k->version == TLS_1_3_VERSION) {
		if (rec[0] != NRTLS_CT_DATA)
			goto out;
		/* The inner type is the last non-zero byte; zeros after it pad. */
		while (ptlen && !out[ptlen - 1])
			ptlen--;
		if (!ptlen)
			goto out;
		*type = out[--ptlen];
	}
	k->seq++;
	ret = (ssize_t)ptlen;
out:
	EVP_CIPHER_CTX_free(c);
	return ret;
}

int nrtls_ulp_tls(int fd, int dir, const struct nrtls_keys *k)
{
	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")))
		return -errno;
	if (setsockopt(fd, SOL_TLS, dir, &k->ci, k->ci_len))
		return -errno;
	return 0;
}

ssize_t nrtls_read_record(int fd, uint8_t *buf, size_t size)
{
	size_t want = NRTLS_HDR_LEN, got = 0;

	while (got < want) {
		ssize_t n = recv(fd, buf + got, want - got, 0);

		if (n <= 0)
			return n == 0 && got == 0 ? 0 : -1;
		got += n;
		if (got == NRTLS_HDR_LEN) {
			want += (size_t)buf[3] << 8 | buf[4];
			if (want > size)
				return -1;
		}
	}
	return (ssize_t)got;
}

void nrtls_record_warm(void)
{
	static const int ciphers[] = {
		TLS_CIPHER_AES_GCM_128, TLS_CIPHER_AES_GCM_256, TLS_CIPHER_CHACHA20_POLY1305,
	};
	static uint8_t rec[64], pt[NRTLS_REC_MAX + 256];
	struct nrtls_keys k, o;
	uint8_t type;

	for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		nrtls_keys_init(&k, TLS_1_3_VERSION, ciphers[i], 0);
		o = k;
		nrtls_open(&o, rec, nrtls_seal(&k, NRTLS_CT_DATA, "warm", 4, 0, rec),
			   &type, pt);
	}
}

void nrtls_need_ktls(void)
{
	int s, r, err = 0;

	if (nrtls_tcp_pair(&s, &r))
		return;
	if (setsockopt(r, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")))
		err = errno;
	close(s);
	close(r);
	if (err == ENOENT || err == ENOPROTOOPT) {
		printf("TAP version 13\n1..0 # SKIP no kernel TLS here (TCP_ULP \"tls\": %s)\n",
		       strerror(err));
		exit(4);
	}
}

int nrtls_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

void nrtls_fill(uint8_t *buf, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
}
