/*
 * value.c: unit tests for stdlib/value.c: equality across int and float,
 * hashes consistent with it, the total order across types (and int64
 * against double beyond 2^53), deep copies, and the exact text of the
 * print, tsv, json and csv forms.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdlib/regex.h"
#include "stdlib/arena.h"
#include "stdlib/strbuf.h"
#include "stdlib/value.h"
#include "tap.h"

static struct arena *A;

static struct value
S(const char *s)
{
	return value_str(s, strlen(s));
}

static struct value
I(int64_t i)
{
	return value_int(i);
}

static struct value
F(double d)
{
	return value_float(d);
}

/* A tuple, list or map of n values (a map: 2n, key then value). */
static struct value
seq(enum value_type t, int n, ...)
{
	int nitems = t == VT_MAP ? 2 * n : n, i;
	struct value *items = arena_alloc(A, (size_t)(nitems + 1) * sizeof *items);
	va_list ap;

	va_start(ap, n);
	for (i = 0; i < nitems; i++)
		items[i] = va_arg(ap, struct value);
	va_end(ap);
	return value_seq(t, items, (size_t)n);
}

#define T(n, ...)	seq(VT_TUPLE, n, __VA_ARGS__)
#define L(n, ...)	seq(VT_LIST, n, __VA_ARGS__)
#define M(n, ...)	seq(VT_MAP, n, __VA_ARGS__)

/* The text of a format, in a buffer that lives until the next call. */
static const char *
fmt(void (*f)(struct strbuf *, struct value), struct value v)
{
	static struct strbuf sb = STRBUF_INIT;

	strbuf_reset(&sb);
	f(&sb, v);
	return strbuf_str(&sb);
}

#define PRINT(v)	fmt(value_format_print, (v))
#define TSV(v)		fmt(value_format_tsv, (v))
#define JSON(v)		fmt(value_format_json, (v))
#define CSV(v)		fmt(value_format_csv, (v))

/* a < b both ways round. */
static int
less(struct value a, struct value b)
{
	return value_compare(a, b) == -1 && value_compare(b, a) == 1;
}

static int
qsort_cmp(const void *x, const void *y)
{
	return value_compare(*(const struct value *)x, *(const struct value *)y);
}

static int
qsort_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

static struct regex re1 = { NULL, "a+b", 3, "i" };
static struct regex re2 = { NULL, "a+b", 3, "i" };
static struct regex re3 = { NULL, "a\\/\"b", 5, "" };

static void
test_equal(void)
{
	char buf1[] = "word", buf2[] = "word";
	struct value nested1 = T(2, I(1), T(2, S("x"), F(2.0)));
	struct value nested2 = T(2, F(1.0), T(2, S("x"), I(2)));

	TAP_OK(value_equal(I(1), F(1.0)), "1 == 1.0");
	TAP_OK(value_equal(F(1.0), I(1)), "1.0 == 1");
	TAP_OK(!value_equal(I(1), F(1.5)), "1 != 1.5");
	TAP_OK(value_equal(value_str(buf1, 4), value_str(buf2, 4)),
	    "strings equal by bytes, not pointer");
	TAP_OK(!value_equal(S("ab"), S("abc")), "prefix is not equal");
	TAP_OK(value_equal(value_str(NULL, 0), S("")), "NULL empty slice == \"\"");
	TAP_OK(value_equal(nested1, nested2), "nested (1,(x,2.0)) == (1.0,(x,2))");
	TAP_OK(!value_equal(T(2, I(1), I(2)), L(2, I(1), I(2))),
	    "tuple != list with the same items");
	TAP_OK(!value_equal(T(2, I(1), I(2)), T(3, I(1), I(2), I(3))),
	    "tuples of different lengths differ");
	TAP_OK(value_equal(M(2, S("a"), I(1), S("b"), I(2)),
	    M(2, S("b"), F(2.0), S("a"), I(1))), "maps equal in any order");
	TAP_OK(!value_equal(M(2, S("a"), I(1), S("b"), I(2)),
	    M(2, S("a"), I(1), S("b"), I(3))), "maps with a different value");
	TAP_OK(!value_equal(M(1, S("a"), I(1)),
	    M(2, S("a"), I(1), S("b"), I(2))), "maps of different sizes");
	TAP_OK(!value_equal(M(1, S("a"), I(1)), M(1, S("c"), I(1))),
	    "maps with a different key");
	TAP_OK(value_equal(F(NAN), F(-NAN)), "NaN == NaN");
	TAP_OK(value_equal(F(-0.0), I(0)), "-0.0 == 0");
	TAP_OK(!value_equal(value_bool(1), I(1)), "true != 1");
	TAP_OK(value_equal(value_null(), value_null()) &&
	    !value_equal(value_null(), value_bool(0)), "null == null, null != false");
	TAP_OK(!value_equal(I(((int64_t)1 << 53) + 1), F(0x1p53)),
	    "2^53+1 != 2^53 (no rounding to double)");
	TAP_OK(!value_equal(I(INT64_MAX), F(0x1p63)), "INT64_MAX != 2^63");
	TAP_OK(value_equal(I(INT64_MIN), F(-0x1p63)), "INT64_MIN == -2^63");
}

