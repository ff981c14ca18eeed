/*
 * exec.h: running the operator DAG over one batch.
 *
 * A batch is worked on in two phases.  While its interval is open, every
 * block of input (about 256 KiB of complete lines, or one list of a
 * batches source) is a task: a worker pushes its records through the
 * source's chain of element stages and hands the results to the chain's
 * end -- a partial aggregate of the keyed stage that follows (map-side
 * combine, so a block's memory can go at once), the lines of the stdout
 * sink that follows, a sample for print, or a kept vector.  When the
 * interval closes, the driver merges the partial aggregates partition by
 * partition on all workers, runs the rest of the DAG over the results,
 * and writes the sinks.  Each batch has per-worker arenas, freed in one go
 * when the batch is done.
 */
#ifndef EXEC_H
#define EXEC_H

#include <pthread.h>
#include <stdint.h>

#include "lang/plan.h"
#include "stdlib/value.h"

struct arena;
struct evt_closed;
struct evt_tag;
struct evtime;
struct job;
struct keymap;
struct table;
struct tcpsink;
struct table_slot;
struct task_group;
struct workers;

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
	int64_t *counts;		/* [nworkers]: count; print's totals */
	struct vec *samples;		/* print: [nworkers] first elements */
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
	struct job *job;
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

/* How each node takes part in a batch, worked out once per job. */
enum chain_end {
	END_NONE,	/* inside a chain: no output of its own */
	END_COMBINE,	/* feeds the keyed stage after it, per block */
	END_STDOUT,	/* feeds the stdout sink after it */
	END_PRINT,	/* feeds the print sink after it */
	END_KEEP,	/* keeps its output for the stages after it */
	END_EVTIME,	/* offers its output to the event-time window after it */
};

struct exec_node {
	struct node *node;
	struct node **chain;		/* sources: the element stages that follow */
	int nchain;
	enum chain_end end;
	struct node *target;		/* END_COMBINE, END_STDOUT, END_PRINT;
					 * END_EVTIME: the node with the windows */
	struct node *chain_last;	/* the chain's last node (or the source) */
	int in_chain;			/* computed in phase A by a source's chain */
	struct table_slot *table;	/* join, leftJoin, except with a table */
	struct window *win;		/* a windowed reducer, or a plain window */
	struct state *state;		/* a state stage's keys */
	struct filesink *file;		/* the write and append sinks */
	struct tcpsink *tcp;		/* the tcp sink */
	int64_t slide_ms;		/* ... emitted at multiples of this */
	int kv_count;			/* the chain ends in map (_, N) before
					 * reduceByKey sum/count: the word-count path */
	int64_t kv_const;		/* that N */
	int split_count;		/* ... and the chain is just flatMap
					 * split(_, "c") and that map: a fused loop */
	char split_sep;
	int fed;			/* a keyed stage fed in phase A */
	/* Event time: the node that ends an event-time window (the window,
	 * or the reducer after it) keeps its windows and the ones that
	 * closed in this batch; the nodes after it run once per closed
	 * window, in a pass of their own (evt_owner: that node's id). */
	struct evtime *evt;
	struct evt_closed *closed;
	size_t nclosed;
	int evt_owner;
	int evt_fed;			/* its blocks are offered in phase A */
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
	struct job *job;
	/* on error fail: what the write, append and tcp sinks are to store for
	 * the batch being finished, stored once the whole batch is good (the
	 * driver's alone) */
	struct deferred_put *deferred, **deferred_tail;
};

struct exec *exec_new(struct plan *, const struct job_options *, struct workers *,
    struct job *, const char **err);
void exec_free(struct exec *);

struct batch *batch_new(struct exec *, uint64_t seq, int64_t time);
void batch_free(struct exec *, struct batch *);

/* Phase A: run a block's records through its source's chain, on a worker. */
void exec_submit_block(struct exec *, struct block *);
/* Phase B: after the batch's blocks, finish every node and write sinks. */
void exec_finish_batch(struct exec *, struct batch *);

/* Keys held by all state stages, between two exec_finish_batch calls. */
size_t exec_state_keys(const struct exec *);

#endif
