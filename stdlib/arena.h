/*
 * arena.h: a bump allocator whose memory is given back all at once.
 *
 * The AST of a script lives in one arena for the life of the job, and the
 * runtime gives each batch its own, so nothing on the hot path frees single
 * objects.  Allocations are 16-byte aligned and never fail (xmalloc).
 */
#ifndef ARENA_H
#define ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(size_t chunk_size);	/* 0: a default size */
void arena_free(struct arena *);		/* NULL is fine */
size_t arena_bytes(const struct arena *);	/* the chunks' sizes, summed */
void *arena_alloc(struct arena *, size_t);	/* uninitialised */
void *arena_zalloc(struct arena *, size_t);	/* zeroed */
char *arena_strndup(struct arena *, const char *, size_t);
char *arena_strdup(struct arena *, const char *);

/*
 * Append item to the array *items of *n pointers, doubling its capacity in
 * the arena when n reaches a power of two (the old copy stays in the arena).
 */
void arena_push(struct arena *, void ***items, int *n, void *item);

#endif
