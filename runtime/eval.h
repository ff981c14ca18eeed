/*
 * eval.h: evaluating checked expressions against an element.
 *
 * eval_prepare() runs once per stage before the job starts: it gives each
 * lambda parameter a slot, turns $NAME parameters into their values and
 * points table names at their tables, so evaluation itself never looks a
 * name up.  An evaluator belongs to one thread; new values go into its
 * context's arena (the batch's).
 */
#ifndef EVAL_H
#define EVAL_H

#include "lang/ast.h"
#include "lang/plan.h"
#include "stdlib/builtin.h"
#include "stdlib/value.h"

#define EVAL_SLOTS 32

struct table;
struct table_slot;

struct eval {
	struct eval_ctx ctx;
	struct value elem;		/* _ */
	struct value slots[EVAL_SLOTS];	/* lambda parameters */
	struct table **tables;		/* the batch's table versions, by slot
					 * index; NULL: no table holds anything */
};

/*
 * Resolve the names of e for evaluation: a lambda's parameters get slots,
 * $NAME becomes its value (params from the command line), a table name its
 * table's slot (lookup by name), whose version is the batch's.  Returns 0, or -1 when there are more parameters
 * than slots.
 */
typedef struct table_slot *(*table_lookup_fn)(void *arg, const char *name);
int eval_prepare(struct expr *e, const struct job_options *, table_lookup_fn, void *arg);

/* Evaluate e; 0 and *out, or -1 with ev->ctx.err set (a record error). */
int eval_expr(struct eval *ev, const struct expr *e, struct value *out);
/* The same for a table's entries (table_eval_fn): arg is a struct eval,
 * and *err its message on -1. */
int eval_entry(void *arg, const struct expr *e, struct value *out, const char **err);

/*
 * Apply an element function: an expression of _, or a lambda whose
 * parameters destructure the element.
 */
int eval_element(struct eval *ev, const struct expr *fn, struct value elem, struct value *out);

/* Apply a lambda of two parameters to a and b. */
int eval_lambda2(struct eval *ev, const struct expr *fn, struct value a, struct value b,
    struct value *out);

/* Is v true for filter: true is, false and null are not, others are an error. */
int eval_truth(struct eval *ev, struct value v, int *truth);

/* Combine two values with a built-in reducer (not REDUCER_LAMBDA/AVG). */
int eval_reduce(struct eval *ev, enum reducer_kind r, struct value a, struct value b,
    struct value *out);

/* A table of the script, for in/not in and joins. */
int table_has(const struct table *, struct value key);

#endif
