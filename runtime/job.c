/*
 * job.c: the life of a job.
 *
 * One thread runs the libevent loop: it reads standard input (without
 * blocking; a regular file, which epoll cannot watch, is read in slices
 * from an idle callback), cuts the input into blocks of complete lines
 * and hands them to the workers, keeps the batch clock (batch times are
 * the ends of intervals aligned to multiples of the interval since the
 * epoch), and handles signals.  A driver thread takes closed batches in
 * order and finishes them (exec_finish_batch), so reading goes on while a
 * batch is being finished.  When every source has ended, or the job is
 * asked to stop, the batch being filled is closed as the last one.
 *
 * When all sources are batches(...) lists, no clock is needed: the job
 * runs the lists one batch after another at full speed on a virtual clock
 * whose first batch time is one interval after the epoch, so the output is
 * the same on every run.
 *
 * Backpressure: bytes read and not yet processed are counted; above the
 * buffer bound, reading stops until the workers have caught up to half of
 * it, so a fast producer fills its pipe instead of our memory.
 *
 * Output: stdout lines are written in batch order as they are ready --
 * except under on error fail, where each batch's output is held in a spool
 * (spool.h) until the batch is done, then written if none of its records
 * failed and dropped otherwise, so nothing of a failing batch is written.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "eval.h"
#include "exec.h"
#include "job.h"
#include "rate.h"
#include "retry.h"
#include "io/frame.h"
#include "io/registry.h"
#include "io/source.h"
#include "spool.h"
#include "status.h"
#include "table.h"
#include "workers.h"
#include "cli/exitcode.h"
#include "stdlib/arena.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

/* Record errors shown on stderr before they are only counted. */
#define ERRORS_SHOWN 10
/* How often table files are looked at (table_slot_poll). */
#define TABLE_POLL_MS 500

struct job {
	struct plan *plan;
	const struct job_options *opt;
	const struct run_options *ropt;
	struct exec *exec;
	struct workers *workers;
	struct event_base *base;
	int64_t interval;

	/* the sources that read from outside (stdin, sockets, files) */
	struct source **sources;
	int nsources;
	int sources_ended;		/* how many have ended */
	int starting;			/* sources are being started */
	int bad_input;
	int stopping;			/* the last batch is closed: read no more */
	atomic_int paused;

	/* batches(...) sources: their lists, evaluated once */
	struct node **lists_nodes;
	struct value **lists;		/* [source][k] = list k's items */
	size_t **list_lens;
	int *nlists;
	int nlist_sources;
	struct arena *lists_arena;

	/* the clock */
	struct event *batch_ev;
	struct event *block_ev;
	struct event *duration_ev;
	struct event *signal_int, *signal_term;
	struct event *wake_ev;		/* from other threads: resume, exit */
	struct event *table_ev;		/* looks at table files for changes */
	struct batch *current;
	uint64_t next_seq;
	int signals;

	/* the driver */
	pthread_t driver;
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct batch *queue_head, *queue_tail;
	int driver_done;		/* the last batch is finished */
	atomic_llong inflight;
	atomic_int queued;		/* closed batches the driver has not finished */
	long long read_ahead;		/* pause reading above this many bytes */
	atomic_llong waiting;		/* input bytes of closed, unfinished batches */
	atomic_llong held;		/* bytes of processed blocks kept by batches */
	long long waiting_max;		/* ... pause above this (buffer) */
	atomic_int want_resume;

	/* output, in batch order */
	pthread_mutex_t out_lock;
	uint64_t writing_seq;
	struct pending_out { struct pending_out *next; uint64_t seq; char *data; size_t len; }
	    *pending_head, *pending_tail;
	atomic_int epipe;
	atomic_ullong fail_seq;		/* the first batch a record failed in */
	/* on error fail: each batch's output is held until the batch is
	 * known good, in memory up to the buffer setting, then in a file */
	int hold;
	struct hold { struct hold *next; uint64_t seq; struct spool *sp; } *holds;
	size_t holds_mem;		/* bytes the holds keep in memory */

	/* errors */
	pthread_mutex_t err_lock;
	int64_t errors;
	int failed;
	int fail_is_sink;		/* fail_msg says it all: no "record error" */
	char *fail_msg;
	FILE *dead_letters;

	/* the status line */
	int status_line;
	int has_state;			/* a state stage: its keys are shown */
	int64_t records_total;
	int64_t started_ms;
};

static int drained(struct job *);

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- output ---- */

static void fail_batch(struct job *, uint64_t seq, const char *msg);

/* Write to standard output now; -1 when it is closed or failed. */
static int
stdout_put(struct job *j, const char *data, size_t len)
{
	int err = 0;

	if (atomic_load(&j->epipe))
		return -1;
	/* Only the write itself is inside hide/show: the status lock is
	 * taken last, never held while taking another. */
	status_hide(STDOUT_FILENO);
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				usleep(1000);
				continue;
			}
			err = errno;
			break;
		}
		data += n;
		len -= (size_t)n;
	}
	status_show(STDOUT_FILENO);
	if (err == 0)
		return 0;
	/* A closed pipe ends the job quietly; another failure (a full disk)
	 * ends it with status 1 and the reason. */
	if (err != EPIPE) {
		pthread_mutex_lock(&j->err_lock);
		if (!j->failed) {
			j->failed = 1;
			j->fail_msg = xasprintf("writing standard output: %s", strerror(err));
		}
		pthread_mutex_unlock(&j->err_lock);
	}
	if (atomic_exchange(&j->epipe, 1) == 0 && j->wake_ev != NULL)
		event_active(j->wake_ev, EV_READ, 0);
	return -1;
}

