/* npy: NumPy's .npy format (numpy.lib.format). The header is parsed as the
 * Python dict literal it is, with byte offsets in every message; the data
 * streams through a fixed buffer into the matrix, each value assembled in
 * its declared byte order, so the host's order never matters. */
#include "data/npy.h"
#include "util/bigmem.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CHUNK (256u * 1024u)
#define HEADER_MAX (1u << 20)   /* numpy itself refuses headers over 10000 bytes */
#define MAX_DIMS 64
#define QUOTE_MAX 40

static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

static double conv_f2(uint64_t bits)
{
	unsigned h = (unsigned)(bits & 0xffffu);
	unsigned exp = (h >> 10) & 0x1fu;
	unsigned mant = h & 0x3ffu;
	double v;

	if (exp == 0)
		v = ldexp((double)mant, -24);                   /* zero and subnormals */
	else if (exp == 31)
		v = mant ? NAN : INFINITY;
	else
		v = ldexp((double)(mant | 0x400u), (int)exp - 25);
	return (h & 0x8000u) ? -v : v;
}

static double conv_f4(uint64_t bits)
{
	uint32_t u = (uint32_t)bits;
	float f;

	memcpy(&f, &u, sizeof(f));
	return (double)f;
}

static double conv_f8(uint64_t bits)
{
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

/* Signed integers through memcpy: exact-width types are two's complement. */
static double conv_i1(uint64_t bits)
{
	uint8_t u = (uint8_t)bits;
	int8_t s;

	memcpy(&s, &u, sizeof(s));
	return (double)s;
}

static double conv_i2(uint64_t bits)
{
	uint16_t u = (uint16_t)bits;
	int16_t s;

	memcpy(&s, &u, sizeof(s));
	return (double)s;
}

static double conv_i4(uint64_t bits)
{
	uint32_t u = (uint32_t)bits;
	int32_t s;

	memcpy(&s, &u, sizeof(s));
	return (double)s;
}

static double conv_i8(uint64_t bits)
{
	int64_t s;

	memcpy(&s, &bits, sizeof(s));
	return (double)s;
}

static double conv_u(uint64_t bits)
{
	return (double)bits;
}

static double conv_b1(uint64_t bits)
{
	return bits ? 1.0 : 0.0;
}

static const struct dtype {
	char kind;
	unsigned size;
	double (*conv)(uint64_t bits);
} dtypes[] = {
	{'f', 2, conv_f2}, {'f', 4, conv_f4}, {'f', 8, conv_f8},
	{'i', 1, conv_i1}, {'i', 2, conv_i2}, {'i', 4, conv_i4}, {'i', 8, conv_i8},
	{'u', 1, conv_u}, {'u', 2, conv_u}, {'u', 4, conv_u}, {'u', 8, conv_u},
	{'b', 1, conv_b1},
};
#define SUPPORTED "f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1"

/* The parsed header. */
struct header {
	const struct dtype *type;
	bool big;               /* big-endian data */
	bool fortran;
	size_t dims[MAX_DIMS];
	size_t ndims;
};

/* The header text being parsed, and where it sits in the file. */
struct parser {
	const char *s;
	size_t len, pos;
	size_t base;            /* file offset of s[0] */
	const char *name;
	char **err;
};

__attribute__((format(printf, 3, 4)))
static int fail_at(struct parser *p, size_t pos, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	buf_printf(&b, "%s: byte %zu: ", p->name, p->base + pos);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	*p->err = buf_detach(&b);
	buf_release(&b);
	return -1;
}

static bool host_little(void)
{
	const uint16_t one = 1;
	unsigned char first;

	memcpy(&first, &one, 1);
	return first == 1;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static bool at(struct parser *p, char c)
{
	return p->pos < p->len && p->s[p->pos] == c;
}

/* A Python string literal in single or double quotes, without escapes:
 * *out (owned by the caller). */
static int parse_string(struct parser *p, const char *what, char **out)
{
	size_t start = p->pos;
	char q;

	if (!at(p, '\'') && !at(p, '"'))
		return fail_at(p, p->pos, "malformed header: expected %s", what);
	q = p->s[p->pos++];
	while (p->pos < p->len && p->s[p->pos] != q) {
		if (p->s[p->pos] == '\\')
			return fail_at(p, p->pos, "malformed header: escape sequences are not supported");
		p->pos++;
	}
	if (p->pos >= p->len)
		return fail_at(p, start, "malformed header: unterminated string");
	*out = xstrndup(p->s + start + 1, p->pos - start - 1);
	p->pos++;
	return 0;
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static bool word_at(struct parser *p, const char *w)
{
	size_t n = strlen(w);

	return p->pos + n <= p->len && memcmp(p->s + p->pos, w, n) == 0 &&
	       (p->pos + n == p->len || !ident_char(p->s[p->pos + n]));
}

static int parse_bool(struct parser *p, bool *out)
{
	if (word_at(p, "True")) {
		*out = true;
		p->pos += 4;
		return 0;
	}
	if (word_at(p, "False")) {
		*out = false;
		p->pos += 5;
		return 0;
	}
	return fail_at(p, p->pos, "malformed header: 'fortran_order' must be True or False");
}

/* A dimension: digits, with the 'L' suffix Python 2 wrote for longs. */
static int parse_dim(struct parser *p, size_t *out)
{
	size_t v = 0;
	size_t start = p->pos;

	if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
		return fail_at(p, p->pos, "malformed header: expected an integer in 'shape'");
	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
		size_t d = (size_t)(p->s[p->pos] - '0');
		if (v > (SIZE_MAX - d) / 10)
			return fail_at(p, start, "malformed header: dimension too large");
		v = v * 10 + d;
		p->pos++;
	}
	if (at(p, 'L') || at(p, 'l'))
		p->pos++;
	*out = v;
	return 0;
}

/* A tuple of dimensions: "()", "(3,)", "(3, 4)", "(3, 4,)". "(3)" is the
 * integer 3 in Python, not a tuple, and numpy refuses it too. */
static int parse_shape(struct parser *p, struct header *h)
{
	size_t start = p->pos;

	if (!at(p, '('))
		return fail_at(p, p->pos, "malformed header: 'shape' must be a tuple of integers");
	p->pos++;
	skip_ws(p);
	h->ndims = 0;
	if (at(p, ')')) {
		p->pos++;
		return 0;
	}
	for (;;) {
		size_t d = 0;
		if (parse_dim(p, &d) < 0)
			return -1;
		if (h->ndims == MAX_DIMS)
			return fail_at(p, start, "malformed header: more than %d dimensions", MAX_DIMS);
		h->dims[h->ndims++] = d;
		skip_ws(p);
		if (at(p, ',')) {
			p->pos++;
			skip_ws(p);
			if (at(p, ')')) {
				p->pos++;
				return 0;
			}
			continue;
		}
		if (at(p, ')')) {
			if (h->ndims == 1)
				return fail_at(p, start, "malformed header: 'shape' must be a tuple: "
					       "write (%zu,)", h->dims[0]);
			p->pos++;
			return 0;
		}
		return fail_at(p, p->pos, "malformed header: expected ',' or ')' in 'shape'");
	}
}

/* '<f8', '>i2', '|b1', '|u1', 'f8', '=f4', '?': kind, size and order. */
static int parse_descr(struct parser *p, struct header *h)
{
	size_t start = p->pos;
	char *d = NULL;
	const char *s;
	char order = '=';
	char kind;
	unsigned size = 0;
	int rc = -1;

	if (at(p, '['))
		return fail_at(p, p->pos, "unsupported dtype: structured arrays are not supported");
	if (parse_string(p, "a dtype string for 'descr'", &d) < 0)
		return -1;
	s = d;
	if (*s == '<' || *s == '>' || *s == '|' || *s == '=')
		order = *s++;
	if (strcmp(s, "?") == 0) {
		kind = 'b';
		size = 1;
	} else {
		kind = *s ? *s++ : '\0';
		if (*s >= '1' && *s <= '9' && (s[1] == '\0' || (s[1] >= '0' && s[1] <= '9' && s[2] == '\0')))
			size = (unsigned)strtoul(s, NULL, 10);
	}
	h->type = NULL;
	for (size_t i = 0; i < sizeof(dtypes) / sizeof(dtypes[0]); i++)
		if (dtypes[i].kind == kind && dtypes[i].size == size)
			h->type = &dtypes[i];
	if (!h->type) {
		fail_at(p, start, "unsupported dtype '%.*s' (supported: " SUPPORTED ")", QUOTE_MAX, d);
		goto out;
	}
	if (order == '<')
		h->big = false;
	else if (order == '>')
		h->big = true;
	else
		h->big = !host_little();
	rc = 0;
out:
	free(d);
	return rc;
}

enum { KEY_DESCR, KEY_FORTRAN, KEY_SHAPE, NKEYS };
static const char *const key_names[NKEYS] = {"descr", "fortran_order", "shape"};

static int parse_header(struct parser *p, struct header *h)
{
	bool seen[NKEYS] = {false, false, false};
	char *key = NULL;
	int rc = -1;

	skip_ws(p);
	if (!at(p, '{'))
		return fail_at(p, p->pos, "malformed header: expected '{'");
	p->pos++;
	for (;;) {
		size_t key_pos;
		int k;

		skip_ws(p);
		if (at(p, '}'))
			break;
		key_pos = p->pos;
		if (parse_string(p, "a quoted key", &key) < 0)
			goto out;
		for (k = 0; k < NKEYS; k++)
			if (strcmp(key, key_names[k]) == 0)
				break;
		if (k == NKEYS) {
			fail_at(p, key_pos, "malformed header: unknown key '%.*s'", QUOTE_MAX, key);
			goto out;
		}
		if (seen[k]) {
			fail_at(p, key_pos, "malformed header: duplicate key '%s'", key);
			goto out;
		}
		seen[k] = true;
		free(key);
		key = NULL;
		skip_ws(p);
		if (!at(p, ':')) {
			fail_at(p, p->pos, "malformed header: expected ':' after '%s'", key_names[k]);
			goto out;
		}
		p->pos++;
		skip_ws(p);
		if (k == KEY_DESCR && parse_descr(p, h) < 0)
			goto out;
		if (k == KEY_FORTRAN && parse_bool(p, &h->fortran) < 0)
			goto out;
		if (k == KEY_SHAPE && parse_shape(p, h) < 0)
			goto out;
		skip_ws(p);
		if (at(p, ','))
			p->pos++;
		else if (!at(p, '}')) {
			fail_at(p, p->pos, "malformed header: expected ',' or '}'");
			goto out;
		}
	}
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len) {
		fail_at(p, p->pos, "malformed header: unexpected text after the dictionary");
		goto out;
	}
	/* A missing key is the dictionary's fault: point at its start. */
	for (int k = 0; k < NKEYS; k++) {
		if (!seen[k]) {
			fail_at(p, 0, "malformed header: expected '%s'", key_names[k]);
			goto out;
		}
	}
	rc = 0;
out:
	free(key);
	return rc;
}

/* "()", "(3,)", "(2, 3, 4)" as Python prints a shape. */
static char *shape_text(const struct header *h)
{
	struct buf b;
	char *text;

	buf_init(&b);
	buf_putc(&b, '(');
	for (size_t i = 0; i < h->ndims; i++)
		buf_printf(&b, "%s%zu", i ? ", " : "", h->dims[i]);
	if (h->ndims == 1)
		buf_putc(&b, ',');
	buf_putc(&b, ')');
	text = buf_detach(&b);
	buf_release(&b);
	return text;
}

static uint64_t load_bits(const unsigned char *q, unsigned size, bool big)
{
	uint64_t u = 0;

	if (big) {
		for (unsigned i = 0; i < size; i++)
			u = (u << 8) | q[i];
	} else {
		for (unsigned i = size; i-- > 0;)
			u = (u << 8) | q[i];
	}
	return u;
}

/* n values of type t in the file's byte order at src into dst. The common
 * cases, little-endian float32 and float64 on a little-endian host, are
 * plain loops the compiler vectorizes; the rest go value by value. */
static void convert(const struct header *h, const unsigned char *src, size_t n, double *dst)
{
	const unsigned size = h->type->size;
	const bool native = h->big != host_little();

	if (native && h->type->kind == 'f' && size == 8) {
		memcpy(dst, src, n * sizeof(double));
		return;
	}
	if (native && h->type->kind == 'f' && size == 4) {
		for (size_t i = 0; i < n; i++) {
			float f;
			memcpy(&f, src + 4 * i, sizeof(f));
			dst[i] = (double)f;
		}
		return;
	}
	for (size_t i = 0; i < n; i++)
		dst[i] = h->type->conv(load_bits(src + i * size, size, h->big));
}

/* n converted values, the k-th of the file's data from index done on, into
 * m: in sequence, or for a Fortran-order file down each column (the
 * transpose of the file's layout); float32 storage takes them as floats
 * (exact: they came from float32 or float16 data). */
static void place(struct matrix *m, const double *vals, size_t n, size_t done, bool transpose)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = done + i;
		size_t at = transpose ? (k % m->rows) * m->cols + k / m->rows : k;
		if (m->f)
			m->f[at] = (float)vals[i];
		else
			m->v[at] = vals[i];
	}
}

