/*
 * wal.c: the journal segments of wal.h.
 *
 * SOURCES: u32 n, n strings.  BLOCK: u32 source#, u8 framed, the bytes
 * (the rest of the payload).  REF: u32 source#, u8 framed, blob position
 * before, blob position after.  CUT: u64 seq, u64 time (ms, two's
 * complement), u8 last, u32 n, n x (u32 source#, blob position).
 *
 * A BLOCK is written with one writev(2) of the record header, the 5 bytes
 * before the data and the data itself, its checksum computed once over
 * the pieces: journaling a block costs a copy into the page cache.  Once
 * a write or an fsync failed, the segment is in an unknown state on disk
 * (a failed fsync may have dropped the pages it could not write), so the
 * writer refuses everything after: the job must fail, and a restart
 * reads what is really there.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"
#include "dir.h"
#include "record.h"
#include "wal.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

struct wal {
	struct ckpt_dir *dir;
	uint64_t seq;
	char name[32];
	int fd;
	struct rec_writer w;
	int dirty;		/* appended since the last fsync */
	int named;		/* DIR fsynced since the file was created */
	int cut;		/* the CUT is written: nothing more goes in */
	char *error;
};

void
wal_name(char *name, uint64_t seq)
{
	snprintf(name, 25, "wal-%020" PRIu64, seq);
}

uint64_t
wal_seq(const struct wal *w)
{
	return w->seq;
}

const char *
wal_error(const struct wal *w)
{
	return w->error;
}

/* Keep the reason the writer failed (errno's), and return -1. */
static int
wal_fail(struct wal *w, const char *what)
{
	int e = errno;
	char *l = ckpt_dir_label(w->dir, w->name);

	if (w->error == NULL)
		w->error = xasprintf("%s: %s: %s", l, what, strerror(e));
	free(l);
	return -1;
}

static void
sources_payload(struct strbuf *p, const char *const *ids, int n)
{
	rec_put_u32(p, (uint32_t)n);
	for (int i = 0; i < n; i++)
		rec_put_str(p, ids[i]);
}

static struct wal *
wal_new(struct ckpt_dir *d, uint64_t seq)
{
	struct wal *w = xcalloc(1, sizeof *w);

	w->dir = d;
	w->seq = seq;
	w->fd = -1;
	wal_name(w->name, seq);
	return w;
}

struct wal *
wal_create(struct ckpt_dir *d, uint64_t seq, const char *const *ids, int n, char **err)
{
	struct wal *w = wal_new(d, seq);
	struct strbuf sb = STRBUF_INIT, p = STRBUF_INIT;
	struct iovec iov;

	w->fd = openat(ckpt_dir_fd(d), w->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		wal_fail(w, "cannot create");
		goto fail;
	}
	/* The header and SOURCES in one write: a crash leaves a prefix. */
	rec_begin_file(&sb, REC_FILE_WAL);
	sources_payload(&p, ids, n);
	rec_append(&sb, REC_SOURCES, p.data, p.len);
	iov.iov_base = sb.data;
	iov.iov_len = sb.len;
	if (rec_writev_all(w->fd, &iov, 1) < 0) {
		wal_fail(w, "write");
		goto fail;
	}
	rec_writer_init(&w->w, w->fd, sb.len);
	w->dirty = 1;
	strbuf_release(&sb);
	strbuf_release(&p);
	ckpt_step("wal create");
	return w;
fail:
	*err = xstrdup(w->error);
	strbuf_release(&sb);
	strbuf_release(&p);
	if (w->fd >= 0)
		unlinkat(ckpt_dir_fd(d), w->name, 0);
	wal_free(w);
	return NULL;
}

/* May a record go in now? */
static int
wal_open_for_append(struct wal *w)
{
	if (w->error != NULL)
		return 0;
	if (w->cut) {
		errno = EINVAL;
		wal_fail(w, "a record after the CUT");
		return 0;
	}
	return 1;
}