static int
stdout_put_cb(void *arg, const char *data, size_t len)
{
	return stdout_put(arg, data, len);
}

/* on error fail: add to batch seq's held output (out_lock held).  The
 * holds of all batches keep at most the buffer setting in memory; a hold
 * that would go past it moves to a temporary file. */
static int
hold_add(struct job *j, uint64_t seq, const char *data, size_t len)
{
	size_t bound = (size_t)j->plan->settings.buffer_bytes, before;
	struct hold *h;
	char err[256];

	for (h = j->holds; h != NULL && h->seq != seq; h = h->next)
		;
	if (h == NULL) {
		h = xcalloc(1, sizeof *h);
		h->seq = seq;
		h->sp = spool_new();
		h->next = j->holds;
		j->holds = h;
	}
	before = spool_mem(h->sp);
	if (spool_add(h->sp, data, len, j->holds_mem < bound ? bound - j->holds_mem : 0,
	    err, sizeof err) != 0) {
		fail_batch(j, seq, err);
		return -1;
	}
	j->holds_mem = j->holds_mem - before + spool_mem(h->sp);
	return 0;
}

/* on error fail: batch seq is finished; its output goes out if no record
 * of it failed, and is dropped otherwise. */
static void
hold_release(struct job *j, uint64_t seq)
{
	struct hold **pp, *h;
	char err[256];

	pthread_mutex_lock(&j->out_lock);
	for (pp = &j->holds; (h = *pp) != NULL && h->seq != seq; pp = &h->next)
		;
	if (h != NULL) {
		*pp = h->next;
		j->holds_mem -= spool_mem(h->sp);
	}
	pthread_mutex_unlock(&j->out_lock);
	if (h == NULL)
		return;
	/* Written outside the lock: the workers go on holding the output of
	 * the next batches meanwhile. */
	if (seq < atomic_load(&j->fail_seq) &&
	    spool_drain(h->sp, stdout_put_cb, j, err, sizeof err) < 0)
		fail_batch(j, seq, err);
	spool_free(h->sp);
	free(h);
}

static void
hold_free_all(struct job *j)
{
	while (j->holds != NULL) {
		struct hold *h = j->holds;
		j->holds = h->next;
		spool_free(h->sp);
		free(h);
	}
}

int
job_write(struct job *j, uint64_t seq, const char *data, size_t len)
{
	int rc;

	/* With on error fail, the batches before the failing one are written
	 * whole and nothing from it or after it: the same on every run. */
	if (atomic_load(&j->epipe) || seq >= atomic_load(&j->fail_seq))
		return -1;
	if (!j->hold)
		return stdout_put(j, data, len);
	pthread_mutex_lock(&j->out_lock);
	rc = hold_add(j, seq, data, len);
	pthread_mutex_unlock(&j->out_lock);
	return rc;
}

void
job_output(struct job *j, struct batch *b, char *data, size_t len)
{
	pthread_mutex_lock(&j->out_lock);
	if (j->hold) {
		if (!atomic_load(&j->epipe) && b->seq < atomic_load(&j->fail_seq))
			hold_add(j, b->seq, data, len);
		free(data);
	} else if (b->seq == j->writing_seq) {
		job_write(j, b->seq, data, len);
		free(data);
	} else {
		struct pending_out *p = xmalloc(sizeof *p);
		p->next = NULL;
		p->seq = b->seq;
		p->data = data;
		p->len = len;
		if (j->pending_tail != NULL)
			j->pending_tail->next = p;
		else
			j->pending_head = p;
		j->pending_tail = p;
	}
	pthread_mutex_unlock(&j->out_lock);
}

/* The batch seq is finished: its held output goes (on error fail), or the
 * next one's kept output may go now. */
static void
output_advance(struct job *j, uint64_t seq)
{
	struct pending_out **pp, *p;

	if (j->hold) {
		hold_release(j, seq);
		return;
	}
	pthread_mutex_lock(&j->out_lock);
	j->writing_seq++;
	pp = &j->pending_head;
	j->pending_tail = NULL;
	while ((p = *pp) != NULL) {
		if (p->seq == j->writing_seq) {
			job_write(j, p->seq, p->data, p->len);
			*pp = p->next;
			free(p->data);
			free(p);
			continue;
		}
		j->pending_tail = p;
		pp = &p->next;
	}
	pthread_mutex_unlock(&j->out_lock);
}

/* ---- errors ---- */

static const char *
stage_where(const struct node *n, char *buf, size_t size)
{
	if (n == NULL)
		return "stdin";
	snprintf(buf, size, "%s (line %d)", n->stage->desc->name, n->stage->span.first_line);
	return buf;
}

void
job_record_error(struct job *j, uint64_t seq, const struct node *n, const char *reason,
    struct value record)
{
	struct strbuf rec = STRBUF_INIT;
	char where[96];

