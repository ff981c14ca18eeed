/*
 * state.c: unit tests of per-key state: updates, deletion by null,
 * timeouts on batch time, and the save -> restore round trip that
 * checkpoints will rely on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/diag.h"
#include "lang/plan.h"
#include "runtime/eval.h"
#include "runtime/state.h"
#include "runtime/stateful.h"
#include "stdlib/arena.h"
#include "stdlib/strbuf.h"
#include "tap.h"
#include "util.h"

static struct plan *
compile(const char *text, struct node **state)
{
	struct job_options jo = { 0 };
	struct plan *p = unit_compile(text);

	*state = NULL;
	for (int i = 0; p != NULL && i < p->nnodes; i++)
		if (p->nodes[i]->op == OP_STATE)
			*state = p->nodes[i];
	if (*state != NULL)
		eval_prepare((*state)->stage->args[0].e, &jo, NULL, NULL);
	return p;
}

/* Records whose fold failed are counted. */
static void
count_error(void *arg, const char *reason, struct value record)
{
	(void)reason;
	(void)record;
	(*(int64_t *)arg)++;
}

/* The emitted pairs as sorted text, one per line. */
static char *
emitted(struct state *s, struct arena *a, int final)
{
	struct value *out;
	size_t n = 0;
	struct value *part;

	out = NULL;
	for (int p = 0; p < state_nparts(s); p++) {
		size_t k = state_emit(s, p, a, final, &part);
		out = realloc(out, (n + k + 1) * sizeof *out);
		memcpy(out + n, part, k * sizeof *out);
		n += k;
		free(part);
	}
	char *text = unit_sorted_print(out, n);

	free(out);
	return text;
}

static struct value
pair(struct arena *a, const char *k, int64_t v)
{
	return value_pair(a, value_str(k, strlen(k)), value_int(v));
}

/* A batch into a partitioned store: each partition gets its keys, in order. */
static void
update_parts(struct state *s, struct eval *ev, int64_t now, const struct value *pairs,
    size_t n, int64_t *errors)
{
	struct value *mine = calloc(n + 1, sizeof *mine);

	for (int p = 0; p < state_nparts(s); p++) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (state_part_of(s, pairs[i].u.items[0]) == p)
				mine[k++] = pairs[i];
		state_update(s, p, ev, now, mine, k, count_error, errors);
	}
	free(mine);
}

/* Batch b of many keys: key i gets a few values, in an order that matters to last. */
static size_t
many_keys(struct arena *a, int b, struct value *out)
{
	size_t n = 0;
	char key[16];

	for (int i = 0; i < 60; i++) {
		if ((i + b) % 4 == 0)
			continue;	/* some keys miss some batches */
		snprintf(key, sizeof key, "k%d", i);
		for (int v = 0; v < 1 + (i % 3); v++)
			out[n++] = value_pair(a, value_str_copy(a, key, strlen(key)),
			    value_int((b * 100 + i * 7 + v * 13) % 97));
	}
	return n;
}

/* The same batches into stores of 1 and of several partitions, and a
 * save of one restored into another, give the same keys and values. */
static void
partitions(const char *script, const char *what)
{
	struct arena *a = arena_new(0);
	struct eval ev = { 0 };
	struct node *n;
	struct plan *p = compile(script, &n);
	struct state *one = state_new(n, 1), *three = state_new(n, 3), *two = state_new(n, 2);
	struct value batch[200];
	struct strbuf saved = STRBUF_INIT;
	int64_t errors = 0;
	int same = 1, keys = 1;

	ev.ctx.arena = a;
	for (int b = 0; b < 8; b++) {
		size_t k = many_keys(a, b, batch);
		update_parts(one, &ev, 1000 * (b + 1), batch, k, &errors);
		update_parts(three, &ev, 1000 * (b + 1), batch, k, &errors);
		if (b == 3) {
			state_save(three, &saved);
			TAP_OK(state_restore(two, saved.data, saved.len) == 0,
			    "%s: a 3-partition save restores into 2 partitions", what);
		} else if (b > 3)
			update_parts(two, &ev, 1000 * (b + 1), batch, k, &errors);
		char *g1 = emitted(one, a, 0), *g3 = emitted(three, a, 0);
		same &= strcmp(g1, g3) == 0;
		if (b >= 3) {
			char *g2 = emitted(two, a, 0);
			keys &= strcmp(g1, g2) == 0;
			free(g2);
		}
		free(g1);
		free(g3);
	}
	TAP_OK(same, "%s: 1 and 3 partitions give the same state every batch", what);
	TAP_OK(keys, "%s: and so does the store restored into 2 partitions", what);
	TAP_OK(state_keys(one) == state_keys(three) && state_keys(one) > 40,
	    "%s: with as many keys (%zu)", what, state_keys(three));
	TAP_OK(errors == 0, "%s: no record failed", what);
	state_free(one);
	state_free(two);
	state_free(three);
	strbuf_release(&saved);
	plan_free(p);
	arena_free(a);
}

