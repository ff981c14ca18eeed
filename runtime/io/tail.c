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
 * line even without its newline.
 *
 * The position -- which file (device and inode) and how far its lines
 * have been handed over, how many times the file was switched (a rotation
 * or a truncation) and, of the last switch, the file left and where its
 * reading stopped -- is saved as bytes (TAIL_POS_MAGIC, then those seven
 * as codec integers; version 1, the first three only, is still read).  It
 * is exact after every block handed over: the bytes of the file between
 * two positions are the lines of the blocks between them, so replay reads
 * them again.  A restored position is where reading starts, in the file
 * under PATH if it is still that file, else in that file found next to
 * PATH (rotated while the job was down: its rest is read, then the new
 * file), else at the start of the file under PATH.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
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
#define TAIL_POS_MAGIC "tail\002"
#define TAIL_POS_MAGIC_1 "tail\001"

/* A position, as saved. */
struct tail_pos {
	uint64_t dev, ino;		/* 0, 0: no file */
	int64_t offset;			/* its lines handed over up to here */
	uint64_t gen;			/* switches of file so far */
	uint64_t prev_dev, prev_ino;	/* the file left at the last switch */
	int64_t prev_end;		/* ... and where its reading stopped */
};

struct tail_source {
	struct source *src;
	char *path;
	int from_start;
	int fd;				/* -1 while the file is missing */
	struct input in;
	int have_input;
	struct event *poll_ev;
	int64_t offset;			/* bytes of the file read */
	int64_t base_offset;		/* where reading of this file began */
	int64_t base_bytes;		/* in.bytes then */
	dev_t dev;
	ino_t ino;
	int missing_said;
	/* Switches of file (rotations, truncations), and of the last one
	 * the file left and where its reading stopped. */
	uint64_t gen;
	uint64_t prev_dev, prev_ino;
	int64_t prev_end;
	struct tail_pos restored_pos;
	int restored;			/* the position was restored: start there */
};

static void on_pump(evutil_socket_t, short, void *);
static int open_by_inode(const struct tail_source *, uint64_t dev, uint64_t ino);

/* Bytes of the current file read so far, counted as the input reads
 * them (the host may hear of a block in the middle of input_read). */
static int64_t
read_offset(const struct tail_source *ts)
{
	return ts->base_offset + (ts->in.bytes - ts->base_bytes);
}

/* The position now: up to the first byte still held (a partial line, or a
 * long line going by to be dropped). */
static void
position_now(const struct tail_source *ts, struct tail_pos *p)
{
	memset(p, 0, sizeof *p);
	if (ts->fd >= 0) {
		const struct lines *l = &ts->in.lines;
		p->dev = (uint64_t)ts->dev;
		p->ino = (uint64_t)ts->ino;
		p->offset = read_offset(ts) - (int64_t)lines_pending(l) -
		    (l->discarding ? (int64_t)l->discarded : 0);
	}
	p->gen = ts->gen;
	p->prev_dev = ts->prev_dev;
	p->prev_ino = ts->prev_ino;
	p->prev_end = ts->prev_end;
}

