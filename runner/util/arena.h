/* arena: memory that lives as long as its owner (the contract) and is
 * freed at once: a bump allocator for small blocks, plus "adopted" heap
 * objects with their free functions, released in reverse order. Step kinds
 * keep their parsed settings here, so no kind writes a release function. */
#ifndef PARITY_ARENA_H
#define PARITY_ARENA_H
#include <stddef.h>

struct arena_block;
struct arena_owned;

struct arena {
	struct arena_block *blocks;
	struct arena_owned *owned;      /* adopted objects, newest first */
};

void arena_init(struct arena *a);
/* Frees every block and every adopted object (newest first). */
void arena_release(struct arena *a);
/* n zeroed bytes, aligned for any type; owned by the arena. */
void *arena_alloc(struct arena *a, size_t n);
/* A copy of s (NULL for NULL); owned by the arena. */
char *arena_strdup(struct arena *a, const char *s);
/* The arena takes p (NULL is ignored) and calls release(p) at
 * arena_release. Returns p, for chaining. */
void *arena_adopt(struct arena *a, void *p, void (*release)(void *));

#endif
