/*
 * checkpoint.c: a job's checkpoint, on the engine's side (see
 * checkpoint.h); the files themselves are runtime/ckpt/'s.
 *
 * The protocol, in the order a crash can interrupt it:
 *   1. each block is journaled in its batch's segment (wal-<seq>) before
 *      it is processed; the segment is made durable once per block
 *      interval;
 *   2. when a batch is cut, its CUT record (time, the sources' positions
 *      at its end) is appended and the segment made durable before the
 *      batch is queued: a batch runs only once it can be recomputed;
 *   3. after the driver finished the batch and the sinks stored it, each
 *      stateful stage's changes (or all of it) go into new files, then a
 *      new manifest names them, the positions at the cut and the sinks'
 *      progress; it is the commit point;
 *   4. then what no manifest names any more goes: old state files, the
 *      segments of checkpointed batches.
 * Recovery reads the manifest, restores what it names, and recomputes
 * the batches of the segments after it; a segment without a CUT (the
 * batch being filled at the crash) is closed with what of it reached the
 * disk, and recomputed too.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "checkpoint.h"
#include "clock.h"
#include "eval.h"
#include "exec.h"
#include "report.h"
#include "srcset.h"
#include "stateful.h"
#include "ckpt/crash.h"
#include "ckpt/dir.h"
#include "ckpt/manifest.h"
#include "ckpt/record.h"
#include "ckpt/statefile.h"
#include "ckpt/wal.h"
#include "io/sink.h"
#include "io/source.h"
#include "lang/diag.h"
#include "lang/plan.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

/* A stage's state is written whole again once the changes saved since
 * its last whole save are larger than the whole was, or its files (the
 * whole one and the changes) are this many: recovery reads a bounded
 * chain, and the manifest names a bounded list. */
#define CHAIN_MAX_FILES 256

struct blob {
	char *p;
	size_t n;
};

/* A cut batch waiting for its checkpoint: the positions at its end. */
struct cut {
	uint64_t seq;
	int64_t time;
	struct blob *pos;		/* [nsrc] */
	struct cut *next;
};

struct ckstage {
	struct stateful sf;
	char *id, *def, *where;
	char **files;			/* the whole save, then the changes */
	size_t nfiles;
	uint64_t full_bytes, chain_bytes;
};

struct sinkrec {
	struct sink *sink;
	char *id;
};

/* A batch to recompute. */
struct redo {
	struct wal_segment seg;
	int *map;			/* segment's source# -> the set's index */
};

struct checkpoint {
	struct checkpoint_config c;
	int running;			/* opened: failures fail the job */
	struct ckpt_dir *dir;
	char *fingerprint;

	struct ckstage *stages;
	size_t nstages;
	struct stateful *sfs;

	int nsrc;
	char **src_ids;
	struct blob *after;		/* loop: each source's last position */

	struct sinkrec *sinks;
	int nsinks;
	/* The parts of the exactly-once sinks that write per worker (sink.h):
	 * the parallelism when the checkpoint was created, then the
	 * manifest's, whatever -j a restart uses. */
	int parts;

	/* loop thread */
	struct wal *wal;

	/* recovery */
	struct redo *redo;
	size_t nredo, next_redo;
	struct blob *redo_at;		/* each source's position after the last redo */
	int64_t cut_seq, cut_time;	/* the last batch cut before this run */

	/* between the loop and the driver */
	pthread_mutex_t lock;
	struct cut *cuts, **cuts_tail;

	/* driver thread */
	int64_t last_seq, last_time;	/* the last checkpointed batch */
	int sweep;			/* files may lie unnamed: look after the manifest */
	int64_t last_written;		/* batch time of the last checkpoint written */
};

static void cut_free(struct checkpoint *, struct cut *);
static int write_manifest(struct checkpoint *, int64_t seq, int64_t time, const struct cut *);

static void
blob_set(struct blob *b, const char *p, size_t n)
{
	free(b->p);
	b->p = NULL;
	b->n = n;
	if (p != NULL) {
		b->p = xmalloc(n + 1);
		memcpy(b->p, p, n);
		b->p[n] = '\0';
	}
}

/* Something could not be read or written: before the job runs, reported
 * (the job does not start); while it runs, the job fails with it. */
static void
fail_report(struct checkpoint *ck, const char *what, char *err)
{
	char msg[4096];

	/* err names the file (and the offset of damage); what says what
	 * was being done when nothing more is known. */
	if (err != NULL)
		snprintf(msg, sizeof msg, "checkpoint %s", err);
	else
		snprintf(msg, sizeof msg, "checkpoint %s: %s", what, strerror(errno));
	free(err);
	if (ck->running && ck->c.fail != NULL)
		ck->c.fail(ck->c.arg, msg);
	else
		report_text(ck->c.reporter, REPORT_ERROR, "%s", msg);
}

