/*
 * ckpt.c: the checkpoint storage layer -- checksums, record files, the
 * locked directory, the manifest, state files and the journal -- and
 * what damage gives: every file cut at every length and every bit of it
 * flipped reads as an error naming the file and the offset, or (a journal
 * cut short, what a crash leaves) as its records before the cut.  Crash
 * points are tried in forked children, which _exit at the chosen step.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/ckpt/crash.h"
#include "runtime/ckpt/crc32c.h"
#include "runtime/ckpt/dir.h"
#include "runtime/ckpt/manifest.h"
#include "runtime/ckpt/record.h"
#include "runtime/ckpt/statefile.h"
#include "runtime/ckpt/wal.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"
#include "tap.h"

static char top[256];		/* a scratch directory for the whole test */

/* A fresh path under top (the caller frees it). */
static char *
scratch(const char *name)
{
	return xasprintf("%s/%s", top, name);
}

static void
put_file(const char *dir, const char *name, const void *data, size_t len)
{
	char *p = xasprintf("%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		printf("Bail out! cannot write %s: %s\n", p, strerror(errno));
		exit(1);
	}
	close(fd);
	free(p);
}

static char *
get_file(const char *dir, const char *name, size_t *len)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	ssize_t n;
	int fd = open(p, O_RDONLY);

	free(p);
	*len = 0;
	if (fd < 0)
		return NULL;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		strbuf_add(&sb, buf, (size_t)n);
	close(fd);
	*len = sb.len;
	return sb.data != NULL ? strbuf_detach(&sb) : xstrdup("");
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of a directory, sorted, joined by spaces. */
static char *
listing(struct ckpt_dir *d)
{
	char *err = NULL, **v = ckpt_dir_names(d, &err);
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0;

	if (v == NULL)
		return err;
	while (v[n] != NULL)
		n++;
	qsort(v, n, sizeof *v, cmp_str);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%s%s", i ? " " : "", v[i]);
	ckpt_dir_names_free(v);
	return strbuf_detach(&sb);
}

/* Parse "LABEL: damaged at offset N: ..."; N, or -1 when it is not that. */
static long
damaged_offset(const char *err, const char *label)
{
	size_t n = strlen(label);
	const char *p;
	char *end;
	long off;

	if (err == NULL || strncmp(err, label, n) != 0)
		return -1;
	p = err + n;
	if (strncmp(p, ": damaged at offset ", 20) != 0)
		return -1;
	off = strtol(p + 20, &end, 10);
	if (end == p + 20 || strncmp(end, ": ", 2) != 0 || end[2] == '\0')
		return -1;
	return off;
}

static void
test_crc32c(void)
{
	unsigned char zeros[32] = { 0 }, ones[32], inc[32];
	unsigned char buf[1000];
	int same = 1;

	memset(ones, 0xff, sizeof ones);
	for (int i = 0; i < 32; i++)
		inc[i] = (unsigned char)i;
	TAP_OK(crc32c(0, "123456789", 9) == 0xE3069283, "crc32c: \"123456789\"");
	TAP_OK(crc32c(0, "", 0) == 0, "crc32c: nothing");
	TAP_OK(crc32c(0, zeros, 32) == 0x8A9136AA, "crc32c: 32 zero bytes");
	TAP_OK(crc32c(0, ones, 32) == 0x62A8AB43, "crc32c: 32 bytes 0xff");
	TAP_OK(crc32c(0, inc, 32) == 0x46DD794E, "crc32c: bytes 0 to 31");
	TAP_OK(crc32c_table(0, "123456789", 9) == 0xE3069283, "crc32c by the table: \"123456789\"");
	TAP_OK(crc32c(crc32c(0, "1234", 4), "56789", 5) == 0xE3069283, "crc32c chains");
	srand(7);
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)rand();
	for (size_t off = 0; off < 9; off++)
		for (size_t n = 0; n + off <= sizeof buf; n += 37)
			if (crc32c(0, buf + off, n) != crc32c_table(0, buf + off, n))
				same = 0;
	TAP_OK(same, "crc32c: the instruction and the table agree at every alignment");
}

