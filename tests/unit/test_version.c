/* Unit tests for core/version: PEP 440 normalization, ordering and
 * specifiers, from the PEP's own examples and from pypa/packaging 26.x's
 * test suite (tests/test_version.py, tests/test_specifiers.py), whose cases
 * are tables under tests/unit/data/pep440-*; Debian ordering from policy
 * 5.6.12, cross-checked against the real `dpkg --compare-versions`; PEP 503
 * names; the exact text of every error. prove runs this from the
 * repository root, where the data paths start. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "model/version.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define DATA "tests/unit/data/"

/* A data file: rows of cols fields, split at tabs, escapes undone. */
struct table {
	char **cell;            /* row r, column c at cell[r * cols + c] */
	int *line;              /* the file's line of each row */
	size_t rows, cols;
};

static void put_utf8(char **o, unsigned long cp)
{
	if (cp < 0x80) {
		*(*o)++ = (char)cp;
	} else if (cp < 0x800) {
		*(*o)++ = (char)(0xc0 | (cp >> 6));
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*(*o)++ = (char)(0xe0 | (cp >> 12));
		*(*o)++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	}
}

/* s[0..n) with \t \n \r \f \v \\ and \uXXXX undone, owned by the caller;
 * NULL on an escape it does not know. */
static char *unescape(const char *s, size_t n)
{
	static const char from[] = "tnrfv\\", to[] = "\t\n\r\f\v\\";
	char *out = malloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		const char *k;
		if (s[i] != '\\') {
			*o++ = s[i];
			continue;
		}
		i++;
		if (i < n && s[i] == 'u') {
			char hex[5] = { 0 };
			if (i + 4 < n)
				memcpy(hex, s + i + 1, 4);
			if (strspn(hex, "0123456789abcdefABCDEF") != 4) {
				free(out);
				return NULL;
			}
			put_utf8(&o, strtoul(hex, NULL, 16));
			i += 4;
			continue;
		}
		k = i < n ? strchr(from, s[i]) : NULL;
		if (!k || !*k) {
			free(out);
			return NULL;
		}
		*o++ = to[k - from];
	}
	*o = '\0';
	return out;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->rows * t->cols; i++)
		free(t->cell[i]);
	free(t->cell);
	free(t->line);
}

/* Splits one line into t's next row: 0, or -1 when it has not t->cols
 * fields or has a bad escape. */
static int table_add(struct table *t, const char *text, int line)
{
	size_t base = t->rows * t->cols, c;
	const char *p = text;

	t->cell = realloc(t->cell, (base + t->cols) * sizeof *t->cell);
	t->line = realloc(t->line, (t->rows + 1) * sizeof *t->line);
	for (c = 0; c < t->cols; c++) {
		const char *tab = strchr(p, '\t');
		size_t n = tab ? (size_t)(tab - p) : strlen(p);
		bool last = c + 1 == t->cols;
		t->cell[base + c] = last == !tab ? unescape(p, n) : NULL;
		if (!t->cell[base + c])
			goto fail;
		p = tab ? tab + 1 : p + n;
	}
	t->line[t->rows++] = line;
	return 0;
fail:
	for (size_t i = 0; i < c; i++)
		free(t->cell[base + i]);
	return -1;
}

/* Reads DATA name into t, rows of cols fields; '#' lines and blank lines
 * are skipped. 0, or -1 with the reason printed. */
static int table_load(const char *name, size_t cols, struct table *t)
{
	char path[256], *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	int line = 0, rc = 0;
	FILE *f;

	memset(t, 0, sizeof *t);
	t->cols = cols;
	snprintf(path, sizeof path, DATA "%s", name);
	f = fopen(path, "r");
	if (!f) {
		print_error("cannot open %s (run from the repository root)\n", path);
		return -1;
	}
	for (len = getline(&buf, &cap, f); len >= 0; len = getline(&buf, &cap, f)) {
		line++;
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (len == 0 || buf[0] == '#')
			continue;
		if (table_add(t, buf, line) < 0) {
			print_error("%s:%d: want %zu tab-separated fields, known escapes\n", path, line,
				    cols);
			rc = -1;
		}
	}
	free(buf);
	fclose(f);
	return rc;
}

static const char *cell(const struct table *t, size_t row, size_t col)
{
	return t->cell[row * t->cols + col];
}

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

/* Three-way comparison under scheme, or 99 when a version cannot be parsed. */
static int cmp3(enum version_scheme scheme, const char *a, const char *b)
{
	char *err = NULL;
	int c = 0, rc;

	if (scheme == SCHEME_PEP440)
		rc = pep440_compare(a, b, &c, &err);
	else
		rc = debian_compare(a, b, &c, &err);
	if (rc < 0) {
		print_error("cannot compare '%s' and '%s': %s\n", a, b, err);
		free(err);
		return 99;
	}
	return sign(c);
}

/* Every earlier entry of an ascending list below every later one, both ways. */
static int check_ascending(enum version_scheme scheme, const char *const *v, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			int want = i < j ? -1 : i > j ? 1 : 0;
			int got = cmp3(scheme, v[i], v[j]);
			if (got != want) {
				print_error("compare('%s', '%s') = %d, want %d\n", v[i], v[j], got, want);
				bad++;
			}
		}
	}
	return bad;
}

