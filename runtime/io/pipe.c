/*
 * pipe.c: the pipe "COMMAND" [tsv|json|csv] sink -- Spark's foreachRDD
 * for shell users.
 *
 * For each batch with elements, one at a time and in batch order, it runs
 * sh -c COMMAND with the batch's lines on its standard input and
 * STREAMJOB_BATCH_TIME (the batch time, ms) and STREAMJOB_BATCH_ID (the
 * batch's sequence number) in its environment.  The command's standard
 * output is collected and written to ours whole once it has exited, so it
 * never mixes with other output; its standard error is ours.
 *
 * Exit status 0 delivers the batch, read all or not (a command that stops
 * reading early is not an error: EPIPE ends the writing, nothing more).
 * Any other status, or a signal, is a retry: the engine runs the command
 * again on the whole batch after a delay, and the job holds back.  Status
 * 126 or 127 the first time the command runs means it cannot run at all
 * (not found, not executable): the job fails instead of retrying forever.
 *
 * Input and output go through one poll loop, so a command that writes
 * much before reading all of its input does not block us, nor we it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/io/sink.h"
#include "stdlib/xmalloc.h"

extern char **environ;

struct pipe {
	const char *command;
	int64_t runs;		/* how often the command has run to its end */
};

static enum sink_result
pipe_init(struct sink *s)
{
	struct pipe *p = xcalloc(1, sizeof *p);

	p->command = s->stage->args[0].s;
	s->ctx = p;
	s->label = xasprintf("pipe \"%s\"", p->command);
	return SINK_OK;
}

/* Our environment, with the batch's variables set: envp[] and its strings
 * are allocated, freed by free_env. */
static char **
batch_env(const struct sink_batch *b)
{
	size_t n = 0, k = 0;
	char **envp;

	while (environ[n] != NULL)
		n++;
	envp = xcalloc(n + 3, sizeof *envp);
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "STREAMJOB_BATCH_TIME=", 21) != 0 &&
		    strncmp(environ[i], "STREAMJOB_BATCH_ID=", 19) != 0)
			envp[k++] = xstrdup(environ[i]);
	envp[k++] = xasprintf("STREAMJOB_BATCH_TIME=%lld", (long long)b->time);
	envp[k++] = xasprintf("STREAMJOB_BATCH_ID=%llu", (unsigned long long)b->id);
	return envp;
}

static void
free_env(char **envp)
{
	for (size_t i = 0; envp[i] != NULL; i++)
		free(envp[i]);
	free(envp);
}

/* Start sh -c command with its stdin and stdout on pipes; its pid, or -1
 * with errno. */
static pid_t
spawn(const char *command, char **envp, int *to, int *from)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, rc;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	char *argv[] = { "sh", "-c", (char *)command, NULL };
	pid_t pid = -1;

	if (pipe2(in, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) != 0) {
		rc = errno;
		close(in[0]);
		close(in[1]);
		errno = rc;
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	/* The command starts with no signal blocked and SIGPIPE back to its
	 * default (we ignore it; an ignored signal stays ignored across exec). */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(in[0]);
	close(out[1]);
	if (rc != 0) {
		close(in[1]);
		close(out[0]);
		errno = rc;
		return -1;
	}
	fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
	*to = in[1];
	*from = out[0];
	return pid;
}

/* Give the command data on fd `to` while collecting what it writes on fd
 * `from`, until it has closed its output.  Both fds are closed. */
static void
exchange(int to, int from, const char *data, size_t len, struct strbuf *got)
{
	char buf[65536];

	if (len == 0) {
		close(to);
		to = -1;
	}
	while (from >= 0) {
		struct pollfd pfd[2] = { { from, POLLIN, 0 }, { to, POLLOUT, 0 } };
		if (poll(pfd, to >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (to >= 0 && pfd[1].revents != 0) {
			ssize_t n = write(to, data, len);
			if (n > 0) {
				data += n;
				len -= (size_t)n;
			}
			/* Done, or the command stopped reading (EPIPE): it is
			 * its exit status that says whether that was fine. */
			if (len == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
				close(to);
				to = -1;
			}
		}
		if (pfd[0].revents != 0) {
			ssize_t n = read(from, buf, sizeof buf);
			if (n > 0) {
				strbuf_add(got, buf, (size_t)n);
			} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				close(from);
				from = -1;
			}
		}
	}
	if (to >= 0)
		close(to);
	if (from >= 0)
		close(from);
}

static enum sink_result
pipe_write(struct sink *s, void *conn, struct sink_batch *b, int worker)
{
	struct pipe *p = s->ctx;
	struct strbuf got = STRBUF_INIT;
	size_t len;
	const char *data = sink_text(s, b, &len);
	char **envp = batch_env(b);
	int to, from, status;
	pid_t pid;

	(void)conn;
	(void)worker;
	pid = spawn(p->command, envp, &to, &from);
	free_env(envp);
	if (pid < 0)
		return sink_reason(s, errno == ENOENT || errno == EACCES ? SINK_ERROR : SINK_RETRY,
		    "%s: cannot run /bin/sh: %s", s->label, strerror(errno));
	exchange(to, from, data, len, &got);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			strbuf_release(&got);
			return sink_reason(s, SINK_RETRY, "waiting for the command: %s",
			    strerror(errno));
		}
	}
	p->runs++;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (got.len > 0)
			sink_output(s, b, got.data, got.len);
		strbuf_release(&got);
		return SINK_OK;
	}
	strbuf_release(&got);
	if (WIFSIGNALED(status))
		return sink_reason(s, SINK_RETRY, "killed by signal %d", WTERMSIG(status));
	status = WEXITSTATUS(status);
	if (p->runs == 1 && (status == 126 || status == 127))
		return sink_reason(s, SINK_ERROR, "%s: the command %s (exit status %d)", s->label,
		    status == 127 ? "was not found" : "could not be run", status);
	return sink_reason(s, SINK_RETRY, "exit status %d", status);
}

static void
pipe_free(struct sink *s)
{
	free(s->ctx);
}

const struct sink_desc sink_pipe = {
	.name = "pipe",
	.flags = SINK_ORDERED,
	.recovered = "the batch went through",
	.init = pipe_init,
	.write = pipe_write,
	.free = pipe_free,
};
