/*
 * stdin.c: the stdin source, the lines of standard input.
 *
 * A pipe or a terminal is read when the loop says it is readable (made
 * non-blocking for the job, its flags put back at the end); a regular
 * file, or anything epoll cannot watch, is read in slices from an idle
 * callback.  A read error is not the end of the input: the job fails,
 * after processing what was read.
 *
 * A standard input that is a regular file (`streamjob ... < file`) is
 * replayable: its position is the file's device and inode and the offset
 * up to which its lines were handed over (STDIN_POS_MAGIC, then the three
 * as codec integers).  Restored, reading starts there -- when standard
 * input is still that file; another file is an error at start.
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
#include "runtime/codec.h"
#include "lang/plan.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

/* A saved position starts with the kind's name and a version byte. */
#define STDIN_POS_MAGIC "stdin\001"

struct stdin_source {
	struct input in;
	int have_input;
	int flags;			/* as they were, put back at the end */
	int regular;			/* a regular file, as it was at init */
	uint64_t dev, ino;		/* that file */
	int64_t base_offset;		/* where reading began */
	/* a restored position: where reading starts */
	int restored;
	uint64_t pos_dev, pos_ino;
	int64_t pos_offset;
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
	if (ss->restored && (fstat(STDIN_FILENO, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_dev != ss->pos_dev || (uint64_t)st.st_ino != ss->pos_ino)) {
		report_text(s->host->reporter, REPORT_ERROR,
		    "standard input is not the file the checkpoint read from (it was device %llu "
		    "inode %llu)", (unsigned long long)ss->pos_dev, (unsigned long long)ss->pos_ino);
		return -1;
	}
	if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
		off_t at = ss->restored ? lseek(STDIN_FILENO, (off_t)ss->pos_offset, SEEK_SET) :
		    lseek(STDIN_FILENO, 0, SEEK_CUR);
		ss->regular = 1;
		ss->dev = (uint64_t)st.st_dev;
		ss->ino = (uint64_t)st.st_ino;
		ss->base_offset = at < 0 ? 0 : (int64_t)at;
		ss->restored = 0;
		input_init(&ss->in, s, STDIN_FILENO, 1, stdin_cb, s);
		ss->have_input = 1;
		input_watch(&ss->in, 1);
		return 0;
	}
	ss->regular = 0;
	ss->flags = fcntl(STDIN_FILENO, F_GETFL);
	if (ss->flags >= 0)
		fcntl(STDIN_FILENO, F_SETFL, ss->flags | O_NONBLOCK);
	input_init(&ss->in, s, STDIN_FILENO, 0, stdin_cb, s);
	ss->have_input = 1;
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
	if (ss->have_input)
		input_release(&ss->in);
	free(ss);
}

static int
stdin_replayable(const struct source *s)
{
	return ((const struct stdin_source *)s->impl)->regular;
}

/* Up to the first byte still held: a partial line, or a long line going
 * by to be dropped. */
static void
stdin_save(struct source *s, struct strbuf *sb)
{
	struct stdin_source *ss = s->impl;
	uint64_t dev = ss->dev, ino = ss->ino;
	int64_t off = ss->base_offset;

	if (ss->restored) {
		dev = ss->pos_dev;
		ino = ss->pos_ino;
		off = ss->pos_offset;
	} else if (ss->have_input) {
		const struct lines *l = &ss->in.lines;
		off += ss->in.bytes - (int64_t)lines_pending(l) -
		    (l->discarding ? (int64_t)l->discarded : 0);
	}
	strbuf_adds(sb, STDIN_POS_MAGIC);
	codec_put_u64(sb, dev);
	codec_put_u64(sb, ino);
	codec_put_u64(sb, (uint64_t)off);
}

static int
get_pos(const char *data, size_t len, uint64_t *dev, uint64_t *ino, int64_t *off)
{
	struct codec_reader r;
	uint64_t o;

	codec_reader_init(&r, data, len, STDIN_POS_MAGIC, NULL);
	*dev = codec_get_u64(&r);
	*ino = codec_get_u64(&r);
	o = codec_get_u64(&r);
	if (!codec_done(&r) || o > INT64_MAX)
		return -1;
	*off = (int64_t)o;
	return 0;
}

static int
stdin_describe(const char *data, size_t len, struct strbuf *out)
{
	uint64_t dev, ino;
	int64_t off;

	if (get_pos(data, len, &dev, &ino, &off) != 0)
		return -1;
	strbuf_addf(out, "lines to byte %lld of the file (device %llu inode %llu)", (long long)off,
	    (unsigned long long)dev, (unsigned long long)ino);
	return 0;
}

static int
stdin_restore(struct source *s, const char *data, size_t len)
{
	struct stdin_source *ss = s->impl;
	uint64_t dev, ino;
	int64_t off;

	if (get_pos(data, len, &dev, &ino, &off) != 0)
		return -1;
	ss->pos_dev = dev;
	ss->pos_ino = ino;
	ss->pos_offset = off;
	ss->restored = 1;
	return 0;
}

static int
stdin_replay(struct source *s, const char *fromb, size_t fromlen, const char *tob,
    size_t tolen, struct strbuf *out, char **err)
{
	uint64_t fdev, fino, tdev, tino;
	int64_t from, to;
	struct stat st;

	(void)s;
	if (get_pos(fromb, fromlen, &fdev, &fino, &from) != 0 ||
	    get_pos(tob, tolen, &tdev, &tino, &to) != 0) {
		*err = xstrdup("not a position of stdin");
		return -1;
	}
	if (fdev != tdev || fino != tino || to < from) {
		*err = xstrdup("the positions are out of order");
		return -1;
	}
	if (fstat(STDIN_FILENO, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_dev != tdev || (uint64_t)st.st_ino != tino) {
		*err = xasprintf("standard input is not the file the checkpoint read from (it was "
		    "device %llu inode %llu)", (unsigned long long)tdev, (unsigned long long)tino);
		return -1;
	}
	switch (replay_lines(STDIN_FILENO, from, to, out)) {
	case 0:
		break;
	case -2:
		*err = xstrdup("standard input is shorter than when it was read");
		return -1;
	default:
		*err = xasprintf("reading: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void
stdin_init(struct source *s, const struct argval *a)
{
	struct stdin_source *ss = xcalloc(1, sizeof *ss);

	struct stat st;
	off_t at;

	(void)a;
	ss->flags = -1;
	/* Replayable when a regular file; start looks again. */
	if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
		ss->regular = 1;
		ss->dev = (uint64_t)st.st_dev;
		ss->ino = (uint64_t)st.st_ino;
		at = lseek(STDIN_FILENO, 0, SEEK_CUR);
		ss->base_offset = at < 0 ? 0 : (int64_t)at;
	}
	s->impl = ss;
	s->name = xstrdup("stdin");
}

const struct source_desc source_stdin = {
	.name = "stdin",
	.caps = SOURCE_READS_STDIN,	/* replayable: a regular file only */
	.init = stdin_init,
	.start = stdin_start,
	.pause = stdin_pause,
	.resume = stdin_resume,
	.cut = stdin_cut,
	.stop = stdin_stop,
	.free = stdin_free,
	.save = stdin_save,
	.describe = stdin_describe,
	.restore = stdin_restore,
	.replay = stdin_replay,
	.replayable = stdin_replayable,
};
