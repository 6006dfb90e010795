/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The worker's batched DATA sends (sendq.h says why and the rules). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifdef TFTP_HAVE_URING
#include <liburing.h>
#endif

#include "tftp/sendq.h"
#include "util/util.h"

#ifdef TFTP_HAVE_URING

struct sendq_slot {
	struct msghdr mh;
	struct iovec iov[2];
	struct sockaddr_in to;
	int fd;
	uint8_t hdr[8];
};

struct tftp_sendq {
	struct io_uring ring;
	bool dead;     /* the ring failed and is gone: send directly */
	unsigned used; /* slots queued since the last flush */
	struct sendq_slot slot[TFTP_SENDQ_SLOTS];
	struct sendq_slot direct; /* a packet sent at once (no ring) */
};

struct tftp_sendq *tftp_sendq_new(void)
{
	struct tftp_sendq *q = xcalloc(1, sizeof(*q));
	/* One thread submits and reaps (the worker), and nothing needs to
	 * interrupt it to complete a send: both flags only save work, so
	 * an older kernel that refuses them gets a plain ring. */
	int r = io_uring_queue_init(TFTP_SENDQ_SLOTS, &q->ring,
				    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN);

	if (r == -EINVAL)
		r = io_uring_queue_init(TFTP_SENDQ_SLOTS, &q->ring, 0);
	if (r < 0) {
		free(q);
		errno = -r;
		return NULL;
	}
	return q;
}

void tftp_sendq_free(struct tftp_sendq *q)
{
	if (!q)
		return;
	(void)tftp_sendq_flush(q);
	if (!q->dead)
		io_uring_queue_exit(&q->ring);
	free(q);
}

unsigned tftp_sendq_pending(const struct tftp_sendq *q)
{
	return q->used;
}

/* Waits for the completions of n submitted sends and returns how many
 * failed. The kernel runs a nonblocking send (MSG_DONTWAIT) inline during
 * the submit, so they are there already; waiting for every one makes it a
 * guarantee that no send reads a slot or a read-ahead buffer after the
 * caller reuses it, whatever the kernel does with a request. */
static unsigned reap(struct tftp_sendq *q, unsigned n)
{
	unsigned seen = 0, bad = 0;

	while (seen < n) {
		struct io_uring_cqe *cqe;
		unsigned head, got = 0;
		int r = io_uring_wait_cqe(&q->ring, &cqe);

		if (r == -EINTR)
			continue;
		if (r < 0)
			break;
		io_uring_for_each_cqe(&q->ring, head, cqe)
		{
			got++;
			if (cqe->res < 0)
				bad++;
		}
		io_uring_cq_advance(&q->ring, got);
		seen += got;
	}
	return bad;
}

/* Sends one slot with sendmsg. Returns 1 if the kernel refused it. */
static unsigned send_direct(const struct sendq_slot *s)
{
	return sendmsg(s->fd, &s->mh, MSG_DONTWAIT) < 0 ? 1 : 0;
}

unsigned tftp_sendq_flush(struct tftp_sendq *q)
{
	unsigned done = 0, bad = 0;
	int tries = 0;

	if (!q->used)
		return 0;
	/* A batch of one is cheaper as a plain sendmsg than through the
	 * ring (a lone client: one ACK per round of the event loop). */
	if (q->used == 1) {
		q->used = 0;
		return send_direct(&q->slot[0]);
	}
	for (unsigned i = 0; i < q->used; i++) {
		/* The ring has as many entries as there are slots and is
		 * empty between flushes, so there is always an entry. */
		struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);

		io_uring_prep_sendmsg(sqe, q->slot[i].fd, &q->slot[i].mh, MSG_DONTWAIT);
	}
	/* A short submit leaves the rest in the ring; try again a few times,
	 * then send what is left directly (the slots are reused next). */
	while (done < q->used && tries++ < 4) {
		int r = io_uring_submit(&q->ring);
		if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY)
			break;
		if (r > 0)
			done += (unsigned)r;
	}
	bad += reap(q, done);
	if (done < q->used) {
		/* The ring refuses work. Its remaining entries must never run
		 * after their slots are reused, so the ring goes, the rest is
		 * sent directly, and so is everything after. */
		io_uring_queue_exit(&q->ring);
		q->dead = true;
		for (unsigned i = done; i < q->used; i++)
			bad += send_direct(&q->slot[i]);
	}
	q->used = 0;
	return bad;
}

void tftp_sendq_add(struct tftp_sendq *q, int fd, const struct sockaddr_in *to, const uint8_t *hdr,
		    size_t hdr_len, const uint8_t *data, size_t len)
{
	struct sendq_slot *s;

	if (q->used == TFTP_SENDQ_SLOTS)
		(void)tftp_sendq_flush(q);
	s = q->dead ? &q->direct : &q->slot[q->used++];
	hdr_len = MIN(hdr_len, sizeof(s->hdr));
	memcpy(s->hdr, hdr, hdr_len);
	s->to = *to;
	s->fd = fd;
	s->iov[0] = (struct iovec){.iov_base = s->hdr, .iov_len = hdr_len};
	s->iov[1] = (struct iovec){.iov_base = (void *)data, .iov_len = len};
	s->mh = (struct msghdr){
		.msg_name = &s->to,
		.msg_namelen = sizeof(s->to),
		.msg_iov = s->iov,
		.msg_iovlen = 2,
	};
	if (q->dead)
		(void)send_direct(s);
}

#else

struct tftp_sendq *tftp_sendq_new(void)
{
	errno = ENOSYS;
	return NULL;
}

void tftp_sendq_free(struct tftp_sendq *q)
{
	(void)q;
}

unsigned tftp_sendq_pending(const struct tftp_sendq *q)
{
	(void)q;
	return 0;
}

unsigned tftp_sendq_flush(struct tftp_sendq *q)
{
	(void)q;
	return 0;
}

void tftp_sendq_add(struct tftp_sendq *q, int fd, const struct sockaddr_in *to, const uint8_t *hdr,
		    size_t hdr_len, const uint8_t *data, size_t len)
{
	(void)q, (void)fd, (void)to, (void)hdr, (void)hdr_len, (void)data, (void)len;
}

#endif
