/*
 * window.c: the windows of window.h.
 *
 * Each key of a reducer's window keeps a record per slot it is in -- that
 * batch's partial result for the key -- in a list, oldest first.  A record
 * joins at the tail when its batch comes and leaves from the head when its
 * batch leaves.
 *
 * Two stacks over fixed blocks.  Slots are numbered as they come (seq), and
 * the slots [b * L, (b + 1) * L) of a window of L slots make block b, so the
 * window -- the L slots up to the newest, cur -- lies in two blocks: a tail
 * of block cur / L - 1, the front, and a head of block cur / L, the back.
 * A key's back records are combined as they come, oldest first (back_agg).
 * When a key's back is of a block that is over, its records become the
 * front: each gets the combination of itself and the front records after
 * it (a suffix aggregate), built newest first, and the back starts empty.
 * The key's value in the window is then its oldest record's suffix
 * aggregate combined with back_agg.  Every partial is combined twice in
 * all, whatever L, and nothing is ever taken out, so the value depends on
 * the window's partials only: not on batches that left, nor on whether a
 * double once went to inf or lost a small value beside a large one.  The
 * blocks are fixed, so how a window's partials are grouped follows from
 * where the window is, and a restore that replays the slots gives the same
 * values bit for bit.
 *
 * When a combination fails (an integer overflow), the aggregate is marked
 * bad, and a value asked for through it is computed instead by reducing
 * the key's records oldest first, reporting -- with the key and the partial
 * -- each one that cannot be combined and going on without it, as a
 * reduce of the window's elements would.  Errors on the way are reported
 * only when a window is emitted, once per window that meets them.
 *
 * WPLAN_INVERSE (count, countByValue, a lambda with `inverse`) keeps a
 * running value per key instead, adding the newest partial and taking out
 * the one that leaves; count's integers make that exact, a lambda's inverse
 * is the script's to make exact.  A failure there marks the running value
 * broken until a window's reduce of the key's records succeeds again.
 *
 * Memory: partials live in their slot's arena, freed when the slot leaves.
 * Suffix aggregates built during block b are of block b - 1's records,
 * which have all left once block b + 1 begins; back aggregates of block b
 * are unused once block b + 2 begins; so each kind lives in arenas that
 * are dropped a block or two later.  The keys (and the running values of
 * WPLAN_INVERSE) live in an arena rebuilt when dead keys or replaced values
 * outnumber live ones.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "eval.h"
#include "keymap.h"
#include "window.h"
#include "stdlib/arena.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

struct kst;

/* One key's partial result in one slot. */
struct rec {
	struct kst *k;
	struct value part;		/* in the slot's arena */
	struct value agg;		/* in the front: part with the newer front records' */
	struct rec *next;		/* the key's next newer record */
	int agg_ok;
};

/* A key's state; a key with no records is dead and its state is free. */
struct kst {
	struct kentry *e;		/* its entry in keys; e->aux is id + 1 */
	int64_t id;
	struct rec *head, *tail;	/* its records, oldest first */
	struct rec *back;		/* the back's oldest record, or NULL */
	struct value back_agg;		/* the back's partials combined */
	int64_t back_block;
	int back_ok;
	int broken;			/* WPLAN_INVERSE: val is not the window's */
	struct value val;		/* WPLAN_INVERSE: the running value */
	struct kst *free_next;
};

struct slot {
	struct arena *arena;
	struct value *items;		/* as added: partials, or the elements */
	struct rec *recs;		/* one per item, for a reducer */
	size_t n;
};

#define KST_CHUNK 256

