/*
 * flow.h: backpressure -- how much input the job holds, and when its
 * sources should pause and resume.
 *
 * Counted: input handed to the workers and not yet run through its
 * blocks' stages (in flight), processed blocks a batch still points into
 * (held), closed batches the driver has not finished (queued) and the
 * input they hold (waiting).  Above a bound, the sources pause (so a fast
 * producer fills its pipe instead of our memory); they go on when all are
 * well below it.  The batch being filled is not bounded here (it would
 * never close if it were): its blocks are.
 *
 * Counters change on any thread; pausing and resuming happen on the
 * loop's thread, which flow wakes (once per pause) when the backlog has
 * drained.
 */
#ifndef FLOW_H
#define FLOW_H

#include <stddef.h>
#include <stdint.h>

struct flow;

/* read_ahead: pause above this much input in flight; waiting_max: above
 * this much waiting or held.  once: held input is not bounded (the one
 * batch must hold it all).  wake(arg) asks the loop to resume. */
struct flow *flow_new(long long read_ahead, long long waiting_max, int once,
    void (*wake)(void *), void *arg);
void flow_free(struct flow *);

/* A block of bytes of input went to the workers; they are done with it. */
void flow_block_in(struct flow *, size_t bytes);
void flow_block_done(struct flow *, size_t bytes);
/* A processed block stays in memory until its batch is done. */
void flow_block_kept(struct flow *, size_t bytes);
void flow_block_released(struct flow *, size_t bytes);
/* A batch is closed and queued for the driver, holding bytes; it is
 * finished. */
void flow_batch_queued(struct flow *, int64_t bytes);
void flow_batch_done(struct flow *, int64_t bytes);

/* Should the sources hold back now?  Have they caught up? */
int flow_backlogged(struct flow *);
int flow_drained(struct flow *);

/* The loop's side: sources paused (1) or going on (0).  Pausing wakes the
 * loop at once if the backlog drained before the pause was seen. */
void flow_set_paused(struct flow *, int);
int flow_paused(struct flow *);
/* The loop has seen a wake-up: the next drain wakes it again. */
void flow_woken(struct flow *);

#endif