static struct value
regex(struct regex *e)
{
	struct value v = { VT_REGEX, 0, { .p = e } };
	return v;
}

static void
test_regex(void)
{
	TAP_OK(value_equal(regex(&re1), regex(&re1)), "a regex equals itself");
	TAP_OK(!value_equal(regex(&re1), regex(&re2)),
	    "regexes are equal by identity, not text");
	TAP_OK(value_hash(regex(&re1)) == value_hash(regex(&re1)), "regex hash");
	TAP_OK(value_compare(regex(&re1), regex(&re2)) != 0 &&
	    value_compare(regex(&re1), regex(&re2)) ==
	    -value_compare(regex(&re2), regex(&re1)), "distinct regexes ordered");
	TAP_OK(less(M(0, I(0)), regex(&re1)), "maps < regexes");
	TAP_STR(PRINT(regex(&re1)), "/a+b/i", "print regex");
	TAP_STR(JSON(regex(&re3)), "\"/a\\\\/\\\"b/\"", "json regex");
	TAP_STR(TSV(T(2, S("k"), regex(&re1))), "k\t/a+b/i", "tsv regex");
	TAP_STR(CSV(regex(&re1)), "/a+b/i", "csv regex");
	TAP_STR(value_type_name(regex(&re1)), "regex", "type name regex");
}