/* PEP 440, "Normalization": each spelling with its normal form. */
static void test_pep440_normalize(void **state)
{
	static const char *const cases[][2] = {
		{ "1.0", "1.0" }, { "1.0.0", "1.0.0" }, { "1.1RC1", "1.1rc1" },
		{ "00", "0" }, { "09000", "9000" }, { "1.0.00", "1.0.0" }, { "01.02.003", "1.2.3" },
		{ "1.0.0a09", "1.0.0a9" }, { "2024.01.15", "2024.1.15" },
		/* pre-release separators, spellings, implicit number */
		{ "1.1-a1", "1.1a1" }, { "1.1_a1", "1.1a1" }, { "1.1.a1", "1.1a1" },
		{ "1.0a.1", "1.0a1" }, { "1.0alpha-1", "1.0a1" }, { "1.1alpha1", "1.1a1" },
		{ "1.1beta2", "1.1b2" }, { "1.1c3", "1.1rc3" }, { "1.1pre4", "1.1rc4" },
		{ "1.1preview5", "1.1rc5" }, { "1.2a", "1.2a0" }, { "1.0-a", "1.0a0" }, { "1.0c", "1.0rc0" },
		/* post-release separators, spellings, implicit number, implicit post */
		{ "1.2-post2", "1.2.post2" }, { "1.2_post2", "1.2.post2" }, { "1.2post2", "1.2.post2" },
		{ "1.2.post.2", "1.2.post2" }, { "1.0.post-2", "1.0.post2" }, { "1.0-r4", "1.0.post4" },
		{ "1.0-rev4", "1.0.post4" }, { "1.0.r", "1.0.post0" }, { "1.2.post", "1.2.post0" },
		{ "1.0-1", "1.0.post1" }, { "1.0a1-1", "1.0a1.post1" }, { "1.0-1.dev1", "1.0.post1.dev1" },
		/* dev separators and implicit number */
		{ "1.2-dev2", "1.2.dev2" }, { "1.2dev2", "1.2.dev2" }, { "1.2_dev_2", "1.2.dev2" },
		{ "1.2.dev", "1.2.dev0" }, { "1.0-dev-1", "1.0.dev1" }, { "1.0a.-dev", "1.0a0.dev0" },
		/* local segments, leading v, whitespace, epochs, case */
		{ "1.0+ubuntu-1", "1.0+ubuntu.1" }, { "1.0+ubuntu_1", "1.0+ubuntu.1" },
		{ "1.0+Ubuntu.01", "1.0+ubuntu.1" }, { "2.3.1+cu121", "2.3.1+cu121" },
		{ "v1.0", "1.0" }, { "V1.0", "1.0" }, { "  1.0\n", "1.0" }, { "\t1.0rc1 ", "1.0rc1" },
		{ "0!1.0", "1.0" }, { "1!2.0", "1!2.0" }, { "v1!2.0", "1!2.0" },
		{ "1.0A1.POST2.DEV3+CU121", "1.0a1.post2.dev3+cu121" },
		{ "1.99999999999999999999999", "1.99999999999999999999999" },
	};
	static const char *const invalid[] = {
		"", "   ", "banana", "v", "1.0-", "1.0.", "1..0", ".1", "1,0", "1.0*", "1.0+",
		"1.0+a..b", "1.0+abc-", "1!", "!1.0", "1.0 rc1", "1.0a1b1", "1.0.post1.post2",
		"1.0_1", "1.0-1-1", "=1.0", "1.0+ä",
	};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < N_OF(cases); i++) {
		char *got = pep440_normalize(cases[i][0]);
		if (!got || strcmp(got, cases[i][1])) {
			print_error("normalize('%s') = '%s', want '%s'\n", cases[i][0],
				    got ? got : "(null)", cases[i][1]);
			bad++;
		}
		free(got);
	}
	for (size_t i = 0; i < N_OF(invalid); i++) {
		char *got = pep440_normalize(invalid[i]);
		if (got) {
			print_error("normalize('%s') = '%s', want NULL\n", invalid[i], got);
			bad++;
		}
		free(got);
	}
	assert_int_equal(bad, 0);
}

/* PEP 440, "Summary of permitted suffixes and relative ordering", then
 * the ladder of the brief, epochs and local labels. */
