/*
 * fn_time.c: now, batchTime, strftime and parseTime.  Times are epoch
 * milliseconds (int64).
 *
 * Text is made by strftime(3) and read by strptime(3), in UTC unless a
 * zone is given.  A zone is "UTC" (or "Z", "GMT"), a fixed offset
 * ("+02:00", "-0530", "+01"), or a tz database name ("Europe/Paris"),
 * which must exist under $TZDIR or /usr/share/zoneinfo; anything else is
 * a record error.  libc converts in a named zone only through the TZ
 * variable, so that case takes time_tz_lock, sets TZ, calls tzset() and
 * localtime_r() or mktime(), and puts TZ back: glibc reloads the zone's
 * rules only when TZ changed since its last load, so a run of records in
 * one zone reads its file once.  The rest of streamjob must not use local
 * time (localtime, mktime) unlocked -- it has no reason to.
 *
 * Both functions take %L for milliseconds (three digits, as Ruby's
 * strftime); parseTime reads one to nine digits of a fraction there.  %s
 * (epoch seconds) is done here in both, since libc's reads local time.
 */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "arena.h"
#include "fn.h"
#include "xmalloc.h"

#define TIME_ZONE_MAX 128

static pthread_mutex_t time_tz_lock = PTHREAD_MUTEX_INITIALIZER;

/* Under time_tz_lock: the last zone name found valid (a cache for stat). */
static char time_tz_checked[TIME_ZONE_MAX];

/* ---- now, batchTime ---- */

/* now(): ctx->now when the runtime pins it (tests, replays), else the clock. */
int
fn_now(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct timespec ts;

	(void)args;
	(void)nargs;
	if (ctx->now != 0) {
		*out = value_int(ctx->now);
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	*out = value_int((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	return 0;
}

int
fn_batchTime(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	(void)args;
	(void)nargs;
	*out = value_int(ctx->batch_time);
	return 0;
}

/* ---- zones ---- */

enum time_zone_kind {
	TZ_UTC,
	TZ_OFFSET,
	TZ_NAMED,
};

struct time_zone {
	enum time_zone_kind kind;
	long offset;			/* TZ_OFFSET: seconds east of UTC */
	char name[TIME_ZONE_MAX];	/* TZ_NAMED, NUL-terminated */
	char abbr[8];			/* TZ_OFFSET: "+0200" for %Z */
};

/* "+HH", "+HHMM" or "+HH:MM" (or '-'): 1 and the offset in seconds. */
static int
time_parse_offset(const char *s, size_t n, long *off)
{
	int h, m = 0;

	if (n < 3 || (s[0] != '+' && s[0] != '-'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] < '0' || s[i] > '9') && !(i == 3 && s[i] == ':' && n == 6))
			return 0;
	h = (s[1] - '0') * 10 + (s[2] - '0');
	if (n == 5)
		m = (s[3] - '0') * 10 + (s[4] - '0');
	else if (n == 6)
		m = (s[4] - '0') * 10 + (s[5] - '0');
	else if (n != 3)
		return 0;
	if (h > 23 || m > 59)
		return 0;
	*off = (s[0] == '-' ? -1 : 1) * (h * 3600L + m * 60L);
	return 1;
}

/*
 * Whether a tz database name is safe to put in TZ and names a zone file:
 * letters, digits, "_+-/", no empty, "." or ".." component, not absolute.
 */
static int
time_zone_exists(const char *name)
{
	const char *dir = getenv("TZDIR");
	char path[PATH_MAX];
	struct stat st;
	const char *p;

	if (name[0] == '/' || name[0] == '\0')
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '+' || *p == '-' ||
		    *p == '/' || *p == '.'))
			return 0;
		if ((p == name || p[-1] == '/') && (*p == '.' || *p == '/'))
			return 0;
	}
	if (p[-1] == '/')
		return 0;
	if (dir == NULL || dir[0] == '\0')
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return 0;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The zone argument (args[i] when there is one): 0, or -1 and an error. */
static int
time_zone_arg(struct eval_ctx *ctx, const char *fname, const struct value *args, int nargs,
    int i, struct time_zone *tz)
{
	struct value z;
	int ok;

	tz->kind = TZ_UTC;
	if (nargs <= i || args[i].type == VT_NULL)
		return 0;
	z = args[i];
	if (z.type != VT_STR)
		return fn_type_error(ctx, fname, "a string as the time zone", z);
	if ((z.n == 3 && (memcmp(z.u.s, "UTC", 3) == 0 || memcmp(z.u.s, "GMT", 3) == 0)) ||
	    (z.n == 1 && z.u.s[0] == 'Z'))
		return 0;
	if (time_parse_offset(z.u.s, z.n, &tz->offset)) {
		long a = tz->offset < 0 ? -tz->offset : tz->offset;
		tz->kind = TZ_OFFSET;
		snprintf(tz->abbr, sizeof tz->abbr, "%c%02ld%02ld", tz->offset < 0 ? '-' : '+',
		    a / 3600 % 100, a / 60 % 60);
		return 0;
	}
	if (z.n == 0 || z.n >= sizeof tz->name || memchr(z.u.s, '\0', z.n) != NULL)
		goto unknown;
	memcpy(tz->name, z.u.s, z.n);
	tz->name[z.n] = '\0';
	tz->kind = TZ_NAMED;
	pthread_mutex_lock(&time_tz_lock);
	ok = strcmp(time_tz_checked, tz->name) == 0;
	if (!ok && time_zone_exists(tz->name)) {
		ok = 1;
		memcpy(time_tz_checked, tz->name, z.n + 1);
	}
	pthread_mutex_unlock(&time_tz_lock);
	if (ok)
		return 0;
unknown:
	/* fn_describe(z) is `string "..."`: keep the quoted part. */
	return builtin_error(ctx, "%s: unknown time zone %s (use a name such as "
	    "\"Europe/Paris\", \"UTC\" or an offset such as \"+02:00\")",
	    fname, fn_describe(ctx, z) + strlen("string "));
}

