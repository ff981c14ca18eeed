/* rss.c: run a command and report its wall time and peak resident set size, without depending
 * on GNU time.
 *
 *   rss [-o FILE] COMMAND [ARG...]
 *
 * Runs COMMAND (with the same stdin, stdout and stderr), waits for it, and writes one line
 * `SECONDS MAXRSS_KB STATUS` to FILE (default stderr): the wall-clock time, the largest
 * resident set of the command or of any of its descendants that were waited for
 * (getrusage(RUSAGE_CHILDREN).ru_maxrss: for a pipeline, the largest single process), and its exit
 * status (128+N when killed by signal N). rss exits with the command's status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *outpath = NULL;
	int i = 1;
	if (i + 1 < argc && strcmp(argv[i], "-o") == 0) {
		outpath = argv[i + 1];
		i += 2;
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc) {
		fprintf(stderr, "usage: rss [-o FILE] COMMAND [ARG...]\n");
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		perror("rss: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[i], argv + i);
		fprintf(stderr, "rss: %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			perror("rss: waitpid");
			return 2;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	FILE *f = stderr;
	if (outpath && !(f = fopen(outpath, "w"))) {
		perror(outpath);
		return 2;
	}
	fprintf(f, "%.3f %ld %d\n", secs, ru.ru_maxrss, code);
	if (f != stderr)
		fclose(f);
	return code;
}
