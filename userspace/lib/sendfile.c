// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libnrtls sendfile: one IORING_OP_URING_CMD with the module; otherwise a
 * small state machine per operation over SEND, linked SPLICE pairs, or
 * READ + SSL_write() for TLS that stayed in userspace.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <liburing.h>
#include <openssl/err.h>

#include "libnrtls.h"

#define PIPE_SIZE	(1 << 20)
#define TLS_BUF		(64 * 1024)
/*
 * Without the module, a small file is read into a buffer and sent with its
 * header in one SEND: IORING_OP_SPLICE always goes through an io-wq thread,
 * which costs more than copying a few pages.
 */
#define COPY_MAX	(64 * 1024)
#define MAX_PIPES	256

/* The role of an SQE, in bits 1-2 of its user_data. */
enum role { R_SINGLE = 0, R_SPLICE_IN = 1, R_SPLICE_OUT = 2, R_NOP = 3 };

enum stage { S_HDR, S_BODY, S_DONE };
enum path {
	P_MODULE = NRTLS_OP_MODULE,
	P_SPLICE = NRTLS_OP_SPLICE,
	P_TLS_USER = NRTLS_OP_TLS_USER,
};

struct nrtls {
	struct io_uring *ring;
	int dev;			/* /dev/nrtls, or -1 */
	int pipes[MAX_PIPES][2];
	uint32_t pipe_size[MAX_PIPES];	/* what each holds: a splice in moves no more */
	uint32_t page_size;
	int free_pipes[MAX_PIPES];
	int nfree, npipes;
	/* Operations waiting for a pipe, when all MAX_PIPES are in use. */
	struct nrtls_op *waiting, **waiting_tail;
	struct nrtls_stats st;
};

struct nrtls *nrtls_new(struct io_uring *ring, unsigned int flags)
{
	struct nrtls *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->ring = ring;
	n->dev = -1;
	n->page_size = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
	n->waiting_tail = &n->waiting;
	if (!(flags & NRTLS_F_NO_MODULE))
		n->dev = open(NRTLS_DEVICE, O_RDWR | O_CLOEXEC);
	return n;
}

void nrtls_free(struct nrtls *n)
{
	if (!n)
		return;
	for (int i = 0; i < n->npipes; i++) {
		close(n->pipes[i][0]);
		close(n->pipes[i][1]);
	}
	if (n->dev >= 0)
		close(n->dev);
	free(n);
}

enum nrtls_path nrtls_get_path(const struct nrtls *n)
{
	return n->dev >= 0 ? NRTLS_PATH_MODULE : NRTLS_PATH_SPLICE;
}

const char *nrtls_path_name(enum nrtls_path path)
{
	return path == NRTLS_PATH_MODULE ? "nrtls" : "splice";
}

void nrtls_get_stats(const struct nrtls *n, struct nrtls_stats *st)
{
	*st = n->st;
}

enum nrtls_op_path nrtls_op_path(const struct nrtls_op *op)
{
	return op->priv.path;
}

const char *nrtls_op_path_name(const struct nrtls_op *op)
{
	static const char *const names[] = { "nrtls", "splice", "tls-userspace" };

	/* Nothing from the file: the head alone went out as a send. */
	if (op->priv.path == P_SPLICE && !op->count)
		return "send";
	return names[op->priv.path];
}

static struct io_uring_sqe *get_sqe(struct nrtls *n)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(n->ring);

	if (!sqe) {
		/* Full: submit what is there to make room. */
		io_uring_submit(n->ring);
		sqe = io_uring_get_sqe(n->ring);
	}
	return sqe;
}

/*
 * Room for a linked pair: a submit between the two halves would send the
 * first one alone and the link would not order them.
 */
static bool room_for_pair(struct nrtls *n)
{
	if (io_uring_sq_space_left(n->ring) < 2)
		io_uring_submit(n->ring);
	return io_uring_sq_space_left(n->ring) >= 2;
}

static void set_data(struct io_uring_sqe *sqe, struct nrtls_op *op, enum role r)
{
	io_uring_sqe_set_data64(sqe, (uintptr_t)op | r << 1 | NRTLS_CQE_TAG);
}