/* The same 2,000 keys updated for 300 batches with values that take
 * memory (avg's (sum, count)): the store must not keep every old copy. */
static void
steady_keys(void)
{
	struct node *n;
	struct plan *p = compile("batches([(\"a\", 1)]) | state avg | print", &n);
	struct state *s = state_new(n, 1);
	size_t early = 0;
	int64_t errors = 0;

	for (int b = 0; b < 300; b++) {
		struct arena *a = arena_new(0);
		struct eval ev = { 0 };
		struct value pairs[2000];
		char key[16];
		ev.ctx.arena = a;
		for (int k = 0; k < 2000; k++) {
			snprintf(key, sizeof key, "k%d", k);
			pairs[k] = value_pair(a, value_str_copy(a, key, strlen(key)), value_float(b + k));
		}
		state_update(s, 0, &ev, (int64_t)(b + 1) * 1000, pairs, 2000, count_error, &errors);
		if (b == 9)
			early = state_bytes(s);
		arena_free(a);
	}
	TAP_OK(state_bytes(s) <= 2 * early + 256 * 1024 && errors == 0,
	    "steady keys: the store stays at %zu bytes (%zu after 10 batches), old values let go",
	    state_bytes(s), early);
	state_free(s);
	plan_free(p);
}

/* The store's (key, state) pairs, all of them, as sorted text. */
static char *
all_keys(struct state *s, struct arena *a)
{
	return emitted(s, a, 1);
}

/*
 * Through the interface a checkpoint walks: a whole save restored gives
 * the same store; then with 1% of 10,000 keys changed, a save of the
 * changes is about 1% of a whole save, and applied to the restored store
 * gives the original again -- and so with keys that timed out.
 */
static void
incremental(void)
{
	const struct stateful_ops *ops = &state_stateful;
	struct arena *a = arena_new(0);
	struct eval ev = { 0 };
	struct node *n;
	struct plan *p = compile("batches([(\"a\", 1)]) | state sum timeout 10s | print", &n);
	struct state *s = state_new(n, 3), *t = state_new(n, 2);
	struct strbuf full = STRBUF_INIT, changes = STRBUF_INIT, again = STRBUF_INIT;
	static struct value batch[10000];
	int64_t errors = 0;
	char key[16];
	char *g1, *g2;

	ev.ctx.arena = a;
	for (int k = 0; k < 10000; k++) {
		snprintf(key, sizeof key, "key%d", k);
		batch[k] = value_pair(a, value_str_copy(a, key, strlen(key)), value_int(k));
	}
	update_parts(s, &ev, 1000, batch, 10000, &errors);
	TAP_OK(ops->save_full(s, &full) == 0 && ops->restore(t, &ev, full.data, full.len) == 0,
	    "stateful: a whole save restores");
	g1 = all_keys(s, a);
	g2 = all_keys(t, a);
	TAP_STR(g2, g1, "stateful: the restored store is the original");
	free(g1);
	free(g2);
	TAP_OK(ops->keys(t) == 10000 && ops->keys(s) == 10000 && ops->bytes(s) > 0,
	    "stateful: 10000 keys either way, in %zu bytes", ops->bytes(s));

	/* 1% of the keys change. */
	for (int k = 0; k < 100; k++)
		batch[k] = value_pair(a, batch[k * 97].u.items[0], value_int(5));
	update_parts(s, &ev, 2000, batch, 100, &errors);
	TAP_OK(ops->save_changes(s, &changes) == 0, "stateful: the changes save");
	TAP_OK(changes.len * 50 < full.len && changes.len > 100 * 5,
	    "stateful: the changes of 1%% of the keys take %zu bytes, the whole %zu",
	    changes.len, full.len);
	TAP_OK(ops->restore(t, &ev, changes.data, changes.len) == 0, "stateful: the changes apply");
	g1 = all_keys(s, a);
	g2 = all_keys(t, a);
	TAP_STR(g2, g1, "stateful: and give the original back");
	free(g1);
	free(g2);

	/* No change since: nearly nothing to save, and it changes nothing. */
	strbuf_reset(&changes);
	ops->save_changes(s, &changes);
	TAP_OK(changes.len < 64 && ops->restore(t, &ev, changes.data, changes.len) == 0 &&
	    ops->keys(t) == 10000, "stateful: no change saves %zu bytes", changes.len);

	/* Keys that time out are changes too: all but the 100 updated at 2s,
	 * then 10 of those updated again. */
	update_parts(s, &ev, 11000, batch, 10, &errors);
	strbuf_reset(&changes);
	ops->save_changes(s, &changes);
	TAP_OK(ops->restore(t, &ev, changes.data, changes.len) == 0 && ops->keys(s) == 100 &&
	    ops->keys(t) == 100, "stateful: keys timed out go in the restored store too (%zu left)",
	    ops->keys(t));
	g1 = all_keys(s, a);
	g2 = all_keys(t, a);
	TAP_STR(g2, g1, "stateful: which is the original again");
	free(g1);
	free(g2);

	/* Cut changes are refused and change nothing. */
	update_parts(s, &ev, 12000, batch, 50, &errors);
	strbuf_reset(&changes);
	ops->save_changes(s, &changes);
	TAP_OK(ops->restore(t, &ev, changes.data, changes.len - 1) == -1,
	    "stateful: cut changes are refused");
	ops->save_full(t, &again);
	TAP_OK(again.len > 0 && ops->keys(t) == 100, "stateful: and leave the store as it was");
	TAP_OK(errors == 0, "stateful: no record failed");
	state_free(s);
	state_free(t);
	strbuf_release(&full);
	strbuf_release(&changes);
	strbuf_release(&again);
	plan_free(p);
	arena_free(a);
}

