/*
 * ast.c: building and printing syntax trees.
 *
 * The printer writes an expression back as script text with the fewest
 * parentheses its precedence allows; --explain shows stages this way and
 * stage fingerprints hash it, so two spellings of one definition (extra
 * spaces, comments, redundant parentheses) are the same stage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "stdlib/arena.h"
#include "stdlib/number.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

struct expr *
expr_new(struct arena *a, enum expr_kind kind, struct span span)
{
	struct expr *e = arena_zalloc(a, sizeof *e);
	e->kind = kind;
	e->span = span;
	return e;
}

void
expr_push(struct arena *a, struct expr *e, struct expr *item)
{
	arena_push(a, (void ***)&e->items, &e->nitems, item);
}

/* Operators of one precedence level, that group to the left, share a class. */
static int
expr_chain_class(enum expr_op op)
{
	switch (op) {
	case OP_ADD: case OP_SUB: return 1;
	case OP_MUL: case OP_DIV: case OP_MOD: return 2;
	case OP_AND: return 3;
	case OP_OR: return 4;
	default: return 0;
	}
}

int
expr_chain_continues(const struct expr *parent, const struct expr *child)
{
	return parent->kind == EXPR_BINARY && child != NULL && child == parent->a &&
	    child->kind == EXPR_BINARY && child->parens == 0 &&
	    expr_chain_class(parent->op) != 0 &&
	    expr_chain_class(parent->op) == expr_chain_class(child->op);
}

const struct expr **
expr_chain(const struct expr *e, const struct expr **buf, size_t nbuf, size_t *n)
{
	const struct expr **v = buf;
	size_t cap = nbuf;

	*n = 0;
	for (;;) {
		if (*n == cap) {
			cap = cap > 0 ? cap * 2 : 16;
			if (v == buf) {
				v = xreallocarray(NULL, cap, sizeof *v);
				memcpy(v, buf, *n * sizeof *v);
			} else
				v = xreallocarray(v, cap, sizeof *v);
		}
		v[(*n)++] = e;
		if (!expr_chain_continues(e, e->a))
			return v;
		e = e->a;
	}
}

static const char *const expr_op_names[] = {
	[OP_NEG] = "-", [OP_NOT] = "not",
	[OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*", [OP_DIV] = "/", [OP_MOD] = "%",
	[OP_EQ] = "==", [OP_NE] = "!=", [OP_LT] = "<", [OP_LE] = "<=",
	[OP_GT] = ">", [OP_GE] = ">=",
	[OP_IN] = "in", [OP_NOT_IN] = "not in", [OP_MATCH] = "~", [OP_NOT_MATCH] = "!~",
	[OP_AND] = "and", [OP_OR] = "or", [OP_COALESCE] = "??",
};


/* Precedence levels, loosest first, as in parser.y. */
enum {
	LEVEL_EXPR, LEVEL_COALESCE, LEVEL_OR, LEVEL_AND, LEVEL_NOT, LEVEL_CMP,
	LEVEL_ADD, LEVEL_MUL, LEVEL_UNARY, LEVEL_POSTFIX,
};

static int
expr_level(const struct expr *e)
{
	switch (e->kind) {
	case EXPR_LAMBDA:
	case EXPR_IF:
	case EXPR_NAMED:
		return LEVEL_EXPR;
	case EXPR_UNARY:
		return e->op == OP_NOT ? LEVEL_NOT : LEVEL_UNARY;
	case EXPR_BINARY:
		switch (e->op) {
		case OP_COALESCE: return LEVEL_COALESCE;
		case OP_OR: return LEVEL_OR;
		case OP_AND: return LEVEL_AND;
		case OP_ADD: case OP_SUB: return LEVEL_ADD;
		case OP_MUL: case OP_DIV: case OP_MOD: return LEVEL_MUL;
		default: return LEVEL_CMP;
		}
	default:
		return LEVEL_POSTFIX;
	}
}

static void expr_print_at(struct strbuf *, const struct expr *, int level,
    const struct params *);

/* ?? groups to the right, the others to the left; comparisons do not
 * chain, so both sides sit one level tighter. */
static int
binary_left_level(const struct expr *e)
{
	int l = expr_level(e);
	return e->op == OP_COALESCE || l == LEVEL_CMP ? l + 1 : l;
}

static int
binary_right_level(const struct expr *e)
{
	int l = expr_level(e);
	return e->op == OP_COALESCE ? l : l + 1;
}

static void
expr_print_string(struct strbuf *sb, const char *s, size_t len)
{
	size_t i;

	strbuf_addc(sb, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': strbuf_adds(sb, "\\\""); break;
		case '\\': strbuf_adds(sb, "\\\\"); break;
		case '\n': strbuf_adds(sb, "\\n"); break;
		case '\t': strbuf_adds(sb, "\\t"); break;
		case '\r': strbuf_adds(sb, "\\r"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				strbuf_addf(sb, "\\u%04x", c);
			else
				strbuf_addc(sb, (char)c);
		}
	}
	strbuf_addc(sb, '"');
}

static void
expr_print_list(struct strbuf *sb, struct expr *const *items, int n, int from,
    const struct params *ps)
{
	int i;

	for (i = from; i < n; i++) {
		if (i > from)
			strbuf_adds(sb, ", ");
		expr_print_at(sb, items[i], LEVEL_EXPR, ps);
	}
}

/*
 * The value of $name as the runtime reads it (the last NAME=VALUE given
 * wins): null when unset, a number when all of it reads as one, else a
 * string.
 */
static void
print_param_value(struct strbuf *sb, const char *name, int level, const struct params *ps)
{
	struct expr lit = { 0 };
	const char *value = NULL;
	struct number num;

	for (int i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].name, name) == 0)
			value = ps->v[i].value;
	lit.kind = EXPR_NULL;
	if (value != NULL) {
		switch (number_read(value, strlen(value), &num)) {
		case NUMBER_INT:
			lit.kind = EXPR_INT;
			lit.i = num.i;
			break;
		case NUMBER_FLOAT:
			lit.kind = EXPR_FLOAT;
			lit.d = num.d;
			break;
		case NUMBER_NONE:
			lit.kind = EXPR_STRING;
			lit.s = (char *)value;
			lit.slen = strlen(value);
			break;
		}
	}
	expr_print_at(sb, &lit, level, NULL);
}

