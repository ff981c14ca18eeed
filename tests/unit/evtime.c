/*
 * evtime.c: unit tests of saving and restoring event-time windows.  A
 * stream of timestamped records, out of order within the lateness, some
 * late, comes in batches of a few blocks each; the windows each batch
 * closes are written down.
 *
 * The blocks are offered as workers offer them (evtime_offer): out of
 * order within a batch and, as phase A of the next batch overlaps the
 * finishing of one, blocks of batch k + 1 before batch k is closed and
 * saved.  Whatever was offered ahead, the windows closed are those of a
 * run that adds each batch's blocks in order (evtime_add), and a save
 * after batch k is byte for byte the save of a run to which nothing of
 * k + 1 was offered.  A window saved half-way and restored into a fresh
 * one closes the same windows with the same contents, and the same late
 * records, over the batches after -- for a keyed reducer (sum), an
 * average, a whole-batch count and a plain window.  Bytes cut, garbled
 * or of another shape are refused and change nothing.
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

#define NBATCHES 12
#define BLOCKS 3		/* per batch */
#define PER_BLOCK 5

static struct plan *plans[32];
static int nplans;
static int lates;		/* in all runs */

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

/* Block g's records (g counts blocks over all batches): times move on
 * about 0.7 s a block, wandering back and forth a few seconds. */
static void
block(int g, struct arena *a, int plain, struct value *v, struct evt_tag *tags,
    int64_t *max)
{
	static const char *const keys[] = { "a", "b", "c" };
	int64_t seen = INT64_MIN;

	for (int i = 0; i < PER_BLOCK; i++) {
		int64_t t = 700 * (int64_t)g + (int64_t)((i * 1700 + g * 300) % 4000) - 1500;
		struct value key = value_str(keys[(i + g) % 3], 1);
		v[i] = plain ? value_int(t) : value_pair(a, key, value_int(i + g));
		if (t > seen)
			seen = t;
		tags[i].t = t;
		tags[i].seen = seen;
	}
	*max = seen;
}

/* One run: what closed, as text, and its late records. */
struct log {
	struct strbuf text;
	int lates;
};

static void
log_error(struct log *log, const char *reason)
{
	if (strncmp(reason, "late record", 11) == 0) {
		log->lates++;
		lates++;
	}
}

static void
on_error(void *arg, const struct node *stage, const char *reason, struct value record)
{
	(void)stage;
	(void)record;
	log_error(arg, reason);
}

/* A block as a worker offers it: the window hands it back when added. */
struct part {
	struct evt_part part;		/* first */
	struct arena *arena;
	struct value v[PER_BLOCK];
	struct evt_tag tags[PER_BLOCK];
	struct log *log;
};

static int outstanding;		/* parts offered and not handed back */
static struct arena *scratch;	/* a worker's arena, for error texts */

static void
part_error(void *arg, const struct node *stage, const char *reason, struct value record)
{
	struct part *p = arg;

	(void)stage;
	(void)record;
	log_error(p->log, reason);
}

static void
part_release(struct evt_part *ep)
{
	struct part *p = (struct part *)ep;

	arena_free(p->arena);
	free(p);
	outstanding--;
}

static const struct evt_hooks hooks = { part_error, part_release };

/* Offer block b of batch k, numbered seq. */
static void
offer(struct evtime *e, int k, int b, uint64_t seq, int plain, struct log *log)
{
	struct part *p = calloc(1, sizeof *p);
	struct eval ev = { 0 };

	p->arena = arena_new(0);
	p->log = log;
	block(k * BLOCKS + b, p->arena, plain, p->v, p->tags, &p->part.max);
	p->part.seq = seq;
	p->part.batch = (uint64_t)k;
	p->part.v = p->v;
	p->part.tags = p->tags;
	p->part.n = PER_BLOCK;
	ev.ctx.arena = scratch;
	outstanding++;
	evtime_offer(e, &p->part, &ev, &hooks);
}

