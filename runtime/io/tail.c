/*
 * tail.c: the tail(PATH [, from="end"|"start"]) source, lines appended to a
 * growing file, following it as `tail -F` does.
 *
 * The file is read to its end, then looked at again every 100 ms: more
 * bytes are read; a file shorter than what was read was truncated, and is
 * read again from its start; a different file under PATH (a rotation: the
 * old file renamed, a new one created) is switched to once the old one
 * has been read to its end, and read from its start.  A missing file is
 * waited for.  The last line of a file left behind by a rotation is a
 * line even without its newline.  The position -- which file (device and
 * inode) and how far its lines have been handed over -- is saved as
 * bytes (TAIL_POS_MAGIC, then the three as codec integers); a restored
 * position is where reading starts, when the file under PATH is still
 * that file.
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

#define POLL_MS 100
/* A saved position starts with the kind's name and a version byte. */
#define TAIL_POS_MAGIC "tail\001"

struct tail_source {
	struct source *src;
	char *path;
	int from_start;
	int fd;				/* -1 while the file is missing */
	struct input in;
	int have_input;
	struct event *poll_ev;
	int64_t offset;			/* bytes of the file read */
	dev_t dev;
	ino_t ino;
	int missing_said;
	/* The position: which file, and how far its lines were handed over. */
	dev_t pos_dev;
	ino_t pos_ino;
	int64_t pos_offset;
	int restored;			/* the position was restored: start there */
};

static void on_pump(evutil_socket_t, short, void *);

static void
note_position(struct tail_source *ts)
{
	ts->pos_dev = ts->dev;
	ts->pos_ino = ts->ino;
	ts->pos_offset = ts->offset - (int64_t)lines_pending(&ts->in.lines);
}

/* Open PATH; at the start of the job, from its end unless told otherwise. */
static int
open_file(struct tail_source *ts, int at_end)
{
	struct stat st;
	/* Not blocking: opening a named pipe would wait for a writer, and
	 * the loop with it (signals too). */
	int fd = open(ts->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		if (!ts->missing_said)
			source_warn(ts->src, "%s; %s", strerror(errno),
			    ts->src->once ? "nothing to read" : "waiting for it");
		ts->missing_said = 1;
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (!ts->missing_said)
			source_warn(ts->src, "not a file; %s",
			    ts->src->once ? "nothing to read" : "waiting for one");
		ts->missing_said = 1;
		close(fd);
		return -1;
	}
	if (ts->missing_said)
		source_warn(ts->src, "found; reading from its start");
	ts->missing_said = 0;
	ts->fd = fd;
	ts->dev = st.st_dev;
	ts->ino = st.st_ino;
	ts->offset = 0;
	if (ts->restored) {
		/* Where a restored position left off, if it is the same file
		 * and still that long; a new file under PATH is new lines. */
		ts->restored = 0;
		at_end = 0;
		if (st.st_dev == ts->pos_dev && st.st_ino == ts->pos_ino &&
		    st.st_size >= ts->pos_offset)
			ts->offset = lseek(fd, ts->pos_offset, SEEK_SET);
	}
	if (at_end && S_ISREG(st.st_mode))
		ts->offset = lseek(fd, 0, SEEK_END);
	if (ts->offset < 0)
		ts->offset = 0;
	if (!ts->have_input) {
		input_init(&ts->in, ts->src, fd, 1, on_pump, ts);
		ts->have_input = 1;
	} else
		ts->in.fd = fd;
	note_position(ts);
	return 0;
}

/* The file as it is now: rotated, truncated or the same? */
static int
check_file(struct tail_source *ts)
{
	struct stat st, cur;

	if (fstat(ts->fd, &cur) == 0 && S_ISREG(cur.st_mode) && cur.st_size < ts->offset) {
		source_warn(ts->src, "file truncated; reading from its start");
		lines_end(&ts->in.lines);
		input_cut(&ts->in);
		lseek(ts->fd, 0, SEEK_SET);
		ts->offset = 0;
		note_position(ts);
		return 1;
	}
	if (stat(ts->path, &st) != 0)
		return 0;	/* moved away, nothing new yet: keep the old one */
	if (st.st_dev == ts->dev && st.st_ino == ts->ino)
		return 0;
	/* Rotated: the old file has been read to its end. */
	lines_end(&ts->in.lines);
	input_cut(&ts->in);
	close(ts->fd);
	ts->fd = -1;
	if (open_file(ts, 0) != 0)
		return 0;
	source_warn(ts->src, "file replaced; following the new one");
	return 1;
}

static void
tail_end(struct tail_source *ts)
{
	struct source *s = ts->src;

	if (ts->have_input) {
		lines_end(&ts->in.lines);
		input_cut(&ts->in);
	}
	s->ended = 1;
	evtimer_del(ts->poll_ev);
	s->host->ended(s->host->arg, s);
}

