/*
 * job.h: a running job, from start to end -- it sets the engine's parts
 * up (clock.h, srcset.h, lists.h, exec.h, driver.h, flow.h, output.h,
 * errors.h), closes a batch at the end of each interval, stops on a
 * signal, a --duration, a --batches count or the end of its sources, and
 * takes everything down.  It prints nothing: what happens goes to the
 * caller's reporter (report.h).
 */
#ifndef JOB_H
#define JOB_H

#include <stdint.h>

#include "lang/plan.h"

struct reporter;

struct run_options {
	int status;		/* report each batch's status (the status line) */
	int64_t max_batches;	/* --batches N; 0: no limit */
	int64_t duration_ms;	/* --duration; 0: no limit */
	/* For a checkpoint: the script as written, its name for messages,
	 * and --fresh (discard what the checkpoint holds). */
	const char *script, *script_name;
	int fresh;
};

/* How a job ended; the caller maps it to an exit status. */
enum job_result {
	JOB_OK,			/* its sources ended, or it was stopped */
	JOB_FAILED,		/* it failed while running, or could not start */
	JOB_UNSUPPORTED,	/* the script needs a part not built yet */
	JOB_REFUSED,		/* its checkpoint is of another script: a stage changed */
};

/*
 * Run the plan until its sources end or it is stopped.  Messages (why it
 * failed, warnings, the status line's fields) go to reporter.
 */
enum job_result job_run(struct plan *, const struct job_options *, const struct run_options *,
    const struct reporter *);

#endif
