/*
 * strcount.c: the string-count map of strcount.h; linear probing, doubled
 * when half full.
 */
#include <stdlib.h>
#include <string.h>

#include "strcount.h"
#include "stdlib/arena.h"
#include "stdlib/value.h"
#include "stdlib/xmalloc.h"

void
strcount_init(struct strcount *m, struct arena *a)
{
	memset(m, 0, sizeof *m);
	m->arena = a;
}

void
strcount_release(struct strcount *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}

/*
 * The map's own hash: it never leaves the map (merges rehash keys with
 * hash_bytes), so it can be cheap -- for keys of up to 16 bytes, two
 * overlapping loads mixed by one multiply each.
 */
static inline uint64_t
sc_hash(const char *s, size_t n)
{
	uint64_t a, b;

	if (n >= 8) {
		if (n > 16)
			return hash_bytes(s, n);
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
	} else if (n >= 4) {
		uint32_t x, y;
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		a = x;
		b = y;
	} else {
		a = n > 0 ? (uint8_t)s[0] | (uint64_t)(uint8_t)s[n / 2] << 8 |
		    (uint64_t)(uint8_t)s[n - 1] << 16 : 0;
		b = 0;
	}
	a = (a ^ n) * 0x9e3779b97f4a7c15ULL;
	b = (b + a) * 0xc2b2ae3d27d4eb4fULL;
	return b ^ (b >> 29) ^ (a >> 32);
}

static void
strcount_grow(struct strcount *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024, mask = cap - 1;
	struct sc_slot *old = m->slots;

	m->slots = xcalloc(cap, sizeof *m->slots);
	for (size_t j = 0; j < m->cap; j++) {
		if (old[j].len1 == 0)
			continue;
		uint64_t h = sc_hash(sc_key(&old[j]), old[j].len1 - 1);
		size_t i = h & mask;
		while (m->slots[i].len1 != 0)
			i = (i + 1) & mask;
		m->slots[i] = old[j];
	}
	free(old);
	m->cap = cap;
}

int
strcount_add(struct strcount *m, const char *s, size_t n, int64_t c)
{
	uint64_t hash = sc_hash(s, n);
	uint32_t tag = (uint32_t)(hash >> 32), len1 = (uint32_t)n + 1;
	size_t mask, i;
	struct sc_slot *e;

	if ((m->n + 1) * 2 > m->cap)
		strcount_grow(m);
	mask = m->cap - 1;
	for (i = hash & mask;; i = (i + 1) & mask) {
		e = &m->slots[i];
		if (e->len1 == 0)
			break;
		if (e->tag == tag && e->len1 == len1 && memcmp(sc_key(e), s, n) == 0) {
			int64_t sum;
			/* On overflow the count stays as it was (never wrapped). */
			if (__builtin_add_overflow(e->count, c, &sum))
				return -1;
			e->count = sum;
			return 0;
		}
	}
	e->tag = tag;
	e->len1 = len1;
	if (n <= 16)
		memcpy(e->key.b, s, n);
	else {
		char *copy = arena_alloc(m->arena, n);
		memcpy(copy, s, n);
		e->key.p = copy;
	}
	e->count = c;
	m->n++;
	return 0;
}
