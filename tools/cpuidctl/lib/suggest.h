/* SPDX-License-Identifier: GPL-2.0 */
/*
 * "Did you mean" for every name cpuidctl knows (features, profile
 * directives): one distance, one threshold, one phrasing.
 */
#ifndef CPUIDCTL_SUGGEST_H
#define CPUIDCTL_SUGGEST_H

#include <stddef.h>

/* Case-insensitive edit distance; (size_t)-1 for words of 63 or more. */
size_t edit_distance(const char *a, const char *b);

/*
 * Score of @cand as a correction of @name: twice the distance, plus one
 * if the lengths differ (at equal distance a typo beats a missing letter).
 */
size_t suggest_score(const char *name, const char *cand);

/* Whether a best score is a plausible typo of @name: at most 2 edits, and not most of the word. */
int suggest_plausible(const char *name, size_t score);

/* The plausible closest of the NULL-terminated @words, or NULL. */
const char *suggest_word(const char *name, const char *const *words);

#endif
