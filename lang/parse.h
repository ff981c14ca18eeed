/*
 * parse.h: script text to syntax tree.
 *
 * The scanner (lexer.l) and the grammar (parser.y) share one parse_ctx:
 * no global state, so any number of scripts can be parsed at once.
 */
#ifndef PARSE_H
#define PARSE_H

#include <stddef.h>

#include "ast.h"

struct arena;
struct diags;
struct lexer;

/*
 * The first tokens of the statement being parsed, as the scanner gave
 * them: after a syntax error, all that is known of what it was ("let
 * NAME = ...", "batch ...").
 */
struct stmt_start {
	int ntokens;
	const char *head;		/* its first word, or NULL */
	struct span head_span;
	const char *name;		/* its second word, or NULL */
	struct span name_span;
	int assign;			/* "head name =" */
	struct span span;		/* from its first token to the last so far */
};

struct parse_ctx {
	struct arena *arena;
	struct diags *diags;
	struct program *prog;
	struct lexer *lx;
	int syntax_errors;
	struct span **errors;		/* where each syntax error is */
	int nerrors;
	struct span stmt_from;		/* the end of the statement before */
	struct stmt_start cur;
	struct stmt_start ended;	/* cur when the last line end came */
	const char *last_word;		/* the last name scanned, for messages */
	int at_eof;			/* the last line end was the end of file */
};

/* Count a syntax error of the scanner or the parser, and say it. */
void parse_error(struct parse_ctx *, struct span, const char *msg);

/*
 * Parse text into a program whose nodes live in arena.  Errors go to
 * diags.  After a syntax error the parser goes on at the next stage or
 * statement; the program holds every statement, those with an error
 * marked broken, and is marked incomplete when parsing stopped early.
 * Returns the number of syntax errors.
 */
int parse_program(const char *text, size_t len, struct arena *,
    struct diags *, struct program **out);

/* The scanner's side, used by parser.y. */
struct lexer *lexer_new(struct parse_ctx *, const char *text, size_t len);
void lexer_free(struct lexer *);

#endif
