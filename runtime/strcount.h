/*
 * strcount.h: counts by string key -- the partial aggregate of the word
 * count pipeline (map (_, 1) | reduceByKey sum over strings).
 *
 * A specialisation of keymap for the case that matters most: each 32-byte
 * slot holds a tag from the hash, the key's length, the key itself when it
 * has at most 16 bytes (else a pointer into the map's arena), and the
 * count, so a lookup that hits touches one cache line.
 */
#ifndef STRCOUNT_H
#define STRCOUNT_H

#include <stddef.h>
#include <stdint.h>

struct arena;

struct sc_slot {
	uint32_t tag;
	uint32_t len1;		/* the key's length + 1; 0: empty */
	union {
		char b[16];
		const char *p;
	} key;
	int64_t count;
};

struct strcount {
	struct sc_slot *slots;
	size_t cap;		/* a power of two, or 0 */
	size_t n;
	struct arena *arena;	/* where keys over 16 bytes go */
};

void strcount_init(struct strcount *, struct arena *);
void strcount_release(struct strcount *);
/* Add c to the count of s[0..n); -1 when the count would overflow. */
int strcount_add(struct strcount *, const char *s, size_t n, int64_t c);
/* The key of a used slot. */
static inline const char *
sc_key(const struct sc_slot *s)
{
	return s->len1 - 1 <= 16 ? s->key.b : s->key.p;
}

#endif
