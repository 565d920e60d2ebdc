// SPDX-License-Identifier: GPL-2.0
/*
 * The emulated NIC's TLS 1.2 AES-GCM record encryption, from its own
 * context state as hardware does it: the key and salt it was given at
 * tls_dev_add, and the record number it keeps itself.  Each record's nonce
 * and additional data are built from that number, never from the explicit
 * nonce in the stream or from the socket, so a wrong state gives a record
 * that fails the peer's MAC check.
 *
 * What the NIC takes from the stream is what hardware reads from it: the
 * record headers (type and length) and the plaintext.  A packet that
 * starts inside a record needs the record's earlier bytes to carry GCM's
 * state to the packet (mlx5's DUMP work requests): the NIC reads them from
 * kTLS's record list, the host memory a driver points its NIC at.
 */
#include <crypto/aead.h>
#include <linux/highmem.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <net/ip6_checksum.h>
#include <net/tcp.h>
#include <net/tls.h>

#include "fault.h"
#include "nic.h"

#define NIC_TLS_NONCE	8	/* explicit nonce, after the header */
#define NIC_TLS_SALT	4
#define NIC_TLS_TAG	16
#define NIC_TLS_PRE	(TLS_HEADER_SIZE + NIC_TLS_NONCE)
#define NIC_TLS_MAX_REC	(NIC_TLS_PRE + TLS_MAX_PAYLOAD_SIZE + NIC_TLS_TAG)

/* What a packet's encryption sees: a record's earlier bytes, then its own. */
struct nic_stream {
	u8 *pre;		/* @npre bytes before the packet */
	u32 npre;
	u8 *pkt;		/* the packet's payload, private and linear */
	u32 npkt;
};

/* Scratch for one packet, after the AEAD request. */
struct nic_scratch {
	u8 aad[TLS_AAD_SPACE_SIZE];
	u8 nonce[NIC_TLS_SALT + NIC_TLS_NONCE];
	u8 hdr[NIC_TLS_PRE];
	u8 dummy_tag[NIC_TLS_TAG];
	struct scatterlist sg[8];
};

static u64 get_be64(const u8 *p)
{
	__be64 v;

	memcpy(&v, p, sizeof(v));
	return be64_to_cpu(v);
}

/* A TLS 1.2 AES-GCM session's key material (TX and RX), or -EOPNOTSUPP. */
int nrtls_nic_tls_keys(const struct tls_crypto_info *ci,
		       struct nrtls_nic_keys *k)
{
	const union tls_crypto_context *cc = (const void *)ci;

