/*
 * check.c: the checker.  It resolves the syntax tree against the catalog
 * and the built-ins and reports every error of a script, each at the span
 * it is about:
 *
 *   - settings: constants of the right kind, each set once;
 *   - tables and let streams: defined once, before use;
 *   - pipelines: a source, stages, a sink, each word known (else "did you
 *     mean"), arguments and clauses as the descriptor says;
 *   - expressions: names, functions and their arity, regexes compiled;
 *   - shapes: stages that need (key, value) pairs get them;
 *   - windows in multiples of the batch interval, guarantees against the
 *     sinks and the checkpoint, --once against sources that never end.
 *
 * It goes on after an error with what it knows (an unknown shape), so one
 * run reports all errors.  The result is a struct stage per segment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "diag.h"
#include "plan.h"
#include "suggest.h"
#include "stdlib/arena.h"
#include "stdlib/builtin.h"
#include "stdlib/number.h"
#include "stdlib/regex.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

#define DEFAULT_BATCH_MS 1000
#define DEFAULT_BLOCK_MS 200
#define DEFAULT_BUFFER (64 * 1024 * 1024)
#define MAX_PARALLELISM 1024

struct binding {
	const char *name;
	struct shape *shape;
	struct binding *next;
};

struct scope {
	struct shape *elem;	/* the shape of _, or NULL where _ is undefined */
	int in_lambda;
	struct binding *vars;
	struct expr *param;	/* a lambda's single parameter, when it is a name */
};

struct checker {
	struct plan *plan;
	struct arena *a;
	struct diags *d;
	const struct job_options *opt;
	struct span setting_span[OP__COUNT];
	int setting_seen[OP__COUNT];
	struct span guarantee_span;
	struct stage **sinks;
	int nsinks;
	struct stage **named;	/* stages with "as NAME" */
	int nnamed;
	int stmt_index;		/* the statement being checked */
	int broken;		/* statements with a syntax error, not checked */
	int setting_broken[OP__COUNT];	/* a setting in such a statement */
	const char *defining;	/* the let stream being defined, or NULL */
	int single_segment;	/* the statement is one segment */
};

/* What a constant expression evaluates to. */
enum cv_kind { CV_BAD, CV_NULL, CV_BOOL, CV_INT, CV_FLOAT, CV_STRING, CV_DURATION,
	CV_SIZE, CV_OTHER };

struct cval {
	enum cv_kind k;
	int64_t i;
	double d;
	const char *s;
	int from_param;		/* a string from NAME=VALUE: may read as a unit */
};

static struct shape shape_any = { SHAPE_ANY, 0, NULL, NULL };
static struct shape shape_null = { SHAPE_NULL, 0, NULL, NULL };
static struct shape shape_bool = { SHAPE_BOOL, 0, NULL, NULL };
static struct shape shape_int = { SHAPE_INT, 0, NULL, NULL };
static struct shape shape_float = { SHAPE_FLOAT, 0, NULL, NULL };
static struct shape shape_number = { SHAPE_NUMBER, 0, NULL, NULL };
static struct shape shape_string = { SHAPE_STRING, 0, NULL, NULL };
static struct shape shape_map = { SHAPE_MAP, 0, NULL, NULL };
static struct shape shape_list_any = { SHAPE_LIST, 0, NULL, &shape_any };
static struct shape shape_list_string = { SHAPE_LIST, 0, NULL, &shape_string };

static struct shape *check_expr(struct checker *, struct expr *, struct scope *);

/* ---- shapes ---- */

static struct shape *
shape_tuple(struct checker *c, int n, struct shape **items)
{
	struct shape *s = arena_zalloc(c->a, sizeof *s);
	s->kind = SHAPE_TUPLE;
	s->n = n;
	s->items = arena_alloc(c->a, (size_t)(n > 0 ? n : 1) * sizeof *s->items);
	for (int i = 0; i < n; i++)
		s->items[i] = items != NULL && items[i] != NULL ? items[i] : &shape_any;
	return s;
}

static struct shape *
shape_pair(struct checker *c, struct shape *k, struct shape *v)
{
	struct shape *items[2] = { k, v };
	return shape_tuple(c, 2, items);
}

static struct shape *
shape_list(struct checker *c, struct shape *elem)
{
	struct shape *s = arena_zalloc(c->a, sizeof *s);
	s->kind = SHAPE_LIST;
	s->elem = elem != NULL ? elem : &shape_any;
	return s;
}

static int
shape_numeric(const struct shape *s)
{
	return s->kind == SHAPE_INT || s->kind == SHAPE_FLOAT || s->kind == SHAPE_NUMBER;
}

/* The least shape both a and b fit. */
static struct shape *
shape_join(struct checker *c, struct shape *a, struct shape *b)
{
	if (a == NULL)
		return b;
	if (b == NULL)
		return a;
	if (a->kind == SHAPE_ANY || b->kind == SHAPE_ANY)
		return &shape_any;
	if (a->kind == SHAPE_TUPLE && b->kind == SHAPE_TUPLE && a->n == b->n) {
		struct shape *s = shape_tuple(c, a->n, NULL);
		for (int i = 0; i < a->n; i++)
			s->items[i] = shape_join(c, a->items[i], b->items[i]);
		return s;
	}
	if (a->kind == SHAPE_LIST && b->kind == SHAPE_LIST)
		return shape_list(c, shape_join(c, a->elem, b->elem));
	if (shape_numeric(a) && shape_numeric(b))
		return a->kind == b->kind ? a : &shape_number;
	if (a->kind == b->kind && a->kind != SHAPE_TUPLE)
		return a;
	return &shape_any;
}

int
shape_not_pair(const struct shape *s)
{
	return s != NULL && s->kind != SHAPE_ANY &&
	    !(s->kind == SHAPE_TUPLE && s->n == 2);
}

const char *
shape_describe(const struct shape *s, char *buf, size_t size)
{
	switch (s->kind) {
	case SHAPE_ANY: return "values";
	case SHAPE_NULL: return "nulls";
	case SHAPE_BOOL: return "booleans";
	case SHAPE_INT: return "integers";
	case SHAPE_FLOAT: case SHAPE_NUMBER: return "numbers";
	case SHAPE_STRING: return "strings";
	case SHAPE_LIST: return "lists";
	case SHAPE_MAP: return "maps";
	case SHAPE_TUPLE:
		if (s->n == 2)
			return "pairs";
		snprintf(buf, size, "tuples of %d", s->n);
		return buf;
	}
	return "values";
}

/* ---- errors ---- */

#define ERR(c, span, ...) diag_error((c)->d, (span), __VA_ARGS__)

static void
err_suggest(struct checker *c, struct span span, const char *what,
    const char *word, const char *const *cands, int n)
{
	const char *s = suggest(word, cands, n);

	if (s != NULL)
		ERR(c, span, "unknown %s '%s' (did you mean '%s'?)", what, word, s);
	else
		ERR(c, span, "unknown %s '%s'", what, word);
}

/* Names of the catalog entries of a role, for suggestions. */
static const char **
role_names(struct checker *c, enum op_role role, int also_sinks, int *n)
{
	int total, i;
	const struct op_desc *all = catalog_all(&total);
	const char **v = arena_alloc(c->a, (size_t)(total + 1) * sizeof *v);

	*n = 0;
	for (i = 0; i < total; i++)
		if (all[i].role == role || (also_sinks && all[i].role == ROLE_SINK))
			v[(*n)++] = all[i].name;
	return v;
}

/* ---- lookups ---- */

static struct table_def *
find_table(struct checker *c, const char *name)
{
	for (int i = 0; i < c->plan->ntables; i++)
		if (strcmp(c->plan->tables[i]->name, name) == 0)
			return c->plan->tables[i];
	return NULL;
}

