/*
 * exec.c: the two phases of a batch (see exec.h).
 *
 * Phase A runs on workers as blocks arrive: records go through the
 * source's chain of element stages and end in the chain's end.  Phase B
 * runs when the batch closes: partial aggregates are merged partition by
 * partition (partition p takes the keys whose hash falls in p, from every
 * worker's partial), then the remaining nodes run in topological order,
 * each partition of a node a task, and the sinks write.
 *
 * The word count pipeline stays in phase A almost entirely: a line is cut
 * into words without copying (flatMap split), (word, 1) is never built as
 * a tuple (the map right before a keyed stage hands key and value over
 * separately), and each word is hashed once into the worker's partial
 * map, which copies a key only the first time it sees it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "evtime.h"
#include "exec.h"
#include "keymap.h"
#include "strcount.h"
#include "table.h"
#include "io/frame.h"
#include "io/source.h"
#include "state.h"
#include "stateful.h"
#include "window.h"
#include "workers.h"
#include "runtime/io/registry.h"
#include "stdlib/arena.h"
#include "stdlib/number.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

/* ---- vectors ---- */

static void
vec_push(struct vec *v, struct value x)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->v = xreallocarray(v->v, v->cap, sizeof *v->v);
	}
	v->v[v->n++] = x;
}

/* Push x with its event time: tags grow with the values. */
static void
vec_push_tag(struct vec *v, struct value x, struct evt_tag tag)
{
	if (v->n == v->cap || v->tags == NULL) {
		size_t cap = v->n == v->cap ? (v->cap ? v->cap * 2 : 64) : v->cap;
		v->tags = xreallocarray(v->tags, cap, sizeof *v->tags);
	}
	v->tags[v->n] = tag;
	vec_push(v, x);
}

static void
vec_release(struct vec *v)
{
	free(v->v);
	free(v->tags);
	v->v = NULL;
	v->tags = NULL;
	v->n = v->cap = 0;
}

/* Add a partition to a node's output.  Blocks finish in any order; their
 * parts are kept in block order, so first and last mean what they say. */
static void
state_add_part(struct node_state *ns, struct vec part)
{
	int i;

	pthread_mutex_lock(&ns->lock);
	ns->parts = xreallocarray(ns->parts, (size_t)ns->nparts + 1, sizeof *ns->parts);
	for (i = ns->nparts; i > 0 && ns->parts[i - 1].seq > part.seq; i--)
		ns->parts[i] = ns->parts[i - 1];
	ns->parts[i] = part;
	ns->nparts++;
	pthread_mutex_unlock(&ns->lock);
}

/* ---- plan analysis ---- */

/* ---- stages by kind ----
 *
 * What each kind of stage does, as a table of operations (ops_table at
 * the end of this file): a kind the table has no entry for is not
 * available in this version.
 */
struct run;

struct stage_ops {
	unsigned flags;
	/* One element through the stage, i its place in the chain run. */
	void (*element)(struct run *, struct node *, int i, struct value v);
	/* One element into this worker's partial aggregate. */
	void (*partial)(struct run *, struct node *, struct value v);
	/* OPS_KEYED: fold entry e of one worker's partial into d, the merged
	 * entry of its key; and the output element of a merged entry. */
	void (*merge)(struct run *, const struct node *, struct kentry *d,
	    const struct kentry *e);
	struct value (*result)(const struct node *, struct arena *, const struct kentry *);
	/* A whole-batch stage: the workers' partials to the one result. */
	void (*total)(struct exec *, struct batch *, struct node *);
	/* Phase B: the node's output for the batch, from its inputs'. */
	void (*finish)(struct exec *, struct batch *, struct node *, struct task_group *);
};

#define OPS_PARTIALS	0x1	/* a batch keeps per-worker partials for it */
#define OPS_KEYED	0x2	/* ... keymaps, merged partition by partition */
#define OPS_PAIRS_BY_KEY 0x4	/* its output: (key, value) pairs, partition p
				 * holding the keys of hash partition p */
#define OPS_SINK	0x8	/* a sink: the registry's sink of the stage's
				 * name (runtime/io/registry.c) does the work */

static const struct stage_ops *const ops_table[OP__COUNT];
/* Every source kind: its blocks come from outside; nothing to compute. */
static const struct stage_ops source_ops = { 0 };

static const struct stage_ops *
ops_of(const struct node *n)
{
	if (source_kind(n->stage->desc) != NULL)
		return &source_ops;	/* every source kind in the registry is built */
	return ops_table[n->op];
}

/* Joins against a table look each element up on its own: element-wise. */
static int
is_table_join(const struct node *n)
{
	return (n->op == OP_JOIN || n->op == OP_LEFTJOIN || n->op == OP_EXCEPT) &&
	    n->stage->table != NULL && n->stage->stream == NULL;
}

/* An element stage: one input, taken an element at a time. */
static int
is_narrow_node(const struct node *n)
{
	return ops_of(n)->element != NULL && n->ninputs == 1;
}

static struct table_slot *
lookup_table(void *arg, const char *name)
{
	struct exec *x = arg;

	for (int i = 0; i < x->ntables; i++)
		if (strcmp(table_slot_name(x->tables[i]), name) == 0)
			return x->tables[i];
	return NULL;
}

static int
prepare_stage(struct exec *x, struct stage *st)
{
	for (int i = 0; i < OP_MAX_ARGS; i++) {
		if (st->args[i].e != NULL && eval_prepare(st->args[i].e, x->opt, lookup_table, x) != 0)
			return -1;
		for (int j = 0; j < st->args[i].nitems; j++)
			if (eval_prepare(st->args[i].items[j], x->opt, lookup_table, x) != 0)
				return -1;
	}
	for (int i = 0; i < OP_MAX_CLAUSES; i++)
		if (st->clauses[i].e != NULL &&
		    eval_prepare(st->clauses[i].e, x->opt, lookup_table, x) != 0)
			return -1;
	return 0;
}

/* ---- event time ---- */

static void
evt_closed_free(struct exec_node *en)
{
	for (size_t k = 0; k < en->nclosed; k++)
		free(en->closed[k].items);
	free(en->closed);
	en->closed = NULL;
	en->nclosed = 0;
}

/*
 * Event-time windows: the node that ends each one (the reducer right
 * after it, or the window itself) keeps its windows, and the nodes after
 * that node are marked to run in a pass of its own, once per window that
 * closes.  Elements must come from the timestamp stage to the window
 * through element stages only, which keep their arrival order; passes
 * may not nest, meet, or take in a stream from outside.
 */
static int
evt_setup(struct exec *x, const char **err)
{
	static char msg[160];
	struct plan *plan = x->plan;

	for (int i = 0; i < plan->nnodes; i++) {
		struct node *w = plan->nodes[i], *end, *p;
		if (w->op != OP_WINDOW || w->event_time == NULL)
			continue;
		for (p = w->inputs[0]; p != w->event_time; p = p->inputs[0]) {
			if (!is_narrow_node(p)) {
				snprintf(msg, sizeof msg, "stage event-time window after %s is not available in this version yet",
				    p->stage->desc->name);
				*err = msg;
				return -1;
			}
		}
		end = w->noutputs == 1 && w->outputs[0]->window == w ? w->outputs[0] : w;
		x->nodes[end->id - 1].evt = evtime_new(w, end != w ? end : NULL, plan->settings.batch_ms);
		for (int k = end->id; k < plan->nnodes; k++) {
			struct node *m = plan->nodes[k];
			for (int j = 0; j < m->ninputs; j++) {
				struct node *in = m->inputs[j];
				if (in != end && x->nodes[in->id - 1].evt_owner != end->id)
					continue;
				if (x->nodes[k].evt_owner != 0 || m->op == OP_WINDOW) {
					snprintf(msg, sizeof msg, "stage %s after %s is not available in this version yet",
					    m->op == OP_WINDOW ? "window" : m->stage->desc->name,
					    m->op == OP_WINDOW ? "an event-time window" : "two event-time windows");
					*err = msg;
					return -1;
				}
				x->nodes[k].evt_owner = end->id;
				break;
			}
			/* A union or join with a stream that is not after the
			 * window would see that stream's batch once per closed
			 * window, or never. */
			for (int j = 0; x->nodes[k].evt_owner == end->id && j < m->ninputs; j++) {
				struct node *in = m->inputs[j];
				if (in != end && x->nodes[in->id - 1].evt_owner != end->id) {
					snprintf(msg, sizeof msg, "stage %s of an event-time window with another stream is not available in this version yet",
					    m->stage->desc->name);
					*err = msg;
					return -1;
				}
			}
		}
	}
	return 0;
}

