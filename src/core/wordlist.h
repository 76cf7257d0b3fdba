/* The sysop's list of objectionable words (docs/OPERATIONS.md, [moderation]). Words and the text
 * checked against them are compared in NFKC + casefolded form, word by word: a word is a run of
 * letters, marks, digits and connector punctuation ('_'); everything else separates words. An
 * entry of several words ("darn it") matches those words in a row, whatever separates them.
 *
 * The list owns its entries; wordlist_add copies the word. It is read-only once built, so the
 * core only borrows it. */
#ifndef PARLEY_CORE_WORDLIST_H
#define PARLEY_CORE_WORDLIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct wordlist wordlist_t;

wordlist_t *wordlist_new(void);
/* NULL is a no-op. */
void wordlist_free(wordlist_t *wl);

/* Adds word (NUL-terminated UTF-8). A word with no letters or digits is ignored, a repeat is
 * ignored; both return 0. -EINVAL for invalid UTF-8. */
int wordlist_add(wordlist_t *wl, const char *word);
/* Number of distinct entries. */
size_t wordlist_count(const wordlist_t *wl);

/* Whether any entry occurs in text[0..len) as whole words. Invalid UTF-8 bytes separate words.
 * NULL or empty list: false. */
bool wordlist_match(const wordlist_t *wl, const char *text, size_t len);

#endif
