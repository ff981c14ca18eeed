/*
 * ckpt_state.c: what a checkpoint of a large state costs per batch.
 *
 * A state of KEYS keys (10 million by default: integers, `state sum`) is
 * built, saved whole into a checkpoint directory (written, flushed, renamed
 * as a job does), then BATCHES batches each change PERCENT per cent of the
 * keys and save only the changes.  Printed: the whole save's bytes and
 * time, and each kind of batch's median bytes and time -- a save of
 * changes costs in proportion to the keys that changed, not to the state.
 *
 *   ckpt_state [KEYS [BATCHES]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lang/diag.h"
#include "lang/plan.h"
#include "runtime/ckpt/dir.h"
#include "runtime/ckpt/statefile.h"
#include "runtime/eval.h"
#include "runtime/state.h"
#include "stdlib/arena.h"
#include "stdlib/strbuf.h"
#include "stdlib/value.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Fold pairs (k, 1) for the n keys keys[0..n) into s at batch time t. */
static void
update(struct state *s, const int64_t *keys, size_t n, int64_t t)
{
	const size_t chunk = 1 << 20;

	for (size_t off = 0; off < n; off += chunk) {
		size_t m = n - off < chunk ? n - off : chunk;
		struct arena *a = arena_new(0);
		struct value *pairs = malloc(m * sizeof *pairs);
		struct eval ev = { 0 };

		ev.ctx.arena = a;
		for (size_t i = 0; i < m; i++)
			pairs[i] = value_pair(a, value_int(keys[off + i]), value_int(1));
		state_update(s, 0, &ev, t, pairs, m, NULL, NULL);
		free(pairs);
		arena_free(a);
	}
}

/* Save (whole or changes) and write as a checkpoint does: ms, bytes. */
static double
save(struct state *s, struct ckpt_dir *d, int whole, int k, size_t *bytes)
{
	struct strbuf sb = STRBUF_INIT;
	char name[STATEFILE_NAME_MAX], *err = NULL;
	double t0 = now_ms(), t;

	if (whole)
		state_save_full(s, &sb);
	else
		state_save_changes(s, &sb);
	statefile_name(name, 0, (uint64_t)k, whole ? 0 : 1);
	if (statefile_write(d, name, sb.data, sb.len, &err) != 0) {
		fprintf(stderr, "ckpt_state: %s\n", err);
		exit(1);
	}
	t = now_ms() - t0;
	*bytes = sb.len;
	strbuf_release(&sb);
	return t;
}

int
main(int argc, char **argv)
{
	size_t nkeys = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000000;
	int batches = argc > 2 ? atoi(argv[2]) : 9;
	const char *text = "stdin | map (_, 1) | state sum | stdout";
	struct job_options jo = { 0 };
	struct diags *dg = diags_new("bench", text, strlen(text));
	struct plan *p = plan_compile(text, strlen(text), &jo, dg);
	struct node *node = NULL;
	struct ckpt_dir *d;
	struct state *s;
	int64_t *keys;
	char dir[] = "/tmp/ckpt-state-XXXXXX", *err = NULL;
	size_t full_bytes, bytes;
	double full_ms;
	const int percents[] = { 1, 10 };

	if (p == NULL || mkdtemp(dir) == NULL)
		return 1;
	for (int i = 0; i < p->nnodes; i++)
		if (p->nodes[i]->op == OP_STATE)
			node = p->nodes[i];
	eval_prepare(node->stage->args[0].e, &jo, NULL, NULL);
	d = ckpt_dir_open(dir, 0, &err);
	if (d == NULL) {
		fprintf(stderr, "ckpt_state: %s\n", err);
		return 1;
	}
	s = state_new(node, 1);
	keys = malloc(nkeys * sizeof *keys);
	for (size_t i = 0; i < nkeys; i++)
		keys[i] = (int64_t)i;
	update(s, keys, nkeys, 1000);
	full_ms = save(s, d, 1, 1, &full_bytes);
	printf("| save | keys written | bytes | ms (median of %d) |\n| --- | ---: | ---: | ---: |\n",
	    batches);
	printf("| whole state | %zu | %zu | %.1f |\n", nkeys, full_bytes, full_ms);
	srand(7);
	for (size_t pc = 0; pc < sizeof percents / sizeof percents[0]; pc++) {
		size_t n = nkeys * (size_t)percents[pc] / 100;
		double *ms = calloc((size_t)batches, sizeof *ms);
		for (int b = 0; b < batches; b++) {
			for (size_t i = 0; i < n; i++)
				keys[i] = (int64_t)(((size_t)rand() << 16 ^ (size_t)rand()) % nkeys);
			update(s, keys, n, (int64_t)(b + 2) * 1000);
			ms[b] = save(s, d, 0, b + 2, &bytes);
		}
		qsort(ms, (size_t)batches, sizeof *ms, cmp_double);
		printf("| changes, %d%% of the keys | %zu | %zu | %.1f |\n", percents[pc], n, bytes,
		    ms[batches / 2]);
		free(ms);
	}
	free(keys);
	state_free(s);
	ckpt_dir_close(d);
	plan_free(p);
	diags_free(dg);
	{
		char cmd[64];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		return system(cmd) == 0 ? 0 : 1;
	}
}
