/* arena: bump blocks and adopted objects, freed together. */
#include "util/arena.h"
#include "util/xalloc.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 4096

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	alignas(max_align_t) unsigned char data[];
};

struct arena_owned {
	struct arena_owned *next;
	void *p;
	void (*release)(void *);
};

void arena_init(struct arena *a)
{
	a->blocks = NULL;
	a->owned = NULL;
}

void arena_release(struct arena *a)
{
	while (a->owned) {
		struct arena_owned *o = a->owned;
		a->owned = o->next;
		o->release(o->p);
		free(o);
	}
	while (a->blocks) {
		struct arena_block *b = a->blocks;
		a->blocks = b->next;
		free(b);
	}
}

void *arena_alloc(struct arena *a, size_t n)
{
	size_t align = alignof(max_align_t);
	n = (n + align - 1) / align * align;
	struct arena_block *b = a->blocks;
	if (!b || b->size - b->used < n) {
		size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		b = xmalloc(sizeof *b + size);
		b->used = 0;
		b->size = size;
		b->next = a->blocks;
		a->blocks = b;
	}
	void *p = b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	return memcpy(arena_alloc(a, n), s, n);
}

void *arena_adopt(struct arena *a, void *p, void (*release)(void *))
{
	if (!p)
		return NULL;
	struct arena_owned *o = xmalloc(sizeof *o);
	o->p = p;
	o->release = release;
	o->next = a->owned;
	a->owned = o;
	return p;
}
