/*
 * report.c: sending events to the caller's callback (see report.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "report.h"

void
report(const struct reporter *r, const struct report *rp)
{
	if (r != NULL && r->report != NULL)
		r->report(r->arg, rp);
}

void
report_text(const struct reporter *r, enum report_kind kind, const char *fmt, ...)
{
	struct report rp = { .kind = kind };
	char buf[1024], *text = buf;
	va_list ap;
	int n;

	if (r == NULL || r->report == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof buf) {
		/* Rare: a long path or record.  Not xmalloc: a message that
		 * cannot be built in full is sent cut short. */
		char *big = malloc((size_t)n + 1);
		if (big != NULL) {
			va_start(ap, fmt);
			vsnprintf(big, (size_t)n + 1, fmt, ap);
			va_end(ap);
			text = big;
		}
	}
	rp.text = text;
	r->report(r->arg, &rp);
	if (text != buf)
		free(text);
}