static int
cmp_values(const void *x, const void *y)
{
	return value_compare(*(const struct value *)x, *(const struct value *)y);
}

/* Close what batch k closes, into log. */
static void
close_batch(struct evtime *e, int k, struct log *log)
{
	struct arena *a = arena_new(0);
	struct evt_closed *out;
	size_t n = evtime_close(e, k == NBATCHES - 1, a, &out);

	for (size_t i = 0; i < n; i++) {
		strbuf_addf(&log->text, "%d:%lld:", k, (long long)out[i].end);
		qsort(out[i].items, out[i].n, sizeof *out[i].items, cmp_values);
		for (size_t m = 0; m < out[i].n; m++) {
			value_format_json(&log->text, out[i].items[m]);
			strbuf_addc(&log->text, ' ');
		}
		strbuf_addc(&log->text, '\n');
		free(out[i].items);
	}
	free(out);
	arena_free(a);
}

/* The reference: batches [from, to), each one's blocks added in order in
 * phase B, as the driver adds them when no chain offers them. */
static void
run_add(struct evtime *e, int from, int to, int plain, struct log *log)
{
	for (int k = from; k < to; k++) {
		struct arena *a = arena_new(0);
		struct eval ev = { 0 };

		ev.ctx.arena = a;
		evtime_through(e, (uint64_t)k, &ev);
		for (int b = 0; b < BLOCKS; b++) {
			struct value v[PER_BLOCK];
			struct evt_tag tags[PER_BLOCK];
			int64_t max;
			block(k * BLOCKS + b, a, plain, v, tags, &max);
			evtime_add(e, &ev, v, tags, PER_BLOCK, max, on_error, log);
		}
		close_batch(e, k, log);
		evtime_through(e, (uint64_t)k + 1, &ev);
		arena_free(a);
	}
}

/*
 * Batches [from, to) offered as workers offer them, numbered from seq0:
 * each batch's blocks last first; with ahead, the first two blocks of
 * batch k + 1 (last first: the second waits for the first) are offered
 * before batch k is let in and closed.  With stop, batch to - 1 is
 * closed but the next is not let in: the state after it, to be saved.
 */
static void
run_offer(struct evtime *e, int from, int to, uint64_t seq0, int plain, int ahead, int stop,
    struct log *log)
{
	int offered_next = 0;		/* blocks of batch k offered early */

	for (int k = from; k < to; k++) {
		struct eval ev = { 0 };
		struct arena *a = arena_new(0);
		uint64_t base = seq0 + (uint64_t)(k - from) * BLOCKS;

		ev.ctx.arena = a;
		for (int b = BLOCKS - 1; b >= offered_next; b--)
			offer(e, k, b, base + (uint64_t)b, plain, log);
		offered_next = 0;
		if (ahead && k + 1 < NBATCHES) {
			offer(e, k + 1, 1, base + BLOCKS + 1, plain, log);
			offer(e, k + 1, 0, base + BLOCKS, plain, log);
			offered_next = 2;
		}
		evtime_through(e, (uint64_t)k, &ev);
		close_batch(e, k, log);
		if (!stop || k + 1 < to)
			evtime_through(e, (uint64_t)k + 1, &ev);
		arena_free(a);
	}
}