/* The current file is left, read up to here. */
static void
switched(struct tail_source *ts, uint64_t dev, uint64_t ino, int64_t end)
{
	ts->gen++;
	ts->prev_dev = dev;
	ts->prev_ino = ino;
	ts->prev_end = end;
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
	if (ts->restored && (ts->restored_pos.dev != 0 || ts->restored_pos.ino != 0) &&
	    ((uint64_t)st.st_dev != ts->restored_pos.dev ||
	    (uint64_t)st.st_ino != ts->restored_pos.ino)) {
		/* Rotated while the job was down: the rest of the file the
		 * position is in, if it is still next to PATH, comes first;
		 * the rotation is then followed as it would have been. */
		int old = open_by_inode(ts, ts->restored_pos.dev, ts->restored_pos.ino);
		struct stat ost;
		if (old >= 0 && fstat(old, &ost) == 0 && ost.st_size >= ts->restored_pos.offset) {
			close(fd);
			fd = old;
			st = ost;
		} else if (old >= 0)
			close(old);
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
		const struct tail_pos *p = &ts->restored_pos;
		ts->restored = 0;
		at_end = 0;
		ts->gen = p->gen;
		ts->prev_dev = p->prev_dev;
		ts->prev_ino = p->prev_ino;
		ts->prev_end = p->prev_end;
		if ((uint64_t)st.st_dev == p->dev && (uint64_t)st.st_ino == p->ino &&
		    st.st_size >= p->offset)
			ts->offset = lseek(fd, p->offset, SEEK_SET);
		else if (p->ino != 0 || p->dev != 0)
			switched(ts, p->dev, p->ino, p->offset);
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
	ts->base_offset = ts->offset;
	ts->base_bytes = ts->in.bytes;
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
		switched(ts, (uint64_t)ts->dev, (uint64_t)ts->ino, read_offset(ts));
		lseek(ts->fd, 0, SEEK_SET);
		ts->offset = 0;
		ts->base_offset = 0;
		ts->base_bytes = ts->in.bytes;
		return 1;
	}
	if (stat(ts->path, &st) != 0)
		return 0;	/* moved away, nothing new yet: keep the old one */
	if (st.st_dev == ts->dev && st.st_ino == ts->ino)
		return 0;
	/* Rotated: the old file has been read to its end. */
	lines_end(&ts->in.lines);
	input_cut(&ts->in);
	switched(ts, (uint64_t)ts->dev, (uint64_t)ts->ino, read_offset(ts));
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
	r = input_read(&ts->in);
	ts->offset = read_offset(ts);
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
put_pos(struct strbuf *sb, const struct tail_pos *p)
{
	strbuf_adds(sb, TAIL_POS_MAGIC);
	codec_put_u64(sb, p->dev);
	codec_put_u64(sb, p->ino);
	codec_put_u64(sb, (uint64_t)p->offset);
	codec_put_u64(sb, p->gen);
	codec_put_u64(sb, p->prev_dev);
	codec_put_u64(sb, p->prev_ino);
	codec_put_u64(sb, (uint64_t)p->prev_end);
}

/* A position's bytes (this version or the first); -1 when they are not one. */
static int
get_pos(const char *data, size_t len, struct tail_pos *p)
{
	struct codec_reader r;
	uint64_t offset, prev_end = 0;
	int v1 = len >= 5 && memcmp(data, TAIL_POS_MAGIC_1, 5) == 0;

	memset(p, 0, sizeof *p);
	codec_reader_init(&r, data, len, v1 ? TAIL_POS_MAGIC_1 : TAIL_POS_MAGIC, NULL);
	p->dev = codec_get_u64(&r);
	p->ino = codec_get_u64(&r);
	offset = codec_get_u64(&r);
	if (!v1) {
		p->gen = codec_get_u64(&r);
		p->prev_dev = codec_get_u64(&r);
		p->prev_ino = codec_get_u64(&r);
		prev_end = codec_get_u64(&r);
	}
	if (!codec_done(&r) || offset > INT64_MAX || prev_end > INT64_MAX)
		return -1;
	p->offset = (int64_t)offset;
	p->prev_end = (int64_t)prev_end;
	return 0;
}

static void
tail_save(struct source *s, struct strbuf *sb)
{
	struct tail_source *ts = s->impl;
	struct tail_pos p;

	if (ts->restored)
		p = ts->restored_pos;	/* not started yet */
	else
		position_now(ts, &p);
	put_pos(sb, &p);
}

static int
tail_describe(const char *data, size_t len, struct strbuf *out)
{
	struct tail_pos p;

	if (get_pos(data, len, &p) != 0)
		return -1;
	if (p.dev == 0 && p.ino == 0)
		strbuf_adds(out, "no file yet");
	else
		strbuf_addf(out, "file device %llu inode %llu, lines to byte %lld",
		    (unsigned long long)p.dev, (unsigned long long)p.ino, (long long)p.offset);
	if (p.gen > 0)
		strbuf_addf(out, ", after %llu file switch%s", (unsigned long long)p.gen,
		    p.gen == 1 ? "" : "es");
	return 0;
}

static int
tail_restore(struct source *s, const char *data, size_t len)
{
	struct tail_source *ts = s->impl;
	struct tail_pos p;

	if (get_pos(data, len, &p) != 0)
		return -1;
	ts->restored_pos = p;
	ts->restored = 1;
	return 0;
}

/* The file dev/ino, at PATH or, rotated, next to it in its directory: an
 * open descriptor, or -1. */
static int
open_by_inode(const struct tail_source *ts, uint64_t dev, uint64_t ino)
{
	struct stat st;
	char *copy, *dir;
	DIR *d;
	struct dirent *de;
	int fd = open(ts->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino)
		return fd;
	if (fd >= 0)
		close(fd);
	fd = -1;
	copy = xstrdup(ts->path);
	dir = xstrdup(dirname(copy));
	free(copy);
	if ((d = opendir(dir)) != NULL) {
		while (fd < 0 && (de = readdir(d)) != NULL) {
			char *path;
			if ((uint64_t)de->d_ino != ino)
				continue;
			path = xasprintf("%s/%s", dir, de->d_name);
			fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
			free(path);
			if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
			    (uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino)) {
				close(fd);
				fd = -1;
			}
		}
		closedir(d);
	}
	free(dir);
	return fd;
}