struct window {
	const struct node *reducer;	/* NULL: a plain window */
	enum node_op op;
	enum reducer_kind red;
	enum window_plan plan;
	int keyed;			/* reduceByKey, countByValue */
	int nslots, next, filled;
	struct slot *slots;
	uint64_t seq;			/* slots added so far */
	int64_t block;			/* the newest slot's block */
	struct keymap keys;		/* key -> its state (aux: id + 1; 0: dead) */
	struct arena *keys_arena;
	size_t live;
	size_t stale;			/* running values replaced since compact() */
	struct kst **kchunks;
	size_t nkst;			/* states made */
	struct kst *kfree;
	struct arena *front_arena;	/* suffix aggregates built in this block */
	struct arena *back_arena[2];	/* back aggregates, by their block's parity */
	struct rec **scratch;
	size_t scratch_cap;
	const struct expr *inverse;	/* a lambda reducer's inverse, or NULL */
	int tracking;			/* saved at least once ... */
	uint64_t saved_seq;		/* ... when this many slots had been added */
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
		    REDUCER_COUNT : reducer->stage->args[0].reducer;
		w->keyed = reducer->op == OP_REDUCEBYKEY || reducer->op == OP_COUNTBYVALUE;
		for (int j = 0; j < OP_MAX_CLAUSES && reducer->stage->desc->clauses[j].word != NULL; j++)
			if (strcmp(reducer->stage->desc->clauses[j].word, "inverse") == 0)
				w->inverse = reducer->stage->clauses[j].e;
		/* Only an exact or a given inverse subtracts. */
		if (w->plan == WPLAN_INVERSE && w->red != REDUCER_COUNT &&
		    !(w->red == REDUCER_LAMBDA && w->inverse != NULL))
			w->plan = WPLAN_PARTIALS;
	}
	w->block = -1;
	w->keys_arena = arena_new(0);
	keymap_init(&w->keys, w->keys_arena, 1);
	return w;
}

static void
slot_clear(struct slot *s)
{
	arena_free(s->arena);
	free(s->items);
	free(s->recs);
	memset(s, 0, sizeof *s);
}

/* Forget every key and aggregate; the slots stay. */
static void
keys_clear(struct window *w)
{
	for (size_t i = 0; i < (w->nkst + KST_CHUNK - 1) / KST_CHUNK; i++)
		free(w->kchunks[i]);
	free(w->kchunks);
	w->kchunks = NULL;
	w->nkst = 0;
	w->kfree = NULL;
	keymap_release(&w->keys);
	arena_free(w->keys_arena);
	w->keys_arena = arena_new(0);
	keymap_init(&w->keys, w->keys_arena, 1);
	w->live = w->stale = 0;
	arena_free(w->front_arena);
	arena_free(w->back_arena[0]);
	arena_free(w->back_arena[1]);
	w->front_arena = w->back_arena[0] = w->back_arena[1] = NULL;
}

