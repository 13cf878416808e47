/* diag: compiler-style diagnostics with the source line and a caret. */
#include "util/diag.h"

#include "util/xalloc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIAG_KEEP 4096          /* messages kept for sorting; errors are counted past it */

struct diag_entry {
	int order;
	bool error;
	char *text;             /* the rendered message with its quoted line */
};

void diag_init(struct diag *d)
{
	memset(d, 0, sizeof *d);
	buf_init(&d->text);
}

void diag_release(struct diag *d)
{
	for (size_t i = 0; i < d->n_entries; i++)
		free(d->entries[i].text);
	free(d->entries);
	buf_release(&d->text);
}

void diag_order(struct diag *d, int key)
{
	d->order = key;
}

const char *diag_line(const struct source *src, int line, size_t *len)
{
	const char *p = src->text, *end = src->text + src->len;
	for (int l = 1; l < line; l++) {
		while (p < end && *p != '\n' && *p != '\r')
			p++;
		if (p == end)
			return NULL;
		p += (p[0] == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
	}
	size_t n = 0;
	while (p + n < end && p[n] != '\n' && p[n] != '\r')
		n++;
	*len = n;
	return p;
}

/* Longest line quoted whole, and the window shown of a longer one around
 * the caret, in characters (UTF-8 code points; col counts them too). */
#define QUOTE_WHOLE 200
#define QUOTE_BEFORE 60
#define QUOTE_WIDTH 160

/* Bytes of the first k characters of p[0..n). */
static size_t char_bytes(const char *p, size_t n, size_t k)
{
	size_t i = 0;
	while (i < n && k > 0) {
		i++;
		while (i < n && ((unsigned char)p[i] & 0xC0) == 0x80)
			i++;
		k--;
	}
	return i;
}

static size_t char_count(const char *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)p[i] & 0xC0) != 0x80;
	return k;
}

/* The source line under a message, and a caret under column m->col. A
 * long line is cut to a window around the caret, each cut end marked "…". */
static void quote_line(struct buf *b, const struct mark *m)
{
	size_t n;
	if (!m || !m->src || m->line < 1)
		return;
	const char *p = diag_line(m->src, m->line, &n);
	if (!p)
		return;
	size_t chars = char_count(p, n), caret = m->col > 1 ? (size_t)m->col - 1 : 0;
	size_t from = 0, to = chars;
	if (chars > QUOTE_WHOLE) {
		from = caret > QUOTE_BEFORE ? caret - QUOTE_BEFORE : 0;
		if (from + QUOTE_WIDTH > chars)
			from = chars > QUOTE_WIDTH ? chars - QUOTE_WIDTH : 0;
		to = from + QUOTE_WIDTH;
	}
	size_t start = char_bytes(p, n, from), end = start + char_bytes(p + start, n - start, to - from);
	char num[16];
	int w = snprintf(num, sizeof num, "%d", m->line);
	buf_printf(b, " %s | %s", num, from > 0 ? "…" : "");
	/* tabs are kept so that the caret lines up under them; a NUL would end the text */
	for (size_t i = start; i < end; i++)
		buf_putc(b, p[i] ? p[i] : ' ');
	buf_printf(b, "%s\n %*s | %s", to < chars ? "…" : "", w, "", from > 0 ? " " : "");
	size_t at = start;
	for (size_t c = from; c < caret && c < to; c++) {
		buf_putc(b, p[at] == '\t' ? '\t' : ' ');
		at += char_bytes(p + at, end - at, 1);
	}
	buf_puts(b, "^\n");
}

/* d->text from the entries: every warning, and errors up to DIAG_LIMIT. */
static void render(struct diag *d)
{
	d->shown = 0;
	buf_reset(&d->text);
	for (size_t i = 0; i < d->n_entries; i++) {
		if (d->entries[i].error && d->shown >= DIAG_LIMIT)
			continue;
		d->shown += d->entries[i].error;
		buf_puts(&d->text, d->entries[i].text);
	}
}

__attribute__((format(printf, 4, 0)))
static void emit(struct diag *d, const char *level, const struct mark *m,
		 const char *fmt, va_list ap)
{
	struct buf b;
	if (d->n_entries >= DIAG_KEEP)
		return;
	buf_init(&b);
	if (m && m->src)
		buf_printf(&b, "%s:%d:%d: %s: ", m->src->path, m->line, m->col, level);
	else
		buf_printf(&b, "parity: %s: ", level);
	buf_vprintf(&b, fmt, ap);
	buf_putc(&b, '\n');
	quote_line(&b, m);
	XGROW(d->entries, d->cap_entries, d->n_entries + 1);
	size_t at = d->n_entries;
	while (at > 0 && d->entries[at - 1].order > d->order)
		at--;
	memmove(&d->entries[at + 1], &d->entries[at], (d->n_entries - at) * sizeof *d->entries);
	d->entries[at] = (struct diag_entry){d->order, level[0] == 'e', buf_detach(&b)};
	buf_release(&b);
	d->n_entries++;
	if (at < d->n_entries - 1) {
		render(d);      /* it sorts before others: lay the text out again */
	} else if (!d->entries[at].error || d->shown < DIAG_LIMIT) {
		buf_puts(&d->text, d->entries[at].text);
		d->shown += d->entries[at].error;
	}
}

void diag_vat(struct diag *d, const struct mark *m, const char *fmt, va_list ap)
{
	d->errors++;
	emit(d, "error", m, fmt, ap);
}

void diag_at(struct diag *d, const struct mark *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vat(d, m, fmt, ap);
	va_end(ap);
}

void diag_warn_at(struct diag *d, const struct mark *m, const char *fmt, ...)
{
	va_list ap;
	d->warnings++;
	va_start(ap, fmt);
	emit(d, "warning", m, fmt, ap);
	va_end(ap);
}

void diag_err(struct diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vat(d, NULL, fmt, ap);
	va_end(ap);
}

void diag_print(const struct diag *d, void *file)
{
	FILE *f = file;
	fputs(d->text.data, f);
	if (d->errors > DIAG_LIMIT)
		fprintf(f, "parity: %d more errors not shown (the first %d are above)\n",
			d->errors - DIAG_LIMIT, DIAG_LIMIT);
	if (d->errors)
		fprintf(f, "%d error%s\n", d->errors, d->errors == 1 ? "" : "s");
}
