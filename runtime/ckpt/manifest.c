/*
 * manifest.c: the manifest of manifest.h, as a record file.
 *
 * HEAD: u64 format version, fingerprint string, script blob, u64 batch_ms,
 * u64 parts, u64 last completed seq, u64 its time (ms), u64 wall clock
 * when written (ms).  STAGE: id, definition, kind, location strings, u64
 * keys, u64 bytes, sample string, u64 file count, the file names.
 * SOURCE: id, kind strings, position blob.  SINK: id, kind strings,
 * progress blob.  END: u64 count of the records before it.
 */
#include <stdlib.h>
#include <string.h>

#include "crash.h"
#include "dir.h"
#include "manifest.h"
#include "record.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

#define MANIFEST_VERSION 1

void
manifest_encode(const struct ckpt_manifest *m, struct strbuf *out)
{
	struct strbuf p = STRBUF_INIT;
	uint64_t nrec = 0;

	rec_begin_file(out, REC_FILE_MANIFEST);
	rec_put_u64(&p, MANIFEST_VERSION);
	rec_put_str(&p, m->fingerprint);
	rec_put_blob(&p, m->script.data, m->script.len);
	rec_put_u64(&p, m->batch_ms);
	rec_put_u64(&p, m->parts);
	rec_put_u64(&p, m->last_seq);
	rec_put_u64(&p, (uint64_t)m->last_time_ms);
	rec_put_u64(&p, (uint64_t)m->written_ms);
	rec_append(out, REC_HEAD, p.data, p.len);
	nrec++;
	for (size_t i = 0; i < m->nstages; i++) {
		const struct ckpt_stage_rec *s = &m->stages[i];
		strbuf_reset(&p);
		rec_put_str(&p, s->id);
		rec_put_str(&p, s->definition);
		rec_put_str(&p, s->kind);
		rec_put_str(&p, s->location);
		rec_put_u64(&p, s->keys);
		rec_put_u64(&p, s->bytes);
		rec_put_str(&p, s->sample);
		rec_put_u64(&p, s->nfiles);
		for (size_t k = 0; k < s->nfiles; k++)
			rec_put_str(&p, s->files[k]);
		rec_append(out, REC_STAGE, p.data, p.len);
		nrec++;
	}
	for (size_t i = 0; i < m->nsources; i++) {
		strbuf_reset(&p);
		rec_put_str(&p, m->sources[i].id);
		rec_put_str(&p, m->sources[i].kind);
		rec_put_blob(&p, m->sources[i].position.data, m->sources[i].position.len);
		rec_append(out, REC_SOURCE, p.data, p.len);
		nrec++;
	}
	for (size_t i = 0; i < m->nsinks; i++) {
		strbuf_reset(&p);
		rec_put_str(&p, m->sinks[i].id);
		rec_put_str(&p, m->sinks[i].kind);
		rec_put_blob(&p, m->sinks[i].progress.data, m->sinks[i].progress.len);
		rec_append(out, REC_SINK, p.data, p.len);
		nrec++;
	}
	strbuf_reset(&p);
	rec_put_u64(&p, nrec);
	rec_append(out, REC_END, p.data, p.len);
	strbuf_release(&p);
}

int
manifest_write(struct ckpt_dir *d, const struct ckpt_manifest *m, char **err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;

	ckpt_step("before manifest");
	manifest_encode(m, &sb);
	rc = ckpt_atomic_write(d, MANIFEST_NAME, &sb, err);
	strbuf_release(&sb);
	if (rc == 0)
		ckpt_step("after manifest");
	return rc;
}

static void
get_blob(struct rec_cur *c, struct ckpt_blob *b)
{
	size_t n;
	const char *p = rec_get_blob(c, &n);

	b->data = xmalloc(n + 1);
	if (n > 0)
		memcpy(b->data, p, n);
	b->data[n] = '\0';
	b->len = n;
}

static int
decode_head(struct rec_cur *c, struct ckpt_manifest *m)
{
	m->version = rec_get_u64(c);
	m->fingerprint = rec_get_str(c);
	get_blob(c, &m->script);
	m->batch_ms = rec_get_u64(c);
	m->parts = rec_get_u64(c);
	m->last_seq = rec_get_u64(c);
	m->last_time_ms = (int64_t)rec_get_u64(c);
	m->written_ms = (int64_t)rec_get_u64(c);
	return rec_cur_done(c);
}

static int
decode_stage(struct rec_cur *c, struct ckpt_stage_rec *s)
{
	uint64_t n;

	s->id = rec_get_str(c);
	s->definition = rec_get_str(c);
	s->kind = rec_get_str(c);
	s->location = rec_get_str(c);
	s->keys = rec_get_u64(c);
	s->bytes = rec_get_u64(c);
	s->sample = rec_get_str(c);
	n = rec_get_u64(c);
	/* each name takes 8 bytes at least: a count past that is a lie */
	if (c->bad || n > (uint64_t)(c->end - c->p) / 8)
		return 0;
	s->files = xcalloc(n + 1, sizeof *s->files);
	for (uint64_t k = 0; k < n && !c->bad; k++) {
		s->files[k] = rec_get_str(c);
		s->nfiles++;
	}
	return rec_cur_done(c);
}