static void
expr_print_at(struct strbuf *sb, const struct expr *e, int level, const struct params *ps)
{
	char buf[64];
	int paren = expr_level(e) < level;

	if (paren)
		strbuf_addc(sb, '(');
	switch (e->kind) {
	case EXPR_NULL: strbuf_adds(sb, "null"); break;
	case EXPR_BOOL: strbuf_adds(sb, e->i ? "true" : "false"); break;
	case EXPR_INT: strbuf_addf(sb, "%lld", (long long)e->i); break;
	case EXPR_FLOAT:
		number_format_double(buf, e->d);
		strbuf_adds(sb, buf);
		break;
	case EXPR_STRING: expr_print_string(sb, e->s, e->slen); break;
	case EXPR_DURATION:
		number_format_duration(buf, sizeof buf, e->i);
		strbuf_adds(sb, buf);
		break;
	case EXPR_SIZE:
		number_format_size(buf, sizeof buf, e->i);
		strbuf_adds(sb, buf);
		break;
	case EXPR_REGEX:
		strbuf_addc(sb, '/');
		strbuf_add(sb, e->s, e->slen);
		strbuf_addc(sb, '/');
		strbuf_adds(sb, e->flags);
		break;
	case EXPR_NAME: strbuf_adds(sb, e->s); break;
	case EXPR_ELEM: strbuf_addc(sb, '_'); break;
	case EXPR_PARAM:
		if (ps != NULL)
			print_param_value(sb, e->s, level, ps);
		else
			strbuf_addf(sb, "$%s", e->s);
		break;
	case EXPR_TUPLE:
		strbuf_addc(sb, '(');
		expr_print_list(sb, e->items, e->nitems, 0, ps);
		if (e->nitems == 1)
			strbuf_addc(sb, ',');
		strbuf_addc(sb, ')');
		break;
	case EXPR_LIST:
		strbuf_addc(sb, '[');
		expr_print_list(sb, e->items, e->nitems, 0, ps);
		strbuf_addc(sb, ']');
		break;
	case EXPR_MAP:
		strbuf_addc(sb, '{');
		for (int i = 0; i + 1 < e->nitems; i += 2) {
			if (i > 0)
				strbuf_adds(sb, ", ");
			if (e->items[i]->kind == EXPR_STRING)
				expr_print_string(sb, e->items[i]->s, e->items[i]->slen);
			else {
				strbuf_addc(sb, '(');
				expr_print_at(sb, e->items[i], LEVEL_EXPR, ps);
				strbuf_addc(sb, ')');
			}
			strbuf_adds(sb, ": ");
			expr_print_at(sb, e->items[i + 1], LEVEL_EXPR, ps);
		}
		strbuf_addc(sb, '}');
		break;
	case EXPR_UNARY:
		if (e->op == OP_NOT) {
			strbuf_adds(sb, "not ");
			expr_print_at(sb, e->a, LEVEL_NOT, ps);
		} else {
			strbuf_adds(sb, "-");
			expr_print_at(sb, e->a, LEVEL_UNARY, ps);
		}
		break;
	case EXPR_BINARY: {
		/* A chain (_ + _ + ...) is printed in a loop, however long. */
		const struct expr *local[16], **chain;
		const struct expr *bottom;
		size_t n;

		chain = expr_chain(e, local, 16, &n);
		bottom = chain[n - 1];
		expr_print_at(sb, bottom->a, binary_left_level(bottom), ps);
		for (size_t i = n; i-- > 0;) {
			strbuf_addf(sb, " %s ", expr_op_names[chain[i]->op]);
			expr_print_at(sb, chain[i]->b, binary_right_level(chain[i]), ps);
		}
		if (chain != local)
			free(chain);
		break;
	}
	case EXPR_CALL:
		if (e->method && e->nitems > 0) {
			expr_print_at(sb, e->items[0], LEVEL_POSTFIX, ps);
			strbuf_addf(sb, ".%s(", e->s);
			expr_print_list(sb, e->items, e->nitems, 1, ps);
		} else {
			strbuf_addf(sb, "%s(", e->s);
			expr_print_list(sb, e->items, e->nitems, 0, ps);
		}
		strbuf_addc(sb, ')');
		break;
	case EXPR_INDEX:
		expr_print_at(sb, e->a, LEVEL_POSTFIX, ps);
		strbuf_addc(sb, '[');
		expr_print_at(sb, e->b, LEVEL_EXPR, ps);
		strbuf_addc(sb, ']');
		break;
	case EXPR_FIELD:
		expr_print_at(sb, e->a, LEVEL_POSTFIX, ps);
		strbuf_addf(sb, ".%s", e->s);
		break;
	case EXPR_IF:
		strbuf_adds(sb, "if ");
		expr_print_at(sb, e->a, LEVEL_EXPR, ps);
		strbuf_adds(sb, " then ");
		expr_print_at(sb, e->b, LEVEL_EXPR, ps);
		strbuf_adds(sb, " else ");
		expr_print_at(sb, e->c, LEVEL_EXPR, ps);
		break;
	case EXPR_LAMBDA:
		if (e->nitems == 1 && e->items[0]->kind == EXPR_NAME)
			strbuf_adds(sb, e->items[0]->s);
		else {
			strbuf_addc(sb, '(');
			expr_print_list(sb, e->items, e->nitems, 0, ps);
			strbuf_addc(sb, ')');
		}
		strbuf_adds(sb, " => ");
		expr_print_at(sb, e->a, LEVEL_EXPR, ps);
		break;
	case EXPR_NAMED:
		strbuf_addf(sb, "%s=", e->s);
		expr_print_at(sb, e->a, LEVEL_EXPR, ps);
		break;
	}
	if (paren)
		strbuf_addc(sb, ')');
}

