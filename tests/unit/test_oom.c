/* The out-of-memory loop (Lua's ltests, SQLite's OOM tests): every
 * operation that reads outside input (the contract loader with an include
 * and a lock file; the .npy, .csv, .jsonl, facts, HTTP output and
 * nvidia-smi readers) runs once per allocation N = 1, 2, 3, ... with
 * allocation N failing (xalloc_fail_nth), in a child process, until it
 * completes without reaching N. Each run must end cleanly: xalloc's exit
 * (status 3, "parity: fatal: out of memory" and nothing else on stderr) or
 * an error returned, with nothing leaked (LeakSanitizer, when linked in: see
 * the Makefile), no crash and no sanitizer report.
 *
 * Jansson allocates through the hook too (json_set_alloc_funcs with
 * xtry_malloc: it gets NULL, as from a real malloc, and returns an error).
 * libyaml, libc (getline, stdio, fmemopen) and PCRE2 call malloc directly
 * and cannot be failed this way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "model/fact.h"
#include "engine/facts.h"
#include "transport/gpu.h"
#include "data/csv.h"
#include "data/input.h"
#include "data/jsonl.h"
#include "data/npy.h"
#include "load/contract.h"
#include "steps/bind.h"
#include "steps/score.h"
#include "transport/http.h"
#include "util/diag.h"
#include "util/secret.h"
#include "util/xalloc.h"

/* LeakSanitizer: leaks are looked for after each operation, not at exit
 * (a child that exits on out of memory abandons its memory by design). */
const char *__asan_default_options(void);
const char *__lsan_default_options(void);
const char *__asan_default_options(void) { return "leak_check_at_exit=0"; }
const char *__lsan_default_options(void) { return "leak_check_at_exit=0"; }
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

/* How a child ended, beside xalloc's exit status 3. */
enum {
	DONE = 40,              /* completed without reaching allocation N */
	FAILED_CLEANLY,         /* allocation N failed, the operation returned an error */
	SUCCEEDED_ANYWAY,       /* allocation N failed, yet the operation succeeded:
				 * jansson recovered, or a caller dropped its NULL */
	SPURIOUS_ERROR,         /* an error without allocation N failing */
	LEAKED,
};

#define OOM_MESSAGE "parity: fatal: out of memory\n"

/* ---- the operations: 0 on success, -1 on an error, everything freed */

static int op_load(const char *path)
{
	struct contract c;
	struct diag d;
	int rc;

	diag_init(&d);
	rc = contract_open(&c, path, NULL, &d);
	if (d.errors)
		rc = -1;
	contract_release(&c);
	diag_release(&d);
	secret_clear();
	return rc;
}

/* The loader with an include, a lock file, variables and most keys. */
static int op_load_contract(void)
{
	return op_load("tests/valid/fraud-scorer.yaml");
}

static int matrix_result(int rc, struct matrix *m, char *err)
{
	matrix_free(m);
	free(err);
	return rc;
}

static int op_npy(void)
{
	struct matrix *m = NULL;
	char *err = NULL;
	int rc = npy_read("fixtures/data/fortran_i2_be.npy", &m, &err);

	return matrix_result(rc, m, err);
}

/* A .npy from memory (a command's output), then one whose header promises
 * more values than there are bytes: an error every time. */
static int op_npy_bytes(void)
{
	static char good[512], bad[512];
	static size_t ngood, nbad;
	struct matrix *m = NULL;
	char *err = NULL;

	if (!ngood) {
		FILE *f = fopen("fixtures/data/f8_le_v1.npy", "rb");
		FILE *g = fopen("fixtures/data/bad/truncated.npy", "rb");
		assert_non_null(f);
		assert_non_null(g);
		ngood = fread(good, 1, sizeof good, f);
		nbad = fread(bad, 1, sizeof bad, g);
		fclose(f);
		fclose(g);
	}
	if (data_read_bytes(good, ngood, FMT_NPY, NULL, "f8.npy", &m, &err) < 0)
		return matrix_result(-1, m, err);
	matrix_free(m);
	m = NULL;
	data_read_bytes(bad, nbad, FMT_NPY, NULL, "truncated.npy", &m, &err);
	return matrix_result(err && !m ? 0 : -1, m, err);
}

static int op_csv(void)
{
	struct csv_options o = {.column = "score"};
	struct matrix *m = NULL;
	char *err = NULL;
	int rc = csv_read("fixtures/data/scores.csv", &o, &m, &err);

	if (rc < 0)
		return matrix_result(rc, m, err);
	matrix_free(m);
	m = NULL;
	o = (struct csv_options){.delimiter = ';', .column = "b"};
	rc = csv_read("fixtures/data/semicolon.csv", &o, &m, &err);
	return matrix_result(rc, m, err);
}

static int op_jsonl(void)
{
	struct matrix *m = NULL;
	char *err = NULL;
	int rc = jsonl_read("fixtures/data/rows.jsonl", "/features", &m, &err);

	return matrix_result(rc, m, err);
}

