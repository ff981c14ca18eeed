/*
 * arena.c: chunks of memory handed out by bumping a pointer.  A request
 * larger than a quarter of the chunk size gets a chunk of its own, so big
 * objects do not waste the rest of the current chunk.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "xmalloc.h"

#define ARENA_ALIGN 16
#define ARENA_DEFAULT_CHUNK (64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena {
	struct arena_chunk *head;	/* the chunk being filled */
	size_t chunk_size;
};

static struct arena_chunk *
arena_chunk_new(size_t size)
{
	struct arena_chunk *c = xmalloc(sizeof *c + size);
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

struct arena *
arena_new(size_t chunk_size)
{
	struct arena *a = xmalloc(sizeof *a);
	a->chunk_size = chunk_size ? chunk_size : ARENA_DEFAULT_CHUNK;
	a->head = arena_chunk_new(a->chunk_size);
	return a;
}

size_t
arena_bytes(const struct arena *a)
{
	size_t n = 0;

	for (const struct arena_chunk *c = a->head; c != NULL; c = c->next)
		n += c->size;
	return n;
}

void
arena_free(struct arena *a)
{
	struct arena_chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}


void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (need < n)
		need = SIZE_MAX;	/* overflow: let xmalloc fail */
	if (need > a->chunk_size / 4) {
		/* A big object: its own chunk, linked behind the head. */
		struct arena_chunk *big = arena_chunk_new(need);
		big->used = need;
		big->next = c->next;
		c->next = big;
		return big->data;
	}
	if (c->size - c->used < need) {
		c = arena_chunk_new(a->chunk_size);
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += need;
	return p;
}

void *
arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}


void
arena_push(struct arena *a, void ***items, int *n, void *item)
{
	if (*n == 0 || (*n & (*n - 1)) == 0) {
		int cap = *n == 0 ? 2 : *n * 2;
		void **grown = arena_alloc(a, (size_t)cap * sizeof *grown);
		if (*n > 0)
			memcpy(grown, *items, (size_t)*n * sizeof *grown);
		*items = grown;
	}
	(*items)[(*n)++] = item;
}
