/*
 * Unit tests of identities (lang/ident.c): stage ids and definitions,
 * source and sink ids, the script fingerprint, the matching of a
 * checkpoint's stages with an edited script, and that the stateful
 * stages come in the order the runtime lists them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "lang/diag.h"
#include "lang/plan.h"
#include "runtime/exec.h"
#include "runtime/stateful.h"
#include "runtime/workers.h"
#include "stdlib/strbuf.h"

#define MAXU 16

struct compiled {
	struct plan *plan;
	const struct node *u[MAXU];
	int n;
	char *ids[MAXU];
	char *defs[MAXU];
};

static int
compile_p(struct compiled *c, const char *text, const struct param *ps, int nps)
{
	struct job_options jo = { 0 };
	struct diags *d = diags_new("<test>", text, strlen(text));

	memset(c, 0, sizeof *c);
	jo.ncpus = 1;
	jo.params = ps;
	jo.nparams = nps;
	c->plan = plan_compile(text, strlen(text), &jo, d);
	if (c->plan == NULL) {
		char *msg = diags_format(d);
		printf("# %s", msg);
		free(msg);
		diags_free(d);
		return -1;
	}
	diags_free(d);
	c->n = plan_stateful_nodes(c->plan, c->u, MAXU);
	for (int i = 0; i < c->n && i < MAXU; i++) {
		c->ids[i] = plan_stage_id(c->plan, c->u[i]);
		c->defs[i] = plan_stage_def(c->plan, c->u[i]);
	}
	return 0;
}

static int
compile(struct compiled *c, const char *text)
{
	return compile_p(c, text, NULL, 0);
}

static void
release(struct compiled *c)
{
	for (int i = 0; i < c->n && i < MAXU; i++) {
		free(c->ids[i]);
		free(c->defs[i]);
	}
	plan_free(c->plan);
	memset(c, 0, sizeof *c);
}

/* The id of the first stateful stage of a script ("" when none). */
static char *
first_id(const char *text)
{
	struct compiled c;
	char *id;

	if (compile(&c, text) != 0 || c.n == 0) {
		if (c.plan != NULL)
			release(&c);
		return strdup("");
	}
	id = strdup(c.ids[0]);
	release(&c);
	return id;
}

static int
same_first_id(const char *a, const char *b)
{
	char *x = first_id(a), *y = first_id(b);
	int same = x[0] != '\0' && strcmp(x, y) == 0;

	free(x);
	free(y);
	return same;
}

