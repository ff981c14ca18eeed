/*
 * crash.c: the crash points of crash.h.  The environment is read once
 * (pthread_once); the count is atomic, as the journal's thread and the
 * checkpoint writer's thread both pass steps.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static unsigned long crash_at;		/* 0: never */
static char crash_name[64];		/* or at the first step of this name */
static int list;
static unsigned long count;
static void (*printer)(const char *, void *);
static void *printer_arg;

static void
crash_read_env(void)
{
	const char *at = getenv("STREAMJOB_CRASH_AT");
	const char *l = getenv("STREAMJOB_CRASH_LIST");

	crash_at = 0;
	crash_name[0] = '\0';
	if (at != NULL && *at >= '0' && *at <= '9')
		crash_at = strtoul(at, NULL, 10);
	else if (at != NULL)
		snprintf(crash_name, sizeof crash_name, "%s", at);
	list = l != NULL && *l != '\0' && strcmp(l, "0") != 0;
	__atomic_store_n(&count, 0, __ATOMIC_SEQ_CST);
}

static void
crash_print(const char *line)
{
	size_t n = strlen(line);
	char buf[256];

	if (printer != NULL) {
		printer(line, printer_arg);
		return;
	}
	/* Test-only output, so it is written here and not left to the caller. */
	if (n > sizeof buf - 1)
		n = sizeof buf - 1;
	memcpy(buf, line, n);
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

void
ckpt_step(const char *name)
{
	unsigned long n;
	char line[200];

	pthread_once(&once, crash_read_env);
	if (crash_at == 0 && crash_name[0] == '\0' && !list)
		return;
	n = __atomic_add_fetch(&count, 1, __ATOMIC_SEQ_CST);
	if (list) {
		snprintf(line, sizeof line, "crash point %lu: %s", n, name);
		crash_print(line);
	}
	if (n == crash_at || (crash_name[0] != '\0' && strcmp(name, crash_name) == 0))
		_exit(99);
}

void
ckpt_crash_set_printer(void (*fn)(const char *, void *), void *arg)
{
	printer = fn;
	printer_arg = arg;
}

void
ckpt_crash_reload(void)
{
	pthread_once(&once, crash_read_env);
	crash_read_env();
}
