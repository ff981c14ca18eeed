/*
 * state.c: the per-key state of state.h.
 *
 * The keys are dealt by hash into partitions, each a keymap in an arena
 * of its own, so partitions can be updated at once on several workers.
 * A map's entries hold the state (val) and the batch time of the last
 * update (aux).  Deleted keys stay in the map as dead entries (aux = -1)
 * until they outnumber the live ones; then the partition's map is rebuilt
 * in a fresh arena, which also drops the old values that updates left
 * behind.
 */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "eval.h"
#include "keymap.h"
#include "state.h"
#include "stdlib/arena.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

#define DEAD (-1)

/* One hash partition's keys: only the task of that partition touches it. */
struct state_part {
	struct keymap map;
	struct arena *arena;
	size_t live;
	size_t stale;		/* values in the arena replaced since the last compaction */
	int64_t now;		/* the batch of the last update */
	/* Once saved: the keys updated, deleted or timed out since the last
	 * save, copied (state_save_changes writes just these). */
	struct keymap changed;
	struct arena *changed_arena;
};

struct state {
	const struct node *node;
	enum reducer_kind red;
	const struct expr *fn;
	int64_t timeout;	/* ms; 0: none */
	enum emit_mode emit;
	int nparts;
	struct state_part *parts;
	int tracking;		/* saved at least once: changes are kept */
};

static void
changes_reset(struct state_part *sp)
{
	if (sp->changed_arena != NULL) {
		keymap_release(&sp->changed);
		arena_free(sp->changed_arena);
	}
	sp->changed_arena = arena_new(0);
	keymap_init(&sp->changed, sp->changed_arena, 1);
}

static void
part_init(struct state_part *sp)
{
	sp->arena = arena_new(0);
	keymap_init(&sp->map, sp->arena, 1);
	sp->live = 0;
	changes_reset(sp);
}

static void
part_release(struct state_part *sp)
{
	keymap_release(&sp->map);
	arena_free(sp->arena);
	keymap_release(&sp->changed);
	arena_free(sp->changed_arena);
}

/* Key e changed (set, deleted or timed out) since the last save. */
static void
mark_changed(const struct state *s, struct state_part *sp, const struct kentry *e)
{
	int created;

	if (s->tracking)
		keymap_upsert(&sp->changed, e->key, e->hash, &created);
}

struct state *
state_new(const struct node *n, int nparts)
{
	struct state *s = xcalloc(1, sizeof *s);
	const struct stage *st = n->stage;

	s->node = n;
	s->red = st->args[0].reducer;
	s->fn = st->args[0].e;
	s->emit = st->emit;
	for (int j = 0; j < OP_MAX_CLAUSES && st->desc->clauses[j].word != NULL; j++)
		if (strcmp(st->desc->clauses[j].word, "timeout") == 0 && st->clauses[j].present)
			s->timeout = st->clauses[j].i;
	s->nparts = nparts > 0 ? nparts : 1;
	s->parts = xcalloc((size_t)s->nparts, sizeof *s->parts);
	for (int p = 0; p < s->nparts; p++)
		part_init(&s->parts[p]);
	return s;
}

void
state_free(struct state *s)
{
	if (s == NULL)
		return;
	for (int p = 0; p < s->nparts; p++)
		part_release(&s->parts[p]);
	free(s->parts);
	free(s);
}

int
state_nparts(const struct state *s)
{
	return s->nparts;
}

/* The partitions of reduceByKey's merge (exec.c), so that its output
 * partition p can go to partition p unsplit. */
int
state_part_of(const struct state *s, struct value key)
{
	return keymap_part(value_hash(key), s->nparts);
}

size_t
state_bytes(const struct state *s)
{
	size_t n = 0;

	for (int p = 0; p < s->nparts; p++)
		n += arena_bytes(s->parts[p].arena);
	return n;
}

void
state_sample(const struct state *s, int n, struct strbuf *sb)
{
	int shown = 0;

	for (int p = 0; p < s->nparts && shown < n; p++) {
		const struct keymap *m = &s->parts[p].map;
		for (size_t i = 0; i < m->n && shown < n; i++) {
			if (m->list[i]->aux == DEAD)
				continue;
			if (shown++ > 0)
				strbuf_adds(sb, ", ");
			value_format_json(sb, m->list[i]->key);
		}
	}
}

