/* jsonscan: a validating scan of JSON text that follows a JSON Pointer and
 * reads the numbers it finds there, declining whatever it is not sure the
 * loader reads the same way. Numbers go through fastfloat, or strtod in
 * the C locale for long ones, as the loader's strtod would read them. */
#include "data/jsonscan.h"
#include "util/fastfloat.h"
#include "util/xalloc.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void make_c_locale(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

static const char *skip_digits(const char *p, const char *end)
{
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

int jsonscan_number(const char **pp, const char *end, double *out)
{
	const char *p = *pp, *start = p;
	bool plain = true;
	char small[64];

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		p = skip_digits(p, end);
	else
		return -1;
	if (p < end && *p == '.') {
		const char *f = ++p;
		if ((p = skip_digits(p, end)) == f)
			return -1;
		plain = false;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		const char *e = p;
		if ((p = skip_digits(p, end)) == e)
			return -1;
		plain = false;
	}
	size_t len = (size_t)(p - start);
	if ((plain && len > 15) || len >= sizeof(small))
		return -1;
	if (fastfloat_parse(start, len, out) < 0) {
		char *stop;
		pthread_once(&c_locale_once, make_c_locale);
		if (c_locale == (locale_t)0)
			return -1;
		memcpy(small, start, len);
		small[len] = '\0';
		*out = strtod_l(small, &stop, c_locale);
		if (stop != small + len || isinf(*out))
			return -1;      /* the loader's "real number overflow" */
	}
	if (plain && *out == 0)
		*out = 0;               /* "-0" is the integer 0 to the loader */
	*pp = p;
	return 0;
}

/* ---- the scan */

struct scan {
	const char *end;
	enum jsonscan_mode mode;
	double *vals;
	size_t n, cap;          /* values read, room for */
	size_t rows, cols;
	bool found;
};

/* A string without escapes, control characters or bytes above 0x7f (so
 * that it needs no UTF-8 check): past its closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c == '\\' || c < 0x20 || c > 0x7f)
			return NULL;
	}
	return NULL;
}

static const char *skip_literal(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(end - p) >= n && !memcmp(p, word, n) ? p + n : NULL;
}

static const char *skip_value(const char *p, const char *end, int depth);

/* An object or an array, checked and skipped. */
static const char *skip_container(const char *p, const char *end, int depth)
{
	bool obj = *p == '{';
	char close = obj ? '}' : ']';

	if (depth >= MAX_DEPTH)
		return NULL;
	p = skip_ws(p + 1, end);
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (obj) {
			if (!(p = skip_string(p, end)))
				return NULL;
			p = skip_ws(p, end);
			if (p >= end || *p != ':')
				return NULL;
			p = skip_ws(p + 1, end);
		}
		if (!(p = skip_value(p, end, depth + 1)))
			return NULL;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		return p < end && *p == close ? p + 1 : NULL;
	}
}

static const char *skip_value(const char *p, const char *end, int depth)
{
	double x;

	if (p >= end)
		return NULL;
	switch (*p) {
	case '"':
		return skip_string(p, end);
	case '{':
	case '[':
		return skip_container(p, end, depth);
	case 't':
		return skip_literal(p, end, "true");
	case 'f':
		return skip_literal(p, end, "false");
	case 'n':
		return skip_literal(p, end, "null");
	default:
		return jsonscan_number(&p, end, &x) == 0 ? p : NULL;
	}
}

static const char *read_number(struct scan *s, const char *p)
{
	XGROW(s->vals, s->cap, s->n + 1);
	if (p >= s->end || jsonscan_number(&p, s->end, &s->vals[s->n]) < 0)
		return NULL;
	s->n++;
	return p;
}

/* A non-empty array of numbers: past it, *count numbers read. */
static const char *read_flat(struct scan *s, const char *p, size_t *count)
{
	size_t first = s->n;

	p = skip_ws(p + 1, s->end);
	for (;;) {
		if (!(p = read_number(s, p)))
			return NULL;
		p = skip_ws(p, s->end);
		if (p < s->end && *p == ',') {
			p = skip_ws(p + 1, s->end);
			continue;
		}
		if (p >= s->end || *p != ']')
			return NULL;
		*count = s->n - first;
		return p + 1;
	}
}

