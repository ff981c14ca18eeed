/*
 * term.h: what streamjob prints on stderr while a job runs -- the
 * runtime's reports (report.h) as "streamjob: ..." lines, and the
 * one-line status a job keeps on stderr when stderr is a terminal (batch
 * time, rate, processing time, delay, state size).
 *
 * The status line has no newline: each draw replaces it.  Whatever else
 * goes to that terminal -- messages on stderr, and standard output's
 * lines when standard output is the same terminal -- is written after
 * the line is erased, and the line is drawn again after, as pv and curl
 * do, so no line of output ever starts after the status text.  There is
 * one terminal per process, so the module's state is process-wide,
 * behind a mutex.
 */
#ifndef TERM_H
#define TERM_H

#include <stddef.h>

struct report;

/* Before the job: quiet (-q) shows errors only; the status line is drawn
 * if wanted and stderr is a terminal.  Returns whether it is. */
int term_start(int quiet, int status_wanted);
/* The runtime's reporter callbacks (arg unused). */
void term_report(void *arg, const struct report *);
void term_stdout_begin(void *arg);
void term_stdout_end(void *arg);
/* The job is over: the last status line stays on the screen, ended by a
 * newline, and is not drawn again. */
void term_end(void);
/* xmalloc's out-of-memory hook: "streamjob: out of memory (N bytes)". */
void term_out_of_memory(size_t bytes);

#endif
