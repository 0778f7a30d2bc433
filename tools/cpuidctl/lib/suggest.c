// SPDX-License-Identifier: GPL-2.0
/*
 * Closest known name to a misspelt one (see suggest.h).
 */
#include <string.h>

#include "suggest.h"

/* Levenshtein distance, small strings only (names are < 32 chars). */
size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[64], prev, tmp;

	if (la >= 63 || lb >= 63)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = (a[i - 1] | 0x20) != (b[j - 1] | 0x20);
			size_t best = prev + cost;

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

size_t suggest_score(const char *name, const char *cand)
{
	size_t d = edit_distance(name, cand);

	if (d == (size_t)-1)
		return d;
	return d * 2 + (strlen(name) != strlen(cand));
}

int suggest_plausible(const char *name, size_t score)
{
	return score <= 5 && score / 2 < strlen(name) / 2;
}

const char *suggest_word(const char *name, const char *const *words)
{
	size_t best = (size_t)-1, d;
	const char *found = NULL;

	for (; *words; words++) {
		d = suggest_score(name, *words);
		if (d < best) {
			best = d;
			found = *words;
		}
	}
	return found && suggest_plausible(name, best) ? found : NULL;
}
