/*
 * output.h: standard output, in batch order.
 *
 * The stdout sinks of a batch write as soon as the batch is the one being
 * written, and keep their output until then otherwise -- except under on
 * error fail, where each batch's output is held in a spool (spool.h)
 * until the batch is done, then written if none of its records failed and
 * dropped otherwise, so nothing of a failing batch is written.  A closed
 * standard output ends the job quietly; another write error fails it.
 */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stddef.h>
#include <stdint.h>

struct errors;
struct reporter;
struct output;

/* hold: on error fail, holding at most bound bytes in memory (the rest in
 * temporary files).  Failures go to errors; wake(arg) when standard
 * output closes; the reporter's stdout_begin/end go around each write. */
struct output *output_new(int hold, size_t bound, struct errors *, const struct reporter *,
    void (*wake)(void *), void *arg);
void output_free(struct output *);

/* Write batch seq's output now (held under on error fail); -1 when
 * standard output is closed, when this or an earlier batch failed (on
 * error fail), or when the output cannot be held.  Any thread. */
int output_write(struct output *, uint64_t seq, const char *data, size_t len);
/* Output of batch seq's stdout sinks (data is consumed): written now if
 * seq is the batch being written, else kept until its turn; held as
 * output_write does.  Any thread. */
void output_batch(struct output *, uint64_t seq, char *data, size_t len);
/* Batch seq is finished (the driver, in order): its held output goes out,
 * or the next batch's kept output may. */
void output_advance(struct output *, uint64_t seq);
/* Has standard output closed or failed? */
int output_closed(struct output *);

#endif
