/*
 * job.c: the life of a job -- setup, the loop, stopping, teardown.
 *
 * One thread runs the event loop (clock.h): the sources (srcset.h) read
 * on it and hand their complete lines over in blocks, which go to the
 * workers as tasks of the batch being filled; it keeps the batch clock
 * (batch times are the ends of intervals aligned to multiples of the
 * interval since the epoch) and handles signals.  When an interval ends,
 * its batch is closed and queued for the driver (driver.h), which
 * finishes batches in order on a thread of its own, so reading goes on
 * meanwhile.  When every source has ended, or the job is asked to stop,
 * the batch being filled is closed as the last one.
 *
 * When all sources are batches(...) lists (lists.h), the clock is
 * virtual: the lists run one batch after another at full speed, the first
 * batch time one interval after the epoch, so the output is the same on
 * every run.
 *
 * The job is the host of the executor and of the sources: their
 * callbacks here pass on to backpressure (flow.h), standard output
 * (output.h) and errors (errors.h).
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "checkpoint.h"
#include "clock.h"
#include "driver.h"
#include "errors.h"
#include "exec.h"
#include "flow.h"
#include "job.h"
#include "lists.h"
#include "output.h"
#include "report.h"
#include "srcset.h"
#include "io/source.h"
#include "table.h"
#include "workers.h"
#include "stdlib/xmalloc.h"

/* How often table files are looked at (table_slot_poll). */
#define TABLE_POLL_MS 500

struct job {
	struct plan *plan;
	const struct job_options *opt;
	const struct run_options *ropt;
	const struct reporter *rep;
	int64_t interval;

	struct clock *clock;
	struct workers *workers;
	struct exec *exec;
	struct exec_host exec_host;
	struct srcset *sources;
	struct source_host source_host;
	struct lists *lists;
	struct flow *flow;
	struct output *output;
	struct errors *errors;
	struct driver *driver;
	struct checkpoint *ckpt;	/* NULL: the job keeps none */

	int starting;			/* sources are being started */
	int bad_input;			/* a source could not start */
	int stopping;			/* the last batch is closed: read no more */
	int signals;

	struct event *batch_ev;
	struct event *block_ev;
	struct event *duration_ev;
	struct event *signal_int, *signal_term;
	struct event *wake_ev;		/* from other threads: resume, exit */
	struct event *table_ev;		/* looks at table files for changes */
	char **table_news;		/* what tables said since the last batch opened */
	size_t ntable_news;
	struct batch *current;		/* the batch being filled */
	uint64_t next_seq;
	uint64_t first_seq;		/* the first batch this run reads (--batches) */
};

static void close_batch(struct job *, int last);
static void tell_table_news(struct job *);

/* A SIGINT or SIGTERM that comes while the job sets up (reading its
 * checkpoint, say), before the loop handles signals: it stops the job as
 * soon as it runs, gracefully, instead of killing the process. */
static volatile sig_atomic_t early_signal;

static void
on_early_signal(int sig)
{
	early_signal = sig;
}

/* Any thread: the loop looks at the job again (on_wake). */
static void
job_wake(void *arg)
{
	struct job *j = arg;

	event_active(j->wake_ev, EV_READ, 0);
}

static int64_t
next_boundary(int64_t t, int64_t interval)
{
	return (t / interval + 1) * interval;
}

/* ---- the executor's host ---- */

static void
host_record_error(void *arg, uint64_t seq, const struct node *stage, const char *reason,
    struct value record)
{
	errors_record(((struct job *)arg)->errors, seq, stage, reason, record);
}

static int
host_write(void *arg, uint64_t seq, const char *data, size_t len)
{
	return output_write(((struct job *)arg)->output, seq, data, len);
}

static void
host_output(void *arg, uint64_t seq, char *data, size_t len)
{
	output_batch(((struct job *)arg)->output, seq, data, len);
}

static void
host_fail(void *arg, const char *msg)
{
	errors_fail(((struct job *)arg)->errors, msg);
}

static uint64_t
host_fail_seq(void *arg)
{
	return errors_fail_seq(((struct job *)arg)->errors);
}

static void
host_block_done(void *arg, size_t bytes)
{
	flow_block_done(((struct job *)arg)->flow, bytes);
}

static void
host_block_kept(void *arg, size_t bytes)
{
	flow_block_kept(((struct job *)arg)->flow, bytes);
}

static void
host_block_released(void *arg, size_t bytes)
{
	flow_block_released(((struct job *)arg)->flow, bytes);
}

/* ---- the sources' host ---- */

