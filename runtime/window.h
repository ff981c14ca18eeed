/*
 * window.h: sliding and tumbling windows (SPEC 1.4), computed incrementally.
 *
 * A window keeps one slot per batch it spans.  When a reducer follows the
 * window (reduceByKey, countByValue, count, reduce), a slot holds that
 * batch's partial result -- (key, value) pairs, far fewer than the records
 * -- and the window's result is the reduce of the partials of the slots
 * it holds, kept without ever taking a value out (two stacks, see
 * window.c), so that a double that went to inf or lost precision leaves
 * with its batch; count and countByValue (integers) and a lambda with
 * `inverse` subtract the slot that leaves instead.  Either way a slide
 * costs what the new batch's keys cost, amortized, not what the window's
 * records would.  A key whose batches have all left the window is dropped.
 * A window with no reducer after it keeps its batches' elements.
 *
 * The state lives across batches in arenas of its own, a slot's memory
 * going when the slot leaves.  Only the driver thread calls these.
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
 * window); plan is WPLAN_INVERSE (taken only for count and for a lambda
 * with an inverse) or WPLAN_PARTIALS.
 */
struct window *window_new(const struct node *reducer, int slots, enum window_plan plan);
void window_free(struct window *);

/*
 * Add a batch: items are its partial results -- (key, acc) pairs for a
 * keyed reducer, one acc for count and reduce (avg's acc is (sum, count)),
 * or the elements for a plain window.  The window copies them.  Combining
 * that fails here is not reported: window_result does, for the windows
 * emitted.
 */
void window_add(struct window *, struct eval *ev, const struct value *items, size_t n);

/* A record error of a window's reduce: the reason and the record (the key
 * and the batch's partial that could not be combined, or the partial). */
typedef void (*window_report_fn)(void *arg, const char *reason, struct value record);

/*
 * The window's result as values in the arena: pairs (key, value), one
 * value for count/reduce (none for an empty reduce; 0 for an empty
 * count), or the elements.  A key's value is its partials reduced; where
 * two cannot be combined (an integer overflow), the key's partials are
 * reduced oldest first, each one that cannot be combined reported through
 * report (if not NULL) and left out.  Keys and elements may point into the
 * window's memory: use them before the next window_add.  *out is
 * malloc'd; caller frees.
 */
size_t window_result(struct window *, struct eval *ev, struct arena *, struct value **out,
    window_report_fn report, void *arg);

/* Keys held (a plain window: elements). */
size_t window_keys(const struct window *);
/* Bytes of memory the window's keys and aggregates take (not its slots). */
size_t window_bytes(const struct window *);

/*
 * Save to bytes (appended to the buffer) / restore from them, for
 * checkpoints: the slots, oldest first, and how many came before.  Restore
 * rebuilds the rest from them, through ev, and gives the same results as
 * the window saved; it returns 0, or -1 -- leaving the window as it was --
 * when the bytes are not a saved window of the same shape (length,
 * reducer, plan).
 */
void window_save(const struct window *, struct strbuf *);
int window_restore(struct window *, struct eval *ev, const char *data, size_t len);
/*
 * For checkpoints (stateful.h): window_save_full saves as window_save and
 * remembers how far it got; window_save_changes saves only the slots added
 * since the last save (the whole window when more were added than it holds,
 * or it was never saved), which window_restore adds on top of the window
 * they were taken from, as restored.
 */
void window_save_full(struct window *, struct strbuf *);
void window_save_changes(struct window *, struct strbuf *);

#endif
