/*
 * fn_string.c: the string functions -- split, words, lower, upper, trim,
 * len, substr, replace, contains, startsWith, endsWith, join, field -- and
 * the UTF-8 and list helpers the other fn_*.c files share.
 *
 * Strings are bytes (SPEC 1.1); the functions that count or classify
 * characters read them as UTF-8, one character per well-formed sequence
 * and one per byte that is not part of one, so malformed input never
 * fails and never loses bytes.  A null string argument gives null (a
 * missing field stays missing: `len(_.name) ?? 0`); a value of another
 * type is a record error.  Results are copied into ctx->arena; the pieces
 * of a split share one copy of the subject.
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "fn.h"
#include "utf8.h"
#include "strbuf.h"

/* ---- UTF-8 ---- */

/* The character at byte i: its length, 1 for a byte that is not valid
 * UTF-8 (read as U+FFFD, so every byte is some character). */
size_t
fn_utf8_char(const char *str, size_t n, size_t i, uint32_t *cp)
{
	int len = utf8_decode((const unsigned char *)str + i, n - i, cp);

	return len > 0 ? (size_t)len : 1;
}

static size_t
string_utf8_put(char *out, uint32_t c)
{
	unsigned char *o = (unsigned char *)out;

	if (c < 0x80) {
		o[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (unsigned char)(0xc0 | (c >> 6));
		o[1] = (unsigned char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (c >> 12));
		o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | (c >> 18));
	o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

/* ---- lists ---- */

void
fn_list_push(struct arena *a, struct fn_list *l, struct value v)
{
	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 8 : 2 * l->cap;
		struct value *items = arena_alloc(a, cap * sizeof *items);
		if (l->n > 0)
			memcpy(items, l->items, l->n * sizeof *items);
		l->items = items;	/* the old array stays in the arena */
		l->cap = cap;
	}
	l->items[l->n++] = v;
}

struct value
fn_list_value(const struct fn_list *l)
{
	return value_seq(VT_LIST, l->items, l->n);
}

/* ---- argument checks ---- */

/*
 * The common head of a string function: 1 when some argument among
 * args[0..n) is null (then *out is null and the caller returns 0), -1
 * for one that is not a string, 0 when all are strings.
 */
static int
string_args(struct eval_ctx *ctx, const char *name, const struct value *args, int n,
    struct value *out)
{
	int i;

	for (i = 0; i < n; i++) {
		if (args[i].type == VT_NULL) {
			*out = value_null();
			return 1;
		}
	}
	for (i = 0; i < n; i++)
		if (args[i].type != VT_STR)
			return fn_type_error(ctx, name, "a string", args[i]);
	return 0;
}

/* A null argument: 1 and *out null. */
static int
string_any_null(const struct value *args, int n, struct value *out)
{
	int i;

	for (i = 0; i < n; i++) {
		if (args[i].type == VT_NULL) {
			*out = value_null();
			return 1;
		}
	}
	return 0;
}

/* A separator or pattern: a non-empty string, or a regex. */
static int
string_check_pattern(struct eval_ctx *ctx, const char *name, const char *what,
    struct value p)
{
	char want[64];

	if (p.type == VT_REGEX)
		return 0;
	if (p.type != VT_STR) {
		snprintf(want, sizeof want, "a string or a regex as its %s", what);
		return fn_type_error(ctx, name, want, p);
	}
	if (p.n == 0)
		return builtin_error(ctx, "%s needs a non-empty %s", name, what);
	return 0;
}

static const char *
string_find(const char *s, size_t n, const char *t, size_t tn)
{
	if (tn > n)
		return NULL;
	return memmem(s, n, t, tn);
}

/* ---- pieces between separators (split, field) ---- */

/*
 * The pieces of s between the separators: a literal string, or the
 * matches of a regex.  Empty regex matches at the start or the end of s,
 * or right after the previous separator, do not split, so split("abc",
 * //) is [a,b,c] (as Java's String.split) and never begins or ends with
 * an empty piece that no separator made.
 */
struct pieces {
	const char *s;
	size_t n;
	size_t last;		/* where the current piece starts */
	int done;
	const struct value *sep;
	struct fn_scan sc;	/* the regex case */
};

static void
pieces_init(struct pieces *p, const char *s, size_t n, const struct value *sep)
{
	p->s = s;
	p->n = n;
	p->last = 0;
	p->done = 0;
	p->sep = sep;
	if (sep->type == VT_REGEX)
		fn_scan_init(&p->sc, fn_regex(*sep), s, n);
}

/* 1 and the next piece s[*start, *end); 0 at the end; -1 on an error. */
static int
pieces_next(struct eval_ctx *ctx, const char *name, struct pieces *p, size_t *start,
    size_t *end)
{
	const char *hit;
	int r;

	if (p->done)
		return 0;
	*start = p->last;
	if (p->sep->type == VT_STR) {
		hit = string_find(p->s + p->last, p->n - p->last, p->sep->u.s, p->sep->n);
		if (hit != NULL) {
			*end = (size_t)(hit - p->s);
			p->last = *end + p->sep->n;
			return 1;
		}
	} else {
		while ((r = fn_scan_next(ctx, name, &p->sc)) == 1) {
			size_t ms = p->sc.g[0], me = p->sc.g[1];
			if (ms == me && (ms == 0 || ms == p->n || ms == p->last))
				continue;
			*end = ms;
			p->last = me;
			return 1;
		}
		if (r < 0)
			return -1;
	}
	*end = p->n;
	p->done = 1;
	return 1;
}

/* ---- split, words ---- */

/*
 * split(s, sep): the pieces of s between separators, empty ones
 * included ("a,,b" gives [a,,b]; "a," gives [a,]), as awk, jq and
 * Python split; a regex's groups are not added to the pieces.  The empty
 * string has no pieces ([]), as in awk and jq, so an empty line adds
 * nothing to a word count.  An empty string separator is an error.
 */
int
fn_split(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct fn_list l = { NULL, 0, 0 };
	struct pieces p;
	struct value copy;
	size_t a, b;
	int r;

	(void)nargs;
	if (string_any_null(args, 2, out))
		return 0;
	if (args[0].type != VT_STR)
		return fn_type_error(ctx, "split", "a string", args[0]);
	if (string_check_pattern(ctx, "split", "separator", args[1]) != 0)
		return -1;
	if (args[0].n == 0) {
		*out = value_seq(VT_LIST, NULL, 0);
		return 0;
	}
	copy = value_str_copy(ctx->arena, args[0].u.s, args[0].n);
	pieces_init(&p, copy.u.s, copy.n, &args[1]);
	while ((r = pieces_next(ctx, "split", &p, &a, &b)) == 1)
		fn_list_push(ctx->arena, &l, value_str(copy.u.s + a, b - a));
	if (r < 0)
		return -1;
	*out = fn_list_value(&l);
	return 0;
}

/*
 * Code points that are not part of words: the Latin-1 punctuation and
 * symbols, and the blocks of punctuation, symbols, spaces, arrows,
 * shapes, emoji and private use.  Every other code point above ASCII is
 * taken for a letter, digit or combining mark: a compact stand-in for
 * Unicode's L, M and N categories that needs no tables and no locale,
 * and errs on the side of keeping a character in its word.
 */
static const struct {
	uint32_t lo, hi;
} string_breaks[] = {
	{ 0x80, 0xa9 }, { 0xab, 0xb1 }, { 0xb4, 0xb4 }, { 0xb6, 0xb8 }, { 0xbb, 0xbb },
	{ 0xbf, 0xbf }, { 0xd7, 0xd7 }, { 0xf7, 0xf7 },
	{ 0x2c2, 0x2c5 }, { 0x2d2, 0x2df }, { 0x2e5, 0x2eb }, { 0x2ed, 0x2ed },
	{ 0x2ef, 0x2ff }, { 0x37e, 0x37e }, { 0x384, 0x385 }, { 0x387, 0x387 },
	{ 0x3f6, 0x3f6 }, { 0x482, 0x482 }, { 0x55a, 0x55f }, { 0x589, 0x58a },
	{ 0x58d, 0x58f }, { 0x5be, 0x5be }, { 0x5c0, 0x5c0 }, { 0x5c3, 0x5c3 },
	{ 0x5c6, 0x5c6 }, { 0x5f3, 0x5f4 }, { 0x600, 0x60f }, { 0x61b, 0x61b },
	{ 0x61d, 0x61f }, { 0x66a, 0x66d }, { 0x6d4, 0x6d4 }, { 0x6de, 0x6de },
	{ 0x6e9, 0x6e9 }, { 0x6fd, 0x6fe }, { 0x700, 0x70d }, { 0x964, 0x965 },
	{ 0x970, 0x970 }, { 0xe3f, 0xe3f }, { 0xe4f, 0xe4f }, { 0xe5a, 0xe5b },
	{ 0xf01, 0xf17 }, { 0xf1a, 0xf1f }, { 0xf34, 0xf34 }, { 0xf36, 0xf36 },
	{ 0xf38, 0xf38 }, { 0xf3a, 0xf3d }, { 0xf85, 0xf85 }, { 0x104a, 0x104f },
	{ 0x10fb, 0x10fb }, { 0x1360, 0x1368 }, { 0x1400, 0x1400 }, { 0x166d, 0x166e },
	{ 0x1680, 0x1680 }, { 0x169b, 0x169c }, { 0x16eb, 0x16ed }, { 0x17d4, 0x17d6 },
	{ 0x17d8, 0x17db }, { 0x1800, 0x180a }, { 0x1fbd, 0x1fbd }, { 0x1fbf, 0x1fc1 },
	{ 0x1fcd, 0x1fcf }, { 0x1fdd, 0x1fdf }, { 0x1fed, 0x1fef }, { 0x1ffd, 0x1ffe },
	{ 0x2000, 0x206f }, { 0x207a, 0x207e }, { 0x208a, 0x208e }, { 0x20a0, 0x20cf },
	{ 0x2100, 0x2101 }, { 0x2103, 0x2106 }, { 0x2108, 0x2109 }, { 0x2114, 0x2114 },
	{ 0x2116, 0x2118 }, { 0x211e, 0x2123 }, { 0x2125, 0x2125 }, { 0x2127, 0x2127 },
	{ 0x2129, 0x2129 }, { 0x212e, 0x212e }, { 0x213a, 0x213b }, { 0x2140, 0x2144 },
	{ 0x214a, 0x214d }, { 0x214f, 0x214f }, { 0x218a, 0x218b }, { 0x2190, 0x2bff },
	{ 0x2ce5, 0x2cea }, { 0x2cf9, 0x2cfc }, { 0x2cfe, 0x2cff }, { 0x2e00, 0x2fff },
	{ 0x3000, 0x3004 }, { 0x3008, 0x3020 }, { 0x3030, 0x3030 }, { 0x303d, 0x303f },
	{ 0x309b, 0x309c }, { 0x30a0, 0x30a0 }, { 0x30fb, 0x30fb }, { 0x4dc0, 0x4dff },
	{ 0xe000, 0xf8ff }, { 0xfd3e, 0xfd3f }, { 0xfe10, 0xfe19 }, { 0xfe30, 0xfe6f },
	{ 0xfeff, 0xfeff }, { 0xff01, 0xff0f }, { 0xff1a, 0xff20 }, { 0xff3b, 0xff40 },
	{ 0xff5b, 0xff65 }, { 0xffe0, 0xffee }, { 0xfff0, 0xffff }, { 0x1d000, 0x1d24f },
	{ 0x1f000, 0x1faff }, { 0xe0000, 0xe007f }, { 0xf0000, 0x10ffff },
};

static int
string_is_word(uint32_t c)
{
	size_t lo = 0, hi = sizeof string_breaks / sizeof string_breaks[0];

	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c < string_breaks[mid].lo)
			hi = mid;
		else if (c > string_breaks[mid].hi)
			lo = mid + 1;
		else
			return 0;
	}
	return 1;
}

