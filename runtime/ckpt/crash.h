/*
 * crash.h: crash points, a test-only switch for the checkpoint protocol.
 *
 * Every step of the checkpoint writers (a journal record appended, a
 * file synced, a temporary file written, a rename, ...) calls ckpt_step.
 * With STREAMJOB_CRASH_AT=N in the environment the process _exits with
 * status 99 at the Nth step, and with STREAMJOB_CRASH_AT=NAME at the first
 * step of that name (the count of steps from two threads may interleave
 * differently from run to run; a name does not); with STREAMJOB_CRASH_LIST=1 each step prints
 * "crash point N: NAME" as it passes, so a test can enumerate the steps
 * and then crash at each in turn.  Both are read once, at the first step.
 * Without them a step costs a test of two variables.
 */
#ifndef CKPT_CRASH_H
#define CKPT_CRASH_H

/* Count one step of the protocol; crash here if it is the chosen one. */
void ckpt_step(const char *name);

/* Where STREAMJOB_CRASH_LIST lines go (one line, no newline, per call);
 * NULL restores the default, a write(2) to standard error -- the only
 * output of the library that is not the caller's to decide, as it is
 * for tests alone. */
void ckpt_crash_set_printer(void (*fn)(const char *line, void *arg), void *arg);

/* Read the environment again and count from zero (a test, after fork). */
void ckpt_crash_reload(void);

#endif