	if (!ci || ci->version != TLS_1_2_VERSION)
		return -EOPNOTSUPP;
	switch (ci->cipher_type) {
	case TLS_CIPHER_AES_GCM_128:
		k->key = cc->aes_gcm_128.key;
		k->klen = TLS_CIPHER_AES_GCM_128_KEY_SIZE;
		k->salt = cc->aes_gcm_128.salt;
		k->iv0 = get_be64(cc->aes_gcm_128.iv);
		k->rcd_sn0 = get_be64(cc->aes_gcm_128.rec_seq);
		return 0;
	case TLS_CIPHER_AES_GCM_256:
		k->key = cc->aes_gcm_256.key;
		k->klen = TLS_CIPHER_AES_GCM_256_KEY_SIZE;
		k->salt = cc->aes_gcm_256.salt;
		k->iv0 = get_be64(cc->aes_gcm_256.iv);
		k->rcd_sn0 = get_be64(cc->aes_gcm_256.rec_seq);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

int nrtls_nic_crypto_init(struct nrtls_nic_tx_ctx *tc,
			  const struct tls_crypto_info *ci)
{
	struct nrtls_nic_keys k;
	struct crypto_aead *aead;
	int err;

	err = nrtls_nic_tls_keys(ci, &k);
	if (err)
		return err;
	if (nrtls_should_fail(NRTLS_FAULT_NIC_KEY))
		return -ENOMEM;
	/* Synchronous only: it runs in the transmit path. */
	aead = crypto_alloc_aead("gcm(aes)", 0, CRYPTO_ALG_ASYNC);
	if (IS_ERR(aead))
		return PTR_ERR(aead);
	err = crypto_aead_setkey(aead, k.key, k.klen);
	if (!err)
		err = crypto_aead_setauthsize(aead, NIC_TLS_TAG);
	if (err) {
		crypto_free_aead(aead);
		return err;
	}
	memcpy(tc->salt, k.salt, NIC_TLS_SALT);
	tc->iv0 = k.iv0;
	tc->rcd_sn0 = k.rcd_sn0;
	tc->aead = aead;
	return 0;
}

/*
 * May run in softirq context (the last reference from a completion):
 * freeing a transform does not sleep (macsec frees its keys from RCU
 * callbacks).  Under @tc->lock so that no packet is mid-encryption.
 */
void nrtls_nic_crypto_free(struct nrtls_nic_tx_ctx *tc)
{
	struct crypto_aead *aead;

	spin_lock_bh(&tc->lock);
	aead = tc->aead;
	tc->aead = NULL;
	memzero_explicit(tc->salt, sizeof(tc->salt));
	tc->iv0 = 0;
	spin_unlock_bh(&tc->lock);
	if (aead)
		crypto_free_aead(aead);
}

static void stream_copy(const struct nic_stream *s, u32 off, u8 *to, u32 len)
{
	u32 n;

	if (off < s->npre) {
		n = min(len, s->npre - off);
		memcpy(to, s->pre + off, n);
		to += n;
		off += n;
		len -= n;
	}
	if (len)
		memcpy(to, s->pkt + off - s->npre, len);
}

/* Bytes [from, to) of the stream into @sg; returns the entries used. */
static int stream_sg(const struct nic_stream *s, struct scatterlist *sg,
		     u32 from, u32 to)
{
	int n = 0;

	if (from < s->npre && from < to) {
		u32 end = min(to, s->npre);

		sg_set_buf(&sg[n++], s->pre + from, end - from);
		from = end;
	}
	if (from < to)
		sg_set_buf(&sg[n++], s->pkt + from - s->npre, to - from);
	return n;
}

/*
 * Encrypt the records that the stream's bytes [0, npre + npkt) cover, the
 * first of which starts at 0 and is record number *@sn.  On return *@sn is
 * the number of the record that the stream's end falls in, and *@pos
 * where that record starts.
 */
static int stream_encrypt(struct nrtls_nic_tx_ctx *tc, struct aead_request *req,
			  struct nic_scratch *x, const struct nic_stream *s,
			  u64 *sn, u32 *pos_out)
{
	u32 total = s->npre + s->npkt, pos = 0;
	int err;

	while (pos + NIC_TLS_PRE <= total) {
		u32 rlen, plen, data, data_end, tag_end;
		__be64 bsn = cpu_to_be64(*sn);
		/* The explicit nonce counts records from the session's IV. */
		__be64 biv = cpu_to_be64(tc->iv0 + (*sn - tc->rcd_sn0));
		int n;

		stream_copy(s, pos, x->hdr, NIC_TLS_PRE);
		rlen = TLS_HEADER_SIZE + (x->hdr[3] << 8 | x->hdr[4]);
		if (rlen < NIC_TLS_PRE + NIC_TLS_TAG || rlen > NIC_TLS_MAX_REC ||
		    (x->hdr[1] << 8 | x->hdr[2]) != TLS_1_2_VERSION)
			return -EBADMSG;
		plen = rlen - NIC_TLS_PRE - NIC_TLS_TAG;
		data = pos + NIC_TLS_PRE;
		data_end = min(data + plen, total);
		tag_end = min(pos + rlen, total);

		/* RFC 5246 6.2.3.3, from the NIC's own record number. */
		memcpy(x->aad, &bsn, sizeof(bsn));
		x->aad[8] = x->hdr[0];
		x->aad[9] = TLS_1_2_VERSION >> 8;
		x->aad[10] = TLS_1_2_VERSION & 0xff;
		x->aad[11] = plen >> 8;
		x->aad[12] = plen & 0xff;
		memcpy(x->nonce, tc->salt, NIC_TLS_SALT);
		memcpy(x->nonce + NIC_TLS_SALT, &biv, sizeof(biv));

		/*
		 * The tag goes where the record's tag bytes are in this packet;
		 * what the packet does not hold of it (or all of it, for a
		 * record that goes on) is thrown away.
		 */
		sg_init_table(x->sg, ARRAY_SIZE(x->sg));
		sg_set_buf(&x->sg[0], x->aad, TLS_AAD_SPACE_SIZE);
		n = 1 + stream_sg(s, &x->sg[1], data, data_end);
		if (data_end == data + plen)
			n += stream_sg(s, &x->sg[n], data_end, tag_end);
		sg_set_buf(&x->sg[n++], x->dummy_tag, NIC_TLS_TAG);
		sg_mark_end(&x->sg[n - 1]);
		aead_request_set_crypt(req, x->sg, x->sg, data_end - data,
				       x->nonce);
		err = crypto_aead_encrypt(req);
		if (err)
			return err;
		if (pos + rlen > total)
			break;
		pos += rlen;
		(*sn)++;
	}
	*pos_out = pos;
	return 0;
}

/*
 * Copy the first @len bytes of @rec (which starts before the packet) to
 * @to.  The pages are referenced under kTLS's lock and read after it.
 */
static int record_prefix(struct tls_offload_context_tx *octx, u32 seq,
			 u8 *to, u32 len, u64 *sn)
{
	struct {
		struct page *page;
		u32 off, len;
	} f[MAX_SKB_FRAGS];
	struct tls_record_info *rec;
	unsigned long flags;
	int i, nf = 0;
	u32 left = len;

	spin_lock_irqsave(&octx->lock, flags);
	rec = tls_get_record(octx, seq, sn);
	if (!rec || tls_record_is_start_marker(rec) ||
	    tls_record_start_seq(rec) != seq - len) {
		spin_unlock_irqrestore(&octx->lock, flags);
		return -ENOENT;
	}
	for (i = 0; left && i < rec->num_frags; i++) {
		skb_frag_t *frag = &rec->frags[i];

		f[nf].page = skb_frag_page(frag);
		f[nf].off = skb_frag_off(frag);
		f[nf].len = min(left, skb_frag_size(frag));
		get_page(f[nf].page);
		left -= f[nf++].len;
	}
	spin_unlock_irqrestore(&octx->lock, flags);

	for (i = 0; i < nf; i++) {
		u32 off = f[i].off;

		/* A frag may span pages (compound pages of kTLS's frag cache). */
		for (u32 done = 0; done < f[i].len;) {
			struct page *p = f[i].page + (off + done) / PAGE_SIZE;
			u32 po = (off + done) % PAGE_SIZE;
			u32 n = min_t(u32, f[i].len - done, PAGE_SIZE - po);

			memcpy_from_page(to, p, po, n);
			to += n;
			done += n;
		}
		put_page(f[i].page);
	}
	return left ? -EIO : 0;
}

/*
 * Where packet @seq starts relative to its record, and that record's
 * number, from kTLS's record list (a resync).  @sync < 0: the packet
 * starts before offloading did, and how far.
 */
int nrtls_nic_crypto_locate(struct sock *sk, u32 seq, s32 *sync, u64 *sn)
{
	struct tls_offload_context_tx *octx =
		tls_offload_ctx_tx(tls_get_ctx(sk));
	struct tls_record_info *rec;
	unsigned long flags;
	int err = 0;

	spin_lock_irqsave(&octx->lock, flags);
	rec = tls_get_record(octx, seq, sn);
	if (!rec)
		err = -ENOENT;
	else
		*sync = seq - tls_record_start_seq(rec);
	if (rec && tls_record_is_start_marker(rec) && *sync >= 0)
		err = -ENOENT;
	spin_unlock_irqrestore(&octx->lock, flags);
	return err;
}

/*
 * The payload changed under a checksum the stack computed in software
 * (transmit checksumming turned off): have it computed again, after.
 */
static void nic_csum_partial(struct sk_buff *skb)
{
	struct tcphdr *th = tcp_hdr(skb);
	int len = skb->len - skb_transport_offset(skb);

	if (skb->ip_summed == CHECKSUM_PARTIAL)
		return;
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
	if (ip_hdr(skb)->version == 6)
		th->check = ~tcp_v6_check(len, &ipv6_hdr(skb)->saddr,
					  &ipv6_hdr(skb)->daddr, 0);
	else
		th->check = ~tcp_v4_check(len, ip_hdr(skb)->saddr,
					  ip_hdr(skb)->daddr, 0);
}

/*
 * Encrypt packet @skb in place (it is made private and linear first),
 * which starts @sync bytes into record number *@sn.  On return *@sn is
 * the number of the record the packet ends in and *@rec_off how far into
 * it.  Called with @tc->lock.
 */
int nrtls_nic_crypto_encrypt(struct nrtls_nic_tx_ctx *tc, struct sk_buff *skb,
			     u32 sync, u64 *sn, u32 *rec_off)
{
	u32 hlen = skb_tcp_all_headers(skb), seq = ntohl(tcp_hdr(skb)->seq);
	struct aead_request *req;
	struct nic_scratch *x;
	struct nic_stream s;
	size_t rsize;
	void *buf;
	u32 pos;
	int err;

	lockdep_assert_held(&tc->lock);
	if (!tc->aead)
		return -ENODEV;
	if (sync > NIC_TLS_MAX_REC)
		return -EBADMSG;
	/* The frags may be the page cache's: never write into them. */
	if (skb_linearize_cow(skb))
		return -ENOMEM;

	rsize = ALIGN(sizeof(*req) + crypto_aead_reqsize(tc->aead),
		      __alignof__(struct nic_scratch));
	buf = kmalloc(rsize + sizeof(*x) + sync, GFP_ATOMIC);
	if (!buf)
		return -ENOMEM;
	req = buf;
	x = buf + rsize;
	s.pre = (u8 *)(x + 1);
	s.npre = sync;
	s.pkt = skb->data + hlen;
	s.npkt = skb->len - hlen;
	if (sync) {
		u64 rec_sn;

		err = record_prefix(tls_offload_ctx_tx(tls_get_ctx(skb->sk)),
				    seq, s.pre, sync, &rec_sn);
		if (err)
			goto out;
	}
	aead_request_set_tfm(req, tc->aead);
	aead_request_set_callback(req, 0, NULL, NULL);
	aead_request_set_ad(req, TLS_AAD_SPACE_SIZE);
	err = stream_encrypt(tc, req, x, &s, sn, &pos);
	if (!err) {
		*rec_off = s.npre + s.npkt - pos;
		nic_csum_partial(skb);
	}
out:
	kfree_sensitive(buf);
	return err;
}
