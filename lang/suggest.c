/*
 * suggest.c: the nearest known name to an unknown one, by Levenshtein
 * distance with a difference of letter case costing nothing, accepted when
 * it is at most a third of the word's length (and at least 1 edit, at most
 * 3), so "lenght" finds "len" only if nothing closer exists and "x" finds
 * nothing in a list of long names.
 */
#include <ctype.h>
#include <string.h>

#include "suggest.h"

#define SUGGEST_MAX 64

static int
suggest_distance(const char *a, const char *b)
{
	int la = (int)strlen(a), lb = (int)strlen(b);
	int prev[SUGGEST_MAX + 1], cur[SUGGEST_MAX + 1];
	int i, j;

	if (la > SUGGEST_MAX || lb > SUGGEST_MAX)
		return SUGGEST_MAX;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			int cost = tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 1]) ? 0 : 1;
			int best = prev[j - 1] + cost;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			cur[j] = best;
		}
		memcpy(prev, cur, sizeof prev);
	}
	return prev[lb];
}

const char *
suggest(const char *word, const char *const *candidates, int n)
{
	const char *best = NULL;
	int best_d = SUGGEST_MAX, limit, i;

	limit = (int)strlen(word) / 3;
	if (limit < 1)
		limit = 1;
	if (limit > 3)
		limit = 3;
	for (i = 0; i < n; i++) {
		int d;

		if (candidates[i] == NULL || strcmp(candidates[i], word) == 0)
			continue;
		d = suggest_distance(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}