/*
 * words(s): the maximal runs of letters and digits (ASCII ones, and the
 * non-ASCII code points string_is_word takes for them), where an
 * apostrophe (' or U+2019) between two such characters stays in the word:
 * "Don't stop-me, O'Brien's 2nd café!" gives [Don't,stop,me,O'Brien's,
 * 2nd,café].  Underscores, hyphens and other punctuation split; case is
 * kept (lower(words) is a separate step).  Text without spaces in any
 * script (CJK) is one word per run.  Malformed UTF-8 bytes split.
 */
int
fn_words(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct fn_list l = { NULL, 0, 0 };
	struct value copy;
	const char *s;
	size_t n, i = 0, start, len, len2;
	uint32_t c, c2;
	int r;

	(void)nargs;
	if ((r = string_args(ctx, "words", args, 1, out)) != 0)
		return r < 0 ? -1 : 0;
	copy = value_str_copy(ctx->arena, args[0].u.s, args[0].n);
	s = copy.u.s;
	n = copy.n;
	while (i < n) {
		len = fn_utf8_char(s, n, i, &c);
		if (!string_is_word(c)) {
			i += len;
			continue;
		}
		start = i;
		i += len;
		while (i < n) {
			len = fn_utf8_char(s, n, i, &c);
			if (string_is_word(c)) {
				i += len;
				continue;
			}
			if ((c != '\'' && c != 0x2019) || i + len >= n)
				break;
			len2 = fn_utf8_char(s, n, i + len, &c2);
			if (!string_is_word(c2))
				break;
			i += len + len2;
		}
		fn_list_push(ctx->arena, &l, value_str(s + start, i - start));
	}
	*out = fn_list_value(&l);
	return 0;
}

