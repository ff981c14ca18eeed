/*
 * value.h: the values records and expressions are made of.
 *
 * A value is 16 bytes, passed by value.  Scalars are held inline; a string
 * is a slice (pointer and length, not NUL-terminated) of memory someone
 * else owns -- most often the input block the record came from, or the
 * batch's arena; tuples, lists and maps point to arrays of values.  Nothing
 * here frees: per-batch values live in the batch's arena and are given
 * back with it, and long-lived state takes a value_copy() into its own.
 *
 * Equality and hashing are by value, and 1 and 1.0 are the same key.  The
 * order of sort, top, min and max is total across types:
 * null < booleans < numbers < strings < tuples < lists < maps.
 */
#ifndef VALUE_H
#define VALUE_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct strbuf;

enum value_type {
	VT_NULL,
	VT_BOOL,
	VT_INT,
	VT_FLOAT,
	VT_STR,
	VT_TUPLE,
	VT_LIST,
	VT_MAP,		/* n entries: items[2i] is a key, items[2i+1] its value */
	VT_REGEX,	/* a compiled regex (u.p) from a /.../ literal */
};

struct value {
	uint8_t type;
	uint32_t n;		/* STR: bytes; TUPLE, LIST, MAP: entries */
	union {
		int64_t i;	/* BOOL (0 or 1), INT */
		double d;	/* FLOAT */
		const char *s;	/* STR */
		struct value *items;
		const void *p;	/* REGEX: its struct regex (regex.h) */
	} u;
};

static inline struct value
value_null(void)
{
	struct value v = { VT_NULL, 0, { 0 } };
	return v;
}

static inline struct value
value_bool(int b)
{
	struct value v = { VT_BOOL, 0, { .i = b != 0 } };
	return v;
}

static inline struct value
value_int(int64_t i)
{
	struct value v = { VT_INT, 0, { .i = i } };
	return v;
}

static inline struct value
value_float(double d)
{
	struct value v = { VT_FLOAT, 0, { .d = d } };
	return v;
}

/* A string slice: s is borrowed, not copied. */
static inline struct value
value_str(const char *s, size_t n)
{
	struct value v = { VT_STR, (uint32_t)n, { .s = s } };
	return v;
}

static inline struct value
value_seq(enum value_type type, struct value *items, size_t n)
{
	struct value v = { (uint8_t)type, (uint32_t)n, { .items = items } };
	return v;
}

/* A string copied into the arena. */
struct value value_str_copy(struct arena *, const char *s, size_t n);
/* A pair (a, b) whose items live in the arena. */
struct value value_pair(struct arena *, struct value a, struct value b);
/*
 * Make the n entries of a map's items (items[2i] a key, items[2i+1] its
 * value) unique by key, in place, as every map must be: a key given more
 * than once keeps the place of its first entry and the value of its last
 * (as in a JSON object, or a Python or JavaScript literal).  Keys are
 * equal as value_equal says, so 1 and 1.0 are one key.  Returns the
 * number of entries left.
 */
size_t value_map_unique(struct value *items, size_t n);
/* A deep copy whose every part lives in the arena. */
struct value value_copy(struct arena *, struct value);
/* Does value_copy of v take arena memory (a string, tuple, list or map)? */
static inline int
value_takes_memory(struct value v)
{
	return v.type == VT_STR || v.type == VT_TUPLE || v.type == VT_LIST || v.type == VT_MAP;
}

int value_is_number(struct value);
/* The number as a double (INT or FLOAT). */
double value_as_double(struct value);

/* Equality by value; 1 == 1.0; NaN equals itself (so it is a usable key). */
int value_equal(struct value, struct value);
/* -1, 0 or 1 in the total order of sort. */
int value_compare(struct value, struct value);
/* A hash consistent with value_equal; stable across runs and machines. */
uint64_t value_hash(struct value);
/* The hash of bytes (what value_hash uses for strings). */
uint64_t hash_bytes(const void *, size_t);

/* The name of a value's type, for messages: "string", "integer", ... */
const char *value_type_name(struct value);

/*
 * Text forms (SPEC 2.2, 2.3), appended to sb:
 * print: strings raw, integers, doubles in shortest round-trip form,
 *        tuples (a,b), lists [a,b], maps as JSON, null;
 * tsv:   a tuple's fields joined by tabs, each as print shows it;
 * json:  one JSON value, tuples as arrays;
 * csv:   a tuple's fields as one RFC 4180 record, others as one field.
 */
void value_format_print(struct strbuf *, struct value);
void value_format_tsv(struct strbuf *, struct value);
void value_format_json(struct strbuf *, struct value);
void value_format_csv(struct strbuf *, struct value);

#endif
