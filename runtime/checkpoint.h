/*
 * checkpoint.h: a job's checkpoint -- what it keeps in its directory so
 * that, killed at any instant and started again, it goes on as if it had
 * not stopped.
 *
 * The job opens it before its sources start.  Opening recovers: the state
 * of every stateful stage matched with the script (an edited stage that
 * cannot keep its state refuses the start), the sources' positions, the
 * exactly-once sinks' progress (append cut back), and the batches that
 * were cut but not checkpointed, which the job recomputes with their
 * original times and input before it reads anything new.
 *
 * While the job runs, every block a source hands over is journaled on the
 * loop thread (its data for a source that cannot read it again, else the
 * two positions around it), made durable once per block interval and when
 * the batch is cut; after the driver finished a batch, the state's changes
 * (or all of it, when the changes outgrew it), the positions and the
 * sinks' progress are written and a new manifest names them.  Any write
 * or fsync that fails fails the job.  docs/checkpoint.md has the format.
 */
#ifndef CHECKPOINT_H
#define CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

struct batch;
struct exec;
struct plan;
struct reporter;
struct source;
struct srcset;

struct checkpoint_config {
	struct plan *plan;
	struct exec *exec;
	struct srcset *sources;
	const char *dir;
	const char *script;		/* its text, kept for --inspect */
	const char *script_name;	/* for messages: the file, or "<eval>" */
	int fresh;			/* --fresh: discard what DIR holds */
	int64_t interval;		/* the batch interval, ms */
	int64_t every_ms;		/* checkpoint every DUR; 0: every batch */
	const struct reporter *reporter;
	/* While the job runs, a failure fails it with msg. */
	void (*fail)(void *arg, const char *msg);
	void *arg;
};

/* Why checkpoint_open failed. */
enum checkpoint_fail {
	CHECKPOINT_FAILED = 1,		/* a damaged or unusable directory: status 1 */
	CHECKPOINT_REFUSED,		/* the script changed a stage: status 2 */
};

/* Open (and lock) the directory and recover from what it holds, before
 * the sources start; NULL after reporting why, with *why set. */
struct checkpoint *checkpoint_open(const struct checkpoint_config *, enum checkpoint_fail *why);
void checkpoint_free(struct checkpoint *);

/* A batch recovered from the journal: its seq, time, and input. */
struct checkpoint_block {
	int source;			/* the source set's index */
	int framed;
	char *data;			/* malloc'd: the caller's once taken */
	size_t len;
};

/* The seq of the last batch the checkpoint completed (-1: none), and the
 * seq and time of the last one cut. */
int64_t checkpoint_last_seq(const struct checkpoint *);
int64_t checkpoint_cut_seq(const struct checkpoint *);
int64_t checkpoint_cut_time(const struct checkpoint *);

/* The batches to recompute, one at a time in order: 1 with *seq, *time
 * and the blocks (the caller takes their data), 0 when there are no more,
 * -1 after reporting why (a source could not replay).  None is the last:
 * the job reads on after them. */
int checkpoint_next_redo(struct checkpoint *, uint64_t *seq, int64_t *time,
    struct checkpoint_block **blocks, size_t *nblocks);
/* Loop thread: batch seq opens (its journal segment is made); a block of
 * source s goes into it; it is cut (made durable before it runs); the
 * journal is made durable (once per block interval).  -1 after
 * reporting why: the job fails. */
int checkpoint_begin(struct checkpoint *, uint64_t seq);
int checkpoint_block(struct checkpoint *, struct source *, int framed, const char *data,
    size_t len);
int checkpoint_cut(struct checkpoint *, uint64_t seq, int64_t time, int last);
int checkpoint_sync(struct checkpoint *);

/* Driver thread, after batch seq was finished and its sinks stored it:
 * write a checkpoint if it is time (or the batch is the last).  -1 after
 * reporting why: the job fails. */
int checkpoint_done(struct checkpoint *, uint64_t seq, int64_t time, int last);

#endif
