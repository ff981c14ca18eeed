/*
 * fn_math.c: abs, round, floor, ceil, min, max and sum.
 *
 * Integers stay integers and overflow is a record error, never a wrap
 * (SPEC 1.1).  round, floor and ceil of a double give an integer when the
 * result fits int64 (so `round(_ / 2)` is a key like any count) and a
 * double otherwise (1e30, NaN, the infinities).  null and strings are not
 * numbers: abs(null) is an error, as arithmetic with null is, and the
 * message for a string suggests num().
 */
#include <math.h>

#include "fn.h"

static int
math_number(struct eval_ctx *ctx, const char *name, struct value x)
{
	if (value_is_number(x))
		return 0;
	return fn_type_error(ctx, name, "a number", x);
}

/* abs(x): |x|; abs of the smallest int64 overflows. */
int
fn_abs(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct value x = args[0];

	(void)nargs;
	if (math_number(ctx, "abs", x) != 0)
		return -1;
	if (x.type == VT_FLOAT) {
		*out = value_float(fabs(x.u.d));
		return 0;
	}
	if (x.u.i == INT64_MIN)
		return builtin_error(ctx, "integer overflow in abs");
	*out = value_int(x.u.i < 0 ? -x.u.i : x.u.i);
	return 0;
}

/* A rounded double as an integer when it fits, else as it is. */
static struct value
math_integral(double d)
{
	if (d >= -9223372036854775808.0 && d < 9223372036854775808.0)
		return value_int((int64_t)d);
	return value_float(d);
}

static int
math_round(struct eval_ctx *ctx, const char *name, const struct value *args,
    struct value *out, double (*f)(double))
{
	struct value x = args[0];

	if (math_number(ctx, name, x) != 0)
		return -1;
	*out = x.type == VT_INT ? x : math_integral(f(x.u.d));
	return 0;
}

/* round(x): the nearest integer, halves away from zero (C's round). */
int
fn_round(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	(void)nargs;
	return math_round(ctx, "round", args, out, round);
}

int
fn_floor(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	(void)nargs;
	return math_round(ctx, "floor", args, out, floor);
}

int
fn_ceil(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	(void)nargs;
	return math_round(ctx, "ceil", args, out, ceil);
}

/*
 * min(a, b), max(a, b): by the order of sort, across types (null <
 * booleans < numbers < strings < ...), so min(null, 3) is null; on a tie
 * (1 and 1.0) the first.
 */
int
fn_min(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	(void)ctx;
	(void)nargs;
	*out = value_compare(args[0], args[1]) <= 0 ? args[0] : args[1];
	return 0;
}

int
fn_max(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	(void)ctx;
	(void)nargs;
	*out = value_compare(args[0], args[1]) >= 0 ? args[0] : args[1];
	return 0;
}

/*
 * sum(list): the sum of a list (or tuple) of numbers; 0 for an empty one.
 * All integers: an integer, overflow an error.  Any double: a double sum
 * of them all, so [2^63-1, 1, 0.5] is about 9.2e18, not an overflow.
 * An item that is not a number (null included) is an error.
 */
int
fn_sum(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct value l = args[0], x;
	int64_t isum = 0;
	double dsum = 0;
	int any_double = 0;
	uint32_t i;

	(void)nargs;
	if (l.type != VT_LIST && l.type != VT_TUPLE)
		return fn_type_error(ctx, "sum", "a list of numbers", l);
	for (i = 0; i < l.n; i++) {
		x = l.u.items[i];
		if (x.type == VT_FLOAT)
			any_double = 1;
		else if (x.type != VT_INT)
			return builtin_error(ctx, "sum needs a list of numbers, got %s at index %u%s",
			    fn_describe(ctx, x), i, x.type == VT_STR ? " (use num())" : "");
	}
	for (i = 0; i < l.n; i++) {
		x = l.u.items[i];
		if (any_double)
			dsum += value_as_double(x);
		else if (__builtin_add_overflow(isum, x.u.i, &isum))
			return builtin_error(ctx, "integer overflow in sum");
	}
	*out = any_double ? value_float(dsum) : value_int(isum);
	return 0;
}
