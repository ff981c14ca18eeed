/*
 * number.h: how numbers, durations and sizes are written as text.
 */
#ifndef NUMBER_H
#define NUMBER_H

#include <stddef.h>
#include <stdint.h>

/*
 * What number_read found.  An integral text ([+-]digits) that fits int64
 * is NUMBER_INT; any other decimal number is NUMBER_FLOAT, the double
 * nearest to it -- so an integer beyond int64 is a double, and a number
 * beyond a double's range is an infinity.  range says that happened: the
 * text is a number, but not one a script could write as a literal.
 */
enum number_kind { NUMBER_NONE, NUMBER_INT, NUMBER_FLOAT };

struct number {
	enum number_kind kind;
	int range;		/* an integer beyond int64, or a double that overflowed */
	int64_t i;		/* NUMBER_INT */
	double d;		/* NUMBER_FLOAT */
};

/*
 * Read s[0..n) whole as a decimal number: [+-] then digits with an
 * optional '.' (digits on at least one side of it), then an optional
 * exponent e[+-]digits.  No blanks, no hex, no "inf" or "nan": anything
 * else is NUMBER_NONE.  The one reading of numbers in data (num, json)
 * and in NAME=VALUE parameters.
 */
enum number_kind number_read(const char *s, size_t n, struct number *out);

/*
 * The shortest text that reads back as the same double, always with a '.'
 * or an exponent ("3.0", "0.1", "1e+20"); "nan", "inf", "-inf" otherwise.
 * buf needs 32 bytes.  Returns the length.
 */
size_t number_format_double(char *buf, double);

/* A duration in ms as script text in its largest exact unit: "2s", "250ms". */
void number_format_duration(char *buf, size_t size, int64_t ms);

/* A size in bytes as script text in its largest exact unit: "64MiB". */
void number_format_size(char *buf, size_t size, int64_t bytes);

/*
 * Parse "2s", "1.5m", "250ms" into milliseconds, or "64MiB" into bytes.
 * Return 0 on success, -1 when the text is not one.
 */
int number_parse_duration(const char *, int64_t *ms);
int number_parse_size(const char *, int64_t *bytes);

#endif
