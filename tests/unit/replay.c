/*
 * replay.c: the positions the replayable sources give with every block,
 * against real files on an event loop.  A source set with positions kept
 * runs tail, files or stdin (a regular file) while the test appends lines,
 * long lines over the cap, rotates a file, adds files, and holds blocks
 * back with rate=N; every block the host takes is kept with the positions
 * before and after it.  Then: the positions chain (each block starts where
 * the one before ended), replay between them gives every block's bytes
 * again, and a new source restored at a position reads on with exactly
 * the rest -- no line lost, none twice.  Also stdin's position round trip,
 * and a standard input that is another file refused with its message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "runtime/codec.h"
#include "runtime/io/registry.h"
#include "runtime/io/source.h"
#include "runtime/retry.h"
#include "runtime/srcset.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"
#include "tap.h"
#include "util.h"

#define WAIT_MS 20000

/* ---- a source set on a loop, recording what its host takes ---- */

struct took {
	struct strbuf before, after, data;
};

struct run {
	struct plan *plan;
	struct srcset *set;
	struct event_base *base;
	struct source_host host;
	struct reporter rep;
	struct took *t;
	size_t n, cap;
	struct strbuf all;		/* every block's data, in order */
	struct strbuf errors;		/* errors reported, one a line */
	int ended, dropped, started;
};

static void
host_take(void *arg, struct source *s, char *data, size_t len)
{
	struct run *r = arg;
	struct took *t;
	const char *p;
	size_t plen;

	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->t = xreallocarray(r->t, r->cap, sizeof *r->t);
	}
	t = &r->t[r->n++];
	memset(t, 0, sizeof *t);
	if ((p = srcset_position_before(r->set, s, &plen)) != NULL)
		strbuf_add(&t->before, p, plen);
	if ((p = srcset_position(r->set, s, &plen)) != NULL)
		strbuf_add(&t->after, p, plen);
	strbuf_add(&t->data, data, len);
	strbuf_add(&r->all, data, len);
	free(data);
}

static void
host_dropped(void *arg, struct source *s, size_t bytes)
{
	(void)s;
	(void)bytes;
	((struct run *)arg)->dropped++;
}

static void
host_ended(void *arg, struct source *s)
{
	(void)s;
	((struct run *)arg)->ended = 1;
}

static int
host_backlogged(void *arg)
{
	(void)arg;
	return 0;
}

static void
host_fail(void *arg, const char *msg)
{
	struct run *r = arg;

	strbuf_addf(&r->errors, "%s\n", msg);
}

static void
on_report(void *arg, const struct report *rp)
{
	struct run *r = arg;

	if (rp->kind == REPORT_ERROR && rp->text != NULL)
		strbuf_addf(&r->errors, "%s\n", rp->text);
}

static struct run *
run_new(const char *script, int once)
{
	struct run *r = xcalloc(1, sizeof *r);

	r->plan = unit_compile(script);
	if (r->plan == NULL) {
		printf("# no plan for: %s\n", script);
		exit(1);
	}
	r->rep = (struct reporter){ .report = on_report, .arg = r };
	r->host = (struct source_host){
		.arg = r, .lines = host_take, .frames = host_take, .line_dropped = host_dropped,
		.ended = host_ended, .backlogged = host_backlogged, .fail = host_fail,
		.reporter = &r->rep,
	};
	r->set = srcset_new(r->plan, &r->host, once);
	r->base = event_base_new();
	srcset_keep_positions(r->set, 1);
	return r;
}

static int
run_start(struct run *r)
{
	r->started = srcset_start(r->set, r->base) == 0;
	return r->started ? 0 : -1;
}

static void
run_free(struct run *r)
{
	if (r->started)
		srcset_stop(r->set);
	srcset_free(r->set);
	event_base_free(r->base);
	plan_free(r->plan);
	for (size_t i = 0; i < r->n; i++) {
		strbuf_release(&r->t[i].before);
		strbuf_release(&r->t[i].after);
		strbuf_release(&r->t[i].data);
	}
	free(r->t);
	strbuf_release(&r->all);
	strbuf_release(&r->errors);
	free(r);
}

