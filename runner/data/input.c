/* input: dispatch to the .npy, .csv and .jsonl readers by extension or by a
 * declared format, from files or from memory (fmemopen). */
#include "data/input.h"
#include "data/csv.h"
#include "data/jsonl.h"
#include "data/npy.h"
#include "util/buf.h"
#include "util/fastfloat.h"
#include "util/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {"bytes", "npy", "csv", "jsonl", NULL};

int data_format_from_name(const char *name)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

const char *data_format_name(enum data_format f)
{
	return names[f];
}

int data_format_of_path(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (!dot || dot == path)
		return -1;
	int f = data_format_from_name(dot + 1);
	return f > 0 ? f : -1;
}

static void csv_opts(const char *field, struct csv_options *o)
{
	char *end;
	memset(o, 0, sizeof *o);
	o->header = CSV_HEADER_AUTO;
	if (!field)
		return;
	unsigned long i = strtoul(field, &end, 10);
	if (*field && !*end) {
		o->has_index = true;
		o->index = i;
	} else {
		o->column = field;
	}
}

static int read_stream(FILE *f, const char *name, enum data_format fmt, const char *field,
		       const char *const *skip, struct matrix **out, char **err)
{
	struct csv_options o;
	switch (fmt) {
	case FMT_NPY:
		return npy_read_file(f, name, out, err);
	case FMT_CSV:
		csv_opts(field, &o);
		o.skip = skip;
		return csv_read_file(f, name, &o, out, err);
	case FMT_JSONL:
		return jsonl_read_file(f, name, field, out, err);
	default:
		*err = xasprintf("%s: raw bytes are not numeric data", name);
		return -1;
	}
}

int data_read_path(const char *path, const char *field, struct matrix **out, char **err)
{
	return data_read_path_skip(path, field, NULL, out, err);
}

int data_read_path_skip(const char *path, const char *field, const char *const *skip,
			struct matrix **out, char **err)
{
	int fmt = data_format_of_path(path);
	if (fmt < 0) {
		*err = xasprintf("cannot tell the format of '%s': name it .npy, .csv or .jsonl", path);
		return -1;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		*err = xasprintf("cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	int rc = read_stream(f, path, (enum data_format)fmt, field, skip, out, err);
	fclose(f);
	return rc;
}

int data_read_bytes(const char *bytes, size_t len, enum data_format fmt, const char *field,
		    const char *name, struct matrix **out, char **err)
{
	if (len == 0) {
		*err = xasprintf("%s: no output", name);
		return -1;
	}
	FILE *f = fmemopen((void *)(uintptr_t)bytes, len, "rb");
	if (!f) {
		*err = xasprintf("%s: %s", name, strerror(errno));
		return -1;
	}
	int rc = read_stream(f, name, fmt, field, NULL, out, err);
	fclose(f);
	return rc;
}

/* x in the fewest of 15 or 17 significant digits that read back as x;
 * returns the length written to num. */
static size_t format_number(char *num, size_t cap, double x)
{
	int n = snprintf(num, cap, "%.15g", x);
	double back;

	if (fastfloat_parse(num, (size_t)n, &back) < 0)
		back = strtod(num, NULL);
	if (back != x)
		n = snprintf(num, cap, "%.17g", x);
	return (size_t)n;
}

int data_write_bytes(const struct matrix *m, enum data_format fmt, char **bytes, size_t *len,
		     char **err)
{
	struct buf b;
	char num[40];

	if (fmt == FMT_NPY)
		return npy_encode(m, bytes, len, err);
	buf_init(&b);
	for (size_t r = 0; r < m->rows; r++) {
		if (fmt == FMT_JSONL)
			buf_putc(&b, '[');
		for (size_t c = 0; c < m->cols; c++) {
			double x = matrix_get(m, r, c);
			if (c)
				buf_putc(&b, ',');
			/* JSON Lines spells non-finite numbers as Python's json does */
			if (fmt == FMT_JSONL && !isfinite(x))
				buf_puts(&b, isnan(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity");
			else
				buf_add(&b, num, format_number(num, sizeof num, x));
		}
		buf_puts(&b, fmt == FMT_JSONL ? "]\n" : "\n");
	}
	*len = b.len;
	*bytes = buf_detach(&b);
	buf_release(&b);
	return 0;
}
