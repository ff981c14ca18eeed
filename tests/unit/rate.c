/*
 * rate.c: the token bucket behind rate=N, driven by a fake clock: it
 * starts empty, fills at N a second up to a twentieth of a second's worth,
 * and over a long run lets N a second go.
 */
#include <stdint.h>

#include "runtime/rate.h"
#include "tap.h"

int
main(void)
{
	struct rate r;
	int64_t t = 1000, sent = 0, most = 0;

	rate_init(&r, 20000, t);
	TAP_OK(rate_available(&r, t) == 0, "empty at the start");
	TAP_OK(rate_wait(&r, t) == 50, "full again after 50 ms (%lld)", (long long)rate_wait(&r, t));
	TAP_OK(rate_available(&r, t + 10) == 200, "10 ms later: 200 records");
	TAP_OK(rate_available(&r, t + 10000) == 1000, "an idle source saves up 50 ms's worth, no more");
	rate_take(&r, 1000);
	TAP_OK(rate_available(&r, t + 10000) == 0, "taken");

	/* A greedy source for 10 s of fake time, woken when told. */
	rate_init(&r, 20000, 0);
	for (t = 0; t < 10000; t += rate_wait(&r, t)) {
		int64_t n = rate_available(&r, t);
		rate_take(&r, n);
		sent += n;
		if (n > most)
			most = n;
	}
	TAP_OK(sent >= 199000 && sent <= 200000, "10 s at 20,000 a second: %lld", (long long)sent);
	TAP_OK(most <= 1000, "never more than 1,000 at once");

	rate_init(&r, 1, 0);
	TAP_OK(rate_available(&r, 999) == 0 && rate_available(&r, 1000) == 1,
	    "rate=1: one record after a second");
	rate_take(&r, 1);
	TAP_OK(rate_wait(&r, 1000) == 1000, "and the next a second later");
	rate_init(&r, INT64_C(1) << 50, 0);
	TAP_OK(rate_available(&r, 1) > 0 && rate_wait(&r, 1) >= 1, "a huge rate neither overflows nor spins");
	return tap_done();
}
