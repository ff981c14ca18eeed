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
	}
	out = diags_format(d);
	free(out);

	plan_free(plan);
	diags_free(d);
	free(text);
	return 0;
}
