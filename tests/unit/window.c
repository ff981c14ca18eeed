/*
 * window.c: unit tests of saving and restoring windows.  For an
 * incremental reducer (sum, count over the whole batch, and avg whose
 * running value is a (sum, count) of doubles), a reducer combined from per-batch partials (min) and a plain
 * window, a window saved after a few batches and restored into a fresh
 * one must give the same results as the original over the batches after,
 * including the one where a key's last batch leaves; bytes of another
 * shape, cut or garbled, are refused and change nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "lang/diag.h"
#include "lang/plan.h"
#include "runtime/eval.h"
#include "runtime/window.h"
#include "stdlib/arena.h"
#include "stdlib/strbuf.h"
#include "tap.h"
#include "util.h"

enum kind { K_SUM, K_AVG, K_MIN, K_COUNT, K_PLAIN };

/* A window as the executor builds it for the script's windowed stage. */
static struct window *
window_of(const char *text, struct plan **pp)
{
	struct job_options jo = { 0 };
	struct plan *p = unit_compile(text);
	struct window *w = NULL;

	*pp = p;
	for (int i = 0; p != NULL && i < p->nnodes; i++) {
		struct node *n = p->nodes[i];
		struct node *wn = n->window != NULL ? n : NULL;
		if (wn == NULL && n->op == OP_WINDOW && !(n->noutputs == 1 && n->outputs[0]->window == n))
			wn = n;
		if (wn == NULL)
			continue;
		struct node *win = n->window != NULL ? n->window : n;
		int slots = (int)(win->stage->args[0].i / p->settings.batch_ms);
		w = window_new(n->window != NULL ? n : NULL, slots,
		    n->window != NULL ? n->wplan : WPLAN_NONE);
		if (n->window != NULL)
			eval_prepare(n->stage->args[0].e, &jo, NULL, NULL);
	}
	return w;
}

/* Batch k's partial results: a every batch, b every other, c once. */
static size_t
batch_items(enum kind kind, int k, struct arena *a, struct value *out)
{
	size_t n = 0;
	struct value ka = value_str("a", 1), kb = value_str("b", 1), kc = value_str("c", 1);

	switch (kind) {
	case K_COUNT:
		out[n++] = value_int(k + 1);	/* a batch's count */
		return n;
	case K_PLAIN:
		out[n++] = value_int(k);
		if (k == 1)
			out[n++] = value_str("once", 4);
		return n;
	case K_AVG:
		out[n++] = value_pair(a, ka, value_pair(a, value_float(k + 0.1), value_int(1)));
		if (k % 2 == 0)
			out[n++] = value_pair(a, kb, value_pair(a, value_float(2.0 * k), value_int(2)));
		if (k == 1)
			out[n++] = value_pair(a, kc, value_pair(a, value_float(10), value_int(1)));
		return n;
	default:
		out[n++] = value_pair(a, ka, value_int(k + 1));
		if (k % 2 == 0)
			out[n++] = value_pair(a, kb, value_int(2 * k));
		if (k == 1)
			out[n++] = value_pair(a, kc, value_int(10));
		return n;
	}
}

/* The window's result as sorted text. */
static char *
result(struct window *w, struct eval *ev, struct arena *a)
{
	struct value *out;
	int64_t errors = 0;
	size_t n = window_result(w, ev, a, &out, &errors);
	struct strbuf sb = STRBUF_INIT;
	char *text = unit_sorted_print(out, n);

	strbuf_adds(&sb, text);
	free(text);
	free(out);
	if (errors > 0)
		strbuf_adds(&sb, " (errors)");
	return strbuf_detach(&sb);
}

static void
feed(struct window *w, struct eval *ev, enum kind kind, int k, struct arena *a)
{
	struct value items[4];
	size_t n = batch_items(kind, k, a, items);
	int64_t errors = 0;

	window_add(w, ev, items, n, &errors);
}

/*
 * Feed batches 0 and 1, save, restore into a fresh window, then feed both
 * batches 2..7 and compare after each; the last result must be want.
 */