/* ---- lower, upper ---- */

/*
 * Case mapping covers ASCII, Latin-1, Latin Extended-A, the Greek and the
 * basic Cyrillic alphabets -- the scripts of the European languages --
 * one code point to one (Unicode's simple mappings): ß and ŉ are kept,
 * final sigma upper-cases to Σ but Σ lower-cases to σ.  Other scripts,
 * and malformed bytes, pass through unchanged.  No locale is read, so a
 * job gives the same output on every machine.
 */
static uint32_t
string_lower_cp(uint32_t c)
{
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if (c >= 0x100 && c <= 0x17f) {
		if (c == 0x130)
			return 'i';
		if (c == 0x178)
			return 0xff;
		if ((c <= 0x137 || (c >= 0x14a && c <= 0x177)) && c % 2 == 0)
			return c + 1;
		if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) && c % 2 == 1)
			return c + 1;
		return c;
	}
	if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
		return c + 32;
	if (c == 0x386)
		return 0x3ac;
	if (c >= 0x388 && c <= 0x38a)
		return c + 37;
	if (c == 0x38c)
		return 0x3cc;
	if (c == 0x38e || c == 0x38f)
		return c + 63;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	return c;
}

static uint32_t
string_upper_cp(uint32_t c)
{
	if (c >= 0xe0 && c <= 0xfe && c != 0xf7)
		return c - 32;
	if (c == 0xff)
		return 0x178;
	if (c >= 0x100 && c <= 0x17f) {
		if (c == 0x131)
			return 'I';
		if (((c >= 0x101 && c <= 0x137) || (c >= 0x14b && c <= 0x177)) && c % 2 == 1)
			return c - 1;
		if (((c >= 0x13a && c <= 0x148) || (c >= 0x17a && c <= 0x17e)) && c % 2 == 0)
			return c - 1;
		return c;
	}
	if (c >= 0x3b1 && c <= 0x3c9)
		return c == 0x3c2 ? 0x3a3 : c - 32;
	if (c == 0x3ac)
		return 0x386;
	if (c >= 0x3ad && c <= 0x3af)
		return c - 37;
	if (c == 0x3cc)
		return 0x38c;
	if (c == 0x3cd || c == 0x3ce)
		return c - 63;
	if (c >= 0x430 && c <= 0x44f)
		return c - 32;
	if (c >= 0x450 && c <= 0x45f)
		return c - 80;
	return c;
}