size_t
state_keys(const struct state *s)
{
	size_t n = 0;

	for (int p = 0; p < s->nparts; p++)
		n += s->parts[p].live;
	return n;
}

static void
compact(struct state_part *sp)
{
	struct arena *a = arena_new(0);
	struct keymap m;
	int created;

	keymap_init(&m, a, 1);
	for (size_t i = 0; i < sp->map.n; i++) {
		struct kentry *e = sp->map.list[i];
		if (e->aux == DEAD)
			continue;
		struct kentry *d = keymap_upsert(&m, e->key, e->hash, &created);
		d->val = value_copy(a, e->val);
		d->aux = e->aux;
	}
	keymap_release(&sp->map);
	arena_free(sp->arena);
	sp->map = m;
	sp->arena = a;
	sp->stale = 0;
}


/* The batch's values of each key, in order. */
struct group {
	struct value key;
	struct value *vals;
	size_t n, cap;
};

struct fail {
	struct eval *ev;
	state_error_fn fn;
	void *arg;
};

/* A record failed: tell the caller why (ev's message) and which. */
static void
failed(struct fail *f, struct value key, struct value v)
{
	if (f->fn != NULL)
		f->fn(f->arg, f->ev->ctx.err, value_pair(f->ev->ctx.arena, key, v));
}

/*
 * state avg: the state is (sum, count) -- a double and an integer -- so
 * that later batches weigh each value alike; state_emit gives sum / count.
 * Values that are not numbers are record errors.  -1 when no value of
 * the batch counted (the key keeps its state, or gets none).
 */
static int
avg_fold(struct fail *f, struct value key, struct value old, const struct value *vals,
    size_t n, struct value *acc)
{
	double sum = old.type == VT_TUPLE ? old.u.items[0].u.d : 0;
	int64_t count = old.type == VT_TUPLE ? old.u.items[1].u.i : 0, added = 0;

	for (size_t k = 0; k < n; k++) {
		if (!value_is_number(vals[k])) {
			builtin_error(&f->ev->ctx, "state avg needs numbers, got %s%s",
			    value_type_name(vals[k]), vals[k].type == VT_STR ?
			    " (use num() to read a number from a string)" : "");
			failed(f, key, vals[k]);
			continue;
		}
		sum += value_as_double(vals[k]);
		added++;
	}
	if (added == 0)
		return -1;
	*acc = value_pair(f->ev->ctx.arena, value_float(sum), value_int(count + added));
	return 0;
}

/* A reducer name: fold the values onto the old state, in order. */
static int
reduce_fold(struct state *s, struct fail *f, struct value key, int had, struct value old,
    const struct value *vals, size_t n, struct value *acc)
{
	struct eval *ev = f->ev;
	struct value out;
	size_t k = 0;

	if (s->red == REDUCER_AVG)
		return avg_fold(f, key, had ? old : value_null(), vals, n, acc);
	*acc = old;
	if (!had && s->red == REDUCER_COUNT) {
		*acc = value_int(0);
	} else if (!had) {
		/* The first value that can start the state (for sum, a number:
		 * the others are reported, and the values after still count). */
		for (; k < n && s->red == REDUCER_SUM && !value_is_number(vals[k]); k++) {
			builtin_error(&ev->ctx, "state sum needs numbers, got %s%s",
			    value_type_name(vals[k]), vals[k].type == VT_STR ?
			    " (use num() to read a number from a string)" : "");
			failed(f, key, vals[k]);
		}
		if (k == n)
			return -1;
		*acc = vals[k++];
	}
	for (; k < n; k++) {
		if (s->red == REDUCER_COUNT)
			out = value_int(acc->u.i + 1);
		else if (eval_reduce(ev, s->red, *acc, vals[k], &out) != 0) {
			failed(f, key, vals[k]);
			continue;
		}
		*acc = out;
	}
	return 0;
}

