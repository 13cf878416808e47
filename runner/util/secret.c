/* secret: the process-wide list of values to hide in every output. The list
 * is kept longest first, so that masking a secret that contains another
 * replaces the longer one whole. One mutex guards it.
 *
 * A secret is looked for in the forms a command, a server or a header puts
 * it in: as written; JSON-escaped (any escape a JSON writer may choose:
 * \" \\ \/ \n, \u00XX in either case, \uXXXX and surrogate pairs for
 * non-ASCII); percent-encoded (any byte as %XX in either case, a space as
 * '+'); and base64, standard or URL-safe. Escaped forms are matched by
 * decoding the text while comparing, so that every encoder's choice of
 * what to escape is covered. Base64 has no such trick: the secret's bytes
 * fall on any of three alignments within the encoded stream (the base64 of
 * "user:secret" does not contain the base64 of "secret"), so each secret
 * keeps, for each alignment, the characters that its bits alone determine,
 * and a match takes the one neighbouring character on each side that
 * carries a few of its bits too. */
#include "util/secret.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MASK "***"
#define DIGEST_HEX 64           /* a sha256 digest in hex */
#define DIGEST_SHORT_HEX 12     /* a digest shortened as "a1b2c3d4e5f6…" */
#define CHANCE_MAX 15           /* matches this long or shorter in a digest are chance */
#define ELLIPSIS "\xe2\x80\xa6"

enum mode { RAW, JSON, URL };

struct b64form {
	char *core;             /* the characters the secret's bits alone determine */
	size_t len;
	bool left, right;       /* a neighbouring character carries some of its bits */
	bool urlsafe;
};

struct secret {
	char *value;
	size_t len;
	bool json, url;         /* has bytes that JSON, percent-encoding would escape */
	struct b64form b64[6];  /* 3 alignments, standard and URL-safe */
	size_t n_b64;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct secret *secrets;  /* longest first */
static size_t count, cap_secrets;
static char **refused;          /* too short, already said */
static size_t n_refused, cap_refused;
static bool first[256];         /* bytes that can start a match of some form */

static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static bool is_b64(unsigned char c, bool urlsafe)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return urlsafe ? (c == '-' || c == '_') : (c == '+' || c == '/');
}

/* The base64 characters of value placed 'align' bytes into a stream, that
 * depend on value's bits only. */
static void b64_core(struct secret *s, size_t align)
{
	size_t n = align + s->len + 2, bits0 = 8 * align, bits1 = 8 * (align + s->len);
	unsigned char *in = xcalloc(n, 1);
	memcpy(in + align, s->value, s->len);
	size_t j0 = (bits0 + 5) / 6, j1 = bits1 / 6;   /* characters [j0, j1) */
	char *core = xmalloc(j1 - j0 + 1);
	for (size_t j = j0; j < j1; j++) {
		size_t bit = 6 * j, byte = bit / 8, shift = bit % 8;
		unsigned v = ((unsigned)in[byte] << 8 | in[byte + 1]) >> (10 - shift);
		core[j - j0] = b64_std[v & 63];
	}
	core[j1 - j0] = '\0';
	free(in);
	for (int urlsafe = 0; urlsafe < 2; urlsafe++) {
		struct b64form *f = &s->b64[s->n_b64];
		if (urlsafe && !strpbrk(core, "+/"))
			break;
		f->core = xstrdup(core);
		f->len = j1 - j0;
		f->left = bits0 % 6 != 0;
		f->right = bits1 % 6 != 0;
		f->urlsafe = urlsafe;
		for (char *p = f->core; urlsafe && *p; p++)
			*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
		s->n_b64++;
	}
	free(core);
}

static void secret_init(struct secret *s, const char *value, size_t len)
{
	memset(s, 0, sizeof *s);
	s->value = xstrdup(value);
	s->len = len;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		s->json |= c == '"' || c == '\\' || c == '/' || c < 0x20 || c >= 0x7f;
		s->url |= !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~');
	}
	for (size_t align = 0; align < 3; align++)
		b64_core(s, align);
	first[(unsigned char)value[0]] = true;
	if (s->json)
		first['\\'] = true;
	if (s->url)
		first['%'] = first['+'] = true;
	for (size_t i = 0; i < s->n_b64; i++)
		first[(unsigned char)s->b64[i].core[0]] = true;
}

static void secret_release(struct secret *s)
{
	free(s->value);
	for (size_t i = 0; i < s->n_b64; i++)
		free(s->b64[i].core);
}

enum secret_added secret_add(const char *value)
{
	enum secret_added r = SECRET_SEEN;

