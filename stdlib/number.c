/*
 * number.c: number formatting and the duration and size units, shared by
 * the scanner, --explain and the command line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

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