/*
 * A bigger pipe moves more per round.  F_SETPIPE_SZ fails for a user over
 * /proc/sys/fs/pipe-user-pages-soft, whose new pipes are then smaller than
 * the default even: a splice in of more than the pipe holds would come up
 * short and break its link, so each round moves what this one holds.
 */
static void pipe_sized(struct nrtls *n, int i)
{
	int size;

	fcntl(n->pipes[i][0], F_SETPIPE_SZ, PIPE_SIZE);
	size = fcntl(n->pipes[i][0], F_GETPIPE_SZ);
	n->pipe_size[i] = size > 0 ? (uint32_t)size : n->page_size;
}

/* A free pipe; -EBUSY when all are in use (wait for one), or -errno. */
static int pipe_get(struct nrtls *n)
{
	if (n->nfree)
		return n->free_pipes[--n->nfree];
	if (n->npipes == MAX_PIPES)
		return -EBUSY;
	if (pipe2(n->pipes[n->npipes], O_CLOEXEC))
		return n->npipes ? -EBUSY : -errno;	/* out of fds: wait */
	pipe_sized(n, n->npipes);
	return n->npipes++;
}

/*
 * A pipe goes back only empty: after an error it may hold data, which
 * must not leak into the next response, so it is replaced.
 */
static void pipe_put(struct nrtls *n, int i, bool dirty)
{
	if (dirty) {
		close(n->pipes[i][0]);
		close(n->pipes[i][1]);
		if (pipe2(n->pipes[i], O_CLOEXEC)) {
			n->pipes[i][0] = n->pipes[i][1] = -1;
			return;	/* the slot is lost; the pool shrinks */
		}
		pipe_sized(n, i);
	}
	n->free_pipes[n->nfree++] = i;
}

static bool queue_splice(struct nrtls *n, struct nrtls_op *op);

/* A pipe came free: start the operation that waited longest for one. */
static void pipe_resume(struct nrtls *n)
{
	struct nrtls_op *op = n->waiting;

	if (!op || !n->nfree)
		return;
	n->waiting = op->priv.wait_next;
	if (!n->waiting)
		n->waiting_tail = &n->waiting;
	queue_splice(n, op);
}

static uint64_t op_total(const struct nrtls_op *op)
{
	return op->hdr_len + op->count;
}

/* Queue the next SQE(s) of @op; false if the op is finished. */
static bool op_step(struct nrtls *n, struct nrtls_op *op);

static void op_fail(struct nrtls_op *op, int err)
{
	if (!op->priv.err)
		op->priv.err = err;
	op->priv.stage = S_DONE;
}

static bool queue_send_hdr(struct nrtls *n, struct nrtls_op *op)
{
	struct io_uring_sqe *sqe = get_sqe(n);

	if (!sqe) {
		op_fail(op, -EBUSY);
		return false;
	}
	io_uring_prep_send(sqe, op->sock, (const char *)op->hdr + op->priv.hdr_done,
			   op->hdr_len - op->priv.hdr_done,
			   MSG_NOSIGNAL | (op->count ? MSG_MORE : 0));
	set_data(sqe, op, R_SINGLE);
	op->priv.inflight = 1;
	return true;
}