struct exec *
exec_new(struct plan *plan, const struct job_options *opt, struct workers *w,
    const struct exec_host *host, const char **err, enum exec_fail *why)
{
	struct exec *x = xcalloc(1, sizeof *x);
	struct eval ev = { 0 };
	struct arena *tmp = arena_new(0);
	static char table_msg[512];
	char *terr;

	x->plan = plan;
	x->opt = opt;
	x->workers = w;
	x->nworkers = workers_count(w);
	x->host = *host;
	x->sink_host = (struct sink_host){ .arg = host->arg, .output = host->write,
	    .fail = host->fail, .record_error = host->record_error,
	    .reporter = host->reporter };
	x->nodes = xcalloc((size_t)plan->nnodes + 1, sizeof *x->nodes);
	*err = NULL;

	ev.ctx.arena = tmp;
	for (int i = 0; i < plan->ntables; i++) {
		struct table_slot *t;
		for (int k = 0; plan->tables[i]->list != NULL && k < plan->tables[i]->list->nitems; k++)
			eval_prepare(plan->tables[i]->list->items[k], opt, NULL, NULL);
		if (plan->tables[i]->store != NULL && registry_table_reader(plan->tables[i]->store) == NULL) {
			snprintf(table_msg, sizeof table_msg, "table %s: %s is not available in this version yet",
			    plan->tables[i]->name, plan->tables[i]->store);
			*err = table_msg;
			*why = EXEC_UNSUPPORTED;
			goto fail;
		}
		t = table_slot_new(plan->tables[i], x->ntables, eval_entry, &ev, &terr);
		if (t == NULL) {
			snprintf(table_msg, sizeof table_msg, "%s", terr);
			free(terr);
			*err = table_msg;
			*why = EXEC_FAILED;
			goto fail;
		}
		x->tables = xreallocarray(x->tables, (size_t)x->ntables + 1, sizeof *x->tables);
		x->tables[x->ntables++] = t;
	}
	for (int i = 0; i < plan->nnodes; i++) {
		struct node *n = plan->nodes[i];
		const struct stage_ops *ops = ops_of(n);
		/* a sink: the registry's of its name does the work */
		const struct sink_desc *sd = ops != NULL && (ops->flags & OPS_SINK) ?
		    registry_sink(n->stage->desc->name) : NULL;
		if (ops == NULL || ((ops->flags & OPS_SINK) && sd == NULL)) {
			static char msg[128];
			snprintf(msg, sizeof msg, "%s %s is not available in this version yet",
			    catalog_role_name(n->stage->desc->role), n->stage->desc->name);
			*err = msg;
			*why = EXEC_UNSUPPORTED;
			goto fail;
		}
		if (prepare_stage(x, n->stage) != 0) {
			*err = "a lambda has too many parameters";
			*why = EXEC_FAILED;
			goto fail;
		}
		x->nodes[i].node = n;
		if (n->op == OP_STATE)
			x->nodes[i].state = state_new(n, x->nworkers);
		if (sd != NULL) {
			static char msg[512];
			char *serr = NULL;
			x->nodes[i].sink = sink_new(sd, n, &x->sink_host, x->nworkers, &serr);
			if (x->nodes[i].sink == NULL) {
				snprintf(msg, sizeof msg, "%s", serr);
				free(serr);
				*err = msg;
				*why = EXEC_FAILED;
				goto fail;
			}
		}
		if (is_table_join(n))
			x->nodes[i].table = lookup_table(x, n->stage->table->name);
	}
	/* Windows: a reducer right after one keeps the window's state; a
	 * window with anything else after it keeps its batches. */
	for (int i = 0; i < plan->nnodes; i++) {
		struct node *n = plan->nodes[i];
		struct node *wn = n->window != NULL ? n->window :
		    n->op == OP_WINDOW && !(n->noutputs == 1 && n->outputs[0]->window == n) ? n : NULL;
		if (wn == NULL || wn->event_time != NULL)
			continue;	/* event time: evt_setup */
		int64_t len = wn->stage->args[0].i, slide = plan->settings.batch_ms;
		for (int j = 0; j < OP_MAX_CLAUSES && wn->stage->desc->clauses[j].word != NULL; j++)
			if (strcmp(wn->stage->desc->clauses[j].word, "slide") == 0 &&
			    wn->stage->clauses[j].present)
				slide = wn->stage->clauses[j].i;
		x->nodes[i].win = window_new(n->window != NULL ? n : NULL,
		    (int)(len / plan->settings.batch_ms), n->window != NULL ? n->wplan : WPLAN_NONE);
		x->nodes[i].slide_ms = slide;
	}
	if (evt_setup(x, err) != 0) {
		*why = EXEC_UNSUPPORTED;	/* its only failures */
		goto fail;
	}
	arena_free(tmp);
	return x;
fail:
	arena_free(tmp);
	exec_free(x);
	return NULL;
}

void
exec_free(struct exec *x)
{
	if (x == NULL)
		return;
	for (int i = 0; i < x->ntables; i++)
		table_slot_free(x->tables[i]);
	free(x->tables);
	for (int i = 0; i < x->plan->nnodes; i++) {
		window_free(x->nodes[i].win);
		evtime_free(x->nodes[i].evt);
		evt_closed_free(&x->nodes[i]);
		state_free(x->nodes[i].state);
		sink_free(x->nodes[i].sink);
	}
	free(x->nodes);
	free(x);
}

/* ---- batches ---- */

struct batch *
batch_new(struct exec *x, uint64_t seq, int64_t time)
{
	struct batch *b = xcalloc(1, sizeof *b);
	int nw = x->nworkers;

	b->seq = seq;
	b->time = time;
	b->host = &x->host;
	b->arenas = xcalloc((size_t)nw, sizeof *b->arenas);
	for (int w = 0; w < nw; w++)
		b->arenas[w] = arena_new(256 * 1024);
	b->nodes = xcalloc((size_t)x->plan->nnodes + 1, sizeof *b->nodes);
	for (int i = 0; i < x->plan->nnodes; i++) {
		struct node_state *ns = &b->nodes[i];
		const struct stage_ops *ops = ops_of(x->plan->nodes[i]);
		pthread_mutex_init(&ns->lock, NULL);
		if (ops->flags & OPS_PARTIALS) {
			ns->partials = xcalloc((size_t)nw, sizeof *ns->partials);
			ns->counts_str = xcalloc((size_t)nw, sizeof *ns->counts_str);
			for (int w = 0; w < nw; w++) {
				keymap_init(&ns->partials[w], b->arenas[w], 1);
				strcount_init(&ns->counts_str[w], b->arenas[w]);
			}
			ns->acc = xcalloc((size_t)nw, sizeof *ns->acc);
			ns->acc_pos = xcalloc((size_t)nw, sizeof *ns->acc_pos);
			ns->acc_set = xcalloc((size_t)nw, sizeof *ns->acc_set);
			ns->counts = xcalloc((size_t)nw, sizeof *ns->counts);
			ns->samples = xcalloc((size_t)nw, sizeof *ns->samples);
		}
	}
	pthread_mutex_init(&b->lock, NULL);
	b->tasks = task_group_new();
	b->tables = xcalloc((size_t)x->ntables + 1, sizeof *b->tables);
	for (int i = 0; i < x->ntables; i++)
		b->tables[i] = table_slot_current(x->tables[i]);
	return b;
}

