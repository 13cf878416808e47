/* buf: a growable byte buffer, always NUL-terminated after buf_init. */
#ifndef PARITY_BUF_H
#define PARITY_BUF_H
#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;     /* NUL-terminated; never NULL after buf_init */
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);                       /* len = 0, keeps memory */
void buf_add(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* A place for n more bytes after the contents, for writing in place: write
 * up to n bytes there, then buf_commit the count written. */
char *buf_room(struct buf *b, size_t n);
/* Adds n bytes written at buf_room's place to the contents. */
void buf_commit(struct buf *b, size_t n);
/* Returns the contents, owned by the caller; b is left empty and initialized. */
char *buf_detach(struct buf *b);

#endif
