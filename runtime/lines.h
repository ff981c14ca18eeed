/*
 * lines.h: bytes of one input (standard input, a connection, a file) cut
 * into complete lines.
 *
 * Bytes are read straight into the buffer (lines_space, then lines_added);
 * lines_take hands over the complete lines read so far as one block, and
 * keeps the partial last line for the next read.  A line longer than
 * LINES_MAX is dropped whole as it goes by (its bytes are never all held):
 * the caller hears of it through the dropped callback.  lines_end makes
 * the partial last line of a stream that ended a line of its own, so a
 * line is never split across two streams (a reconnect, a rotated file).
 */
#ifndef LINES_H
#define LINES_H

#include <stddef.h>

#define LINES_MAX (1024 * 1024)

typedef void lines_dropped_fn(void *arg, size_t bytes);

struct lines {
	char *buf;
	size_t len, cap;
	size_t line_start;	/* where the partial last line begins */
	int discarding;		/* inside a line over the cap */
	size_t discarded;	/* ... of which this many bytes went by */
	lines_dropped_fn *dropped;
	void *arg;
};

void lines_init(struct lines *, lines_dropped_fn *, void *arg);
void lines_release(struct lines *);
/* Room for at least want more bytes, at the buffer's end. */
char *lines_space(struct lines *, size_t want);
/* n bytes were written at lines_space's pointer. */
void lines_added(struct lines *, size_t n);
/* The complete lines so far, each ending in '\n' (the caller frees it), or
 * NULL when there are none. */
char *lines_take(struct lines *, size_t *len);
/* The stream ended: a partial last line becomes a line (or is dropped, if
 * it was too long). */
void lines_end(struct lines *);
/* Bytes held: complete lines and the partial last line. */
static inline size_t lines_pending(const struct lines *l) { return l->len; }
static inline size_t lines_complete(const struct lines *l) { return l->line_start; }

#endif
