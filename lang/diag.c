/*
 * diag.c: error collection and formatting.
 *
 * Columns in spans count bytes; the printed column counts characters
 * (UTF-8), and the caret line repeats the tabs of the source line so the
 * caret sits under the right character in any terminal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

/* At most this many errors are kept: a runaway script stays readable. */
#define DIAG_MAX 100

struct diag_entry {
	struct span span;
	char *msg;
	int seq;
};

struct diags {
	char *name;
	const char *text;
	size_t len;
	struct diag_entry *v;
	int n;
	int dropped;
	char **hints;
	int nhints;
	struct span *hidden;
	int nhidden;
};

struct diags *
diags_new(const char *name, const char *text, size_t len)
{
	struct diags *d = xcalloc(1, sizeof *d);
	d->name = xstrdup(name);
	d->text = text;
	d->len = len;
	return d;
}

void
diags_free(struct diags *d)
{
	int i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	for (i = 0; i < d->nhints; i++)
		free(d->hints[i]);
	free(d->hints);
	free(d->hidden);
	free(d->name);
	free(d);
}

/* The message of fmt, of any length; caller frees. */
static char *
diag_vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	char *buf;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return xstrdup(fmt);
	buf = xmalloc((size_t)n + 1);
	vsnprintf(buf, (size_t)n + 1, fmt, ap);
	return buf;
}

void
diag_error(struct diags *d, struct span span, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int i;

	va_start(ap, fmt);
	msg = diag_vformat(fmt, ap);
	va_end(ap);
	/* The same error at the same place is said once. */
	for (i = 0; i < d->n; i++) {
		if (d->v[i].span.first_line == span.first_line &&
		    d->v[i].span.first_column == span.first_column &&
		    strcmp(d->v[i].msg, msg) == 0) {
			free(msg);
			return;
		}
	}
	if (d->n >= DIAG_MAX) {
		d->dropped++;
		free(msg);
		return;
	}
	d->v = xreallocarray(d->v, (size_t)d->n + 1, sizeof *d->v);
	d->v[d->n].span = span;
	d->v[d->n].msg = msg;
	d->v[d->n].seq = d->n;
	d->n++;
}

void
diag_hint(struct diags *d, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = diag_vformat(fmt, ap);
	va_end(ap);
	for (int i = 0; i < d->nhints; i++) {
		if (strcmp(d->hints[i], msg) == 0) {
			free(msg);
			return;
		}
	}
	d->hints = xreallocarray(d->hints, (size_t)d->nhints + 1, sizeof *d->hints);
	d->hints[d->nhints++] = msg;
}

void
diags_hide(struct diags *d, struct span span)
{
	d->hidden = xreallocarray(d->hidden, (size_t)d->nhidden + 1, sizeof *d->hidden);
	d->hidden[d->nhidden++] = span;
}

/* Is byte col (0-based) of line number line in a hidden span, and not
 * its quotes? */
static int
diag_hidden(const struct diags *d, int line, size_t col, const char *text, size_t len)
{
	for (int i = 0; i < d->nhidden; i++) {
		const struct span *s = &d->hidden[i];
		size_t from = 0, to = len;	/* [from, to) on this line */
		if (line < s->first_line || line > s->last_line)
			continue;
		if (line == s->first_line)
			from = s->first_column > 0 ? (size_t)s->first_column - 1 : 0;
		if (line == s->last_line && (size_t)s->last_column < to)
			to = (size_t)s->last_column;
		if (col < from || col >= to)
			continue;
		if ((col == from && line == s->first_line && text[col] == '"') ||
		    (col + 1 == to && line == s->last_line && text[col] == '"'))
			return 0;
		return 1;
	}
	return 0;
}

int
diags_count(const struct diags *d)
{
	return d->n + d->dropped;
}


static int
diag_cmp(const void *pa, const void *pb)
{
	const struct diag_entry *a = pa, *b = pb;

	if (a->span.first_line != b->span.first_line)
		return a->span.first_line < b->span.first_line ? -1 : 1;
	if (a->span.first_column != b->span.first_column)
		return a->span.first_column < b->span.first_column ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The start and length of line number (1-based) in the text. */
static int
diag_line(const struct diags *d, int line, const char **start, size_t *len)
{
	const char *p = d->text, *end = d->text + d->len, *nl;
	int n = 1;

	while (n < line) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return 0;
		p = nl + 1;
		n++;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	*start = p;
	*len = (size_t)((nl != NULL ? nl : end) - p);
	if (*len > 0 && p[*len - 1] == '\r')
		(*len)--;
	return 1;
}

static void
diag_format_one(struct diags *d, struct strbuf *sb, const struct diag_entry *e)
{
	const char *line;
	size_t len, col, i;
	int chars = 0;

	if (!diag_line(d, e->span.first_line, &line, &len)) {
		strbuf_addf(sb, "%s:%d:%d: error: %s\n", d->name,
		    e->span.first_line, e->span.first_column, e->msg);
		return;
	}
	col = e->span.first_column > 0 ? (size_t)e->span.first_column - 1 : 0;
	if (col > len)
		col = len;
	for (i = 0; i < col; i++)
		if (((unsigned char)line[i] & 0xC0) != 0x80)
			chars++;
	strbuf_addf(sb, "%s:%d:%d: error: %s\n", d->name, e->span.first_line,
	    chars + 1, e->msg);
	/* The source line as it is, but for bytes a terminal would not show
	 * (a NUL would even cut the message short): those print as '?'. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (diag_hidden(d, e->span.first_line, i, line, len)) {
			if ((c & 0xC0) != 0x80)	/* one '*' a character */
				strbuf_addc(sb, '*');
		} else
			strbuf_addc(sb, (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c);
	}
	strbuf_addc(sb, '\n');
	for (i = 0; i < col; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c == '\t')
			strbuf_addc(sb, '\t');
		else if ((c & 0xC0) != 0x80)
			strbuf_addc(sb, ' ');
	}
	strbuf_adds(sb, "^\n");
}

char *
diags_format(struct diags *d)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	if (d->n > 1)
		qsort(d->v, (size_t)d->n, sizeof *d->v, diag_cmp);
	for (i = 0; i < d->n; i++)
		diag_format_one(d, &sb, &d->v[i]);
	if (d->dropped > 0)
		strbuf_addf(&sb, "%s: %d more errors not shown\n", d->name,
		    d->dropped);
	for (i = 0; i < d->nhints; i++)
		strbuf_addf(&sb, "hint: %s\n", d->hints[i]);
	return strbuf_detach(&sb);
}
