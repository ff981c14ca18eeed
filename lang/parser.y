/*
 * parser.y: the grammar of the pipeline language.
 *
 * It builds the syntax tree of ast.h and nothing more: what a head word
 * means ("map", "socket", "batch") and which clauses it takes are decided
 * by the checker from the catalog.  A statement is a pipeline of segments
 * ("head [argument] [clauses]") or "head NAME = pipeline" (let, table).
 * Expressions are layered by precedence, loosest first, so the grammar
 * needs no precedence declarations and has no conflicts.
 *
 * Nodes live in the parse arena, so discarded values need no destructor.
 */
%code requires {
#include <stdint.h>
#include "lang/ast.h"
struct parse_ctx;
}

%code {
/* Deep enough for any script a person writes, shallow enough that the
 * recursive passes after the parser stay far from the stack's end. */
#define YYMAXDEPTH 2000
#define YYINITDEPTH 200

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/diag.h"
#include "lang/parse.h"
#include "stdlib/arena.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

int lexer_next(YYSTYPE *, YYLTYPE *, struct parse_ctx *);
#define yylex lexer_next
void lexer_recover(struct lexer *);
int lexer_depth(const struct lexer *);
int lexer_after_operand(const struct lexer *);
static void yyerror(YYLTYPE *, struct parse_ctx *, const char *);

#define A (ctx->arena)

static struct span
sp(YYLTYPE l)
{
	struct span s = { l.first_line, l.first_column, l.last_line, l.last_column };
	return s;
}

static struct expr *
mk(struct parse_ctx *ctx, enum expr_kind k, YYLTYPE l)
{
	return expr_new(ctx->arena, k, sp(l));
}

static struct expr *
mk_binary(struct parse_ctx *ctx, enum expr_op op, struct expr *a, struct expr *b, YYLTYPE l)
{
	struct expr *e = mk(ctx, EXPR_BINARY, l);
	e->op = op;
	e->a = a;
	e->b = b;
	return e;
}

static struct expr *
mk_unary(struct parse_ctx *ctx, enum expr_op op, struct expr *a, YYLTYPE l)
{
	struct expr *e = mk(ctx, EXPR_UNARY, l);
	e->op = op;
	e->a = a;
	return e;
}

static int
span_before(struct span a, struct span b)
{
	return a.first_line < b.first_line ||
	    (a.first_line == b.first_line && a.first_column < b.first_column);
}

/*
 * Was a syntax error found since the statement before ended, up to this
 * statement's end?  The scanner reports some errors (an unterminated
 * string) without the parser seeing one.
 */
static int
errors_since(struct parse_ctx *ctx, YYLTYPE end)
{
	struct span e = sp(end);

	for (int i = 0; i < ctx->nerrors; i++) {
		struct span *at = ctx->errors[i];
		if (span_before(ctx->stmt_from, *at) && !span_before(e, *at))
			return 1;
	}
	return 0;
}

/* A statement that did not parse: what its first tokens said it was. */
static struct stmt *
broken_stmt(struct parse_ctx *ctx)
{
	struct stmt *st = arena_zalloc(A, sizeof *st);
	const struct stmt_start *cur = &ctx->ended;

	st->broken = 1;
	st->span = cur->span;
	if (cur->assign) {
		st->kind = STMT_ASSIGN;
		st->head = (char *)cur->head;
		st->head_span = cur->head_span;
		st->name = (char *)cur->name;
		st->name_span = cur->name_span;
	} else if (cur->head != NULL) {
		struct segment *seg = arena_zalloc(A, sizeof *seg);
		seg->form = SEG_WORD;
		seg->head = (char *)cur->head;
		seg->head_span = seg->span = cur->head_span;
		st->kind = STMT_PIPE;
		arena_push(A, (void ***)&st->segs, &st->nsegs, seg);
	}
	return st;
}
}

%define api.pure full
%define parse.error custom
%define parse.lac full
/* No reduction without looking at the next token, so that after an error
 * in a stage the parser skips to the next '|' rather than giving up the
 * whole statement (a default reduction would end the pipeline first). */
