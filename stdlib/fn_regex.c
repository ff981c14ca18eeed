/*
 * fn_regex.c: match, extract and extractAll, and the scan for every match
 * of a regex that split, replace and field share.
 *
 * The pattern argument is a regex (a /.../ literal, whose value points to
 * its compiled struct regex) or a string.  A string is literal text, as
 * it is for split and replace: match(s, "a.b") is contains(s, "a.b").
 * Strings are never compiled at run time, so no record pays for a
 * compilation and no pattern error can appear in the middle of a job.
 * A match that hits the regex limits is a record error naming the
 * function ("extract: regex match limit exceeded").
 */
#include <string.h>

#include "arena.h"
#include "fn.h"

void
fn_scan_init(struct fn_scan *sc, const struct regex *re, const char *s, size_t n)
{
	sc->re = re;
	sc->s = s != NULL ? s : "";
	sc->n = n;
	sc->pos = 0;
	sc->done = 0;
	sc->ngroups = 1;
}

int
fn_scan_next(struct eval_ctx *ctx, const char *name, struct fn_scan *sc)
{
	const char *err = "regex error";
	size_t ms, me;
	uint32_t c;
	int r;

	if (sc->done)
		return 0;
	r = regex_match(sc->re, sc->s, sc->n, sc->pos, sc->g, &sc->ngroups, &err);
	if (r < 0)
		return builtin_error(ctx, "%s: %s", name, err);
	if (r == 0) {
		sc->done = 1;
		return 0;
	}
	ms = sc->g[0];
	me = sc->g[1];
	if (me > ms)
		sc->pos = me;
	else if (ms >= sc->n)
		sc->done = 1;
	else	/* an empty match: on one character, never inside one */
		sc->pos = ms + fn_utf8_char(sc->s, sc->n, ms, &c);
	return 1;
}

/* A pattern argument: a regex or a non-empty string. */
static int
regex_check_pattern(struct eval_ctx *ctx, const char *name, struct value p)
{
	if (p.type == VT_REGEX)
		return 0;
	if (p.type != VT_STR)
		return fn_type_error(ctx, name, "a regex (or a string) as its pattern", p);
	if (p.n == 0)
		return builtin_error(ctx, "%s needs a non-empty pattern", name);
	return 0;
}

static const char *
regex_find(struct value s, struct value t)
{
	if (t.n > s.n)
		return NULL;
	return memmem(fn_bytes(s), s.n, t.u.s, t.n);
}

/* match(s, re): whether re matches anywhere in s; null when s is null. */
int
fn_match(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct fn_scan sc;
	int r;

	(void)nargs;
	*out = value_null();
	if (args[0].type == VT_NULL || args[1].type == VT_NULL)
		return 0;
	if (args[0].type != VT_STR)
		return fn_type_error(ctx, "match", "a string", args[0]);
	if (regex_check_pattern(ctx, "match", args[1]) != 0)
		return -1;
	if (args[1].type == VT_STR) {
		*out = value_bool(regex_find(args[0], args[1]) != NULL);
		return 0;
	}
	fn_scan_init(&sc, fn_regex(args[1]), args[0].u.s, args[0].n);
	if ((r = fn_scan_next(ctx, "match", &sc)) < 0)
		return -1;
	*out = value_bool(r);
	return 0;
}

/*
 * extract(s, re [, group]): the first match, or its group 1..9; null when
 * nothing matches or the group did not take part.  Asking for a group
 * the regex does not have is an error (as Spark's regexp_extract), and so
 * is any group but 0 with a string pattern.
 */
int
fn_extract(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct fn_scan sc;
	const char *hit;
	int64_t g = 0;
	int r;

	*out = value_null();
	if (args[0].type == VT_NULL || args[1].type == VT_NULL ||
	    (nargs > 2 && args[2].type == VT_NULL))
		return 0;
	if (args[0].type != VT_STR)
		return fn_type_error(ctx, "extract", "a string", args[0]);
	if (regex_check_pattern(ctx, "extract", args[1]) != 0)
		return -1;
	if (nargs > 2) {
		if (args[2].type != VT_INT)
			return fn_type_error(ctx, "extract", "an integer group number", args[2]);
		g = args[2].u.i;
		if (g < 0 || g >= REGEX_MAX_GROUPS)
			return builtin_error(ctx, "extract: group %lld is out of range (0 to %d)",
			    (long long)g, REGEX_MAX_GROUPS - 1);
	}
	if (args[1].type == VT_STR) {
		if (g != 0)
			return builtin_error(ctx, "extract: a string pattern has no groups (use a regex)");
		hit = regex_find(args[0], args[1]);
		if (hit != NULL)
			*out = value_str_copy(ctx->arena, hit, args[1].n);
		return 0;
	}
	fn_scan_init(&sc, fn_regex(args[1]), args[0].u.s, args[0].n);
	if ((r = fn_scan_next(ctx, "extract", &sc)) < 0)
		return -1;
	if (g >= sc.ngroups)
		return builtin_error(ctx, "extract: group %lld, but the regex has %d group%s",
		    (long long)g, sc.ngroups - 1, sc.ngroups == 2 ? "" : "s");
	if (r == 1 && sc.g[2 * g] != (size_t)-1)
		*out = value_str_copy(ctx->arena, sc.s + sc.g[2 * g],
		    sc.g[2 * g + 1] - sc.g[2 * g]);
	return 0;
}

/*
 * extractAll(s, re): every match, left to right and not overlapping, as
 * a list -- or, when the regex has groups, every match's group 1 ("" when
 * it did not take part), as Python's findall.  Empty matches count, as
 * they do for replace.  A string pattern gives each occurrence.
 */
int
fn_extractAll(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct fn_list l = { NULL, 0, 0 };
	struct fn_scan sc;
	struct value copy;
	const char *s, *hit;
	size_t n, pos = 0;
	int r, g;

	(void)nargs;
	*out = value_null();
	if (args[0].type == VT_NULL || args[1].type == VT_NULL)
		return 0;
	if (args[0].type != VT_STR)
		return fn_type_error(ctx, "extractAll", "a string", args[0]);
	if (regex_check_pattern(ctx, "extractAll", args[1]) != 0)
		return -1;
	/* One copy of s; the items are slices of it. */
	copy = value_str_copy(ctx->arena, args[0].u.s, args[0].n);
	s = copy.u.s;
	n = copy.n;
	if (args[1].type == VT_STR) {
		while (pos < n && (hit = memmem(s + pos, n - pos, args[1].u.s, args[1].n)) != NULL) {
			fn_list_push(ctx->arena, &l, value_str(hit, args[1].n));
			pos = (size_t)(hit - s) + args[1].n;
		}
		*out = fn_list_value(&l);
		return 0;
	}
	fn_scan_init(&sc, fn_regex(args[1]), s, n);
	while ((r = fn_scan_next(ctx, "extractAll", &sc)) == 1) {
		g = sc.ngroups > 1 ? 1 : 0;
		if (sc.g[2 * g] == (size_t)-1)
			fn_list_push(ctx->arena, &l, value_str("", 0));
		else
			fn_list_push(ctx->arena, &l,
			    value_str(s + sc.g[2 * g], sc.g[2 * g + 1] - sc.g[2 * g]));
	}
	if (r < 0)
		return -1;
	*out = fn_list_value(&l);
	return 0;
}
