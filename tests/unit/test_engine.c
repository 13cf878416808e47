/* Unit tests for the engine's scheduling: 'after' and exclusive steps on a
 * pool of four workers. Shell steps append "start ID ENV" and "end ID ENV"
 * to a log (O_APPEND writes of one short line do not interleave); the
 * tests read the order back, never the clock. Contracts are written to a
 * temporary folder, the working directory while the tests run. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "load/contract.h"
#include "steps/bind.h"
#include "util/diag.h"
#include "util/xalloc.h"

static char tmpdir[64];
static char olddir[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/parity-engine-XXXXXX");
	if (!mkdtemp(tmpdir) || !getcwd(olddir, sizeof olddir) || chdir(tmpdir) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (chdir(olddir) < 0)
		return -1;
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* A step that logs its start, sleeps a little (so that others would start
 * meanwhile if allowed) and logs its end. */
#define LOGGED(id, extra) \
	"  - id: " id "\n" extra \
	"    command: {shell: 'echo start " id " $E >> log; sleep 0.2; echo end " id " $E >> log'}\n"

static const char contract_text[] =
	"parity: 1\n"
	"name: scheduling\n"
	"environments:\n"
	"  staging: {exec: [env, E=staging]}\n"
	"  production: {exec: [env, E=production]}\n"
	"steps:\n"
	LOGGED("d", "    after: [a, b]\n")   /* listed first: without after it would start first */
	LOGGED("a", "")
	LOGGED("b", "")
	LOGGED("latency", "")
	LOGGED("c", "")
	LOGGED("e", "");

/* The log's lines, NULL-terminated (owned by the caller, one block). */
static char **read_log(size_t *n)
{
	FILE *f = fopen("log", "r");
	char **lines = xcalloc(64, sizeof *lines);
	char line[128];
	*n = 0;
	assert_non_null(f);
	while (*n < 63 && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		lines[(*n)++] = xstrdup(line);
	}
	fclose(f);
	return lines;
}

static void free_log(char **lines)
{
	for (size_t i = 0; lines[i]; i++)
		free(lines[i]);
	free(lines);
}

static size_t line_of(char **lines, size_t n, const char *text)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(lines[i], text))
			return i;
	fail_msg("no line '%s' in the log", text);
	return n;
}

/* Loads the contract, marks 'latency' exclusive, gathers with four workers. */
static void run_contract(void)
{
	struct contract c;
	struct diag d;
	struct plan p;
	FILE *f = fopen("contract.yaml", "w");
	assert_non_null(f);
	fputs(contract_text, f);
	fclose(f);
	unlink("log");
	diag_init(&d);
	assert_int_equal(contract_open(&c, "contract.yaml", NULL, &d), 0);
	c.steps[contract_step_index(&c, "latency")].exclusive = true;
	plan_init(&p, &c, NULL, NULL);
	p.jobs = 4;
	engine_gather(&p);
	for (size_t i = 0; i < c.n_steps * c.n_envs; i++)
		assert_int_equal(p.facts.facts[i].state, FACT_OK);
	plan_release(&p);
	contract_release(&c);
	diag_release(&d);
}

static void test_exclusive_runs_alone(void **state)
{
	(void)state;
	size_t n;
	run_contract();
	char **lines = read_log(&n);
	assert_int_equal(n, 24);
	/* each environment's run of 'latency' is a start followed at once by its
	 * end: nothing else started or ended while it ran */
	static const char *const envs[] = {"staging", "production"};
	for (int e = 0; e < 2; e++) {
		char *start = xasprintf("start latency %s", envs[e]);
		char *end = xasprintf("end latency %s", envs[e]);
		size_t s = line_of(lines, n, start);
		assert_true(s + 1 < n);
		assert_string_equal(lines[s + 1], end);
		/* and everything before it had ended */
		size_t starts = 0, ends = 0;
		for (size_t i = 0; i < s; i++) {
			starts += !strncmp(lines[i], "start ", 6);
			ends += !strncmp(lines[i], "end ", 4);
		}
		assert_int_equal(starts, ends);
		free(end);
		free(start);
	}
	free_log(lines);
}

static void test_after_waits_for_every_environment(void **state)
{
	(void)state;
	size_t n;
	run_contract();
	char **lines = read_log(&n);
	size_t d1 = line_of(lines, n, "start d staging");
	size_t d2 = line_of(lines, n, "start d production");
	size_t first = d1 < d2 ? d1 : d2;
	static const char *const done[] = {"end a staging", "end a production", "end b staging",
					   "end b production"};
	for (int i = 0; i < 4; i++)
		assert_true(line_of(lines, n, done[i]) < first);
	free_log(lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exclusive_runs_alone),
		cmocka_unit_test(test_after_waits_for_every_environment),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
