/*
 * engine.c: whole jobs (job_run) fed by a fake source put in the place of
 * stdin in the registry, on the event loop like a real one: it hands over
 * blocks of numbered lines for as long as it is not paused, and counts
 * how the engine pauses and resumes it.  With a small buffer the job's
 * backpressure must pause it and let it go on, and every line must come
 * out once, in order; with rate=N its source set must hold it back.
 * No network, no sleeping: the job ends when the fake's input does.
 *
 * Whole jobs also run against a fake sink put in the place of pipe: one
 * that fails twice (SINK_RETRY) then takes the batch must get it once,
 * in order, with no later batch before it, and the retries reported,
 * not printed; one that fails for good (SINK_ERROR) fails the job.
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/io/registry.h"
#include "runtime/io/sink.h"
#include "runtime/io/source.h"
#include "runtime/report.h"
#include "runtime/job.h"
#include "runtime/retry.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"
#include "tap.h"
#include "util.h"

/* ---- the fake source ---- */

static struct {
	/* what to produce: input[0..len), lines "1\n2\n...", in blocks of
	 * at most block bytes, cut after a newline */
	const char *input;
	size_t len, block;
	/* what happened */
	size_t off;		/* handed over so far */
	int paused;		/* as the fake sees it */
	int pauses, resumes;
	int misordered;		/* paused twice, or resumed while going */
	int produced_while_paused;
	int ended;
	struct event *ev;
} fake;

static void
fake_init(struct source *s, const struct argval *a)
{
	(void)a;
	s->impl = NULL;
	s->name = xstrdup("fake");
}

/* Hand over blocks until paused or out of input; then end, or wait for
 * resume. */
static void
fake_produce(evutil_socket_t fd, short what, void *arg)
{
	struct source *s = arg;

	(void)fd;
	(void)what;
	if (fake.paused) {
		fake.produced_while_paused++;
		return;
	}
	while (!fake.paused && fake.off < fake.len) {
		size_t n = fake.len - fake.off;
		char *data;

		if (n > fake.block) {
			n = fake.block;
			while (n > 0 && fake.input[fake.off + n - 1] != '\n')
				n--;
		}
		data = xmalloc(n);
		memcpy(data, fake.input + fake.off, n);
		fake.off += n;
		s->host->lines(s->host->arg, s, data, n);
	}
	if (fake.off == fake.len && !fake.ended) {
		fake.ended = 1;
		s->ended = 1;
		s->host->ended(s->host->arg, s);
	}
}

static int
fake_start(struct source *s)
{
	fake.ev = event_new(s->base, -1, 0, fake_produce, s);
	s->impl = fake.ev;	/* what free frees: it is called when impl is set */
	event_active(fake.ev, EV_READ, 0);
	return 0;
}

static void
fake_pause(struct source *s)
{
	(void)s;
	if (fake.paused)
		fake.misordered++;
	fake.paused = 1;
	fake.pauses++;
}

static void
fake_resume(struct source *s)
{
	(void)s;
	if (!fake.paused)
		fake.misordered++;
	fake.paused = 0;
	fake.resumes++;
	event_active(fake.ev, EV_READ, 0);
}

static void fake_cut(struct source *s) { (void)s; }

static void
fake_stop(struct source *s)
{
	(void)s;
	event_del(fake.ev);
}

static void
fake_free(struct source *s)
{
	event_free(s->impl);
	fake.ev = NULL;
}

static const struct source_desc fake_desc = {
	.name = "stdin",
	.caps = SOURCE_READS_STDIN,
	.init = fake_init,
	.start = fake_start,
	.pause = fake_pause,
	.resume = fake_resume,
	.cut = fake_cut,
	.stop = fake_stop,
	.free = fake_free,
};

/* The lines 1..n, each with its newline (the caller frees it). */
static char *
numbers(int n, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;

	for (int i = 1; i <= n; i++)
		strbuf_addf(&sb, "%d\n", i);
	*len = sb.len;
	return strbuf_detach(&sb);
}

/* Run script with --once, the fake in stdin's place handing over
 * input[0..len) in blocks of block bytes: its status; what it wrote on
 * standard output in *out (*outlen bytes). */