	if (reason == NULL)
		reason = "error";
	value_format_json(&rec, record);
	if (rec.len > 200) {
		rec.len = 197;
		strbuf_adds(&rec, "...");
	}
	const char *w = stage_where(n, where, sizeof where);
	pthread_mutex_lock(&j->err_lock);
	j->errors++;
	switch (j->plan->settings.on_error) {
	case ON_ERROR_FAIL:
		if (seq < atomic_load(&j->fail_seq))
			atomic_store(&j->fail_seq, seq);
		if (!j->failed) {
			j->failed = 1;
			if (j->wake_ev != NULL)
				event_active(j->wake_ev, EV_READ, 0);
			j->fail_msg = xasprintf("%s: %s; record: %s", w, reason, strbuf_str(&rec));
		}
		break;
	case ON_ERROR_WRITE:
		if (j->dead_letters != NULL) {
			fprintf(j->dead_letters, "%s: %s\t%s\n", w, reason, strbuf_str(&rec));
			fflush(j->dead_letters);
		}
		break;
	default:
		if (j->ropt->quiet || j->errors > ERRORS_SHOWN)
			break;
		status_hide(STDERR_FILENO);
		fprintf(stderr, "streamjob: skipped a record in %s: %s; record: %s\n",
		    w, reason, strbuf_str(&rec));
		if (j->errors == ERRORS_SHOWN)
			fprintf(stderr, "streamjob: further skipped records are only counted\n");
		status_show(STDERR_FILENO);
		break;
	}
	pthread_mutex_unlock(&j->err_lock);
	strbuf_release(&rec);
}

/* Batch seq cannot be written whole: the job fails with it, as when one of
 * its records fails under on error fail. */
static void
fail_batch(struct job *j, uint64_t seq, const char *msg)
{
	pthread_mutex_lock(&j->err_lock);
	if (seq < atomic_load(&j->fail_seq))
		atomic_store(&j->fail_seq, seq);
	if (!j->failed) {
		j->failed = 1;
		j->fail_msg = xasprintf("holding the output of a batch: %s", msg);
		j->fail_is_sink = 1;
	}
	pthread_mutex_unlock(&j->err_lock);
	if (j->wake_ev != NULL)
		event_active(j->wake_ev, EV_READ, 0);
}

void
job_fail(struct job *j, const char *msg)
{
	pthread_mutex_lock(&j->err_lock);
	if (!j->failed) {
		j->failed = 1;
		j->fail_msg = xasprintf("%s", msg);
		j->fail_is_sink = 1;
	}
	pthread_mutex_unlock(&j->err_lock);
	if (j->wake_ev != NULL)
		event_active(j->wake_ev, EV_READ, 0);
}

uint64_t
job_fail_seq(struct job *j)
{
	return atomic_load(&j->fail_seq);
}

static int
job_failed(struct job *j)
{
	int f;

	pthread_mutex_lock(&j->err_lock);
	f = j->failed;
	pthread_mutex_unlock(&j->err_lock);
	return f;
}

/* ---- the driver ---- */

/* The batch's time as a clock shows it (local time, HH:MM:SS), with
 * milliseconds when it is not on a whole second. */
static void
clock_time(char *buf, size_t size, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	if (localtime_r(&t, &tm) == NULL ||
	    (n = strftime(buf, size, "%H:%M:%S", &tm)) == 0) {
		snprintf(buf, size, "%lld ms", (long long)ms);
		return;
	}
	if (ms % 1000 != 0)
		snprintf(buf + n, size - n, ".%03d", (int)(ms % 1000));
}

static void
status_line(struct job *j, struct batch *b, int64_t processing)
{
	int64_t delay = b->closed_at > 0 ? now_ms() - processing - b->closed_at : 0;
	int64_t elapsed = now_ms() - j->started_ms;
	double rate = elapsed > 0 ? (double)j->records_total * 1000.0 / (double)elapsed : 0;
	char when[48], text[256];
	int n;

	if (delay < 0)
		delay = 0;
	clock_time(when, sizeof when, b->time);
	n = snprintf(text, sizeof text, "batch %s | %.0f records/s | processing %lld ms | delay %lld ms",
	    when, rate, (long long)processing, (long long)delay);
	if (j->has_state && n > 0 && (size_t)n < sizeof text)
		snprintf(text + n, sizeof text - (size_t)n, " | state %zu keys",
		    exec_state_keys(j->exec));
	status_draw(text);
}

static void *
driver_main(void *arg)
{
	struct job *j = arg;

	for (;;) {
		struct batch *b;
		int64_t t0, bytes;
		int last;

		pthread_mutex_lock(&j->lock);
		while (j->queue_head == NULL)
			pthread_cond_wait(&j->ready, &j->lock);
		b = j->queue_head;
		j->queue_head = b->next;
		if (j->queue_head == NULL)
			j->queue_tail = NULL;
		pthread_mutex_unlock(&j->lock);

		t0 = now_ms();
		bytes = b->bytes;
		exec_finish_batch(j->exec, b);
		output_advance(j, b->seq);
		j->records_total += b->records;
		if (j->status_line)
			status_line(j, b, now_ms() - t0);
		last = b->last || b->seq >= atomic_load(&j->fail_seq) || atomic_load(&j->epipe);
		batch_free(j->exec, b);
		/* A driver that falls behind holds the sources back too. */
		atomic_fetch_sub(&j->waiting, bytes);
		atomic_fetch_sub(&j->queued, 1);
		if (drained(j) && atomic_load(&j->paused) &&
		    atomic_exchange(&j->want_resume, 1) == 0 && j->wake_ev != NULL)
			event_active(j->wake_ev, EV_READ, 0);
		if (last) {
			pthread_mutex_lock(&j->lock);
			j->driver_done = 1;
			pthread_mutex_unlock(&j->lock);
			if (j->wake_ev != NULL)
				event_active(j->wake_ev, EV_READ, 0);
			return NULL;
		}
	}
}

