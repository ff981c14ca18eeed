/*
 * regex.c: regular expressions on PCRE2 (8-bit), JIT-compiled where the
 * library can, with limits so that no pattern can hang the job.
 *
 * A compiled regex is read-only and shared by every worker thread.  What
 * changes while matching lives elsewhere: one match context for the whole
 * process, made once (pthread_once) and never changed after, holds the
 * match and depth limits and the callback that hands PCRE2's JIT code a
 * stack; each thread has its own match data and JIT stack, made on its
 * first match and given back by regex_thread_done().
 *
 * The limits: a match that backtracks more than REGEX_MATCH_LIMIT times
 * (or nests deeper than REGEX_DEPTH_LIMIT without JIT, or outgrows its
 * JIT stack) fails with "regex match limit exceeded" -- a record error,
 * not a hang.  *ngroups is set by every call, matching or not.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"
#include "xmalloc.h"

#define REGEX_MATCH_LIMIT 1000000
#define REGEX_DEPTH_LIMIT 10000
#define REGEX_JIT_STACK_MIN (32 * 1024)
/*
 * The JIT stack is reserved at its largest and used as a match needs it:
 * 16 MiB lets a loop such as (\w+\s?)* run over a 1 MiB line.
 */
#define REGEX_JIT_STACK_MAX (16 * 1024 * 1024)

static pthread_once_t regex_once = PTHREAD_ONCE_INIT;
static pcre2_general_context *regex_gctx;
static pcre2_match_context *regex_mctx;

static __thread pcre2_match_data *regex_md;
static __thread pcre2_jit_stack *regex_jit_stack;
/*
 * The subject this thread last matched under the u flag, whose UTF-8 was
 * checked then: a scan for every match of one line calls regex_match with
 * growing start offsets, and checking the whole line again each time
 * would make the scan quadratic.
 */
static __thread const char *regex_checked_s;
static __thread size_t regex_checked_n;

/* PCRE2 asks for the JIT stack of the thread that is matching. */
static pcre2_jit_stack *
regex_jit_stack_cb(void *arg)
{
	(void)arg;
	return regex_jit_stack;
}

/* PCRE2 allocates through xmalloc, so running out of memory aborts there. */
static void *
regex_alloc(PCRE2_SIZE n, void *arg)
{
	(void)arg;
	return xmalloc(n);
}

static void
regex_dealloc(void *p, void *arg)
{
	(void)arg;
	free(p);
}

static void
regex_init(void)
{
	regex_gctx = pcre2_general_context_create(regex_alloc, regex_dealloc, NULL);
	regex_mctx = pcre2_match_context_create(regex_gctx);
	pcre2_set_match_limit(regex_mctx, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(regex_mctx, REGEX_DEPTH_LIMIT);
	pcre2_jit_stack_assign(regex_mctx, regex_jit_stack_cb, NULL);
}

struct regex *
regex_compile(const char *pattern, size_t len, const char *flags, char *buf,
    size_t bufsize, size_t *offset)
{
	uint32_t opts = 0;
	int errcode;
	PCRE2_SIZE off = 0;
	pcre2_code *code;
	struct regex *re;
	char *copy;
	const char *f;

	if (flags == NULL)
		flags = "";
	*offset = 0;
	if (strlen(flags) >= sizeof re->flags) {
		snprintf(buf, bufsize, "too many regex flags \"%s\"", flags);
		*offset = len;
		return NULL;
	}
	for (f = flags; *f != '\0'; f++) {
		switch (*f) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		case 'u': opts |= PCRE2_UTF | PCRE2_UCP; break;
		default:
			snprintf(buf, bufsize, "unknown regex flag '%c' (flags: i m s x u)", *f);
			*offset = len;
			return NULL;
		}
	}
	code = pcre2_compile((PCRE2_SPTR)pattern, len, opts, &errcode, &off, NULL);
	if (code == NULL) {
		if (pcre2_get_error_message(errcode, (PCRE2_UCHAR *)buf, bufsize) < 0 &&
		    bufsize > 0)
			snprintf(buf, bufsize, "invalid regular expression");
		*offset = (size_t)off;
		return NULL;
	}
	/* Without JIT support, or when it fails, the interpreter does the work. */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);

	re = xmalloc(sizeof *re + len + 1);
	copy = (char *)(re + 1);
	if (len > 0)
		memcpy(copy, pattern, len);
	copy[len] = '\0';
	re->code = code;
	re->pattern = copy;
	re->len = len;
	memset(re->flags, 0, sizeof re->flags);
	memcpy(re->flags, flags, strlen(flags));
	return re;
}

