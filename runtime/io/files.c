/*
 * files.c: the files("DIR" [, glob="*"] [, existing=true]) source, the
 * lines of each new file that appears in DIR (Spark's textFileStream).
 *
 * Files are taken in the order they arrive: the ones present at the start
 * by modification time (then name), then as inotify reports them -- moved
 * in (IN_MOVED_TO) or closed after writing (IN_CLOSE_WRITE).  Where
 * inotify is not available, or its queue overflowed, DIR is scanned again
 * every 500 ms.  The convention, as in Spark, is that a writer creates its
 * file elsewhere (or under a name starting with `.` or `_`, which are
 * ignored) and renames it into DIR when it is complete, so a file is never
 * read half-written.  Each file is read once, whole, one file after
 * another; its last line is a line even without a newline.
 *
 * The position is the names done -- read, skipped, or present at the
 * first start with existing=false -- in the order they were done, each
 * with whether its lines were read, then the file being read and the
 * offset up to which its lines were handed over.  As bytes:
 * FILES_POS_MAGIC, a count, per name a codec string and 1 (read) or 0,
 * the current name as a codec string ("" when none) and the offset.  It
 * is exact after every block handed over, so replay reads the lines
 * between two positions again: the rest of the first one's current file,
 * the files read since, the start of the second one's current file.  A
 * restored position makes its names done again, so they are not read
 * twice, and the current file is read on from its offset.  Version 1
 * (the names done, sorted by their bytes) is still read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "runtime/keymap.h"
#include "registry.h"
#include "source.h"
#include "runtime/codec.h"
#include "lang/plan.h"
#include "stdlib/arena.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

#define SCAN_MS 500
/* A saved position starts with the kind's name and a version byte. */
#define FILES_POS_MAGIC "files\002"
#define FILES_POS_MAGIC_1 "files\001"

enum { NAME_QUEUED = 1, NAME_DONE = 2, NAME_IGNORED = 3 };

struct files_source {
	struct source *src;
	char *dir, *glob;
	int existing;
	struct keymap seen;		/* name -> its mark, names copied in */
	struct arena *seen_arena;
	char **queue;			/* names waiting, in order of arrival */
	size_t qhead, qlen, qcap;
	int ino_fd;
	struct event *ino_ev;
	struct event *scan_ev;
	int scanning;			/* no inotify: scan every SCAN_MS */
	/* the file being read */
	int fd;
	char *current;
	struct input in;
	int have_input;
	int64_t cur_offset;		/* where reading of it began */
	int64_t cur_bytes;		/* in.bytes then */
	/* the names done, in order, as the position holds them */
	struct strbuf done;
	uint64_t ndone;
	/* a restored position's file being read, and where */
	char *resume;
	int64_t resume_offset;
	int restored;
};

/* What is known of a name: 0 (nothing), or one of the marks. */
static int
names_get(const struct files_source *fs, const char *name)
{
	struct value k = value_str(name, strlen(name));
	struct kentry *e = keymap_find(&fs->seen, k, value_hash(k));

	return e != NULL ? (int)e->aux : 0;
}

static void
names_set(struct files_source *fs, const char *name, int mark)
{
	struct value k = value_str(name, strlen(name));
	int created;

	keymap_upsert(&fs->seen, k, value_hash(k), &created)->aux = mark;
}

/* name is done: read (its lines handed over), or not. */
static void
mark_done(struct files_source *fs, const char *name, int read)
{
	if (names_get(fs, name) == NAME_DONE || names_get(fs, name) == NAME_IGNORED)
		return;
	names_set(fs, name, read < 0 ? NAME_IGNORED : NAME_DONE);
	codec_put_value(&fs->done, value_str(name, strlen(name)));
	codec_put_u64(&fs->done, read > 0 ? 1 : 0);
	fs->ndone++;
}

