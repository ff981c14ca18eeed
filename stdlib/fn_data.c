/*
 * fn_data.c: conversions between values and text -- num, int, str, json,
 * tojson, csv, hash -- and the type-error messages every built-in shares.
 *
 * Types are never converted silently (SPEC 1.6); these functions are the
 * explicit conversions a message points to.  num and int never fail: what
 * does not read as a number is null, so `num(_) ?? 0` is the idiom.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "fn.h"
#include "json.h"
#include "number.h"
#include "strbuf.h"
#include "xmalloc.h"

/* How much of a value a message shows before it cuts it short. */
#define DATA_DESCRIBE_MAX 40

/* ---- messages ---- */

/* Cut sb to at most max bytes at a UTF-8 character boundary; 1 if cut. */
static int
data_cut(struct strbuf *sb, size_t max)
{
	size_t n = max;

	if (sb->len <= max)
		return 0;
	while (n > 0 && ((unsigned char)sb->data[n] & 0xc0) == 0x80)
		n--;
	sb->len = n;
	sb->data[n] = '\0';
	return 1;
}

const char *
fn_describe(struct eval_ctx *ctx, struct value v)
{
	struct strbuf sb = STRBUF_INIT;
	const struct regex *re;
	struct value s;
	int cut;

	if (v.type == VT_NULL)
		return "null";
	strbuf_adds(&sb, value_type_name(v));
	strbuf_addc(&sb, ' ');
	if (v.type == VT_STR) {
		/* Quoted as JSON, so blanks and control characters show. */
		s = v;
		if (s.n > DATA_DESCRIBE_MAX)
			s.n = DATA_DESCRIBE_MAX;
		while (s.n < v.n && s.n > 0 && ((unsigned char)s.u.s[s.n] & 0xc0) == 0x80)
			s.n--;
		value_format_json(&sb, s);
		if (s.n < v.n) {
			sb.len--;	/* the closing quote */
			strbuf_adds(&sb, "...\"");
		}
	} else if (v.type == VT_REGEX) {
		re = fn_regex(v);
		strbuf_addc(&sb, '/');
		strbuf_add(&sb, re->pattern, re->len);
		strbuf_addc(&sb, '/');
		strbuf_adds(&sb, re->flags);
	} else {
		size_t start = sb.len;
		value_format_print(&sb, v);
		cut = data_cut(&sb, start + DATA_DESCRIBE_MAX);
		if (cut)
			strbuf_adds(&sb, "...");
	}
	s = value_str_copy(ctx->arena, sb.data, sb.len);
	strbuf_release(&sb);
	return s.u.s;
}

int
fn_type_error(struct eval_ctx *ctx, const char *name, const char *want, struct value v)
{
	const char *hint = "";

	if (v.type == VT_STR && (strstr(want, "number") != NULL || strstr(want, "integer") != NULL))
		hint = " (use num())";
	else if ((value_is_number(v) || v.type == VT_BOOL) &&
	    (strcmp(want, "a string") == 0 || strncmp(want, "a string as", 11) == 0))
		hint = " (use str())";
	return builtin_error(ctx, "%s needs %s, got %s%s", name, want, fn_describe(ctx, v), hint);
}

/* ---- num, int ---- */

static int
data_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * The number the text s[0..n) holds, with blanks around it allowed, as
 * number_read reads it: an integer when the text is integral and fits
 * int64, else the nearest double -- so an integer beyond int64 is a
 * double (as awk, jq and Python read it) and a number beyond a double's
 * range is an infinity (as strtod, Python and JavaScript read it).  No
 * hex, no "inf" or "nan": those are not numbers (return 0).
 */
static int
data_parse_number(const char *s, size_t n, struct value *out)
{
	const char *end = s + n;
	struct number num;

	while (s < end && data_is_space(*s))
		s++;
	while (end > s && data_is_space(end[-1]))
		end--;
	switch (number_read(s, (size_t)(end - s), &num)) {
	case NUMBER_INT:
		*out = value_int(num.i);
		return 1;
	case NUMBER_FLOAT:
		*out = value_float(num.d);
		return 1;
	case NUMBER_NONE:
		break;
	}
	return 0;
}

/*
 * num(x): numbers as they are; strings as data_parse_number reads them;
 * booleans as 1 and 0 (the explicit conversion Spark's cast makes); any
 * other value, and text that is not a number, null.
 */
int
fn_num(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct value x = args[0];

	(void)ctx;
	(void)nargs;
	*out = value_null();
	switch (x.type) {
	case VT_INT:
	case VT_FLOAT:
		*out = x;
		break;
	case VT_BOOL:
		*out = value_int(x.u.i);
		break;
	case VT_STR:
		if (!data_parse_number(x.u.s, x.n, out))
			*out = value_null();
		break;
	default:
		break;
	}
	return 0;
}

