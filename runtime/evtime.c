/*
 * evtime.c: the event-time windows of evtime.h.
 *
 * The open windows are an array sorted by end.  An element with event
 * time t belongs to the windows whose ends are the multiples of the slide
 * in (t, t + LEN]; it is folded into those still open when it arrives
 * (end above the watermark it met), and is late when none is.  Checks on
 * the element's shape (a pair for reduceByKey, a number for sum and avg)
 * come before any window is touched, so a bad element is reported once
 * and changes nothing.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "eval.h"
#include "evtime.h"
#include "keymap.h"
#include "stdlib/arena.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

#define EVT_SPAN_MAX (INT64_C(1) << 61)

struct ewin {
	int64_t end;
	struct arena *arena;
	struct keymap keys;		/* reduceByKey, countByValue */
	struct value acc;		/* reduce; count in aux */
	int64_t aux;
	int set;
	struct value *items;		/* a plain window's elements */
	size_t n, cap;
};

struct evtime {
	const struct node *window;
	const struct node *reducer;	/* NULL: a plain window */
	enum node_op op;
	enum reducer_kind red;
	int64_t len, slide, lateness;
	int64_t seen;			/* the largest event time so far */
	struct ewin **open;		/* by end, ascending */
	size_t nopen, capopen;
	/* Offered blocks: those waiting for an earlier one, or for their
	 * batch to be let in (evtime_through), by seq. */
	pthread_mutex_t lock;
	struct evt_part *pending;
	uint64_t next_seq;
	uint64_t through;		/* blocks of batches up to this one go in */
	const struct evt_hooks *hooks;
};

static int64_t
clause_ms(const struct node *n, const char *word, int64_t dflt)
{
	const struct stage *st = n->stage;

	for (int j = 0; j < OP_MAX_CLAUSES && st->desc->clauses[j].word != NULL; j++)
		if (strcmp(st->desc->clauses[j].word, word) == 0 && st->clauses[j].present)
			return st->clauses[j].i;
	return dflt;
}

struct evtime *
evtime_new(const struct node *window, const struct node *reducer, int64_t batch_ms)
{
	struct evtime *e = xcalloc(1, sizeof *e);

	e->window = window;
	e->reducer = reducer;
	e->len = window->stage->args[0].i;
	e->slide = clause_ms(window, "slide", batch_ms);
	e->lateness = window->event_time != NULL ? clause_ms(window->event_time, "lateness", 0) : 0;
	if (e->slide <= 0)
		e->slide = batch_ms;
	if (e->len <= 0)
		e->len = e->slide;
	/* Past 2^61 ms (73 million years) a window is as good as endless;
	 * the bound keeps every end and sum of ends within int64. */
	e->len = e->len < EVT_SPAN_MAX ? e->len : EVT_SPAN_MAX;
	e->slide = e->slide < EVT_SPAN_MAX ? e->slide : EVT_SPAN_MAX;
	e->lateness = e->lateness < EVT_SPAN_MAX ? e->lateness : EVT_SPAN_MAX;
	e->seen = INT64_MIN;
	pthread_mutex_init(&e->lock, NULL);
	if (reducer != NULL) {
		e->op = reducer->op;
		e->red = reducer->op == OP_REDUCEBYKEY || reducer->op == OP_REDUCE ?
		    reducer->stage->args[0].reducer : REDUCER_COUNT;
	}
	return e;
}

static void
ewin_free(struct ewin *w)
{
	if (w == NULL)
		return;
	keymap_release(&w->keys);
	arena_free(w->arena);
	free(w->items);
	free(w);
}

void
evtime_free(struct evtime *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->nopen; i++)
		ewin_free(e->open[i]);
	while (e->pending != NULL) {
		struct evt_part *p = e->pending;
		e->pending = p->next;
		e->hooks->release(p);
	}
	free(e->open);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

static int64_t
watermark_of(const struct evtime *e, int64_t seen)
{
	int64_t wm;

	if (seen == INT64_MIN || __builtin_sub_overflow(seen, e->lateness, &wm))
		return INT64_MIN;
	return wm;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return a % b != 0 && a < 0 ? q - 1 : q;
}

/* The open window ending at end, made if need be; *at is where to look
 * first (the index of the previous end), and where it was found. */