/* No mapping makes a character longer, so the result fits in n bytes. */
static int
string_case(struct eval_ctx *ctx, const char *name, const struct value *args,
    struct value *out, int upper)
{
	const char *s;
	char *buf;
	size_t n, i = 0, w = 0, len;
	uint32_t c, m;
	int r;

	if ((r = string_args(ctx, name, args, 1, out)) != 0)
		return r < 0 ? -1 : 0;
	s = args[0].u.s;
	n = args[0].n;
	buf = arena_alloc(ctx->arena, n + 1);
	while (i < n) {
		unsigned char b = (unsigned char)s[i];
		if (b < 0x80) {
			if (upper && b >= 'a' && b <= 'z')
				b -= 32;
			else if (!upper && b >= 'A' && b <= 'Z')
				b += 32;
			buf[w++] = (char)b;
			i++;
			continue;
		}
		len = fn_utf8_char(s, n, i, &c);
		m = len == 1 ? c : upper ? string_upper_cp(c) : string_lower_cp(c);
		if (m == c) {
			memcpy(buf + w, s + i, len);
			w += len;
		} else
			w += string_utf8_put(buf + w, m);
		i += len;
	}
	buf[w] = '\0';
	*out = value_str(buf, w);
	return 0;
}

int
fn_lower(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	(void)nargs;
	return string_case(ctx, "lower", args, out, 0);
}