static int
decode_endpoint(struct rec_cur *c, char **id, char **kind, struct ckpt_blob *b)
{
	*id = rec_get_str(c);
	*kind = rec_get_str(c);
	get_blob(c, b);
	return rec_cur_done(c);
}

int
manifest_decode(const char *label, const char *data, size_t len, struct ckpt_manifest *m,
    char **err)
{
	struct rec_reader r;
	struct rec rec;
	struct rec_cur c;
	uint64_t nrec = 0;
	int st, ok = 1;

	memset(m, 0, sizeof *m);
	if (rec_reader_init(&r, label, data, len, REC_FILE_MANIFEST, 0, err) != REC_OK)
		return -1;
	while ((st = rec_next(&r, &rec, err)) == REC_OK) {
		rec_cur_init(&c, &rec);
		if ((rec.type == REC_HEAD) != (nrec == 0)) {
			*err = rec_damaged(label, rec.off, nrec == 0 ? "the first record is not HEAD" :
			    "a second HEAD record");
			goto fail;
		}
		switch (rec.type) {
		case REC_HEAD:
			ok = decode_head(&c, m);
			if (ok && m->version != MANIFEST_VERSION) {
				*err = xasprintf("%s: format version %llu is not supported (this "
				    "streamjob reads version %d)", label,
				    (unsigned long long)m->version, MANIFEST_VERSION);
				goto fail;
			}
			break;
		case REC_STAGE:
			m->stages = xreallocarray(m->stages, m->nstages + 1, sizeof *m->stages);
			memset(&m->stages[m->nstages], 0, sizeof *m->stages);
			ok = decode_stage(&c, &m->stages[m->nstages++]);
			break;
		case REC_SOURCE:
			m->sources = xreallocarray(m->sources, m->nsources + 1, sizeof *m->sources);
			memset(&m->sources[m->nsources], 0, sizeof *m->sources);
			ok = decode_endpoint(&c, &m->sources[m->nsources].id,
			    &m->sources[m->nsources].kind, &m->sources[m->nsources].position);
			m->nsources++;
			break;
		case REC_SINK:
			m->sinks = xreallocarray(m->sinks, m->nsinks + 1, sizeof *m->sinks);
			memset(&m->sinks[m->nsinks], 0, sizeof *m->sinks);
			ok = decode_endpoint(&c, &m->sinks[m->nsinks].id, &m->sinks[m->nsinks].kind,
			    &m->sinks[m->nsinks].progress);
			m->nsinks++;
			break;
		case REC_END: {
			uint64_t n = rec_get_u64(&c);
			if (!(ok = rec_cur_done(&c)))
				break;
			if (n != nrec) {
				*err = rec_damaged(label, rec.off, "END counts %llu records, not %llu",
				    (unsigned long long)n, (unsigned long long)nrec);
				goto fail;
			}
			if (r.off != r.len) {
				*err = rec_damaged(label, r.off, "data after the END record");
				goto fail;
			}
			return 0;
		}
		}
		if (!ok || c.bad) {
			*err = rec_damaged(label, rec.off, "a record's fields do not fit its length");
			goto fail;
		}
		nrec++;
	}
	if (st == REC_EOF)
		*err = rec_damaged(label, r.off, "the file ends before its END record");
fail:
	manifest_free(m);
	return -1;
}

int
manifest_read(struct ckpt_dir *d, struct ckpt_manifest *out, char **err)
{
	char *data, *label;
	size_t len;
	int rc;

	memset(out, 0, sizeof *out);
	rc = ckpt_dir_read(d, MANIFEST_NAME, &data, &len, err);
	if (rc != 0)
		return rc;
	label = ckpt_dir_label(d, MANIFEST_NAME);
	rc = manifest_decode(label, data, len, out, err);
	free(label);
	free(data);
	return rc;
}

void
manifest_free(struct ckpt_manifest *m)
{
	free(m->fingerprint);
	free(m->script.data);
	for (size_t i = 0; i < m->nstages; i++) {
		struct ckpt_stage_rec *s = &m->stages[i];
		free(s->id);
		free(s->definition);
		free(s->kind);
		free(s->location);
		free(s->sample);
		for (size_t k = 0; k < s->nfiles; k++)
			free(s->files[k]);
		free(s->files);
	}
	free(m->stages);
	for (size_t i = 0; i < m->nsources; i++) {
		free(m->sources[i].id);
		free(m->sources[i].kind);
		free(m->sources[i].position.data);
	}
	free(m->sources);
	for (size_t i = 0; i < m->nsinks; i++) {
		free(m->sinks[i].id);
		free(m->sinks[i].kind);
		free(m->sinks[i].progress.data);
	}
	free(m->sinks);
	memset(m, 0, sizeof *m);
}