static struct ewin *
window_at(struct evtime *e, int64_t end, size_t *at)
{
	size_t lo = *at, hi = e->nopen;
	struct ewin *w;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e->open[mid]->end < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	if (lo < e->nopen && e->open[lo]->end == end)
		return e->open[lo];
	if (e->nopen == e->capopen) {
		e->capopen = e->capopen ? e->capopen * 2 : 16;
		e->open = xreallocarray(e->open, e->capopen, sizeof *e->open);
	}
	memmove(e->open + lo + 1, e->open + lo, (e->nopen - lo) * sizeof *e->open);
	w = xcalloc(1, sizeof *w);
	w->end = end;
	w->arena = arena_new(4096);
	keymap_init(&w->keys, w->arena, 1);
	e->open[lo] = w;
	e->nopen++;
	return w;
}

/* Fold x into the accumulator (*val, *aux) with the reducer; -1 with
 * ev->ctx.err on a record error. */
static int
fold(struct evtime *e, struct eval *ev, struct arena *a, struct value *val, int64_t *aux,
    int created, struct value x)
{
	struct value out;

	switch (e->red) {
	case REDUCER_COUNT:
		*val = value_int(created ? 1 : val->u.i + 1);
		return 0;
	case REDUCER_AVG:
		*val = value_float((created ? 0 : val->u.d) + value_as_double(x));
		*aux = created ? 1 : *aux + 1;
		return 0;
	case REDUCER_FIRST:
		if (created)
			*val = value_copy(a, x);
		return 0;
	case REDUCER_LAST:
		*val = value_copy(a, x);
		return 0;
	case REDUCER_LAMBDA:
		if (created) {
			*val = value_copy(a, x);
			return 0;
		}
		if (eval_lambda2(ev, e->reducer->stage->args[0].e, *val, x, &out) != 0)
			return -1;
		*val = value_copy(a, out);
		return 0;
	case REDUCER_MIN:
	case REDUCER_MAX:
		if (created || (e->red == REDUCER_MIN ? value_compare(x, *val) < 0 :
		    value_compare(x, *val) > 0))
			*val = value_copy(a, x);
		return 0;
	default:	/* sum: numbers, which take no memory */
		if (created) {
			*val = x;
			return 0;
		}
		if (eval_reduce(ev, e->red, *val, x, &out) != 0)
			return -1;
		*val = out;
		return 0;
	}
}

/* Add element v to window w. */
static int
add_to(struct evtime *e, struct eval *ev, struct ewin *w, struct value v)
{
	struct kentry *k;
	int created;

	if (e->reducer == NULL) {
		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 16;
			w->items = xreallocarray(w->items, w->cap, sizeof *w->items);
		}
		w->items[w->n++] = value_copy(w->arena, v);
		return 0;
	}
	switch (e->op) {
	case OP_COUNT:
		w->aux++;
		return 0;
	case OP_COUNTBYVALUE:
		k = keymap_upsert(&w->keys, v, value_hash(v), &created);
		k->val = value_int(created ? 1 : k->val.u.i + 1);
		return 0;
	case OP_REDUCEBYKEY:
		k = keymap_upsert(&w->keys, v.u.items[0], value_hash(v.u.items[0]), &created);
		return fold(e, ev, w->arena, &k->val, &k->aux, created, v.u.items[1]);
	default:	/* reduce */
		created = !w->set;
		w->set = 1;
		return fold(e, ev, w->arena, &w->acc, &w->aux, created, v);
	}
}

/* What the reducer cannot take at all: reported before any window. */
static const char *
reject(struct evtime *e, struct eval *ev, struct value v)
{
	struct value x = v;

	if (e->reducer == NULL)
		return NULL;
	if (e->op == OP_REDUCEBYKEY) {
		if (v.type != VT_TUPLE || v.n != 2) {
			builtin_error(&ev->ctx, "reduceByKey needs (key, value) pairs, got %s",
			    value_type_name(v));
			return ev->ctx.err;
		}
		x = v.u.items[1];
	}
	if ((e->op == OP_REDUCEBYKEY || e->op == OP_REDUCE) &&
	    (e->red == REDUCER_SUM || e->red == REDUCER_AVG) && !value_is_number(x)) {
		builtin_error(&ev->ctx, "%s needs numbers, got %s%s",
		    e->red == REDUCER_SUM ? "sum" : "avg", value_type_name(x),
		    x.type == VT_STR ? " (use num() to read a number from a string)" : "");
		return ev->ctx.err;
	}
	return NULL;
}

/* Element v, of event time t, arrived when the watermark was wm: into
 * its windows that are still open, or reported late when none is. */