%define lr.default-reduction accepting
%locations
%param {struct parse_ctx *ctx}
%expect 0

%union {
	int64_t i;
	char *str;
	struct expr *e;
	struct segment *seg;
	struct clause *cl;
	struct stmt *st;
	enum expr_op op;
}

%token END 0 "end of file"
%token <str> IDENT "name"
%token <str> FUNC "function name"
%token <str> CLAUSE "clause word"
%token <str> PARAM "parameter"
%token <e> INT "integer"
%token <e> FLOAT "number"
%token <e> STRING "string"
%token <e> DURATION "duration"
%token <e> SIZE "size"
%token <e> REGEX "regular expression"
%token ELEM "'_'"
%token TRUE "'true'"
%token FALSE "'false'"
%token NUL "'null'"
%token AND "'and'"
%token OR "'or'"
%token NOT "'not'"
%token IN "'in'"
%token NOTIN "'not in'"
%token IF "'if'"
%token THEN "'then'"
%token ELSE "'else'"
%token ARROW "'=>'"
%token QQ "'??'"
%token EQ "'=='"
%token NE "'!='"
%token LE "'<='"
%token GE "'>='"
%token NOMATCH "'!~'"
%token <i> NEWLINE "end of line"

%type <st> stmt pipeline
%type <seg> segment
%type <cl> clause
%type <e> expr opt_arg coalesce or_expr and_expr not_expr cmp add mul unary
%type <e> postfix primary arg args opt_args map_items opt_map map_key
%type <op> cmpop

%%

program:
	  %empty
	| program line
	;

/*
 * After a syntax error the parser skips to the next '|' of the pipeline
 * (see pipeline) or to the end of the statement, and goes on, so every
 * statement is parsed; one with an error is kept, marked broken.
 */
line:
	  NEWLINE		{ ctx->stmt_from = sp(@1); }
	| stmt NEWLINE		{ if (errors_since(ctx, @2))
					$1->broken = 1;
				  if ($1->broken)
					yyerrok;
				  ctx->stmt_from = sp(@2);
				  arena_push(A, (void ***)&ctx->prog->stmts, &ctx->prog->nstmts, $1); }
	| error NEWLINE		{ yyerrok;
				  ctx->stmt_from = sp(@2);
				  arena_push(A, (void ***)&ctx->prog->stmts, &ctx->prog->nstmts,
				      broken_stmt(ctx)); }
	;

stmt:
	  pipeline		{ $$ = $1; }
	| IDENT IDENT '=' pipeline {
				  $$ = $4;
				  $$->kind = STMT_ASSIGN;
				  $$->head = $1;
				  $$->head_span = sp(@1);
				  $$->name = $2;
				  $$->name_span = sp(@2);
				  $$->span = sp(@$);
				}
	;

pipeline:
	  segment		{ $$ = arena_zalloc(A, sizeof *$$);
				  $$->kind = STMT_PIPE;
				  $$->span = sp(@$);
				  arena_push(A, (void ***)&$$->segs, &$$->nsegs, $1); }
	| pipeline '|' segment	{ $$ = $1;
				  $$->span = sp(@$);
				  arena_push(A, (void ***)&$$->segs, &$$->nsegs, $3); }
	| pipeline '|' error	{ $$ = $1;
				  $$->span = sp(@$);
				  $$->broken = 1; }
	;