/* ---- what the job holds: stages, sources, sinks ---- */

static void
collect(struct checkpoint *ck)
{
	struct exec *x = ck->c.exec;

	ck->nstages = exec_stateful(x, &ck->sfs);
	ck->stages = xcalloc(ck->nstages + 1, sizeof *ck->stages);
	for (size_t i = 0; i < ck->nstages; i++) {
		struct ckstage *st = &ck->stages[i];
		struct span sp = plan_stage_span(ck->sfs[i].node);
		char where[512];

		st->sf = ck->sfs[i];
		st->id = plan_stage_id(ck->c.plan, st->sf.node);
		st->def = plan_stage_def(ck->c.plan, st->sf.node);
		snprintf(where, sizeof where, "%s:%d:%d", ck->c.script_name, sp.first_line,
		    sp.first_column);
		st->where = xstrdup(where);
	}
	ck->nsrc = srcset_count(ck->c.sources);
	ck->src_ids = xcalloc((size_t)ck->nsrc + 1, sizeof *ck->src_ids);
	ck->after = xcalloc((size_t)ck->nsrc + 1, sizeof *ck->after);
	ck->redo_at = xcalloc((size_t)ck->nsrc + 1, sizeof *ck->redo_at);
	for (int i = 0; i < ck->nsrc; i++)
		ck->src_ids[i] = plan_source_id(srcset_source(ck->c.sources, i)->node);
	for (int i = 0; i < x->plan->nnodes; i++) {
		if (x->nodes[i].sink == NULL)
			continue;
		ck->sinks = xrealloc(ck->sinks, (size_t)(ck->nsinks + 1) * sizeof *ck->sinks);
		ck->sinks[ck->nsinks].sink = x->nodes[i].sink;
		ck->sinks[ck->nsinks].id = plan_sink_id(x->nodes[i].node);
		ck->nsinks++;
	}
}

static int
source_index(const struct checkpoint *ck, const char *id)
{
	for (int i = 0; i < ck->nsrc; i++)
		if (strcmp(ck->src_ids[i], id) == 0)
			return i;
	return -1;
}

/* ---- recovery ---- */

static int
restore_stage(struct checkpoint *ck, struct ckstage *st, const struct ckpt_stage_rec *ms)
{
	struct eval ev = { 0 };

	for (size_t k = 0; k < ms->nfiles; k++) {
		struct strbuf data = STRBUF_INIT;
		char *err = NULL;

		if (statefile_read(ck->dir, ms->files[k], &data, &err) != 0) {
			fail_report(ck, "cannot be read", err);
			strbuf_release(&data);
			return -1;
		}
		if (st->sf.ops->restore(st->sf.obj, &ev, data.data, data.len) != 0) {
			report_text(ck->c.reporter, REPORT_ERROR,
			    "checkpoint %s/%s: it does not hold the state of %s (at %s), %s %s",
			    ckpt_dir_path(ck->dir), ms->files[k], st->def, st->where,
			    strchr("aeiou", st->sf.ops->kind[0]) != NULL ? "an" : "a", st->sf.ops->kind);
			strbuf_release(&data);
			return -1;
		}
		/* Counted as save_stage counts them: the saved bytes. */
		if (k == 0)
			st->full_bytes = data.len;
		else
			st->chain_bytes += data.len;
		strbuf_release(&data);
		st->files = xrealloc(st->files, (st->nfiles + 1) * sizeof *st->files);
		st->files[st->nfiles++] = xstrdup(ms->files[k]);
	}
	return 0;
}

/* Match the script's stateful stages with the checkpoint's; restore the
 * matched ones.  -1 with *why when the start is refused or fails. */
static int
restore_stages(struct checkpoint *ck, const struct ckpt_manifest *m, enum checkpoint_fail *why)
{
	const char **ids = xcalloc(m->nstages + 1, sizeof *ids);
	const char **defs = xcalloc(m->nstages + 1, sizeof *defs);
	const struct node **nodes = xcalloc(ck->nstages + 1, sizeof *nodes);
	int *map = xcalloc(ck->nstages + 1, sizeof *map);
	struct diags *dg = diags_new(ck->c.script_name, ck->c.script, strlen(ck->c.script));
	int n, rc = 0;

	for (size_t i = 0; i < m->nstages; i++) {
		ids[i] = m->stages[i].id;
		defs[i] = m->stages[i].definition;
	}
	n = plan_stateful_nodes(ck->c.plan, nodes, (int)ck->nstages + 1);
	if (plan_match_stages(ck->c.plan, (const char *const *)ids, (const char *const *)defs,
	    (int)m->nstages, map, dg) != 0) {
		char *text = diags_format(dg);
		report(ck->c.reporter, &(struct report){ .kind = REPORT_DIAGNOSTIC, .text = text });
		free(text);
		*why = CHECKPOINT_REFUSED;
		rc = -1;
	}
	for (int i = 0; rc == 0 && i < n; i++) {
		if (map[i] < 0)
			continue;
		for (size_t k = 0; k < ck->nstages; k++) {
			if (ck->stages[k].sf.node != nodes[i])
				continue;
			if (restore_stage(ck, &ck->stages[k], &m->stages[map[i]]) != 0) {
				*why = CHECKPOINT_FAILED;
				rc = -1;
			}
			break;
		}
	}
	diags_free(dg);
	free(ids);
	free(defs);
	free(nodes);
	free(map);
	return rc;
}

