/*
 * source.c: what all sources share -- inputs read into lines, limited
 * warnings, the constructor by kind -- and standard input.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* ---- standard input ---- */

struct stdin_source {
	struct input in;
	int flags;			/* as they were, put back at the end */
};

static void
stdin_cb(int fd, short what, void *arg)
{
	struct source *s = arg;
	struct stdin_source *ss = s->impl;
	int r;

	(void)fd;
	(void)what;
	if (s->ended || s->paused)
		return;
	r = input_read(&ss->in);
	if (r < 0) {
		/* Not the end of the input: the job fails, after processing
		 * what was read. */
		char msg[256];
		snprintf(msg, sizeof msg, "%s: reading: %s", s->name, strerror(errno));
		s->host->fail(s->host->arg, msg);
		r = 0;
	}
	if (r == 0) {
		lines_end(&ss->in.lines);
		input_cut(&ss->in);
		input_watch(&ss->in, 0);
		s->ended = 1;
		s->host->ended(s->host->arg, s);
		return;
	}
	if (ss->in.pumped && !s->paused && !s->ended)
		input_watch(&ss->in, 1);
}

static int
stdin_start(struct source *s)
{
	struct stdin_source *ss = s->impl;
	struct stat st;

	if (fstat(STDIN_FILENO, &st) == 0 && S_ISDIR(st.st_mode)) {
		report_text(s->host->reporter, REPORT_ERROR, "standard input is a directory");
		return -1;
	}
	if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
		input_init(&ss->in, s, STDIN_FILENO, 1, stdin_cb, s);
		input_watch(&ss->in, 1);
		return 0;
	}
	ss->flags = fcntl(STDIN_FILENO, F_GETFL);
	if (ss->flags >= 0)
		fcntl(STDIN_FILENO, F_SETFL, ss->flags | O_NONBLOCK);
	input_init(&ss->in, s, STDIN_FILENO, 0, stdin_cb, s);
	if (ss->in.ev == NULL || event_add(ss->in.ev, NULL) != 0) {
		/* Not pollable (/dev/null, some files): read it as a file. */
		input_release(&ss->in);
		input_init(&ss->in, s, STDIN_FILENO, 1, stdin_cb, s);
		input_watch(&ss->in, 1);
	}
	return 0;
}

static void
stdin_pause(struct source *s)
{
	input_watch(&((struct stdin_source *)s->impl)->in, 0);
}

static void
stdin_resume(struct source *s)
{
	input_watch(&((struct stdin_source *)s->impl)->in, 1);
}

static void
stdin_cut(struct source *s)
{
	input_cut(&((struct stdin_source *)s->impl)->in);
}

static void
stdin_stop(struct source *s)
{
	input_watch(&((struct stdin_source *)s->impl)->in, 0);
}

static void
stdin_free(struct source *s)
{
	struct stdin_source *ss = s->impl;

	if (ss->flags >= 0 && !ss->in.pumped)
		fcntl(STDIN_FILENO, F_SETFL, ss->flags);
	input_release(&ss->in);
	free(ss);
}

static const struct source_ops stdin_ops = {
	stdin_start, stdin_pause, stdin_resume, stdin_cut, stdin_stop, stdin_free,
};

struct source *
stdin_source_new(void)
{
	struct source *s = xcalloc(1, sizeof *s);
	struct stdin_source *ss = xcalloc(1, sizeof *ss);

	ss->flags = -1;
	s->ops = &stdin_ops;
	s->impl = ss;
	s->name = xstrdup("stdin");
	return s;
}

/* ---- by kind ---- */

struct source *
source_new(const struct source_host *host, struct node *n, int once)
{
	const struct argval *a = n->stage->args;
	struct source *s;

	switch (n->op) {
	case OP_STDIN:
		s = stdin_source_new();
		break;
	case OP_SOCKET:
		s = socket_source_new(a[0].s, (int)a[1].i);
		break;
	case OP_LISTEN:
		s = listen_source_new(a[0].s, (int)a[0].i);
		break;
	case OP_FILES:
		s = files_source_new(a[0].s, a[1].present ? a[1].s : "*",
		    a[2].present ? (int)a[2].i : 1);
		break;
	case OP_TAIL:
		s = tail_source_new(a[0].s, a[1].present && strcmp(a[1].s, "start") == 0);
		break;
	default:
		return NULL;
	}
	s->host = host;
	s->node = n;
	s->once = once;
	return s;
}

void
source_free(struct source *s)
{
	if (s == NULL)
		return;
	s->ops->free(s);
	free(s->name);
	free(s);
}
