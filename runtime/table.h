/*
 * table.h: the lookup tables of a script (table NAME = [...]), as the
 * runtime holds them: a set, or a map from keys to values.
 */
#ifndef TABLE_H
#define TABLE_H

#include "keymap.h"
#include "lang/plan.h"
#include "stdlib/value.h"

struct eval;

struct table {
	const char *name;
	int is_map;
	struct keymap map;
	struct arena *arena;
};

/* Build a table from a literal list; NULL with *err for a file table
 * (loaded by the file-table support) or an entry that fails to evaluate. */
struct table *table_new(const struct table_def *, struct eval *, const char **err);
void table_free(struct table *);

/* Is key in t?  When val is not NULL, *val gets its value (true in a set). */
int table_get(const struct table *, struct value key, struct value *val);

#endif