static void
test_stage_ids(void)
{
	struct compiled c;
	char *id;
	struct param n3[] = { { "n", "3" } };

	id = first_id("stdin | flatMap _.split(\" \") | map (_, 1) | reduceByKey sum | state sum | print\n");
	TAP_STR(id, "stdin | flatMap _.split(\" \") | map (_, 1) | reduceByKey sum | state sum",
	    "a state's id is the text of its pipeline up to it");
	free(id);

	TAP_OK(same_first_id(
	    "stdin | map (_, 1) | state sum | print\n",
	    "# a comment\nstdin|map   ((_ , 1))\n  | state sum   # more\n  | print\n"),
	    "spacing, comments, line breaks and parentheses do not change an id");
	TAP_OK(same_first_id(
	    "let words = stdin | flatMap words(_)\nwords | map (_, 1) | state sum | print\n",
	    "let w = stdin | flatMap words(_)\nw | map (_, 1) | state sum | print\n"),
	    "renaming a let stream does not change an id");
	TAP_OK(same_first_id(
	    "let words = stdin | flatMap words(_)\nwords | map (_, 1) | state sum | print\n",
	    "stdin | flatMap words(_) | map (_, 1) | state sum | print\n"),
	    "a let stream stands for its pipeline");
	TAP_OK(same_first_id(
	    "stdin(rate=100) | map (_, 1) | state sum | print\n",
	    "stdin | map (_, 1) | state sum | print\n"),
	    "rate= does not change an id");
	TAP_OK(!same_first_id(
	    "stdin | map (_, 1) | state sum | print\n",
	    "stdin | map (_, 2) | state sum | print\n"),
	    "a changed expression upstream changes an id");
	TAP_OK(!same_first_id(
	    "stdin | map (_, 1) | state sum | print\n",
	    "stdin | map (_, 1) | state sum timeout 10m | print\n"),
	    "a changed clause changes an id");
	TAP_OK(!same_first_id(
	    "stdin | map (_, 1) | state sum | print\n",
	    "tail(\"x.log\") | map (_, 1) | state sum | print\n"),
	    "another source changes an id");

	if (compile_p(&c, "stdin | map (_, $n ?? 2) | state sum | print\n", n3, 1) == 0) {
		TAP_STR(c.ids[0], "stdin | map (_, 3 ?? 2) | state sum", "parameters are substituted");
		release(&c);
	} else
		TAP_OK(0, "parameters are substituted");
	if (compile(&c, "stdin | map (_, $n ?? 2) | state sum | print\n") == 0) {
		TAP_STR(c.ids[0], "stdin | map (_, null ?? 2) | state sum", "an unset parameter is null");
		release(&c);
	} else
		TAP_OK(0, "an unset parameter is null");

	id = first_id("batch 2s\nstdin | map (_, 1) | window 6s slide 4s | reduceByKey sum | print\n");
	TAP_STR(id, "stdin | map (_, 1) | window 6s slide 4s | reduceByKey sum [batch 2s]",
	    "a window with its reducer: one id, with the batch interval");
	free(id);
	id = first_id("batch 2s\nstdin | window 6s | stdout\n");
	TAP_STR(id, "stdin | window 6s [batch 2s]", "a plain window's id");
	free(id);
	TAP_OK(!same_first_id(
	    "batch 2s\nstdin | map (_, 1) | window 6s | reduceByKey sum | print\n",
	    "batch 1s\nstdin | map (_, 1) | window 6s | reduceByKey sum | print\n"),
	    "a changed batch interval changes a window's id");
	TAP_OK(same_first_id(
	    "batch 2s\nstdin | map (_, 1) | state sum | print\n",
	    "batch 1s\nstdin | map (_, 1) | state sum | print\n"),
	    "a changed batch interval does not change a state's id");

	id = first_id("stdin | map (_, 1) | state sum as totals | print\n");
	TAP_STR(id, "totals", "as NAME: the name");
	free(id);
	id = first_id("stdin | map (_, 1) | window 4s as w | reduceByKey sum | print\n");
	TAP_STR(id, "w", "a window's as NAME names its unit");
	free(id);
	id = first_id("stdin | window 4s | distinct as seen | print\n");
	TAP_STR(id, "seen", "a distinct over a window names the window");
	free(id);
	id = first_id("stdin | map (_, 1) | window 2s as w | state sum | print\n");
	TAP_STR(id, "w", "a window named upstream of a state");
	free(id);

	if (compile(&c, "let a = stdin | map (_, 1)\nlet b = tail(\"x.log\") | map (_, 2)\n"
	    "union(a, b) | state sum | print\n") == 0) {
		TAP_STR(c.ids[0], "union(stdin | map (_, 1), tail(\"x.log\") | map (_, 2)) | state sum",
		    "a union: each input's text");
		release(&c);
	} else
		TAP_OK(0, "a union: each input's text");
	if (compile(&c, "let a = stdin | map (_, 1)\na | map (_, 1) | join a | print\n"
	    "a | join a | state first | print\n") == 0) {
		TAP_STR(c.ids[0], "stdin | map (_, 1) | join (stdin | map (_, 1)) | state first",
		    "a join with a let stream: its text");
		release(&c);
	} else
		TAP_OK(0, "a join with a let stream: its text");

	/* bounded: unions of unions of a let read twice double at each level,
	 * a long pipeline grows with each stage */
	{
		struct strbuf sb = STRBUF_INIT;
		strbuf_adds(&sb, "let a0 = stdin | map _ + \"x\"\n");
		for (int i = 1; i < 40; i++)
			strbuf_addf(&sb, "let a%d = union(a%d, a%d)\n", i, i - 1, i - 1);
		strbuf_adds(&sb, "a39 | map (_, 1) | state sum | print\n");
		id = first_id(strbuf_str(&sb));
		TAP_OK(strlen(id) > 0 && strlen(id) < 40 * 1024 && strchr(id, '{') != NULL,
		    "a let read twice by 39 unions of unions: an id of %zu bytes", strlen(id));
		free(id);
		strbuf_reset(&sb);
		strbuf_adds(&sb, "stdin");
		for (int i = 0; i < 3000; i++)
			strbuf_adds(&sb, " | map _ + \"abcdefghij\"");
		strbuf_adds(&sb, " | map (_, 1) | state sum | print\n");
		id = first_id(strbuf_str(&sb));
		TAP_OK(strlen(id) > 0 && strlen(id) < 40 * 1024 && strchr(id, '{') != NULL &&
		    strstr(id, " | map (_, 1) | state sum") != NULL,
		    "a pipeline of 3000 stages: an id of %zu bytes, its start as a hash", strlen(id));
		free(id);
		strbuf_release(&sb);
	}

	if (compile(&c, "stdin | map (_, 1) | state sum | print\nstdin | map (_, 1) | state sum | stdout\n"
	    "stdin | map (_, 1) | state sum as t | stdout\n") == 0 && c.n == 3) {
		TAP_STR(c.ids[0], "stdin | map (_, 1) | state sum", "the first of two same stages");
		TAP_STR(c.ids[1], "stdin | map (_, 1) | state sum #2", "the second gets #2");
		TAP_STR(c.ids[2], "t", "a named third");
		release(&c);
	} else
		TAP_OK(0, "same stages told apart");

	if (compile(&c, "batch 2s\nstdin | map (_, 1) | state sum timeout 10m emit changed as t | print\n"
	    "stdin | map (_, 1) | window 6s slide 2s as w | reduceByKey sum | print\n") == 0 && c.n == 2) {
		TAP_STR(c.defs[0], "state sum timeout 10m emit changed", "a state's definition");
		TAP_STR(c.defs[1], "window 6s slide 2s | reduceByKey sum [batch 2s]",
		    "a window's definition: with its reducer and the batch interval");
		TAP_STR(plan_stage_kind(c.plan, c.u[0]), "state", "kind state");
		TAP_STR(plan_stage_kind(c.plan, c.u[1]), "window", "kind window");
		release(&c);
	} else
		TAP_OK(0, "definitions");
}