segment:
	  IDENT opt_arg		{ $$ = arena_zalloc(A, sizeof *$$);
				  $$->form = SEG_WORD;
				  $$->head = $1;
				  $$->head_span = sp(@1);
				  $$->arg = $2;
				  $$->span = sp(@$); }
	| FUNC '(' opt_args ')'	{ $$ = arena_zalloc(A, sizeof *$$);
				  $$->form = SEG_CALL;
				  $$->head = $1;
				  $$->head_span = sp(@1);
				  $$->args = $3->items;
				  $$->nargs = $3->nitems;
				  $$->span = sp(@$); }
	| '[' opt_args ']'	{ $$ = arena_zalloc(A, sizeof *$$);
				  $$->form = SEG_LIST;
				  $$->head = "[";
				  $$->head_span = sp(@1);
				  $2->kind = EXPR_LIST;
				  $2->span = sp(@$);
				  $$->arg = $2;
				  $$->span = sp(@$); }
	| segment clause	{ $$ = $1;
				  $$->span = sp(@$);
				  arena_push(A, (void ***)&$$->clauses, &$$->nclauses, $2); }
	;

opt_arg:
	  %empty		{ $$ = NULL; }
	| expr			{ $$ = $1; }
	;

clause:
	  CLAUSE		{ $$ = arena_zalloc(A, sizeof *$$);
				  $$->word = $1; $$->span = sp(@1); }
	| CLAUSE expr		{ $$ = arena_zalloc(A, sizeof *$$);
				  $$->word = $1; $$->span = sp(@1); $$->arg = $2; }
	;

expr:
	  postfix ARROW expr	{ $$ = mk(ctx, EXPR_LAMBDA, @$);
				  $$->a = $3;
				  if ($1->kind == EXPR_TUPLE) {
					$$->items = $1->items;
					$$->nitems = $1->nitems;
				  } else
					expr_push(A, $$, $1); }
	| IF expr THEN expr ELSE expr {
				  $$ = mk(ctx, EXPR_IF, @$);
				  $$->a = $2; $$->b = $4; $$->c = $6; }
	| coalesce
	;

coalesce:
	  or_expr
	| or_expr QQ coalesce	{ $$ = mk_binary(ctx, OP_COALESCE, $1, $3, @$); }
	;

or_expr:
	  and_expr
	| or_expr OR and_expr	{ $$ = mk_binary(ctx, OP_OR, $1, $3, @$); }
	;

and_expr:
	  not_expr
	| and_expr AND not_expr	{ $$ = mk_binary(ctx, OP_AND, $1, $3, @$); }
	;

not_expr:
	  cmp
	| NOT not_expr		{ $$ = mk_unary(ctx, OP_NOT, $2, @$); }
	;

cmp:
	  add
	| add cmpop add		{ $$ = mk_binary(ctx, $2, $1, $3, @$); }
	;

cmpop:
	  EQ	{ $$ = OP_EQ; }
	| NE	{ $$ = OP_NE; }
	| '<'	{ $$ = OP_LT; }
	| LE	{ $$ = OP_LE; }
	| '>'	{ $$ = OP_GT; }
	| GE	{ $$ = OP_GE; }
	| IN	{ $$ = OP_IN; }
	| NOTIN	{ $$ = OP_NOT_IN; }
	| '~'	{ $$ = OP_MATCH; }
	| NOMATCH { $$ = OP_NOT_MATCH; }
	;

add:
	  mul
	| add '+' mul		{ $$ = mk_binary(ctx, OP_ADD, $1, $3, @$); }
	| add '-' mul		{ $$ = mk_binary(ctx, OP_SUB, $1, $3, @$); }
	;

mul:
	  unary
	| mul '*' unary		{ $$ = mk_binary(ctx, OP_MUL, $1, $3, @$); }
	| mul '/' unary		{ $$ = mk_binary(ctx, OP_DIV, $1, $3, @$); }
	| mul '%' unary		{ $$ = mk_binary(ctx, OP_MOD, $1, $3, @$); }
	;

unary:
	  postfix
	| '-' unary		{ $$ = mk_unary(ctx, OP_NEG, $2, @$); }
	| '!' unary		{ $$ = mk_unary(ctx, OP_NOT, $2, @$); }
	;