static void
round_trip(const char *what, const char *script, enum kind kind, const char *want)
{
	struct arena *a = arena_new(0);
	struct eval ev = { 0 };
	struct plan *p, *p2;
	struct window *w = window_of(script, &p), *w2 = window_of(script, &p2);
	struct strbuf saved = STRBUF_INIT;
	int same = 1;
	char *last = NULL;

	ev.ctx.arena = a;
	TAP_OK(w != NULL && w2 != NULL, "%s: the script has a window", what);
	if (w == NULL || w2 == NULL)
		return;
	feed(w, &ev, kind, 0, a);
	feed(w, &ev, kind, 1, a);
	window_save(w, &saved);
	TAP_OK(window_restore(w2, saved.data, saved.len) == 0, "%s: a saved window restores", what);
	char *g1 = result(w, &ev, a), *g2 = result(w2, &ev, a);
	TAP_STR(g2, g1, "%s: the restored window holds what the original does", what);
	free(g1);
	free(g2);
	for (int k = 2; k < 8; k++) {
		feed(w, &ev, kind, k, a);
		feed(w2, &ev, kind, k, a);
		g1 = result(w, &ev, a);
		g2 = result(w2, &ev, a);
		if (strcmp(g1, g2) != 0) {
			printf("# batch %d: original '%s', restored '%s'\n", k, g1, g2);
			same = 0;
		}
		free(g1);
		free(last);
		last = g2;
	}
	TAP_OK(same, "%s: restored and original agree over six later batches", what);
	TAP_STR(last, want, "%s: and the last window is right", what);
	free(last);

	/* Refused bytes leave the window as it was. */
	char *before = result(w2, &ev, a);
	TAP_OK(window_restore(w2, saved.data, saved.len - 1) == -1, "%s: a cut save is refused", what);
	TAP_OK(window_restore(w2, "streamjob-window-1\n", 19) == -1,
	    "%s: a save with nothing after its header is refused", what);
	char *after = result(w2, &ev, a);
	TAP_STR(after, before, "%s: refused bytes change nothing", what);
	free(before);
	free(after);
	/* Every byte garbled in turn: refused or taken, never a crash. */
	for (size_t i = 0; i < saved.len; i++) {
		saved.data[i] ^= 0x5a;
		if (window_restore(w2, saved.data, saved.len) == 0) {
			feed(w2, &ev, kind, 8, a);
			free(result(w2, &ev, a));
		}
		saved.data[i] ^= 0x5a;
	}
	TAP_OK(1, "%s: garbled bytes do not crash a restore", what);
	strbuf_release(&saved);
	window_free(w);
	window_free(w2);
	plan_free(p);
	plan_free(p2);
	arena_free(a);
}

/* The same 2,000 keys in every batch of an incremental avg window for 300
 * batches: the running result must not keep every old (sum, count). */
static void
steady_keys(void)
{
	struct plan *p;
	struct window *w = window_of("batches([(\"a\", 1)]) | window 3s | reduceByKey avg | print", &p);
	size_t early = 0;
	int64_t errors = 0;

	for (int b = 0; b < 300; b++) {
		struct arena *a = arena_new(0);
		struct eval ev = { 0 };
		static struct value items[2000];
		char key[16];
		ev.ctx.arena = a;
		for (int k = 0; k < 2000; k++) {
			snprintf(key, sizeof key, "k%d", k);
			items[k] = value_pair(a, value_str_copy(a, key, strlen(key)),
			    value_pair(a, value_float(b + k), value_int(1)));
		}
		window_add(w, &ev, items, 2000, &errors);
		if (b == 9)
			early = window_bytes(w);
		arena_free(a);
	}
	TAP_OK(window_bytes(w) <= 2 * early + 256 * 1024 && errors == 0,
	    "steady keys: the running result stays at %zu bytes (%zu after 10 batches)",
	    window_bytes(w), early);
	window_free(w);
	plan_free(p);
}

int
main(void)
{
	round_trip("incremental sum", "batches([(\"a\", 1)]) | window 3s | reduceByKey sum | print",
	    K_SUM, "(a,21) (b,12)");
	round_trip("incremental avg", "batches([(\"a\", 1)]) | window 3s | reduceByKey avg | print",
	    K_AVG, "(a,6.1000000000000005) (b,6.0)");	/* the running sum's rounding, kept */
	round_trip("partials min", "batches([(\"a\", 1)]) | window 3s | reduceByKey min | print",
	    K_MIN, "(a,6) (b,12)");
	round_trip("incremental count", "batches([1]) | window 3s | count | print", K_COUNT, "21");
	round_trip("plain window", "batches([1]) | window 3s | map _ | print", K_PLAIN, "5 6 7");

	/* A window of another shape is refused. */
	{
		struct plan *p3, *p4, *p5;
		struct window *w3 = window_of("batches([(\"a\", 1)]) | window 3s | reduceByKey sum | print", &p3);
		struct window *w4 = window_of("batches([(\"a\", 1)]) | window 4s | reduceByKey sum | print", &p4);
		struct window *w5 = window_of("batches([(\"a\", 1)]) | window 3s | reduceByKey max | print", &p5);
		struct strbuf sb = STRBUF_INIT;
		window_save(w3, &sb);
		TAP_OK(window_restore(w4, sb.data, sb.len) == -1, "a 3-batch window does not restore into a 4-batch one");
		TAP_OK(window_restore(w5, sb.data, sb.len) == -1, "a sum's window does not restore into a max's");
		TAP_OK(window_restore(w3, "garbage", 7) == -1, "bytes that are no saved window are refused");
		strbuf_release(&sb);
		window_free(w3);
		window_free(w4);
		window_free(w5);
		plan_free(p3);
		plan_free(p4);
		plan_free(p5);
	}
	steady_keys();
	return tap_done();
}
