/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints (events/nrtls/ in tracefs): the order of events of a
 * sendfile, which tests read to check that the call returned before the
 * read completed and that data reached TCP only after it.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM nrtls

#if !defined(_NRTLS_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _NRTLS_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(nrtls_sf_queued,
	TP_PROTO(u64 req, u32 hdr, u64 ready, u64 notready),
	TP_ARGS(req, hdr, ready, notready),
	TP_STRUCT__entry(
		__field(u64, req)
		__field(u32, hdr)
		__field(u64, ready)
		__field(u64, notready)
	),
	TP_fast_assign(
		__entry->req = req;
		__entry->hdr = hdr;
		__entry->ready = ready;
		__entry->notready = notready;
	),
	TP_printk("req=%llu hdr=%u ready=%llu notready=%llu", __entry->req,
		  __entry->hdr, __entry->ready, __entry->notready)
);

TRACE_EVENT(nrtls_sf_io_done,
	TP_PROTO(u64 req, loff_t pos, u32 len, int err),
	TP_ARGS(req, pos, len, err),
	TP_STRUCT__entry(
		__field(u64, req)
		__field(loff_t, pos)
		__field(u32, len)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->req = req;
		__entry->pos = pos;
		__entry->len = len;
		__entry->err = err;
	),
	TP_printk("req=%llu pos=%lld len=%u err=%d", __entry->req,
		  __entry->pos, __entry->len, __entry->err)
);

/* A read job starts on the pool (its common_pid is the pool's thread). */
TRACE_EVENT(nrtls_sf_read,
	TP_PROTO(u64 req, loff_t pos, u32 len),
	TP_ARGS(req, pos, len),
	TP_STRUCT__entry(
		__field(u64, req)
		__field(loff_t, pos)
		__field(u32, len)
	),
	TP_fast_assign(
		__entry->req = req;
		__entry->pos = pos;
		__entry->len = len;
	),
	TP_printk("req=%llu pos=%lld len=%u", __entry->req, __entry->pos,
		  __entry->len)
);

/* A segment's folio was left by another read: read it again (the pool). */
TRACE_EVENT(nrtls_sf_retry,
	TP_PROTO(u64 req, loff_t pos, u32 len, bool dropped),
	TP_ARGS(req, pos, len, dropped),
	TP_STRUCT__entry(
		__field(u64, req)
		__field(loff_t, pos)
		__field(u32, len)
		__field(bool, dropped)
	),
	TP_fast_assign(
		__entry->req = req;
		__entry->pos = pos;
		__entry->len = len;
		__entry->dropped = dropped;
	),
	TP_printk("req=%llu pos=%lld len=%u dropped=%d", __entry->req,
		  __entry->pos, __entry->len, __entry->dropped)
);

TRACE_EVENT(nrtls_sf_push,
	TP_PROTO(u64 req, u64 bytes, int ret),
	TP_ARGS(req, bytes, ret),
	TP_STRUCT__entry(
		__field(u64, req)
		__field(u64, bytes)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->req = req;
		__entry->bytes = bytes;
		__entry->ret = ret;
	),
	TP_printk("req=%llu bytes=%llu ret=%d", __entry->req, __entry->bytes,
		  __entry->ret)
);

TRACE_EVENT(nrtls_sf_error,
	TP_PROTO(int err, unsigned int io_pending),
	TP_ARGS(err, io_pending),
	TP_STRUCT__entry(
		__field(int, err)
		__field(unsigned int, io_pending)
	),
	TP_fast_assign(
		__entry->err = err;
		__entry->io_pending = io_pending;
	),
	TP_printk("err=%d io_pending=%u", __entry->err, __entry->io_pending)
);

TRACE_EVENT(nrtls_sf_abort,
	TP_PROTO(int err, int state),
	TP_ARGS(err, state),
	TP_STRUCT__entry(
		__field(int, err)
		__field(int, state)
	),
	TP_fast_assign(
		__entry->err = err;
		__entry->state = state;
	),
	TP_printk("err=%d tcp_state=%d", __entry->err, __entry->state)
);

/* @total: header and file bytes the request took on (at most 2 GiB - 4 KiB). */
TRACE_EVENT(nrtls_sf_done,
	TP_PROTO(u64 req, u64 total, u64 queued, u64 sent, int result),
	TP_ARGS(req, total, queued, sent, result),
	TP_STRUCT__entry(
		__field(u64, req)
		__field(u64, total)
		__field(u64, queued)
		__field(u64, sent)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->req = req;
		__entry->total = total;
		__entry->queued = queued;
		__entry->sent = sent;
		__entry->result = result;
	),
	TP_printk("req=%llu total=%llu queued=%llu sent=%llu result=%d",
		  __entry->req, __entry->total, __entry->queued, __entry->sent,
		  __entry->result)
);

#endif /* _NRTLS_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