static bool queue_splice(struct nrtls *n, struct nrtls_op *op)
{
	struct nrtls_op_state *s = &op->priv;
	struct io_uring_sqe *in = NULL, *out;
	uint64_t left = op->count - s->file_done;
	uint32_t chunk;

	if (s->pipe < 0) {
		s->pipe = pipe_get(n);
		if (s->pipe == -EBUSY) {
			/* Resumed by the next pipe_put(). */
			s->pipe = -1;
			op->priv.wait_next = NULL;
			*n->waiting_tail = op;
			n->waiting_tail = &op->priv.wait_next;
			return true;
		}
		if (s->pipe < 0) {
			op_fail(op, s->pipe);
			return false;
		}
	}
	if (!room_for_pair(n)) {
		op_fail(op, -EBUSY);
		return false;
	}
	if (s->in_pipe) {
		/* Drain what the last round left in the pipe. */
		chunk = s->in_pipe;
	} else {
		/*
		 * No more than the pipe holds: a page a slot, the first one
		 * from the offset on.  A splice in that comes up short breaks
		 * the link, and the splice out fails with -ECANCELED.
		 */
		uint64_t off = op->offset + s->file_done;
		uint32_t fits = n->pipe_size[s->pipe] - off % n->page_size;

		chunk = left < fits ? left : fits;
		in = get_sqe(n);
		if (!in) {
			op_fail(op, -EBUSY);
			return false;
		}
		io_uring_prep_splice(in, op->file, op->offset + s->file_done,
				     n->pipes[s->pipe][1], -1, chunk, 0);
		in->flags |= IOSQE_IO_LINK;
		set_data(in, op, R_SPLICE_IN);
	}
	out = get_sqe(n);
	if (!out) {
		/* Cannot happen: room_for_pair() said there was room. */
		op_fail(op, -EBUSY);
		return false;
	}
	io_uring_prep_splice(out, n->pipes[s->pipe][0], -1, op->sock, -1, chunk, 0);
	set_data(out, op, R_SPLICE_OUT);
	s->inflight = in ? 2 : 1;
	return true;
}

/* A small file: READ it after the header in one buffer, linked to a SEND. */
static bool queue_copy(struct nrtls *n, struct nrtls_op *op)
{
	struct nrtls_op_state *s = &op->priv;
	struct io_uring_sqe *rd, *snd;

	memcpy(s->buf, op->hdr, op->hdr_len);
	if (!room_for_pair(n)) {
		op_fail(op, -EBUSY);
		return false;
	}
	rd = get_sqe(n);
	io_uring_prep_read(rd, op->file, s->buf + op->hdr_len, op->count, op->offset);
	rd->flags |= IOSQE_IO_LINK;
	set_data(rd, op, R_SPLICE_IN);
	snd = get_sqe(n);
	if (!snd) {
		op_fail(op, -EBUSY);
		return false;
	}
	/* MSG_WAITALL: io_uring sends the rest itself after a short send. */
	io_uring_prep_send(snd, op->sock, s->buf, op->hdr_len + op->count,
			   MSG_NOSIGNAL | MSG_WAITALL);
	set_data(snd, op, R_SPLICE_OUT);
	s->inflight = 2;
	s->stage = S_DONE;
	return true;
}

/* TLS in userspace: write what is buffered, or read the next chunk. */
static bool tls_user_step(struct nrtls *n, struct nrtls_op *op)
{
	struct nrtls_op_state *s = &op->priv;
	struct io_uring_sqe *sqe;

	for (;;) {
		const void *p;
		int len, ret;

		if (s->stage == S_HDR) {
			p = (const char *)op->hdr + s->hdr_done;
			len = op->hdr_len - s->hdr_done;
		} else if (s->buf_done < s->buf_len) {
			p = s->buf + s->buf_done;
			len = s->buf_len - s->buf_done;
		} else {
			uint64_t left = op->count - s->file_done;

			if (!left) {
				s->stage = S_DONE;
				return false;
			}
			/* Read the next chunk of the file. */
			sqe = get_sqe(n);
			if (!sqe) {
				op_fail(op, -EBUSY);
				return false;
			}
			io_uring_prep_read(sqe, op->file, s->buf,
					   left < TLS_BUF ? left : TLS_BUF,
					   op->offset + s->file_done);
			set_data(sqe, op, R_SPLICE_IN);
			s->inflight = 1;
			return true;
		}
		if (!len) {
			s->stage = S_BODY;
			continue;
		}
		ERR_clear_error();
		ret = SSL_write(op->ssl, p, len);
		if (ret > 0) {
			if (s->stage == S_HDR) {
				s->hdr_done += ret;
				if (s->hdr_done == op->hdr_len)
					s->stage = S_BODY;
			} else {
				s->buf_done += ret;
			}
			continue;
		}
		switch (SSL_get_error(op->ssl, ret)) {
		case SSL_ERROR_WANT_WRITE:
		case SSL_ERROR_WANT_READ:
			/* The socket is full: wait until it is writable. */
			sqe = get_sqe(n);
			if (!sqe) {
				op_fail(op, -EBUSY);
				return false;
			}
			io_uring_prep_poll_add(sqe, op->sock, POLLOUT);
			set_data(sqe, op, R_SINGLE);
			s->inflight = 1;
			return true;
		default:
			op_fail(op, -EPIPE);
			return false;
		}
	}
}

