/* lwbs — region allocator.
 *
 * Codecs allocate only from the arena they are handed; everything allocated
 * from an arena lives until lwbs_arena_reset() or lwbs_arena_destroy().
 * An arena may carry a byte limit so that hostile input cannot make a
 * decoder allocate without bound (allocation then fails with NULL).
 */
#ifndef LWBS_ARENA_H
#define LWBS_ARENA_H

#include <stddef.h>

struct lwbs_arena;

/* chunk: size of each backing block (0 = 4096). Caller owns the result;
 * NULL on allocation failure. */
struct lwbs_arena *lwbs_arena_create(size_t chunk);
/* Frees every block. NULL-safe. */
void lwbs_arena_destroy(struct lwbs_arena *a);
/* Forgets every allocation; keeps the first block for reuse. */
void lwbs_arena_reset(struct lwbs_arena *a);
/* Total bytes the arena may hand out (0 = unlimited). */
void lwbs_arena_set_limit(struct lwbs_arena *a, size_t limit);
/* Bytes handed out since creation or the last reset. */
size_t lwbs_arena_used(const struct lwbs_arena *a);

/* Returns n bytes aligned to 16, zeroed; NULL on failure or limit. */
void *lwbs_arena_alloc(struct lwbs_arena *a, size_t n);
/* Copies n bytes (n may be 0: returns a valid non-NULL pointer). */
void *lwbs_arena_memdup(struct lwbs_arena *a, const void *p, size_t n);
/* Copies n bytes and appends a NUL. */
char *lwbs_arena_strndup(struct lwbs_arena *a, const char *s, size_t n);
char *lwbs_arena_strdup(struct lwbs_arena *a, const char *s);

#endif