static int
restore_sinks(struct checkpoint *ck, const struct ckpt_manifest *m)
{
	for (int i = 0; i < ck->nsinks; i++) {
		struct sink *s = ck->sinks[i].sink;
		for (size_t k = 0; k < m->nsinks; k++) {
			char *err = NULL;
			if (strcmp(m->sinks[k].id, ck->sinks[i].id) != 0)
				continue;
			if (s->desc->restore != NULL &&
			    s->desc->restore(s, m->sinks[k].progress.data, m->sinks[k].progress.len, &err) != 0) {
				report_text(ck->c.reporter, REPORT_ERROR, "%s: %s", s->label, err);
				free(err);
				return -1;
			}
			break;
		}
	}
	return 0;
}

/* A segment's sources, by its own numbers, as the job's (-1: gone). */
static void
map_sources(struct checkpoint *ck, struct redo *r)
{
	free(r->map);
	r->map = xcalloc(r->seg.nsources + 1, sizeof *r->map);
	for (size_t k = 0; k < r->seg.nsources; k++)
		r->map[k] = source_index(ck, r->seg.sources[k]);
}

/* The segments after the manifest's batch: recomputed in order.  A last
 * one without a CUT is closed now with what it holds. */
static int
read_journal(struct checkpoint *ck)
{
	uint64_t *seqs = NULL;
	size_t n = 0;
	char *err = NULL;

	if (wal_list(ck->dir, &seqs, &n, &err) != 0) {
		fail_report(ck, "journal", err);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct redo *r;

		if ((int64_t)seqs[i] <= ck->last_seq)
			continue;
		ck->redo = xrealloc(ck->redo, (ck->nredo + 1) * sizeof *ck->redo);
		r = &ck->redo[ck->nredo];
		memset(r, 0, sizeof *r);
		if (wal_read(ck->dir, seqs[i], &r->seg, &err) != 0) {
			fail_report(ck, "journal", err);
			free(seqs);
			return -1;
		}
		ck->nredo++;
		if (!r->seg.has_cut && i + 1 < n) {
			report_text(ck->c.reporter, REPORT_ERROR,
			    "checkpoint %s/wal-%020llu: damaged: a batch's journal without its end is followed by another",
			    ckpt_dir_path(ck->dir), (unsigned long long)seqs[i]);
			free(seqs);
			return -1;
		}
		map_sources(ck, r);
	}
	free(seqs);
	return 0;
}

/* The positions after the last batch cut: the manifest's, then each
 * segment's (a CUT's, or the last REF of a segment without one). */
static void
recover_positions(struct checkpoint *ck, const struct ckpt_manifest *m)
{
	if (m != NULL)
		for (size_t k = 0; k < m->nsources; k++) {
			int i = source_index(ck, m->sources[k].id);
			if (i >= 0) {
				blob_set(&ck->after[i], m->sources[k].position.data, m->sources[k].position.len);
				blob_set(&ck->redo_at[i], m->sources[k].position.data,
				    m->sources[k].position.len);
			}
		}
	for (size_t r = 0; r < ck->nredo; r++) {
		struct wal_segment *seg = &ck->redo[r].seg;
		for (size_t k = 0; k < seg->nrecords; k++) {
			const struct wal_record *rec = &seg->records[k];
			int i = rec->src < seg->nsources ? ck->redo[r].map[rec->src] : -1;
			if (i >= 0 && rec->type == REC_REF)
				blob_set(&ck->after[i], rec->to, rec->tolen);
		}
		for (size_t k = 0; seg->has_cut && k < seg->cut.npos; k++) {
			uint32_t s = seg->cut.pos[k].src;
			int i = s < seg->nsources ? ck->redo[r].map[s] : -1;
			if (i >= 0)
				blob_set(&ck->after[i], seg->cut.pos[k].data, seg->cut.pos[k].len);
		}
	}
}

