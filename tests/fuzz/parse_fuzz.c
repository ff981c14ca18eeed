/*
 * parse_fuzz.c: a libFuzzer target for the whole front end.
 *
 * Each input is a script: it is parsed, checked and planned by
 * plan_compile(), explained as text and as dot when it compiles, and its
 * errors are formatted, as `streamjob --check` and `--explain` would.
 * Everything is freed, so LeakSanitizer sees any leak.
 *
 * The script is handed over in a buffer of exactly the input's size, with
 * no terminating NUL: plan_compile() and diags_new() take a length, so a
 * read past it is a bug that AddressSanitizer reports.
 *
 * Build and run: see README.md in this directory.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lang/diag.h"
#include "lang/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct param fuzz_params[] = {
	{ "port", "9999" },
	{ "host", "example" },
};

/* Identities, and the plan matched against its own: all must match. */
static void
exercise_ids(const struct plan *plan, struct diags *d)
{
	int n = plan_stateful_nodes(plan, NULL, 0);
	const struct node **u = calloc((size_t)n + 1, sizeof *u);
	char **ids = calloc((size_t)n + 1, sizeof *ids), **defs = calloc((size_t)n + 1, sizeof *defs);
	int *map = calloc((size_t)n + 1, sizeof *map);

	if (u == NULL || ids == NULL || defs == NULL || map == NULL)
		abort();
	plan_stateful_nodes(plan, u, n);
	for (int i = 0; i < n; i++) {
		ids[i] = plan_stage_id(plan, u[i]);
		defs[i] = plan_stage_def(plan, u[i]);
	}
	if (plan_match_stages(plan, (const char *const *)ids, (const char *const *)defs, n, map, d) != 0)
		abort();
	for (int i = 0; i < n; i++)
		if (map[i] != i)
			abort();
	for (int i = 0; i < plan->nnodes; i++) {
		const struct node *x = plan->nodes[i];
		char *s = x->stage->desc->role == ROLE_SINK ? plan_sink_id(x) :
		    x->stage->desc->role == ROLE_SOURCE ? plan_source_id(x) : NULL;
		free(s);
	}
	free(plan_fingerprint(plan));
	for (int i = 0; i < n; i++) {
		free(ids[i]);
		free(defs[i]);
	}
	free(ids);
	free(defs);
	free(map);
	free(u);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct job_options jo;
	struct diags *d;
	struct plan *plan;
	char *text, *out;

	/* malloc(0) may return NULL; keep a valid pointer for empty inputs. */
	text = malloc(size > 0 ? size : 1);
	if (text == NULL)
		return 0;
	if (size > 0)
		memcpy(text, data, size);

	memset(&jo, 0, sizeof jo);
	jo.ncpus = 2;
	jo.once = 0;
	jo.params = fuzz_params;
	jo.nparams = (int)(sizeof fuzz_params / sizeof fuzz_params[0]);

	d = diags_new("<fuzz>", text, size);
	plan = plan_compile(text, size, &jo, d);
	if (plan != NULL) {
		out = plan_explain_text(plan);
		free(out);
		out = plan_explain_dot(plan);
		free(out);
		exercise_ids(plan, d);
	}
	out = diags_format(d);
	free(out);

	plan_free(plan);
	diags_free(d);
	free(text);
	return 0;
}