postfix:
	  primary
	| postfix '.' IDENT	{ $$ = mk(ctx, EXPR_FIELD, @$);
				  $$->a = $1; $$->s = $3; $$->slen = strlen($3); }
	| postfix '.' FUNC '(' opt_args ')' {
				  $$ = mk(ctx, EXPR_CALL, @$);
				  $$->s = $3;
				  $$->method = 1;
				  expr_push(A, $$, $1);
				  for (int i = 0; i < $5->nitems; i++)
					expr_push(A, $$, $5->items[i]); }
	| postfix '[' expr ']'	{ $$ = mk(ctx, EXPR_INDEX, @$); $$->a = $1; $$->b = $3; }
	;

primary:
	  IDENT			{ $$ = mk(ctx, EXPR_NAME, @$); $$->s = $1; $$->slen = strlen($1); }
	| ELEM			{ $$ = mk(ctx, EXPR_ELEM, @$); }
	| PARAM			{ $$ = mk(ctx, EXPR_PARAM, @$); $$->s = $1; $$->slen = strlen($1); }
	| INT | FLOAT | STRING | DURATION | SIZE | REGEX
	| TRUE			{ $$ = mk(ctx, EXPR_BOOL, @$); $$->i = 1; }
	| FALSE			{ $$ = mk(ctx, EXPR_BOOL, @$); $$->i = 0; }
	| NUL			{ $$ = mk(ctx, EXPR_NULL, @$); }
	| FUNC '(' opt_args ')'	{ $$ = $3; $$->kind = EXPR_CALL; $$->s = $1; $$->span = sp(@$); }
	| '(' expr ')'		{ $$ = $2; $$->parens++; }
	| '(' arg ',' opt_args ')' {
				  $$ = mk(ctx, EXPR_TUPLE, @$);
				  expr_push(A, $$, $2);
				  for (int i = 0; i < $4->nitems; i++)
					expr_push(A, $$, $4->items[i]); }
	| '(' IDENT '=' expr ')' {
				  struct expr *n = mk(ctx, EXPR_NAMED, @2);
				  n->s = $2; n->slen = strlen($2); n->a = $4;
				  $$ = mk(ctx, EXPR_TUPLE, @$);
				  expr_push(A, $$, n); }
	| '[' opt_args ']'	{ $$ = $2; $$->kind = EXPR_LIST; $$->span = sp(@$); }
	| '{' opt_map '}'	{ $$ = $2; $$->span = sp(@$); }
	;

/* Arguments, tuple and list items: expressions or NAME=value. */
opt_args:
	  %empty		{ $$ = mk(ctx, EXPR_TUPLE, @$); }
	| args			{ $$ = $1; }
	| args ','		{ $$ = $1; }
	;

args:
	  arg			{ $$ = mk(ctx, EXPR_TUPLE, @$); expr_push(A, $$, $1); }
	| args ',' arg		{ $$ = $1; expr_push(A, $$, $3); }
	;

arg:
	  expr
	| IDENT '=' expr	{ $$ = mk(ctx, EXPR_NAMED, @$);
				  $$->s = $1; $$->slen = strlen($1); $$->a = $3; }
	;

opt_map:
	  %empty		{ $$ = mk(ctx, EXPR_MAP, @$); }
	| map_items		{ $$ = $1; }
	| map_items ','		{ $$ = $1; }
	;

map_items:
	  map_key ':' expr	{ $$ = mk(ctx, EXPR_MAP, @$);
				  expr_push(A, $$, $1); expr_push(A, $$, $3); }
	| map_items ',' map_key ':' expr {
				  $$ = $1; expr_push(A, $$, $3); expr_push(A, $$, $5); }
	;

map_key:
	  IDENT			{ $$ = mk(ctx, EXPR_STRING, @$); $$->s = $1; $$->slen = strlen($1); }
	| STRING
	| '(' expr ')'		{ $$ = $2; }
	;

%%

void
parse_error(struct parse_ctx *ctx, struct span at, const char *msg)
{
	struct span *copy = arena_alloc(ctx->arena, sizeof *copy);

	*copy = at;
	arena_push(ctx->arena, (void ***)&ctx->errors, &ctx->nerrors, copy);
	diag_error(ctx->diags, at, "%s", msg);
	ctx->syntax_errors++;
}

