/* Unit tests for util/secret: masking longest first, left to right, without
 * overlaps; short values refused; digests left alone; the JSON-escaped,
 * percent-encoded and base64 forms; text cut short before a mark; and the
 * registry used from several threads at once. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/secret.h"

static void expect_mask(const char *s, const char *want)
{
	char *got = secret_mask(s);

	assert_string_equal(got, want);
	free(got);
}

static int clear(void **state)
{
	(void)state;
	secret_clear();
	return 0;
}

static void test_mask_basic(void **state)
{
	(void)state;
	expect_mask("nothing registered", "nothing registered");
	assert_int_equal(secret_add("hunter2"), SECRET_ADDED);
	expect_mask("password=hunter2;", "password=***;");
	expect_mask("hunter2hunter2 hunter", "****** hunter");
	expect_mask("", "");
	assert_null(secret_mask(NULL));
	assert_null(secret_mask_cut(NULL, "…"));
}

static void test_longest_first(void **state)
{
	(void)state;
	secret_add("abcd");
	secret_add("abcdefgh");
	expect_mask("xabcdefghx abcd abcdefg", "x***x *** ***efg");
	/* Added in the other order, the same result. */
	secret_clear();
	secret_add("abcdefgh");
	secret_add("abcd");
	expect_mask("xabcdefghx abcd abcdefg", "x***x *** ***efg");
}

static void test_no_overlap(void **state)
{
	(void)state;
	secret_add("aaaa");
	expect_mask("aaaaa", "***a");
	expect_mask("aaaaaaaa", "******");
	/* The mask text itself is never masked again. */
	secret_add("****");
	expect_mask("a****a", "a***a");
}

static void test_ignored_and_cleared(void **state)
{
	(void)state;
	assert_int_equal(secret_add(""), SECRET_SEEN);
	assert_int_equal(secret_add(NULL), SECRET_SEEN);
	expect_mask("abc", "abc");
	assert_int_equal(secret_add("toke"), SECRET_ADDED);
	assert_int_equal(secret_add("toke"), SECRET_SEEN);
	expect_mask("toke toke", "*** ***");
	secret_clear();
	expect_mask("toke toke", "toke toke");
}

/* A value under 4 characters is refused, said once: masking "4" would hide
 * every 4 of every number and digest. */
static void test_short_refused(void **state)
{
	(void)state;
	assert_int_equal(secret_add("4"), SECRET_TOO_SHORT);
	assert_int_equal(secret_add("4"), SECRET_SEEN);
	assert_int_equal(secret_add("abc"), SECRET_TOO_SHORT);
	assert_int_equal(secret_add("abcd"), SECRET_ADDED);
	expect_mask("4 passed, abc abcd", "4 passed, abc ***");
	secret_clear();
	/* cleared, the refusal is said again */
	assert_int_equal(secret_add("4"), SECRET_TOO_SHORT);
}

/* Short matches inside a sha256 digest are chance, and left alone; 16 hex
 * digits or more, or a match that is not all hex, are masked. */
static void test_digests(void **state)
{
	static const char digest[] =
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	char text[256], want[256];

	(void)state;
	secret_add("7816");
	/* in a whole digest, in quotes, and shortened with "…" as parity shows it */
	snprintf(text, sizeof text, "sha256 \"%s\"", digest);
	expect_mask(text, text);
	expect_mask("sha256 ba7816bf8f01… of a product", "sha256 ba7816bf8f01… of a product");
	/* anywhere else it is the secret */
	expect_mask("key=7816 ba7816bf", "key=*** ba***bf");
	expect_mask("ba7816bf8f01 without the mark", "ba***bf8f01 without the mark");
	/* a 65-digit word, or one with a letter beyond f next to it, is no digest */
	snprintf(text, sizeof text, "%s0", digest);
	snprintf(want, sizeof want, "ba***%s0", digest + 6);
	expect_mask(text, want);
	snprintf(text, sizeof text, "g%s", digest);
	snprintf(want, sizeof want, "gba***%s", digest + 6);
	expect_mask(text, want);
	/* a 16-digit secret inside a digest is no chance: masked (the short one
	 * stays chance: a digest is judged as it was written) */
	secret_add("8f01cfea414140de");
	snprintf(text, sizeof text, "%s", digest);
	expect_mask(text, "ba7816bf***5dae2223b00361a396177a9cb410ff61f20015ad");
	/* and the whole digest as a secret is masked too */
	secret_add(digest);
	snprintf(text, sizeof text, "sha256 %s.", digest);
	expect_mask(text, "sha256 ***.");
}

/* JSON-escaped: whatever the writer chose to escape, in either case. */
static void test_json_escaped(void **state)
{
	(void)state;
	secret_add("pa\"ss\\word");
	expect_mask("{\"p\": \"pa\\\"ss\\\\word\"}", "{\"p\": \"***\"}");
	expect_mask("pa\\u0022ss\\u005Cword pa\\u0022ss\\u005cword", "*** ***");
	expect_mask("pa\\\"ss\\\\wor", "pa\\\"ss\\\\wor");
	expect_mask("pa\\\"ss\\\\worD", "pa\\\"ss\\\\worD");
	secret_add("p\xc3\xa4/ss \xf0\x9f\x94\x91");
	/* Python's ensure_ascii (a surrogate pair), PHP's "\/", and as written */
	expect_mask("\"p\\u00e4/ss \\ud83d\\udd11\"", "\"***\"");
	expect_mask("\"p\xc3\xa4\\/ss \xf0\x9f\x94\x91\"", "\"***\"");
	expect_mask("\"p\xc3\xa4/ss \xf0\x9f\x94\x91\"", "\"***\"");
	/* a lone low surrogate, or a bad escape, is no match */
	expect_mask("\"p\\u00e4/ss \\udd11\"", "\"p\\u00e4/ss \\udd11\"");
	expect_mask("pa\\qss", "pa\\qss");
}