void
batch_free(struct exec *x, struct batch *b)
{
	int nw = x->nworkers;

	if (b == NULL)
		return;
	task_group_free(b->tasks);
	for (int i = 0; i < x->plan->nnodes; i++) {
		struct node_state *ns = &b->nodes[i];
		for (int p = 0; p < ns->nparts; p++)
			vec_release(&ns->parts[p]);
		free(ns->parts);
		if (ns->partials != NULL) {
			for (int w = 0; w < nw; w++) {
				keymap_release(&ns->partials[w]);
				strcount_release(&ns->counts_str[w]);
				vec_release(&ns->samples[w]);
			}
			free(ns->partials);
			free(ns->counts_str);
			free(ns->acc);
			free(ns->acc_pos);
			free(ns->acc_set);
			free(ns->counts);
			free(ns->samples);
		}
		while (ns->out_head != NULL) {
			struct outchunk *c = ns->out_head;
			ns->out_head = c->next;
			free(c->data);
			free(c);
		}
		pthread_mutex_destroy(&ns->lock);
	}
	free(b->nodes);
	while (b->kept != NULL) {
		struct block *k = b->kept;
		b->kept = k->next;
		x->host.block_released(x->host.arg, k->len);
		free(k->data);
		free(k);
	}
	for (int w = 0; w < nw; w++)
		arena_free(b->arenas[w]);
	free(b->arenas);
	for (int i = 0; i < x->ntables; i++)
		table_unref(b->tables[i]);
	free(b->tables);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* ---- pushing records through a chain ---- */

struct run {
	struct exec *x;
	struct batch *bt;
	int w;
	struct eval ev;
	struct node **chain;
	int nchain;
	enum chain_end end;
	struct node *target;
	struct vec keep;
	struct strbuf out;
	uint64_t pos;			/* position of the record, for first/last */
	int64_t evt;			/* the element's event time */
	int64_t evmax;			/* the largest event time met so far */
	int tagging;			/* keep event times with the values */
};

static void
record_error(struct run *r, const struct node *n, struct value v)
{
	r->bt->host->record_error(r->bt->host->arg, r->bt->seq, n, r->ev.ctx.err, v);
}

static void combine_kv(struct run *, struct node *, struct value k, struct value v);

static void
terminal(struct run *r, struct value v)
{
	struct node_state *ns;

	switch (r->end) {
	case END_COMBINE:
		ops_of(r->target)->partial(r, r->target, v);
		break;
	case END_STDOUT:
		sink_format_value(&r->out, r->target->stage->format, v);
		break;
	case END_PRINT: {
		int64_t n = r->x->nodes[r->target->id - 1].sink->sample;
		ns = &r->bt->nodes[r->target->id - 1];
		ns->counts[r->w]++;
		if ((int64_t)ns->samples[r->w].n <= n)
			vec_push(&ns->samples[r->w], value_copy(r->bt->arenas[r->w], v));
		break;
	}
	default:
		if (r->tagging)
			vec_push_tag(&r->keep, v, (struct evt_tag){ r->evt, r->evmax });
		else
			vec_push(&r->keep, v);
		break;
	}
	r->pos++;
}

static void push(struct run *r, int i, struct value v);

/* flatMap _.split("SEP") with a literal SEP: pieces without a list. */
static void
split_fast(struct run *r, int i, const struct node *n, struct value v)
{
	const char *sep = n->split_sep;
	size_t seplen = n->split_len;

	if (v.n == 0)
		return;	/* split("", sep) is [] */
	const char *p = v.u.s, *end = v.u.s + v.n;
	if (seplen == 1) {
		char c = sep[0];
		for (;;) {
			const char *q = memchr(p, c, (size_t)(end - p));
			if (q == NULL) {
				push(r, i + 1, value_str(p, (size_t)(end - p)));
				break;
			}
			push(r, i + 1, value_str(p, (size_t)(q - p)));
			p = q + 1;
		}
		return;
	}
	for (;;) {
		const char *q = memmem(p, (size_t)(end - p), sep, seplen);
		if (q == NULL) {
			push(r, i + 1, value_str(p, (size_t)(end - p)));
			break;
		}
		push(r, i + 1, value_str(p, (size_t)(q - p)));
		p = q + seplen;
	}
}

/* The word-count path: add c to the count of string key v. */
static void
count_str(struct run *r, struct value v, int64_t c)
{
	struct strcount *m = &r->bt->nodes[r->target->id - 1].counts_str[r->w];

	if (strcount_add(m, v.u.s, v.n, c) != 0) {
		builtin_error(&r->ev.ctx, "integer overflow in sum");
		record_error(r, r->target, value_pair(r->bt->arenas[r->w], v, value_int(c)));
	}
	r->pos++;
}

static void
map_element(struct run *r, struct node *n, int i, struct value v)
{
	const struct expr *fn = n->stage->args[0].e;
	struct value out;

	if (n->fuse == FUSE_KV_COUNT && v.type == VT_STR) {
		count_str(r, v, n->fuse_n);
		return;
	}
	/* (k, v) right before a keyed stage: hand the two over as they are. */
	if (n->fuse != FUSE_NONE) {
		struct value k, val;
		r->ev.elem = v;
		if (eval_expr(&r->ev, fn->items[0], &k) != 0 ||
		    eval_expr(&r->ev, fn->items[1], &val) != 0) {
			record_error(r, n, v);
			return;
		}
		combine_kv(r, r->target, k, val);
		r->pos++;
		return;
	}
	if (eval_element(&r->ev, fn, v, &out) != 0) {
		record_error(r, n, v);
		return;
	}
	push(r, i + 1, out);
}

static void
filter_element(struct run *r, struct node *n, int i, struct value v)
{
	struct value out;
	int t;

	if (eval_element(&r->ev, n->stage->args[0].e, v, &out) != 0 ||
	    eval_truth(&r->ev, out, &t) != 0) {
		record_error(r, n, v);
		return;
	}
	if (t)
		push(r, i + 1, v);
}

static void
flatmap_element(struct run *r, struct node *n, int i, struct value v)
{
	struct value out;

	if (n->split_len > 0 && v.type == VT_STR) {
		split_fast(r, i, n, v);
		return;
	}
	if (eval_element(&r->ev, n->stage->args[0].e, v, &out) != 0) {
		record_error(r, n, v);
		return;
	}
	if (out.type == VT_LIST) {
		for (uint32_t k = 0; k < out.n; k++)
			push(r, i + 1, out.u.items[k]);
	} else if (out.type != VT_NULL)	/* a non-list gives itself */
		push(r, i + 1, out);
}

static void
mapvalues_element(struct run *r, struct node *n, int i, struct value v)
{
	struct value out;

	if (v.type != VT_TUPLE || v.n != 2) {
		r->ev.ctx.err = "mapValues needs (key, value) pairs";
		record_error(r, n, v);
		return;
	}
	if (eval_element(&r->ev, n->stage->args[0].e, v.u.items[1], &out) != 0) {
		record_error(r, n, v);
		return;
	}
	push(r, i + 1, value_pair(r->bt->arenas[r->w], v.u.items[0], out));
}

/* join, leftJoin, except with a table.  An element's key is its first
 * field if it is a pair, else the element itself (SPEC 2.5). */
static void
join_element(struct run *r, struct node *n, int i, struct value v)
{
	const struct table_slot *slot = r->x->nodes[n->id - 1].table;
	int pair = v.type == VT_TUPLE && v.n == 2;
	struct value key = pair ? v.u.items[0] : v, tv = value_null();
	int found = slot != NULL &&
	    table_get(r->bt->tables[table_slot_index(slot)], key, &tv);
	struct arena *a = r->bt->arenas[r->w];

	if (n->op == OP_EXCEPT) {
		if (!found)
			push(r, i + 1, v);
		return;
	}
	if (!found && n->op == OP_JOIN)
		return;
	if (pair)
		push(r, i + 1, value_pair(a, key, value_pair(a, v.u.items[1], tv)));
	else
		push(r, i + 1, value_pair(a, v, tv));
}

static void
timestamp_element(struct run *r, struct node *n, int i, struct value v)
{
	struct value out;

	if (eval_element(&r->ev, n->stage->args[0].e, v, &out) != 0) {
		record_error(r, n, v);
		return;
	}
	if (!value_is_number(out)) {
		builtin_error(&r->ev.ctx, "timestamp needs a number (epoch ms), got %s",
		    value_type_name(out));
		record_error(r, n, v);
		return;
	}
	if (!(value_as_double(out) >= -(double)EVT_LIMIT &&
	    value_as_double(out) <= (double)EVT_LIMIT)) {
		char num[32];
		if (out.type == VT_INT)
			snprintf(num, sizeof num, "%lld", (long long)out.u.i);
		else
			number_format_double(num, out.u.d);
		builtin_error(&r->ev.ctx, "timestamp %s is out of range (epoch ms, at most 8.64e15 either way)",
		    num);
		record_error(r, n, v);
		return;
	}
	/* Milliseconds: a fraction rounds down. */
	r->evt = out.type == VT_INT ? out.u.i : (int64_t)floor(out.u.d);
	if (r->evt > r->evmax)
		r->evmax = r->evt;
	push(r, i + 1, v);
}

static void
push(struct run *r, int i, struct value v)
{
	struct node *n;

	if (i >= r->nchain) {
		terminal(r, v);
		return;
	}
	n = r->chain[i];
	ops_table[n->op]->element(r, n, i, v);
}

static void
run_init(struct run *r, struct exec *x, struct batch *bt, int w)
{
	memset(r, 0, sizeof *r);
	r->x = x;
	r->bt = bt;
	r->w = w;
	r->ev.ctx.arena = bt->arenas[w];
	r->ev.ctx.batch_time = bt->time;
	r->ev.tables = bt->tables;
	r->evmax = INT64_MIN;
}

/* ---- combining ---- */

static int
reducer_of(const struct node *n)
{
	return n->stage->args[0].reducer;
}

/* Fold value v into the accumulator of entry e, by reduceByKey n's reducer. */
static int
fold(struct run *r, struct node *n, struct kentry *e, int created, struct value v,
    uint64_t pos)
{
	struct arena *a = r->bt->arenas[r->w];
	struct value out;

	switch (reducer_of(n)) {
	case REDUCER_COUNT:
		e->val = value_int(created ? 1 : e->val.u.i + 1);
		return 0;
	case REDUCER_SUM:
		if (!created && e->val.type == VT_INT && v.type == VT_INT &&
		    !__builtin_add_overflow(e->val.u.i, v.u.i, &out.u.i)) {
			e->val.u.i = out.u.i;
			return 0;
		}
		if (!value_is_number(v)) {
			builtin_error(&r->ev.ctx, "sum needs numbers, got %s%s", value_type_name(v),
			    v.type == VT_STR ? " (use num() to read a number from a string)" : "");
			return -1;
		}
		if (created) {
			e->val = v;
			return 0;
		}
		if (eval_reduce(&r->ev, REDUCER_SUM, e->val, v, &out) != 0)
			return -1;
		e->val = out;
		return 0;
	case REDUCER_AVG:
		if (!value_is_number(v)) {
			builtin_error(&r->ev.ctx, "avg needs numbers, got %s", value_type_name(v));
			return -1;
		}
		e->val = value_float((created ? 0 : e->val.u.d) + value_as_double(v));
		e->aux = created ? 1 : e->aux + 1;
		return 0;
	case REDUCER_FIRST:
		if (created || pos < (uint64_t)e->aux) {
			e->val = value_copy(a, v);
			e->aux = (int64_t)pos;
		}
		return 0;
	case REDUCER_LAST:
		if (created || pos > (uint64_t)e->aux) {
			e->val = value_copy(a, v);
			e->aux = (int64_t)pos;
		}
		return 0;
	case REDUCER_MIN:
	case REDUCER_MAX:
		if (created || (reducer_of(n) == REDUCER_MIN ? value_compare(v, e->val) < 0 :
		    value_compare(v, e->val) > 0))
			e->val = value_copy(a, v);
		return 0;
	case REDUCER_LAMBDA:
		if (created) {
			e->val = value_copy(a, v);
			return 0;
		}
		if (eval_lambda2(&r->ev, n->stage->args[0].e, e->val, v, &out) != 0)
			return -1;
		e->val = value_copy(a, out);
		return 0;
	default:
		return 0;
	}
}

static uint64_t
block_pos(struct run *r)
{
	return r->pos;
}

static void
combine_kv(struct run *r, struct node *n, struct value k, struct value v)
{
	struct node_state *ns = &r->bt->nodes[n->id - 1];
	struct keymap *m = &ns->partials[r->w];
	int created;
	int red = reducer_of(n);

	if ((red == REDUCER_SUM || red == REDUCER_AVG) && !value_is_number(v)) {
		struct value pair = value_pair(r->bt->arenas[r->w], k, v);
		builtin_error(&r->ev.ctx, "%s needs numbers, got %s%s", red == REDUCER_SUM ? "sum" : "avg",
		    value_type_name(v),
		    v.type == VT_STR ? " (use num() to read a number from a string)" : "");
		record_error(r, n, pair);
		return;
	}
	struct kentry *e = keymap_upsert(m, k, value_hash(k), &created);
	if (fold(r, n, e, created, v, block_pos(r)) != 0)
		record_error(r, n, value_pair(r->bt->arenas[r->w], k, v));
}

/* The worker's partial of keyed stage n: the entry of key k. */
static struct kentry *
partial_entry(struct run *r, struct node *n, struct value k, int *created)
{
	return keymap_upsert(&r->bt->nodes[n->id - 1].partials[r->w], k, value_hash(k), created);
}

static int
need_pair(struct run *r, struct node *n, struct value v)
{
	if (v.type == VT_TUPLE && v.n == 2)
		return 0;
	builtin_error(&r->ev.ctx, "%s needs (key, value) pairs, got %s",
	    n->stage->desc->name, value_type_name(v));
	record_error(r, n, v);
	return -1;
}

static void
reducebykey_partial(struct run *r, struct node *n, struct value v)
{
	if (need_pair(r, n, v) == 0)
		combine_kv(r, n, v.u.items[0], v.u.items[1]);
}

static void
groupbykey_partial(struct run *r, struct node *n, struct value v)
{
	struct arena *a = r->bt->arenas[r->w];
	struct kentry *e;
	int created;

	if (need_pair(r, n, v) != 0)
		return;
	e = partial_entry(r, n, v.u.items[0], &created);
	if (created || e->val.n == (uint32_t)e->aux) {
		int64_t cap = created ? 4 : e->aux * 2;
		struct value *items = arena_alloc(a, (size_t)cap * sizeof *items);
		if (!created)
			memcpy(items, e->val.u.items, (size_t)e->val.n * sizeof *items);
		e->val = value_seq(VT_LIST, items, created ? 0 : e->val.n);
		e->aux = cap;
	}
	e->val.u.items[e->val.n++] = value_copy(a, v.u.items[1]);
}

static void
countbyvalue_partial(struct run *r, struct node *n, struct value v)
{
	int created;
	struct kentry *e = partial_entry(r, n, v, &created);

	e->val = value_int(created ? 1 : e->val.u.i + 1);
}

static void
distinct_partial(struct run *r, struct node *n, struct value v)
{
	int created;

	partial_entry(r, n, v, &created)->val = value_bool(1);
}

static void
count_partial(struct run *r, struct node *n, struct value v)
{
	(void)v;
	r->bt->nodes[n->id - 1].counts[r->w]++;
}

static void
reduce_partial(struct run *r, struct node *n, struct value v)
{
	struct node_state *ns = &r->bt->nodes[n->id - 1];
	struct value out;
	int red = reducer_of(n);

	if (red == REDUCER_COUNT) {
		ns->counts[r->w]++;
		ns->acc_set[r->w] = 1;
		return;
	}
	if ((red == REDUCER_SUM || red == REDUCER_AVG) && !value_is_number(v)) {
		builtin_error(&r->ev.ctx, "%s needs numbers, got %s",
		    red == REDUCER_SUM ? "sum" : "avg", value_type_name(v));
		record_error(r, n, v);
		return;
	}
	if (!ns->acc_set[r->w]) {
		ns->acc[r->w] = red == REDUCER_AVG ? value_float(value_as_double(v)) :
		    value_copy(r->bt->arenas[r->w], v);
		ns->acc_set[r->w] = 1;
		ns->acc_pos[r->w] = r->pos;
		ns->counts[r->w] = 1;
		return;
	}
	if (red == REDUCER_FIRST || red == REDUCER_LAST) {
		/* by position, so that workers and blocks do not matter */
		if (red == REDUCER_FIRST ? r->pos < ns->acc_pos[r->w] : r->pos > ns->acc_pos[r->w]) {
			ns->acc[r->w] = value_copy(r->bt->arenas[r->w], v);
			ns->acc_pos[r->w] = r->pos;
		}
		ns->counts[r->w]++;
		return;
	}
	if (red == REDUCER_AVG) {
		ns->acc[r->w] = value_float(ns->acc[r->w].u.d + value_as_double(v));
		ns->counts[r->w]++;
		return;
	}
	if (red == REDUCER_LAMBDA) {
		if (eval_lambda2(&r->ev, n->stage->args[0].e, ns->acc[r->w], v, &out) != 0) {
			record_error(r, n, v);
			return;
		}
	} else if (eval_reduce(&r->ev, red, ns->acc[r->w], v, &out) != 0) {
		record_error(r, n, v);
		return;
	}
	ns->acc[r->w] = value_copy(r->bt->arenas[r->w], out);
	ns->counts[r->w]++;
}

/* ---- phase A ---- */

/* Lines over 1 MiB are dropped whole (SPEC 1.1), wherever they come from. */
#define LINE_CAP (1024 * 1024)

static void
line_too_long(struct run *r, size_t len)
{
	char reason[96];

	snprintf(reason, sizeof reason, "a line of %zu bytes is longer than 1 MiB; dropped", len);
	r->bt->host->record_error(r->bt->host->arg, r->bt->seq, NULL, reason, value_str("", 0));
}

/*
 * stdin | flatMap _.split("c") | map (_, N) | reduceByKey sum, fused: the
 * lines of the block are cut at line ends and separators and each piece
 * counted, with no value built and no stage called in between.  It does
 * exactly what the stages would: a trailing '\r' is not part of a line,
 * and empty pieces count.
 */
static void
split_count_block(struct run *r, struct block *b, char sep, int64_t c)
{
	struct strcount *m = &r->bt->nodes[r->target->id - 1].counts_str[r->w];
	const char *p = b->data, *end = b->data + b->len;
	int64_t lines = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		if (le > p && le[-1] == '\r')
			le--;
		if ((size_t)(le - p) > LINE_CAP) {
			line_too_long(r, (size_t)(le - p));
			p = nl != NULL ? nl + 1 : end;
			continue;
		}
		/* split("", sep) is [] (as the built-in says): an empty line
		 * gives no piece at all; other empty pieces count. */
		for (int any = le > p; any;) {
			const char *q = memchr(p, sep, (size_t)(le - p));
			const char *we = q != NULL ? q : le;
			if (strcount_add(m, p, (size_t)(we - p), c) != 0) {
				builtin_error(&r->ev.ctx, "integer overflow in sum");
				record_error(r, r->target, value_pair(r->bt->arenas[r->w],
				    value_str(p, (size_t)(we - p)), value_int(c)));
			}
			if (q == NULL)
				break;
			p = q + 1;
		}
		p = nl != NULL ? nl + 1 : end;
		lines++;
	}
	pthread_mutex_lock(&b->batch->lock);
	b->batch->records += lines;
	pthread_mutex_unlock(&b->batch->lock);
}

