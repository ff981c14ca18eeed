/*
 * rate.h: at most N records a second, the limit rate=N sets on a source.
 *
 * A token bucket: time fills it at N records a second, up to a twentieth
 * of a second's worth (at least one record), so an idle source saves up no
 * burst; records handed over draw it down.  Over any second at most
 * N + N/20 records go.  Time is the caller's (milliseconds of a monotonic
 * clock), so a test can drive it.
 */
#ifndef RATE_H
#define RATE_H

#include <stdint.h>

struct rate {
	double per_sec;		/* N */
	double cap;		/* the most the bucket holds */
	double tokens;		/* records that may go now */
	int64_t last_ms;	/* when tokens was right */
};

/* Start empty at now. */
void rate_init(struct rate *, int64_t per_sec, int64_t now_ms);
/* Whole records that may go at now. */
int64_t rate_available(struct rate *, int64_t now_ms);
/* n records went (n <= what rate_available said). */
void rate_take(struct rate *, int64_t n);
/* How long from now until the bucket is full again (at least 1 ms). */
int64_t rate_wait(const struct rate *, int64_t now_ms);

#endif
