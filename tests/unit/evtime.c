/*
 * evtime.c: unit tests of saving and restoring event-time windows.  A
 * stream of timestamped records, out of order within the lateness, some
 * late, goes block by block into an event-time window; the windows each
 * block closes are written down.  A window saved after a few blocks and
 * restored into a fresh one must close the same windows with the same
 * contents over the blocks after, for a keyed reducer (sum), an average,
 * a whole-batch count and a plain window; bytes cut, garbled or of
 * another shape are refused and change nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "lang/diag.h"
#include "lang/plan.h"
#include "runtime/eval.h"
#include "runtime/evtime.h"
#include "stdlib/arena.h"
#include "stdlib/strbuf.h"
#include "tap.h"
#include "util.h"

#define NBLOCKS 12
#define PER_BLOCK 5

static struct plan *plans[32];
static int nplans;
static int lates;

/* The event-time window of a script, and the reducer after it if any. */
static struct evtime *
evtime_of(const char *text)
{
	struct job_options jo = { 0 };
	struct plan *p = unit_compile(text);

	if (p == NULL)
		return NULL;
	plans[nplans++] = p;
	for (int i = 0; i < p->nnodes; i++) {
		struct node *n = p->nodes[i];
		struct node *red = NULL;
		if (n->op != OP_WINDOW || n->event_time == NULL)
			continue;
		if (n->noutputs == 1 && n->outputs[0]->op != OP_STDOUT)
			red = n->outputs[0];
		if (red != NULL && red->stage->args[0].e != NULL)
			eval_prepare(red->stage->args[0].e, &jo, NULL, NULL);
		return evtime_new(n, red, p->settings.batch_ms);
	}
	return NULL;
}

static void
on_error(void *arg, const struct node *stage, const char *reason, struct value record)
{
	(void)arg;
	(void)stage;
	(void)record;
	if (strncmp(reason, "late record", 11) == 0)
		lates++;
}

/* Block k's records: times wander back and forth, a few seconds apart. */
static void
block(int k, struct arena *a, int plain, struct value *v, struct evt_tag *tags,
    int64_t *max)
{
	static const char *const keys[] = { "a", "b", "c" };
	int64_t seen = INT64_MIN;

	for (int i = 0; i < PER_BLOCK; i++) {
		int64_t t = 1000 * (int64_t)(k * 2) + (int64_t)((i * 1700 + k * 300) % 4000) - 1500;
		struct value key = value_str(keys[(i + k) % 3], 1);
		v[i] = plain ? value_int(t) : value_pair(a, key, value_int(i + k));
		if (t > seen)
			seen = t;
		tags[i].t = t;
		tags[i].seen = seen;
	}
	*max = seen;
}

static int
cmp_values(const void *x, const void *y)
{
	return value_compare(*(const struct value *)x, *(const struct value *)y);
}

/* Feed blocks [from, to) to e, closing after each; what closed goes to log. */
static void
run(struct evtime *e, int from, int to, int plain, struct strbuf *log)
{
	for (int k = from; k < to; k++) {
		struct arena *a = arena_new(0);
		struct eval ev = { 0 };
		struct value v[PER_BLOCK];
		struct evt_tag tags[PER_BLOCK];
		struct evt_closed *out;
		int64_t max;
		size_t n;

		ev.ctx.arena = a;
		block(k, a, plain, v, tags, &max);
		evtime_add(e, &ev, v, tags, PER_BLOCK, max, on_error, NULL);
		n = evtime_close(e, (uint64_t)k, k == NBLOCKS - 1, a, &out);
		for (size_t i = 0; i < n; i++) {
			strbuf_addf(log, "%d:%lld:", k, (long long)out[i].end);
			qsort(out[i].items, out[i].n, sizeof *out[i].items, cmp_values);
			for (size_t m = 0; m < out[i].n; m++) {
				value_format_json(log, out[i].items[m]);
				strbuf_addc(log, ' ');
			}
			strbuf_addc(log, '\n');
			free(out[i].items);
		}
		free(out);
		arena_free(a);
	}
}