/* Three records of a state file, one empty, built in memory and read back. */
static void
test_records(void)
{
	struct strbuf sb = STRBUF_INIT, p = STRBUF_INIT, byfd = STRBUF_INIT;
	struct rec_reader r;
	struct rec rec;
	struct rec_cur c;
	char *err = NULL, *path = scratch("records"), *data;
	size_t len;
	int st, fd;
	struct rec_writer w;
	struct iovec iov[2] = { { "DA", 2 }, { "TA", 2 } };

	rec_begin_file(&sb, REC_FILE_STATE);
	rec_put_u8(&p, 7);
	rec_put_u32(&p, 0x01020304);
	rec_put_u64(&p, UINT64_C(0x1122334455667788));
	rec_put_str(&p, "key");
	rec_put_blob(&p, "a\0b", 3);
	rec_append(&sb, REC_DATA, p.data, p.len);
	rec_append(&sb, REC_DATA, NULL, 0);
	rec_append(&sb, REC_END, "DATA", 4);
	TAP_OK(sb.len == 8 + 9 + 35 + 9 + 9 + 4 && memcmp(sb.data, "SJCK\001\002\000\000", 8) == 0,
	    "records: the header and the records' lengths");

	TAP_OK(rec_reader_init(&r, "x/state", sb.data, sb.len, REC_FILE_STATE, 0, &err) == REC_OK,
	    "records: the header reads");
	st = rec_next(&r, &rec, &err);
	TAP_OK(st == REC_OK && rec.type == REC_DATA && rec.off == 8 && rec.len == 35,
	    "records: the first record");
	rec_cur_init(&c, &rec);
	char *s = NULL;
	size_t bl;
	const char *b;
	TAP_OK(rec_get_u8(&c) == 7 && rec_get_u32(&c) == 0x01020304 &&
	    rec_get_u64(&c) == UINT64_C(0x1122334455667788) &&
	    strcmp(s = rec_get_str(&c), "key") == 0 &&
	    (b = rec_get_blob(&c, &bl)) != NULL && bl == 3 && memcmp(b, "a\0b", 3) == 0 &&
	    rec_cur_done(&c), "records: the fields of the payload");
	free(s);
	TAP_OK(rec_get_u8(&c) == 0 && c.bad && !rec_cur_done(&c),
	    "records: a field past the payload's end reads as zero and makes the cursor bad");
	st = rec_next(&r, &rec, &err);
	TAP_OK(st == REC_OK && rec.type == REC_DATA && rec.off == 52 && rec.len == 0,
	    "records: an empty record");
	st = rec_next(&r, &rec, &err);
	TAP_OK(st == REC_OK && rec.type == REC_END && rec.len == 4 &&
	    memcmp(rec.payload, "DATA", 4) == 0, "records: the last record");
	TAP_OK(rec_next(&r, &rec, &err) == REC_EOF && rec_next(&r, &rec, &err) == REC_EOF,
	    "records: then the end, and it stays there");

	/* The same records through a rec_writer: the same bytes. */
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	rec_begin_file(&byfd, REC_FILE_STATE);
	TAP_OK(write(fd, byfd.data, byfd.len) == 8, "records: a file header written");
	rec_writer_init(&w, fd, 8);
	TAP_OK(rec_put(&w, REC_DATA, p.data, p.len) == 0 && rec_put(&w, REC_DATA, NULL, 0) == 0 &&
	    rec_putv(&w, REC_END, iov, 2) == 0 && w.off == sb.len,
	    "records: appended by the writer, one record a write");
	close(fd);
	data = get_file(top, "records", &len);
	TAP_OK(len == sb.len && memcmp(data, sb.data, len) == 0,
	    "records: the writer's file is the one built in memory");
	free(data);

	/* Bad cursor input: a blob longer than the payload. */
	strbuf_reset(&p);
	rec_put_u64(&p, 1000);
	rec.payload = p.data;
	rec.len = p.len;
	rec_cur_init(&c, &rec);
	TAP_OK(rec_get_blob(&c, &bl) == NULL && bl == 0 && c.bad,
	    "records: a blob's length past the payload makes the cursor bad");

	/* A manifest is not a state file; another version is refused. */
	sb.data[5] = REC_FILE_MANIFEST;
	TAP_OK(rec_reader_init(&r, "x/state", sb.data, sb.len, REC_FILE_STATE, 0, &err) ==
	    REC_DAMAGED, "records: another kind of file is refused");
	TAP_STR(err, "x/state: damaged at offset 5: the header says a manifest, not a state file",
	    "records: ... saying what it is");
	free(err);
	sb.data[5] = REC_FILE_STATE;
	sb.data[4] = 2;
	TAP_OK(rec_reader_init(&r, "x/state", sb.data, sb.len, REC_FILE_STATE, 0, &err) ==
	    REC_DAMAGED, "records: another format version is refused");
	TAP_STR(err, "x/state: format version 2 is not supported (this streamjob reads version 1)",
	    "records: ... naming the version");
	free(err);
	strbuf_release(&sb);
	strbuf_release(&p);
	strbuf_release(&byfd);
	free(path);
}

