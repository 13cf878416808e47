/* version: PEP 440 and Debian version strings, and specifiers over them,
 * PEP 440 as pypa/packaging 26.x has it (tests/unit/data/pep440-* hold its
 * test cases). Numbers stay digit strings compared by length, then bytes,
 * so no length overflows. A specifier is parsed once without a scheme; the
 * versions in its clauses are parsed under the scheme named when it is
 * checked or matched. */
#include "model/version.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Characters, plain ASCII whatever the locale. */

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool is_sep(int c)
{
	return c == '-' || c == '_' || c == '.';
}

static char to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static size_t span_digits(const char *s)
{
	size_t n = 0;

	while (is_digit(s[n]))
		n++;
	return n;
}

/* The contents of b, owned by the caller; b is released. */
static char *buf_take(struct buf *b)
{
	char *p = buf_detach(b);

	buf_release(b);
	return p;
}

/* A copy of s without leading and trailing ASCII white space, owned by the
 * caller: what dpkg strips from a Debian version. */
static char *trim_dup(const char *s)
{
	size_t n;

	while (is_space(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* The white space beyond ASCII that Python's str.isspace() takes, and so
 * packaging's version and specifier parsers, in UTF-8: U+0085, U+00A0,
 * U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000. */
static const char *const wide_spaces[] = {
	"\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\x80", "\xe2\x80\x81",
	"\xe2\x80\x82", "\xe2\x80\x83", "\xe2\x80\x84", "\xe2\x80\x85", "\xe2\x80\x86",
	"\xe2\x80\x87", "\xe2\x80\x88", "\xe2\x80\x89", "\xe2\x80\x8a", "\xe2\x80\xa8",
	"\xe2\x80\xa9", "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80", NULL,
};

/* ASCII white space and the separators U+001C..U+001F. */
static bool is_space1(int c)
{
	return is_space(c) || (c >= 0x1c && c <= 0x1f);
}

/* The length of the white space character that opens s[0..n), or 0. */
static size_t space_at(const char *s, size_t n)
{
	if (n > 0 && is_space1(*s))
		return 1;
	for (const char *const *w = wide_spaces; *w; w++) {
		size_t len = strlen(*w);
		if (len <= n && !memcmp(s, *w, len))
			return len;
	}
	return 0;
}

/* The length of the white space character that ends s[0..n), or 0. */
static size_t space_before(const char *s, size_t n)
{
	if (n > 0 && is_space1(s[n - 1]))
		return 1;
	for (const char *const *w = wide_spaces; *w; w++) {
		size_t len = strlen(*w);
		if (len <= n && !memcmp(s + n - len, *w, len))
			return len;
	}
	return 0;
}

/* Where s[0..*n) starts without white space at either end, *n shortened. */
static const char *span_trim(const char *s, size_t *n)
{
	size_t k;

	for (k = space_at(s, *n); k > 0; k = space_at(s, *n)) {
		s += k;
		*n -= k;
	}
	for (k = space_before(s, *n); k > 0; k = space_before(s, *n))
		*n -= k;
	return s;
}

/* A copy of s without leading and trailing white space, Unicode's as well
 * as ASCII's, owned by the caller: what packaging strips from a version. */
static char *trim_dup_wide(const char *s)
{
	size_t n = strlen(s);

	s = span_trim(s, &n);
	return xstrndup(s, n);
}

/* A number as its digits without leading zeros (n == 0 is zero), pointing
 * into a string that outlives it. */
struct num {
	const char *p;
	size_t n;
};

static const struct num num_zero = { "", 0 };

static struct num num_make(const char *p, size_t n)
{
	struct num x;

	while (n > 0 && *p == '0') {
		p++;
		n--;
	}
	x.p = p;
	x.n = n;
	return x;
}

static int num_cmp(struct num a, struct num b)
{
	int c;

	if (a.n != b.n)
		return a.n < b.n ? -1 : 1;
	if (a.n == 0)
		return 0;
	c = memcmp(a.p, b.p, a.n);
	return (c > 0) - (c < 0);
}

static void num_put(struct buf *b, struct num x)
{
	if (x.n == 0)
		buf_putc(b, '0');
	else
		buf_add(b, x.p, x.n);
}

static int int_cmp(int a, int b)
{
	return (a > b) - (a < b);
}

/* How many dot-separated numbers open s ("2.2.post3" has two, "1rc1" one);
 * *cut is set to the length of all but the last of them ("8.9.2.26" -> 5). */
static size_t release_parts(const char *s, size_t *cut)
{
	size_t count = 0, i = 0, n;

	*cut = 0;
	for (;;) {
		n = span_digits(s + i);
		if (n == 0)
			break;
		if (count > 0)
			*cut = i - 1;
		count++;
		i += n;
		if (s[i] != '.')
			break;
		i++;
	}
	return count;
}

/* PEP 440. */

enum pre_kind { PRE_NONE, PRE_A, PRE_B, PRE_RC };

struct spelling {
	const char *word;
	int kind;
};

/* Longer spellings first: the first that opens the text wins. */
static const struct spelling pre_words[] = {
	{ "preview", PRE_RC }, { "alpha", PRE_A }, { "beta", PRE_B }, { "pre", PRE_RC },
	{ "rc", PRE_RC }, { "a", PRE_A }, { "b", PRE_B }, { "c", PRE_RC }, { NULL, 0 },
};
static const struct spelling post_words[] = {
	{ "post", 1 }, { "rev", 1 }, { "r", 1 }, { NULL, 0 },
};
static const struct spelling dev_words[] = {
	{ "dev", 1 }, { NULL, 0 },
};
static const char *const pre_names[] = { "", "a", "b", "rc" };

struct local_seg {
	struct num x;           /* a numeric segment without leading zeros, or the letters */
	bool numeric;
};

struct pep {
	char *text;             /* trimmed and lowercased; the numbers point into it */
	struct num epoch;
	struct num *rel;
	size_t n_rel, cap_rel;
	int pre;                /* enum pre_kind */
	struct num pre_n;
	bool has_post, has_dev;
	struct num post, dev;
	struct local_seg *local;
	size_t n_local, cap_local;
};

static void pep_release(struct pep *v)
{
	free(v->text);
	free(v->rel);
	free(v->local);
	memset(v, 0, sizeof *v);
}

static size_t spelled(const char *s, const struct spelling *t, int *kind)
{
	for (; t->word; t++) {
		size_t n = strlen(t->word);
		if (!strncmp(s, t->word, n)) {
			*kind = t->kind;
			return n;
		}
	}
	return 0;
}

/* The shape of pre, post and dev parts at *p: "[sep]word[sep][N]", the
 * number 0 when left out. Taking the separator after the word even with
 * no number behind it never costs a match: each next part may start with
 * a separator of its own. Nothing is consumed when no word matches. */
static bool suffix(const char **p, const struct spelling *t, int *kind, struct num *n)
{
	const char *s = *p;
	size_t len;

	if (is_sep(*s))
		s++;
	len = spelled(s, t, kind);
	if (len == 0)
		return false;
	s += len;
	if (is_sep(*s))
		s++;
	len = span_digits(s);
	*n = num_make(s, len);
	*p = s + len;
	return true;
}

static int pep_parse(const char *in, struct pep *v)
{
	const char *s;
	size_t n;
	int kind;

	memset(v, 0, sizeof *v);
	v->text = trim_dup_wide(in);
	for (char *c = v->text; *c; c++)
		*c = to_lower(*c);
	s = v->text;
	if (*s == 'v')
		s++;
	n = span_digits(s);
	if (n > 0 && s[n] == '!') {
		v->epoch = num_make(s, n);
		s += n + 1;
	}
	for (;;) {
		n = span_digits(s);
		if (n == 0)
			goto fail;
		XGROW(v->rel, v->cap_rel, v->n_rel + 1);
		v->rel[v->n_rel++] = num_make(s, n);
		s += n;
		if (s[0] != '.' || !is_digit(s[1]))
			break;
		s++;
	}
	if (suffix(&s, pre_words, &kind, &v->pre_n))
		v->pre = kind;
	if (s[0] == '-' && is_digit(s[1])) {
		/* the implicit post release, "1.0-1" */
		n = span_digits(s + 1);
		v->has_post = true;
		v->post = num_make(s + 1, n);
		s += n + 1;
	} else if (suffix(&s, post_words, &kind, &v->post)) {
		v->has_post = true;
	}
	if (suffix(&s, dev_words, &kind, &v->dev))
		v->has_dev = true;
	if (*s == '+') {
		do {
			struct local_seg seg;
			s++;
			n = 0;
			while (is_digit(s[n]) || is_alpha(s[n]))
				n++;
			if (n == 0)
				goto fail;
			seg.numeric = span_digits(s) == n;
			seg.x.p = s;
			seg.x.n = n;
			if (seg.numeric)
				seg.x = num_make(s, n);
			XGROW(v->local, v->cap_local, v->n_local + 1);
			v->local[v->n_local++] = seg;
			s += n;
		} while (is_sep(*s));
	}
	if (*s != '\0')
		goto fail;
	return 0;
fail:
	pep_release(v);
	return -1;
}

static void pep_put(struct buf *b, const struct pep *v)
{
	if (v->epoch.n) {
		num_put(b, v->epoch);
		buf_putc(b, '!');
	}
	for (size_t i = 0; i < v->n_rel; i++) {
		if (i)
			buf_putc(b, '.');
		num_put(b, v->rel[i]);
	}
	if (v->pre != PRE_NONE) {
		buf_puts(b, pre_names[v->pre]);
		num_put(b, v->pre_n);
	}
	if (v->has_post) {
		buf_puts(b, ".post");
		num_put(b, v->post);
	}
	if (v->has_dev) {
		buf_puts(b, ".dev");
		num_put(b, v->dev);
	}
	for (size_t i = 0; i < v->n_local; i++) {
		buf_putc(b, i ? '.' : '+');
		if (v->local[i].numeric)
			num_put(b, v->local[i].x);
		else
			buf_add(b, v->local[i].x.p, v->local[i].x.n);
	}
}

static struct num rel_at(const struct pep *v, size_t i)
{
	return i < v->n_rel ? v->rel[i] : num_zero;
}

/* Epoch and release, the shorter release padded with zeros: 1.0 == 1.0.0. */
static int base_cmp(const struct pep *a, const struct pep *b)
{
	size_t n = a->n_rel > b->n_rel ? a->n_rel : b->n_rel;
	int c = num_cmp(a->epoch, b->epoch);

	for (size_t i = 0; i < n && c == 0; i++)
		c = num_cmp(rel_at(a, i), rel_at(b, i));
	return c;
}

/* Where the pre-release part puts v: a dev release of a final release
 * (1.0.dev0) before every pre-release, a final or post release after all. */
static int pre_tier(const struct pep *v)
{
	if (v->pre != PRE_NONE)
		return v->pre;
	if (!v->has_post && v->has_dev)
		return 0;
	return PRE_RC + 1;
}

/* Segment by segment, numbers above words; a shorter label that is a
 * prefix of the longer sorts first, and no label sorts before any. */
static int local_cmp(const struct pep *a, const struct pep *b)
{
	for (size_t i = 0; i < a->n_local && i < b->n_local; i++) {
		const struct local_seg *x = &a->local[i], *y = &b->local[i];
		int c;
		if (x->numeric != y->numeric)
			return x->numeric ? 1 : -1;
		if (x->numeric) {
			c = num_cmp(x->x, y->x);
		} else {
			size_t n = x->x.n < y->x.n ? x->x.n : y->x.n;
			c = memcmp(x->x.p, y->x.p, n);
			c = (c > 0) - (c < 0);
			if (c == 0 && x->x.n != y->x.n)
				c = x->x.n < y->x.n ? -1 : 1;
		}
		if (c)
			return c;
	}
	return (a->n_local > b->n_local) - (a->n_local < b->n_local);
}

static int pep_cmp(const struct pep *a, const struct pep *b, bool with_local)
{
	int c = base_cmp(a, b);

	if (c)
		return c;
	c = int_cmp(pre_tier(a), pre_tier(b));
	if (c)
		return c;
	if (a->pre != PRE_NONE) {
		c = num_cmp(a->pre_n, b->pre_n);
		if (c)
			return c;
	}
	if (a->has_post != b->has_post)
		return a->has_post ? 1 : -1;
	if (a->has_post) {
		c = num_cmp(a->post, b->post);
		if (c)
			return c;
	}
	if (a->has_dev != b->has_dev)
		return a->has_dev ? -1 : 1;
	if (a->has_dev) {
		c = num_cmp(a->dev, b->dev);
		if (c)
			return c;
	}
	return with_local ? local_cmp(a, b) : 0;
}

static bool pep_is_pre(const struct pep *v)
{
	return v->pre != PRE_NONE || v->has_dev;
}

/* Same epoch, and the first k release numbers of c (padded with zeros)
 * are v's: the ==V.* match, which ignores what follows the release. */
static bool pep_prefix(const struct pep *c, const struct pep *v, size_t k)
{
	if (num_cmp(c->epoch, v->epoch))
		return false;
	for (size_t i = 0; i < k; i++)
		if (num_cmp(rel_at(c, i), rel_at(v, i)))
			return false;
	return true;
}

/* Debian: [epoch:]upstream[-revision], per policy 5.6.12 and dpkg. */

struct deb {
	char *text;             /* trimmed copy */
	const char *after;      /* what follows the epoch, in text */
	char *up;               /* upstream, NUL, revision: one allocation */
	const char *rev;        /* "" when there is none */
	struct num epoch;
};

static void deb_release(struct deb *v)
{
	free(v->text);
	free(v->up);
	memset(v, 0, sizeof *v);
}

/* dpkg refuses what this refuses (an empty or non-numeric epoch, one over
 * INT_MAX, nothing after the colon, an empty upstream or revision, blanks
 * inside) and only warns about an upstream that does not start with a
 * digit, which is accepted here. Bytes outside printable ASCII are
 * refused too: dpkg warns about them and orders them by the sign of char. */
static int deb_parse(const char *in, struct deb *v)
{
	const char *colon;
	char *dash;
	size_t n;

	memset(v, 0, sizeof *v);
	v->text = trim_dup(in);
	if (*v->text == '\0')
		goto fail;
	for (const char *c = v->text; *c; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
			goto fail;
	v->after = v->text;
	v->epoch = num_zero;
	colon = strchr(v->text, ':');
	if (colon) {
		n = span_digits(v->text);
		if (n == 0 || v->text + n != colon || colon[1] == '\0')
			goto fail;
		v->epoch = num_make(v->text, n);
		if (v->epoch.n > 10 || (v->epoch.n == 10 && memcmp(v->epoch.p, "2147483647", 10) > 0))
			goto fail;
		v->after = colon + 1;
	}
	v->up = xstrdup(v->after);
	v->rev = "";
	dash = strrchr(v->up, '-');
	if (dash) {
		*dash = '\0';
		v->rev = dash + 1;
		if (*v->rev == '\0')
			goto fail;
	}
	if (*v->up == '\0')
		goto fail;
	return 0;
fail:
	deb_release(v);
	return -1;
}

/* The weight of a character in the non-digit runs: '~' before the end of
 * the string, the end before letters, letters before everything else. */
static int deb_weight(char ch)
{
	unsigned char c = (unsigned char)ch;

	if (c == '~')
		return -1;
	if (c == '\0' || is_digit(c))
		return 0;
	if (is_alpha(c))
		return c;
	return c + 256;
}

/* Alternating runs: non-digits by weight, then digits as numbers (an
 * empty run is zero), until both strings end. */
static int deb_part_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		while ((*a && !is_digit(*a)) || (*b && !is_digit(*b))) {
			int wa = deb_weight(*a), wb = deb_weight(*b);
			if (wa != wb)
				return wa < wb ? -1 : 1;
			/* equal weights here mean the same character in both */
			a++;
			b++;
		}
		size_t la = span_digits(a), lb = span_digits(b);
		int c = num_cmp(num_make(a, la), num_make(b, lb));
		if (c)
			return c;
		a += la;
		b += lb;
	}
	return 0;
}

static int deb_cmp(const struct deb *a, const struct deb *b)
{
	int c = num_cmp(a->epoch, b->epoch);

	if (c == 0)
		c = deb_part_cmp(a->up, b->up);
	if (c == 0)
		c = deb_part_cmp(a->rev, b->rev);
	return c;
}

/* Same epoch, and the len bytes after v's epoch open c's, ending on a
 * component boundary: "1.2" takes 1.2, 1.2.3, 1.2-1 and 1.2~rc1, not 1.20. */
static bool deb_prefix(const struct deb *c, const struct deb *v, size_t len)
{
	if (num_cmp(c->epoch, v->epoch))
		return false;
	if (strncmp(c->after, v->after, len))
		return false;
	return !(is_digit(v->after[len - 1]) && is_digit(c->after[len]));
}

/* Public comparisons. */

static const char *const scheme_names[] = { "PEP 440", "Debian" };

static char *cannot_parse(const char *v, enum version_scheme scheme)
{
	return xasprintf("cannot parse version '%s' (%s)", v, scheme_names[scheme]);
}

int pep440_compare(const char *a, const char *b, int *cmp, char **err)
{
	struct pep x, y;
	int rc = -1;

	*err = NULL;
	if (pep_parse(a, &x) < 0) {
		*err = cannot_parse(a, SCHEME_PEP440);
		return -1;
	}
	if (pep_parse(b, &y) < 0) {
		*err = cannot_parse(b, SCHEME_PEP440);
		goto out;
	}
	*cmp = pep_cmp(&x, &y, true);
	rc = 0;
	pep_release(&y);
out:
	pep_release(&x);
	return rc;
}

int debian_compare(const char *a, const char *b, int *cmp, char **err)
{
	struct deb x, y;
	int rc = -1;

	*err = NULL;
	if (deb_parse(a, &x) < 0) {
		*err = cannot_parse(a, SCHEME_DEBIAN);
		return -1;
	}
	if (deb_parse(b, &y) < 0) {
		*err = cannot_parse(b, SCHEME_DEBIAN);
		goto out;
	}
	*cmp = deb_cmp(&x, &y);
	rc = 0;
	deb_release(&y);
out:
	deb_release(&x);
	return rc;
}

char *pep440_normalize(const char *v)
{
	struct pep p;
	struct buf b;

	if (pep_parse(v, &p) < 0)
		return NULL;
	buf_init(&b);
	pep_put(&b, &p);
	pep_release(&p);
	return buf_take(&b);
}

char *pep503_name(const char *name)
{
	struct buf b;
	const char *p = name;

	if (!name)
		return NULL;
	buf_init(&b);
	while (*p) {
		if (is_sep(*p)) {
			while (is_sep(*p))
				p++;
			buf_putc(&b, '-');
			continue;
		}
		buf_putc(&b, to_lower(*p));
		p++;
	}
	return buf_take(&b);
}

/* Specifiers. */

enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_COMPAT, OP_ARB };

static const struct op_row {
	const char *sym;
	enum op op;
} op_table[] = {
	{ "===", OP_ARB }, { "==", OP_EQ }, { "!=", OP_NE }, { "<=", OP_LE }, { ">=", OP_GE },
	{ "<", OP_LT }, { ">", OP_GT }, { "~=", OP_COMPAT }, { NULL, OP_EQ },
};

/* Operators from other tools (dpkg's = << >>, Ruby's ~>) and slips of
 * the hand, with the one meant. */
static const struct op_typo {
	const char *wrong, *right;
} op_typos[] = {
	{ "=>", ">=" }, { "=<", "<=" }, { "=", "==" }, { "<<", "<" }, { ">>", ">" },
	{ "!", "!=" }, { "<>", "!=" }, { "!==", "!=" }, { "~", "~=" }, { "~>", "~=" },
	{ "=~", "~=" }, { NULL, NULL },
};

struct clause {
	const struct op_row *op;
	char *ver;              /* as written, trimmed, without a final ".*" */
	bool prefix;            /* ==V.* or !=V.* */
};

struct version_spec {
	char *text;
	struct clause *clauses;
	size_t n, cap;
};

/* A clause's version parsed under the scheme of the call. */
struct target {
	struct pep p;
	struct deb d;
	size_t cut;             /* ~= under Debian: the length of the prefix kept */
};

static const struct op_row *op_find(const char *sym)
{
	for (const struct op_row *r = op_table; r->sym; r++)
		if (!strcmp(r->sym, sym))
			return r;
	return NULL;
}

static bool is_op_char(int c)
{
	return c != '\0' && strchr("=<>!~^", c) != NULL;
}

static char *spec_error(const char *text, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static char *spec_error(const char *text, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	buf_printf(&b, "invalid version specifier '%s': ", text);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return buf_take(&b);
}

/* The operator in sym is not one: say so, and which one was meant when
 * the spaces in it, or the typo table, tell. */
static char *unknown_op(const char *text, const char *sym)
{
	size_t n = strlen(sym), j = 0, k;
	char *tight = xstrdup(sym);
	const struct op_row *known;
	const char *meant = NULL;
	char *msg;

	for (size_t i = 0; i < n; i += k ? k : 1) {
		k = space_at(sym + i, n - i);
		if (k == 0)
			tight[j++] = sym[i];
	}
	tight[j] = '\0';
	known = op_find(tight);
	if (known)
		meant = known->sym;
	for (const struct op_typo *t = op_typos; !meant && t->wrong; t++)
		if (!strcmp(t->wrong, tight))
			meant = t->right;
	if (meant)
		msg = spec_error(text, "unknown operator '%s' (did you mean '%s'?)", sym, meant);
	else
		msg = spec_error(text, "unknown operator '%s'", sym);
	free(tight);
	return msg;
}

/* How long the operator of p[0..n) is, the white space inside and after
 * it included. */
static size_t op_span(const char *p, size_t n)
{
	size_t k = 0, sp;

	for (;;) {
		if (k < n && is_op_char(p[k])) {
			k++;
			continue;
		}
		sp = space_at(p + k, n - k);
		if (sp == 0)
			return k;
		k += sp;
	}
}

/* s has white space somewhere, Unicode's or ASCII's. */
static bool has_space(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if (space_at(s + i, n - i))
			return true;
	return false;
}

/* The checks on ver that need no scheme: '.*' only at the end of == and
 * != (cut off, setting cl->prefix), two numbers for ~=. */
static int clause_version(struct clause *cl, char *ver, const char *text, char **err)
{
	const char *star = strchr(ver, '*');
	size_t len = strlen(ver), k, cut;

	if (star && cl->op->op != OP_ARB) {
		if (star != ver + len - 1 || len < 3 || ver[len - 2] != '.') {
			*err = spec_error(text, "'*' is only allowed in a final '.*', like ==1.2.*");
			return -1;
		}
		if (cl->op->op != OP_EQ && cl->op->op != OP_NE) {
			*err = spec_error(text, "'.*' is only allowed with == and !=");
			return -1;
		}
		ver[len - 2] = '\0';
		cl->prefix = true;
	}
	if (cl->op->op == OP_COMPAT) {
		const char *v = ver;
		if (*v == 'v' || *v == 'V')
			v++;
		k = span_digits(v);
		if (k > 0 && (v[k] == '!' || v[k] == ':'))
			v += k + 1;
		if (release_parts(v, &cut) < 2) {
			*err = spec_error(text, "'~=' needs a version with at least two parts, like ~=1.4");
			return -1;
		}
	}
	return 0;
}

/* Checks that need no scheme: an operator, a version, no blank inside,
 * and those of clause_version. White space around the clause and after
 * the operator may be Unicode's, as packaging allows. */
static int clause_parse(struct clause *cl, const char *p, size_t n, const char *text,
			char **err)
{
	char *sym = NULL, *ver = NULL;
	size_t k, len;
	int rc = -1;

	p = span_trim(p, &n);
	if (n == 0) {
		*err = spec_error(text, "empty clause");
		goto out;
	}
	k = op_span(p, n);
	len = k;
	while (len > 0 && space_before(p, len))
		len -= space_before(p, len);
	if (len == 0) {
		*err = spec_error(text, "no operator (write ==%.*s)", (int)n, p);
		goto out;
	}
	sym = xstrndup(p, len);
	cl->op = op_find(sym);
	if (!cl->op) {
		*err = unknown_op(text, sym);
		goto out;
	}
	if (k == n) {
		*err = spec_error(text, "missing version after '%s'", sym);
		goto out;
	}
	ver = xstrndup(p + k, n - k);
	if (has_space(ver)) {
		*err = spec_error(text, "space inside version '%s' (separate clauses with a comma)", ver);
		goto out;
	}
	if (clause_version(cl, ver, text, err) < 0)
		goto out;
	cl->ver = ver;
	ver = NULL;
	rc = 0;
out:
	free(ver);
	free(sym);
	return rc;
}

struct version_spec *version_spec_new(const char *text, char **err)
{
	struct version_spec *s = xcalloc(1, sizeof *s);
	const char *p = text;

	*err = NULL;
	s->text = xstrdup(text);
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		XGROW(s->clauses, s->cap, s->n + 1);
		memset(&s->clauses[s->n], 0, sizeof s->clauses[s->n]);
		if (clause_parse(&s->clauses[s->n], p, n, text, err) < 0)
			goto fail;
		s->n++;
		if (!comma)
			break;
		p = comma + 1;
	}
	return s;
fail:
	version_spec_free(s);
	return NULL;
}

void version_spec_free(struct version_spec *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->clauses[i].ver);
	free(s->clauses);
	free(s->text);
	free(s);
}