static void
driver_enqueue(struct job *j, struct batch *b)
{
	b->closed_at = now_ms();
	atomic_fetch_add(&j->queued, 1);
	pthread_mutex_lock(&j->lock);
	b->next = NULL;
	if (j->queue_tail != NULL)
		j->queue_tail->next = b;
	else
		j->queue_head = b;
	j->queue_tail = b;
	pthread_cond_signal(&j->ready);
	pthread_mutex_unlock(&j->lock);
}

/* ---- sources ---- */

static void close_batch(struct job *, int last);
static void sources_pause(struct job *);
static void sources_resume(struct job *);

/* rate=N, enforced here for every kind: a rated source's blocks wait in
 * its limit, and go to the batch being filled as its bucket (rate.h)
 * allows, cut at record boundaries into parts of at most a twentieth of a
 * second's records.  While blocks wait, the source is paused, as under
 * backpressure; a timer lets the next part go, and the source read again
 * once nothing waits. */
struct held {
	struct held *next;
	char *data;
	size_t len, off;		/* data[off..len) still waits */
	int framed;
};

struct source_limit {
	struct job *j;
	struct source *s;
	struct rate rate;
	struct event *ev;
	struct held *head, *tail;
	int held;			/* paused by its rate */
};

static void submit(struct job *, struct source *, char *data, size_t len, int framed);

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

static int sources_done(struct job *);
static int lists_done(struct job *);

/* Let go what the bucket allows; pause the source while anything waits. */
static void
limit_drain(struct job *j, struct source_limit *l)
{
	struct source *s = l->s;
	int64_t now = mono_ms(), avail, got;

	while (l->head != NULL && (avail = rate_available(&l->rate, now)) > 0) {
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
			submit(j, s, h->data, len, h->framed);
			free(h);
		} else {
			char *part = xmalloc(end - h->off);
			memcpy(part, h->data + h->off, end - h->off);
			submit(j, s, part, end - h->off, h->framed);
			h->off = end;
		}
	}
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
		/* Still held back by the backlog: sources_resume lets it go. */
		if (!s->ended && s->paused && !atomic_load(&j->paused) && !j->stopping) {
			s->paused = 0;
			s->desc->resume(s);
		}
	}
	/* The source ended while its last blocks waited. */
	if (s->ended && !j->starting && j->current != NULL && sources_done(j) && lists_done(j))
		close_batch(j, 1);
}

static void
on_limit_timer(evutil_socket_t fd, short what, void *arg)
{
	struct source_limit *l = arg;

	(void)fd;
	(void)what;
	if (!l->j->stopping)
		limit_drain(l->j, l);
}

static void
limit_add(struct job *j, struct source *s, char *data, size_t len, int framed)
{
	struct source_limit *l = s->limit;
	struct held *h = xcalloc(1, sizeof *h);

	h->data = data;
	h->len = len;
	h->framed = framed;
	if (l->tail != NULL)
		l->tail->next = h;
	else
		l->head = h;
	l->tail = h;
	limit_drain(j, l);
}

static int
limits_waiting(struct job *j)
{
	for (int i = 0; i < j->nsources; i++)
		if (j->sources[i]->limit != NULL && j->sources[i]->limit->head != NULL)
			return 1;
	return 0;
}

static void
limits_setup(struct job *j)
{
	for (int i = 0; i < j->nsources; i++) {
		struct source *s = j->sources[i];
		struct source_limit *l;

		if (s->rate <= 0)
			continue;
		l = xcalloc(1, sizeof *l);
		l->j = j;
		l->s = s;
		rate_init(&l->rate, s->rate, mono_ms());
		l->ev = evtimer_new(j->base, on_limit_timer, l);
		s->limit = l;
	}
}

static void
limits_free(struct job *j)
{
	for (int i = 0; i < j->nsources; i++) {
		struct source_limit *l = j->sources[i]->limit;

		if (l == NULL)
			continue;
		while (l->head != NULL) {
			struct held *h = l->head;
			l->head = h->next;
			free(h->data);
			free(h);
		}
		event_free(l->ev);
		free(l);
		j->sources[i]->limit = NULL;
	}
}

/* A block of source s's input (lines, or framed records) goes to the batch
 * being filled -- through its limit, when it has a rate. */
static void
hand_over(struct job *j, struct source *s, char *data, size_t len, int framed)
{
	if (s->limit != NULL && j->current != NULL && !j->stopping)
		limit_add(j, s, data, len, framed);
	else
		submit(j, s, data, len, framed);
}

