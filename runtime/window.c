/*
 * window.c: the windows of window.h.
 */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "eval.h"
#include "keymap.h"
#include "window.h"
#include "stdlib/arena.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

struct slot {
	struct arena *arena;
	struct value *items;
	size_t n;
};

struct window {
	const struct node *reducer;	/* NULL: a plain window */
	enum node_op op;
	enum reducer_kind red;
	enum window_plan plan;
	int keyed;			/* reduceByKey, countByValue */
	int nslots, next, filled;
	struct slot *slots;
	/* WPLAN_INVERSE: the running result; aux = slots the key is in */
	struct keymap total;
	struct arena *total_arena;
	size_t live;
	size_t stale;			/* values in total_arena replaced since compact() */
	const struct expr *inverse;	/* a lambda reducer's inverse, or NULL */
};

struct window *
window_new(const struct node *reducer, int slots, enum window_plan plan)
{
	struct window *w = xcalloc(1, sizeof *w);

	w->reducer = reducer;
	w->nslots = slots > 0 ? slots : 1;
	w->slots = xcalloc((size_t)w->nslots, sizeof *w->slots);
	w->plan = reducer != NULL ? plan : WPLAN_NONE;
	if (reducer != NULL) {
		w->op = reducer->op;
		w->red = reducer->op == OP_COUNTBYVALUE || reducer->op == OP_COUNT ?
		    REDUCER_SUM : reducer->stage->args[0].reducer;
		w->keyed = reducer->op == OP_REDUCEBYKEY || reducer->op == OP_COUNTBYVALUE;
		for (int j = 0; j < 5 && reducer->stage->desc->clauses[j].word != NULL; j++)
			if (strcmp(reducer->stage->desc->clauses[j].word, "inverse") == 0)
				w->inverse = reducer->stage->clauses[j].e;
	}
	w->total_arena = arena_new(0);
	keymap_init(&w->total, w->total_arena, 1);
	return w;
}

static void
slot_clear(struct slot *s)
{
	arena_free(s->arena);
	free(s->items);
	memset(s, 0, sizeof *s);
}

void
window_free(struct window *w)
{
	if (w == NULL)
		return;
	for (int i = 0; i < w->nslots; i++)
		slot_clear(&w->slots[i]);
	free(w->slots);
	keymap_release(&w->total);
	arena_free(w->total_arena);
	free(w);
}


/* The key and the accumulator of a slot item. */
static void
split_item(const struct window *w, struct value item, struct value *key, struct value *acc)
{
	if (w->keyed && item.type == VT_TUPLE && item.n == 2) {
		*key = item.u.items[0];
		*acc = item.u.items[1];
	} else {
		*key = value_null();
		*acc = item;
	}
}

/* a + b, or a - b, for the reducers with an inverse. */
static int
combine(struct window *w, struct eval *ev, struct value a, struct value b, int subtract,
    struct value *out)
{

	switch (w->red) {
	case REDUCER_SUM:
	case REDUCER_COUNT:
		if (a.type == VT_INT && b.type == VT_INT) {
			int64_t r;
			if (subtract ? __builtin_sub_overflow(a.u.i, b.u.i, &r) :
			    __builtin_add_overflow(a.u.i, b.u.i, &r))
				return builtin_error(&ev->ctx, "integer overflow in a window's sum");
			*out = value_int(r);
			return 0;
		}
		if (!value_is_number(a) || !value_is_number(b))
			return builtin_error(&ev->ctx, "sum needs numbers");
		*out = value_float(subtract ? value_as_double(a) - value_as_double(b) :
		    value_as_double(a) + value_as_double(b));
		return 0;
	case REDUCER_AVG: {
		/* (sum, count) pairs */
		double s = a.u.items[0].u.d + (subtract ? -1 : 1) * b.u.items[0].u.d;
		int64_t c = a.u.items[1].u.i + (subtract ? -1 : 1) * b.u.items[1].u.i;
		*out = value_pair(ev->ctx.arena, value_float(s), value_int(c));
		return 0;
	}
	case REDUCER_MIN:
	case REDUCER_MAX:
	case REDUCER_FIRST:
	case REDUCER_LAST:
		return eval_reduce(ev, w->red, a, b, out);
	case REDUCER_LAMBDA:
		if (!subtract)
			return eval_lambda2(ev, w->reducer->stage->args[0].e, a, b, out);
		if (w->inverse == NULL)
			return builtin_error(&ev->ctx, "no inverse");
		return eval_lambda2(ev, w->inverse, a, b, out);
	default:
		return builtin_error(&ev->ctx, "this reducer cannot combine in a window");
	}
}

