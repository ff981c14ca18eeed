/*
 * util.h: what the unit tests of stateful stages share -- compiling a
 * script into a plan, and values as one line of sorted print forms.
 */
#ifndef UNIT_UTIL_H
#define UNIT_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "lang/diag.h"
#include "lang/plan.h"
#include "stdlib/strbuf.h"
#include "stdlib/value.h"

/* The plan of a script, as the command line would build it with -j 1. */
static inline struct plan *
unit_compile(const char *text)
{
	struct job_options jo = { 0 };
	struct diags *d = diags_new("<test>", text, strlen(text));
	struct plan *p;

	jo.ncpus = 1;
	p = plan_compile(text, strlen(text), &jo, d);
	diags_free(d);
	return p;
}

static inline int
unit_cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* v[0..n) in print form, sorted, joined by spaces (the caller frees it). */
static inline char *
unit_sorted_print(const struct value *v, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	char **lines = calloc(n + 1, sizeof *lines);

	for (size_t i = 0; i < n; i++) {
		struct strbuf one = STRBUF_INIT;
		value_format_print(&one, v[i]);
		lines[i] = strbuf_detach(&one);
	}
	qsort(lines, n, sizeof *lines, unit_cmp_lines);
	for (size_t i = 0; i < n; i++) {
		strbuf_addf(&sb, "%s%s", i ? " " : "", lines[i]);
		free(lines[i]);
	}
	free(lines);
	return strbuf_detach(&sb);
}

#endif