/* A meta record as the map {key, value, partition, offset, timestamp}. */
static struct value
frame_map(struct arena *a, const struct frame *f)
{
	static const char *const names[] = { "key", "value", "partition", "offset", "timestamp" };
	struct value *items = arena_alloc(a, 10 * sizeof *items);

	for (int i = 0; i < 5; i++)
		items[2 * i] = value_str(names[i], strlen(names[i]));
	items[1] = f->key != NULL ? value_str(f->key, f->klen) : value_null();
	items[3] = value_str(f->value, f->vlen);
	items[5] = value_int(f->partition);
	items[7] = value_int(f->offset);
	items[9] = f->time != FRAME_NO_TIME ? value_int(f->time) : value_null();
	return value_seq(VT_MAP, items, 5);
}

/* A framed block (io/frame.h): each record is its value as a string, or
 * the pair (key, value) when it has a key, or a map when it says where it
 * was read. */
static void
frames_block(struct run *r, struct block *b)
{
	const char *p = b->data, *end = b->data + b->len;
	struct frame f;
	int64_t n = 0;
	int rc;

	while ((rc = frame_next(&p, end, &f)) > 0) {
		struct value v = value_str(f.value, f.vlen);
		if (f.meta)
			v = frame_map(r->bt->arenas[r->w], &f);
		else if (f.key != NULL)
			v = value_pair(r->bt->arenas[r->w], value_str(f.key, f.klen), v);
		push(r, 0, v);
		n++;
	}
	if (rc < 0)
		r->bt->host->record_error(r->bt->host->arg, r->bt->seq, b->source,
		    "a framed record is malformed; the rest of its block is dropped",
		    value_str("", 0));
	pthread_mutex_lock(&b->batch->lock);
	b->batch->records += n;
	pthread_mutex_unlock(&b->batch->lock);
}

/*
 * A block whose chain ends at an event-time window: offered to the window
 * (evtime_offer), which adds it after the source's earlier blocks, once
 * the driver has let its batch in, and then frees it, so it counts
 * against the buffer only until then.
 */
struct evt_hold {
	struct evt_part part;		/* first: the window hands this back */
	struct exec *x;
	struct block *b;
	struct vec keep;
	struct arena *arena;		/* what the chain made of the block */
};

static void
evt_hold_error(void *arg, const struct node *stage, const char *reason, struct value record)
{
	struct evt_hold *h = arg;

	h->x->host.record_error(h->x->host.arg, h->part.batch, stage, reason, record);
}

static void
evt_hold_release(struct evt_part *p)
{
	struct evt_hold *h = (struct evt_hold *)p;

	h->x->host.block_done(h->x->host.arg, h->b->len);
	free(h->b->data);
	free(h->b);
	vec_release(&h->keep);
	arena_free(h->arena);
	free(h);
}

static const struct evt_hooks evt_hold_hooks = { evt_hold_error, evt_hold_release };

static void
evt_offer(struct exec *x, struct block *b, struct run *r, struct arena *arena)
{
	struct evt_hold *h = xcalloc(1, sizeof *h);

	h->x = x;
	h->b = b;
	h->arena = arena;
	h->keep = r->keep;
	h->part.seq = b->src_seq;
	h->part.batch = b->batch->seq;
	h->part.v = h->keep.v;
	h->part.tags = h->keep.tags;
	h->part.n = h->keep.tags != NULL ? h->keep.n : 0;
	h->part.max = r->evmax;
	evtime_offer(x->nodes[r->target->id - 1].evt, &h->part, &r->ev, &evt_hold_hooks);
}

struct block_task {
	struct exec *x;
	struct block *b;
};

static void
block_task(void *arg, int w)
{
	struct block_task *bt = arg;
	struct block *b = bt->b;
	struct exec *x = bt->x;
	struct node *src = b->source;
	struct run r;
	size_t bytes = b->len;
	struct arena *own = NULL, *batch_arena = b->batch->arenas[w];

	/* Before an event-time window, what the chain makes of a block is
	 * needed only until the window has taken the block: it goes into an
	 * arena of the block's own (this worker's arena of the batch is
	 * swapped for it meanwhile; no one else uses it in phase A), so a
	 * fast replay does not pile a whole batch's values up. */
	if (src->end == END_EVTIME) {
		own = arena_new(0);
		b->batch->arenas[w] = own;
	}
	run_init(&r, x, b->batch, w);
	r.chain = src->chain;
	r.nchain = src->nchain;
	r.end = src->end;
	r.target = src->target;
	r.pos = b->seq << 32;
	r.tagging = src->chain_last->event_time != NULL;
	if (b->framed) {
		frames_block(&r, b);
	} else if (b->data != NULL && src->split_count) {
		split_count_block(&r, b, src->split_char, src->chain_last->fuse_n);
	} else if (b->data != NULL) {
		const char *p = b->data, *end = b->data + b->len;
		int64_t lines = 0;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = (size_t)((nl != NULL ? nl : end) - p);
			if (len > 0 && p[len - 1] == '\r')
				len--;
			if (len > LINE_CAP) {
				line_too_long(&r, len);
				p = nl != NULL ? nl + 1 : end;
				continue;
			}
			push(&r, 0, value_str(p, len));
			p = nl != NULL ? nl + 1 : end;
			lines++;
		}
		pthread_mutex_lock(&b->batch->lock);
		b->batch->records += lines;
		pthread_mutex_unlock(&b->batch->lock);
	} else {
		for (size_t i = 0; i < b->nvalues; i++)
			push(&r, 0, b->values[i]);
	}
	if (r.end == END_EVTIME) {
		b->batch->arenas[w] = batch_arena;
		r.ev.ctx.arena = batch_arena;
		evt_offer(x, b, &r, own);
	} else if (r.end == END_KEEP) {
		/* The kept values may point into the block: it stays, and its
		 * bytes count against the buffer until the batch is done. */
		x->host.block_kept(x->host.arg, bytes);
		r.keep.seq = b->seq;
		r.keep.evmax = r.evmax;
		state_add_part(&b->batch->nodes[src->chain_last->id - 1], r.keep);
		pthread_mutex_lock(&b->batch->lock);
		b->next = b->batch->kept;
		b->batch->kept = b;
		pthread_mutex_unlock(&b->batch->lock);
		x->host.block_done(x->host.arg, bytes);
	} else {
		x->host.block_done(x->host.arg, bytes);
		if (r.end == END_STDOUT && r.out.len > 0)
			x->host.output(x->host.arg, b->batch->seq, r.out.data, r.out.len);
		else
			strbuf_release(&r.out);
		free(b->data);
		free(b);
	}
	free(bt);
}

void
exec_submit_block(struct exec *x, struct block *b)
{
	struct block_task *t = xmalloc(sizeof *t);

	t->x = x;
	t->b = b;
	b->seq = b->batch->next_block++;
	b->src_seq = x->nodes[b->source->id - 1].src_blocks++;
	workers_submit(x->workers, b->batch->tasks, block_task, t);
}

/* ---- phase B ---- */