static void
sources_pause(struct job *j)
{
	srcset_pause(j->sources);
	flow_set_paused(j->flow, 1);
}

static void
sources_resume(struct job *j)
{
	if (!flow_paused(j->flow) || j->stopping)
		return;
	flow_set_paused(j->flow, 0);
	srcset_resume(j->sources);
}

static int
on_backlogged(void *arg)
{
	return flow_backlogged(((struct job *)arg)->flow);
}

/* A block of source s's input goes to batch b. */
static void
submit_to(struct job *j, struct batch *b, struct source *s, char *data, size_t len, int framed)
{
	struct block *blk = xcalloc(1, sizeof *blk);

	blk->batch = b;
	b->bytes += (int64_t)len;
	blk->source = s->node;
	blk->data = data;
	blk->len = len;
	blk->framed = framed;
	/* Counted here, not when read: dropped long lines never count. */
	flow_block_in(j->flow, len);
	exec_submit_block(j->exec, blk);
}

/* A block of source s's input, lines or framed records, goes to the batch
 * being filled -- journaled first when the job keeps a checkpoint. */
static void
submit(struct job *j, struct source *s, char *data, size_t len, int framed)
{
	if (j->current == NULL || j->stopping) {
		free(data);
		return;
	}
	if (j->ckpt != NULL && checkpoint_block(j->ckpt, s, framed, data, len) != 0) {
		free(data);
		return;		/* the job fails: errors_fail woke the loop */
	}
	submit_to(j, j->current, s, data, len, framed);
	if (flow_backlogged(j->flow))
		sources_pause(j);
}

static void
on_lines(void *arg, struct source *s, char *data, size_t len)
{
	submit(arg, s, data, len, 0);
}

static void
on_frames(void *arg, struct source *s, char *data, size_t len)
{
	submit(arg, s, data, len, 1);
}

static void
on_line_dropped(void *arg, struct source *s, size_t bytes)
{
	struct job *j = arg;
	char reason[96];

	snprintf(reason, sizeof reason, "a line of %zu bytes is longer than 1 MiB; dropped",
	    bytes);
	errors_record(j->errors, j->current != NULL ? j->current->seq : 0,
	    (s->desc->caps & SOURCE_READS_STDIN) ? NULL : s->node, reason, value_str("", 0));
}

/* Have the batches(...) lists all been handed out, as of the open batch? */
static int
lists_done(struct job *j)
{
	return j->opt->once || j->current == NULL ||
	    (int64_t)j->current->seq + 1 >= lists_max(j->lists);
}

/* A union ends when all its sources have: the end of the last source
 * (after what its rate held back) closes the job only when no
 * batches(...) list is still to come. */
static void
on_source_ended(void *arg, struct source *s)
{
	struct job *j = arg;

	(void)s;
	if (!j->starting && srcset_done(j->sources) && lists_done(j))
		close_batch(j, 1);
}

static void
on_source_fail(void *arg, const char *msg)
{
	errors_fail(((struct job *)arg)->errors, msg);
}

/* ---- the clock ---- */

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
	if (j->ropt->max_batches > 0 && (int64_t)(b->seq - j->first_seq) + 1 >= j->ropt->max_batches)
		last = 1;
	srcset_cut(j->sources);
	/* A batch runs only once it can be recomputed: its end is durable. */
	if (j->ckpt != NULL && checkpoint_cut(j->ckpt, b->seq, b->time, last) != 0)
		last = 1;
	b->last = last;
	next_time = b->time + j->interval;
	j->current = NULL;
	driver_enqueue(j->driver, b);	/* b belongs to the driver from here on */
	if (last) {
		j->stopping = 1;
		if (j->batch_ev != NULL)
			event_del(j->batch_ev);
		if (j->block_ev != NULL)
			event_del(j->block_ev);
		srcset_stop(j->sources);
		return;
	}
	j->current = batch_new(j->exec, j->next_seq++, next_time);
	tell_table_news(j);
	lists_submit(j->lists, j->exec, j->current, j->current->seq, 0);
	if (j->ckpt != NULL)
		checkpoint_begin(j->ckpt, j->current->seq);
}

static void
arm_batch_timer(struct job *j)
{
	int64_t wait = j->current->time - clock_now(j->clock);
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
	close_batch(j, srcset_done(j->sources) && lists_done(j));
	if (j->current != NULL)
		arm_batch_timer(j);
}