static void
test_hash(void)
{
	struct value m1 = M(3, S("a"), I(1), S("b"), L(2, I(1), F(2.5)), I(7), S("x"));
	struct value m2 = M(3, F(7.0), S("x"), S("b"), L(2, F(1.0), F(2.5)), S("a"), F(1.0));
	char word[16];
	uint64_t *hs, h;
	int i, j, dup, buckets[256], flips, trials;
	double mean, chi;

	TAP_OK(value_hash(I(1)) == value_hash(F(1.0)), "hash 1 == hash 1.0");
	TAP_OK(value_hash(F(-0.0)) == value_hash(I(0)) &&
	    value_hash(F(0.0)) == value_hash(I(0)), "hash -0.0 == hash 0.0 == hash 0");
	TAP_OK(value_hash(F(NAN)) == value_hash(F(-NAN)), "every NaN hashes alike");
	TAP_OK(value_hash(F(0x1p53)) == value_hash(I((int64_t)1 << 53)) &&
	    value_hash(F(-0x1p63)) == value_hash(I(INT64_MIN)),
	    "integral doubles hash as their int");
	TAP_OK(value_hash(T(2, I(1), T(2, S("x"), F(2.0)))) ==
	    value_hash(T(2, F(1.0), T(2, S("x"), I(2)))), "nested tuples hash by value");
	TAP_OK(value_equal(m1, m2) && value_hash(m1) == value_hash(m2),
	    "equal maps in another order hash alike");
	TAP_OK(value_hash(S("hello")) == hash_bytes("hello", 5),
	    "a string hashes as hash_bytes");
	TAP_OK(value_hash(value_str(NULL, 0)) == value_hash(S("")), "empty slices hash alike");
	TAP_OK(value_hash(S("a")) != value_hash(S("b")), "hash a != hash b");
	TAP_OK(value_hash(T(1, I(1))) != value_hash(L(1, I(1))), "(1) and [1] hash apart");
	TAP_OK(value_hash(I(1)) != value_hash(value_bool(1)), "1 and true hash apart");
	TAP_OK(value_hash(T(2, I(1), I(2))) != value_hash(T(2, I(2), I(1))),
	    "tuples hash by position");
	TAP_OK(value_hash(F(0.1)) != value_hash(F(0.2)), "0.1 and 0.2 hash apart");
	/* Pinned: partitions and checkpoints rely on hashes never changing. */
	TAP_OK(hash_bytes("hello", 5) == UINT64_C(0xf4aa7f4c4428f48b), "hash_bytes(hello) is pinned: %016llx",
	    (unsigned long long)hash_bytes("hello", 5));
	TAP_OK(hash_bytes("the quick brown fox", 19) == UINT64_C(0x258d5cfb4ab5f555),
	    "hash_bytes(19 bytes) is pinned: %016llx",
	    (unsigned long long)hash_bytes("the quick brown fox", 19));

	/* Many short keys: no 64-bit collisions, even low-bit buckets. */
	hs = malloc(200000 * sizeof *hs);
	memset(buckets, 0, sizeof buckets);
	for (i = 0; i < 200000; i++) {
		snprintf(word, sizeof word, "w%d", i);
		hs[i] = hash_bytes(word, strlen(word));
		buckets[hs[i] & 255]++;
	}
	qsort(hs, 200000, sizeof *hs, qsort_u64);
	for (dup = 0, i = 1; i < 200000; i++)
		dup += hs[i] == hs[i - 1];
	free(hs);
	TAP_OK(dup == 0, "200000 short keys, no collisions (%d)", dup);
	mean = 200000 / 256.0;
	for (chi = 0, i = 0; i < 256; i++)
		chi += (buckets[i] - mean) * (buckets[i] - mean) / mean;
	TAP_OK(chi < 350, "low byte evenly spread (chi^2 %.1f, 255 dof)", chi);

	/* Avalanche: flipping one input bit flips about half the output. */
	flips = trials = 0;
	for (i = 1; i <= 24; i++) {
		unsigned char in[24];
		for (j = 0; j < i; j++)
			in[j] = (unsigned char)(j * 37 + i);
		h = hash_bytes(in, (size_t)i);
		for (j = 0; j < i * 8; j++) {
			in[j / 8] ^= (unsigned char)(1 << (j % 8));
			flips += __builtin_popcountll(h ^ hash_bytes(in, (size_t)i));
			in[j / 8] ^= (unsigned char)(1 << (j % 8));
			trials++;
		}
	}
	mean = (double)flips / trials;
	TAP_OK(mean > 31 && mean < 33, "avalanche: %.2f of 64 bits flip", mean);
}