static void
submit(struct job *j, struct source *s, char *data, size_t len, int framed)
{
	struct block *blk;

	if (j->current == NULL || j->stopping) {
		free(data);
		return;
	}
	blk = xcalloc(1, sizeof *blk);
	blk->batch = j->current;
	j->current->bytes += (int64_t)len;
	blk->source = s->node;
	blk->data = data;
	blk->len = len;
	blk->framed = framed;
	/* Counted here, not when read: dropped long lines never count. */
	atomic_fetch_add(&j->inflight, (long long)len);
	exec_submit_block(j->exec, blk);
	if (job_backlogged(j))
		sources_pause(j);
}

void
job_lines(struct job *j, struct source *s, char *data, size_t len)
{
	hand_over(j, s, data, len, 0);
}

void
job_frames(struct job *j, struct source *s, char *data, size_t len)
{
	hand_over(j, s, data, len, 1);
}

/* Backpressure: input read and not yet run through its blocks' stages,
 * closed batches waiting for the driver (their count, and the input they
 * hold) -- above a bound, the sources pause; they go on when all three are
 * well below it.  The batch being filled is not bounded here (it would
 * never close if it were): its blocks are. */
int
job_backlogged(struct job *j)
{
	return atomic_load(&j->inflight) > j->read_ahead || atomic_load(&j->queued) > 2 ||
	    atomic_load(&j->waiting) > j->waiting_max ||
	    (!j->opt->once && atomic_load(&j->held) > j->waiting_max);
}

static int
drained(struct job *j)
{
	return atomic_load(&j->inflight) < j->read_ahead / 2 && atomic_load(&j->queued) <= 2 &&
	    atomic_load(&j->waiting) <= j->waiting_max / 2 &&
	    (j->opt->once || atomic_load(&j->held) <= j->waiting_max / 2);
}

/* With --once the one batch must hold all the input: only a stream's
 * batches are bounded by the buffer. */
void
job_block_kept(struct job *j, size_t bytes)
{
	atomic_fetch_add(&j->held, (long long)bytes);
}

void
job_block_released(struct job *j, size_t bytes)
{
	atomic_fetch_sub(&j->held, (long long)bytes);
	if (drained(j) && atomic_load(&j->paused) &&
	    atomic_exchange(&j->want_resume, 1) == 0 && j->wake_ev != NULL)
		event_active(j->wake_ev, EV_READ, 0);
}

void
job_line_dropped(struct job *j, struct source *s, size_t bytes)
{
	char reason[96];

	snprintf(reason, sizeof reason, "a line of %zu bytes is longer than 1 MiB; dropped",
	    bytes);
	job_record_error(j, j->current != NULL ? j->current->seq : 0,
	    (s->desc->caps & SOURCE_READS_STDIN) ? NULL : s->node, reason, value_str("", 0));
}

static int max_lists(struct job *);

/* Have the batches(...) lists all been handed out, as of the open batch? */
static int
lists_done(struct job *j)
{
	return j->opt->once || j->current == NULL ||
	    (int64_t)j->current->seq + 1 >= max_lists(j);
}

static int
sources_done(struct job *j)
{
	return j->sources_ended >= j->nsources && !limits_waiting(j);
}

/* A union ends when all its sources have: the end of the last source
 * closes the job only when no batches(...) list is still to come. */
void
job_source_ended(struct job *j, struct source *s)
{
	(void)s;
	j->sources_ended++;
	if (!j->starting && sources_done(j) && lists_done(j))
		close_batch(j, 1);
}

/* Hand every source's complete lines to the batch being filled. */
static void
sources_cut(struct job *j)
{
	for (int i = 0; i < j->nsources; i++)
		if (!j->sources[i]->ended)
			j->sources[i]->desc->cut(j->sources[i]);
}

static void
sources_pause(struct job *j)
{
	atomic_store(&j->paused, 1);
	for (int i = 0; i < j->nsources; i++) {
		struct source *s = j->sources[i];
		if (!s->ended && !s->paused) {
			s->paused = 1;
			s->desc->pause(s);
		}
	}
	/* The workers may have caught up before they could see the pause. */
	if (drained(j) &&
	    atomic_exchange(&j->want_resume, 1) == 0 && j->wake_ev != NULL)
		event_active(j->wake_ev, EV_READ, 0);
}

static void
sources_resume(struct job *j)
{
	if (!atomic_load(&j->paused) || j->stopping)
		return;
	atomic_store(&j->paused, 0);
	for (int i = 0; i < j->nsources; i++) {
		struct source *s = j->sources[i];
		/* One held back by its rate waits for its timer. */
		if (!s->ended && s->paused && (s->limit == NULL || !s->limit->held)) {
			s->paused = 0;
			s->desc->resume(s);
		}
	}
}

static void
sources_stop(struct job *j)
{
	for (int i = 0; i < j->nsources; i++)
		if (!j->sources[i]->ended)
			j->sources[i]->desc->stop(j->sources[i]);
}

void
job_block_done(struct job *j, size_t bytes)
{
	long long left = atomic_fetch_sub(&j->inflight, (long long)bytes) - (long long)bytes;

	/* The loop is woken once per pause: want_resume says it has been. */
	if (left < j->read_ahead / 2 && drained(j) && atomic_load(&j->paused) &&
	    atomic_exchange(&j->want_resume, 1) == 0 && j->wake_ev != NULL)
		event_active(j->wake_ev, EV_READ, 0);
}

/* ---- the clock ---- */