static int
run(const char *script, const char *input, size_t len, size_t block, char **out,
    size_t *outlen)
{
	struct plan *plan = unit_compile(script);
	struct job_options jo = { 0 };
	struct run_options ro = { 0 };
	char path[] = "/tmp/unit-engine-XXXXXX";
	int fd = mkstemp(path), saved, status;
	const struct source_desc *old;
	FILE *f;
	long n;

	memset(&fake, 0, sizeof fake);
	fake.input = input;
	fake.len = len;
	fake.block = block;
	*outlen = 0;
	if (plan == NULL || fd < 0) {
		*out = xstrdup("(no plan)");
		return -1;
	}
	jo.ncpus = 1;
	jo.once = 1;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	old = source_registry_replace(&fake_desc);
	status = job_run(plan, &jo, &ro, NULL);	/* no reporter: quiet */
	source_registry_replace(old);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	f = fdopen(fd, "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*out = xcalloc((size_t)n + 1, 1);
	if (fread(*out, 1, (size_t)n, f) == (size_t)n)
		*outlen = (size_t)n;
	else
		(*out)[0] = '\0';
	fclose(f);
	unlink(path);
	plan_free(plan);
	return status;
}

/* A few MB through a 64 KiB buffer: the job must pause the source, let
 * it go on, and lose and repeat nothing. */
static void
test_backpressure(void)
{
	enum { N = 600000 };	/* about 4.5 MB */
	size_t len, outlen;
	char *input = numbers(N, &len), *out, want[32];
	int status;

	status = run("buffer 64KiB\nstdin | count | stdout", input, len, 64 * 1024, &out,
	    &outlen);
	TAP_OK(status == 0, "a job of %zu bytes through a 64 KiB buffer ends well", len);
	snprintf(want, sizeof want, "%d\n", N);
	TAP_STR(out, want, "every record is counted once");
	TAP_OK(fake.off == len && fake.ended, "the source handed over all its input");
	TAP_OK(fake.pauses >= 1, "the engine paused the source (%d times)", fake.pauses);
	TAP_OK(fake.resumes >= 1, "and let it go on (%d times)", fake.resumes);
	TAP_OK(fake.misordered == 0, "never paused twice or resumed while going");
	TAP_OK(fake.resumes == fake.pauses || fake.resumes == fake.pauses - 1,
	    "each resume after a pause (%d pauses, %d resumes)", fake.pauses, fake.resumes);
	TAP_OK(fake.produced_while_paused == 0, "nothing was asked of it while paused");
	free(out);

	status = run("buffer 64KiB\nstdin | stdout", input, len, 64 * 1024, &out, &outlen);
	TAP_OK(status == 0 && fake.pauses >= 1 && fake.resumes >= 1,
	    "written out, the same input is paused and resumed too (%d, %d)", fake.pauses,
	    fake.resumes);
	TAP_OK(outlen == len && memcmp(out, input, len) == 0,
	    "and every line comes out once, in order (%zu of %zu bytes)", outlen, len);
	free(out);

	/* The control: the default buffer holds this much without pausing. */
	status = run("stdin | count | stdout", input, 100 * 1024, 16 * 1024, &out, &outlen);
	TAP_OK(status == 0 && fake.pauses == 0 && fake.resumes == 0,
	    "100 KiB in the default buffer: no pause (%d)", fake.pauses);
	free(out);
	free(input);
}

/* rate=2000 on 1000 records: the source set holds the source back (its
 * bucket starts empty: half a second at least), and counts them all. */
static void
test_rate(void)
{
	enum { N = 1000 };
	size_t len, outlen;
	char *input = numbers(N, &len), *out;
	int64_t t0, ms;
	int status;

	/* The control: without rate=, these few records never pause it. */
	status = run("stdin | count | stdout", input, len, 256, &out, &outlen);
	TAP_OK(status == 0, "1000 records without rate= end well");
	TAP_STR(out, "1000\n", "all counted");
	TAP_OK(fake.pauses == 0 && fake.resumes == 0, "and the source never paused (%d)",
	    fake.pauses);
	free(out);

	t0 = mono_ms();
	status = run("stdin(rate=2000) | count | stdout", input, len, 256, &out, &outlen);
	ms = mono_ms() - t0;
	TAP_OK(status == 0, "stdin(rate=2000): 1000 records end well");
	TAP_STR(out, "1000\n", "all counted, once");
	TAP_OK(fake.off == len && fake.ended, "the source handed over all its input");
	TAP_OK(fake.pauses >= 1, "the limit paused the source (%d times)", fake.pauses);
	TAP_OK(fake.resumes >= 1, "and let it go on (%d times)", fake.resumes);
	TAP_OK(fake.misordered == 0 && fake.produced_while_paused == 0,
	    "never paused twice, resumed while going, or asked while paused");
	TAP_OK(ms >= 450, "at 2000 a second, 1000 records take half a second (%lld ms)",
	    (long long)ms);
	free(out);
	free(input);
}

/* ---- the fake sink ---- */

static struct {
	int retries;		/* answer SINK_RETRY this many times first */
	int error;		/* answer SINK_ERROR to the first batch */
	struct strbuf got;	/* the text of the batches taken */
	struct strbuf writes;	/* "id:result " per call of write */
} fsink;

static enum sink_result
fsink_init(struct sink *s)
{
	s->label = xstrdup("fake sink");
	return SINK_OK;
}

static enum sink_result
fsink_write(struct sink *s, void *conn, struct sink_batch *b, int worker)
{
	size_t len;
	const char *text = sink_text(s, b, &len);

	(void)conn;
	(void)worker;
	if (fsink.error) {
		strbuf_addf(&fsink.writes, "%llu:error ", (unsigned long long)b->id);
		return sink_reason(s, SINK_ERROR, "fake sink: wrong password");
	}
	if (fsink.retries > 0) {
		fsink.retries--;
		strbuf_addf(&fsink.writes, "%llu:retry ", (unsigned long long)b->id);
		return sink_reason(s, SINK_RETRY, "fake sink: connection refused");
	}
	strbuf_addf(&fsink.writes, "%llu:ok ", (unsigned long long)b->id);
	strbuf_add(&fsink.got, text, len);
	return SINK_OK;
}

static const struct sink_desc fsink_desc = {
	.name = "fake",
	.flags = SINK_ORDERED,
	.recovered = "batch taken",
	.init = fsink_init,
	.write = fsink_write,
};

/* The reports of a job, "kind:text|" each (the status line's left out). */
static struct strbuf reports;

static void
collect(void *arg, const struct report *r)
{
	(void)arg;
	if (r->text != NULL)
		strbuf_addf(&reports, "%d:%s|", (int)r->kind, r->text);
}

/* Run script (its sink: pipe) with the fake sink in pipe's place. */
static enum job_result
run_sink(const char *script, int retries, int error)
{
	struct plan *plan = unit_compile(script);
	struct job_options jo = { 0 };
	struct run_options ro = { 0 };
	struct reporter rep = { .report = collect };
	const struct sink_desc *old;
	enum job_result r;

	strbuf_release(&fsink.got);
	strbuf_release(&fsink.writes);
	strbuf_release(&reports);
	fsink.retries = retries;
	fsink.error = error;
	if (plan == NULL)
		return -1;
	jo.ncpus = 1;
	old = sink_registry_replace("pipe", &fsink_desc);
	r = job_run(plan, &jo, &ro, &rep);
	sink_registry_replace("pipe", old);
	plan_free(plan);
	return r;
}

static void
test_sink_retry(void)
{
	const char *script = "batches([\"a\", \"b\"], [\"c\"], [\"d\", \"e\"]) | pipe \"x\"";
	char want[256];
	enum job_result r;

	TAP_OK(sink_registry_replace("nosuch", &fsink_desc) == NULL,
	    "no sink of that name: nothing replaced");
	r = run_sink(script, 2, 0);
	TAP_OK(r == JOB_OK, "a sink failing twice then taking the batch: the job ends well");
	TAP_STR(strbuf_str(&fsink.got), "a\nb\nc\nd\ne\n",
	    "every batch delivered once, in order");
	TAP_STR(strbuf_str(&fsink.writes), "0:retry 0:retry 0:ok 1:ok 2:ok ",
	    "the first batch written three times, no later batch before it");
	snprintf(want, sizeof want,
	    "%d:fake sink: fake sink: connection refused; retrying the batch|"
	    "%d:fake sink: batch taken|", (int)REPORT_RECONNECT, (int)REPORT_RECONNECT);
	TAP_STR(strbuf_str(&reports), want, "the retry and the recovery reported, once each");

	r = run_sink(script, 0, 1);
	TAP_OK(r == JOB_FAILED, "a sink answering SINK_ERROR fails the job (%d)", (int)r);
	TAP_STR(strbuf_str(&fsink.writes), "0:error ", "after one try, and no later batch");
	TAP_STR(strbuf_str(&fsink.got), "", "nothing taken");
	snprintf(want, sizeof want, "%d:fake sink: wrong password|", (int)REPORT_ERROR);
	TAP_STR(strbuf_str(&reports), want, "with the reason, reported as an error");
	strbuf_release(&fsink.got);
	strbuf_release(&fsink.writes);
	strbuf_release(&reports);
}

int
main(void)
{
	/* A job that never ends fails the test rather than hanging it. */
	alarm(120);
	test_backpressure();
	test_rate();
	test_sink_retry();
	return tap_done();
}
