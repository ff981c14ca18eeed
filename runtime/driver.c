/*
 * driver.c: finishing closed batches in order on a thread of their own
 * (see driver.h).  The loop thread queues them; a condition variable
 * wakes the driver.
 */
#include <pthread.h>
#include <stdlib.h>

#include "checkpoint.h"
#include "clock.h"
#include "driver.h"
#include "errors.h"
#include "exec.h"
#include "flow.h"
#include "output.h"
#include "report.h"
#include "workers.h"
#include "stdlib/xmalloc.h"

struct driver {
	struct driver_config c;
	pthread_t thread;
	int joined;
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct batch *queue_head, *queue_tail;
	int done;			/* the last batch is finished */
	int ending;			/* no batch will come */
	int64_t records_total;
};

static void
status(struct driver *d, struct batch *b, int64_t processing)
{
	int64_t now = clock_wall_ms();
	int64_t delay = b->closed_at > 0 ? now - processing - b->closed_at : 0;
	int64_t elapsed = now - d->c.started_ms;
	struct report rp = { .kind = REPORT_STATUS };

	rp.batch_time = b->time;
	rp.rate = elapsed > 0 ? (double)d->records_total * 1000.0 / (double)elapsed : 0;
	rp.processing_ms = processing;
	rp.delay_ms = delay < 0 ? 0 : delay;
	rp.has_state = d->c.has_state;
	if (d->c.has_state)
		rp.state_keys = exec_state_keys(d->c.exec);
	report(d->c.reporter, &rp);
}

static void *
driver_main(void *arg)
{
	struct driver *d = arg;

	for (;;) {
		struct batch *b;
		int64_t t0, bytes;
		int last;

		pthread_mutex_lock(&d->lock);
		while (d->queue_head == NULL && !d->ending)
			pthread_cond_wait(&d->ready, &d->lock);
		if (d->queue_head == NULL) {
			d->done = 1;
			pthread_mutex_unlock(&d->lock);
			d->c.wake(d->c.arg);
			return NULL;
		}
		b = d->queue_head;
		d->queue_head = b->next;
		if (d->queue_head == NULL)
			d->queue_tail = NULL;
		pthread_mutex_unlock(&d->lock);

		t0 = clock_wall_ms();
		bytes = b->bytes;
		exec_finish_batch(d->c.exec, b);
		output_advance(d->c.output, b->seq);
		d->records_total += b->records;
		if (d->c.status)
			status(d, b, clock_wall_ms() - t0);
		last = b->last || b->seq >= errors_fail_seq(d->c.errors) ||
		    output_closed(d->c.output);
		/* A batch stored whole is checkpointed (a failed one is not). */
		if (d->c.ckpt != NULL && b->seq < errors_fail_seq(d->c.errors) &&
		    !output_closed(d->c.output) &&
		    checkpoint_done(d->c.ckpt, b->seq, b->time, b->last) != 0)
			last = 1;
		exec_batch_saved(d->c.exec, b);
		batch_free(d->c.exec, b);
		/* A driver that falls behind holds the sources back too. */
		flow_batch_done(d->c.flow, bytes);
		if (last) {
			pthread_mutex_lock(&d->lock);
			d->done = 1;
			pthread_mutex_unlock(&d->lock);
			d->c.wake(d->c.arg);
			return NULL;
		}
	}
}

struct driver *
driver_start(const struct driver_config *c)
{
	struct driver *d = xcalloc(1, sizeof *d);

	d->c = *c;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->ready, NULL);
	if (pthread_create(&d->thread, NULL, driver_main, d) != 0)
		abort();
	return d;
}

void
driver_enqueue(struct driver *d, struct batch *b)
{
	b->closed_at = clock_wall_ms();
	flow_batch_queued(d->c.flow, b->bytes);
	pthread_mutex_lock(&d->lock);
	b->next = NULL;
	if (d->queue_tail != NULL)
		d->queue_tail->next = b;
	else
		d->queue_head = b;
	d->queue_tail = b;
	pthread_cond_signal(&d->ready);
	pthread_mutex_unlock(&d->lock);
}

void
driver_end(struct driver *d)
{
	pthread_mutex_lock(&d->lock);
	d->ending = 1;
	pthread_cond_signal(&d->ready);
	pthread_mutex_unlock(&d->lock);
}

int
driver_done(struct driver *d)
{
	int done;

	pthread_mutex_lock(&d->lock);
	done = d->done;
	pthread_mutex_unlock(&d->lock);
	return done;
}

void
driver_join(struct driver *d)
{
	if (!d->joined)
		pthread_join(d->thread, NULL);
	d->joined = 1;
}

void
driver_free(struct driver *d)
{
	if (d == NULL)
		return;
	while (d->queue_head != NULL) {
		struct batch *b = d->queue_head;
		d->queue_head = b->next;
		task_group_wait(b->tasks);
		batch_free(d->c.exec, b);
	}
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->ready);
	free(d);
}
