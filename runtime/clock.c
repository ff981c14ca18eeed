/*
 * clock.c: real or virtual time over one libevent base (see clock.h).
 *
 * libevent is told to lock for threads once: workers and the driver wake
 * the loop with event_active from their own threads.
 */
#include <assert.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "clock.h"
#include "report.h"
#include "stdlib/xmalloc.h"

struct clock {
	struct event_base *base;
	int is_virtual;
	int64_t now;			/* virtual: the time */
};

/* libevent's log callback has no argument: the reporter of the clock
 * made last (one job per process). */
static const struct reporter *log_reporter;

/* libevent's own messages: a failed epoll add for a file we then read
 * another way is expected, not worth a word. */
static void
libevent_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_ERR)
		report_text(log_reporter, REPORT_ERROR, "event loop: %s", msg);
}

int64_t
clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct clock *
clock_new(int is_virtual, const struct reporter *rep)
{
	struct clock *c = xcalloc(1, sizeof *c);

	evthread_use_pthreads();
	log_reporter = rep;
	event_set_log_callback(libevent_log);
	c->base = event_base_new();
	if (c->base == NULL)
		abort();	/* no memory, or no descriptors for epoll */
	c->is_virtual = is_virtual;
	return c;
}

void
clock_free(struct clock *c)
{
	if (c == NULL)
		return;
	event_base_free(c->base);
	free(c);
}

struct event_base *
clock_base(const struct clock *c)
{
	return c->base;
}

int
clock_is_virtual(const struct clock *c)
{
	return c->is_virtual;
}

int64_t
clock_now(const struct clock *c)
{
	return c->is_virtual ? c->now : clock_wall_ms();
}

void
clock_set(struct clock *c, int64_t ms)
{
	assert(c->is_virtual);
	c->now = ms;
}

void
clock_run(struct clock *c)
{
	event_base_dispatch(c->base);
}

void
clock_stop(struct clock *c)
{
	event_base_loopbreak(c->base);
}
