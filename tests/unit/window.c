/*
 * window.c: unit tests of windows.
 *
 * A window's result is the reduce of the partials of the batches it holds:
 * the reproductions of a double that went to inf, nan, or lost a small
 * value, and of an integer overflow, give what the batches in the window
 * give, with the record left out reported; a randomized check compares
 * every window of thousands of random batch sequences -- every reducer,
 * keyed or not, integers, doubles (inf and nan too) and integers near the
 * 64-bit limit, windows of 1 to 9 batches, emitted at every batch or less
 * often, saved and restored at a random batch -- against a reduce of the
 * window's partials, oldest first.
 *
 * Saving and restoring: for an incremental reducer (sum, count over the
 * whole batch, and avg whose value is a (sum, count) of doubles), a
 * reducer combined from per-batch partials (min) and a plain window, a
 * window saved after a few batches and restored into a fresh one must
 * give the same results as the original over the batches after,
 * including the one where a key's last batch leaves -- bit for bit, for
 * doubles whose sum depends on how they are grouped, saved at every
 * position in the window; bytes of another shape, cut or garbled, are
 * refused and change nothing.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lang/diag.h"
#include "lang/plan.h"
#include "runtime/eval.h"
#include "runtime/stateful.h"
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
		if (n->window != NULL) {
			eval_prepare(n->stage->args[0].e, &jo, NULL, NULL);
			for (int j = 0; j < 5; j++)	/* inverse */
				if (n->stage->clauses[j].e != NULL)
					eval_prepare(n->stage->clauses[j].e, &jo, NULL, NULL);
		}
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

/* A window_report_fn that counts the records reported. */
static void
count_report(void *arg, const char *reason, struct value record)
{
	(void)reason;
	(void)record;
	(*(int64_t *)arg)++;
}

