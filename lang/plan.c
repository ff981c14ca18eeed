/*
 * plan.c: checked pipelines to the operator DAG, and --explain.
 *
 * Nodes are made in the order the runtime can run them: a let stream's
 * nodes when it is first read (so an unread let costs nothing), before
 * the nodes that read it; stdin once however often it is named.  A
 * reducer right after a window is marked incremental, with the plan its
 * reducer allows: subtracting through an inverse, or combining per-batch
 * partial results.  Every node gets a fingerprint from its definition and
 * its inputs'; a stateful stage's is the hash of its identity (ident.c),
 * the one a checkpoint keeps its state under.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "parse.h"
#include "plan.h"
#include "runtime/io/registry.h"
#include "runtime/io/source.h"
#include "stdlib/arena.h"
#include "stdlib/number.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

#include "stdlib/regex.h"

struct builder {
	struct plan *plan;
	struct node *stdin_node;
	struct node **let_nodes;	/* by pipeline index: the let's last node */
};

static struct node *build_stage_chain(struct builder *, struct pipeline *);

static void
node_link(struct plan *plan, struct node *from, struct node *to)
{
	arena_push(plan->arena, (void ***)&to->inputs, &to->ninputs, from);
	arena_push(plan->arena, (void ***)&from->outputs, &from->noutputs, to);
}

static struct node *
node_new(struct plan *plan, struct stage *st)
{
	struct node *n = arena_zalloc(plan->arena, sizeof *n);

	n->stage = st;
	n->op = st->desc->op;
	n->id = plan->nnodes + 1;
	arena_push(plan->arena, (void ***)&plan->nodes, &plan->nnodes, n);
	return n;
}

static int
pipeline_index(struct plan *plan, const char *let)
{
	for (int i = 0; i < plan->npipelines; i++)
		if (plan->pipelines[i]->kind == PIPELINE_LET &&
		    strcmp(plan->pipelines[i]->name, let) == 0)
			return i;
	return -1;
}

static struct node *
build_let(struct builder *b, const char *name)
{
	int i = pipeline_index(b->plan, name);

	if (b->let_nodes[i] == NULL) {
		b->let_nodes[i] = build_stage_chain(b, b->plan->pipelines[i]);
		b->let_nodes[i]->let_name = name;
	}
	return b->let_nodes[i];
}

static int
same_source(const struct stage *a, const struct stage *b)
{
	if (a->desc != b->desc)
		return 0;
	for (int i = 0; i < OP_MAX_ARGS; i++) {
		const struct argval *x = &a->args[i], *y = &b->args[i];
		if (x->present != y->present || x->i != y->i ||
		    (x->s == NULL) != (y->s == NULL) || (x->s != NULL && strcmp(x->s, y->s) != 0))
			return 0;
	}
	return 1;
}

static struct node *
build_source(struct builder *b, struct stage *st)
{
	struct node *n;
	unsigned caps;

	if (st->desc == NULL)
		return build_let(b, st->ref);
	caps = st->desc->role == ROLE_SOURCE ? source_caps(st->desc->name) : 0;
	if (caps & SOURCE_READS_STDIN) {
		if (b->stdin_node == NULL)
			b->stdin_node = node_new(b->plan, st);
		return b->stdin_node;
	}
	if (caps & SOURCE_READ_ONCE) {
		/* The same source written twice is one source, read once (two
		 * listeners could not share a port anyway). */
		for (int i = 0; i < b->plan->nnodes; i++)
			if (same_source(b->plan->nodes[i]->stage, st))
				return b->plan->nodes[i];
	}
	if (st->desc->op == OP_UNION) {
		struct node **ins = xcalloc((size_t)st->args[0].nstreams + 1, sizeof *ins);
		for (int i = 0; i < st->args[0].nstreams; i++)
			ins[i] = build_source(b, st->args[0].streams[i]);
		n = node_new(b->plan, st);
		for (int i = 0; i < st->args[0].nstreams; i++)
			node_link(b->plan, ins[i], n);
		free(ins);
		return n;
	}
	return node_new(b->plan, st);
}

