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
 *
 * Positions, kept when checkpoints are on (srcset_keep_positions): for a
 * replayable source the set saves the source's position right after it
 * starts, and each time the source hands a block over -- before the
 * block may wait for its rate -- and carries it with the block, so the
 * host, while it takes a block, can ask where the source was before it
 * and after it.  A rated block that goes on in parts gives each part the
 * position inside the block after its records (source_position_part).
 * A source restored at such a position reads on after the whole block,
 * and the set hands over the block's records not yet taken first, read
 * again with the kind's replay.
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
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

struct held {
	struct held *next;
	char *data;
	size_t len, off;		/* data[off..len) still waits */
	int framed;
	/* positions kept: the kind's, around the whole block, and how many
	 * of the block's records have gone on */
	struct strbuf before, after;
	int64_t taken;
};

/* A source's positions. */
struct srcpos {
	int keep;			/* kept: checkpoints on, replayable */
	struct strbuf passed;		/* after the last block (or part) the host took */
	struct strbuf captured;		/* the kind's, after the last block it handed over */
	const char *cur;		/* while the host takes a block: after it */
	size_t curlen;
	int in_pass;
	/* restored inside a block: the records of it not taken yet */
	char *rest;
	size_t restlen;
	int rest_framed;
	int64_t rest_taken;
	struct strbuf rest_before, rest_after;	/* the kind's, around the block */
	int restored_part;
	int restored;			/* at a position of the kind: where it starts */
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
	int keep_positions;
	struct srcpos *pos;		/* per source */
};

static struct srcpos *
pos_of(const struct srcset *set, const struct source *s)
{
	int i = srcset_index(set, s);

	return i >= 0 ? &set->pos[i] : NULL;
}

static void
set_bytes(struct strbuf *sb, const char *p, size_t len)
{
	strbuf_reset(sb);
	if (len > 0)
		strbuf_add(sb, p, len);
}

/* The block goes to the host; after: the position after it (kept or not). */
static void
pass(struct srcset *set, struct source *s, char *data, size_t len, int framed,
    const char *after, size_t afterlen)
{
	struct srcpos *p = pos_of(set, s);
	int keep = p != NULL && p->keep;

	if (keep) {
		p->cur = after;
		p->curlen = afterlen;
		p->in_pass = 1;
	}
	if (framed)
		set->up->frames(set->up->arg, s, data, len);
	else
		set->up->lines(set->up->arg, s, data, len);
	if (keep) {
		p->in_pass = 0;
		p->cur = NULL;
		set_bytes(&p->passed, after, afterlen);
	}
}

