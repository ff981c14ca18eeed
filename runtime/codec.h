/*
 * codec.h: values to bytes and back, for the saved state of stateful
 * stages (state_save, window_save) that checkpoints store.
 *
 * The encoding is byte-exact on every machine: integers are 8 bytes,
 * little-endian; a double is its IEEE-754 bits as such an integer; a value
 * is one type byte (enum value_type) and then: nothing for null, 8 bytes
 * for a boolean or an integer or a double, a length and the bytes for a
 * string, a count and the items for a tuple or a list, a count and the
 * keys and values interleaved for a map.  Regexes are never state.  A
 * reader never trusts the bytes: a length past the end, an unknown type or
 * nesting over 1000 levels makes it bad, and it reads nothing more.
 */
#ifndef CODEC_H
#define CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "stdlib/value.h"

struct arena;
struct strbuf;

void codec_put_u64(struct strbuf *, uint64_t);
void codec_put_value(struct strbuf *, struct value);

struct codec_reader {
	const char *p, *end;
	struct arena *arena;		/* where strings and items go */
	int bad;
	int depth;
};

/* Start reading data[0..len) after the text magic; bad if it is not there. */
void codec_reader_init(struct codec_reader *, const char *data, size_t len, const char *magic,
    struct arena *);
uint64_t codec_get_u64(struct codec_reader *);
struct value codec_get_value(struct codec_reader *);
/* All read, nothing bad and nothing left over? */
int codec_done(const struct codec_reader *);

#endif
