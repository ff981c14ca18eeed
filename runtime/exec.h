/*
 * exec.h: running the operator DAG over one batch.
 *
 * A batch is worked on in two phases.  While its interval is open, every
 * block of input (about 256 KiB of complete lines, or one list of a
 * batches source) is a task: a worker pushes its records through the
 * source's chain of element stages and hands the results to the chain's
 * end -- a partial aggregate of the keyed stage that follows (map-side
 * combine, so a block's memory can go at once), the lines of the stdout
 * sink (SINK_STREAM) that follows, a sample for print (SINK_SAMPLE), or a
 * kept vector.  When the interval closes, the driver merges the partial
 * aggregates partition by
 * partition on all workers, runs the rest of the DAG over the results,
 * and writes the sinks.  Each batch has per-worker arenas, freed in one go
 * when the batch is done.
 */
#ifndef EXEC_H
#define EXEC_H

#include <pthread.h>
#include <stdint.h>

#include "lang/plan.h"
#include "runtime/io/sink.h"
#include "stdlib/value.h"

struct arena;
struct evt_closed;
struct evt_tag;
struct evtime;
struct keymap;
struct reporter;
struct table;
struct table_slot;
struct task_group;
struct workers;

/*
 * What the executor asks of whoever runs it (the job, or a test): where
 * record errors, output and failures go, and how much input memory is
 * still in use (backpressure).  Callbacks run on workers and on the
 * driver, concurrently: each must be thread-safe.  arg is passed to each.
 */
struct exec_host {
	void *arg;
	/* A record of batch seq failed in stage (NULL: a source). */
	void (*record_error)(void *arg, uint64_t seq, const struct node *stage,
	    const char *reason, struct value record);
	/* Write batch seq's output to standard output now (or hold it, under
	 * on error fail); -1 when it cannot be written and the job ends. */
	int (*write)(void *arg, uint64_t seq, const char *data, size_t len);
	/* Output of a batch's stdout sink (data is consumed), written in
	 * batch order. */
	void (*output)(void *arg, uint64_t seq, char *data, size_t len);
	/* The job fails with this message, after the batches before. */
	void (*fail)(void *arg, const char *msg);
	/* The first batch that failed, or UINT64_MAX. */
	uint64_t (*fail_seq)(void *arg);
	/* Bytes of input a block held are no longer waiting. */
	void (*block_done)(void *arg, size_t bytes);
	/* A processed block kept until its batch is done (its values point
	 * into it): its bytes are held, then released. */
	void (*block_kept)(void *arg, size_t bytes);
	void (*block_released)(void *arg, size_t bytes);
	/* Where the sinks' warnings go. */
	const struct reporter *reporter;
};

/* A stretch of one source's input: lines or framed records (bytes), or
 * values. */
struct block {
	struct block *next;
	struct batch *batch;
	struct node *source;
	uint64_t seq;			/* order within the batch */
	uint64_t src_seq;		/* order within its source, across batches */
	char *data;			/* complete lines, each ending in '\n', or
					 * framed records (io/frame.h) */
	size_t len;
	int framed;			/* data is framed records, not lines */
	const struct value *values;	/* a batches() list */
	size_t nvalues;
	int64_t errors;			/* lines over the length cap, dropped */
};

/* Values of one partition of a node's output. */
struct vec {
	struct value *v;
	size_t n, cap;
	uint64_t seq;			/* kept parts stay in block order */
	struct evt_tag *tags;		/* after a timestamp stage: event times */
	int64_t evmax;			/* ... and the largest the part saw */
};

/* What a node holds during a batch. */
struct node_state {
	/* The node's output, when materialized: one vec per partition. */
	struct vec *parts;
	int nparts;
	pthread_mutex_t lock;		/* guards parts while blocks add to them */
	int done;			/* computed for this batch */
	int silent;			/* a window between its slides: no output */
	/* A keyed or whole-batch stage: one partial aggregate per worker. */
	struct keymap *partials;	/* [nworkers] */
	struct strcount *counts_str;	/* [nworkers]: the word-count path's partials */
	struct value *acc;		/* count, reduce: [nworkers] */
	uint64_t *acc_pos;		/* reduce first/last: where acc came from */
	int *acc_set;			/* [nworkers]: acc holds something */
	int64_t *counts;		/* [nworkers]: count; a SINK_SAMPLE sink's totals */
	struct vec *samples;		/* SINK_SAMPLE: [nworkers] first elements */
	/* stdout: formatted output of the batch, by block, in order. */
	struct outchunk *out_head, *out_tail;
};