static void
on_block_timer(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;

	(void)fd;
	(void)what;
	srcset_cut(j->sources);
	/* What was read in this block interval is durable from here on. */
	if (j->ckpt != NULL)
		checkpoint_sync(j->ckpt);
	/* A wake-up that raced with a pause is caught here at the latest. */
	if (flow_paused(j->flow) && flow_drained(j->flow))
		sources_resume(j);
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;

	(void)fd;
	(void)what;
	if (driver_done(j->driver)) {
		clock_stop(j->clock);
		return;
	}
	if (errors_failed(j->errors) || output_closed(j->output)) {
		if (j->current != NULL)
			close_batch(j, 1);
		return;
	}
	flow_woken(j->flow);
	if (flow_drained(j->flow))
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

/* Tables: a new version goes to the batches opened after it.  What the
 * tables said is told when the next batch opens, so that a line read
 * after a reload was said meets the new version. */
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
		if (table_slot_poll(j->exec->tables[i], &msg) == TABLE_SAME) {
			free(msg);
			continue;
		}
		j->table_news = xreallocarray(j->table_news, j->ntable_news + 1,
		    sizeof *j->table_news);
		j->table_news[j->ntable_news++] = msg;
	}
}

/* A batch opened: say what the tables said before it. */
static void
tell_table_news(struct job *j)
{
	for (size_t i = 0; i < j->ntable_news; i++) {
		report_text(j->rep, REPORT_RELOAD, "%s", j->table_news[i]);
		free(j->table_news[i]);
	}
	free(j->table_news);
	j->table_news = NULL;
	j->ntable_news = 0;
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
	j->table_ev = event_new(clock_base(j->clock), -1, EV_PERSIST, on_table_timer, j);
	event_add(j->table_ev, &tv);
}

/* ---- running ---- */

/* All sources are lists: run them back to back on the virtual clock.  The
 * loop runs until the driver is done, for whatever else is on it. */
static void
run_virtual(struct job *j)
{
	int n = j->opt->once ? 1 : lists_max(j->lists);
	/* After a checkpoint: the lists after the last batch it completed. */
	int k0 = j->ckpt != NULL ? (int)(checkpoint_last_seq(j->ckpt) + 1) : 0;

	/* The lists run at full speed, with no loop to stop them: a signal
	 * does what it does by default, as it would have while setting up. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (early_signal != 0)
		raise(early_signal);

	if (n < 1)
		n = 1;		/* batches() with no list: one empty batch */
	if (k0 >= n) {
		/* Every list was done before: nothing more to run. */
		driver_end(j->driver);
		clock_run(j->clock);
		driver_join(j->driver);
		return;
	}
	if (j->ropt->max_batches > 0 && n - k0 > j->ropt->max_batches)
		n = k0 + (int)j->ropt->max_batches;
	for (int k = k0; k < n; k++) {
		int64_t time = (int64_t)(k + 1) * j->interval;
		struct batch *b = batch_new(j->exec, (uint64_t)k, time);
		clock_set(j->clock, time);
		lists_submit(j->lists, j->exec, b, (uint64_t)k, j->opt->once);
		b->last = k == n - 1;	/* set before the driver owns b */
		driver_enqueue(j->driver, b);
	}
	clock_run(j->clock);
	driver_join(j->driver);
}

/* The batches cut before a crash and not checkpointed: run again with
 * their times and input, before anything new is read.  0, or -1 when one
 * cannot be (reported). */
static int
recompute(struct job *j)
{
	struct checkpoint_block *bl;
	uint64_t seq;
	int64_t time;
	size_t nb;
	int r;

	while ((r = checkpoint_next_redo(j->ckpt, &seq, &time, &bl, &nb)) > 0) {
		struct batch *b = batch_new(j->exec, seq, time);
		lists_submit(j->lists, j->exec, b, seq, 0);
		for (size_t i = 0; i < nb; i++)
			submit_to(j, b, srcset_source(j->sources, bl[i].source), bl[i].data,
			    bl[i].len, bl[i].framed);
		free(bl);
		driver_enqueue(j->driver, b);
	}
	return r;
}

