/*
 * frame.c: framed records; see frame.h.
 */
#include <string.h>

#include "frame.h"
#include "stdlib/strbuf.h"

static void
put_le(struct strbuf *sb, uint64_t x, int bytes)
{
	unsigned char b[8];

	for (int i = 0; i < bytes; i++)
		b[i] = (unsigned char)(x >> (8 * i));
	strbuf_add(sb, b, (size_t)bytes);
}

static uint64_t
get_le(const char *p, int bytes)
{
	uint64_t x = 0;

	for (int i = 0; i < bytes; i++)
		x |= (uint64_t)(unsigned char)p[i] << (8 * i);
	return x;
}

static int
put(struct strbuf *sb, const char *key, size_t klen, const char *value, size_t vlen,
    int64_t time, int meta, int32_t partition, int64_t offset)
{
	if ((key != NULL && klen > FRAME_MAX) || vlen > FRAME_MAX)
		return -1;
	put_le(sb, key != NULL ? (uint64_t)klen : FRAME_NO_KEY, 4);
	put_le(sb, (uint64_t)vlen | (meta ? FRAME_META : 0), 4);
	put_le(sb, (uint64_t)time, 8);
	if (meta) {
		put_le(sb, (uint64_t)(uint32_t)partition, 4);
		put_le(sb, (uint64_t)offset, 8);
	}
	if (key != NULL)
		strbuf_add(sb, key, klen);
	strbuf_add(sb, value, vlen);
	return 0;
}

int
frame_put(struct strbuf *sb, const char *key, size_t klen, const char *value, size_t vlen,
    int64_t time)
{
	return put(sb, key, klen, value, vlen, time, 0, 0, 0);
}

int
frame_put_meta(struct strbuf *sb, const char *key, size_t klen, const char *value,
    size_t vlen, int64_t time, int32_t partition, int64_t offset)
{
	return put(sb, key, klen, value, vlen, time, 1, partition, offset);
}

int
frame_next(const char **pp, const char *end, struct frame *f)
{
	const char *p = *pp;
	size_t left = (size_t)(end - p);
	uint64_t klen, vlen;
	size_t header;
	int keyed, meta;

	if (left == 0)
		return 0;
	if (left < FRAME_HEADER)
		return -1;
	klen = get_le(p, 4);
	vlen = get_le(p + 4, 4);
	meta = (vlen & FRAME_META) != 0;
	vlen &= ~(uint64_t)FRAME_META;
	header = meta ? FRAME_META_HEADER : FRAME_HEADER;
	keyed = klen != FRAME_NO_KEY;
	if (!keyed)
		klen = 0;
	if (left < header || klen > FRAME_MAX || vlen > FRAME_MAX || klen + vlen > left - header)
		return -1;
	f->time = (int64_t)get_le(p + 8, 8);
	f->meta = meta;
	f->partition = meta ? (int32_t)(uint32_t)get_le(p + 16, 4) : 0;
	f->offset = meta ? (int64_t)get_le(p + 20, 8) : 0;
	p += header;
	f->key = keyed ? p : NULL;
	f->klen = (size_t)klen;
	f->value = p + klen;
	f->vlen = (size_t)vlen;
	*pp = p + klen + vlen;
	return 1;
}

size_t
frame_count(const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	struct frame f;
	size_t n = 0;

	while (frame_next(&p, end, &f) > 0)
		n++;
	return n;
}