/* The job's source i by segment r's own number, or -1 if it names none. */
static int
segment_number(const struct redo *r, int i)
{
	for (size_t k = 0; k < r->seg.nsources; k++)
		if (r->map[k] == i)
			return (int)k;
	return -1;
}

/* A segment without a CUT is the batch being filled at the crash: close
 * it now, durably, with the positions its records reached.  One cut short
 * before its SOURCES (a crash right after it was created) has no records
 * and names no source: it is written again naming the job's. */
static int
close_torn_segment(struct checkpoint *ck)
{
	struct redo *r;
	struct wal_pos *pos;
	struct wal *w;
	uint64_t seq;
	int64_t time;
	char *err = NULL;
	int npos = 0, own;
	const char *const *ids;
	int nids;

	if (ck->nredo == 0 || ck->redo[ck->nredo - 1].seg.has_cut)
		return 0;
	r = &ck->redo[ck->nredo - 1];
	seq = r->seg.seq;
	/* It opened one interval after the batch before it. */
	if (ck->nredo > 1)
		time = ck->redo[ck->nredo - 2].seg.cut.time_ms + ck->c.interval;
	else if (ck->last_seq >= 0)
		time = ck->last_time + ck->c.interval;
	else
		time = (clock_wall_ms() / ck->c.interval + 1) * ck->c.interval;
	own = r->seg.nsources == 0 && r->seg.nrecords == 0;
	ids = own ? (const char *const *)ck->src_ids : (const char *const *)r->seg.sources;
	nids = own ? ck->nsrc : (int)r->seg.nsources;
	pos = xcalloc((size_t)ck->nsrc + 1, sizeof *pos);
	for (int i = 0; i < ck->nsrc; i++) {
		/* The segment names sources by its own numbers. */
		int k = own ? i : segment_number(r, i);
		if (ck->after[i].p == NULL || k < 0)
			continue;
		pos[npos].src = (uint32_t)k;
		pos[npos].data = ck->after[i].p;
		pos[npos].len = ck->after[i].n;
		npos++;
	}
	w = wal_rewrite(ck->dir, r->seg.seq, ids, nids, r->seg.records, r->seg.nrecords, &err);
	if (w == NULL) {
		free(pos);
		fail_report(ck, "journal", err);
		return -1;
	}
	if (wal_cut(w, r->seg.seq, time, 0, pos, (size_t)npos) != 0) {
		err = xstrdup(wal_error(w));
		wal_free(w);
		free(pos);
		fail_report(ck, "journal", err);
		return -1;
	}
	free(pos);
	if (wal_close(w, &err) != 0) {
		fail_report(ck, "journal", err);
		return -1;
	}
	/* The segment now ends as a cut batch's does. */
	wal_segment_free(&r->seg);
	memset(&r->seg, 0, sizeof r->seg);
	if (wal_read(ck->dir, seq, &r->seg, &err) != 0 || !r->seg.has_cut) {
		fail_report(ck, "journal", err);
		return -1;
	}
	map_sources(ck, r);
	return 0;
}

struct checkpoint *
checkpoint_open(const struct checkpoint_config *c, enum checkpoint_fail *why)
{
	struct checkpoint *ck = xcalloc(1, sizeof *ck);
	struct ckpt_manifest m;
	char *err = NULL;
	int have;

	ck->c = *c;
	ck->last_seq = ck->cut_seq = -1;
	ck->sweep = 1;
	pthread_mutex_init(&ck->lock, NULL);
	ck->cuts_tail = &ck->cuts;
	*why = CHECKPOINT_FAILED;
	collect(ck);
	ck->fingerprint = plan_fingerprint(c->plan);
	ck->dir = ckpt_dir_open(c->dir, c->fresh, &err);
	if (ck->dir == NULL) {
		report_text(c->reporter, REPORT_ERROR, "%s", err);
		free(err);
		goto fail;
	}
	memset(&m, 0, sizeof m);
	have = manifest_read(ck->dir, &m, &err);
	if (have < 0) {
		fail_report(ck, "manifest", err);
		goto fail;
	}
	ck->parts = have == 0 ? (int)m.parts : c->exec->nworkers;
	if (ck->parts < 1 || ck->parts > 4096)
		ck->parts = 1;
	for (int i = 0; i < ck->nsinks; i++) {
		struct sink *s = ck->sinks[i].sink;
		if ((s->desc->flags & (SINK_EXACTLY_ONCE | SINK_PER_WORKER)) ==
		    (SINK_EXACTLY_ONCE | SINK_PER_WORKER))
			s->parts = ck->parts;
	}
	if (have == 0) {
		ck->last_seq = ck->cut_seq =
		    m.last_seq == MANIFEST_NO_BATCH ? -1 : (int64_t)m.last_seq;
		ck->last_time = ck->cut_time = m.last_time_ms;
		ck->last_written = m.last_time_ms;
		if (restore_stages(ck, &m, why) != 0 || restore_sinks(ck, &m) != 0) {
			manifest_free(&m);
			goto fail;
		}
	}
	if (read_journal(ck) != 0) {
		if (have == 0)
			manifest_free(&m);
		goto fail;
	}
	recover_positions(ck, have == 0 ? &m : NULL);
	if (have == 0)
		manifest_free(&m);
	if (close_torn_segment(ck) != 0)
		goto fail;
	if (ck->nredo > 0) {
		ck->cut_seq = (int64_t)ck->redo[ck->nredo - 1].seg.seq;
		ck->cut_time = ck->redo[ck->nredo - 1].seg.cut.time_ms;
	}
	/* A new checkpoint says at once where the exactly-once sinks start:
	 * a crash before the first batch's checkpoint cuts them back there. */
	if (have == 1 && write_manifest(ck, -1, 0, NULL) != 0)
		goto fail;
	srcset_keep_positions(c->sources, 1);
	for (int i = 0; i < ck->nsrc; i++) {
		if (ck->after[i].p == NULL)
			continue;
		if (srcset_restore(c->sources, i, ck->after[i].p, ck->after[i].n, &err) != 0) {
			report_text(c->reporter, REPORT_ERROR, "checkpoint: %s", err);
			free(err);
			goto fail;
		}
	}
	/* Exactly-once sinks that keep their progress in the store skip a
	 * recomputed batch it holds. */
	for (int i = 0; i < ck->nsinks; i++)
		ck->sinks[i].sink->recovering = ck->last_seq >= 0;
	ck->running = 1;
	return ck;
fail:
	checkpoint_free(ck);
	return NULL;
}

