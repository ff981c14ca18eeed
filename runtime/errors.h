/*
 * errors.h: what goes wrong while a job runs, and what the job does about
 * it -- records that fail (skipped, written to a dead-letter file, or
 * failing the job, as the script's on error says), and failures that end
 * the job (a sink that cannot write, a source that cannot read).
 *
 * Any thread may call these.  Only the first failure is kept: its message
 * is the job's last word.  Under on error fail, the first batch a record
 * failed in is kept too: it and the batches after it write nothing.
 */
#ifndef ERRORS_H
#define ERRORS_H

#include <stdint.h>

#include "lang/plan.h"
#include "stdlib/value.h"

struct reporter;
struct errors;

/* wake(arg) is called when the job fails, so it can stop reading. */
struct errors *errors_new(enum on_error, const struct reporter *, void (*wake)(void *),
    void *arg);
void errors_free(struct errors *);

/* on error write: open the dead-letter file; -1 with errno. */
int errors_open_dead_letters(struct errors *, const char *path);

/* A record of batch seq failed in stage (NULL: a source). */
void errors_record(struct errors *, uint64_t seq, const struct node *stage,
    const char *reason, struct value record);
/* The job fails with msg, after the batches before. */
void errors_fail(struct errors *, const char *msg);
/* Batch seq cannot be written whole: the job fails with it. */
void errors_fail_batch(struct errors *, uint64_t seq, const char *msg);
/* Nothing from batch seq on is written (a job that could not start). */
void errors_stop_at(struct errors *, uint64_t seq);

/* The first batch that failed, or UINT64_MAX. */
uint64_t errors_fail_seq(struct errors *);
int errors_failed(struct errors *);

/* The job is over: report its failure, or how many records were
 * skipped.  Returns 1 when it failed. */
int errors_finish(struct errors *);

#endif
