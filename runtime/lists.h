/*
 * lists.h: the batches(...) sources -- lists of values given in the
 * script, list k going into batch k.  Their values are evaluated once,
 * when the job starts.
 */
#ifndef LISTS_H
#define LISTS_H

#include <stdint.h>

struct batch;
struct exec;
struct plan;
struct lists;

/* The plan's lists, or NULL with *err (static, for the job to report)
 * when a value fails to evaluate. */
struct lists *lists_new(struct plan *, const char **err);
void lists_free(struct lists *);

/* How many batches the longest list fills (0: there are no lists). */
int lists_max(const struct lists *);
/* Submit list k of each batches source to batch b (all: every list, for
 * --once). */
void lists_submit(struct lists *, struct exec *, struct batch *, uint64_t k, int all);

#endif