void
checkpoint_free(struct checkpoint *ck)
{
	if (ck == NULL)
		return;
	if (ck->wal != NULL) {
		char *err = NULL;
		wal_close(ck->wal, &err);
		free(err);
	}
	for (size_t i = 0; i < ck->nstages; i++) {
		struct ckstage *st = &ck->stages[i];
		free(st->id);
		free(st->def);
		free(st->where);
		for (size_t k = 0; k < st->nfiles; k++)
			free(st->files[k]);
		free(st->files);
	}
	free(ck->stages);
	free(ck->sfs);
	for (int i = 0; i < ck->nsrc; i++) {
		free(ck->src_ids[i]);
		free(ck->after[i].p);
		free(ck->redo_at[i].p);
	}
	free(ck->src_ids);
	free(ck->after);
	free(ck->redo_at);
	for (int i = 0; i < ck->nsinks; i++)
		free(ck->sinks[i].id);
	free(ck->sinks);
	for (size_t i = 0; i < ck->nredo; i++) {
		wal_segment_free(&ck->redo[i].seg);
		free(ck->redo[i].map);
	}
	free(ck->redo);
	while (ck->cuts != NULL) {
		struct cut *ct = ck->cuts;
		ck->cuts = ct->next;
		cut_free(ck, ct);
	}
	pthread_mutex_destroy(&ck->lock);
	if (ck->dir != NULL)
		ckpt_dir_close(ck->dir);
	free(ck->fingerprint);
	free(ck);
}

int64_t
checkpoint_last_seq(const struct checkpoint *ck)
{
	return ck->last_seq;
}

int64_t
checkpoint_cut_seq(const struct checkpoint *ck)
{
	return ck->cut_seq;
}

int64_t
checkpoint_cut_time(const struct checkpoint *ck)
{
	return ck->cut_time;
}

/* Queue the positions at the end of batch seq (pos: one per source, as
 * ck->after) for its checkpoint. */
static void
queue_cut(struct checkpoint *ck, uint64_t seq, int64_t time, const struct blob *pos)
{
	struct cut *ct = xcalloc(1, sizeof *ct);

	ct->seq = seq;
	ct->time = time;
	ct->pos = xcalloc((size_t)ck->nsrc + 1, sizeof *ct->pos);
	for (int i = 0; i < ck->nsrc; i++)
		blob_set(&ct->pos[i], pos[i].p, pos[i].n);
	pthread_mutex_lock(&ck->lock);
	*ck->cuts_tail = ct;
	ck->cuts_tail = &ct->next;
	pthread_mutex_unlock(&ck->lock);
}

int
checkpoint_next_redo(struct checkpoint *ck, uint64_t *seq, int64_t *time,
    struct checkpoint_block **blocks, size_t *nblocks)
{
	struct redo *r;
	struct checkpoint_block *bl = NULL;
	struct blob *at;
	size_t n = 0;