struct outchunk {
	struct outchunk *next;
	uint64_t seq;
	char *data;
	size_t len;
};

struct batch {
	const struct exec_host *host;
	uint64_t seq;			/* 0, 1, 2, ... */
	int64_t time;			/* batch time: the end of its interval, ms */
	struct arena **arenas;		/* [nworkers] */
	struct node_state *nodes;	/* [plan nnodes], by node id - 1 */
	struct task_group *tasks;	/* the blocks' tasks */
	uint64_t next_block;
	int64_t records_in;
	pthread_mutex_t lock;
	int64_t records;		/* records read, for the status line */
	int64_t bytes;
	int last;			/* the job ends after this batch */
	struct block *kept;		/* blocks whose lines are still referenced */
	struct batch *next;		/* the driver's queue */
	int64_t closed_at;		/* wall clock when the interval closed, ms */
	struct table **tables;		/* [exec ntables]: the table versions this
					 * batch reads, taken when it opened */
};

struct exec_node {
	struct node *node;
	struct table_slot *table;	/* join, leftJoin, except with a table */
	struct window *win;		/* a windowed reducer, or a plain window */
	struct state *state;		/* a state stage's keys */
	struct sink *sink;		/* a sink stage's instance */
	int64_t slide_ms;		/* ... emitted at multiples of this */
	/* Event time: the node that ends an event-time window (the window,
	 * or the reducer after it) keeps its windows and the ones that
	 * closed in this batch; the nodes after it run once per closed
	 * window, in a pass of their own (evt_owner: that node's id). */
	struct evtime *evt;
	struct evt_closed *closed;
	size_t nclosed;
	int evt_owner;
	uint64_t src_blocks;		/* sources: blocks submitted so far */
};

struct exec {
	struct plan *plan;
	const struct job_options *opt;
	struct workers *workers;
	int nworkers;
	struct exec_node *nodes;	/* by node id - 1 */
	struct table_slot **tables;	/* the script's tables, by index */
	int ntables;
	struct exec_host host;
	struct sink_host sink_host;	/* the host, as the sinks see it */
	/* on error fail: what the sinks other than standard output are to
	 * store for the batch being finished, stored once the whole batch is
	 * good (the driver's alone) */
	struct deferred_put *deferred, **deferred_tail;
};

/* Why exec_new failed: a part of the script this version cannot run yet
 * (the script is fine, the program is not there yet), or another reason. */
enum exec_fail { EXEC_UNSUPPORTED = 1, EXEC_FAILED };

/* The executor of a plan, or NULL with *err (static) and *why. */
struct exec *exec_new(struct plan *, const struct job_options *, struct workers *,
    const struct exec_host *, const char **err, enum exec_fail *why);
void exec_free(struct exec *);

struct batch *batch_new(struct exec *, uint64_t seq, int64_t time);
void batch_free(struct exec *, struct batch *);

/* Phase A: run a block's records through its source's chain, on a worker. */
void exec_submit_block(struct exec *, struct block *);
/* Phase B: after the batch's blocks, finish every node and write sinks. */
void exec_finish_batch(struct exec *, struct batch *);
/* After exec_finish_batch and the batch's checkpoint, if any: event-time
 * windows take the next batch's blocks as they come.  Until then those
 * wait, so that the windows hold exactly the batches up to this one. */
void exec_batch_saved(struct exec *, struct batch *);

/* Keys held by all state stages, between two exec_finish_batch calls. */
size_t exec_state_keys(const struct exec *);

/* The stateful stages (stateful.h), in node order, for a checkpoint to
 * walk between two exec_finish_batch calls: *out is malloc'd.  Their
 * order and nodes are lang/plan.h's plan_stateful_nodes, which a
 * checkpoint's stage identities follow: the two must stay in step. */
struct stateful;
size_t exec_stateful(struct exec *, struct stateful **out);

#endif