/* plan_stateful_nodes lists what exec_stateful lists, in its order. */
static void
test_order(void)
{
	const char *script =
	    "batch 1s\n"
	    "let w = stdin | map (_, 1) | window 2s\n"
	    "w | count | print\n"
	    "w | reduce sum | print\n"
	    "stdin | map (_, 1) | state sum | print\n"
	    "stdin | timestamp int(_) | window 2s | count | print\n"
	    "stdin | map (_, 1) | window 3s | reduceByKey sum | state max | print\n"
	    "stdin | window 4s | stdout\n";
	struct compiled c;
	struct workers *wk;
	struct exec_host host = { 0 };
	struct job_options jo = { 0 };
	struct exec *x;
	struct stateful *st = NULL;
	const char *err = NULL;
	enum exec_fail why;
	size_t n;
	int same;

	if (compile(&c, script) != 0) {
		TAP_OK(0, "order: compiles");
		return;
	}
	jo.ncpus = 1;
	wk = workers_new(1);
	x = exec_new(c.plan, &jo, wk, &host, &err, &why);
	TAP_OK(x != NULL, "order: the executor is made (%s)", err != NULL ? err : "");
	if (x != NULL) {
		n = exec_stateful(x, &st);
		same = (int)n == c.n;
		for (size_t i = 0; same && i < n; i++) {
			same = st[i].node == c.u[i] &&
			    strcmp(st[i].ops->kind, plan_stage_kind(c.plan, c.u[i])) == 0;
			if (!same)
				printf("#   %zu: %s #%d vs %s #%d\n", i, st[i].ops->kind, st[i].node->id,
				    plan_stage_kind(c.plan, c.u[i]), c.u[i]->id);
		}
		TAP_OK(same && n == 7, "the stateful stages in exec_stateful's order and kinds (%zu, %d)",
		    n, c.n);
		free(st);
		exec_free(x);
	}
	workers_free(wk);
	release(&c);
}

/* Match script b against the stages script a had; the formatted errors. */
static int
match(const char *a, const char *b, int *map, char **errors)
{
	struct compiled old, cur;
	struct diags *d;
	int r;

	*errors = NULL;
	if (compile(&old, a) != 0)
		return -2;
	if (compile(&cur, b) != 0) {
		release(&old);
		return -2;
	}
	d = diags_new("job.pipe", b, strlen(b));
	r = plan_match_stages(cur.plan, (const char *const *)old.ids, (const char *const *)old.defs,
	    old.n, map, d);
	*errors = diags_format(d);
	diags_free(d);
	release(&old);
	release(&cur);
	return r;
}