static void test_pep440_order(void **state)
{
	static const char *const pep[] = {
		"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456",
		"1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0",
		"1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456", "1.0.15",
		"1.1.dev1",
	};
	static const char *const ladder[] = {
		"1.0.dev0", "1.0a1.dev0", "1.0a1", "1.0a1.post1", "1.0b1", "1.0rc1", "1.0",
		"1.0.post1.dev0", "1.0.post1", "1.0.1", "1.1",
	};
	static const char *const epochs[] = {
		"2.0", "2024.1", "1!0.1", "1!1.0", "2!0.0.dev0",
	};
	/* numbers above words, numbers numerically, words by bytes */
	static const char *const locals[] = {
		"1.0", "1.0+a", "1.0+a.b", "1.0+a.1", "1.0+ab", "1.0+abc", "1.0+b", "1.0+cu118",
		"1.0+cu121", "1.0+1", "1.0+2", "1.0+10", "1.0+10.a", "1.0+10.1",
	};
	static const char *const big[] = {
		"1.9", "1.18446744073709551615", "1.18446744073709551616", "1.99999999999999999999999",
	};
	static const char *const same[][2] = {
		{ "1.0", "1.0.0" }, { "1.0", "1.0.0.0" }, { "1", "1.0" }, { "v1.0", "1.0" },
		{ "1.0RC1", "1.0rc1" }, { "1.0c1", "1.0rc1" }, { "0!1.0", "1.0" }, { "1.0+ABC", "1.0+abc" },
		{ "1.0+01", "1.0+1" }, { "1.0010", "1.10" }, { "1.0-1", "1.0.post1" },
		{ "1.0a1+x-y", "1.0a1+x.y" },
	};
	int bad = 0;

	(void)state;
	bad += check_ascending(SCHEME_PEP440, pep, N_OF(pep));
	bad += check_ascending(SCHEME_PEP440, ladder, N_OF(ladder));
	bad += check_ascending(SCHEME_PEP440, epochs, N_OF(epochs));
	bad += check_ascending(SCHEME_PEP440, locals, N_OF(locals));
	bad += check_ascending(SCHEME_PEP440, big, N_OF(big));
	for (size_t i = 0; i < N_OF(same); i++) {
		if (cmp3(SCHEME_PEP440, same[i][0], same[i][1]) != 0 ||
		    cmp3(SCHEME_PEP440, same[i][1], same[i][0]) != 0) {
			print_error("'%s' and '%s' should compare equal\n", same[i][0], same[i][1]);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_pep440_errors(void **state)
{
	char *err = NULL;
	int c = 7;

	(void)state;
	assert_int_equal(pep440_compare("1.0", "banana", &c, &err), -1);
	assert_string_equal(err, "cannot parse version 'banana' (PEP 440)");
	assert_int_equal(c, 7);
	free(err);
	assert_int_equal(pep440_compare("", "1.0", &c, &err), -1);
	assert_string_equal(err, "cannot parse version '' (PEP 440)");
	free(err);
	assert_int_equal(pep440_compare("1.0", "1.0", &c, &err), 0);
	assert_null(err);
	assert_int_equal(c, 0);
}

struct match_case {
	const char *spec, *version;
	int want;
	const char *why;        /* NULL: not checked (or none on a match) */
};

static int run_matches(enum version_scheme scheme, const struct match_case *m, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		char *err = NULL, *why = NULL;
		struct version_spec *s = version_spec_new(m[i].spec, &err);
		int got;
		if (!s) {
			print_error("spec '%s': %s\n", m[i].spec, err);
			free(err);
			bad++;
			continue;
		}
		got = version_spec_match(s, m[i].version, scheme, &why);
		if (got != m[i].want) {
			print_error("'%s' against '%s' = %d, want %d (%s)\n", m[i].version, m[i].spec, got,
				    m[i].want, why ? why : "no why");
			bad++;
		} else if (got == 1 && why) {
			print_error("'%s' against '%s' matched with why '%s'\n", m[i].version, m[i].spec, why);
			bad++;
		} else if (got != 1 && (!why || (m[i].why && strcmp(why, m[i].why)))) {
			print_error("'%s' against '%s': why '%s', want '%s'\n", m[i].version, m[i].spec,
				    why ? why : "(null)", m[i].why ? m[i].why : "(any)");
			bad++;
		}
		free(why);
		version_spec_free(s);
	}
	return bad;
}

/* PEP 440, "Version matching", "Version exclusion", "Exclusive ordered
 * comparison", "Arbitrary equality". */
static void test_spec_pep440(void **state)
{
	static const struct match_case m[] = {
		/* version matching: given 1.1.post1 and 1.1a1 */
		{ "==1.1", "1.1.post1", 0, "1.1.post1 is not == 1.1" },
		{ "==1.1.post1", "1.1.post1", 1, NULL },
		{ "==1.1.*", "1.1.post1", 1, NULL },
		{ "==1.1", "1.1a1", 0, "1.1a1 is not == 1.1" },
		{ "==1.1a1", "1.1a1", 1, NULL },
		{ "==1.1.*", "1.1a1", 1, NULL },
		/* zero padding */
		{ "==1.1", "1.1.0", 1, NULL },
		{ "==1.1.0", "1.1", 1, NULL },
		{ "==1.1.0.*", "1.1", 1, NULL },
		{ "==1.0.*", "1", 1, NULL },
		{ "==1.2.*", "1", 0, "1 is not == 1.2.*" },
		/* prefix matching */
		{ "==1.2.*", "1.2.3rc1", 1, NULL },
		{ "==1.2.*", "1.2", 1, NULL },
		{ "==1.2.*", "1.3", 0, "1.3 is not == 1.2.*" },
		{ "==1.2.*", "1.20", 0, "1.20 is not == 1.2.*" },
		{ "==1.*", "1.0.dev1", 1, NULL },
		{ "==1.2.*", "1.2+cu121", 1, NULL },
		{ "==1!1.2.*", "1.2.0", 0, "1.2.0 is not == 1!1.2.*" },
		{ "==1!1.2.*", "1!1.2.0", 1, NULL },
		/* version exclusion */
		{ "!=1.1", "1.1.post1", 1, NULL },
		{ "!=1.1.post1", "1.1.post1", 0, "1.1.post1 is excluded by != 1.1.post1" },
		{ "!=1.1.*", "1.1.post1", 0, "1.1.post1 is excluded by != 1.1.*" },
		{ "!=1.1.*", "1.2", 1, NULL },
		/* local labels: ignored unless the specifier has one */
		{ "==2.3.1", "2.3.1+cu121", 1, NULL },
		{ "==2.3.1+cu121", "2.3.1+cu121", 1, NULL },
		{ "==2.3.1+CU121", "2.3.1+cu121", 1, NULL },
		{ "==2.3.1+cu121", "2.3.1", 0, "2.3.1 is not == 2.3.1+cu121" },
		{ "==2.3.1+cu121", "2.3.1+cu118", 0, "2.3.1+cu118 is not == 2.3.1+cu121" },
		{ "!=2.3.1", "2.3.1+cu121", 0, "2.3.1+cu121 is excluded by != 2.3.1" },
		{ ">=2.3.1", "2.3.1+cu121", 1, NULL },
		{ "<=1.27", "1.27.0+cu121", 1, NULL },
		/* exclusive ordered comparison */
		{ ">1.7", "1.7.1", 1, NULL },
		{ ">1.7", "1.7", 0, "1.7 is not > 1.7" },
		{ ">1.7", "1.7.0.post1", 0, "1.7.0.post1 is not > 1.7 (a post-release of 1.7)" },
		{ ">1.7.post2", "1.7.1", 1, NULL },
		{ ">1.7.post2", "1.7.0.post3", 1, NULL },
		{ ">1.7.post2", "1.7.0", 0, "1.7.0 is not > 1.7.post2" },
		{ ">1.7", "1.7+local", 0, "1.7+local is not > 1.7 (a local version of 1.7)" },
		{ ">1.7", "1.7.1+local", 1, NULL },
		{ "<1.27", "1.27.0", 0, "1.27.0 is not < 1.27" },
		{ "<1.27", "1.27.0rc1", 0, "1.27.0rc1 is not < 1.27 (a pre-release of 1.27)" },
		{ "<1.27", "1.27.dev0", 0, "1.27.dev0 is not < 1.27 (a pre-release of 1.27)" },
		{ "<1.27", "1.26.4", 1, NULL },
		{ "<1.27", "1.26.99rc1", 1, NULL },
		{ "<1.27rc1", "1.27.0b2", 1, NULL },
		{ "<1.27rc1", "1.27rc1", 0, "1.27rc1 is not < 1.27rc1" },
		{ "<3.1", "3.1a1", 0, "3.1a1 is not < 3.1 (a pre-release of 3.1)" },
		{ "<=2.0", "2.0.post1", 0, "2.0.post1 is not <= 2.0" },
		/* pre-releases are accepted when the clauses hold, as packaging's
		 * contains(installed=True) has it: parity checks what is installed */
		{ ">=1.0", "2.0rc1", 1, NULL },
		{ ">=2.0", "2.0rc1", 0, "2.0rc1 is not >= 2.0" },
		{ ">1.7", "1.8.dev0", 1, NULL },
		/* several clauses, blanks, the candidate's own spelling, epochs */
		{ ">=1.26,<1.27", "1.26.4", 1, NULL },
		{ ">=1.26,<1.27", "1.27.0", 0, "1.27.0 is not < 1.27" },
		{ ">=1.26,<1.27", "1.25.2", 0, "1.25.2 is not >= 1.26" },
		{ " >= 1.26 , < 1.27 ", "1.26.0", 1, NULL },
		{ ">=1.26", "V1.26.0", 1, NULL },
		{ "==1.0rc1", " 1.0-RC-1 ", 1, NULL },
		{ ">=2.0", "1!1.0", 1, NULL },
		{ "<2.0", "1!1.0", 0, "1!1.0 is not < 2.0" },
		/* arbitrary equality: plain strings, no parsing */
		{ "===1.0", "1.0", 1, NULL },
		{ "===1.0", "1.0.0", 0, "1.0.0 is not === 1.0" },
		{ "===foobar", "FooBar", 1, NULL },
		/* what cannot be parsed */
		{ ">=1.0", "banana", -1, "cannot parse version 'banana' (PEP 440)" },
		{ "===foobar,>=1.0", "foobar", -1, "cannot parse version 'foobar' (PEP 440)" },
		{ ">=banana", "1.0", -1, "invalid version specifier '>=banana': cannot parse version 'banana' (PEP 440)" },
		{ ">=2.0,<banana", "1.0", -1, "invalid version specifier '>=2.0,<banana': cannot parse version 'banana' (PEP 440)" },
	};

	(void)state;
	assert_int_equal(run_matches(SCHEME_PEP440, m, N_OF(m)), 0);
}

/* PEP 440, "Compatible release". */
static void test_spec_pep440_compat(void **state)
{
	static const struct match_case m[] = {
		{ "~=2.2", "2.2", 1, NULL },
		{ "~=2.2", "2.3", 1, NULL },
		{ "~=2.2", "2.1", 0, "2.1 is not ~= 2.2" },
		{ "~=2.2", "3.0", 0, "3.0 is not ~= 2.2" },
		{ "~=1.4.5", "1.4.9", 1, NULL },
		{ "~=1.4.5", "1.4.4", 0, "1.4.4 is not ~= 1.4.5" },
		{ "~=1.4.5", "1.5.0", 0, "1.5.0 is not ~= 1.4.5" },
		{ "~=2.2.post3", "2.2.post3", 1, NULL },
		{ "~=2.2.post3", "2.9", 1, NULL },
		{ "~=2.2.post3", "2.2", 0, "2.2 is not ~= 2.2.post3" },
		{ "~=2.2.post3", "3.0", 0, "3.0 is not ~= 2.2.post3" },
		{ "~=1.4.5a4", "1.4.5a4", 1, NULL },
		{ "~=1.4.5a4", "1.4.5", 1, NULL },
		{ "~=1.4.5a4", "1.4.6", 1, NULL },
		{ "~=1.4.5a4", "1.4.5a3", 0, "1.4.5a3 is not ~= 1.4.5a4" },
		{ "~=1.4.5a4", "1.5", 0, "1.5 is not ~= 1.4.5a4" },
		{ "~=2.2.0", "2.2.1", 1, NULL },
		{ "~=2.2.0", "2.3", 0, "2.3 is not ~= 2.2.0" },
		{ "~=1.4.5.0", "1.4.5.1", 1, NULL },
		{ "~=1.4.5.0", "1.4.6", 0, "1.4.6 is not ~= 1.4.5.0" },
		{ "~=2.3.1", "2.3.0", 0, "2.3.0 is not ~= 2.3.1" },
		{ "~=2.3.1", "2.3.1+cu121", 1, NULL },
		{ "~=0.9", "0.10.1", 1, NULL },
		{ "~=0.9", "1.0", 0, "1.0 is not ~= 0.9" },
	};

	(void)state;
	assert_int_equal(run_matches(SCHEME_PEP440, m, N_OF(m)), 0);
}

/* The packaging 26.0 and 26.1 changes, the exclusions that remain with
 * their note, and Unicode white space around the version. */
static void test_spec_pep440_26(void **state)
{
	static const struct match_case m[] = {
		/* >V takes local versions of later releases and
		 * post-releases of another version than V; <V.postN takes V's
		 * pre-releases; the exclusions that remain, with their note */
		{ ">1.0.dev1", "1.0+local", 1, NULL },
		{ ">1.0.dev1", "1.0.post0", 1, NULL },
		{ ">1.0a1", "1.0.post0", 1, NULL },
		{ "<1.0.post0", "1.0a1", 1, NULL },
		{ "<1.0.post1", "1.0.post0.dev0", 1, NULL },
		{ ">1.0.dev1", "1.0.dev1+local", 0, "1.0.dev1+local is not > 1.0.dev1 (a local version of 1.0.dev1)" },
		{ ">1.0a1", "1.0a1.post0", 0, "1.0a1.post0 is not > 1.0a1 (a post-release of 1.0a1)" },
		{ ">1.0.post1", "1.0.post1+local", 0, "1.0.post1+local is not > 1.0.post1 (a local version of 1.0.post1)" },
		{ "<1.0.post1", "1.0.post1.dev0", 0, "1.0.post1.dev0 is not < 1.0.post1 (a pre-release of 1.0.post1)" },
		{ "<1.0", "1.0.dev0+local", 0, "1.0.dev0+local is not < 1.0 (a pre-release of 1.0)" },
		{ "<1.0rc1", "1.0rc1+local", 0, "1.0rc1+local is not < 1.0rc1" },
		/* Unicode white space around the version is stripped, in the
		 * message too (U+00A0, U+2003, U+3000) */
		{ ">=1.0", "\xc2\xa0" "1.0\xe2\x80\x83", 1, NULL },
		{ "<1.0", "\xe3\x80\x80" "1.0rc1\xc2\xa0\n", 0, "1.0rc1 is not < 1.0 (a pre-release of 1.0)" },
		{ "===1.0", "\xe2\x80\xa9" "1.0", 1, NULL },
		{ ">=1.0", "1.0\xe2\x80\x8b", -1, "cannot parse version '1.0\xe2\x80\x8b' (PEP 440)" },
	};

	(void)state;
	assert_int_equal(run_matches(SCHEME_PEP440, m, N_OF(m)), 0);
}

static void test_spec_errors(void **state)
{
	static const char *const cases[][2] = {
		{ ">=1,,2", "invalid version specifier '>=1,,2': empty clause" },
		{ ">=1.0,", "invalid version specifier '>=1.0,': empty clause" },
		{ "", "invalid version specifier '': empty clause" },
		{ " , ", "invalid version specifier ' , ': empty clause" },
		{ "=>1.0", "invalid version specifier '=>1.0': unknown operator '=>' (did you mean '>='?)" },
		{ "=<1.0", "invalid version specifier '=<1.0': unknown operator '=<' (did you mean '<='?)" },
		{ "=1.0", "invalid version specifier '=1.0': unknown operator '=' (did you mean '=='?)" },
		{ "<<2", "invalid version specifier '<<2': unknown operator '<<' (did you mean '<'?)" },
		{ "~>1.4", "invalid version specifier '~>1.4': unknown operator '~>' (did you mean '~='?)" },
		{ "> = 1.0", "invalid version specifier '> = 1.0': unknown operator '> =' (did you mean '>='?)" },
		{ "^1.2", "invalid version specifier '^1.2': unknown operator '^'" },
		{ "====1", "invalid version specifier '====1': unknown operator '===='" },
		{ "1.2", "invalid version specifier '1.2': no operator (write ==1.2)" },
		{ ">=1.0,2.0", "invalid version specifier '>=1.0,2.0': no operator (write ==2.0)" },
		{ ">=", "invalid version specifier '>=': missing version after '>='" },
		{ ">=1.0,< ", "invalid version specifier '>=1.0,< ': missing version after '<'" },
		{ ">=1.0 <2.0", "invalid version specifier '>=1.0 <2.0': space inside version '1.0 <2.0' (separate clauses with a comma)" },
		{ ">=1.0\xc2\xa0<2", "invalid version specifier '>=1.0\xc2\xa0<2': space inside version '1.0\xc2\xa0<2' (separate clauses with a comma)" },
		{ ">\xe3\x80\x80=1.0", "invalid version specifier '>\xe3\x80\x80=1.0': unknown operator '>\xe3\x80\x80=' (did you mean '>='?)" },
		{ "\xc2\xa0,>=1", "invalid version specifier '\xc2\xa0,>=1': empty clause" },
		{ "\xe2\x80\x83" "1.0", "invalid version specifier '\xe2\x80\x83" "1.0': no operator (write ==1.0)" },
		{ ">=1.2.*", "invalid version specifier '>=1.2.*': '.*' is only allowed with == and !=" },
		{ "~=1.2.*", "invalid version specifier '~=1.2.*': '.*' is only allowed with == and !=" },
		{ "==1.*.2", "invalid version specifier '==1.*.2': '*' is only allowed in a final '.*', like ==1.2.*" },
		{ "==*", "invalid version specifier '==*': '*' is only allowed in a final '.*', like ==1.2.*" },
		{ "~=1", "invalid version specifier '~=1': '~=' needs a version with at least two parts, like ~=1.4" },
		{ "~=1rc1", "invalid version specifier '~=1rc1': '~=' needs a version with at least two parts, like ~=1.4" },
		{ "~=1!2", "invalid version specifier '~=1!2': '~=' needs a version with at least two parts, like ~=1.4" },
		{ "~=1:2-1", "invalid version specifier '~=1:2-1': '~=' needs a version with at least two parts, like ~=1.4" },
	};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < N_OF(cases); i++) {
		char *err = NULL;
		struct version_spec *s = version_spec_new(cases[i][0], &err);
		if (s || !err || strcmp(err, cases[i][1])) {
			print_error("spec '%s': got '%s', want '%s'\n", cases[i][0], err ? err : "(null)",
				    cases[i][1]);
			bad++;
		}
		version_spec_free(s);
		free(err);
	}
	assert_int_equal(bad, 0);
}

/* Errors that need the scheme, from version_spec_check before any match. */
static void test_spec_check(void **state)
{
	static const struct {
		const char *spec;
		enum version_scheme scheme;
		const char *err;        /* NULL: valid */
	} cases[] = {
		{ ">=1.26,<1.27", SCHEME_PEP440, NULL },
		{ "==2.3.1+cu121", SCHEME_PEP440, NULL },
		{ "~=v1.4", SCHEME_PEP440, NULL },
		{ "===anything", SCHEME_PEP440, NULL },
		{ ">=1.0+cu121", SCHEME_PEP440, "invalid version specifier '>=1.0+cu121': a local version label is only allowed with == and !=" },
		{ "~=1.0+cu121", SCHEME_PEP440, "invalid version specifier '~=1.0+cu121': a local version label is only allowed with == and !=" },
		{ "==1.0rc1.*", SCHEME_PEP440, "invalid version specifier '==1.0rc1.*': '.*' must follow a release number, like ==1.2.*" },
		{ "!=1.0+abc.*", SCHEME_PEP440, "invalid version specifier '!=1.0+abc.*': '.*' must follow a release number, like ==1.2.*" },
		{ ">=1.0,==x.*", SCHEME_PEP440, "invalid version specifier '>=1.0,==x.*': cannot parse version 'x' (PEP 440)" },
		{ ">=1:2.0", SCHEME_PEP440, "invalid version specifier '>=1:2.0': cannot parse version '1:2.0' (PEP 440)" },
		{ ">=1:2.0-1ubuntu1", SCHEME_DEBIAN, NULL },
		{ "==8.*", SCHEME_DEBIAN, NULL },
		{ ">=1.0+cu121", SCHEME_DEBIAN, NULL },
		{ ">=1:", SCHEME_DEBIAN, "invalid version specifier '>=1:': cannot parse version '1:' (Debian)" },
		{ "~=v1.4", SCHEME_DEBIAN, "invalid version specifier '~=v1.4': '~=' needs a version with at least two parts, like ~=1.4" },
	};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < N_OF(cases); i++) {
		char *err = NULL;
		struct version_spec *s = version_spec_new(cases[i].spec, &err);
		int rc;
		if (!s) {
			print_error("spec '%s': %s\n", cases[i].spec, err);
			free(err);
			bad++;
			continue;
		}
		rc = version_spec_check(s, cases[i].scheme, &err);
		if (cases[i].err ? rc != -1 || !err || strcmp(err, cases[i].err) : rc != 0 || err != NULL) {
			print_error("check '%s': %d '%s', want '%s'\n", cases[i].spec, rc,
				    err ? err : "(null)", cases[i].err ? cases[i].err : "(null)");
			bad++;
		}
		free(err);
		version_spec_free(s);
	}
	assert_int_equal(bad, 0);
}