/* The socket is full (splice does not wait for room): poll, then go on. */
static bool queue_poll_out(struct nrtls *n, struct nrtls_op *op)
{
	struct io_uring_sqe *sqe = get_sqe(n);

	if (!sqe) {
		op_fail(op, -EBUSY);
		return false;
	}
	io_uring_prep_poll_add(sqe, op->sock, POLLOUT);
	set_data(sqe, op, R_SINGLE);
	op->priv.polling = true;
	op->priv.inflight = 1;
	return true;
}

static bool op_step(struct nrtls *n, struct nrtls_op *op)
{
	struct nrtls_op_state *s = &op->priv;

	if (s->stage == S_DONE)
		return false;
	if (s->polling) {
		s->polling = false;
		return queue_poll_out(n, op);
	}
	if (s->path == P_TLS_USER)
		return tls_user_step(n, op);
	if (s->stage == S_HDR) {
		if (s->hdr_done < op->hdr_len)
			return queue_send_hdr(n, op);
		s->stage = S_BODY;
	}
	if (s->in_pipe || s->file_done < op->count)
		return queue_splice(n, op);
	s->stage = S_DONE;
	return false;
}

/*
 * An operation that fails before anything of it is in the ring gives back
 * what it took (its buffer, its pipe, clean: nothing went into it), since
 * no completion will come to do it.
 */
static void op_release(struct nrtls *n, struct nrtls_op *op)
{
	struct nrtls_op_state *s = &op->priv;

	if (s->pipe >= 0) {
		pipe_put(n, s->pipe, false);
		s->pipe = -1;
		pipe_resume(n);
	}
	free(s->buf);
	s->buf = NULL;
}

int nrtls_sendfile(struct nrtls *n, struct nrtls_op *op)
{
	struct nrtls_op_state *s = &op->priv;
	struct io_uring_sqe *sqe;

	if (op->hdr_len > NRTLS_SF_HDR_MAX || (op->hdr_len && !op->hdr) ||
	    (uintptr_t)op & 7)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->pipe = -1;
	op->res = 0;
	n->st.ops++;

	if (op->ssl && !(nrtls_tls_ktls(op->ssl) & NRTLS_KTLS_TX)) {
		s->path = P_TLS_USER;
		s->buf = malloc(TLS_BUF);
		if (!s->buf)
			return -ENOMEM;
		n->st.tls_user_ops++;
	} else if (n->dev >= 0 && op->count) {
		s->path = P_MODULE;
		s->sf = (struct nrtls_sendfile){
			.sock_fd = op->sock,
			.file_fd = op->file,
			.offset = op->offset,
			.count = op->count,
			.hdr = (uintptr_t)op->hdr,
			.hdr_len = op->hdr_len,
			.flags = op->flags,
		};
		struct nrtls_uring_cmd cmd = {
			.addr = (uintptr_t)&s->sf,
			.size = sizeof(s->sf),
		};

		sqe = get_sqe(n);
		if (!sqe)
			return -EBUSY;
		memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = n->dev;
		sqe->cmd_op = NRTLS_URING_SENDFILE;
		memcpy(sqe->cmd, &cmd, sizeof(cmd));
		set_data(sqe, op, R_SINGLE);
		s->inflight = 1;
		n->st.module_ops++;
		return 0;
	} else {
		s->path = P_SPLICE;
		n->st.splice_ops++;
		if (op->count && op->count <= COPY_MAX) {
			s->copy = true;
			s->buf = malloc(op->hdr_len + op->count);
			if (!s->buf)
				return -ENOMEM;
			if (queue_copy(n, op))
				return 0;
			free(s->buf);
			s->buf = NULL;
			return s->err;
		}
	}
	if (op_step(n, op))
		return 0;
	if (s->err) {
		op_release(n, op);
		return s->err;
	}
	/*
	 * Finished already (nothing to send, or SSL_write took it all): the
	 * completion still comes through the ring, like every other.
	 */
	sqe = get_sqe(n);
	if (!sqe) {
		op_release(n, op);
		return -EBUSY;
	}
	io_uring_prep_nop(sqe);
	set_data(sqe, op, R_NOP);
	s->inflight = 1;
	return 0;
}

