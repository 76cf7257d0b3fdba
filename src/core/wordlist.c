/* The moderation word list: a uthash set of normalised entries (words joined by one space) and a
 * tokeniser shared by wordlist_add and wordlist_match, so both sides are cut the same way. */
#include "core/wordlist.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>
#include <utf8proc.h>

#include "util/xmalloc.h"

/* What utf8proc_NFKC_Casefold does, for text with a length: IGNORE drops default-ignorable code
 * points (soft hyphen, zero-width space), so they cannot split a word. */
#define FOLD_OPTIONS                                                                               \
    (UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)

struct entry {
    UT_hash_handle hh;
    size_t len;
    char key[]; /* words joined by ' ' */
};

struct wordlist {
    struct entry *set; /* uthash by key */
    size_t max_words;  /* most words in one entry */
};

/* A word of folded text: bytes [off, off + len). */
typedef struct span {
    size_t off, len;
} span_t;

wordlist_t *wordlist_new(void)
{
    return xcalloc(1, sizeof(wordlist_t));
}

void wordlist_free(wordlist_t *wl)
{
    if (wl == NULL)
        return;
    struct entry *e, *tmp;
    HASH_ITER(hh, wl->set, e, tmp)
    {
        HASH_DEL(wl->set, e);
        free(e);
    }
    free(wl);
}

size_t wordlist_count(const wordlist_t *wl)
{
    return wl ? HASH_COUNT(wl->set) : 0;
}

static bool is_word_char(utf8proc_int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
    case UTF8PROC_CATEGORY_PC: return true;
    default: return false;
    }
}

/* NFKC + casefold of text[0..len) into a new NUL-terminated buffer (free() it). Invalid UTF-8:
 * NULL if strict, else those bytes become spaces first, so they separate words instead of hiding
 * the whole text. */
static char *fold(const char *text, size_t len, bool strict, size_t *out_len)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
    char *clean = NULL;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n > 0) {
            i += (size_t)n;
            continue;
        }
        if (strict)
            return NULL;
        if (clean == NULL) {
            clean = xmalloc(len);
            memcpy(clean, text, len);
            p = (const utf8proc_uint8_t *)clean;
        }
        clean[i++] = ' ';
    }
    utf8proc_uint8_t *out = NULL;
    utf8proc_ssize_t n = utf8proc_map(p, (utf8proc_ssize_t)len, &out, FOLD_OPTIONS);
    free(clean);
    if (n < 0) {
        if (n == UTF8PROC_ERROR_NOMEM)
            abort(); /* as xmalloc() does */
        return NULL; /* not expected: the input is valid UTF-8 now */
    }
    *out_len = (size_t)n;
    return (char *)out;
}

/* Cuts folded text s[0..len) into words; returns an array (free() it) of *n spans. */
static span_t *tokenise(const char *s, size_t len, size_t *n)
{
    span_t *v = NULL;
    size_t cnt = 0, cap = 0;
    bool in_word = false;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0) { /* not after fold(); be safe anyway */
            in_word = false;
            i++;
            continue;
        }
        if (is_word_char(cp)) {
            if (!in_word) {
                v = xgrow(v, &cap, cnt, 16, sizeof(*v));
                v[cnt++] = (span_t){i, 0};
                in_word = true;
            }
            v[cnt - 1].len = i + (size_t)k - v[cnt - 1].off;
        } else {
            in_word = false;
        }
        i += (size_t)k;
    }
    *n = cnt;
    return v;
}

/* Writes words w[0..k) of s joined by ' ' to buf (big enough: the words' extent in s); returns
 * the length. */
static size_t join(char *buf, const char *s, const span_t *w, size_t k)
{
    size_t n = 0;
    for (size_t i = 0; i < k; i++) {
        if (i)
            buf[n++] = ' ';
        memcpy(buf + n, s + w[i].off, w[i].len);
        n += w[i].len;
    }
    return n;
}

int wordlist_add(wordlist_t *wl, const char *word)
{
    size_t flen, nw;
    char *f = fold(word, strlen(word), true, &flen);
    if (f == NULL)
        return -EINVAL;
    span_t *w = tokenise(f, flen, &nw);
    if (nw > 0) {
        struct entry *e = xmalloc(sizeof(*e) + flen + 1);
        e->len = join(e->key, f, w, nw);
        e->key[e->len] = '\0';
        struct entry *old = NULL;
        HASH_FIND(hh, wl->set, e->key, e->len, old);
        if (old) {
            free(e);
        } else {
            HASH_ADD_KEYPTR(hh, wl->set, e->key, e->len, e);
            if (nw > wl->max_words)
                wl->max_words = nw;
        }
    }
    free(w);
    free(f);
    return 0;
}

static bool find(const wordlist_t *wl, const char *key, size_t len)
{
    struct entry *e = NULL;
    HASH_FIND(hh, wl->set, key, len, e);
    return e != NULL;
}

bool wordlist_match(const wordlist_t *wl, const char *text, size_t len)
{
    if (wl == NULL || wl->set == NULL || text == NULL || len == 0)
        return false;
    size_t flen, nw;
    char *f = fold(text, len, false, &flen);
    if (f == NULL)
        return false;
    span_t *w = tokenise(f, flen, &nw);
    char *buf = wl->max_words > 1 ? xmalloc(flen + 1) : NULL;
    bool hit = false;
    for (size_t i = 0; i < nw && !hit; i++) {
        hit = find(wl, f + w[i].off, w[i].len);
        for (size_t k = 2; k <= wl->max_words && i + k <= nw && !hit; k++)
            hit = find(wl, buf, join(buf, f, w + i, k));
    }
    free(buf);
    free(w);
    free(f);
    return hit;
}
