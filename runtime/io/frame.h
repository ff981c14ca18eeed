/*
 * frame.h: framed records, the other way a source fills a block.
 *
 * A line source hands over blocks of complete lines.  A source whose
 * records are messages -- bytes of any kind, newlines included, perhaps
 * with a key and a timestamp (a Kafka message) -- hands over framed
 * blocks instead: records back to back, each
 *
 *	u32 key length		FRAME_NO_KEY: the record has no key
 *	u32 value length
 *	i64 timestamp		ms since the epoch; FRAME_NO_TIME: none
 *	the key's bytes, then the value's bytes
 *
 * integers little-endian, no padding.  Each record of a framed block is
 * one element: its value as a string, or the pair (key, value) when it
 * has a key.  The timestamp travels with the record for the stages that
 * will use it; it is not part of the element.
 *
 * A record may also say where it was read (a Kafka message's partition
 * and offset): then the top bit of its value length (FRAME_META) is set
 * and the header has 12 more bytes,
 *
 *	i32 partition
 *	i64 offset
 *
 * and its element is the map {key, value, partition, offset, timestamp}
 * (key and timestamp null when it has none).
 */
#ifndef FRAME_H
#define FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER 16
#define FRAME_META_HEADER (FRAME_HEADER + 12)
#define FRAME_META 0x80000000u	/* in the value length: a meta record */
#define FRAME_NO_KEY UINT32_MAX
#define FRAME_NO_TIME INT64_MIN
/* A value or key longer than this is not framed (the line cap's size). */
#define FRAME_MAX (1024 * 1024)

struct strbuf;

struct frame {
	const char *key;		/* NULL: no key */
	size_t klen;
	const char *value;
	size_t vlen;
	int64_t time;			/* FRAME_NO_TIME: none */
	int meta;			/* partition and offset are set */
	int32_t partition;
	int64_t offset;
};

/* Add a record to a framed block being built (key NULL: no key).  -1,
 * adding nothing, when the key or the value is over FRAME_MAX. */
int frame_put(struct strbuf *, const char *key, size_t klen, const char *value, size_t vlen,
    int64_t time);
/* The same, a meta record: where the record was read as well. */
int frame_put_meta(struct strbuf *, const char *key, size_t klen, const char *value,
    size_t vlen, int64_t time, int32_t partition, int64_t offset);
/* The record at *p (before end) into f, *p moved past it: 1, or 0 at the
 * end, or -1 when the bytes left are no record (cut short, a length past
 * the end or over FRAME_MAX); f's strings point into the block. */
int frame_next(const char **p, const char *end, struct frame *f);
/* How many records a framed block holds (up to the first bad one). */
size_t frame_count(const char *data, size_t len);

#endif