void
state_update(struct state *s, int part, struct eval *ev, int64_t now, const struct value *pairs,
    size_t n, state_error_fn on_error, void *arg)
{
	struct state_part *sp = &s->parts[part];
	struct fail f = { ev, on_error, arg };
	struct keymap groups;
	struct arena *a = ev->ctx.arena;
	int created;

	sp->now = now;
	keymap_init(&groups, a, 0);
	for (size_t i = 0; i < n; i++) {
		struct value p = pairs[i];
		if (p.type != VT_TUPLE || p.n != 2) {
			builtin_error(&ev->ctx, "state needs (key, value) pairs, got %s",
			    value_type_name(p));
			if (on_error != NULL)
				on_error(arg, ev->ctx.err, p);
			continue;
		}
		struct kentry *g = keymap_upsert(&groups, p.u.items[0], value_hash(p.u.items[0]),
		    &created);
		struct group *gr = created ? NULL : (struct group *)g->val.u.p;
		if (created) {
			gr = arena_zalloc(a, sizeof *gr);
			gr->key = p.u.items[0];
			g->val.type = VT_NULL;
			g->val.u.p = gr;
		}
		if (gr->n == gr->cap) {
			size_t cap = gr->cap ? gr->cap * 2 : 4;
			struct value *v = arena_alloc(a, cap * sizeof *v);
			if (gr->n)
				memcpy(v, gr->vals, gr->n * sizeof *v);
			gr->vals = v;
			gr->cap = cap;
		}
		gr->vals[gr->n++] = p.u.items[1];
	}
	for (size_t i = 0; i < groups.n; i++) {
		struct group *gr = (struct group *)groups.list[i]->val.u.p;
		uint64_t h = groups.list[i]->hash;
		struct kentry *e = keymap_upsert(&sp->map, gr->key, h, &created);
		int had = !created && e->aux != DEAD;

		mark_changed(s, sp, e);
		struct value acc = had ? e->val : value_null(), out;

		if (s->red == REDUCER_LAMBDA) {
			struct value list = value_seq(VT_LIST, gr->vals, gr->n);
			if (eval_lambda2(ev, s->fn, list, acc, &out) != 0) {
				failed(&f, gr->key, list);
				if (!had)
					e->aux = DEAD;
				continue;
			}
			acc = out;
		} else if (reduce_fold(s, &f, gr->key, had, acc, gr->vals, gr->n, &acc) != 0) {
			if (!had)
				e->aux = DEAD;
			continue;
		}
		if (acc.type == VT_NULL) {
			/* a null state deletes the key */
			if (had)
				sp->live--;
			e->aux = DEAD;
			continue;
		}
		if (had && value_takes_memory(e->val))
			sp->stale++;
		e->val = value_copy(sp->arena, acc);
		if (!had)
			sp->live++;
		e->aux = now;
	}
	keymap_release(&groups);
	if (s->timeout > 0) {
		for (size_t i = 0; i < sp->map.n; i++) {
			struct kentry *e = sp->map.list[i];
			if (e->aux != DEAD && now - e->aux >= s->timeout) {
				e->aux = DEAD;
				sp->live--;
				mark_changed(s, sp, e);
			}
		}
	}
	/* Deleted keys and replaced values stay in the arena until it is
	 * rebuilt: rebuild it when they outweigh the live ones. */
	if ((sp->map.n > 64 && sp->map.n > 2 * sp->live) || sp->stale > 2 * sp->live + 64)
		compact(sp);
}

size_t
state_emit(struct state *s, int part, struct arena *a, int final, struct value **out)
{
	struct state_part *sp = &s->parts[part];
	size_t n = 0;

	*out = xcalloc(sp->live + 1, sizeof **out);
	if (s->emit == EMIT_FINAL && !final)
		return 0;
	for (size_t i = 0; i < sp->map.n; i++) {
		struct kentry *e = sp->map.list[i];
		if (e->aux == DEAD)
			continue;
		if (s->emit == EMIT_CHANGED && e->aux != sp->now)
			continue;
		(*out)[n++] = value_pair(a, e->key, s->red == REDUCER_AVG ?
		    value_float(e->val.u.items[0].u.d / (double)e->val.u.items[1].u.i) : e->val);
	}
	return n;
}