int
fn_upper(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	(void)nargs;
	return string_case(ctx, "upper", args, out, 1);
}

/* ---- trim, len, substr ---- */

static int
string_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* trim(s): without leading and trailing ASCII white space (" \t\n\r\v\f"). */
int
fn_trim(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	const char *s;
	size_t a = 0, b;
	int r;

	(void)nargs;
	if ((r = string_args(ctx, "trim", args, 1, out)) != 0)
		return r < 0 ? -1 : 0;
	s = fn_bytes(args[0]);
	b = args[0].n;
	while (a < b && string_is_space(s[a]))
		a++;
	while (b > a && string_is_space(s[b - 1]))
		b--;
	*out = value_str_copy(ctx->arena, s + a, b - a);
	return 0;
}

/* The number of characters of s[0..n). */
static size_t
string_chars(const char *s, size_t n)
{
	size_t i = 0, k = 0;
	uint32_t c;

	while (i < n) {
		if ((unsigned char)s[i] < 0x80)
			i++;
		else
			i += fn_utf8_char(s, n, i, &c);
		k++;
	}
	return k;
}

/* Byte offset of the k-th character of s[i..n) from i, or n. */
static size_t
string_skip(const char *s, size_t n, size_t i, int64_t k)
{
	uint32_t c;

	for (; k > 0 && i < n; k--)
		i += (unsigned char)s[i] < 0x80 ? 1 : fn_utf8_char(s, n, i, &c);
	return i;
}

/*
 * len(x): the characters (UTF-8 code points; a malformed byte is one) of
 * a string, the items of a list or tuple, the entries of a map; null for
 * null.
 */
int
fn_len(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct value x = args[0];

	(void)nargs;
	switch (x.type) {
	case VT_NULL:
		*out = value_null();
		return 0;
	case VT_STR:
		*out = value_int((int64_t)string_chars(x.u.s, x.n));
		return 0;
	case VT_TUPLE:
	case VT_LIST:
	case VT_MAP:
		*out = value_int(x.n);
		return 0;
	default:
		return fn_type_error(ctx, "len", "a string, a list, a tuple or a map", x);
	}
}

/*
 * substr(s, i [, n]): n characters (all, without n) from character i,
 * counting from 0.  Out-of-range values are clamped, as awk's substr
 * does, never an error: a negative i is 0, an i past the end gives "",
 * a negative n gives "", an n past the end stops at the end.
 */
int
fn_substr(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	const char *s;
	size_t n, a, b;

	if (string_any_null(args, nargs, out))
		return 0;
	if (args[0].type != VT_STR)
		return fn_type_error(ctx, "substr", "a string", args[0]);
	if (args[1].type != VT_INT)
		return fn_type_error(ctx, "substr", "an integer index", args[1]);
	if (nargs > 2 && args[2].type != VT_INT)
		return fn_type_error(ctx, "substr", "an integer length", args[2]);
	s = fn_bytes(args[0]);
	n = args[0].n;
	a = string_skip(s, n, 0, args[1].u.i);
	b = nargs > 2 ? string_skip(s, n, a, args[2].u.i) : n;
	*out = value_str_copy(ctx->arena, s + a, b - a);
	return 0;
}

