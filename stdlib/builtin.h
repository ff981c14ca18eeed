/*
 * builtin.h: the table of built-in functions.
 *
 * Each entry gives a function's name, how many arguments it takes, what
 * kind of value it returns (so the checker can tell when elements are
 * lists of strings or pairs) and which argument may be a regex.  The
 * runtime fills in the implementations next to these entries.
 */
#ifndef BUILTIN_H
#define BUILTIN_H

#include <stdint.h>

#include "value.h"

struct arena;

/*
 * What a built-in function may use while it runs: the arena new values go
 * into (the batch's), the batch time, and the place for an error message.
 * One per worker thread; never shared.
 */
struct eval_ctx {
	struct arena *arena;
	int64_t batch_time;	/* batchTime(): the end of the batch, epoch ms */
	int64_t now;		/* now(), epoch ms; 0: read the clock */
	const char *err;	/* set by a failing call */
};

/*
 * A built-in: args[0..nargs) in, *out on success.  Returns 0, or -1 with
 * ctx->err set (builtin_error) for a record error: a wrong type, a bad
 * number, an overflow.  A missing field or index is null, not an error.
 */
typedef int (*builtin_fn)(struct eval_ctx *, const struct value *args, int nargs,
    struct value *out);

/* Set ctx->err to the formatted message (in ctx->arena) and return -1. */
int builtin_error(struct eval_ctx *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

enum builtin_result {
	RES_ANY,
	RES_NULL,
	RES_BOOL,
	RES_INT,
	RES_NUMBER,		/* int or double, or null */
	RES_STRING,
	RES_STRING_OR_NULL,
	RES_LIST_OF_STRING,
	RES_LIST,
	RES_MAP,
};

struct builtin {
	const char *name;
	int min_args;
	int max_args;
	enum builtin_result result;
	int regex_arg;		/* 1-based argument that takes a regex, or 0 */
	int regex_only;		/* that argument must be a regex (not a string) */
	const char *usage;	/* "split(s, sep)" */
	const char *summary;
	builtin_fn fn;
};

const struct builtin *builtin_find(const char *name);
const struct builtin *builtin_all(int *n);

#endif
