/*
 * clock.h: the job's time and its event loop.
 *
 * A clock is real (the wall clock: batches close when their interval
 * ends) or virtual (time is what the job says it is: a job whose sources
 * are all batches(...) lists runs them back to back at full speed, and
 * its batch times are the same on every run).  Either way it owns the
 * job's libevent base, so timers, signals and anything served over the
 * network (a future dashboard) have a loop to run on, even when no batch
 * waits for the wall clock.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

struct event_base;
struct reporter;

struct clock;

/* A clock and its event base; libevent's own errors go to reporter. */
struct clock *clock_new(int is_virtual, const struct reporter *);
void clock_free(struct clock *);

struct event_base *clock_base(const struct clock *);
int clock_is_virtual(const struct clock *);

/* Now, in ms since the epoch: the wall clock's, or the virtual time. */
int64_t clock_now(const struct clock *);
/* The virtual time goes to ms (a virtual clock only). */
void clock_set(struct clock *, int64_t ms);

/* Run the loop until clock_stop (from a callback on it). */
void clock_run(struct clock *);
void clock_stop(struct clock *);

/* The wall clock in ms, for measuring (the status line's times). */
int64_t clock_wall_ms(void);

#endif