void
regex_free(struct regex *re)
{
	if (re == NULL)
		return;
	pcre2_code_free(re->code);
	free(re);
}

/* This thread's match data, made on its first match, with its JIT stack. */
static pcre2_match_data *
regex_thread_md(void)
{
	if (regex_md != NULL)
		return regex_md;
	regex_md = pcre2_match_data_create(REGEX_MAX_GROUPS, regex_gctx);
	regex_jit_stack = pcre2_jit_stack_create(REGEX_JIT_STACK_MIN, REGEX_JIT_STACK_MAX,
	    regex_gctx);
	/* A NULL JIT stack is fine: PCRE2 then uses 32 KiB of the machine stack. */
	return regex_md;
}

/*
 * Under the u flag the subject's UTF-8 is checked on every call but one:
 * a call with start > 0 on the subject (same address, same length) that
 * this thread's previous u-flag call checked.  Callers that scan a line
 * for every match start at 0, so each subject is checked once; a caller
 * must not start at start > 0 on a new string at a reused address.
 */
int
regex_match(const struct regex *re, const char *s, size_t n, size_t start,
    size_t groups[2 * REGEX_MAX_GROUPS], int *ngroups, const char **err)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	uint32_t opts = 0, all = 0, capcount = 0;
	int rc, g, pairs;
	static const char empty[1] = "";

	pthread_once(&regex_once, regex_init);
	md = regex_thread_md();
	if (s == NULL)
		s = empty;	/* a NULL slice of 0 bytes */
	pcre2_pattern_info(re->code, PCRE2_INFO_ALLOPTIONS, &all);
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &capcount);
	if ((all & PCRE2_UTF) != 0) {
		if (start > 0 && s == regex_checked_s && n == regex_checked_n)
			opts |= PCRE2_NO_UTF_CHECK;
		regex_checked_s = NULL;
	}
	*ngroups = capcount + 1 < REGEX_MAX_GROUPS ? (int)capcount + 1 : REGEX_MAX_GROUPS;
	rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, start, opts, md, regex_mctx);
	if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_PARTIAL) {
		if ((all & PCRE2_UTF) != 0) {
			regex_checked_s = s;
			regex_checked_n = n;
		}
		return 0;
	}
	if (rc < 0) {
		if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21)
			*err = "invalid UTF-8 in the subject of a /.../u regex";
		else if (rc == PCRE2_ERROR_BADUTFOFFSET)
			*err = "regex match started inside a UTF-8 character";
		else if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
		    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT ||
		    rc == PCRE2_ERROR_NOMEMORY)
			*err = "regex match limit exceeded";
		else
			*err = "regex match failed";
		return -1;
	}
	if ((all & PCRE2_UTF) != 0) {
		regex_checked_s = s;
		regex_checked_n = n;
	}
	/* rc == 0: more groups than the match data holds; all of those are set. */
	pairs = rc == 0 ? REGEX_MAX_GROUPS : rc;
	ov = pcre2_get_ovector_pointer(md);
	for (g = 0; g < REGEX_MAX_GROUPS; g++) {
		if (g < pairs && g < *ngroups) {
			groups[2 * g] = ov[2 * g];
			groups[2 * g + 1] = ov[2 * g + 1];
		} else {
			groups[2 * g] = (size_t)-1;
			groups[2 * g + 1] = (size_t)-1;
		}
	}
	return 1;
}

void
regex_thread_done(void)
{
	pcre2_match_data_free(regex_md);
	regex_md = NULL;
	pcre2_jit_stack_free(regex_jit_stack);
	regex_jit_stack = NULL;
	regex_checked_s = NULL;
	regex_checked_n = 0;
}
