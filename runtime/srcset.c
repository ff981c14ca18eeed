/*
 * srcset.c: a job's sources, together (see srcset.h).
 *
 * rate=N, enforced here for every kind: a rated source's blocks wait in
 * its limit, and go to the host as its bucket (rate.h) allows, cut at
 * record boundaries into parts of at most a twentieth of a second's
 * records.  While blocks wait, the source is paused, as under
 * backpressure; a timer lets the next part go, and the source is read
 * again once nothing waits.  A rated source that ends while blocks wait
 * tells the host it ended after the last of them.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "rate.h"
#include "retry.h"
#include "srcset.h"
#include "io/frame.h"
#include "io/registry.h"
#include "io/source.h"
#include "lang/plan.h"
#include "stdlib/xmalloc.h"

struct held {
	struct held *next;
	char *data;
	size_t len, off;		/* data[off..len) still waits */
	int framed;
};

struct source_limit {
	struct srcset *set;
	struct source *s;
	struct rate rate;
	struct event *ev;
	struct held *head, *tail;
	int held;			/* paused by its rate */
	int end_told;			/* the host knows it ended */
};

struct srcset {
	const struct source_host *up;	/* the job's */
	struct source_host host;	/* the sources': through the set */
	struct source **sources;
	int n;
	int ended;			/* how many have ended */
	int virtual_clock;
	int paused;			/* held back by the job */
	int stopped;
};

/* Where the first n records of data[off..len) end; *got: how many there
 * were (fewer when the block ends first). */
static size_t
records_end(const char *data, size_t off, size_t len, int framed, int64_t n, int64_t *got)
{
	const char *p = data + off, *end = data + len;
	int64_t k = 0;

	if (framed) {
		struct frame f;
		while (k < n && frame_next(&p, end, &f) > 0)
			k++;
		if (k < n)
			p = end;	/* a bad record: the rest goes as it is */
	} else {
		while (k < n && p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			p = nl != NULL ? nl + 1 : end;
			k++;
		}
	}
	*got = k;
	return (size_t)(p - data);
}

static void
pass(struct srcset *set, struct source *s, char *data, size_t len, int framed)
{
	if (framed)
		set->up->frames(set->up->arg, s, data, len);
	else
		set->up->lines(set->up->arg, s, data, len);
}

static void
tell_ended(struct srcset *set, struct source *s)
{
	if (s->limit != NULL) {
		if (s->limit->end_told)
			return;
		s->limit->end_told = 1;
	}
	set->up->ended(set->up->arg, s);
}

/* Let go what the bucket allows; pause the source while anything waits. */
static void
limit_drain(struct source_limit *l)
{
	struct srcset *set = l->set;
	struct source *s = l->s;
	int64_t now = mono_ms(), avail, got;

	while (l->head != NULL && !set->stopped &&
	    (avail = rate_available(&l->rate, now)) > 0) {
		struct held *h = l->head;
		size_t end = records_end(h->data, h->off, h->len, h->framed, avail, &got);

		rate_take(&l->rate, got);
		if (end >= h->len) {
			/* The rest of the block: its own buffer, moved to the front. */
			size_t len = h->len - h->off;
			if (h->off > 0)
				memmove(h->data, h->data + h->off, len);
			l->head = h->next;
			if (l->head == NULL)
				l->tail = NULL;
			pass(set, s, h->data, len, h->framed);
			free(h);
		} else {
			char *part = xmalloc(end - h->off);
			memcpy(part, h->data + h->off, end - h->off);
			pass(set, s, part, end - h->off, h->framed);
			h->off = end;
		}
	}
	if (set->stopped)
		return;
	if (l->head != NULL) {
		int64_t wait = rate_wait(&l->rate, now);
		struct timeval tv = { wait / 1000, (wait % 1000) * 1000 };
		l->held = 1;
		if (!s->ended && !s->paused) {
			s->paused = 1;
			s->desc->pause(s);
		}
		evtimer_add(l->ev, &tv);
		return;
	}
	if (l->held) {
		l->held = 0;
		/* Still held back by the job: srcset_resume lets it go. */
		if (!s->ended && s->paused && !set->paused) {
			s->paused = 0;
			s->desc->resume(s);
		}
	}
	/* The source ended while its last blocks waited. */
	if (s->ended)
		tell_ended(set, s);
}

static void
on_limit_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	limit_drain(arg);
}

static void
hand_over(struct srcset *set, struct source *s, char *data, size_t len, int framed)
{
	struct source_limit *l = s->limit;
	struct held *h;

	if (l == NULL || set->stopped) {
		pass(set, s, data, len, framed);
		return;
	}
	h = xcalloc(1, sizeof *h);
	h->data = data;
	h->len = len;
	h->framed = framed;
	if (l->tail != NULL)
		l->tail->next = h;
	else
		l->head = h;
	l->tail = h;
	limit_drain(l);
}

static void
on_lines(void *arg, struct source *s, char *data, size_t len)
{
	hand_over(arg, s, data, len, 0);
}

