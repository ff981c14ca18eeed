/*
 * utf8.h: decoding one UTF-8 sequence, strictly (Unicode's table 3-7: no
 * overlong forms, no surrogates, nothing above U+10FFFF).  Shared by the
 * string functions and the JSON writer.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * The sequence at s[0..n) (n >= 1): its length, with *cp set to the code
 * point; or, when it is not well formed, minus the length of its maximal
 * invalid subpart (the bytes that began a sequence before it broke, at
 * least one), with *cp set to U+FFFD.
 */
int utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

#endif