/* Streams total values into m: native float64 into m->v and native float32
 * into m->f straight from the stream, the rest through a chunk converted in
 * bulk and placed. */
static int read_data(FILE *f, const char *name, const struct header *h, struct matrix *m,
		     size_t total, char **err)
{
	const unsigned size = h->type->size;
	const bool transpose = h->fortran && h->ndims == 2;
	const bool direct = !transpose && h->type->kind == 'f' && h->big != host_little() &&
			    size == (m->f ? 4u : 8u);
	const size_t per_chunk = CHUNK / size;
	unsigned char *chunk = direct ? NULL : xmalloc(CHUNK);
	double *vals = !direct && (transpose || m->f) ? xmalloc(per_chunk * sizeof(double)) : NULL;
	size_t done = 0;
	int rc = -1;

	while (done < total) {
		size_t want = total - done < per_chunk ? total - done : per_chunk;
		void *dst = !direct ? (void *)chunk : m->f ? (void *)(m->f + done) : (void *)(m->v + done);
		size_t got = fread(dst, 1, want * size, f);
		size_t n = got / size;

		if (!direct)
			convert(h, chunk, n, vals ? vals : m->v + done);
		if (vals)
			place(m, vals, n, done, transpose);
		done += n;
		if (got < want * size) {
			if (ferror(f))
				*err = xasprintf("%s: read error: %s", name, strerror(errno));
			else
				*err = xasprintf("%s: truncated: header says %zu values, found %zu", name,
						 total, done);
			goto out;
		}
	}
	rc = 0;
out:
	free(vals);
	free(chunk);
	return rc;
}

