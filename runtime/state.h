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
 * itself to bytes and restores from them, for checkpoints.
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

struct state *state_new(const struct node *);
void state_free(struct state *);

/*
 * Fold a batch's (key, value) pairs at batch time now; *errors counts the
 * records whose fold failed (ev->ctx.err says why).
 */
void state_update(struct state *, struct eval *, int64_t now, const struct value *pairs,
    size_t n, int64_t *errors);

/* The (key, state) pairs to emit after this batch; final: the job ends
 * after it.  *out is malloc'd, its values in the arena. */
size_t state_emit(struct state *, struct arena *, int final, struct value **out);

size_t state_keys(const struct state *);

/* Save to bytes / restore from them (0, or -1 when the bytes are not a
 * saved state). */
void state_save(const struct state *, struct strbuf *);
int state_restore(struct state *, const char *data, size_t len);

#endif
