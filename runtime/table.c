/*
 * table.c: lookup tables from literal lists.  Entries are evaluated once,
 * when the job starts, and copied into the table's own arena.
 */
#include <stdlib.h>

#include "eval.h"
#include "table.h"
#include "stdlib/arena.h"
#include "stdlib/xmalloc.h"

struct table *
table_new(const struct table_def *def, struct eval *ev, const char **err)
{
	struct table *t;

	if (def->list == NULL) {
		*err = "tables read from files are not available in this version yet";
		return NULL;
	}
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