int
wal_block(struct wal *w, uint32_t src, int framed, const void *data, size_t len)
{
	unsigned char pre[5] = { (unsigned char)src, (unsigned char)(src >> 8),
		(unsigned char)(src >> 16), (unsigned char)(src >> 24), framed ? 1 : 0 };
	struct iovec iov[2] = { { pre, sizeof pre }, { (void *)data, len } };

	if (!wal_open_for_append(w))
		return -1;
	if (rec_putv(&w->w, REC_BLOCK, iov, 2) < 0)
		return wal_fail(w, "write");
	w->dirty = 1;
	ckpt_step("wal append");
	return 0;
}

static int
wal_put(struct wal *w, int type, const struct strbuf *p)
{
	if (rec_put(&w->w, type, p->data, p->len) < 0)
		return wal_fail(w, "write");
	w->dirty = 1;
	return 0;
}

int
wal_ref(struct wal *w, uint32_t src, int framed, const void *from, size_t fromlen,
    const void *to, size_t tolen)
{
	struct strbuf p = STRBUF_INIT;
	int rc;

	if (!wal_open_for_append(w))
		return -1;
	rec_put_u32(&p, src);
	rec_put_u8(&p, framed ? 1 : 0);
	rec_put_blob(&p, from, fromlen);
	rec_put_blob(&p, to, tolen);
	rc = wal_put(w, REC_REF, &p);
	strbuf_release(&p);
	if (rc == 0)
		ckpt_step("wal append");
	return rc;
}

int
wal_cut(struct wal *w, uint64_t seq, int64_t time_ms, int last, const struct wal_pos *pos,
    size_t n)
{
	struct strbuf p = STRBUF_INIT;
	int rc;

	if (!wal_open_for_append(w))
		return -1;
	rec_put_u64(&p, seq);
	rec_put_u64(&p, (uint64_t)time_ms);
	rec_put_u8(&p, last ? 1 : 0);
	rec_put_u32(&p, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		rec_put_u32(&p, pos[i].src);
		rec_put_blob(&p, pos[i].data, pos[i].len);
	}
	rc = wal_put(w, REC_CUT, &p);
	strbuf_release(&p);
	if (rc == 0) {
		w->cut = 1;
		ckpt_step("wal cut");
	}
	return rc;
}

int
wal_sync(struct wal *w, char **err)
{
	if (w->error == NULL && w->dirty) {
		if (fsync(w->fd) < 0) {
			wal_fail(w, "fsync");
		} else if (!w->named) {
			char *e = NULL;
			if (ckpt_dir_sync(w->dir, &e) < 0)
				w->error = e;
			else
				w->named = 1;
		}
		if (w->error == NULL) {
			w->dirty = 0;
			ckpt_step("wal sync");
		}
	}
	if (w->error != NULL) {
		*err = xstrdup(w->error);
		return -1;
	}
	return 0;
}

int
wal_close(struct wal *w, char **err)
{
	int rc;

	if (w == NULL)
		return 0;
	rc = wal_sync(w, err);
	if (close(w->fd) < 0 && rc == 0) {
		wal_fail(w, "close");
		*err = xstrdup(w->error);
		rc = -1;
	}
	w->fd = -1;
	wal_free(w);
	return rc;
}

void
wal_free(struct wal *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->error);
	free(w);
}

/* Reading. */

static int
wal_parse_block(struct rec_cur *c, struct wal_record *r)
{
	r->type = REC_BLOCK;
	r->src = rec_get_u32(c);
	r->framed = rec_get_u8(c);
	r->data = rec_get_rest(c, &r->len);
	return rec_cur_done(c) && r->framed <= 1;
}

static int
wal_parse_ref(struct rec_cur *c, struct wal_record *r)
{
	r->type = REC_REF;
	r->src = rec_get_u32(c);
	r->framed = rec_get_u8(c);
	r->from = rec_get_blob(c, &r->fromlen);
	r->to = rec_get_blob(c, &r->tolen);
	return rec_cur_done(c) && r->framed <= 1;
}

