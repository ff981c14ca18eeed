/*
 * keymap.c: the map of keymap.h.  The slot index doubles when it is more
 * than half full, rebuilt from the entries' stored hashes.
 */
#include <stdlib.h>
#include <string.h>

#include "keymap.h"
#include "stdlib/arena.h"
#include "stdlib/xmalloc.h"

#define TAG(h) ((h) >> 32)

void
keymap_init(struct keymap *m, struct arena *a, int copy_keys)
{
	memset(m, 0, sizeof *m);
	m->arena = a;
	m->copy_keys = copy_keys;
}

void
keymap_release(struct keymap *m)
{
	free(m->slots);
	free(m->list);
	m->slots = NULL;
	m->list = NULL;
	m->cap = m->n = m->ncap = 0;
}


/* Fast equality for the common case of string keys, then the general one. */
static inline int
key_equal(const struct value *a, const struct value *b)
{
	if (a->type == VT_STR && b->type == VT_STR)
		return a->n == b->n && memcmp(a->u.s, b->u.s, a->n) == 0;
	return value_equal(*a, *b);
}

struct kentry *
keymap_find(const struct keymap *m, struct value key, uint64_t hash)
{
	size_t mask, i;
	uint64_t tag = TAG(hash);

	if (m->cap == 0)
		return NULL;
	mask = m->cap - 1;
	for (i = hash & mask;; i = (i + 1) & mask) {
		const struct kslot *s = &m->slots[i];
		if (s->e == NULL)
			return NULL;
		if (s->tag == tag && s->e->hash == hash && key_equal(&s->e->key, &key))
			return s->e;
	}
}

static void
keymap_grow(struct keymap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64, mask = cap - 1;

	free(m->slots);
	m->slots = xcalloc(cap, sizeof *m->slots);
	m->cap = cap;
	for (size_t j = 0; j < m->n; j++) {
		uint64_t h = m->list[j]->hash;
		size_t i = h & mask;
		while (m->slots[i].e != NULL)
			i = (i + 1) & mask;
		m->slots[i].tag = TAG(h);
		m->slots[i].e = m->list[j];
	}
}

/* A new entry, with a copied string key right behind it. */
static struct kentry *
entry_new(struct keymap *m, struct value key)
{
	struct kentry *e;

	if (m->copy_keys && key.type == VT_STR) {
		e = arena_alloc(m->arena, sizeof *e + key.n);
		memcpy(e + 1, key.u.s, key.n);
		e->key = value_str((const char *)(e + 1), key.n);
	} else {
		e = arena_alloc(m->arena, sizeof *e);
		e->key = m->copy_keys ? value_copy(m->arena, key) : key;
	}
	return e;
}

struct kentry *
keymap_upsert(struct keymap *m, struct value key, uint64_t hash, int *created)
{
	size_t mask, i;
	uint64_t tag = TAG(hash);
	struct kentry *e;

	if ((m->n + 1) * 2 > m->cap)
		keymap_grow(m);
	mask = m->cap - 1;
	for (i = hash & mask;; i = (i + 1) & mask) {
		struct kslot *s = &m->slots[i];
		if (s->e == NULL)
			break;
		if (s->tag == tag && s->e->hash == hash && key_equal(&s->e->key, &key)) {
			*created = 0;
			return s->e;
		}
	}
	if (m->n == m->ncap) {
		m->ncap = m->ncap ? m->ncap * 2 : 32;
		m->list = xreallocarray(m->list, m->ncap, sizeof *m->list);
	}
	e = entry_new(m, key);
	e->hash = hash;
	e->val = value_null();
	e->aux = 0;
	m->slots[i].tag = tag;
	m->slots[i].e = e;
	m->list[m->n++] = e;
	*created = 1;
	return e;
}
