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

struct event_base;
struct plan;
struct source_host;
struct srcset;

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

#endif
