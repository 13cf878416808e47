/* Unit tests for engine/history: runs built in memory are appended to a
 * fresh SQLite file, and history_series gives back each metric's values
 * oldest first, exactly, with null where a run has none, the last N only,
 * and for one contract only. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/history.h"
#include "util/xalloc.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_history.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/h.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A run of contract name with one step 'logits' whose production metric
 * max_abs_diff is mad (none when mad < 0), and a metric only some runs have. */
static void make_run(struct run_result *r, const char *name, double mad, bool extra)
{
	result_init(r);
	r->contract_name = xstrdup(name);
	r->contract_sha256 = xstrdup("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	r->command = xstrdup("run");
	strcpy(r->started_at, "2026-12-05T02:00:00Z");
	r->n_envs = 2;
	r->envs = xcalloc(2, sizeof *r->envs);
	r->envs[0].name = xstrdup("staging");
	r->envs[1].name = xstrdup("production");
	r->envs[1].host = json_pack("{s:s}", "python", "3.11.2");
	r->n_steps = 1;
	r->steps = xcalloc(1, sizeof *r->steps);
	struct step_result *s = &r->steps[0];
	s->id = xstrdup("logits");
	s->kind = xstrdup("inference");
	s->stage = xstrdup("inference");
	result_add_check(s, "production", mad > 1e-4 ? ST_FAIL : ST_PASS, "production: max_abs_diff",
			 "within tolerance", "<= 0.0001", "x");
	if (mad >= 0)
		result_metric(s, "production", "max_abs_diff", json_real(mad));
	if (extra)
		result_metric(s, "production", "per_class", json_pack("[f,f]", 0.125, mad));
	result_finish(r);
}

static void append(const char *name, double mad, bool extra)
{
	struct run_result r;
	char *err = NULL;
	make_run(&r, name, mad, extra);
	int rc = history_append(path, NULL, &r, &err);
	if (rc < 0)
		fail_msg("%s", err);
	result_release(&r);
}

static void test_series_round_trip(void **state)
{
	(void)state;
	const double values[] = {0.0, 1e-7, 0.1 + 0.2, 3.5e-300, -1.0, 0.356493};
	for (size_t i = 0; i < 6; i++)
		append("trend", values[i], i == 2);
	append("other", 9.0, false);
	char *err = NULL;
	json_t *h = history_series(path, "trend", HISTORY_SERIES, &err);
	assert_non_null(h);
	json_t *mad = json_object_get(json_object_get(json_object_get(h, "logits"), "production"),
				      "max_abs_diff");
	assert_int_equal(json_array_size(mad), 6);
	/* exactly; run 4 (-1) has none: null; the other contract's run is not there */
	for (size_t i = 0; i < 6; i++) {
		const json_t *v = json_array_get(mad, i);
		if (values[i] < 0)
			assert_true(json_is_null(v));
		else if (!json_is_real(v) || json_real_value(v) != values[i])
			fail_msg("run %zu: %.17g, not %.17g", i, json_real_value(v), values[i]);
	}
	json_t *pc = json_object_get(json_object_get(json_object_get(h, "logits"), "production"),
				     "per_class");
	assert_int_equal(json_array_size(pc), 6);
	assert_true(json_is_null(json_array_get(pc, 0)));
	assert_true(json_real_value(json_array_get(json_array_get(pc, 2), 1)) == 0.1 + 0.2);
	json_decref(h);

	h = history_series(path, "trend", 2, &err);
	mad = json_object_get(json_object_get(json_object_get(h, "logits"), "production"), "max_abs_diff");
	assert_int_equal(json_array_size(mad), 2);
	assert_true(json_real_value(json_array_get(mad, 1)) == 0.356493);
	assert_null(json_object_get(json_object_get(json_object_get(h, "logits"), "production"),
				    "per_class"));
	json_decref(h);
}

static void test_missing_file(void **state)
{
	(void)state;
	char *err = NULL;
	assert_null(history_series("/nonexistent/h.db", "trend", 30, &err));
	assert_string_equal(err, "cannot read history '/nonexistent/h.db': No such file or directory "
			    "(write one with 'parity run CONTRACT --history /nonexistent/h.db')");
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_series_round_trip),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