static void
test_compare(void)
{
	struct value order[] = {
		value_null(), value_bool(0), value_bool(1), F(-INFINITY),
		I(INT64_MIN), F(-1.5), I(-1), F(-0.5), I(0), F(0.5), I(1),
		F(1.5), I(2), F(0x1p53), I(((int64_t)1 << 53) + 1),
		I(INT64_MAX), F(0x1p63), F(INFINITY), F(NAN),
		S(""), S("a"), S("ab"), S("abc"), S("abd"), S("b"), S("\xc3\xa9"),
		T(0, I(0)), T(1, I(1)), T(2, I(1), I(2)), T(3, I(1), I(2), I(0)),
		T(2, I(1), I(3)), T(1, I(2)),
		L(0, I(0)), L(1, S("a")), M(0, I(0)), M(1, S("a"), I(1)),
		M(2, S("a"), I(1), S("b"), I(0)), M(1, S("a"), I(2)),
	};
	size_t n = sizeof order / sizeof order[0], i, j;
	int ok = 1;
	struct value mixed[6];
	struct strbuf sb = STRBUF_INIT;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			int want = i < j ? -1 : i > j ? 1 : 0;
			if (value_compare(order[i], order[j]) != want) {
				printf("# compare(%s, ", PRINT(order[i]));
				printf("%s) != %d\n", PRINT(order[j]), want);
				ok = 0;
			}
		}
	}
	TAP_OK(ok, "a total order over %zu values of every type", n);
	TAP_OK(less(value_null(), value_bool(0)), "null < false");
	TAP_OK(less(value_bool(1), I(-5)), "true < numbers");
	TAP_OK(less(F(1e300), S("")), "numbers < strings");
	TAP_OK(less(S("zzz"), T(0, I(0))), "strings < tuples");
	TAP_OK(less(T(1, I(9)), L(0, I(0))), "tuples < lists");
	TAP_OK(less(L(1, I(9)), M(0, I(0))), "lists < maps");
	TAP_OK(value_compare(I(1), F(1.0)) == 0, "compare 1 with 1.0 is 0");
	TAP_OK(less(F(0x1p53), I(((int64_t)1 << 53) + 1)), "2^53 < 2^53+1 exactly");
	TAP_OK(less(I(((int64_t)1 << 53) - 1), F(0x1p53)), "2^53-1 < 2^53");
	TAP_OK(less(I(INT64_MAX), F(0x1p63)), "INT64_MAX < 2^63 (double)");
	TAP_OK(value_compare(I(INT64_MIN), F(-0x1p63)) == 0, "INT64_MIN == -2^63");
	TAP_OK(less(F(-0x1p64), I(INT64_MIN)), "-2^64 < INT64_MIN");
	TAP_OK(less(I(INT64_MAX), F(NAN)) && less(F(INFINITY), F(NAN)),
	    "NaN above every number");
	TAP_OK(value_compare(F(NAN), F(NAN)) == 0, "compare NaN with NaN is 0");
	TAP_OK(value_compare(F(-0.0), F(0.0)) == 0, "-0.0 compares equal to 0.0");
	TAP_OK(less(S("a"), S("\xff")), "strings compare bytes unsigned");
	TAP_OK(less(value_str("a\0b", 3), value_str("a\0c", 3)), "strings with NUL");
	TAP_OK(value_compare(M(2, S("a"), I(1), S("b"), I(2)),
	    M(2, S("b"), I(2), S("a"), F(1.0))) == 0, "maps compare by entries, any order");

	mixed[0] = S("b");
	mixed[1] = I(3);
	mixed[2] = value_null();
	mixed[3] = T(2, S("a"), I(1));
	mixed[4] = F(2.5);
	mixed[5] = value_bool(1);
	qsort(mixed, 6, sizeof mixed[0], qsort_cmp);
	for (i = 0; i < 6; i++) {
		value_format_print(&sb, mixed[i]);
		strbuf_addc(&sb, ' ');
	}
	TAP_STR(strbuf_str(&sb), "null true 2.5 3 b (a,1) ", "sorting mixed types");
	strbuf_release(&sb);
}

static void
test_copy(void)
{
	struct arena *b = arena_new(0);
	char buf[] = "abc", key[] = "k";
	struct value orig = T(2, value_str(buf, 3),
	    L(2, I(1), M(1, value_str(key, 1), value_str(buf, 2))));
	struct value c = value_copy(b, orig), s, p;

	TAP_OK(value_equal(c, orig), "a copy equals its original");
	TAP_OK(c.u.items != orig.u.items && c.u.items[0].u.s != buf, "a copy shares no parts");
	buf[0] = 'X';
	key[0] = 'Z';
	TAP_STR(PRINT(c), "(abc,[1,{\"k\":\"ab\"}])", "a copy is unchanged by its source");
	TAP_OK(!value_equal(c, orig), "the original did change");
	s = value_str_copy(b, buf, 3);
	buf[1] = 'Y';
	TAP_OK(s.n == 3 && memcmp(s.u.s, "Xbc", 3) == 0 && s.u.s[3] == '\0',
	    "value_str_copy copies (and terminates)");
	p = value_pair(b, S("w"), I(3));
	TAP_OK(p.type == VT_TUPLE && p.n == 2, "value_pair is a 2-tuple");
	TAP_STR(PRINT(p), "(w,3)", "value_pair prints");
	c = value_copy(b, T(0, I(0)));
	TAP_OK(c.type == VT_TUPLE && c.n == 0, "copy of an empty tuple");
	arena_free(b);
}