	if (ck->next_redo >= ck->nredo)
		return 0;
	r = &ck->redo[ck->next_redo++];
	for (size_t k = 0; k < r->seg.nrecords; k++) {
		const struct wal_record *rec = &r->seg.records[k];
		int i = rec->src < r->seg.nsources ? r->map[rec->src] : -1;
		struct checkpoint_block *b;

		if (i < 0)
			continue;	/* a source the script no longer has */
		bl = xrealloc(bl, (n + 1) * sizeof *bl);
		b = &bl[n];
		b->source = i;
		b->framed = rec->framed;
		if (rec->type == REC_BLOCK) {
			b->data = xmalloc(rec->len + 1);
			memcpy(b->data, rec->data, rec->len);
			b->len = rec->len;
		} else {
			struct strbuf out = STRBUF_INIT;
			char *err = NULL;
			if (source_replay(srcset_source(ck->c.sources, i), rec->from, rec->fromlen,
			    rec->to, rec->tolen, &out, &err) != 0) {
				report_text(ck->c.reporter, REPORT_ERROR,
				    "checkpoint: batch %llu cannot be recomputed: %s",
				    (unsigned long long)r->seg.seq, err);
				free(err);
				strbuf_release(&out);
				for (size_t q = 0; q < n; q++)
					free(bl[q].data);
				free(bl);
				return -1;
			}
			b->len = out.len;
			b->data = strbuf_detach(&out);
		}
		n++;
	}
	*seq = r->seg.seq;
	*time = r->seg.cut.time_ms;
	*blocks = bl;
	*nblocks = n;
	/* Its checkpoint will name the positions at its end: its CUT's, and
	 * for a source its CUT does not name, where the batch before it
	 * ended -- a checkpoint without a source's position would have the
	 * source start over. */
	at = ck->redo_at;
	for (size_t k = 0; k < r->seg.cut.npos; k++) {
		uint32_t s = r->seg.cut.pos[k].src;
		int i = s < r->seg.nsources ? r->map[s] : -1;
		if (i >= 0)
			blob_set(&at[i], r->seg.cut.pos[k].data, r->seg.cut.pos[k].len);
	}
	queue_cut(ck, r->seg.seq, r->seg.cut.time_ms, at);
	return 1;
}

/* ---- the loop thread ---- */

int
checkpoint_begin(struct checkpoint *ck, uint64_t seq)
{
	char *err = NULL;

	ck->wal = wal_create(ck->dir, seq, (const char *const *)ck->src_ids, ck->nsrc, &err);
	if (ck->wal == NULL) {
		fail_report(ck, "journal", err);
		return -1;
	}
	return 0;
}

int
checkpoint_block(struct checkpoint *ck, struct source *s, int framed, const char *data,
    size_t len)
{
	int i = srcset_index(ck->c.sources, s);
	int rc;

	if (ck->wal == NULL || i < 0)
		return 0;
	if (source_replayable(s)) {
		size_t blen, alen;
		const char *before = srcset_position_before(ck->c.sources, s, &blen);
		const char *after = srcset_position(ck->c.sources, s, &alen);
		rc = wal_ref(ck->wal, (uint32_t)i, framed, before, blen, after, alen);
		blob_set(&ck->after[i], after, alen);
	} else {
		size_t alen = 0;
		const char *after = srcset_position(ck->c.sources, s, &alen);
		rc = wal_block(ck->wal, (uint32_t)i, framed, data, len);
		if (after != NULL)
			blob_set(&ck->after[i], after, alen);
	}
	if (rc != 0) {
		fail_report(ck, "journal", xstrdup(wal_error(ck->wal)));
		return -1;
	}
	return 0;
}

int
checkpoint_cut(struct checkpoint *ck, uint64_t seq, int64_t time, int last)
{
	struct wal_pos *pos = xcalloc((size_t)ck->nsrc + 1, sizeof *pos);
	size_t npos = 0;
	char *err = NULL;
	int rc;

	if (ck->wal == NULL) {
		free(pos);
		queue_cut(ck, seq, time, ck->after);
		return 0;
	}
	for (int i = 0; i < ck->nsrc; i++) {
		if (ck->after[i].p == NULL) {
			/* Nothing handed over yet: where it started. */
			size_t n;
			const char *p = srcset_position_before(ck->c.sources,
			    srcset_source(ck->c.sources, i), &n);
			if (p == NULL)
				continue;
			blob_set(&ck->after[i], p, n);
		}
		pos[npos].src = (uint32_t)i;
		pos[npos].data = ck->after[i].p;
		pos[npos].len = ck->after[i].n;
		npos++;
	}
	rc = wal_cut(ck->wal, seq, time, last, pos, npos);
	free(pos);
	if (rc != 0)
		err = xstrdup(wal_error(ck->wal));
	if (rc != 0)
		wal_free(ck->wal);
	else
		rc = wal_close(ck->wal, &err);
	ck->wal = NULL;
	if (rc != 0) {
		fail_report(ck, "journal", err);
		return -1;
	}
	queue_cut(ck, seq, time, ck->after);
	return 0;
}