static void
test_match(void)
{
	int map[MAXU];
	char *e;
	int r;

	const char *v1 =
	    "batch 2s\n"
	    "let words = stdin | flatMap words(_)\n"
	    "words | map (_, 1) | state sum as totals | print\n"
	    "words | map (_, 1) | state sum | print\n"
	    "words | map (_, 1) | window 6s | reduceByKey sum | print\n";

	r = match(v1, v1, map, &e);
	TAP_OK(r == 0 && map[0] == 0 && map[1] == 1 && map[2] == 2 && strcmp(e, "") == 0,
	    "an unchanged script matches every stage");
	free(e);

	r = match(v1,
	    "batch 2s\n"
	    "let ws = stdin   | flatMap words(_)\n"
	    "# reformatted\n"
	    "ws | map ((_, 1))\n  | state sum as totals | print\n"
	    "ws | map (_, 1) | state sum | print\n"
	    "ws | map (_, 1) | window 6s | reduceByKey sum | print\n", map, &e);
	TAP_OK(r == 0 && map[0] == 0 && map[1] == 1 && map[2] == 2,
	    "a reformatted script, a let renamed: every stage matches");
	free(e);

	r = match(v1,
	    "batch 2s\n"
	    "let words = stdin | flatMap words(lower(_))\n"
	    "words | map (_, 1) | state max as totals | print\n"
	    "words | map (_, 1) | state sum | print\n"
	    "words | map (_, 1) | window 6s | reduceByKey sum | print\n", map, &e);
	TAP_OK(r == -1 && map[0] == 0, "a named stage keeps its state across an edit of its pipeline");
	TAP_STR(e,
	    "job.pipe:4:22: error: stateful stage changed since the checkpoint: its input changed: "
	    "it was \"stdin | flatMap words(_) | map (_, 1) | state sum\", now "
	    "\"stdin | flatMap words(lower(_)) | map (_, 1) | state sum\"\n"
	    "words | map (_, 1) | state sum | print\n"
	    "                     ^\n"
	    "job.pipe:5:22: error: stateful stage changed since the checkpoint: its input changed: "
	    "it was \"stdin | flatMap words(_) | map (_, 1) | window 6s | reduceByKey sum\", now "
	    "\"stdin | flatMap words(lower(_)) | map (_, 1) | window 6s | reduceByKey sum\"\n"
	    "words | map (_, 1) | window 6s | reduceByKey sum | print\n"
	    "                     ^\n"
	    "hint: name the stage with \"as NAME\" to keep its state across edits, or start again with --fresh\n",
	    "... while the unnamed ones after the edit are refused, at the stage, saying what changed");
	free(e);

	r = match("stdin | map (_, 1) | state sum | print\n",
	    "stdin | map (_, 1) | state max | print\n", map, &e);
	TAP_OK(r == -1 && map[0] == -1, "a changed unnamed stage is refused");
	TAP_STR(e,
	    "job.pipe:1:22: error: stateful stage changed since the checkpoint: it was \"state sum\", now \"state max\"\n"
	    "stdin | map (_, 1) | state max | print\n"
	    "                     ^\n"
	    "hint: name the stage with \"as NAME\" to keep its state across edits, or start again with --fresh\n",
	    "... with its definition before and now");
	free(e);

	r = match("batch 2s\nstdin | map (_, 1) | window 4s | reduceByKey sum | print\n",
	    "batch 1s\nstdin | map (_, 1) | window 4s | reduceByKey sum | print\n", map, &e);
	TAP_STR(e,
	    "job.pipe:2:22: error: stateful stage changed since the checkpoint: the batch interval changed from 2s to 1s\n"
	    "stdin | map (_, 1) | window 4s | reduceByKey sum | print\n"
	    "                     ^\n"
	    "hint: name the stage with \"as NAME\" to keep its state across edits, or start again with --fresh\n",
	    "a changed batch interval is a change of a window");
	TAP_OK(r == -1, "... refused");
	free(e);

	r = match("batch 2s\nstdin | map (_, 1) | window 4s as w | reduceByKey sum | print\n",
	    "batch 1s\nstdin | map (_, 1) | window 4s as w | reduceByKey sum | print\n", map, &e);
	TAP_STR(e,
	    "job.pipe:2:22: error: stateful stage changed since the checkpoint: the batch interval changed from 2s to 1s\n"
	    "stdin | map (_, 1) | window 4s as w | reduceByKey sum | print\n"
	    "                     ^\n"
	    "hint: a window's state cannot follow a change of its definition or of the batch interval: "
	    "start again with --fresh\n",
	    "... of a named window too");
	TAP_OK(r == -1, "... refused");
	free(e);

	r = match("stdin | map (_, 1) | window 4s as w | reduceByKey sum | print\n",
	    "stdin | map (_, 1) | window 8s as w | reduceByKey sum | print\n", map, &e);
	TAP_OK(r == -1 && strstr(e, "it was \"window 4s | reduceByKey sum\", now \"window 8s | reduceByKey sum\"") != NULL,
	    "a named window whose length changed is refused");
	free(e);

	r = match("stdin | map (_, 1) | state sum | print\n",
	    "stdin | map (_, 1) | state sum | print\nstdin | map (_, 2) | state sum | print\n", map, &e);
	TAP_OK(r == 0 && map[0] == 0 && map[1] == -1 && strcmp(e, "") == 0, "an added stage starts empty");
	free(e);

	r = match("stdin | map (_, 1) | state sum | print\nstdin | map (_, 2) | state sum | print\n",
	    "stdin | map (_, 2) | state sum | print\n", map, &e);
	TAP_OK(r == 0 && map[0] == 1 && strcmp(e, "") == 0, "a removed stage is fine");
	free(e);

	r = match("stdin | map (_, 1) | state sum | print\n",
	    "stdin | map (_, 1) | state sum as totals | print\n", map, &e);
	TAP_OK(r == 0 && map[0] == 0, "naming a stage keeps its state");
	free(e);

	r = match("stdin | map (_, 1) | state sum as totals | print\n",
	    "stdin | map (_, 1) | state sum as sums | print\n", map, &e);
	TAP_OK(r == -1 && strstr(e, "error: stateful stage changed since the checkpoint: it was named totals, now sums\n") != NULL,
	    "renaming a stage is a change");
	free(e);

	r = match("stdin | map (_, 1) | state sum as totals | print\n",
	    "stdin | map (_, 1) | state sum | print\n", map, &e);
	TAP_OK(r == -1 && strstr(e, "it was named totals, now it has no name\n") != NULL,
	    "unnaming a stage is a change");
	free(e);

	r = match("stdin | map (_, 1) | state sum as x | print\n",
	    "stdin | map (_, 1) | window 2s as x | reduceByKey sum | print\n", map, &e);
	TAP_OK(r == -1 && strstr(e, "it was \"state sum\", now \"window 2s | reduceByKey sum\"") != NULL,
	    "a name moved from a state to a window is a change");
	free(e);

	/* the most similar old stage is the one described */
	r = match("stdin | map (_, 1) | state sum | print\nstdin | map (_, 1) | window 2s | count | print\n",
	    "stdin | map (_, 1) | state sum | print\nstdin | map (_, 1) | window 4s | count | print\n", map, &e);
	TAP_OK(r == -1 && map[0] == 0 && map[1] == -1 &&
	    strstr(e, "it was \"window 2s | count\", now \"window 4s | count\"") != NULL,
	    "a changed window is described against the old window");
	free(e);
}

