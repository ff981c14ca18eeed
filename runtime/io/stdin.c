/*
 * stdin.c: the stdin source, the lines of standard input.
 *
 * A pipe or a terminal is read when the loop says it is readable (made
 * non-blocking for the job, its flags put back at the end); a regular
 * file, or anything epoll cannot watch, is read in slices from an idle
 * callback.  A read error is not the end of the input: the job fails,
 * after processing what was read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "registry.h"
#include "source.h"
#include "lang/plan.h"
#include "stdlib/xmalloc.h"

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

static void
stdin_init(struct source *s, const struct argval *a)
{
	struct stdin_source *ss = xcalloc(1, sizeof *ss);

	(void)a;
	ss->flags = -1;
	s->impl = ss;
	s->name = xstrdup("stdin");
}

const struct source_desc source_stdin = {
	.name = "stdin",
	.caps = SOURCE_READS_STDIN,
	.init = stdin_init,
	.start = stdin_start,
	.pause = stdin_pause,
	.resume = stdin_resume,
	.cut = stdin_cut,
	.stop = stdin_stop,
	.free = stdin_free,
};