/* The window's result as sorted text. */
static char *
result(struct window *w, struct eval *ev, struct arena *a)
{
	struct value *out;
	int64_t errors = 0;
	size_t n = window_result(w, ev, a, &out, count_report, &errors);
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

	window_add(w, ev, items, n);
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
	TAP_OK(window_restore(w2, &ev, saved.data, saved.len) == 0, "%s: a saved window restores", what);
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
	TAP_OK(window_restore(w2, &ev, saved.data, saved.len - 1) == -1, "%s: a cut save is refused", what);
	TAP_OK(window_restore(w2, &ev, "streamjob-window-2\n", 19) == -1,
	    "%s: a save with nothing after its header is refused", what);
	char *after = result(w2, &ev, a);
	TAP_STR(after, before, "%s: refused bytes change nothing", what);
	free(before);
	free(after);
	/* Every byte garbled in turn: refused or taken, never a crash. */
	for (size_t i = 0; i < saved.len; i++) {
		saved.data[i] ^= 0x5a;
		if (window_restore(w2, &ev, saved.data, saved.len) == 0) {
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
		window_add(w, &ev, items, 2000);
		if (b == 9)
			early = window_bytes(w);
		arena_free(a);
	}
	TAP_OK(window_bytes(w) <= 2 * early + 256 * 1024,
	    "steady keys: the running result stays at %zu bytes (%zu after 10 batches)",
	    window_bytes(w), early);
	window_free(w);
	plan_free(p);
}

/* ---- the reproductions ---- */

/* A window_report_fn that lists the records reported, as JSON, each
 * followed by ";". */
static void
list_report(void *arg, const char *reason, struct value record)
{
	(void)reason;
	value_format_json(arg, record);
	strbuf_addc(arg, ';');
}

/*
 * Feed the window of script one batch of values each (each a (1, v) pair
 * when keyed), and check the result after every batch: want lists them,
 * "|" between batches, as "RESULT" or "RESULT!RECORDS" when records are
 * reported.
 */
static void
replay(const char *what, const char *script, int keyed, const struct value *vals, int n,
    const char *want)
{
	struct plan *p;
	struct window *w = window_of(script, &p);
	struct arena *a = arena_new(0);
	struct eval ev = { 0 };
	struct strbuf got = STRBUF_INIT;

	ev.ctx.arena = a;
	for (int i = 0; i < n; i++) {
		struct value item = keyed ? value_pair(a, value_int(1), vals[i]) : vals[i];
		struct strbuf rep = STRBUF_INIT;
		struct value *out;
		window_add(w, &ev, &item, 1);
		size_t m = window_result(w, &ev, a, &out, list_report, &rep);
		char *text = unit_sorted_print(out, m);
		strbuf_addf(&got, "%s%s", i ? "|" : "", text);
		if (rep.len > 0)
			strbuf_addf(&got, "!%s", rep.data);
		free(text);
		free(out);
		strbuf_release(&rep);
	}
	TAP_STR(got.data, want, "%s", what);
	strbuf_release(&got);
	window_free(w);
	plan_free(p);
	arena_free(a);
}

static void
reproductions(void)
{
	struct arena *a = arena_new(0);
	struct value inf[] = { value_float(1e308), value_float(1e308), value_float(1.0),
		value_float(2.0), value_float(4.0) };
	struct value small[] = { value_float(1e16), value_float(1.0), value_float(2.0) };
	struct value nan[] = { value_float(1e308 * 10), value_float(-1e308 * 10), value_float(1.5),
		value_float(2.5) };
	struct value big[] = { value_int(INT64_MAX), value_int(1), value_int(2), value_int(3) };
	struct value avg[5];

	for (int i = 0; i < 5; i++)
		avg[i] = value_pair(a, inf[i], value_int(1));
	replay("inf leaves a sum's window with its batch",
	    "batches([(1, 1.0)]) | window 2s | reduceByKey sum | print", 1, inf, 5,
	    "(1,1e+308)|(1,inf)|(1,1e+308)|(1,3.0)|(1,6.0)");
	replay("inf leaves reduce sum's window with its batch",
	    "batches([1.0]) | window 2s | reduce sum | print", 0, inf, 5,
	    "1e+308|inf|1e+308|3.0|6.0");
	replay("inf leaves avg's window with its batch",
	    "batches([(1, 1.0)]) | window 2s | reduceByKey avg | print", 1, avg, 5,
	    "(1,1e+308)|(1,inf)|(1,5e+307)|(1,1.5)|(1,3.0)");
	replay("inf leaves a lambda's window with its batch",
	    "batches([(1, 1.0)]) | window 2s | reduceByKey (a, b) => a + b | print", 1, inf, 5,
	    "(1,1e+308)|(1,inf)|(1,1e+308)|(1,3.0)|(1,6.0)");
	replay("a value lost beside 1e16 is back when 1e16 leaves",
	    "batches([(1, 1.0)]) | window 2s | reduceByKey sum | print", 1, small, 3,
	    "(1,1e+16)|(1,1e+16)|(1,3.0)");
	replay("nan leaves a window with its batches",
	    "batches([1.0]) | window 2s | reduce sum | print", 0, nan, 4,
	    "inf|nan|-inf|4.0");
	replay("an integer overflow: the record reported, the next window right",
	    "batches([(1, 1)]) | window 2s | reduceByKey sum | print", 1, big, 3,
	    "(1,9223372036854775807)|(1,9223372036854775807)![1,1];|(1,3)");
	replay("an integer overflow with a lambda reducer: the same",
	    "batches([(1, 1)]) | window 2s | reduceByKey (a, b) => a + b | print", 1, big, 3,
	    "(1,9223372036854775807)|(1,9223372036854775807)![1,1];|(1,3)");
	replay("an integer overflow with a lambda and its inverse: the same",
	    "batches([(1, 1)]) | window 2s | reduceByKey (a, b) => a + b inverse (a, b) => a - b | print",
	    1, big, 3, "(1,9223372036854775807)|(1,9223372036854775807)![1,1];|(1,3)");
	replay("an integer overflow in a 3-batch reduce sum: each window reports its own",
	    "batches([1]) | window 3s | reduce sum | print", 0, big, 4,
	    "9223372036854775807|9223372036854775807!1;|9223372036854775807!1;2;|6");
	arena_free(a);
}

/* ---- randomized: every window against a reduce of its partials ---- */

enum vclass { V_SMALL, V_QUARTER, V_BIG };

struct reducer_case {
	const char *name;		/* in the script */
	enum reducer_kind naive;	/* how the reference combines */
	int lambda;			/* a lambda: sum's combining, its errors */
	int inverse;			/* a lambda with inverse */
};

static const struct reducer_case reducers[] = {
	{ "sum", REDUCER_SUM, 0, 0 },
	{ "avg", REDUCER_AVG, 0, 0 },
	{ "min", REDUCER_MIN, 0, 0 },
	{ "max", REDUCER_MAX, 0, 0 },
	{ "first", REDUCER_FIRST, 0, 0 },
	{ "last", REDUCER_LAST, 0, 0 },
	{ "count", REDUCER_COUNT, 0, 0 },
	{ "(a, b) => a + b", REDUCER_SUM, 1, 0 },
	{ "(a, b) => a + b inverse (a, b) => a - b", REDUCER_SUM, 1, 1 },
};

static uint64_t rnd_state = 20261203;

static uint32_t
rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % n);
}