static void
test_misc(void)
{
	TAP_OK(value_is_number(I(1)) && value_is_number(F(1)) &&
	    !value_is_number(S("1")) && !value_is_number(value_bool(1)),
	    "value_is_number");
	TAP_OK(value_as_double(I(-3)) == -3.0 && value_as_double(F(2.5)) == 2.5,
	    "value_as_double");
	TAP_STR(value_type_name(value_null()), "null", "type name null");
	TAP_STR(value_type_name(value_bool(0)), "boolean", "type name boolean");
	TAP_STR(value_type_name(I(0)), "integer", "type name integer");
	TAP_STR(value_type_name(F(0)), "number", "type name number");
	TAP_STR(value_type_name(S("")), "string", "type name string");
	TAP_STR(value_type_name(T(0, I(0))), "tuple", "type name tuple");
	TAP_STR(value_type_name(L(0, I(0))), "list", "type name list");
	TAP_STR(value_type_name(M(0, I(0))), "map", "type name map");
}

static void
test_print(void)
{
	struct strbuf sb = STRBUF_INIT;

	TAP_STR(PRINT(S("a,b\"c\td\ne")), "a,b\"c\td\ne", "print: strings raw");
	TAP_STR(PRINT(S("caf\xc3\xa9")), "caf\xc3\xa9", "print: non-ASCII raw");
	TAP_STR(PRINT(I(42)), "42", "print 42");
	TAP_STR(PRINT(I(-7)), "-7", "print -7");
	TAP_STR(PRINT(I(0)), "0", "print 0");
	TAP_STR(PRINT(I(INT64_MIN)), "-9223372036854775808", "print INT64_MIN");
	TAP_STR(PRINT(I(INT64_MAX)), "9223372036854775807", "print INT64_MAX");
	TAP_STR(PRINT(F(0.1)), "0.1", "print 0.1");
	TAP_STR(PRINT(F(3.0)), "3.0", "print 3.0");
	TAP_STR(PRINT(F(1e20)), "1e+20", "print 1e+20");
	TAP_STR(PRINT(F(-0.0)), "-0.0", "print -0.0");
	TAP_STR(PRINT(F(1e-7)), "1e-07", "print 1e-7");
	TAP_STR(PRINT(F(NAN)), "nan", "print NaN");
	TAP_STR(PRINT(F(-NAN)), "nan", "print a NaN with its sign bit set as nan");
	TAP_STR(PRINT(F(INFINITY)), "inf", "print inf");
	TAP_STR(PRINT(F(-INFINITY)), "-inf", "print -inf");
	TAP_STR(PRINT(value_bool(1)), "true", "print true");
	TAP_STR(PRINT(value_bool(0)), "false", "print false");
	TAP_STR(PRINT(value_null()), "null", "print null");
	TAP_STR(PRINT(T(2, S("hadoop"), I(3))), "(hadoop,3)", "print a pair");
	TAP_STR(PRINT(T(2, S("a b"), T(2, I(1), F(2.5)))), "(a b,(1,2.5))",
	    "print a nested tuple");
	TAP_STR(PRINT(L(3, I(1), S("x"), value_null())), "[1,x,null]", "print a list");
	TAP_STR(PRINT(M(2, S("k"), S("v"), S("n"), I(1))), "{\"k\":\"v\",\"n\":1}",
	    "print a map as JSON");
	TAP_STR(PRINT(T(2, S("k"), M(1, I(1), L(1, S("a"))))), "(k,{\"1\":[\"a\"]})",
	    "print a map inside a tuple");
	TAP_STR(PRINT(T(0, I(0))), "()", "print ()");
	TAP_STR(PRINT(L(0, I(0))), "[]", "print []");
	TAP_STR(PRINT(M(0, I(0))), "{}", "print {}");
	TAP_STR(PRINT(value_str(NULL, 0)), "", "print an empty slice");

	strbuf_adds(&sb, "x=");
	value_format_print(&sb, T(1, I(1)));
	value_format_json(&sb, S("y"));
	TAP_STR(strbuf_str(&sb), "x=(1)\"y\"", "formats append, with no newline");
	strbuf_release(&sb);
}