static enum window_plan
window_plan_for(struct stage *st)
{
	switch (st->desc->op) {
	case OP_COUNT:
	case OP_COUNTBYVALUE:
		return WPLAN_INVERSE;
	case OP_REDUCEBYKEY:
	case OP_REDUCE:
		if (st->args[0].reducer == REDUCER_LAMBDA) {
			for (int j = 0; j < OP_MAX_CLAUSES && st->desc->clauses[j].word != NULL; j++)
				if (strcmp(st->desc->clauses[j].word, "inverse") == 0 &&
				    st->clauses[j].present)
					return WPLAN_INVERSE;
			return WPLAN_PARTIALS;
		}
		return catalog_reducer_invertible(st->args[0].reducer) ?
		    WPLAN_INVERSE : WPLAN_PARTIALS;
	default:
		return WPLAN_NONE;
	}
}

static const char *
stage_as_name(struct stage *st)
{
	for (int j = 0; j < OP_MAX_CLAUSES && st->desc->clauses[j].word != NULL; j++)
		if (strcmp(st->desc->clauses[j].word, "as") == 0 && st->clauses[j].present)
			return st->clauses[j].s;
	return NULL;
}

static struct node *
build_stage_chain(struct builder *b, struct pipeline *p)
{
	struct node *prev = build_source(b, p->stages[0]);

	for (int i = 1; i < p->nstages; i++) {
		struct stage *st = p->stages[i];
		struct node *n;

		if (st->stream != NULL) {
			/* join with a let stream: its nodes come first */
			struct node *other = build_let(b, st->stream);
			n = node_new(b->plan, st);
			node_link(b->plan, prev, n);
			node_link(b->plan, other, n);
		} else {
			n = node_new(b->plan, st);
			node_link(b->plan, prev, n);
		}
		if (prev->op == OP_WINDOW && (st->desc->flags & OPF_WINDOWED) &&
		    prev->noutputs == 1) {
			n->window = prev;
			n->wplan = window_plan_for(st);
		}
		n->state_name = stage_as_name(st);
		n->event_time = n->op == OP_TIMESTAMP ? n : prev->event_time;
		prev = n;
	}
	return prev;
}

/* FNV-1a, 64 bits: stable across runs and machines. */
static uint64_t
fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
node_label(struct strbuf *sb, const struct node *n)
{
	plan_stage_label(sb, NULL, n->stage, 0);
}

/* ---- chains and fusions ---- */

/* Joins against a table look each element up on its own: element-wise. */
static int
is_table_join(const struct node *n)
{
	return (n->op == OP_JOIN || n->op == OP_LEFTJOIN || n->op == OP_EXCEPT) &&
	    n->stage->table != NULL && n->stage->stream == NULL;
}

/* A stage that takes one element at a time, keeping its order. */
static int
is_element_stage(const struct node *n)
{
	return n->op == OP_MAP || n->op == OP_FLATMAP || n->op == OP_FILTER ||
	    n->op == OP_MAPVALUES || n->op == OP_TIMESTAMP || is_table_join(n);
}

/* A stage that can take partial aggregates per block. */
static int
is_combinable(enum node_op op)
{
	return op == OP_REDUCEBYKEY || op == OP_GROUPBYKEY || op == OP_COUNTBYVALUE ||
	    op == OP_DISTINCT || op == OP_COUNT || op == OP_REDUCE;
}

/* _.split("SEP") with a literal SEP: the separator, else NULL. */
static const struct expr *
literal_split(const struct expr *fn)
{
	if (fn != NULL && fn->kind == EXPR_CALL && strcmp(fn->s, "split") == 0 &&
	    fn->nitems == 2 && fn->items[0]->kind == EXPR_ELEM &&
	    fn->items[1]->kind == EXPR_STRING && fn->items[1]->slen > 0)
		return fn->items[1];
	return NULL;
}