static void
yyerror(YYLTYPE *loc, struct parse_ctx *ctx, const char *msg)
{
	if (strcmp(msg, "memory exhausted") == 0)
		msg = "the script nests too deeply";
	parse_error(ctx, sp(*loc), msg);
	lexer_recover(ctx->lx);
}

static int
is_comparison(const char *name)
{
	static const char *const ops[] = {
		"'=='", "'!='", "'<'", "'<='", "'>'", "'>='", "'in'", "'not in'",
		"'~'", "'!~'",
	};

	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(name, ops[i]) == 0)
			return 1;
	return 0;
}

/*
 * Of all the tokens that could come next, the one that closes or completes
 * a construct (a bracket, then/else, ':' in a map, '=>' of a lambda), if
 * any: the likeliest thing forgotten.
 */
static const char *
expected_closer(const yypcontext_t *pc)
{
	static const char *const closers[] = {
		"')'", "']'", "'}'", "'then'", "'else'", "':'",
	};
	yysymbol_kind_t all[YYNTOKENS];
	int n = yypcontext_expected_tokens(pc, all, YYNTOKENS);

	for (size_t c = 0; c < sizeof closers / sizeof closers[0]; c++)
		for (int i = 0; i < n; i++)
			if (strcmp(yysymbol_name(all[i]), closers[c]) == 0)
				return closers[c];
	return NULL;
}

/*
 * "unexpected X, expected A, B or C": the expected list is given only when
 * it is short enough to help.
 */
static int
yyreport_syntax_error(const yypcontext_t *pc, struct parse_ctx *ctx)
{
	enum { MAX_EXPECTED = 4 };
	yysymbol_kind_t expected[MAX_EXPECTED];
	const char *closer;
	yysymbol_kind_t got = yypcontext_token(pc);
	struct strbuf sb = STRBUF_INIT;
	int n, i;

	if (got == YYSYMBOL_YYEMPTY)
		strbuf_adds(&sb, "syntax error");
	else if (got == YYSYMBOL_NEWLINE && ctx->at_eof)
		strbuf_adds(&sb, "unexpected end of file");
	else if ((got == YYSYMBOL_IDENT || got == YYSYMBOL_FUNC ||
	    got == YYSYMBOL_CLAUSE) && ctx->last_word != NULL)
		strbuf_addf(&sb, "unexpected word '%s'", ctx->last_word);
	else if (got == YYSYMBOL_PARAM && ctx->last_word != NULL)
		strbuf_addf(&sb, "unexpected parameter '$%s'", ctx->last_word);
	else
		strbuf_addf(&sb, "unexpected %s", yysymbol_name(got));
	if (got != YYSYMBOL_YYEMPTY && is_comparison(yysymbol_name(got)) &&
	    lexer_after_operand(ctx->lx)) {
		strbuf_adds(&sb, " (comparisons do not chain: join them with and)");
		yyerror((YYLTYPE *)yypcontext_location(pc), ctx, strbuf_str(&sb));
		strbuf_release(&sb);
		return 0;
	}
	n = yypcontext_expected_tokens(pc, expected, MAX_EXPECTED);
	if (n > 0 && n <= MAX_EXPECTED) {
		strbuf_adds(&sb, ", expected ");
		for (i = 0; i < n; i++) {
			if (i > 0)
				strbuf_adds(&sb, i == n - 1 ? " or " : ", ");
			strbuf_adds(&sb, yysymbol_name(expected[i]));
		}
	} else if ((closer = expected_closer(pc)) != NULL) {
		/* Too many to list, but one of them ends what is open. */
		strbuf_addf(&sb, ", expected %s", closer);
	} else if (lexer_depth(ctx->lx) > 0 && got != YYSYMBOL_YYEOF)
		strbuf_adds(&sb, " (is a bracket left open?)");
	yyerror((YYLTYPE *)yypcontext_location(pc), ctx, strbuf_str(&sb));
	strbuf_release(&sb);
	return 0;
}