/* The lines of file dev/ino's bytes [from, to) (to < 0: to its end). */
static int
replay_file(const struct tail_source *ts, uint64_t dev, uint64_t ino, int64_t from,
    int64_t to, struct strbuf *out, char **err)
{
	int fd, rc;

	if (to >= 0 && to <= from)
		return 0;
	if ((fd = open_by_inode(ts, dev, ino)) < 0) {
		*err = xasprintf("the file it read (device %llu inode %llu) is no longer %s "
		    "nor next to it", (unsigned long long)dev, (unsigned long long)ino, ts->path);
		return -1;
	}
	rc = replay_lines(fd, from, to, out);
	if (rc == -2)
		*err = xasprintf("%s (device %llu inode %llu) is shorter than when it was read: "
		    "truncated since", ts->path, (unsigned long long)dev, (unsigned long long)ino);
	else if (rc != 0)
		*err = xasprintf("reading %s (device %llu inode %llu): %s", ts->path,
		    (unsigned long long)dev, (unsigned long long)ino, strerror(errno));
	close(fd);
	return rc;
}

static int
tail_replay(struct source *s, const char *fromb, size_t fromlen, const char *tob,
    size_t tolen, struct strbuf *out, char **err)
{
	struct tail_source *ts = s->impl;
	struct tail_pos from, to;
	int from_file, to_file;

	if (get_pos(fromb, fromlen, &from) != 0 || get_pos(tob, tolen, &to) != 0) {
		*err = xstrdup("not a position of tail");
		return -1;
	}
	from_file = from.dev != 0 || from.ino != 0;
	to_file = to.dev != 0 || to.ino != 0;
	if (to.gen < from.gen || (to.gen == from.gen && from_file && to_file &&
	    (from.dev != to.dev || from.ino != to.ino || to.offset < from.offset))) {
		*err = xstrdup("the positions are out of order");
		return -1;
	}
	if (to.gen == from.gen) {
		/* The same file (or none at from: it appeared since). */
		if (!to_file)
			return 0;
		return replay_file(ts, to.dev, to.ino, from_file ? from.offset : 0, to.offset,
		    out, err);
	}
	/* A switch in between: the rest of from's file as it was read, then
	 * the new one from its start. */
	if (from_file) {
		int left = to.gen == from.gen + 1 && to.prev_dev == from.dev &&
		    to.prev_ino == from.ino;
		int64_t end = left ? to.prev_end : -1;

		if (left && to_file && to.dev == from.dev && to.ino == from.ino &&
		    end > from.offset) {
			*err = xasprintf("%s (device %llu inode %llu) was truncated since",
			    ts->path, (unsigned long long)from.dev, (unsigned long long)from.ino);
			return -1;
		}
		if (!(left && to_file && to.dev == from.dev && to.ino == from.ino) &&
		    replay_file(ts, from.dev, from.ino, from.offset, end, out, err) != 0)
			return -1;
	}
	if (!to_file)
		return 0;
	return replay_file(ts, to.dev, to.ino, 0, to.offset, out, err);
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
	.describe = tail_describe,
	.restore = tail_restore,
	.replay = tail_replay,
};