static char *
child_open_message(const char *path)
{
	int pfd[2];
	pid_t pid;
	char buf[512];
	ssize_t n;
	int status;

	if (pipe(pfd) < 0)
		return NULL;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *err = NULL;
		struct ckpt_dir *d = ckpt_dir_open(path, 0, &err);
		const char *msg = d != NULL ? "opened" : err;
		close(pfd[0]);
		if (write(pfd[1], msg, strlen(msg)) < 0)
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	size_t got = 0;
	while (got < sizeof buf - 1 && (n = read(pfd[0], buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)n;
	close(pfd[0]);
	waitpid(pid, &status, 0);
	buf[got] = '\0';
	return xstrdup(buf);
}

static void
test_dir(void)
{
	char *err = NULL, *path = scratch("cp"), *missing = scratch("no/such"), *msg, *l;
	struct ckpt_dir *d;
	struct stat st;
	char want[512];

	d = ckpt_dir_open(missing, 0, &err);
	TAP_OK(d != NULL && err == NULL, "dir: missing parents are created, as mkdir -p does");
	msg = scratch("no");
	TAP_OK(stat(missing, &st) == 0 && (st.st_mode & 0777) == 0700 &&
	    stat(msg, &st) == 0 && (st.st_mode & 0777) == 0700, "dir: ... each 0700");
	free(msg);
	ckpt_dir_close(d);
	free(err);
	err = NULL;

	put_file(top, "plain", "x", 1);
	l = scratch("plain");
	d = ckpt_dir_open(l, 0, &err);
	snprintf(want, sizeof want, "checkpoint directory %s: not a directory", l);
	TAP_OK(d == NULL, "dir: a file is not a directory");
	TAP_STR(err, want, "dir: ... and the message says so");
	free(err);
	free(l);
	err = NULL;

	d = ckpt_dir_open(path, 0, &err);
	TAP_OK(d != NULL && stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 0777) == 0700, "dir: created with mode 0700");
	TAP_OK(ckpt_dir_empty(d), "dir: a new directory is empty");
	TAP_STR(ckpt_dir_path(d), path, "dir: its path as given");
	l = ckpt_dir_label(d, "manifest");
	snprintf(want, sizeof want, "%s/manifest", path);
	TAP_STR(l, want, "dir: a file's label");
	free(l);

	msg = child_open_message(path);
	snprintf(want, sizeof want, "checkpoint directory %s is in use by another job (pid %ld)",
	    path, (long)getpid());
	TAP_STR(msg, want, "dir: a second opener is refused, with the holder's pid");
	free(msg);

	{
		struct ckpt_dir *ro = ckpt_dir_open_readonly(path, &err);
		TAP_OK(ro != NULL && ckpt_dir_empty(ro), "dir: opened to read while a job holds it");
		ckpt_dir_close(ro);
		free(missing);
		missing = scratch("not/here");
		ro = ckpt_dir_open_readonly(missing, &err);
		snprintf(want, sizeof want, "checkpoint directory %s does not exist", missing);
		TAP_OK(ro == NULL, "dir: opening to read creates nothing");
		TAP_STR(err, want, "dir: ... and says it does not exist");
		free(err);
		err = NULL;
	}

	/* The checkpoint's files, a temporary one, and someone else's. */
	put_file(path, "manifest", "m", 1);
	put_file(path, "state-1-1.full", "s", 1);
	put_file(path, "wal-00000000000000000001", "w", 1);
	put_file(path, ".manifest.tmp", "t", 1);
	put_file(path, "notes.txt", "n", 1);
	TAP_OK(!ckpt_dir_empty(d), "dir: with a manifest it is not empty");
	ckpt_dir_close(d);

	msg = child_open_message(path);
	TAP_STR(msg, "opened", "dir: closing releases the lock");
	free(msg);

	d = ckpt_dir_open(path, 0, &err);
	l = listing(d);
	TAP_STR(l, "lock manifest notes.txt state-1-1.full wal-00000000000000000001",
	    "dir: opening removes what a crash left in temporary files, only that");
	free(l);
	ckpt_dir_close(d);

	d = ckpt_dir_open(path, 1, &err);
	l = listing(d);
	TAP_STR(l, "lock notes.txt", "dir: fresh removes the checkpoint's files and only those");
	free(l);
	TAP_OK(ckpt_dir_empty(d), "dir: ... and it is empty");
	put_file(path, "wal-00000000000000000002", "w", 1);
	TAP_OK(!ckpt_dir_empty(d), "dir: with a journal segment it is not empty");
	TAP_OK(ckpt_dir_sync(d, &err) == 0, "dir: fsync");

	/* Removing what no manifest names. */
	put_file(path, "state-1-1.full", "s", 1);
	put_file(path, "state-1-1.1.chg", "s", 1);
	put_file(path, "state-1-2.full", "s", 1);
	put_file(path, "state-2-1.full", "s", 1);
	put_file(path, ".state-1-3.full.tmp", "s", 1);
	put_file(path, ".manifest.tmp", "s", 1);
	put_file(path, "manifest", "s", 1);
	{
		const char *keep[] = { "state-1-2.full", "state-2-1.full" };
		TAP_OK(ckpt_dir_remove_unnamed(d, keep, 2, &err) == 0,
		    "dir: removing the state files not named");
	}
	l = listing(d);
	TAP_STR(l, "lock manifest notes.txt state-1-2.full state-2-1.full wal-00000000000000000002",
	    "dir: ... leaves the named ones, the manifest and the journal");
	free(l);
	ckpt_dir_close(d);
	free(path);
	free(missing);
}

/* A manifest with every field set, blobs with NUL bytes in them. */
static void
sample_manifest(struct ckpt_manifest *m, const char *fingerprint)
{
	static char *files1[] = { "state-1-4.full", "state-1-4.1.chg", "state-1-4.2.chg" };
	static struct ckpt_stage_rec stages[2];
	static struct ckpt_source_rec sources[2];
	static struct ckpt_sink_rec sinks[1];

	memset(m, 0, sizeof *m);
	m->version = 1;
	m->fingerprint = (char *)fingerprint;
	m->script.data = "stdin | flatMap split(_) | map (_, 1) | state sum as totals\n";
	m->script.len = strlen(m->script.data);
	m->batch_ms = 1000;
	m->parts = 4;
	m->last_seq = 41;
	m->last_time_ms = -5;
	m->written_ms = INT64_C(1764745200123);
	stages[0] = (struct ckpt_stage_rec){ "totals", "state sum", "state", "job.pipe:1:40",
		3, 120, "a b c", files1, 3 };
	stages[1] = (struct ckpt_stage_rec){ "stdin | window 4s [batch 1s]", "window 4s", "window",
		"job.pipe:2:1", 0, 0, "", NULL, 0 };
	sources[0] = (struct ckpt_source_rec){ "tail(\"x.log\")", "tail", { "tail\001\0\0\x08", 8 } };
	sources[1] = (struct ckpt_source_rec){ "stdin", "stdin", { NULL, 0 } };
	sinks[0] = (struct ckpt_sink_rec){ "append \"out.txt\"", "append", { "\0\0\0\x10", 4 } };
	m->stages = stages;
	m->nstages = 2;
	m->sources = sources;
	m->nsources = 2;
	m->sinks = sinks;
	m->nsinks = 1;
}

static int
same_blob(const struct ckpt_blob *a, const struct ckpt_blob *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static int
same_manifest(const struct ckpt_manifest *a, const struct ckpt_manifest *b)
{
	if (a->version != b->version || strcmp(a->fingerprint, b->fingerprint) != 0 ||
	    !same_blob(&a->script, &b->script) || a->batch_ms != b->batch_ms ||
	    a->parts != b->parts || a->last_seq != b->last_seq ||
	    a->last_time_ms != b->last_time_ms || a->written_ms != b->written_ms ||
	    a->nstages != b->nstages || a->nsources != b->nsources || a->nsinks != b->nsinks)
		return 0;
	for (size_t i = 0; i < a->nstages; i++) {
		const struct ckpt_stage_rec *x = &a->stages[i], *y = &b->stages[i];
		if (strcmp(x->id, y->id) || strcmp(x->definition, y->definition) ||
		    strcmp(x->kind, y->kind) || strcmp(x->location, y->location) ||
		    x->keys != y->keys || x->bytes != y->bytes || strcmp(x->sample, y->sample) ||
		    x->nfiles != y->nfiles)
			return 0;
		for (size_t k = 0; k < x->nfiles; k++)
			if (strcmp(x->files[k], y->files[k]) != 0)
				return 0;
	}
	for (size_t i = 0; i < a->nsources; i++)
		if (strcmp(a->sources[i].id, b->sources[i].id) ||
		    strcmp(a->sources[i].kind, b->sources[i].kind) ||
		    !same_blob(&a->sources[i].position, &b->sources[i].position))
			return 0;
	for (size_t i = 0; i < a->nsinks; i++)
		if (strcmp(a->sinks[i].id, b->sinks[i].id) ||
		    strcmp(a->sinks[i].kind, b->sinks[i].kind) ||
		    !same_blob(&a->sinks[i].progress, &b->sinks[i].progress))
			return 0;
	return 1;
}

/* Record starts of a record file, for the offsets damage must name. */
static size_t
record_starts(const char *data, size_t len, size_t *starts, size_t max)
{
	size_t n = 0, off = REC_FILE_HEADER;

	while (off < len && n < max) {
		uint32_t l;
		memcpy(&l, data + off, 4);	/* the tests run little-endian */
		starts[n++] = off;
		off += REC_HEADER + l;
	}
	starts[n] = len;
	return n;
}

/* Where an error must point for damage at byte i: the start of the
 * record that holds it, or the header field. */
static long
expected_offset(size_t i, const size_t *starts, size_t n)
{
	if (i < 4)
		return 0;
	if (i == 4)
		return -2;	/* the version: its own message */
	if (i == 5)
		return 5;
	if (i < 8)
		return 6;
	for (size_t k = n; k-- > 0;)
		if (starts[k] <= i)
			return (long)starts[k];
	return -1;
}

typedef int (*read_fn)(struct ckpt_dir *, const char *name, void *arg, char **err);

/* A whole-file kind (manifest, state) cut at every length and with every
 * bit flipped: each an error naming the file and the right offset. */
static void
damage_whole(struct ckpt_dir *d, const char *name, read_fn fn, void *arg, const char *what)
{
	const char *dir = ckpt_dir_path(d);
	char *label = ckpt_dir_label(d, name), *orig, *buf, *err;
	size_t len, starts[256], n;
	long off;
	int bad_cut = 0, bad_flip = 0, cases = 0;

	orig = get_file(dir, name, &len);
	n = record_starts(orig, len, starts, 255);
	buf = xmalloc(len + 1);
	for (size_t cut = 0; cut < len; cut++) {
		put_file(dir, name, orig, cut);
		err = NULL;
		cases++;
		if (fn(d, name, arg, &err) != -1 || (off = damaged_offset(err, label)) < 0 ||
		    (size_t)off > cut) {
			if (bad_cut++ < 3)
				printf("# cut at %zu: %s\n", cut, err ? err : "(read)");
		}
		free(err);
	}
	for (size_t i = 0; i < len; i++) {
		long want = expected_offset(i, starts, n);
		for (int bit = 0; bit < 8; bit++) {
			memcpy(buf, orig, len);
			buf[i] ^= (char)(1 << bit);
			put_file(dir, name, buf, len);
			err = NULL;
			cases++;
			int ok = fn(d, name, arg, &err) == -1;
			if (ok && want == -2)
				ok = err != NULL && strstr(err, "format version") != NULL &&
				    strncmp(err, label, strlen(label)) == 0;
			else if (ok)
				ok = damaged_offset(err, label) == want;
			if (!ok && bad_flip++ < 3)
				printf("# bit %d of byte %zu (want offset %ld): %s\n", bit, i, want,
				    err ? err : "(read)");
			free(err);
		}
	}
	TAP_OK(bad_cut == 0, "damage: %s (%zu bytes) cut at every length: an error at or "
	    "before the cut", what, len);
	TAP_OK(bad_flip == 0, "damage: %s, every bit flipped: an error at the record that holds it",
	    what);
	put_file(dir, name, orig, len);
	free(orig);
	free(buf);
	free(label);
}

static int
read_manifest(struct ckpt_dir *d, const char *name, void *arg, char **err)
{
	struct ckpt_manifest m;
	int rc = manifest_read(d, &m, err);

	manifest_free(&m);
	return rc;
}

static int
read_state(struct ckpt_dir *d, const char *name, void *arg, char **err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = statefile_read(d, name, &sb, err);

	strbuf_release(&sb);
	return rc;
}

static void
test_manifest(void)
{
	char *err = NULL, *path = scratch("mf");
	struct ckpt_dir *d = ckpt_dir_open(path, 0, &err);
	struct ckpt_manifest m, got;

	TAP_OK(manifest_read(d, &got, &err) == 1, "manifest: none yet");
	sample_manifest(&m, "0123abcd");
	TAP_OK(manifest_write(d, &m, &err) == 0, "manifest: written");
	TAP_OK(manifest_read(d, &got, &err) == 0, "manifest: read back");
	TAP_OK(same_manifest(&m, &got), "manifest: every field as written");
	TAP_OK(got.script.data[got.script.len] == '\0' && got.stages[0].files[3] == NULL,
	    "manifest: blobs NUL-terminated, file lists NULL-terminated");
	manifest_free(&got);
	m.nstages = m.nsources = m.nsinks = 0;
	m.last_seq = MANIFEST_NO_BATCH;
	TAP_OK(manifest_write(d, &m, &err) == 0 && manifest_read(d, &got, &err) == 0 &&
	    same_manifest(&m, &got) && got.last_seq == UINT64_MAX,
	    "manifest: one with nothing in it, no batch completed");
	manifest_free(&got);
	sample_manifest(&m, "0123abcd");
	manifest_write(d, &m, &err);
	damage_whole(d, "manifest", read_manifest, NULL, "a manifest");
	ckpt_dir_close(d);
	free(path);
}

static void
test_statefile(void)
{
	char *err = NULL, *path = scratch("st");
	struct ckpt_dir *d = ckpt_dir_open(path, 0, &err);
	struct strbuf sb = STRBUF_INIT, in = STRBUF_INIT;
	size_t len;
	char *raw;

	{
		char a[STATEFILE_NAME_MAX], b[STATEFILE_NAME_MAX];
		statefile_name(a, 3, 12, 0);
		statefile_name(b, 3, 12, 4);
		TAP_OK(strcmp(a, "state-3-12.full") == 0 && strcmp(b, "state-3-12.4.chg") == 0,
		    "state file: names of a whole save and of changes");
	}
	for (int i = 0; i < 700; i++)
		strbuf_addc(&in, (char)(i * 7));
	TAP_OK(statefile_write(d, "state-1-1.full", in.data, in.len, &err) == 0,
	    "state file: written");
	strbuf_add(&sb, "x", 1);
	TAP_OK(statefile_read(d, "state-1-1.full", &sb, &err) == 0 && sb.len == 701 &&
	    memcmp(sb.data + 1, in.data, 700) == 0, "state file: read back, appended");
	strbuf_reset(&sb);
	TAP_OK(statefile_write(d, "state-1-1.1.chg", NULL, 0, &err) == 0 &&
	    statefile_read(d, "state-1-1.1.chg", &sb, &err) == 0 && sb.len == 0,
	    "state file: an empty save");
	statefile_set_chunk(256);
	TAP_OK(statefile_write(d, "state-2-1.full", in.data, in.len, &err) == 0 &&
	    statefile_read(d, "state-2-1.full", &sb, &err) == 0 && sb.len == 700 &&
	    memcmp(sb.data, in.data, 700) == 0, "state file: in pieces, read back whole");
	{
		struct strbuf fresh = STRBUF_INIT;
		TAP_OK(statefile_read(d, "state-2-1.full", &fresh, &err) == 0 && fresh.len == 700 &&
		    memcmp(fresh.data, in.data, 700) == 0 && fresh.data[700] == '\0',
		    "state file: in pieces, read into an empty buffer (the file's own)");
		strbuf_release(&fresh);
	}
	raw = get_file(path, "state-2-1.full", &len);
	TAP_OK(len == 8 + 3 * 9 + 700 + 9 + 16, "state file: three DATA records and END");
	free(raw);
	statefile_set_chunk(0);
	TAP_OK(statefile_read(d, "state-9-9.full", &sb, &err) == -1, "state file: a missing one");
	{
		char want[512];
		snprintf(want, sizeof want, "%s/state-9-9.full: missing", path);
		TAP_STR(err, want, "state file: ... is an error");
		free(err);
	}
	strbuf_release(&sb);
	damage_whole(d, "state-2-1.full", read_state, NULL, "a state file");
	strbuf_release(&in);
	ckpt_dir_close(d);
	free(path);
}

/* The journal. */

static const char *const ids[] = { "stdin", "tail(\"x.log\")" };

/* A segment: a block, a ref, an empty block, a framed block, the CUT. */
static int
write_segment(struct ckpt_dir *d, uint64_t seq, int with_cut, char **err)
{
	struct wal *w = wal_create(d, seq, ids, 2, err);
	struct wal_pos pos[2] = { { 0, "", 0 }, { 1, "pos\0after", 9 } };

	if (w == NULL)
		return -1;
	if (wal_block(w, 0, 0, "a\nb\n", 4) < 0 ||
	    wal_ref(w, 1, 0, "before", 6, "pos\0after", 9) < 0 ||
	    wal_block(w, 0, 0, "", 0) < 0 ||
	    wal_block(w, 0, 1, "\0\0\0\003xyz", 7) < 0 ||
	    (with_cut && wal_cut(w, seq, 12000, 0, pos, 2) < 0)) {
		*err = xstrdup(wal_error(w));
		wal_free(w);
		return -1;
	}
	return wal_close(w, err);
}

/* Is s the segment write_segment wrote, its first nrec records (and the
 * CUT when cut)? */
static int
segment_is(const struct wal_segment *s, size_t nrec, int cut)
{
	if (nrec > 0 && (s->nsources != 2 || strcmp(s->sources[0], ids[0]) != 0 ||
	    strcmp(s->sources[1], ids[1]) != 0))
		return 0;
	if (s->nrecords != (nrec > 0 ? nrec - 1 : 0) || s->has_cut != cut)
		return 0;
	for (size_t i = 0; i < s->nrecords; i++) {
		const struct wal_record *r = &s->records[i];
		switch (i) {
		case 0:
			if (r->type != REC_BLOCK || r->src != 0 || r->framed || r->len != 4 ||
			    memcmp(r->data, "a\nb\n", 4) != 0)
				return 0;
			break;
		case 1:
			if (r->type != REC_REF || r->src != 1 || r->fromlen != 6 || r->tolen != 9 ||
			    memcmp(r->from, "before", 6) != 0 || memcmp(r->to, "pos\0after", 9) != 0)
				return 0;
			break;
		case 2:
			if (r->type != REC_BLOCK || r->len != 0)
				return 0;
			break;
		case 3:
			if (r->type != REC_BLOCK || !r->framed || r->len != 7 ||
			    memcmp(r->data, "\0\0\0\003xyz", 7) != 0)
				return 0;
			break;
		}
	}
	if (cut && (s->cut.seq != s->seq || s->cut.time_ms != 12000 || s->cut.last ||
	    s->cut.npos != 2 || s->cut.pos[0].src != 0 || s->cut.pos[0].len != 0 ||
	    s->cut.pos[1].src != 1 || s->cut.pos[1].len != 9 ||
	    memcmp(s->cut.pos[1].data, "pos\0after", 9) != 0))
		return 0;
	return 1;
}

static void
damage_wal(struct ckpt_dir *d, uint64_t seq, int with_cut, const char *what)
{
	const char *dir = ckpt_dir_path(d);
	char name[32], *label, *orig, *buf, *err;
	size_t len, starts[64], n;
	int bad_cut = 0, bad_flip = 0, torn_flips = 0;
	struct wal_segment s;

	wal_name(name, seq);
	label = ckpt_dir_label(d, name);
	orig = get_file(dir, name, &len);
	n = record_starts(orig, len, starts, 63);
	buf = xmalloc(len + 1);
	for (size_t cut = 0; cut < len; cut++) {
		size_t whole = 0;
		while (whole < n && starts[whole + 1] <= cut)
			whole++;
		int boundary = cut >= REC_FILE_HEADER && starts[whole] == cut;
		put_file(dir, name, orig, cut);
		err = NULL;
		int rc = wal_read(d, seq, &s, &err);
		if (rc != 0 || !segment_is(&s, whole, 0) || s.torn != (!boundary || whole == 0)) {
			if (bad_cut++ < 3)
				printf("# cut at %zu (%zu whole records): rc %d torn %d records %zu %s\n",
				    cut, whole, rc, s.torn, s.nrecords, err ? err : "");
		}
		free(err);
		wal_segment_free(&s);
	}
	TAP_OK(bad_cut == 0, "damage: %s (%zu bytes) cut at every length: the records before "
	    "the cut, the torn one dropped", what, len);
	for (size_t i = 0; i < len; i++) {
		long want = expected_offset(i, starts, n);
		for (int bit = 0; bit < 8; bit++) {
			memcpy(buf, orig, len);
			buf[i] ^= (char)(1 << bit);
			put_file(dir, name, buf, len);
			err = NULL;
			int rc = wal_read(d, seq, &s, &err), ok;
			if (rc == 0) {
				/* Only a longer length of the last record looks like a cut. */
				ok = i >= starts[n - 1] && i < starts[n - 1] + 4 && s.torn &&
				    segment_is(&s, n - 1, 0);
				torn_flips += ok;
			} else if (want == -2) {
				ok = err != NULL && strstr(err, "format version") != NULL;
			} else {
				ok = damaged_offset(err, label) == want;
			}
			if (!ok && bad_flip++ < 3)
				printf("# bit %d of byte %zu (want offset %ld): rc %d %s\n", bit, i,
				    want, rc, err ? err : "");
			free(err);
			wal_segment_free(&s);
		}
	}
	TAP_OK(bad_flip == 0 && torn_flips > 0, "damage: %s, every bit flipped: an error at the "
	    "record that holds it, or a longer last record taken for a torn one (%d times)", what,
	    torn_flips);
	put_file(dir, name, orig, len);
	free(orig);
	free(buf);
	free(label);
}

struct captured {
	struct strbuf lines;
};

static void
capture(const char *line, void *arg)
{
	struct captured *c = arg;

	strbuf_addf(&c->lines, "%s\n", line);
}

static int
count_lines(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void
test_wal(void)
{
	char *err = NULL, *path = scratch("wal"), want[512];
	struct ckpt_dir *d = ckpt_dir_open(path, 0, &err);
	struct wal_segment s;
	struct wal *w;
	uint64_t *seqs;
	size_t n;

	TAP_OK(write_segment(d, 7, 1, &err) == 0, "wal: a segment written");
	TAP_OK(wal_read(d, 7, &s, &err) == 0 && !s.torn && segment_is(&s, 5, 1),
	    "wal: read back, its records in order and the CUT");
	wal_segment_free(&s);
	TAP_OK(wal_read(d, 8, &s, &err) == 1, "wal: a segment that is not there");
	TAP_OK(write_segment(d, 9, 0, &err) == 0 && wal_read(d, 9, &s, &err) == 0 &&
	    !s.torn && segment_is(&s, 5, 0), "wal: a segment without CUT");
	wal_segment_free(&s);

	w = wal_create(d, 7, ids, 2, &err);
	snprintf(want, sizeof want, "%s/wal-00000000000000000007: cannot create: File exists", path);
	TAP_OK(w == NULL, "wal: a segment is never created over another");
	TAP_STR(err, want, "wal: ... saying so");
	free(err);

	w = wal_create(d, 10, ids, 2, &err);
	{
		struct wal_pos pos = { 0, "p", 1 };
		TAP_OK(wal_cut(w, 10, 1, 1, &pos, 1) == 0 && wal_block(w, 0, 0, "x", 1) == -1,
		    "wal: nothing goes in after the CUT");
		snprintf(want, sizeof want, "%s/wal-00000000000000000010: a record after the CUT: "
		    "Invalid argument", path);
		TAP_STR(wal_error(w), want, "wal: ... saying so");
		TAP_OK(wal_close(w, &err) == -1, "wal: ... and the writer stays failed");
		free(err);
	}

	/* Group sync: appends are not synced one by one. */
	{
		struct captured c = { STRBUF_INIT };
		setenv("STREAMJOB_CRASH_LIST", "1", 1);
		ckpt_crash_reload();
		ckpt_crash_set_printer(capture, &c);
		w = wal_create(d, 11, ids, 2, &err);
		for (int i = 0; i < 100; i++)
			wal_block(w, 0, 0, "line\n", 5);
		TAP_OK(wal_sync(w, &err) == 0 && wal_sync(w, &err) == 0, "wal: synced twice");
		wal_block(w, 0, 0, "line\n", 5);
		TAP_OK(wal_sync(w, &err) == 0 && wal_close(w, &err) == 0, "wal: once more, closed");
		ckpt_crash_set_printer(NULL, NULL);
		unsetenv("STREAMJOB_CRASH_LIST");
		ckpt_crash_reload();
		TAP_OK(count_lines(c.lines.data, ": wal append\n") == 101 &&
		    count_lines(c.lines.data, ": wal sync\n") == 2 &&
		    strncmp(c.lines.data, "crash point 1: wal create\ncrash point 2: wal append\n",
		    50) == 0, "wal: 101 appends, 2 fsyncs (a sync with nothing new does nothing)");
		strbuf_release(&c.lines);
	}

	TAP_OK(wal_list(d, &seqs, &n, &err) == 0 && n == 4 && seqs[0] == 7 && seqs[1] == 9 &&
	    seqs[2] == 10 && seqs[3] == 11, "wal: the segments listed in order");
	free(seqs);
	TAP_OK(wal_remove_upto(d, 9, &err) == 0 && wal_list(d, &seqs, &n, &err) == 0 && n == 2 &&
	    seqs[0] == 10 && seqs[1] == 11, "wal: segments up to a seq removed");
	free(seqs);

	/* Re-logging a segment without CUT: its blocks, other sources. */
	{
		const char *ids2[] = { "socket(\"h\", 9)", "stdin", "files(\"d\")" };
		struct wal_record recs[2];
		struct wal_pos pos = { 2, "done", 4 };
		write_segment(d, 12, 0, &err);
		wal_read(d, 12, &s, &err);
		recs[0] = s.records[0];
		recs[0].src = 1;
		recs[1] = s.records[3];
		recs[1].src = 1;
		w = wal_rewrite(d, 12, ids2, 3, recs, 2, &err);
		wal_segment_free(&s);
		TAP_OK(w != NULL && wal_block(w, 0, 0, "more", 4) == 0 &&
		    wal_cut(w, 12, 5000, 1, &pos, 1) == 0 && wal_close(w, &err) == 0,
		    "wal: a segment rewritten, then appended to and cut");
		TAP_OK(wal_read(d, 12, &s, &err) == 0 && s.nsources == 3 &&
		    strcmp(s.sources[2], "files(\"d\")") == 0 && s.nrecords == 3 &&
		    s.records[0].src == 1 && s.records[0].len == 4 && s.records[1].framed &&
		    s.records[1].len == 7 && s.records[2].src == 0 && s.records[2].len == 4 &&
		    memcmp(s.records[2].data, "more", 4) == 0 && s.has_cut && s.cut.last &&
		    s.cut.time_ms == 5000, "wal: ... read back as such");
		wal_segment_free(&s);
	}

	write_segment(d, 20, 1, &err);
	damage_wal(d, 20, 1, "a journal segment");
	write_segment(d, 21, 0, &err);
	damage_wal(d, 21, 0, "a journal segment without CUT");

	/* A CUT with a position of a source the segment does not have. */
	w = wal_create(d, 29, ids, 2, &err);
	{
		struct wal_pos pos = { 2, "p", 1 };
		wal_cut(w, 29, 0, 0, &pos, 1);
	}
	wal_close(w, &err);
	snprintf(want, sizeof want, "%s/wal-00000000000000000029: damaged at offset 55: "
	    "source #2 of 2", path);
	TAP_OK(wal_read(d, 29, &s, &err) == -1, "wal: a CUT naming a source out of range is damage");
	TAP_STR(err, want, "wal: ... saying so");
	free(err);

	/* A CUT that names another batch. */
	w = wal_create(d, 30, ids, 2, &err);
	wal_cut(w, 31, 0, 0, NULL, 0);
	wal_close(w, &err);
	snprintf(want, sizeof want, "%s/wal-00000000000000000030: damaged at offset 55: "
	    "the CUT of batch 31 in the segment of batch 30", path);
	TAP_OK(wal_read(d, 30, &s, &err) == -1, "wal: a CUT of another batch is damage");
	TAP_STR(err, want, "wal: ... saying so");
	free(err);
	ckpt_dir_close(d);
	free(path);
}

/* Random bytes written over a file (a fixed seed): an error at or before
 * them, or for a journal the records before them and the rest dropped as
 * torn.  Never a crash, never a wrong record. */
static void
random_damage(struct ckpt_dir *d, const char *name, read_fn fn, uint64_t wal_seq,
    const char *what)
{
	const char *dir = ckpt_dir_path(d);
	char *label = ckpt_dir_label(d, name), *orig, *buf, *err;
	size_t len, starts[256], n;
	int bad = 0, cases = 0;

	orig = get_file(dir, name, &len);
	n = record_starts(orig, len, starts, 255);
	buf = xmalloc(len + 1);
	srand(11);
	while (cases < 1500) {
		size_t at = (size_t)rand() % len, k = 1 + (size_t)rand() % 16, whole = 0;
		int rc;
		if (at + k > len)
			k = len - at;
		memcpy(buf, orig, len);
		for (size_t i = 0; i < k; i++)
			buf[at + i] = (char)rand();
		if (memcmp(buf, orig, len) == 0)
			continue;
		cases++;
		put_file(dir, name, buf, len);
		err = NULL;
		while (whole < n && starts[whole + 1] <= at)
			whole++;
		if (fn != NULL) {
			rc = fn(d, name, NULL, &err);
			long off = damaged_offset(err, label);
			rc = rc == -1 && (off >= 0 ? (size_t)off <= at : strstr(err, "format") != NULL);
		} else {
			struct wal_segment s;
			rc = wal_read(d, wal_seq, &s, &err);
			if (rc == 0)
				rc = s.torn && s.nrecords + 1 >= whole && segment_is(&s, s.nrecords + 1, 0);
			else
				rc = damaged_offset(err, label) >= 0 ?
				    (size_t)damaged_offset(err, label) <= at : strstr(err, "format") != NULL;
			wal_segment_free(&s);
		}
		if (!rc && bad++ < 3)
			printf("# %zu bytes at %zu: %s\n", k, at, err ? err : "read");
		free(err);
	}
	TAP_OK(bad == 0, "damage: %s, random bytes written over it 1500 times: an error at or "
	    "before them%s", what, fn == NULL ? ", or the records before them" : "");
	put_file(dir, name, orig, len);
	free(orig);
	free(buf);
	free(label);
}

static void
test_random_damage(void)
{
	char *err = NULL, *path = scratch("random"), name[32];
	struct ckpt_dir *d = ckpt_dir_open(path, 0, &err);
	struct ckpt_manifest m;
	struct strbuf in = STRBUF_INIT;

	sample_manifest(&m, "0123abcd");
	manifest_write(d, &m, &err);
	random_damage(d, "manifest", read_manifest, 0, "a manifest");
	for (int i = 0; i < 700; i++)
		strbuf_addc(&in, (char)(i * 7));
	statefile_set_chunk(256);
	statefile_write(d, "state-1-1.full", in.data, in.len, &err);
	statefile_set_chunk(0);
	random_damage(d, "state-1-1.full", read_state, 0, "a state file");
	strbuf_release(&in);
	write_segment(d, 5, 1, &err);
	wal_name(name, 5);
	random_damage(d, name, NULL, 5, "a journal segment");
	ckpt_dir_close(d);
	free(path);
}

/* A torn record whose length was damaged, not cut short: a good record
 * follows inside the bytes it claims. */
static void
test_torn_or_damaged(void)
{
	char *err = NULL, *path = scratch("torn"), name[32], *raw, *label;
	struct ckpt_dir *d = ckpt_dir_open(path, 0, &err);
	struct wal_segment s;
	size_t len, starts[16], n;

	write_segment(d, 1, 1, &err);
	wal_name(name, 1);
	raw = get_file(path, name, &len);
	n = record_starts(raw, len, starts, 15);
	/* The REF's length made to run past the end. */
	raw[starts[2] + 2] = 0x10;
	put_file(path, name, raw, len);
	label = ckpt_dir_label(d, name);
	TAP_OK(wal_read(d, 1, &s, &err) == -1 && damaged_offset(err, label) == (long)starts[2],
	    "wal: a length past the end with whole records after it is damage, not a tear");
	TAP_OK(strstr(err, "the record runs past the end of the file") != NULL,
	    "wal: ... saying what");
	free(err);
	free(raw);
	free(label);
	(void)n;
	ckpt_dir_close(d);
	free(path);
}

/* The bytes of block i of the kill test: its length and a byte each. */
static size_t
kill_block_len(size_t i)
{
	return 100000 + i * 7919 % 300000;
}

/* kill -9 while a child appends large blocks without end: the segment
 * reads back with every block whole and right, at most the last torn. */
static void
test_kill_append(void)
{
	char *err = NULL, *path = scratch("kill"), name[32];
	struct ckpt_dir *d = ckpt_dir_open(path, 0, &err);
	int bad = 0, torn = 0;
	char *buf = xmalloc(kill_block_len(0) + 300000);

	wal_name(name, 1);
	for (int round = 0; round < 12; round++) {
		char *file = xasprintf("%s/%s", path, name);
		off_t target = (off_t)(1 + round) * 700001;
		struct stat st;
		struct wal_segment s;
		pid_t pid;
		int status;

		unlink(file);
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			struct wal *w = wal_create(d, 1, ids, 2, &err);
			for (size_t i = 0; w != NULL; i++) {
				memset(buf, (int)(i % 251), kill_block_len(i));
				if (wal_block(w, (uint32_t)(i % 2), 0, buf, kill_block_len(i)) < 0)
					_exit(3);
			}
			_exit(2);
		}
		/* Wait until the child has written past the target, then kill it. */
		for (int tries = 0; tries < 200000; tries++) {
			if (stat(file, &st) == 0 && st.st_size >= target)
				break;
			usleep(100);
		}
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		if (!WIFSIGNALED(status) || wal_read(d, 1, &s, &err) != 0 || s.nrecords < 2) {
			if (bad++ < 3)
				printf("# round %d: status %d, %s\n", round, status, err ? err : "");
			free(err);
			err = NULL;
			free(file);
			continue;
		}
		torn += s.torn;
		for (size_t i = 0; i < s.nrecords; i++) {
			const struct wal_record *r = &s.records[i];
			int ok = r->type == REC_BLOCK && r->src == i % 2 && r->len == kill_block_len(i);
			for (size_t k = 0; ok && k < r->len; k += 997)
				ok = (unsigned char)r->data[k] == i % 251;
			if (!ok && bad++ < 3)
				printf("# round %d: block %zu is wrong\n", round, i);
		}
		wal_segment_free(&s);
		free(file);
	}
	TAP_OK(bad == 0, "kill -9 during appends, 12 times: every block read back whole and right "
	    "(%d times the last one torn and dropped)", torn);
	free(buf);
	ckpt_dir_close(d);
	free(path);
}

/* Crash points: a child _exits at step k of a manifest write; the
 * manifest is the old one or the new one, never anything else. */
static int
run_crashing(struct ckpt_dir *d, int k, int (*fn)(struct ckpt_dir *, void *), void *arg)
{
	pid_t pid;
	int status;
	char at[16];

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		snprintf(at, sizeof at, "%d", k);
		setenv("STREAMJOB_CRASH_AT", at, 1);
		ckpt_crash_reload();
		fn(d, arg);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int
write_new_manifest(struct ckpt_dir *d, void *arg)
{
	struct ckpt_manifest m;
	char *err = NULL;

	sample_manifest(&m, "new");
	return manifest_write(d, &m, &err);
}

static void
test_crash_points(void)
{
	char *err = NULL, *path = scratch("crash"), *l;
	struct ckpt_dir *d = ckpt_dir_open(path, 0, &err);
	struct ckpt_manifest m, got;
	struct captured c = { STRBUF_INIT };
	int bad = 0, k;

	sample_manifest(&m, "old");
	manifest_write(d, &m, &err);

	setenv("STREAMJOB_CRASH_LIST", "1", 1);
	ckpt_crash_reload();
	ckpt_crash_set_printer(capture, &c);
	write_new_manifest(d, NULL);
	ckpt_crash_set_printer(NULL, NULL);
	unsetenv("STREAMJOB_CRASH_LIST");
	ckpt_crash_reload();
	TAP_STR(c.lines.data, "crash point 1: before manifest\n"
	    "crash point 2: write .manifest.tmp\n"
	    "crash point 3: fsync .manifest.tmp\n"
	    "crash point 4: rename manifest\n"
	    "crash point 5: fsync directory after manifest\n"
	    "crash point 6: after manifest\n", "crash points: the steps of a manifest write");
	strbuf_release(&c.lines);

	for (k = 1; k <= 7; k++) {
		int status;
		sample_manifest(&m, "old");
		manifest_write(d, &m, &err);
		status = run_crashing(d, k, write_new_manifest, NULL);
		if (manifest_read(d, &got, &err) != 0 ||
		    strcmp(got.fingerprint, k <= 3 ? "old" : "new") != 0 ||
		    status != (k <= 6 ? 99 : 0)) {
			if (bad++ < 3)
				printf("# crash at %d: status %d, %s\n", k, status,
				    got.fingerprint ? got.fingerprint : err);
		}
		manifest_free(&got);
	}
	TAP_OK(bad == 0, "crash points: a crash at any step leaves the old manifest until the "
	    "rename, the new one after");
	run_crashing(d, 3, write_new_manifest, NULL);
	ckpt_dir_close(d);
	d = ckpt_dir_open(path, 0, &err);
	l = listing(d);
	TAP_STR(l, "lock manifest", "crash points: the temporary file a crash left is removed at "
	    "the next open");
	free(l);
	ckpt_dir_close(d);

	/* The default printer writes to standard error. */
	{
		int pfd[2];
		pid_t pid;
		char buf[256];
		ssize_t n;
		if (pipe(pfd) < 0)
			return;
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			dup2(pfd[1], 2);
			close(pfd[0]);
			setenv("STREAMJOB_CRASH_LIST", "1", 1);
			setenv("STREAMJOB_CRASH_AT", "2", 1);
			ckpt_crash_reload();
			ckpt_step("one");
			ckpt_step("two");
			_exit(0);
		}
		close(pfd[1]);
		size_t have = 0;
		while (have < sizeof buf - 1 && (n = read(pfd[0], buf + have, sizeof buf - 1 - have)) > 0)
			have += (size_t)n;
		buf[have] = '\0';
		int status;
		waitpid(pid, &status, 0);
		close(pfd[0]);
		TAP_STR(buf, "crash point 1: one\ncrash point 2: two\n",
		    "crash points: listed on standard error by default");
		TAP_OK(WIFEXITED(status) && WEXITSTATUS(status) == 99,
		    "crash points: the process exits with status 99 at the chosen one");
	}
	free(path);
}

/* Write failures: a file size limit makes writes fail (EFBIG). */
static void
test_write_failures(void)
{
	char *err = NULL, *path = scratch("full");
	struct ckpt_dir *d = ckpt_dir_open(path, 0, &err);
	struct ckpt_manifest m;
	pid_t pid;
	int status;

	sample_manifest(&m, "old");
	manifest_write(d, &m, &err);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 600, 600 };
		char big[1000] = { 0 }, want[512];
		struct ckpt_manifest n;
		struct strbuf sb = STRBUF_INIT;
		struct wal *w;
		struct stat st;
		int fails = 0;
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		w = wal_create(d, 1, ids, 2, &err);
		if (wal_block(w, 0, 0, big, 100) != 0)
			fails |= 1;
		if (wal_block(w, 0, 0, big, sizeof big) != -1)
			fails |= 2;
		snprintf(want, sizeof want, "%s/wal-00000000000000000001: write: File too large", path);
		if (wal_error(w) == NULL || strcmp(wal_error(w), want) != 0)
			fails |= 4;
		if (wal_block(w, 0, 0, "x", 1) != -1 || wal_sync(w, &err) != -1)
			fails |= 8;
		wal_free(w);
		/* The failed record was cut off: the segment reads whole. */
		struct wal_segment s;
		if (wal_read(d, 1, &s, &err) != 0 || s.torn || s.nrecords != 1)
			fails |= 16;
		wal_segment_free(&s);
		/* A manifest too big for the limit: the old one stays. */
		sample_manifest(&n, "new");
		for (int i = 0; i < 100; i++)
			strbuf_adds(&sb, "0123456789");
		n.script.data = sb.data;
		n.script.len = sb.len;
		snprintf(want, sizeof want, "%s/.manifest.tmp: write: File too large", path);
		if (manifest_write(d, &n, &err) != -1 || strcmp(err, want) != 0)
			fails |= 32;
		if (manifest_read(d, &n, &err) != 0 || strcmp(n.fingerprint, "old") != 0)
			fails |= 64;
		char *tmp = xasprintf("%s/.manifest.tmp", path);
		if (stat(tmp, &st) == 0)
			fails |= 128;
		_exit(fails);
	}
	waitpid(pid, &status, 0);
	TAP_OK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "write failures: a failed append "
	    "fails the writer with the reason and leaves no half record; a failed manifest write "
	    "leaves the old one and no temporary file (%d)", WIFEXITED(status) ?
	    WEXITSTATUS(status) : -1);
	ckpt_dir_close(d);
	free(path);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(top, sizeof top, "%s/ckpt-unit-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
	if (mkdtemp(top) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	unsetenv("STREAMJOB_CRASH_AT");
	unsetenv("STREAMJOB_CRASH_LIST");
	test_crc32c();
	test_records();
	test_dir();
	test_manifest();
	test_statefile();
	test_wal();
	test_torn_or_damaged();
	test_random_damage();
	test_kill_append();
	test_crash_points();
	test_write_failures();
	{
		char *cmd = xasprintf("rm -rf '%s'", top);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", top);
		free(cmd);
	}
	return tap_done();
}
