/*
 * stateful.c: state, windows and event-time windows as stateful.h's one
 * interface.
 *
 * An event-time window has no smaller save than the whole: its open
 * windows change with every block, and there are few of them
 * ((length + lateness) / slide + 1), so its changes are the whole.
 */
#include "evtime.h"
#include "state.h"
#include "stateful.h"
#include "window.h"

static int
state_full(void *p, struct strbuf *sb)
{
	state_save_full(p, sb);
	return 0;
}

static int
state_changes(void *p, struct strbuf *sb)
{
	state_save_changes(p, sb);
	return 0;
}

static int
state_same(const void *p)
{
	return state_unchanged(p);
}

static int
state_restore_any(void *p, struct eval *ev, const char *data, size_t len)
{
	(void)ev;
	return state_restore(p, data, len);
}

static size_t
state_nkeys(const void *p)
{
	return state_keys(p);
}

static size_t
state_nbytes(const void *p)
{
	return state_bytes(p);
}

static void
state_nsample(const void *p, int n, struct strbuf *sb)
{
	state_sample(p, n, sb);
}

const struct stateful_ops state_stateful = {
	"state", state_full, state_changes, state_same, state_restore_any, state_nkeys, state_nbytes,
	state_nsample,
};

static int
window_full(void *p, struct strbuf *sb)
{
	window_save_full(p, sb);
	return 0;
}

static int
window_changes(void *p, struct strbuf *sb)
{
	window_save_changes(p, sb);
	return 0;
}

static int
window_restore_any(void *p, struct eval *ev, const char *data, size_t len)
{
	return window_restore(p, ev, data, len);
}

static size_t
window_nkeys(const void *p)
{
	return window_keys(p);
}

static size_t
window_nbytes(const void *p)
{
	return window_bytes(p);
}

const struct stateful_ops window_stateful = {
	"window", window_full, window_changes, NULL, window_restore_any, window_nkeys, window_nbytes,
	NULL,
};

static int
evtime_full(void *p, struct strbuf *sb)
{
	return evtime_save(p, sb);
}

static int
evtime_restore_any(void *p, struct eval *ev, const char *data, size_t len)
{
	(void)ev;
	return evtime_restore(p, data, len);
}

static size_t
evtime_nkeys(const void *p)
{
	return evtime_keys(p);
}

static size_t
evtime_nbytes(const void *p)
{
	return evtime_bytes(p);
}

const struct stateful_ops evtime_stateful = {
	"event-time window", evtime_full, evtime_full, NULL, evtime_restore_any, evtime_nkeys,
	evtime_nbytes, NULL,
};
