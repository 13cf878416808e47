/* test_report: the result model (waivers, warnings, first divergence, the
 * summary) and the reporters (escaping, document shapes, atomic writes).
 * With "--emit FORMAT" it prints the sample run in that format instead, so
 * that tests/e2e/reports.t can check it with the formats' own validators. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/result.h"
#include "report/report.h"
#include "util/secret.h"
#include "util/xalloc.h"

#define MAX_STEPS 16

static struct env_result *add_env(struct run_result *r, const char *name, const char *source,
				  const char *facts, bool baseline, json_t *host)
{
	struct env_result *e = &r->envs[r->n_envs++];

	e->name = xstrdup(name);
	e->source = xstrdup(source);
	e->facts_path = xstrdup(facts);
	e->baseline = baseline;
	e->host = host;
	return e;
}

static struct step_result *add_step(struct run_result *r, const char *id, const char *kind,
				    const char *stage, int stage_index)
{
	struct step_result *s = &r->steps[r->n_steps++];

	memset(s, 0, sizeof *s);
	s->id = xstrdup(id);
	s->kind = xstrdup(kind);
	s->stage = xstrdup(stage);
	s->stage_index = stage_index;
	s->seconds = 0.25;
	return s;
}

static void empty_run(struct run_result *r)
{
	result_init(r);
	r->contract_name = xstrdup("fraud-scorer");
	r->contract_path = xstrdup("contracts/fraud-scorer.yaml");
	r->contract_sha256 = xstrdup("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	r->runner_version = xstrdup("0.1.0");
	r->command = xstrdup("run");
	strcpy(r->started_at, "2026-11-22T10:00:00Z");
	r->duration_s = 1.234;
	r->baseline = xstrdup("staging");
	r->envs = xcalloc(2, sizeof *r->envs);
	r->steps = xcalloc(MAX_STEPS, sizeof *r->steps);
}

#define NASTY "max_abs_diff 0.0023 > 0.0001 # see \\ and <&> \"q\" 'a'\nsecond line \x07 bell"

/* The sample run: two environments, one step per interesting outcome. */
static void sample_run(struct run_result *r)
{
	struct step_result *s;
	struct check *c;

	empty_run(r);
	r->description = xstrdup("Release gate for the fraud model");
	add_env(r, "staging", "live", NULL, true,
		json_pack("{s:s, s:{s:s, s:s}}", "hostname", "stg-1",
			  "gpu", "name", "NVIDIA A100-SXM4-80GB", "driver", "550.54.15"));
	add_env(r, "production", "facts", "facts/production.json", false,
		json_pack("{s:s, s:{s:s, s:s}}", "hostname", "prod-7",
			  "gpu", "name", "NVIDIA H100 80GB HBM3", "driver", "550.54.15"));

	s = add_step(r, "model", "artifact", "artifact", 0);
	s->description = xstrdup("the model weights are the pinned ones");
	result_add_check(s, "staging", ST_PASS, "staging: sha256 pin", "sha256 matches the pin",
			 "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
			 "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b");
	result_add_check(s, "production", ST_PASS, "production: sha256 pin", "sha256 matches the pin",
			 NULL, NULL);

	s = add_step(r, "packages", "packages", "environment", 1);
	s->severity_warning = true;
	result_add_check(s, "staging", ST_PASS, "staging: numpy", "numpy 1.26.4", "1.26.4", "1.26.4");
	result_add_check(s, "production", ST_FAIL, "production: numpy", "numpy differs from the baseline",
			 "1.26.4", "2.0.1");

	s = add_step(r, "gpu", "gpu", "hardware", 2);
	s->waiver = xstrdup("A100 pool retired 2026-12");
	s->waiver_until = xstrdup("2026-12-31");
	result_add_check(s, "production", ST_FAIL, "production: compute capability",
			 "compute capability differs", "8.0", "9.0");

	s = add_step(r, "preprocessing", "preprocess", "preprocess", 3);
	result_add_check(s, "staging", ST_PASS, "staging: output sha256", "matches the lock", NULL, NULL);
	c = result_add_check(s, "production", ST_FAIL, "production: output sha256",
			     "preprocessed inputs differ from the baseline",
			     "5d41402abc4b2a76b9719d911017c592", "7d793037a0760186574b0282f2f435e7");
	result_check_detail(c, "--- staging\n+++ production\n@@ row 3 @@\n"
			    "  amount: 0.113\n-scaled: 0.4821\n+scaled: 0.5012\n\n...\n\tend: tab");

	s = add_step(r, "equivalence", "inference", "inference", 4);
	result_add_check(s, "production", ST_FAIL, "production: tolerance # atol\\rtol", NASTY,
			 "max_abs_diff <= 0.0001", "0.0023 \xff bytes");
	result_add_check(s, NULL, ST_PASS, "argmax agreement", "argmax agrees on 200 rows", NULL, NULL);
	result_metric(s, "production", "max_abs_diff", json_real(0.0023));
	result_metric(s, "production", "argmax_agreement", json_real(1.0));
	result_metric(s, "production", "rows", json_integer(200));

	s = add_step(r, "decisions", "postprocess", "postprocess", 5);
	result_add_check(s, "production", ST_ERROR, "production: decision threshold",
			 "could not run: connection refused\xe2\x80\xa8(3 attempts)", NULL, NULL);
	c = result_add_check(s, "production", ST_FAIL, "production: flips", "3 decisions flipped", "0", "3");
	result_check_detail(c, "  row 17: 0.49 -> 0.51\n  row 40: 0.50 -> 0.49\n    row 41: 0.51 -> 0.50");
	result_add_check(s, "production", ST_PASS, "production: flips", "flips near the threshold only",
			 NULL, NULL);

	s = add_step(r, "drift", "drift", "distribution", 6);
	result_add_check(s, "production", ST_SKIP, "production: psi", "no reference sample", NULL, NULL);

	add_step(r, "health", "http", "service", 7);
	result_finish(r);
}

