/*
 * retry.h: trying again after a failure, for what talks to other
 * programs (the socket source, the tcp sink): delays that double from
 * 100 ms up to 5 s, each with a random part (half the delay to all of it)
 * so that many jobs do not come back in step, and reports that do not
 * flood the user -- the first failure of a streak, then at most one every
 * 30 s, and one line when it works again.
 */
#ifndef RETRY_H
#define RETRY_H

#include <stdint.h>

struct retry {
	int64_t delay_ms;	/* the next delay, before its random part */
	unsigned rng;
	int failing;		/* since the last success */
	int attempts;		/* failures in this streak */
	int64_t last_warn;
	int warned;		/* a failure was reported, the recovery not yet */
};

/* Milliseconds of a clock that only goes forward. */
int64_t mono_ms(void);

void retry_init(struct retry *);
/* One more failure; 1 when it should be reported now. */
int retry_failed(struct retry *);
/* How long to wait before the next try; the delay doubles for the one after. */
int64_t retry_wait(struct retry *);
/* Connected again: 1 when a failure was reported, so the recovery should be. */
int retry_recovered(struct retry *);
/* It works: the delays and the streak start afresh. */
void retry_reset(struct retry *);

#endif
