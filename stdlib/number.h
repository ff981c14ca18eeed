/*
 * number.h: how numbers, durations and sizes are written as text.
 */
#ifndef NUMBER_H
#define NUMBER_H

#include <stddef.h>
#include <stdint.h>

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