/* The chain after source n, its end, and what it fuses. */
static void
mark_chain(struct plan *plan, struct node *n)
{
	struct node *last = n, *t;

	while (last->noutputs == 1 && is_element_stage(last->outputs[0]) &&
	    last->outputs[0]->ninputs == 1) {
		last = last->outputs[0];
		arena_push(plan->arena, (void ***)&n->chain, &n->nchain, last);
		last->in_chain = 1;
	}
	n->chain_last = last;
	n->end = END_KEEP;
	t = last->noutputs == 1 && last->outputs[0]->ninputs == 1 ? last->outputs[0] : NULL;
	if (t != NULL && is_combinable(t->op))
		n->end = END_COMBINE;
	else if (t != NULL && t->op == OP_STDOUT)
		n->end = END_STDOUT;
	else if (t != NULL && t->op == OP_PRINT)
		n->end = END_PRINT;
	if (n->end != END_KEEP) {
		n->target = t;
		t->fed = 1;
	}
	if (n->end == END_COMBINE && n->nchain > 0 && last->op == OP_MAP &&
	    t->op == OP_REDUCEBYKEY) {
		const struct expr *fn = last->stage->args[0].e;
		enum reducer_kind red = t->stage->args[0].reducer;
		if (fn->kind == EXPR_TUPLE && fn->nitems == 2)
			last->fuse = FUSE_KV;
		if (last->fuse == FUSE_KV && (red == REDUCER_SUM || red == REDUCER_COUNT) &&
		    fn->items[0]->kind == EXPR_ELEM && fn->items[1]->kind == EXPR_INT) {
			last->fuse = FUSE_KV_COUNT;
			last->fuse_n = red == REDUCER_COUNT ? 1 : fn->items[1]->i;
			const struct expr *sep = n->nchain == 2 && n->chain[0]->op == OP_FLATMAP ?
			    literal_split(n->chain[0]->stage->args[0].e) : NULL;
			/* lines only: a batches() source gives values, kafka
			 * framed messages */
			if (sep != NULL && sep->slen == 1 && sep->s[0] != '\n' &&
			    n->op != OP_BATCHES && n->op != OP_KAFKA_IN) {
				n->split_count = 1;
				n->split_char = sep->s[0];
			}
		}
	}
	/* An event-time window right after the chain takes its blocks as
	 * they are done, in order, rather than at the batch's end; the
	 * reducer right after it, if any, keeps its windows. */
	if (n->end == END_KEEP && last->event_time != NULL && last->noutputs == 1 &&
	    last->outputs[0]->op == OP_WINDOW && last->outputs[0]->event_time != NULL) {
		struct node *wn = last->outputs[0];
		n->end = END_EVTIME;
		n->target = wn->noutputs == 1 && wn->outputs[0]->window == wn ? wn->outputs[0] : wn;
		n->target->evt_fed = 1;
	}
}

/* Decide, once, how the runtime runs each node: chains and fusions. */
static void
plan_mark(struct plan *plan)
{
	for (int i = 0; i < plan->nnodes; i++) {
		struct node *n = plan->nodes[i];
		const struct expr *sep;
		if (n->op == OP_FLATMAP && (sep = literal_split(n->stage->args[0].e)) != NULL) {
			n->split_sep = sep->s;
			n->split_len = sep->slen;
		}
	}
	for (int i = 0; i < plan->nnodes; i++) {
		struct node *n = plan->nodes[i];
		if (n->stage->desc->role == ROLE_SOURCE && n->op != OP_UNION)
			mark_chain(plan, n);
	}
}