int
main(void)
{
	struct arena *a = arena_new(0);
	struct eval ev = { 0 };
	struct node *n;
	struct plan *p;
	struct state *s, *t;
	struct strbuf saved = STRBUF_INIT;
	int64_t errors = 0;
	char *got;

	ev.ctx.arena = a;

	p = compile("batches([(\"a\", 1)]) | state sum timeout 2s | print", &n);
	TAP_OK(p != NULL && n != NULL, "a state stage compiles");
	s = state_new(n, 1);
	struct value b1[] = { pair(a, "a", 1), pair(a, "b", 2), pair(a, "a", 3) };
	state_update(s, 0, &ev, 1000, b1, 3, count_error, &errors);
	TAP_STR(got = emitted(s, a, 0), "(a,4) (b,2)", "sum folds a batch's values per key");
	free(got);
	struct value b2[] = { pair(a, "a", 10) };
	state_update(s, 0, &ev, 2000, b2, 1, count_error, &errors);
	TAP_STR(got = emitted(s, a, 0), "(a,14) (b,2)", "state carries over to the next batch");
	free(got);
	state_update(s, 0, &ev, 3000, NULL, 0, count_error, &errors);
	TAP_STR(got = emitted(s, a, 0), "(a,14)", "a key not updated for the timeout goes");
	free(got);
	TAP_OK(state_keys(s) == 1, "one key left");

	state_save(s, &saved);
	t = state_new(n, 1);
	TAP_OK(state_restore(t, saved.data, saved.len) == 0, "a saved state restores");
	TAP_STR(got = emitted(t, a, 0), "(a,14)", "the restored state holds the same keys");
	free(got);
	struct value b3[] = { pair(a, "a", 1), pair(a, "c", 5) };
	state_update(s, 0, &ev, 4000, b3, 2, count_error, &errors);
	state_update(t, 0, &ev, 4000, b3, 2, count_error, &errors);
	char *g1 = emitted(s, a, 0), *g2 = emitted(t, a, 0);
	TAP_STR(g2, g1, "restored and original give the same results after more batches");
	TAP_STR(g1, "(a,15) (c,5)", "which are right");
	free(g1);
	free(g2);
	TAP_OK(state_restore(t, "garbage", 7) == -1, "bytes that are no saved state are refused");
	TAP_OK(state_restore(t, saved.data, saved.len - 3) == -1, "a cut save is refused");
	TAP_OK(errors == 0, "no record failed");
	state_free(s);
	state_free(t);
	plan_free(p);
	strbuf_release(&saved);

	p = compile("batches([(\"a\", 1)]) | state (vs, old) => if sum(vs) > 4 then null else sum(vs) + (old ?? 0) | print", &n);
	s = state_new(n, 1);
	struct value c1[] = { pair(a, "a", 1), pair(a, "b", 2) };
	state_update(s, 0, &ev, 1000, c1, 2, count_error, &errors);
	TAP_STR(got = emitted(s, a, 0), "(a,1) (b,2)", "a lambda gets the values and the old state");
	free(got);
	struct value c2[] = { pair(a, "a", 10), pair(a, "b", 1) };
	state_update(s, 0, &ev, 2000, c2, 2, count_error, &errors);
	TAP_STR(got = emitted(s, a, 0), "(b,3)", "a null result deletes the key");
	free(got);
	state_free(s);
	plan_free(p);

	p = compile("batches([(\"a\", 1)]) | state count emit final | print", &n);
	s = state_new(n, 1);
	state_update(s, 0, &ev, 1000, c1, 2, count_error, &errors);
	TAP_STR(got = emitted(s, a, 0), "", "emit final says nothing before the end");
	free(got);
	TAP_STR(got = emitted(s, a, 1), "(a,1) (b,1)", "and everything at the end");
	free(got);
	state_free(s);
	plan_free(p);

	/* avg keeps (sum, count): the mean of all values, not of the means */
	p = compile("batches([(\"a\", 1)]) | state avg timeout 2s emit changed | print", &n);
	TAP_OK(p != NULL && n != NULL, "a state avg stage compiles");
	s = state_new(n, 1);
	struct value d1[] = { pair(a, "a", 1), pair(a, "a", 2), pair(a, "b", 4) };
	state_update(s, 0, &ev, 1000, d1, 3, count_error, &errors);
	TAP_STR(got = emitted(s, a, 0), "(a,1.5) (b,4.0)", "avg gives each key's mean as a double");
	free(got);
	struct value d2[] = { pair(a, "a", 6),
	    value_pair(a, value_str("a", 1), value_str("x", 1)) };
	state_update(s, 0, &ev, 2000, d2, 2, count_error, &errors);
	TAP_STR(got = emitted(s, a, 0), "(a,3.0)", "later values weigh as much as earlier ones");
	free(got);
	TAP_OK(errors == 1, "a value that is no number is one record error");
	strbuf_release(&saved);
	state_save(s, &saved);
	t = state_new(n, 1);
	TAP_OK(state_restore(t, saved.data, saved.len) == 0, "a saved avg state restores");
	{
		/* Every byte garbled in turn: refused or taken, never a crash. */
		struct state *u = state_new(n, 2);
		struct value one[] = { pair(a, "a", 1) };
		int64_t ignored = 0;
		for (size_t i = 0; i < saved.len; i++) {
			saved.data[i] ^= 0x5a;
			if (state_restore(u, saved.data, saved.len) == 0) {
				update_parts(u, &ev, 2500, one, 1, &ignored);
				free(emitted(u, a, 1));
			}
			saved.data[i] ^= 0x5a;
		}
		state_free(u);
		TAP_OK(1, "garbled saves of an avg state do not crash a restore");
	}
	struct value d3[] = { pair(a, "a", 11), pair(a, "c", 1) };
	state_update(s, 0, &ev, 3000, d3, 2, count_error, &errors);
	state_update(t, 0, &ev, 3000, d3, 2, count_error, &errors);
	g1 = emitted(s, a, 0);
	g2 = emitted(t, a, 0);
	TAP_STR(g2, g1, "restored avg and original agree after another batch");
	TAP_STR(g1, "(a,5.0) (c,1.0)", "with the sum and count carried over, and b timed out");
	free(g1);
	free(g2);
	TAP_OK(state_keys(t) == 2, "the restored store times keys out as the original does");
	state_free(s);
	state_free(t);
	plan_free(p);

	/* A sum's save is no avg's state: its values are not (sum, count). */
	p = compile("batches([(\"a\", 1)]) | state sum | print", &n);
	s = state_new(n, 1);
	state_update(s, 0, &ev, 1000, d1, 3, count_error, &errors);
	strbuf_release(&saved);
	state_save(s, &saved);
	state_free(s);
	plan_free(p);
	p = compile("batches([(\"a\", 1)]) | state avg | print", &n);
	t = state_new(n, 1);
	TAP_OK(state_restore(t, saved.data, saved.len) == -1, "avg refuses a state whose values are no (sum, count)");
	state_free(t);
	plan_free(p);
	strbuf_release(&saved);
	arena_free(a);

	partitions("batches([(\"a\", 1)]) | state sum timeout 3s | print", "sum with a timeout");
	partitions("batches([(\"a\", 1)]) | state last emit changed | print", "last, emit changed");
	partitions("batches([(\"a\", 1)]) | state (vs, old) => (old ?? 0) * 3 + vs[0] - len(vs) | print",
	    "an order-sensitive lambda");
	steady_keys();
	incremental();
	return tap_done();
}
