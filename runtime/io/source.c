/*
 * source.c: what all sources share -- inputs read into lines, warnings,
 * the constructor by kind, positions inside a block and replay.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "frame.h"
#include "source.h"
#include "runtime/codec.h"
#include "lang/catalog.h"
#include "lang/plan.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

/* A read takes at most READ_SIZE, and a few reads are done before the
 * loop's other events have their turn; complete lines go to the workers
 * when a block's worth (SOURCE_BLOCK_BYTES) is there. */
#define READ_SIZE (256 * 1024)
#define READ_ROUNDS 8

static void
input_dropped(void *arg, size_t bytes)
{
	struct input *in = arg;

	in->src->host->line_dropped(in->src->host->arg, in->src, bytes);
}

void
input_init(struct input *in, struct source *s, int fd, int pumped,
    void (*cb)(int, short, void *), void *arg)
{
	memset(in, 0, sizeof *in);
	in->src = s;
	in->fd = fd;
	in->pumped = pumped;
	lines_init(&in->lines, input_dropped, in);
	if (pumped)
		in->ev = event_new(s->base, -1, 0, cb, arg);
	else
		in->ev = event_new(s->base, fd, EV_READ | EV_PERSIST, cb, arg);
}

void
input_release(struct input *in)
{
	if (in->ev != NULL)
		event_free(in->ev);
	in->ev = NULL;
	lines_release(&in->lines);
}

/* Read when readable (or, pumped, at the loop's next turn), or not. */
void
input_watch(struct input *in, int on)
{
	if (in->ev == NULL)
		return;
	if (!on)
		event_del(in->ev);
	else if (in->pumped) {
		/* At the loop's next turn, after it looked at signals and
		 * timers: an input that never ends and never gives a whole
		 * line (/dev/zero) must not keep the loop to itself. */
		static const struct timeval now = { 0, 0 };
		event_add(in->ev, &now);
	}
	else
		event_add(in->ev, NULL);
}

void
input_cut(struct input *in)
{
	size_t len;
	char *data = lines_take(&in->lines, &len);

	if (data != NULL)
		in->src->host->lines(in->src->host->arg, in->src, data, len);
}

int
input_read(struct input *in)
{
	for (int rounds = 0; rounds < READ_ROUNDS; rounds++) {
		char *p = lines_space(&in->lines, READ_SIZE);
		ssize_t n = read(in->fd, p, READ_SIZE);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			return -1;
		}
		if (n == 0)
			return 0;
		in->bytes += n;
		lines_added(&in->lines, (size_t)n);
		if (lines_complete(&in->lines) >= SOURCE_BLOCK_BYTES)
			input_cut(in);
		if (in->src->paused || in->src->host->backlogged(in->src->host->arg))
			return 1;
	}
	return 1;
}

void
source_report(struct source *s, enum report_kind kind, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	report_text(s->host->reporter, kind, "%s: %s", s->name, msg);
}

/* ---- by kind ---- */

struct source *
source_new(const struct source_desc *d, const struct source_host *host, struct node *n,
    int once)
{
	struct source *s = xcalloc(1, sizeof *s);

	s->desc = d;
	s->host = host;
	s->node = n;
	s->once = once;
	/* rate=, which every source takes: its source set enforces it. */
	for (int i = 0; i < OP_MAX_ARGS && n->stage->desc->args[i].name != NULL; i++)
		if (strcmp(n->stage->desc->args[i].name, "rate") == 0 && n->stage->args[i].present)
			s->rate = n->stage->args[i].i;
	d->init(s, n->stage->args);
	return s;
}

void
source_free(struct source *s)
{
	if (s == NULL)
		return;
	if (s->impl != NULL)
		s->desc->free(s);
	free(s->name);
	free(s);
}

/* ---- positions and replay ---- */

/* A part of a block: this magic, the record count and framed as codec
 * integers, then the kind's positions before and after the block, each a
 * codec integer length and the bytes. */
#define PART_MAGIC "part\001"

int
source_replayable(const struct source *s)
{
	if (s->desc->save == NULL || s->desc->init == NULL)
		return 0;
	if (s->desc->replayable != NULL)
		return s->desc->replayable(s);
	return (s->desc->caps & SOURCE_REPLAYABLE) != 0;
}

static void
put_bytes(struct strbuf *sb, const char *p, size_t len)
{
	codec_put_u64(sb, len);
	if (len > 0)
		strbuf_add(sb, p, len);
}

static const char *
get_bytes(struct codec_reader *r, size_t *len)
{
	uint64_t n = codec_get_u64(r);
	const char *p = r->p;

	if (r->bad || n > (uint64_t)(r->end - r->p)) {
		r->bad = 1;
		*len = 0;
		return NULL;
	}
	r->p += n;
	*len = (size_t)n;
	return p;
}

void
source_position_part(struct strbuf *out, const char *before, size_t beforelen,
    const char *after, size_t afterlen, int64_t n, int framed)
{
	strbuf_adds(out, PART_MAGIC);
	codec_put_u64(out, (uint64_t)n);
	codec_put_u64(out, framed ? 1 : 0);
	put_bytes(out, before, beforelen);
	put_bytes(out, after, afterlen);
}

