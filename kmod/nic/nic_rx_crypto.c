// SPDX-License-Identifier: GPL-2.0
/*
 * AES-GCM for the emulated NIC's receive side, a packet at a time, as
 * NIC hardware does it: a record's bytes may arrive in several packets,
 * each decrypted where it lies when it arrives, and the tag is checked in
 * the packet that ends the record.  GCM is CTR encryption and a GHASH of
 * the ciphertext, so the two are done apart: "ctr(aes)" gives the
 * keystream at any offset of a record, and "ghash" keeps the record's
 * authenticator from one packet to the next.  "gcm(aes)" only takes whole
 * records.
 */
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/skcipher.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <net/tls.h>

#include "fault.h"
#include "nic.h"

#define GCM_BLOCK	16
#define GCM_AAD		13	/* TLS 1.2: sequence, type, version, length */

/* The CTR keystream from counter block @iv, XORed into @buf (kernel memory). */
static int ctr_xor(struct nrtls_nic_gcm *g, const u8 *iv, u8 *buf, u32 len)
{
	SYNC_SKCIPHER_REQUEST_ON_STACK(req, g->ctr);
	struct scatterlist sg;
	u8 ivbuf[GCM_BLOCK];
	int err;

	memcpy(ivbuf, iv, GCM_BLOCK);
	sg_init_one(&sg, buf, len);
	skcipher_request_set_sync_tfm(req, g->ctr);
	skcipher_request_set_callback(req, 0, NULL, NULL);
	skcipher_request_set_crypt(req, &sg, &sg, len, ivbuf);
	err = crypto_skcipher_encrypt(req);
	skcipher_request_zero(req);
	return err;
}

/* E(K, @iv) into g->block. */
static int block_encrypt(struct nrtls_nic_gcm *g, const u8 *iv)
{
	memset(g->block, 0, GCM_BLOCK);
	return ctr_xor(g, iv, g->block, GCM_BLOCK);
}

/* The counter block of a record's payload byte @off (J0 + 1 + off / 16). */
static void ctr_block(const struct nrtls_nic_gcm *g, const u8 *nonce, u32 ctr,
		      u8 *iv)
{
	__be32 c = cpu_to_be32(ctr);

	memcpy(iv, g->salt, sizeof(g->salt));
	memcpy(iv + 4, nonce, 8);
	memcpy(iv + 12, &c, sizeof(c));
}

int nrtls_nic_gcm_init(struct nrtls_nic_gcm *g,
		       const struct tls_crypto_info *ci, u64 *rcd_sn)
{
	static const u8 zero_iv[GCM_BLOCK];
	struct nrtls_nic_keys k;
	int err;

	err = nrtls_nic_tls_keys(ci, &k);
	if (err)
		return err;
	if (nrtls_should_fail(NRTLS_FAULT_NIC_KEY))
		return -ENOMEM;
	/* Synchronous only: they run in the receive path. */
	g->ctr = crypto_alloc_sync_skcipher("ctr(aes)", 0, 0);
	if (IS_ERR(g->ctr)) {
		err = PTR_ERR(g->ctr);
		g->ctr = NULL;
		return err;
	}
	g->ghash = crypto_alloc_shash("ghash", 0, 0);
	if (IS_ERR(g->ghash)) {
		err = PTR_ERR(g->ghash);
		g->ghash = NULL;
		goto err;
	}
	g->mac = kzalloc(sizeof(*g->mac) + crypto_shash_descsize(g->ghash),
			 GFP_KERNEL);
	if (!g->mac) {
		err = -ENOMEM;
		goto err;
	}
	g->mac->tfm = g->ghash;
	err = crypto_sync_skcipher_setkey(g->ctr, k.key, k.klen);
	if (err)
		goto err;
	/* GHASH's key is H = E(K, 0^128). */
	err = block_encrypt(g, zero_iv);
	if (!err)
		err = crypto_shash_setkey(g->ghash, g->block, GCM_BLOCK);
	memzero_explicit(g->block, sizeof(g->block));
	if (err)
		goto err;
	memcpy(g->salt, k.salt, sizeof(g->salt));
	*rcd_sn = k.rcd_sn0;
	return 0;
err:
	nrtls_nic_gcm_free(g);
	return err;
}

