/* lwbs — region allocator: a list of blocks, bump allocation inside each. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/arena.h"

#define ALIGN 16u

struct block {
	struct block *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	_Alignas(16) unsigned char data[];
};

struct lwbs_arena {
	struct block *head; /* current block first */
	size_t chunk;
	size_t limit;
	size_t handed; /* bytes handed out since the last reset */
};

static struct block *block_new(size_t size)
{
	if (size > SIZE_MAX - sizeof(struct block))
		return NULL;
	struct block *b = malloc(sizeof(*b) + size);
	if (!b)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct lwbs_arena *lwbs_arena_create(size_t chunk)
{
	struct lwbs_arena *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->chunk = chunk ? chunk : 4096;
	return a;
}

void lwbs_arena_destroy(struct lwbs_arena *a)
{
	if (!a)
		return;
	struct block *b = a->head;
	while (b) {
		struct block *n = b->next;
		free(b);
		b = n;
	}
	free(a);
}

void lwbs_arena_reset(struct lwbs_arena *a)
{
	if (!a || !a->head)
		return;
	/* Keep the largest block, free the others. */
	struct block *keep = a->head;
	for (struct block *b = a->head->next; b; b = b->next)
		if (b->size > keep->size)
			keep = b;
	struct block *b = a->head;
	while (b) {
		struct block *n = b->next;
		if (b != keep)
			free(b);
		b = n;
	}
	keep->next = NULL;
	keep->used = 0;
	a->head = keep;
	a->handed = 0;
}

void lwbs_arena_set_limit(struct lwbs_arena *a, size_t limit)
{
	a->limit = limit;
}

size_t lwbs_arena_used(const struct lwbs_arena *a)
{
	return a->handed;
}

void *lwbs_arena_alloc(struct lwbs_arena *a, size_t n)
{
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX / 2)
		return NULL;
	size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (a->limit && (need > a->limit || a->handed > a->limit - need))
		return NULL;
	struct block *b = a->head;
	if (!b || b->size - b->used < need) {
		size_t size = need > a->chunk ? need : a->chunk;
		struct block *nb = block_new(size);
		if (!nb)
			return NULL;
		if (b && need > a->chunk) {
			/* A big one-off: put it behind the current block so the
			 * current block's free space stays usable. */
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			a->head = nb;
		}
		b = nb;
	}
	void *p = b->data + b->used;
	b->used += need;
	a->handed += need;
	memset(p, 0, n);
	return p;
}

void *lwbs_arena_memdup(struct lwbs_arena *a, const void *p, size_t n)
{
	void *d = lwbs_arena_alloc(a, n);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

char *lwbs_arena_strndup(struct lwbs_arena *a, const char *s, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	char *d = lwbs_arena_alloc(a, n + 1);
	if (!d)
		return NULL;
	if (n)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *lwbs_arena_strdup(struct lwbs_arena *a, const char *s)
{
	return lwbs_arena_strndup(a, s, strlen(s));
}