/* ---- replace ---- */

/* Append with, its $0..$9 standing for the groups of the match in sc. */
static void
string_expand(struct strbuf *sb, const char *w, size_t wn, const struct fn_scan *sc)
{
	const char *dollar;
	size_t j = 0;

	while (j < wn) {
		dollar = memchr(w + j, '$', wn - j);
		if (dollar == NULL) {
			strbuf_add(sb, w + j, wn - j);
			return;
		}
		strbuf_add(sb, w + j, (size_t)(dollar - (w + j)));
		j = (size_t)(dollar - w);
		if (j + 1 < wn && w[j + 1] == '$') {
			strbuf_addc(sb, '$');
			j += 2;
		} else if (j + 1 < wn && w[j + 1] >= '0' && w[j + 1] <= '9') {
			int g = w[j + 1] - '0';
			if (g < sc->ngroups && sc->g[2 * g] != (size_t)-1)
				strbuf_add(sb, sc->s + sc->g[2 * g], sc->g[2 * g + 1] - sc->g[2 * g]);
			j += 2;
		} else {
			strbuf_addc(sb, '$');
			j++;
		}
	}
}

/*
 * replace(s, pat, with): every match replaced, left to right, matches not
 * overlapping.  A string pat is literal and so is with; with a regex,
 * $0..$9 in with stand for the match and its groups (empty for a group
 * that did not take part or that the regex lacks), $$ for a dollar, and
 * any other $ is itself.  Empty regex matches count, as in Perl, Python
 * and JavaScript: with the regex x* and "-", "abc" becomes "-a-b-c-".
 */
int
fn_replace(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct strbuf sb = STRBUF_INIT;
	struct fn_scan sc;
	const char *s, *hit;
	size_t n, done = 0;
	int r, hits = 0;

	(void)nargs;
	if (string_any_null(args, 3, out))
		return 0;
	if (args[0].type != VT_STR)
		return fn_type_error(ctx, "replace", "a string", args[0]);
	if (string_check_pattern(ctx, "replace", "pattern", args[1]) != 0)
		return -1;
	if (args[2].type != VT_STR)
		return fn_type_error(ctx, "replace", "a string as the replacement", args[2]);
	s = fn_bytes(args[0]);
	n = args[0].n;
	if (args[1].type == VT_STR) {
		while ((hit = string_find(s + done, n - done, args[1].u.s, args[1].n)) != NULL) {
			strbuf_add(&sb, s + done, (size_t)(hit - (s + done)));
			strbuf_add(&sb, args[2].u.s, args[2].n);
			done = (size_t)(hit - s) + args[1].n;
			hits++;
		}
	} else {
		fn_scan_init(&sc, fn_regex(args[1]), s, n);
		while ((r = fn_scan_next(ctx, "replace", &sc)) == 1) {
			strbuf_add(&sb, s + done, sc.g[0] - done);
			string_expand(&sb, args[2].u.s, args[2].n, &sc);
			done = sc.g[1];
			hits++;
		}
		if (r < 0) {
			strbuf_release(&sb);
			return -1;
		}
	}
	if (hits == 0) {
		strbuf_release(&sb);
		*out = value_str_copy(ctx->arena, s, n);
		return 0;
	}
	strbuf_add(&sb, s + done, n - done);
	*out = value_str_copy(ctx->arena, sb.data, sb.len);
	strbuf_release(&sb);
	return 0;
}

/* ---- contains, startsWith, endsWith ---- */

/* contains(s, t): whether t occurs in s (the empty string always does). */
int
fn_contains(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	int r;

	(void)nargs;
	if ((r = string_args(ctx, "contains", args, 2, out)) != 0)
		return r < 0 ? -1 : 0;
	*out = value_bool(args[1].n == 0 ||
	    string_find(args[0].u.s, args[0].n, args[1].u.s, args[1].n) != NULL);
	return 0;
}

