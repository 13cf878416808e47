/* csv: a streaming RFC 4180 reader. Records are read line by line with
 * getline (a quoted field may span lines); only the current record and the
 * matrix are held. Numbers go through util/fastfloat when they are short
 * (exact, no locale), the rest through strtod under a per-thread C locale
 * (uselocale), so a process running in de_DE still reads "0.5" as a half. */
#include "data/csv.h"
#include "util/buf.h"
#include "util/fastfloat.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define QUOTE_MAX 40            /* longest field text quoted in a message */
#define LIST_MAX 10             /* header names listed in a message */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

int csv_parse_number(const char *s, size_t len, double *out)
{
	char small[64];
	char *copy = small;
	char *end = NULL;
	size_t i = 0;
	double v;
	int rc = -1;

	while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0) {
		*out = NAN;
		return 0;
	}
	if (isspace((unsigned char)s[0]))
		return -1;
	if (s[0] == '+' || s[0] == '-')
		i = 1;
	if (i + 1 < len && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
		return -1;
	if (memchr(s, '\0', len))
		return -1;
	if (fastfloat_parse(s, len, out) == 0)
		return 0;
	if (len >= sizeof(small))
		copy = xmalloc(len + 1);
	memcpy(copy, s, len);
	copy[len] = '\0';

	pthread_once(&c_locale_once, make_c_locale);
	if (c_locale != (locale_t)0) {
		locale_t old = uselocale(c_locale);
		v = strtod(copy, &end);
		uselocale(old);
	} else {
		v = strtod(copy, &end);
	}
	if (end == copy + len) {
		*out = v;
		rc = 0;
	}
	if (copy != small)
		free(copy);
	return rc;
}

struct field {
	size_t off, len;
	bool quoted;
};

/* The stream and the record being read. */
struct reader {
	FILE *f;
	const char *name;
	char delim;
	char *line;             /* getline's buffer */
	size_t line_cap;
	size_t len;             /* the current line's length without its line break */
	size_t lineno;          /* physical lines read so far */
	size_t start_line;      /* where the current record starts */
	struct buf text;        /* the record's field bytes, each followed by a NUL */
	struct field *fields;
	size_t nfields, fields_cap;
};

/* Reads the next physical line without its "\n" or "\r\n". 1, 0 at the end
 * of the input, -1 on a read error. */
static int read_line(struct reader *r, char **err)
{
	ssize_t n = getline(&r->line, &r->line_cap, r->f);

	if (n < 0) {
		if (ferror(r->f)) {
			*err = xasprintf("%s:%zu: read error: %s", r->name, r->lineno + 1, strerror(errno));
			return -1;
		}
		return 0;
	}
	r->lineno++;
	r->len = (size_t)n;
	if (r->lineno == 1 && r->len >= 3 && memcmp(r->line, "\xEF\xBB\xBF", 3) == 0) {
		/* A UTF-8 byte order mark, as spreadsheets write. */
		memmove(r->line, r->line + 3, r->len - 2);
		r->len -= 3;
	}
	if (r->len > 0 && r->line[r->len - 1] == '\n')
		r->len--;
	if (r->len > 0 && r->line[r->len - 1] == '\r')
		r->len--;
	return 1;
}

static void push_field(struct reader *r, size_t off, bool quoted)
{
	XGROW(r->fields, r->fields_cap, r->nfields + 1);
	r->fields[r->nfields].off = off;
	r->fields[r->nfields].len = r->text.len - off;
	r->fields[r->nfields].quoted = quoted;
	r->nfields++;
	buf_putc(&r->text, '\0');
}

/* A quoted field from just after its opening quote at *pp, across lines if
 * need be, up to just after its closing quote. */
static int quoted_field(struct reader *r, const char **pp, const char **endp, char **err)
{
	const char *p = *pp, *end = *endp;
	size_t quote_line = r->lineno;

	for (;;) {
		if (p == end) {
			int got = read_line(r, err);
			if (got < 0)
				return -1;
			if (got == 0) {
				*err = xasprintf("%s:%zu: unterminated quoted field", r->name, quote_line);
				return -1;
			}
			buf_putc(&r->text, '\n');
			p = r->line;
			end = r->line + r->len;
			continue;
		}
		const char *q = memchr(p, '"', (size_t)(end - p));
		if (!q) {
			buf_add(&r->text, p, (size_t)(end - p));
			p = end;
			continue;
		}
		buf_add(&r->text, p, (size_t)(q - p));
		if (q + 1 < end && q[1] == '"') {
			buf_putc(&r->text, '"');
			p = q + 2;
			continue;
		}
		p = q + 1;
		break;
	}
	if (p < end && *p != r->delim) {
		*err = xasprintf("%s:%zu: unexpected text after a closing quote", r->name, r->lineno);
		return -1;
	}
	*pp = p;
	*endp = end;
	return 0;
}

