/*
 * sink.c: the engine every sink runs under; see sink.h.
 *
 * It owns what sinks have in common: their connections (opened lazily,
 * kept across batches, closed after a failure), the batch's text (made
 * once, kept for retries), retries with backoff (retry.h), and the
 * reports of failures and recoveries -- the first of a streak, then at
 * most one every 30 s, and one when the batch goes through.  A retry
 * blocks the thread that finishes batches: the batches behind wait, and
 * the sources pause when they pile up, which is how the job holds back.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/io/sink.h"
#include "runtime/report.h"
#include "stdlib/xmalloc.h"

struct sink *
sink_new(const struct sink_desc *desc, const struct node *node, const struct sink_host *host,
    int nworkers, char **err)
{
	struct sink *s = xcalloc(1, sizeof *s);

	s->desc = desc;
	s->node = node;
	s->stage = node->stage;
	s->host = host;
	s->nconns = (desc->flags & SINK_PER_WORKER) && nworkers > 1 ? nworkers : 1;
	s->conns = xcalloc((size_t)s->nconns, sizeof *s->conns);
	s->opened = xcalloc((size_t)s->nconns, 1);
	retry_init(&s->retry);
	if (desc->init != NULL && desc->init(s) != SINK_OK) {
		*err = xstrdup(s->why);
		sink_free(s);
		return NULL;
	}
	if (s->label == NULL)
		s->label = xstrdup(desc->name);
	return s;
}

static void
close_conn(struct sink *s, int w)
{
	if (s->opened[w] && s->desc->close != NULL)
		s->desc->close(s, s->conns[w]);
	s->conns[w] = NULL;
	s->opened[w] = 0;
}

void
sink_free(struct sink *s)
{
	if (s == NULL)
		return;
	for (int w = 0; w < s->nconns; w++)
		close_conn(s, w);
	if (s->desc->free != NULL)
		s->desc->free(s);
	for (int p = 0; p < s->parts && s->split_v != NULL; p++)
		free(s->split_v[p]);
	free(s->split_v);
	free(s->split_n);
	free(s->split_cap);
	free(s->split);
	free(s->conns);
	free(s->opened);
	free(s->label);
	free(s);
}

enum sink_result
sink_reason(struct sink *s, enum sink_result r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof s->why, fmt, ap);
	va_end(ap);
	return r;
}

const char *
sink_text(struct sink *s, struct sink_batch *b, size_t *len)
{
	if (!b->has_text) {
		for (int p = 0; p < b->nparts; p++)
			for (size_t i = 0; i < b->parts[p].n; i++)
				sink_format_value(&b->text, s->stage->format, b->parts[p].v[i]);
		b->has_text = 1;
	}
	*len = b->text.len;
	return strbuf_str(&b->text);
}

void
sink_batch_release(struct sink_batch *b)
{
	strbuf_release(&b->text);
	b->has_text = 0;
}

int
sink_output(struct sink *s, const struct sink_batch *b, const char *data, size_t len)
{
	return s->host->output(s->host->arg, b->id, data, len);
}

void
sink_record_error(struct sink *s, const struct sink_batch *b, const char *reason,
    struct value v)
{
	s->host->record_error(s->host->arg, b->id, s->node, reason, v);
}

/* A retry or a recovery, reported: the caller shows it (or not, -q). */
static void
say(struct sink *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	report_text(s->host->reporter, REPORT_RECONNECT, "%s", line);
}

static int deliver(struct sink *, struct sink_batch *);