/* The bytes after the current position of a regular file or a stream that
 * seeks (fmemopen); -1 when f cannot tell, as a pipe cannot. */
static off_t bytes_left(FILE *f)
{
	struct stat st;
	off_t pos = ftello(f), end;

	if (pos < 0)
		return -1;
	if (fileno(f) >= 0) {
		if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
			return -1;
		end = st.st_size;
	} else {
		if (fseeko(f, 0, SEEK_END) != 0)
			return -1;
		end = ftello(f);
		if (fseeko(f, pos, SEEK_SET) != 0)
			return -1;
	}
	return end > pos ? end - pos : 0;
}

int npy_read_file(FILE *f, const char *name, struct matrix **out, char **err)
{
	unsigned char pro[12];
	char *text = NULL;
	char *shape = NULL;
	struct matrix *m = NULL;
	struct header h;
	struct parser p;
	size_t got, lenbytes, hlen = 0, rows, cols, total;
	off_t left;
	int rc = -1;

	*out = NULL;
	memset(&h, 0, sizeof(h));
	got = fread(pro, 1, 8, f);
	if (got < 8 && ferror(f)) {
		*err = xasprintf("%s: read error: %s", name, strerror(errno));
		goto out;
	}
	if (got < sizeof(magic) || memcmp(pro, magic, sizeof(magic)) != 0) {
		*err = xasprintf("%s: byte 0: not an npy file: bad magic string", name);
		goto out;
	}
	if (got < 8) {
		*err = xasprintf("%s: byte %zu: truncated: no version", name, got);
		goto out;
	}
	if (pro[6] < 1 || pro[6] > 3 || pro[7] != 0) {
		*err = xasprintf("%s: byte 6: unsupported npy version %u.%u", name, pro[6], pro[7]);
		goto out;
	}
	lenbytes = pro[6] == 1 ? 2 : 4;
	got = fread(pro + 8, 1, lenbytes, f);
	if (got < lenbytes) {
		*err = xasprintf("%s: byte 8: truncated: the header length needs %zu bytes, found %zu",
				 name, lenbytes, got);
		goto out;
	}
	for (size_t i = lenbytes; i-- > 0;)
		hlen = (hlen << 8) | pro[8 + i];
	if (hlen > HEADER_MAX) {
		*err = xasprintf("%s: byte 8: header length %zu is too large (the limit is %u bytes)",
				 name, hlen, HEADER_MAX);
		goto out;
	}
	text = xmalloc(hlen + 1);
	got = fread(text, 1, hlen, f);
	if (got < hlen) {
		*err = xasprintf("%s: byte %zu: truncated: the header length says %zu bytes, found %zu",
				 name, 8 + lenbytes, hlen, got);
		goto out;
	}
	text[hlen] = '\0';
	p = (struct parser){.s = text, .len = hlen, .pos = 0, .base = 8 + lenbytes, .name = name,
			    .err = err};
	if (parse_header(&p, &h) < 0)
		goto out;

	shape = shape_text(&h);
	if (h.ndims > 2) {
		*err = xasprintf("%s: npy arrays of more than 2 dimensions are not supported: shape %s",
				 name, shape);
		goto out;
	}
	rows = h.ndims >= 1 ? h.dims[0] : 1;
	cols = h.ndims == 2 ? h.dims[1] : 1;
	if (cols != 0 && rows > SIZE_MAX / cols) {
		*err = xasprintf("%s: shape %s is too large", name, shape);
		goto out;
	}
	total = rows * cols;
	/* A file or a memory stream says up front whether the data is all
	 * there: refuse before allocating for a header that promises more. */
	left = bytes_left(f);
	if (left >= 0 && (size_t)left / h.type->size < total) {
		*err = xasprintf("%s: truncated: header says %zu values, found %zu", name, total,
				 (size_t)left / h.type->size);
		goto out;
	}
	/* float32 and float16 data stays 4 bytes a value */
	m = h.type->kind == 'f' && h.type->size <= 4 ? matrix_try_new_f32(rows, cols)
						     : matrix_try_new(rows, cols);
	if (!m) {
		*err = xasprintf("%s: shape %s is too large to hold in memory", name, shape);
		goto out;
	}
	if (read_data(f, name, &h, m, total, err) < 0)
		goto out;
	*out = m;
	m = NULL;
	rc = 0;
out:
	matrix_free(m);
	free(shape);
	free(text);
	return rc;
}

