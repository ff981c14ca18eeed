/*
 * state.c: the per-key state of state.h.
 *
 * Keys live in a keymap whose entries hold the state (val), the time of
 * the last update (aux) and a mark of this batch's update.  Deleted keys
 * stay in the map as dead entries (aux = -1) until they outnumber the
 * live ones; then the map is rebuilt in a fresh arena, which also drops
 * the old values that updates left behind.
 */
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "keymap.h"
#include "state.h"
#include "stdlib/arena.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

#define DEAD (-1)

struct state {
	const struct node *node;
	enum reducer_kind red;
	const struct expr *fn;
	int64_t timeout;	/* ms; 0: none */
	enum emit_mode emit;
	struct keymap map;
	struct arena *arena;
	size_t live;
	int64_t now;		/* the batch of the last update */
};

struct state *
state_new(const struct node *n)
{
	struct state *s = xcalloc(1, sizeof *s);
	const struct stage *st = n->stage;

	s->node = n;
	s->red = st->args[0].reducer;
	s->fn = st->args[0].e;
	s->emit = st->emit;
	for (int j = 0; j < 5 && st->desc->clauses[j].word != NULL; j++)
		if (strcmp(st->desc->clauses[j].word, "timeout") == 0 && st->clauses[j].present)
			s->timeout = st->clauses[j].i;
	s->arena = arena_new(0);
	keymap_init(&s->map, s->arena, 1);
	return s;
}

void
state_free(struct state *s)
{
	if (s == NULL)
		return;
	keymap_release(&s->map);
	arena_free(s->arena);
	free(s);
}

size_t
state_keys(const struct state *s)
{
	return s->live;
}

static void
compact(struct state *s)
{
	struct arena *a = arena_new(0);
	struct keymap m;
	int created;

	keymap_init(&m, a, 1);
	for (size_t i = 0; i < s->map.n; i++) {
		struct kentry *e = s->map.list[i];
		if (e->aux == DEAD)
			continue;
		struct kentry *d = keymap_upsert(&m, e->key, e->hash, &created);
		d->val = value_copy(a, e->val);
		d->aux = e->aux;
	}
	keymap_release(&s->map);
	arena_free(s->arena);
	s->map = m;
	s->arena = a;
}

/* The batch's values of each key, in order. */
struct group {
	struct value key;
	struct value *vals;
	size_t n, cap;
};

/*
 * state avg: the state is (sum, count) -- a double and an integer -- so
 * that later batches weigh each value alike; state_emit gives sum / count.
 * Values that are not numbers are record errors.  -1 when no value of
 * the batch counted (the key keeps its state, or gets none).
 */
static int
avg_fold(struct eval *ev, struct value old, const struct value *vals, size_t n,
    struct value *acc, int64_t *errors)
{
	double sum = old.type == VT_TUPLE ? old.u.items[0].u.d : 0;
	int64_t count = old.type == VT_TUPLE ? old.u.items[1].u.i : 0, added = 0;

	for (size_t k = 0; k < n; k++) {
		if (!value_is_number(vals[k])) {
			builtin_error(&ev->ctx, "state avg needs numbers, got %s%s",
			    value_type_name(vals[k]), vals[k].type == VT_STR ?
			    " (use num() to read a number from a string)" : "");
			(*errors)++;
			continue;
		}
		sum += value_as_double(vals[k]);
		added++;
	}
	if (added == 0)
		return -1;
	*acc = value_pair(ev->ctx.arena, value_float(sum), value_int(count + added));
	return 0;
}

