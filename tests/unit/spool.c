/*
 * spool.c: a spool gives back what it was given, in order, whether it
 * stayed in memory or moved to its temporary file part-way; the file is
 * never in its directory; a reader that stops, a directory where no file
 * can be made, and memory rooms of every size behave as spool.h says.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/spool.h"
#include "tap.h"

struct sink {
	char *buf;
	size_t len, cap;
	int pieces;
	int stop_after;		/* refuse the piece after this many; 0: never */
};

static int
sink_put(void *arg, const char *data, size_t len)
{
	struct sink *s = arg;

	if (s->stop_after > 0 && s->pieces >= s->stop_after)
		return -1;
	s->pieces++;
	if (s->len + len > s->cap) {
		s->cap = (s->len + len) * 2;
		s->buf = realloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return 0;
}

/* How many entries besides . and .. dir holds. */
static int
dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Add total bytes in pieces of up to piece bytes, keeping at most bound
 * bytes in memory, as the job does; drain; compare. */
static void
round_trip(const char *what, size_t total, size_t piece, size_t bound, int want_file)
{
	struct spool *sp = spool_new();
	struct sink got = { 0 };
	char *want = malloc(total + 1), err[256] = "";
	int ok = 1;

	for (size_t i = 0; i < total; i++)
		want[i] = (char)('a' + (i * 7 + i / 13) % 26);
	for (size_t at = 0; at < total && ok; at += piece) {
		size_t n = total - at < piece ? total - at : piece;
		size_t room = bound > spool_mem(sp) ? bound - spool_mem(sp) : 0;
		ok = spool_add(sp, want + at, n, room, err, sizeof err) == 0;
	}
	TAP_OK(ok, "%s: every add succeeds %s", what, err);
	TAP_OK(spool_size(sp) == total, "%s: %zu bytes held", what, total);
	TAP_OK(want_file ? spool_mem(sp) == 0 : spool_mem(sp) == total,
	    "%s: %s", what, want_file ? "all moved to the file" : "all in memory");
	TAP_OK(spool_drain(sp, sink_put, &got, err, sizeof err) == 0, "%s: drained %s", what, err);
	TAP_OK(got.len == total && (total == 0 || memcmp(got.buf, want, total) == 0),
	    "%s: the same bytes, in order", what);
	/* Draining leaves the spool as it was: a second reader sees it all. */
	got.len = 0;
	TAP_OK(spool_drain(sp, sink_put, &got, err, sizeof err) == 0 && got.len == total &&
	    (total == 0 || memcmp(got.buf, want, total) == 0), "%s: drained again, the same", what);
	spool_free(sp);
	free(got.buf);
	free(want);
}

int
main(void)
{
	char dir[] = "/tmp/spool-test-XXXXXX", err[256] = "";
	struct spool *sp;
	struct sink got = { 0 };

	if (mkdtemp(dir) == NULL)
		return 1;
	setenv("TMPDIR", dir, 1);

	round_trip("small, in memory", 1000, 10, 1 << 20, 0);
	round_trip("nothing at all", 0, 1, 0, 0);
	round_trip("past the room at once", 3 << 20, 1 << 20, 1000, 1);
	round_trip("moves to the file part-way", 3 << 20, 4093, 1 << 20, 1);
	round_trip("no room: the file from the start", 100000, 777, 0, 1);
	TAP_OK(dir_entries(dir) == 0, "no temporary file is left in the directory");

	/* A reader that stops: drain says so, and has handed over no more. */
	sp = spool_new();
	for (int i = 0; i < 40; i++) {
		char buf[65536];
		memset(buf, 'a' + i % 26, sizeof buf);
		spool_add(sp, buf, sizeof buf, 0, err, sizeof err);
	}
	got.stop_after = 2;
	TAP_OK(spool_drain(sp, sink_put, &got, err, sizeof err) == 1 && got.pieces == 2,
	    "a reader that refuses a piece stops the drain (%d pieces)", got.pieces);
	spool_free(sp);
	free(got.buf);

	/* No file can be made: the add fails with the reason, and what was
	 * held is still there, in memory. */
	setenv("TMPDIR", "/nonexistent-spool-dir", 1);
	sp = spool_new();
	memset(&got, 0, sizeof got);
	TAP_OK(spool_add(sp, "abc", 3, 10, err, sizeof err) == 0, "in memory without a file");
	TAP_OK(spool_add(sp, "defghijklmnop", 13, 7, err, sizeof err) == -1,
	    "past the room, no directory for the file: the add fails");
	TAP_STR(err, "cannot create a temporary file in /nonexistent-spool-dir: No such file or directory",
	    "the reason names the directory");
	TAP_OK(spool_size(sp) == 3 && spool_drain(sp, sink_put, &got, err, sizeof err) == 0 &&
	    got.len == 3 && memcmp(got.buf, "abc", 3) == 0, "what was held before is intact");
	spool_free(sp);
	free(got.buf);
	spool_free(NULL);

	rmdir(dir);
	return tap_done();
}
