// SPDX-License-Identifier: GPL-2.0
/*
 * TLS RX offload on the emulated NIC, modelled on mlx5: stock kTLS asks
 * for it with tls_dev_add(..., TLS_OFFLOAD_CTX_DIR_RX, ...) when
 * tls-hw-rx-offload is on, and from then on the NIC decrypts the flow's
 * packets as they arrive, before the stack sees them, from its own state:
 * the key and salt it was given, where in the TCP stream the next packet
 * should start, which record that falls in and how far into it.
 *
 * An in-order packet gets every byte of the records it carries decrypted
 * in place and is marked decrypted, whatever records it cuts; a record's
 * tag is checked in the packet that ends it, and a packet with a tag that
 * does not verify goes up exactly as it came, so that kTLS re-encrypts the
 * record's other packets and fails it in software with EBADMSG.
 *
 * A packet anywhere else (a gap, an overlap) loses the NIC its place.  It
 * then looks for bytes that look like a record header, asks the stack to
 * confirm that a record starts there (tls_offload_rx_resync_request),
 * follows the records from that header on, and decrypts again from the
 * first record that starts after the stack confirmed it and told the
 * record's number (tls_dev_resync).  Meanwhile packets go up encrypted.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/jhash.h>
#include <linux/seq_file.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/tcp.h>
#include <net/tls.h>

#include "compat.h"
#include "counters.h"
#include "fault.h"
#include "nic.h"

/* TLS 1.2 allows 2^14 + 2048 bytes of ciphertext in a record. */
#define RX_MAX_LEN	(TLS_MAX_PAYLOAD_SIZE + 2048)
/* Record types: change_cipher_spec (20) to application_data (23). */
#define RX_TYPE_MIN	20
#define RX_TYPE_MAX	23

static struct nrtls_nic_rx_ctx *rx_ctx(struct nrtls_ctx *ctx)
{
	return nrtls_ctx_priv(ctx);
}

static struct nrtls_ctx **rx_slot(struct tls_context *tls_ctx)
{
	return __tls_driver_ctx(tls_ctx, TLS_OFFLOAD_CTX_DIR_RX);
}

static u32 flow_hash(const struct nrtls_flow *f)
{
	return jhash2((const u32 *)f, sizeof(*f) / sizeof(u32), 0);
}

void nrtls_nic_rx_init(struct nrtls_nic *nic)
{
	hash_init(nic->rx_flows);
	spin_lock_init(&nic->rx_lock);
	atomic_set(&nic->rx_nflows, 0);
}

/* A TLS 1.2 record header; the payload length after nonce and tag. */
static bool hdr_ok(const u8 *h, u32 *plen)
{
	u32 len = h[3] << 8 | h[4];

	if (h[0] < RX_TYPE_MIN || h[0] > RX_TYPE_MAX || h[1] != 3 || h[2] != 3 ||
	    len < NRTLS_NIC_RX_PRE - TLS_HEADER_SIZE + NRTLS_NIC_TAG ||
	    len > RX_MAX_LEN)
		return false;
	*plen = len - (NRTLS_NIC_RX_PRE - TLS_HEADER_SIZE) - NRTLS_NIC_TAG;
	return true;
}

enum rx_walk {
	WALK_FRAME,	/* check the record headers only */
	WALK_MAC,	/* and authenticate: the context's own state moves */
	WALK_XOR,	/* decrypt in place */
};

/*
 * Follow @len bytes at @p from position @pos.  Returns 0, -EPROTO for a
 * header no TLS 1.2 record has, -EBADMSG when a tag does not verify (the
 * walk goes on), or the cipher's error.
 */
static int rx_walk(struct nrtls_nic_rx_ctx *rc, struct nrtls_nic_rx_pos *pos,
		   enum rx_walk how, u8 *p, u32 len)
{
	int ret = 0, err = 0;
	u32 n;