static struct pipeline *
find_let(struct checker *c, const char *name)
{
	for (int i = 0; i < c->plan->npipelines; i++) {
		struct pipeline *p = c->plan->pipelines[i];
		if (p->kind == PIPELINE_LET && strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

/* A let or table defined by a later statement, for a better message. */
static struct stmt *
find_later_definition(struct checker *c, const char *name)
{
	struct program *prog = c->plan->prog;

	for (int i = c->stmt_index + 1; i < prog->nstmts; i++) {
		struct stmt *st = prog->stmts[i];
		if (st->kind == STMT_ASSIGN && st->name != NULL && strcmp(st->name, name) == 0)
			return st;
	}
	return NULL;
}

/*
 * Is name defined by a statement with a syntax error?  Its uses are then
 * not errors of their own: what it was cannot be known.
 */
static int
defined_by_broken(struct checker *c, const char *name)
{
	struct program *prog = c->plan->prog;

	for (int i = 0; i < prog->nstmts; i++) {
		struct stmt *st = prog->stmts[i];
		if (st->broken && st->kind == STMT_ASSIGN && st->name != NULL &&
		    strcmp(st->name, name) == 0)
			return 1;
	}
	return 0;
}

static const struct param *
find_param(struct checker *c, const char *name)
{
	for (int i = 0; i < c->opt->nparams; i++)
		if (strcmp(c->opt->params[i].name, name) == 0)
			return &c->opt->params[i];
	return NULL;
}

static void
err_unset_param(struct checker *c, struct expr *e)
{
	ERR(c, e->span, "parameter $%s has no value: pass %s=VALUE, or give a default with $%s ?? VALUE",
	    e->s, e->s, e->s);
}

/* ---- constants ---- */

/* A NAME=VALUE value: a number when it reads as one, else a string. */
static struct cval
param_value(const char *text)
{
	struct cval v = { CV_STRING, 0, 0, text, 1 };
	struct number num;

	switch (number_read(text, strlen(text), &num)) {
	case NUMBER_INT:
		v.k = CV_INT;
		v.i = num.i;
		break;
	case NUMBER_FLOAT:
		v.k = CV_FLOAT;
		v.d = num.d;
		break;
	case NUMBER_NONE:
		break;
	}
	return v;
}

static struct cval const_eval(struct checker *, struct expr *, int guarded);

/* Integer, duration and size arithmetic on constants, overflow checked. */
static struct cval
const_arith(struct checker *c, const struct expr *e, struct cval a, struct cval b)
{
	struct cval v = { CV_BAD, 0, 0, NULL, 0 };
	int64_t r;
	int ok;

	if (!(a.k == CV_INT || a.k == CV_DURATION || a.k == CV_SIZE) ||
	    !(b.k == CV_INT || b.k == CV_DURATION || b.k == CV_SIZE))
		return v;
	switch (e->op) {
	case OP_ADD: ok = !__builtin_add_overflow(a.i, b.i, &r); break;
	case OP_SUB: ok = !__builtin_sub_overflow(a.i, b.i, &r); break;
	case OP_MUL: ok = !__builtin_mul_overflow(a.i, b.i, &r); break;
	default: return v;
	}
	if (!ok) {
		ERR(c, e->span, "integer overflow in a constant");
		return v;
	}
	v.k = a.k != CV_INT ? a.k : b.k;
	v.i = r;
	return v;
}

/*
 * A binary operator other than ??, or a chain of them (1 + 1 + ...),
 * evaluated in a loop.  Strings joined along a chain grow in one buffer
 * rather than being copied at every +.
 */
static struct cval
const_chain(struct checker *c, struct expr *e, int guarded)
{
	const struct expr *local[16], **chain;
	struct strbuf sb = STRBUF_INIT;
	struct cval a, b;
	int in_sb = 0;		/* a is the string in sb */
	size_t n;

	chain = expr_chain(e, local, 16, &n);
	a = const_eval(c, chain[n - 1]->a, guarded);
	for (size_t i = n; i-- > 0;) {
		const struct expr *x = chain[i];

		b = const_eval(c, x->b, guarded);
		if (a.k == CV_BAD || b.k == CV_BAD) {
			a.k = CV_BAD;
			continue;	/* the other operands are still checked */
		}
		if (x->op == OP_ADD && a.k == CV_STRING && b.k == CV_STRING) {
			if (!in_sb) {
				strbuf_reset(&sb);
				strbuf_adds(&sb, a.s);
				in_sb = 1;
			}
			strbuf_adds(&sb, b.s);
			a.from_param = 0;
			continue;
		}
		if (in_sb)
			a.s = arena_strdup(c->a, strbuf_str(&sb));
		in_sb = 0;
		a = const_arith(c, x, a, b);
	}
	if (in_sb && a.k == CV_STRING)
		a.s = arena_strdup(c->a, strbuf_str(&sb));
	strbuf_release(&sb);
	if (chain != local)
		free(chain);
	return a;
}

/*
 * Evaluate a constant expression: literals, parameters, ??, unary minus,
 * arithmetic on numbers and durations, + on strings.  Anything else is
 * CV_BAD (the caller says what was expected); an unset parameter outside
 * the left of ?? is reported here.
 */
static struct cval
const_eval(struct checker *c, struct expr *e, int guarded)
{
	struct cval v = { CV_BAD, 0, 0, NULL, 0 }, a;

	switch (e->kind) {
	case EXPR_NULL: v.k = CV_NULL; return v;
	case EXPR_BOOL: v.k = CV_BOOL; v.i = e->i; return v;
	case EXPR_INT: v.k = CV_INT; v.i = e->i; return v;
	case EXPR_FLOAT: v.k = CV_FLOAT; v.d = e->d; return v;
	case EXPR_STRING: v.k = CV_STRING; v.s = e->s; return v;
	case EXPR_DURATION: v.k = CV_DURATION; v.i = e->i; return v;
	case EXPR_SIZE: v.k = CV_SIZE; v.i = e->i; return v;
	case EXPR_PARAM: {
		const struct param *p = find_param(c, e->s);
		if (p != NULL)
			return param_value(p->value);
		if (!guarded)
			err_unset_param(c, e);
		v.k = CV_NULL;	/* unset: null, so ?? picks its default */
		return v;
	}
	case EXPR_BINARY:
		if (e->op == OP_COALESCE) {
			a = const_eval(c, e->a, 1);
			if (a.k != CV_NULL)
				return a;
			return const_eval(c, e->b, guarded);
		}
		return const_chain(c, e, guarded);
	case EXPR_UNARY:
		if (e->op != OP_NEG)
			return v;
		a = const_eval(c, e->a, guarded);
		if (a.k == CV_INT && a.i != INT64_MIN) {
			a.i = -a.i;
			return a;
		}
		if (a.k == CV_FLOAT) {
			a.d = -a.d;
			return a;
		}
		return v;
	case EXPR_TUPLE: case EXPR_LIST: case EXPR_MAP:
		v.k = CV_OTHER;
		return v;
	default:
		return v;
	}
}

/* ---- regular expressions ---- */

static void
check_regex(struct checker *c, struct expr *e)
{
	char msg[256];
	size_t off = 0;
	struct regex *re;

	for (const char *f = e->flags; *f != '\0'; f++) {
		if (strchr("imsxu", *f) == NULL) {
			ERR(c, e->span, "unknown regex flag '%c' (flags: i m s x u)", *f);
			return;
		}
	}
	if (e->aux != NULL)
		return;		/* compiled already */
	re = regex_compile(e->s, e->slen, e->flags, msg, sizeof msg, &off);
	if (re == NULL) {
		ERR(c, e->span, "invalid regular expression: %s (at offset %zu)", msg, off);
		return;
	}
	e->aux = re;
	arena_push(c->a, &c->plan->regexes, &c->plan->nregexes, re);
}

/* ---- expressions ---- */

static struct binding *
scope_lookup(struct scope *s, const char *name)
{
	for (struct binding *b = s->vars; b != NULL; b = b->next)
		if (strcmp(b->name, name) == 0)
			return b;
	return NULL;
}

/*
 * Report a name given twice among a lambda's parameters, however deep in
 * its patterns: (k, (v, k)) => ... is as wrong as (a, a) => ...
 */
static void
check_param_names(struct checker *c, struct expr **items, int n)
{
	struct expr *stack[256], *names[256];
	int sp = 0, nn = 0;

	for (int i = n - 1; i >= 0 && sp < 256; i--)
		stack[sp++] = items[i];
	while (sp > 0) {
		struct expr *p = stack[--sp];
		if (p->kind == EXPR_TUPLE) {
			for (int i = p->nitems - 1; i >= 0 && sp < 256; i--)
				stack[sp++] = p->items[i];
			continue;
		}
		if (p->kind != EXPR_NAME)
			continue;
		for (int j = 0; j < nn; j++)
			if (strcmp(names[j]->s, p->s) == 0) {
				ERR(c, p->span, "parameter '%s' is named twice", p->s);
				break;
			}
		if (nn < 256)
			names[nn++] = p;
	}
}

/*
 * Bind the names of a lambda parameter pattern (a name, '_', or a tuple of
 * patterns) to the parts of shape s, reporting patterns that cannot match.
 */
static void
bind_pattern(struct checker *c, struct scope *sc, struct expr *p, struct shape *s,
    struct expr *whole)
{
	char buf[32];

	switch (p->kind) {
	case EXPR_ELEM:
		return;
	case EXPR_NAME: {
		struct binding *b = arena_zalloc(c->a, sizeof *b);
		b->name = p->s;
		b->shape = s != NULL ? s : &shape_any;
		b->next = sc->vars;
		sc->vars = b;
		return;
	}
	case EXPR_TUPLE:
		if (s != NULL && s->kind != SHAPE_ANY &&
		    !(s->kind == SHAPE_TUPLE && s->n == p->nitems)) {
			char need[32];
			if (p->nitems == 2)
				snprintf(need, sizeof need, "pairs");
			else
				snprintf(need, sizeof need, "tuples of %d", p->nitems);
			ERR(c, p->span, "the pattern needs %s, but the values here are %s",
			    need, shape_describe(s, buf, sizeof buf));
			s = NULL;
		}
		for (int i = 0; i < p->nitems; i++) {
			struct expr *item = p->items[i];
			bind_pattern(c, sc, item,
			    s != NULL && s->kind == SHAPE_TUPLE ? s->items[i] : &shape_any, whole);
		}
		return;
	default:
		ERR(c, p->span, "a lambda's parameters must be names or tuples of names");
	}
}

static struct shape *
result_shape(enum builtin_result r)
{
	switch (r) {
	case RES_NULL: return &shape_null;
	case RES_BOOL: return &shape_bool;
	case RES_INT: return &shape_int;
	case RES_NUMBER: return &shape_any;	/* may be null */
	case RES_STRING: return &shape_string;
	case RES_LIST_OF_STRING: return &shape_list_string;
	case RES_LIST: return &shape_list_any;
	case RES_MAP: return &shape_map;
	default: return &shape_any;
	}
}

/*
 * A regex that is a whole condition (of filter, of if, an operand of and,
 * or, not) tests the element, as in awk: /re/ is ELEM ~ /re/, where ELEM
 * is _ or the lambda's single parameter.  The node becomes that match in
 * place, so the passes after the checker see an ordinary ~.
 */
static void
regex_condition(struct checker *c, struct expr *e, struct scope *sc)
{
	struct expr *re, *subject;

	if (e == NULL || e->kind != EXPR_REGEX)
		return;
	if (sc->param == NULL && sc->elem == NULL) {
		if (sc->in_lambda)
			ERR(c, e->span, "a regex alone as a condition tests _ or a lambda's single parameter; "
			    "here, say what it tests: NAME ~ /re/");
		else
			ERR(c, e->span, "a regex alone as a condition tests _, which is not defined here");
		return;
	}
	re = arena_alloc(c->a, sizeof *re);
	*re = *e;
	subject = expr_new(c->a, sc->param != NULL ? EXPR_NAME : EXPR_ELEM, e->span);
	if (sc->param != NULL) {
		subject->s = sc->param->s;
		subject->slen = sc->param->slen;
	}
	memset(e, 0, sizeof *e);
	e->kind = EXPR_BINARY;
	e->span = re->span;
	e->op = OP_MATCH;
	e->a = subject;
	e->b = re;
}

static struct shape *
check_call(struct checker *c, struct expr *e, struct scope *sc)
{
	const struct builtin *b = builtin_find(e->s);
	int n, i, nb;

	for (i = 0; i < e->nitems; i++) {
		struct expr *arg = e->items[i];
		if (arg->kind == EXPR_NAMED) {
			ERR(c, arg->span, "%s takes no named argument '%s'", e->s, arg->s);
			check_expr(c, arg->a, sc);
		} else if (arg->kind == EXPR_LAMBDA) {
			ERR(c, arg->span, "a lambda cannot be passed to %s", e->s);
		} else
			check_expr(c, arg, sc);
	}
	if (b == NULL) {
		const struct builtin *all = builtin_all(&nb);
		const char **names = arena_alloc(c->a, (size_t)nb * sizeof *names);
		const struct op_desc *d = catalog_find_any(e->s);
		for (i = 0; i < nb; i++)
			names[i] = all[i].name;
		if (d != NULL && d->role != ROLE_SETTING)
			ERR(c, e->span, "%s is a %s, not a function", e->s,
			    catalog_role_name(d->role));
		else if (strcmp(e->s, "file") == 0)
			ERR(c, e->span, "file(\"PATH\") is only for table NAME = file(\"PATH\")");
		else
			err_suggest(c, e->span, "function", e->s, names, nb);
		return &shape_any;
	}
	n = e->nitems;
	if (n < b->min_args || n > b->max_args) {
		if (b->min_args == b->max_args)
			ERR(c, e->span, "%s takes %d argument%s, got %d (%s)", b->name,
			    b->min_args, b->min_args == 1 ? "" : "s", n, b->usage);
		else
			ERR(c, e->span, "%s takes %d to %d arguments, got %d (%s)", b->name,
			    b->min_args, b->max_args, n, b->usage);
	}
	for (i = 0; i < n; i++)
		if (e->items[i]->kind == EXPR_REGEX && b->regex_arg != i + 1)
			ERR(c, e->items[i]->span, "argument %d of %s is not a regex (%s)",
			    i + 1, b->name, b->usage);
	return result_shape(b->result);
}

static struct shape *
check_name(struct checker *c, struct expr *e, struct scope *sc)
{
	struct binding *b = scope_lookup(sc, e->s);
	const char *cands[64];
	int n = 0;

	if (b != NULL)
		return b->shape;
	if (find_table(c, e->s) != NULL) {
		ERR(c, e->span, "%s is a table; use it with in, join, leftJoin or except", e->s);
		return &shape_any;
	}
	if (find_let(c, e->s) != NULL) {
		ERR(c, e->span, "%s is a stream, not a value", e->s);
		return &shape_any;
	}
	if (builtin_find(e->s) != NULL) {
		ERR(c, e->span, "%s is a function; call it as %s(...)", e->s, e->s);
		return &shape_any;
	}
	if (defined_by_broken(c, e->s))
		return &shape_any;
	for (struct binding *v = sc->vars; v != NULL && n < 60; v = v->next)
		cands[n++] = v->name;
	for (int i = 0; i < c->plan->ntables && n < 63; i++)
		cands[n++] = c->plan->tables[i]->name;
	if (sc->elem == NULL && !sc->in_lambda)
		err_suggest(c, e->span, "name", e->s, cands, n);
	else if (sc->elem != NULL) {
		const char *s = suggest(e->s, cands, n);
		if (s != NULL)
			ERR(c, e->span, "unknown name '%s' (did you mean '%s'?)", e->s, s);
		else
			ERR(c, e->span, "unknown name '%s' (the element is _)", e->s);
	} else
		err_suggest(c, e->span, "name", e->s, cands, n);
	return &shape_any;
}

/*
 * One binary operator.  a is the shape of its left operand when the caller
 * has checked it (e heads the rest of a chain), NULL to check it here.
 */
static struct shape *
check_binary_op(struct checker *c, struct expr *e, struct shape *a, struct scope *sc)
{
	struct shape *b;

	if (e->op == OP_COALESCE) {
		if (a == NULL && e->a->kind == EXPR_PARAM) {
			const struct param *p = find_param(c, e->a->s);
			a = p != NULL ? check_expr(c, e->a, sc) : &shape_null;
		} else if (a == NULL)
			a = check_expr(c, e->a, sc);
		b = check_expr(c, e->b, sc);
		return a->kind == SHAPE_NULL ? b : shape_join(c, a, b);
	}
	if ((e->op == OP_IN || e->op == OP_NOT_IN) && e->b->kind == EXPR_NAME &&
	    scope_lookup(sc, e->b->s) == NULL && find_table(c, e->b->s) != NULL) {
		if (a == NULL)
			check_expr(c, e->a, sc);
		return &shape_bool;
	}
	if (e->op == OP_AND || e->op == OP_OR) {
		if (a == NULL)
			regex_condition(c, e->a, sc);
		regex_condition(c, e->b, sc);
	}
	if (a == NULL)
		a = check_expr(c, e->a, sc);
	b = check_expr(c, e->b, sc);
	switch (e->op) {
	case OP_ADD:
		if (a->kind == SHAPE_STRING && b->kind == SHAPE_STRING)
			return &shape_string;
		/* FALLTHROUGH */
	case OP_SUB: case OP_MUL: case OP_MOD:
		if (a->kind == SHAPE_INT && b->kind == SHAPE_INT)
			return &shape_int;
		return &shape_number;
	case OP_DIV:
		return &shape_float;
	default:
		return &shape_bool;
	}
}

/* A binary operator, or a chain of them (_ + _ + ...) checked in a loop. */
static struct shape *
check_binary(struct checker *c, struct expr *e, struct scope *sc)
{
	const struct expr *local[16], **chain;
	struct shape *s = NULL;
	size_t n;

	chain = expr_chain(e, local, 16, &n);
	for (size_t i = n; i-- > 0;)
		s = check_binary_op(c, (struct expr *)chain[i], s, sc);
	if (chain != local)
		free(chain);
	return s;
}

static struct shape *
check_expr(struct checker *c, struct expr *e, struct scope *sc)
{
	struct shape *s;
	int i;

	switch (e->kind) {
	case EXPR_NULL: return &shape_null;
	case EXPR_BOOL: return &shape_bool;
	case EXPR_INT: case EXPR_DURATION: case EXPR_SIZE: return &shape_int;
	case EXPR_FLOAT: return &shape_float;
	case EXPR_STRING: return &shape_string;
	case EXPR_REGEX:
		check_regex(c, e);
		return &shape_any;
	case EXPR_NAME:
		return check_name(c, e, sc);
	case EXPR_ELEM:
		if (sc->elem != NULL)
			return sc->elem;
		if (sc->in_lambda)
			ERR(c, e->span, "_ is not defined inside a lambda; use its parameters");
		else
			ERR(c, e->span, "_ is not defined here");
		return &shape_any;
	case EXPR_PARAM: {
		const struct param *p = find_param(c, e->s);
		struct cval v;
		if (p == NULL) {
			err_unset_param(c, e);
			return &shape_any;
		}
		v = param_value(p->value);
		return v.k == CV_INT ? &shape_int : v.k == CV_FLOAT ? &shape_float : &shape_string;
	}
	case EXPR_TUPLE:
		s = shape_tuple(c, e->nitems, NULL);
		for (i = 0; i < e->nitems; i++) {
			if (e->items[i]->kind == EXPR_NAMED) {
				ERR(c, e->items[i]->span,
				    "a named value (%s=...) belongs in a function's arguments", e->items[i]->s);
				continue;
			}
			s->items[i] = check_expr(c, e->items[i], sc);
		}
		return s;
	case EXPR_LIST:
		s = NULL;
		for (i = 0; i < e->nitems; i++) {
			if (e->items[i]->kind == EXPR_NAMED) {
				ERR(c, e->items[i]->span,
				    "a named value (%s=...) belongs in a function's arguments", e->items[i]->s);
				continue;
			}
			s = shape_join(c, s, check_expr(c, e->items[i], sc));
		}
		return shape_list(c, s);
	case EXPR_MAP:
		for (i = 0; i < e->nitems; i++)
			check_expr(c, e->items[i], sc);
		return &shape_map;
	case EXPR_UNARY:
		if (e->op == OP_NOT)
			regex_condition(c, e->a, sc);
		s = check_expr(c, e->a, sc);
		if (e->op == OP_NOT)
			return &shape_bool;
		return s->kind == SHAPE_INT || s->kind == SHAPE_FLOAT ? s : &shape_number;
	case EXPR_BINARY:
		return check_binary(c, e, sc);
	case EXPR_CALL:
		return check_call(c, e, sc);
	case EXPR_INDEX:
		s = check_expr(c, e->a, sc);
		check_expr(c, e->b, sc);
		if (s->kind == SHAPE_TUPLE && e->b->kind == EXPR_INT) {
			if (e->b->i >= 0 && e->b->i < s->n)
				return s->items[e->b->i];
			return &shape_null;	/* a missing index is null */
		}
		if (s->kind == SHAPE_LIST)
			return s->elem;
		return &shape_any;
	case EXPR_FIELD:
		check_expr(c, e->a, sc);
		return &shape_any;
	case EXPR_IF:
		regex_condition(c, e->a, sc);
		check_expr(c, e->a, sc);
		return shape_join(c, check_expr(c, e->b, sc), check_expr(c, e->c, sc));
	case EXPR_LAMBDA:
		ERR(c, e->span, "a lambda is only allowed as the argument of a stage");
		return &shape_any;
	case EXPR_NAMED:
		ERR(c, e->span, "a named value (%s=...) belongs in a function's arguments", e->s);
		return &shape_any;
	}
	return &shape_any;
}

/*
 * An expression of one element: "_ + 1", or a lambda "x => x + 1".  A
 * condition (filter's) may be a regex alone, which tests the element.
 */
static struct shape *
check_element_fn(struct checker *c, struct expr *e, struct shape *elem, int condition)
{
	struct scope sc = { NULL, 0, NULL, NULL };

	if (e->kind != EXPR_LAMBDA) {
		sc.elem = elem;
		if (condition)
			regex_condition(c, e, &sc);
		return check_expr(c, e, &sc);
	}
	sc.in_lambda = 1;
	check_param_names(c, e->items, e->nitems);
	if (e->nitems == 1) {
		bind_pattern(c, &sc, e->items[0], elem, e);
		if (e->items[0]->kind == EXPR_NAME)
			sc.param = e->items[0];
	} else {
		struct expr tuple = *e;
		tuple.kind = EXPR_TUPLE;
		bind_pattern(c, &sc, &tuple, elem, e);
	}
	if (condition)
		regex_condition(c, e->a, &sc);
	return check_expr(c, e->a, &sc);
}

/* A lambda of two parameters, with their shapes; the body's shape. */
static struct shape *
check_lambda2(struct checker *c, const char *what, struct expr *e,
    struct shape *s1, struct shape *s2)
{
	struct scope sc = { NULL, 1, NULL, NULL };

	if (e->kind != EXPR_LAMBDA || e->nitems != 2) {
		ERR(c, e->span, "%s takes a lambda of two parameters, such as (a, b) => a + b", what);
		if (e->kind == EXPR_LAMBDA)
			return &shape_any;
		return &shape_any;
	}
	check_param_names(c, e->items, e->nitems);
	bind_pattern(c, &sc, e->items[0], s1, e);
	bind_pattern(c, &sc, e->items[1], s2, e);
	return check_expr(c, e->a, &sc);
}

/* Is e made of literals alone (for batches and tables)? */
static int
is_constant(struct checker *c, struct expr *e)
{
	switch (e->kind) {
	case EXPR_NULL: case EXPR_BOOL: case EXPR_INT: case EXPR_FLOAT:
	case EXPR_STRING: case EXPR_DURATION: case EXPR_SIZE:
		return 1;
	case EXPR_PARAM:
		return 1;
	case EXPR_TUPLE: case EXPR_LIST: case EXPR_MAP:
		for (int i = 0; i < e->nitems; i++)
			if (!is_constant(c, e->items[i]))
				return 0;
		return 1;
	case EXPR_UNARY:
		return e->op == OP_NEG && is_constant(c, e->a);
	case EXPR_BINARY:
		return e->op == OP_COALESCE && is_constant(c, e->a) && is_constant(c, e->b);
	default:
		return 0;
	}
}

/* ---- arguments ---- */

static const char *
choice_list(struct checker *c, const char *choices)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = choices, *bar;
	int first = 1;

	while (p != NULL && *p != '\0') {
		bar = strchr(p, '|');
		size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (!first)
			strbuf_adds(&sb, bar == NULL ? " or " : ", ");
		strbuf_add(&sb, p, len);
		first = 0;
		p = bar != NULL ? bar + 1 : NULL;
	}
	const char *s = arena_strdup(c->a, strbuf_str(&sb));
	strbuf_release(&sb);
	return s;
}

static int
choice_has(const char *choices, const char *word)
{
	size_t n = strlen(word);
	const char *p = choices;

	while (p != NULL) {
		const char *bar = strchr(p, '|');
		size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (len == n && memcmp(p, word, n) == 0)
			return 1;
		p = bar != NULL ? bar + 1 : NULL;
	}
	return 0;
}

static const char *
choice_suggest(struct checker *c, const char *choices, const char *word)
{
	const char *cands[16];
	int n = 0;
	char *copy = arena_strdup(c->a, choices), *save = NULL;

	for (char *t = strtok_r(copy, "|", &save); t != NULL && n < 16;
	    t = strtok_r(NULL, "|", &save))
		cands[n++] = t;
	return suggest(word, cands, n);
}

/*
 * How messages name an argument: "batch" for an op's only argument,
 * "socket port" for one of several, "files existing=" for an option,
 * "window slide" for a clause.
 */
static const char *
what_of(const struct op_desc *d, const char *name, int is_clause, char *buf, size_t size)
{
	int npos = 0, named = 0;

	for (int i = 0; i < OP_MAX_ARGS && d->args[i].name != NULL; i++) {
		if (!d->args[i].named)
			npos++;
		if (strcmp(d->args[i].name, name) == 0 && d->args[i].named)
			named = 1;
	}
	if (is_clause)
		snprintf(buf, size, "%s %s", d->name, name);
	else if (named)
		snprintf(buf, size, "%s %s=", d->name, name);
	else if (npos == 1)
		snprintf(buf, size, "%s", d->name);
	else
		snprintf(buf, size, "%s %s", d->name, name);
	return buf;
}

/*
 * Check one argument or clause value against its kind and store it.
 * owner names the stage for messages; name the argument.
 */
static void
check_value(struct checker *c, struct stage *st, const char *name, int is_clause,
    enum arg_kind kind, const char *choices, struct expr *e, struct argval *out)
{
	struct cval v;
	char what[96];
	const char *owner = st->desc->name;

	out->present = 1;
	out->span = e->span;
	what_of(st->desc, name, is_clause, what, sizeof what);
	switch (kind) {
	case ARG_NONE:
		return;
	case ARG_DURATION:
		v = const_eval(c, e, 0);
		if (v.k == CV_STRING && v.from_param && number_parse_duration(v.s, &v.i) == 0)
			v.k = CV_DURATION;
		if (v.k == CV_NULL && e->kind == EXPR_PARAM)
			return;
		if (v.k != CV_DURATION) {
			ERR(c, e->span, "%s needs a duration such as 2s or 500ms", what);
			return;
		}
		if (v.i <= 0) {
			ERR(c, e->span, "%s must be longer than 0ms", what);
			return;
		}
		out->i = v.i;
		return;
	case ARG_SIZE:
		v = const_eval(c, e, 0);
		if (v.k == CV_STRING && v.from_param && number_parse_size(v.s, &v.i) == 0)
			v.k = CV_SIZE;
		if (v.k == CV_NULL && e->kind == EXPR_PARAM)
			return;
		if (v.k != CV_SIZE) {
			ERR(c, e->span, "%s needs a size such as 64MiB", what);
			return;
		}
		if (v.i <= 0) {
			ERR(c, e->span, "%s must be larger than 0B", what);
			return;
		}
		out->i = v.i;
		return;
	case ARG_COUNT:
		v = const_eval(c, e, 0);
		if (v.k == CV_NULL && e->kind == EXPR_PARAM)
			return;
		if (v.k != CV_INT || v.i < 1) {
			ERR(c, e->span, "%s needs a whole number of at least 1", what);
			return;
		}
		out->i = v.i;
		return;
	case ARG_STRING: case ARG_SECRET:
		if (kind == ARG_SECRET)
			diags_hide(c->d, e->span);
		v = const_eval(c, e, 0);
		if (v.k == CV_NULL && e->kind == EXPR_PARAM)
			return;
		if (v.k != CV_STRING) {
			ERR(c, e->span, "%s needs a string", what);
			return;
		}
		/* the source line under a message never shows a password */
		if (kind == ARG_STRING && plan_string_secret(v.s))
			diags_hide(c->d, e->span);
		out->s = v.s;
		return;
	case ARG_BOOL:
		v = const_eval(c, e, 0);
		if (v.k == CV_NULL && e->kind == EXPR_PARAM)
			return;
		if (v.k != CV_BOOL) {
			ERR(c, e->span, "%s needs true or false", what);
			return;
		}
		out->i = v.i;
		return;
	case ARG_PORT:
		v = const_eval(c, e, 0);
		if (v.k == CV_NULL && e->kind == EXPR_PARAM)
			return;
		if (v.k != CV_INT || v.i < 1 || v.i > 65535) {
			ERR(c, e->span, "%s needs a port number from 1 to 65535", what);
			return;
		}
		out->i = v.i;
		return;
	case ARG_ENDPOINT: {
		const char *colon;
		char *end;
		long port;

		v = const_eval(c, e, 0);
		if (v.k == CV_NULL && e->kind == EXPR_PARAM)
			return;
		if (v.k == CV_INT && v.i >= 1 && v.i <= 65535) {
			out->i = v.i;
			out->s = "127.0.0.1";
			return;
		}
		if (v.k == CV_STRING && (colon = strrchr(v.s, ':')) != NULL &&
		    colon != v.s) {
			port = strtol(colon + 1, &end, 10);
			if (*end == '\0' && colon[1] != '\0' && port >= 1 && port <= 65535) {
				out->i = port;
				out->s = arena_strndup(c->a, v.s, (size_t)(colon - v.s));
				return;
			}
		}
		ERR(c, e->span, "%s needs a port number or \"ADDRESS:PORT\"", what);
		return;
	}
	case ARG_ELEMENT:
		out->e = e;
		return;
	case ARG_REDUCER:
	case ARG_UPDATER:
		out->e = e;
		if (e->kind == EXPR_NAME) {
			static const char *const names[] = {
				"sum", "count", "min", "max", "avg", "first", "last" };
			out->reducer = catalog_reducer(e->s);
			if (out->reducer == REDUCER_NONE) {
				const char *s = suggest(e->s, names, 7);
				if (s != NULL)
					ERR(c, e->span, "unknown reducer '%s' (did you mean '%s'?)", e->s, s);
				else
					ERR(c, e->span, "unknown reducer '%s' (reducers: sum, count, min, max, avg, first, last, or a lambda)", e->s);
			}
			return;
		}
		if (e->kind == EXPR_LAMBDA) {
			out->reducer = REDUCER_LAMBDA;
			return;
		}
		ERR(c, e->span, "%s needs a reducer: sum, count, min, max, avg, first, last, or %s",
		    owner, kind == ARG_UPDATER ? "(values, old) => ..." : "(a, b) => ...");
		return;
	case ARG_LAMBDA2:
		out->e = e;
		return;
	case ARG_NAME:
		if (e->kind != EXPR_NAME) {
			ERR(c, e->span, "%s needs a plain name", what);
			return;
		}
		out->s = e->s;
		return;
	case ARG_CHOICE: {
		const char *word = NULL;
		if (e->kind == EXPR_NAME)
			word = e->s;
		else {
			v = const_eval(c, e, 0);
			if (v.k == CV_NULL && e->kind == EXPR_PARAM)
				return;
			if (v.k == CV_STRING)
				word = v.s;
		}
		if (word == NULL || !choice_has(choices, word)) {
			const char *s = word != NULL ? choice_suggest(c, choices, word) : NULL;
			if (!strchr(choices, '|'))
				ERR(c, e->span, "%s takes '%s' here", owner, choices);
			else if (s != NULL)
				ERR(c, e->span, "%s takes %s, not '%s' (did you mean '%s'?)",
				    what, choice_list(c, choices), word, s);
			else
				ERR(c, e->span, "%s takes %s", what, choice_list(c, choices));
			return;
		}
		out->s = word;
		return;
	}
	case ARG_TABLE:
		if (e->kind != EXPR_NAME) {
			ERR(c, e->span, "%s needs the name of a table or let stream", owner);
			return;
		}
		out->s = e->s;
		if ((st->table = find_table(c, e->s)) != NULL)
			return;
		if (find_let(c, e->s) != NULL) {
			st->stream = e->s;
			find_let(c, e->s)->used = 1;
			return;
		}
		{
			const char *cands[128];
			int n = 0;
			struct stmt *later = find_later_definition(c, e->s);
			if (later != NULL) {
				ERR(c, e->span, "%s is defined later (at line %d); define it before using it",
				    e->s, later->span.first_line);
				return;
			}
			if (defined_by_broken(c, e->s))
				return;
			for (int i = 0; i < c->plan->ntables && n < 64; i++)
				cands[n++] = c->plan->tables[i]->name;
			for (int i = 0; i < c->plan->npipelines && n < 128; i++)
				if (c->plan->pipelines[i]->kind == PIPELINE_LET)
					cands[n++] = c->plan->pipelines[i]->name;
			err_suggest(c, e->span, "table or stream", e->s, cands, n);
		}
		return;
	case ARG_STREAMS:
	case ARG_BATCH_LISTS:
		return;		/* handled by the sources */
	}
}

/* The argument expressions of a segment, positional and named. */
static void
segment_args(struct checker *c, struct segment *seg, const struct op_desc *d,
    struct expr ***args, int *nargs)
{
	enum arg_kind k0 = d->args[0].kind;
	int takes_expr = k0 == ARG_ELEMENT || k0 == ARG_REDUCER || k0 == ARG_UPDATER;

	*args = NULL;
	*nargs = 0;
	if (seg->form == SEG_CALL) {
		*args = seg->args;
		*nargs = seg->nargs;
		if (takes_expr && seg->nargs > 1) {
			ERR(c, seg->span, "%s takes one expression; for a tuple, put a space before it: %s (a, b)",
			    d->name, d->name);
			*nargs = 1;
		}
		return;
	}
	if (seg->arg == NULL)
		return;
	if (!takes_expr && seg->arg->kind == EXPR_TUPLE &&
	    (d->args[1].name != NULL || (d->flags & OPF_VARIADIC))) {
		*args = seg->arg->items;
		*nargs = seg->arg->nitems;
		return;
	}
	*args = arena_alloc(c->a, sizeof **args);
	(*args)[0] = seg->arg;
	*nargs = 1;
}

static int
count_positional(struct expr **args, int n)
{
	int k = 0;

	for (int i = 0; i < n; i++)
		k += args[i]->kind != EXPR_NAMED;
	return k;
}

static int
desc_nargs(const struct op_desc *d, int named)
{
	int n = 0;
	for (int i = 0; i < OP_MAX_ARGS && d->args[i].name != NULL; i++)
		if (d->args[i].named == named)
			n++;
	return n;
}

/* Match a segment's arguments and clauses to its descriptor and check them. */
static void
check_args_and_clauses(struct checker *c, struct stage *st)
{
	const struct op_desc *d = st->desc;
	struct segment *seg = st->seg;
	struct expr **args;
	int nargs, npos = 0, maxpos = desc_nargs(d, 0), i, j;

	segment_args(c, seg, d, &args, &nargs);
	for (i = 0; i < nargs; i++) {
		struct expr *a = args[i];
		if (a->kind == EXPR_NAMED) {
			for (j = 0; j < OP_MAX_ARGS && d->args[j].name != NULL; j++)
				if (strcmp(d->args[j].name, a->s) == 0)
					break;
			if (j == OP_MAX_ARGS || d->args[j].name == NULL) {
				const char *cands[OP_MAX_ARGS];
				int n = 0;
				for (j = 0; j < OP_MAX_ARGS && d->args[j].name != NULL; j++)
					cands[n++] = d->args[j].name;
				const char *s = suggest(a->s, cands, n);
				if (s != NULL)
					ERR(c, a->span, "%s has no option '%s' (did you mean '%s'?)", d->name, a->s, s);
				else if (desc_nargs(d, 1) > 0) {
					struct strbuf sb = STRBUF_INIT;
					for (j = 0; j < OP_MAX_ARGS && d->args[j].name != NULL; j++)
						if (d->args[j].named)
							strbuf_addf(&sb, "%s%s=", sb.len ? ", " : "", d->args[j].name);
					ERR(c, a->span, "%s has no option '%s' (options: %s)", d->name, a->s, strbuf_str(&sb));
					strbuf_release(&sb);
				} else
					ERR(c, a->span, "%s takes no named arguments", d->name);
				continue;
			}
			if (st->args[j].present) {
				ERR(c, a->span, "%s is given twice", a->s);
				continue;
			}
			check_value(c, st, d->args[j].name, 0, d->args[j].kind,
			    d->args[j].choices, a->a, &st->args[j]);
			continue;
		}
		if (npos >= maxpos && !((d->flags & OPF_VARIADIC) && maxpos > 0)) {
			if (maxpos == 0)
				ERR(c, a->span, "%s takes no arguments", d->name);
			else
				ERR(c, a->span, "%s takes %d argument%s, got %d", d->name, maxpos,
				    maxpos == 1 ? "" : "s", count_positional(args, nargs));
			break;
		}
		if (npos >= maxpos) {
			npos++;
			continue;	/* variadic: the source checks the rest */
		}
		/* Positional arguments come first in the descriptor. */
		j = npos;
		if (st->args[j].present) {
			ERR(c, a->span, "%s is given twice", d->args[j].name);
			npos++;
			continue;
		}
		check_value(c, st, d->args[j].name, 0, d->args[j].kind,
		    d->args[j].choices, a, &st->args[j]);
		npos++;
	}
	for (j = 0; j < OP_MAX_ARGS && d->args[j].name != NULL; j++) {
		if (d->args[j].required && !st->args[j].present) {
			if (d->args[j].kind == ARG_ELEMENT)
				ERR(c, seg->head_span, "%s needs an expression", d->name);
			else if (d->args[j].kind == ARG_REDUCER || d->args[j].kind == ARG_UPDATER)
				ERR(c, seg->head_span, "%s needs a reducer: sum, count, min, max, avg, first, last, or a lambda", d->name);
			else
				ERR(c, seg->head_span, "%s needs its %s argument", d->name, d->args[j].name);
			break;
		}
	}

	/* Clauses. */
	for (i = 0; i < seg->nclauses; i++) {
		struct clause *cl = seg->clauses[i];
		for (j = 0; j < OP_MAX_CLAUSES && d->clauses[j].word != NULL; j++)
			if (strcmp(d->clauses[j].word, cl->word) == 0)
				break;
		if (j == 5 || d->clauses[j].word == NULL) {
			const char *cands[OP_MAX_CLAUSES];
			int n = 0;
			for (int k = 0; k < OP_MAX_CLAUSES && d->clauses[k].word != NULL; k++)
				cands[n++] = d->clauses[k].word;
			const char *s = suggest(cl->word, cands, n);
			if (n == 0)
				ERR(c, cl->span, "unexpected word '%s' after %s", cl->word, d->name);
			else if (s != NULL)
				ERR(c, cl->span, "%s has no clause '%s' (did you mean '%s'?)", d->name, cl->word, s);
			else {
				struct strbuf sb = STRBUF_INIT;
				for (int k = 0; k < n; k++)
					strbuf_addf(&sb, "%s%s", k ? ", " : "", cands[k]);
				ERR(c, cl->span, "%s has no clause '%s' (it takes %s)", d->name, cl->word, strbuf_str(&sb));
				strbuf_release(&sb);
			}
			continue;
		}
		if (st->clauses[j].present) {
			ERR(c, cl->span, "%s is given twice", cl->word);
			continue;
		}
		if (d->clauses[j].kind == ARG_NONE) {
			if (cl->arg != NULL)
				ERR(c, cl->arg->span, "%s takes no argument", cl->word);
			st->clauses[j].present = 1;
			st->clauses[j].span = cl->span;
			continue;
		}
		if (cl->arg == NULL) {
			ERR(c, cl->span, "%s needs %s", cl->word,
			    d->clauses[j].kind == ARG_DURATION ? "a duration" :
			    d->clauses[j].kind == ARG_NAME ? "a name" :
			    d->clauses[j].kind == ARG_STRING ? "a string" :
			    d->clauses[j].kind == ARG_CHOICE ? choice_list(c, d->clauses[j].choices) :
			    "an expression");
			continue;
		}
		check_value(c, st, cl->word, 1, d->clauses[j].kind,
		    d->clauses[j].choices, cl->arg, &st->clauses[j]);
		st->clauses[j].span = cl->span;
	}
}

static struct argval *
clause_of(struct stage *st, const char *word)
{
	for (int j = 0; j < OP_MAX_CLAUSES && st->desc->clauses[j].word != NULL; j++)
		if (strcmp(st->desc->clauses[j].word, word) == 0)
			return st->clauses[j].present ? &st->clauses[j] : NULL;
	return NULL;
}

static struct stage *
stage_new(struct checker *c, struct segment *seg, const struct op_desc *d)
{
	struct stage *st = arena_zalloc(c->a, sizeof *st);
	st->desc = d;
	st->seg = seg;
	st->span = seg->span;
	st->in = &shape_any;
	st->out = &shape_any;
	return st;
}

/* ---- settings ---- */

static void
check_setting(struct checker *c, struct segment *seg, const struct op_desc *d)
{
	struct stage *st = stage_new(c, seg, d);
	struct settings *s = &c->plan->settings;
	struct argval *v;

	if (c->setting_seen[d->op]) {
		ERR(c, seg->head_span, "%s is set twice (first at line %d)", d->name,
		    c->setting_span[d->op].first_line);
		return;
	}
	c->setting_seen[d->op] = 1;
	c->setting_span[d->op] = seg->span;
	check_args_and_clauses(c, st);
	switch (d->op) {
	case OP_BATCH:
		if (st->args[0].i > 0)
			s->batch_ms = st->args[0].i;
		break;
	case OP_BLOCK:
		if (st->args[0].i > 0)
			s->block_ms = st->args[0].i;
		break;
	case OP_CHECKPOINT:
		if (st->args[0].s != NULL)
			s->checkpoint = st->args[0].s;
		if ((v = clause_of(st, "every")) != NULL)
			s->checkpoint_every_ms = v->i;
		break;
	case OP_PARALLELISM:
		if (st->args[0].i > MAX_PARALLELISM)
			ERR(c, st->args[0].span, "parallelism is at most %d", MAX_PARALLELISM);
		else if (st->args[0].i > 0) {
			s->parallelism = st->args[0].i;
			s->parallelism_set = 1;
		}
		break;
	case OP_BUFFER:
		if (st->args[0].i > 0)
			s->buffer_bytes = st->args[0].i;
		break;
	case OP_GUARANTEE:
		c->guarantee_span = seg->span;
		if (st->args[0].s == NULL)
			break;
		s->guarantee = strcmp(st->args[0].s, "exactly-once") == 0 ? GUARANTEE_EXACTLY_ONCE :
		    strcmp(st->args[0].s, "at-least-once") == 0 ? GUARANTEE_AT_LEAST_ONCE :
		    GUARANTEE_AT_MOST_ONCE;
		break;
	case OP_ON: {
		int n = 0;
		if (clause_of(st, "skip") != NULL) {
			s->on_error = ON_ERROR_SKIP;
			n++;
		}
		if (clause_of(st, "fail") != NULL) {
			s->on_error = ON_ERROR_FAIL;
			n++;
		}
		if ((v = clause_of(st, "write")) != NULL) {
			s->on_error = ON_ERROR_WRITE;
			s->error_path = v->s;
			n++;
		}
		if (n == 0 && seg->nclauses == 0)
			ERR(c, seg->span, "on error needs skip, fail or write \"PATH\"");
		else if (n > 1)
			ERR(c, seg->span, "on error takes one of skip, fail or write \"PATH\"");
		break;
	}
	default:
		break;
	}
}

/* Does st give its elements in the order they came in? */
static int
keeps_order(const struct stage *st)
{
	const struct op_desc *d = st->desc;

	if (d == NULL || !(d->flags & OPF_BATCH))
		return 1;
	return (d->op == OP_JOIN || d->op == OP_LEFTJOIN || d->op == OP_EXCEPT) &&
	    st->table != NULL;
}

/*
 * Carry what is known of the order of elements from prev to st: the
 * timestamp stage upstream, the last batch stage upstream (whose output has
 * no arrival order) and an event-time window upstream.
 */
static void
track_order(struct stage *st, const struct stage *prev)
{
	st->event_time = prev->event_time;
	st->unordered = prev->unordered;
	st->evt_window = prev->evt_window;
	if (st->desc == NULL)
		return;
	if (st->desc->op == OP_TIMESTAMP)
		st->event_time = st;
	if (st->desc->op == OP_WINDOW && prev->event_time != NULL &&
	    prev->evt_window == NULL)
		st->evt_window = st;
	if (!keeps_order(st))
		st->unordered = st;
}

/* ---- sources ---- */

static struct stage *check_source_segment(struct checker *, struct segment *);

/* A source written as an expression inside union(...). */
static struct stage *
check_source_expr(struct checker *c, struct expr *e)
{
	struct segment *seg = arena_zalloc(c->a, sizeof *seg);

	seg->span = e->span;
	seg->head_span = e->span;
	if (e->kind == EXPR_NAME) {
		seg->form = SEG_WORD;
		seg->head = e->s;
	} else if (e->kind == EXPR_CALL && !e->method) {
		seg->form = SEG_CALL;
		seg->head = e->s;
		seg->args = e->items;
		seg->nargs = e->nitems;
	} else {
		ERR(c, e->span, "union takes let streams and sources");
		return NULL;
	}
	return check_source_segment(c, seg);
}

static void
check_batches(struct checker *c, struct stage *st)
{
	struct expr **args;
	int nargs;
	struct shape *elem = NULL;
	struct scope sc = { NULL, 0, NULL, NULL };

	segment_args(c, st->seg, st->desc, &args, &nargs);
	st->args[0].present = 1;
	st->args[0].items = args;
	st->args[0].nitems = nargs;
	for (int i = 0; i < nargs; i++) {
		struct expr *l = args[i];
		if (l->kind != EXPR_LIST) {
			ERR(c, l->span, "batches takes lists, one per batch: batches([\"a\", \"b\"], [\"c\"])");
			continue;
		}
		for (int j = 0; j < l->nitems; j++) {
			if (!is_constant(c, l->items[j])) {
				ERR(c, l->items[j]->span, "batches holds constants only");
				continue;
			}
			elem = shape_join(c, elem, check_expr(c, l->items[j], &sc));
		}
	}
	st->out = elem != NULL ? elem : &shape_any;
}

static struct stage *
check_source_segment(struct checker *c, struct segment *seg)
{
	const struct op_desc *d = catalog_find(seg->head, ROLE_SOURCE);
	struct pipeline *let;
	struct stage *st;

	if (seg->form == SEG_LIST) {
		ERR(c, seg->span, "a pipeline starts with a source, such as stdin");
		return NULL;
	}
	if (d == NULL && (let = find_let(c, seg->head)) != NULL) {
		if (seg->form != SEG_WORD || seg->arg != NULL || seg->nclauses > 0) {
			ERR(c, seg->span, "%s is a let stream and takes no arguments", seg->head);
			return NULL;
		}
		st = stage_new(c, seg, NULL);
		st->ref = seg->head;
		st->out = let->nstages > 0 ? let->stages[let->nstages - 1]->out : &shape_any;
		if (let->nstages > 0)
			track_order(st, let->stages[let->nstages - 1]);
		let->used = 1;
		return st;
	}
	if (d == NULL) {
		const struct op_desc *other = catalog_find_any(seg->head);
		struct stmt *later;
		if (find_table(c, seg->head) != NULL) {
			ERR(c, seg->head_span, "%s is a table; tables are used with join, leftJoin, except and in",
			    seg->head);
		} else if ((later = find_later_definition(c, seg->head)) != NULL) {
			ERR(c, seg->head_span, "%s is defined later (at line %d); define it before using it",
			    seg->head, later->span.first_line);
		} else if (c->defining != NULL && strcmp(c->defining, seg->head) == 0) {
			ERR(c, seg->head_span, "a let stream cannot read itself");
		} else if (defined_by_broken(c, seg->head)) {
			/* said already: its definition has a syntax error */
		} else if (other != NULL) {
			ERR(c, seg->head_span, "a pipeline starts with a source, not the %s %s",
			    catalog_role_name(other->role), seg->head);
		} else if (c->single_segment) {
			int n, m;
			const char **src = role_names(c, ROLE_SOURCE, 0, &n);
			const char **set = role_names(c, ROLE_SETTING, 0, &m);
			const char **all = arena_alloc(c->a, (size_t)(n + m + 2) * sizeof *all);
			memcpy(all, src, (size_t)n * sizeof *all);
			memcpy(all + n, set, (size_t)m * sizeof *all);
			all[n + m] = "let";
			all[n + m + 1] = "table";
			err_suggest(c, seg->head_span, "statement or source", seg->head, all, n + m + 2);
		} else {
			int n, total;
			const char **cands = role_names(c, ROLE_SOURCE, 0, &n);
			const char **all = arena_alloc(c->a, (size_t)(n + c->plan->npipelines + 1) * sizeof *all);
			memcpy(all, cands, (size_t)n * sizeof *all);
			total = n;
			for (int i = 0; i < c->plan->npipelines; i++)
				if (c->plan->pipelines[i]->kind == PIPELINE_LET)
					all[total++] = c->plan->pipelines[i]->name;
			err_suggest(c, seg->head_span, "source", seg->head, all, total);
		}
		return NULL;
	}
	st = stage_new(c, seg, d);
	st->out = &shape_string;
	if (d->op == OP_BATCHES) {
		check_batches(c, st);
		if (seg->nclauses > 0)
			ERR(c, seg->clauses[0]->span, "unexpected word '%s' after batches", seg->clauses[0]->word);
		return st;
	}
	if (d->op == OP_UNION) {
		struct expr **args;
		int nargs;
		struct shape *out = NULL;
		segment_args(c, seg, d, &args, &nargs);
		if (nargs < 2)
			ERR(c, seg->span, "union needs two or more streams");
		for (int i = 0; i < nargs; i++) {
			struct stage *in = check_source_expr(c, args[i]);
			if (in == NULL) {
				out = &shape_any;
				continue;
			}
			arena_push(c->a, (void ***)&st->args[0].streams, &st->args[0].nstreams, in);
			out = shape_join(c, out, in->out);
			/* Its output is in no event time, and in arrival order
			 * only when each stream's is. */
			if (st->unordered == NULL)
				st->unordered = in->unordered;
			if (st->evt_window == NULL)
				st->evt_window = in->evt_window;
		}
		st->args[0].present = 1;
		st->out = out != NULL ? out : &shape_any;
		return st;
	}
	check_args_and_clauses(c, st);
	/* meta=true: a source's records are maps of the record and where
	 * it was read (kafka's key, value, partition, offset, timestamp) */
	for (int i = 0; i < OP_MAX_ARGS && d->args[i].name != NULL; i++)
		if (strcmp(d->args[i].name, "meta") == 0 && st->args[i].present && st->args[i].i)
			st->out = &shape_map;
	if ((d->flags & OPF_NETWORK) && c->opt->once)
		ERR(c, seg->head_span, "%s never ends, so it cannot run with --once", d->name);
	return st;
}

/* ---- stages and sinks ---- */

static struct shape *
reducer_shape(struct checker *c, struct argval *r, struct shape *value, const char *owner)
{
	switch (r->reducer) {
	case REDUCER_SUM:
		return value->kind == SHAPE_INT ? &shape_int : &shape_number;
	case REDUCER_COUNT:
		return &shape_int;
	case REDUCER_AVG:
		return &shape_float;
	case REDUCER_MIN: case REDUCER_MAX: case REDUCER_FIRST: case REDUCER_LAST:
		return value;
	case REDUCER_LAMBDA:
		return check_lambda2(c, owner, r->e, value, value);
	default:
		return &shape_any;
	}
}

static void
check_stage_shapes(struct checker *c, struct stage *st, struct stage *prev)
{
	const struct op_desc *d = st->desc;
	struct shape *in = st->in, *key = &shape_any, *val = &shape_any;
	struct argval *a0 = &st->args[0], *v;
	char buf[32];

	if ((d->flags & OPF_PAIRS) && shape_not_pair(in)) {
		ERR(c, st->seg->head_span,
		    "%s needs (key, value) pairs, but its input elements are %s; make pairs first, e.g. map (_, 1)",
		    d->name, shape_describe(in, buf, sizeof buf));
		in = &shape_any;
	}
	if (in->kind == SHAPE_TUPLE && in->n == 2) {
		key = in->items[0];
		val = in->items[1];
	}
	st->out = in;
	switch (d->op) {
	case OP_MAP:
		if (a0->e != NULL)
			st->out = check_element_fn(c, a0->e, in, 0);
		break;
	case OP_FLATMAP:
		if (a0->e != NULL) {
			struct shape *s = check_element_fn(c, a0->e, in, 0);
			st->out = s->kind == SHAPE_LIST ? s->elem :
			    s->kind == SHAPE_NULL ? &shape_any : s;
		}
		break;
	case OP_FILTER:
	case OP_TIMESTAMP:
		if (a0->e != NULL)
			check_element_fn(c, a0->e, in, d->op == OP_FILTER);
		break;
	case OP_MAPVALUES:
		if (a0->e != NULL)
			st->out = shape_pair(c, key, check_element_fn(c, a0->e, val, 0));
		break;
	case OP_REDUCEBYKEY:
		st->out = shape_pair(c, key, reducer_shape(c, a0, val, d->name));
		break;
	case OP_REDUCE:
		st->out = reducer_shape(c, a0, in, d->name);
		break;
	case OP_GROUPBYKEY:
		st->out = shape_pair(c, key, shape_list(c, val));
		break;
	case OP_COUNTBYVALUE:
		st->out = shape_pair(c, in, &shape_int);
		break;
	case OP_COUNT:
		st->out = &shape_int;
		break;
	case OP_SORT:
	case OP_TOP:
		if ((v = clause_of(st, "by")) != NULL && v->e != NULL)
			check_element_fn(c, v->e, in, 0);
		if (clause_of(st, "desc") != NULL && clause_of(st, "asc") != NULL)
			ERR(c, clause_of(st, "asc")->span, "sort takes desc or asc, not both");
		st->descending = clause_of(st, "desc") != NULL;
		break;
	case OP_JOIN:
	case OP_LEFTJOIN: {
		struct shape *t = &shape_any, *k = in, *vv = NULL;
		if (st->table != NULL && !st->table->is_map && st->table->path == NULL &&
		    st->table->store == NULL)
			t = d->op == OP_JOIN ? &shape_bool : &shape_any;
		if (in->kind == SHAPE_TUPLE && in->n == 2) {
			k = key;
			vv = val;
		}
		if (in->kind == SHAPE_ANY)
			st->out = shape_pair(c, &shape_any, &shape_any);
		else if (vv != NULL)
			st->out = shape_pair(c, k, shape_pair(c, vv, t));
		else
			st->out = shape_pair(c, k, t);
		break;
	}
	case OP_STATE:
		if (a0->reducer == REDUCER_LAMBDA) {
			struct scope sc = { NULL, 1, NULL, NULL };
			struct expr *e = a0->e;
			if (e->nitems != 2) {
				ERR(c, e->span, "state takes a lambda of two parameters: (values, old) => ...");
				break;
			}
			check_param_names(c, e->items, e->nitems);
			bind_pattern(c, &sc, e->items[0], shape_list(c, val), e);
			bind_pattern(c, &sc, e->items[1], &shape_any, e);
			st->out = shape_pair(c, key, check_expr(c, e->a, &sc));
		} else
			st->out = shape_pair(c, key, reducer_shape(c, a0, val, d->name));
		if ((v = clause_of(st, "emit")) != NULL && v->s != NULL)
			st->emit = strcmp(v->s, "changed") == 0 ? EMIT_CHANGED :
			    strcmp(v->s, "final") == 0 ? EMIT_FINAL : EMIT_ALL;
		break;
	default:
		break;
	}

	/* inverse: a lambda reducer's, right after a window. */
	if ((v = clause_of(st, "inverse")) != NULL && v->e != NULL) {
		if (a0->reducer != REDUCER_LAMBDA && catalog_reducer_invertible(a0->reducer))
			ERR(c, v->span, "inverse is for lambda reducers; %s has its own",
			    catalog_reducer_name(a0->reducer));
		else if (a0->reducer != REDUCER_LAMBDA)
			ERR(c, v->span, "inverse is for lambda reducers; a window combines %s's per-batch results instead",
			    catalog_reducer_name(a0->reducer));
		else if (prev == NULL || prev->desc == NULL || prev->desc->op != OP_WINDOW)
			ERR(c, v->span, "inverse applies only to a reducer right after window");
		check_lambda2(c, "inverse", v->e, d->op == OP_REDUCE ? in : val,
		    d->op == OP_REDUCE ? in : val);
	}
}

static void
check_window(struct checker *c, struct stage *st)
{
	int64_t batch = c->plan->settings.batch_ms;
	char b1[32], b2[32];
	struct argval *slide = clause_of(st, "slide");

	if (c->setting_broken[OP_BATCH])
		return;		/* the batch interval is not known */
	if (st->args[0].i > 0 && st->args[0].i % batch != 0) {
		number_format_duration(b1, sizeof b1, st->args[0].i);
		number_format_duration(b2, sizeof b2, batch);
		ERR(c, st->args[0].span, "window length %s is not a multiple of the batch interval %s", b1, b2);
	}
	if (slide != NULL && slide->i > 0 && slide->i % batch != 0) {
		number_format_duration(b1, sizeof b1, slide->i);
		number_format_duration(b2, sizeof b2, batch);
		ERR(c, slide->span, "window slide %s is not a multiple of the batch interval %s", b1, b2);
	}
}

/*
 * The watermark of an event-time window advances in the order records
 * arrived, so every stage between the source and the window must keep
 * that order: after a batch stage, which windows close and what they hold
 * would depend on -j.  Reported at the timestamp stage.
 */
static void
check_event_time(struct checker *c, struct stage *window, const struct stage *in)
{
	const struct stage *ts = in->event_time, *batch = in->unordered;

	if (ts == NULL || batch == NULL || in->evt_window != NULL)
		return;		/* not event time; a later window: run time says */
	ERR(c, ts->seg->head_span,
	    "an event-time window (line %d) cannot come after the batch stage %s (line %d), whose "
	    "output has no arrival order: only element stages (map, flatMap, filter, mapValues, "
	    "join with a table) may come between the source and the window",
	    window->seg->head_span.first_line, batch->desc->name, batch->seg->head_span.first_line);
}

static void
check_named(struct checker *c, struct stage *st)
{
	struct argval *as = clause_of(st, "as");

	if (as == NULL || as->s == NULL)
		return;
	for (int i = 0; i < c->nnamed; i++) {
		struct argval *o = clause_of(c->named[i], "as");
		if (strcmp(o->s, as->s) == 0) {
			ERR(c, as->span, "the name '%s' is already given to a stage at line %d",
			    as->s, c->named[i]->span.first_line);
			return;
		}
	}
	arena_push(c->a, (void ***)&c->named, &c->nnamed, st);
}

/*
 * write's files are PREFIX-<time>.<format>: a prefix with no file name
 * part ("" or "dir/") would make files named "-<time>.tsv".
 */
static void
check_write_prefix(struct checker *c, const struct argval *prefix)
{
	const char *p = prefix->s;
	size_t n;

	if (p == NULL)
		return;
	n = strlen(p);
	if (n == 0)
		ERR(c, prefix->span, "write needs a prefix for its file names, such as \"out/counts\" "
		    "(each batch goes to PREFIX-<batch time>.<format>), not an empty string");
	else if (p[n - 1] == '/')
		ERR(c, prefix->span, "write needs a file name after the directory, such as \"%scounts\" "
		    "(each batch goes to PREFIX-<batch time>.<format>)", p);
}

static void
check_sink(struct checker *c, struct stage *st)
{
	int nformats = 0;

	check_args_and_clauses(c, st);
	if (st->desc->flags & OPF_FORMAT) {
		static const char *const formats[] = { "tsv", "json", "csv" };
		for (int i = 0; i < 3; i++)
			if (clause_of(st, formats[i]) != NULL) {
				st->format = (enum sink_format)i;
				if (++nformats == 2)
					ERR(c, clause_of(st, formats[i])->span,
					    "%s takes one format: tsv, json or csv", st->desc->name);
			}
	}
	if ((st->desc->flags & OPF_PAIRS) && shape_not_pair(st->in)) {
		char buf[32];
		ERR(c, st->seg->head_span,
		    "%s needs (key, value) pairs, but its input elements are %s; make pairs first, e.g. map (_, 1)",
		    st->desc->name, shape_describe(st->in, buf, sizeof buf));
	}
	if (st->desc->op == OP_WRITE)
		check_write_prefix(c, &st->args[0]);
	arena_push(c->a, (void ***)&c->sinks, &c->nsinks, st);
}

static void
err_unknown_stage(struct checker *c, struct segment *seg, int last)
{
	const struct op_desc *other;
	int n;
	const char **cands;
	const char *s;

	if ((other = catalog_find_any(seg->head)) != NULL) {
		if (other->role == ROLE_SOURCE)
			ERR(c, seg->head_span, "%s is a source; it can only start a pipeline", seg->head);
		else if (other->role == ROLE_SETTING)
			ERR(c, seg->head_span, "%s is a statement of its own, not a stage", seg->head);
		return;
	}
	if (seg->form == SEG_LIST) {
		ERR(c, seg->head_span, "a list is not a stage");
		return;
	}
	cands = role_names(c, ROLE_STAGE, last, &n);
	s = suggest(seg->head, cands, n);
	if (s != NULL)
		ERR(c, seg->head_span, "unknown %s '%s' (did you mean '%s'?)",
		    catalog_find(s, ROLE_SINK) != NULL && catalog_find(s, ROLE_STAGE) == NULL ? "sink" : "stage",
		    seg->head, s);
	else
		ERR(c, seg->head_span, "unknown %s '%s'", last ? "stage or sink" : "stage", seg->head);
}

static void
check_pipeline(struct checker *c, struct stmt *stmt, struct pipeline *p)
{
	struct stage *prev, *st;
	int i;

	c->single_segment = stmt->nsegs == 1;
	prev = check_source_segment(c, stmt->segs[0]);
	if (prev == NULL) {
		prev = stage_new(c, stmt->segs[0], NULL);
		prev->ref = "?";
		if (stmt->nsegs == 1)
			return;	/* one error is enough for one word */
	}
	arena_push(c->a, (void ***)&p->stages, &p->nstages, prev);
	for (i = 1; i < stmt->nsegs; i++) {
		struct segment *seg = stmt->segs[i];
		int last = i == stmt->nsegs - 1;
		const struct op_desc *d = catalog_find(seg->head, ROLE_STAGE);
		const struct op_desc *sink = catalog_find(seg->head, ROLE_SINK);

		if (seg->form == SEG_LIST)
			d = sink = NULL;
		if (d == NULL && sink == NULL) {
			err_unknown_stage(c, seg, last);
			st = stage_new(c, seg, NULL);
			st->ref = "?";
			arena_push(c->a, (void ***)&p->stages, &p->nstages, st);
			prev = st;
			continue;
		}
		if (d == NULL) {
			st = stage_new(c, seg, sink);
			st->in = prev->out;
			if (!last)
				ERR(c, seg->head_span, "%s is a sink; it must end the pipeline", sink->name);
			else if (p->kind == PIPELINE_LET)
				ERR(c, seg->head_span, "a let stream has no sink: remove %s, or drop let to make this a pipeline",
				    sink->name);
			check_sink(c, st);
			arena_push(c->a, (void ***)&p->stages, &p->nstages, st);
			prev = st;
			continue;
		}
		st = stage_new(c, seg, d);
		st->in = prev->out;
		check_args_and_clauses(c, st);
		check_stage_shapes(c, st, prev);
		track_order(st, prev);
		if (d->op == OP_WINDOW) {
			check_window(c, st);
			check_event_time(c, st, prev);
		}
		check_named(c, st);
		arena_push(c->a, (void ***)&p->stages, &p->nstages, st);
		prev = st;
	}
	if (p->kind == PIPELINE_OUTPUT &&
	    (prev->desc == NULL || prev->desc->role != ROLE_SINK) && prev->ref == NULL) {
		ERR(c, stmt->segs[stmt->nsegs - 1]->span,
		    "this pipeline has no sink: end it with one, such as | print or | stdout");
	} else if (p->kind == PIPELINE_OUTPUT && stmt->nsegs == 1) {
		ERR(c, stmt->segs[0]->span,
		    "this pipeline has no sink: end it with one, such as | print or | stdout");
	}
}

/* ---- statements ---- */

/* table T = sqlite("PATH", "SELECT ..." [, every=10s]),
 * postgres("CONNINFO", "SELECT ..." [, every=10s]) or
 * redis("URL", "KEY" [, every=10s]). */
static void
check_store_table(struct checker *c, struct table_def *t, struct segment *seg)
{
	int redis = strcmp(seg->head, "redis") == 0;
	int postgres = strcmp(seg->head, "postgres") == 0;
	const char *what[2] = {
		redis ? "the URL" : postgres ? "the connection string" : "the path",
		redis ? "the KEY" : "the query" };
	const char **to[2] = { &t->target, &t->query };
	int npos = 0;

	t->store = seg->head;
	t->every_ms = 10000;
	for (int i = 0; i < seg->nargs; i++) {
		struct expr *a = seg->args[i];
		struct cval v;
		if (a->kind == EXPR_NAMED) {
			if (strcmp(a->s, "every") != 0) {
				ERR(c, a->span, "%s has no option '%s' (options: every=)", seg->head, a->s);
				continue;
			}
			v = const_eval(c, a->a, 0);
			if (v.k == CV_STRING && v.from_param && number_parse_duration(v.s, &v.i) == 0)
				v.k = CV_DURATION;
			if (v.k != CV_DURATION || v.i <= 0)
				ERR(c, a->a->span, "%s's every= needs a duration such as 10s", seg->head);
			else
				t->every_ms = v.i;
			continue;
		}
		if (npos >= 2) {
			ERR(c, a->span, "%s takes 2 arguments, %s and %s", seg->head, what[0], what[1]);
			return;
		}
		v = const_eval(c, a, 0);
		/* the source line under a message never shows a password */
		if (v.k == CV_STRING && plan_string_secret(v.s))
			diags_hide(c->d, a->span);
		if (v.k != CV_STRING)
			ERR(c, a->span, "%s needs a string, %s", seg->head, what[npos]);
		else
			*to[npos] = v.s;
		npos++;
	}
	if (npos < 2)
		ERR(c, seg->span, "%s takes 2 arguments, %s and %s", seg->head, what[0], what[1]);
}

static void
check_table(struct checker *c, struct stmt *stmt)
{
	struct table_def *t = arena_zalloc(c->a, sizeof *t);
	struct segment *seg = stmt->segs[0];

	t->name = stmt->name;
	t->span = stmt->name_span;
	/* Registered even when invalid, so its uses add no more errors. */
	arena_push(c->a, (void ***)&c->plan->tables, &c->plan->ntables, t);
	if (stmt->nsegs > 1) {
		ERR(c, stmt->segs[1]->head_span, "a table is a list, file(\"PATH\"), sqlite(...), postgres(...) or redis(...), not a pipeline");
		return;
	}
	if (seg->form == SEG_LIST) {
		int pairs = 0, singles = 0;
		struct scope sc = { NULL, 0, NULL, NULL };
		t->list = seg->arg;
		for (int i = 0; i < seg->arg->nitems; i++) {
			struct expr *item = seg->arg->items[i];
			if (!is_constant(c, item)) {
				ERR(c, item->span, "a table holds constants only");
				continue;
			}
			check_expr(c, item, &sc);
			if (item->kind == EXPR_TUPLE && item->nitems == 2)
				pairs++;
			else
				singles++;
		}
		if (pairs > 0 && singles > 0)
			ERR(c, seg->span, "table entries must be all (key, value) pairs or all single values");
		t->is_map = pairs > 0;
	} else if (seg->form == SEG_CALL && strcmp(seg->head, "file") == 0) {
		struct cval v;
		if (seg->nargs != 1) {
			ERR(c, seg->span, "file takes 1 argument, the path");
			return;
		}
		v = const_eval(c, seg->args[0], 0);
		if (v.k != CV_STRING) {
			ERR(c, seg->args[0]->span, "file needs a string, the path");
			return;
		}
		t->path = v.s;
	} else if (seg->form == SEG_CALL &&
	    (strcmp(seg->head, "sqlite") == 0 || strcmp(seg->head, "postgres") == 0 ||
	    strcmp(seg->head, "redis") == 0)) {
		check_store_table(c, t, seg);
	} else {
		ERR(c, seg->span, "a table is a list [...], file(\"PATH\"), sqlite(\"PATH\", \"SELECT ...\"), postgres(\"CONNINFO\", \"SELECT ...\") or redis(\"URL\", \"KEY\")");
		return;
	}
}

static int
check_definition_name(struct checker *c, struct stmt *stmt)
{
	const struct op_desc *d = catalog_find(stmt->name, ROLE_SOURCE);

	if (d != NULL) {
		ERR(c, stmt->name_span, "%s is the name of a source; choose another name", stmt->name);
		return 0;
	}
	if (find_table(c, stmt->name) != NULL || find_let(c, stmt->name) != NULL) {
		ERR(c, stmt->name_span, "%s is already defined", stmt->name);
		return 0;
	}
	return 1;
}

static void
check_stmt(struct checker *c, struct stmt *stmt)
{
	struct pipeline *p;
	const struct op_desc *d;

	if (stmt->kind == STMT_ASSIGN) {
		if (strcmp(stmt->head, "table") == 0) {
			if (check_definition_name(c, stmt))
				check_table(c, stmt);
			return;
		}
		if (strcmp(stmt->head, "let") != 0) {
			static const char *const heads[] = { "let", "table" };
			const char *s = suggest(stmt->head, heads, 2);
			if (s != NULL)
				ERR(c, stmt->head_span, "unknown statement '%s' (did you mean '%s'?)", stmt->head, s);
			else
				ERR(c, stmt->head_span, "unknown statement '%s' (NAME = ... follows let or table)", stmt->head);
			return;
		}
		if (!check_definition_name(c, stmt))
			return;
		p = arena_zalloc(c->a, sizeof *p);
		p->kind = PIPELINE_LET;
		p->name = stmt->name;
		p->span = stmt->span;
		c->defining = stmt->name;
		check_pipeline(c, stmt, p);
		c->defining = NULL;
		/* Defined after its own pipeline: a let cannot read itself. */
		arena_push(c->a, (void ***)&c->plan->pipelines, &c->plan->npipelines, p);
		return;
	}
	d = catalog_find(stmt->segs[0]->head, ROLE_SETTING);
	if (d != NULL && stmt->segs[0]->form != SEG_LIST) {
		if (stmt->nsegs > 1)
			ERR(c, stmt->segs[1]->head_span, "%s is a statement of its own, not the start of a pipeline",
			    d->name);
		return;		/* settings were checked first */
	}
	p = arena_zalloc(c->a, sizeof *p);
	p->kind = PIPELINE_OUTPUT;
	p->span = stmt->span;
	check_pipeline(c, stmt, p);
	arena_push(c->a, (void ***)&c->plan->pipelines, &c->plan->npipelines, p);
}

/* The message for a source that cannot replay what it read. */
#define NO_REPLAY "cannot replay what it read, but this script guarantees exactly-once (line %d): " \
	"what arrived in the last block interval before a crash could be lost"

/* socket and listen in the sources of a stage (a union's too). */
static void
check_replayable(struct checker *c, const struct stage *st)
{
	if (st->desc == NULL)
		return;		/* a let stream: checked as its own pipeline */
	if (st->desc->op == OP_UNION) {
		for (int i = 0; i < st->args[0].nstreams; i++)
			check_replayable(c, st->args[0].streams[i]);
		return;
	}
	if (st->desc->op == OP_SOCKET || st->desc->op == OP_LISTEN)
		ERR(c, st->seg->head_span, "%s " NO_REPLAY, st->desc->name,
		    c->guarantee_span.first_line);
}

static void
check_guarantee(struct checker *c)
{
	struct settings *s = &c->plan->settings;
	const char *word = s->guarantee == GUARANTEE_EXACTLY_ONCE ? "exactly-once" : "at-least-once";

	if (s->guarantee == GUARANTEE_NONE || s->guarantee == GUARANTEE_AT_MOST_ONCE)
		return;
	if (s->checkpoint == NULL && !c->setting_broken[OP_CHECKPOINT])
		ERR(c, c->guarantee_span, "guarantee %s needs a checkpoint (add checkpoint \"DIR\" or -c DIR)", word);
	if (s->guarantee != GUARANTEE_EXACTLY_ONCE)
		return;
	for (int i = 0; i < c->nsinks; i++) {
		struct stage *st = c->sinks[i];
		if (!(st->desc->flags & OPF_EXACTLY))
			ERR(c, st->seg->head_span,
			    "%s gives at-least-once, but this script guarantees exactly-once (line %d)",
			    st->desc->name, c->guarantee_span.first_line);
	}
	/* Sources that run: those of pipelines with a sink, and of let
	 * streams they read.  stdin is judged when the job starts. */
	for (int i = 0; i < c->plan->npipelines; i++) {
		struct pipeline *p = c->plan->pipelines[i];
		if ((p->kind == PIPELINE_OUTPUT || p->used) && p->nstages > 0)
			check_replayable(c, p->stages[0]);
	}
}

int
check_guarantee_stdin(const struct plan *plan, int stdin_is_regular, struct diags *d)
{
	const struct stage *st = NULL;

	if (plan->settings.guarantee != GUARANTEE_EXACTLY_ONCE || stdin_is_regular)
		return 0;
	for (int i = 0; i < plan->nnodes && st == NULL; i++)
		if (plan->nodes[i]->op == OP_STDIN)
			st = plan->nodes[i]->stage;
	if (st == NULL)
		return 0;
	for (int i = 0; i < plan->prog->nstmts; i++) {
		const struct stmt *s = plan->prog->stmts[i];
		if (s->kind == STMT_PIPE && s->nsegs > 0 && strcmp(s->segs[0]->head, "guarantee") == 0) {
			diag_error(d, st->seg->head_span,
			    "stdin is not a regular file here and " NO_REPLAY
			    " (give it a file with < FILE, or read the file with files() or tail())",
			    s->span.first_line);
			return -1;
		}
	}
	return 0;
}

static int
count_outputs(const struct plan *plan)
{
	int n = 0;

	for (int i = 0; i < plan->npipelines; i++)
		n += plan->pipelines[i]->kind == PIPELINE_OUTPUT;
	return n;
}

int
check_program(struct plan *plan, const struct job_options *opt, struct diags *d)
{
	struct checker c = { 0 };
	struct settings *s = &plan->settings;
	struct program *prog = plan->prog;
	int before = diags_count(d);
	char b1[32], b2[32];

	c.plan = plan;
	c.a = plan->arena;
	c.d = d;
	c.opt = opt;
	if (opt->nparams > 0) {
		struct param *v = arena_alloc(plan->arena, (size_t)opt->nparams * sizeof *v);
		for (int i = 0; i < opt->nparams; i++) {
			v[i].name = arena_strdup(plan->arena, opt->params[i].name);
			v[i].value = arena_strdup(plan->arena, opt->params[i].value);
		}
		plan->params.v = v;
		plan->params.n = opt->nparams;
	}
	s->batch_ms = DEFAULT_BATCH_MS;
	s->parallelism = opt->ncpus > 0 ? opt->ncpus : 1;
	s->buffer_bytes = DEFAULT_BUFFER;

	/* Settings first: windows are checked against the batch interval. */
	for (int i = 0; i < prog->nstmts; i++) {
		struct stmt *st = prog->stmts[i];
		const struct op_desc *sd;
		c.broken += st->broken;
		if (st->kind != STMT_PIPE || st->nsegs == 0 || st->segs[0]->form == SEG_LIST)
			continue;
		sd = catalog_find(st->segs[0]->head, ROLE_SETTING);
		if (sd != NULL && st->broken)
			c.setting_broken[sd->op] = 1;	/* its value is unknown */
		else if (sd != NULL)
			check_setting(&c, st->segs[0], sd);
	}
	if (opt->batch_ms > 0) {
		s->batch_ms = opt->batch_ms;
		c.setting_broken[OP_BATCH] = 0;
	}
	if (opt->checkpoint != NULL) {
		s->checkpoint = opt->checkpoint;
		c.setting_broken[OP_CHECKPOINT] = 0;
	}
	if (opt->parallelism > 0) {
		s->parallelism = opt->parallelism;
		s->parallelism_set = 1;
	}
	if (s->block_ms == 0)
		s->block_ms = s->batch_ms < DEFAULT_BLOCK_MS ? s->batch_ms : DEFAULT_BLOCK_MS;
	else if (s->block_ms > s->batch_ms && !c.setting_broken[OP_BATCH]) {
		number_format_duration(b1, sizeof b1, s->block_ms);
		number_format_duration(b2, sizeof b2, s->batch_ms);
		ERR(&c, c.setting_span[OP_BLOCK], "block interval %s is longer than the batch interval %s", b1, b2);
	}

	for (int i = 0; i < prog->nstmts; i++) {
		c.stmt_index = i;
		if (!prog->stmts[i]->broken)
			check_stmt(&c, prog->stmts[i]);
	}
	check_guarantee(&c);
	if (count_outputs(plan) == 0 && c.broken == 0) {
		struct span end = { 1, 1, 1, 1 };
		if (prog->nstmts > 0)
			end = prog->stmts[prog->nstmts - 1]->span;
		if (diags_count(d) == before)
			ERR(&c, end, "the script has no pipeline: write one such as stdin | print");
	}
	return diags_count(d) - before;
}