/* The reference's a then b: -1 for an integer overflow. */
static int
naive_combine(enum reducer_kind r, struct arena *a, struct value x, struct value y,
    struct value *out)
{
	int64_t i;

	switch (r) {
	case REDUCER_SUM:
	case REDUCER_COUNT:
		if (x.type == VT_INT && y.type == VT_INT) {
			if (__builtin_add_overflow(x.u.i, y.u.i, &i))
				return -1;
			*out = value_int(i);
		} else
			*out = value_float(value_as_double(x) + value_as_double(y));
		return 0;
	case REDUCER_AVG:
		*out = value_pair(a, value_float(x.u.items[0].u.d + y.u.items[0].u.d),
		    value_int(x.u.items[1].u.i + y.u.items[1].u.i));
		return 0;
	case REDUCER_MIN:
		*out = value_compare(y, x) < 0 ? y : x;
		return 0;
	case REDUCER_MAX:
		*out = value_compare(y, x) > 0 ? y : x;
		return 0;
	case REDUCER_FIRST:
		*out = x;
		return 0;
	default:
		*out = y;
		return 0;
	}
}

/* A random partial of class c for reducer rc (count's are counts). */
static struct value
random_partial(const struct reducer_case *rc, enum vclass c, struct arena *a, int keyed)
{
	static const double special[] = { 1e308 * 10, -1e308 * 10, NAN };
	struct value v;

	if (rc->naive == REDUCER_COUNT)
		return value_int((int64_t)rnd(6) + (keyed ? 1 : 0));
	switch (c) {
	case V_BIG: {
		static const int64_t big[] = { INT64_MAX, INT64_MIN, INT64_MAX - 2, INT64_MIN + 3,
			(int64_t)1 << 62, -((int64_t)1 << 62), 5, -7 };
		v = value_int(big[rnd(8)]);
		break;
	}
	case V_QUARTER:
		if (rnd(12) == 0)
			v = value_float(special[rnd(3)]);
		else if (rnd(4) == 0 && rc->naive != REDUCER_AVG)
			v = value_int((int64_t)rnd(41) - 20);
		else
			v = value_float(((double)rnd(81) - 40) / 4);
		break;
	default:
		v = value_int((int64_t)rnd(41) - 20);
		break;
	}
	if (rc->naive == REDUCER_AVG)
		return value_pair(a, value_float(value_as_double(v)), value_int((int64_t)rnd(3) + 1));
	return v;
}

static const char *const key_names[] = { "k0", "k1", "k2", "k3" };

/* The reference's window value of one key, and the records it left out. */
static void
naive_key(const struct reducer_case *rc, struct arena *a, struct value key, int keyed,
    const struct value *parts, int n, struct strbuf *text, struct strbuf *reports,
    struct strbuf *exact)
{
	struct value acc = parts[0], out;
	__int128 sum = parts[0].type == VT_INT ? parts[0].u.i : 0;
	int ints = parts[0].type == VT_INT;

	for (int i = 1; i < n; i++) {
		ints = ints && parts[i].type == VT_INT;
		if (ints)
			sum += parts[i].u.i;
		if (naive_combine(rc->naive, a, acc, parts[i], &out) == 0) {
			acc = out;
			continue;
		}
		value_format_json(reports, keyed ? value_pair(a, key, parts[i]) : parts[i]);
		strbuf_addc(reports, ';');
	}
	if (rc->naive == REDUCER_AVG)
		acc = value_float(acc.u.items[0].u.d / (double)acc.u.items[1].u.i);
	value_format_print(text, keyed ? value_pair(a, key, acc) : acc);
	/* An overflow on the way need not be one in the window's sum. */
	if (ints && sum >= INT64_MIN && sum <= INT64_MAX) {
		struct value v = value_int((int64_t)sum);
		value_format_print(exact, keyed ? value_pair(a, key, v) : v);
	}
}