struct part_task {
	struct exec *x;
	struct batch *bt;
	struct node *n;
	int p;			/* the partition worked on */
	struct vec *in;		/* the input partition (narrow, combine) */
	struct vec *out;
};

/* ---- merging the workers' partials ---- */

static void
countbyvalue_merge(struct run *r, const struct node *n, struct kentry *d, const struct kentry *e)
{
	(void)r;
	(void)n;
	d->val.u.i += e->val.u.i;
}

static void
distinct_merge(struct run *r, const struct node *n, struct kentry *d, const struct kentry *e)
{
	(void)r;
	(void)n;
	(void)d;
	(void)e;
}

static void
groupbykey_merge(struct run *r, const struct node *n, struct kentry *d, const struct kentry *e)
{
	struct value *items = arena_alloc(r->ev.ctx.arena, ((size_t)d->val.n + e->val.n) * sizeof *items);

	(void)n;
	memcpy(items, d->val.u.items, d->val.n * sizeof *items);
	memcpy(items + d->val.n, e->val.u.items, e->val.n * sizeof *items);
	d->val = value_seq(VT_LIST, items, (size_t)d->val.n + e->val.n);
}

static void
reducebykey_merge(struct run *r, const struct node *n, struct kentry *d, const struct kentry *e)
{
	struct value out;

	switch (reducer_of(n)) {
	case REDUCER_COUNT:
		d->val.u.i += e->val.u.i;
		break;
	case REDUCER_AVG:
		d->val.u.d += e->val.u.d;
		d->aux += e->aux;
		break;
	case REDUCER_FIRST:
		if (e->aux < d->aux) {
			d->val = e->val;
			d->aux = e->aux;
		}
		break;
	case REDUCER_LAST:
		if (e->aux > d->aux) {
			d->val = e->val;
			d->aux = e->aux;
		}
		break;
	case REDUCER_LAMBDA:
		if (eval_lambda2(&r->ev, n->stage->args[0].e, d->val, e->val, &out) != 0)
			r->x->host.record_error(r->x->host.arg, r->bt->seq, n, r->ev.ctx.err,
			    value_pair(r->ev.ctx.arena, e->key, e->val));
		else
			d->val = out;
		break;
	default:
		if (eval_reduce(&r->ev, reducer_of(n), d->val, e->val, &out) != 0)
			r->x->host.record_error(r->x->host.arg, r->bt->seq, n, r->ev.ctx.err,
			    value_pair(r->ev.ctx.arena, e->key, e->val));
		else
			d->val = out;
		break;
	}
}

static struct value
pair_result(const struct node *n, struct arena *a, const struct kentry *e)
{
	(void)n;
	return value_pair(a, e->key, e->val);
}

static struct value
distinct_result(const struct node *n, struct arena *a, const struct kentry *e)
{
	(void)n;
	(void)a;
	return e->key;
}

static struct value
reducebykey_result(const struct node *n, struct arena *a, const struct kentry *e)
{
	if (reducer_of(n) == REDUCER_AVG && n->window != NULL)
		return value_pair(a, e->key, value_pair(a, e->val,
		    value_int(e->aux)));	/* a window combines these */
	if (reducer_of(n) == REDUCER_AVG)
		return value_pair(a, e->key, value_float(e->val.u.d / (double)e->aux));
	return value_pair(a, e->key, e->val);
}

/* Merge partition p of every worker's partial for keyed stage n. */
static void
merge_task(void *arg, int w)
{
	struct part_task *t = arg;
	struct exec *x = t->x;
	struct node_state *ns = &t->bt->nodes[t->n->id - 1];
	struct keymap merged;
	struct run r;
	int P = x->nworkers;
	struct arena *a = t->bt->arenas[w];
	const struct stage_ops *ops = ops_of(t->n);

	run_init(&r, x, t->bt, w);
	keymap_init(&merged, a, 0);
	for (int k = 0; k < P; k++) {
		struct keymap *m = &ns->partials[k];
		for (size_t i = 0; i < m->n; i++) {
			struct kentry *e = m->list[i];
			int created;
			if (keymap_part(e->hash, P) != t->p)
				continue;
			struct kentry *d = keymap_upsert(&merged, e->key, e->hash, &created);
			if (created) {
				d->val = e->val;
				d->aux = e->aux;
				continue;
			}
			ops->merge(&r, t->n, d, e);
		}
	}
	/* The word-count path's partials: counts by string, added up. */
	for (int k = 0; k < P; k++) {
		struct strcount *sc = &ns->counts_str[k];
		for (size_t i = 0; i < sc->cap; i++) {
			struct sc_slot *s = &sc->slots[i];
			struct value key;
			uint64_t h;
			int64_t tmp;
			int created;
			if (s->len1 == 0)
				continue;
			key = value_str(sc_key(s), s->len1 - 1);
			h = hash_bytes(key.u.s, key.n);
			if (keymap_part(h, P) != t->p)
				continue;
			struct kentry *d = keymap_upsert(&merged, key, h, &created);
			if (created)
				d->val = value_int(s->count);
			else if (d->val.type == VT_INT &&
			    !__builtin_add_overflow(d->val.u.i, s->count, &tmp))
				d->val.u.i = tmp;
			else {
				struct value out;
				if (eval_reduce(&r.ev, REDUCER_SUM, d->val, value_int(s->count), &out) != 0)
					x->host.record_error(x->host.arg, t->bt->seq, t->n, r.ev.ctx.err, key);
				else
					d->val = out;
			}
		}
	}
	for (size_t i = 0; i < merged.n; i++)
		vec_push(t->out, ops->result(t->n, a, merged.list[i]));
	keymap_release(&merged);
	free(t);
}

/* Feed partition in to the partials of keyed/combinable stage n (phase B). */
static void
combine_task(void *arg, int w)
{
	struct part_task *t = arg;
	struct run r;

	run_init(&r, t->x, t->bt, w);
	r.end = END_COMBINE;
	r.target = t->n;
	r.pos = (uint64_t)t->p << 32;
	for (size_t i = 0; i < t->in->n; i++) {
		ops_of(t->n)->partial(&r, t->n, t->in->v[i]);
		r.pos++;
	}
	free(t);
}

/* Apply element stage n to partition in (phase B). */
static void
narrow_task(void *arg, int w)
{
	struct part_task *t = arg;
	struct run r;
	struct node *chain[1] = { t->n };

	run_init(&r, t->x, t->bt, w);
	r.chain = chain;
	r.nchain = 1;
	r.end = END_KEEP;
	/* Event times go along: a timestamp stage makes them, others pass
	 * on those of their input. */
	int timed_in = t->n->inputs[0]->event_time != NULL;
	r.tagging = t->n->event_time != NULL &&
	    (t->n->op == OP_TIMESTAMP || (timed_in && t->in->tags != NULL));
	for (size_t i = 0; i < t->in->n; i++) {
		if (t->in->tags != NULL) {
			r.evt = t->in->tags[i].t;
			if (t->n->op != OP_TIMESTAMP)
				r.evmax = t->in->tags[i].seen;
		}
		push(&r, 0, t->in->v[i]);
	}
	r.keep.evmax = t->n->op == OP_TIMESTAMP ? r.evmax : timed_in ? t->in->evmax : INT64_MIN;
	*t->out = r.keep;
	free(t);
}

static struct part_task *
part_task_new(struct exec *x, struct batch *bt, struct node *n, int p)
{
	struct part_task *t = xcalloc(1, sizeof *t);

	t->x = x;
	t->bt = bt;
	t->n = n;
	t->p = p;
	return t;
}

/* All the values of a node's output, in partition order. */
static struct vec
gather(struct node_state *ns)
{
	struct vec all = { 0 };

	for (int p = 0; p < ns->nparts; p++)
		for (size_t i = 0; i < ns->parts[p].n; i++)
			vec_push(&all, ns->parts[p].v[i]);
	return all;
}

static void
count_total(struct exec *x, struct batch *bt, struct node *n)
{
	struct node_state *ns = &bt->nodes[n->id - 1];
	int64_t total = 0;

	for (int w = 0; w < x->nworkers; w++)
		total += ns->counts[w];
	vec_push(&ns->parts[0], value_int(total));
}

/* reduce: combine the workers' accumulators */
static void
reduce_total(struct exec *x, struct batch *bt, struct node *n)
{
	struct node_state *ns = &bt->nodes[n->id - 1];
	struct run r;
	struct value acc = value_null();
	int set = 0, red = reducer_of(n);
	int64_t count = 0;
	uint64_t pos = 0;

	run_init(&r, x, bt, 0);
	for (int w = 0; w < x->nworkers; w++) {
		struct value out;
		if (!ns->acc_set[w])
			continue;
		count += ns->counts[w];
		if (red == REDUCER_COUNT)
			continue;
		if (!set) {
			acc = ns->acc[w];
			pos = ns->acc_pos[w];
			set = 1;
			continue;
		}
		if (red == REDUCER_FIRST || red == REDUCER_LAST) {
			if (red == REDUCER_FIRST ? ns->acc_pos[w] < pos : ns->acc_pos[w] > pos) {
				acc = ns->acc[w];
				pos = ns->acc_pos[w];
			}
		} else if (red == REDUCER_AVG)
			acc = value_float(acc.u.d + ns->acc[w].u.d);
		else if (red == REDUCER_LAMBDA) {
			if (eval_lambda2(&r.ev, n->stage->args[0].e, acc, ns->acc[w], &out) != 0)
				x->host.record_error(x->host.arg, bt->seq, n, r.ev.ctx.err, ns->acc[w]);
			else
				acc = out;
		} else if (eval_reduce(&r.ev, red, acc, ns->acc[w], &out) != 0)
			x->host.record_error(x->host.arg, bt->seq, n, r.ev.ctx.err, ns->acc[w]);
		else
			acc = out;
	}
	if (red == REDUCER_COUNT && count > 0)
		vec_push(&ns->parts[0], value_int(count));
	else if (set && red == REDUCER_AVG && n->window != NULL)
		vec_push(&ns->parts[0], value_pair(bt->arenas[0], acc, value_int(count)));
	else if (set)
		vec_push(&ns->parts[0], red == REDUCER_AVG ?
		    value_float(acc.u.d / (double)count) : acc);
}

/* Merge the partials of a combinable stage into its output. */
static void
finish_combined(struct exec *x, struct batch *bt, struct node *n, struct task_group *g)
{
	struct node_state *ns = &bt->nodes[n->id - 1];
	int P = x->nworkers;

	if (ops_of(n)->flags & OPS_KEYED) {
		ns->parts = xcalloc((size_t)P, sizeof *ns->parts);
		ns->nparts = P;
		for (int p = 0; p < P; p++) {
			struct part_task *t = part_task_new(x, bt, n, p);
			t->out = &ns->parts[p];
			workers_submit(x->workers, g, merge_task, t);
		}
		task_group_wait(g);
		return;
	}
	ns->parts = xcalloc(1, sizeof *ns->parts);
	ns->nparts = 1;
	ops_of(n)->total(x, bt, n);
}

