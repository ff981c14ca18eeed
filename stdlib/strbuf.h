/*
 * strbuf.h: a growable byte string, for building messages and output.
 */
#ifndef STRBUF_H
#define STRBUF_H

#include <stddef.h>

struct strbuf {
	char *data;		/* always NUL-terminated once anything is added */
	size_t len;
	size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_add(struct strbuf *, const void *, size_t);
void strbuf_adds(struct strbuf *, const char *);
void strbuf_addc(struct strbuf *, char);
void strbuf_addf(struct strbuf *, const char *, ...) __attribute__((format(printf, 2, 3)));
void strbuf_reset(struct strbuf *);
void strbuf_release(struct strbuf *);
char *strbuf_detach(struct strbuf *);	/* caller frees; never NULL */
const char *strbuf_str(struct strbuf *);	/* "" when empty */

#endif
