/*
 * driver.h: the thread that finishes closed batches, one at a time and in
 * order (exec_finish_batch), so reading goes on while a batch is being
 * finished.  After each batch it lets the batch's output go (output.h),
 * frees the batch's input (flow.h) and reports the status line's fields.
 * It ends after the last batch, or the first one that failed or could not
 * write.
 */
#ifndef DRIVER_H
#define DRIVER_H

#include <stdint.h>

struct batch;
struct checkpoint;
struct errors;
struct exec;
struct flow;
struct output;
struct reporter;
struct driver;

struct driver_config {
	struct exec *exec;
	struct output *output;
	struct flow *flow;
	struct errors *errors;
	struct checkpoint *ckpt;	/* NULL: none kept */
	const struct reporter *reporter;
	int status;			/* report each batch's status */
	int has_state;			/* ... with the state's key count */
	int64_t started_ms;		/* the job's start (wall clock) */
	void (*wake)(void *);		/* the driver has ended */
	void *arg;
};

/* Start the thread. */
struct driver *driver_start(const struct driver_config *);
/* Queue a closed batch (the driver owns it from here on). */
void driver_enqueue(struct driver *, struct batch *);
/* There will be no batch at all: the thread ends at once. */
void driver_end(struct driver *);
/* Has the last batch been finished? */
int driver_done(struct driver *);
/* Wait for the thread to end (after the last batch). */
void driver_join(struct driver *);
/* Free the driver, and the batches queued behind a failure, which were
 * never finished (their blocks' tasks are waited for). */
void driver_free(struct driver *);

#endif
