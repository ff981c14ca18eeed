/*
 * options.h: the command line of streamjob (SPEC section 3).
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdint.h>

#include "lang/plan.h"

enum explain_format { EXPLAIN_NONE, EXPLAIN_TEXT, EXPLAIN_DOT };

struct options {
	char *eval;			/* -e PROGRAM; several are joined by
					 * line ends, as sed does */
	const char *script;		/* SCRIPT */
	int64_t batch_ms;		/* -b */
	const char *checkpoint;		/* -c */
	int64_t parallelism;		/* -j */
	int once;
	int64_t batches;		/* --batches N */
	int64_t duration_ms;		/* --duration DUR */
	int check;
	enum explain_format explain;
	const char *http;
	int fresh;
	const char *inspect;		/* --inspect DIR */
	int json;			/* --json */
	int quiet;
	int help;
	int version;
	struct param *params;		/* NAME=VALUE */
	int nparams;
};

/*
 * Parse argv into opts.  Returns 0, or -1 with *err set to a message
 * (allocated; the caller frees) for a usage error.
 */
int options_parse(int argc, char **argv, struct options *opts, char **err);
void options_free(struct options *);

/* The --help text. */
const char *options_usage(void);

#endif
