/*
 * retry.c: delays and reports for trying again; see retry.h.
 */
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "retry.h"

#define DELAY_FIRST_MS 100
#define DELAY_MAX_MS 5000
#define WARN_EVERY_MS 30000

int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
retry_init(struct retry *r)
{
	r->delay_ms = DELAY_FIRST_MS;
	r->rng = (unsigned)getpid() * 2654435761u ^ (unsigned)mono_ms() ^
	    (unsigned)(uintptr_t)r;
	r->failing = 0;
	r->attempts = 0;
	r->last_warn = 0;
	r->warned = 0;
}

int
retry_failed(struct retry *r)
{
	int64_t now = mono_ms();
	int say = !r->failing || now - r->last_warn >= WARN_EVERY_MS;

	r->attempts++;
	r->failing = 1;
	if (say) {
		r->last_warn = now;
		r->warned = 1;
	}
	return say;
}

int64_t
retry_wait(struct retry *r)
{
	int64_t d = r->delay_ms;

	r->rng = r->rng * 1103515245u + 12345u;
	r->delay_ms = d * 2 > DELAY_MAX_MS ? DELAY_MAX_MS : d * 2;
	return d / 2 + (int64_t)((r->rng >> 8) % (unsigned)(d / 2 + 1));
}

int
retry_recovered(struct retry *r)
{
	int said = r->warned;

	r->warned = 0;
	return said;
}

void
retry_reset(struct retry *r)
{
	r->delay_ms = DELAY_FIRST_MS;
	r->failing = 0;
	r->attempts = 0;
}