void
plan_build(struct plan *plan)
{
	struct builder b = { 0 };

	b.plan = plan;
	b.let_nodes = xcalloc((size_t)plan->npipelines + 1, sizeof *b.let_nodes);
	for (int i = 0; i < plan->npipelines; i++)
		if (plan->pipelines[i]->kind == PIPELINE_OUTPUT)
			build_stage_chain(&b, plan->pipelines[i]);
	free(b.let_nodes);

	for (int i = 0; i < plan->nnodes; i++) {
		struct node *n = plan->nodes[i];
		struct strbuf sb = STRBUF_INIT;
		uint64_t h = 0xcbf29ce484222325ULL;

		node_label(&sb, n);
		h = fnv1a(h, sb.data != NULL ? sb.data : "", sb.len);
		for (int j = 0; j < n->ninputs; j++)
			h = fnv1a(h, &n->inputs[j]->fingerprint, sizeof n->inputs[j]->fingerprint);
		n->fingerprint = h;
		strbuf_release(&sb);
	}
	/* A stateful stage's is the hash of its identity (ident.c), the one a
	 * checkpoint keeps its state under; a window's, its unit's. */
	ident_fingerprints(plan);
	plan_mark(plan);
}

struct plan *
plan_compile(const char *text, size_t len, const struct job_options *opt,
    struct diags *d)
{
	struct plan *plan = xcalloc(1, sizeof *plan);
	int errors;

	plan->arena = arena_new(0);
	/* The statements that parsed are checked even after a syntax error
	 * elsewhere, so one run reports all errors; a parse that stopped
	 * early leaves too little to check. */
	errors = parse_program(text, len, plan->arena, d, &plan->prog);
	if (!plan->prog->incomplete)
		errors += check_program(plan, opt, d);
	if (errors > 0) {
		plan_free(plan);
		return NULL;
	}
	plan_build(plan);
	return plan;
}

void
plan_free(struct plan *plan)
{
	if (plan == NULL)
		return;
	for (int i = 0; i < plan->nregexes; i++)
		regex_free(plan->regexes[i]);
	arena_free(plan->arena);
	free(plan);
}

/* ---- --explain ---- */

static const char *
guarantee_name(enum guarantee g)
{
	switch (g) {
	case GUARANTEE_EXACTLY_ONCE: return "exactly-once";
	case GUARANTEE_AT_LEAST_ONCE: return "at-least-once";
	case GUARANTEE_AT_MOST_ONCE: return "at-most-once";
	default: return "none";
	}
}

static void
explain_settings(struct strbuf *sb, const struct plan *plan)
{
	const struct settings *s = &plan->settings;
	char b1[32], b2[32], b3[32];

	number_format_duration(b1, sizeof b1, s->batch_ms);
	number_format_duration(b2, sizeof b2, s->block_ms);
	number_format_size(b3, sizeof b3, s->buffer_bytes);
	strbuf_addf(sb, "batch %s, block %s, buffer %s, parallelism ", b1, b2, b3);
	if (s->parallelism_set)
		strbuf_addf(sb, "%lld\n", (long long)s->parallelism);
	else
		strbuf_adds(sb, "auto (one worker per CPU)\n");
	if (s->checkpoint != NULL) {
		strbuf_addf(sb, "checkpoint \"%s\"", s->checkpoint);
		if (s->checkpoint_every_ms > 0) {
			number_format_duration(b1, sizeof b1, s->checkpoint_every_ms);
			strbuf_addf(sb, " every %s", b1);
		}
		strbuf_addc(sb, '\n');
	}
	if (s->guarantee != GUARANTEE_NONE)
		strbuf_addf(sb, "guarantee %s\n", guarantee_name(s->guarantee));
	strbuf_addf(sb, "on error %s", s->on_error == ON_ERROR_SKIP ? "skip" :
	    s->on_error == ON_ERROR_FAIL ? "fail" : "write");
	if (s->on_error == ON_ERROR_WRITE)
		strbuf_addf(sb, " \"%s\"", s->error_path);
	strbuf_addc(sb, '\n');
	for (int i = 0; i < plan->ntables; i++) {
		const struct table_def *t = plan->tables[i];
		if (t->path != NULL)
			strbuf_addf(sb, "table %s: file \"%s\", reloaded when it changes\n", t->name, t->path);
		else if (t->store != NULL) {
			char every[32];
			number_format_duration(every, sizeof every, t->every_ms);
			strbuf_addf(sb, "table %s: %s(", t->name, t->store);
			plan_print_scrubbed(sb, t->target);
			strbuf_adds(sb, ", ");
			plan_print_scrubbed(sb, t->query);
			strbuf_addf(sb, "), read again every %s\n", every);
		} else
			strbuf_addf(sb, "table %s: %s of %d\n", t->name, t->is_map ? "map" : "set",
			    t->list->nitems);
	}
}