static void
on_frames(void *arg, struct source *s, char *data, size_t len)
{
	hand_over(arg, s, data, len, 1);
}

static void
on_line_dropped(void *arg, struct source *s, size_t bytes)
{
	struct srcset *set = arg;

	set->up->line_dropped(set->up->arg, s, bytes);
}

static void
on_ended(void *arg, struct source *s)
{
	struct srcset *set = arg;

	set->ended++;
	if (s->limit == NULL || s->limit->head == NULL)
		tell_ended(set, s);
}

static int
on_backlogged(void *arg)
{
	struct srcset *set = arg;

	return set->up->backlogged(set->up->arg);
}

static void
on_fail(void *arg, const char *msg)
{
	struct srcset *set = arg;

	set->up->fail(set->up->arg, msg);
}

struct srcset *
srcset_new(struct plan *plan, const struct source_host *host, int once)
{
	struct srcset *set = xcalloc(1, sizeof *set);

	set->up = host;
	set->host = (struct source_host){
		.arg = set, .lines = on_lines, .frames = on_frames,
		.line_dropped = on_line_dropped, .ended = on_ended,
		.backlogged = on_backlogged, .fail = on_fail, .reporter = host->reporter,
	};
	set->virtual_clock = 1;
	for (int i = 0; i < plan->nnodes; i++) {
		struct node *n = plan->nodes[i];
		const struct source_desc *d = source_kind(n->stage->desc);
		struct source *s;

		if (d == NULL)
			continue;
		/* The virtual clock only when every source runs on it. */
		if (!(d->caps & SOURCE_VIRTUAL_CLOCK))
			set->virtual_clock = 0;
		if (d->init == NULL)
			continue;	/* one the job feeds (batches) */
		s = source_new(d, &set->host, n, once);
		set->sources = xreallocarray(set->sources, (size_t)set->n + 1, sizeof *set->sources);
		set->sources[set->n++] = s;
	}
	return set;
}

static void
limit_free(struct source_limit *l)
{
	while (l->head != NULL) {
		struct held *h = l->head;
		l->head = h->next;
		free(h->data);
		free(h);
	}
	l->tail = NULL;
	if (l->ev != NULL)
		event_free(l->ev);
	free(l);
}

void
srcset_free(struct srcset *set)
{
	if (set == NULL)
		return;
	for (int i = 0; i < set->n; i++) {
		if (set->sources[i]->limit != NULL)
			limit_free(set->sources[i]->limit);
		set->sources[i]->limit = NULL;
		source_free(set->sources[i]);
	}
	free(set->sources);
	free(set);
}

int
srcset_count(const struct srcset *set)
{
	return set->n;
}

int
srcset_virtual_clock(const struct srcset *set)
{
	return set->virtual_clock;
}

int
srcset_start(struct srcset *set, struct event_base *base)
{
	for (int i = 0; i < set->n; i++) {
		struct source *s = set->sources[i];

		s->base = base;
		if (s->rate > 0) {
			struct source_limit *l = xcalloc(1, sizeof *l);
			l->set = set;
			l->s = s;
			rate_init(&l->rate, s->rate, mono_ms());
			l->ev = evtimer_new(base, on_limit_timer, l);
			s->limit = l;
		}
	}
	for (int i = 0; i < set->n; i++) {
		if (set->sources[i]->desc->start(set->sources[i]) != 0) {
			set->sources[i]->ended = 1;
			return -1;
		}
	}
	return 0;
}

int
srcset_done(const struct srcset *set)
{
	if (set->ended < set->n)
		return 0;
	for (int i = 0; i < set->n; i++)
		if (set->sources[i]->limit != NULL && set->sources[i]->limit->head != NULL)
			return 0;
	return 1;
}

void
srcset_cut(struct srcset *set)
{
	for (int i = 0; i < set->n; i++)
		if (!set->sources[i]->ended)
			set->sources[i]->desc->cut(set->sources[i]);
}

void
srcset_pause(struct srcset *set)
{
	set->paused = 1;
	for (int i = 0; i < set->n; i++) {
		struct source *s = set->sources[i];
		if (!s->ended && !s->paused) {
			s->paused = 1;
			s->desc->pause(s);
		}
	}
}

void
srcset_resume(struct srcset *set)
{
	set->paused = 0;
	for (int i = 0; i < set->n; i++) {
		struct source *s = set->sources[i];
		/* One held back by its rate waits for its timer. */
		if (!s->ended && s->paused && (s->limit == NULL || !s->limit->held)) {
			s->paused = 0;
			s->desc->resume(s);
		}
	}
}

void
srcset_stop(struct srcset *set)
{
	set->stopped = 1;
	for (int i = 0; i < set->n; i++) {
		struct source *s = set->sources[i];
		if (s->limit != NULL && s->limit->ev != NULL)
			evtimer_del(s->limit->ev);
		if (!s->ended)
			s->desc->stop(s);
	}
}