/* A facts file as `parity capture` writes it, and every step's fact. */
static int op_facts(void)
{
	char *err = NULL;
	json_t *doc = facts_read("tests/fuzz/corpus/facts/capture-b.json", &err), *v;
	const char *id;
	int rc = 0;

	if (!doc) {
		free(err);
		return -1;
	}
	json_object_foreach(json_object_get(doc, "steps"), id, v) {
		struct fact f;
		if (fact_from_json(&f, v, &err) < 0) {
			free(err);
			rc = -1;
		}
		fact_release(&f);
	}
	json_decref(doc);
	return rc;
}

static int op_http_output(void)
{
	static const char body[] = "{\"outputs\": [[0.25, NaN, -Infinity, 3], [1]]}";
	double *vals = NULL;
	char *err = NULL;
	size_t n = 0;
	int rc = score_read_output(body, sizeof body - 1, "/outputs/0", 4, &vals, &n, &err);

	free(vals);
	free(err);
	return rc;
}

/* Never NULL by its contract: -1 when the fact is not an object. */
static int op_gpu_smi(void)
{
	static const char out[] =
		"var CUDA_VISIBLE_DEVICES=1,0\n"
		"smi-status 0\n"
		"gpu NVIDIA A100-SXM4-80GB, 8.0, 81920, 550.54.15, Enabled, GPU-aaaa-1111\n"
		"gpu Board, with, commas, 9.0, 81559, 550.54.15, [N/A], GPU-bbbb-2222\n"
		"cuda 12.4\n"
		"mig GPU-bbbb-2222, Enabled\n";
	json_t *f = gpu_from_smi(out, 0);
	int rc = json_is_true(json_object_get(f, "available")) ? 0 : -1;

	json_decref(f);
	return rc;
}

/* ---- the loop */

/* Runs op with allocation n failing, in a child; its stderr into *log. */
static int run_failing(int (*op)(void), unsigned long n, char *log, size_t cap)
{
	FILE *err = tmpfile();
	pid_t pid;
	int status = 0;
	size_t len;

	assert_non_null(err);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fileno(err), 2);
		xalloc_fail_nth(n);
		int rc = op();
		int reached = xalloc_count() >= n;
		xalloc_fail_nth(0);
		if (__lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check())
			_exit(LEAKED);
		_exit(reached ? (rc == 0 ? SUCCEEDED_ANYWAY : FAILED_CLEANLY)
			      : (rc == 0 ? DONE : SPURIOUS_ERROR));
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rewind(err);
	len = fread(log, 1, cap - 1, err);
	log[len] = '\0';
	fclose(err);
	return status;
}

static void oom_loop(const char *what, int (*op)(void))
{
	static char log[16384];
	unsigned long n, exits = 0, errors = 0, silent = 0;

	/* once unhooked: it must succeed, and leave behind its one-time set-up */
	assert_int_equal(op(), 0);
	for (n = 1;; n++) {
		int st = run_failing(op, n, log, sizeof log);
		int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;

		if (code == DONE)
			break;
		if (code == 3 && !strcmp(log, OOM_MESSAGE)) {
			exits++;
			continue;
		}
		if (code == FAILED_CLEANLY || code == SUCCEEDED_ANYWAY) {
			*(code == FAILED_CLEANLY ? &errors : &silent) += 1;
			continue;
		}
		if (WIFSIGNALED(st))
			fail_msg("%s, allocation %lu failing: killed by signal %d\n%s", what, n,
				 WTERMSIG(st), log);
		fail_msg("%s, allocation %lu failing: %s (exit status %d)\n%s", what, n,
			 code == LEAKED ? "leaked" : code == SPURIOUS_ERROR ? "an error with no failure"
			 : code == 3 ? "exit status 3 with other output" : "unexpected end", code, log);
	}
	print_message("# %s: %lu allocations; failing each: %lu exits (status 3), %lu errors "
		      "returned, %lu successes anyway%s\n", what, n - 1, exits, errors, silent,
		      __lsan_do_recoverable_leak_check ? ", no leak" : " (leaks not checked)");
	assert_true(n > 1);
}

#define OOM_TEST(name, what, op) \
	static void name(void **state) { (void)state; oom_loop(what, op); }

OOM_TEST(test_oom_load, "contract, include and lock file", op_load_contract)
OOM_TEST(test_oom_npy, ".npy file", op_npy)
OOM_TEST(test_oom_npy_bytes, ".npy from memory", op_npy_bytes)
OOM_TEST(test_oom_csv, ".csv file", op_csv)
OOM_TEST(test_oom_jsonl, ".jsonl file", op_jsonl)
OOM_TEST(test_oom_facts, "facts file", op_facts)
OOM_TEST(test_oom_http_output, "HTTP response output", op_http_output)
OOM_TEST(test_oom_gpu_smi, "nvidia-smi answer", op_gpu_smi)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oom_load),
		cmocka_unit_test(test_oom_npy),
		cmocka_unit_test(test_oom_npy_bytes),
		cmocka_unit_test(test_oom_csv),
		cmocka_unit_test(test_oom_jsonl),
		cmocka_unit_test(test_oom_facts),
		cmocka_unit_test(test_oom_http_output),
		cmocka_unit_test(test_oom_gpu_smi),
	};

	json_set_alloc_funcs(xtry_malloc, free);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