static const char *
node_role(const struct node *n)
{
	return catalog_role_name(n->stage->desc->role);
}

/* Is n one of the stages of a source's fused word-count loop? */
static int
in_fused_loop(const struct node *n)
{
	while (n->in_chain)
		n = n->inputs[0];
	return n != NULL && n->split_count;
}

/* What plan_mark decided for node n: its chain, and what runs as one. */
static void
explain_marks(struct strbuf *sb, const struct node *n)
{
	if (n->stage->desc->role == ROLE_SOURCE && n->op != OP_UNION) {
		strbuf_adds(sb, "    per block, as read:");
		for (int k = 0; k < n->nchain; k++)
			strbuf_addf(sb, " #%d", n->chain[k]->id);
		strbuf_adds(sb, n->nchain > 0 ? ", then " : " ");
		switch (n->end) {
		case END_COMBINE:
			strbuf_addf(sb, "combined into #%d\n", n->target->id);
			break;
		case END_STDOUT:
			strbuf_addf(sb, "formatted for #%d\n", n->target->id);
			break;
		case END_PRINT:
			strbuf_addf(sb, "sampled for #%d\n", n->target->id);
			break;
		case END_EVTIME:
			strbuf_addf(sb, "offered in order to #%d\n", n->target->id);
			break;
		default:
			strbuf_adds(sb, "kept for the batch\n");
			break;
		}
	}
	if (n->split_count) {
		strbuf_adds(sb, "    fused: flatMap split + ");
		node_label(sb, n->chain_last);
		strbuf_adds(sb, " + ");
		node_label(sb, n->target);
		strbuf_adds(sb, ": counted in one loop\n");
	}
	/* the stages of a fused loop: said once, above */
	if (n->in_chain && in_fused_loop(n))
		return;
	if (n->split_len > 0)
		strbuf_adds(sb, "    split on a literal: pieces cut in place, no list built\n");
	if (n->fuse != FUSE_NONE) {
		strbuf_adds(sb, "    fused: ");
		node_label(sb, n);
		strbuf_adds(sb, " + ");
		node_label(sb, n->outputs[0]);
		strbuf_adds(sb, n->fuse == FUSE_KV_COUNT ? ": strings counted by key, no pair built\n" :
		    ": key and value handed over, no pair built\n");
	}
}

