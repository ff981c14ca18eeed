/*
 * eval.c: a tree-walking evaluator over checked expressions.
 *
 * Types are never converted silently (SPEC 1.6): arithmetic on a string,
 * an ordering between a string and a number, integer overflow and division
 * by zero are record errors, reported with a message that says what went
 * wrong and, where it helps, suggests num().  A missing field or index is
 * null.  Evaluation allocates only what it returns (a concatenation, a
 * tuple), in the context's arena.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "keymap.h"
#include "table.h"
#include "stdlib/arena.h"
#include "stdlib/number.h"
#include "stdlib/regex.h"
#include "stdlib/strbuf.h"

/* ---- preparation ---- */

struct prep {
	const struct job_options *opt;
	table_lookup_fn lookup;
	void *arg;
	const char *names[EVAL_SLOTS];
	int nnames;
	int failed;
};

static void
prep_pattern(struct prep *p, struct expr *pat)
{
	if (pat->kind == EXPR_NAME) {
		if (p->nnames >= EVAL_SLOTS) {
			p->failed = 1;
			return;
		}
		pat->i = p->nnames;
		p->names[p->nnames++] = pat->s;
	} else if (pat->kind == EXPR_TUPLE) {
		for (int i = 0; i < pat->nitems; i++)
			prep_pattern(p, pat->items[i]);
	}
}

static void
prep_param(struct prep *p, struct expr *e)
{
	const char *value = NULL;
	struct number num;

	for (int i = 0; i < p->opt->nparams; i++)
		if (strcmp(p->opt->params[i].name, e->s) == 0)
			value = p->opt->params[i].value;
	if (value == NULL) {
		e->kind = EXPR_NULL;
		return;
	}
	switch (number_read(value, strlen(value), &num)) {
	case NUMBER_INT:
		e->kind = EXPR_INT;
		e->i = num.i;
		return;
	case NUMBER_FLOAT:
		e->kind = EXPR_FLOAT;
		e->d = num.d;
		return;
	case NUMBER_NONE:
		break;
	}
	e->kind = EXPR_STRING;
	e->s = (char *)value;
	e->slen = strlen(value);
}

/*
 * Prepare e and what is under it.  Left operands are followed in a loop,
 * so a long chain (_ + _ + ...) does not recurse.  The order does not
 * matter: only a lambda binds names, and lambdas do not nest.
 */
static void
prep_expr(struct prep *p, struct expr *e)
{
	for (; e != NULL; e = e->a) {
		switch (e->kind) {
		case EXPR_PARAM:
			prep_param(p, e);
			return;
		case EXPR_NAME:
			for (int i = p->nnames - 1; i >= 0; i--)
				if (strcmp(p->names[i], e->s) == 0) {
					e->i = i;
					e->aux = NULL;
					return;
				}
			e->i = -1;
			e->aux = p->lookup != NULL ? p->lookup(p->arg, e->s) : NULL;
			return;
		case EXPR_LAMBDA:
			for (int i = 0; i < e->nitems; i++)
				prep_pattern(p, e->items[i]);
			continue;	/* then its body, e->a */
		case EXPR_CALL:
			/* Resolved here, before any worker thread reads it. */
			e->aux = (void *)builtin_find(e->s);
			break;
		default:
			break;
		}
		prep_expr(p, e->b);
		prep_expr(p, e->c);
		for (int i = 0; i < e->nitems; i++)
			prep_expr(p, e->items[i]);
	}
}

int
eval_prepare(struct expr *e, const struct job_options *opt, table_lookup_fn lookup, void *arg)
{
	struct prep p = { 0 };

	p.opt = opt;
	p.lookup = lookup;
	p.arg = arg;
	prep_expr(&p, e);
	return p.failed ? -1 : 0;
}

/* ---- errors ---- */

static const char *
describe(struct eval *ev, struct value v)
{
	struct strbuf sb = STRBUF_INIT;
	const char *s;

	if (v.type == VT_NULL)
		return "null";
	strbuf_addf(&sb, "%s ", value_type_name(v));
	if (v.type == VT_STR)
		value_format_json(&sb, v);
	else
		value_format_print(&sb, v);
	if (sb.len > 80) {
		sb.len = 77;
		strbuf_adds(&sb, "...");
	}
	s = arena_strdup(ev->ctx.arena, strbuf_str(&sb));
	strbuf_release(&sb);
	return s;
}