static void
add_one(struct evtime *e, struct eval *ev, struct value v, int64_t t, int64_t wm,
    evtime_error_fn err, void *arg)
{
	int64_t first = (floor_div(t, e->slide) + 1) * e->slide;
	int64_t last = floor_div(t + e->len, e->slide) * e->slide;
	int64_t end;
	const char *why;
	struct arena *saved = ev->ctx.arena;
	int64_t saved_time = ev->ctx.batch_time;
	size_t at = 0;
	int failed = 0;

	if (last < first)
		return;		/* between windows: the slide is longer than the window */
	if (wm != INT64_MIN && last <= wm) {
		builtin_error(&ev->ctx, "late record: event time %lld is behind the watermark %lld, "
		    "and its windows have closed", (long long)t, (long long)wm);
		err(arg, e->window, ev->ctx.err, v);
		return;
	}
	if ((why = reject(e, ev, v)) != NULL) {
		err(arg, e->reducer, why, v);
		return;
	}
	end = first;
	if (wm != INT64_MIN && end <= wm)
		end = (floor_div(wm, e->slide) + 1) * e->slide;
	for (; end <= last; end += e->slide) {
		struct ewin *w = window_at(e, end, &at);
		ev->ctx.arena = w->arena;
		ev->ctx.batch_time = end;
		if (add_to(e, ev, w, v) != 0 && !failed) {
			failed = 1;
			err(arg, e->reducer, ev->ctx.err, v);
		}
		at++;
	}
	ev->ctx.arena = saved;
	ev->ctx.batch_time = saved_time;
}

/* One block, in order: each element meets the largest event time of the
 * blocks before and of its own tag.  The caller holds the lock. */
static void
add_block(struct evtime *e, struct eval *ev, const struct value *v,
    const struct evt_tag *tags, size_t n, int64_t max, evtime_error_fn err, void *arg)
{
	int64_t before = e->seen;

	for (size_t i = 0; i < n; i++) {
		int64_t seen = tags[i].seen > before ? tags[i].seen : before;
		add_one(e, ev, v[i], tags[i].t, watermark_of(e, seen), err, arg);
		if (tags[i].seen > max)
			max = tags[i].seen;
	}
	if (max > e->seen)
		e->seen = max;
}

void
evtime_add(struct evtime *e, struct eval *ev, const struct value *v,
    const struct evt_tag *tags, size_t n, int64_t max, evtime_error_fn err, void *arg)
{
	pthread_mutex_lock(&e->lock);
	add_block(e, ev, v, tags, n, max, err, arg);
	pthread_mutex_unlock(&e->lock);
}

/* Add the offered blocks that may go in now: the next in seq order, as
 * long as its batch has been let in.  The caller holds the lock. */
static void
add_waiting(struct evtime *e, struct eval *ev)
{
	while (e->pending != NULL && e->pending->seq == e->next_seq &&
	    e->pending->batch <= e->through) {
		struct evt_part *q = e->pending;
		e->pending = q->next;
		add_block(e, ev, q->v, q->tags, q->n, q->max, e->hooks->error, q);
		e->next_seq++;
		e->hooks->release(q);
	}
}

void
evtime_offer(struct evtime *e, struct evt_part *p, struct eval *ev,
    const struct evt_hooks *hooks)
{
	struct evt_part **pp;

	pthread_mutex_lock(&e->lock);
	e->hooks = hooks;
	for (pp = &e->pending; *pp != NULL && (*pp)->seq < p->seq; pp = &(*pp)->next)
		;
	p->next = *pp;
	*pp = p;
	add_waiting(e, ev);
	pthread_mutex_unlock(&e->lock);
}

void
evtime_through(struct evtime *e, uint64_t batch, struct eval *ev)
{
	pthread_mutex_lock(&e->lock);
	if (batch > e->through)
		e->through = batch;
	if (e->hooks != NULL)
		add_waiting(e, ev);
	pthread_mutex_unlock(&e->lock);
}

/* The output form of an accumulator: avg's (sum, count) is the mean. */
static struct value
finish(const struct evtime *e, struct value acc, int64_t aux)
{
	if (e->red == REDUCER_AVG)
		return value_float(acc.u.d / (double)aux);
	return acc;
}