char *
plan_explain_text(const struct plan *plan)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[32];

	explain_settings(&sb, plan);
	for (int i = 0; i < plan->nnodes; i++) {
		const struct node *n = plan->nodes[i];

		strbuf_addf(&sb, "#%d %s ", n->id, node_role(n));
		node_label(&sb, n);
		if (n->ninputs > 0) {
			strbuf_adds(&sb, " <-");
			for (int j = 0; j < n->ninputs; j++)
				strbuf_addf(&sb, " #%d", n->inputs[j]->id);
		}
		if (n->stage->desc->role != ROLE_SINK)
			strbuf_addf(&sb, " : %s", shape_describe(n->stage->out, buf, sizeof buf));
		strbuf_addc(&sb, '\n');
		if (n->let_name != NULL)
			strbuf_addf(&sb, "    let %s, read by %d\n", n->let_name, n->noutputs);
		if (n->window != NULL && n->window->event_time != NULL) {
			strbuf_addf(&sb, "    per event-time window #%d: a running result for each open window\n",
			    n->window->id);
		} else if (n->window != NULL) {
			strbuf_addf(&sb, "    incremental over the window #%d: %s\n", n->window->id,
			    n->wplan == WPLAN_INVERSE ?
			    "adds the newest batch, subtracts the batch that left" :
			    "combines per-batch partial results");
		}
		if (n->op == OP_WINDOW && n->event_time != NULL)
			strbuf_addf(&sb, "    event time from #%d: a window closes when the watermark passes its end\n",
			    n->event_time->id);
		if (n->stage->desc->flags & OPF_STATEFUL) {
			if (n->state_name != NULL)
				strbuf_addf(&sb, "    state: as %s\n", n->state_name);
			else
				strbuf_addf(&sb, "    state: fingerprint %016llx\n",
				    (unsigned long long)n->fingerprint);
		}
		explain_marks(&sb, n);
	}
	return strbuf_detach(&sb);
}

static void
dot_escape(struct strbuf *sb, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			strbuf_adds(sb, "\\n");
			continue;
		}
		if (*s == '"' || *s == '\\')
			strbuf_addc(sb, '\\');
		strbuf_addc(sb, *s);
	}
}

char *
plan_explain_dot(const struct plan *plan)
{
	struct strbuf sb = STRBUF_INIT, label = STRBUF_INIT;
	char b1[32];

	number_format_duration(b1, sizeof b1, plan->settings.batch_ms);
	strbuf_adds(&sb, "digraph streamjob {\n");
	strbuf_addf(&sb, "  label=\"batch %s\";\n", b1);
	strbuf_adds(&sb, "  rankdir=LR;\n");
	strbuf_adds(&sb, "  node [shape=box, fontname=\"monospace\"];\n");
	for (int i = 0; i < plan->nnodes; i++) {
		const struct node *n = plan->nodes[i];
		const char *shape = n->stage->desc->role == ROLE_SOURCE ? "invhouse" :
		    n->stage->desc->role == ROLE_SINK ? "house" : "box";

		strbuf_reset(&label);
		node_label(&label, n);
		if (n->window != NULL && n->window->event_time != NULL)
			strbuf_adds(&label, "\n(per event-time window)");
		else if (n->window != NULL)
			strbuf_adds(&label, n->wplan == WPLAN_INVERSE ?
			    "\n(incremental: inverse)" : "\n(incremental: partials)");
		if (n->let_name != NULL)
			strbuf_addf(&label, "\n(let %s)", n->let_name);
		if (n->split_count)
			strbuf_addf(&label, "\n(fused with #%d #%d #%d: counted in one loop)",
			    n->chain[0]->id, n->chain[1]->id, n->target->id);
		else if (!(n->in_chain && in_fused_loop(n))) {
			if (n->split_len > 0)
				strbuf_adds(&label, "\n(split in place)");
			if (n->fuse != FUSE_NONE)
				strbuf_addf(&label, "\n(fused with #%d: no pair built)", n->outputs[0]->id);
		}
		strbuf_addf(&sb, "  n%d [label=\"", n->id);
		dot_escape(&sb, strbuf_str(&label));
		strbuf_addf(&sb, "\", shape=%s%s];\n", shape,
		    (n->stage->desc->flags & OPF_STATEFUL) ? ", style=bold" : "");
	}
	for (int i = 0; i < plan->nnodes; i++) {
		const struct node *n = plan->nodes[i];
		for (int j = 0; j < n->ninputs; j++)
			strbuf_addf(&sb, "  n%d -> n%d;\n", n->inputs[j]->id, n->id);
	}
	strbuf_adds(&sb, "}\n");
	strbuf_release(&label);
	return strbuf_detach(&sb);
}
