/*
 * span.h: a stretch of script text, as line/column pairs (1-based, columns
 * in bytes).  Every AST node carries one so that every pass can point the
 * user at the exact place an error comes from.
 */
#ifndef SPAN_H
#define SPAN_H

struct span {
	int first_line;
	int first_column;
	int last_line;
	int last_column;
};

/* The span from the start of a to the end of b. */
static inline struct span
span_join(struct span a, struct span b)
{
	struct span s = { a.first_line, a.first_column, b.last_line, b.last_column };
	return s;
}

#endif