static void
submit_lists(struct job *j, struct batch *b, uint64_t k, int all)
{
	for (int s = 0; s < j->nlist_sources; s++) {
		for (int i = 0; i < j->nlists[s]; i++) {
			if (!all && (uint64_t)i != k)
				continue;
			struct block *blk = xcalloc(1, sizeof *blk);
			blk->batch = b;
			blk->source = j->lists_nodes[s];
			blk->values = j->lists[s] + 0;
			blk->values = j->lists[s] == NULL ? NULL : j->lists[s];
			/* list i: the values from its offset */
			size_t off = 0;
			for (int q = 0; q < i; q++)
				off += j->list_lens[s][q];
			blk->values = j->lists[s] + off;
			blk->nvalues = j->list_lens[s][i];
			b->records += (int64_t)blk->nvalues;
			exec_submit_block(j->exec, blk);
		}
	}
}

static int64_t
next_boundary(int64_t t, int64_t interval)
{
	return (t / interval + 1) * interval;
}

/* Close the batch being filled; open the next unless this is the last. */
static void
close_batch(struct job *j, int last)
{
	struct batch *b = j->current;
	int64_t next_time;

	if (b == NULL)
		return;
	/* --batches N: the Nth batch is the last, as a graceful stop makes
	 * it -- so `state ... emit final` emits with it. */
	if (j->ropt->max_batches > 0 && (int64_t)b->seq + 1 >= j->ropt->max_batches)
		last = 1;
	sources_cut(j);
	b->last = last;
	next_time = b->time + j->interval;
	j->current = NULL;
	atomic_fetch_add(&j->waiting, b->bytes);
	driver_enqueue(j, b);	/* b belongs to the driver from here on */
	if (last) {
		j->stopping = 1;
		if (j->batch_ev != NULL)
			event_del(j->batch_ev);
		if (j->block_ev != NULL)
			event_del(j->block_ev);
		sources_stop(j);
		return;
	}
	j->current = batch_new(j->exec, j->next_seq++, next_time);
	submit_lists(j, j->current, j->current->seq, 0);
}

static void
arm_batch_timer(struct job *j)
{
	int64_t wait = j->current->time - now_ms();
	struct timeval tv;

	if (wait < 0)
		wait = 0;
	tv.tv_sec = wait / 1000;
	tv.tv_usec = (wait % 1000) * 1000;
	evtimer_add(j->batch_ev, &tv);
}

static void
on_batch_timer(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;

	(void)fd;
	(void)what;
	if (j->current == NULL)
		return;
	close_batch(j, sources_done(j) && lists_done(j));
	if (j->current != NULL)
		arm_batch_timer(j);
}

static void
on_block_timer(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;

	(void)fd;
	(void)what;
	sources_cut(j);
	/* A wake-up that raced with a pause is caught here at the latest. */
	if (atomic_load(&j->paused) && drained(j))
		sources_resume(j);
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	int done;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&j->lock);
	done = j->driver_done;
	pthread_mutex_unlock(&j->lock);
	if (done) {
		event_base_loopbreak(j->base);
		return;
	}
	if (job_failed(j) || atomic_load(&j->epipe)) {
		if (j->current != NULL)
			close_batch(j, 1);
		return;
	}
	atomic_store(&j->want_resume, 0);
	if (drained(j))
		sources_resume(j);
}

/* Stop gracefully: no more input; the batches received are finished. */
static void
job_stop(struct job *j)
{
	if (j->current != NULL)
		close_batch(j, 1);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct job *j = arg;

	(void)what;
	if (++j->signals > 1) {
		/* A second signal: at once. */
		_exit(128 + (int)sig);
	}
	job_stop(j);
}

static void
on_duration(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	job_stop(arg);
}

/* File tables: a new version goes to the batches opened after it. */
static void
on_table_timer(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;

	(void)fd;
	(void)what;
	if (j->stopping)
		return;		/* no batch will open again */
	for (int i = 0; i < j->exec->ntables; i++) {
		char *msg;
		if (table_slot_poll(j->exec->tables[i], &msg) != TABLE_SAME && !j->ropt->quiet) {
			status_hide(STDERR_FILENO);
			fprintf(stderr, "streamjob: %s\n", msg);
			status_show(STDERR_FILENO);
		}
		free(msg);
	}
}

static void
watch_tables(struct job *j)
{
	struct timeval tv = { TABLE_POLL_MS / 1000, (TABLE_POLL_MS % 1000) * 1000 };
	int any = 0;

	for (int i = 0; i < j->exec->ntables; i++)
		any |= table_slot_watched(j->exec->tables[i]);
	if (!any || j->opt->once)
		return;
	j->table_ev = event_new(j->base, -1, EV_PERSIST, on_table_timer, j);
	event_add(j->table_ev, &tv);
}

/* ---- setup ---- */