const char *version_spec_text(const struct version_spec *s)
{
	return s->text;
}

static void target_release(struct target *t)
{
	pep_release(&t->p);
	deb_release(&t->d);
}

/* Parses cl's version under scheme into t, with the checks that need it. */
static int target_load(const struct version_spec *s, const struct clause *cl,
		       enum version_scheme scheme, struct target *t, char **err)
{
	char *why;

	memset(t, 0, sizeof *t);
	if (cl->op->op == OP_ARB)
		return 0;
	if (scheme == SCHEME_DEBIAN) {
		if (deb_parse(cl->ver, &t->d) < 0)
			goto bad;
		if (cl->op->op == OP_COMPAT && release_parts(t->d.after, &t->cut) < 2)
			goto compat;
		return 0;
	}
	if (pep_parse(cl->ver, &t->p) < 0)
		goto bad;
	if (cl->prefix && (t->p.pre != PRE_NONE || t->p.has_post || t->p.has_dev || t->p.n_local)) {
		*err = spec_error(s->text, "'.*' must follow a release number, like ==1.2.*");
		goto fail;
	}
	if (t->p.n_local && cl->op->op != OP_EQ && cl->op->op != OP_NE) {
		*err = spec_error(s->text, "a local version label is only allowed with == and !=");
		goto fail;
	}
	if (cl->op->op == OP_COMPAT && t->p.n_rel < 2)
		goto compat;
	return 0;
bad:
	why = cannot_parse(cl->ver, scheme);
	*err = spec_error(s->text, "%s", why);
	free(why);
	goto fail;
compat:
	*err = spec_error(s->text, "'~=' needs a version with at least two parts, like ~=1.4");
fail:
	target_release(t);
	return -1;
}