static void
test_sources_sinks(void)
{
	struct compiled c;
	const char *script =
	    "let a = tail(\"x.log\", from=\"start\", rate=10)\n"
	    "union(a, stdin(rate=5)) | map (_, 1) | redis(\"redis://:secret@h:6379/0\", \"counts\", mode=\"incr\")\n"
	    "stdin | map (_, 1) | redis(\"redis://user:pw@h/1?password=x&db=2\", \"k\")\n"
	    "stdin | map (_, 1) | postgres(\"host=h password='a b\\\\' c' dbname=d\", \"t\")\n"
	    "stdin | map (_, 1) | postgres(\"postgresql://u:pw@db.example/x\", \"t\")\n"
	    "stdin | append \"out.txt\" json\n"
	    "files(\"in\", glob=\"*.log\") | write \"out/c\"\n"
	    "socket(\"localhost\", 9999) | print\n";
	const char *want_sources[] = {
		"tail(\"x.log\", from=\"start\")", "stdin", "files(\"in\", glob=\"*.log\")",
		"socket(\"localhost\", 9999)",
	};
	const char *want_sinks[] = {
		"redis(\"redis://h:6379/0\", \"counts\", mode=\"incr\")",
		"redis(\"redis://user@h/1?db=2\", \"k\")",
		"postgres(\"host=h dbname=d\", \"t\")",
		"postgres(\"postgresql://u@db.example/x\", \"t\")",
		"append \"out.txt\"",
		"write \"out/c\"",
		"print 10",
	};
	int ns = 0, nk = 0;

	if (compile(&c, script) != 0) {
		TAP_OK(0, "sources and sinks: compiles");
		return;
	}
	for (int i = 0; i < c.plan->nnodes; i++) {
		const struct node *n = c.plan->nodes[i];
		char *id;
		if (n->stage->desc->role == ROLE_SOURCE && n->op != OP_UNION && ns < 4) {
			id = plan_source_id(n);
			TAP_STR(id, want_sources[ns], "source id %d", ns);
			free(id);
			ns++;
		} else if (n->op == OP_UNION) {
			TAP_OK(plan_source_id(n) == NULL, "a union is not a source");
		} else if (n->stage->desc->role == ROLE_SINK && nk < 7) {
			id = plan_sink_id(n);
			TAP_STR(id, want_sinks[nk], "sink id %d, no password", nk);
			free(id);
			nk++;
		}
	}
	TAP_OK(ns == 4 && nk == 7, "every source and sink seen");
	release(&c);
}