/*
 * state, in phase B: the input's pairs are dealt out by key hash -- each
 * input partition a task -- into one list per (input partition, state
 * partition); then each state partition is a task that folds its lists in
 * input order, so a key's values come in the order they arrived whatever
 * -j is, and emits that partition's keys.  Partitions never share a key,
 * so the tasks need no lock.
 */
struct state_task {
	struct exec *x;
	struct batch *bt;
	struct node *n;
	struct node_state *in;
	struct vec *split;		/* [in->nparts][state partitions], or NULL:
					 * input partition p is state partition p's */
	int i;				/* the input partition, or the state's */
	struct vec *out;
};

static void
state_split_task(void *arg, int w)
{
	struct state_task *t = arg;
	struct state *s = t->x->nodes[t->n->id - 1].state;
	size_t P = (size_t)state_nparts(s);
	const struct vec *in = &t->in->parts[t->i];

	(void)w;
	for (size_t k = 0; k < in->n; k++) {
		struct value v = in->v[k];
		/* not a pair: partition 0 reports it */
		int p = v.type == VT_TUPLE && v.n == 2 ? state_part_of(s, v.u.items[0]) : 0;
		vec_push(&t->split[(size_t)t->i * P + (size_t)p], v);
	}
	free(t);
}

static void
state_error(void *arg, const char *reason, struct value record)
{
	struct state_task *t = arg;

	t->x->host.record_error(t->x->host.arg, t->bt->seq, t->n, reason, record);
}

static void
state_part_task(void *arg, int w)
{
	struct state_task *t = arg;
	struct state *s = t->x->nodes[t->n->id - 1].state;
	size_t P = (size_t)state_nparts(s);
	struct vec pairs = { 0 }, *only = NULL;
	int nonempty = 0;
	struct run r;
	struct value *out;
	size_t nout;

	if (t->split == NULL) {
		only = &t->in->parts[t->i];	/* partitioned as we are */
		nonempty = 1;
	}
	for (int i = 0; t->split != NULL && i < t->in->nparts; i++) {
		struct vec *v = &t->split[(size_t)i * P + (size_t)t->i];
		if (v->n > 0) {
			nonempty++;
			only = v;
		}
	}
	if (nonempty > 1) {
		for (int i = 0; i < t->in->nparts; i++) {
			struct vec *v = &t->split[(size_t)i * P + (size_t)t->i];
			for (size_t k = 0; k < v->n; k++)
				vec_push(&pairs, v->v[k]);
		}
		only = &pairs;
	}
	run_init(&r, t->x, t->bt, w);
	state_update(s, t->i, &r.ev, t->bt->time, only != NULL ? only->v : NULL,
	    only != NULL ? only->n : 0, state_error, t);
	vec_release(&pairs);
	nout = state_emit(s, t->i, t->bt->arenas[w], t->bt->last, &out);
	t->out->v = out;
	t->out->n = t->out->cap = nout;
	free(t);
}

static struct state_task *
state_task_new(struct exec *x, struct batch *bt, struct node *n, struct node_state *in,
    struct vec *split, int i)
{
	struct state_task *t = xcalloc(1, sizeof *t);

	t->x = x;
	t->bt = bt;
	t->n = n;
	t->in = in;
	t->split = split;
	t->i = i;
	return t;
}

static void
finish_state(struct exec *x, struct batch *bt, struct node *n, struct node_state *in,
    struct node_state *ns, struct task_group *g)
{
	struct state *s = x->nodes[n->id - 1].state;
	int P = state_nparts(s);
	size_t nsplit = (size_t)in->nparts * (size_t)P;
	struct vec *split = NULL;
	const struct node *from = n->inputs[0];
	int owned = 0;

	/* After reduceByKey, groupByKey or countByValue (not windowed), the
	 * merge has partitioned the pairs by key hash just as the store is:
	 * partition p goes to partition p as it is.  With one partition, the
	 * input's partitions in order are its share. */
	if (in->nparts == P && x->nodes[from->id - 1].win == NULL &&
	    (ops_of(from)->flags & OPS_PAIRS_BY_KEY)) {
		split = NULL;
	} else if (P == 1 && in->nparts > 0) {
		split = in->parts;
	} else {
		split = xcalloc(nsplit + 1, sizeof *split);
		owned = 1;
		for (int i = 0; i < in->nparts; i++)
			workers_submit(x->workers, g, state_split_task,
			    state_task_new(x, bt, n, in, split, i));
		task_group_wait(g);
	}
	ns->parts = xcalloc((size_t)P, sizeof *ns->parts);
	ns->nparts = P;
	for (int p = 0; p < P; p++) {
		struct state_task *t = state_task_new(x, bt, n, in, split, p);
		t->out = &ns->parts[p];
		workers_submit(x->workers, g, state_part_task, t);
	}
	task_group_wait(g);
	for (size_t k = 0; owned && k < nsplit; k++)
		vec_release(&split[k]);
	if (owned)
		free(split);
}

/* sort and top: the order of the batch, by a key or by the element. */
struct sort_item {
	struct value key;
	struct value v;
	size_t index;
};

static int
sort_cmp(const void *pa, const void *pb, void *arg)
{
	const struct sort_item *a = pa, *b = pb;
	int c = value_compare(a->key, b->key);

	if (*(int *)arg)
		c = -c;
	if (c != 0)
		return c;
	return a->index < b->index ? -1 : a->index > b->index;
}

static void
finish_order(struct exec *x, struct batch *bt, struct node *n, struct node_state *in,
    struct node_state *ns)
{
	struct vec all = gather(in);
	struct sort_item *items = xcalloc(all.n + 1, sizeof *items);
	const struct expr *by = NULL;
	struct run r;
	size_t m = 0, limit;

	for (int j = 0; j < OP_MAX_CLAUSES && n->stage->desc->clauses[j].word != NULL; j++)
		if (strcmp(n->stage->desc->clauses[j].word, "by") == 0 && n->stage->clauses[j].present)
			by = n->stage->clauses[j].e;
	run_init(&r, x, bt, 0);
	for (size_t i = 0; i < all.n; i++) {
		struct value key = all.v[i];
		if (by != NULL) {
			if (eval_element(&r.ev, by, all.v[i], &key) != 0) {
				x->host.record_error(x->host.arg, bt->seq, n, r.ev.ctx.err, all.v[i]);
				continue;
			}
		} else if (n->op == OP_TOP && key.type == VT_TUPLE && key.n == 2)
			key = key.u.items[1];	/* pairs rank by value */
		items[m].key = key;
		items[m].v = all.v[i];
		items[m].index = i;
		m++;
	}
	/* top N keeps the largest: sort descending, then cut. */
	int desc = n->op == OP_TOP ? 1 : n->stage->descending;
	qsort_r(items, m, sizeof *items, sort_cmp, &desc);
	limit = n->op == OP_TOP ? (size_t)n->stage->args[0].i : m;
	ns->parts = xcalloc(1, sizeof *ns->parts);
	ns->nparts = 1;
	for (size_t i = 0; i < m && i < limit; i++)
		vec_push(&ns->parts[0], items[i].v);
	free(items);
	vec_release(&all);
}

/* A sink's delivery, put off until its batch is known good (on error
 * fail): the values it was to get, copied, partition by partition. */
struct deferred_put {
	struct deferred_put *next;
	struct exec_node *en;
	struct arena *arena;
	struct vec *parts;
	int nparts;
	int64_t total;
};

static void
defer(struct exec *x, struct exec_node *en, const struct sink_batch *b)
{
	struct deferred_put *d = xcalloc(1, sizeof *d);
	int64_t left = en->sink->desc->flags & SINK_SAMPLE ? en->sink->sample : INT64_MAX;

	d->en = en;
	d->arena = arena_new(0);
	d->parts = xcalloc((size_t)b->nparts + 1, sizeof *d->parts);
	d->nparts = b->nparts;
	d->total = b->total;
	for (int p = 0; p < b->nparts; p++)
		for (size_t i = 0; i < b->parts[p].n && left > 0; i++, left--)
			vec_push(&d->parts[p], value_copy(d->arena, b->parts[p].v[i]));
	*x->deferred_tail = d;
	x->deferred_tail = &d->next;
}

static void
deliver_deferred(struct exec *x, struct batch *bt, struct deferred_put *d)
{
	struct sink_part *parts = xcalloc((size_t)d->nparts + 1, sizeof *parts);
	struct sink_batch b = { .id = bt->seq, .time = bt->time, .parts = parts,
	    .nparts = d->nparts, .total = d->total };

	for (int p = 0; p < d->nparts; p++)
		parts[p] = (struct sink_part){ d->parts[p].v, d->parts[p].n };
	if (bt->seq < x->host.fail_seq(x->host.arg))
		sink_deliver(d->en->sink, &b);
	sink_batch_release(&b);
	free(parts);
	for (int p = 0; p < d->nparts; p++)
		vec_release(&d->parts[p]);
	free(d->parts);
	arena_free(d->arena);
	free(d);
}

/*
 * Give a sink its batch: the input's partitions, or, for a SINK_SAMPLE
 * sink fed in phase A, the workers' samples and counts.  Under on error
 * fail, the delivery waits until the whole batch has run: a stage that
 * runs after this sink may still fail the batch, and then nothing of it
 * is stored (exec_finish_batch).
 */
static void
finish_sink(struct exec *x, struct batch *bt, struct node *n)
{
	struct exec_node *en = &x->nodes[n->id - 1];
	struct node_state *ns = &bt->nodes[n->id - 1];
	struct node_state *in = &bt->nodes[n->inputs[0]->id - 1];
	struct sink_batch b = { .id = bt->seq, .time = bt->time };
	struct sink_part *parts;
	struct vec first = { 0 };

	/* A stream sink fed in phase A has written (or queued) its lines. */
	if (n->fed && (en->sink->desc->flags & SINK_STREAM))
		return;
	if (bt->seq >= x->host.fail_seq(x->host.arg))
		return;
	if (n->fed) {
		for (int w = 0; w < x->nworkers; w++) {
			b.total += ns->counts[w];
			for (size_t i = 0; i < ns->samples[w].n && (int64_t)first.n < en->sink->sample; i++)
				vec_push(&first, ns->samples[w].v[i]);
		}
		parts = xcalloc(1, sizeof *parts);
		parts[0] = (struct sink_part){ first.v, first.n };
		b.nparts = 1;
	} else {
		parts = xcalloc((size_t)in->nparts + 1, sizeof *parts);
		for (int p = 0; p < in->nparts; p++) {
			parts[p] = (struct sink_part){ in->parts[p].v, in->parts[p].n };
			b.total += (int64_t)in->parts[p].n;
		}
		b.nparts = in->nparts;
	}
	b.parts = parts;
	if (x->plan->settings.on_error == ON_ERROR_FAIL)
		defer(x, en, &b);
	else
		sink_deliver(en->sink, &b);
	sink_batch_release(&b);
	free(parts);
	vec_release(&first);
}