/* c is a post-release of v's own family: same epoch, release and
 * pre-release (1.0.post2 of 1.0, 1.0a1.post0 of 1.0a1, not 1.0.post0 of
 * 1.0a1 or of 1.0.dev1). */
static bool pep_post_of(const struct pep *c, const struct pep *v)
{
	if (!c->has_post || base_cmp(c, v) != 0 || c->pre != v->pre)
		return false;
	return v->pre == PRE_NONE || num_cmp(c->pre_n, v->pre_n) == 0;
}

/* >V as packaging 26.x has it: above V without its local label, and, when V
 * is a final or pre-release (no post, no dev part), not a post-release of
 * V itself. So 1.0+local and 1.0.post0 are > 1.0.dev1, while 1.0.post1 is
 * not > 1.0 and 1.0a1.post0 is not > 1.0a1. */
static bool pep_gt(const struct pep *c, const struct pep *v, const char **note)
{
	if (pep_cmp(c, v, false) <= 0) {
		if (c->n_local && pep_cmp(c, v, false) == 0)
			*note = "a local version";
		return false;
	}
	if (!v->has_post && !v->has_dev && pep_post_of(c, v)) {
		*note = "a post-release";
		return false;
	}
	return true;
}

/* <V as packaging 26.x has it: below V itself when V is a pre-release,
 * else below V's first dev release (V.dev0, or V.postN.dev0), so that
 * 1.0rc1 is not < 1.0 and 1.0.post1.dev0 is not < 1.0.post1, while 1.0a1
 * is < 1.0.post0. */
