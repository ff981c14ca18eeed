/*
 * json.h: reading JSON text (RFC 8259) into values, for json().
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>

#include "value.h"

struct arena;

/* How deeply arrays and objects may nest before the text is refused. */
#define JSON_DEPTH_MAX 2048

/*
 * The value the JSON text s[0..n) holds -- any JSON value, with blanks
 * around it -- built in the arena: objects become maps in their text's
 * key order (a key given twice keeps the place of its first entry and
 * the value of its last), arrays lists, strings the bytes they stand for
 * (\u0000 included), numbers as number_read reads them (an integer beyond
 * int64 is a double, 1e999 is inf).  Returns 0, or -1 when the text is
 * not JSON: bad syntax, bytes that are not UTF-8, a lone surrogate
 * escape, or nesting deeper than JSON_DEPTH_MAX.
 */
int json_decode(struct arena *, const char *s, size_t n, struct value *out);

#endif
