/*
 * srcset.h: the set of a job's sources that read from outside (standard
 * input, sockets, files, tail), made from the plan, started, paused,
 * resumed and stopped together.  A job with none runs on a virtual clock.
 * On the event loop's thread only.
 */
#ifndef SRCSET_H
#define SRCSET_H

struct event_base;
struct plan;
struct source_host;
struct srcset;

/* One source per source node of the plan; each calls host. */
struct srcset *srcset_new(struct plan *, const struct source_host *, int once);
void srcset_free(struct srcset *);

int srcset_count(const struct srcset *);
/* Start them on base; -1 when one could not start (it said why). */
int srcset_start(struct srcset *, struct event_base *);
/* One more has ended; have all? */
void srcset_ended(struct srcset *);
int srcset_done(const struct srcset *);

/* Hand every source's complete lines over now. */
void srcset_cut(struct srcset *);
void srcset_pause(struct srcset *);
void srcset_resume(struct srcset *);
/* The job reads no more. */
void srcset_stop(struct srcset *);

#endif
