/*
 * rate.c: the token bucket of rate.h.
 */
#include <math.h>

#include "rate.h"

void
rate_init(struct rate *r, int64_t per_sec, int64_t now_ms)
{
	r->per_sec = (double)per_sec;
	r->cap = r->per_sec / 20 < 1 ? 1 : floor(r->per_sec / 20);
	r->tokens = 0;
	r->last_ms = now_ms;
}

int64_t
rate_available(struct rate *r, int64_t now_ms)
{
	if (now_ms > r->last_ms) {
		r->tokens += r->per_sec * (double)(now_ms - r->last_ms) / 1000.0;
		if (r->tokens > r->cap)
			r->tokens = r->cap;
		r->last_ms = now_ms;
	}
	return (int64_t)floor(r->tokens);
}

void
rate_take(struct rate *r, int64_t n)
{
	r->tokens -= (double)n;
}

int64_t
rate_wait(const struct rate *r, int64_t now_ms)
{
	double need = r->cap - r->tokens;
	int64_t ms = (int64_t)ceil(need * 1000.0 / r->per_sec) - (now_ms - r->last_ms);

	return ms < 1 ? 1 : ms;
}