static int
wal_parse_cut(struct rec_cur *c, struct wal_cut *cut)
{
	uint32_t n;

	cut->seq = rec_get_u64(c);
	cut->time_ms = (int64_t)rec_get_u64(c);
	cut->last = rec_get_u8(c);
	n = rec_get_u32(c);
	/* each position takes 12 bytes at least: a count past that is a lie */
	if (c->bad || cut->last > 1 || n > (size_t)(c->end - c->p) / 12)
		return 0;
	cut->pos = xcalloc(n + 1, sizeof *cut->pos);
	for (uint32_t i = 0; i < n && !c->bad; i++) {
		cut->pos[i].src = rec_get_u32(c);
		cut->pos[i].data = rec_get_blob(c, &cut->pos[i].len);
		cut->npos++;
	}
	return rec_cur_done(c);
}

static int
wal_parse_sources(struct rec_cur *c, struct wal_segment *s)
{
	uint32_t n = rec_get_u32(c);

	/* each id takes 8 bytes at least */
	if (c->bad || n > (size_t)(c->end - c->p) / 8)
		return 0;
	s->sources = xcalloc(n + 1, sizeof *s->sources);
	for (uint32_t i = 0; i < n && !c->bad; i++) {
		s->sources[i] = rec_get_str(c);
		s->nsources++;
	}
	return rec_cur_done(c);
}

static int
wal_decode(const char *label, struct wal_segment *s, char **err)
{
	struct rec_reader r;
	struct rec rec;
	struct rec_cur c;
	int st, first = 1;

	st = rec_reader_init(&r, label, s->buf, s->buflen, REC_FILE_WAL, 1, err);
	if (st == REC_TORN)
		s->torn = 1;
	if (st != REC_OK)
		return st == REC_TORN ? 0 : -1;
	while ((st = rec_next(&r, &rec, err)) == REC_OK) {
		int ok;
		if (s->has_cut) {
			*err = rec_damaged(label, rec.off, "a record after the CUT");
			return -1;
		}
		if ((rec.type == REC_SOURCES) != first) {
			*err = rec_damaged(label, rec.off, first ? "the first record is not SOURCES" :
			    "a second SOURCES record");
			return -1;
		}
		first = 0;
		rec_cur_init(&c, &rec);
		if (rec.type == REC_SOURCES) {
			ok = wal_parse_sources(&c, s);
		} else if (rec.type == REC_CUT) {
			ok = wal_parse_cut(&c, &s->cut);
			if (ok && s->cut.seq != s->seq) {
				*err = rec_damaged(label, rec.off, "the CUT of batch %" PRIu64
				    " in the segment of batch %" PRIu64, s->cut.seq, s->seq);
				return -1;
			}
			for (size_t i = 0; ok && i < s->cut.npos; i++) {
				if (s->cut.pos[i].src >= s->nsources) {
					*err = rec_damaged(label, rec.off, "source #%" PRIu32 " of %zu",
					    s->cut.pos[i].src, s->nsources);
					return -1;
				}
			}
			s->has_cut = 1;
		} else {
			struct wal_record w = { 0 };
			ok = rec.type == REC_BLOCK ? wal_parse_block(&c, &w) : wal_parse_ref(&c, &w);
			if (ok && w.src >= s->nsources) {
				*err = rec_damaged(label, rec.off, "source #%" PRIu32 " of %zu", w.src,
				    s->nsources);
				return -1;
			}
			s->records = xreallocarray(s->records, s->nrecords + 1, sizeof *s->records);
			s->records[s->nrecords++] = w;
		}
		if (!ok) {
			*err = rec_damaged(label, rec.off, "a record's fields do not fit its length");
			return -1;
		}
	}
	if (st == REC_DAMAGED)
		return -1;
	if (st == REC_TORN && s->has_cut) {
		*err = rec_damaged(label, r.off, "the file goes on after the CUT");
		return -1;
	}
	/* A segment cut short before the end of SOURCES is torn too. */
	s->torn = st == REC_TORN || first;
	return 0;
}

int
wal_read(struct ckpt_dir *d, uint64_t seq, struct wal_segment *s, char **err)
{
	char name[32], *label;
	int rc;

	memset(s, 0, sizeof *s);
	s->seq = seq;
	wal_name(name, seq);
	rc = ckpt_dir_read(d, name, &s->buf, &s->buflen, err);
	if (rc != 0)
		return rc;
	label = ckpt_dir_label(d, name);
	rc = wal_decode(label, s, err);
	free(label);
	if (rc < 0)
		wal_segment_free(s);
	return rc;
}