static struct nrtls_op *op_finish(struct nrtls *n, struct nrtls_op *op)
{
	struct nrtls_op_state *s = &op->priv;
	uint64_t sent = s->hdr_done + s->file_done - s->in_pipe;

	if (s->pipe >= 0) {
		pipe_put(n, s->pipe, s->in_pipe || s->err);
		pipe_resume(n);
	}
	s->pipe = -1;
	free(s->buf);
	s->buf = NULL;
	if (s->path == P_TLS_USER)
		sent = s->hdr_done + s->file_done - (s->buf_len - s->buf_done);
	else if (s->copy)
		sent = s->copied;
	op->res = s->err && !sent ? s->err : (int64_t)sent;
	/* What the module does on its path, done here on the others. */
	if (!s->err && sent == op_total(op) && (op->flags & NRTLS_SF_SHUT_WR))
		shutdown(op->sock, SHUT_WR);
	if (s->err)
		n->st.errors++;
	n->st.bytes += sent;
	return op;
}

bool nrtls_cqe_is_ours(const struct io_uring_cqe *cqe)
{
	return cqe->user_data & NRTLS_CQE_TAG;
}

struct nrtls_op *nrtls_cqe(struct nrtls *n, const struct io_uring_cqe *cqe)
{
	struct nrtls_op *op = (void *)(uintptr_t)(cqe->user_data & ~7ULL);
	enum role role = (cqe->user_data >> 1) & 3;
	struct nrtls_op_state *s = &op->priv;
	int res = cqe->res;

	s->inflight--;
	if (role == R_NOP)
		return op_finish(n, op);
	switch (s->path) {
	case P_MODULE:
		op->res = res;
		n->st.bytes += res > 0 ? res : 0;
		if (res < 0 || (uint64_t)res < op_total(op))
			n->st.errors++;
		return op;
	case P_TLS_USER:
		if (role == R_SPLICE_IN) {
			if (res <= 0) {
				op_fail(op, res ? res : -EIO);	/* short file */
				return op_finish(n, op);
			}
			s->buf_len = res;
			s->buf_done = 0;
			s->file_done += res;
		} else if (res < 0) {
			op_fail(op, res);
			return op_finish(n, op);
		}
		break;
	default:
		if (s->copy) {
			if (role == R_SPLICE_IN && (uint64_t)res != op->count)
				op_fail(op, res < 0 ? res : -EIO);	/* short file */
			else if (role == R_SPLICE_OUT && res < 0)
				op_fail(op, res);
			else if (role == R_SPLICE_OUT)
				s->copied = res;
			break;
		}
		if (role == R_SINGLE && s->polling) {
			/* Room again (or an error the next splice will see). */
			s->polling = false;
		} else if (role == R_SINGLE) {
			if (res <= 0) {
				op_fail(op, res ? res : -EPIPE);
				break;
			}
			s->hdr_done += res;
		} else if (role == R_SPLICE_IN) {
			if (res <= 0)
				op_fail(op, res ? res : -EIO);	/* short file */
			else {
				s->in_pipe += res;
				s->file_done += res;
			}
		} else if (res == -EAGAIN) {
			/* The data stays in the pipe; drain it once there is room. */
			s->polling = true;
		} else {
			/* -ECANCELED when the splice in failed. */
			if (res <= 0)
				op_fail(op, res ? res : -EPIPE);
			else
				s->in_pipe -= res;
		}
		break;
	}
	if (s->inflight)
		return NULL;
	if (s->err || !op_step(n, op))
		return op_finish(n, op);
	return NULL;
}
