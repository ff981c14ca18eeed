/*
 * json.c: a strict JSON reader that builds values directly.
 *
 * Recursive descent over the bytes, one function per kind of value.  The
 * items of the arrays and objects being read are pushed on one growable
 * stack; when a container closes, its items are copied to the arena at
 * their exact size and popped, so a document costs its values and one
 * stack, whatever its shape.  Strings are unescaped into one reused
 * buffer and copied to the arena.
 *
 * Numbers are checked against JSON's grammar here and converted by
 * number_read, the reading num() uses, so json("1e20") and num("1e20")
 * agree and no number of valid JSON makes the whole text unreadable.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "json.h"
#include "number.h"
#include "strbuf.h"
#include "utf8.h"
#include "xmalloc.h"

struct json_reader {
	struct arena *arena;
	const unsigned char *p, *end;
	struct value *stack;		/* items of the open containers */
	size_t nstack, capstack;
	struct strbuf sb;		/* the string being unescaped */
	int depth;
};

static int json_value(struct json_reader *, struct value *);

static void
json_blanks(struct json_reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static void
json_push(struct json_reader *r, struct value v)
{
	if (r->nstack == r->capstack) {
		r->capstack = r->capstack ? 2 * r->capstack : 64;
		r->stack = xrealloc(r->stack, r->capstack * sizeof *r->stack);
	}
	r->stack[r->nstack++] = v;
}

/* The items pushed since base, moved to the arena. */
static struct value *
json_pop(struct json_reader *r, size_t base)
{
	size_t n = r->nstack - base;
	struct value *items = arena_alloc(r->arena, n * sizeof *items);

	if (n > 0)
		memcpy(items, r->stack + base, n * sizeof *items);
	r->nstack = base;
	return items;
}

static int
json_literal(struct json_reader *r, const char *word, struct value v, struct value *out)
{
	size_t n = strlen(word);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return -1;
	r->p += n;
	*out = v;
	return 0;
}

static int
json_digits(struct json_reader *r)
{
	const unsigned char *start = r->p;

	while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
		r->p++;
	return r->p > start;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
json_number(struct json_reader *r, struct value *out)
{
	const unsigned char *start = r->p;
	struct number num;

	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p < r->end && *r->p == '0')
		r->p++;
	else if (!json_digits(r))
		return -1;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (!json_digits(r))
			return -1;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (!json_digits(r))
			return -1;
	}
	switch (number_read((const char *)start, (size_t)(r->p - start), &num)) {
	case NUMBER_INT:
		*out = value_int(num.i);
		return 0;
	case NUMBER_FLOAT:
		*out = value_float(num.d);
		return 0;
	case NUMBER_NONE:
		break;
	}
	return -1;	/* not reached: JSON's numbers are number_read's */
}