/* ---- saving ----
 *
 * Format 1 (codec.h's encoding): the text "streamjob-state-1\n"; the
 * number of keys and the time of the last update (u64 each); then for
 * each key: the key, its state (avg: a (sum, count) tuple) and the batch
 * time it was last updated (u64).  The partitions are saved one after
 * another and a restore deals the keys out again by hash, so a store
 * saved with one number of workers restores into another.
 */

#define STATE_MAGIC "streamjob-state-1\n"

void
state_save(const struct state *s, struct strbuf *sb)
{
	strbuf_adds(sb, STATE_MAGIC);
	codec_put_u64(sb, state_keys(s));
	codec_put_u64(sb, (uint64_t)s->parts[0].now);
	for (int p = 0; p < s->nparts; p++) {
		const struct state_part *sp = &s->parts[p];
		for (size_t i = 0; i < sp->map.n; i++) {
			const struct kentry *e = sp->map.list[i];
			if (e->aux == DEAD)
				continue;
			codec_put_value(sb, e->key);
			codec_put_value(sb, e->val);
			codec_put_u64(sb, (uint64_t)e->aux);
		}
	}
}

/*
 * The changes since the last save (format "streamjob-state-changes-1\n"):
 * the time of the last update and the number of keys (u64 each), then for
 * each key that changed: the key, and 1 with its state and update time, or
 * 0 for a key that went.  Before any save there is nothing to take
 * changes from, and the whole store is written instead.
 */
#define CHANGES_MAGIC "streamjob-state-changes-1\n"

static int restore_full(struct state *, const char *, size_t);

void
state_save_full(struct state *s, struct strbuf *sb)
{
	state_save(s, sb);
	s->tracking = 1;
	for (int p = 0; p < s->nparts; p++)
		changes_reset(&s->parts[p]);
}

int
state_unchanged(const struct state *s)
{
	if (!s->tracking)
		return 0;
	for (int p = 0; p < s->nparts; p++)
		if (s->parts[p].changed.n > 0)
			return 0;
	return 1;
}

void
state_save_changes(struct state *s, struct strbuf *sb)
{
	size_t n = 0;

	if (!s->tracking) {
		state_save_full(s, sb);
		return;
	}
	for (int p = 0; p < s->nparts; p++)
		n += s->parts[p].changed.n;
	strbuf_adds(sb, CHANGES_MAGIC);
	codec_put_u64(sb, (uint64_t)s->parts[0].now);
	codec_put_u64(sb, n);
	for (int p = 0; p < s->nparts; p++) {
		struct state_part *sp = &s->parts[p];
		for (size_t i = 0; i < sp->changed.n; i++) {
			const struct kentry *c = sp->changed.list[i];
			const struct kentry *e = keymap_find(&sp->map, c->key, c->hash);
			codec_put_value(sb, c->key);
			if (e == NULL || e->aux == DEAD) {
				codec_put_u64(sb, 0);
				continue;
			}
			codec_put_u64(sb, 1);
			codec_put_value(sb, e->val);
			codec_put_u64(sb, (uint64_t)e->aux);
		}
		changes_reset(sp);
	}
}

