/* Intrusive circular doubly-linked list (the Linux/libuv queue idea). A list head is a list_t whose
 * next/prev point at itself when empty; an element embeds a list_t and is recovered with
 * list_entry(). Removal is O(1) from any element. Nothing here allocates. */
#ifndef PARLEY_UTIL_LIST_H
#define PARLEY_UTIL_LIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct list {
    struct list *next;
    struct list *prev;
} list_t;

#define list_entry(ptr, type, field) ((type *)((char *)(ptr)-offsetof(type, field)))

static inline void list_init(list_t *h)
{
    h->next = h->prev = h;
}

static inline bool list_empty(const list_t *h)
{
    return h->next == h;
}

/* Inserts n before pos (at the tail when pos is the head). */
static inline void list_insert_before(list_t *pos, list_t *n)
{
    n->prev = pos->prev;
    n->next = pos;
    pos->prev->next = n;
    pos->prev = n;
}

static inline void list_push_back(list_t *h, list_t *n)
{
    list_insert_before(h, n);
}

static inline void list_push_front(list_t *h, list_t *n)
{
    list_insert_before(h->next, n);
}

/* Unlinks n and re-initialises it, so removing twice is harmless. */
static inline void list_remove(list_t *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = n;
}

static inline bool list_linked(const list_t *n)
{
    return n->next != n;
}

#define list_foreach(it, h) for (list_t *it = (h)->next; it != (h); it = it->next)
/* Safe against removal of the current element. */
#define list_foreach_safe(it, tmp, h)                                                              \
    for (list_t *it = (h)->next, *tmp = it->next; it != (h); it = tmp, tmp = it->next)

#endif