static int
setup_lists(struct job *j)
{
	struct eval ev = { 0 };

	j->lists_arena = arena_new(0);
	ev.ctx.arena = j->lists_arena;
	for (int i = 0; i < j->plan->nnodes; i++) {
		struct node *n = j->plan->nodes[i];
		struct argval *a = &n->stage->args[0];
		int s;

		if (n->op != OP_BATCHES)
			continue;
		s = j->nlist_sources++;
		j->lists_nodes = xreallocarray(j->lists_nodes, (size_t)s + 1, sizeof *j->lists_nodes);
		j->lists = xreallocarray(j->lists, (size_t)s + 1, sizeof *j->lists);
		j->list_lens = xreallocarray(j->list_lens, (size_t)s + 1, sizeof *j->list_lens);
		j->nlists = xreallocarray(j->nlists, (size_t)s + 1, sizeof *j->nlists);
		j->lists_nodes[s] = n;
		j->nlists[s] = a->nitems;
		j->list_lens[s] = xcalloc((size_t)a->nitems + 1, sizeof **j->list_lens);
		size_t total = 0;
		for (int k = 0; k < a->nitems; k++)
			total += (size_t)a->items[k]->nitems;
		j->lists[s] = arena_alloc(j->lists_arena, (total + 1) * sizeof **j->lists);
		size_t at = 0;
		for (int k = 0; k < a->nitems; k++) {
			j->list_lens[s][k] = (size_t)a->items[k]->nitems;
			for (int m = 0; m < a->items[k]->nitems; m++) {
				if (eval_expr(&ev, a->items[k]->items[m], &j->lists[s][at]) != 0) {
					fprintf(stderr, "streamjob: batches: %s\n", ev.ctx.err);
					return -1;
				}
				at++;
			}
		}
	}
	return 0;
}

static int
max_lists(struct job *j)
{
	int m = 0;

	for (int s = 0; s < j->nlist_sources; s++)
		if (j->nlists[s] > m)
			m = j->nlists[s];
	return m;
}

/* All sources are lists: run them back to back on the virtual clock. */
static void
run_virtual(struct job *j)
{
	int n = j->opt->once ? 1 : max_lists(j);

	if (n < 1)
		n = 1;		/* batches() with no list: one empty batch */
	if (j->ropt->max_batches > 0 && n > j->ropt->max_batches)
		n = (int)j->ropt->max_batches;
	for (int k = 0; k < n; k++) {
		struct batch *b = batch_new(j->exec, (uint64_t)k, (int64_t)(k + 1) * j->interval);
		submit_lists(j, b, (uint64_t)k, j->opt->once);
		b->last = k == n - 1;	/* set before the driver owns b */
		driver_enqueue(j, b);
	}
	pthread_join(j->driver, NULL);
}

/* libevent's own messages: a failed epoll add for a file we then read
 * another way is expected, not worth a word on stderr. */
static void
libevent_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_ERR)
		fprintf(stderr, "streamjob: event loop: %s\n", msg);
}

static int
setup_sources(struct job *j)
{
	for (int i = 0; i < j->plan->nnodes; i++) {
		struct node *n = j->plan->nodes[i];
		const struct source_desc *d = source_kind(n->stage->desc);
		struct source *s;

		if (d == NULL || d->init == NULL)
			continue;	/* no source, or one the job feeds (batches) */
		s = source_new(d, j, j->base, n, j->opt->once, j->ropt->quiet);
		j->sources = xreallocarray(j->sources, (size_t)j->nsources + 1, sizeof *j->sources);
		j->sources[j->nsources++] = s;
	}
	limits_setup(j);
	for (int i = 0; i < j->nsources; i++) {
		if (j->sources[i]->desc->start(j->sources[i]) != 0) {
			j->sources[i]->ended = 1;
			return -1;
		}
	}
	return 0;
}

static void
run_real(struct job *j)
{
	struct timeval block_tv;
	int64_t now = now_ms();

	j->current = batch_new(j->exec, j->next_seq++, next_boundary(now, j->interval));
	submit_lists(j, j->current, 0, j->opt->once);
	j->starting = 1;
	if (setup_sources(j) != 0) {
		/* A job that could not start writes nothing: its one batch
		 * runs only so that everything ends the usual way. */
		atomic_store(&j->fail_seq, j->current->seq);
		j->starting = 0;
		j->bad_input = 1;
		close_batch(j, 1);
	} else if ((j->starting = 0, sources_done(j) && lists_done(j))) {
		close_batch(j, 1);
	} else if (!j->opt->once) {
		j->batch_ev = evtimer_new(j->base, on_batch_timer, j);
		arm_batch_timer(j);
	}
	j->block_ev = event_new(j->base, -1, EV_PERSIST, on_block_timer, j);
	block_tv.tv_sec = j->plan->settings.block_ms / 1000;
	block_tv.tv_usec = (j->plan->settings.block_ms % 1000) * 1000;
	event_add(j->block_ev, &block_tv);
	watch_tables(j);
	if (j->ropt->duration_ms > 0) {
		struct timeval tv = { j->ropt->duration_ms / 1000, (j->ropt->duration_ms % 1000) * 1000 };
		j->duration_ev = evtimer_new(j->base, on_duration, j);
		evtimer_add(j->duration_ev, &tv);
	}
	event_base_dispatch(j->base);
	pthread_join(j->driver, NULL);
}