/*
 * int(x): num(x) truncated towards zero; null when num(x) is null or the
 * double is NaN or outside int64 ("1e30" is null, not a wrapped number).
 */
int
fn_int(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct value x;
	double d;

	fn_num(ctx, args, nargs, &x);
	if (x.type != VT_FLOAT) {
		*out = x;
		return 0;
	}
	d = trunc(x.u.d);
	if (d >= -9223372036854775808.0 && d < 9223372036854775808.0)
		*out = value_int((int64_t)d);
	else
		*out = value_null();
	return 0;
}

/* ---- text forms ---- */

static struct value
data_text(struct eval_ctx *ctx, struct strbuf *sb)
{
	struct value v = value_str_copy(ctx->arena, sb->data, sb->len);

	strbuf_release(sb);
	return v;
}

/* str(x): the print form (strings as they are, null as "null"). */
int
fn_str(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct strbuf sb = STRBUF_INIT;

	(void)nargs;
	if (args[0].type == VT_STR) {
		*out = value_str_copy(ctx->arena, args[0].u.s, args[0].n);
		return 0;
	}
	if (args[0].type == VT_REGEX) {
		const struct regex *re = fn_regex(args[0]);
		strbuf_addc(&sb, '/');
		strbuf_add(&sb, re->pattern, re->len);
		strbuf_addc(&sb, '/');
		strbuf_adds(&sb, re->flags);
	} else
		value_format_print(&sb, args[0]);
	*out = data_text(ctx, &sb);
	return 0;
}

/* tojson(x): one line of JSON, tuples as arrays, NaN and infinities null. */
int
fn_tojson(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct strbuf sb = STRBUF_INIT;

	(void)nargs;
	if (args[0].type == VT_REGEX) {
		struct value s;
		fn_str(ctx, args, nargs, &s);
		value_format_json(&sb, s);
	} else
		value_format_json(&sb, args[0]);
	*out = data_text(ctx, &sb);
	return 0;
}

/* ---- json ---- */

/*
 * json(s): the value the JSON text s holds (any JSON value, not only an
 * object), as json_decode reads it; null when s is not JSON.  json(null)
 * is null.
 */
int
fn_json(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	(void)nargs;
	*out = value_null();
	if (args[0].type == VT_NULL)
		return 0;
	if (args[0].type != VT_STR)
		return fn_type_error(ctx, "json", "a string of JSON text", args[0]);
	if (json_decode(ctx->arena, args[0].u.s, args[0].n, out) != 0)
		*out = value_null();
	return 0;
}

/* ---- csv ---- */

/*
 * csv(s): the fields of one RFC 4180 record.  Fields are separated by
 * commas; a field that starts with a quote runs to the matching quote,
 * with "" standing for one quote, and may hold commas.  Leniently, as
 * Python's csv reader: text after a closing quote is kept, a quote
 * inside an unquoted field is a plain character, and an unclosed quote
 * runs to the end.  The empty string is no fields at all ([]), as an
 * empty line is no record; csv(null) is null.
 */
int
fn_csv(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	const char *s = args[0].u.s;
	size_t n = args[0].n, i = 0, w, start, nf = 1, k = 0;
	struct value *items;
	char *buf;

	(void)nargs;
	if (args[0].type == VT_NULL) {
		*out = value_null();
		return 0;
	}
	if (args[0].type != VT_STR)
		return fn_type_error(ctx, "csv", "a string", args[0]);
	if (n == 0) {
		*out = value_seq(VT_LIST, NULL, 0);
		return 0;
	}
	for (i = 0; i < n; i++)
		nf += s[i] == ',';
	items = arena_alloc(ctx->arena, nf * sizeof *items);
	/* Fields are unquoted into buf, never longer than their text. */
	buf = arena_alloc(ctx->arena, n);
	i = w = 0;
	for (;;) {
		start = w;
		if (i < n && s[i] == '"') {
			for (i++; i < n; i++) {
				if (s[i] != '"')
					buf[w++] = s[i];
				else if (i + 1 < n && s[i + 1] == '"')
					buf[w++] = s[i++];
				else {
					i++;
					break;
				}
			}
		}
		while (i < n && s[i] != ',')
			buf[w++] = s[i++];
		items[k++] = value_str(buf + start, w - start);
		if (i >= n)
			break;
		i++;	/* the comma */
	}
	*out = value_seq(VT_LIST, items, k);
	return 0;
}

/* ---- hash ---- */

/* hash(x): value_hash's 64 bits as an integer (so it may be negative). */
int
fn_hash(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	uint64_t h = value_hash(args[0]);
	int64_t i;

	(void)ctx;
	(void)nargs;
	memcpy(&i, &h, sizeof i);
	*out = value_int(i);
	return 0;
}