/* Renders r in format name into a string owned by the caller. */
static char *render(const char *name, const struct run_result *r, bool color)
{
	const struct reporter *rep = reporter_find(name);
	struct report_opts o = { .color = color, .verbose = false };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(rep);
	assert_non_null(f);
	assert_int_equal(rep->render(r, f, &o), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static bool starts_with(const char *text, const char *prefix)
{
	return strncmp(text, prefix, strlen(prefix)) == 0;
}

static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0, plen = strlen(prefix);

	for (const char *p = text; p && *p;) {
		if (strncmp(p, prefix, plen) == 0)
			n++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);

	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n == len && strncmp(p, line, len) == 0)
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

static void expect_escape(char *(*fn)(const char *), const char *in, const char *want)
{
	char *got = fn(in);

	assert_string_equal(got, want);
	free(got);
}

static char *xml_text(const char *s)
{
	return xml_escape(s, false);
}

static char *xml_attr(const char *s)
{
	return xml_escape(s, true);
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(status_name(ST_PASS), "pass");
	assert_string_equal(status_name(ST_FAIL), "fail");
	assert_string_equal(status_name(ST_ERROR), "error");
	assert_string_equal(status_name(ST_SKIP), "skip");
	assert_string_equal(status_name(ST_WAIVED), "waived");
}

static void test_tap_escape(void **state)
{
	(void)state;
	expect_escape(tap_escape, "a#b\\c", "a\\#b\\\\c");
	expect_escape(tap_escape, "\\#", "\\\\\\#");
	expect_escape(tap_escape, "one\ntwo\r\nthree\rfour", "one two three four");
	expect_escape(tap_escape, "plain - text", "plain - text");
	expect_escape(tap_escape, "ls\xe2\x80\xa8ps\xe2\x80\xa9nel\xc2\x85.", "ls ps nel .");
	expect_escape(tap_escape, NULL, "");
}

static void test_xml_escape(void **state)
{
	(void)state;
	expect_escape(xml_text, "a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&apos;f");
	expect_escape(xml_text, "bell\x07!", "bell\\x07!");
	expect_escape(xml_text, "nul-ish\x01\x1f", "nul-ish\\x01\\x1f");
	expect_escape(xml_text, "x\xffy", "x\xef\xbf\xbdy");
	expect_escape(xml_text, "cut \xe2\x82", "cut \xef\xbf\xbd\xef\xbf\xbd");
	expect_escape(xml_text, "over\xc0\xaflong", "over\xef\xbf\xbd\xef\xbf\xbdlong");
	expect_escape(xml_text, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	expect_escape(xml_text, "tab\tnl\ncr\r", "tab\tnl\ncr&#13;");
	expect_escape(xml_attr, "tab\tnl\ncr\r", "tab&#9;nl&#10;cr&#13;");
	expect_escape(xml_attr, "<'&'>", "&lt;&apos;&amp;&apos;&gt;");
	expect_escape(xml_text, "\xef\xbf\xbf", "\\uffff");
	expect_escape(xml_text, NULL, "");
}

static void test_md_escape_cell(void **state)
{
	(void)state;
	expect_escape(md_escape_cell, "a|b\nc", "a\\|b<br>c");
	expect_escape(md_escape_cell, "<&> *x* `y`", "\\<\\&\\> \\*x\\* \\`y\\`");
	expect_escape(md_escape_cell, "back\\slash\r\nnext\x07", "back\\\\slash<br>next ");
	expect_escape(md_escape_cell, "snake_case [link]", "snake\\_case \\[link\\]");
}

static void test_clip_and_utf8(void **state)
{
	char *s;

	(void)state;
	s = report_clip("abcdef", 4);
	assert_string_equal(s, "abc\xe2\x80\xa6");
	free(s);
	s = report_clip("abcd", 4);
	assert_string_equal(s, "abcd");
	free(s);
	s = report_clip("\xc3\xa9\xc3\xa9\xc3\xa9", 2);
	assert_string_equal(s, "\xc3\xa9\xe2\x80\xa6");
	free(s);
	s = report_utf8("a\xff\xfe");
	assert_string_equal(s, "a\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	assert_null(report_utf8(NULL));
	assert_int_equal(report_utf8_seq("\xed\xa0\x80"), 0);      /* a surrogate */
	assert_int_equal(report_utf8_seq("\xf4\x90\x80\x80"), 0);  /* above U+10FFFF */
	assert_int_equal(report_utf8_seq("\xf0\x9f\x98\x80"), 4);
}

static void test_finish_sample(void **state)
{
	struct run_result r;
	const struct summary *m = &r.summary;

	(void)state;
	sample_run(&r);
	assert_int_equal(r.steps[0].status, ST_PASS);
	/* severity warning: still fail, flagged, does not block */
	assert_int_equal(r.steps[1].status, ST_FAIL);
	assert_true(r.steps[1].warning);
	assert_true(r.steps[1].checks[1].warning);
	assert_false(r.steps[1].checks[0].warning);
	/* waived: the failed check becomes waived too */
	assert_int_equal(r.steps[2].status, ST_WAIVED);
	assert_int_equal(r.steps[2].checks[0].status, ST_WAIVED);
	assert_int_equal(r.steps[3].status, ST_FAIL);
	assert_int_equal(r.steps[5].status, ST_ERROR);
	assert_int_equal(r.steps[6].status, ST_SKIP);
	assert_int_equal(r.steps[7].status, ST_SKIP);

	assert_int_equal(m->passed, 1);
	assert_int_equal(m->failed, 2);
	assert_int_equal(m->errors, 1);
	assert_int_equal(m->skipped, 2);
	assert_int_equal(m->waived, 1);
	assert_int_equal(m->warnings, 1);
	assert_int_equal(m->c_passed, 6);
	assert_int_equal(m->c_failed, 4);
	assert_int_equal(m->c_errors, 1);
	assert_int_equal(m->c_skipped, 1);
	assert_int_equal(m->c_waived, 1);
	assert_false(m->ok);
	assert_int_equal(result_exit_status(&r), 1);

	/* the warning (environment) and the waiver (hardware) come earlier in
	 * the pipeline but do not block: preprocessing is the first divergence */
	assert_int_equal(m->first_divergence, 3);
	assert_false(r.steps[1].consequence);
	assert_false(r.steps[2].consequence);
	assert_false(r.steps[3].consequence);
	assert_true(r.steps[4].consequence);
	assert_true(r.steps[5].consequence);
	assert_false(r.steps[6].consequence);
	assert_string_equal(m->verdict,
			    "first divergence: preprocess (step 'preprocessing'): preprocessing drift: "
			    "the same inputs produce different model inputs (stale preprocessor, "
			    "fit_transform instead of transform, resize)");
	result_release(&r);
}

static void test_finish_passing(void **state)
{
	struct run_result r;
	struct step_result *s;

	(void)state;
	empty_run(&r);
	s = add_step(&r, "mixed", "packages", "environment", 1);
	result_add_check(s, "staging", ST_PASS, "staging: numpy", "ok", NULL, NULL);
	result_add_check(s, "production", ST_SKIP, "production: numpy", "not installed", NULL, NULL);
	s = add_step(&r, "skipped", "drift", "distribution", 6);
	result_add_check(s, "production", ST_SKIP, "production: psi", "no sample", NULL, NULL);
	s = add_step(&r, "unused-waiver", "gpu", "hardware", 2);
	s->waiver = xstrdup("not needed");
	s->waiver_until = xstrdup("2026-12-31");
	result_add_check(s, "production", ST_PASS, "production: gpu", "same", NULL, NULL);
	result_finish(&r);

	assert_int_equal(r.steps[0].status, ST_PASS);
	assert_int_equal(r.steps[1].status, ST_SKIP);
	assert_int_equal(r.steps[2].status, ST_PASS);
	assert_int_equal(r.summary.passed, 2);
	assert_int_equal(r.summary.skipped, 1);
	assert_int_equal(r.summary.waived, 0);
	assert_true(r.summary.ok);
	assert_int_equal(r.summary.first_divergence, -1);
	assert_null(r.summary.verdict);
	assert_int_equal(result_exit_status(&r), 0);

	json_t *doc = report_json_doc(&r);
	assert_true(json_is_null(json_object_get(json_object_get(doc, "summary"), "first_divergence")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "summary"), "status")),
			    "pass");
	json_decref(doc);
	result_release(&r);
}

static void test_finish_expired_waiver_and_ties(void **state)
{
	struct run_result r;
	struct step_result *s;

	(void)state;
	empty_run(&r);
	s = add_step(&r, "late", "http", "service", 7);
	result_add_check(s, "production", ST_FAIL, "production: status", "503", "200", "503");
	s = add_step(&r, "gpu", "gpu", "hardware", 2);
	s->waiver = xstrdup("old pool");
	s->waiver_until = xstrdup("2020-01-01");
	s->waiver_expired = true;
	result_add_check(s, "production", ST_ERROR, "production: gpu", "no nvidia-smi", NULL, NULL);
	s = add_step(&r, "gpu-2", "gpu", "hardware", 2);
	result_add_check(s, "production", ST_FAIL, "production: tf32", "tf32 differs", NULL, NULL);
	s = add_step(&r, "gpu-3", "gpu", "hardware", 2);
	result_add_check(s, "production", ST_FAIL, "production: driver", "driver differs", NULL, NULL);
	result_finish(&r);

	/* an expired waiver does not waive */
	assert_int_equal(r.steps[1].status, ST_ERROR);
	assert_int_equal(r.steps[1].checks[0].status, ST_ERROR);
	/* ties on stage: a divergence before an error (which measured nothing),
	 * then the earlier step; the same stage is not a consequence */
	assert_int_equal(r.summary.first_divergence, 2);
	assert_int_equal(r.summary.cause, CAUSE_DIVERGENCE);
	assert_false(r.steps[1].consequence);
	assert_false(r.steps[3].consequence);
	assert_true(r.steps[0].consequence);
	assert_string_equal(r.summary.verdict,
			    "first divergence: hardware (step 'gpu-2'): hardware difference: GPU model, "
			    "driver, CUDA runtime or TF32 setting differs");
	assert_int_equal(r.summary.failed, 3);
	assert_int_equal(r.summary.errors, 1);

	/* finishing twice gives the same answer */
	result_finish(&r);
	assert_int_equal(r.summary.first_divergence, 2);
	assert_int_equal(r.summary.failed, 3);
	result_release(&r);
}

static void test_secrets_masked(void **state)
{
	struct run_result r;
	struct step_result *s;
	struct check *c;

	(void)state;
	secret_add("hunter2-token");
	empty_run(&r);
	s = add_step(&r, "api", "http", "service", 7);
	c = result_add_check(s, "production", ST_FAIL, "production: auth", "sent hunter2-token",
			     "Bearer hunter2-token", "401 for hunter2-token");
	result_check_detail(c, "header: hunter2-token\n");
	assert_string_equal(c->message, "sent ***");
	assert_string_equal(c->expected, "Bearer ***");
	assert_string_equal(c->actual, "401 for ***");
	assert_string_equal(c->detail, "header: ***\n");
	assert_string_equal(c->env, "production");
	secret_clear();
	result_release(&r);
}

/* A step that could not measure (errors only) is no numeric divergence:
 * the verdict quotes its error, cause "error" in every format; an error of
 * an earlier stage still comes first; errors beside a failed check are a
 * divergence. */
static void test_finish_error_cause(void **state)
{
	struct run_result r;
	struct step_result *s;
	char *t;

	(void)state;
	empty_run(&r);
	add_env(&r, "staging", "live", NULL, true, NULL);
	add_env(&r, "production", "live", NULL, false, NULL);
	s = add_step(&r, "logits", "inference", "inference", 4);
	result_add_check(s, "production", ST_ERROR, "production: run",
			 "could not run in production: row 1: HTTP 500 from http://127.0.0.1:8082/predict "
			 "(3 attempts): {\"error\": \"train mode\"}", NULL, NULL);
	result_add_check(s, "staging", ST_PASS, "staging: scored", "100 rows scored", NULL, NULL);
	s = add_step(&r, "decisions", "postprocess", "postprocess", 5);
	result_add_check(s, "production", ST_FAIL, "production: flips", "3 decisions flipped", "0", "3");
	result_finish(&r);

	assert_int_equal(r.summary.first_divergence, 0);
	assert_int_equal(r.summary.cause, CAUSE_ERROR);
	assert_string_equal(cause_name(r.summary.cause), "error");
	assert_true(r.steps[1].consequence);
	assert_string_equal(r.summary.verdict,
			    "first error: inference (step 'logits'): an error, not a divergence: could not "
			    "run in production: row 1: HTTP 500 from http://127.0.0.1:8082/predict (3 "
			    "attempts): {\"error\": \"train mode\"}");

	json_t *doc = report_json_doc(&r);
	json_t *fd = json_object_get(json_object_get(doc, "summary"), "first_divergence");
	assert_string_equal(json_string_value(json_object_get(fd, "cause")), "error");
	assert_string_equal(json_string_value(json_object_get(fd, "step")), "logits");
	assert_string_equal(json_string_value(json_object_get(fd, "verdict")), r.summary.verdict);
	json_decref(doc);
	t = render("console", &r, false);
	assert_non_null(strstr(t, "VERDICT\n  first error: inference (step 'logits'): an error, not a "
				  "divergence: could not run in production: row 1: HTTP 500"));
	assert_true(has_line(t, "ERROR  inference   logits  (first error)"));
	free(t);
	t = render("markdown", &r, false);
	assert_non_null(strstr(t, "\n**first error: inference (step 'logits'): an error, not a divergence: "));
	assert_non_null(strstr(t, "| ERROR | 1/2 | **first error**"));
	free(t);
	t = render("junit", &r, false);
	assert_non_null(strstr(t, "<property name=\"parity.first_divergence.cause\" value=\"error\"/>"));
	free(t);
	t = render("tap13", &r, false);
	assert_true(has_line(t, "  cause: error"));
	free(t);

	/* errors beside a failed check: a divergence, told by the stage */
	result_add_check(&r.steps[0], "production", ST_FAIL, "production: max_abs_diff", "too far",
			 NULL, NULL);
	result_finish(&r);
	assert_int_equal(r.summary.cause, CAUSE_DIVERGENCE);
	assert_true(starts_with(r.summary.verdict, "first divergence: inference (step 'logits'): "
			       "model outputs differ"));
	t = render("tap13", &r, false);
	assert_true(has_line(t, "  cause: divergence"));
	free(t);

	/* two errors, in both environments: the first is quoted, the rest counted */
	s = add_step(&r, "weights", "artifact", "artifact", 0);
	result_add_check(s, "staging", ST_ERROR, "staging: run", "could not run in staging: "
			 "cannot read 'w.bin': No such file or directory", NULL, NULL);
	result_add_check(s, "production", ST_ERROR, "production: run", "could not run in production: "
			 "cannot read 'w.bin': No such file or directory", NULL, NULL);
	result_finish(&r);
	assert_int_equal(r.summary.first_divergence, 2);
	assert_string_equal(r.summary.verdict,
			    "first error: artifact (step 'weights'): an error, not a divergence: could not "
			    "run in staging: cannot read 'w.bin': No such file or directory (and 1 more "
			    "error)");
	result_release(&r);
}

/* A value a kind cut short ("…") cannot show the beginning of a secret. */
static void test_secrets_cut(void **state)
{
	struct run_result r;
	struct step_result *s;
	struct check *c;

	(void)state;
	secret_add("S3cr3tV4lue12345");
	empty_run(&r);
	s = add_step(&r, "out", "command", "environment", 1);
	c = result_add_check(s, "staging", ST_FAIL, "staging: output", "output does not match the pin",
			     "\"nope\"", "xxxxS3cr3tV4lu\xe2\x80\xa6 (5006 bytes in all)");
	result_check_detail(c, "stderr:\nyyS3c\xe2\x80\xa6 (9000 bytes in all)");
	assert_string_equal(c->actual, "xxxx***\xe2\x80\xa6 (5006 bytes in all)");
	assert_string_equal(c->detail, "stderr:\nyy***\xe2\x80\xa6 (9000 bytes in all)");
	secret_clear();
	result_release(&r);
}

static void test_json_doc(void **state)
{
	struct run_result r;
	json_t *doc, *summary, *steps, *eq, *check;

	(void)state;
	sample_run(&r);
	doc = report_json_doc(&r);
	assert_int_equal(json_integer_value(json_object_get(doc, "parity")), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "contract"), "name")),
			    "fraud-scorer");
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "runner"), "version")),
			    "0.1.0");
	assert_string_equal(json_string_value(json_object_get(doc, "baseline")), "staging");
	summary = json_object_get(doc, "summary");
	assert_string_equal(json_string_value(json_object_get(summary, "status")), "fail");
	assert_int_equal(json_integer_value(json_object_get(summary, "warnings")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(summary, "checks"), "failed")), 4);
	assert_string_equal(json_string_value(json_object_get(json_object_get(summary, "first_divergence"),
							      "step")), "preprocessing");
	assert_string_equal(json_string_value(json_object_get(json_object_get(summary, "first_divergence"),
							      "cause")), "divergence");
	steps = json_object_get(doc, "steps");
	assert_int_equal(json_array_size(steps), 8);
	eq = json_array_get(steps, 4);
	assert_true(json_is_true(json_object_get(eq, "consequence")));
	double d = json_real_value(json_object_get(json_object_get(json_object_get(eq, "metrics"),
								   "production"), "max_abs_diff"));
	assert_true(d > 0.00229 && d < 0.00231);
	check = json_array_get(json_object_get(eq, "checks"), 1);
	assert_true(json_is_null(json_object_get(check, "env")));
	check = json_array_get(json_object_get(eq, "checks"), 0);
	assert_string_equal(json_string_value(json_object_get(check, "message")), NASTY);
	/* invalid UTF-8 repaired, not dropped */
	assert_string_equal(json_string_value(json_object_get(check, "actual")), "0.0023 \xef\xbf\xbd bytes");
	assert_true(json_is_object(json_object_get(json_array_get(steps, 0), "metrics")));
	assert_int_equal(json_object_size(json_object_get(json_array_get(steps, 0), "metrics")), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(steps, 2),
									      "waiver"), "until")),
			    "2026-12-31");
	assert_true(json_is_true(json_object_get(json_object_get(json_object_get(doc, "environments"),
								 "staging"), "baseline")));
	json_decref(doc);
	result_release(&r);
}

