/*
 * term.c: the runtime's reports and the status line on stderr (see
 * term.h).
 *
 * A draw is "\r\033[K" (back to the start of the line, erase to its end)
 * and the text; an erase is the same escape alone.  Standard output gets
 * the erase only when it is the same terminal as stderr (same device):
 * into a pipe or a file, its lines do not meet the status line.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "term.h"
#include "runtime/report.h"

/* Skipped records shown before they are only counted. */
#define ERRORS_SHOWN 10

static struct {
	pthread_mutex_t lock;
	int quiet;		/* -q: errors only */
	int on;			/* stderr is a terminal and the line is wanted */
	int stdout_shared;	/* stdout is that terminal too */
	int drawn;		/* text is on the screen now */
	int ended;		/* term_end: never drawn again */
	char text[256];
} term = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int
same_terminal(int a, int b)
{
	struct stat sa, sb;

	if (!isatty(a) || !isatty(b) || fstat(a, &sa) != 0 || fstat(b, &sb) != 0)
		return 0;
	return sa.st_rdev == sb.st_rdev;
}

int
term_start(int quiet, int status_wanted)
{
	term.quiet = quiet;
	term.on = status_wanted && isatty(STDERR_FILENO);
	term.stdout_shared = term.on && same_terminal(STDOUT_FILENO, STDERR_FILENO);
	term.drawn = 0;
	term.ended = 0;
	term.text[0] = '\0';
	return term.on;
}

/* Does a write to fd meet the line? */
static int
shares(int fd)
{
	return term.on && (fd == STDERR_FILENO || term.stdout_shared);
}

static void
draw(const char *text)
{
	if (!term.on)
		return;
	pthread_mutex_lock(&term.lock);
	if (!term.ended) {
		snprintf(term.text, sizeof term.text, "%s", text);
		fprintf(stderr, "\r\033[K%s", term.text);
		fflush(stderr);
		term.drawn = 1;
	}
	pthread_mutex_unlock(&term.lock);
}

/* Before writing to fd (1 or 2): erase the line if it is on the terminal
 * fd writes to.  Each hide(fd) is followed by one show(fd), which draws
 * the line again; nothing else may draw in between.  The lock is taken
 * last, never held while taking another. */
static void
hide(int fd)
{
	if (!shares(fd))
		return;
	pthread_mutex_lock(&term.lock);
	if (term.drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
}

static void
show(int fd)
{
	if (!shares(fd))
		return;
	if (term.drawn) {
		fprintf(stderr, "\r\033[K%s", term.text);
		fflush(stderr);
	}
	pthread_mutex_unlock(&term.lock);
}

void
term_stdout_begin(void *arg)
{
	(void)arg;
	hide(STDOUT_FILENO);
}

void
term_stdout_end(void *arg)
{
	(void)arg;
	show(STDOUT_FILENO);
}

void
term_end(void)
{
	if (!term.on)
		return;
	pthread_mutex_lock(&term.lock);
	if (term.drawn)
		fputc('\n', stderr);
	fflush(stderr);
	term.drawn = 0;
	term.ended = 1;
	pthread_mutex_unlock(&term.lock);
}

void
term_out_of_memory(size_t bytes)
{
	/* No lock: the allocation may have failed under it.  The status
	 * line, if drawn, is erased first. */
	fprintf(stderr, "%sstreamjob: out of memory (%zu bytes)\n", term.drawn ? "\r\033[K" : "",
	    bytes);
}

/* The batch's time as a clock shows it (local time, HH:MM:SS), with
 * milliseconds when it is not on a whole second. */
static void
clock_time(char *buf, size_t size, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	if (localtime_r(&t, &tm) == NULL ||
	    (n = strftime(buf, size, "%H:%M:%S", &tm)) == 0) {
		snprintf(buf, size, "%lld ms", (long long)ms);
		return;
	}
	if (ms % 1000 != 0)
		snprintf(buf + n, size - n, ".%03d", (int)(ms % 1000));
}

static void
status(const struct report *r)
{
	char when[48], text[256];
	int n;

	clock_time(when, sizeof when, r->batch_time);
	n = snprintf(text, sizeof text, "batch %s | %.0f records/s | processing %lld ms | delay %lld ms",
	    when, r->rate, (long long)r->processing_ms, (long long)r->delay_ms);
	if (r->has_state && n > 0 && (size_t)n < sizeof text)
		snprintf(text + n, sizeof text - (size_t)n, " | state %zu keys", r->state_keys);
	draw(text);
}

void
term_report(void *arg, const struct report *r)
{
	(void)arg;
	switch (r->kind) {
	case REPORT_STATUS:
		status(r);
		return;
	case REPORT_END:
		term_end();
		return;
	case REPORT_ERROR:
	case REPORT_DIAGNOSTIC:
		break;
	default:
		if (term.quiet)
			return;
		break;
	}
	switch (r->kind) {
	case REPORT_RECORD_ERROR:
		if (r->count > ERRORS_SHOWN)
			return;
		hide(STDERR_FILENO);
		fprintf(stderr, "streamjob: skipped a record in %s: %s; record: %s\n",
		    r->where, r->reason, r->record);
		if (r->count == ERRORS_SHOWN)
			fprintf(stderr, "streamjob: further skipped records are only counted\n");
		show(STDERR_FILENO);
		break;
	case REPORT_DIAGNOSTIC:
		hide(STDERR_FILENO);
		fputs(r->text, stderr);
		show(STDERR_FILENO);
		break;
	case REPORT_SKIPPED:
		hide(STDERR_FILENO);
		fprintf(stderr, "streamjob: %lld record%s skipped because of errors\n",
		    (long long)r->count, r->count == 1 ? "" : "s");
		show(STDERR_FILENO);
		break;
	default:
		hide(STDERR_FILENO);
		fprintf(stderr, "streamjob: %s\n", r->text);
		show(STDERR_FILENO);
		break;
	}
}