/* Is this a name to read: not hidden, matching the glob, a regular file? */
static int
wanted(struct files_source *fs, const char *name, struct stat *st)
{
	char *path;
	int ok;

	if (name[0] == '.' || name[0] == '_' || fnmatch(fs->glob, name, 0) != 0)
		return 0;
	path = xasprintf("%s/%s", fs->dir, name);
	ok = stat(path, st) == 0 && S_ISREG(st->st_mode);
	free(path);
	return ok;
}

static void
enqueue(struct files_source *fs, const char *name)
{
	if (fs->qhead > 0 && fs->qhead == fs->qlen) {
		fs->qhead = fs->qlen = 0;
	}
	if (fs->qlen == fs->qcap) {
		fs->qcap = fs->qcap == 0 ? 64 : fs->qcap * 2;
		fs->queue = xreallocarray(fs->queue, fs->qcap, sizeof *fs->queue);
	}
	fs->queue[fs->qlen++] = xstrdup(name);
	names_set(fs, name, NAME_QUEUED);
}

struct found {
	char *name;
	struct timespec mtime;
};

static int
found_cmp(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void start_next(struct files_source *);

/* Look at DIR: the files not seen yet, oldest first, are queued (or, at
 * the first look with existing=false, only remembered). */
static int
scan(struct files_source *fs, int first)
{
	DIR *d = opendir(fs->dir);
	struct dirent *de;
	struct found *found = NULL;
	size_t n = 0, cap = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (names_get(fs, de->d_name) != 0 || !wanted(fs, de->d_name, &st))
			continue;
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			found = xreallocarray(found, cap, sizeof *found);
		}
		found[n].name = xstrdup(de->d_name);
		found[n].mtime = st.st_mtim;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(found, n, sizeof *found, found_cmp);
	for (size_t i = 0; i < n; i++) {
		if (first && !fs->existing)
			mark_done(fs, found[i].name, -1);
		else
			enqueue(fs, found[i].name);
		free(found[i].name);
	}
	free(found);
	return 0;
}

static void
files_end(struct files_source *fs)
{
	fs->src->ended = 1;
	fs->src->host->ended(fs->src->host->arg, fs->src);
}

static void on_pump(evutil_socket_t, short, void *);

/* The file being read is done; take the next one, if any. */
static void
finish_current(struct files_source *fs)
{
	lines_end(&fs->in.lines);
	input_cut(&fs->in);
	close(fs->fd);
	fs->fd = -1;
	mark_done(fs, fs->current, 1);
	free(fs->current);
	fs->current = NULL;
}

static void
start_next(struct files_source *fs)
{
	struct source *s = fs->src;

	while (fs->fd < 0 && fs->qhead < fs->qlen) {
		char *name = fs->queue[fs->qhead++];
		char *path = xasprintf("%s/%s", fs->dir, name);
		/* Not blocking: the name may be a named pipe by now, and opening
		 * one would wait for a writer, the loop with it. */
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		struct stat st;
		if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
			close(fd);
			fd = -1;
			source_warn(s, "%s: not a regular file; skipped", path);
		} else if (fd < 0)
			source_warn(s, "%s: %s; skipped", path, strerror(errno));
		if (fd < 0) {
			mark_done(fs, name, 0);
			free(name);
		} else {
			fs->fd = fd;
			fs->current = name;
			fs->in.fd = fd;
			fs->cur_offset = 0;
			fs->cur_bytes = fs->in.bytes;
			/* A restored position's file: on from its offset. */
			if (fs->resume != NULL && strcmp(fs->resume, name) == 0) {
				off_t at = lseek(fd, (off_t)fs->resume_offset, SEEK_SET);
				fs->cur_offset = at < 0 ? 0 : (int64_t)at;
				free(fs->resume);
				fs->resume = NULL;
			}
		}
		free(path);
	}
	if (fs->fd >= 0) {
		if (!s->paused)
			input_watch(&fs->in, 1);
		return;
	}
	if (s->once && !s->ended)
		files_end(fs);
}

