/*
 * keymap.h: a hash map from values to values, the one structure behind
 * per-key work: reduceByKey's partial and merged results, groupByKey,
 * countByValue, distinct, and lookup tables.
 *
 * Entries live in the map's arena, a copied string key right behind its
 * entry, so a lookup touches the slot index and one stretch of memory; an
 * index of 16-byte slots (a tag from the hash and the entry's address),
 * probed linearly, finds them, and a list keeps them in insertion order.
 * Each entry keeps its key's hash, so a key is hashed once on its way in
 * and never again (merges reuse it).
 * Keys can be copied into the map's arena when they come from memory that
 * will go away (an input block), so the map outlives its input.
 */
#ifndef KEYMAP_H
#define KEYMAP_H

#include <stddef.h>
#include <stdint.h>

#include "stdlib/value.h"

struct arena;

struct kentry {
	uint64_t hash;
	struct value key;
	struct value val;
	int64_t aux;		/* a second accumulator: avg's count, first's position */
};

struct kslot {
	uint64_t tag;		/* the hash's high bits */
	struct kentry *e;	/* NULL: empty */
};

struct keymap {
	struct kslot *slots;
	size_t cap;		/* slots: a power of two, or 0 */
	struct kentry **list;	/* n entries, in insertion order */
	size_t n, ncap;
	struct arena *arena;	/* where copied keys go */
	int copy_keys;
};

/* The partition (of nparts) a key of this hash belongs to: the one merged
 * results and state are split by, the same on every worker. */
static inline int
keymap_part(uint64_t hash, int nparts)
{
	return (int)((hash >> 40) % (uint64_t)nparts);
}

void keymap_init(struct keymap *, struct arena *, int copy_keys);
void keymap_release(struct keymap *);

struct kentry *keymap_find(const struct keymap *, struct value key, uint64_t hash);
/* Find key, or add it with val null; *created says which. */
struct kentry *keymap_upsert(struct keymap *, struct value key, uint64_t hash, int *created);

#endif