static void test_reporter_table(void **state)
{
	const char *const *names = reporter_names();
	size_t n = 0;

	(void)state;
	for (; names[n]; n++)
		assert_non_null(reporter_find(names[n]));
	assert_int_equal(n, 7);
	assert_true(reporter_find("tap")->render == report_tap14);
	assert_true(reporter_find("tap13")->render == report_tap13);
	assert_string_equal(reporter_find("junit")->extension, "xml");
	assert_null(reporter_find("yaml"));
	assert_null(reporter_find(NULL));
}

static void test_tap14(void **state)
{
	struct run_result r;
	char *t;

	(void)state;
	sample_run(&r);
	t = render("tap", &r, false);
	assert_true(starts_with(t, "TAP version 14\n# parity 0.1.0: contract fraud-scorer\n1..8\n"));
	assert_int_equal(count_lines(t, "1.."), 1);
	assert_int_equal(count_lines(t, "TAP version"), 1);
	assert_true(has_line(t, "    # Subtest: model"));
	assert_true(has_line(t, "    1..2"));
	assert_true(has_line(t, "    ok 1 - staging: sha256 pin"));
	assert_true(has_line(t, "ok 1 - model"));
	assert_true(has_line(t, "    not ok 2 - production: numpy # TODO warning"));
	assert_true(has_line(t, "ok 2 - packages # TODO warning") == false);
	assert_true(has_line(t, "not ok 2 - packages # TODO warning"));
	assert_true(has_line(t, "    not ok 1 - production: compute capability"
			     " # TODO waived until 2026-12-31: A100 pool retired 2026-12"));
	assert_true(has_line(t, "not ok 3 - gpu # TODO waived until 2026-12-31: A100 pool retired 2026-12"));
	assert_true(has_line(t, "    not ok 1 - production: tolerance \\# atol\\\\rtol"));
	assert_true(has_line(t, "      message: \"max_abs_diff 0.0023 > 0.0001 # see \\\\ and <&> \\\"q\\\""
			     " 'a'\\nsecond line \\x07 bell\""));
	assert_true(has_line(t, "      detail: |2-"));
	assert_true(has_line(t, "          row 17: 0.49 -> 0.51"));
	assert_true(has_line(t, "      message: \"could not run: connection refused\\u2028(3 attempts)\""));
	assert_true(has_line(t, "          amount: 0.113"));
	assert_true(has_line(t, "    ok 1 - production: psi # SKIP no reference sample"));
	assert_true(has_line(t, "ok 7 - drift # SKIP no reference sample"));
	assert_true(has_line(t, "ok 8 - health # SKIP no checks"));
	assert_true(has_line(t, "  first_divergence: true"));
	assert_true(has_line(t, "  cause: divergence"));
	assert_true(has_line(t, "  first_divergence_step: \"preprocessing\""));
	assert_null(strchr(t, '\x07'));
	free(t);
	result_release(&r);
}

