/*
 * codec.c: the encoding of codec.h.
 */
#include <string.h>

#include "codec.h"
#include "stdlib/arena.h"
#include "stdlib/strbuf.h"

void
codec_put_u64(struct strbuf *sb, uint64_t x)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(x >> (8 * i));
	strbuf_add(sb, b, sizeof b);
}

void
codec_put_value(struct strbuf *sb, struct value v)
{
	uint64_t bits;

	strbuf_addc(sb, (char)v.type);
	switch (v.type) {
	case VT_NULL:
		break;
	case VT_BOOL: case VT_INT:
		codec_put_u64(sb, (uint64_t)v.u.i);
		break;
	case VT_FLOAT:
		memcpy(&bits, &v.u.d, sizeof bits);
		codec_put_u64(sb, bits);
		break;
	case VT_STR:
		codec_put_u64(sb, v.n);
		strbuf_add(sb, v.u.s, v.n);
		break;
	case VT_TUPLE: case VT_LIST: case VT_MAP: {
		uint32_t items = v.type == VT_MAP ? 2 * v.n : v.n;
		codec_put_u64(sb, v.n);
		for (uint32_t i = 0; i < items; i++)
			codec_put_value(sb, v.u.items[i]);
		break;
	}
	default:
		break;	/* regexes are not state */
	}
}

void
codec_reader_init(struct codec_reader *r, const char *data, size_t len, const char *magic,
    struct arena *a)
{
	size_t m = strlen(magic);

	memset(r, 0, sizeof *r);
	r->p = data;
	r->end = data + len;
	r->arena = a;
	if (len < m || memcmp(data, magic, m) != 0)
		r->bad = 1;
	else
		r->p += m;
}

uint64_t
codec_get_u64(struct codec_reader *r)
{
	uint64_t x = 0;

	if (r->bad || (size_t)(r->end - r->p) < 8) {
		r->bad = 1;
		return 0;
	}
	for (int i = 0; i < 8; i++)
		x |= (uint64_t)(unsigned char)r->p[i] << (8 * i);
	r->p += 8;
	return x;
}

struct value
codec_get_value(struct codec_reader *r)
{
	struct value v = value_null();
	uint64_t n;

	if (r->bad || r->p >= r->end || r->depth >= 1000) {
		r->bad = 1;
		return v;
	}
	r->depth++;
	v.type = (uint8_t)*r->p++;
	switch (v.type) {
	case VT_NULL:
		break;
	case VT_BOOL: case VT_INT:
		v.u.i = (int64_t)codec_get_u64(r);
		break;
	case VT_FLOAT:
		n = codec_get_u64(r);
		memcpy(&v.u.d, &n, sizeof v.u.d);
		break;
	case VT_STR:
		n = codec_get_u64(r);
		if (r->bad || n > (uint64_t)(r->end - r->p) || n > UINT32_MAX) {
			r->bad = 1;
			v = value_null();
			break;
		}
		v = value_str(arena_strndup(r->arena, r->p, n), n);
		r->p += n;
		break;
	case VT_TUPLE: case VT_LIST: case VT_MAP:
		n = codec_get_u64(r);
		/* every item takes a byte at least: a count past the end is a lie */
		if (r->bad || n > (uint64_t)(r->end - r->p) || n > UINT32_MAX / 2) {
			r->bad = 1;
			v = value_null();
			break;
		}
		{
			uint64_t items = v.type == VT_MAP ? 2 * n : n;
			struct value *it = arena_alloc(r->arena, (items + 1) * sizeof *it);
			for (uint64_t i = 0; i < items; i++)
				it[i] = codec_get_value(r);
			v.u.items = it;
			v.n = (uint32_t)n;
		}
		break;
	default:
		r->bad = 1;
		v = value_null();
	}
	r->depth--;
	return v;
}

int
codec_done(const struct codec_reader *r)
{
	return !r->bad && r->p == r->end;
}