static void
test_fingerprint(void)
{
	char *h, *a, *b;
	struct compiled c1, c2, c3;
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	h = ident_sha256_hex("", 0);
	TAP_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "SHA-256 of nothing");
	free(h);
	h = ident_sha256_hex("abc", 3);
	TAP_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "SHA-256 of abc");
	free(h);
	h = ident_sha256_hex(m, strlen(m));
	TAP_STR(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "SHA-256 of two blocks");
	free(h);

	if (compile(&c1, "batch 2s\nstdin | map (_, 1) | state sum | print\n") != 0 ||
	    compile(&c2, "# comment\nbatch   2s\nstdin|map ((_,1)) | state sum\n | print\n") != 0 ||
	    compile(&c3, "batch 2s\nstdin | map (_, 2) | state sum | print\n") != 0) {
		TAP_OK(0, "fingerprints: compile");
		return;
	}
	a = plan_fingerprint(c1.plan);
	b = plan_fingerprint(c2.plan);
	TAP_OK(strlen(a) == 64 && strcmp(a, b) == 0, "the fingerprint ignores layout");
	free(b);
	b = plan_fingerprint(c3.plan);
	TAP_OK(strcmp(a, b) != 0, "the fingerprint changes with the script");
	free(a);
	free(b);
	release(&c1);
	release(&c2);
	release(&c3);
}

/* A connection string or URL as messages show it: without its password,
 * otherwise as written, unquoted. */
static void
test_scrubbed(void)
{
	static const char *const cases[][2] = {
		{ "host=h port=5432 dbname=d user=u password=s3cret", "host=h port=5432 dbname=d user=u" },
		{ "password='a b\\' c' host=h", "host=h" },
		{ "host = h  password = x dbname=d", "host = h dbname=d" },
		{ "host=h dbname=d", "host=h dbname=d" },
		{ "postgresql://u:s3cret@db.example:5432/x", "postgresql://u@db.example:5432/x" },
		{ "postgres://:s3cret@db/x?sslmode=require&password=y", "postgres://db/x?sslmode=require" },
		{ "postgresql://u@db/x", "postgresql://u@db/x" },
		{ "counts.db", "counts.db" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = plan_scrubbed(cases[i][0]);
		TAP_STR(got, cases[i][1], "scrubbed: %s", cases[i][1]);
		free(got);
	}
}

int
main(void)
{
	test_scrubbed();
	test_stage_ids();
	test_order();
	test_match();
	test_sources_sinks();
	test_fingerprint();
	return tap_done();
}