static int
type_error(struct eval *ev, const char *op, struct value a, struct value b)
{
	const char *hint = a.type == VT_STR || b.type == VT_STR ?
	    " (use num() to read a number from a string)" : "";

	return builtin_error(&ev->ctx, "%s on %s and %s%s", op, describe(ev, a),
	    describe(ev, b), hint);
}

/* ---- operators ---- */

static int
arith(struct eval *ev, enum expr_op op, struct value a, struct value b, struct value *out)
{
	static const char *const names[] = {
		[OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*", [OP_DIV] = "/", [OP_MOD] = "%",
	};
	char what[32];

	if (op == OP_ADD && a.type == VT_STR && b.type == VT_STR) {
		char *s = arena_alloc(ev->ctx.arena, (size_t)a.n + b.n + 1);
		memcpy(s, a.u.s, a.n);
		memcpy(s + a.n, b.u.s, b.n);
		*out = value_str(s, (size_t)a.n + b.n);
		return 0;
	}
	if (!value_is_number(a) || !value_is_number(b)) {
		snprintf(what, sizeof what, "'%s'", names[op]);
		return type_error(ev, what, a, b);
	}
	if (a.type == VT_INT && b.type == VT_INT && op != OP_DIV) {
		int64_t r;
		switch (op) {
		case OP_ADD:
			if (__builtin_add_overflow(a.u.i, b.u.i, &r))
				return builtin_error(&ev->ctx, "integer overflow in %lld + %lld",
				    (long long)a.u.i, (long long)b.u.i);
			break;
		case OP_SUB:
			if (__builtin_sub_overflow(a.u.i, b.u.i, &r))
				return builtin_error(&ev->ctx, "integer overflow in %lld - %lld",
				    (long long)a.u.i, (long long)b.u.i);
			break;
		case OP_MUL:
			if (__builtin_mul_overflow(a.u.i, b.u.i, &r))
				return builtin_error(&ev->ctx, "integer overflow in %lld * %lld",
				    (long long)a.u.i, (long long)b.u.i);
			break;
		default:	/* OP_MOD: C's sign rule, dividend's sign */
			if (b.u.i == 0)
				return builtin_error(&ev->ctx, "division by zero in %lld %% 0",
				    (long long)a.u.i);
			r = b.u.i == -1 ? 0 : a.u.i % b.u.i;
			break;
		}
		*out = value_int(r);
		return 0;
	}
	double x = value_as_double(a), y = value_as_double(b), r;
	switch (op) {
	case OP_ADD: r = x + y; break;
	case OP_SUB: r = x - y; break;
	case OP_MUL: r = x * y; break;
	case OP_DIV:
		if (y == 0)
			return builtin_error(&ev->ctx, "division by zero");
		r = x / y;
		break;
	default:
		if (y == 0)
			return builtin_error(&ev->ctx, "division by zero");
		r = fmod(x, y);
		break;
	}
	*out = value_float(r);
	return 0;
}

static int
order(struct eval *ev, enum expr_op op, struct value a, struct value b, struct value *out)
{
	int c;

	if (a.type == VT_NULL || b.type == VT_NULL) {
		*out = value_bool(0);	/* ordering with null is false */
		return 0;
	}
	if (value_is_number(a) && value_is_number(b))
		c = value_compare(a, b);
	else if (a.type == b.type)
		c = value_compare(a, b);
	else {
		static const char *const names[] = {
			[OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">=" };
		char what[32];
		snprintf(what, sizeof what, "'%s'", names[op]);
		return type_error(ev, what, a, b);
	}
	switch (op) {
	case OP_LT: *out = value_bool(c < 0); break;
	case OP_LE: *out = value_bool(c <= 0); break;
	case OP_GT: *out = value_bool(c > 0); break;
	default: *out = value_bool(c >= 0); break;
	}
	return 0;
}

int
eval_truth(struct eval *ev, struct value v, int *truth)
{
	if (v.type == VT_BOOL) {
		*truth = v.u.i != 0;
		return 0;
	}
	if (v.type == VT_NULL) {
		*truth = 0;
		return 0;
	}
	return builtin_error(&ev->ctx, "expected true or false, got %s", describe(ev, v));
}

static int
membership(struct eval *ev, const struct expr *e, struct value a, struct value *out)
{
	const struct expr *rhs = e->b;
	struct value b;
	int found = 0;

	if (rhs->kind == EXPR_NAME && rhs->i < 0 && rhs->aux != NULL) {
		found = ev->tables != NULL &&
		    table_has(ev->tables[table_slot_index(rhs->aux)], a);
	} else {
		if (eval_expr(ev, rhs, &b) != 0)
			return -1;
		if (b.type == VT_LIST || b.type == VT_TUPLE) {
			for (uint32_t i = 0; i < b.n && !found; i++)
				found = value_equal(b.u.items[i], a);
		} else if (b.type == VT_MAP) {
			for (uint32_t i = 0; i < b.n && !found; i++)
				found = value_equal(b.u.items[2 * i], a);
		} else if (b.type == VT_NULL) {
			found = 0;
		} else {
			return builtin_error(&ev->ctx, "'in' needs a list, a map or a table, got %s",
			    describe(ev, b));
		}
	}
	*out = value_bool(e->op == OP_IN ? found : !found);
	return 0;
}

static int
regex_test(struct eval *ev, const struct expr *e, struct value a, struct value *out)
{
	struct value b;
	size_t groups[2 * REGEX_MAX_GROUPS];
	int ng, r;
	const char *err = NULL;

	if (eval_expr(ev, e->b, &b) != 0)
		return -1;
	if (b.type != VT_REGEX)
		return builtin_error(&ev->ctx, "'~' needs a regex such as /a+/ on its right, got %s",
		    describe(ev, b));
	if (a.type == VT_NULL) {
		*out = value_bool(e->op == OP_NOT_MATCH);
		return 0;
	}
	if (a.type != VT_STR)
		return builtin_error(&ev->ctx, "'~' needs a string on its left, got %s", describe(ev, a));
	r = regex_match(b.u.p, a.u.s, a.n, 0, groups, &ng, &err);
	if (r < 0)
		return builtin_error(&ev->ctx, "%s", err != NULL ? err : "regex error");
	*out = value_bool(e->op == OP_MATCH ? r == 1 : r == 0);
	return 0;
}

/* One binary operator, its left operand a evaluated already. */
static int
binary_op(struct eval *ev, const struct expr *e, struct value a, struct value *out)
{
	struct value b;
	int t = 0;

	switch (e->op) {
	case OP_COALESCE:
		if (a.type != VT_NULL) {
			*out = a;
			return 0;
		}
		return eval_expr(ev, e->b, out);
	case OP_AND:
	case OP_OR:
		if (eval_truth(ev, a, &t) != 0)
			return -1;
		if (e->op == OP_AND ? !t : t) {
			*out = value_bool(t);
			return 0;
		}
		if (eval_expr(ev, e->b, &b) != 0 || eval_truth(ev, b, &t) != 0)
			return -1;
		*out = value_bool(t);
		return 0;
	case OP_IN:
	case OP_NOT_IN:
		return membership(ev, e, a, out);
	case OP_MATCH:
	case OP_NOT_MATCH:
		return regex_test(ev, e, a, out);
	default:
		break;
	}
	if (eval_expr(ev, e->b, &b) != 0)
		return -1;
	switch (e->op) {
	case OP_EQ: *out = value_bool(value_equal(a, b)); return 0;
	case OP_NE: *out = value_bool(!value_equal(a, b)); return 0;
	case OP_LT: case OP_LE: case OP_GT: case OP_GE:
		return order(ev, e->op, a, b, out);
	default:
		return arith(ev, e->op, a, b, out);
	}
}

/*
 * A binary operator, or a chain of them (_ + _ + ..., a and b and c),
 * evaluated in a loop from the leftmost operand up, so a long chain does
 * not recurse.
 */
static int
binary(struct eval *ev, const struct expr *e, struct value *out)
{
	const struct expr *local[16], **chain;
	struct value v;
	size_t n;
	int rc;

	if (!expr_chain_continues(e, e->a)) {
		if (eval_expr(ev, e->a, &v) != 0)
			return -1;
		return binary_op(ev, e, v, out);
	}
	chain = expr_chain(e, local, 16, &n);
	rc = eval_expr(ev, chain[n - 1]->a, &v);
	for (size_t i = n; rc == 0 && i-- > 0;)
		rc = binary_op(ev, chain[i], v, &v);
	if (chain != local)
		free(chain);
	if (rc == 0)
		*out = v;
	return rc;
}

/* ---- access ---- */

static void
field(struct value m, const char *name, size_t len, struct value *out)
{
	*out = value_null();
	if (m.type != VT_MAP)
		return;
	for (uint32_t i = 0; i < m.n; i++) {
		struct value k = m.u.items[2 * i];
		if (k.type == VT_STR && k.n == len && memcmp(k.u.s, name, len) == 0) {
			*out = m.u.items[2 * i + 1];
			return;
		}
	}
}

static int
index_of(struct eval *ev, struct value a, struct value i, struct value *out)
{
	*out = value_null();
	if (a.type == VT_MAP) {
		for (uint32_t j = 0; j < a.n; j++)
			if (value_equal(a.u.items[2 * j], i)) {
				*out = a.u.items[2 * j + 1];
				break;
			}
		return 0;
	}
	if (a.type == VT_TUPLE || a.type == VT_LIST) {
		if (i.type == VT_FLOAT && i.u.d == floor(i.u.d) && fabs(i.u.d) < 9e15)
			i = value_int((int64_t)i.u.d);
		if (i.type != VT_INT)
			return builtin_error(&ev->ctx, "an index must be an integer, got %s", describe(ev, i));
		int64_t k = i.u.i < 0 ? (int64_t)a.n + i.u.i : i.u.i;
		if (k >= 0 && k < (int64_t)a.n)
			*out = a.u.items[k];
		return 0;
	}
	return 0;	/* indexing anything else gives null, as a missing field */
}

static int
call(struct eval *ev, const struct expr *e, struct value *out)
{
	const struct builtin *b = e->aux;
	struct value args[8];
	int n = e->nitems;

	if (n > 8)
		n = 8;
	for (int i = 0; i < n; i++)
		if (eval_expr(ev, e->items[i], &args[i]) != 0)
			return -1;
	if (b == NULL || b->fn == NULL)
		return builtin_error(&ev->ctx, "%s is not available", e->s);
	return b->fn(&ev->ctx, args, n, out);
}

static int
sequence(struct eval *ev, const struct expr *e, enum value_type type, struct value *out)
{
	struct value *items = arena_alloc(ev->ctx.arena,
	    (size_t)(e->nitems > 0 ? e->nitems : 1) * sizeof *items);
	size_t n = (size_t)e->nitems;

	for (int i = 0; i < e->nitems; i++)
		if (eval_expr(ev, e->items[i], &items[i]) != 0)
			return -1;
	if (type == VT_MAP)	/* {"a": 1, "a": 2} is {"a": 2} */
		n = value_map_unique(items, n / 2);
	*out = value_seq(type, items, n);
	return 0;
}

int
eval_expr(struct eval *ev, const struct expr *e, struct value *out)
{
	struct value a, b;
	int t = 0;

	switch (e->kind) {
	case EXPR_NULL: *out = value_null(); return 0;
	case EXPR_BOOL: *out = value_bool((int)e->i); return 0;
	case EXPR_INT: case EXPR_DURATION: case EXPR_SIZE: *out = value_int(e->i); return 0;
	case EXPR_FLOAT: *out = value_float(e->d); return 0;
	case EXPR_STRING: *out = value_str(e->s, e->slen); return 0;
	case EXPR_REGEX:
		out->type = VT_REGEX;
		out->n = 0;
		out->u.p = e->aux;
		return 0;
	case EXPR_ELEM: *out = ev->elem; return 0;
	case EXPR_NAME:
		if (e->i >= 0 && e->i < EVAL_SLOTS) {
			*out = ev->slots[e->i];
			return 0;
		}
		return builtin_error(&ev->ctx, "%s is not a value", e->s);
	case EXPR_PARAM: *out = value_null(); return 0;
	case EXPR_TUPLE: return sequence(ev, e, VT_TUPLE, out);
	case EXPR_LIST: return sequence(ev, e, VT_LIST, out);
	case EXPR_MAP: return sequence(ev, e, VT_MAP, out);
	case EXPR_UNARY:
		if (eval_expr(ev, e->a, &a) != 0)
			return -1;
		if (e->op == OP_NOT) {
			if (eval_truth(ev, a, &t) != 0)
				return -1;
			*out = value_bool(!t);
			return 0;
		}
		if (a.type == VT_INT) {
			if (a.u.i == INT64_MIN)
				return builtin_error(&ev->ctx, "integer overflow in -(%lld)", (long long)a.u.i);
			*out = value_int(-a.u.i);
			return 0;
		}
		if (a.type == VT_FLOAT) {
			*out = value_float(-a.u.d);
			return 0;
		}
		return builtin_error(&ev->ctx, "unary '-' needs a number, got %s%s", describe(ev, a),
		    a.type == VT_STR ? " (use num() to read a number from a string)" : "");
	case EXPR_BINARY:
		return binary(ev, e, out);
	case EXPR_CALL:
		return call(ev, e, out);
	case EXPR_INDEX:
		if (eval_expr(ev, e->a, &a) != 0 || eval_expr(ev, e->b, &b) != 0)
			return -1;
		return index_of(ev, a, b, out);
	case EXPR_FIELD:
		if (eval_expr(ev, e->a, &a) != 0)
			return -1;
		field(a, e->s, e->slen, out);
		return 0;
	case EXPR_IF:
		if (eval_expr(ev, e->a, &a) != 0 || eval_truth(ev, a, &t) != 0)
			return -1;
		return eval_expr(ev, t ? e->b : e->c, out);
	case EXPR_LAMBDA:
	case EXPR_NAMED:
		return builtin_error(&ev->ctx, "a lambda is not a value");
	}
	return builtin_error(&ev->ctx, "cannot evaluate this expression");
}

/* ---- lambdas ---- */

static int
bind(struct eval *ev, const struct expr *pat, struct value v)
{
	switch (pat->kind) {
	case EXPR_NAME:
		ev->slots[pat->i] = v;
		return 0;
	case EXPR_ELEM:
		return 0;
	case EXPR_TUPLE:
		if ((v.type != VT_TUPLE && v.type != VT_LIST) || v.n != (uint32_t)pat->nitems)
			return builtin_error(&ev->ctx, "the pattern of %d names does not fit %s",
			    pat->nitems, describe(ev, v));
		for (int i = 0; i < pat->nitems; i++)
			if (bind(ev, pat->items[i], v.u.items[i]) != 0)
				return -1;
		return 0;
	default:
		return builtin_error(&ev->ctx, "bad lambda parameter");
	}
}

int
eval_element(struct eval *ev, const struct expr *fn, struct value elem, struct value *out)
{
	if (fn->kind != EXPR_LAMBDA) {
		ev->elem = elem;
		return eval_expr(ev, fn, out);
	}
	if (fn->nitems == 1) {
		if (bind(ev, fn->items[0], elem) != 0)
			return -1;
	} else {
		if ((elem.type != VT_TUPLE && elem.type != VT_LIST) || elem.n != (uint32_t)fn->nitems)
			return builtin_error(&ev->ctx, "the pattern of %d names does not fit %s",
			    fn->nitems, describe(ev, elem));
		for (int i = 0; i < fn->nitems; i++)
			if (bind(ev, fn->items[i], elem.u.items[i]) != 0)
				return -1;
	}
	return eval_expr(ev, fn->a, out);
}

int
eval_lambda2(struct eval *ev, const struct expr *fn, struct value a, struct value b,
    struct value *out)
{
	if (bind(ev, fn->items[0], a) != 0 || bind(ev, fn->items[1], b) != 0)
		return -1;
	return eval_expr(ev, fn->a, out);
}

int
eval_reduce(struct eval *ev, enum reducer_kind r, struct value a, struct value b,
    struct value *out)
{
	switch (r) {
	case REDUCER_SUM:
		if (a.type == VT_INT && b.type == VT_INT) {
			int64_t s;
			if (__builtin_add_overflow(a.u.i, b.u.i, &s))
				return builtin_error(&ev->ctx, "integer overflow in sum");
			*out = value_int(s);
			return 0;
		}
		if (!value_is_number(a) || !value_is_number(b))
			return type_error(ev, "sum", a, b);
		*out = value_float(value_as_double(a) + value_as_double(b));
		return 0;
	case REDUCER_MIN:
		*out = value_compare(b, a) < 0 ? b : a;
		return 0;
	case REDUCER_MAX:
		*out = value_compare(b, a) > 0 ? b : a;
		return 0;
	case REDUCER_FIRST:
		*out = a;
		return 0;
	case REDUCER_LAST:
		*out = b;
		return 0;
	default:
		return builtin_error(&ev->ctx, "this reducer cannot combine two values");
	}
}

/* ---- tables ---- */

int
eval_entry(void *arg, const struct expr *e, struct value *out, const char **err)
{
	struct eval *ev = arg;

	if (eval_expr(ev, e, out) != 0) {
		*err = ev->ctx.err;
		return -1;
	}
	return 0;
}

int
table_has(const struct table *t, struct value key)
{
	return table_get(t, key, NULL);
}