/* One random case: returns 1 when every window matched. */
static int
random_case(int num)
{
	const struct reducer_case *rc = &reducers[rnd(sizeof reducers / sizeof reducers[0])];
	int kind = rnd(3);		/* 0 reduceByKey, 1 reduce (count: count, countByValue) */
	enum vclass c = (enum vclass)rnd(3);
	int len = (int)rnd(9) + 1, slide = (int)rnd(3) + 1, nbatches = (int)rnd(30) + 1;
	int restore_at = (int)rnd((uint32_t)nbatches + 1), keyed, nkeys;
	char script[256];
	struct arena *a = arena_new(0);
	struct eval ev = { 0 };
	struct plan *p;
	int ok = 1;

	if (c == V_BIG && !(rc->naive == REDUCER_SUM))
		c = V_SMALL;
	if (c == V_QUARTER && rc->inverse)
		c = V_SMALL;	/* an inverse lambda is as exact as the script makes it */
	if (rc->naive == REDUCER_COUNT && !rc->lambda && kind != 0) {
		snprintf(script, sizeof script, "batches([1]) | window %ds | %s | print", len,
		    kind == 1 ? "count" : "countByValue");
		keyed = kind == 2;
	} else if (kind == 1) {
		snprintf(script, sizeof script, "batches([1]) | window %ds | reduce %s | print",
		    len, rc->name);
		keyed = 0;
	} else {
		snprintf(script, sizeof script,
		    "batches([(\"a\", 1)]) | window %ds | reduceByKey %s | print", len, rc->name);
		keyed = 1;
	}
	nkeys = keyed && c != V_BIG ? (int)rnd(4) + 1 : 1;
	int count_op = rc->naive == REDUCER_COUNT && !keyed && kind == 1;

	struct window *w = window_of(script, &p);
	ev.ctx.arena = a;
	/* batches[b][k]: key k's partial in batch b, or null */
	struct value (*batches)[4] = calloc((size_t)nbatches, sizeof *batches);
	for (int b = 0; b < nbatches && ok; b++) {
		struct value items[4];
		size_t n = 0;
		for (int k = 0; k < nkeys; k++) {
			batches[b][k] = value_null();
			if (count_op || rnd(10) < 6) {
				struct value v = random_partial(rc, c, a, keyed);
				batches[b][k] = v;
				items[n++] = keyed ? value_pair(a, value_str(key_names[k], 2), v) : v;
			}
		}
		if (b == restore_at) {
			/* continue in a window restored from this one's bytes */
			struct strbuf saved = STRBUF_INIT;
			struct plan *p2;
			struct window *w2 = window_of(script, &p2);
			window_save(w, &saved);
			if (window_restore(w2, &ev, saved.data, saved.len) != 0) {
				printf("# case %d: the restore was refused\n", num);
				ok = 0;
			}
			strbuf_release(&saved);
			window_free(w);
			plan_free(p);
			w = w2;
			p = p2;
		}
		window_add(w, &ev, items, n);
		if ((b + 1) % slide != 0)
			continue;

		struct strbuf rep = STRBUF_INIT, want_rep = STRBUF_INIT, exact = STRBUF_INIT;
		struct value *out, want[4];
		size_t m = window_result(w, &ev, a, &out, list_report, &rep), nwant = 0;
		char *got = unit_sorted_print(out, m);
		free(out);
		int first = b - len + 1 < 0 ? 0 : b - len + 1;
		for (int k = 0; k < nkeys; k++) {
			struct value parts[40];
			int np = 0;
			for (int i = first; i <= b; i++)
				if (batches[i][k].type != VT_NULL)
					parts[np++] = batches[i][k];
			if (np == 0)
				continue;
			struct strbuf t = STRBUF_INIT;
			naive_key(rc, a, value_str(key_names[k], 2), keyed, parts, np, &t,
			    &want_rep, &exact);
			want[nwant++] = value_str_copy(a, t.data, t.len);
			strbuf_release(&t);
		}
		if (nwant == 0 && count_op)
			want[nwant++] = value_str("0", 1);
		char *wtext = unit_sorted_print(want, nwant);
		/* the print form of a string shows it as it is */
		int same = strcmp(got, wtext) == 0 && strcmp(rep.len ? rep.data : "",
		    want_rep.len ? want_rep.data : "") == 0;
		/* or, where the reduce oldest first overflowed, the window's exact sum */
		if (!same && want_rep.len > 0 && exact.len > 0 && rep.len == 0)
			same = strcmp(got, exact.data) == 0;
		if (!same) {
			printf("# case %d (%s, %d batches of %d, slide %d, batch %d): got '%s' [%s], want '%s' [%s]\n",
			    num, script, nbatches, len, slide, b, got, rep.len ? rep.data : "", wtext,
			    want_rep.len ? want_rep.data : "");
			ok = 0;
		}
		free(got);
		free(wtext);
		strbuf_release(&rep);
		strbuf_release(&want_rep);
		strbuf_release(&exact);
	}
	free(batches);
	window_free(w);
	plan_free(p);
	arena_free(a);
	return ok;
}

