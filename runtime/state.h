/*
 * state.h: per-key state across batches (SPEC 1.5: state R [timeout D]
 * [emit all|changed|final] [as NAME]).
 *
 * A store keeps one value per key in an arena of its own, with the batch
 * time the key was last updated.  Each batch folds the batch's values of
 * each key into its state -- with a reducer name, R(old, v1, v2, ...) (avg
 * keeps (sum, count) and emits the mean); with
 * a lambda (values, old) => ..., whose null result deletes the key -- then
 * drops the keys not updated for the timeout.  Time comes from the batch
 * times alone, so a virtual clock drives timeouts in tests.  A store saves
 * itself to bytes and restores from them, for checkpoints.  The keys are
 * split by hash into partitions, one per worker, updated in parallel.
 */
#ifndef STATE_H
#define STATE_H

#include <stddef.h>
#include <stdint.h>

#include "lang/plan.h"
#include "stdlib/value.h"

struct eval;
struct state;
struct strbuf;

/*
 * A store split into nparts partitions by key hash, so that the phase-B
 * task of partition p updates partition p while the other tasks update
 * theirs, with no lock (as reduceByKey merges).
 */
struct state *state_new(const struct node *, int nparts);
void state_free(struct state *);

int state_nparts(const struct state *);
/* The partition a key belongs to. */
int state_part_of(const struct state *, struct value key);

/* A record whose fold failed: why, and the record -- (key, value), or
 * (key, values) for a lambda, or the element that was no pair. */
typedef void (*state_error_fn)(void *arg, const char *reason, struct value record);

/*
 * Fold a batch's (key, value) pairs of partition part -- every key of
 * them must belong to it -- at batch time now, in the order given; on_error
 * (may be NULL) hears of each record whose fold failed.  Keys of the part
 * not updated for the timeout go.  Every partition is updated each batch,
 * with no pairs when it has none.
 */
void state_update(struct state *, int part, struct eval *, int64_t now,
    const struct value *pairs, size_t n, state_error_fn on_error, void *arg);

/* The (key, state) pairs of partition part to emit after this batch;
 * final: the job ends after it.  *out is malloc'd, its values in the
 * arena. */
size_t state_emit(struct state *, int part, struct arena *, int final, struct value **out);

size_t state_keys(const struct state *);
/* Up to n of its keys, as JSON, ", " between them (--inspect shows them). */
void state_sample(const struct state *, int n, struct strbuf *);
/* Bytes of memory the store's keys and values take (their arenas). */
size_t state_bytes(const struct state *);

/* Save to bytes / restore from them (0, or -1 -- leaving the store as it
 * was -- when the bytes are not a saved state).  The bytes do not depend
 * on the number of partitions. */
void state_save(const struct state *, struct strbuf *);
int state_restore(struct state *, const char *data, size_t len);
/*
 * For checkpoints (stateful.h): state_save_full saves as state_save and
 * starts keeping track of the keys that change; state_save_changes saves
 * only the keys updated, deleted or timed out since the last save (the
 * whole store when it was never saved), in a form state_restore applies on
 * top of the store it was taken from, as restored.  A restore, whole or
 * of changes, is what the next changes are taken against.
 */
void state_save_full(struct state *, struct strbuf *);
void state_save_changes(struct state *, struct strbuf *);
/* Saved at least once, and no key changed since the last save. */
int state_unchanged(const struct state *);

#endif
