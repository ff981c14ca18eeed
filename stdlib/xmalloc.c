/*
 * xmalloc.c: the allocation wrappers of xmalloc.h.  A failed allocation
 * is told to the hook the program set (the command line prints it), or,
 * with no hook, written as one line straight to descriptor 2; then the
 * process aborts.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"

static void (*oom_hook)(size_t);

void
xmalloc_set_oom_hook(void (*hook)(size_t bytes))
{
	oom_hook = hook;
}

static void
xmalloc_fail(size_t n)
{
	if (oom_hook != NULL) {
		oom_hook(n);
	} else {
		char msg[64];
		int len = snprintf(msg, sizeof msg, "streamjob: out of memory (%zu bytes)\n", n);
		if (len > 0 && write(STDERR_FILENO, msg, (size_t)len) < 0)
			len = 0;
	}
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		xmalloc_fail(n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		xmalloc_fail(n * size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		xmalloc_fail(n);
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		xmalloc_fail(SIZE_MAX);
	return xrealloc(p, n * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}