/* Run the loop, cutting blocks as the job's block timer would, until the
 * host has taken want bytes (or, want 0, the source ended): 1, or 0 when
 * that did not happen in time. */
static int
spin(struct run *r, size_t want)
{
	int64_t end = mono_ms() + WAIT_MS;

	while (want > 0 ? r->all.len < want : !r->ended) {
		struct timeval tv = { 0, 5000 };
		if (mono_ms() > end) {
			printf("# waited in vain: %zu of %zu bytes, ended %d\n", r->all.len, want,
			    r->ended);
			return 0;
		}
		event_base_loopexit(r->base, &tv);
		event_base_dispatch(r->base);
		srcset_cut(r->set);
	}
	return 1;
}

static int
same_buf(const struct strbuf *a, const char *p, size_t len)
{
	return a->len == len && (len == 0 || memcmp(a->data, p, len) == 0);
}

/* The positions chain, and replay gives every block again, and the whole
 * run at once. */
static void
check_replay(struct run *r, const char *what, int want_parts)
{
	struct source *s = srcset_source(r->set, 0);
	int bad = 0, broken = 0, empty = 0, parts = 0;
	struct strbuf out = STRBUF_INIT;
	char *err = NULL;

	for (size_t i = 0; i < r->n; i++) {
		struct took *t = &r->t[i];
		const char *b, *a;
		size_t bl, al;
		int64_t k;
		int f;

		if (t->before.len == 0 || t->after.len == 0)
			empty++;
		if (source_position_is_part(t->after.data, t->after.len, &b, &bl, &a, &al, &k, &f))
			parts++;
		if (i > 0 && !same_buf(&t->before, r->t[i - 1].after.data, r->t[i - 1].after.len))
			broken++;
		strbuf_reset(&out);
		if (source_replay(s, t->before.data, t->before.len, t->after.data, t->after.len,
		    &out, &err) != 0 || !same_buf(&out, t->data.data, t->data.len)) {
			if (bad++ == 0)
				printf("# block %zu: %s; replay gave %zu bytes, the block had %zu\n", i,
				    err != NULL ? err : "no error", out.len, t->data.len);
			free(err);
			err = NULL;
		}
	}
	TAP_OK(r->n > 1 && empty == 0, "%s: every block comes with positions (%zu blocks)", what,
	    r->n);
	TAP_OK(broken == 0, "%s: each block starts where the one before ended", what);
	TAP_OK(bad == 0, "%s: replay between its positions gives each block's bytes again", what);
	if (want_parts)
		TAP_OK(parts > 0, "%s: rate=N let blocks go in parts (%d positions inside a block)",
		    what, parts);
	strbuf_reset(&out);
	TAP_OK(r->n > 0 && source_replay(s, r->t[0].before.data, r->t[0].before.len,
	    r->t[r->n - 1].after.data, r->t[r->n - 1].after.len, &out, &err) == 0 &&
	    same_buf(&out, r->all.data, r->all.len),
	    "%s: replay from the first position to the last gives all (%zu bytes)", what,
	    r->all.len);
	free(err);
	strbuf_release(&out);
}

/* A new source of the same script restored after block k reads on with
 * exactly the rest of what the first one took. */
static void
check_restore(const char *script, struct run *r, size_t k, int once, const char *what)
{
	struct run *q = run_new(script, once);
	struct strbuf rest = STRBUF_INIT;
	char *err = NULL;
	int ok;

	for (size_t i = k + 1; i < r->n; i++)
		strbuf_add(&rest, r->t[i].data.data, r->t[i].data.len);
	ok = srcset_restore(q->set, 0, r->t[k].after.data, r->t[k].after.len, &err) == 0 &&
	    run_start(q) == 0 && spin(q, once ? 0 : rest.len);
	if (err != NULL)
		printf("# %s\n", err);
	TAP_OK(ok && same_buf(&q->all, rest.data, rest.len),
	    "%s: restored after block %zu of %zu, it reads exactly the rest (%zu of %zu bytes)",
	    what, k, r->n, q->all.len, rest.len);
	TAP_OK(q->n > 0 && same_buf(&q->t[0].before, r->t[k].after.data, r->t[k].after.len),
	    "%s: and its first block starts at the restored position", what);
	free(err);
	strbuf_release(&rest);
	run_free(q);
}