int
checkpoint_sync(struct checkpoint *ck)
{
	char *err = NULL;

	if (ck->wal == NULL)
		return 0;
	if (wal_sync(ck->wal, &err) != 0) {
		fail_report(ck, "journal", err);
		return -1;
	}
	return 0;
}

/* ---- the driver thread ---- */

static void
cut_free(struct checkpoint *ck, struct cut *ct)
{
	for (int i = 0; i < ck->nsrc; i++)
		free(ct->pos[i].p);
	free(ct->pos);
	free(ct);
}

/* The positions at the end of batch seq; those of batches before it,
 * which were never checkpointed (every DUR), go. */
static struct cut *
take_cut(struct checkpoint *ck, uint64_t seq)
{
	struct cut *ct = NULL;

	pthread_mutex_lock(&ck->lock);
	while (ck->cuts != NULL && ck->cuts->seq <= seq) {
		struct cut *q = ck->cuts;
		ck->cuts = q->next;
		if (q->seq == seq) {
			ct = q;
			break;
		}
		cut_free(ck, q);
	}
	if (ck->cuts == NULL)
		ck->cuts_tail = &ck->cuts;
	pthread_mutex_unlock(&ck->lock);
	return ct;
}

/* Save stage st into a new file for batch seq: its changes, or all of it
 * when the changes have outgrown it. */
static int
save_stage(struct checkpoint *ck, size_t index, struct ckstage *st, uint64_t seq)
{
	struct strbuf sb = STRBUF_INIT;
	int whole = st->nfiles == 0 || st->chain_bytes > st->full_bytes ||
	    st->nfiles >= CHAIN_MAX_FILES;
	char name[STATEFILE_NAME_MAX];
	char *err = NULL;
	int rc;

	/* Nothing changed: the files it has say it all (an idle job writes
	 * no state file a batch). */
	if (!whole && st->sf.ops->unchanged != NULL && st->sf.ops->unchanged(st->sf.obj))
		return 0;
	rc = whole ? st->sf.ops->save_full(st->sf.obj, &sb) : st->sf.ops->save_changes(st->sf.obj, &sb);
	if (rc != 0) {
		strbuf_release(&sb);
		return 1;	/* cannot be saved now: no checkpoint this batch */
	}
	/* Named by the batch whose checkpoint writes it: never a name the
	 * manifest on disk uses, which a crash before the new one would
	 * leave it relying on. */
	statefile_name(name, index, seq, whole ? 0 : st->nfiles);
	if (statefile_write(ck->dir, name, sb.data, sb.len, &err) != 0) {
		strbuf_release(&sb);
		fail_report(ck, "cannot be written", err);
		return -1;
	}
	if (whole) {
		for (size_t k = 0; k < st->nfiles; k++)
			free(st->files[k]);
		if (st->nfiles > 0)
			ck->sweep = 1;	/* they go once the manifest no longer names them */
		st->nfiles = 0;
		st->full_bytes = sb.len;
		st->chain_bytes = 0;
	} else {
		st->chain_bytes += sb.len;
	}
	st->files = xrealloc(st->files, (st->nfiles + 1) * sizeof *st->files);
	st->files[st->nfiles++] = xstrdup(name);
	strbuf_release(&sb);
	return 0;
}

static void
sample_keys(const struct ckstage *st, struct strbuf *sb)
{
	if (st->sf.ops->sample != NULL)
		st->sf.ops->sample(st->sf.obj, 5, sb);
}

/* The commit point: a manifest naming the state files, the positions at
 * the end of batch seq (ct; NULL: none yet) and the sinks' progress. */