static void
run_real(struct job *j)
{
	struct event_base *base = clock_base(j->clock);
	struct timeval block_tv;
	int64_t first = next_boundary(clock_now(j->clock), j->interval);
	int redo = 0;

	j->signal_int = evsignal_new(base, SIGINT, on_signal, j);
	j->signal_term = evsignal_new(base, SIGTERM, on_signal, j);
	event_add(j->signal_int, NULL);
	event_add(j->signal_term, NULL);
	if (early_signal != 0)
		j->signals = 1;		/* a second one is at once */

	if (j->ckpt != NULL) {
		redo = recompute(j);
		/* The batches go on after the last one cut; the time while the
		 * job was down makes none. */
		j->next_seq = (uint64_t)(checkpoint_cut_seq(j->ckpt) + 1);
		if (first <= checkpoint_cut_time(j->ckpt))
			first = checkpoint_cut_time(j->ckpt) + j->interval;
	}
	j->first_seq = j->next_seq;
	j->current = batch_new(j->exec, j->next_seq++, first);
	lists_submit(j->lists, j->exec, j->current, j->current->seq, j->opt->once);
	if (j->ckpt != NULL && redo == 0 && checkpoint_begin(j->ckpt, j->current->seq) != 0)
		redo = -1;
	j->starting = 1;
	if (redo < 0) {
		/* The checkpoint cannot go on (it said why): as a source that
		 * could not start. */
		errors_stop_at(j->errors, j->current->seq);
		j->starting = 0;
		j->bad_input = 1;
		close_batch(j, 1);
	} else if (srcset_start(j->sources, base) != 0) {
		/* A job that could not start writes nothing: its one batch
		 * runs only so that everything ends the usual way. */
		errors_stop_at(j->errors, j->current->seq);
		j->starting = 0;
		j->bad_input = 1;
		close_batch(j, 1);
	} else if ((j->starting = 0, srcset_done(j->sources) && lists_done(j))) {
		close_batch(j, 1);
	} else if (!j->opt->once) {
		j->batch_ev = evtimer_new(base, on_batch_timer, j);
		arm_batch_timer(j);
	}
	if (early_signal != 0)
		job_stop(j);
	j->block_ev = event_new(base, -1, EV_PERSIST, on_block_timer, j);
	block_tv.tv_sec = j->plan->settings.block_ms / 1000;
	block_tv.tv_usec = (j->plan->settings.block_ms % 1000) * 1000;
	event_add(j->block_ev, &block_tv);
	watch_tables(j);
	if (j->ropt->duration_ms > 0) {
		struct timeval tv = { j->ropt->duration_ms / 1000, (j->ropt->duration_ms % 1000) * 1000 };
		j->duration_ev = evtimer_new(base, on_duration, j);
		evtimer_add(j->duration_ev, &tv);
	}
	clock_run(j->clock);
	driver_join(j->driver);
}

/* Set the parts up; JOB_OK, or why the job cannot run (reported). */
static enum job_result
setup(struct job *j)
{
	struct plan *plan = j->plan;
	const struct exec_host eh = {
		.arg = j, .record_error = host_record_error, .write = host_write,
		.output = host_output, .fail = host_fail, .fail_seq = host_fail_seq,
		.block_done = host_block_done, .block_kept = host_block_kept,
		.block_released = host_block_released, .reporter = j->rep,
	};
	const struct source_host sh = {
		.arg = j, .lines = on_lines, .frames = on_frames, .line_dropped = on_line_dropped,
		.ended = on_source_ended, .backlogged = on_backlogged, .fail = on_source_fail,
		.reporter = j->rep,
	};
	struct driver_config dc = { 0 };
	long long read_ahead;
	enum exec_fail why = EXEC_FAILED;
	const char *err = NULL;
	int has_state = 0;

	j->exec_host = eh;
	j->source_host = sh;
	j->sources = srcset_new(plan, &j->source_host, j->opt->once);
	/* Every source runs on the virtual clock: nothing to wait for. */
	j->clock = clock_new(srcset_virtual_clock(j->sources), j->rep);
	j->wake_ev = event_new(clock_base(j->clock), -1, EV_PERSIST, on_wake, j);
	event_add(j->wake_ev, NULL);
	j->errors = errors_new(plan->settings.on_error, j->rep, job_wake, j);
	j->output = output_new(plan->settings.on_error == ON_ERROR_FAIL,
	    (size_t)plan->settings.buffer_bytes, j->errors, j->rep, job_wake, j);
	/* Input waiting for the workers is bounded by the buffer setting, and
	 * by a few blocks per worker: more would only cool the caches. */
	read_ahead = (long long)plan->settings.buffer_bytes;
	if (read_ahead > 4LL * SOURCE_BLOCK_BYTES * plan->settings.parallelism)
		read_ahead = 4LL * SOURCE_BLOCK_BYTES * plan->settings.parallelism;
	j->flow = flow_new(read_ahead, (long long)plan->settings.buffer_bytes, j->opt->once,
	    job_wake, j);
	j->workers = workers_new((int)plan->settings.parallelism);
	j->exec = exec_new(plan, j->opt, j->workers, &j->exec_host, &err, &why);
	if (j->exec == NULL) {
		report_text(j->rep, REPORT_ERROR, "%s", err);
		/* A part not built yet is a usage error; a table file that
		 * cannot be read is a failure at run time. */
		return why == EXEC_UNSUPPORTED ? JOB_UNSUPPORTED : JOB_FAILED;
	}
	if (plan->settings.on_error == ON_ERROR_WRITE &&
	    errors_open_dead_letters(j->errors, plan->settings.error_path) != 0) {
		report_text(j->rep, REPORT_ERROR, "cannot open %s: %s", plan->settings.error_path,
		    strerror(errno));
		return JOB_FAILED;
	}
	j->lists = lists_new(plan, &err);
	if (j->lists == NULL) {
		report_text(j->rep, REPORT_ERROR, "%s", err);
		return JOB_FAILED;
	}
	for (int i = 0; i < plan->nnodes; i++)
		if (plan->nodes[i]->op == OP_STATE)	/* what exec_state_keys counts */
			has_state = 1;
	if (plan->settings.checkpoint != NULL) {
		struct checkpoint_config cc = { 0 };
		enum checkpoint_fail cf;
		cc.plan = plan;
		cc.exec = j->exec;
		cc.sources = j->sources;
		cc.dir = plan->settings.checkpoint;
		cc.script = j->ropt->script != NULL ? j->ropt->script : "";
		cc.script_name = j->ropt->script_name != NULL ? j->ropt->script_name : "<eval>";
		cc.fresh = j->ropt->fresh;
		cc.interval = j->interval;
		cc.every_ms = plan->settings.checkpoint_every_ms;
		cc.reporter = j->rep;
		cc.fail = host_fail;
		cc.arg = j;
		j->ckpt = checkpoint_open(&cc, &cf);
		if (j->ckpt == NULL)
			return cf == CHECKPOINT_REFUSED ? JOB_REFUSED : JOB_FAILED;
	}
	dc.exec = j->exec;
	dc.output = j->output;
	dc.flow = j->flow;
	dc.errors = j->errors;
	dc.ckpt = j->ckpt;
	dc.reporter = j->rep;
	dc.status = j->ropt->status;
	dc.has_state = has_state;
	dc.started_ms = clock_wall_ms();
	dc.wake = job_wake;
	dc.arg = j;
	j->driver = driver_start(&dc);
	return JOB_OK;
}