static void
randomized(void)
{
	int bad = 0;

	for (int i = 0; i < 4000 && bad < 5; i++)
		bad += !random_case(i);
	TAP_OK(bad == 0, "randomized: 4000 random windows agree with a reduce of their batches");
}

/*
 * Doubles whose sum depends on how they are grouped (1e16 and small
 * values): a window saved at any batch and restored gives what the
 * original gives, bit for bit, over the next 20 batches.
 */
static void
restore_every_phase(void)
{
	static const double vals[] = { 1e16, 1.0, 3.0, 0.5, -1e16, 7.0 };
	const char *script = "batches([(\"a\", 1)]) | window 5s | reduceByKey sum | print";
	int same = 1;

	for (int at = 0; at < 12; at++) {
		struct arena *a = arena_new(0);
		struct eval ev = { 0 };
		struct plan *p, *p2;
		struct window *w = window_of(script, &p), *w2 = window_of(script, &p2);
		struct strbuf saved = STRBUF_INIT;

		ev.ctx.arena = a;
		for (int b = 0; b < at + 20; b++) {
			struct value item = value_pair(a, value_str("a", 1),
			    value_float(vals[(b * 7 + b / 3) % 6]));
			if (b == at) {
				window_save(w, &saved);
				if (window_restore(w2, &ev, saved.data, saved.len) != 0)
					same = 0;
			}
			window_add(w, &ev, &item, 1);
			if (b < at)
				continue;
			window_add(w2, &ev, &item, 1);
			char *g1 = result(w, &ev, a), *g2 = result(w2, &ev, a);
			if (strcmp(g1, g2) != 0) {
				printf("# saved at %d, batch %d: original '%s', restored '%s'\n", at, b, g1, g2);
				same = 0;
			}
			free(g1);
			free(g2);
		}
		strbuf_release(&saved);
		window_free(w);
		window_free(w2);
		plan_free(p);
		plan_free(p2);
		arena_free(a);
	}
	TAP_OK(same, "a window restored at any batch gives the original's sums bit for bit");
}

/* Batch k of a 100-batch window: 100 keys of its own and one shared. */
static void
feed_keys(struct window *w, struct eval *ev, int k, struct arena *a)
{
	struct value items[101];
	char key[24];

	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof key, "b%d-k%d", k, i);
		items[i] = value_pair(a, value_str_copy(a, key, strlen(key)), value_int(i + k));
	}
	items[100] = value_pair(a, value_str("all", 3), value_int(k));
	window_add(w, ev, items, 101);
}

/*
 * Through the interface a checkpoint walks: a window of 100 batches saved
 * whole and restored, then a batch later (1% of what it holds changed),
 * its changes are about 1% of a whole save and, applied to the restored
 * window, give the original's results; a window that moved on by more
 * than it holds saves itself whole; changes that do not follow the
 * window are refused.
 */