int
fn_startsWith(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	int r;

	(void)nargs;
	if ((r = string_args(ctx, "startsWith", args, 2, out)) != 0)
		return r < 0 ? -1 : 0;
	*out = value_bool(args[1].n <= args[0].n &&
	    (args[1].n == 0 || memcmp(args[0].u.s, args[1].u.s, args[1].n) == 0));
	return 0;
}

int
fn_endsWith(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	int r;

	(void)nargs;
	if ((r = string_args(ctx, "endsWith", args, 2, out)) != 0)
		return r < 0 ? -1 : 0;
	*out = value_bool(args[1].n <= args[0].n && (args[1].n == 0 ||
	    memcmp(args[0].u.s + args[0].n - args[1].n, args[1].u.s, args[1].n) == 0));
	return 0;
}

/* ---- join ---- */

/*
 * join(list, sep): the items of a list (or tuple) as print shows them --
 * strings raw, null as "null", lists as [a,b] -- with sep between.
 */
int
fn_join(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct strbuf sb = STRBUF_INIT;
	struct value item;
	uint32_t i;

	(void)nargs;
	if (string_any_null(args, 2, out))
		return 0;
	if (args[0].type != VT_LIST && args[0].type != VT_TUPLE)
		return fn_type_error(ctx, "join", "a list", args[0]);
	if (args[1].type != VT_STR)
		return fn_type_error(ctx, "join", "a string as the separator", args[1]);
	for (i = 0; i < args[0].n; i++) {
		if (i > 0 && args[1].n > 0)
			strbuf_add(&sb, args[1].u.s, args[1].n);
		item = args[0].u.items[i];
		if (item.type == VT_STR) {
			if (item.n > 0)
				strbuf_add(&sb, item.u.s, item.n);
		} else if (item.type == VT_REGEX) {
			fn_str(ctx, &item, 1, &item);
			strbuf_add(&sb, item.u.s, item.n);
		} else
			value_format_print(&sb, item);
	}
	*out = value_str_copy(ctx->arena, sb.data, sb.len);
	strbuf_release(&sb);
	return 0;
}

/* ---- field ---- */

static int
string_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * field(s, n [, sep]): awk's $n.  Fields count from 1 and $0 is all of s.
 * Without sep, fields are separated by runs of blanks (space, tab) and
 * leading and trailing blanks are ignored, as awk's default FS; a string
 * sep is literal (even " ": every single space separates, as awk's
 * -F '[ ]'), a regex a pattern, and then empty fields count ("a,,b" has
 * three).  A field that does not exist (n < 0, n past the last field, any
 * field of "") is null, so `field(_, 3) ?? "-"` gives a default.
 */
int
fn_field(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct pieces p;
	const char *s;
	size_t n, i = 0, a, b;
	int64_t want, k = 0;
	int r;

	if (string_any_null(args, nargs, out))
		return 0;
	if (args[0].type != VT_STR)
		return fn_type_error(ctx, "field", "a string", args[0]);
	if (args[1].type != VT_INT)
		return fn_type_error(ctx, "field", "an integer field number", args[1]);
	if (nargs > 2 && string_check_pattern(ctx, "field", "separator", args[2]) != 0)
		return -1;
	s = args[0].u.s;
	n = args[0].n;
	want = args[1].u.i;
	*out = value_null();
	if (want == 0) {
		*out = value_str_copy(ctx->arena, s, n);
		return 0;
	}
	if (want < 0 || n == 0)
		return 0;
	if (nargs < 3) {
		for (;;) {
			while (i < n && string_is_blank(s[i]))
				i++;
			if (i >= n)
				return 0;
			a = i;
			while (i < n && !string_is_blank(s[i]))
				i++;
			if (++k == want) {
				*out = value_str_copy(ctx->arena, s + a, i - a);
				return 0;
			}
		}
	}
	pieces_init(&p, s, n, &args[2]);
	while ((r = pieces_next(ctx, "field", &p, &a, &b)) == 1) {
		if (++k == want) {
			*out = value_str_copy(ctx->arena, s + a, b - a);
			return 0;
		}
	}
	return r < 0 ? -1 : 0;
}