void nrtls_nic_gcm_free(struct nrtls_nic_gcm *g)
{
	kfree_sensitive(g->mac);
	g->mac = NULL;
	if (g->ghash)
		crypto_free_shash(g->ghash);
	g->ghash = NULL;
	if (g->ctr)
		crypto_free_sync_skcipher(g->ctr);
	g->ctr = NULL;
	memzero_explicit(g->salt, sizeof(g->salt));
	memzero_explicit(g->ek_j0, sizeof(g->ek_j0));
}

/*
 * A record starts: @hdr is its header and explicit nonce, @sn the number
 * the NIC gives it (RFC 5246 6.2.3.3: the additional data carries it).
 */
int nrtls_nic_gcm_rec_start(struct nrtls_nic_gcm *g, const u8 *hdr, u64 sn,
			    u32 plen)
{
	static const u8 pad[GCM_BLOCK - GCM_AAD];
	__be64 bsn = cpu_to_be64(sn);
	u8 aad[GCM_AAD], j0[GCM_BLOCK];
	int err;

	if (nrtls_should_fail(NRTLS_FAULT_NIC_RX_CIPHER))
		return -EIO;
	ctr_block(g, hdr + TLS_HEADER_SIZE, 1, j0);
	err = block_encrypt(g, j0);
	if (err)
		return err;
	memcpy(g->ek_j0, g->block, GCM_BLOCK);
	memcpy(aad, &bsn, sizeof(bsn));
	aad[8] = hdr[0];
	aad[9] = hdr[1];
	aad[10] = hdr[2];
	aad[11] = plen >> 8;
	aad[12] = plen & 0xff;
	err = crypto_shash_init(g->mac);
	if (!err)
		err = crypto_shash_update(g->mac, aad, sizeof(aad));
	if (!err)
		err = crypto_shash_update(g->mac, pad, sizeof(pad));
	return err;
}

/* More of the record's ciphertext. */
int nrtls_nic_gcm_mac(struct nrtls_nic_gcm *g, const u8 *p, u32 n)
{
	return crypto_shash_update(g->mac, p, n);
}

/* The record's @plen bytes are in: 0 if @tag is theirs, or -EBADMSG. */
int nrtls_nic_gcm_rec_end(struct nrtls_nic_gcm *g, u32 plen, const u8 *tag)
{
	static const u8 zeros[GCM_BLOCK];
	__be64 lens[2] = { cpu_to_be64(GCM_AAD * 8), cpu_to_be64((u64)plen * 8) };
	u8 out[GCM_BLOCK];
	int err = 0;

	if (plen % GCM_BLOCK)
		err = crypto_shash_update(g->mac, zeros,
					  GCM_BLOCK - plen % GCM_BLOCK);
	if (!err)
		err = crypto_shash_update(g->mac, (const u8 *)lens, sizeof(lens));
	if (!err)
		err = crypto_shash_final(g->mac, out);
	if (err)
		return err;
	crypto_xor(out, g->ek_j0, GCM_BLOCK);
	err = crypto_memneq(out, tag, NRTLS_NIC_TAG) ? -EBADMSG : 0;
	memzero_explicit(out, sizeof(out));
	return err;
}

/* Decrypt @n payload bytes at @p, which are bytes @off.. of a record. */
int nrtls_nic_gcm_xor(struct nrtls_nic_gcm *g, const u8 *nonce, u32 off,
		      u8 *p, u32 n)
{
	u32 skip = off % GCM_BLOCK, ctr = 2 + off / GCM_BLOCK;
	u8 iv[GCM_BLOCK];
	int err;

	if (skip) {
		u32 k = min(n, GCM_BLOCK - skip);

		ctr_block(g, nonce, ctr++, iv);
		err = block_encrypt(g, iv);
		if (err)
			return err;
		crypto_xor(p, g->block + skip, k);
		p += k;
		n -= k;
	}
	if (!n)
		return 0;
	ctr_block(g, nonce, ctr, iv);
	return ctr_xor(g, iv, p, n);
}
