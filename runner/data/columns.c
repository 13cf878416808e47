/* columns: text keys per row from .csv (csv.c's reader), .jsonl (a line
 * loop of its own: the value is text, not a number) and .npy. */
#include "data/columns.h"
#include "data/csv.h"
#include "data/input.h"
#include "data/jsonptr.h"
#include "data/npy.h"
#include "util/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

void column_release(struct column *c)
{
	csv_text_free(c->v, c->n);
	c->v = NULL;
	c->n = 0;
}

static char *number_text(double x)
{
	if (x == trunc(x) && fabs(x) < 9007199254740992.0)
		return xasprintf("%.0f", x);
	return xasprintf("%.17g", x);
}

/* A value on one line as text, or NULL when it is no scalar. */
static char *value_text(const json_t *v)
{
	double x;
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_true(v) || json_is_false(v))
		return xstrdup(json_is_true(v) ? "true" : "false");
	if (json_is_number(v) && json_lenient_number(v, &x) == 0)
		return number_text(x);
	return NULL;
}

static int read_jsonl(const char *path, const char *name, struct column *out, char **err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *why = NULL;
	size_t cap = 0, lineno = 0, vcap = 0;
	int rc = -1;

	if (!f) {
		*err = xasprintf("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t n = getline(&line, &cap, f);
		json_error_t jerr;
		if (n < 0)
			break;
		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)n)
			continue;
		json_t *root = json_lenient_loads(line, (size_t)n, &jerr);
		if (!root) {
			*err = xasprintf("%s:%zu: invalid JSON: %s", path, lineno, jerr.text);
			goto out;
		}
		json_t *v = name[0] == '/' ? json_pointer_get(root, name, &why)
			: json_object_get(root, name);
		char *text = v ? value_text(v) : NULL;
		if (!text)
			*err = v ? xasprintf("%s:%zu: field '%s' is %s, expected a string or a number",
					     path, lineno, name, json_kind_name(v))
				: xasprintf("%s:%zu: field '%s' not found", path, lineno, name);
		json_decref(root);
		free(why);
		why = NULL;
		if (!text)
			goto out;
		XGROW(out->v, vcap, out->n + 1);
		out->v[out->n++] = text;
	}
	rc = 0;
out:
	free(line);
	fclose(f);
	return rc;
}

static int read_npy(const char *path, struct column *out, char **err)
{
	struct matrix *m = NULL;
	if (data_read_path(path, NULL, &m, err) < 0)
		return -1;
	if (m->cols != 1) {
		*err = xasprintf("%s: %zu columns: a key file must be 1-D, one value per row", path,
				 m->cols);
		matrix_free(m);
		return -1;
	}
	out->v = xcalloc(m->rows ? m->rows : 1, sizeof *out->v);
	for (size_t r = 0; r < m->rows; r++)
		out->v[r] = number_text(matrix_get(m, r, 0));
	out->n = m->rows;
	matrix_free(m);
	return 0;
}

int column_read(const char *path, const char *name, struct column *out, char **err)
{
	int fmt = data_format_of_path(path);
	int rc;

	out->n = 0;
	out->v = NULL;
	if (fmt == FMT_NPY)
		return read_npy(path, out, err);
	if (fmt != FMT_CSV && fmt != FMT_JSONL) {
		*err = xasprintf("cannot tell the format of '%s': name it .npy, .csv or .jsonl", path);
		return -1;
	}
	if (!name || !name[0]) {
		*err = xasprintf("%s: name the %s holding the key", path,
				 fmt == FMT_CSV ? "column" : "field");
		return -1;
	}
	rc = fmt == FMT_CSV ? csv_read_text_column(path, name, &out->v, &out->n, err)
		: read_jsonl(path, name, out, err);
	if (rc < 0)
		column_release(out);
	return rc;
}
