/*
 * ast.h: the syntax tree of a script, as the parser builds it.
 *
 * The grammar knows the shape of the language but not its words: a
 * pipeline is a list of segments, each a head word with an optional
 * argument and trailing clauses ("window 6s slide 4s as w"), and the
 * checker decides what the head words mean by looking them up in the
 * catalog.  So stage, source, sink and clause names are never reserved.
 *
 * Every node lives in the program's arena and keeps its span.  Fields
 * named "aux" and the shape fields are filled in by the checker.
 */
#ifndef AST_H
#define AST_H

#include <stddef.h>
#include <stdint.h>

#include "span.h"

struct arena;

enum expr_kind {
	EXPR_NULL,
	EXPR_BOOL,
	EXPR_INT,
	EXPR_FLOAT,
	EXPR_STRING,
	EXPR_DURATION,		/* i: milliseconds */
	EXPR_SIZE,		/* i: bytes */
	EXPR_REGEX,		/* s: pattern, flags: flag letters */
	EXPR_NAME,		/* s: a name (lambda parameter, table, stream) */
	EXPR_ELEM,		/* _ */
	EXPR_PARAM,		/* s: the NAME of $NAME */
	EXPR_TUPLE,		/* items */
	EXPR_LIST,		/* items */
	EXPR_MAP,		/* items: key, value, key, value, ... */
	EXPR_UNARY,		/* op, a */
	EXPR_BINARY,		/* op, a, b */
	EXPR_CALL,		/* s: function, items: arguments; method: x.f() */
	EXPR_INDEX,		/* a[b] */
	EXPR_FIELD,		/* a.s */
	EXPR_IF,		/* if a then b else c */
	EXPR_LAMBDA,		/* items: parameter patterns, a: body */
	EXPR_NAMED,		/* s=a: a named argument */
};

enum expr_op {
	OP_NEG, OP_NOT,
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
	OP_IN, OP_NOT_IN, OP_MATCH, OP_NOT_MATCH,
	OP_AND, OP_OR, OP_COALESCE,
};

struct expr {
	enum expr_kind kind;
	struct span span;
	enum expr_op op;
	int64_t i;		/* INT, BOOL, DURATION, SIZE */
	double d;		/* FLOAT */
	char *s;		/* STRING bytes, names, regex pattern */
	size_t slen;		/* length of s (strings may hold NUL) */
	char *flags;		/* REGEX flags */
	int method;		/* CALL written as a.f(...) */
	int parens;		/* how many ( ) were written around it */
	struct expr *a, *b, *c;
	struct expr **items;
	int nitems;
	void *aux;		/* checker: compiled regex, builtin, ... */
};

/* A clause after a segment's argument: "slide 4s", "desc", "as totals". */
struct clause {
	char *word;
	struct span span;	/* of the word */
	struct expr *arg;	/* NULL when the clause has none */
};

enum segment_form {
	SEG_WORD,		/* head [argument] [clauses] */
	SEG_CALL,		/* head(arguments) [clauses] */
	SEG_LIST,		/* [ ... ]: a table literal */
};

struct segment {
	enum segment_form form;
	struct span span;	/* the whole segment */
	char *head;
	struct span head_span;
	struct expr *arg;	/* SEG_WORD: optional; SEG_LIST: the list */
	struct expr **args;	/* SEG_CALL */
	int nargs;
	struct clause **clauses;
	int nclauses;
};

enum stmt_kind {
	STMT_PIPE,		/* segment | segment | ... (or a setting) */
	STMT_ASSIGN,		/* head NAME = segment | ... (let, table) */
};

struct stmt {
	enum stmt_kind kind;
	struct span span;
	int broken;		/* it has a syntax error: not checked, and what
				 * it defines is unknown rather than undefined */
	char *head;		/* ASSIGN: "let", "table", ... */
	struct span head_span;
	char *name;		/* ASSIGN: the name defined */
	struct span name_span;
	struct segment **segs;
	int nsegs;
};

struct program {
	struct arena *arena;
	struct stmt **stmts;
	int nstmts;
	int incomplete;		/* parsing stopped before the end of the text */
};

struct expr *expr_new(struct arena *, enum expr_kind, struct span);

/*
 * Does child, the left operand of parent, continue a chain of one
 * operator level ("a + b - c", "a and b and c") as written, without
 * parentheses?  Such a chain is long, not deep: the parser takes it
 * without nesting, and every pass over the tree walks it in a loop.
 */
int expr_chain_continues(const struct expr *parent, const struct expr *child);

/*
 * The nodes of the chain that e heads, e first, each the left operand of
 * the one before; *n of them (1 when e heads no chain).  They go in buf
 * (nbuf entries) when they fit, else in an allocation: free the result
 * when it is not buf.
 */
const struct expr **expr_chain(const struct expr *e, const struct expr **buf,
    size_t nbuf, size_t *n);
void expr_push(struct arena *, struct expr *, struct expr *item);

/*
 * A NAME=VALUE of the command line.  The value is a number when
 * number_read reads all of it as one, else a string; the command line has
 * already refused a number that a script could not write as a literal
 * (an integer beyond int64, a double beyond its range).
 */
struct param {
	const char *name;
	const char *value;
};

/* The NAME=VALUEs a printer puts in place of $NAME. */
struct params {
	const struct param *v;
	int n;
};

/*
 * Print e as script text, fully parenthesised where precedence needs it, so
 * that printing the parse of the output gives the same text.  Used by
 * --explain and by the identities of stages (plan.h).  The _params forms
 * print each $NAME as the value the runtime gives it: null when unset, a
 * number when the value reads as one, else a string.
 */
struct strbuf;
void expr_print(struct strbuf *, const struct expr *);
void segment_print(struct strbuf *, const struct segment *);
void expr_print_params(struct strbuf *, const struct expr *, const struct params *);
void segment_print_params(struct strbuf *, const struct segment *, const struct params *);

#endif