static void
teardown(struct job *j)
{
	struct event *evs[] = { j->batch_ev, j->block_ev, j->duration_ev, j->signal_int,
	    j->signal_term, j->wake_ev, j->table_ev };

	/* Batches queued behind a failure were never finished. */
	driver_free(j->driver);
	/* Blocks of a batch that never closed may still be on the workers:
	 * they finish before anything they use goes away. */
	if (j->current != NULL)
		task_group_wait(j->current->tasks);
	workers_free(j->workers);
	if (j->current != NULL)
		batch_free(j->exec, j->current);
	j->current = NULL;
	checkpoint_free(j->ckpt);
	exec_free(j->exec);
	srcset_free(j->sources);
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	clock_free(j->clock);
	output_free(j->output);
	lists_free(j->lists);
	flow_free(j->flow);
	errors_free(j->errors);
	tell_table_news(j);	/* said, though no batch will see it */
	free(j);
}

enum job_result
job_run(struct plan *plan, const struct job_options *opt, const struct run_options *ropt,
    const struct reporter *rep)
{
	struct job *j = xcalloc(1, sizeof *j);
	enum job_result result;

	j->plan = plan;
	j->opt = opt;
	j->ropt = ropt;
	j->rep = rep;
	j->interval = plan->settings.batch_ms;
	/* Blocks come and go by the hundred: keep them on the heap, where
	 * freed memory is reused, rather than in mappings that fault in anew. */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
	signal(SIGPIPE, SIG_IGN);
	/* A file over the size limit (ulimit -f) is a write that fails, said
	 * with the file's name -- a checkpoint or a sink that cannot write
	 * fails the job with the reason -- not a process killed. */
	signal(SIGXFSZ, SIG_IGN);
	early_signal = 0;
	signal(SIGINT, on_early_signal);
	signal(SIGTERM, on_early_signal);

	result = setup(j);
	if (result == JOB_OK) {
		if (clock_is_virtual(j->clock))
			run_virtual(j);
		else
			run_real(j);
		report(rep, &(struct report){ .kind = REPORT_END });
		if (j->bad_input)
			result = JOB_FAILED;
		if (errors_finish(j->errors))
			result = JOB_FAILED;
	}
	teardown(j);
	return result;
}