/* What a closed window gives the stages after it, copied into a. */
static void
result(const struct evtime *e, struct ewin *w, struct arena *a, struct evt_closed *c)
{
	size_t n = 0;

	c->end = w->end;
	if (e->reducer == NULL) {
		c->items = xcalloc(w->n + 1, sizeof *c->items);
		for (size_t i = 0; i < w->n; i++)
			c->items[n++] = value_copy(a, w->items[i]);
	} else if (e->op == OP_REDUCEBYKEY || e->op == OP_COUNTBYVALUE) {
		c->items = xcalloc(w->keys.n + 1, sizeof *c->items);
		for (size_t i = 0; i < w->keys.n; i++) {
			struct kentry *k = w->keys.list[i];
			c->items[n++] = value_pair(a, value_copy(a, k->key),
			    value_copy(a, e->op == OP_COUNTBYVALUE ? k->val : finish(e, k->val, k->aux)));
		}
	} else {
		c->items = xcalloc(1, sizeof *c->items);
		if (e->op == OP_COUNT)
			c->items[n++] = value_int(w->aux);
		else if (w->set)
			c->items[n++] = value_copy(a, finish(e, w->acc, w->aux));
	}
	c->n = n;
}

size_t
evtime_close(struct evtime *e, int all, struct arena *a, struct evt_closed **out)
{
	int64_t wm;
	size_t k = 0;

	pthread_mutex_lock(&e->lock);
	/* No block of a later batch is in (evtime_through): the watermark is
	 * the one after the last record of this batch. */
	wm = watermark_of(e, e->seen);
	while (k < e->nopen && (all || (wm != INT64_MIN && e->open[k]->end <= wm)))
		k++;
	*out = k > 0 ? xcalloc(k, sizeof **out) : NULL;
	for (size_t i = 0; i < k; i++) {
		result(e, e->open[i], a, &(*out)[i]);
		ewin_free(e->open[i]);
	}
	if (k > 0)
		memmove(e->open, e->open + k, (e->nopen - k) * sizeof *e->open);
	e->nopen -= k;
	pthread_mutex_unlock(&e->lock);
	return k;
}

/* ---- saving and restoring ---- */

#define EVTIME_MAGIC "streamjob-evtime-2\n"

static void
put_shape(const struct evtime *e, struct strbuf *sb)
{
	codec_put_u64(sb, (uint64_t)e->len);
	codec_put_u64(sb, (uint64_t)e->slide);
	codec_put_u64(sb, (uint64_t)e->lateness);
	codec_put_u64(sb, (uint64_t)(e->reducer != NULL ? e->op : 0));
	codec_put_u64(sb, (uint64_t)(e->reducer != NULL ? e->red : 0));
}

/* Blocks of the batches let in that wait for an earlier one: the last
 * batch let in is not all in yet.  The caller holds the lock. */
static int
let_in_waiting(const struct evtime *e)
{
	for (const struct evt_part *p = e->pending; p != NULL; p = p->next)
		if (p->batch <= e->through)
			return 1;
	return 0;
}

/* Offered blocks of later batches wait outside the windows, so what is
 * saved is the windows as of the end of batch `through'; those blocks
 * belong to batches a checkpoint's journal makes again. */
int
evtime_save(struct evtime *e, struct strbuf *sb)
{
	pthread_mutex_lock(&e->lock);
	if (let_in_waiting(e)) {
		pthread_mutex_unlock(&e->lock);
		return -1;
	}
	strbuf_adds(sb, EVTIME_MAGIC);
	put_shape(e, sb);
	codec_put_u64(sb, (uint64_t)e->seen);
	codec_put_u64(sb, e->through);
	codec_put_u64(sb, e->nopen);
	for (size_t i = 0; i < e->nopen; i++) {
		const struct ewin *w = e->open[i];
		codec_put_u64(sb, (uint64_t)w->end);
		if (e->reducer == NULL) {
			codec_put_u64(sb, w->n);
			for (size_t k = 0; k < w->n; k++)
				codec_put_value(sb, w->items[k]);
		} else if (e->op == OP_REDUCEBYKEY || e->op == OP_COUNTBYVALUE) {
			codec_put_u64(sb, w->keys.n);
			for (size_t k = 0; k < w->keys.n; k++) {
				const struct kentry *ke = w->keys.list[k];
				codec_put_value(sb, ke->key);
				codec_put_value(sb, ke->val);
				codec_put_u64(sb, (uint64_t)ke->aux);
			}
		} else {
			codec_put_u64(sb, (uint64_t)w->set);
			codec_put_value(sb, w->set ? w->acc : value_null());
			codec_put_u64(sb, (uint64_t)w->aux);
		}
	}
	pthread_mutex_unlock(&e->lock);
	return 0;
}