/*
 * Run f under time_tz_lock with TZ set to the zone, then put TZ back as
 * it was.  Only tzset() is called, so glibc's cached rules stay those of
 * the zone: they are reloaded when another zone is asked for.
 */
static void
time_in_zone(const struct time_zone *tz, void (*f)(void *), void *arg)
{
	const char *old;
	char *saved = NULL;

	pthread_mutex_lock(&time_tz_lock);
	old = getenv("TZ");
	if (old != NULL)
		saved = xstrdup(old);
	setenv("TZ", tz->name, 1);
	tzset();
	f(arg);
	if (saved != NULL) {
		setenv("TZ", saved, 1);
		free(saved);
	} else
		unsetenv("TZ");
	pthread_mutex_unlock(&time_tz_lock);
}

struct time_call {
	time_t t;
	struct tm tm;
	int ok;
};

static void
time_localtime(void *arg)
{
	struct time_call *c = arg;

	c->ok = localtime_r(&c->t, &c->tm) != NULL;
}

static void
time_mktime(void *arg)
{
	struct time_call *c = arg;

	c->tm.tm_isdst = -1;
	c->t = mktime(&c->tm);
}

/* ---- strftime ---- */

/* Floor division, so -1 ms is 1969-12-31 23:59:59.999. */
static int64_t
time_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/*
 * fmt with every %L replaced by the three digits of ms and every %s by
 * the epoch seconds (libc's %s would read the tm as local time), other
 * %-sequences kept for strftime, NUL-terminated, in the arena.
 */
static char *
time_expand(struct eval_ctx *ctx, const char *fmt, size_t n, int64_t secs, int ms)
{
	char *out = arena_alloc(ctx->arena, 11 * n + 1), *w = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (fmt[i] == '%' && i + 1 < n && fmt[i + 1] == 'L') {
			w += sprintf(w, "%03d", ms);
			i++;
		} else if (fmt[i] == '%' && i + 1 < n && fmt[i + 1] == 's') {
			w += sprintf(w, "%lld", (long long)secs);
			i++;
		} else if (fmt[i] == '%' && i + 1 < n) {
			*w++ = fmt[i++];
			*w++ = fmt[i];
		} else
			*w++ = fmt[i];
	}
	*w = '\0';
	return out;
}

/*
 * strftime(ms, fmt [, tz]): epoch ms as strftime(3) writes it, in UTC
 * (where %Z is "UTC") unless a zone is given; %L is the milliseconds.
 * ms may be a double (it is floored to a millisecond).  A null ms or fmt
 * gives null; a null tz is UTC.
 */