static void
incremental(void)
{
	const struct stateful_ops *ops = &window_stateful;
	const char *script = "batches([(\"a\", 1)]) | window 100s | reduceByKey sum | print";
	struct arena *a = arena_new(0);
	struct eval ev = { 0 };
	struct plan *p, *p2;
	struct window *w = window_of(script, &p), *w2 = window_of(script, &p2);
	struct strbuf full = STRBUF_INIT, changes = STRBUF_INIT;
	char *g1, *g2;
	int k;

	ev.ctx.arena = a;
	for (k = 0; k < 120; k++)
		feed_keys(w, &ev, k, a);
	TAP_OK(ops->save_full(w, &full) == 0 && ops->restore(w2, &ev, full.data, full.len) == 0,
	    "stateful window: a whole save restores");
	TAP_OK(ops->keys(w) == 10001 && ops->keys(w2) == 10001 && ops->bytes(w) > 0,
	    "stateful window: 10001 keys either way, in %zu bytes", ops->bytes(w));
	feed_keys(w, &ev, k++, a);
	ops->save_changes(w, &changes);
	TAP_OK(changes.len * 50 < full.len && changes.len > 100 * 5,
	    "stateful window: a batch's changes take %zu bytes, the whole %zu", changes.len,
	    full.len);
	TAP_OK(ops->restore(w2, &ev, changes.data, changes.len) == 0,
	    "stateful window: the changes apply");
	g1 = result(w, &ev, a);
	g2 = result(w2, &ev, a);
	TAP_STR(g2, g1, "stateful window: and give the original's result");
	free(g1);
	free(g2);
	TAP_OK(ops->restore(w2, &ev, changes.data, changes.len) == -1,
	    "stateful window: changes applied twice are refused");
	/* Three batches, saved as changes, then one more: both apply in order. */
	for (int j = 0; j < 3; j++)
		feed_keys(w, &ev, k++, a);
	strbuf_reset(&changes);
	ops->save_changes(w, &changes);
	feed_keys(w, &ev, k++, a);
	struct strbuf next = STRBUF_INIT;
	ops->save_changes(w, &next);
	TAP_OK(ops->restore(w2, &ev, next.data, next.len) == -1,
	    "stateful window: changes out of order are refused");
	TAP_OK(ops->restore(w2, &ev, changes.data, changes.len) == 0 &&
	    ops->restore(w2, &ev, next.data, next.len) == 0,
	    "stateful window: changes in order apply");
	g1 = result(w, &ev, a);
	g2 = result(w2, &ev, a);
	TAP_STR(g2, g1, "stateful window: and give the original's result again");
	free(g1);
	free(g2);
	/* Moved on by more than it holds: the changes are the whole. */
	for (int j = 0; j < 101; j++)
		feed_keys(w, &ev, k++, a);
	strbuf_reset(&changes);
	ops->save_changes(w, &changes);
	TAP_OK(changes.len > full.len / 2 && ops->restore(w2, &ev, changes.data, changes.len) == 0,
	    "stateful window: after more batches than it holds, the whole is saved (%zu bytes)",
	    changes.len);
	g1 = result(w, &ev, a);
	g2 = result(w2, &ev, a);
	TAP_STR(g2, g1, "stateful window: and restores");
	free(g1);
	free(g2);
	strbuf_release(&full);
	strbuf_release(&changes);
	strbuf_release(&next);
	window_free(w);
	window_free(w2);
	plan_free(p);
	plan_free(p2);
	arena_free(a);
}

int
main(void)
{
	round_trip("incremental sum", "batches([(\"a\", 1)]) | window 3s | reduceByKey sum | print",
	    K_SUM, "(a,21) (b,12)");
	round_trip("incremental avg", "batches([(\"a\", 1)]) | window 3s | reduceByKey avg | print",
	    K_AVG, "(a,6.099999999999999) (b,6.0)");	/* (5.1 + 6.1) + 7.1, rounded */
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
		TAP_OK(window_restore(w4, NULL, sb.data, sb.len) == -1, "a 3-batch window does not restore into a 4-batch one");
		TAP_OK(window_restore(w5, NULL, sb.data, sb.len) == -1, "a sum's window does not restore into a max's");
		TAP_OK(window_restore(w3, NULL, "garbage", 7) == -1, "bytes that are no saved window are refused");
		strbuf_release(&sb);
		window_free(w3);
		window_free(w4);
		window_free(w5);
		plan_free(p3);
		plan_free(p4);
		plan_free(p5);
	}
	steady_keys();
	reproductions();
	randomized();
	restore_every_phase();
	incremental();
	return tap_done();
}