/* Make vals[0..n) (malloc'd; the node owns it now) the node's one partition. */
static void
set_single_part(struct node_state *ns, struct value *vals, size_t n)
{
	for (int p = 0; p < ns->nparts; p++)
		vec_release(&ns->parts[p]);
	free(ns->parts);
	ns->parts = xcalloc(1, sizeof *ns->parts);
	ns->nparts = 1;
	ns->parts[0].v = vals;
	ns->parts[0].n = ns->parts[0].cap = n;
}

/*
 * join, leftJoin, except with a let stream (SPEC 2.5): the other stream's
 * elements of the same batch (or window) are indexed by key -- a pair's
 * first field, else the element -- and each element of this stream looks
 * its key up: join gives (k, (v, t)) for every match, leftJoin also
 * (k, (v, null)) where none, except keeps the elements with no match.
 */
static void
finish_stream_join(struct exec *x, struct batch *bt, struct node *n, struct node_state *in,
    struct node_state *other, struct node_state *ns)
{
	struct arena *a = bt->arenas[0];
	struct keymap index;
	int created;

	keymap_init(&index, a, 0);
	for (int p = 0; p < other->nparts; p++) {
		for (size_t i = 0; i < other->parts[p].n; i++) {
			struct value e = other->parts[p].v[i];
			int pair = e.type == VT_TUPLE && e.n == 2;
			struct value k = pair ? e.u.items[0] : e, t = pair ? e.u.items[1] : value_bool(1);
			struct kentry *ent = keymap_upsert(&index, k, value_hash(k), &created);
			/* every value of the key, in order: a list in the entry */
			struct value *items = arena_alloc(a, ((size_t)(created ? 0 : ent->val.n) + 1) *
			    sizeof *items);
			if (!created)
				memcpy(items, ent->val.u.items, ent->val.n * sizeof *items);
			items[created ? 0 : ent->val.n] = t;
			ent->val = value_seq(VT_LIST, items, created ? 1 : (size_t)ent->val.n + 1);
		}
	}
	ns->parts = xcalloc(1, sizeof *ns->parts);
	ns->nparts = 1;
	for (int p = 0; p < in->nparts; p++) {
		for (size_t i = 0; i < in->parts[p].n; i++) {
			struct value e = in->parts[p].v[i];
			int pair = e.type == VT_TUPLE && e.n == 2;
			struct value k = pair ? e.u.items[0] : e, v = pair ? e.u.items[1] : value_null();
			struct kentry *ent = keymap_find(&index, k, value_hash(k));
			if (n->op == OP_EXCEPT) {
				if (ent == NULL)
					vec_push(&ns->parts[0], e);
				continue;
			}
			if (ent == NULL) {
				if (n->op == OP_LEFTJOIN)
					vec_push(&ns->parts[0], pair ? value_pair(a, k, value_pair(a, v, value_null())) :
					    value_pair(a, e, value_null()));
				continue;
			}
			for (uint32_t m = 0; m < ent->val.n; m++)
				vec_push(&ns->parts[0], pair ?
				    value_pair(a, k, value_pair(a, v, ent->val.u.items[m])) :
				    value_pair(a, e, ent->val.u.items[m]));
		}
	}
	keymap_release(&index);
}

struct window_report {
	struct exec *x;
	struct batch *bt;
	const struct node *n;
};

/* A record a window's reduce left out, reported at the reducer. */
static void
window_report(void *arg, const char *reason, struct value record)
{
	struct window_report *rp = arg;

	rp->x->host.record_error(rp->x->host.arg, rp->bt->seq, rp->n, reason, record);
}

/*
 * Hand this batch's result of node n (the batch's partials for a windowed
 * reducer, the elements for a plain window) to its window, and replace it
 * with the window's result at a slide, or with silence between slides.
 */
static void
window_step(struct exec *x, struct batch *bt, struct node *n)
{
	struct exec_node *en = &x->nodes[n->id - 1];
	struct node_state *ns = &bt->nodes[n->id - 1];
	struct vec all = gather(ns);
	struct run r;
	struct value *out;
	size_t nout;
	struct window_report rp = { x, bt, n };

	run_init(&r, x, bt, 0);
	window_add(en->win, &r.ev, all.v, all.n);
	vec_release(&all);
	if (bt->time % en->slide_ms != 0) {
		set_single_part(ns, NULL, 0);
		ns->silent = 1;
		return;
	}
	nout = window_result(en->win, &r.ev, bt->arenas[0], &out, window_report, &rp);
	set_single_part(ns, out, nout);
}

/* ---- event time, in phase B ---- */

struct evt_report {
	struct exec *x;
	struct batch *bt;
};

static void
evt_report(void *arg, const struct node *stage, const char *reason, struct value record)
{
	struct evt_report *rp = arg;

	rp->x->host.record_error(rp->x->host.arg, rp->bt->seq, stage, reason, record);
}

/*
 * Node n ends an event-time window: hand it the batch's elements, block
 * by block in arrival order (unless the workers have offered them
 * already), and keep the windows that closed for the pass of the nodes
 * after it (evt_pass).
 */
static void
evt_step(struct exec *x, struct batch *bt, struct node *n)
{
	struct exec_node *en = &x->nodes[n->id - 1];
	struct node *w = n->op == OP_WINDOW ? n : n->window;
	struct node_state *in = &bt->nodes[w->inputs[0]->id - 1];
	struct evt_report rp = { x, bt };
	struct run r;

	run_init(&r, x, bt, 0);
	/* The workers have offered all of the batch's blocks (phase A is
	 * over): letting the batch in adds those still waiting. */
	evtime_through(en->evt, bt->seq, &r.ev);
	for (int p = 0; !n->evt_fed && p < in->nparts; p++) {
		struct vec *v = &in->parts[p];
		evtime_add(en->evt, &r.ev, v->v, v->tags, v->tags != NULL ? v->n : 0, v->evmax,
		    evt_report, &rp);
	}
	evt_closed_free(en);
	en->nclosed = evtime_close(en->evt, bt->last, bt->arenas[0], &en->closed);
	set_single_part(&bt->nodes[n->id - 1], NULL, 0);
}

/* Empty node i's output and partials, for the next closed window. */
static void
node_state_clear(struct exec *x, struct batch *bt, int i)
{
	struct node_state *ns = &bt->nodes[i];

	for (int p = 0; p < ns->nparts; p++)
		vec_release(&ns->parts[p]);
	free(ns->parts);
	ns->parts = NULL;
	ns->nparts = 0;
	ns->done = ns->silent = 0;
	if (ns->partials == NULL)
		return;
	for (int w = 0; w < x->nworkers; w++) {
		keymap_release(&ns->partials[w]);
		keymap_init(&ns->partials[w], bt->arenas[w], 1);
		strcount_release(&ns->counts_str[w]);
		strcount_init(&ns->counts_str[w], bt->arenas[w]);
		vec_release(&ns->samples[w]);
		ns->acc[w] = value_null();
		ns->acc_pos[w] = 0;
		ns->acc_set[w] = 0;
		ns->counts[w] = 0;
	}
}

static int
feeds_sink(const struct node *n)
{
	for (int k = 0; k < n->noutputs; k++)
		if (n->outputs[k]->stage->desc->role == ROLE_SINK)
			return 1;
	return 0;
}

/* ---- phase B, by kind of stage ---- */

/* Add copies of the parts of in to ns, as they are. */
static void
add_parts(struct node_state *ns, const struct node_state *in)
{
	for (int p = 0; p < in->nparts; p++) {
		struct vec copy = { 0 };
		for (size_t j = 0; j < in->parts[p].n; j++)
			vec_push(&copy, in->parts[p].v[j]);
		state_add_part(ns, copy);
	}
}

static struct node_state *
input_state(struct batch *bt, const struct node *n, int k)
{
	return &bt->nodes[n->inputs[k]->id - 1];
}

static void
union_finish(struct exec *x, struct batch *bt, struct node *n, struct task_group *g)
{
	(void)x;
	(void)g;
	for (int k = 0; k < n->ninputs; k++)
		add_parts(&bt->nodes[n->id - 1], input_state(bt, n, k));
}

static void
window_finish(struct exec *x, struct batch *bt, struct node *n, struct task_group *g)
{
	(void)g;
	if (n->event_time != NULL)
		return;	/* the reducer after it takes the elements */
	/* The window's input, as it is: its reducer or its own state
	 * (window_step) does the keeping. */
	add_parts(&bt->nodes[n->id - 1], input_state(bt, n, 0));
	if (x->nodes[n->id - 1].win != NULL)
		window_step(x, bt, n);
}

static void
state_finish(struct exec *x, struct batch *bt, struct node *n, struct task_group *g)
{
	finish_state(x, bt, n, input_state(bt, n, 0), &bt->nodes[n->id - 1], g);
}

/* A keyed or whole-batch stage: partials of its input (unless a chain
 * made them in phase A), merged; then its window, if any. */
static void
combined_finish(struct exec *x, struct batch *bt, struct node *n, struct task_group *g)
{
	struct node_state *in = input_state(bt, n, 0);

	if (!n->fed) {
		for (int p = 0; p < in->nparts; p++) {
			struct part_task *t = part_task_new(x, bt, n, p);
			t->in = &in->parts[p];
			workers_submit(x->workers, g, combine_task, t);
		}
		task_group_wait(g);
	}
	finish_combined(x, bt, n, g);
	if (x->nodes[n->id - 1].win != NULL)
		window_step(x, bt, n);
}

/* An element stage after the chains: each partition a task. */
static void
narrow_finish(struct exec *x, struct batch *bt, struct node *n, struct task_group *g)
{
	struct node_state *ns = &bt->nodes[n->id - 1], *in = input_state(bt, n, 0);

	ns->parts = xcalloc((size_t)in->nparts + 1, sizeof *ns->parts);
	ns->nparts = in->nparts;
	for (int p = 0; p < in->nparts; p++) {
		struct part_task *t = part_task_new(x, bt, n, p);
		t->in = &in->parts[p];
		t->out = &ns->parts[p];
		workers_submit(x->workers, g, narrow_task, t);
	}
	task_group_wait(g);
}