	lockdep_assert_held(&rc->lock);
	for (; len; p += n, len -= n) {
		switch (pos->phase) {
		case NIC_RX_HDR:
			n = min_t(u32, NRTLS_NIC_RX_PRE - pos->have, len);
			memcpy(pos->hdr + pos->have, p, n);
			pos->have += n;
			if (pos->have < NRTLS_NIC_RX_PRE)
				break;
			if (!hdr_ok(pos->hdr, &pos->plen))
				return -EPROTO;
			pos->have = 0;
			pos->done = 0;
			pos->phase = pos->plen ? NIC_RX_DATA : NIC_RX_TAG;
			pos->mac = rc->state == NIC_RX_SYNCED;
			if (how != WALK_MAC)
				break;
			if (rc->state == NIC_RX_TRACK)
				rc->track_recs++;
			if (pos->mac)
				err = nrtls_nic_gcm_rec_start(&rc->gcm, pos->hdr,
							      rc->rcd_sn++,
							      pos->plen);
			break;
		case NIC_RX_DATA:
			n = min(pos->plen - pos->done, len);
			if (how == WALK_MAC && pos->mac)
				err = nrtls_nic_gcm_mac(&rc->gcm, p, n);
			else if (how == WALK_XOR && pos->mac)
				err = nrtls_nic_gcm_xor(&rc->gcm,
							pos->hdr + TLS_HEADER_SIZE,
							pos->done, p, n);
			pos->done += n;
			if (pos->done == pos->plen)
				pos->phase = NIC_RX_TAG;
			break;
		default:
			n = min_t(u32, NRTLS_NIC_TAG - pos->have, len);
			memcpy(pos->tag + pos->have, p, n);
			pos->have += n;
			if (pos->have < NRTLS_NIC_TAG)
				break;
			pos->have = 0;
			pos->phase = NIC_RX_HDR;
			if (how == WALK_MAC && pos->mac) {
				err = nrtls_nic_gcm_rec_end(&rc->gcm, pos->plen,
							    pos->tag);
				if (err == -EBADMSG) {
					ret = err;
					err = 0;
				}
			}
			break;
		}
		if (err)
			return err;
	}
	return ret;
}

static void rx_lose(struct nrtls_nic *nic, struct nrtls_nic_rx_ctx *rc)
{
	lockdep_assert_held(&rc->lock);
	rc->state = NIC_RX_SEARCH;
	rc->lost++;
	nrtls_nic_stat_inc(nic, NIC_ST_RX_TLS_LOST);
}

/*
 * Following a candidate to the end of the packet costs a step per record:
 * a packet (the peer's bytes) can hold a candidate at every few bytes,
 * each failing only at its end.  Past this many failed ones, the next
 * packet is searched instead, so that a search stays linear in softirq.
 */
#define NIC_RX_SEARCH_WALKS	4

/*
 * Lost: look in the packet for a record header, the next one after it
 * too where the packet holds it, and follow the stream from there while
 * the stack is asked whether a record starts at that header.
 */
static void rx_search(struct nrtls_nic *nic, struct nrtls_nic_rx_ctx *rc,
		      u8 *p, u32 seq, u32 len)
{
	u32 o, plen, next, last, walks = NIC_RX_SEARCH_WALKS;

	lockdep_assert_held(&rc->lock);
	for (o = 0; o + TLS_HEADER_SIZE <= len; o++) {
		if (!hdr_ok(p + o, &plen))
			continue;
		next = o + NRTLS_NIC_RX_PRE + plen + NRTLS_NIC_TAG;
		if (next + TLS_HEADER_SIZE <= len && !hdr_ok(p + next, &plen))
			continue;
		memset(&rc->pos, 0, sizeof(rc->pos));
		rc->state = NIC_RX_TRACK;
		rc->track_seq = seq + o;
		rc->track_recs = 0;
		if (rx_walk(rc, &rc->pos, WALK_MAC, p + o, len - o)) {
			rc->state = NIC_RX_SEARCH;
			if (--walks)
				continue;
			nrtls_nic_stat_inc(nic, NIC_ST_RX_TLS_SEARCH_GIVEUP);
			return;
		}
		/* The stack matches the header's last byte (DRIVER_REQ). */
		last = rc->track_seq + TLS_HEADER_SIZE - 1;
		tls_offload_rx_resync_request(rc->sk, htonl(last));
		rc->resync_req++;
		nrtls_nic_stat_inc(nic, NIC_ST_RX_TLS_RESYNC_REQ);
		return;
	}
}

/*
 * A packet of flow @rc, payload @len bytes at @off from skb->data, TCP
 * sequence @seq.  Returns false if the packet must be dropped.
 */