void
state_update(struct state *s, struct eval *ev, int64_t now, const struct value *pairs,
    size_t n, int64_t *errors)
{
	struct keymap groups;
	struct arena *a = ev->ctx.arena;
	int created;

	s->now = now;
	keymap_init(&groups, a, 0);
	for (size_t i = 0; i < n; i++) {
		struct value p = pairs[i];
		if (p.type != VT_TUPLE || p.n != 2) {
			(*errors)++;
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
		struct kentry *e = keymap_upsert(&s->map, gr->key, h, &created);
		int had = !created && e->aux != DEAD;
		struct value acc = had ? e->val : value_null(), out;
		size_t k = 0;

		if (s->red == REDUCER_AVG) {
			if (avg_fold(ev, had ? e->val : value_null(), gr->vals, gr->n, &acc, errors) != 0) {
				if (!had)
					e->aux = DEAD;
				continue;
			}
		} else if (s->red == REDUCER_LAMBDA) {
			struct value list = value_seq(VT_LIST, gr->vals, gr->n);
			if (eval_lambda2(ev, s->fn, list, acc, &out) != 0) {
				(*errors)++;
				if (!had)
					e->aux = DEAD;
				continue;
			}
			acc = out;
		} else {
			if (!had) {
				acc = s->red == REDUCER_COUNT ? value_int(0) : gr->vals[0];
				k = s->red == REDUCER_COUNT ? 0 : 1;
				if ((s->red == REDUCER_SUM || s->red == REDUCER_AVG) &&
				    !value_is_number(acc)) {
					builtin_error(&ev->ctx, "state sum needs numbers, got %s",
					    value_type_name(acc));
					(*errors)++;
					e->aux = DEAD;
					continue;
				}
			}
			for (; k < gr->n; k++) {
				if (s->red == REDUCER_COUNT)
					out = value_int(acc.u.i + 1);
				else if (eval_reduce(ev, s->red, acc, gr->vals[k], &out) != 0) {
					(*errors)++;
					continue;
				}
				acc = out;
			}
		}
		if (acc.type == VT_NULL) {
			/* a null state deletes the key */
			if (had)
				s->live--;
			e->aux = DEAD;
			continue;
		}
		e->val = value_copy(s->arena, acc);
		if (!had)
			s->live++;
		e->aux = now;
	}
	keymap_release(&groups);
	if (s->timeout > 0) {
		for (size_t i = 0; i < s->map.n; i++) {
			struct kentry *e = s->map.list[i];
			if (e->aux != DEAD && now - e->aux >= s->timeout) {
				e->aux = DEAD;
				s->live--;
			}
		}
	}
	if (s->map.n > 64 && s->map.n > 2 * s->live)
		compact(s);
}

size_t
state_emit(struct state *s, struct arena *a, int final, struct value **out)
{
	size_t n = 0;

	*out = xcalloc(s->live + 1, sizeof **out);
	if (s->emit == EMIT_FINAL && !final)
		return 0;
	for (size_t i = 0; i < s->map.n; i++) {
		struct kentry *e = s->map.list[i];
		if (e->aux == DEAD)
			continue;
		if (s->emit == EMIT_CHANGED && e->aux != s->now)
			continue;
		(*out)[n++] = value_pair(a, e->key, s->red == REDUCER_AVG ?
		    value_float(e->val.u.items[0].u.d / (double)e->val.u.items[1].u.i) : e->val);
	}
	return n;
}

/* ---- saving ---- */

static void
put_u64(struct strbuf *sb, uint64_t x)
{
	strbuf_add(sb, &x, sizeof x);
}

static void
put_value(struct strbuf *sb, struct value v)
{
	strbuf_addc(sb, (char)v.type);
	switch (v.type) {
	case VT_NULL:
		break;
	case VT_BOOL: case VT_INT:
		put_u64(sb, (uint64_t)v.u.i);
		break;
	case VT_FLOAT:
		strbuf_add(sb, &v.u.d, sizeof v.u.d);
		break;
	case VT_STR:
		put_u64(sb, v.n);
		strbuf_add(sb, v.u.s, v.n);
		break;
	case VT_TUPLE: case VT_LIST: case VT_MAP: {
		uint32_t items = v.type == VT_MAP ? 2 * v.n : v.n;
		put_u64(sb, v.n);
		for (uint32_t i = 0; i < items; i++)
			put_value(sb, v.u.items[i]);
		break;
	}
	default:
		break;	/* regexes are not state */
	}
}

struct reader {
	const char *p, *end;
	struct arena *a;
	int bad;
	int depth;
};

static uint64_t
get_u64(struct reader *r)
{
	uint64_t x = 0;

	if ((size_t)(r->end - r->p) < sizeof x) {
		r->bad = 1;
		return 0;
	}
	memcpy(&x, r->p, sizeof x);
	r->p += sizeof x;
	return x;
}

static struct value
get_value(struct reader *r)
{
	struct value v = value_null();
	uint64_t n;

	if (r->p >= r->end || ++r->depth > 1000) {
		r->bad = 1;
		return v;
	}
	v.type = (uint8_t)*r->p++;
	switch (v.type) {
	case VT_NULL:
		break;
	case VT_BOOL: case VT_INT:
		v.u.i = (int64_t)get_u64(r);
		break;
	case VT_FLOAT:
		n = get_u64(r);
		memcpy(&v.u.d, &n, sizeof v.u.d);
		break;
	case VT_STR:
		n = get_u64(r);
		if (n > (uint64_t)(r->end - r->p) || n > UINT32_MAX) {
			r->bad = 1;
			break;
		}
		v = value_str(arena_strndup(r->a, r->p, n), n);
		r->p += n;
		break;
	case VT_TUPLE: case VT_LIST: case VT_MAP:
		n = get_u64(r);
		if (n > (uint64_t)(r->end - r->p)) {
			r->bad = 1;
			break;
		}
		{
			uint64_t items = v.type == VT_MAP ? 2 * n : n;
			struct value *it = arena_alloc(r->a, (items + 1) * sizeof *it);
			for (uint64_t i = 0; i < items && !r->bad; i++)
				it[i] = get_value(r);
			v.u.items = it;
			v.n = (uint32_t)n;
		}
		break;
	default:
		r->bad = 1;
	}
	r->depth--;
	return v;
}

#define STATE_MAGIC "streamjob-state-1\n"

void
state_save(const struct state *s, struct strbuf *sb)
{
	strbuf_adds(sb, STATE_MAGIC);
	put_u64(sb, s->live);
	put_u64(sb, (uint64_t)s->now);
	for (size_t i = 0; i < s->map.n; i++) {
		const struct kentry *e = s->map.list[i];
		if (e->aux == DEAD)
			continue;
		put_value(sb, e->key);
		put_value(sb, e->val);
		put_u64(sb, (uint64_t)e->aux);
	}
}

int
state_restore(struct state *s, const char *data, size_t len)
{
	struct reader r = { data, data + len, NULL, 0, 0 };
	uint64_t n;
	int created;

	if (len < sizeof STATE_MAGIC - 1 || memcmp(data, STATE_MAGIC, sizeof STATE_MAGIC - 1) != 0)
		return -1;
	r.p += sizeof STATE_MAGIC - 1;
	keymap_release(&s->map);
	arena_free(s->arena);
	s->arena = arena_new(0);
	keymap_init(&s->map, s->arena, 1);
	r.a = s->arena;
	s->live = 0;
	n = get_u64(&r);
	s->now = (int64_t)get_u64(&r);
	for (uint64_t i = 0; i < n && !r.bad; i++) {
		struct value k = get_value(&r), v = get_value(&r);
		int64_t t = (int64_t)get_u64(&r);
		if (r.bad)
			break;
		if (s->red == REDUCER_AVG && !(v.type == VT_TUPLE && v.n == 2 &&
		    v.u.items[0].type == VT_FLOAT && v.u.items[1].type == VT_INT &&
		    v.u.items[1].u.i > 0)) {
			r.bad = 1;	/* not an average's (sum, count) */
			break;
		}
		struct kentry *e = keymap_upsert(&s->map, k, value_hash(k), &created);
		e->val = v;
		e->aux = t;
		s->live++;
	}
	return r.bad || r.p != r.end ? -1 : 0;
}
