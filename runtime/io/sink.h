/*
 * sink.h: what a sink is -- a static descriptor (its name, what it
 * guarantees, its callbacks) and an instance (one sink stage of a job).
 *
 * A descriptor lives in a file of its own under runtime/io/ and is named
 * once in the registry (registry.c); the language's catalog describes its
 * arguments.  The engine (sink.c) drives every sink the same
 * way: for each batch, on the thread that finishes batches, in batch
 * order, it opens a connection when there is none, writes the batch and,
 * for an exactly-once sink, commits it.  A callback answers with one of
 * three results:
 *
 *   SINK_OK     done;
 *   SINK_RETRY  a transient failure (a refused or dropped connection, a
 *               command that failed): the engine closes every connection
 *               (the others went to the same server, which may have
 *               dropped them too without their knowing yet), waits (delays doubling from 100 ms up to 5 s), reports,
 *               and tries the batch again, whole, for as long as it
 *               takes; the job holds back meanwhile;
 *   SINK_ERROR  a permanent failure (a command that cannot run, a disk
 *               that fails): the job fails, status 1, with the reason.
 *
 * A callback that does not return SINK_OK gives its reason with
 * sink_reason().  A single value a sink cannot take is neither: it is a
 * record error (sink_record_error), handled by the job's "on error", and
 * the rest of the batch goes on.
 *
 * Sinks never print: their output to standard output goes through the
 * engine (sink_output), in batch order, and their failures are reported
 * by the engine.
 */
#ifndef SINK_H
#define SINK_H

#include <stddef.h>
#include <stdint.h>

#include "lang/plan.h"
#include "runtime/retry.h"
#include "stdlib/strbuf.h"
#include "stdlib/value.h"

struct node;
struct sink;
struct stage;

enum sink_result { SINK_OK, SINK_RETRY, SINK_ERROR };

/* Capabilities of a descriptor. */
#define SINK_EXACTLY_ONCE 0x01	/* stores a batch once: it has commit, and
				 * recover after a restart */
#define SINK_PER_WORKER	0x02	/* one connection per worker: write on
				 * connection w stores the partitions p
				 * with p % workers == w */
#define SINK_ORDERED	0x04	/* keeps the order of batches and elements */
#define SINK_STREAM	0x08	/* standard output: its lines may be made as
				 * blocks arrive and written in order */
#define SINK_SAMPLE	0x10	/* sees only the first `sample` elements of a
				 * batch, and how many there were */
#define SINK_EMPTY	0x20	/* is given empty batches too (print's
				 * banner, write's empty file); other sinks
				 * see only batches with elements */

/* The values of one partition of a batch. */
struct sink_part {
	const struct value *v;
	size_t n;
};

/* One batch, as a sink's write sees it (its values are borrowed). */
struct sink_batch {
	uint64_t id;		/* its sequence number: 0, 1, 2, ... */
	int64_t time;		/* its batch time, ms */
	const struct sink_part *parts;
	int nparts;
	int64_t total;		/* its elements (SINK_SAMPLE: more than the
				 * parts hold) */
	/* the engine's: the batch's text, made once (sink_text) */
	struct strbuf text;
	int has_text;
};

struct reporter;

/* Where a sink's output, failures, rejected values and reports go: the
 * executor's host (exec.h) as the sinks see it. */
struct sink_host {
	void *arg;
	/* Write batch seq's output to standard output, in batch order (or
	 * hold it, under on error fail); -1 when it cannot be written. */
	int (*output)(void *arg, uint64_t seq, const char *data, size_t len);
	/* The job fails (status 1) with this message. */
	void (*fail)(void *arg, const char *msg);
	/* A value of batch seq that the sink at stage cannot take. */
	void (*record_error)(void *arg, uint64_t seq, const struct node *stage,
	    const char *reason, struct value record);
	/* Where failures that are retried, and recoveries, are reported. */
	const struct reporter *reporter;
};

