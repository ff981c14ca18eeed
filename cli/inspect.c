/*
 * inspect.c: --inspect DIR [SCRIPT] [--json] -- what a checkpoint holds,
 * read without locking it (a running job may hold it) or changing it: the
 * script it was written for, the last batch it completed, each stateful
 * stage's keys, bytes and a few of its keys, each source's position and
 * each exactly-once sink's progress.  With SCRIPT, also which of the
 * script's stateful stages match the checkpoint's, as a start with it
 * would find them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exitcode.h"
#include "inspect.h"
#include "lang/diag.h"
#include "lang/plan.h"
#include "runtime/ckpt/dir.h"
#include "runtime/ckpt/manifest.h"
#include "runtime/io/source.h"
#include "stdlib/strbuf.h"
#include "stdlib/value.h"
#include "stdlib/xmalloc.h"

/* What SCRIPT makes of the checkpoint's stages. */
struct match {
	int nnew;
	char **defs;		/* the script's stateful stages, as text */
	int *new_to_old;
	int *old_used;
	char *errors;		/* the refusal, as a start would print it */
};

static void
format_time(char *buf, size_t size, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d.%03d UTC", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static void
format_bytes(char *buf, size_t size, uint64_t n)
{
	if (n < 1024)
		snprintf(buf, size, "%llu bytes", (unsigned long long)n);
	else if (n < 1024 * 1024)
		snprintf(buf, size, "%.1f KiB", (double)n / 1024);
	else if (n < 1024ULL * 1024 * 1024)
		snprintf(buf, size, "%.1f MiB", (double)n / (1024 * 1024));
	else
		snprintf(buf, size, "%.1f GiB", (double)n / (1024.0 * 1024 * 1024));
}

static void
json_str(struct strbuf *sb, const char *s, size_t n)
{
	value_format_json(sb, value_str(s, n));
}

static void
json_cstr(struct strbuf *sb, const char *s)
{
	json_str(sb, s, strlen(s));
}

/* The start of item i of a list of {"id": ..., "kind": ...} objects. */
static void
json_entry(struct strbuf *sb, size_t i, const char *id, const char *kind)
{
	strbuf_adds(sb, i > 0 ? ", {\"id\": " : "{\"id\": ");
	json_cstr(sb, id);
	strbuf_adds(sb, ", \"kind\": ");
	json_cstr(sb, kind);
}

static void
json_key(struct strbuf *sb, const char *key, int *first)
{
	if (!*first)
		strbuf_adds(sb, ", ");
	*first = 0;
	json_cstr(sb, key);
	strbuf_adds(sb, ": ");
}

/* The script's stages against the manifest's (plan_match_stages). */
static int
match_script(const struct ckpt_manifest *m, const char *name, const char *text, size_t len,
    const struct job_options *jo, struct match *mt, struct strbuf *errs)
{
	struct diags *d = diags_new(name, text, len);
	struct plan *plan = plan_compile(text, len, jo, d);
	const char **ids, **defs;
	const struct node **nodes;
	int rc;

	if (plan == NULL) {
		char *msg = diags_format(d);
		strbuf_adds(errs, msg);
		free(msg);
		diags_free(d);
		return -1;
	}
	ids = xcalloc(m->nstages + 1, sizeof *ids);
	defs = xcalloc(m->nstages + 1, sizeof *defs);
	for (size_t i = 0; i < m->nstages; i++) {
		ids[i] = m->stages[i].id;
		defs[i] = m->stages[i].definition;
	}
	mt->nnew = plan_stateful_nodes(plan, NULL, 0);
	nodes = xcalloc((size_t)mt->nnew + 1, sizeof *nodes);
	plan_stateful_nodes(plan, nodes, mt->nnew);
	mt->new_to_old = xcalloc((size_t)mt->nnew + 1, sizeof *mt->new_to_old);
	mt->old_used = xcalloc(m->nstages + 1, sizeof *mt->old_used);
	rc = plan_match_stages(plan, ids, defs, (int)m->nstages, mt->new_to_old, d);
	if (rc != 0)
		mt->errors = diags_format(d);
	for (int i = 0; i < mt->nnew; i++)
		if (mt->new_to_old[i] >= 0)
			mt->old_used[mt->new_to_old[i]] = 1;
	/* The stages' texts, for the listing, before the plan goes. */
	mt->defs = xcalloc((size_t)mt->nnew + 1, sizeof *mt->defs);
	for (int i = 0; i < mt->nnew; i++)
		mt->defs[i] = plan_stage_def(plan, nodes[i]);
	free(nodes);
	free(ids);
	free(defs);
	plan_free(plan);
	diags_free(d);
	return rc == 0 ? 0 : 1;
}

static void
print_text(const char *dir, const struct ckpt_manifest *m, const struct match *mt, int matched,
    struct strbuf *sb)
{
	char t[64], b[32];
	const char *p, *e;

	format_time(t, sizeof t, m->written_ms);
	strbuf_addf(sb, "checkpoint %s (format %llu), written %s\n", dir,
	    (unsigned long long)m->version, t);
	if (m->last_seq == MANIFEST_NO_BATCH) {
		strbuf_adds(sb, "last batch: none completed yet\n");
	} else {
		format_time(t, sizeof t, m->last_time_ms);
		strbuf_addf(sb, "last batch: #%llu, batch time %s (%lld)\n",
		    (unsigned long long)m->last_seq, t, (long long)m->last_time_ms);
	}
	strbuf_addf(sb, "batch interval: %llu ms\n", (unsigned long long)m->batch_ms);
	strbuf_addf(sb, "script (fingerprint %.16s):\n", m->fingerprint);
	for (p = m->script.data; p != NULL && p < m->script.data + m->script.len; p = e + 1) {
		e = memchr(p, '\n', (size_t)(m->script.data + m->script.len - p));
		if (e == NULL)
			e = m->script.data + m->script.len;
		strbuf_addf(sb, "    %.*s\n", (int)(e - p), p);
	}
	strbuf_addf(sb, "stateful stages: %zu\n", m->nstages);
	for (size_t i = 0; i < m->nstages; i++) {
		const struct ckpt_stage_rec *st = &m->stages[i];
		format_bytes(b, sizeof b, st->bytes);
		strbuf_addf(sb, "  %s (%s, at %s)\n", st->definition, st->kind, st->location);
		strbuf_addf(sb, "    id: %s\n", st->id);
		strbuf_addf(sb, "    %llu key%s, %s in memory", (unsigned long long)st->keys,
		    st->keys == 1 ? "" : "s", b);
		if (st->sample != NULL && st->sample[0] != '\0')
			strbuf_addf(sb, "; keys: %s%s", st->sample, st->keys > 5 ? ", ..." : "");
		strbuf_adds(sb, "\n");
		if (st->nfiles > 0)
			strbuf_addf(sb, "    saved in %s%s\n", st->files[0],
			    st->nfiles > 1 ? " and the changes after it" : "");
		if (mt != NULL && !mt->old_used[i])
			strbuf_adds(sb, "    not in the script: its state would be dropped\n");
	}
	strbuf_addf(sb, "sources: %zu\n", m->nsources);
	for (size_t i = 0; i < m->nsources; i++) {
		struct strbuf w = STRBUF_INIT;
		const struct ckpt_source_rec *sr = &m->sources[i];
		if (source_describe(sr->kind, sr->position.data, sr->position.len, &w) == 0)
			strbuf_addf(sb, "  %s: %s\n", sr->id, w.data);
		else
			strbuf_addf(sb, "  %s: a position of %zu bytes\n", sr->id, sr->position.len);
		strbuf_release(&w);
	}
	strbuf_addf(sb, "sinks: %zu\n", m->nsinks);
	for (size_t i = 0; i < m->nsinks; i++) {
		if (m->sinks[i].progress.len == 0)
			strbuf_addf(sb, "  %s: nothing kept\n", m->sinks[i].id);
		else
			strbuf_addf(sb, "  %s: progress of %zu bytes\n", m->sinks[i].id,
			    m->sinks[i].progress.len);
	}
	if (mt == NULL)
		return;
	strbuf_addf(sb, "the script's stateful stages: %d\n", mt->nnew);
	for (int i = 0; i < mt->nnew; i++) {
		int o = mt->new_to_old[i];
		strbuf_addf(sb, "  %s: %s\n", mt->defs[i],
		    o >= 0 ? "matches the checkpoint's, keeps its state" :
		    "new, starts empty");
	}
	strbuf_adds(sb, matched ? "the script can resume from this checkpoint\n" :
	    "the script cannot resume from this checkpoint:\n");
	if (!matched && mt->errors != NULL)
		strbuf_adds(sb, mt->errors);
}

static void
print_json(const char *dir, const struct ckpt_manifest *m, const struct match *mt, int matched,
    struct strbuf *sb)
{
	int first = 1;

	strbuf_adds(sb, "{");
	json_key(sb, "directory", &first);
	json_cstr(sb, dir);
	json_key(sb, "format", &first);
	strbuf_addf(sb, "%llu", (unsigned long long)m->version);
	json_key(sb, "written_ms", &first);
	strbuf_addf(sb, "%lld", (long long)m->written_ms);
	json_key(sb, "fingerprint", &first);
	json_cstr(sb, m->fingerprint);
	json_key(sb, "script", &first);
	json_str(sb, m->script.data != NULL ? m->script.data : "", m->script.len);
	json_key(sb, "batch_ms", &first);
	strbuf_addf(sb, "%llu", (unsigned long long)m->batch_ms);
	json_key(sb, "last_batch", &first);
	if (m->last_seq == MANIFEST_NO_BATCH)
		strbuf_adds(sb, "null");
	else
		strbuf_addf(sb, "{\"seq\": %llu, \"time_ms\": %lld}", (unsigned long long)m->last_seq,
		    (long long)m->last_time_ms);
	json_key(sb, "stages", &first);
	strbuf_adds(sb, "[");
	for (size_t i = 0; i < m->nstages; i++) {
		const struct ckpt_stage_rec *st = &m->stages[i];
		int f = 1;
		strbuf_adds(sb, i > 0 ? ", {" : "{");
		json_key(sb, "id", &f);
		json_cstr(sb, st->id);
		json_key(sb, "definition", &f);
		json_cstr(sb, st->definition);
		json_key(sb, "kind", &f);
		json_cstr(sb, st->kind);
		json_key(sb, "location", &f);
		json_cstr(sb, st->location);
		json_key(sb, "keys", &f);
		strbuf_addf(sb, "%llu", (unsigned long long)st->keys);
		json_key(sb, "bytes", &f);
		strbuf_addf(sb, "%llu", (unsigned long long)st->bytes);
		/* The sample is JSON values with ", " between them. */
		json_key(sb, "sample", &f);
		strbuf_addf(sb, "[%s]", st->sample != NULL ? st->sample : "");
		json_key(sb, "files", &f);
		strbuf_adds(sb, "[");
		for (size_t k = 0; k < st->nfiles; k++) {
			if (k > 0)
				strbuf_adds(sb, ", ");
			json_cstr(sb, st->files[k]);
		}
		strbuf_adds(sb, "]");
		if (mt != NULL) {
			json_key(sb, "in_script", &f);
			strbuf_adds(sb, mt->old_used[i] ? "true" : "false");
		}
		strbuf_adds(sb, "}");
	}
	strbuf_adds(sb, "]");
	json_key(sb, "sources", &first);
	strbuf_adds(sb, "[");
	for (size_t i = 0; i < m->nsources; i++) {
		const struct ckpt_source_rec *sr = &m->sources[i];
		struct strbuf w = STRBUF_INIT;
		json_entry(sb, i, sr->id, sr->kind);
		strbuf_addf(sb, ", \"position_bytes\": %zu", sr->position.len);
		if (source_describe(sr->kind, sr->position.data, sr->position.len, &w) == 0) {
			strbuf_adds(sb, ", \"position\": ");
			json_str(sb, w.data, w.len);
		}
		strbuf_release(&w);
		strbuf_adds(sb, "}");
	}
	strbuf_adds(sb, "]");
	json_key(sb, "sinks", &first);
	strbuf_adds(sb, "[");
	for (size_t i = 0; i < m->nsinks; i++) {
		json_entry(sb, i, m->sinks[i].id, m->sinks[i].kind);
		strbuf_addf(sb, ", \"progress_bytes\": %zu}", m->sinks[i].progress.len);
	}
	strbuf_adds(sb, "]");
	if (mt != NULL) {
		json_key(sb, "script_stages", &first);
		strbuf_adds(sb, "[");
		for (int i = 0; i < mt->nnew; i++) {
			const char *def = mt->defs[i];
			int o = mt->new_to_old[i];
			strbuf_adds(sb, i > 0 ? ", {\"definition\": " : "{\"definition\": ");
			json_cstr(sb, def);
			strbuf_adds(sb, ", \"matches\": ");
			if (o >= 0)
				json_cstr(sb, m->stages[o].id);
			else
				strbuf_adds(sb, "null");
			strbuf_adds(sb, "}");
		}
		strbuf_adds(sb, "]");
		json_key(sb, "resumes", &first);
		strbuf_adds(sb, matched ? "true" : "false");
		if (!matched && mt->errors != NULL) {
			json_key(sb, "refusal", &first);
			json_cstr(sb, mt->errors);
		}
	}
	strbuf_adds(sb, "}\n");
}

int
inspect_run(const char *dir, const char *script_name, const char *text, size_t len,
    const struct job_options *jo, int json)
{
	struct ckpt_dir *d;
	struct ckpt_manifest m;
	struct match mt = { 0 };
	struct strbuf out = STRBUF_INIT, errs = STRBUF_INIT;
	char *err = NULL;
	int rc, matched = 1, status = EXIT_OK;

	d = ckpt_dir_open_readonly(dir, &err);
	if (d == NULL) {
		fprintf(stderr, "streamjob: %s\n", err);
		free(err);
		return EXIT_RUNTIME;
	}
	memset(&m, 0, sizeof m);
	rc = manifest_read(d, &m, &err);
	if (rc != 0) {
		if (rc > 0)
			fprintf(stderr, "streamjob: %s holds no checkpoint\n", dir);
		else
			fprintf(stderr, "streamjob: checkpoint %s\n", err);
		free(err);
		ckpt_dir_close(d);
		return EXIT_RUNTIME;
	}
	/* The script as kept, but never a password in it. */
	if (m.script.data != NULL) {
		char *clean = plan_scrub_script(m.script.data, m.script.len);
		free(m.script.data);
		m.script.data = clean;
		m.script.len = strlen(clean);
	}
	if (text != NULL) {
		rc = match_script(&m, script_name, text, len, jo, &mt, &errs);
		if (rc < 0) {
			fputs(errs.data, stderr);
			status = EXIT_USAGE;
			goto out;
		}
		matched = rc == 0;
	}
	if (json)
		print_json(dir, &m, text != NULL ? &mt : NULL, matched, &out);
	else
		print_text(dir, &m, text != NULL ? &mt : NULL, matched, &out);
	fwrite(out.data, 1, out.len, stdout);
	if (fflush(stdout) != 0)
		status = EXIT_RUNTIME;
	else if (!matched)
		status = EXIT_USAGE;	/* as the start would be refused */
out:
	for (int i = 0; i < mt.nnew; i++)
		free(mt.defs[i]);
	free(mt.defs);
	free(mt.new_to_old);
	free(mt.old_used);
	free(mt.errors);
	strbuf_release(&out);
	strbuf_release(&errs);
	manifest_free(&m);
	ckpt_dir_close(d);
	return status;
}
