/*
 * diag.h: the errors found in one script, and the one printer for them.
 *
 * Passes never print: they add errors here with the span they are about,
 * and cli/ decides whether and where to print them.  The format is a C
 * compiler's: "FILE:LINE:COL: error: MESSAGE", the source line, a caret;
 * hints, if any, follow all errors.
 */
#ifndef DIAG_H
#define DIAG_H

#include <stddef.h>

#include "span.h"

struct diags;

/* name is what errors call the script ("<eval>" for -e); text is borrowed. */
struct diags *diags_new(const char *name, const char *text, size_t len);
void diags_free(struct diags *);

void diag_error(struct diags *, struct span, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A line "hint: MESSAGE" printed after all errors, once however often
 * it is added; it does not count as an error. */
void diag_hint(struct diags *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int diags_count(const struct diags *);

/* The text of span is a secret (a password in a setting): the source
 * lines of errors show '*' for each of its characters, quotes aside. */
void diags_hide(struct diags *, struct span);

/* All errors, ordered by position, as text to print; caller frees. */
char *diags_format(struct diags *);


#endif
