/*
 * value.c: equality, order, hashing, copies and the text forms of values.
 *
 * Numbers are one kind across INT and FLOAT: equality, order and hashing
 * compare them exactly (an int64 beyond 2^53 is never rounded to a double
 * to be compared), so 1 and 1.0 are the same key and a sort never sees
 * a < b == c < a.  NaN equals itself and sorts after every other number;
 * -0.0 equals 0.  Maps compare as sets of entries: a map's keys are
 * assumed unique (whoever builds a map keeps one entry per key, with
 * value_map_unique when keys may repeat), so
 * equality ignores entry order, the hash sums per-entry hashes, and the
 * order sorts both maps' entries before comparing them.  A regex is equal
 * only to itself (the same compiled literal) and sorts after maps, by its
 * text and then its address.
 *
 * hash_bytes is on the hottest path (every word of a word count), so it
 * reads 8-byte little-endian words, with overlapping loads for the short
 * head and the tail rather than a loop over bytes; see hash_bytes below.
 * Nothing is seeded at random and nothing hashes an address but a regex,
 * so a hash is the same on every run and machine (partitions and
 * checkpoints rely on that).
 *
 * The formats append to a strbuf and never a newline.  In JSON, bytes
 * that are not well-formed UTF-8 become \ufffd, one per maximal invalid
 * subpart (Unicode's recommended practice, what browsers do), so the
 * output is always valid JSON; doubles that JSON cannot hold (NaN, the
 * infinities) are written as null.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "number.h"
#include "strbuf.h"
#include "value.h"
#include "xmalloc.h"
#include "regex.h"
#include "utf8.h"

/*
 * Odd 64-bit constants from the fractional parts of the square roots of
 * the first primes (nothing up the sleeve); the multiplies spread every
 * input bit upwards, the rotates and shifts bring high bits back down.
 */
#define HASH_K0 UINT64_C(0x6a09e667f3bcc909)	/* sqrt(2), made odd */
#define HASH_K1 UINT64_C(0xbb67ae8584caa73b)	/* sqrt(3) */
#define HASH_K2 UINT64_C(0x3c6ef372fe94f82b)	/* sqrt(5) */
#define HASH_K3 UINT64_C(0xa54ff53a5f1d36f1)	/* sqrt(7) */
#define HASH_K4 UINT64_C(0x510e527fade682d1)	/* sqrt(11) */
#define HASH_K5 UINT64_C(0x9b05688c2b3e6c1f)	/* sqrt(13) */

/* Per-type starting states, so (1) and [1] or true and 1 differ. */
#define HASH_NULL	UINT64_C(0x1f83d9abfb41bd6b)
#define HASH_BOOL	UINT64_C(0x5be0cd19137e2179)
#define HASH_NUM	UINT64_C(0xcbbb9d5dc1059ed9)
#define HASH_TUPLE	UINT64_C(0x629a292a367cd507)
#define HASH_LIST	UINT64_C(0x9159015a3070dd17)
#define HASH_MAP	UINT64_C(0x152fecd8f70e5939)
#define HASH_REGEX	UINT64_C(0x67332667ffc00b31)
#define HASH_NAN	UINT64_C(0x8eb44a8768581511)

/* ---- hashing ---- */

