/*
 * lines.c: complete lines out of a stream of bytes; see lines.h.
 */
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "stdlib/xmalloc.h"

void
lines_init(struct lines *l, lines_dropped_fn *dropped, void *arg)
{
	memset(l, 0, sizeof *l);
	l->dropped = dropped;
	l->arg = arg;
}

void
lines_release(struct lines *l)
{
	free(l->buf);
	l->buf = NULL;
	l->len = l->cap = l->line_start = 0;
}

char *
lines_space(struct lines *l, size_t want)
{
	if (l->cap - l->len < want) {
		/* Doubling: small reads must not each move the buffer. */
		size_t cap = l->len + want + 1;
		if (cap < 2 * l->cap)
			cap = 2 * l->cap;
		l->cap = cap;
		l->buf = xrealloc(l->buf, l->cap);
	}
	return l->buf + l->len;
}

static void
report(struct lines *l)
{
	size_t bytes = l->discarded;

	l->discarding = 0;
	l->discarded = 0;
	if (l->dropped != NULL)
		l->dropped(l->arg, bytes);
}

/* The complete lines between line_start and the last newline at or after
 * from: one by one, dropping those over the cap. */
static void
scan_lines(struct lines *l, size_t from)
{
	char *nl;

	while ((nl = memchr(l->buf + from, '\n', l->len - from)) != NULL) {
		size_t end = (size_t)(nl - l->buf);
		if (end - l->line_start > LINES_MAX) {
			l->discarded = end - l->line_start;
			memmove(l->buf + l->line_start, nl + 1, l->len - end - 1);
			l->len -= end + 1 - l->line_start;
			report(l);
			from = l->line_start;
			continue;
		}
		l->line_start = end + 1;
		from = l->line_start;
	}
}

void
lines_added(struct lines *l, size_t n)
{
	size_t from = l->len;
	char *last;

	l->len += n;
	if (l->discarding) {
		/* The rest of a long line: skip to its end. */
		char *nl = memchr(l->buf + from, '\n', n);
		if (nl == NULL) {
			l->discarded += n;
			l->len = from;
			return;
		}
		l->discarded += (size_t)(nl - (l->buf + from));
		memmove(l->buf + from, nl + 1, l->len - (size_t)(nl - l->buf) - 1);
		l->len -= (size_t)(nl - (l->buf + from)) + 1;
		report(l);
		n = l->len - from;
		if (n == 0)
			return;
	}
	/* Usually no line is long: the last newline settles it at once. */
	last = memrchr(l->buf + from, '\n', n);
	if (last != NULL) {
		if ((size_t)(last - l->buf) - l->line_start <= LINES_MAX)
			l->line_start = (size_t)(last - l->buf) + 1;
		else
			scan_lines(l, from);
	}
	if (l->len - l->line_start > LINES_MAX) {
		/* The partial line is already too long: let it go by. */
		l->discarding = 1;
		l->discarded = l->len - l->line_start;
		l->len = l->line_start;
	}
}

char *
lines_take(struct lines *l, size_t *len)
{
	char *data;
	size_t n = l->line_start;

	if (n == 0)
		return NULL;
	/* The buffer itself becomes the block; the partial line starts a
	 * new one, just big enough (an idle connection holds no buffer). */
	data = l->buf;
	l->len -= n;
	l->cap = l->len;
	l->buf = NULL;
	if (l->len > 0) {
		l->buf = xmalloc(l->len);
		memcpy(l->buf, data + n, l->len);
	}
	l->line_start = 0;
	*len = n;
	return data;
}

void
lines_end(struct lines *l)
{
	if (l->discarding) {
		report(l);
		return;
	}
	if (l->len > l->line_start) {
		lines_space(l, 1);
		l->buf[l->len++] = '\n';
		l->line_start = l->len;
	}
}