struct sink_desc {
	const char *name;	/* as the language spells it */
	unsigned flags;		/* SINK_* */
	/* Said when the batch goes through after failures were reported. */
	const char *recovered;
	/* Set up the instance from its stage's arguments: ctx, label,
	 * sample.  SINK_ERROR with a reason when they cannot be used. */
	enum sink_result (*init)(struct sink *);
	/* Open connection `worker` (0 unless SINK_PER_WORKER) into *conn;
	 * kept across batches until a write fails.  May be NULL. */
	enum sink_result (*open)(struct sink *, int worker, void **conn);
	/* Write the batch (SINK_PER_WORKER: its partitions for `worker`). */
	enum sink_result (*write)(struct sink *, void *conn, struct sink_batch *, int worker);
	/* SINK_EXACTLY_ONCE: make what write wrote for batch_time durable
	 * and visible, so it is stored once. */
	enum sink_result (*commit)(struct sink *, void *conn, int64_t batch_time);
	/* SINK_EXACTLY_ONCE, kept by the sink itself (append: its file's
	 * length): its progress after the last commit, as bytes a checkpoint
	 * keeps; and, on recovery, before anything is written, undo what
	 * came after such bytes (-1 with *err, the job does not start).  May
	 * be NULL. */
	void (*save)(struct sink *, struct strbuf *);
	int (*restore)(struct sink *, const char *data, size_t len, char **err);
	/* Close a connection (after a failure, or at the end). */
	void (*close)(struct sink *, void *conn);
	/* Free ctx. */
	void (*free)(struct sink *);
};

/* One sink stage of a running job. */
struct sink {
	const struct sink_desc *desc;
	const struct node *node;	/* its stage: node->stage->args */
	const struct stage *stage;
	const struct sink_host *host;
	void *ctx;			/* the descriptor's */
	char *label;			/* how reports name it: "tcp host:port" */
	int64_t sample;			/* SINK_SAMPLE: elements a batch shows */
	/* SINK_EXACTLY_ONCE and SINK_PER_WORKER under a checkpoint: the
	 * number of parts its batches are split into (by key hash), fixed
	 * when the checkpoint was created whatever -j is now, so that what
	 * a store records per part still means the same after a restart.
	 * 0: no checkpoint, batches come as the executor partitioned them. */
	int parts;
	/* Restarted from a checkpoint: the first batches are recomputed, and
	 * a store that records its progress may hold some already (set
	 * before the first write; never cleared). */
	int recovering;
	/* the engine's */
	void **conns;
	char *opened;			/* [nconns] */
	int nconns;
	struct retry retry;
	int failed;			/* it said SINK_ERROR: it is done */
	char why[512];
	/* [parts]: a batch split by key (values borrowed) */
	struct value **split_v;
	size_t *split_n, *split_cap;
	struct sink_part *split;
};

/* ---- the engine (sink.c) ---- */

/* The instance for sink stage node, or NULL with *err (allocated) when
 * its arguments cannot be used.  Nothing is opened yet. */
struct sink *sink_new(const struct sink_desc *, const struct node *,
    const struct sink_host *, int nworkers, char **err);
void sink_free(struct sink *);

/*
 * Deliver batch b (nothing when it is empty, unless SINK_EMPTY): open,
 * write and commit, retrying with backoff while
 * the sink says SINK_RETRY (the caller, the thread that finishes batches,
 * waits meanwhile: that holds the job back).  0 when delivered; -1 when
 * the sink said SINK_ERROR, after telling the host to fail the job, and
 * from then on: a failed sink is given no more batches.
 */
int sink_deliver(struct sink *, struct sink_batch *b);

/* Release what b holds (its text). */
void sink_batch_release(struct sink_batch *b);

/* One element as a line of the stage's format: inline, since standard
 * output formats every element of a pass-through job with it. */
static inline void
sink_format_value(struct strbuf *sb, enum sink_format format, struct value v)
{
	switch (format) {
	case FORMAT_JSON: value_format_json(sb, v); break;
	case FORMAT_CSV: value_format_csv(sb, v); break;
	default: value_format_tsv(sb, v); break;
	}
	strbuf_addc(sb, '\n');
}

/* ---- for the sinks' callbacks ---- */

/* Give the reason for result r (not SINK_OK) and return r. */
enum sink_result sink_reason(struct sink *, enum sink_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The batch's elements as text in the stage's format (tsv, json, csv),
 * one line each; made on the first call, kept for retries. */
const char *sink_text(struct sink *, struct sink_batch *, size_t *len);
/* Write text to standard output as batch b's. */
int sink_output(struct sink *, const struct sink_batch *b, const char *data, size_t len);
/* A value of batch b the sink cannot take: a record error, not a failure. */
void sink_record_error(struct sink *, const struct sink_batch *b, const char *reason,
    struct value v);

#endif