static void
on_pump(evutil_socket_t fd, short what, void *arg)
{
	struct tail_source *ts = arg;
	struct source *s = ts->src;
	int64_t before;
	int r;

	(void)fd;
	(void)what;
	if (s->paused || s->ended)
		return;
	if (ts->fd < 0 && open_file(ts, 0) != 0) {
		if (s->once)
			tail_end(ts);
		return;
	}
	before = ts->in.bytes;
	r = input_read(&ts->in);
	ts->offset += ts->in.bytes - before;
	note_position(ts);
	if (r > 0) {
		if (!s->paused)
			input_watch(&ts->in, 1);
		return;
	}
	if (r < 0)
		source_warn(s, "reading: %s", strerror(errno));
	input_cut(&ts->in);
	if (s->once) {
		tail_end(ts);
		return;
	}
	if (check_file(ts) && !s->paused)
		input_watch(&ts->in, 1);
}

static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct tail_source *ts = arg;

	(void)fd;
	(void)what;
	if (!ts->src->paused && !ts->src->ended)
		on_pump(-1, 0, ts);
}

static int
tail_start(struct source *s)
{
	struct tail_source *ts = s->impl;
	struct timeval tv = { 0, POLL_MS * 1000 };

	ts->poll_ev = event_new(s->base, -1, EV_PERSIST, on_poll, ts);
	if (open_file(ts, !ts->from_start && !s->once) == 0)
		input_watch(&ts->in, 1);
	else if (s->once) {
		/* Nothing to read now: the job ends at once. */
		event_active(ts->poll_ev, EV_TIMEOUT, 0);
	}
	if (!s->once || ts->fd < 0)
		evtimer_add(ts->poll_ev, &tv);
	return 0;
}

static void
tail_pause(struct source *s)
{
	struct tail_source *ts = s->impl;

	if (ts->have_input)
		input_watch(&ts->in, 0);
}

static void
tail_resume(struct source *s)
{
	struct tail_source *ts = s->impl;

	if (ts->have_input && ts->fd >= 0)
		input_watch(&ts->in, 1);
}

static void
tail_cut(struct source *s)
{
	struct tail_source *ts = s->impl;

	if (ts->have_input)
		input_cut(&ts->in);
}

static void
tail_stop(struct source *s)
{
	struct tail_source *ts = s->impl;

	s->ended = 1;
	if (ts->poll_ev != NULL)
		evtimer_del(ts->poll_ev);
	if (ts->have_input)
		input_watch(&ts->in, 0);
}

static void
tail_free(struct source *s)
{
	struct tail_source *ts = s->impl;

	if (ts->have_input)
		input_release(&ts->in);
	if (ts->fd >= 0)
		close(ts->fd);
	if (ts->poll_ev != NULL)
		event_free(ts->poll_ev);
	free(ts->path);
	free(ts);
}

static void
tail_save(struct source *s, struct strbuf *sb)
{
	struct tail_source *ts = s->impl;

	strbuf_adds(sb, TAIL_POS_MAGIC);
	codec_put_u64(sb, (uint64_t)ts->pos_dev);
	codec_put_u64(sb, (uint64_t)ts->pos_ino);
	codec_put_u64(sb, (uint64_t)ts->pos_offset);
}

static int
tail_restore(struct source *s, const char *data, size_t len)
{
	struct tail_source *ts = s->impl;
	struct codec_reader r;
	uint64_t dev, ino, offset;

	codec_reader_init(&r, data, len, TAIL_POS_MAGIC, NULL);
	dev = codec_get_u64(&r);
	ino = codec_get_u64(&r);
	offset = codec_get_u64(&r);
	if (!codec_done(&r) || offset > INT64_MAX)
		return -1;
	ts->pos_dev = (dev_t)dev;
	ts->pos_ino = (ino_t)ino;
	ts->pos_offset = (int64_t)offset;
	ts->restored = 1;
	return 0;
}

static void
tail_init(struct source *s, const struct argval *a)
{
	struct tail_source *ts = xcalloc(1, sizeof *ts);

	ts->src = s;
	ts->path = xstrdup(a[0].s);
	ts->from_start = a[1].present && strcmp(a[1].s, "start") == 0;
	ts->fd = -1;
	s->impl = ts;
	s->name = xasprintf("tail %s", ts->path);
}

const struct source_desc source_tail = {
	.name = "tail",
	.caps = SOURCE_REPLAYABLE | SOURCE_READ_ONCE,
	.init = tail_init,
	.start = tail_start,
	.pause = tail_pause,
	.resume = tail_resume,
	.cut = tail_cut,
	.stop = tail_stop,
	.free = tail_free,
	.save = tail_save,
	.restore = tail_restore,
};
