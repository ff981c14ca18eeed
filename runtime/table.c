/*
 * table.c: lookup tables, from literal lists or files.  Entries are read
 * once, when the job starts, into the table's own arena.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "table.h"
#include "stdlib/arena.h"
#include "stdlib/xmalloc.h"

/* A value from a table file: a number when the text reads as one. */
static struct value
file_value(struct arena *a, const char *s, size_t n)
{
	char *end;

	if (n > 0 && strspn(s, "0123456789+-.eE") == n) {
		errno = 0;
		long long i = strtoll(s, &end, 10);
		if (end == s + n && errno == 0)
			return value_int(i);
		double d = strtod(s, &end);
		if (end == s + n)
			return value_float(d);
	}
	return value_str_copy(a, s, n);
}

/*
 * table T = file("PATH") (SPEC 2.5): one entry a line; a line with a tab
 * is a key and a value, other lines are keys of a set.  Empty lines are
 * skipped, a trailing CR is dropped.
 */
static struct table *
table_from_file(const struct table_def *def, const char **err)
{
	static __thread char msg[512];
	FILE *f = fopen(def->path, "r");
	struct table *t;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (f == NULL) {
		snprintf(msg, sizeof msg, "table %s: cannot read %s: %s", def->name, def->path,
		    strerror(errno));
		*err = msg;
		return NULL;
	}
	t = xcalloc(1, sizeof *t);
	t->name = def->name;
	t->arena = arena_new(0);
	keymap_init(&t->map, t->arena, 1);
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct value key, val;
		struct kentry *e;
		char *tab;
		int created;

		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		tab = memchr(line, '\t', (size_t)len);
		if (tab != NULL) {
			key = value_str(line, (size_t)(tab - line));
			val = file_value(t->arena, tab + 1, (size_t)(line + len - tab - 1));
			t->is_map = 1;
		} else {
			key = value_str(line, (size_t)len);
			val = value_bool(1);
		}
		e = keymap_upsert(&t->map, key, value_hash(key), &created);
		e->val = val;
	}
	free(line);
	fclose(f);
	return t;
}

struct table *
table_new(const struct table_def *def, struct eval *ev, const char **err)
{
	struct table *t;

	if (def->list == NULL)
		return table_from_file(def, err);
	t = xcalloc(1, sizeof *t);
	t->name = def->name;
	t->is_map = def->is_map;
	t->arena = arena_new(0);
	keymap_init(&t->map, t->arena, 1);
	for (int i = 0; i < def->list->nitems; i++) {
		struct value v, key, val;
		struct kentry *e;
		int created;

		if (eval_expr(ev, def->list->items[i], &v) != 0) {
			*err = ev->ctx.err;
			table_free(t);
			return NULL;
		}
		if (t->is_map && v.type == VT_TUPLE && v.n == 2) {
			key = v.u.items[0];
			val = value_copy(t->arena, v.u.items[1]);
		} else {
			key = v;
			val = value_bool(1);
		}
		e = keymap_upsert(&t->map, key, value_hash(key), &created);
		e->val = val;
	}
	return t;
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	keymap_release(&t->map);
	arena_free(t->arena);
	free(t);
}

int
table_get(const struct table *t, struct value key, struct value *val)
{
	const struct kentry *e = keymap_find(&t->map, key, value_hash(key));

	if (e == NULL)
		return 0;
	if (val != NULL)
		*val = e->val;
	return 1;
}
