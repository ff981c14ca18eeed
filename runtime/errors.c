/*
 * errors.c: record errors and the job's failure (see errors.h).
 *
 * One lock guards the count and the message; the first failing batch is
 * also an atomic, read by workers on every batch without the lock.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "errors.h"
#include "report.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

struct errors {
	pthread_mutex_t lock;
	enum on_error on_error;
	const struct reporter *rep;
	void (*wake)(void *);
	void *wake_arg;
	int64_t count;
	int failed;
	int plain;			/* msg says it all: no "record error in" */
	char *msg;
	atomic_ullong fail_seq;
	FILE *dead_letters;
};

struct errors *
errors_new(enum on_error on_error, const struct reporter *rep, void (*wake)(void *), void *arg)
{
	struct errors *e = xcalloc(1, sizeof *e);

	pthread_mutex_init(&e->lock, NULL);
	e->on_error = on_error;
	e->rep = rep;
	e->wake = wake;
	e->wake_arg = arg;
	atomic_store(&e->fail_seq, UINT64_MAX);
	return e;
}

void
errors_free(struct errors *e)
{
	if (e == NULL)
		return;
	if (e->dead_letters != NULL)
		fclose(e->dead_letters);
	free(e->msg);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

int
errors_open_dead_letters(struct errors *e, const char *path)
{
	e->dead_letters = fopen(path, "a");
	return e->dead_letters != NULL ? 0 : -1;
}

static const char *
stage_where(const struct node *n, char *buf, size_t size)
{
	if (n == NULL)
		return "stdin";
	snprintf(buf, size, "%s (line %d)", n->stage->desc->name, n->stage->span.first_line);
	return buf;
}

void
errors_record(struct errors *e, uint64_t seq, const struct node *n, const char *reason,
    struct value record)
{
	struct strbuf rec = STRBUF_INIT;
	char where[96];

	if (reason == NULL)
		reason = "error";
	value_format_json(&rec, record);
	if (rec.len > 200) {
		rec.len = 197;
		strbuf_adds(&rec, "...");
	}
	const char *w = stage_where(n, where, sizeof where);
	pthread_mutex_lock(&e->lock);
	e->count++;
	switch (e->on_error) {
	case ON_ERROR_FAIL:
		if (seq < atomic_load(&e->fail_seq))
			atomic_store(&e->fail_seq, seq);
		if (!e->failed) {
			e->failed = 1;
			e->wake(e->wake_arg);
			e->msg = xasprintf("%s: %s; record: %s", w, reason, strbuf_str(&rec));
		}
		break;
	case ON_ERROR_WRITE:
		if (e->dead_letters != NULL) {
			fprintf(e->dead_letters, "%s: %s\t%s\n", w, reason, strbuf_str(&rec));
			fflush(e->dead_letters);
		}
		break;
	default: {
		/* Reported under the lock: the count says which one it is. */
		struct report rp = { .kind = REPORT_RECORD_ERROR, .where = w,
		    .reason = reason, .record = strbuf_str(&rec), .count = e->count };
		report(e->rep, &rp);
		break;
	}
	}
	pthread_mutex_unlock(&e->lock);
	strbuf_release(&rec);
}

/* The first failure's message is kept; the job is woken to stop. */
static void
fail(struct errors *e, uint64_t seq, char *msg)
{
	pthread_mutex_lock(&e->lock);
	if (seq < atomic_load(&e->fail_seq))
		atomic_store(&e->fail_seq, seq);
	if (!e->failed) {
		e->failed = 1;
		e->msg = msg;
		e->plain = 1;
		msg = NULL;
	}
	pthread_mutex_unlock(&e->lock);
	free(msg);
	e->wake(e->wake_arg);
}

void
errors_fail_batch(struct errors *e, uint64_t seq, const char *msg)
{
	fail(e, seq, xasprintf("holding the output of a batch: %s", msg));
}

void
errors_fail(struct errors *e, const char *msg)
{
	fail(e, UINT64_MAX, xstrdup(msg));
}

void
errors_stop_at(struct errors *e, uint64_t seq)
{
	atomic_store(&e->fail_seq, seq);
}

uint64_t
errors_fail_seq(struct errors *e)
{
	return atomic_load(&e->fail_seq);
}

int
errors_failed(struct errors *e)
{
	int f;

	pthread_mutex_lock(&e->lock);
	f = e->failed;
	pthread_mutex_unlock(&e->lock);
	return f;
}

int
errors_finish(struct errors *e)
{
	if (e->failed) {
		if (e->plain)
			report_text(e->rep, REPORT_ERROR, "%s", e->msg);
		else
			report_text(e->rep, REPORT_ERROR, "record error in %s", e->msg);
		return 1;
	}
	if (e->count > 0 && e->on_error == ON_ERROR_SKIP) {
		struct report rp = { .kind = REPORT_SKIPPED, .count = e->count };
		report(e->rep, &rp);
	}
	return 0;
}
