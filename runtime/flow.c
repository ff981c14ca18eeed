/*
 * flow.c: backpressure counters (see flow.h).  Atomics only: the counters
 * change for every block, on every worker.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "flow.h"
#include "stdlib/xmalloc.h"

struct flow {
	long long read_ahead;		/* pause above this many bytes in flight */
	long long waiting_max;		/* ... or waiting, or held */
	int once;
	void (*wake)(void *);
	void *wake_arg;
	atomic_llong inflight;
	atomic_int queued;		/* closed batches the driver has not finished */
	atomic_llong waiting;		/* input bytes of closed, unfinished batches */
	atomic_llong held;		/* bytes of processed blocks kept by batches */
	atomic_int paused;
	atomic_int want_resume;		/* the loop has been woken for this pause */
};

struct flow *
flow_new(long long read_ahead, long long waiting_max, int once, void (*wake)(void *), void *arg)
{
	struct flow *f = xcalloc(1, sizeof *f);

	f->read_ahead = read_ahead;
	f->waiting_max = waiting_max;
	f->once = once;
	f->wake = wake;
	f->wake_arg = arg;
	return f;
}

void
flow_free(struct flow *f)
{
	free(f);
}

int
flow_backlogged(struct flow *f)
{
	return atomic_load(&f->inflight) > f->read_ahead || atomic_load(&f->queued) > 2 ||
	    atomic_load(&f->waiting) > f->waiting_max ||
	    (!f->once && atomic_load(&f->held) > f->waiting_max);
}

int
flow_drained(struct flow *f)
{
	return atomic_load(&f->inflight) < f->read_ahead / 2 && atomic_load(&f->queued) <= 2 &&
	    atomic_load(&f->waiting) <= f->waiting_max / 2 &&
	    (f->once || atomic_load(&f->held) <= f->waiting_max / 2);
}

/* Paused and drained: wake the loop, once per pause. */
static void
kick(struct flow *f)
{
	if (flow_drained(f) && atomic_load(&f->paused) &&
	    atomic_exchange(&f->want_resume, 1) == 0)
		f->wake(f->wake_arg);
}

void
flow_block_in(struct flow *f, size_t bytes)
{
	atomic_fetch_add(&f->inflight, (long long)bytes);
}

void
flow_block_done(struct flow *f, size_t bytes)
{
	long long left = atomic_fetch_sub(&f->inflight, (long long)bytes) - (long long)bytes;

	if (left < f->read_ahead / 2)
		kick(f);
}

void
flow_block_kept(struct flow *f, size_t bytes)
{
	atomic_fetch_add(&f->held, (long long)bytes);
}

void
flow_block_released(struct flow *f, size_t bytes)
{
	atomic_fetch_sub(&f->held, (long long)bytes);
	kick(f);
}

void
flow_batch_queued(struct flow *f, int64_t bytes)
{
	atomic_fetch_add(&f->waiting, bytes);
	atomic_fetch_add(&f->queued, 1);
}

void
flow_batch_done(struct flow *f, int64_t bytes)
{
	atomic_fetch_sub(&f->waiting, bytes);
	atomic_fetch_sub(&f->queued, 1);
	kick(f);
}

void
flow_set_paused(struct flow *f, int on)
{
	atomic_store(&f->paused, on);
	/* The workers may have caught up before they could see the pause. */
	if (on)
		kick(f);
}

int
flow_paused(struct flow *f)
{
	return atomic_load(&f->paused);
}

void
flow_woken(struct flow *f)
{
	atomic_store(&f->want_resume, 0);
}
