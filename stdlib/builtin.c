/*
 * builtin.c: the built-in functions of the language (SPEC section 1.6).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "builtin.h"
#include "fn.h"

static const struct builtin builtins[] = {
	{ "split", 2, 2, RES_LIST_OF_STRING, 2, 0, "split(s, sep)",
	  "the pieces of s between separators: a string is literal, a regex a pattern", fn_split },
	{ "words", 1, 1, RES_LIST_OF_STRING, 0, 0, "words(s)",
	  "the runs of letters, digits and apostrophes of s", fn_words },
	{ "lower", 1, 1, RES_STRING, 0, 0, "lower(s)", "s in lower case (UTF-8)", fn_lower },
	{ "upper", 1, 1, RES_STRING, 0, 0, "upper(s)", "s in upper case (UTF-8)", fn_upper },
	{ "trim", 1, 1, RES_STRING, 0, 0, "trim(s)", "s without leading and trailing white space", fn_trim },
	{ "len", 1, 1, RES_INT, 0, 0, "len(x)", "characters of a string, items of a list, tuple or map", fn_len },
	{ "substr", 2, 3, RES_STRING, 0, 0, "substr(s, i [, n])",
	  "n characters of s from index i (from 0), or all from i", fn_substr },
	{ "replace", 3, 3, RES_STRING, 2, 0, "replace(s, pat, with)",
	  "every match of pat replaced; $1..$9 stand for a regex's groups", fn_replace },
	{ "contains", 2, 2, RES_BOOL, 0, 0, "contains(s, t)", "whether t occurs in s", fn_contains },
	{ "startsWith", 2, 2, RES_BOOL, 0, 0, "startsWith(s, t)", "whether s starts with t", fn_startsWith },
	{ "endsWith", 2, 2, RES_BOOL, 0, 0, "endsWith(s, t)", "whether s ends with t", fn_endsWith },
	{ "match", 2, 2, RES_BOOL, 2, 0, "match(s, re)", "whether re matches s (also s ~ re)", fn_match },
	{ "extract", 2, 3, RES_STRING_OR_NULL, 2, 0, "extract(s, re [, group])",
	  "the whole match, or the group; null when nothing matches", fn_extract },
	{ "extractAll", 2, 2, RES_LIST_OF_STRING, 2, 0, "extractAll(s, re)",
	  "every match (or first group) of re in s", fn_extractAll },
	{ "field", 2, 3, RES_STRING_OR_NULL, 3, 0, "field(s, n [, sep])",
	  "awk's $n, from 1; by default fields are separated by runs of blanks", fn_field },
	{ "join", 2, 2, RES_STRING, 0, 0, "join(list, sep)", "the items as strings, joined by sep", fn_join },
	{ "num", 1, 1, RES_NUMBER, 0, 0, "num(x)", "x as a number, or null", fn_num },
	{ "int", 1, 1, RES_NUMBER, 0, 0, "int(x)", "x as an integer (truncated), or null", fn_int },
	{ "str", 1, 1, RES_STRING, 0, 0, "str(x)", "x as text, as print shows it", fn_str },
	{ "json", 1, 1, RES_ANY, 0, 0, "json(s)", "the value the JSON text s holds, or null", fn_json },
	{ "tojson", 1, 1, RES_STRING, 0, 0, "tojson(x)", "x as JSON text (tuples as arrays)", fn_tojson },
	{ "csv", 1, 1, RES_LIST_OF_STRING, 0, 0, "csv(s)", "the fields of one RFC 4180 line", fn_csv },
	{ "now", 0, 0, RES_INT, 0, 0, "now()", "the wall clock, epoch ms", fn_now },
	{ "batchTime", 0, 0, RES_INT, 0, 0, "batchTime()",
	  "the time of the batch being processed (the end of its interval), epoch ms", fn_batchTime },
	{ "strftime", 2, 3, RES_STRING, 0, 0, "strftime(ms, fmt [, tz])",
	  "epoch ms as text, UTC unless a zone is given", fn_strftime },
	{ "parseTime", 2, 3, RES_NUMBER, 0, 0, "parseTime(s, fmt [, tz])",
	  "text to epoch ms, UTC unless a zone is given; null when it does not parse", fn_parseTime },
	{ "abs", 1, 1, RES_NUMBER, 0, 0, "abs(x)", "the absolute value", fn_abs },
	{ "round", 1, 1, RES_NUMBER, 0, 0, "round(x)", "the nearest integer, halves away from 0", fn_round },
	{ "floor", 1, 1, RES_NUMBER, 0, 0, "floor(x)", "the largest integer not above x", fn_floor },
	{ "ceil", 1, 1, RES_NUMBER, 0, 0, "ceil(x)", "the smallest integer not below x", fn_ceil },
	{ "min", 2, 2, RES_ANY, 0, 0, "min(a, b)", "the smaller, in the order of sort", fn_min },
	{ "max", 2, 2, RES_ANY, 0, 0, "max(a, b)", "the larger, in the order of sort", fn_max },
	{ "sum", 1, 1, RES_NUMBER, 0, 0, "sum(list)", "the sum of a list of numbers", fn_sum },
	{ "hash", 1, 1, RES_INT, 0, 0, "hash(x)", "a 64-bit hash of the value, stable across runs", fn_hash },
};

int
builtin_error(struct eval_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		ctx->err = "error";	/* an invalid format: a bug, but not a crash */
		return -1;
	}
	msg = arena_alloc(ctx->arena, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ctx->err = msg;
	return -1;
}

const struct builtin *
builtin_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return NULL;
}

const struct builtin *
builtin_all(int *n)
{
	*n = (int)(sizeof builtins / sizeof builtins[0]);
	return builtins;
}