static bool rx_packet(struct nrtls_nic *nic, struct nrtls_nic_rx_ctx *rc,
		      struct sk_buff *skb, u32 off, u32 seq, u32 len)
{
	struct nrtls_nic_rx_pos start, tmp;
	bool decrypt;
	int err;
	u8 *p;

	lockdep_assert_held(&rc->lock);
	if (rc->state != NIC_RX_SEARCH && seq != rc->next_seq) {
		/* Data the NIC has seen: TCP throws it away. */
		if (!after(seq + len, rc->next_seq))
			goto encrypted;
		rc->ooo++;
		nrtls_nic_stat_inc(nic, NIC_ST_RX_TLS_OOO);
		rx_lose(nic, rc);
	}
	/* The fault stands for a packet the NIC never saw. */
	if (rc->state != NIC_RX_SEARCH &&
	    nrtls_should_fail(NRTLS_FAULT_NIC_RX_SYNC))
		rx_lose(nic, rc);
	rc->next_seq = seq + len;
	/* Shared frags (TCP's retransmit queue, the page cache): copy them. */
	if (nrtls_should_fail(NRTLS_FAULT_NIC_RX_MEM) ||
	    skb_linearize_cow(skb)) {
		if (rc->state != NIC_RX_SEARCH)
			rx_lose(nic, rc);
		goto encrypted;
	}
	p = skb->data + off;
	if (rc->state == NIC_RX_SEARCH) {
		rx_search(nic, rc, p, seq, len);
		goto encrypted;
	}
	start = rc->pos;
	/* A checksum not yet validated would fail on the plaintext. */
	decrypt = rc->state == NIC_RX_SYNCED &&
		  (start.phase == NIC_RX_HDR || start.mac) &&
		  (skb->ip_summed == CHECKSUM_PARTIAL ||
		   skb->ip_summed == CHECKSUM_UNNECESSARY);
	tmp = start;
	if (rx_walk(rc, &tmp, WALK_FRAME, p, len)) {
		rx_lose(nic, rc);
		goto encrypted;
	}
	err = rx_walk(rc, &rc->pos, WALK_MAC, p, len);
	if (err == -EBADMSG) {
		rc->auth_fail++;
		nrtls_nic_stat_inc(nic, NIC_ST_RX_TLS_AUTH_FAIL);
		goto encrypted;
	}
	if (err) {
		rx_lose(nic, rc);
		goto encrypted;
	}
	if (!decrypt)
		goto encrypted;
	tmp = start;
	/* CTR cannot fail on memory that is there; a half-done packet must go. */
	if (WARN_ON_ONCE(rx_walk(rc, &tmp, WALK_XOR, p, len))) {
		rx_lose(nic, rc);
		return false;
	}
	nrtls_skb_mark_decrypted(skb, true);
	rc->pkts++;
	rc->bytes += len;
	nrtls_nic_stat_inc(nic, NIC_ST_RX_TLS_PKTS);
	nrtls_nic_stat_add(nic, NIC_ST_RX_TLS_BYTES, len);
	return true;

encrypted:
	rc->enc_pkts++;
	nrtls_nic_stat_inc(nic, NIC_ST_RX_TLS_ENC_PKTS);
	return true;
}

/*
 * The flow of the TCP segment in @skb (data at its network header), seen
 * from the receiving socket, with where its payload starts and how long
 * it is.  Anything but plain IPv4 or IPv6 TCP is not looked at, as
 * hardware parsers skip what they do not know.
 */
