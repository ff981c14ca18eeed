/*
 * spool.h: bytes held back, then given back in the order they came.
 *
 * `on error fail` holds a batch's standard output in a spool until the
 * batch is known good, so that nothing of a failing batch is written.  A
 * spool keeps its bytes in memory while the caller's memory bound allows,
 * and past it moves them all to a temporary file, which is removed from
 * its directory as soon as it is created: it goes away when the spool is
 * freed, or when the process ends, however it ends.  A spool is not
 * thread-safe; its owner locks.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct spool;

struct spool *spool_new(void);
/* Frees the memory and closes the file; spool_free(NULL) is fine. */
void spool_free(struct spool *);

/* Bytes held in memory (not those in the file). */
size_t spool_mem(const struct spool *);
/* All bytes held. */
uint64_t spool_size(const struct spool *);

/*
 * Append len bytes.  They stay in memory when the spool is still in
 * memory and len is at most mem_room (the room the caller's bound has
 * left); otherwise what is in memory moves to the temporary file, and the
 * bytes follow it there.  Returns 0, or -1 with the reason in err (of
 * errsize bytes), the spool unchanged as far as its reader can tell.
 */
int spool_add(struct spool *, const char *data, size_t len, size_t mem_room,
    char *err, size_t errsize);

/*
 * Hand the bytes, in order and in pieces, to put(arg, piece, len), which
 * returns 0 to go on, -1 to stop.  Returns 0 when all were handed over, 1
 * when put stopped it, -1 when the file could not be read (the reason in
 * err).  The spool is unchanged.
 */
int spool_drain(struct spool *, int (*put)(void *arg, const char *data, size_t len),
    void *arg, char *err, size_t errsize);

#endif