static int
json_hex4(struct json_reader *r, uint32_t *u)
{
	*u = 0;
	if (r->end - r->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned char c = *r->p++;
		*u <<= 4;
		if (c >= '0' && c <= '9')
			*u |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*u |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*u |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static void
json_add_utf8(struct strbuf *sb, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	strbuf_add(sb, b, n);
}

/* \uXXXX after the backslash and 'u': a surrogate must come in a pair. */
static int
json_unicode_escape(struct json_reader *r)
{
	uint32_t hi, lo;

	if (json_hex4(r, &hi) != 0)
		return -1;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return -1;
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
			return -1;
		r->p += 2;
		if (json_hex4(r, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
			return -1;
		hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	}
	json_add_utf8(&r->sb, hi);
	return 0;
}

/* A string, at its opening quote. */
static int
json_string(struct json_reader *r, struct value *out)
{
	const unsigned char *run;
	uint32_t cp;
	int len;

	r->p++;
	strbuf_reset(&r->sb);
	for (;;) {
		run = r->p;
		while (r->p < r->end && *r->p >= 0x20 && *r->p < 0x80 && *r->p != '"' && *r->p != '\\')
			r->p++;
		strbuf_add(&r->sb, run, (size_t)(r->p - run));
		if (r->p == r->end || *r->p < 0x20)
			return -1;
		if (*r->p == '"')
			break;
		if (*r->p >= 0x80) {
			len = utf8_decode(r->p, (size_t)(r->end - r->p), &cp);
			if (len < 0)
				return -1;
			strbuf_add(&r->sb, r->p, (size_t)len);
			r->p += len;
			continue;
		}
		r->p++;		/* the backslash */
		if (r->p == r->end)
			return -1;
		switch (*r->p++) {
		case '"': strbuf_addc(&r->sb, '"'); break;
		case '\\': strbuf_addc(&r->sb, '\\'); break;
		case '/': strbuf_addc(&r->sb, '/'); break;
		case 'b': strbuf_addc(&r->sb, '\b'); break;
		case 'f': strbuf_addc(&r->sb, '\f'); break;
		case 'n': strbuf_addc(&r->sb, '\n'); break;
		case 'r': strbuf_addc(&r->sb, '\r'); break;
		case 't': strbuf_addc(&r->sb, '\t'); break;
		case 'u':
			if (json_unicode_escape(r) != 0)
				return -1;
			break;
		default:
			return -1;
		}
	}
	r->p++;		/* the closing quote */
	*out = value_str_copy(r->arena, r->sb.data, r->sb.len);
	return 0;
}

/* An array, at its '['. */
static int
json_array(struct json_reader *r, struct value *out)
{
	size_t base = r->nstack, n;
	struct value v;

	r->p++;
	json_blanks(r);
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		*out = value_seq(VT_LIST, json_pop(r, base), 0);
		return 0;
	}
	for (;;) {
		if (json_value(r, &v) != 0)
			return -1;
		json_push(r, v);
		json_blanks(r);
		if (r->p == r->end)
			return -1;
		if (*r->p++ == ']')
			break;
		if (r->p[-1] != ',')
			return -1;
	}
	n = r->nstack - base;
	*out = value_seq(VT_LIST, json_pop(r, base), n);
	return 0;
}

/* An object, at its '{'. */
static int
json_object(struct json_reader *r, struct value *out)
{
	size_t base = r->nstack, n;
	struct value k, v, *items;

	r->p++;
	json_blanks(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		*out = value_seq(VT_MAP, json_pop(r, base), 0);
		return 0;
	}
	for (;;) {
		json_blanks(r);
		if (r->p == r->end || *r->p != '"' || json_string(r, &k) != 0)
			return -1;
		json_blanks(r);
		if (r->p == r->end || *r->p++ != ':')
			return -1;
		if (json_value(r, &v) != 0)
			return -1;
		json_push(r, k);
		json_push(r, v);
		json_blanks(r);
		if (r->p == r->end)
			return -1;
		if (*r->p++ == '}')
			break;
		if (r->p[-1] != ',')
			return -1;
	}
	n = (r->nstack - base) / 2;
	items = json_pop(r, base);
	*out = value_seq(VT_MAP, items, value_map_unique(items, n));
	return 0;
}

static int
json_value(struct json_reader *r, struct value *out)
{
	int rc;

	json_blanks(r);
	if (r->p == r->end)
		return -1;
	switch (*r->p) {
	case '{':
	case '[':
		if (r->depth >= JSON_DEPTH_MAX)
			return -1;
		r->depth++;
		rc = *r->p == '{' ? json_object(r, out) : json_array(r, out);
		r->depth--;
		return rc;
	case '"':
		return json_string(r, out);
	case 't':
		return json_literal(r, "true", value_bool(1), out);
	case 'f':
		return json_literal(r, "false", value_bool(0), out);
	case 'n':
		return json_literal(r, "null", value_null(), out);
	default:
		return json_number(r, out);
	}
}

int
json_decode(struct arena *arena, const char *s, size_t n, struct value *out)
{
	struct json_reader r = { 0 };
	struct value v;
	int rc;

	r.arena = arena;
	r.p = (const unsigned char *)s;
	r.end = r.p + n;
	if (n == 0)		/* s may be NULL then */
		return -1;
	rc = json_value(&r, &v);
	if (rc == 0) {
		json_blanks(&r);
		if (r.p != r.end)
			rc = -1;
	}
	free(r.stack);
	strbuf_release(&r.sb);
	if (rc == 0)
		*out = v;
	return rc;
}