static bool rx_parse(struct sk_buff *skb, struct nrtls_flow *f, u32 *off,
		     u32 *seq, u32 *len)
{
	u32 nhlen, tot;
	struct tcphdr *th;

	memset(f, 0, sizeof(*f));
	f->protocol = IPPROTO_TCP;
	if (skb->protocol == htons(ETH_P_IP)) {
		const struct iphdr *iph;

		if (!pskb_may_pull(skb, sizeof(*iph)))
			return false;
		iph = (const struct iphdr *)skb->data;
		nhlen = iph->ihl * 4;
		tot = ntohs(iph->tot_len);
		if (iph->ihl < 5 || iph->protocol != IPPROTO_TCP ||
		    ip_is_fragment(iph))
			return false;
		f->family = AF_INET;
		f->saddr[0] = iph->daddr;
		f->daddr[0] = iph->saddr;
	} else if (skb->protocol == htons(ETH_P_IPV6)) {
		const struct ipv6hdr *ip6h;

		if (!pskb_may_pull(skb, sizeof(*ip6h)))
			return false;
		ip6h = (const struct ipv6hdr *)skb->data;
		nhlen = sizeof(*ip6h);
		tot = nhlen + ntohs(ip6h->payload_len);
		if (ip6h->nexthdr != IPPROTO_TCP || tot == nhlen)
			return false;
		f->family = AF_INET6;
		memcpy(f->saddr, &ip6h->daddr, sizeof(f->saddr));
		memcpy(f->daddr, &ip6h->saddr, sizeof(f->daddr));
	} else {
		return false;
	}
	if (tot > skb->len || !pskb_may_pull(skb, nhlen + sizeof(*th)))
		return false;
	th = (struct tcphdr *)(skb->data + nhlen);
	*off = nhlen + th->doff * 4;
	if (th->doff < 5 || *off > tot || th->syn || th->rst ||
	    !pskb_may_pull(skb, *off))
		return false;
	th = (struct tcphdr *)(skb->data + nhlen);
	f->sport = th->dest;
	f->dport = th->source;
	*seq = ntohl(th->seq);
	*len = tot - *off;
	return *len;
}

/*
 * A frame that arrived at @nic, about to go up the stack (softirq, under
 * RCU).  Returns false if it must be dropped.
 */
bool nrtls_nic_rx(struct nrtls_nic *nic, struct sk_buff *skb)
{
	struct nrtls_nic_rx_ctx *rc;
	struct nrtls_flow f;
	u32 off, seq, len;
	bool ok = true;

	if (!atomic_read(&nic->rx_nflows) ||
	    !(nic->dev->features & NETIF_F_HW_TLS_RX) ||
	    !rx_parse(skb, &f, &off, &seq, &len))
		return true;
	hash_for_each_possible_rcu(nic->rx_flows, rc, hnode, flow_hash(&f)) {
		if (memcmp(&rc->ctx->flow, &f, sizeof(f)))
			continue;
		spin_lock(&rc->lock);
		if (rc->sk && rc->gcm.mac)
			ok = rx_packet(nic, rc, skb, off, seq, len);
		spin_unlock(&rc->lock);
		break;
	}
	return ok;
}

static void rx_unhash(struct nrtls_nic_rx_ctx *rc)
{
	struct nrtls_nic *nic = rc->nic;

	spin_lock_bh(&nic->rx_lock);
	if (!hlist_unhashed(&rc->hnode)) {
		hash_del_rcu(&rc->hnode);
		atomic_dec(&nic->rx_nflows);
	}
	spin_unlock_bh(&nic->rx_lock);
}

/* Last reference, or the device unregisters; may run in softirq context. */
static void rx_ctx_free(struct nrtls_ctx *ctx)
{
	struct nrtls_nic_rx_ctx *rc = rx_ctx(ctx);

	rx_unhash(rc);
	/* A packet being decrypted holds the lock: wait for it. */
	spin_lock_bh(&rc->lock);
	rc->sk = NULL;
	nrtls_nic_gcm_free(&rc->gcm);
	spin_unlock_bh(&rc->lock);
}

static const char *const rx_state_names[] = {
	[NIC_RX_SYNCED] = "synced",
	[NIC_RX_SEARCH] = "search",
	[NIC_RX_TRACK] = "track",
};

static void rx_ctx_show(struct nrtls_ctx *ctx, struct seq_file *m)
{
	struct nrtls_nic_rx_ctx *rc = rx_ctx(ctx);

	spin_lock_bh(&rc->lock);
	seq_printf(m, " rx=%s pkts=%llu bytes=%llu encrypted=%llu auth_fail=%llu ooo=%llu lost=%llu resync_req=%llu resyncs=%llu next_seq=%u personality=%s",
		   rx_state_names[rc->state], rc->pkts, rc->bytes,
		   rc->enc_pkts, rc->auth_fail, rc->ooo, rc->lost,
		   rc->resync_req, rc->resyncs, rc->next_seq,
		   rc->nic->pers->name);
	spin_unlock_bh(&rc->lock);
}

