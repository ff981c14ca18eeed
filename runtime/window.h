/*
 * window.h: sliding and tumbling windows (SPEC 1.4), computed incrementally.
 *
 * A window keeps one slot per batch it spans.  When a reducer follows the
 * window (reduceByKey, countByValue, count, reduce), a slot holds that
 * batch's partial result -- (key, value) pairs, far fewer than the records
 * -- and the window's result is either kept up to date by adding the
 * newest slot and subtracting the slot that leaves (a reducer with an
 * inverse: sum, count, avg, a lambda with `inverse`), or combined from the
 * slots' partials when it is emitted (min, max, first, last, a lambda
 * without inverse).  Either way a slide costs what the new batch's keys
 * cost, not what the window's records would.  A key whose batches have all
 * left the window is dropped.  A window with no reducer after it keeps its
 * batches' elements.
 *
 * The state lives across batches in arenas of its own, one per slot, so a
 * slot's memory goes when the slot leaves; the running result is compacted
 * when dead keys outnumber live ones.  Only the driver thread calls these.
 */
#ifndef WINDOW_H
#define WINDOW_H

#include <stdint.h>

#include "lang/plan.h"
#include "stdlib/value.h"

struct eval;
struct strbuf;
struct window;

/*
 * A window over slots batches, for the reducer node (or NULL for a plain
 * window); plan is WPLAN_INVERSE or WPLAN_PARTIALS.
 */
struct window *window_new(const struct node *reducer, int slots, enum window_plan plan);
void window_free(struct window *);

/*
 * Add a batch: items are its partial results -- (key, acc) pairs for a
 * keyed reducer, one acc for count and reduce (avg's acc is (sum, count)),
 * or the elements for a plain window.  Errors of an inverse lambda are
 * reported through ev (ev->ctx.err) and counted in *errors.
 */
void window_add(struct window *, struct eval *ev, const struct value *items, size_t n,
    int64_t *errors);

/*
 * The window's result as values in the arena: pairs (key, value), one
 * value for count/reduce (none for an empty reduce; 0 for an empty
 * count), or the elements.  *out is malloc'd; caller frees.
 */
size_t window_result(struct window *, struct eval *ev, struct arena *, struct value **out,
    int64_t *errors);

/*
 * Save to bytes (appended to the buffer) / restore from them, for
 * checkpoints: the slots, oldest first, and the running result.  Restore
 * returns 0, or -1 -- leaving the window as it was -- when the bytes are
 * not a saved window of the same shape (length, reducer, plan).
 */
/* Bytes of memory the running result takes (its arena). */
size_t window_bytes(const struct window *);
void window_save(const struct window *, struct strbuf *);
int window_restore(struct window *, const char *data, size_t len);


#endif