/* Deeper expressions than this are refused: the passes after the parser
 * recurse over them, and no one writes 500 nested operators by hand. */
#define EXPR_MAX_DEPTH 500

/*
 * Find an expression nested deeper than EXPR_MAX_DEPTH, without recursion.
 * Real nesting counts: an operand, an argument, a field's object, and the
 * parentheses written around one.  A chain of one operator level written
 * without parentheses (_ + _ - _ + ...) is one level however long it is:
 * the parser takes it without nesting, and the passes after the parser
 * walk it in a loop.
 */
static int
nesting(const struct expr *parent, const struct expr *child)
{
	if (child->parens > 0)
		return child->parens;
	return !expr_chain_continues(parent, child);
}

static struct expr *
expr_too_deep(struct expr *root)
{
	struct frame { struct expr *e; int depth; } *stack;
	size_t n = 0, cap = 64;
	struct expr *found = NULL;

	stack = xmalloc(cap * sizeof *stack);
	stack[n++] = (struct frame){ root, root->parens > 0 ? root->parens : 1 };
	while (n > 0 && found == NULL) {
		struct frame f = stack[--n];
		struct expr *kids[3] = { f.e->a, f.e->b, f.e->c };

		if (f.depth > EXPR_MAX_DEPTH) {
			found = f.e;
			break;
		}
		if (n + 3 + (size_t)f.e->nitems >= cap) {
			cap = (n + 3 + (size_t)f.e->nitems) * 2;
			stack = xreallocarray(stack, cap, sizeof *stack);
		}
		for (int i = 0; i < 3; i++) {
			if (kids[i] == NULL)
				continue;
			stack[n++] = (struct frame){ kids[i], f.depth + nesting(f.e, kids[i]) };
		}
		for (int i = 0; i < f.e->nitems; i++)
			stack[n++] = (struct frame){ f.e->items[i],
			    f.depth + nesting(f.e, f.e->items[i]) };
	}
	free(stack);
	return found;
}

static int
check_depth(struct parse_ctx *ctx, struct expr *e)
{
	if (e == NULL || expr_too_deep(e) == NULL)
		return 0;
	diag_error(ctx->diags, e->span, "this expression nests too deeply (more than %d levels)",
	    EXPR_MAX_DEPTH);
	ctx->syntax_errors++;
	return 1;
}

/* A statement with too deep an expression is broken: not checked. */
static void
check_depths(struct parse_ctx *ctx)
{
	for (int i = 0; i < ctx->prog->nstmts; i++) {
		struct stmt *st = ctx->prog->stmts[i];
		int deep = 0;

		for (int j = 0; j < st->nsegs; j++) {
			struct segment *seg = st->segs[j];
			deep += check_depth(ctx, seg->arg);
			for (int k = 0; k < seg->nargs; k++)
				deep += check_depth(ctx, seg->args[k]);
			for (int k = 0; k < seg->nclauses; k++)
				deep += check_depth(ctx, seg->clauses[k]->arg);
		}
		if (deep > 0)
			st->broken = 1;
	}
}

int
parse_program(const char *text, size_t len, struct arena *arena,
    struct diags *diags, struct program **out)
{
	struct parse_ctx ctx = { 0 };

	ctx.arena = arena;
	ctx.diags = diags;
	ctx.prog = arena_zalloc(arena, sizeof *ctx.prog);
	ctx.prog->arena = arena;
	ctx.lx = lexer_new(&ctx, text, len);
	ctx.stmt_from = (struct span){ 1, 0, 1, 0 };
	if (yyparse(&ctx) != 0) {
		ctx.prog->incomplete = 1;
		if (ctx.syntax_errors == 0) {
			struct span s = { 1, 1, 1, 1 };
			diag_error(diags, s, "the script nests too deeply");
			ctx.syntax_errors++;
		}
	}
	lexer_free(ctx.lx);
	check_depths(&ctx);
	*out = ctx.prog;
	return ctx.syntax_errors;
}