static void
on_pump(evutil_socket_t fd, short what, void *arg)
{
	struct files_source *fs = arg;
	struct source *s = fs->src;
	int r;

	(void)fd;
	(void)what;
	if (s->paused || s->ended || fs->fd < 0)
		return;
	r = input_read(&fs->in);
	if (r > 0) {
		if (!s->paused)
			input_watch(&fs->in, 1);
		return;
	}
	if (r < 0)
		source_warn(s, "reading %s/%s: %s", fs->dir, fs->current, strerror(errno));
	finish_current(fs);
	start_next(fs);
}

static void
on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct files_source *fs = arg;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)(void *)p;
			struct stat st;
			p += sizeof *ev + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				scan(fs, 0);
				continue;
			}
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
				source_warn(fs->src, "the directory went away; watching stops");
				event_del(fs->ino_ev);
				return;
			}
			if (ev->len == 0 || names_get(fs, ev->name) != 0 ||
			    !wanted(fs, ev->name, &st))
				continue;
			enqueue(fs, ev->name);
		}
	}
	if (fs->fd < 0)
		start_next(fs);
}

static void
on_scan(evutil_socket_t fd, short what, void *arg)
{
	struct files_source *fs = arg;

	(void)fd;
	(void)what;
	if (fs->src->ended)
		return;
	scan(fs, 0);
	if (fs->fd < 0)
		start_next(fs);
}