static const struct nrtls_ctx_ops rx_ctx_ops = {
	.free = rx_ctx_free,
	.show = rx_ctx_show,
};

/* tls_dev_add for RX: the stream's next record starts at @start_seq. */
int nrtls_nic_rx_add(struct nrtls_nic *nic, struct sock *sk,
		     struct tls_crypto_info *ci, u32 start_seq)
{
	struct nrtls_nic_rx_ctx *rc;
	struct nrtls_ctx *ctx;
	struct nrtls_flow f;
	int err;

	/* Only mlx5 offers NETIF_F_HW_TLS_RX, without which the stack never asks. */
	nrtls_ctx_flow_of_sk(sk, &f);
	ctx = nrtls_ctx_alloc(nic->dev, &f, NRTLS_CTX_TLS_RX, &rx_ctx_ops,
			      sizeof(*rc), GFP_KERNEL_ACCOUNT);
	if (IS_ERR(ctx)) {
		err = PTR_ERR(ctx);
		goto fail;
	}
	rc = rx_ctx(ctx);
	rc->nic = nic;
	rc->ctx = ctx;
	spin_lock_init(&rc->lock);
	err = nrtls_nic_gcm_init(&rc->gcm, ci, &rc->rcd_sn);
	if (!err)
		err = nrtls_ctx_charge_caller(ctx);
	if (err) {
		nrtls_ctx_put(ctx);
		goto fail;
	}
	rc->state = NIC_RX_SYNCED;
	rc->next_seq = start_seq;
	rc->sk = sk;
	nrtls_ctx_set_mode(ctx, NRTLS_MODE_DEVICE);
	/* A context someone made for the flow keeps the key; this one works. */
	nrtls_ctx_set_sock(ctx, sk);
	nrtls_ctx_publish(ctx);
	*rx_slot(tls_get_ctx(sk)) = ctx;
	spin_lock_bh(&nic->rx_lock);
	hash_add_rcu(nic->rx_flows, &rc->hnode, flow_hash(&f));
	atomic_inc(&nic->rx_nflows);
	spin_unlock_bh(&nic->rx_lock);
	nrtls_nic_stat_inc(nic, NIC_ST_RX_TLS_ADD);
	return 0;
fail:
	nrtls_nic_stat_inc(nic, NIC_ST_RX_TLS_ADD_FAIL);
	return err;
}

/* tls_dev_del for RX: after it, the socket is not touched again. */
void nrtls_nic_rx_del(struct nrtls_nic *nic, struct tls_context *tls_ctx)
{
	struct nrtls_ctx **slot = rx_slot(tls_ctx);
	struct nrtls_ctx *ctx = *slot;
	struct nrtls_nic_rx_ctx *rc;

	if (!ctx)
		return;
	*slot = NULL;
	rc = rx_ctx(ctx);
	rx_unhash(rc);
	spin_lock_bh(&rc->lock);
	rc->sk = NULL;
	spin_unlock_bh(&rc->lock);
	nrtls_ctx_unpublish(ctx);
	nrtls_ctx_put(ctx);
	nrtls_nic_stat_inc(nic, NIC_ST_RX_TLS_DEL);
}

/*
 * tls_dev_resync for RX: the stack confirms that record number @rcd_sn
 * has its header's last byte at @seq.  Only the answer to the NIC's
 * latest question counts.
 */
int nrtls_nic_rx_resync(struct sock *sk, u32 seq, const u8 *rcd_sn)
{
	struct nrtls_ctx *ctx = *rx_slot(tls_get_ctx(sk));
	struct nrtls_nic_rx_ctx *rc;
	__be64 sn;

	if (!ctx)
		return -ENOENT;
	rc = rx_ctx(ctx);
	memcpy(&sn, rcd_sn, sizeof(sn));
	spin_lock_bh(&rc->lock);
	if (rc->state == NIC_RX_TRACK &&
	    seq == rc->track_seq + TLS_HEADER_SIZE - 1) {
		rc->rcd_sn = be64_to_cpu(sn) + rc->track_recs;
		rc->state = NIC_RX_SYNCED;
		rc->resyncs++;
		nrtls_nic_stat_inc(rc->nic, NIC_ST_RX_TLS_RESYNC);
	}
	spin_unlock_bh(&rc->lock);
	return 0;
}