static void
test_tsv(void)
{
	TAP_STR(TSV(T(3, S("a b"), I(1), F(2.5))), "a b\t1\t2.5", "tsv: a tuple's fields");
	TAP_STR(TSV(T(2, S("x"), T(2, S("y"), I(2)))), "x\t(y,2)", "tsv: nested tuple field");
	TAP_STR(TSV(T(2, S("a\tb"), S("c,\"d\""))), "a\tb\tc,\"d\"", "tsv: fields as print");
	TAP_STR(TSV(I(5)), "5", "tsv: an int");
	TAP_STR(TSV(F(3.0)), "3.0", "tsv: a double");
	TAP_STR(TSV(value_null()), "null", "tsv: null");
	TAP_STR(TSV(S("caf\xc3\xa9")), "caf\xc3\xa9", "tsv: a string");
	TAP_STR(TSV(L(2, I(1), I(2))), "[1,2]", "tsv: a list");
	TAP_STR(TSV(M(1, S("a"), F(NAN))), "{\"a\":null}", "tsv: a map");
	TAP_STR(TSV(T(2, value_null(), L(1, S("q")))), "null\t[q]", "tsv: null, list fields");
}

static void
test_json(void)
{
	TAP_STR(JSON(S("q\"b\\n\nt\tr\rb\bf\f")), "\"q\\\"b\\\\n\\nt\\tr\\rb\\bf\\f\"",
	    "json: escapes");
	TAP_STR(JSON(S("\x01\x1f\x7f/")), "\"\\u0001\\u001f\x7f/\"", "json: control bytes");
	TAP_STR(JSON(value_str("a\0b", 3)), "\"a\\u0000b\"", "json: NUL");
	TAP_STR(JSON(S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")),
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "json: valid UTF-8 raw");
	TAP_STR(JSON(S("a\xff" "b")), "\"a\\ufffdb\"", "json: a bad byte");
	TAP_STR(JSON(S("a\xe2\x82" "b")), "\"a\\ufffdb\"", "json: a truncated sequence");
	TAP_STR(JSON(S("\xe2\x82")), "\"\\ufffd\"", "json: truncated at the end");
	TAP_STR(JSON(S("\xc0\xaf")), "\"\\ufffd\\ufffd\"", "json: overlong form");
	TAP_STR(JSON(S("\xed\xa0\x80")), "\"\\ufffd\\ufffd\\ufffd\"", "json: a surrogate");
	TAP_STR(JSON(S("\xf4\x90\x80\x80")), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
	    "json: above U+10FFFF");
	TAP_STR(JSON(I(-12)), "-12", "json: an int");
	TAP_STR(JSON(F(0.1)), "0.1", "json 0.1");
	TAP_STR(JSON(F(3.0)), "3.0", "json 3.0");
	TAP_STR(JSON(F(1e20)), "1e+20", "json 1e+20");
	TAP_STR(JSON(F(-0.0)), "-0.0", "json -0.0");
	TAP_STR(JSON(F(1e-7)), "1e-07", "json 1e-7");
	TAP_STR(JSON(F(NAN)), "null", "json: NaN is null");
	TAP_STR(JSON(F(INFINITY)), "null", "json: inf is null");
	TAP_STR(JSON(value_null()), "null", "json null");
	TAP_STR(JSON(value_bool(1)), "true", "json true");
	TAP_STR(JSON(T(2, S("a"), I(1))), "[\"a\",1]", "json: a tuple is an array");
	TAP_STR(JSON(T(2, S("a"), T(2, I(1), S("b")))), "[\"a\",[1,\"b\"]]",
	    "json: nested tuples");
	TAP_STR(JSON(L(3, I(1), value_null(), F(2.5))), "[1,null,2.5]", "json: a list");
	TAP_STR(JSON(M(2, S("k"), L(2, I(1), I(2)), S("n\""), value_null())),
	    "{\"k\":[1,2],\"n\\\"\":null}", "json: a map");
	TAP_STR(JSON(M(3, I(1), S("a"), F(1.5), value_bool(0), T(2, S("a"), I(1)), I(2))),
	    "{\"1\":\"a\",\"1.5\":false,\"[\\\"a\\\",1]\":2}", "json: non-string keys");
	TAP_STR(JSON(M(0, I(0))), "{}", "json: an empty map");
}

static void
test_csv(void)
{
	TAP_STR(CSV(T(5, S("a,b"), S("say \"hi\""), S("plain"), I(3), F(2.5))),
	    "\"a,b\",\"say \"\"hi\"\"\",plain,3,2.5", "csv: commas and quotes");
	TAP_STR(CSV(T(3, S("a\rb"), S("c\nd"), S("e\tf"))), "\"a\rb\",\"c\nd\",e\tf",
	    "csv: CR and LF quoted, tab not");
	TAP_STR(CSV(T(2, S("x"), T(2, I(1), I(2)))), "x,\"(1,2)\"", "csv: a nested tuple");
	TAP_STR(CSV(T(2, S("x"), T(1, I(1)))), "x,(1)", "csv: a 1-tuple field unquoted");
	TAP_STR(CSV(S("a,b")), "\"a,b\"", "csv: a lone string");
	TAP_STR(CSV(S("\"")), "\"\"\"\"", "csv: a lone quote");
	TAP_STR(CSV(S("caf\xc3\xa9")), "caf\xc3\xa9", "csv: non-ASCII raw");
	TAP_STR(CSV(I(7)), "7", "csv: an int");
	TAP_STR(CSV(F(-0.0)), "-0.0", "csv -0.0");
	TAP_STR(CSV(F(1e-7)), "1e-07", "csv 1e-7");
	TAP_STR(CSV(F(1e20)), "1e+20", "csv 1e+20");
	TAP_STR(CSV(F(NAN)), "nan", "csv NaN");
	TAP_STR(CSV(value_null()), "null", "csv null");
	TAP_STR(CSV(S("")), "\"\"", "csv: a lone empty string is \"\"");
	TAP_STR(CSV(T(2, S(""), I(1))), ",1", "csv: an empty field");
	TAP_STR(CSV(M(1, S("a"), I(1))), "\"{\"\"a\"\":1}\"", "csv: a map field");
	TAP_STR(CSV(L(2, I(1), I(2))), "\"[1,2]\"", "csv: a list field");
}

/* The map whose items are m's, made unique, as JSON text. */
static const char *
unique(struct value m)
{
	m.n = (uint32_t)value_map_unique(m.u.items, m.n);
	return JSON(m);
}

static void
test_map_unique(void)
{
	struct value *items;
	struct value m;
	char want[64];
	int i, ok;

	TAP_STR(unique(M(2, S("a"), I(1), S("a"), I(2))), "{\"a\":2}", "unique: the last value wins");
	TAP_STR(unique(M(3, S("a"), I(1), S("b"), I(2), S("a"), I(3))), "{\"a\":3,\"b\":2}",
	    "unique: in the place of the first");
	TAP_STR(unique(M(2, I(1), S("x"), F(1.0), S("y"))), "{\"1\":\"y\"}", "unique: 1 and 1.0 are one key");
	TAP_STR(unique(M(2, F(NAN), I(1), F(-NAN), I(2))), "{\"null\":2}", "unique: NaN is one key");
	TAP_STR(unique(M(2, I(1), I(1), S("1"), I(2))), "{\"1\":1,\"1\":2}",
	    "unique: 1 and \"1\" are two keys");
	TAP_STR(unique(M(0, I(0))), "{}", "unique: no entries");

	/* Past the pairwise comparisons: 300 entries, keys 0..99 three times. */
	items = arena_alloc(A, 600 * sizeof *items);
	for (i = 0; i < 300; i++) {
		items[2 * i] = i % 2 ? F((double)(i % 100)) : I(i % 100);
		items[2 * i + 1] = I(i);
	}
	m = value_seq(VT_MAP, items, 300);
	m.n = (uint32_t)value_map_unique(m.u.items, m.n);
	ok = m.n == 100;
	for (i = 0; ok && i < 100; i++)
		ok = value_equal(m.u.items[2 * i], I(i)) && m.u.items[2 * i + 1].u.i == 200 + i;
	TAP_OK(ok, "unique: a large map keeps one entry per key, first place, last value");
	snprintf(want, sizeof want, "%u entries", m.n);
	TAP_STR(want, "100 entries", "unique: a large map's size");
}

int
main(void)
{
	A = arena_new(0);
	test_equal();
	test_regex();
	test_hash();
	test_compare();
	test_copy();
	test_misc();
	test_print();
	test_tsv();
	test_json();
	test_csv();
	test_map_unique();
	arena_free(A);
	return tap_done();
}