static inline uint64_t
hash_rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* Little-endian loads, so that big-endian machines hash alike. */
static inline uint64_t
hash_load64(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

static inline uint64_t
hash_load32(const unsigned char *p)
{
	uint32_t w;

	memcpy(&w, p, sizeof w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap32(w);
#endif
	return w;
}

/*
 * Fold one word into the state.  The word is premixed on its own (a
 * bijection, and independent of h, so it overlaps with the previous
 * round's latency); then the state is stirred by a rotate and an affine
 * multiply, also a bijection, so no information is lost between rounds.
 */
static inline uint64_t
hash_round(uint64_t h, uint64_t w)
{
	w *= HASH_K1;
	w = hash_rotl(w, 31);
	w *= HASH_K2;
	h ^= w;
	h = hash_rotl(h, 27);
	return h * HASH_K3 + HASH_K4;
}

/* Xor-shift-multiply so every input bit reaches every output bit. */
static inline uint64_t
hash_avalanche(uint64_t h)
{
	h ^= h >> 32;
	h *= HASH_K5;
	h ^= h >> 29;
	h *= HASH_K0;
	h ^= h >> 32;
	return h;
}

/*
 * The length seeds the state; a string of up to 8 bytes is one word built
 * from two overlapping 4-byte loads (or 3 single bytes below 4), which for
 * a given length holds every byte, so equal-length strings of up to 8
 * bytes never collide.  Longer strings take 8 bytes a round, and the last
 * 1..8 bytes as one load that ends at the last byte, overlapping bytes
 * already hashed (harmless: the length is in the seed).  So a word of 3..8
 * bytes is one round and the avalanche, 9..16 bytes two rounds.
 */
uint64_t
hash_bytes(const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t h = HASH_K0 ^ ((uint64_t)n * HASH_K3);
	uint64_t w;

	if (n <= 8) {
		if (n >= 4)
			w = hash_load32(p) | hash_load32(p + n - 4) << 32;
		else if (n > 0)
			w = (uint64_t)p[0] | (uint64_t)p[n / 2] << 8 |
			    (uint64_t)p[n - 1] << 16;
		else
			w = 0;
		return hash_avalanche(hash_round(h, w));
	}
	while (n > 8) {
		h = hash_round(h, hash_load64(p));
		p += 8;
		n -= 8;
	}
	h = hash_round(h, hash_load64(p + n - 8));
	return hash_avalanche(h);
}

/* Does d hold an int64 exactly?  Then it hashes and equals as that int. */
static int
value_double_is_int(double d, int64_t *i)
{
	/* The range test first: converting a double out of range is UB. */
	if (!(d >= -0x1p63 && d < 0x1p63))
		return 0;
	*i = (int64_t)d;
	return (double)*i == d;
}

static uint64_t
value_hash_number(struct value v)
{
	int64_t i;
	uint64_t bits;

	if (v.type == VT_INT)
		return hash_avalanche(hash_round(HASH_NUM, (uint64_t)v.u.i));
	if (isnan(v.u.d))
		return HASH_NAN;	/* every NaN is the same key */
	if (value_double_is_int(v.u.d, &i))	/* also -0.0 */
		return hash_avalanche(hash_round(HASH_NUM, (uint64_t)i));
	memcpy(&bits, &v.u.d, sizeof bits);
	return hash_avalanche(hash_round(HASH_NUM ^ HASH_K5, bits));
}

uint64_t
value_hash(struct value v)
{
	uint64_t h, sum;
	uint32_t i;

	switch (v.type) {
	case VT_NULL:
		return HASH_NULL;
	case VT_BOOL:
		return hash_avalanche(hash_round(HASH_BOOL, (uint64_t)v.u.i));
	case VT_INT:
	case VT_FLOAT:
		return value_hash_number(v);
	case VT_STR:
		/* Exactly hash_bytes, so callers may hash raw words alike. */
		return hash_bytes(v.u.s, v.n);
	case VT_TUPLE:
	case VT_LIST:
		h = (v.type == VT_TUPLE ? HASH_TUPLE : HASH_LIST) ^ v.n;
		for (i = 0; i < v.n; i++)
			h = hash_round(h, value_hash(v.u.items[i]));
		return hash_avalanche(h);
	case VT_MAP:
		/* A sum does not depend on the order of the entries. */
		sum = 0;
		for (i = 0; i < v.n; i++) {
			h = hash_round(HASH_MAP, value_hash(v.u.items[2 * i]));
			h = hash_round(h, value_hash(v.u.items[2 * i + 1]));
			sum += hash_avalanche(h);
		}
		return hash_avalanche(hash_round(HASH_MAP ^ v.n, sum));
	case VT_REGEX:
		/* Equal only to itself, so its address is its identity. */
		return hash_avalanche(hash_round(HASH_REGEX,
		    (uint64_t)(uintptr_t)v.u.p));
	}
	return 0;
}

/* ---- equality and order ---- */

/* The rank of a type in the total order; INT and FLOAT share one. */
static int
value_rank(enum value_type t)
{
	switch (t) {
	case VT_NULL:	return 0;
	case VT_BOOL:	return 1;
	case VT_INT:
	case VT_FLOAT:	return 2;
	case VT_STR:	return 3;
	case VT_TUPLE:	return 4;
	case VT_LIST:	return 5;
	case VT_MAP:	return 6;
	case VT_REGEX:	return 7;
	}
	return 8;
}

static int
value_sign(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

/*
 * An int against a double, exactly: beyond 2^53 (double)i rounds, and
 * 2^53 + 1 must not equal 2^53 or it would break sorting and hashing.
 * NaN is above every number.
 */
static int
value_compare_int_double(int64_t i, double d)
{
	double t;
	int64_t ti;

	if (isnan(d) || d >= 0x1p63)
		return -1;
	if (d < -0x1p63)
		return 1;
	t = trunc(d);
	ti = (int64_t)t;	/* exact: t is integral and in range */
	if (i != ti)
		return i < ti ? -1 : 1;
	if (d > t)
		return -1;
	if (d < t)
		return 1;
	return 0;
}

static int
value_compare_number(struct value a, struct value b)
{
	double x, y;

	if (a.type == VT_INT && b.type == VT_INT)
		return value_sign(a.u.i, b.u.i);
	if (a.type == VT_INT)
		return value_compare_int_double(a.u.i, b.u.d);
	if (b.type == VT_INT)
		return -value_compare_int_double(b.u.i, a.u.d);
	x = a.u.d;
	y = b.u.d;
	if (isnan(x) || isnan(y))
		return isnan(y) ? (isnan(x) ? 0 : -1) : 1;
	return (x > y) - (x < y);
}

static int
value_compare_bytes(const char *a, size_t na, const char *b, size_t nb)
{
	size_t n = na < nb ? na : nb;
	int c = n > 0 ? memcmp(a, b, n) : 0;

	if (c != 0)
		return c < 0 ? -1 : 1;
	return (na > nb) - (na < nb);
}

/* Entries of a map, as pointers to their key (the value follows it). */
static int
value_entry_cmp(const void *x, const void *y)
{
	const struct value *a = *(const struct value *const *)x;
	const struct value *b = *(const struct value *const *)y;
	int c = value_compare(a[0], b[0]);

	return c != 0 ? c : value_compare(a[1], b[1]);
}

static const struct value **
value_map_sorted(struct value m, const struct value **stack, size_t nstack)
{
	const struct value **e = stack;
	uint32_t i;

	if (m.n > nstack)
		e = xreallocarray(NULL, m.n, sizeof *e);
	for (i = 0; i < m.n; i++)
		e[i] = &m.u.items[2 * i];
	qsort(e, m.n, sizeof *e, value_entry_cmp);
	return e;
}

/*
 * Maps in the order of their sorted entries, compared lexicographically
 * (then the shorter first): independent of how entries were inserted,
 * and 0 exactly when value_equal says so.
 */
static int
value_compare_map(struct value a, struct value b)
{
	const struct value *sa[16], *sb[16], **ea, **eb;
	uint32_t i, n = a.n < b.n ? a.n : b.n;
	int c = 0;

	ea = value_map_sorted(a, sa, 16);
	eb = value_map_sorted(b, sb, 16);
	for (i = 0; i < n && c == 0; i++)
		c = value_entry_cmp(&ea[i], &eb[i]);
	if (c == 0)
		c = value_sign(a.n, b.n);
	if (ea != sa)
		free(ea);
	if (eb != sb)
		free(eb);
	return c;
}

static int
value_compare_regex(struct value a, struct value b)
{
	const struct regex *x = a.u.p, *y = b.u.p;
	int c;

	if (x == y)
		return 0;
	c = value_compare_bytes(x->pattern, x->len, y->pattern, y->len);
	if (c == 0)
		c = strcmp(x->flags, y->flags);
	if (c == 0)	/* two literals alike: an order of some kind */
		return (uintptr_t)x < (uintptr_t)y ? -1 : 1;
	return c < 0 ? -1 : 1;
}

int
value_compare(struct value a, struct value b)
{
	int ra = value_rank(a.type), rb = value_rank(b.type), c;
	uint32_t i, n;

	if (ra != rb)
		return ra < rb ? -1 : 1;
	switch (a.type) {
	case VT_NULL:
		return 0;
	case VT_BOOL:
		return value_sign(a.u.i, b.u.i);
	case VT_INT:
	case VT_FLOAT:
		return value_compare_number(a, b);
	case VT_STR:
		return value_compare_bytes(a.u.s, a.n, b.u.s, b.n);
	case VT_TUPLE:
	case VT_LIST:
		n = a.n < b.n ? a.n : b.n;
		for (i = 0; i < n; i++) {
			if ((c = value_compare(a.u.items[i], b.u.items[i])) != 0)
				return c;
		}
		return value_sign(a.n, b.n);
	case VT_MAP:
		return value_compare_map(a, b);
	case VT_REGEX:
		return value_compare_regex(a, b);
	}
	return 0;
}

/*
 * Same size and every key of a found in b with an equal value; with
 * unique keys that is equality of the sets of entries.  Maps built alike
 * list their keys in the same order, so the same slot is tried first.
 */
static int
value_equal_map(struct value a, struct value b)
{
	const struct value *ka, *kb;
	uint32_t i, j;

	if (a.n != b.n)
		return 0;
	for (i = 0; i < a.n; i++) {
		ka = &a.u.items[2 * i];
		kb = &b.u.items[2 * i];
		if (!value_equal(ka[0], kb[0])) {
			for (j = 0; j < b.n; j++) {
				kb = &b.u.items[2 * j];
				if (value_equal(ka[0], kb[0]))
					break;
			}
			if (j == b.n)
				return 0;
		}
		if (!value_equal(ka[1], kb[1]))
			return 0;
	}
	return 1;
}

int
value_equal(struct value a, struct value b)
{
	uint32_t i;

	if (a.type != b.type) {
		if (value_is_number(a) && value_is_number(b))
			return value_compare_number(a, b) == 0;
		return 0;
	}
	switch (a.type) {
	case VT_NULL:
		return 1;
	case VT_BOOL:
	case VT_INT:
		return a.u.i == b.u.i;
	case VT_FLOAT:
		return a.u.d == b.u.d || (isnan(a.u.d) && isnan(b.u.d));
	case VT_STR:
		return a.n == b.n && (a.n == 0 || memcmp(a.u.s, b.u.s, a.n) == 0);
	case VT_TUPLE:
	case VT_LIST:
		if (a.n != b.n)
			return 0;
		for (i = 0; i < a.n; i++) {
			if (!value_equal(a.u.items[i], b.u.items[i]))
				return 0;
		}
		return 1;
	case VT_MAP:
		return value_equal_map(a, b);
	case VT_REGEX:
		return a.u.p == b.u.p;
	}
	return 0;
}

/* ---- construction ---- */

struct value
value_str_copy(struct arena *a, const char *s, size_t n)
{
	/* NUL-terminated too, for callers that hand the copy to libc. */
	if (n == 0)
		return value_str("", 0);
	return value_str(arena_strndup(a, s, n), n);
}

struct value
value_pair(struct arena *a, struct value x, struct value y)
{
	struct value *items = arena_alloc(a, 2 * sizeof *items);

	items[0] = x;
	items[1] = y;
	return value_seq(VT_TUPLE, items, 2);
}

/* Below this many entries a map is made unique by comparing every pair. */
#define VALUE_MAP_SMALL 16

/*
 * The slot in table (mask + 1 slots of entry number + 1, 0 for empty) of
 * the kept entry whose key equals key, or of the empty slot where it goes.
 */
static uint32_t *
value_map_slot(uint32_t *table, uint64_t mask, const struct value *items,
    const uint64_t *hashes, struct value key, uint64_t h)
{
	uint64_t i = h & mask;

	while (table[i] != 0) {
		uint32_t j = table[i] - 1;
		if (hashes[j] == h && value_equal(items[2 * j], key))
			break;
		i = (i + 1) & mask;
	}
	return &table[i];
}

size_t
value_map_unique(struct value *items, size_t n)
{
	size_t i, j, w = 0, cap = 1;
	uint32_t *table, *slot;
	uint64_t *hashes, h;

	if (n <= VALUE_MAP_SMALL) {
		for (i = 0; i < n; i++) {
			for (j = 0; j < w && !value_equal(items[2 * j], items[2 * i]); j++)
				;
			if (j == w) {
				items[2 * w] = items[2 * i];
				w++;
			}
			items[2 * j + 1] = items[2 * i + 1];
		}
		return w;
	}
	while (cap < 2 * n)
		cap *= 2;
	table = xcalloc(cap, sizeof *table);
	hashes = xmalloc(n * sizeof *hashes);
	for (i = 0; i < n; i++) {
		h = value_hash(items[2 * i]);
		slot = value_map_slot(table, cap - 1, items, hashes, items[2 * i], h);
		if (*slot == 0) {
			*slot = (uint32_t)w + 1;
			hashes[w] = h;
			items[2 * w] = items[2 * i];
			j = w++;
		} else
			j = *slot - 1;
		items[2 * j + 1] = items[2 * i + 1];
	}
	free(hashes);
	free(table);
	return w;
}

/* A regex is shared, not copied: its expr lives as long as the program. */
struct value
value_copy(struct arena *a, struct value v)
{
	struct value *items;
	size_t n, i;

	switch (v.type) {
	case VT_STR:
		return value_str_copy(a, v.u.s, v.n);
	case VT_TUPLE:
	case VT_LIST:
	case VT_MAP:
		n = v.type == VT_MAP ? 2 * (size_t)v.n : v.n;
		if (n == 0)
			return value_seq(v.type, NULL, 0);
		items = arena_alloc(a, n * sizeof *items);
		for (i = 0; i < n; i++)
			items[i] = value_copy(a, v.u.items[i]);
		return value_seq(v.type, items, v.n);
	default:
		return v;
	}
}

int
value_is_number(struct value v)
{
	return v.type == VT_INT || v.type == VT_FLOAT;
}

/* NaN for a value that is not a number: callers check the type first. */
double
value_as_double(struct value v)
{
	if (v.type == VT_INT)
		return (double)v.u.i;
	if (v.type == VT_FLOAT)
		return v.u.d;
	return NAN;
}

const char *
value_type_name(struct value v)
{
	switch (v.type) {
	case VT_NULL:	return "null";
	case VT_BOOL:	return "boolean";
	case VT_INT:	return "integer";
	case VT_FLOAT:	return "number";
	case VT_STR:	return "string";
	case VT_TUPLE:	return "tuple";
	case VT_LIST:	return "list";
	case VT_MAP:	return "map";
	case VT_REGEX:	return "regex";
	}
	return "unknown";
}

/* ---- text forms ---- */

/* Digits by hand: printf's format parsing costs more than the number. */
static void
value_add_int(struct strbuf *sb, int64_t i)
{
	char buf[24], *p = buf + sizeof buf;
	uint64_t u = i < 0 ? -(uint64_t)i : (uint64_t)i;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (i < 0)
		*--p = '-';
	strbuf_add(sb, p, (size_t)(buf + sizeof buf - p));
}

static void
value_add_double(struct strbuf *sb, double d)
{
	char buf[32];

	strbuf_add(sb, buf, number_format_double(buf, d));
}

static void
value_add_bytes(struct strbuf *sb, const char *s, size_t n)
{
	if (n > 0)	/* a NULL slice of 0 bytes is fine here, not in memcpy */
		strbuf_add(sb, s, n);
}

static const char *
value_regex_flags(const struct regex *e)
{
	return e->flags;
}

static void
value_print_seq(struct strbuf *sb, struct value v, char open, char close)
{
	uint32_t i;

	strbuf_addc(sb, open);
	for (i = 0; i < v.n; i++) {
		if (i > 0)
			strbuf_addc(sb, ',');
		value_format_print(sb, v.u.items[i]);
	}
	strbuf_addc(sb, close);
}

void
value_format_print(struct strbuf *sb, struct value v)
{
	const struct regex *re;

	switch (v.type) {
	case VT_NULL:
		strbuf_add(sb, "null", 4);
		break;
	case VT_BOOL:
		strbuf_adds(sb, v.u.i ? "true" : "false");
		break;
	case VT_INT:
		value_add_int(sb, v.u.i);
		break;
	case VT_FLOAT:
		value_add_double(sb, v.u.d);
		break;
	case VT_STR:
		value_add_bytes(sb, v.u.s, v.n);
		break;
	case VT_TUPLE:
		value_print_seq(sb, v, '(', ')');
		break;
	case VT_LIST:
		value_print_seq(sb, v, '[', ']');
		break;
	case VT_MAP:
		value_format_json(sb, v);
		break;
	case VT_REGEX:
		re = v.u.p;
		strbuf_addc(sb, '/');
		value_add_bytes(sb, re->pattern, re->len);
		strbuf_addc(sb, '/');
		strbuf_adds(sb, value_regex_flags(re));
		break;
	}
}

void
value_format_tsv(struct strbuf *sb, struct value v)
{
	uint32_t i;

	if (v.type != VT_TUPLE) {
		value_format_print(sb, v);
		return;
	}
	for (i = 0; i < v.n; i++) {
		if (i > 0)
			strbuf_addc(sb, '\t');
		value_format_print(sb, v.u.items[i]);
	}
}

/* s[0..n) as the inside of a JSON string, without the quotes. */
static void
value_json_escape(struct strbuf *sb, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end, *run;
	char esc[6];
	int len;
	uint32_t cp;

	if (n == 0)	/* s may be NULL then, and NULL + 0 upsets UBSan */
		return;
	end = p + n;
	while (p < end) {
		/* Plain ASCII goes out in runs, the common case. */
		run = p;
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' &&
		    *p != '\\')
			p++;
		value_add_bytes(sb, (const char *)run, (size_t)(p - run));
		if (p == end)
			break;
		if (*p >= 0x80) {
			len = utf8_decode(p, (size_t)(end - p), &cp);
			if (len > 0) {
				strbuf_add(sb, p, (size_t)len);
				p += len;
			} else {
				strbuf_add(sb, "\\ufffd", 6);
				p += -len;
			}
			continue;
		}
		esc[0] = '\\';
		switch (*p) {
		case '"':  esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\t': esc[1] = 't'; break;
		case '\r': esc[1] = 'r'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 0xf];
			strbuf_add(sb, esc, 6);
			p++;
			continue;
		}
		strbuf_add(sb, esc, 2);
		p++;
	}
}

static void
value_json_string(struct strbuf *sb, const char *s, size_t n)
{
	strbuf_addc(sb, '"');
	value_json_escape(sb, s, n);
	strbuf_addc(sb, '"');
}

/* A key that is not a string is its JSON text, in a string. */
static void
value_json_key(struct strbuf *sb, struct value k)
{
	struct strbuf tmp = STRBUF_INIT;

	if (k.type == VT_STR) {
		value_json_string(sb, k.u.s, k.n);
		return;
	}
	value_format_json(&tmp, k);
	value_json_string(sb, tmp.data, tmp.len);
	strbuf_release(&tmp);
}

void
value_format_json(struct strbuf *sb, struct value v)
{
	const struct regex *re;
	uint32_t i;

	switch (v.type) {
	case VT_NULL:
	case VT_BOOL:
	case VT_INT:
		value_format_print(sb, v);
		break;
	case VT_FLOAT:
		if (isfinite(v.u.d))
			value_add_double(sb, v.u.d);
		else
			strbuf_add(sb, "null", 4);
		break;
	case VT_STR:
		value_json_string(sb, v.u.s, v.n);
		break;
	case VT_TUPLE:
	case VT_LIST:
		strbuf_addc(sb, '[');
		for (i = 0; i < v.n; i++) {
			if (i > 0)
				strbuf_addc(sb, ',');
			value_format_json(sb, v.u.items[i]);
		}
		strbuf_addc(sb, ']');
		break;
	case VT_MAP:
		strbuf_addc(sb, '{');
		for (i = 0; i < v.n; i++) {
			if (i > 0)
				strbuf_addc(sb, ',');
			value_json_key(sb, v.u.items[2 * i]);
			strbuf_addc(sb, ':');
			value_format_json(sb, v.u.items[2 * i + 1]);
		}
		strbuf_addc(sb, '}');
		break;
	case VT_REGEX:
		re = v.u.p;
		strbuf_add(sb, "\"/", 2);
		value_json_escape(sb, re->pattern, re->len);
		strbuf_addc(sb, '/');
		value_json_escape(sb, value_regex_flags(re),
		    strlen(value_regex_flags(re)));
		strbuf_addc(sb, '"');
		break;
	}
}

/* One RFC 4180 field: quoted when it holds a comma, a quote, CR or LF. */
static void
value_csv_field(struct strbuf *sb, const char *s, size_t n)
{
	const char *p, *end, *q;

	if (n == 0)
		return;
	end = s + n;
	for (p = s; p < end; p++) {
		if (*p == ',' || *p == '"' || *p == '\r' || *p == '\n')
			break;
	}
	if (p == end) {
		value_add_bytes(sb, s, n);
		return;
	}
	strbuf_addc(sb, '"');
	for (p = s; (q = memchr(p, '"', (size_t)(end - p))) != NULL; p = q + 1) {
		strbuf_add(sb, p, (size_t)(q - p) + 1);
		strbuf_addc(sb, '"');	/* a quote is doubled */
	}
	value_add_bytes(sb, p, (size_t)(end - p));
	strbuf_addc(sb, '"');
}

static void
value_csv_value(struct strbuf *sb, struct value v)
{
	struct strbuf tmp = STRBUF_INIT;

	switch (v.type) {
	case VT_STR:
		value_csv_field(sb, v.u.s, v.n);
		break;
	case VT_NULL:
	case VT_BOOL:
	case VT_INT:
	case VT_FLOAT:
		value_format_print(sb, v);	/* never needs quotes */
		break;
	default:
		value_format_print(&tmp, v);
		value_csv_field(sb, tmp.data, tmp.len);
		strbuf_release(&tmp);
		break;
	}
}

void
value_format_csv(struct strbuf *sb, struct value v)
{
	uint32_t i;

	if (v.type != VT_TUPLE) {
		/* A lone empty field would be a blank line, which readers skip. */
		if (v.type == VT_STR && v.n == 0)
			strbuf_add(sb, "\"\"", 2);
		else
			value_csv_value(sb, v);
		return;
	}
	if (v.n == 1 && v.u.items[0].type == VT_STR && v.u.items[0].n == 0) {
		strbuf_add(sb, "\"\"", 2);
		return;
	}
	for (i = 0; i < v.n; i++) {
		if (i > 0)
			strbuf_addc(sb, ',');
		value_csv_value(sb, v.u.items[i]);
	}
}
