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

struct parse_ctx {
	struct arena *arena;
	struct diags *diags;
	struct program *prog;
	struct lexer *lx;
	int syntax_errors;
	const char *last_word;		/* the last name scanned, for messages */
	int at_eof;			/* the last line end was the end of file */
};

/*
 * Parse text into a program whose nodes live in arena.  Errors go to
 * diags; the program holds the statements that parsed.  Returns the number
 * of syntax errors.
 */
int parse_program(const char *text, size_t len, struct arena *,
    struct diags *, struct program **out);

/* The scanner's side, used by parser.y. */
struct lexer *lexer_new(struct parse_ctx *, const char *text, size_t len);
void lexer_free(struct lexer *);

#endif