void
window_free(struct window *w)
{
	if (w == NULL)
		return;
	for (int i = 0; i < w->nslots; i++)
		slot_clear(&w->slots[i]);
	free(w->slots);
	keys_clear(w);
	keymap_release(&w->keys);
	arena_free(w->keys_arena);
	free(w->scratch);
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

/* a then b (a the older) combined, as the reducer does. */
static int
combine(struct window *w, struct eval *ev, struct value a, struct value b, struct value *out)
{
	int64_t r;

	switch (w->red) {
	case REDUCER_SUM:
		/* the common cases here, the rest (and the errors) as reduce has them */
		if (a.type == VT_INT && b.type == VT_INT && !__builtin_add_overflow(a.u.i, b.u.i, &r)) {
			*out = value_int(r);
			return 0;
		}
		if (a.type == VT_FLOAT && b.type == VT_FLOAT) {
			*out = value_float(a.u.d + b.u.d);
			return 0;
		}
		return eval_reduce(ev, w->red, a, b, out);
	case REDUCER_COUNT:
		if (a.type != VT_INT || b.type != VT_INT)
			return builtin_error(&ev->ctx, "a window's count needs integers");
		if (__builtin_add_overflow(a.u.i, b.u.i, &r))
			return builtin_error(&ev->ctx, "integer overflow in count");
		*out = value_int(r);
		return 0;
	case REDUCER_AVG:
		/* (sum, count) pairs; restore lets in no others */
		if (__builtin_add_overflow(a.u.items[1].u.i, b.u.items[1].u.i, &r))
			return builtin_error(&ev->ctx, "integer overflow in avg's count");
		*out = value_pair(ev->ctx.arena,
		    value_float(a.u.items[0].u.d + b.u.items[0].u.d), value_int(r));
		return 0;
	case REDUCER_LAMBDA:
		return eval_lambda2(ev, w->reducer->stage->args[0].e, a, b, out);
	default:
		return eval_reduce(ev, w->red, a, b, out);
	}
}

/* a with b taken out: count's subtraction, or a lambda's inverse. */
static int
uncombine(struct window *w, struct eval *ev, struct value a, struct value b, struct value *out)
{
	int64_t r;

	if (w->red == REDUCER_LAMBDA)
		return eval_lambda2(ev, w->inverse, a, b, out);
	if (a.type != VT_INT || b.type != VT_INT)
		return builtin_error(&ev->ctx, "a window's count needs integers");
	if (__builtin_sub_overflow(a.u.i, b.u.i, &r))
		return builtin_error(&ev->ctx, "integer overflow in count");
	*out = value_int(r);
	return 0;
}

/* v, kept in arena a: numbers need no copy. */
static inline struct value
keep(struct arena *a, struct value v)
{
	return value_takes_memory(v) ? value_copy(a, v) : v;
}

/* ---- keys ---- */

static struct kst *
kst_get(const struct window *w, int64_t aux)
{
	size_t i = (size_t)(aux - 1);

	return &w->kchunks[i / KST_CHUNK][i % KST_CHUNK];
}

/* The state of key (hash h), made live if it was dead. */
static struct kst *
kst_of(struct window *w, struct value key, uint64_t h)
{
	int created;
	struct kentry *e = keymap_upsert(&w->keys, key, h, &created);
	struct kst *k;

	if (e->aux > 0)
		return kst_get(w, e->aux);
	if (w->kfree != NULL) {
		k = w->kfree;
		w->kfree = k->free_next;
	} else {
		if (w->nkst % KST_CHUNK == 0) {
			w->kchunks = xreallocarray(w->kchunks, w->nkst / KST_CHUNK + 1,
			    sizeof *w->kchunks);
			w->kchunks[w->nkst / KST_CHUNK] = xcalloc(KST_CHUNK, sizeof **w->kchunks);
		}
		k = kst_get(w, (int64_t)++w->nkst);
		k->id = (int64_t)w->nkst - 1;
	}
	int64_t id = k->id;
	memset(k, 0, sizeof *k);
	k->id = id;
	k->e = e;
	e->aux = id + 1;
	w->live++;
	return k;
}

static void
kst_kill(struct window *w, struct kst *k)
{
	k->e->aux = 0;
	k->head = k->tail = k->back = NULL;
	k->free_next = w->kfree;
	w->kfree = k;
	w->live--;
}

/* Rebuild the keys without the dead ones (and the running values without
 * the replaced ones). */
static void
compact(struct window *w)
{
	struct arena *a = arena_new(0);
	struct keymap m;
	int created;

	keymap_init(&m, a, 1);
	for (size_t i = 0; i < w->keys.n; i++) {
		struct kentry *e = w->keys.list[i];
		if (e->aux <= 0)
			continue;
		struct kentry *d = keymap_upsert(&m, e->key, e->hash, &created);
		struct kst *k = kst_get(w, e->aux);
		d->aux = e->aux;
		k->e = d;
		if (w->plan == WPLAN_INVERSE)
			k->val = keep(a, k->val);
	}
	keymap_release(&w->keys);
	arena_free(w->keys_arena);
	w->keys = m;
	w->keys_arena = a;
	w->stale = 0;
}

static void
maybe_compact(struct window *w)
{
	if ((w->keys.n > 64 && w->keys.n > 2 * w->live) || w->stale > 2 * w->live + 64)
		compact(w);
}

/* ---- two stacks ---- */

static void
back_start(struct window *w, struct kst *k, struct rec *r)
{
	k->back = r;
	k->back_agg = r->part;		/* lives as long as r, which outlives the back */
	k->back_block = w->block;
	k->back_ok = 1;
}

/*
 * If k's back is of a block that is over, make its records the front:
 * suffix aggregates, newest first.  The records before them, of the block
 * before, have all left by then.
 */
static void
normalize(struct window *w, struct eval *ev, struct kst *k)
{
	size_t m = 0;

	if (k->back == NULL || k->back_block >= w->block)
		return;
	assert(k->head == k->back);
	for (struct rec *r = k->back; r != NULL; r = r->next) {
		if (m == w->scratch_cap) {
			w->scratch_cap = w->scratch_cap ? 2 * w->scratch_cap : 64;
			w->scratch = xreallocarray(w->scratch, w->scratch_cap, sizeof *w->scratch);
		}
		w->scratch[m++] = r;
	}
	struct rec *newer = w->scratch[m - 1];
	newer->agg = newer->part;
	newer->agg_ok = 1;
	while (m-- > 1) {
		struct rec *r = w->scratch[m - 1];
		struct value out;
		r->agg_ok = newer->agg_ok && combine(w, ev, r->part, newer->agg, &out) == 0;
		r->agg = r->agg_ok ? keep(w->front_arena, out) : value_null();
		newer = r;
	}
	k->back = NULL;
	k->back_agg = value_null();
}

/* ---- adding and removing a slot ---- */

/* Record r (its part set) joins its key's records, at the tail. */
static void
push(struct window *w, struct eval *ev, struct rec *r, struct value key)
{
	struct kst *k = kst_of(w, key, value_hash(key));
	struct value out;

	r->k = k;
	r->next = NULL;
	if (k->tail == NULL) {
		k->head = k->tail = r;
		if (w->plan == WPLAN_INVERSE)
			k->val = keep(w->keys_arena, r->part);
		else
			back_start(w, k, r);
		return;
	}
	if (w->plan == WPLAN_INVERSE) {
		if (k->broken)
			;
		else if (combine(w, ev, k->val, r->part, &out) != 0)
			k->broken = 1;
		else {
			if (value_takes_memory(k->val))
				w->stale++;
			k->val = keep(w->keys_arena, out);
		}
	} else {
		normalize(w, ev, k);
		if (k->back == NULL)
			back_start(w, k, r);
		else if (!k->back_ok)
			;
		else if (combine(w, ev, k->back_agg, r->part, &out) != 0)
			k->back_ok = 0;
		else
			k->back_agg = keep(w->back_arena[w->block & 1], out);
	}
	k->tail->next = r;
	k->tail = r;
}

/* Record r, the oldest of its key's, leaves. */
static void
pop(struct window *w, struct eval *ev, struct rec *r)
{
	struct kst *k = r->k;
	struct value out;

	if (w->plan != WPLAN_INVERSE)
		normalize(w, ev, k);
	assert(k->head == r && k->back != r);
	k->head = r->next;
	if (k->head == NULL) {
		kst_kill(w, k);
		return;
	}
	if (w->plan != WPLAN_INVERSE || k->broken)
		return;
	if (uncombine(w, ev, k->val, r->part, &out) != 0)
		k->broken = 1;
	else {
		if (value_takes_memory(k->val))
			w->stale++;
		k->val = keep(w->keys_arena, out);
	}
}

/*
 * Slot seq is about to be the newest: if it starts a block, the suffix
 * aggregates built in the last block (of records of the block before it)
 * and the back aggregates of two blocks ago go, unused by now.
 */
static void
enter_block(struct window *w, uint64_t seq)
{
	int64_t block = (int64_t)(seq / (uint64_t)w->nslots);

	if (block == w->block)
		return;
	arena_free(w->front_arena);
	w->front_arena = arena_new(0);
	arena_free(w->back_arena[block & 1]);
	w->back_arena[block & 1] = arena_new(0);
	w->block = block;
}

/* Slot s, numbered seq, becomes the newest: its records join their keys. */
static void
slot_link(struct window *w, struct eval *ev, struct slot *s, uint64_t seq)
{
	enter_block(w, seq);
	s->recs = xcalloc(s->n + 1, sizeof *s->recs);
	for (size_t i = 0; i < s->n; i++) {
		struct value key;
		split_item(w, s->items[i], &key, &s->recs[i].part);
		push(w, ev, &s->recs[i], key);
	}
}

/* Slot s, the oldest, leaves: its records leave their keys. */
static void
slot_unlink(struct window *w, struct eval *ev, struct slot *s)
{
	for (size_t i = 0; i < s->n; i++)
		pop(w, ev, &s->recs[i]);
}

size_t
window_bytes(const struct window *w)
{
	return arena_bytes(w->keys_arena) + (w->front_arena ? arena_bytes(w->front_arena) : 0) +
	    (w->back_arena[0] ? arena_bytes(w->back_arena[0]) : 0) +
	    (w->back_arena[1] ? arena_bytes(w->back_arena[1]) : 0);
}

void
window_add(struct window *w, struct eval *ev, const struct value *items, size_t n)
{
	struct slot *s = &w->slots[w->next];
	uint64_t seq = w->seq++;

	/* The block is the new slot's before the old one leaves: the suffix
	 * aggregates its keys need are of this block's making. */
	if (w->reducer != NULL)
		enter_block(w, seq);
	if (w->filled == w->nslots) {
		if (w->reducer != NULL)
			slot_unlink(w, ev, s);
		slot_clear(s);
	} else
		w->filled++;
	s->arena = arena_new(n > 256 ? 0 : 4096);
	s->items = xcalloc(n + 1, sizeof *s->items);
	for (size_t i = 0; i < n; i++)
		s->items[i] = value_copy(s->arena, items[i]);
	s->n = n;
	if (w->reducer != NULL) {
		slot_link(w, ev, s, seq);
		maybe_compact(w);
	}
	w->next = (w->next + 1) % w->nslots;
}

/* ---- results ---- */

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

/*
 * Key k's records reduced oldest first, each that cannot be combined
 * reported (with the key, for a keyed reducer) and left out.  Returns the
 * number reported.
 */
static int64_t
reduce_records(struct window *w, struct eval *ev, const struct kst *k, struct value *acc,
    window_report_fn report, void *arg)
{
	int64_t errors = 0;

	*acc = k->head->part;
	for (const struct rec *r = k->head->next; r != NULL; r = r->next) {
		struct value out;
		if (combine(w, ev, *acc, r->part, &out) == 0) {
			*acc = out;
			continue;
		}
		errors++;
		if (report != NULL)
			report(arg, ev->ctx.err, w->keyed ?
			    value_pair(ev->ctx.arena, k->e->key, r->part) : r->part);
	}
	return errors;
}

/* Key k's value in the window. */
static struct value
key_value(struct window *w, struct eval *ev, struct kst *k, window_report_fn report, void *arg)
{
	struct value v;

	if (w->plan == WPLAN_INVERSE) {
		if (!k->broken)
			return k->val;
		if (reduce_records(w, ev, k, &v, report, arg) == 0) {
			/* right again: the running value goes on from here */
			if (value_takes_memory(k->val))
				w->stale++;
			k->val = keep(w->keys_arena, v);
			k->broken = 0;
		}
		return v;
	}
	normalize(w, ev, k);
	const struct rec *front = k->head != k->back ? k->head : NULL;
	if (front != NULL && !front->agg_ok)
		;
	else if (k->back != NULL && !k->back_ok)
		;
	else if (front == NULL)
		return k->back_agg;
	else if (k->back == NULL)
		return front->agg;
	else if (combine(w, ev, front->agg, k->back_agg, &v) == 0)
		return v;
	reduce_records(w, ev, k, &v, report, arg);
	return v;
}

size_t
window_result(struct window *w, struct eval *ev, struct arena *a, struct value **out,
    window_report_fn report, void *arg)
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
	struct arena *saved = ev->ctx.arena;
	ev->ctx.arena = a;
	for (size_t i = 0; i < w->keys.n; i++) {
		struct kentry *e = w->keys.list[i];
		if (e->aux > 0)
			emit(w, a, e->key, key_value(w, ev, kst_get(w, e->aux), report, arg),
			    out, &n, &cap);
	}
	ev->ctx.arena = saved;
	if (n == 0 && w->op == OP_COUNT)
		emit(w, a, value_null(), value_int(0), out, &n, &cap);
	return n;
}