static int
same(const struct strbuf *a, const struct strbuf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void
round_trip(const char *name, const char *script, int plain)
{
	struct log whole = { STRBUF_INIT, 0 }, offered = { STRBUF_INIT, 0 };
	struct log first = { STRBUF_INIT, 0 }, calm = { STRBUF_INIT, 0 };
	struct log after = { STRBUF_INIT, 0 }, went_on = { STRBUF_INIT, 0 };
	struct strbuf saved = STRBUF_INIT, saved_calm = STRBUF_INIT, tail = STRBUF_INIT;
	struct evtime *ref = evtime_of(script), *live = evtime_of(script);
	struct evtime *busy = evtime_of(script), *quiet = evtime_of(script);
	struct evtime *back = evtime_of(script);
	int split = NBATCHES / 2, saved_lates;

	TAP_OK(ref != NULL && live != NULL && busy != NULL && quiet != NULL && back != NULL,
	    "%s: the script has an event-time window", name);
	if (ref == NULL || live == NULL || busy == NULL || quiet == NULL || back == NULL)
		return;
	run_add(ref, 0, NBATCHES, plain, &whole);
	TAP_OK(whole.text.len > 0, "%s: windows close (%d records late)", name, whole.lates);

	/* Offered out of order and ahead of their batch: the same windows. */
	run_offer(live, 0, NBATCHES, 0, plain, 1, 0, &offered);
	TAP_STR(strbuf_str(&offered.text), strbuf_str(&whole.text),
	    "%s: blocks offered ahead close the windows of blocks added in order", name);
	TAP_OK(offered.lates == whole.lates, "%s: the same late records (%d, %d)", name,
	    offered.lates, whole.lates);

	/* After batch split - 1, with two blocks of batch split offered
	 * already, the save is that of a run offered nothing more. */
	run_offer(busy, 0, split, 0, plain, 1, 1, &first);
	TAP_OK(outstanding == 2, "%s: the blocks of batch %d wait (%d)", name, split, outstanding);
	TAP_OK(evtime_save(busy, &saved) == 0, "%s: saved after batch %d (%zu bytes)", name,
	    split - 1, saved.len);
	saved_lates = first.lates;
	run_offer(quiet, 0, split, 0, plain, 0, 1, &calm);
	TAP_OK(evtime_save(quiet, &saved_calm) == 0 && same(&saved, &saved_calm),
	    "%s: the save leaves out the blocks of batch %d offered ahead", name, split);
	TAP_OK(strcmp(strbuf_str(&first.text), strbuf_str(&calm.text)) == 0 &&
	    first.lates == calm.lates, "%s: and they closed nothing, and were not late yet", name);

	/* The job goes on from there: the windows of the whole run (the
	 * blocks offered ahead count their late records in first). */
	{
		struct eval ev = { 0 };
		ev.ctx.arena = arena_new(0);
		evtime_through(busy, (uint64_t)split, &ev);
		TAP_OK(outstanding == 0, "%s: letting batch %d in adds its waiting blocks", name,
		    split);
		/* Its first two blocks are in: offer the third, then go on. */
		offer(busy, split, 2, (uint64_t)split * BLOCKS + 2, plain, &went_on);
		evtime_through(busy, (uint64_t)split, &ev);
		close_batch(busy, split, &went_on);
		evtime_through(busy, (uint64_t)split + 1, &ev);
		run_offer(busy, split + 1, NBATCHES, (uint64_t)(split + 1) * BLOCKS, plain, 1, 0,
		    &went_on);
		strbuf_adds(&tail, strbuf_str(&first.text));
		strbuf_adds(&tail, strbuf_str(&went_on.text));
		TAP_STR(strbuf_str(&tail), strbuf_str(&whole.text),
		    "%s: saved and going on, the windows of the whole run", name);
		TAP_OK(first.lates + went_on.lates == whole.lates,
		    "%s: and the same late records (%d + %d)", name, first.lates, went_on.lates);
		strbuf_reset(&tail);
		arena_free(ev.ctx.arena);
	}

	/* Cut or garbled bytes are refused, and back stays as it was (empty). */
	struct strbuf back_before = STRBUF_INIT, back_after = STRBUF_INIT;
	evtime_save(back, &back_before);
	TAP_OK(evtime_restore(back, saved.data, saved.len - 1) == -1,
	    "%s: a cut save is refused", name);
	char *bad = malloc(saved.len);
	memcpy(bad, saved.data, saved.len);
	bad[saved.len - 3] ^= 0x55;
	bad[strlen("streamjob-evtime-2\n") + 2] ^= 0x7f;
	TAP_OK(evtime_restore(back, bad, saved.len) == -1, "%s: a garbled save is refused", name);
	free(bad);
	evtime_save(back, &back_after);
	TAP_OK(same(&back_after, &back_before),
	    "%s: the refused saves left the window as it was", name);
	strbuf_release(&back_before);
	strbuf_release(&back_after);

	/* Restored in a new process: blocks numbered from 0 again, the
	 * batches after the save offered as before; the windows and late
	 * records are those of the run that never stopped. */
	TAP_OK(evtime_restore(back, saved.data, saved.len) == 0, "%s: restored", name);
	run_offer(back, split, NBATCHES, 0, plain, 1, 0, &after);
	strbuf_adds(&tail, strbuf_str(&first.text));
	strbuf_adds(&tail, strbuf_str(&after.text));
	TAP_STR(strbuf_str(&tail), strbuf_str(&whole.text),
	    "%s: restored, the later windows are the original's", name);
	TAP_OK(saved_lates + after.lates == whole.lates, "%s: and the same late records (%d + %d)",
	    name, saved_lates, after.lates);
	TAP_OK(outstanding == 0, "%s: every offered block was handed back", name);

	evtime_free(ref);
	evtime_free(live);
	evtime_free(busy);
	evtime_free(quiet);
	evtime_free(back);
	strbuf_release(&whole.text);
	strbuf_release(&offered.text);
	strbuf_release(&first.text);
	strbuf_release(&calm.text);
	strbuf_release(&after.text);
	strbuf_release(&went_on.text);
	strbuf_release(&saved);
	strbuf_release(&saved_calm);
	strbuf_release(&tail);
}

/* A block of the batch let in that waits for an earlier one: no save
 * yet, and no restore into it; once the earlier one comes, both are in. */
static void
waiting(void)
{
	struct evtime *e = evtime_of("batch 1s\nbatches([]) | timestamp 0 | window 4s slide 2s"
	    " | reduceByKey sum | stdout");
	struct evtime *other = evtime_of("batch 1s\nbatches([]) | timestamp 0 | window 4s slide 2s"
	    " | reduceByKey sum | stdout");
	struct log log = { STRBUF_INIT, 0 };
	struct strbuf sb = STRBUF_INIT, sb2 = STRBUF_INIT;

	if (e == NULL || other == NULL) {
		TAP_OK(0, "a waiting block: the script compiles");
		return;
	}
	offer(e, 0, 1, 1, 0, &log);
	TAP_OK(evtime_save(e, &sb) == -1 && sb.len == 0,
	    "a block waiting for an earlier one of its batch: not saved");
	TAP_OK(evtime_save(other, &sb2) == 0 && evtime_restore(e, sb2.data, sb2.len) == -1,
	    "nor restored into");
	offer(e, 0, 0, 0, 0, &log);
	TAP_OK(outstanding == 0 && evtime_save(e, &sb) == 0, "the earlier one came: both in, saved");
	evtime_free(e);
	evtime_free(other);
	strbuf_release(&log.text);
	strbuf_release(&sb);
	strbuf_release(&sb2);
}

int
main(void)
{
	scratch = arena_new(0);
	round_trip("sum", "batch 1s\n"
	    "batches([]) | timestamp 0 lateness 1s | window 4s slide 2s | reduceByKey sum | stdout", 0);
	round_trip("avg", "batch 1s\n"
	    "batches([]) | timestamp 0 lateness 1s | window 4s slide 2s | reduceByKey avg | stdout", 0);
	round_trip("count", "batch 1s\n"
	    "batches([]) | timestamp 0 lateness 1s | window 2s | count | stdout", 0);
	round_trip("plain", "batch 1s\n"
	    "batches([]) | timestamp 0 lateness 2s | window 4s slide 2s | stdout", 1);
	waiting();

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
	arena_free(scratch);
	return tap_done();
}