/* Read one window saved by evtime_save; NULL when the bytes are bad. */
static struct ewin *
get_window(struct evtime *e, struct codec_reader *r, int64_t prev_end)
{
	struct ewin *w = xcalloc(1, sizeof *w);
	uint64_t n;
	int created;

	w->end = (int64_t)codec_get_u64(r);
	w->arena = arena_new(4096);
	keymap_init(&w->keys, w->arena, 1);
	r->arena = w->arena;
	if (r->bad || w->end <= prev_end || floor_div(w->end, e->slide) * e->slide != w->end)
		goto bad;
	if (e->reducer == NULL || e->op == OP_REDUCEBYKEY || e->op == OP_COUNTBYVALUE) {
		n = codec_get_u64(r);
		if (r->bad || n > (uint64_t)(r->end - r->p))
			goto bad;
		for (uint64_t k = 0; k < n && !r->bad; k++) {
			struct value key = codec_get_value(r);
			if (e->reducer == NULL) {
				if (w->n == w->cap) {
					w->cap = w->cap ? w->cap * 2 : 16;
					w->items = xreallocarray(w->items, w->cap, sizeof *w->items);
				}
				w->items[w->n++] = key;
				continue;
			}
			struct value val = codec_get_value(r);
			int64_t aux = (int64_t)codec_get_u64(r);
			if (r->bad)
				break;
			struct kentry *ke = keymap_upsert(&w->keys, key, value_hash(key), &created);
			if (!created)
				goto bad;	/* a key twice */
			ke->val = val;
			ke->aux = aux;
		}
	} else {
		w->set = codec_get_u64(r) != 0;
		w->acc = codec_get_value(r);
		w->aux = (int64_t)codec_get_u64(r);
	}
	if (r->bad)
		goto bad;
	return w;
bad:
	r->bad = 1;
	ewin_free(w);
	return NULL;
}

int
evtime_restore(struct evtime *e, const char *data, size_t len)
{
	struct codec_reader r;
	struct strbuf shape = STRBUF_INIT;
	struct ewin **open = NULL;
	uint64_t nopen, seen, through;
	size_t got = 0;

	codec_reader_init(&r, data, len, EVTIME_MAGIC, NULL);
	put_shape(e, &shape);
	if (r.bad || (size_t)(r.end - r.p) < shape.len || memcmp(r.p, shape.data, shape.len) != 0) {
		strbuf_release(&shape);
		return -1;
	}
	r.p += shape.len;
	strbuf_release(&shape);
	seen = codec_get_u64(&r);
	through = codec_get_u64(&r);
	nopen = codec_get_u64(&r);
	/* A window takes more than one byte: a count past the bytes lies. */
	if (r.bad || nopen > (uint64_t)(r.end - r.p))
		return -1;
	open = xcalloc((size_t)nopen + 1, sizeof *open);
	for (; got < nopen; got++) {
		open[got] = get_window(e, &r, got > 0 ? open[got - 1]->end : INT64_MIN);
		if (open[got] == NULL)
			break;
	}
	if (got < nopen || !codec_done(&r)) {
		for (size_t i = 0; i < got; i++)
			ewin_free(open[i]);
		free(open);
		return -1;
	}
	pthread_mutex_lock(&e->lock);
	if (e->pending != NULL) {
		pthread_mutex_unlock(&e->lock);
		for (size_t i = 0; i < got; i++)
			ewin_free(open[i]);
		free(open);
		return -1;
	}
	for (size_t i = 0; i < e->nopen; i++)
		ewin_free(e->open[i]);
	free(e->open);
	e->open = open;
	e->nopen = e->capopen = (size_t)nopen;
	if (e->capopen == 0) {
		free(e->open);
		e->open = NULL;
	}
	e->seen = (int64_t)seen;
	/* next_seq stays: it counts the blocks offered to this window in
	 * this process, which numbers its sources' blocks from 0 too. */
	e->through = through;
	pthread_mutex_unlock(&e->lock);
	return 0;
}

size_t
evtime_keys(const struct evtime *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nopen; i++)
		n += e->reducer == NULL ? e->open[i]->n :
		    e->open[i]->keys.n > 0 ? e->open[i]->keys.n : (size_t)e->open[i]->set;
	return n;
}

size_t
evtime_bytes(const struct evtime *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nopen; i++)
		n += arena_bytes(e->open[i]->arena) + e->open[i]->cap * sizeof *e->open[i]->items;
	return n;
}