/* Rebuild the running result without its dead keys. */
static void
compact(struct window *w)
{
	struct arena *a = arena_new(0);
	struct keymap m;
	int created;

	keymap_init(&m, a, 1);
	for (size_t i = 0; i < w->total.n; i++) {
		struct kentry *e = w->total.list[i];
		if (e->aux <= 0)
			continue;
		struct kentry *d = keymap_upsert(&m, e->key, e->hash, &created);
		d->val = value_copy(a, e->val);
		d->aux = e->aux;
	}
	keymap_release(&w->total);
	arena_free(w->total_arena);
	w->total = m;
	w->total_arena = a;
	w->stale = 0;
}

/* The running result's values are copied into total_arena; what combine
 * builds on the way stays in the evaluator's (the batch's) arena. */
static void
fold_slot(struct window *w, struct eval *ev, const struct slot *s, int subtract, int64_t *errors)
{
	for (size_t i = 0; i < s->n; i++) {
		struct value key, acc, out;
		int created;
		split_item(w, s->items[i], &key, &acc);
		struct kentry *e = keymap_upsert(&w->total, key, value_hash(key), &created);
		if (created || e->aux <= 0) {
			if (subtract)
				continue;	/* cannot happen: a leaving slot was added */
			e->val = value_copy(w->total_arena, acc);
			e->aux = 1;
			w->live++;
			continue;
		}
		if (combine(w, ev, e->val, acc, subtract, &out) != 0) {
			(*errors)++;
		} else {
			if (value_takes_memory(e->val))
				w->stale++;
			e->val = value_copy(w->total_arena, out);
		}
		e->aux += subtract ? -1 : 1;
		if (e->aux == 0)
			w->live--;
	}
	/* Dead keys and replaced values stay in the arena until it is rebuilt. */
	if ((w->total.n > 64 && w->total.n > 2 * w->live) || w->stale > 2 * w->live + 64)
		compact(w);
}

size_t
window_bytes(const struct window *w)
{
	return w->total_arena != NULL ? arena_bytes(w->total_arena) : 0;
}

void
window_add(struct window *w, struct eval *ev, const struct value *items, size_t n,
    int64_t *errors)
{
	struct slot *s = &w->slots[w->next];

	if (w->filled == w->nslots) {
		if (w->plan == WPLAN_INVERSE)
			fold_slot(w, ev, s, 1, errors);
		slot_clear(s);
	} else
		w->filled++;
	s->arena = arena_new(n > 256 ? 0 : 4096);
	s->items = xcalloc(n + 1, sizeof *s->items);
	for (size_t i = 0; i < n; i++)
		s->items[i] = value_copy(s->arena, items[i]);
	s->n = n;
	if (w->plan == WPLAN_INVERSE)
		fold_slot(w, ev, s, 0, errors);
	w->next = (w->next + 1) % w->nslots;
}

/* The output form of an accumulator: avg's (sum, count) becomes the mean. */
static struct value
finish(const struct window *w, struct value acc)
{
	if (w->red == REDUCER_AVG && acc.type == VT_TUPLE && acc.n == 2)
		return value_float(acc.u.items[0].u.d / (double)acc.u.items[1].u.i);
	return acc;
}