/* Apply saved changes on top of the store: all of them, or none. */
static int
restore_changes(struct state *s, const char *data, size_t len)
{
	struct codec_reader r;
	struct arena *tmp = arena_new(0);
	struct kentry *list = NULL;
	uint64_t n;
	int64_t now;
	int created;

	codec_reader_init(&r, data, len, CHANGES_MAGIC, tmp);
	now = (int64_t)codec_get_u64(&r);
	n = codec_get_u64(&r);
	if (r.bad || n > (uint64_t)(r.end - r.p)) {
		arena_free(tmp);
		return -1;	/* every key takes a byte at least */
	}
	list = xcalloc((size_t)n + 1, sizeof *list);
	for (uint64_t i = 0; i < n && !r.bad; i++) {
		struct kentry *c = &list[i];
		c->key = codec_get_value(&r);
		c->aux = codec_get_u64(&r) == 1 ? 0 : DEAD;
		if (c->aux == DEAD)
			continue;
		c->val = codec_get_value(&r);
		c->aux = (int64_t)codec_get_u64(&r);
		if (r.bad || c->aux < 0 || c->aux > now)
			r.bad = 1;
		else if (s->red == REDUCER_AVG && !(c->val.type == VT_TUPLE && c->val.n == 2 &&
		    c->val.u.items[0].type == VT_FLOAT && c->val.u.items[1].type == VT_INT &&
		    c->val.u.items[1].u.i > 0))
			r.bad = 1;
	}
	if (!codec_done(&r) || now < s->parts[0].now) {
		free(list);
		arena_free(tmp);
		return -1;
	}
	for (uint64_t i = 0; i < n; i++) {
		struct kentry *c = &list[i];
		uint64_t h = value_hash(c->key);
		struct state_part *sp = &s->parts[keymap_part(h, s->nparts)];
		if (c->aux == DEAD) {
			struct kentry *e = keymap_find(&sp->map, c->key, h);
			if (e != NULL && e->aux != DEAD) {
				e->aux = DEAD;
				sp->live--;
			}
			continue;
		}
		struct kentry *e = keymap_upsert(&sp->map, c->key, h, &created);
		if (created || e->aux == DEAD)
			sp->live++;
		else if (value_takes_memory(e->val))
			sp->stale++;
		e->val = value_copy(sp->arena, c->val);
		e->aux = c->aux;
	}
	for (int p = 0; p < s->nparts; p++)
		s->parts[p].now = now;
	free(list);
	arena_free(tmp);
	return 0;
}

int
state_restore(struct state *s, const char *data, size_t len)
{
	if (len >= sizeof CHANGES_MAGIC - 1 &&
	    memcmp(data, CHANGES_MAGIC, sizeof CHANGES_MAGIC - 1) == 0)
		return restore_changes(s, data, len);
	return restore_full(s, data, len);
}

static int
restore_full(struct state *s, const char *data, size_t len)
{
	struct codec_reader r;
	struct state_part *parts;
	uint64_t n;
	int64_t now;
	int created;

	codec_reader_init(&r, data, len, STATE_MAGIC, NULL);
	if (r.bad)
		return -1;
	/* Read into new partitions: a refused save leaves the store as it was. */
	parts = xcalloc((size_t)s->nparts, sizeof *parts);
	for (int p = 0; p < s->nparts; p++)
		part_init(&parts[p]);
	n = codec_get_u64(&r);
	now = (int64_t)codec_get_u64(&r);
	for (uint64_t i = 0; i < n && !r.bad; i++) {
		/* values go to partition 0's arena until the key says where */
		r.arena = parts[0].arena;
		struct value k = codec_get_value(&r), v = codec_get_value(&r);
		int64_t t = (int64_t)codec_get_u64(&r);
		if (r.bad || t < 0 || t > now) {
			r.bad = 1;	/* updated at a batch time, not after the last */
			break;
		}
		if (s->red == REDUCER_AVG && !(v.type == VT_TUPLE && v.n == 2 &&
		    v.u.items[0].type == VT_FLOAT && v.u.items[1].type == VT_INT &&
		    v.u.items[1].u.i > 0)) {
			r.bad = 1;	/* not an average's (sum, count) */
			break;
		}
		uint64_t h = value_hash(k);
		struct state_part *sp = &parts[keymap_part(h, s->nparts)];
		struct kentry *e = keymap_upsert(&sp->map, k, h, &created);
		e->val = sp == &parts[0] ? v : value_copy(sp->arena, v);
		e->aux = t;
		if (created)
			sp->live++;
	}
	if (!codec_done(&r)) {
		for (int p = 0; p < s->nparts; p++)
			part_release(&parts[p]);
		free(parts);
		return -1;
	}
	for (int p = 0; p < s->nparts; p++) {
		part_release(&s->parts[p]);
		parts[p].now = now;
	}
	free(s->parts);
	s->parts = parts;
	s->tracking = 1;	/* changes from now on are against this */
	return 0;
}