void
expr_print(struct strbuf *sb, const struct expr *e)
{
	expr_print_at(sb, e, LEVEL_EXPR, NULL);
}

void
expr_print_params(struct strbuf *sb, const struct expr *e, const struct params *ps)
{
	expr_print_at(sb, e, LEVEL_EXPR, ps);
}

void
segment_print_params(struct strbuf *sb, const struct segment *seg, const struct params *ps)
{
	int i;

	switch (seg->form) {
	case SEG_WORD:
		strbuf_adds(sb, seg->head);
		if (seg->arg != NULL) {
			strbuf_addc(sb, ' ');
			/* A lambda or if would swallow the clauses that follow. */
			expr_print_at(sb, seg->arg,
			    seg->nclauses > 0 ? LEVEL_COALESCE : LEVEL_EXPR, ps);
		}
		break;
	case SEG_CALL:
		strbuf_addf(sb, "%s(", seg->head);
		expr_print_list(sb, seg->args, seg->nargs, 0, ps);
		strbuf_addc(sb, ')');
		break;
	case SEG_LIST:
		expr_print_at(sb, seg->arg, LEVEL_EXPR, ps);
		break;
	}
	for (i = 0; i < seg->nclauses; i++) {
		strbuf_addf(sb, " %s", seg->clauses[i]->word);
		if (seg->clauses[i]->arg != NULL) {
			strbuf_addc(sb, ' ');
			expr_print_at(sb, seg->clauses[i]->arg,
			    i + 1 < seg->nclauses ? LEVEL_COALESCE : LEVEL_EXPR, ps);
		}
	}
}

void
segment_print(struct strbuf *sb, const struct segment *seg)
{
	segment_print_params(sb, seg, NULL);
}
