/*
 * job.h: a running job -- the event loop, the sources, the batch clock,
 * the driver that finishes batches in order, signals, output and errors.
 */
#ifndef JOB_H
#define JOB_H

#include <stddef.h>
#include <stdint.h>

#include "lang/plan.h"
#include "stdlib/value.h"

struct batch;
struct job;
struct node;

struct run_options {
	int quiet;
	int64_t max_batches;	/* --batches N; 0: no limit */
	int64_t duration_ms;	/* --duration; 0: no limit */
};

/*
 * Run the plan until its sources end or it is stopped.  Returns the exit
 * status (SPEC 3); a message for a failure is printed on stderr.
 */
int job_run(struct plan *, const struct job_options *, const struct run_options *);

/* For the executor: a record of batch seq failed in stage (NULL: a source). */
void job_record_error(struct job *, uint64_t seq, const struct node *stage,
    const char *reason, struct value record);
/* Write batch seq's output to standard output -- under on error fail, add
 * it to the batch's held output, written when the batch is done and good;
 * -1 when stdout is closed (the job then ends), when this or an earlier
 * batch failed (on error fail), or when the output cannot be held. */
int job_write(struct job *, uint64_t seq, const char *data, size_t len);
/* The job fails (status 1) with this message, after the batches before. */
void job_fail(struct job *, const char *msg);
/* The first batch that failed, or UINT64_MAX. */
uint64_t job_fail_seq(struct job *);
/* Bytes of input a block held are no longer waiting (backpressure). */
void job_block_done(struct job *, size_t bytes);
/* A processed block stays in memory until its batch is done (its values
 * point into it): its bytes are held, then released. */
void job_block_kept(struct job *, size_t bytes);
void job_block_released(struct job *, size_t bytes);
/* Output of a batch's stdout sinks (data is consumed): written now if the
 * batch is the one being written, else kept until its turn; under on error
 * fail, held until the batch is done, as job_write does. */
void job_output(struct job *, uint64_t seq, char *data, size_t len);

#endif