int npy_read(const char *path, struct matrix **out, char **err)
{
	FILE *f = fopen(path, "rb");
	int rc;

	*out = NULL;
	if (!f) {
		*err = xasprintf("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	rc = npy_read_file(f, path, out, err);
	fclose(f);
	return rc;
}

/* The version 1.0 header for m as descr ('<f8' or '<f4'), C order, padded
 * so that the data starts at a multiple of 64, into hdr (initialized). */
static void write_header(struct buf *hdr, const struct matrix *m, const char *descr)
{
	size_t pad;

	buf_add(hdr, magic, sizeof(magic));
	buf_add(hdr, "\x01\x00\x00\x00", 4);       /* version 1.0, length filled below */
	buf_printf(hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (%zu, %zu), }", descr,
		   m->rows, m->cols);
	pad = 63 - hdr->len % 64;
	for (size_t i = 0; i < pad; i++)
		buf_putc(hdr, ' ');
	buf_putc(hdr, '\n');
	hdr->data[8] = (char)((hdr->len - 10) & 0xff);
	hdr->data[9] = (char)((hdr->len - 10) >> 8);
}

/* floats at f as little-endian float32 bytes at dst */
static void put_le32_f(unsigned char *dst, const float *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t bits;
		memcpy(&bits, &f[i], sizeof(bits));
		for (unsigned b = 0; b < 4; b++)
			dst[4 * i + b] = (unsigned char)(bits >> (8 * b));
	}
}