/* The next record into r->fields: 1, 0 at the end of the input, -1. */
static int next_record(struct reader *r, char **err)
{
	const char *p, *end;
	int got;

	do {
		got = read_line(r, err);
		if (got <= 0)
			return got;
	} while (r->len == 0);
	r->start_line = r->lineno;
	buf_reset(&r->text);
	r->nfields = 0;
	p = r->line;
	end = r->line + r->len;
	for (;;) {
		size_t off = r->text.len;
		bool quoted = p < end && *p == '"';

		if (quoted) {
			p++;
			if (quoted_field(r, &p, &end, err) < 0)
				return -1;
		} else {
			const char *q = memchr(p, r->delim, (size_t)(end - p));
			if (!q)
				q = end;
			buf_add(&r->text, p, (size_t)(q - p));
			p = q;
		}
		push_field(r, off, quoted);
		if (p == end)
			break;
		p++;                    /* the delimiter; one after the last makes an empty field */
	}
	return 1;
}

static const char *field_text(const struct reader *r, size_t i)
{
	return r->text.data + r->fields[i].off;
}

/* A header name: quoted names are taken as written, unquoted ones trimmed. */
static char *field_name(const struct reader *r, size_t i)
{
	const char *s = field_text(r, i);
	size_t len = r->fields[i].len;

	if (!r->fields[i].quoted) {
		while (len > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
	}
	return xstrndup(s, len);
}

static bool record_is_numeric(const struct reader *r)
{
	double x;

	for (size_t i = 0; i < r->nfields; i++)
		if (csv_parse_number(field_text(r, i), r->fields[i].len, &x) < 0)
			return false;
	return true;
}

/* "no column 'x' in the header (columns: a, b, c)". */
static char *no_such_column(const struct reader *r, const char *column, char **names, size_t n)
{
	struct buf b;
	char *text;

	buf_init(&b);
	buf_printf(&b, "%s:%zu: no column '%s' in the header (columns: ", r->name, r->start_line,
		   column);
	for (size_t i = 0; i < n && i < LIST_MAX; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
	if (n > LIST_MAX)
		buf_printf(&b, ", ... %zu more", n - LIST_MAX);
	buf_putc(&b, ')');
	text = buf_detach(&b);
	buf_release(&b);
	return text;
}

static bool skipped(const char *const *skip, const char *name)
{
	for (size_t i = 0; skip && skip[i]; i++)
		if (!strcmp(skip[i], name))
			return true;
	return false;
}

/* Which fields to keep, into *sel (owned by the caller) and *nsel. */
static int select_columns(const struct reader *r, const struct csv_options *opt, char **names,
			  size_t *sel, size_t *nsel, char **err)
{
	if (opt->column) {
		size_t found = 0;
		if (!names) {
			*err = xasprintf("%s:%zu: column '%s' needs a header row, and the first row is "
					 "all numbers", r->name, r->start_line, opt->column);
			return -1;
		}
		for (size_t i = 0; i < r->nfields; i++) {
			if (strcmp(names[i], opt->column) != 0)
				continue;
			found++;
			if (found > 1) {
				*err = xasprintf("%s:%zu: column '%s' appears more than once in the header",
						 r->name, r->start_line, opt->column);
				return -1;
			}
			sel[0] = i;
		}
		if (!found) {
			*err = no_such_column(r, opt->column, names, r->nfields);
			return -1;
		}
		*nsel = 1;
		return 0;
	}
	if (opt->has_index) {
		if (opt->index >= r->nfields) {
			*err = xasprintf("%s:%zu: column %zu is out of range: records have %zu field%s",
					 r->name, r->start_line, opt->index, r->nfields,
					 r->nfields == 1 ? "" : "s");
			return -1;
		}
		sel[0] = opt->index;
		*nsel = 1;
		return 0;
	}
	*nsel = 0;
	for (size_t i = 0; i < r->nfields; i++)
		if (!names || !skipped(opt->skip, names[i]))
			sel[(*nsel)++] = i;
	return 0;
}

/* The selected fields of the current record as numbers into row. */
static int parse_row(const struct reader *r, const size_t *sel, size_t nsel, char **names,
		     double *row, char **err)
{
	for (size_t k = 0; k < nsel; k++) {
		const struct field *fl = &r->fields[sel[k]];
		const char *s = field_text(r, sel[k]);
		if (csv_parse_number(s, fl->len, &row[k]) == 0)
			continue;
		if (memchr(s, '\0', fl->len)) {
			/* the text would stop at the NUL: say what is there instead */
			size_t at = (size_t)((const char *)memchr(s, '\0', fl->len) - s);
			if (names)
				*err = xasprintf("%s:%zu: column '%s': the field holds a NUL byte (at byte %zu "
						 "of the field): is the file text?", r->name, r->start_line,
						 names[sel[k]], at + 1);
			else
				*err = xasprintf("%s:%zu: column %zu: the field holds a NUL byte (at byte %zu "
						 "of the field): is the file text?", r->name, r->start_line,
						 sel[k], at + 1);
			return -1;
		}
		const char *dots = fl->len > QUOTE_MAX ? "..." : "";
		int shown = (int)(fl->len > QUOTE_MAX ? QUOTE_MAX : fl->len);
		if (names)
			*err = xasprintf("%s:%zu: column '%s': '%.*s%s' is not a number", r->name,
					 r->start_line, names[sel[k]], shown, s, dots);
		else
			*err = xasprintf("%s:%zu: column %zu: '%.*s%s' is not a number", r->name,
					 r->start_line, sel[k], shown, s, dots);
		return -1;
	}
	return 0;
}

int csv_read_file(FILE *f, const char *name, const struct csv_options *opt,
		  struct matrix **out, char **err)
{
	static const struct csv_options defaults;
	struct reader r;
	struct matrix *m = NULL;
	char **names = NULL;
	size_t *sel = NULL;
	double *row = NULL;
	size_t nsel = 0, width, nnames = 0, cap = 0;
	bool header;
	int got, rc = -1;

	*out = NULL;
	if (!opt)
		opt = &defaults;
	memset(&r, 0, sizeof(r));
	r.f = f;
	r.name = name;
	r.delim = opt->delimiter ? opt->delimiter : ',';
	buf_init(&r.text);

	got = next_record(&r, err);
	if (got < 0)
		goto out;
	if (got == 0) {
		/* No records at all: an empty table. */
		m = matrix_new(0, opt->column || opt->has_index ? 1 : 0);
		rc = 0;
		goto out;
	}
	width = r.nfields;
	if (opt->header == CSV_HEADER_AUTO)
		header = !record_is_numeric(&r);
	else
		header = opt->header == CSV_HEADER_PRESENT;
	if (header) {
		names = xcalloc(width, sizeof(*names));
		nnames = width;
		for (size_t i = 0; i < width; i++)
			names[i] = field_name(&r, i);
	}
	sel = xcalloc(width ? width : 1, sizeof(*sel));
	if (select_columns(&r, opt, names, sel, &nsel, err) < 0)
		goto out;
	m = matrix_new(0, nsel);
	row = xcalloc(nsel ? nsel : 1, sizeof(*row));
	if (header) {
		got = next_record(&r, err);
		if (got < 0)
			goto out;
	}
	while (got > 0) {
		if (r.nfields != width) {
			*err = xasprintf("%s:%zu: expected %zu field%s, found %zu", name, r.start_line, width,
					 width == 1 ? "" : "s", r.nfields);
			goto out;
		}
		if (parse_row(&r, sel, nsel, names, row, err) < 0)
			goto out;
		matrix_append_row(m, &cap, row);
		got = next_record(&r, err);
		if (got < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc == 0) {
		*out = m;
	} else {
		matrix_free(m);
	}
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(sel);
	free(row);
	free(r.fields);
	free(r.line);
	buf_release(&r.text);
	return rc;
}

int csv_read(const char *path, const struct csv_options *opt, struct matrix **out, char **err)
{
	FILE *f = fopen(path, "r");
	int rc;

	*out = NULL;
	if (!f) {
		*err = xasprintf("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	rc = csv_read_file(f, path, opt, out, err);
	fclose(f);
	return rc;
}

void csv_text_free(char **vals, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(vals[i]);
	free(vals);
}

/* The header row of r (already read) and where column is in it. */
static int text_header(const struct reader *r, const char *column, size_t *at, char **err)
{
	char **names = xcalloc(r->nfields ? r->nfields : 1, sizeof *names);
	size_t found = 0;
	for (size_t i = 0; i < r->nfields; i++) {
		names[i] = field_name(r, i);
		if (!strcmp(names[i], column)) {
			found++;
			*at = i;
		}
	}
	if (found != 1)
		*err = found ? xasprintf("%s:%zu: column '%s' appears more than once in the header",
					 r->name, r->start_line, column)
			: no_such_column(r, column, names, r->nfields);
	csv_text_free(names, r->nfields);
	return found == 1 ? 0 : -1;
}

int csv_read_text_column(const char *path, const char *column, char ***vals, size_t *n,
			 char **err)
{
	struct reader r;
	size_t at = 0, width, cap = 0;
	int got, rc = -1;

	*vals = NULL;
	*n = 0;
	memset(&r, 0, sizeof r);
	r.f = fopen(path, "r");
	if (!r.f) {
		*err = xasprintf("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	r.name = path;
	r.delim = ',';
	buf_init(&r.text);
	got = next_record(&r, err);
	if (got == 0)
		*err = xasprintf("%s: empty file: no header with a column '%s'", path, column);
	if (got <= 0 || text_header(&r, column, &at, err) < 0)
		goto out;
	width = r.nfields;
	for (;;) {
		got = next_record(&r, err);
		if (got <= 0)
			break;
		if (r.nfields != width) {
			*err = xasprintf("%s:%zu: expected %zu field%s, found %zu", path, r.start_line,
					 width, width == 1 ? "" : "s", r.nfields);
			goto out;
		}
		XGROW(*vals, cap, *n + 1);
		(*vals)[(*n)++] = field_name(&r, at);
	}
	rc = got < 0 ? -1 : 0;
out:
	if (rc < 0) {
		csv_text_free(*vals, *n);
		*vals = NULL;
		*n = 0;
	}
	fclose(r.f);
	free(r.fields);
	free(r.line);
	buf_release(&r.text);
	return rc;
}
