/*
 * fn.h: the implementations of the built-in functions (SPEC 1.6), private
 * to stdlib/: builtin.c puts them in its table, and the helpers they share
 * (type errors, UTF-8, scanning a string for every match of a regex).
 *
 * Every fn_NAME has the builtin_fn signature: it reads args[0..nargs),
 * which the checker has counted against the table, and returns 0 with
 * *out set, or -1 with ctx->err set.  Results live in ctx->arena.
 */
#ifndef FN_H
#define FN_H

#include <stddef.h>
#include <stdint.h>

#include "builtin.h"
#include "regex.h"
#include "value.h"

struct arena;

/* fn_string.c */
int fn_split(struct eval_ctx *, const struct value *, int, struct value *);
int fn_words(struct eval_ctx *, const struct value *, int, struct value *);
int fn_lower(struct eval_ctx *, const struct value *, int, struct value *);
int fn_upper(struct eval_ctx *, const struct value *, int, struct value *);
int fn_trim(struct eval_ctx *, const struct value *, int, struct value *);
int fn_len(struct eval_ctx *, const struct value *, int, struct value *);
int fn_substr(struct eval_ctx *, const struct value *, int, struct value *);
int fn_replace(struct eval_ctx *, const struct value *, int, struct value *);
int fn_contains(struct eval_ctx *, const struct value *, int, struct value *);
int fn_startsWith(struct eval_ctx *, const struct value *, int, struct value *);
int fn_endsWith(struct eval_ctx *, const struct value *, int, struct value *);
int fn_join(struct eval_ctx *, const struct value *, int, struct value *);
int fn_field(struct eval_ctx *, const struct value *, int, struct value *);

/* fn_regex.c */
int fn_match(struct eval_ctx *, const struct value *, int, struct value *);
int fn_extract(struct eval_ctx *, const struct value *, int, struct value *);
int fn_extractAll(struct eval_ctx *, const struct value *, int, struct value *);

/* fn_data.c */
int fn_num(struct eval_ctx *, const struct value *, int, struct value *);
int fn_int(struct eval_ctx *, const struct value *, int, struct value *);
int fn_str(struct eval_ctx *, const struct value *, int, struct value *);
int fn_json(struct eval_ctx *, const struct value *, int, struct value *);
int fn_tojson(struct eval_ctx *, const struct value *, int, struct value *);
int fn_csv(struct eval_ctx *, const struct value *, int, struct value *);
int fn_hash(struct eval_ctx *, const struct value *, int, struct value *);

/* fn_time.c */
int fn_now(struct eval_ctx *, const struct value *, int, struct value *);
int fn_batchTime(struct eval_ctx *, const struct value *, int, struct value *);
int fn_strftime(struct eval_ctx *, const struct value *, int, struct value *);
int fn_parseTime(struct eval_ctx *, const struct value *, int, struct value *);

/* fn_math.c */
int fn_abs(struct eval_ctx *, const struct value *, int, struct value *);
int fn_round(struct eval_ctx *, const struct value *, int, struct value *);
int fn_floor(struct eval_ctx *, const struct value *, int, struct value *);
int fn_ceil(struct eval_ctx *, const struct value *, int, struct value *);
int fn_min(struct eval_ctx *, const struct value *, int, struct value *);
int fn_max(struct eval_ctx *, const struct value *, int, struct value *);
int fn_sum(struct eval_ctx *, const struct value *, int, struct value *);

/* ---- shared helpers ---- */

/*
 * (fn_data.c) v for a message: its type and a short form of it,
 * `string "3"`, `integer 3`, `null`; in ctx->arena.
 */
const char *fn_describe(struct eval_ctx *, struct value v);

/*
 * (fn_data.c) The record error "NAME needs WANT, got <v>", with a hint
 * to use num() when a number was wanted and v is a string, or str() the
 * other way round.  Returns -1.
 */
int fn_type_error(struct eval_ctx *, const char *name, const char *want, struct value v);

/*
 * (fn_string.c) The length of the UTF-8 character at s[i] (i < n): 1 to
 * 4 for a well-formed one, 1 for a byte that does not start one.  *cp is
 * its code point, or U+FFFD for a byte that is not well formed.
 */
size_t fn_utf8_char(const char *s, size_t n, size_t i, uint32_t *cp);

/* (fn_string.c) A list being built in an arena, doubling as it grows. */
struct fn_list {
	struct value *items;
	size_t n, cap;
};

void fn_list_push(struct arena *, struct fn_list *, struct value);
struct value fn_list_value(const struct fn_list *);

/*
 * (fn_regex.c) Every match of a regex in s[0..n), left to right, as Perl
 * and Python find them: after an empty match the scan moves on one
 * character (a whole UTF-8 one, with or without the u flag, so no piece
 * of a result splits a character), and an empty match right after
 * another match counts.
 */
struct fn_scan {
	const struct regex *re;
	const char *s;
	size_t n;
	size_t pos;		/* where the next search starts */
	int done;
	int ngroups;		/* the pattern's groups + 1, at most REGEX_MAX_GROUPS */
	size_t g[2 * REGEX_MAX_GROUPS];	/* the last match's groups */
};

void fn_scan_init(struct fn_scan *, const struct regex *, const char *s, size_t n);
/* 1: a match in sc->g; 0: no more; -1: a record error for function name. */
int fn_scan_next(struct eval_ctx *, const char *name, struct fn_scan *);

/* The bytes of a string value, never NULL (a 0-byte slice may be NULL). */
static inline const char *
fn_bytes(struct value v)
{
	return v.u.s != NULL ? v.u.s : "";
}

/* (fn_regex.c) A regex value's compiled form. */
static inline const struct regex *
fn_regex(struct value v)
{
	return (const struct regex *)v.u.p;
}

#endif