static void test_spec_api(void **state)
{
	static char sentinel[] = "unset";
	char *err = NULL, *why = sentinel;
	struct version_spec *s = version_spec_new(" >=1.26, <1.27 ", &err);

	(void)state;
	assert_non_null(s);
	assert_null(err);
	assert_string_equal(version_spec_text(s), " >=1.26, <1.27 ");
	/* a match leaves no why; why may be NULL */
	assert_int_equal(version_spec_match(s, "1.26.4", SCHEME_PEP440, &why), 1);
	assert_null(why);
	assert_int_equal(version_spec_match(s, "1.27.0", SCHEME_PEP440, NULL), 0);
	assert_int_equal(version_spec_match(s, "banana", SCHEME_PEP440, NULL), -1);
	version_spec_free(s);
	version_spec_free(NULL);
}

/* Debian policy 5.6.12: '~' before anything, even the end; letters before
 * non-letters; epochs first; then upstream; then revision. */
static void test_debian_order(void **state)
{
	static const char *const policy[] = {
		"1.0~~", "1.0~~a", "1.0~", "1.0", "1.0a", "1.0z", "1.0+", "1.0.", "1.0.1",
	};
	static const char *const ladders[][4] = {
		{ "1.0~rc1", "1.0", "1.0-1", NULL },
		{ "2.0", "1:0.9", "2:0.1", NULL },
		{ "2.0-1", "2.0-1.1", "2.0-2", NULL },
		{ "7.6-0", "7.6p2-4", NULL, NULL },
		{ "1.0-A", "1.0-a", NULL, NULL },
		{ "9", "10", "1:0", NULL },
	};
	static const char *const same[][2] = {
		{ "1.0", "1.00" }, { "1.0", "1.0-0" }, { "0:1.0", "1.0" }, { "1.001", "1.1" },
		{ " 1.0 ", "1.0" }, { "1.0.", "1.0.0" },
	};
	int bad = 0;

	(void)state;
	bad += check_ascending(SCHEME_DEBIAN, policy, N_OF(policy));
	for (size_t i = 0; i < N_OF(ladders); i++) {
		size_t n = 0;
		while (n < 4 && ladders[i][n])
			n++;
		bad += check_ascending(SCHEME_DEBIAN, ladders[i], n);
	}
	for (size_t i = 0; i < N_OF(same); i++) {
		if (cmp3(SCHEME_DEBIAN, same[i][0], same[i][1]) != 0) {
			print_error("'%s' and '%s' should compare equal\n", same[i][0], same[i][1]);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_debian_errors(void **state)
{
	static const char *const invalid[] = {
		"a b", "", "  ", ":1.0", "a:1.0", "1:", "1.0-", "-1", "2147483648:1.0", "1.0\x01",
	};
	int bad = 0;
	char *err = NULL;
	int c = 0;

	(void)state;
	assert_int_equal(debian_compare("a b", "1.0", &c, &err), -1);
	assert_string_equal(err, "cannot parse version 'a b' (Debian)");
	free(err);
	assert_int_equal(debian_compare("1.0", "1.0-", &c, &err), -1);
	assert_string_equal(err, "cannot parse version '1.0-' (Debian)");
	free(err);
	for (size_t i = 0; i < N_OF(invalid); i++) {
		err = NULL;
		if (debian_compare(invalid[i], "1.0", &c, &err) != -1 || !err) {
			print_error("'%s' should not parse as Debian\n", invalid[i]);
			bad++;
		}
		free(err);
	}
	/* dpkg only warns about these: accepted */
	assert_int_equal(cmp3(SCHEME_DEBIAN, "abc", "abd"), -1);
	assert_int_equal(cmp3(SCHEME_DEBIAN, "2147483647:1.0", "1.0"), 1);
	assert_int_equal(cmp3(SCHEME_DEBIAN, "1:2:3-1", "1:2.3-1"), 1);
	assert_int_equal(bad, 0);
}

/* dpkg's own verdict on a < b, a = b: -1, 0 or 1; 99 when it fails. */
static int dpkg_cmp(const char *a, const char *b)
{
	static const char *const rels[] = { "lt", "eq" };

	for (size_t i = 0; i < N_OF(rels); i++) {
		char cmd[512];
		FILE *f;
		int status;
		snprintf(cmd, sizeof cmd, "dpkg --compare-versions '%s' %s '%s' 2>/dev/null", a, rels[i], b);
		f = popen(cmd, "r");
		if (!f)
			return 99;
		status = pclose(f);
		if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
			return 99;
		if (WEXITSTATUS(status) == 0)
			return i == 0 ? -1 : 0;
	}
	return 1;
}

static bool have_dpkg(void)
{
	FILE *f = popen("command -v dpkg >/dev/null 2>&1", "r");

	return f && pclose(f) == 0;
}

static void test_debian_vs_dpkg(void **state)
{
	static const char *const pairs[][2] = {
		{ "1.0", "1.0" }, { "1.0", "1.00" }, { "1.0", "1.0-0" }, { "0:1.0", "1.0" },
		{ "1.0", "1.0.0" }, { "1.0~rc1", "1.0" }, { "1.0~~", "1.0~~a" }, { "1.0~~a", "1.0~" },
		{ "1.0~", "1.0" }, { "1.0", "1.0a" }, { "1:0.9", "2.0" }, { "2.0-1", "2.0-1.1" },
		{ "2.0-1.1", "2.0-2" }, { "7.6p2-4", "7.6-0" }, { "1.0a", "1.0+" }, { "1.0+", "1.0." },
		{ "1.0+dfsg-1", "1.0-1" }, { "1.0+dfsg1-1", "1.0+dfsg-1" },
		{ "2.31-0ubuntu9.9", "2.31-0ubuntu9.14" }, { "2.35-0ubuntu3.1", "2.31-0ubuntu9.14" },
		{ "8.9.2.26-1+cuda12.2", "8.9.2.26-1+cuda11.8" },
		{ "8.9.2.26-1+cuda12.2", "8.9.7.29-1+cuda12.2" },
		{ "1:1.2.11.dfsg-2ubuntu9", "1:1.2.13.dfsg-1" }, { "3.0.2-0ubuntu1.10", "3.0.2-0ubuntu1.9" },
		{ "1.2.3", "1.2.3~bpo11+1" }, { "1.2.3-1~bpo11+1", "1.2.3-1" }, { "10", "9" },
		{ "1.010", "1.9" }, { "1.001", "1.1" }, { "1.0-a", "1.0-A" }, { "1.0~alpha", "1.0~beta" },
		{ "1.0~beta~1", "1.0~beta" }, { "4.19.0-21", "4.19.0-21+b1" }, { "2:1.0", "10:0.1" },
		{ "1.0-1ubuntu1", "1.0-1" }, { "12.4.127-1", "12.4.99-1" }, { "5.15.0-91.101", "5.15.0-91.99" },
		{ "0.0", "0" }, { "1.2-3-4", "1.2-3" }, { "1:2:3-1", "1:2.3-1" }, { "abc", "abd" },
		{ "1.0~", "1.0-~" }, { "1.0", "1.0-~" }, { "00:01.0", "1.0" }, { "1.0.", "1.0~." },
		{ "1.0.", "1.0.0" },
	};
	int bad = 0;

	(void)state;
	if (!have_dpkg()) {
		print_message("dpkg not found: skipping the cross-check against dpkg --compare-versions\n");
		skip();
	}
	for (size_t i = 0; i < N_OF(pairs); i++) {
		for (int flip = 0; flip < 2; flip++) {
			const char *a = pairs[i][flip], *b = pairs[i][!flip];
			int want = dpkg_cmp(a, b);
			int got = cmp3(SCHEME_DEBIAN, a, b);
			if (want == 99 || got != want) {
				print_error("'%s' vs '%s': parity %d, dpkg %d\n", a, b, got, want);
				bad++;
			}
		}
	}
	assert_int_equal(bad, 0);
}

static void test_spec_debian(void **state)
{
	static const struct match_case m[] = {
		{ "==1.2.*", "1.2.3-1", 1, NULL },
		{ "==1.2.*", "1.2", 1, NULL },
		{ "==1.2.*", "1.2-1", 1, NULL },
		{ "==1.2.*", "1.2~rc1", 1, NULL },
		{ "==1.2.*", "1.2+dfsg-1", 1, NULL },
		{ "==1.2.*", "1.20", 0, "1.20 is not == 1.2.*" },
		{ "==1.2.*", "1.3", 0, "1.3 is not == 1.2.*" },
		{ "==1.2.*", "1:1.2", 0, "1:1.2 is not == 1.2.*" },
		{ "==1:1.2.*", "1:1.2.5", 1, NULL },
		{ "==8.*", "8.9.2.26-1+cuda12.2", 1, NULL },
		{ "!=8.*", "8.9.2.26-1+cuda12.2", 0, "8.9.2.26-1+cuda12.2 is excluded by != 8.*" },
		{ ">=8.9,<9", "8.9.2.26-1+cuda12.2", 1, NULL },
		{ "<8.9.2.26", "8.9.2.26~rc1-1", 1, NULL },
		{ ">=1.0", "1.0~rc1", 0, "1.0~rc1 is not >= 1.0" },
		{ ">=2.0", "1:0.9", 1, NULL },
		{ ">2.0-1", "2.0-1.1", 1, NULL },
		{ "<=2.0-1", "2.0-1.1", 0, "2.0-1.1 is not <= 2.0-1" },
		{ "==1.0", "1.0-0", 1, NULL },
		{ "==1.0", "1.0.0", 0, "1.0.0 is not == 1.0" },
		{ "!=1.0", "1.00", 0, "1.00 is excluded by != 1.0" },
		{ "~=1.4", "1.4", 1, NULL },
		{ "~=1.4", "1.9-2", 1, NULL },
		{ "~=1.4", "1.3", 0, "1.3 is not ~= 1.4" },
		{ "~=1.4", "2.0", 0, "2.0 is not ~= 1.4" },
		{ "~=1.4", "10.0", 0, "10.0 is not ~= 1.4" },
		{ "~=8.9.2", "8.9.7.29-1+cuda12.2", 1, NULL },
		{ "~=8.9.2", "8.10.0", 0, "8.10.0 is not ~= 8.9.2" },
		{ "~=1.4+dfsg-1", "1.7", 1, NULL },
		{ "==2.31-0ubuntu9.9", "2.31-0ubuntu9.9", 1, NULL },
		{ "===1.0-1", "1.0-1", 1, NULL },
		{ "===1.0-1", "1.0-01", 0, "1.0-01 is not === 1.0-1" },
		{ ">=1.0", "a b", -1, "cannot parse version 'a b' (Debian)" },
		/* dpkg strips ASCII white space only */
		{ ">=1.0", " 1.0\n", 1, NULL },
		{ ">=1.0", "\xc2\xa0" "1.0", -1, "cannot parse version '\xc2\xa0" "1.0' (Debian)" },
		{ ">=\xc2\xa0" "1.0", "1.0", 1, NULL },
		{ ">=1.0-", "1.0", -1, "invalid version specifier '>=1.0-': cannot parse version '1.0-' (Debian)" },
	};

	(void)state;
	assert_int_equal(run_matches(SCHEME_DEBIAN, m, N_OF(m)), 0);
}

static void test_pep503(void **state)
{
	static const char *const cases[][2] = {
		{ "Friendly-Bard", "friendly-bard" }, { "FRIENDLY-BARD", "friendly-bard" },
		{ "friendly.bard", "friendly-bard" }, { "friendly_bard", "friendly-bard" },
		{ "friendly--bard", "friendly-bard" }, { "FrIeNdLy-._.-bArD", "friendly-bard" },
		{ "torch", "torch" }, { "nvidia_cudnn_cu12", "nvidia-cudnn-cu12" },
		{ "zope.interface", "zope-interface" }, { "", "" },
	};

	(void)state;
	for (size_t i = 0; i < N_OF(cases); i++) {
		char *got = pep503_name(cases[i][0]);
		assert_string_equal(got, cases[i][1]);
		free(got);
	}
	assert_null(pep503_name(NULL));
}

/* packaging's VERSIONS: every pair compares as the list orders it. */
static void test_packaging_order(void **state)
{
	struct table t;
	const char **v;
	int bad;

	(void)state;
	assert_int_equal(table_load("pep440-order.txt", 1, &t), 0);
	assert_true(t.rows > 0);
	v = calloc(t.rows, sizeof *v);
	for (size_t i = 0; i < t.rows; i++)
		v[i] = cell(&t, i, 0);
	bad = check_ascending(SCHEME_PEP440, v, t.rows);
	free(v);
	table_free(&t);
	assert_int_equal(bad, 0);
}

/* packaging's normal forms, and the versions it refuses ('-'). */
static void test_packaging_normalize(void **state)
{
	struct table t;
	int bad = 0;

	(void)state;
	assert_int_equal(table_load("pep440-normalize.tsv", 2, &t), 0);
	for (size_t i = 0; i < t.rows; i++) {
		const char *want = strcmp(cell(&t, i, 1), "-") ? cell(&t, i, 1) : NULL;
		char *got = pep440_normalize(cell(&t, i, 0));
		if (want ? !got || strcmp(got, want) : got != NULL) {
			print_error("line %d: normalize('%s') = '%s', want '%s'\n", t.line[i],
				    cell(&t, i, 0), got ? got : "(null)", want ? want : "(null)");
			bad++;
		}
		free(got);
	}
	table_free(&t);
	assert_int_equal(bad, 0);
}

/* 1 when text is a specifier under PEP 440, 0 when parity refuses it. */
static int spec_ok(const char *text)
{
	char *err = NULL;
	struct version_spec *s = version_spec_new(text, &err);
	int ok = s && version_spec_check(s, SCHEME_PEP440, &err) == 0;

	free(err);
	version_spec_free(s);
	return ok;
}

/* The specifiers packaging accepts and refuses; a version that it takes
 * after each operator that allows it (== and != only, with a local label). */
static void test_packaging_specs(void **state)
{
	static const char *const ops[] = { "==", "!=", "~=", "<=", ">=", "<", ">" };
	struct table t;
	int bad = 0;

	(void)state;
	assert_int_equal(table_load("pep440-specs.tsv", 2, &t), 0);
	for (size_t i = 0; i < t.rows; i++) {
		const char *text = cell(&t, i, 0), *verdict = cell(&t, i, 1);
		size_t n_ops = strchr(text, '+') ? 2 : N_OF(ops);
		if (!strcmp(verdict, "operators")) {
			for (size_t k = 0; k < n_ops; k++) {
				char spec[256];
				snprintf(spec, sizeof spec, "%s%s", ops[k], text);
				if (!spec_ok(spec)) {
					print_error("line %d: '%s' refused\n", t.line[i], spec);
					bad++;
				}
			}
		} else if (spec_ok(text) != !strcmp(verdict, "valid")) {
			print_error("line %d: '%s' should be %s\n", t.line[i], text, verdict);
			bad++;
		}
	}
	table_free(&t);
	assert_int_equal(bad, 0);
}

/* One row of pep440-contains.tsv: the verdict, why or no why, and the
 * exact error for a version that is not PEP 440. */
static int contains_row(const struct table *t, size_t i)
{
	const char *spec = cell(t, i, 0), *version = cell(t, i, 1), *verdict = cell(t, i, 2);
	int want = !strcmp(verdict, "yes") ? 1 : !strcmp(verdict, "no") ? 0 : -1;
	char *err = NULL, *why = NULL, msg[512] = "";
	struct version_spec *s = version_spec_new(spec, &err);
	int got, bad = 0;

	if (!s) {
		print_error("line %d: spec '%s': %s\n", t->line[i], spec, err);
		free(err);
		return 1;
	}
	got = version_spec_match(s, version, SCHEME_PEP440, &why);
	if (want == -1)
		snprintf(msg, sizeof msg, "cannot parse version '%s' (PEP 440)", version);
	if (got != want || (got == 1) != (why == NULL) || (*msg && strcmp(why, msg))) {
		print_error("line %d: '%s' against '%s' = %d (%s), want %s\n", t->line[i], version,
			    spec, got, why ? why : "no why", verdict);
		bad = 1;
	}
	free(why);
	version_spec_free(s);
	return bad;
}

/* packaging's contains() verdicts, for a version already installed. */
static void test_packaging_contains(void **state)
{
	struct table t;
	int bad = 0;

	(void)state;
	assert_int_equal(table_load("pep440-contains.tsv", 3, &t), 0);
	for (size_t i = 0; i < t.rows; i++)
		bad += contains_row(&t, i);
	table_free(&t);
	assert_int_equal(bad, 0);
}

/* packaging's sample versions: each base in each family template, then the
 * extras. *n is their count; the list and its strings belong to the caller. */
static char **samples_load(size_t *n)
{
	struct table t;
	char **out = NULL;
	size_t cap = 0;

	*n = 0;
	if (table_load("pep440-samples.tsv", 2, &t) < 0)
		return NULL;
	cap = t.rows * t.rows + 1;
	out = calloc(cap, sizeof *out);
	for (size_t b = 0; b < t.rows; b++) {
		if (!strcmp(cell(&t, b, 0), "extra"))
			out[(*n)++] = strdup(cell(&t, b, 1));
		if (strcmp(cell(&t, b, 0), "base"))
			continue;
		for (size_t f = 0; f < t.rows; f++) {
			const char *tpl = cell(&t, f, 1), *at = strchr(tpl, '@');
			char v[128];
			if (strcmp(cell(&t, f, 0), "family") || !at)
				continue;
			snprintf(v, sizeof v, "%.*s%s%s", (int)(at - tpl), tpl, cell(&t, b, 1), at + 1);
			out[(*n)++] = strdup(v);
		}
	}
	table_free(&t);
	return out;
}

/* packaging's UNSATISFIABLE and SATISFIABLE specifiers over its samples:
 * none of them satisfies the first kind, some satisfies the second. */
static void test_packaging_satisfiable(void **state)
{
	struct table t;
	size_t n = 0;
	char **v = samples_load(&n);
	int bad = 0;

	(void)state;
	assert_non_null(v);
	assert_true(n > 800);
	assert_int_equal(table_load("pep440-satisfiable.tsv", 2, &t), 0);
	for (size_t i = 0; i < t.rows; i++) {
		char *err = NULL;
		struct version_spec *s = version_spec_new(cell(&t, i, 0), &err);
		size_t hits = 0, first = 0;
		if (!s) {
			print_error("line %d: %s\n", t.line[i], err);
			free(err);
			bad++;
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			if (version_spec_match(s, v[k], SCHEME_PEP440, NULL) != 1)
				continue;
			if (hits == 0)
				first = k;
			hits++;
		}
		if ((hits == 0) != !strcmp(cell(&t, i, 1), "unsatisfiable")) {
			print_error("line %d: '%s' is %s, yet %zu samples satisfy it (first '%s')\n",
				    t.line[i], cell(&t, i, 0), cell(&t, i, 1), hits,
				    hits ? v[first] : "none");
			bad++;
		}
		version_spec_free(s);
	}
	for (size_t k = 0; k < n; k++)
		free(v[k]);
	free(v);
	table_free(&t);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pep440_normalize),
		cmocka_unit_test(test_pep440_order),
		cmocka_unit_test(test_pep440_errors),
		cmocka_unit_test(test_spec_pep440),
		cmocka_unit_test(test_spec_pep440_compat),
		cmocka_unit_test(test_spec_pep440_26),
		cmocka_unit_test(test_spec_errors),
		cmocka_unit_test(test_spec_check),
		cmocka_unit_test(test_spec_api),
		cmocka_unit_test(test_debian_order),
		cmocka_unit_test(test_debian_errors),
		cmocka_unit_test(test_debian_vs_dpkg),
		cmocka_unit_test(test_spec_debian),
		cmocka_unit_test(test_pep503),
		cmocka_unit_test(test_packaging_order),
		cmocka_unit_test(test_packaging_normalize),
		cmocka_unit_test(test_packaging_specs),
		cmocka_unit_test(test_packaging_contains),
		cmocka_unit_test(test_packaging_satisfiable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
