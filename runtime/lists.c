/*
 * lists.c: the batches(...) sources (see lists.h).  Each source's lists
 * are evaluated into one array in an arena, list k at its offset.
 */
#include <stdio.h>
#include <stdlib.h>

#include "eval.h"
#include "exec.h"
#include "lists.h"
#include "stdlib/arena.h"
#include "stdlib/xmalloc.h"

struct lists {
	struct node **nodes;
	struct value **values;		/* [source][...]: the lists' items, in order */
	size_t **lens;			/* [source][k]: list k's length */
	int *nlists;
	int nsources;
	struct arena *arena;
};

struct lists *
lists_new(struct plan *plan, const char **err)
{
	struct lists *l = xcalloc(1, sizeof *l);
	struct eval ev = { 0 };
	static char msg[512];

	l->arena = arena_new(0);
	ev.ctx.arena = l->arena;
	for (int i = 0; i < plan->nnodes; i++) {
		struct node *n = plan->nodes[i];
		struct argval *a = &n->stage->args[0];
		int s;

		if (n->op != OP_BATCHES)
			continue;
		s = l->nsources++;
		l->nodes = xreallocarray(l->nodes, (size_t)s + 1, sizeof *l->nodes);
		l->values = xreallocarray(l->values, (size_t)s + 1, sizeof *l->values);
		l->lens = xreallocarray(l->lens, (size_t)s + 1, sizeof *l->lens);
		l->nlists = xreallocarray(l->nlists, (size_t)s + 1, sizeof *l->nlists);
		l->nodes[s] = n;
		l->nlists[s] = a->nitems;
		l->lens[s] = xcalloc((size_t)a->nitems + 1, sizeof **l->lens);
		size_t total = 0;
		for (int k = 0; k < a->nitems; k++)
			total += (size_t)a->items[k]->nitems;
		l->values[s] = arena_alloc(l->arena, (total + 1) * sizeof **l->values);
		size_t at = 0;
		for (int k = 0; k < a->nitems; k++) {
			l->lens[s][k] = (size_t)a->items[k]->nitems;
			for (int m = 0; m < a->items[k]->nitems; m++) {
				if (eval_expr(&ev, a->items[k]->items[m], &l->values[s][at]) != 0) {
					snprintf(msg, sizeof msg, "batches: %s", ev.ctx.err);
					*err = msg;
					lists_free(l);
					return NULL;
				}
				at++;
			}
		}
	}
	return l;
}

void
lists_free(struct lists *l)
{
	if (l == NULL)
		return;
	for (int s = 0; s < l->nsources; s++)
		free(l->lens[s]);
	free(l->nodes);
	free(l->values);
	free(l->lens);
	free(l->nlists);
	arena_free(l->arena);
	free(l);
}

int
lists_max(const struct lists *l)
{
	int m = 0;

	for (int s = 0; s < l->nsources; s++)
		if (l->nlists[s] > m)
			m = l->nlists[s];
	return m;
}

void
lists_submit(struct lists *l, struct exec *x, struct batch *b, uint64_t k, int all)
{
	for (int s = 0; s < l->nsources; s++) {
		size_t off = 0;
		for (int i = 0; i < l->nlists[s]; off += l->lens[s][i], i++) {
			if (!all && (uint64_t)i != k)
				continue;
			struct block *blk = xcalloc(1, sizeof *blk);
			blk->batch = b;
			blk->source = l->nodes[s];
			blk->values = l->values[s] + off;
			blk->nvalues = l->lens[s][i];
			b->records += (int64_t)blk->nvalues;
			exec_submit_block(x, blk);
		}
	}
}
