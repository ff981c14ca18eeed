/*
 * srcset.h: the set of a job's sources that read from outside (standard
 * input, sockets, files, tail), made from the plan, started, paused,
 * resumed and stopped together.  It enforces each source's rate=N: a rated
 * source's blocks wait in the set and go on to the host as the rate allows.
 * A job whose sources all run on the virtual clock (batches lists, or
 * none) runs on it.  On the event loop's thread only.
 */
#ifndef SRCSET_H
#define SRCSET_H

#include <stddef.h>

struct event_base;
struct plan;
struct source;
struct source_host;
struct srcset;
struct strbuf;

/* One source per source node of the plan; each calls host, through the
 * set (which holds back a rated source's blocks). */
struct srcset *srcset_new(struct plan *, const struct source_host *, int once);
void srcset_free(struct srcset *);

int srcset_count(const struct srcset *);
/* Do all the plan's source kinds run on the virtual clock? */
int srcset_virtual_clock(const struct srcset *);
/* Start them on base; -1 when one could not start (it said why). */
int srcset_start(struct srcset *, struct event_base *);
/* Have all ended, with nothing of theirs still held back by a rate? */
int srcset_done(const struct srcset *);

/* Hand every source's complete lines over now. */
void srcset_cut(struct srcset *);
void srcset_pause(struct srcset *);
void srcset_resume(struct srcset *);
/* The job reads no more. */
void srcset_stop(struct srcset *);

/* ---- positions, for checkpoints ---- */

/* Keep the positions of the replayable sources (before start): the set
 * saves each one's position right after it starts and with every block it
 * hands over (before rate=N may hold the block back), and carries it with
 * the block to the host. */
void srcset_keep_positions(struct srcset *, int on);
/* Source s's number in the set (0..count-1), or -1; and back. */
int srcset_index(const struct srcset *, const struct source *s);
struct source *srcset_source(const struct srcset *, int i);
/*
 * While the host takes a block of s (its lines or frames callback): the
 * position after that block, and the position before it (after the
 * previous block the host took from s, or where s started: the position
 * restored, when it was).  Outside the
 * callbacks both are the position after the last block the host took.
 * The bytes are the set's, valid until the next block of s; NULL (*len 0)
 * when positions are not kept for s (not replayable, or not asked for).
 * Between two consecutive positions lie exactly the records of the block:
 * srcset_replay reads them again.  A position may be inside a block
 * (rate=N let it go in parts); every function here takes such ones too.
 */
const char *srcset_position(const struct srcset *, const struct source *s, size_t *len);
const char *srcset_position_before(const struct srcset *, const struct source *s,
    size_t *len);
/* Before start: source i goes on after pos (its records not again).  -1
 * with *err (the caller frees it) when pos is not a position of it, it is
 * not replayable, or a position inside a block cannot be read again. */
int srcset_restore(struct srcset *, int i, const char *pos, size_t len, char **err);
/* The block data between two positions of source i, appended to out (see
 * source_replay). */
int srcset_replay(struct srcset *, int i, const char *from, size_t fromlen, const char *to,
    size_t tolen, struct strbuf *out, char **err);

#endif
