/* jsonl: a line-at-a-time JSON Lines reader. Each line is parsed on its
 * own (getline, one line buffer), the field picked from it and appended to
 * the matrix as a row; the parsed line is freed before the next is read.
 * A line that is a plain array of JSON numbers (or one number), read whole,
 * skips the JSON tree: its numbers go straight into the row
 * (jsonscan_number); any other line goes through the lenient JSON loader,
 * so results and messages are the same either way. */
#include "data/jsonl.h"
#include "data/jsonptr.h"
#include "data/jsonscan.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* The line as a row of numbers in *row (grown as needed, *cap values),
 * *width of them: "[1, 2.5, -3e-2]" or "7"; -1 for any other line (an
 * empty array too), which the JSON loader reads instead. */
static int fast_row(const char *s, size_t n, double **row, size_t *cap, size_t *width)
{
	const char *p = skip_ws(s, s + n), *end = s + n;
	size_t k = 0;

	if (p < end && *p != '[') {
		XGROW(*row, *cap, 1);
		if (jsonscan_number(&p, end, &(*row)[0]) < 0 || skip_ws(p, end) != end)
			return -1;
		*width = 1;
		return 0;
	}
	p = skip_ws(p + 1, end);
	for (;;) {
		XGROW(*row, *cap, k + 1);
		if (jsonscan_number(&p, end, &(*row)[k]) < 0)
			return -1;
		k++;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == ']' && skip_ws(p + 1, end) == end) {
			*width = k;
			return 0;
		}
		return -1;
	}
}

/* The value field selects in root (borrowed from root), or NULL. */
static json_t *pick(json_t *root, const char *field)
{
	char *ignored = NULL;
	json_t *v;

	if (!field || field[0] == '\0')
		return root;
	if (field[0] != '/')
		return json_is_object(root) ? json_object_get(root, field) : NULL;
	v = json_pointer_get(root, field, &ignored);
	free(ignored);
	return v;
}

int jsonl_read_file(FILE *f, const char *name, const char *field, struct matrix **out,
		    char **err)
{
	struct matrix *m = matrix_new(0, 0);
	char *line = NULL;
	char *why = NULL;
	size_t line_cap = 0, lineno = 0, cap = 0, row_cap = 0;
	double *row = NULL;
	json_t *root = NULL;
	int rc = -1;

	*out = NULL;
	if (field && field[0] == '/' && json_pointer_check(field, &why) < 0) {
		*err = xasprintf("%s: %s", name, why);
		goto out;
	}
	for (;;) {
		ssize_t n = getline(&line, &line_cap, f);
		json_error_t jerr;
		json_t *v;
		size_t width;

		if (n < 0)
			break;
		lineno++;
		char *text = line;
		if (lineno == 1 && n >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) {
			/* a UTF-8 byte order mark, as some editors write (csv takes it too) */
			text += 3;
			n -= 3;
		}
		if (blank(text, (size_t)n))
			continue;
		if ((!field || !field[0]) && fast_row(text, (size_t)n, &row, &row_cap, &width) == 0) {
			if (m->rows > 0 && width != m->cols) {
				*err = xasprintf("%s:%zu: row has %zu value%s, earlier rows have %zu", name,
						 lineno, width, width == 1 ? "" : "s", m->cols);
				goto out;
			}
			if (m->rows == 0) {
				m->cols = width;
				cap = 0;
			}
			matrix_append_row(m, &cap, row);
			continue;
		}
		root = json_lenient_loads(text, (size_t)n, &jerr);
		if (!root) {
			*err = xasprintf("%s:%zu: invalid JSON: %s", name, lineno, jerr.text);
			goto out;
		}
		v = pick(root, field);
		if (!v) {
			*err = xasprintf("%s:%zu: field '%s' not found", name, lineno, field);
			goto out;
		}
		width = json_is_array(v) ? json_array_size(v) : 1;
		if (m->rows > 0 && width != m->cols) {
			*err = xasprintf("%s:%zu: row has %zu value%s, earlier rows have %zu", name, lineno,
					 width, width == 1 ? "" : "s", m->cols);
			goto out;
		}
		if (matrix_append_json_row(m, &cap, v, &why) < 0) {
			if (field && field[0])
				*err = xasprintf("%s:%zu: field '%s': %s", name, lineno, field, why);
			else
				*err = xasprintf("%s:%zu: %s", name, lineno, why);
			goto out;
		}
		json_decref(root);
		root = NULL;
	}
	if (ferror(f)) {
		*err = xasprintf("%s:%zu: read error: %s", name, lineno + 1, strerror(errno));
		goto out;
	}
	*out = m;
	m = NULL;
	rc = 0;
out:
	json_decref(root);
	matrix_free(m);
	free(why);
	free(row);
	free(line);
	return rc;
}

int jsonl_read(const char *path, const char *field, struct matrix **out, char **err)
{
	FILE *f = fopen(path, "r");
	int rc;

	*out = NULL;
	if (!f) {
		*err = xasprintf("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	rc = jsonl_read_file(f, path, field, out, err);
	fclose(f);
	return rc;
}
