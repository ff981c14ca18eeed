/*
 * source.c: what all sources share -- inputs read into lines, warnings,
 * the constructor by kind.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "source.h"
#include "lang/catalog.h"
#include "lang/plan.h"
#include "stdlib/xmalloc.h"

/* A read takes at most READ_SIZE, and a few reads are done before the
 * loop's other events have their turn; complete lines go to the workers
 * when a block's worth (SOURCE_BLOCK_BYTES) is there. */
#define READ_SIZE (256 * 1024)
#define READ_ROUNDS 8

static void
input_dropped(void *arg, size_t bytes)
{
	struct input *in = arg;

	in->src->host->line_dropped(in->src->host->arg, in->src, bytes);
}

void
input_init(struct input *in, struct source *s, int fd, int pumped,
    void (*cb)(int, short, void *), void *arg)
{
	memset(in, 0, sizeof *in);
	in->src = s;
	in->fd = fd;
	in->pumped = pumped;
	lines_init(&in->lines, input_dropped, in);
	if (pumped)
		in->ev = event_new(s->base, -1, 0, cb, arg);
	else
		in->ev = event_new(s->base, fd, EV_READ | EV_PERSIST, cb, arg);
}

void
input_release(struct input *in)
{
	if (in->ev != NULL)
		event_free(in->ev);
	in->ev = NULL;
	lines_release(&in->lines);
}

/* Read when readable (or, pumped, at the loop's next turn), or not. */
void
input_watch(struct input *in, int on)
{
	if (in->ev == NULL)
		return;
	if (!on)
		event_del(in->ev);
	else if (in->pumped)
		event_active(in->ev, EV_TIMEOUT, 0);
	else
		event_add(in->ev, NULL);
}

void
input_cut(struct input *in)
{
	size_t len;
	char *data = lines_take(&in->lines, &len);

	if (data != NULL)
		in->src->host->lines(in->src->host->arg, in->src, data, len);
}

int
input_read(struct input *in)
{
	for (int rounds = 0; rounds < READ_ROUNDS; rounds++) {
		char *p = lines_space(&in->lines, READ_SIZE);
		ssize_t n = read(in->fd, p, READ_SIZE);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			return -1;
		}
		if (n == 0)
			return 0;
		in->bytes += n;
		lines_added(&in->lines, (size_t)n);
		if (lines_complete(&in->lines) >= SOURCE_BLOCK_BYTES)
			input_cut(in);
		if (in->src->paused || in->src->host->backlogged(in->src->host->arg))
			return 1;
	}
	return 1;
}

void
source_report(struct source *s, enum report_kind kind, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	report_text(s->host->reporter, kind, "%s: %s", s->name, msg);
}

/* ---- by kind ---- */

struct source *
source_new(const struct source_desc *d, const struct source_host *host, struct node *n,
    int once)
{
	struct source *s = xcalloc(1, sizeof *s);

	s->desc = d;
	s->host = host;
	s->node = n;
	s->once = once;
	/* rate=, which every source takes: its source set enforces it. */
	for (int i = 0; i < OP_MAX_ARGS && n->stage->desc->args[i].name != NULL; i++)
		if (strcmp(n->stage->desc->args[i].name, "rate") == 0 && n->stage->args[i].present)
			s->rate = n->stage->args[i].i;
	d->init(s, n->stage->args);
	return s;
}

void
source_free(struct source *s)
{
	if (s == NULL)
		return;
	if (s->impl != NULL)
		s->desc->free(s);
	free(s->name);
	free(s);
}