int
fn_strftime(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct time_zone tz;
	struct time_call c;
	int64_t ms, secs;
	char small[256], *buf = small, *fmt;
	size_t cap = sizeof small, len;

	*out = value_null();
	if (args[0].type == VT_NULL || args[1].type == VT_NULL)
		return 0;
	if (args[0].type == VT_FLOAT) {
		double d = floor(args[0].u.d);
		if (!(d >= -9.2e18 && d <= 9.2e18))
			return fn_type_error(ctx, "strftime", "a number of epoch ms", args[0]);
		ms = (int64_t)d;
	} else if (args[0].type == VT_INT)
		ms = args[0].u.i;
	else
		return fn_type_error(ctx, "strftime", "a number of epoch ms", args[0]);
	if (args[1].type != VT_STR)
		return fn_type_error(ctx, "strftime", "a string as the format", args[1]);
	if (time_zone_arg(ctx, "strftime", args, nargs, 2, &tz) != 0)
		return -1;
	secs = time_floor_div(ms, 1000);
	c.t = (time_t)secs;
	memset(&c.tm, 0, sizeof c.tm);
	if (tz.kind == TZ_NAMED)
		time_in_zone(&tz, time_localtime, &c);
	else {
		if (tz.kind == TZ_OFFSET)
			c.t += tz.offset;
		c.ok = gmtime_r(&c.t, &c.tm) != NULL;
		c.tm.tm_gmtoff = tz.kind == TZ_OFFSET ? tz.offset : 0;
		c.tm.tm_zone = tz.kind == TZ_OFFSET ? tz.abbr : "UTC";
	}
	if (!c.ok)
		return builtin_error(ctx, "strftime: %lld ms is out of range", (long long)ms);
	fmt = time_expand(ctx, fn_bytes(args[1]), args[1].n, secs, (int)(ms - secs * 1000));
	if (fmt[0] == '\0') {
		*out = value_str("", 0);
		return 0;
	}
	/* 0 means "did not fit" or an empty result; stop growing at 64 KiB. */
	for (;;) {
		len = strftime(buf, cap, fmt, &c.tm);
		if (len > 0 || cap >= 65536)
			break;
		if (buf != small)
			free(buf);
		cap *= 2;
		buf = malloc(cap);
		if (buf == NULL)
			break;
	}
	*out = value_str_copy(ctx->arena, buf != NULL ? buf : "", buf != NULL ? len : 0);
	if (buf != small)
		free(buf);
	return 0;
}

/* ---- parseTime ---- */

/* What time_scan read besides the struct tm. */
struct time_extra {
	int ms;			/* %L */
	int has_epoch;		/* %s was read: epoch wins over the tm */
	int64_t epoch;
};

/* A %L or %s at fmt[i]: the letter, or 0. */
static char
time_own_conv(const char *fmt, size_t fn, size_t i)
{
	if (fmt[i] == '%' && i + 1 < fn && (fmt[i + 1] == 'L' || fmt[i + 1] == 's'))
		return fmt[i + 1];
	return 0;
}

/* Read %L (1 to 9 digits of a fraction) or %s (epoch seconds) at *sp. */
static int
time_scan_own(const char **sp, char conv, struct time_extra *x)
{
	const char *s = *sp;
	int digits = 0, neg = 0;

	if (conv == 'L') {
		for (x->ms = 0; *s >= '0' && *s <= '9' && digits < 9; s++, digits++)
			if (digits < 3)
				x->ms = x->ms * 10 + (*s - '0');
		for (int d = digits; d > 0 && d < 3; d++)
			x->ms *= 10;
	} else {
		if (*s == '-' || *s == '+')
			neg = *s++ == '-';
		for (x->epoch = 0; *s >= '0' && *s <= '9' && digits < 15; s++, digits++)
			x->epoch = x->epoch * 10 + (*s - '0');
		if (neg)
			x->epoch = -x->epoch;
		x->has_epoch = 1;
	}
	*sp = s;
	return digits > 0;
}

/*
 * Read s by fmt with strptime(3), reading %L and %s between strptime's
 * pieces.  Returns 1 when all of s but trailing white space was read.
 */
static int
time_scan(struct eval_ctx *ctx, const char *s, const char *fmt, size_t fn, struct tm *tm,
    struct time_extra *x)
{
	char *piece = arena_alloc(ctx->arena, fn + 1);
	size_t i = 0, k;