static bool pep_lt(const struct pep *c, const struct pep *v, const char **note)
{
	struct pep bound;

	if (pep_is_pre(v))
		return pep_cmp(c, v, true) < 0;
	bound = *v;             /* shares v's storage: never released */
	bound.has_dev = true;
	bound.dev = num_zero;
	if (pep_cmp(c, &bound, true) < 0)
		return true;
	if (pep_cmp(c, v, true) < 0)
		*note = "a pre-release";
	return false;
}

/* PEP 440 clause semantics, as pypa/packaging 26.x's SpecifierSet.contains
 * with installed=True: ==V ignores the candidate's local label unless V has
 * one; <=, >= compare the public part; > and < as pep_gt and pep_lt; ~=V is
 * >=V with the same release numbers but the last. Pre-releases are accepted
 * when the clauses hold: parity checks a version already installed, not one
 * to choose for install. *note names the rule when an exclusion decides. */
static bool pep_test(const struct clause *cl, const struct pep *c, const struct pep *v,
		     const char **note)
{
	bool eq;

	switch (cl->op->op) {
	case OP_EQ:
	case OP_NE:
		if (cl->prefix)
			eq = pep_prefix(c, v, v->n_rel);
		else
			eq = pep_cmp(c, v, v->n_local > 0) == 0;
		return cl->op->op == OP_EQ ? eq : !eq;
	case OP_LE:
		return pep_cmp(c, v, false) <= 0;
	case OP_GE:
		return pep_cmp(c, v, false) >= 0;
	case OP_LT:
		return pep_lt(c, v, note);
	case OP_GT:
		return pep_gt(c, v, note);
	case OP_COMPAT:
		return pep_cmp(c, v, false) >= 0 && pep_prefix(c, v, v->n_rel - 1);
	case OP_ARB:
		break;
	}
	return false;
}