/* One try at the whole batch, on every connection. */
static enum sink_result
attempt(struct sink *s, struct sink_batch *b)
{
	for (int w = 0; w < s->nconns; w++) {
		enum sink_result r = SINK_OK;
		if (!s->opened[w] && s->desc->open != NULL) {
			r = s->desc->open(s, w, &s->conns[w]);
			if (r != SINK_OK)
				return r;
		}
		s->opened[w] = 1;
		r = s->desc->write(s, s->conns[w], b, w);
		if (r == SINK_OK && s->desc->commit != NULL)
			r = s->desc->commit(s, s->conns[w], b->time);
		if (r != SINK_OK) {
			/* All of them: a server that went away took the
			 * others' sessions too, and an idle connection learns
			 * it only when next used -- in a later batch, as a
			 * second outage. */
			for (int c = 0; c < s->nconns; c++)
				close_conn(s, c);
			return r;
		}
	}
	return SINK_OK;
}

/*
 * A batch for a sink with fixed parts (s->parts): its elements split into
 * that many parts by the hash of their key (a pair's first field, else
 * the element), whatever partitions the executor made: the same key
 * always goes to the same part, with any number of workers.
 */
static void
split_batch(struct sink *s, const struct sink_batch *in, struct sink_batch *out)
{
	if (s->split_v == NULL) {
		s->split_v = xcalloc((size_t)s->parts, sizeof *s->split_v);
		s->split_n = xcalloc((size_t)s->parts, sizeof *s->split_n);
		s->split_cap = xcalloc((size_t)s->parts, sizeof *s->split_cap);
		s->split = xcalloc((size_t)s->parts, sizeof *s->split);
	}
	for (int p = 0; p < s->parts; p++)
		s->split_n[p] = 0;
	for (int q = 0; q < in->nparts; q++) {
		for (size_t i = 0; i < in->parts[q].n; i++) {
			struct value v = in->parts[q].v[i];
			struct value key = v.type == VT_TUPLE && v.n == 2 ? v.u.items[0] : v;
			size_t p = (size_t)(value_hash(key) % (uint64_t)s->parts);
			if (s->split_n[p] == s->split_cap[p]) {
				s->split_cap[p] = s->split_cap[p] ? s->split_cap[p] * 2 : 64;
				s->split_v[p] = xreallocarray(s->split_v[p], s->split_cap[p],
				    sizeof *s->split_v[p]);
			}
			s->split_v[p][s->split_n[p]++] = v;
		}
	}
	for (int p = 0; p < s->parts; p++)
		s->split[p] = (struct sink_part){ s->split_v[p], s->split_n[p] };
	*out = *in;
	out->parts = s->split;
	out->nparts = s->parts;
	out->text = (struct strbuf)STRBUF_INIT;
	out->has_text = 0;
}

int
sink_deliver(struct sink *s, struct sink_batch *b)
{
	struct sink_batch fixed;
	int rc;

	if (s->failed)
		return -1;
	if (b->total == 0 && !(s->desc->flags & SINK_EMPTY))
		return 0;
	if (s->parts > 0 && (s->desc->flags & SINK_PER_WORKER) && !(s->desc->flags & SINK_SAMPLE)) {
		split_batch(s, b, &fixed);
		rc = deliver(s, &fixed);
		sink_batch_release(&fixed);
		return rc;
	}
	return deliver(s, b);
}

static int
deliver(struct sink *s, struct sink_batch *b)
{
	for (;;) {
		enum sink_result r;
		char more[48] = "";

		s->why[0] = '\0';
		r = attempt(s, b);
		if (r == SINK_OK) {
			if (retry_recovered(&s->retry) && s->desc->recovered != NULL)
				say(s, "%s: %s", s->label, s->desc->recovered);
			retry_reset(&s->retry);
			return 0;
		}
		if (r == SINK_ERROR) {
			s->failed = 1;
			s->host->fail(s->host->arg, s->why);
			return -1;
		}
		if (retry_failed(&s->retry)) {
			if (s->retry.attempts > 1)
				snprintf(more, sizeof more, " (%d attempts so far)", s->retry.attempts);
			say(s, "%s: %s; retrying the batch%s", s->label, s->why, more);
		}
		int64_t wait = retry_wait(&s->retry);
		struct timespec ts = { wait / 1000, (wait % 1000) * 1000000 };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}
