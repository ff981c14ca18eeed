/*
 * sink.c: the sink engine with a fake sink -- one that fails twice, then
 * takes the batch: it is written three times and delivered once, its
 * connection reopened after each failure, the first retry and the
 * recovery reported (not printed); one that fails for good: the
 * job is told once and the sink gets no more batches; empty batches are
 * given only to sinks that ask for them; the text is made once.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/io/registry.h"
#include "runtime/report.h"
#include "runtime/io/sink.h"
#include "stdlib/xmalloc.h"
#include "tap.h"

struct fake {
	int fail_next;		/* retries to answer before taking a batch */
	int error_next;		/* answer SINK_ERROR once */
	int opens, closes, writes;
	struct strbuf got;	/* the text of the batches taken */
};

static enum sink_result
fake_open(struct sink *s, int worker, void **conn)
{
	struct fake *f = s->ctx;

	(void)worker;
	f->opens++;
	*conn = f;
	return SINK_OK;
}

static enum sink_result
fake_write(struct sink *s, void *conn, struct sink_batch *b, int worker)
{
	struct fake *f = conn;
	size_t len;
	const char *text = sink_text(s, b, &len);

	(void)worker;
	f->writes++;
	if (f->error_next) {
		f->error_next = 0;
		return sink_reason(s, SINK_ERROR, "fake: wrong password");
	}
	if (f->fail_next > 0) {
		f->fail_next--;
		return sink_reason(s, SINK_RETRY, "fake: connection refused");
	}
	strbuf_add(&f->got, text, len);
	return SINK_OK;
}

static void
fake_close(struct sink *s, void *conn)
{
	(void)s;
	((struct fake *)conn)->closes++;
}

static const struct sink_desc fake_desc = {
	.name = "fake",
	.flags = SINK_ORDERED,
	.open = fake_open,
	.write = fake_write,
	.close = fake_close,
	.recovered = "batch taken",
};

/* The engine prints nothing: its retries and recoveries are reports. */
static char report_texts[512];

static void
collect(void *arg, const struct report *r)
{
	(void)arg;
	if (r->kind == REPORT_RECONNECT)
		snprintf(report_texts + strlen(report_texts),
		    sizeof report_texts - strlen(report_texts), "%s|", r->text);
}


static int outputs, fails;
static char fail_msg[256];

static int
host_output(void *arg, uint64_t seq, const char *data, size_t len)
{
	(void)arg, (void)seq, (void)data, (void)len;
	outputs++;
	return 0;
}

static void
host_fail(void *arg, const char *msg)
{
	(void)arg;
	fails++;
	snprintf(fail_msg, sizeof fail_msg, "%s", msg);
}

static void
host_record_error(void *arg, uint64_t seq, const struct node *n, const char *reason,
    struct value v)
{
	(void)arg, (void)seq, (void)n, (void)reason, (void)v;
}

int
main(void)
{
	struct reporter reporter = { .report = collect };
	struct sink_host host = { NULL, host_output, host_fail, host_record_error, &reporter };
	struct stage stage = { 0 };
	struct node node = { 0 };
	struct fake f = { 0 };
	struct value v[2] = { value_str("a", 1), value_int(7) };
	struct sink_part part = { v, 2 };
	struct sink_batch b = { .id = 0, .time = 1000, .parts = &part, .nparts = 1, .total = 2 };
	struct sink_batch empty = { .id = 1, .time = 2000, .total = 0 };
	char *err = NULL;
	struct sink *s;

	stage.format = FORMAT_TSV;
	node.stage = &stage;
	s = sink_new(&fake_desc, &node, &host, 2, &err);
	TAP_OK(s != NULL && s->nconns == 1, "an instance, one connection (not per worker)");
	s->ctx = &f;

	f.fail_next = 2;
	TAP_OK(sink_deliver(s, &b) == 0, "fails twice, then delivered");
	TAP_OK(f.writes == 3, "written three times (%d)", f.writes);
	TAP_STR(strbuf_str(&f.got), "a\n7\n", "taken once, as TSV lines");
	TAP_OK(f.opens == 3 && f.closes == 2, "reopened after each failure (%d opens, %d closes)",
	    f.opens, f.closes);
	TAP_OK(fails == 0 && s->retry.attempts == 0, "no failure of the job; the streak is over");
	TAP_STR(report_texts, "fake: fake: connection refused; retrying the batch|fake: batch taken|",
	    "the first retry and the recovery reported, nothing printed");
	sink_batch_release(&b);

	TAP_OK(sink_deliver(s, &empty) == 0 && f.writes == 3, "an empty batch is not given");

	f.error_next = 1;
	TAP_OK(sink_deliver(s, &b) == -1, "a permanent failure");
	TAP_OK(fails == 1, "the job is told once");
	TAP_STR(fail_msg, "fake: wrong password", "with the reason");
	TAP_OK(sink_deliver(s, &b) == -1 && f.writes == 4, "and the sink gets no more batches");
	sink_batch_release(&b);

	s->ctx = NULL;
	sink_free(s);
	TAP_OK(f.closes == 3, "its connection closed at the end");
	strbuf_release(&f.got);

	/* The registry names every sink the runtime has. */
	const char *names[] = { "print", "stdout", "write", "append", "tcp", "pipe" };
	int found = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		found += registry_sink(names[i]) != NULL &&
		    strcmp(registry_sink(names[i])->name, names[i]) == 0;
	TAP_OK(found == 6, "the registry finds each sink by name");
#ifdef HAVE_HIREDIS
	TAP_OK(registry_sink("redis") != NULL, "and redis, built with hiredis");
#else
	TAP_OK(registry_sink("redis") == NULL, "and not one this build lacks");
#endif
#ifdef HAVE_LIBPQ
	TAP_OK(registry_sink("postgres") != NULL, "and postgres, built with libpq");
#else
	TAP_OK(registry_sink("postgres") == NULL, "and not one this build lacks");
#endif
	TAP_OK(registry_sink("kafka") == NULL, "and not the kafka sink, of a later version");
	TAP_OK((registry_sink("print")->flags & SINK_EMPTY) &&
	    !(registry_sink("pipe")->flags & SINK_EMPTY), "print takes empty batches, pipe not");
	return tap_done();
}
