/*
 * xmalloc.h: allocation that never returns NULL.  Running out of memory is
 * not a user error streamjob can recover from, so it aborts in one place.
 */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
char *xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Who says that an allocation of `bytes` failed, just before the abort:
 * the program's printer (process-wide; NULL: a plain line on descriptor
 * 2).  The hook must not allocate. */
void xmalloc_set_oom_hook(void (*hook)(size_t bytes));

#endif
