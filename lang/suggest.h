/*
 * suggest.h: "did you mean" for unknown names.
 */
#ifndef SUGGEST_H
#define SUGGEST_H

/*
 * The candidate nearest to word by edit distance (letter case counts
 * little), or NULL when none is near enough to be a likely typo.
 */
const char *suggest(const char *word, const char *const *candidates, int n);

#endif
