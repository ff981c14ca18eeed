/*
 * number.c: reading numbers from text, number formatting, and the
 * duration and size units, shared by the scanner, --explain, the command
 * line and the functions that read data (num, json).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"
#include "xmalloc.h"

static int
number_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The grammar is checked here, so strtod only ever sees a plain decimal
 * number (never its hex, "inf" or "nan" forms, nor leading blanks); the
 * integer is accumulated with an overflow check, never clamped.
 */
enum number_kind
number_read(const char *s, size_t n, struct number *out)
{
	const char *p = s, *end = s + n;
	char buf[64], *tmp = buf;
	int integral = 1, digits = 0, neg = 0;
	uint64_t u = 0, lim;

	memset(out, 0, sizeof *out);
	if (p < end && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	for (; p < end && number_is_digit(*p); p++)
		digits++;
	if (p < end && *p == '.') {
		integral = 0;
		for (p++; p < end && number_is_digit(*p); p++)
			digits++;
	}
	if (digits == 0)
		return NUMBER_NONE;
	if (p < end && (*p == 'e' || *p == 'E')) {
		integral = 0;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !number_is_digit(*p))
			return NUMBER_NONE;
		while (p < end && number_is_digit(*p))
			p++;
	}
	if (p != end)
		return NUMBER_NONE;
	if (integral) {
		lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		for (p = s + (*s == '+' || *s == '-'); p < end; p++) {
			unsigned dg = (unsigned)(*p - '0');
			if (u > (lim - dg) / 10)
				break;
			u = u * 10 + dg;
		}
		if (p == end) {
			out->kind = NUMBER_INT;
			if (!neg)
				out->i = (int64_t)u;
			else if (u == (uint64_t)INT64_MAX + 1)
				out->i = INT64_MIN;
			else
				out->i = -(int64_t)u;
			return NUMBER_INT;
		}
		out->range = 1;	/* too big for an integer: the nearest double */
	}
	if (n >= sizeof buf)
		tmp = xstrndup(s, n);
	else {
		memcpy(buf, s, n);
		buf[n] = '\0';
	}
	out->kind = NUMBER_FLOAT;
	out->d = strtod(tmp, NULL);
	if (tmp != buf)
		free(tmp);
	if (isinf(out->d))
		out->range = 1;
	return NUMBER_FLOAT;
}

/*
 * Python's repr rules: the fewest significant digits that read back as
 * the same double; plain notation for exponents from -4 to 15, else
 * d.ddde+XX; a plain number always shows a '.'.
 */
size_t
number_format_double(char *buf, double d)
{
	char digits[32], *p = digits, *e;
	int prec, exp, ndig, n = 0;
	size_t len;

	if (isnan(d))
		return (size_t)snprintf(buf, 32, "nan");
	if (isinf(d))
		return (size_t)snprintf(buf, 32, d < 0 ? "-inf" : "inf");
	for (prec = 1; prec <= 17; prec++) {
		snprintf(digits, sizeof digits, "%.*e", prec - 1, d);
		if (strtod(digits, NULL) == d)
			break;
	}
	/* digits is now [-]D[.DDD]e[+-]XX */
	if (*p == '-') {
		buf[n++] = '-';
		p++;
	}
	e = strchr(p, 'e');
	exp = atoi(e + 1);
	ndig = 0;
	char mant[24];
	for (char *q = p; q < e; q++)
		if (*q != '.')
			mant[ndig++] = *q;
	while (ndig > 1 && mant[ndig - 1] == '0')
		ndig--;
	if (exp < -4 || exp >= 16) {
		buf[n++] = mant[0];
		if (ndig > 1) {
			buf[n++] = '.';
			memcpy(buf + n, mant + 1, (size_t)ndig - 1);
			n += ndig - 1;
		}
		n += snprintf(buf + n, 16, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
		return (size_t)n;
	}
	if (exp < 0) {
		buf[n++] = '0';
		buf[n++] = '.';
		for (int i = 0; i < -exp - 1; i++)
			buf[n++] = '0';
		memcpy(buf + n, mant, (size_t)ndig);
		n += ndig;
	} else {
		for (int i = 0; i <= exp; i++)
			buf[n++] = i < ndig ? mant[i] : '0';
		buf[n++] = '.';
		if (ndig > exp + 1) {
			memcpy(buf + n, mant + exp + 1, (size_t)(ndig - exp - 1));
			n += ndig - exp - 1;
		} else
			buf[n++] = '0';
	}
	buf[n] = '\0';
	len = (size_t)n;
	return len;
}

static const struct {
	const char *name;
	double factor;
} number_durations[] = {
	{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 },
}, number_sizes[] = {
	{ "TiB", 1099511627776.0 }, { "GiB", 1073741824.0 }, { "MiB", 1048576.0 },
	{ "KiB", 1024.0 }, { "B", 1 },
};

void
number_format_duration(char *buf, size_t size, int64_t ms)
{
	size_t i;

	for (i = 0; i < sizeof number_durations / sizeof number_durations[0]; i++) {
		int64_t f = (int64_t)number_durations[i].factor;
		if (ms != 0 && ms % f == 0) {
			snprintf(buf, size, "%lld%s", (long long)(ms / f), number_durations[i].name);
			return;
		}
	}
	snprintf(buf, size, "%lldms", (long long)ms);
}

void
number_format_size(char *buf, size_t size, int64_t bytes)
{
	size_t i;

	for (i = 0; i < sizeof number_sizes / sizeof number_sizes[0]; i++) {
		int64_t f = (int64_t)number_sizes[i].factor;
		if (bytes != 0 && bytes % f == 0) {
			snprintf(buf, size, "%lld%s", (long long)(bytes / f), number_sizes[i].name);
			return;
		}
	}
	snprintf(buf, size, "%lldB", (long long)bytes);
}

static int
number_parse_unit(const char *s, int64_t *out, const void *units, size_t nunits)
{
	const struct { const char *name; double factor; } *u = units;
	char *end;
	double v;
	size_t i;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtod(s, &end);
	if (end == s)
		return -1;
	for (i = 0; i < nunits; i++) {
		if (strcmp(end, u[i].name) == 0) {
			v *= u[i].factor;
			if (!(v < 9.2e18) || v != floor(v))
				return -1;
			*out = (int64_t)v;
			return 0;
		}
	}
	return -1;
}

int
number_parse_duration(const char *s, int64_t *ms)
{
	return number_parse_unit(s, ms, number_durations,
	    sizeof number_durations / sizeof number_durations[0]);
}

int
number_parse_size(const char *s, int64_t *bytes)
{
	return number_parse_unit(s, bytes, number_sizes,
	    sizeof number_sizes / sizeof number_sizes[0]);
}