/* values of v as little-endian float32 bytes at dst */
static void put_le32(unsigned char *dst, const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		float f = (float)v[i];
		put_le32_f(dst + 4 * i, &f, 1);
	}
}

/* values of v as little-endian float64 bytes at dst */
static void put_le64(unsigned char *dst, const double *v, size_t n)
{
	if (host_little()) {
		memcpy(dst, v, n * sizeof(double));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t bits;
		memcpy(&bits, &v[i], sizeof(bits));
		for (unsigned b = 0; b < 8; b++)
			*dst++ = (unsigned char)(bits >> (8 * b));
	}
}

int npy_write_f64_file(FILE *f, const char *name, const struct matrix *m, char **err)
{
	unsigned char *chunk = NULL;
	struct buf hdr;
	size_t total = m->rows * m->cols;
	const size_t per_chunk = CHUNK / sizeof(double);
	int rc = -1;

	buf_init(&hdr);
	write_header(&hdr, m, "<f8");
	if (fwrite(hdr.data, 1, hdr.len, f) != hdr.len)
		goto fail;
	if (host_little() && m->v) {
		if (total && fwrite(m->v, sizeof(double), total, f) != total)
			goto fail;
	} else {
		chunk = xmalloc(CHUNK);
		double *wide = m->f ? xmalloc(CHUNK) : NULL;
		for (size_t i = 0; i < total; i += per_chunk) {
			size_t n = total - i < per_chunk ? total - i : per_chunk;
			for (size_t k = 0; wide && k < n; k++)
				wide[k] = (double)m->f[i + k];
			put_le64(chunk, wide ? wide : m->v + i, n);
			if (fwrite(chunk, sizeof(double), n, f) != n) {
				free(wide);
				goto fail;
			}
		}
		free(wide);
	}
	if (fflush(f) != 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	*err = xasprintf("%s: write failed: %s", name, strerror(errno));
out:
	free(chunk);
	buf_release(&hdr);
	return rc;
}

int npy_encode(const struct matrix *m, char **bytes, size_t *len, char **err)
{
	struct buf hdr;
	const size_t width = m->float32 ? 4 : 8;
	size_t total = m->rows * m->cols;
	unsigned char *p;

	buf_init(&hdr);
	write_header(&hdr, m, m->float32 ? "<f4" : "<f8");
	if (total > (SIZE_MAX - hdr.len) / width || !(p = xtry_malloc(hdr.len + total * width))) {
		*err = xasprintf("no memory for %zu x %zu values as .npy", m->rows, m->cols);
		buf_release(&hdr);
		return -1;
	}
	bigmem_advise(p, hdr.len + total * width);
	memcpy(p, hdr.data, hdr.len);
	if (m->f && host_little())
		memcpy(p + hdr.len, m->f, total * sizeof(float));
	else if (m->f)
		put_le32_f(p + hdr.len, m->f, total);
	else if (m->float32)
		put_le32(p + hdr.len, m->v, total);
	else
		put_le64(p + hdr.len, m->v, total);
	*bytes = (char *)p;
	*len = hdr.len + total * width;
	buf_release(&hdr);
	return 0;
}

int npy_write_f64(const char *path, const struct matrix *m, char **err)
{
	FILE *f = fopen(path, "wb");
	int rc;

	if (!f) {
		*err = xasprintf("%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	rc = npy_write_f64_file(f, path, m, err);
	if (fclose(f) != 0 && rc == 0) {
		*err = xasprintf("%s: write failed: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}
