/*
 * report.h: how the runtime tells its caller what happens -- errors,
 * warnings, skipped records, table reloads, reconnections, the status of
 * each batch -- without printing anything itself.
 *
 * Every event goes to one callback the caller gives (cli/ prints them;
 * a test can collect them).  A report's text is the message alone, with
 * no program name and no newline; the caller decides whether and how it
 * is shown (-q hides all but errors).  Callbacks may come from any
 * thread, so the caller's must be thread-safe.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>
#include <stdint.h>

enum report_kind {
	REPORT_ERROR,		/* the job fails or cannot start: always shown */
	REPORT_DIAGNOSTIC,	/* ... said as a check error is, located in the
				 * script: text is whole lines, shown as they are */
	REPORT_WARNING,		/* something went wrong; the job goes on */
	REPORT_RECORD_ERROR,	/* a record was skipped (on error skip) */
	REPORT_SKIPPED,		/* at the end: count records were skipped */
	REPORT_RELOAD,		/* a table file was read again, or could not be */
	REPORT_RECONNECT,	/* a connection failed and is retried, or is back */
	REPORT_STATUS,		/* a batch is done: the fields of the status line */
	REPORT_END,		/* the last batch is done; final messages follow */
};

struct report {
	enum report_kind kind;
	const char *text;		/* NULL for the kinds with fields only */
	/* REPORT_RECORD_ERROR: where (a stage, or "stdin"), why, the record
	 * (as JSON, cut short), and how many have been skipped so far;
	 * REPORT_SKIPPED: count. */
	const char *where, *reason, *record;
	int64_t count;
	/* REPORT_STATUS */
	int64_t batch_time;		/* ms since the epoch */
	double rate;			/* records a second since the start */
	int64_t processing_ms;
	int64_t delay_ms;		/* from the interval's end to its output */
	int has_state;
	size_t state_keys;
};

struct reporter {
	void (*report)(void *arg, const struct report *);
	/* Around each write to standard output (may be NULL): a terminal's
	 * status line is taken away before, and drawn again after. */
	void (*stdout_begin)(void *arg);
	void (*stdout_end)(void *arg);
	void *arg;
};

void report(const struct reporter *, const struct report *);
/* A report of kind with a formatted text. */
void report_text(const struct reporter *, enum report_kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