static void
held_free(struct held *h)
{
	strbuf_release(&h->before);
	strbuf_release(&h->after);
	free(h);
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
		size_t end = source_records_end(h->data, h->off, h->len, h->framed, avail, &got);

		rate_take(&l->rate, got);
		if (end >= h->len) {
			/* The rest of the block: its own buffer, moved to the front. */
			size_t len = h->len - h->off;
			if (h->off > 0)
				memmove(h->data, h->data + h->off, len);
			l->head = h->next;
			if (l->head == NULL)
				l->tail = NULL;
			pass(set, s, h->data, len, h->framed, h->after.data, h->after.len);
			held_free(h);
		} else {
			char *part = xmalloc(end - h->off);
			struct strbuf at = STRBUF_INIT;

			memcpy(part, h->data + h->off, end - h->off);
			h->taken += got;
			if (h->after.len > 0)
				source_position_part(&at, h->before.data, h->before.len,
				    h->after.data, h->after.len, h->taken, h->framed);
			pass(set, s, part, end - h->off, h->framed, at.data, at.len);
			strbuf_release(&at);
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

/* A block, with the kind's positions around it (none: not kept) and the
 * count of its records that went on already (a restored part's). */
static void
hand_over_at(struct srcset *set, struct source *s, char *data, size_t len, int framed,
    const struct strbuf *before, const struct strbuf *after, int64_t taken)
{
	struct source_limit *l = s->limit;
	struct held *h;

	if (l == NULL || set->stopped) {
		pass(set, s, data, len, framed, after->data, after->len);
		return;
	}
	h = xcalloc(1, sizeof *h);
	h->data = data;
	h->len = len;
	h->framed = framed;
	h->taken = taken;
	set_bytes(&h->before, before->data, before->len);
	set_bytes(&h->after, after->data, after->len);
	if (l->tail != NULL)
		l->tail->next = h;
	else
		l->head = h;
	l->tail = h;
	limit_drain(l);
}

/* A block the source hands over: its position after it taken now. */
static void
hand_over(struct srcset *set, struct source *s, char *data, size_t len, int framed)
{
	struct srcpos *p = pos_of(set, s);
	struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;

	if (p != NULL && p->keep) {
		s->desc->save(s, &after);
		before = p->captured;
		p->captured = (struct strbuf)STRBUF_INIT;
		set_bytes(&p->captured, after.data, after.len);
	}
	hand_over_at(set, s, data, len, framed, &before, &after, 0);
	strbuf_release(&before);
	strbuf_release(&after);
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
	set->pos = xcalloc((size_t)set->n + 1, sizeof *set->pos);
	return set;
}

static void
limit_free(struct source_limit *l)
{
	while (l->head != NULL) {
		struct held *h = l->head;
		l->head = h->next;
		free(h->data);
		held_free(h);
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
		struct srcpos *p = &set->pos[i];
		if (set->sources[i]->limit != NULL)
			limit_free(set->sources[i]->limit);
		set->sources[i]->limit = NULL;
		source_free(set->sources[i]);
		strbuf_release(&p->passed);
		strbuf_release(&p->captured);
		strbuf_release(&p->rest_before);
		strbuf_release(&p->rest_after);
		free(p->rest);
	}
	free(set->pos);
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
	/* Where each starts (stdin knows now whether it is a file). */
	for (int i = 0; i < set->n; i++) {
		struct source *s = set->sources[i];
		struct srcpos *p = &set->pos[i];
		p->keep = set->keep_positions && source_replayable(s);
		if (!p->keep || p->restored_part)
			continue;
		/* Restored: the position restored, whatever the kind made
		 * of it (a file rotated meanwhile), so the blocks chain on
		 * from the checkpoint's. */
		if (!p->restored) {
			strbuf_reset(&p->passed);
			s->desc->save(s, &p->passed);
		}
		set_bytes(&p->captured, p->passed.data, p->passed.len);
	}
	/* Restored inside a block: the rest of it goes first. */
	for (int i = 0; i < set->n; i++) {
		struct srcpos *p = &set->pos[i];
		char *rest = p->rest;
		if (!p->restored_part)
			continue;
		p->restored_part = 0;
		p->rest = NULL;
		set_bytes(&p->captured, p->rest_after.data, p->rest_after.len);
		if (rest == NULL)
			continue;
		if (!p->keep) {
			struct strbuf none = STRBUF_INIT;
			hand_over_at(set, set->sources[i], rest, p->restlen, p->rest_framed,
			    &none, &none, 0);
		} else
			hand_over_at(set, set->sources[i], rest, p->restlen, p->rest_framed,
			    &p->rest_before, &p->rest_after, p->rest_taken);
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

/* ---- positions ---- */

void
srcset_keep_positions(struct srcset *set, int on)
{
	set->keep_positions = on;
	for (int i = 0; i < set->n; i++)
		set->pos[i].keep = on && source_replayable(set->sources[i]);
}

int
srcset_index(const struct srcset *set, const struct source *s)
{
	for (int i = 0; i < set->n; i++)
		if (set->sources[i] == s)
			return i;
	return -1;
}

struct source *
srcset_source(const struct srcset *set, int i)
{
	return i >= 0 && i < set->n ? set->sources[i] : NULL;
}

const char *
srcset_position(const struct srcset *set, const struct source *s, size_t *len)
{
	const struct srcpos *p = pos_of(set, s);

	*len = 0;
	if (p == NULL || !p->keep)
		return NULL;
	if (p->in_pass) {
		*len = p->curlen;
		return p->cur;
	}
	*len = p->passed.len;
	return p->passed.len > 0 ? p->passed.data : NULL;
}

const char *
srcset_position_before(const struct srcset *set, const struct source *s, size_t *len)
{
	const struct srcpos *p = pos_of(set, s);

	*len = 0;
	if (p == NULL || !p->keep || p->passed.len == 0)
		return NULL;
	*len = p->passed.len;
	return p->passed.data;
}

int
srcset_restore(struct srcset *set, int i, const char *pos, size_t len, char **err)
{
	struct source *s = srcset_source(set, i);
	struct srcpos *p;
	const char *before, *after;
	size_t beforelen, afterlen;
	int64_t k, got;
	int framed;

	*err = NULL;
	if (s == NULL) {
		*err = xasprintf("no source %d to restore", i);
		return -1;
	}
	p = &set->pos[i];
	if (!source_replayable(s)) {
		*err = xasprintf("%s: cannot restore a position: not replayable", s->name);
		return -1;
	}
	if (!source_position_is_part(pos, len, &before, &beforelen, &after, &afterlen, &k,
	    &framed)) {
		if (s->desc->restore(s, pos, len) != 0) {
			*err = xasprintf("%s: the checkpoint's position is not one of this source",
			    s->name);
			return -1;
		}
		set_bytes(&p->passed, pos, len);
		p->restored = 1;
		p->restored_part = 0;
		return 0;
	}
	/* Inside a block: on after the block, the records of it not taken
	 * yet read again now, to go first. */
	{
		struct strbuf blk = STRBUF_INIT;
		size_t from;

		if (s->desc->restore(s, after, afterlen) != 0) {
			*err = xasprintf("%s: the checkpoint's position is not one of this source",
			    s->name);
			return -1;
		}
		if (source_replay(s, before, beforelen, after, afterlen, &blk, err) != 0) {
			strbuf_release(&blk);
			return -1;
		}
		from = source_records_end(blk.data, 0, blk.len, framed, k, &got);
		free(p->rest);
		p->rest = NULL;
		p->restlen = blk.len - from;
		if (p->restlen > 0) {
			p->rest = xmalloc(p->restlen);
			memcpy(p->rest, blk.data + from, p->restlen);
		}
		strbuf_release(&blk);
		p->rest_framed = framed;
		p->rest_taken = k;
		set_bytes(&p->rest_before, before, beforelen);
		set_bytes(&p->rest_after, after, afterlen);
		set_bytes(&p->passed, pos, len);
		p->restored_part = 1;
		p->restored = 0;
	}
	return 0;
}

int
srcset_replay(struct srcset *set, int i, const char *from, size_t fromlen, const char *to,
    size_t tolen, struct strbuf *out, char **err)
{
	struct source *s = srcset_source(set, i);

	if (s == NULL) {
		*err = xasprintf("no source %d to replay", i);
		return -1;
	}
	return source_replay(s, from, fromlen, to, tolen, out, err);
}
