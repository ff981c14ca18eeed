/*
 * output.c: standard output in batch order, held under on error fail (see
 * output.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "output.h"
#include "report.h"
#include "spool.h"
#include "stdlib/xmalloc.h"

struct output {
	pthread_mutex_t lock;
	struct errors *errors;
	const struct reporter *rep;
	void (*wake)(void *);
	void *wake_arg;
	uint64_t writing_seq;
	struct pending_out { struct pending_out *next; uint64_t seq; char *data; size_t len; }
	    *pending_head, *pending_tail;
	atomic_int closed;
	/* on error fail: each batch's output is held until the batch is
	 * known good, in memory up to bound, then in a file */
	int hold;
	size_t bound;
	struct hold { struct hold *next; uint64_t seq; struct spool *sp; } *holds;
	size_t holds_mem;		/* bytes the holds keep in memory */
};

struct output *
output_new(int hold, size_t bound, struct errors *errors, const struct reporter *rep,
    void (*wake)(void *), void *arg)
{
	struct output *o = xcalloc(1, sizeof *o);

	pthread_mutex_init(&o->lock, NULL);
	o->hold = hold;
	o->bound = bound;
	o->errors = errors;
	o->rep = rep;
	o->wake = wake;
	o->wake_arg = arg;
	return o;
}

void
output_free(struct output *o)
{
	if (o == NULL)
		return;
	while (o->holds != NULL) {
		struct hold *h = o->holds;
		o->holds = h->next;
		spool_free(h->sp);
		free(h);
	}
	while (o->pending_head != NULL) {
		struct pending_out *p = o->pending_head;
		o->pending_head = p->next;
		free(p->data);
		free(p);
	}
	pthread_mutex_destroy(&o->lock);
	free(o);
}

int
output_closed(struct output *o)
{
	return atomic_load(&o->closed);
}

/* Write to standard output now; -1 when it is closed or failed. */
static int
put(struct output *o, const char *data, size_t len)
{
	int err = 0;

	if (atomic_load(&o->closed))
		return -1;
	/* Only the write itself is between begin and end: a terminal's
	 * status line is locked meanwhile, never while taking another. */
	if (o->rep != NULL && o->rep->stdout_begin != NULL)
		o->rep->stdout_begin(o->rep->arg);
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				usleep(1000);
				continue;
			}
			err = errno;
			break;
		}
		data += n;
		len -= (size_t)n;
	}
	if (o->rep != NULL && o->rep->stdout_end != NULL)
		o->rep->stdout_end(o->rep->arg);
	if (err == 0)
		return 0;
	/* A closed pipe ends the job quietly; another failure (a full disk)
	 * ends it with status 1 and the reason. */
	if (err != EPIPE) {
		char msg[128];
		snprintf(msg, sizeof msg, "writing standard output: %s", strerror(err));
		errors_fail(o->errors, msg);
	}
	if (atomic_exchange(&o->closed, 1) == 0)
		o->wake(o->wake_arg);
	return -1;
}

static int
put_cb(void *arg, const char *data, size_t len)
{
	return put(arg, data, len);
}

/* on error fail: add to batch seq's held output (lock held).  The holds
 * of all batches keep at most the bound in memory; a hold that would go
 * past it moves to a temporary file. */
static int
hold_add(struct output *o, uint64_t seq, const char *data, size_t len)
{
	size_t before;
	struct hold *h;
	char err[256];

	for (h = o->holds; h != NULL && h->seq != seq; h = h->next)
		;
	if (h == NULL) {
		h = xcalloc(1, sizeof *h);
		h->seq = seq;
		h->sp = spool_new();
		h->next = o->holds;
		o->holds = h;
	}
	before = spool_mem(h->sp);
	if (spool_add(h->sp, data, len, o->holds_mem < o->bound ? o->bound - o->holds_mem : 0,
	    err, sizeof err) != 0) {
		errors_fail_batch(o->errors, seq, err);
		return -1;
	}
	o->holds_mem = o->holds_mem - before + spool_mem(h->sp);
	return 0;
}

/* on error fail: batch seq is finished; its output goes out if no record
 * of it failed, and is dropped otherwise. */
static void
hold_release(struct output *o, uint64_t seq)
{
	struct hold **pp, *h;
	char err[256];

	pthread_mutex_lock(&o->lock);
	for (pp = &o->holds; (h = *pp) != NULL && h->seq != seq; pp = &h->next)
		;
	if (h != NULL) {
		*pp = h->next;
		o->holds_mem -= spool_mem(h->sp);
	}
	pthread_mutex_unlock(&o->lock);
	if (h == NULL)
		return;
	/* Written outside the lock: the workers go on holding the output of
	 * the next batches meanwhile. */
	if (seq < errors_fail_seq(o->errors) &&
	    spool_drain(h->sp, put_cb, o, err, sizeof err) < 0)
		errors_fail_batch(o->errors, seq, err);
	spool_free(h->sp);
	free(h);
}

int
output_write(struct output *o, uint64_t seq, const char *data, size_t len)
{
	int rc;

	/* With on error fail, the batches before the failing one are written
	 * whole and nothing from it or after it: the same on every run. */
	if (atomic_load(&o->closed) || seq >= errors_fail_seq(o->errors))
		return -1;
	if (!o->hold)
		return put(o, data, len);
	pthread_mutex_lock(&o->lock);
	rc = hold_add(o, seq, data, len);
	pthread_mutex_unlock(&o->lock);
	return rc;
}

void
output_batch(struct output *o, uint64_t seq, char *data, size_t len)
{
	pthread_mutex_lock(&o->lock);
	if (o->hold) {
		if (!atomic_load(&o->closed) && seq < errors_fail_seq(o->errors))
			hold_add(o, seq, data, len);
		free(data);
	} else if (seq == o->writing_seq) {
		output_write(o, seq, data, len);
		free(data);
	} else {
		struct pending_out *p = xmalloc(sizeof *p);
		p->next = NULL;
		p->seq = seq;
		p->data = data;
		p->len = len;
		if (o->pending_tail != NULL)
			o->pending_tail->next = p;
		else
			o->pending_head = p;
		o->pending_tail = p;
	}
	pthread_mutex_unlock(&o->lock);
}

void
output_advance(struct output *o, uint64_t seq)
{
	struct pending_out **pp, *p;

	if (o->hold) {
		hold_release(o, seq);
		return;
	}
	pthread_mutex_lock(&o->lock);
	o->writing_seq++;
	pp = &o->pending_head;
	o->pending_tail = NULL;
	while ((p = *pp) != NULL) {
		if (p->seq == o->writing_seq) {
			output_write(o, p->seq, p->data, p->len);
			*pp = p->next;
			free(p->data);
			free(p);
			continue;
		}
		o->pending_tail = p;
		pp = &p->next;
	}
	pthread_mutex_unlock(&o->lock);
}