/* Debian clause semantics: dpkg's order for the comparisons; ==V.* the
 * prefix match of deb_prefix; ~=V is >=V and the same leading numbers
 * but the last ("~=8.9.2" is >=8.9.2 and ==8.9.*). */
static bool deb_test(const struct clause *cl, const struct deb *c, const struct target *t)
{
	const struct deb *v = &t->d;
	bool eq;

	switch (cl->op->op) {
	case OP_EQ:
	case OP_NE:
		if (cl->prefix)
			eq = deb_prefix(c, v, strlen(v->after));
		else
			eq = deb_cmp(c, v) == 0;
		return cl->op->op == OP_EQ ? eq : !eq;
	case OP_LE:
		return deb_cmp(c, v) <= 0;
	case OP_GE:
		return deb_cmp(c, v) >= 0;
	case OP_LT:
		return deb_cmp(c, v) < 0;
	case OP_GT:
		return deb_cmp(c, v) > 0;
	case OP_COMPAT:
		return deb_cmp(c, v) >= 0 && deb_prefix(c, v, t->cut);
	case OP_ARB:
		break;
	}
	return false;
}

int version_spec_check(const struct version_spec *s, enum version_scheme scheme, char **err)
{
	struct target t;

	*err = NULL;
	for (size_t i = 0; i < s->n; i++) {
		if (target_load(s, &s->clauses[i], scheme, &t, err) < 0)
			return -1;
		target_release(&t);
	}
	return 0;
}