void
wal_segment_free(struct wal_segment *s)
{
	for (size_t i = 0; i < s->nsources; i++)
		free(s->sources[i]);
	free(s->sources);
	free(s->records);
	free(s->cut.pos);
	free(s->buf);
	memset(s, 0, sizeof *s);
}

/* The seq of a segment's name, or -1 when it is not one. */
static int
wal_parse_name(const char *name, uint64_t *seq)
{
	uint64_t x = 0;

	if (strncmp(name, "wal-", 4) != 0 || strlen(name) != 24)
		return -1;
	for (int i = 4; i < 24; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		if (x > (UINT64_MAX - (uint64_t)(name[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(name[i] - '0');
	}
	*seq = x;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
wal_list(struct ckpt_dir *d, uint64_t **seqs, size_t *n, char **err)
{
	char **names = ckpt_dir_names(d, err);
	uint64_t seq;

	*seqs = NULL;
	*n = 0;
	if (names == NULL)
		return -1;
	for (char **p = names; *p != NULL; p++) {
		if (wal_parse_name(*p, &seq) < 0)
			continue;
		*seqs = xreallocarray(*seqs, *n + 1, sizeof **seqs);
		(*seqs)[(*n)++] = seq;
	}
	ckpt_dir_names_free(names);
	if (*n > 0)
		qsort(*seqs, *n, sizeof **seqs, cmp_u64);
	return 0;
}

int
wal_remove_upto(struct ckpt_dir *d, uint64_t upto, char **err)
{
	uint64_t *seqs;
	size_t n;
	char name[32];
	int rc = 0;

	if (wal_list(d, &seqs, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && seqs[i] <= upto && rc == 0; i++) {
		wal_name(name, seqs[i]);
		if (unlinkat(ckpt_dir_fd(d), name, 0) < 0 && errno != ENOENT) {
			char *l = ckpt_dir_label(d, name);
			*err = xasprintf("%s: cannot remove: %s", l, strerror(errno));
			free(l);
			rc = -1;
		}
	}
	free(seqs);
	if (rc == 0)
		ckpt_step("remove journal segments");
	return rc;
}

struct wal *
wal_rewrite(struct ckpt_dir *d, uint64_t seq, const char *const *ids, int n,
    const struct wal_record *recs, size_t nrecs, char **err)
{
	struct strbuf sb = STRBUF_INIT, p = STRBUF_INIT;
	struct wal *w = wal_new(d, seq);
	off_t end;

	rec_begin_file(&sb, REC_FILE_WAL);
	sources_payload(&p, ids, n);
	rec_append(&sb, REC_SOURCES, p.data, p.len);
	for (size_t i = 0; i < nrecs; i++) {
		strbuf_reset(&p);
		rec_put_u32(&p, recs[i].src);
		rec_put_u8(&p, recs[i].framed ? 1 : 0);
		if (recs[i].type == REC_REF) {
			rec_put_blob(&p, recs[i].from, recs[i].fromlen);
			rec_put_blob(&p, recs[i].to, recs[i].tolen);
		} else if (recs[i].len > 0) {
			strbuf_add(&p, recs[i].data, recs[i].len);
		}
		rec_append(&sb, recs[i].type == REC_REF ? REC_REF : REC_BLOCK, p.data, p.len);
	}
	strbuf_release(&p);
	if (ckpt_atomic_write(d, w->name, &sb, err) < 0)
		goto fail;
	w->fd = openat(ckpt_dir_fd(d), w->name, O_WRONLY | O_CLOEXEC);
	if (w->fd < 0 || (end = lseek(w->fd, 0, SEEK_END)) < 0) {
		wal_fail(w, "cannot open");
		*err = xstrdup(w->error);
		goto fail;
	}
	rec_writer_init(&w->w, w->fd, (uint64_t)end);
	w->named = 1;
	strbuf_release(&sb);
	return w;
fail:
	strbuf_release(&sb);
	wal_free(w);
	return NULL;
}