/* Percent-encoded: any byte, upper or lower case hex, a space as '+'. */
static void test_url_encoded(void **state)
{
	(void)state;
	secret_add("p\xc3\xa4/ss \xf0\x9f\x94\x91");
	expect_mask("?k=p%C3%A4%2Fss%20%F0%9F%94%91&x=1", "?k=***&x=1");
	expect_mask("?k=p%c3%a4%2fss+%f0%9f%94%91&x=1", "?k=***&x=1");
	expect_mask("?k=p%C3%A4/ss%20%F0%9F%94%91", "?k=***");
	expect_mask("?k=p%C3%A4%2Fss%20%F0%9F%94", "?k=p%C3%A4%2Fss%20%F0%9F%94");
	secret_add("a+b%2Fc");
	/* a literal '+' and '%' in the secret, as written and encoded */
	expect_mask("a+b%2Fc a%2Bb%252Fc", "*** ***");
	expect_mask("a b%2Fc", "a b%2Fc");
}

/* Base64 at each of the three byte alignments, as "Authorization: Basic"
 * carries user:secret: the characters the secret's bits decide are masked,
 * with the one on each side that holds a few of them. */
static void test_base64(void **state)
{
	(void)state;
	secret_add("S3cr3tV4lue");
	expect_mask("Basic UzNjcjN0VjRsdWU=", "Basic ***=");            /* "S3cr3tV4lue" */
	expect_mask("Basic dVMzY3IzdFY0bHVl", "Basic d***");             /* "uS3cr3tV4lue" */
	expect_mask("Basic dXNTM2NyM3RWNGx1ZQ==", "Basic dX***==");      /* "usS3cr3tV4lue" */
	expect_mask("Basic dXNlcjpTM2NyM3RWNGx1ZQ==", "Basic dXNlcj***=="); /* "user:S3cr3tV4lue" */
	/* standard and URL-safe alphabets */
	secret_add("?\?>>?\?>>");    /* "??>" would be a trigraph */
	expect_mask("Pz8+Pj8/Pj4= Pz8-Pj8_Pj4=", "***= ***=");
	expect_mask("dT8/Pj4/Pz4+ dT8_Pj4_Pz4-", "d*** d***");
	expect_mask("dXM/Pz4+Pz8+Pg== dXM_Pz4-Pz8-Pg==", "dX***== dX***==");
}

/* Text cut short before a mark: the beginning of a secret that ends the
 * text there is masked; at the end of the text (no mark) it is not. */
static void test_cut(void **state)
{
	char *m;

	(void)state;
	secret_add("S3cr3tV4lue12345");
	m = secret_mask_cut("xxxS3cr3tV4lu… (5006 bytes in all)", "…");
	assert_string_equal(m, "xxx***… (5006 bytes in all)");
	free(m);
	m = secret_mask_cut("line S… and S3c…\nnext S3cr3tV4lue12345 S3c", "…");
	assert_string_equal(m, "line ***… and ***…\nnext *** S3c");
	free(m);
	expect_mask("xxxS3cr3tV4lu… (5006 bytes in all)", "xxxS3cr3tV4lu… (5006 bytes in all)");
	/* a secret that holds the mark is still masked whole */
	secret_add("ab…cdef");
	m = secret_mask_cut("x ab…cdef y", "…");
	assert_string_equal(m, "x *** y");
	free(m);
	/* escaped and encoded beginnings too, even cut inside an escape */
	secret_add("pa\"ss\\word");
	m = secret_mask_cut("{\"p\": \"pa\\\"s… \"pa\\… pa%22ss%5… pa%2…", "…");
	assert_string_equal(m, "{\"p\": \"***… \"***… ***… ***…");
	free(m);
	/* base64: two characters hold a whole byte; one does not */
	m = secret_mask_cut("Basic dXNlcjpTM2Ny… Basic dXNlcjpTM… Basic dXNlcjpT…", "…");
	assert_string_equal(m, "Basic dXNlcj***… Basic dXNlcj***… Basic dXNlcjpT…");
	free(m);
}

static void *add_and_mask(void *arg)
{
	int *ok = arg;
	char value[32];

	for (int i = 0; i < 200; i++) {
		snprintf(value, sizeof(value), "secret-%p-%d", arg, i);
		secret_add(value);
		char *m = secret_mask(value);
		if (strcmp(m, "***") == 0)
			(*ok)++;
		free(m);
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[4];
	int ok[4] = { 0 };

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, add_and_mask, &ok[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(ok[i], 200);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_mask_basic, clear),
		cmocka_unit_test_teardown(test_longest_first, clear),
		cmocka_unit_test_teardown(test_no_overlap, clear),
		cmocka_unit_test_teardown(test_ignored_and_cleared, clear),
		cmocka_unit_test_teardown(test_short_refused, clear),
		cmocka_unit_test_teardown(test_digests, clear),
		cmocka_unit_test_teardown(test_json_escaped, clear),
		cmocka_unit_test_teardown(test_url_encoded, clear),
		cmocka_unit_test_teardown(test_base64, clear),
		cmocka_unit_test_teardown(test_cut, clear),
		cmocka_unit_test_teardown(test_threads, clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