/* ---- files on disk ---- */

static char tmpdir[] = "/tmp/unit-replay-XXXXXX";

static char *
at(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void
append(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		printf("# cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

/* n numbered lines "tag-i" (i from first), in sb; and in want. */
static void
lines_into(struct strbuf *sb, struct strbuf *want, const char *tag, int first, int n)
{
	for (int i = first; i < first + n; i++) {
		strbuf_addf(sb, "%s-%06d some words to make the line longer\n", tag, i);
		if (want != NULL)
			strbuf_addf(want, "%s-%06d some words to make the line longer\n", tag, i);
	}
}

/* A line over the 1 MiB cap (dropped), with its newline. */
static void
long_line(struct strbuf *sb)
{
	for (int i = 0; i < 1024 * 1024 + 100; i++)
		strbuf_addc(sb, 'x');
	strbuf_addc(sb, '\n');
}

static void
append_sb(const char *path, struct strbuf *sb)
{
	append(path, sb->data, sb->len);
	strbuf_reset(sb);
}

/* ---- tail ---- */

static void
test_tail(void)
{
	char *log = at("app.log"), *log1 = at("app.log.1");
	char *script = xasprintf("tail(\"%s\", from=\"start\") | print", log);
	struct strbuf sb = STRBUF_INIT, want = STRBUF_INIT;
	struct run *r;
	size_t before_rotation;

	/* 600 KiB and more before the start: several blocks at once */
	lines_into(&sb, &want, "a", 0, 12000);
	append_sb(log, &sb);
	r = run_new(script, 0);
	TAP_OK(run_start(r) == 0, "tail: starts");
	TAP_OK(spin(r, want.len), "tail: reads what is there");
	/* appends, a long line among them, one line in two writes */
	lines_into(&sb, &want, "b", 0, 50);
	long_line(&sb);
	lines_into(&sb, &want, "c", 0, 50);
	strbuf_adds(&sb, "half a ");
	append_sb(log, &sb);
	TAP_OK(spin(r, want.len), "tail: reads appended lines");
	strbuf_adds(&sb, "line\n");
	strbuf_adds(&want, "half a line\n");
	lines_into(&sb, &want, "d", 0, 3000);
	append_sb(log, &sb);
	TAP_OK(spin(r, want.len), "tail: reads a line finished later");
	/* a block handed over while a long line goes by, unfinished */
	lines_into(&sb, &want, "g", 0, 10);
	long_line(&sb);
	sb.len--;	/* no newline yet */
	append_sb(log, &sb);
	TAP_OK(spin(r, want.len), "tail: reads the lines before a long line");
	strbuf_adds(&sb, "the long line's end\n");
	lines_into(&sb, &want, "h", 0, 10);
	append_sb(log, &sb);
	TAP_OK(spin(r, want.len), "tail: reads the lines after it");
	TAP_OK(r->dropped == 2, "tail: the long lines were dropped (%d)", r->dropped);
	/* rotated: the old file's last line has no newline */
	before_rotation = r->n;
	strbuf_adds(&sb, "the last of the old file");
	strbuf_adds(&want, "the last of the old file\n");
	append_sb(log, &sb);
	if (rename(log, log1) != 0)
		printf("# rename: %s\n", strerror(errno));
	lines_into(&sb, &want, "e", 0, 100);
	append_sb(log, &sb);
	TAP_OK(spin(r, want.len), "tail: follows the rotation");
	lines_into(&sb, &want, "f", 0, 8000);
	append_sb(log, &sb);
	TAP_OK(spin(r, want.len), "tail: reads the new file");
	TAP_OK(same_buf(&r->all, want.data, want.len), "tail: took every line once, in order");
	check_replay(r, "tail", 0);
	/* restored before the rotation, the old file found next to PATH */
	check_restore(script, r, 1, 0, "tail");
	check_restore(script, r, before_rotation - 1, 0, "tail, in the rotated file");
	check_restore(script, r, r->n - 2, 0, "tail, in the new file");
	run_free(r);

	/* the rotated file gone: the range across the rotation cannot be read */
	{
		struct run *q = run_new(script, 0);
		struct source *s = srcset_source(q->set, 0);
		struct strbuf out = STRBUF_INIT;
		char *err = NULL, *msg;
		struct stat st;

		stat(log1, &st);
		unlink(log1);
		/* a position in the gone file, and one in the new file */
		{
			struct strbuf from = STRBUF_INIT, to = STRBUF_INIT;
			struct stat cur;
			stat(log, &cur);
			strbuf_add(&from, "tail\002", 5);
			codec_put_u64(&from, (uint64_t)st.st_dev);
			codec_put_u64(&from, (uint64_t)st.st_ino);
			codec_put_u64(&from, 10);
			codec_put_u64(&from, 1);
			codec_put_u64(&from, 0);
			codec_put_u64(&from, 0);
			codec_put_u64(&from, 0);
			strbuf_add(&to, "tail\002", 5);
			codec_put_u64(&to, (uint64_t)cur.st_dev);
			codec_put_u64(&to, (uint64_t)cur.st_ino);
			codec_put_u64(&to, 5);
			codec_put_u64(&to, 2);
			codec_put_u64(&to, (uint64_t)st.st_dev);
			codec_put_u64(&to, (uint64_t)st.st_ino);
			codec_put_u64(&to, 100);
			msg = xasprintf("tail %s: cannot replay: the file it read (device %llu inode "
			    "%llu) is no longer %s nor next to it", log, (unsigned long long)st.st_dev,
			    (unsigned long long)st.st_ino, log);
			TAP_OK(source_replay(s, from.data, from.len, to.data, to.len, &out, &err) < 0,
			    "tail: a range in a file gone is not replayed");
			TAP_STR(err, msg, "tail: the message names the file and its inode");
			free(msg);
			free(err);
			strbuf_release(&from);
			strbuf_release(&to);
		}
		strbuf_release(&out);
		run_free(q);
	}
	unlink(log);
	strbuf_release(&sb);
	strbuf_release(&want);
	free(script);
	free(log);
	free(log1);
}

/* A truncated file: what was read before is gone, so its blocks cannot be
 * read again -- an error, not other lines -- and the blocks since replay. */
static void
test_tail_truncated(void)
{
	char *log = at("truncated.log");
	char *script = xasprintf("tail(\"%s\", from=\"start\") | print", log);
	struct strbuf sb = STRBUF_INIT, want = STRBUF_INIT, out = STRBUF_INIT;
	struct source *s;
	struct run *r;
	size_t k;
	char *err = NULL;
	int bad = 0;

	lines_into(&sb, &want, "u", 0, 3000);
	append_sb(log, &sb);
	r = run_new(script, 0);
	TAP_OK(run_start(r) == 0 && spin(r, want.len), "tail, truncated: reads the file");
	k = r->n;
	{
		int fd = open(log, O_WRONLY | O_TRUNC);
		if (fd >= 0)
			close(fd);
	}
	lines_into(&sb, &want, "t", 0, 100);
	append_sb(log, &sb);
	TAP_OK(spin(r, want.len), "tail, truncated: reads it again from its start");
	TAP_OK(same_buf(&r->all, want.data, want.len),
	    "tail, truncated: took every line once, in order");
	s = srcset_source(r->set, 0);
	for (size_t i = k; i < r->n; i++) {
		strbuf_reset(&out);
		if (source_replay(s, r->t[i].before.data, r->t[i].before.len, r->t[i].after.data,
		    r->t[i].after.len, &out, &err) != 0 ||
		    !same_buf(&out, r->t[i].data.data, r->t[i].data.len))
			bad++;
		free(err);
		err = NULL;
	}
	TAP_OK(k < r->n && bad == 0, "tail, truncated: the blocks since replay (%zu)", r->n - k);
	strbuf_reset(&out);
	TAP_OK(source_replay(s, r->t[k - 1].before.data, r->t[k - 1].before.len,
	    r->t[k - 1].after.data, r->t[k - 1].after.len, &out, &err) < 0 && err != NULL &&
	    strstr(err, "is shorter than when it was read: truncated since") != NULL,
	    "tail, truncated: the block before is an error: %s", err != NULL ? err : "none");
	free(err);
	check_restore(script, r, k - 1, 0, "tail, before the truncation");
	run_free(r);
	unlink(log);
	strbuf_release(&sb);
	strbuf_release(&want);
	strbuf_release(&out);
	free(script);
	free(log);
}

static void
test_tail_rate(void)
{
	char *log = at("rated.log");
	char *script = xasprintf("tail(\"%s\", from=\"start\", rate=2000) | print", log);
	struct strbuf sb = STRBUF_INIT, want = STRBUF_INIT;
	struct run *r;
	size_t k = 0;

	lines_into(&sb, &want, "r", 0, 1500);
	append_sb(log, &sb);
	r = run_new(script, 0);
	TAP_OK(run_start(r) == 0, "tail, rate=2000: starts");
	TAP_OK(spin(r, want.len / 3), "tail, rate=2000: a third");
	lines_into(&sb, &want, "s", 0, 1500);
	append_sb(log, &sb);
	TAP_OK(spin(r, want.len), "tail, rate=2000: all");
	TAP_OK(same_buf(&r->all, want.data, want.len),
	    "tail, rate=2000: took every line once, in order");
	check_replay(r, "tail, rate=2000", 1);
	/* restored inside a block: the rest of the block first */
	for (size_t i = 0; i + 2 < r->n && k == 0; i++) {
		const char *b, *a;
		size_t bl, al;
		int64_t n;
		int f;
		if (source_position_is_part(r->t[i].after.data, r->t[i].after.len, &b, &bl, &a, &al,
		    &n, &f) && n > 0)
			k = i;
	}
	TAP_OK(k > 0, "tail, rate=2000: a position inside a block (block %zu)", k);
	check_restore(script, r, k, 0, "tail, rate=2000, inside a block");
	run_free(r);
	unlink(log);
	strbuf_release(&sb);
	strbuf_release(&want);
	free(script);
	free(log);
}

/* ---- files ---- */

/* Write DIR/name through a hidden name, with modification time t. */
static void
put_file(const char *dir, const char *name, struct strbuf *sb, time_t t)
{
	char *tmp = xasprintf("%s/.%s", dir, name), *path = xasprintf("%s/%s", dir, name);
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	unlink(tmp);
	append(tmp, sb->data, sb->len);
	utimensat(AT_FDCWD, tmp, ts, 0);
	if (rename(tmp, path) != 0)
		printf("# rename: %s\n", strerror(errno));
	strbuf_reset(sb);
	free(tmp);
	free(path);
}

static void
test_files(void)
{
	char *dir = at("in");
	char *script = xasprintf("files(\"%s\") | print", dir);
	struct strbuf sb = STRBUF_INIT, want = STRBUF_INIT;
	struct run *r;
	time_t t = 1700000000;

	mkdir(dir, 0755);
	/* present at the start: a big one (several blocks), a long line in
	 * one, a last line without a newline in another */
	lines_into(&sb, &want, "big", 0, 20000);
	put_file(dir, "1-big.txt", &sb, t++);
	lines_into(&sb, &want, "two", 0, 10);
	long_line(&sb);
	lines_into(&sb, &want, "two-after", 0, 10);
	put_file(dir, "2-long.txt", &sb, t++);
	lines_into(&sb, &want, "three", 0, 5);
	strbuf_adds(&sb, "no newline at the end");
	strbuf_adds(&want, "no newline at the end\n");
	put_file(dir, "3-open.txt", &sb, t++);
	r = run_new(script, 0);
	TAP_OK(run_start(r) == 0, "files: starts");
	TAP_OK(spin(r, want.len), "files: reads the files there");
	/* more arrive */
	for (int i = 4; i < 8; i++) {
		char name[32];
		snprintf(name, sizeof name, "%d-new.txt", i);
		lines_into(&sb, &want, name, 0, 200 * i);
		put_file(dir, name, &sb, t++);
		TAP_OK(spin(r, want.len), "files: reads %s as it arrives", name);
	}
	lines_into(&sb, &want, "big2", 0, 15000);
	put_file(dir, "8-big.txt", &sb, t++);
	TAP_OK(spin(r, want.len), "files: reads a second big file");
	TAP_OK(same_buf(&r->all, want.data, want.len), "files: took every line once, in order");
	TAP_OK(r->dropped == 1, "files: the long line was dropped (%d)", r->dropped);
	check_replay(r, "files", 0);
	/* restored: with --once, it reads the rest of what is there */
	check_restore(script, r, 0, 1, "files, in the first file");
	check_restore(script, r, r->n / 2, 1, "files");
	check_restore(script, r, r->n - 2, 1, "files, in the last file");
	run_free(r);

	/* a file read since gone: the range cannot be read again */
	{
		struct run *q = run_new(script, 0);
		struct strbuf from = STRBUF_INIT, to = STRBUF_INIT, out = STRBUF_INIT;
		char *err = NULL, *msg = xasprintf("files %s: cannot replay: %s/gone.txt: %s", dir,
		    dir, strerror(ENOENT));

		strbuf_add(&from, "files\002", 6);
		codec_put_u64(&from, 0);
		codec_put_value(&from, value_str("", 0));
		codec_put_u64(&from, 0);
		strbuf_add(&to, "files\002", 6);
		codec_put_u64(&to, 1);
		codec_put_value(&to, value_str("gone.txt", 8));
		codec_put_u64(&to, 1);
		codec_put_value(&to, value_str("", 0));
		codec_put_u64(&to, 0);
		TAP_OK(source_replay(srcset_source(q->set, 0), from.data, from.len, to.data, to.len,
		    &out, &err) < 0, "files: a file gone is not replayed");
		TAP_STR(err, msg, "files: the message names the file");
		free(err);
		free(msg);
		strbuf_release(&from);
		strbuf_release(&to);
		strbuf_release(&out);
		run_free(q);
	}
	strbuf_release(&sb);
	strbuf_release(&want);
	free(script);
	free(dir);
}

/* ---- stdin, a regular file ---- */

/* Standard input is path from here on. */
static void
stdin_from(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0) {
		printf("# cannot read %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

static void
test_stdin(void)
{
	char *in = at("stdin.txt"), *other = at("other.txt");
	struct strbuf sb = STRBUF_INIT, want = STRBUF_INIT, pos = STRBUF_INIT, again = STRBUF_INIT;
	struct strbuf out = STRBUF_INIT, msg = STRBUF_INIT;
	struct run *r, *q;
	struct source *s;
	struct stat st;
	char *err = NULL;
	int saved = dup(STDIN_FILENO);

	lines_into(&sb, &want, "in", 0, 15000);
	long_line(&sb);
	lines_into(&sb, &want, "in-after", 0, 15000);
	strbuf_adds(&sb, "last, no newline");
	strbuf_adds(&want, "last, no newline\n");
	append_sb(in, &sb);
	append(other, "x\n", 2);

	/* not a file: no positions, no replay */
	stdin_from("/dev/null");
	r = run_new("stdin | print", 1);
	s = srcset_source(r->set, 0);
	TAP_OK(!source_replayable(s), "stdin: /dev/null is not replayable");
	TAP_OK(source_replay(s, "", 0, "", 0, &out, &err) < 0, "stdin: /dev/null is not replayed");
	TAP_STR(err, "stdin: cannot replay: not replayable", "stdin: and says so");
	free(err);
	err = NULL;
	TAP_OK(srcset_restore(r->set, 0, "x", 1, &err) < 0, "stdin: /dev/null takes no position");
	TAP_STR(err, "stdin: cannot restore a position: not replayable", "stdin: and says so");
	free(err);
	err = NULL;
	run_free(r);

	stdin_from(in);
	r = run_new("stdin | print", 1);
	s = srcset_source(r->set, 0);
	TAP_OK(source_replayable(s), "stdin: a regular file is replayable");
	TAP_OK(run_start(r) == 0 && spin(r, 0), "stdin: reads the file to its end");
	TAP_OK(same_buf(&r->all, want.data, want.len), "stdin: took every line once, in order");
	TAP_OK(r->dropped == 1, "stdin: the long line was dropped (%d)", r->dropped);
	check_replay(r, "stdin", 0);
	/* a position round trip */
	fstat(STDIN_FILENO, &st);
	strbuf_add(&pos, "stdin\001", 6);
	codec_put_u64(&pos, (uint64_t)st.st_dev);
	codec_put_u64(&pos, (uint64_t)st.st_ino);
	codec_put_u64(&pos, 4321);
	TAP_OK(r->t[r->n - 1].after.len == pos.len &&
	    memcmp(r->t[r->n - 1].after.data, pos.data, pos.len - 8) == 0,
	    "stdin: its position is the file's device and inode, and an offset");
	run_free(r);
	q = run_new("stdin | print", 1);
	s = srcset_source(q->set, 0);
	TAP_OK(s->desc->restore(s, pos.data, pos.len) == 0, "stdin: a position restores");
	s->desc->save(s, &again);
	TAP_OK(same_buf(&again, pos.data, pos.len), "stdin: saved again, the same bytes");
	TAP_OK(s->desc->restore(s, pos.data, pos.len - 1) < 0, "stdin: cut short is refused");
	strbuf_reset(&again);
	strbuf_add(&again, pos.data, pos.len);
	again.data[5] = 2;
	TAP_OK(s->desc->restore(s, again.data, again.len) < 0, "stdin: version 2 is refused");
	run_free(q);

	/* restored, it reads on: with the same file, from a position */
	stdin_from(in);
	r = run_new("stdin | print", 1);
	TAP_OK(run_start(r) == 0 && spin(r, 0), "stdin: read again");
	check_restore("stdin | print", r, r->n / 2, 1, "stdin");
	check_restore("stdin | print", r, 0, 1, "stdin, after the first block");

	/* another file: refused at start, with what the checkpoint read */
	stdin_from(other);
	q = run_new("stdin | print", 1);
	TAP_OK(srcset_restore(q->set, 0, r->t[0].after.data, r->t[0].after.len, &err) == 0,
	    "stdin: a position restores before start, whatever the file");
	strbuf_addf(&msg, "standard input is not the file the checkpoint read from (it was device "
	    "%llu inode %llu)\n", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	TAP_OK(run_start(q) < 0, "stdin: another file does not start");
	TAP_STR(q->errors.data, msg.data, "stdin: the error names the file it was");
	run_free(q);
	run_free(r);

	dup2(saved, STDIN_FILENO);
	close(saved);
	unlink(in);
	unlink(other);
	strbuf_release(&sb);
	strbuf_release(&want);
	strbuf_release(&pos);
	strbuf_release(&again);
	strbuf_release(&out);
	strbuf_release(&msg);
	free(in);
	free(other);
}

static int
remove_tree(void)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);

	free(cmd);
	return rc;
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_tail();
	test_tail_truncated();
	test_tail_rate();
	test_files();
	test_stdin();
	remove_tree();
	return tap_done();
}