static int
files_start(struct source *s)
{
	struct files_source *fs = s->impl;
	int restored = fs->restored;
	struct stat st;

	if (stat(fs->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		source_error(s, "%s",
		    errno != 0 && stat(fs->dir, &st) != 0 ? strerror(errno) : "not a directory");
		return -1;
	}
	input_init(&fs->in, s, -1, 1, on_pump, fs);
	fs->have_input = 1;
	/* Watch first, then look: a file arriving in between is seen twice,
	 * and taken once. */
	if (!s->once) {
		fs->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (fs->ino_fd >= 0 && inotify_add_watch(fs->ino_fd, fs->dir,
		    IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
			close(fs->ino_fd);
			fs->ino_fd = -1;
		}
		if (fs->ino_fd >= 0) {
			fs->ino_ev = event_new(s->base, fs->ino_fd, EV_READ | EV_PERSIST,
			    on_inotify, fs);
			event_add(fs->ino_ev, NULL);
		} else {
			struct timeval tv = { 0, SCAN_MS * 1000 };
			fs->scanning = 1;
			fs->scan_ev = event_new(s->base, -1, EV_PERSIST, on_scan, fs);
			evtimer_add(fs->scan_ev, &tv);
		}
	}
	/* A restored position's file being read goes first. */
	if (fs->resume != NULL && names_get(fs, fs->resume) == 0)
		enqueue(fs, fs->resume);
	fs->restored = 0;
	if (scan(fs, !restored) != 0) {
		source_error(s, "%s", strerror(errno));
		return -1;
	}
	start_next(fs);
	return 0;
}

static void
files_pause(struct source *s)
{
	struct files_source *fs = s->impl;

	input_watch(&fs->in, 0);
}

static void
files_resume(struct source *s)
{
	struct files_source *fs = s->impl;

	if (fs->fd >= 0)
		input_watch(&fs->in, 1);
	else
		start_next(fs);
}

static void
files_cut(struct source *s)
{
	struct files_source *fs = s->impl;

	input_cut(&fs->in);
}

static void
files_stop(struct source *s)
{
	struct files_source *fs = s->impl;

	s->ended = 1;
	input_watch(&fs->in, 0);
	if (fs->ino_ev != NULL)
		event_del(fs->ino_ev);
	if (fs->scan_ev != NULL)
		event_del(fs->scan_ev);
}

static void
files_free(struct source *s)
{
	struct files_source *fs = s->impl;

	if (fs->have_input)
		input_release(&fs->in);
	if (fs->fd >= 0)
		close(fs->fd);
	if (fs->ino_ev != NULL)
		event_free(fs->ino_ev);
	if (fs->scan_ev != NULL)
		event_free(fs->scan_ev);
	if (fs->ino_fd >= 0)
		close(fs->ino_fd);
	for (size_t i = fs->qhead; i < fs->qlen; i++)
		free(fs->queue[i]);
	free(fs->queue);
	free(fs->current);
	free(fs->resume);
	strbuf_release(&fs->done);
	keymap_release(&fs->seen);
	arena_free(fs->seen_arena);
	free(fs->dir);
	free(fs->glob);
	free(fs);
}

/* The current file and the offset up to which its lines were handed over:
 * up to the first byte still held (a partial line, or a long line going by
 * to be dropped). */
static void
current_position(const struct files_source *fs, const char **name, int64_t *offset)
{
	if (fs->current != NULL) {
		const struct lines *l = &fs->in.lines;
		*name = fs->current;
		*offset = fs->cur_offset + (fs->in.bytes - fs->cur_bytes) -
		    (int64_t)lines_pending(l) - (l->discarding ? (int64_t)l->discarded : 0);
	} else if (fs->resume != NULL) {
		*name = fs->resume;	/* restored, not started yet */
		*offset = fs->resume_offset;
	} else {
		*name = "";
		*offset = 0;
	}
}

static void
files_save(struct source *s, struct strbuf *sb)
{
	struct files_source *fs = s->impl;
	const char *name;
	int64_t offset;

	current_position(fs, &name, &offset);
	strbuf_adds(sb, FILES_POS_MAGIC);
	codec_put_u64(sb, fs->ndone);
	if (fs->done.len > 0)
		strbuf_add(sb, fs->done.data, fs->done.len);
	codec_put_value(sb, value_str(name, strlen(name)));
	codec_put_u64(sb, (uint64_t)offset);
}

/* A position read: its names done (in order, read or not), its current
 * file and offset.  Version 1 has names only (none read, no current). */
struct files_pos {
	struct value *names;
	int *read;
	uint64_t n;
	struct value current;
	int64_t offset;
};

static int
is_name(struct value v, int empty_ok)
{
	return v.type == VT_STR && (empty_ok || v.n > 0) &&
	    memchr(v.u.s, '\0', v.n) == NULL;
}

static int
get_pos(const char *data, size_t len, struct arena *a, struct files_pos *p)
{
	struct codec_reader r;
	int v1 = len >= 6 && memcmp(data, FILES_POS_MAGIC_1, 6) == 0;
	uint64_t offset = 0;

	memset(p, 0, sizeof *p);
	codec_reader_init(&r, data, len, v1 ? FILES_POS_MAGIC_1 : FILES_POS_MAGIC, a);
	p->n = codec_get_u64(&r);
	/* every name takes 9 bytes at least: a count past the end is a lie */
	if (r.bad || p->n > (uint64_t)(r.end - r.p) / 9)
		return -1;
	p->names = arena_alloc(a, (p->n + 1) * sizeof *p->names);
	p->read = arena_alloc(a, (p->n + 1) * sizeof *p->read);
	for (uint64_t i = 0; i < p->n; i++) {
		p->names[i] = codec_get_value(&r);
		p->read[i] = 0;
		if (!v1) {
			uint64_t f = codec_get_u64(&r);
			if (f > 1)
				return -1;
			p->read[i] = (int)f;
		}
		if (!is_name(p->names[i], 0))
			return -1;
	}
	p->current = value_str("", 0);
	if (!v1) {
		p->current = codec_get_value(&r);
		offset = codec_get_u64(&r);
		if (!is_name(p->current, 1) || offset > INT64_MAX)
			return -1;
	}
	if (!codec_done(&r))
		return -1;
	p->offset = (int64_t)offset;
	return 0;
}

static int
files_describe(const char *data, size_t len, struct strbuf *out)
{
	struct arena *a = arena_new(0);
	struct files_pos p;

	if (get_pos(data, len, a, &p) != 0) {
		arena_free(a);
		return -1;
	}
	strbuf_addf(out, "%llu file%s done", (unsigned long long)p.n, p.n == 1 ? "" : "s");
	if (p.n > 0)
		strbuf_addf(out, " (the last %.*s)", (int)p.names[p.n - 1].n, p.names[p.n - 1].u.s);
	if (p.current.n > 0)
		strbuf_addf(out, "; %.*s read to byte %lld", (int)p.current.n, p.current.u.s,
		    (long long)p.offset);
	arena_free(a);
	return 0;
}

static int
files_restore(struct source *s, const char *data, size_t len)
{
	struct files_source *fs = s->impl;
	struct arena *a = arena_new(0);
	struct files_pos p;

	if (get_pos(data, len, a, &p) != 0) {
		arena_free(a);
		return -1;
	}
	/* All or nothing: marked only once every name has been read. */
	for (uint64_t i = 0; i < p.n; i++)
		mark_done(fs, p.names[i].u.s, p.read[i]);
	free(fs->resume);
	fs->resume = NULL;
	if (p.current.n > 0 && names_get(fs, p.current.u.s) == 0) {
		fs->resume = xstrdup(p.current.u.s);
		fs->resume_offset = p.offset;
	}
	fs->restored = 1;
	arena_free(a);
	return 0;
}

static int
same_name(struct value a, struct value b)
{
	return a.n == b.n && memcmp(a.u.s, b.u.s, a.n) == 0;
}

/* The lines of DIR/name's bytes [from, to) (to < 0: to its end). */
static int
replay_file(const struct files_source *fs, struct value name, int64_t from, int64_t to,
    struct strbuf *out, char **err)
{
	char *path = xasprintf("%s/%s", fs->dir, name.u.s);
	int fd, rc = -1;

	if (to >= 0 && to <= from) {
		free(path);
		return 0;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		*err = xasprintf("%s: %s", path, strerror(errno));
	else if ((rc = replay_lines(fd, from, to, out)) == -2)
		*err = xasprintf("%s is shorter than when it was read", path);
	else if (rc != 0)
		*err = xasprintf("reading %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

static int
files_replay(struct source *s, const char *fromb, size_t fromlen, const char *tob,
    size_t tolen, struct strbuf *out, char **err)
{
	struct files_source *fs = s->impl;
	struct arena *a = arena_new(0);
	struct files_pos from, to;
	int rc = -1;

	if (get_pos(fromb, fromlen, a, &from) != 0 || get_pos(tob, tolen, a, &to) != 0) {
		*err = xstrdup("not a position of files");
		goto done;
	}
	/* Names are done in order: from's are the first of to's. */
	if (from.n > to.n) {
		*err = xstrdup("the positions are out of order");
		goto done;
	}
	for (uint64_t i = from.n; i < to.n; i++) {
		int64_t start = same_name(to.names[i], from.current) ? from.offset : 0;
		if (to.read[i] && replay_file(fs, to.names[i], start, -1, out, err) != 0)
			goto done;
	}
	if (to.current.n > 0 && replay_file(fs, to.current,
	    same_name(to.current, from.current) ? from.offset : 0, to.offset, out, err) != 0)
		goto done;
	rc = 0;
done:
	arena_free(a);
	return rc;
}

static void
files_init(struct source *s, const struct argval *a)
{
	struct files_source *fs = xcalloc(1, sizeof *fs);

	fs->src = s;
	fs->dir = xstrdup(a[0].s);
	fs->glob = xstrdup(a[1].present ? a[1].s : "*");
	fs->existing = a[2].present ? (int)a[2].i : 1;
	fs->fd = -1;
	fs->ino_fd = -1;
	fs->seen_arena = arena_new(0);
	keymap_init(&fs->seen, fs->seen_arena, 1);
	s->impl = fs;
	s->name = xasprintf("files %s", fs->dir);
}

const struct source_desc source_files = {
	.name = "files",
	.caps = SOURCE_REPLAYABLE | SOURCE_READ_ONCE,
	.init = files_init,
	.start = files_start,
	.pause = files_pause,
	.resume = files_resume,
	.cut = files_cut,
	.stop = files_stop,
	.free = files_free,
	.save = files_save,
	.describe = files_describe,
	.restore = files_restore,
	.replay = files_replay,
};