	while (i <= fn) {
		/* The next piece of fmt, up to a %L, a %s or the end. */
		k = 0;
		while (i < fn && time_own_conv(fmt, fn, i) == 0) {
			if (fmt[i] == '%' && i + 1 < fn)
				piece[k++] = fmt[i++];
			piece[k++] = fmt[i++];
		}
		piece[k] = '\0';
		if (k > 0 && (s = strptime(s, piece, tm)) == NULL)
			return 0;
		if (i >= fn)
			break;
		if (!time_scan_own(&s, fmt[i + 1], x))
			return 0;
		i += 2;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return *s == '\0';
}

static int
time_is_leap(long long year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/*
 * Whether the fields strptime(3) left in tm name a time that exists.
 * strptime checks each field alone (a day from 1 to 31, a second up to
 * 61), and timegm would carry an impossible date into the next month;
 * so here the day must exist in its month and year (February 29 only in
 * a leap year, and in 1970 when the format reads no year), the second is
 * at most 59 (epoch time has no leap seconds), and an offset read by %z
 * is less than a day, as a zone argument is.  Day-of-year and week
 * numbers are turned into a month and day by strptime; one past the
 * year's end shows here as a month out of range.
 */
static int
time_tm_valid(const struct tm *tm)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	long long year = (long long)tm->tm_year + 1900;

	if (tm->tm_mon < 0 || tm->tm_mon > 11 || tm->tm_mday < 1 ||
	    tm->tm_mday > days[tm->tm_mon] + (tm->tm_mon == 1 && time_is_leap(year)))
		return 0;
	if (tm->tm_hour < 0 || tm->tm_hour > 23 || tm->tm_min < 0 || tm->tm_min > 59 ||
	    tm->tm_sec < 0 || tm->tm_sec > 59)
		return 0;
	if (tm->tm_gmtoff != LONG_MIN && (tm->tm_gmtoff <= -86400 || tm->tm_gmtoff >= 86400))
		return 0;
	return 1;
}

/*
 * parseTime(s, fmt [, tz]): the epoch ms of s read by strptime(3) with
 * fmt, in UTC unless a zone is given; an offset read by %z wins over the
 * zone, and %s (epoch seconds) over both.  Fields fmt does not read are
 * those of 1970-01-01 00:00:00, so "%H:%M" gives a time of that day.
 * null when s does not match fmt all the way (trailing blanks aside),
 * when it names a time that does not exist (time_tm_valid), or when s or
 * fmt is null.  In a named
 * zone, a local time that a DST change skips or repeats is resolved as
 * mktime(3) does.
 */
int
fn_parseTime(struct eval_ctx *ctx, const struct value *args, int nargs, struct value *out)
{
	struct time_zone tz;
	struct time_call c;
	struct time_extra x = { 0, 0, 0 };
	char *s;
	int64_t t;

	*out = value_null();
	if (args[0].type == VT_NULL || args[1].type == VT_NULL)
		return 0;
	if (args[0].type != VT_STR)
		return fn_type_error(ctx, "parseTime", "a string", args[0]);
	if (args[1].type != VT_STR)
		return fn_type_error(ctx, "parseTime", "a string as the format", args[1]);
	if (time_zone_arg(ctx, "parseTime", args, nargs, 2, &tz) != 0)
		return -1;
	if (memchr(fn_bytes(args[0]), '\0', args[0].n) != NULL)
		return 0;
	s = arena_strndup(ctx->arena, fn_bytes(args[0]), args[0].n);
	memset(&c.tm, 0, sizeof c.tm);
	c.tm.tm_year = 70;
	c.tm.tm_mday = 1;
	c.tm.tm_gmtoff = LONG_MIN;	/* changed only by %z */
	if (!time_scan(ctx, s, fn_bytes(args[1]), args[1].n, &c.tm, &x) || !time_tm_valid(&c.tm))
		return 0;
	if (x.has_epoch)
		t = x.epoch;
	else if (c.tm.tm_gmtoff != LONG_MIN) {
		long off = c.tm.tm_gmtoff;
		c.tm.tm_gmtoff = 0;
		t = (int64_t)timegm(&c.tm) - off;
	} else if (tz.kind == TZ_NAMED) {
		time_in_zone(&tz, time_mktime, &c);
		t = (int64_t)c.t;
	} else {
		c.tm.tm_gmtoff = 0;
		t = (int64_t)timegm(&c.tm) - (tz.kind == TZ_OFFSET ? tz.offset : 0);
	}
	if (__builtin_mul_overflow(t, 1000, &t) || __builtin_add_overflow(t, x.ms, &t))
		return 0;
	*out = value_int(t);
	return 0;
}