static void
emit(const struct window *w, struct arena *a, struct value key, struct value acc,
    struct value **out, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*out = xreallocarray(*out, *cap, sizeof **out);
	}
	(*out)[(*n)++] = w->keyed ? value_pair(a, key, finish(w, acc)) : finish(w, acc);
}

size_t
window_result(struct window *w, struct eval *ev, struct arena *a, struct value **out,
    int64_t *errors)
{
	size_t n = 0, cap = 0;

	*out = NULL;
	if (w->reducer == NULL) {
		/* A plain window: its batches' elements, oldest first. */
		for (int k = 0; k < w->filled; k++) {
			const struct slot *s = &w->slots[(w->next - w->filled + k + w->nslots) % w->nslots];
			for (size_t i = 0; i < s->n; i++) {
				if (n == cap) {
					cap = cap ? cap * 2 : 64;
					*out = xreallocarray(*out, cap, sizeof **out);
				}
				(*out)[n++] = s->items[i];
			}
		}
		return n;
	}
	if (w->plan == WPLAN_INVERSE) {
		for (size_t i = 0; i < w->total.n; i++) {
			struct kentry *e = w->total.list[i];
			if (e->aux > 0)
				emit(w, a, e->key, e->val, out, &n, &cap);
		}
	} else {
		/* Combine the slots' partials, oldest first (first and last care). */
		struct keymap m;
		struct arena *saved = ev->ctx.arena;
		int created;

		ev->ctx.arena = a;
		keymap_init(&m, a, 0);
		for (int k = 0; k < w->filled; k++) {
			const struct slot *s = &w->slots[(w->next - w->filled + k + w->nslots) % w->nslots];
			for (size_t i = 0; i < s->n; i++) {
				struct value key, acc, r;
				split_item(w, s->items[i], &key, &acc);
				struct kentry *e = keymap_upsert(&m, key, value_hash(key), &created);
				if (created)
					e->val = acc;
				else if (combine(w, ev, e->val, acc, 0, &r) != 0)
					(*errors)++;
				else
					e->val = r;
			}
		}
		for (size_t i = 0; i < m.n; i++)
			emit(w, a, m.list[i]->key, m.list[i]->val, out, &n, &cap);
		keymap_release(&m);
		ev->ctx.arena = saved;
	}
	if (n == 0 && w->op == OP_COUNT)
		emit(w, a, value_null(), value_int(0), out, &n, &cap);
	return n;
}

/* ---- saving ----
 *
 * Format 1 (codec.h's encoding): the text "streamjob-window-1\n"; the
 * window's shape as u64s -- slots, plan (0 plain, 1 inverse, 2 partials),
 * the reducer's node op, its reducer kind, keyed (0/1) -- which a restore
 * must match; the number of filled slots; each filled slot, oldest first,
 * as its item count and items (partial results, or a plain window's
 * elements); then, for the inverse plan, the number of live keys and each
 * as its key, its running value and the number of slots it is in (u64),
 * in insertion order.  The running value is saved, not recomputed from
 * the slots, so that doubles come back bit for bit as they were.
 */

#define WINDOW_MAGIC "streamjob-window-1\n"

static void
put_shape(const struct window *w, struct strbuf *sb)
{
	codec_put_u64(sb, (uint64_t)w->nslots);
	codec_put_u64(sb, (uint64_t)w->plan);
	codec_put_u64(sb, (uint64_t)(w->reducer != NULL ? w->op : 0));
	codec_put_u64(sb, (uint64_t)(w->reducer != NULL ? w->red : 0));
	codec_put_u64(sb, (uint64_t)w->keyed);
}