int
source_position_is_part(const char *pos, size_t len, const char **before,
    size_t *beforelen, const char **after, size_t *afterlen, int64_t *n, int *framed)
{
	struct codec_reader r;
	uint64_t k, f;

	codec_reader_init(&r, pos, len, PART_MAGIC, NULL);
	k = codec_get_u64(&r);
	f = codec_get_u64(&r);
	*before = get_bytes(&r, beforelen);
	*after = get_bytes(&r, afterlen);
	if (!codec_done(&r) || k > INT64_MAX || f > 1)
		return 0;
	*n = (int64_t)k;
	*framed = (int)f;
	return 1;
}

size_t
source_records_end(const char *data, size_t off, size_t len, int framed, int64_t n,
    int64_t *got)
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

int
replay_lines(int fd, int64_t from, int64_t to, struct strbuf *out)
{
	struct lines l;
	int64_t off = from;
	char *data;
	size_t len;

	lines_init(&l, NULL, NULL);
	while (to < 0 || off < to) {
		size_t want = READ_SIZE;
		char *p;
		ssize_t n;

		if (to >= 0 && (int64_t)want > to - off)
			want = (size_t)(to - off);
		p = lines_space(&l, want);
		n = pread(fd, p, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			lines_release(&l);
			return -1;
		}
		if (n == 0) {
			if (to >= 0) {
				/* Shorter than when it was read. */
				lines_release(&l);
				return -2;
			}
			break;
		}
		off += n;
		lines_added(&l, (size_t)n);
		if ((data = lines_take(&l, &len)) != NULL) {
			strbuf_add(out, data, len);
			free(data);
		}
	}
	lines_end(&l);
	if ((data = lines_take(&l, &len)) != NULL) {
		strbuf_add(out, data, len);
		free(data);
	}
	lines_release(&l);
	return 0;
}

/* The kind's replay, with its message prefixed. */
static int
replay_kind(struct source *s, const char *from, size_t fromlen, const char *to,
    size_t tolen, struct strbuf *out, char **err)
{
	char *why = NULL;

	if (s->desc->replay(s, from, fromlen, to, tolen, out, &why) == 0) {
		free(why);
		return 0;
	}
	*err = xasprintf("%s: cannot replay: %s", s->name, why != NULL ? why : "failed");
	free(why);
	return -1;
}

/* Records [k0, k1) (k1 < 0: to the end) of the block between before and
 * after, appended to out. */
static int
replay_slice(struct source *s, const char *before, size_t beforelen, const char *after,
    size_t afterlen, int framed, int64_t k0, int64_t k1, struct strbuf *out, char **err)
{
	struct strbuf blk = STRBUF_INIT;
	size_t a, b;
	int64_t got;

	if (replay_kind(s, before, beforelen, after, afterlen, &blk, err) != 0) {
		strbuf_release(&blk);
		return -1;
	}
	a = source_records_end(blk.data, 0, blk.len, framed, k0, &got);
	b = k1 < 0 ? blk.len : source_records_end(blk.data, 0, blk.len, framed, k1, &got);
	if (b > a)
		strbuf_add(out, blk.data + a, b - a);
	strbuf_release(&blk);
	return 0;
}

int
source_replay(struct source *s, const char *from, size_t fromlen, const char *to,
    size_t tolen, struct strbuf *out, char **err)
{
	const char *fb, *fa, *tb, *ta;
	size_t fblen, falen, tblen, talen;
	int64_t fk, tk;
	int fframed, tframed, fpart, tpart;

	*err = NULL;
	if (!source_replayable(s) || s->desc->replay == NULL) {
		*err = xasprintf("%s: cannot replay: not replayable", s->name);
		return -1;
	}
	fpart = source_position_is_part(from, fromlen, &fb, &fblen, &fa, &falen, &fk, &fframed);
	tpart = source_position_is_part(to, tolen, &tb, &tblen, &ta, &talen, &tk, &tframed);
	if (!fpart && !tpart)
		return replay_kind(s, from, fromlen, to, tolen, out, err);
	/* Two parts of one block: the records between them. */
	if (fpart && tpart && fblen == tblen && falen == talen &&
	    memcmp(fb, tb, fblen) == 0 && memcmp(fa, ta, falen) == 0)
		return replay_slice(s, fb, fblen, fa, falen, tframed, fk, tk, out, err);
	/* The rest of from's block, what came between, the start of to's. */
	if (fpart) {
		if (replay_slice(s, fb, fblen, fa, falen, fframed, fk, -1, out, err) != 0)
			return -1;
		from = fa;
		fromlen = falen;
	}
	if (!tpart)
		return replay_kind(s, from, fromlen, to, tolen, out, err);
	if (replay_kind(s, from, fromlen, tb, tblen, out, err) != 0)
		return -1;
	return replay_slice(s, tb, tblen, ta, talen, tframed, 0, tk, out, err);
}