	if (!value || !value[0])
		return r;
	size_t len = strlen(value);
	pthread_mutex_lock(&lock);
	if (len < SECRET_MIN_LEN) {
		for (size_t i = 0; i < n_refused; i++)
			if (!strcmp(refused[i], value))
				goto out;
		XGROW(refused, cap_refused, n_refused + 1);
		refused[n_refused++] = xstrdup(value);
		r = SECRET_TOO_SHORT;
		goto out;
	}
	size_t at = 0;
	for (; at < count; at++) {
		if (secrets[at].len == len && strcmp(secrets[at].value, value) == 0)
			goto out;
		if (secrets[at].len < len)
			break;
	}
	XGROW(secrets, cap_secrets, count + 1);
	memmove(secrets + at + 1, secrets + at, (count - at) * sizeof(*secrets));
	secret_init(&secrets[at], value, len);
	count++;
	r = SECRET_ADDED;
out:
	pthread_mutex_unlock(&lock);
	return r;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The 4 hex digits at t as a number, or -1. */
static long hex4(const char *t)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(t[i]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

static size_t utf8(unsigned long cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A JSON escape at t (t[0] is '\\', n bytes left) decoded into out. Returns
 * the bytes of text it takes, 0 when it is no valid escape, -1 when the
 * text ends inside it. */
static int json_escape(const char *t, size_t n, unsigned char *out, size_t *k)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";

	if (n < 2)
		return -1;
	const char *e = t[1] ? strchr(from, t[1]) : NULL;
	if (e) {
		out[0] = (unsigned char)to[e - from];
		*k = 1;
		return 2;
	}
	if (t[1] != 'u')
		return 0;
	if (n < 6)
		return -1;
	long cp = hex4(t + 2);
	if (cp < 0 || (cp >= 0xdc00 && cp <= 0xdfff))
		return 0;
	if (cp < 0xd800 || cp > 0xdbff) {
		*k = utf8((unsigned long)cp, out);
		return 6;
	}
	if (n < 12)
		return -1;
	long lo = t[6] == '\\' && t[7] == 'u' ? hex4(t + 8) : -1;
	if (lo < 0xdc00 || lo > 0xdfff)
		return 0;
	*k = utf8(0x10000 + ((unsigned long)(cp - 0xd800) << 10) + (unsigned long)(lo - 0xdc00), out);
	return 12;
}

enum hit { NONE, FULL, PARTIAL };

/* Whether text t (n bytes) starts with s in mode m; *used: text bytes it
 * takes. PARTIAL: the text ends after at least one whole byte of s. */
static enum hit match_mode(const char *t, size_t n, const struct secret *s, enum mode m,
			   size_t *used)
{
	size_t i = 0, q = 0;

	while (i < s->len) {
		unsigned char u[4];
		size_t k = 1;
		int w = 1;
		if (q == n)
			return i ? PARTIAL : NONE;
		u[0] = (unsigned char)t[q];
		if (m == JSON && t[q] == '\\') {
			w = json_escape(t + q, n - q, u, &k);
		} else if (m == URL && t[q] == '%') {
			size_t left = n - q;
			if (left >= 3 && hexval(t[q + 1]) >= 0 && hexval(t[q + 2]) >= 0) {
				u[0] = (unsigned char)(hexval(t[q + 1]) << 4 | hexval(t[q + 2]));
				w = 3;
			} else if (left == 1 || (left == 2 && hexval(t[q + 1]) >= 0)) {
				w = -1;         /* the text ends inside a %XX */
			}
		} else if (m == URL && t[q] == '+' && s->value[i] == ' ') {
			u[0] = ' ';
		}
		if (w < 0)
			return i ? PARTIAL : NONE;
		if (w == 0 || k > s->len - i || memcmp(u, s->value + i, k) != 0)
			return NONE;
		q += (size_t)w;
		i += k;
	}
	*used = q;
	return FULL;
}

static enum hit match_b64(const char *t, size_t n, const struct b64form *f, size_t *used)
{
	size_t k = n < f->len ? n : f->len;

	if (memcmp(t, f->core, k) != 0)
		return NONE;
	*used = k;
	if (k == f->len)
		return FULL;
	return k >= 2 ? PARTIAL : NONE;  /* two characters hold a whole byte */
}

static bool is_hex(char c)
{
	return hexval(c) >= 0;
}

static bool is_word(char c)
{
	return is_hex(c) || (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z') || c == '_';
}

/* Whether t[at, at+len) is a short match inside a digest (see secret.h). */
static bool chance_in_digest(const char *t, size_t n, size_t at, size_t len)
{
	if (len > CHANCE_MAX)
		return false;
	size_t a = at, b = at + len;
	for (size_t i = a; i < b; i++)
		if (!is_hex(t[i]))
			return false;
	while (a > 0 && is_hex(t[a - 1]))
		a--;
	while (b < n && is_hex(t[b]))
		b++;
	if ((a > 0 && is_word(t[a - 1])) || (b < n && is_word(t[b])))
		return false;
	if (b - a == DIGEST_HEX)
		return true;
	return b - a >= DIGEST_SHORT_HEX && b - a < DIGEST_HEX &&
	       n - b >= strlen(ELLIPSIS) && memcmp(t + b, ELLIPSIS, strlen(ELLIPSIS)) == 0;
}

struct span {
	size_t start, end;
};

/* Tries one secret at t[p]: *sp is what to mask. The text may be cut short
 * at 'cut' (<= n): a match running into it counts when cut < n or partial. */
static bool try_secret(const char *t, size_t n, size_t p, size_t cut, bool partial,
		       size_t run, const struct secret *s, struct span *sp)
{
	static const enum mode modes[] = {RAW, JSON, URL};
	size_t used = 0;

	for (size_t i = 0; i < 3; i++) {
		if ((modes[i] == JSON && !s->json) || (modes[i] == URL && !s->url))
			continue;
		enum hit h = match_mode(t + p, cut - p, s, modes[i], &used);
		if (h == PARTIAL && cut < n && match_mode(t + p, n - p, s, modes[i], &used) == FULL)
			h = FULL;
		if (h == NONE || (h == PARTIAL && !partial))
			continue;
		if (h == FULL && chance_in_digest(t, n, p, used))
			continue;
		*sp = (struct span){p, h == FULL ? p + used : cut};
		return true;
	}
	for (size_t i = 0; i < s->n_b64; i++) {
		const struct b64form *f = &s->b64[i];
		enum hit h = match_b64(t + p, cut - p, f, &used);
		if (h == PARTIAL && cut < n && match_b64(t + p, n - p, f, &used) == FULL)
			h = FULL;
		if (h == NONE || (h == PARTIAL && !partial))
			continue;
		if (h == FULL && chance_in_digest(t, n, p, used))
			continue;
		*sp = (struct span){p, h == FULL ? p + used : cut};
		if (f->left && p > run && is_b64((unsigned char)t[p - 1], f->urlsafe))
			sp->start--;
		if (h == FULL && f->right && sp->end < n && is_b64((unsigned char)t[sp->end], f->urlsafe))
			sp->end++;
		return true;
	}
	return false;
}

/* Masks t (n bytes) into b; with mark, text before each mark may be cut. */
static void mask_into(struct buf *b, const char *t, size_t n, const char *mark)
{
	const char *next = mark ? strstr(t, mark) : NULL;
	size_t run = 0;

	for (size_t p = 0; p < n;) {
		/* the first mark after p: a mark at p cuts what came before it */
		if (next && (size_t)(next - t) <= p)
			next = strstr(t + p + 1, mark);
		size_t cut = next ? (size_t)(next - t) : n;
		struct span sp;
		bool hit = false;
		if (first[(unsigned char)t[p]])
			for (size_t i = 0; i < count && !hit; i++)
				hit = try_secret(t, n, p, cut, next != NULL, run, &secrets[i], &sp);
		if (!hit) {
			p++;
			continue;
		}
		buf_add(b, t + run, sp.start - run);
		buf_puts(b, MASK);
		p = run = sp.end;
	}
	buf_add(b, t + run, n - run);
}

char *secret_mask_cut(const char *s, const char *mark)
{
	struct buf b;

	if (!s)
		return NULL;
	buf_init(&b);
	pthread_mutex_lock(&lock);
	if (count)
		mask_into(&b, s, strlen(s), mark && *mark ? mark : NULL);
	else
		buf_puts(&b, s);
	pthread_mutex_unlock(&lock);
	char *masked = buf_detach(&b);
	buf_release(&b);
	return masked;
}

char *secret_mask(const char *s)
{
	return secret_mask_cut(s, NULL);
}

void secret_clear(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < count; i++)
		secret_release(&secrets[i]);
	free(secrets);
	secrets = NULL;
	count = cap_secrets = 0;
	for (size_t i = 0; i < n_refused; i++)
		free(refused[i]);
	free(refused);
	refused = NULL;
	n_refused = cap_refused = 0;
	memset(first, 0, sizeof first);
	pthread_mutex_unlock(&lock);
}
