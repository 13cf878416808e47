/* test_html: the HTML report: the page's structure (verdict first, a card
 * per step, the sign-off block), escaping, secret masking, no reference to
 * anything outside the file, the plots drawn from the metrics, and the
 * history's sparklines. With "--emit" it prints the sample run (with a
 * history) instead, which tests/e2e/reports.t validates with html-validate;
 * tests/e2e/cases.t validates real pages; tests/e2e/html.t renders one in
 * Chromium. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/result.h"
#include "report/report.h"
#include "util/secret.h"
#include "util/xalloc.h"

#define SECRET "s3cr3t-token-value"

static struct step_result *add_step(struct run_result *r, const char *id, const char *kind,
				    const char *stage, int stage_index)
{
	struct step_result *s = &r->steps[r->n_steps++];

	memset(s, 0, sizeof *s);
	s->id = xstrdup(id);
	s->kind = xstrdup(kind);
	s->stage = xstrdup(stage);
	s->stage_index = stage_index;
	return s;
}

static void add_env(struct run_result *r, const char *name, bool baseline, json_t *host)
{
	struct env_result *e = &r->envs[r->n_envs++];

	e->name = xstrdup(name);
	e->source = xstrdup("live");
	e->baseline = baseline;
	e->host = host;
}

static json_t *numbers(size_t n, const double *v)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_real(v[i]));
	return a;
}

/* A run with one step per plot, a nasty step id, a waiver and a secret. */
static void sample_run(struct run_result *r)
{
	static const double edges[] = {1e-3, 1e-2, 1e-1}, counts[] = {1, 2, 3, 40};
	static const double ref[] = {0.25, 0.25, 0.25, 0.25}, smp[] = {0.1, 0.2, 0.3, 0.4};
	struct step_result *s;

	result_init(r);
	r->contract_name = xstrdup("fraud-scorer");
	r->contract_path = xstrdup("contract.yaml");
	r->contract_sha256 = xstrdup("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	r->runner_version = xstrdup("0.1.0");
	r->command = xstrdup("run");
	strcpy(r->started_at, "2026-12-05T10:00:00Z");
	r->baseline = xstrdup("staging");
	r->envs = xcalloc(2, sizeof *r->envs);
	r->steps = xcalloc(8, sizeof *r->steps);
	add_env(r, "staging", true, json_pack("{s:s}", "hostname", "stg-1"));
	add_env(r, "production", false, json_pack("{s:s, s:{s:s}}", "hostname", "prod-7",
						 "gpu", "token", SECRET));

	s = add_step(r, "<script>alert(\"x\")</script>&", "artifact", "artifact", 0);
	result_add_check(s, "production", ST_PASS, "sha256", "same bytes", NULL, NULL);

	s = add_step(r, "logits", "inference", "inference", 4);
	result_add_check(s, "production", ST_FAIL, "max_abs_diff", "max_abs_diff 0.5 > 0.0001 (" SECRET ")",
			 "<= 0.0001", "0.5");
	result_metric(s, "production", "max_abs_diff", json_real(0.5));
	result_metric(s, "production", "per_class_mean_abs_diff", numbers(3, smp));
	result_metric(s, "production", "abs_diff_histogram",
		      json_pack("{s:o, s:o, s:i, s:f}", "edges", numbers(3, edges), "counts",
				numbers(4, counts), "zeros", 10, "bound", 1e-4));
	result_metric(s, "production", "per_class_accuracy", numbers(3, smp));
	result_metric(s, "production", "segments",
		      json_pack("{s:{s:f}, s:{s:f}}", "DE", "accuracy", 0.9, "FR", "accuracy", 0.7));

	s = add_step(r, "decisions", "postprocess", "postprocess", 5);
	result_add_check(s, "production", ST_PASS, "decisions as staging", "0 of 3 decisions differ",
			 NULL, NULL);
	result_metric(s, "production", "score_sample",
		      json_pack("{s:f, s:i, s:[i,i,i], s:[f,f,f], s:[i], s:[i]}", "threshold", 0.5,
				"rows", 3, "index", 0, 1, 2, "scores", 0.1, 0.52, 0.9, "flipped", 1,
				"near", 1));

	s = add_step(r, "traffic", "drift", "distribution", 6);
	s->waiver = xstrdup("seasonal traffic");
	s->waiver_until = xstrdup("2026-12-31");
	result_add_check(s, "production", ST_FAIL, "psi", "psi 0.3 > 0.2", NULL, NULL);
	result_metric(s, "production", "psi", json_real(0.3));
	result_metric(s, "production", "psi_bins",
		      json_pack("{s:[f,f,f], s:o, s:o, s:f}", "edges", 1.0, 2.0, 3.0,
				"reference", numbers(4, ref), "sample", numbers(4, smp), "ks", 0.21));

	s = add_step(r, "health", "http", "service", 7);
	result_add_check(s, "staging", ST_PASS, "latency p95", "p95 3 ms <= 50 ms", NULL, NULL);
	result_metric(s, "staging", "p50_ms", json_real(1.0));
	result_metric(s, "staging", "p95_ms", json_real(3.0));
	result_metric(s, "staging", "p99_ms", json_real(7.5));
	result_metric(s, "production", "p50_ms", json_real(2.0));
	result_metric(s, "production", "p95_ms", json_real(9.0));
	result_metric(s, "production", "p99_ms", json_real(30.0));
	result_finish(r);
}

static char *render(const struct run_result *r)
{
	const struct reporter *rep = reporter_find("html");
	struct report_opts o = { .color = false, .verbose = false };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(rep);
	assert_string_equal(rep->extension, "html");
	assert_non_null(f);
	assert_int_equal(rep->render(r, f, &o), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static size_t count(const char *text, const char *what)
{
	size_t n = 0;
	for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

static void test_structure(void **state)
{
	struct run_result r;
	char *t;

	(void)state;
	sample_run(&r);
	t = render(&r);
	assert_true(strncmp(t, "<!DOCTYPE html>\n<html lang=\"en\">", 32) == 0);
	assert_non_null(strstr(t, "<meta charset=\"utf-8\">"));
	assert_non_null(strstr(t, "@media print"));
	assert_int_equal(count(t, "<section class=\"card "), 5);
	assert_non_null(strstr(t, "gate: FAIL"));
	/* the verdict comes first, the sign-off last */
	assert_true(strstr(t, "id=\"verdict\"") < strstr(t, "id=\"step-1\""));
	assert_true(strstr(t, "id=\"step-5\"") < strstr(t, "id=\"sign-off\""));
	assert_non_null(strstr(t, "<code>9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08</code>"));
	assert_non_null(strstr(t, "<dt>runner</dt><dd>0.1.0</dd>"));
	assert_non_null(strstr(t, "<td>seasonal traffic</td><td>2026-12-31</td><td>in force</td>"));
	assert_non_null(strstr(t, "hostname: prod-7<br>"));
	assert_int_equal(count(t, "<svg"), count(t, "</svg>"));
	assert_int_equal(count(t, "<section"), count(t, "</section>"));
	assert_true(strcmp(t + strlen(t) - 8, "</html>\n") == 0);
	free(t);
	result_release(&r);
}

static void test_escaping(void **state)
{
	struct run_result r;
	char *t;

	(void)state;
	sample_run(&r);
	t = render(&r);
	assert_null(strstr(t, "<script"));
	assert_non_null(strstr(t, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"));
	assert_non_null(strstr(t, "max_abs_diff 0.5 &gt; 0.0001"));
	free(t);
	result_release(&r);
}

static void test_secrets_masked(void **state)
{
	struct run_result r;
	char *t;

	(void)state;
	assert_int_equal(secret_add(SECRET), SECRET_ADDED);
	sample_run(&r);
	t = render(&r);
	assert_null(strstr(t, SECRET));
	assert_non_null(strstr(t, "token: ***"));   /* host facts are masked here */
	assert_non_null(strstr(t, "0.0001 (***)"));
	free(t);
	result_release(&r);
	secret_clear();
}

/* Nothing the page would fetch: no script, stylesheet link, image source,
 * CSS url() or @import; the only links are to anchors in the page. */
static void test_no_external_reference(void **state)
{
	struct run_result r;
	char *t;

	(void)state;
	sample_run(&r);
	t = render(&r);
	assert_null(strstr(t, "src="));
	assert_null(strstr(t, "<link"));
	assert_null(strstr(t, "url("));
	assert_null(strstr(t, "@import"));
	assert_null(strstr(t, "://"));
	assert_int_equal(count(t, "href=\""), count(t, "href=\"#"));
	free(t);
	result_release(&r);
}

static void test_plots(void **state)
{
	struct run_result r;
	char *t;

	(void)state;
	sample_run(&r);
	t = render(&r);
	assert_int_equal(count(t, "data-plot=\"histogram\""), 1);
	assert_int_equal(count(t, "data-plot=\"per-class\""), 1);
	assert_int_equal(count(t, "data-plot=\"psi\""), 1);
	assert_int_equal(count(t, "data-plot=\"scores\""), 1);
	assert_int_equal(count(t, "data-plot=\"accuracy\""), 1);
	assert_int_equal(count(t, "data-plot=\"segments\""), 1);
	assert_int_equal(count(t, "data-plot=\"latency\""), 1);
	assert_int_equal(count(t, "data-plot=\"sparkline\""), 0);
	/* the histogram: zeros, 4 bins, the bound; bars beyond it red */
	assert_non_null(strstr(t, "<title>|diff| = 0: 10</title>"));
	assert_non_null(strstr(t, "tolerance 0.0001</text>"));
	assert_int_equal(count(t, "class=\"bar over\""), 3);
	assert_int_equal(count(t, "class=\"bar tail\""), 2);    /* p99 of each environment */
	assert_non_null(strstr(t, "PSI 0.3, KS distance 0.21"));
	assert_non_null(strstr(t, "<title>row 1: 0.52 (flipped)</title>"));
	assert_non_null(strstr(t, "<title>FR: 0.7</title>"));
	assert_non_null(strstr(t, "<title>production p99: 30</title>"));
	free(t);
	result_release(&r);
}

static json_t *sample_history(void)
{
	return json_pack("{s:{s:[f,f,n,f]}, s:{s:{s:[i,i,i]}}, s:{s:s}}",
			      "logits", "max_abs_diff", 0.1, 0.2, 0.4,
			      "traffic", "production", "psi", 1, 2, 3,
			      "gone", "x", "y");
}

static void test_history_sparklines(void **state)
{
	struct run_result r;
	char *t;

	(void)state;
	sample_run(&r);
	r.history = sample_history();
	t = render(&r);
	assert_int_equal(count(t, "data-plot=\"sparkline\""), 2);
	assert_non_null(strstr(t, "<td>max_abs_diff</td>"));
	assert_non_null(strstr(t, "<td>production / psi</td>"));
	assert_non_null(strstr(t, "aria-label=\"max_abs_diff over the last 4 runs\""));
	/* the last value, and the range */
	assert_non_null(strstr(t, "<td class=\"num\">0.4</td><td class=\"num muted\">0.1 &ndash; 0.4</td>"));
	json_decref(r.history);
	r.history = NULL;
	free(t);
	result_release(&r);
}

static int emit(void)
{
	struct run_result r;
	char *t;

	sample_run(&r);
	r.history = sample_history();
	t = render(&r);
	fputs(t, stdout);
	free(t);
	json_decref(r.history);
	r.history = NULL;
	result_release(&r);
	return ferror(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_secrets_masked),
		cmocka_unit_test(test_no_external_reference),
		cmocka_unit_test(test_plots),
		cmocka_unit_test(test_history_sparklines),
	};
	if (argc == 2 && strcmp(argv[1], "--emit") == 0)
		return emit();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