int
job_run(struct plan *plan, const struct job_options *opt, const struct run_options *ropt)
{
	struct job *j = xcalloc(1, sizeof *j);
	const char *err = NULL;
	int status = EXIT_OK;
	int virtual_clock = 1;

	j->plan = plan;
	j->opt = opt;
	j->ropt = ropt;
	j->interval = plan->settings.batch_ms;
	j->started_ms = now_ms();
	j->status_line = !ropt->quiet && isatty(STDERR_FILENO);
	status_start(j->status_line);
	atomic_store(&j->fail_seq, UINT64_MAX);
	j->hold = plan->settings.on_error == ON_ERROR_FAIL;
	/* Blocks come and go by the hundred: keep them on the heap, where
	 * freed memory is reused, rather than in mappings that fault in anew. */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->ready, NULL);
	pthread_mutex_init(&j->out_lock, NULL);
	pthread_mutex_init(&j->err_lock, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (int i = 0; i < plan->nnodes; i++) {
		const struct source_desc *d = source_kind(plan->nodes[i]->stage->desc);

		/* The virtual clock only when every source runs on it. */
		if (d != NULL && !(d->caps & SOURCE_VIRTUAL_CLOCK))
			virtual_clock = 0;
		if (plan->nodes[i]->op == OP_STATE)	/* what exec_state_keys counts */
			j->has_state = 1;
	}
	j->workers = workers_new((int)plan->settings.parallelism);
	/* Input waiting for the workers is bounded by the buffer setting, and
	 * by a few blocks per worker: more would only cool the caches. */
	j->read_ahead = (long long)plan->settings.buffer_bytes;
	j->waiting_max = (long long)plan->settings.buffer_bytes;
	if (j->read_ahead > 4LL * SOURCE_BLOCK_BYTES * plan->settings.parallelism)
		j->read_ahead = 4LL * SOURCE_BLOCK_BYTES * plan->settings.parallelism;
	j->exec = exec_new(plan, opt, j->workers, j, &err);
	if (j->exec == NULL) {
		fprintf(stderr, "streamjob: %s\n", err);
		/* A part not built yet is a usage error; a table file that
		 * cannot be read is a failure at run time. */
		status = strstr(err, "not available") != NULL ? EXIT_USAGE : EXIT_RUNTIME;
		goto done;
	}
	if (plan->settings.on_error == ON_ERROR_WRITE) {
		j->dead_letters = fopen(plan->settings.error_path, "a");
		if (j->dead_letters == NULL) {
			fprintf(stderr, "streamjob: cannot open %s: %s\n", plan->settings.error_path,
			    strerror(errno));
			status = EXIT_RUNTIME;
			goto done;
		}
	}
	if (setup_lists(j) != 0) {
		status = EXIT_RUNTIME;
		goto done;
	}
	if (pthread_create(&j->driver, NULL, driver_main, j) != 0)
		abort();
	if (virtual_clock) {
		run_virtual(j);
	} else {
		evthread_use_pthreads();
		event_set_log_callback(libevent_log);
		j->base = event_base_new();
		j->wake_ev = event_new(j->base, -1, EV_PERSIST, on_wake, j);
		event_add(j->wake_ev, NULL);
		j->signal_int = evsignal_new(j->base, SIGINT, on_signal, j);
		j->signal_term = evsignal_new(j->base, SIGTERM, on_signal, j);
		event_add(j->signal_int, NULL);
		event_add(j->signal_term, NULL);
		run_real(j);
	}
	status_end();
	if (j->bad_input)
		status = EXIT_RUNTIME;
	if (j->failed) {
		if (strncmp(j->fail_msg, "writing", 7) == 0 || j->fail_is_sink)
			fprintf(stderr, "streamjob: %s\n", j->fail_msg);
		else
			fprintf(stderr, "streamjob: record error in %s\n", j->fail_msg);
		status = EXIT_RUNTIME;
	} else if (j->errors > 0 && !ropt->quiet && plan->settings.on_error == ON_ERROR_SKIP) {
		fprintf(stderr, "streamjob: %lld record%s skipped because of errors\n",
		    (long long)j->errors, j->errors == 1 ? "" : "s");
	}
done:
	/* Batches queued behind a failure were never finished. */
	while (j->queue_head != NULL) {
		struct batch *b = j->queue_head;
		j->queue_head = b->next;
		task_group_wait(b->tasks);
		batch_free(j->exec, b);
	}
	/* Blocks of a batch that never closed may still be on the workers:
	 * they finish before anything they use goes away. */
	if (j->current != NULL)
		task_group_wait(j->current->tasks);
	workers_free(j->workers);
	if (j->current != NULL)
		batch_free(j->exec, j->current);
	j->current = NULL;
	exec_free(j->exec);
	if (j->base != NULL) {
		limits_free(j);
		for (int i = 0; i < j->nsources; i++)
			source_free(j->sources[i]);
		free(j->sources);
		struct event *evs[] = { j->batch_ev, j->block_ev,
		    j->duration_ev, j->signal_int, j->signal_term, j->wake_ev,
		    j->table_ev };
		for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
			if (evs[i] != NULL)
				event_free(evs[i]);
		event_base_free(j->base);
	}
	hold_free_all(j);
	while (j->pending_head != NULL) {
		struct pending_out *p = j->pending_head;
		j->pending_head = p->next;
		free(p->data);
		free(p);
	}
	for (int s = 0; s < j->nlist_sources; s++)
		free(j->list_lens[s]);
	free(j->lists_nodes);
	free(j->lists);
	free(j->list_lens);
	free(j->nlists);
	arena_free(j->lists_arena);
	if (j->dead_letters != NULL)
		fclose(j->dead_letters);
	free(j->fail_msg);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->ready);
	pthread_mutex_destroy(&j->out_lock);
	pthread_mutex_destroy(&j->err_lock);
	free(j);
	return status;
}
