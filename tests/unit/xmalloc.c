/*
 * xmalloc.c: what a failed allocation says before the abort -- through
 * the hook the program set (the command line prints), or, with none, one
 * line on descriptor 2.  Each case runs in a child that runs out of
 * memory for real (an array too large to size) and must die of SIGABRT.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stdlib/xmalloc.h"
#include "tap.h"

static int hook_fd;

static void
hook(size_t bytes)
{
	char msg[64];
	int n = snprintf(msg, sizeof msg, "hook %zu", bytes);

	if (write(hook_fd, msg, (size_t)n) < 0)
		_exit(3);
}

/* Run a child that fails to allocate, with the hook or not: what it
 * wrote on the pipe (its hook's fd, or its stderr) into out; its wait
 * status. */
static int
child(int with_hook, char *out, size_t size)
{
	int fds[2], status = 0;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(fds) != 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct rlimit none = { 0, 0 };
		setrlimit(RLIMIT_CORE, &none);	/* no core file for the abort */
		close(fds[0]);
		if (with_hook) {
			hook_fd = fds[1];
			xmalloc_set_oom_hook(hook);
		} else {
			dup2(fds[1], STDERR_FILENO);
		}
		/* SIZE_MAX * 2 bytes cannot be sized: fails without asking
		 * malloc, the same under any allocator. */
		free(xreallocarray(NULL, SIZE_MAX, 2));
		_exit(0);
	}
	close(fds[1]);
	while (got + 1 < (ssize_t)size && (n = read(fds[0], out + got, size - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	return status;
}

int
main(void)
{
	char out[256], want[64];
	int status;

	status = child(1, out, sizeof out);
	snprintf(want, sizeof want, "hook %zu", (size_t)SIZE_MAX);
	TAP_STR(out, want, "with a hook set, the hook is told, with the size");
	TAP_OK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "then the process aborts");

	status = child(0, out, sizeof out);
	snprintf(want, sizeof want, "streamjob: out of memory (%zu bytes)\n", (size_t)SIZE_MAX);
	TAP_STR(out, want, "without one, one line on descriptor 2");
	TAP_OK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "and the process aborts");
	return tap_done();
}
