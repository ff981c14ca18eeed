/*
 * regex.h: compiled regular expressions (PCRE2, JIT where available) with
 * match limits, so that no pattern can hang the job.
 *
 * A regex is compiled once, at check time, and shared read-only by all
 * worker threads; each thread matches with match data of its own.
 */
#ifndef REGEX_H
#define REGEX_H

#include <stddef.h>

/* Groups $0..$9 are reported by regex_match. */
#define REGEX_MAX_GROUPS 10

struct regex {
	void *code;		/* pcre2_code */
	const char *pattern;
	size_t len;
	char flags[8];		/* the flag letters, as written */
};

/*
 * Compile pattern with flags (letters i m s x u).  On failure return NULL
 * and set *err to a message (static or allocated into buf of size bufsize)
 * and *offset to where in the pattern it went wrong.
 */
struct regex *regex_compile(const char *pattern, size_t len, const char *flags,
    char *buf, size_t bufsize, size_t *offset);
void regex_free(struct regex *);

/*
 * Match re against s[0..n) from byte start.  Returns 1 and fills
 * groups[2*g], groups[2*g+1] (byte offsets, or (size_t)-1 for a group that
 * did not take part) for g < REGEX_MAX_GROUPS and g <= the pattern's
 * groups; 0 when there is no match; -1 when the match limit was hit or
 * the subject is not valid UTF-8 under the u flag (*err says which).
 */
int regex_match(const struct regex *re, const char *s, size_t n, size_t start,
    size_t groups[2 * REGEX_MAX_GROUPS], int *ngroups, const char **err);

/* Free this thread's match data (call before a worker thread exits). */
void regex_thread_done(void);

#endif