/* ---- saving ----
 *
 * Format 2 (codec.h's encoding): the text "streamjob-window-2\n"; the
 * window's shape as u64s -- slots, plan (0 plain, 1 inverse, 2 partials),
 * the reducer's node op, its reducer kind, keyed (0/1) -- which a restore
 * must match; the number of slots added so far and the number of filled
 * slots; then each filled slot, oldest first, as its item count and items
 * (partial results, or a plain window's elements).  A restore replays the
 * slots: the two stacks come back as they were, and a running value of
 * the inverse plan is the key's partials reduced afresh, oldest first.
 */

#define WINDOW_MAGIC "streamjob-window-2\n"

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
	codec_put_u64(sb, w->seq);
	codec_put_u64(sb, (uint64_t)w->filled);
	for (int k = 0; k < w->filled; k++) {
		const struct slot *s = &w->slots[(w->next - w->filled + k + w->nslots) % w->nslots];
		codec_put_u64(sb, s->n);
		for (size_t i = 0; i < s->n; i++)
			codec_put_value(sb, s->items[i]);
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

static int restore_changes(struct window *, struct eval *, const char *, size_t);

int
window_restore(struct window *w, struct eval *ev, const char *data, size_t len)
{
	struct codec_reader r;

	if (len >= sizeof "streamjob-window-changes-1\n" - 1 &&
	    memcmp(data, "streamjob-window-changes-1\n", sizeof "streamjob-window-changes-1\n" - 1) == 0)
		return restore_changes(w, ev, data, len);
	struct strbuf shape = STRBUF_INIT;
	struct slot *slots = NULL;
	uint64_t seq, filled;

	codec_reader_init(&r, data, len, WINDOW_MAGIC, NULL);
	put_shape(w, &shape);
	if (r.bad || (size_t)(r.end - r.p) < shape.len || memcmp(r.p, shape.data, shape.len) != 0) {
		strbuf_release(&shape);
		return -1;
	}
	r.p += shape.len;
	strbuf_release(&shape);
	seq = codec_get_u64(&r);
	filled = codec_get_u64(&r);
	if (r.bad || filled != (seq < (uint64_t)w->nslots ? seq : (uint64_t)w->nslots))
		return -1;
	/* Read into new slots: a refused save changes nothing. */
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
	if (!codec_done(&r)) {
		for (int k = 0; k < w->nslots; k++)
			slot_clear(&slots[k]);
		free(slots);
		return -1;
	}
	for (int k = 0; k < w->nslots; k++)
		slot_clear(&w->slots[k]);
	free(w->slots);
	w->slots = slots;
	w->filled = (int)filled;
	w->next = (int)(filled % (uint64_t)w->nslots);
	w->seq = seq;
	w->block = -1;
	w->tracking = 1;	/* changes from now on are against this */
	w->saved_seq = seq;
	if (w->reducer == NULL)
		return 0;
	keys_clear(w);
	/* Linked oldest first, the running values of the inverse plan are the
	 * partials reduced in order. */
	for (uint64_t k = 0; k < filled; k++)
		slot_link(w, ev, &w->slots[k], seq - filled + k);
	return 0;
}

/*
 * The changes since the last save (format "streamjob-window-changes-1\n"):
 * the shape, as in a whole save; the number of slots added before and
 * after them (u64 each); then each slot added since, oldest first, as in a
 * whole save.  What a restore of them drops is the slots that the new
 * ones push out, as adding them did.  When more slots were added than the
 * window holds (or it was never saved), the whole window is written.
 */
#define CHANGES_MAGIC "streamjob-window-changes-1\n"

void
window_save_full(struct window *w, struct strbuf *sb)
{
	window_save(w, sb);
	w->tracking = 1;
	w->saved_seq = w->seq;
}

void
window_save_changes(struct window *w, struct strbuf *sb)
{
	uint64_t added = w->seq - w->saved_seq;

	if (!w->tracking || added > (uint64_t)w->filled) {
		window_save_full(w, sb);
		return;
	}
	strbuf_adds(sb, CHANGES_MAGIC);
	put_shape(w, sb);
	codec_put_u64(sb, w->saved_seq);
	codec_put_u64(sb, w->seq);
	for (uint64_t k = 0; k < added; k++) {
		const struct slot *s = &w->slots[(w->next - (int)added + (int)k + w->nslots) % w->nslots];
		codec_put_u64(sb, s->n);
		for (size_t i = 0; i < s->n; i++)
			codec_put_value(sb, s->items[i]);
	}
	w->saved_seq = w->seq;
}

/* Apply saved changes on top of the window: all of them, or none. */
static int
restore_changes(struct window *w, struct eval *ev, const char *data, size_t len)
{
	struct codec_reader r;
	struct strbuf shape = STRBUF_INIT;
	struct arena *tmp;
	struct value **items;
	size_t *counts;
	uint64_t from, to;

	codec_reader_init(&r, data, len, CHANGES_MAGIC, NULL);
	put_shape(w, &shape);
	if (r.bad || (size_t)(r.end - r.p) < shape.len || memcmp(r.p, shape.data, shape.len) != 0) {
		strbuf_release(&shape);
		return -1;
	}
	r.p += shape.len;
	strbuf_release(&shape);
	from = codec_get_u64(&r);
	to = codec_get_u64(&r);
	if (r.bad || from != w->seq || to < from || to - from > (uint64_t)w->nslots)
		return -1;	/* not the changes that follow this window */
	tmp = arena_new(0);
	r.arena = tmp;
	items = xcalloc((size_t)(to - from) + 1, sizeof *items);
	counts = xcalloc((size_t)(to - from) + 1, sizeof *counts);
	for (uint64_t k = 0; k < to - from && !r.bad; k++) {
		uint64_t n = codec_get_u64(&r);
		if (r.bad || n > (uint64_t)(r.end - r.p)) {
			r.bad = 1;	/* every item takes a byte at least */
			break;
		}
		items[k] = arena_alloc(tmp, ((size_t)n + 1) * sizeof **items);
		for (uint64_t i = 0; i < n && !r.bad; i++) {
			struct value key, acc;
			items[k][i] = codec_get_value(&r);
			split_item(w, items[k][i], &key, &acc);
			if (!acc_ok(w, acc))
				r.bad = 1;
		}
		counts[k] = (size_t)n;
	}
	int ok = codec_done(&r);
	for (uint64_t k = 0; ok && k < to - from; k++)
		window_add(w, ev, items[k], counts[k]);
	if (ok)
		w->saved_seq = w->seq;
	free(items);
	free(counts);
	arena_free(tmp);
	return ok ? 0 : -1;
}

size_t
window_keys(const struct window *w)
{
	size_t n = 0;

	if (w->reducer != NULL)
		return w->live;
	for (int k = 0; k < w->filled; k++)
		n += w->slots[(w->next - w->filled + k + w->nslots) % w->nslots].n;
	return n;
}