void
window_save(const struct window *w, struct strbuf *sb)
{
	strbuf_adds(sb, WINDOW_MAGIC);
	put_shape(w, sb);
	codec_put_u64(sb, (uint64_t)w->filled);
	for (int k = 0; k < w->filled; k++) {
		const struct slot *s = &w->slots[(w->next - w->filled + k + w->nslots) % w->nslots];
		codec_put_u64(sb, s->n);
		for (size_t i = 0; i < s->n; i++)
			codec_put_value(sb, s->items[i]);
	}
	if (w->plan != WPLAN_INVERSE)
		return;
	codec_put_u64(sb, w->live);
	for (size_t i = 0; i < w->total.n; i++) {
		const struct kentry *e = w->total.list[i];
		if (e->aux <= 0)
			continue;
		codec_put_value(sb, e->key);
		codec_put_value(sb, e->val);
		codec_put_u64(sb, (uint64_t)e->aux);
	}
}

/* Could acc be this window's accumulator?  combine() relies on avg's. */
static int
acc_ok(const struct window *w, struct value acc)
{
	if (w->reducer == NULL || w->red != REDUCER_AVG)
		return 1;
	return acc.type == VT_TUPLE && acc.n == 2 && acc.u.items[0].type == VT_FLOAT &&
	    acc.u.items[1].type == VT_INT;
}

int
window_restore(struct window *w, const char *data, size_t len)
{
	struct codec_reader r;
	struct strbuf shape = STRBUF_INIT;
	struct slot *slots = NULL;
	struct arena *ta = NULL;
	struct keymap total;
	uint64_t filled, live = 0;
	int created;

	codec_reader_init(&r, data, len, WINDOW_MAGIC, NULL);
	put_shape(w, &shape);
	if (r.bad || (size_t)(r.end - r.p) < shape.len || memcmp(r.p, shape.data, shape.len) != 0) {
		strbuf_release(&shape);
		return -1;
	}
	r.p += shape.len;
	strbuf_release(&shape);
	filled = codec_get_u64(&r);
	if (r.bad || filled > (uint64_t)w->nslots)
		return -1;
	/* Read into new slots and a new total: a refused save changes nothing. */
	slots = xcalloc((size_t)w->nslots, sizeof *slots);
	for (uint64_t k = 0; k < filled && !r.bad; k++) {
		struct slot *s = &slots[k];
		uint64_t n = codec_get_u64(&r);
		if (r.bad || n > (uint64_t)(r.end - r.p)) {
			r.bad = 1;	/* every item takes a byte at least */
			break;
		}
		s->arena = arena_new(n > 256 ? 0 : 4096);
		s->items = xcalloc((size_t)n + 1, sizeof *s->items);
		r.arena = s->arena;
		for (uint64_t i = 0; i < n && !r.bad; i++) {
			struct value key, acc;
			s->items[i] = codec_get_value(&r);
			split_item(w, s->items[i], &key, &acc);
			if (!acc_ok(w, acc))
				r.bad = 1;
		}
		s->n = (size_t)n;
	}
	ta = arena_new(0);
	keymap_init(&total, ta, 1);
	if (w->plan == WPLAN_INVERSE && !r.bad) {
		uint64_t n = codec_get_u64(&r);
		r.arena = ta;
		for (uint64_t i = 0; i < n && !r.bad; i++) {
			struct value k = codec_get_value(&r), v = codec_get_value(&r);
			uint64_t in = codec_get_u64(&r);
			if (r.bad || in == 0 || in > filled || !acc_ok(w, v)) {
				r.bad = 1;
				break;
			}
			struct kentry *e = keymap_upsert(&total, k, value_hash(k), &created);
			e->val = v;
			e->aux = (int64_t)in;
			if (created)
				live++;
		}
	}
	if (!codec_done(&r)) {
		for (int k = 0; k < w->nslots; k++)
			slot_clear(&slots[k]);
		free(slots);
		keymap_release(&total);
		arena_free(ta);
		return -1;
	}
	for (int k = 0; k < w->nslots; k++)
		slot_clear(&w->slots[k]);
	free(w->slots);
	w->slots = slots;
	w->filled = (int)filled;
	w->next = (int)(filled % (uint64_t)w->nslots);
	keymap_release(&w->total);
	arena_free(w->total_arena);
	w->total = total;
	w->total_arena = ta;
	w->live = live;
	return 0;
}