/* An array of numbers or of non-empty arrays of numbers, all one width. */
static const char *read_rows(struct scan *s, const char *p)
{
	size_t w;

	if (*p != '[')
		return NULL;
	p = skip_ws(p + 1, s->end);
	if (p < s->end && *p == ']')
		return p + 1;
	for (;;) {
		w = 1;
		p = p < s->end && *p == '[' ? read_flat(s, p, &w) : read_number(s, p);
		if (!p || (s->rows && w != s->cols))
			return NULL;
		s->cols = w;
		s->rows++;
		p = skip_ws(p, s->end);
		if (p < s->end && *p == ',') {
			p = skip_ws(p + 1, s->end);
			continue;
		}
		return p < s->end && *p == ']' ? p + 1 : NULL;
	}
}

/* The value the pointer names, read in s->mode's shape. */
static const char *read_target(struct scan *s, const char *p)
{
	size_t w = 1;

	if (p >= s->end)
		return NULL;
	if (s->mode == JSONSCAN_ROWS) {
		p = read_rows(s, p);
	} else {
		p = *p == '[' ? read_flat(s, p, &w) : read_number(s, p);
		s->rows = 1;
		s->cols = w;
	}
	s->found = p != NULL;
	return p;
}

/* Whether the key text [k, kend) is the pointer token [t, tend) (~1 is '/',
 * ~0 is '~'). */
static bool key_is(const char *k, const char *kend, const char *t, const char *tend)
{
	while (k < kend && t < tend) {
		char c = *t++;
		if (c == '~')
			c = *t++ == '0' ? '~' : '/';
		if (*k++ != c)
			return false;
	}
	return k == kend && t == tend;
}

/* An array index token: "0", or digits without a leading zero. */
static bool index_of(const char *t, const char *tend, size_t *out)
{
	size_t v = 0;

	if (t == tend || tend - t > 18 || (*t == '0' && tend - t > 1))
		return false;
	for (; t < tend; t++) {
		if (*t < '0' || *t > '9')
			return false;
		v = v * 10 + (size_t)(*t - '0');
	}
	*out = v;
	return true;
}

/* The value at p, following ptr's tokens into it; the rest of each
 * container is checked and skipped. Past the value, or NULL. */
static const char *find(struct scan *s, const char *p, const char *ptr, int depth)
{
	if (!*ptr)
		return read_target(s, p);
	if (p >= s->end || depth >= MAX_DEPTH || (*p != '{' && *p != '['))
		return NULL;
	const char *tok = ptr + 1, *rest = strchr(tok, '/');
	bool obj = *p == '{', hit = false;
	char close = obj ? '}' : ']';
	size_t index = 0, at = 0;

	if (!rest)
		rest = tok + strlen(tok);
	if (!obj && !index_of(tok, rest, &index))
		return NULL;
	p = skip_ws(p + 1, s->end);
	if (p < s->end && *p == close)
		return NULL;
	for (;;) {
		bool here;
		if (obj) {
			const char *k = p;
			if (!(p = skip_string(p, s->end)))
				return NULL;
			here = key_is(k + 1, p - 1, tok, rest);
			p = skip_ws(p, s->end);
			if (p >= s->end || *p != ':')
				return NULL;
			p = skip_ws(p + 1, s->end);
		} else {
			here = at++ == index;
		}
		/* a member named twice: the loader keeps the last, the scan declines */
		if (here && hit)
			return NULL;
		hit |= here;
		p = here ? find(s, p, rest, depth + 1) : skip_value(p, s->end, depth + 1);
		if (!p)
			return NULL;
		p = skip_ws(p, s->end);
		if (p < s->end && *p == ',') {
			p = skip_ws(p + 1, s->end);
			continue;
		}
		return p < s->end && *p == close && hit ? p + 1 : NULL;
	}
}

/* Whether ptr is "" or "/"-separated tokens with '~' only before 0 or 1. */
static bool pointer_ok(const char *ptr)
{
	if (ptr[0] && ptr[0] != '/')
		return false;
	for (const char *p = ptr; *p; p++)
		if (*p == '~' && p[1] != '0' && p[1] != '1')
			return false;
	return true;
}

int jsonscan_numbers(const char *text, size_t len, const char *ptr, enum jsonscan_mode mode,
		     double **vals, size_t *rows, size_t *cols)
{
	struct scan s;
	const char *p;

	memset(&s, 0, sizeof s);
	s.end = text + len;
	s.mode = mode;
	p = pointer_ok(ptr) ? find(&s, skip_ws(text, s.end), ptr, 0) : NULL;
	if (!p || !s.found || skip_ws(p, s.end) != s.end) {
		free(s.vals);
		return -1;
	}
	*vals = s.vals;
	*rows = s.rows;
	*cols = s.cols;
	return 0;
}