static void
round_trip(const char *name, const char *script, int plain)
{
	struct strbuf whole = STRBUF_INIT, first = STRBUF_INIT, after = STRBUF_INIT;
	struct strbuf saved = STRBUF_INIT, tail = STRBUF_INIT;
	struct evtime *e1 = evtime_of(script), *e2 = evtime_of(script), *e3 = evtime_of(script);
	int split = NBLOCKS / 2;

	TAP_OK(e1 != NULL && e2 != NULL && e3 != NULL, "%s: the script has an event-time window", name);
	if (e1 == NULL || e2 == NULL || e3 == NULL)
		return;
	run(e1, 0, NBLOCKS, plain, &whole);
	TAP_OK(whole.len > 0, "%s: windows close (%d records late)", name, lates);
	run(e2, 0, split, plain, &first);
	TAP_OK(evtime_save(e2, &saved) == 0, "%s: saved after %d blocks (%zu bytes)", name, split,
	    saved.len);

	/* Cut or garbled bytes are refused, and e3 stays as it was (empty). */
	struct strbuf e3_before = STRBUF_INIT, e3_after = STRBUF_INIT;
	evtime_save(e3, &e3_before);
	TAP_OK(evtime_restore(e3, saved.data, saved.len - 1) == -1, "%s: a cut save is refused",
	    name);
	char *bad = malloc(saved.len);
	memcpy(bad, saved.data, saved.len);
	bad[saved.len - 3] ^= 0x55;
	bad[strlen("streamjob-evtime-1\n") + 2] ^= 0x7f;
	TAP_OK(evtime_restore(e3, bad, saved.len) == -1, "%s: a garbled save is refused", name);
	free(bad);
	evtime_save(e3, &e3_after);
	TAP_OK(e3_after.len == e3_before.len &&
	    memcmp(e3_after.data, e3_before.data, e3_before.len) == 0,
	    "%s: the refused saves left the window as it was", name);
	strbuf_release(&e3_before);
	strbuf_release(&e3_after);
	TAP_OK(evtime_restore(e3, saved.data, saved.len) == 0, "%s: restored", name);

	run(e3, split, NBLOCKS, plain, &after);
	strbuf_adds(&tail, strbuf_str(&first));
	strbuf_adds(&tail, strbuf_str(&after));
	TAP_STR(strbuf_str(&tail), strbuf_str(&whole),
	    "%s: restored, the later windows are the original's", name);
	evtime_free(e1);
	evtime_free(e2);
	evtime_free(e3);
	strbuf_release(&whole);
	strbuf_release(&first);
	strbuf_release(&after);
	strbuf_release(&saved);
	strbuf_release(&tail);
}

int
main(void)
{
	round_trip("sum", "batch 1s\n"
	    "batches([]) | timestamp 0 lateness 1s | window 4s slide 2s | reduceByKey sum | stdout", 0);
	round_trip("avg", "batch 1s\n"
	    "batches([]) | timestamp 0 lateness 1s | window 4s slide 2s | reduceByKey avg | stdout", 0);
	round_trip("count", "batch 1s\n"
	    "batches([]) | timestamp 0 lateness 1s | window 2s | count | stdout", 0);
	round_trip("plain", "batch 1s\n"
	    "batches([]) | timestamp 0 lateness 2s | window 4s slide 2s | stdout", 1);

	/* Another shape is refused. */
	{
		struct evtime *a = evtime_of("batch 1s\nbatches([]) | timestamp 0 | window 4s slide 2s"
		    " | reduceByKey sum | stdout");
		struct evtime *b = evtime_of("batch 1s\nbatches([]) | timestamp 0 | window 6s slide 2s"
		    " | reduceByKey sum | stdout");
		struct strbuf sb = STRBUF_INIT;
		int refused = a != NULL && b != NULL && evtime_save(a, &sb) == 0 &&
		    evtime_restore(b, sb.data, sb.len) == -1;
		TAP_OK(refused, "a save of a 4 s window does not restore into a 6 s one");
		strbuf_release(&sb);
		evtime_free(a);
		evtime_free(b);
	}
	TAP_OK(lates > 0, "some records were late (%d in all runs)", lates);
	for (int i = 0; i < nplans; i++)
		plan_free(plans[i]);
	return tap_done();
}