static void test_tap13(void **state)
{
	struct run_result r;
	char *t;

	(void)state;
	sample_run(&r);
	t = render("tap13", &r, false);
	assert_true(starts_with(t, "TAP version 13\n"));
	assert_true(has_line(t, "1..14"));
	assert_int_equal(count_lines(t, "ok ") + count_lines(t, "not ok "), 14);
	assert_true(has_line(t, "ok 1 - model: staging: sha256 pin"));
	assert_true(has_line(t, "not ok 4 - packages: production: numpy # TODO warning"));
	assert_true(has_line(t, "ok 14 - health # SKIP no checks"));
	assert_null(strstr(t, "|2-"));
	assert_int_equal(count_lines(t, "    "), 0);       /* flat: no subtests */
	free(t);
	result_release(&r);
}

static void test_junit(void **state)
{
	struct run_result r;
	char *t;

	(void)state;
	sample_run(&r);
	t = render("junit", &r, false);
	assert_true(starts_with(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"fraud-scorer\""
			    " tests=\"14\" failures=\"4\" errors=\"1\" skipped=\"3\" time=\"1.234\""
			    " timestamp=\"2026-11-22T10:00:00\">\n"));
	assert_int_equal(count_lines(t, "  <testcase "), 14);
	assert_non_null(strstr(t, "name=\"production: flips (2)\""));
	assert_non_null(strstr(t, "<failure message=\"numpy differs from the baseline\" type=\"warning\">"));
	assert_non_null(strstr(t, "<error message=\"could not run: connection refused\xe2\x80\xa8(3 attempts)\" type=\"error\">"));
	assert_non_null(strstr(t, "<skipped>waived until 2026-12-31: A100 pool retired 2026-12</skipped>"));
	assert_non_null(strstr(t, "&lt;&amp;&gt;"));
	assert_non_null(strstr(t, "&#10;second line \\x07 bell"));
	assert_non_null(strstr(t, "classname=\"fraud-scorer.equivalence\""));
	assert_non_null(strstr(t, "time=\"0.125\""));
	assert_null(strstr(t, "CDATA"));
	assert_null(strchr(t, '\x07'));
	assert_null(strstr(t, "\xff"));
	free(t);
	result_release(&r);
}

