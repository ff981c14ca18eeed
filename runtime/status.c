/*
 * status.c: the status line on a terminal's stderr (see status.h).
 *
 * A draw is "\r\033[K" (back to the start of the line, erase to its end)
 * and the text; an erase is the same escape alone.  Standard output gets
 * the erase only when it is the same terminal as stderr (same device):
 * into a pipe or a file, its lines do not meet the status line.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status.h"

static struct {
	pthread_mutex_t lock;
	int on;			/* stderr is a terminal and the line is wanted */
	int stdout_shared;	/* stdout is that terminal too */
	int drawn;		/* text is on the screen now */
	int ended;		/* status_end: never drawn again */
	char text[256];
} status = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int
same_terminal(int a, int b)
{
	struct stat sa, sb;

	if (!isatty(a) || !isatty(b) || fstat(a, &sa) != 0 || fstat(b, &sb) != 0)
		return 0;
	return sa.st_rdev == sb.st_rdev;
}

void
status_start(int wanted)
{
	status.on = wanted && isatty(STDERR_FILENO);
	status.stdout_shared = status.on && same_terminal(STDOUT_FILENO, STDERR_FILENO);
	status.drawn = 0;
	status.ended = 0;
	status.text[0] = '\0';
}

/* Does a write to fd meet the line? */
static int
shares(int fd)
{
	return status.on && (fd == STDERR_FILENO || status.stdout_shared);
}

void
status_draw(const char *text)
{
	if (!status.on)
		return;
	pthread_mutex_lock(&status.lock);
	if (!status.ended) {
		snprintf(status.text, sizeof status.text, "%s", text);
		fprintf(stderr, "\r\033[K%s", status.text);
		fflush(stderr);
		status.drawn = 1;
	}
	pthread_mutex_unlock(&status.lock);
}

void
status_hide(int fd)
{
	if (!shares(fd))
		return;
	pthread_mutex_lock(&status.lock);
	if (status.drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
}

void
status_show(int fd)
{
	if (!shares(fd))
		return;
	if (status.drawn) {
		fprintf(stderr, "\r\033[K%s", status.text);
		fflush(stderr);
	}
	pthread_mutex_unlock(&status.lock);
}

void
status_end(void)
{
	if (!status.on)
		return;
	pthread_mutex_lock(&status.lock);
	if (status.drawn)
		fputc('\n', stderr);
	fflush(stderr);
	status.drawn = 0;
	status.ended = 1;
	pthread_mutex_unlock(&status.lock);
}