/* join, leftJoin, except: with a let stream, or element-wise with a table. */
static void
join_finish(struct exec *x, struct batch *bt, struct node *n, struct task_group *g)
{
	if (n->ninputs == 2)
		finish_stream_join(x, bt, n, input_state(bt, n, 0), input_state(bt, n, 1),
		    &bt->nodes[n->id - 1]);
	else
		narrow_finish(x, bt, n, g);
}

static void
order_finish(struct exec *x, struct batch *bt, struct node *n, struct task_group *g)
{
	(void)g;
	finish_order(x, bt, n, input_state(bt, n, 0), &bt->nodes[n->id - 1]);
}

static void
sink_finish(struct exec *x, struct batch *bt, struct node *n, struct task_group *g)
{
	(void)g;
	finish_sink(x, bt, n);
}

enum pass { PASS_ALL, PASS_STAGES, PASS_SINKS };

static void finish_nodes(struct exec *, struct batch *, struct task_group *, int owner,
    enum pass);

/*
 * The nodes after event-time window node n run once per window that
 * closed in this batch, oldest first, with batchTime() the window's end;
 * their sinks run once, over what all the windows gave, so print shows
 * one banner per batch.  No window closed: they do not run, as between a
 * window's slides -- except on the last batch when a state stage is
 * among them, so that its emit final still comes.
 */
static void
evt_pass(struct exec *x, struct batch *bt, struct task_group *g, struct node *n)
{
	struct exec_node *en = &x->nodes[n->id - 1];
	int nn = x->plan->nnodes, owner = n->id, last = bt->last, has_state = 0;
	int64_t time = bt->time;
	size_t runs = en->nclosed;
	struct vec *acc;

	for (int i = 0; i < nn; i++)
		if (x->nodes[i].evt_owner == owner && x->plan->nodes[i]->op == OP_STATE)
			has_state = 1;
	if (runs == 0 && last && has_state)
		runs = 1;
	if (runs == 0)
		return;
	acc = xcalloc((size_t)nn, sizeof *acc);
	for (size_t k = 0; k < runs; k++) {
		for (int i = 0; i < nn; i++)
			if (x->nodes[i].evt_owner == owner)
				node_state_clear(x, bt, i);
		if (k < en->nclosed) {
			set_single_part(&bt->nodes[n->id - 1], en->closed[k].items, en->closed[k].n);
			en->closed[k].items = NULL;
			bt->time = en->closed[k].end;
		} else
			set_single_part(&bt->nodes[n->id - 1], NULL, 0);
		bt->last = last && k == runs - 1;
		finish_nodes(x, bt, g, owner, PASS_STAGES);
		for (int i = 0; i < nn; i++) {
			struct node_state *ms = &bt->nodes[i];
			if ((i != owner - 1 && x->nodes[i].evt_owner != owner) ||
			    !feeds_sink(x->plan->nodes[i]) || ms->silent)
				continue;
			for (int p = 0; p < ms->nparts; p++)
				for (size_t j = 0; j < ms->parts[p].n; j++)
					vec_push(&acc[i], ms->parts[p].v[j]);
		}
	}
	bt->time = time;
	bt->last = last;
	for (int i = 0; i < nn; i++) {
		if ((i != owner - 1 && x->nodes[i].evt_owner != owner) || !feeds_sink(x->plan->nodes[i]))
			continue;
		set_single_part(&bt->nodes[i], acc[i].v, acc[i].n);
		bt->nodes[i].silent = 0;
	}
	free(acc);
	finish_nodes(x, bt, g, owner, PASS_SINKS);
}

/*
 * Finish the nodes of one pass: the batch's own (owner 0), or those after
 * an event-time window (owner: the node that ends it), either its stages
 * for one closed window or its sinks.
 */
static void
finish_nodes(struct exec *x, struct batch *bt, struct task_group *g, int owner, enum pass pass)
{
	for (int i = 0; i < x->plan->nnodes; i++) {
		struct node *n = x->plan->nodes[i];
		struct exec_node *en = &x->nodes[i];
		struct node_state *ns = &bt->nodes[i];
		enum op_role role = n->stage->desc->role;

		if (en->evt_owner != owner ||
		    (role == ROLE_SINK ? pass == PASS_STAGES : pass == PASS_SINKS))
			continue;
		/* Downstream of a window between its slides, nothing happens. */
		for (int k = 0; k < n->ninputs; k++)
			if (bt->nodes[n->inputs[k]->id - 1].silent)
				ns->silent = 1;
		if (ns->silent)
			continue;
		if (n->in_chain || ops_of(n)->finish == NULL)
			continue;	/* run in phase A: a source's chain */
		if (en->evt != NULL) {
			evt_step(x, bt, n);
			continue;
		}
		ops_of(n)->finish(x, bt, n, g);
	}
}

void
exec_finish_batch(struct exec *x, struct batch *bt)
{
	struct task_group *g = task_group_new();

	task_group_wait(bt->tasks);
	x->deferred = NULL;
	x->deferred_tail = &x->deferred;
	finish_nodes(x, bt, g, 0, PASS_ALL);
	for (int i = 0; i < x->plan->nnodes; i++)
		if (x->nodes[i].evt != NULL)
			evt_pass(x, bt, g, x->plan->nodes[i]);
	task_group_free(g);
	while (x->deferred != NULL) {
		struct deferred_put *d = x->deferred;
		x->deferred = d->next;
		deliver_deferred(x, bt, d);
	}
}

void
exec_batch_saved(struct exec *x, struct batch *bt)
{
	struct run r;

	run_init(&r, x, bt, 0);
	for (int i = 0; i < x->plan->nnodes; i++)
		if (x->nodes[i].evt != NULL)
			evtime_through(x->nodes[i].evt, bt->seq + 1, &r.ev);
}

size_t
exec_state_keys(const struct exec *x)
{
	size_t n = 0;

	for (int i = 0; i < x->plan->nnodes; i++)
		if (x->nodes[i].state != NULL)
			n += state_keys(x->nodes[i].state);
	return n;
}

/* In node order, as lang/plan.h's plan_stateful_nodes lists the same
 * nodes: a checkpoint's identities of stages follow that list. */
size_t
exec_stateful(struct exec *x, struct stateful **out)
{
	size_t n = 0;

	*out = xcalloc((size_t)x->plan->nnodes * 3 + 1, sizeof **out);
	for (int i = 0; i < x->plan->nnodes; i++) {
		struct exec_node *en = &x->nodes[i];
		if (en->state != NULL)
			(*out)[n++] = (struct stateful){ &state_stateful, en->state, en->node };
		if (en->win != NULL)
			(*out)[n++] = (struct stateful){ &window_stateful, en->win, en->node };
		if (en->evt != NULL)
			(*out)[n++] = (struct stateful){ &evtime_stateful, en->evt, en->node };
	}
	return n;
}

/* ---- the table ---- */

static const struct stage_ops union_ops = { .finish = union_finish };
static const struct stage_ops map_ops = { .element = map_element, .finish = narrow_finish };
static const struct stage_ops flatmap_ops = { .element = flatmap_element, .finish = narrow_finish };
static const struct stage_ops filter_ops = { .element = filter_element, .finish = narrow_finish };
static const struct stage_ops mapvalues_ops = {
	.element = mapvalues_element, .finish = narrow_finish,
};
static const struct stage_ops timestamp_ops = {
	.element = timestamp_element, .finish = narrow_finish,
};
static const struct stage_ops join_ops = { .element = join_element, .finish = join_finish };
static const struct stage_ops reducebykey_ops = {
	.flags = OPS_PARTIALS | OPS_KEYED | OPS_PAIRS_BY_KEY, .partial = reducebykey_partial,
	.merge = reducebykey_merge, .result = reducebykey_result, .finish = combined_finish,
};
static const struct stage_ops groupbykey_ops = {
	.flags = OPS_PARTIALS | OPS_KEYED | OPS_PAIRS_BY_KEY, .partial = groupbykey_partial,
	.merge = groupbykey_merge, .result = pair_result, .finish = combined_finish,
};
static const struct stage_ops countbyvalue_ops = {
	.flags = OPS_PARTIALS | OPS_KEYED | OPS_PAIRS_BY_KEY, .partial = countbyvalue_partial,
	.merge = countbyvalue_merge, .result = pair_result, .finish = combined_finish,
};
static const struct stage_ops distinct_ops = {
	.flags = OPS_PARTIALS | OPS_KEYED, .partial = distinct_partial,
	.merge = distinct_merge, .result = distinct_result, .finish = combined_finish,
};
static const struct stage_ops count_ops = {
	.flags = OPS_PARTIALS, .partial = count_partial, .total = count_total,
	.finish = combined_finish,
};
static const struct stage_ops reduce_ops = {
	.flags = OPS_PARTIALS, .partial = reduce_partial, .total = reduce_total,
	.finish = combined_finish,
};
static const struct stage_ops order_ops = { .finish = order_finish };
static const struct stage_ops window_ops = { .finish = window_finish };
static const struct stage_ops state_ops = { .finish = state_finish };
/* print keeps per-worker samples and counts when a chain feeds it */
static const struct stage_ops print_ops = {
	.flags = OPS_PARTIALS | OPS_SINK, .finish = sink_finish,
};
static const struct stage_ops sink_ops = { .flags = OPS_SINK, .finish = sink_finish };

static const struct stage_ops *const ops_table[OP__COUNT] = {
	[OP_UNION] = &union_ops,
	[OP_MAP] = &map_ops, [OP_FLATMAP] = &flatmap_ops, [OP_FILTER] = &filter_ops,
	[OP_MAPVALUES] = &mapvalues_ops, [OP_TIMESTAMP] = &timestamp_ops,
	[OP_JOIN] = &join_ops, [OP_LEFTJOIN] = &join_ops, [OP_EXCEPT] = &join_ops,
	[OP_REDUCEBYKEY] = &reducebykey_ops, [OP_GROUPBYKEY] = &groupbykey_ops,
	[OP_COUNTBYVALUE] = &countbyvalue_ops, [OP_DISTINCT] = &distinct_ops,
	[OP_COUNT] = &count_ops, [OP_REDUCE] = &reduce_ops,
	[OP_SORT] = &order_ops, [OP_TOP] = &order_ops,
	[OP_WINDOW] = &window_ops, [OP_STATE] = &state_ops,
	[OP_PRINT] = &print_ops, [OP_STDOUT] = &sink_ops, [OP_WRITE] = &sink_ops,
	[OP_APPEND] = &sink_ops, [OP_TCP] = &sink_ops, [OP_SINK] = &sink_ops,
	[OP_REDIS] = &sink_ops, [OP_POSTGRES] = &sink_ops,
};