static int
write_manifest(struct checkpoint *ck, int64_t seq, int64_t time, const struct cut *ct)
{
	struct ckpt_manifest m;
	struct strbuf *samples, *progress;
	char *err = NULL;
	int rc;

	memset(&m, 0, sizeof m);
	m.fingerprint = ck->fingerprint;
	m.version = 1;
	m.script.data = (char *)ck->c.script;
	m.script.len = strlen(ck->c.script);
	m.batch_ms = ck->c.interval;
	m.parts = (uint64_t)ck->parts;
	m.last_seq = seq < 0 ? MANIFEST_NO_BATCH : (uint64_t)seq;
	m.last_time_ms = time;
	m.written_ms = clock_wall_ms();
	m.nstages = ck->nstages;
	m.stages = xcalloc(ck->nstages + 1, sizeof *m.stages);
	samples = xcalloc(ck->nstages + 1, sizeof *samples);
	for (size_t i = 0; i < ck->nstages; i++) {
		struct ckstage *st = &ck->stages[i];
		samples[i] = (struct strbuf)STRBUF_INIT;
		sample_keys(st, &samples[i]);
		m.stages[i].id = st->id;
		m.stages[i].definition = st->def;
		m.stages[i].kind = (char *)st->sf.ops->kind;
		m.stages[i].location = st->where;
		m.stages[i].keys = st->sf.ops->keys(st->sf.obj);
		m.stages[i].bytes = st->sf.ops->bytes(st->sf.obj);
		m.stages[i].sample = samples[i].len > 0 ? samples[i].data : (char *)"";
		m.stages[i].files = st->files;
		m.stages[i].nfiles = st->nfiles;
	}
	m.sources = xcalloc((size_t)ck->nsrc + 1, sizeof *m.sources);
	for (int i = 0; i < ck->nsrc; i++) {
		if (ct == NULL || ct->pos[i].p == NULL)
			continue;
		m.sources[m.nsources].id = ck->src_ids[i];
		m.sources[m.nsources].kind = (char *)srcset_source(ck->c.sources, i)->desc->name;
		m.sources[m.nsources].position.data = ct->pos[i].p;
		m.sources[m.nsources].position.len = ct->pos[i].n;
		m.nsources++;
	}
	m.sinks = xcalloc((size_t)ck->nsinks + 1, sizeof *m.sinks);
	progress = xcalloc((size_t)ck->nsinks + 1, sizeof *progress);
	for (int i = 0; i < ck->nsinks; i++) {
		struct sink *s = ck->sinks[i].sink;
		progress[i] = (struct strbuf)STRBUF_INIT;
		if (s->desc->save != NULL)
			s->desc->save(s, &progress[i]);
		m.sinks[i].id = ck->sinks[i].id;
		m.sinks[i].kind = (char *)s->desc->name;
		m.sinks[i].progress.data = progress[i].data;
		m.sinks[i].progress.len = progress[i].len;
	}
	m.nsinks = (size_t)ck->nsinks;
	rc = manifest_write(ck->dir, &m, &err);
	if (rc != 0)
		fail_report(ck, "cannot be written", err);
	for (size_t i = 0; i < ck->nstages; i++)
		strbuf_release(&samples[i]);
	for (int i = 0; i < ck->nsinks; i++)
		strbuf_release(&progress[i]);
	free(samples);
	free(progress);
	free(m.stages);
	free(m.sources);
	free(m.sinks);
	return rc;
}

/* The state files no stage names, and leftovers of unfinished writes.
 * Needed only when a whole save replaced some, and at a run's first
 * checkpoint (what an earlier run left). */
static int
remove_unnamed(struct checkpoint *ck, char **err)
{
	const char **names;
	size_t nnames = 0;
	int rc;

	for (size_t i = 0; i < ck->nstages; i++)
		nnames += ck->stages[i].nfiles;
	names = xcalloc(nnames + 1, sizeof *names);
	nnames = 0;
	for (size_t i = 0; i < ck->nstages; i++)
		for (size_t k = 0; k < ck->stages[i].nfiles; k++)
			names[nnames++] = ck->stages[i].files[k];
	rc = ckpt_dir_remove_unnamed(ck->dir, names, nnames, err);
	if (rc == 0)
		ck->sweep = 0;
	free(names);
	return rc;
}

int
checkpoint_done(struct checkpoint *ck, uint64_t seq, int64_t time, int last)
{
	struct cut *ct = take_cut(ck, seq);
	char *err = NULL;
	int rc = 0;

	if (!last && ck->c.every_ms > 0 && ck->last_written > 0 &&
	    time - ck->last_written < ck->c.every_ms)
		goto out;
	for (size_t i = 0; i < ck->nstages; i++) {
		int r = save_stage(ck, i, &ck->stages[i], seq);
		if (r < 0) {
			rc = -1;
			goto out;
		}
		/* A stage that cannot be saved now: no manifest this batch.
		 * The files the stages before it wrote are named by the next
		 * one, with what they save then. */
		if (r > 0)
			goto out;
	}
	rc = write_manifest(ck, (int64_t)seq, time, ct);
	if (rc != 0)
		goto out;
	ck->last_seq = (int64_t)seq;
	ck->last_time = time;
	ck->last_written = time;
	/* The manifest is durable: what it no longer names goes. */
	if ((ck->sweep && remove_unnamed(ck, &err) != 0) ||
	    wal_remove_upto(ck->dir, seq, &err) != 0) {
		fail_report(ck, "cannot be cleaned up", err);
		rc = -1;
	}
	ckpt_step("old files removed");
out:
	if (ct != NULL)
		cut_free(ck, ct);
	return rc;
}
