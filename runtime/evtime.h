/*
 * evtime.h: event-time windows (SPEC 1.7).
 *
 * After a timestamp stage every element carries its event time (epoch
 * ms) and the largest event time its block had seen up to and including
 * it.  A window [end - LEN, end), its end a multiple of the slide, holds
 * the elements whose event time falls in it.  The watermark is the
 * largest event time seen so far, in arrival order, minus the lateness: a
 * window closes when the watermark reaches its end.  Arrival order is the
 * order of blocks (their sequence numbers) and of elements within a
 * block, so adding blocks in that order finds the watermark each element
 * met on arrival exactly, however the blocks were spread over workers:
 * the watermark before block b is the maximum over the blocks before it,
 * and within b it is that maximum and the element's own tag.
 *
 * Blocks come in one of two ways.  When the window's input is the end of
 * a source's chain of element stages, workers offer each block as they
 * finish it (evtime_offer), numbered in the order the source read them
 * across batches; the block that completes a run of consecutive numbers
 * adds the run, under the window's lock, and hands each block back to be
 * freed -- so input is not held until its batch ends, and the adding
 * overlaps the element stages of later blocks.  Otherwise the driver adds
 * a batch's parts in order in phase B (evtime_add).
 *
 * Blocks go in only up to the batch the driver has let in
 * (evtime_through): it lets in batch k when it starts finishing it, and
 * k + 1 once batch k is finished and checkpointed.  Blocks of a later
 * batch wait, as blocks wait for an earlier one.  So from the time batch
 * k's windows close until the driver lets k + 1 in, the windows hold
 * exactly the records of batches up to k, whatever the workers are doing
 * meanwhile: the watermark that closes them is the one after the last
 * record of k, and a save then (evtime_save) is the state after batch k.
 *
 * An open window keeps, when a reducer follows it (reduceByKey,
 * countByValue, count, reduce), that reducer's running result for each of
 * its keys -- not the records -- and otherwise the elements.  Windows
 * live in arenas of their own, freed when they are emitted; the open ones
 * are those whose end is above the watermark, so there are at most
 * (LEN + lateness) / slide + 1 of them.
 */
#ifndef EVTIME_H
#define EVTIME_H

#include <stddef.h>
#include <stdint.h>

#include "lang/plan.h"
#include "stdlib/value.h"

struct arena;
struct eval;
struct evtime;

/* An element's event time, and the largest its block had seen with it. */
struct evt_tag {
	int64_t t;
	int64_t seen;
};

/* Event times outside +-EVT_LIMIT (the range of a JavaScript Date) are a
 * record error, so that window ends never overflow. */
#define EVT_LIMIT INT64_C(8640000000000000)

/* A record error met while adding: the stage it belongs to, why, and the
 * record (an element, or a key and value). */
typedef void (*evtime_error_fn)(void *arg, const struct node *stage, const char *reason,
    struct value record);

/* A block offered by a worker: its elements in arrival order, their tags,
 * and the largest event time the block saw (dropped elements too). */
struct evt_part {
	struct evt_part *next;
	uint64_t seq;		/* the source's blocks, 0, 1, 2, ..., across batches */
	uint64_t batch;		/* the batch it belongs to */
	const struct value *v;
	const struct evt_tag *tags;
	size_t n;
	int64_t max;		/* INT64_MIN: none */
};

/* What to do with an offered block: report a record error (arg is the
 * part), and free the block once its elements are added. */
struct evt_hooks {
	evtime_error_fn error;
	void (*release)(struct evt_part *);
};

/* A window closed and emitted: its end, and its result values. */
struct evt_closed {
	int64_t end;
	struct value *items;	/* malloc'd; the values are in the caller's arena */
	size_t n;
};

/*
 * The event-time window node, and the reducer right after it that it
 * computes (or NULL: a plain window, which keeps its elements); the slide
 * is the batch interval unless the window says otherwise.
 */
struct evtime *evtime_new(const struct node *window, const struct node *reducer,
    int64_t batch_ms);
void evtime_free(struct evtime *);

/*
 * Add one block's elements, in arrival order: values v[0..n) with their
 * tags, and max, the largest event time the block saw (elements dropped
 * on the way here count too; INT64_MIN: none).  A late element (all its
 * windows closed before it arrived) is reported through err, as are
 * elements the reducer cannot take.
 */
void evtime_add(struct evtime *, struct eval *ev, const struct value *v,
    const struct evt_tag *tags, size_t n, int64_t max, evtime_error_fn err, void *arg);

/*
 * From any worker: add part p (the caller's, until hooks->release) after
 * every block with a smaller seq, once its batch is let in, and then any
 * offered blocks that were waiting for it.  ev is the caller's evaluator.
 * Blocks are numbered from 0 in each process.
 */
void evtime_offer(struct evtime *, struct evt_part *p, struct eval *ev,
    const struct evt_hooks *hooks);

/*
 * Let the blocks of batches up to batch in (never fewer than before), and
 * add those that were waiting for it, in order, with ev.  A new window
 * lets in batch 0.
 */
void evtime_through(struct evtime *, uint64_t batch, struct eval *ev);

/*
 * Close the windows that the watermark has reached (every open window
 * when all is set: the input has ended), oldest end first; the driver
 * calls it when all the blocks of the batch it finishes are in, and none
 * of a later one.  *out is malloc'd (caller frees it and each items),
 * results are copied into a; returns how many.
 */
size_t evtime_close(struct evtime *, int all, struct arena *a, struct evt_closed **out);

/*
 * Save the open windows, the watermark's progress and the last batch let
 * in into sb (a format of its own, versioned by its first line, see
 * codec.h), for a checkpoint taken after that batch: offered blocks of
 * later batches are left out; -1 (nothing written) while a block of a
 * batch let in waits for an earlier one.  evtime_restore reads such bytes
 * into an evtime of the same shape (length, slide, lateness, reducer)
 * that has no block waiting: 0, or -1 and nothing changed when they are
 * cut, garbled or of another shape.
 */
struct strbuf;
int evtime_save(struct evtime *, struct strbuf *sb);
int evtime_restore(struct evtime *, const char *data, size_t len);
/* Keys (a plain window: elements) the open windows hold, and the memory
 * they take. */
size_t evtime_keys(const struct evtime *);
size_t evtime_bytes(const struct evtime *);

#endif