static void test_markdown(void **state)
{
	struct run_result r;
	char *t;

	(void)state;
	sample_run(&r);
	t = render("markdown", &r, false);
	assert_true(starts_with(t, "## parity: fraud-scorer \xe2\x80\x94 FAIL\n"));
	assert_true(has_line(t, "| | Step | Stage | Status | Checks | Details |"));
	assert_non_null(strstr(t, "\n**first divergence: preprocess (step 'preprocessing'): "));
	assert_non_null(strstr(t, "| 4 | preprocessing | preprocess | FAIL | 1/2 | **first divergence**"));
	assert_non_null(strstr(t, "### Failures\n"));
	assert_non_null(strstr(t, "```text\n--- staging\n"));
	assert_non_null(strstr(t, "### Sign-off\n"));
	assert_non_null(strstr(t, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
	assert_null(strchr(t, '\x07'));
	free(t);
	result_release(&r);
}

static void test_console(void **state)
{
	struct run_result r;
	char *t;

	(void)state;
	sample_run(&r);
	t = render("console", &r, false);
	assert_true(has_line(t, "parity 0.1.0 \xc2\xb7 fraud-scorer (contracts/fraud-scorer.yaml)"
			     " \xc2\xb7 baseline staging"));
	assert_non_null(strstr(t, "VERDICT\n  first divergence: preprocess (step 'preprocessing')"));
	assert_non_null(strstr(t, "(probable consequence of preprocessing)"));
	assert_true(has_line(t, "1 passed, 2 failed, 1 errors, 2 skipped, 1 waived, 1 warnings in 1.23s"));
	assert_true(has_line(t, "gate: FAIL"));
	assert_non_null(strstr(t, "WARN   environment  packages"));
	assert_null(strchr(t, '\033'));
	assert_null(strchr(t, '\x07'));
	free(t);
	t = render("console", &r, true);
	assert_non_null(strchr(t, '\033'));
	free(t);
	result_release(&r);
}

static void test_render_write_error(void **state)
{
	struct run_result r;
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	if (!f)
		skip();
	setvbuf(f, NULL, _IONBF, 0);
	sample_run(&r);
	for (const char *const *n = reporter_names(); *n; n++) {
		clearerr(f);
		assert_int_equal(reporter_find(*n)->render(&r, f, NULL), -1);
	}
	fclose(f);
	result_release(&r);
}

static void test_report_write(void **state)
{
	struct run_result r;
	char dir[] = "/tmp/test_report.XXXXXX";
	char *path, *bad, *err = NULL;
	struct dirent *de;
	size_t entries = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	sample_run(&r);
	path = xasprintf("%s/report.json", dir);
	assert_int_equal(report_write(reporter_find("json"), &r, path, NULL, &err), 0);
	assert_null(err);
	/* a second write replaces the first; no temporary file is left over */
	assert_int_equal(report_write(reporter_find("json"), &r, path, NULL, &err), 0);
	DIR *d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		entries += de->d_name[0] != '.';
	closedir(d);
	assert_int_equal(entries, 1);
	json_t *back = json_load_file(path, 0, NULL);
	assert_non_null(back);
	assert_int_equal(json_integer_value(json_object_get(back, "parity")), 1);
	json_decref(back);

	bad = xasprintf("%s/missing/report.xml", dir);
	assert_int_equal(report_write(reporter_find("junit"), &r, bad, NULL, &err), -1);
	char *want = xasprintf("cannot write report '%s': No such file or directory", bad);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(bad);
	unlink(path);
	free(path);
	rmdir(dir);
	result_release(&r);
}

static int emit(const char *format)
{
	const struct reporter *rep = reporter_find(format);
	struct report_opts o = { .color = false, .verbose = false };
	struct run_result r;
	char *err = NULL;
	int rc = 0;

	if (!rep) {
		fprintf(stderr, "test_report: unknown format '%s'\n", format);
		return 2;
	}
	sample_run(&r);
	if (report_write(rep, &r, "-", &o, &err) != 0) {
		fprintf(stderr, "test_report: %s\n", err);
		free(err);
		rc = 1;
	}
	result_release(&r);
	return rc;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_tap_escape),
		cmocka_unit_test(test_xml_escape),
		cmocka_unit_test(test_md_escape_cell),
		cmocka_unit_test(test_clip_and_utf8),
		cmocka_unit_test(test_finish_sample),
		cmocka_unit_test(test_finish_passing),
		cmocka_unit_test(test_finish_expired_waiver_and_ties),
		cmocka_unit_test(test_secrets_masked),
		cmocka_unit_test(test_finish_error_cause),
		cmocka_unit_test(test_secrets_cut),
		cmocka_unit_test(test_json_doc),
		cmocka_unit_test(test_reporter_table),
		cmocka_unit_test(test_tap14),
		cmocka_unit_test(test_tap13),
		cmocka_unit_test(test_junit),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_console),
		cmocka_unit_test(test_render_write_error),
		cmocka_unit_test(test_report_write),
	};

	if (argc == 3 && strcmp(argv[1], "--emit") == 0)
		return emit(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: test_report [--emit FORMAT]\n");
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