int version_spec_match(const struct version_spec *s, const char *version,
		       enum version_scheme scheme, char **why)
{
	struct target *t = xcalloc(s->n, sizeof *t);
	char *shown = scheme == SCHEME_DEBIAN ? trim_dup(version) : trim_dup_wide(version);
	struct pep cp;
	struct deb cd;
	char *msg = NULL;
	size_t loaded = 0;
	bool need = false;
	int rc = -1;

	memset(&cp, 0, sizeof cp);
	memset(&cd, 0, sizeof cd);
	for (; loaded < s->n; loaded++) {
		if (target_load(s, &s->clauses[loaded], scheme, &t[loaded], &msg) < 0)
			goto out;
		if (s->clauses[loaded].op->op != OP_ARB)
			need = true;
	}
	if (need && scheme == SCHEME_DEBIAN && deb_parse(version, &cd) < 0) {
		msg = cannot_parse(version, scheme);
		goto out;
	}
	if (need && scheme == SCHEME_PEP440 && pep_parse(version, &cp) < 0) {
		msg = cannot_parse(version, scheme);
		goto out;
	}
	rc = 1;
	for (size_t i = 0; i < s->n && rc == 1; i++) {
		const struct clause *cl = &s->clauses[i];
		const char *note = NULL;
		bool ok;
		if (cl->op->op == OP_ARB)
			ok = scheme == SCHEME_DEBIAN ? !strcmp(shown, cl->ver) : !strcasecmp(shown, cl->ver);
		else if (scheme == SCHEME_DEBIAN)
			ok = deb_test(cl, &cd, &t[i]);
		else
			ok = pep_test(cl, &cp, &t[i].p, &note);
		if (ok)
			continue;
		rc = 0;
		if (cl->op->op == OP_NE)
			msg = xasprintf("%s is excluded by != %s%s", shown, cl->ver, cl->prefix ? ".*" : "");
		else if (note)
			msg = xasprintf("%s is not %s %s (%s of %s)", shown, cl->op->sym, cl->ver, note,
					cl->ver);
		else
			msg = xasprintf("%s is not %s %s%s", shown, cl->op->sym, cl->ver,
					cl->prefix ? ".*" : "");
	}
out:
	pep_release(&cp);
	deb_release(&cd);
	for (size_t i = 0; i < loaded; i++)
		target_release(&t[i]);
	free(t);
	free(shown);
	if (why)
		*why = msg;
	else
		free(msg);
	return rc;
}
