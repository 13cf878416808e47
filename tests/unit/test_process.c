/* Unit tests for transport/process: exit statuses and signals, capture and
 * caps, stdin from files and bytes, start-up errors with their exact text,
 * deadlines on whole process groups, background children, concurrent runs
 * from several threads, and a stop request (last: it cannot be undone).
 * Time bounds here are correctness bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "transport/process.h"
#include "util/cancel.h"
#include "util/clock.h"
#include "util/xalloc.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	proc_setup();
	strcpy(tmpdir, "/tmp/parity-proc-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* Runs sh -c script, asserting that it started. */
static void run_sh(char *script, int64_t deadline_ms, size_t cap,
		   struct proc_result *r)
{
	char *argv[] = { "sh", "-c", script, NULL };
	struct proc_spec spec = { .argv = argv, .deadline_ms = deadline_ms, .cap = cap };
	char *err = NULL;

	assert_int_equal(proc_run(&spec, r, &err), 0);
	assert_null(err);
}

/* Nothing of the command's process group may be left, not even a zombie. */
static void assert_group_gone(const struct proc_result *r)
{
	assert_true(r->pid > 0);
	errno = 0;
	assert_int_equal(kill(-r->pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static char *write_temp(const char *name, const char *data, size_t len, mode_t mode)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_exit_status(void **state)
{
	struct proc_result r;

	(void)state;
	run_sh("exit 3", 0, 0, &r);
	assert_true(r.exited);
	assert_int_equal(r.status, 3);
	assert_int_equal(r.signal, 0);
	assert_false(r.timed_out);
	assert_true(r.seconds >= 0.0);
	assert_group_gone(&r);
	proc_result_release(&r);

	run_sh("true", 0, 0, &r);
	assert_true(r.exited);
	assert_int_equal(r.status, 0);
	proc_result_release(&r);
}

static void test_signal(void **state)
{
	struct proc_result r;

	(void)state;
	run_sh("kill -KILL $$", 0, 0, &r);
	assert_false(r.exited);
	assert_int_equal(r.signal, 9);
	assert_false(r.timed_out);
	proc_result_release(&r);
}

static void test_capture(void **state)
{
	struct proc_result r;

	(void)state;
	run_sh("echo out; echo err >&2; printf 'no newline'", 0, 0, &r);
	assert_string_equal(r.out.data, "out\nno newline");
	assert_int_equal(r.out.len, 14);
	assert_string_equal(r.err.data, "err\n");
	assert_false(r.out_truncated);
	assert_false(r.err_truncated);
	proc_result_release(&r);
}

static void test_cap_truncates(void **state)
{
	struct proc_result r;

	(void)state;
	run_sh("yes | head -c 100000; yes e | head -c 10 >&2", 0, 1000, &r);
	assert_true(r.exited);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.out.len, 1000);
	assert_true(r.out_truncated);
	assert_int_equal(r.out.data[0], 'y');
	assert_int_equal(r.out.data[1], '\n');
	assert_int_equal(r.err.len, 10);
	assert_false(r.err_truncated);
	proc_result_release(&r);
}

static void test_stdin_file(void **state)
{
	char *argv[] = { "cat", NULL };
	struct proc_result r;
	char *err = NULL;

	(void)state;
	char *path = write_temp("input.txt", "line one\nline two\n", 18, 0644);
	struct proc_spec spec = { .argv = argv, .stdin_path = path,
				  .stdin_data = "ignored", .stdin_len = 7 };
	assert_int_equal(proc_run(&spec, &r, &err), 0);
	assert_string_equal(r.out.data, "line one\nline two\n");
	proc_result_release(&r);
	free(path);
}

static void test_stdin_data(void **state)
{
	char *argv[] = { "cat", NULL };
	struct proc_result r;
	char *err = NULL;

	(void)state;
	struct proc_spec spec = { .argv = argv, .stdin_data = "hello\nworld", .stdin_len = 11 };
	assert_int_equal(proc_run(&spec, &r, &err), 0);
	assert_string_equal(r.out.data, "hello\nworld");
	proc_result_release(&r);

	/* More than a pipe holds both ways: writing and reading interleave. */
	size_t len = 4u << 20;
	char *big = xmalloc(len);
	for (size_t i = 0; i < len; i++)
		big[i] = (char)('a' + i % 26);
	spec.stdin_data = big;
	spec.stdin_len = len;
	assert_int_equal(proc_run(&spec, &r, &err), 0);
	assert_int_equal(r.out.len, len);
	assert_memory_equal(r.out.data, big, len);
	proc_result_release(&r);

	/* A command that never reads its stdin is no error (no SIGPIPE). */
	char *argv2[] = { "true", NULL };
	spec.argv = argv2;
	assert_int_equal(proc_run(&spec, &r, &err), 0);
	assert_true(r.exited);
	assert_int_equal(r.status, 0);
	proc_result_release(&r);

	/* Empty data: stdin is at end of file at once. */
	spec.argv = argv;
	spec.stdin_data = "";
	spec.stdin_len = 0;
	assert_int_equal(proc_run(&spec, &r, &err), 0);
	assert_int_equal(r.out.len, 0);
	proc_result_release(&r);
	free(big);
}

static void test_stdin_default_null(void **state)
{
	struct proc_result r;

	(void)state;
	run_sh("cat; echo done", 0, 0, &r);
	assert_string_equal(r.out.data, "done\n");
	proc_result_release(&r);
}

static void test_errors(void **state)
{
	struct proc_result r;
	char *err = NULL;

	(void)state;
	char *missing[] = { "no-such-program-xyz", NULL };
	struct proc_spec spec = { .argv = missing };
	assert_int_equal(proc_run(&spec, &r, &err), -1);
	assert_string_equal(err, "cannot run 'no-such-program-xyz': No such file or directory");
	free(err);
	proc_result_release(&r);

	char *abs_missing[] = { "/nonexistent/prog", NULL };
	spec.argv = abs_missing;
	err = NULL;
	assert_int_equal(proc_run(&spec, &r, &err), -1);
	assert_string_equal(err, "cannot run '/nonexistent/prog': No such file or directory");
	free(err);
	proc_result_release(&r);

	char *pwd[] = { "pwd", NULL };
	spec.argv = pwd;
	spec.dir = "/nonexistent-dir-xyz";
	err = NULL;
	assert_int_equal(proc_run(&spec, &r, &err), -1);
	assert_string_equal(err, "cannot change to directory '/nonexistent-dir-xyz': No such file or directory");
	free(err);
	proc_result_release(&r);

	spec.dir = NULL;
	spec.stdin_path = "/nonexistent-dir-xyz/input";
	err = NULL;
	assert_int_equal(proc_run(&spec, &r, &err), -1);
	assert_string_equal(err, "cannot open stdin file '/nonexistent-dir-xyz/input': No such file or directory");
	free(err);
	proc_result_release(&r);

	char *plain = write_temp("not-executable", "echo hi\n", 8, 0644);
	char *noexec[] = { plain, NULL };
	spec.argv = noexec;
	spec.stdin_path = NULL;
	err = NULL;
	assert_int_equal(proc_run(&spec, &r, &err), -1);
	char *want = xasprintf("cannot run '%s': Permission denied", plain);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(plain);
	proc_result_release(&r);
}

static void test_dir_and_path_search(void **state)
{
	struct proc_result r;
	char *err = NULL;

	(void)state;
	char *pwd[] = { "pwd", NULL };
	struct proc_spec spec = { .argv = pwd, .dir = "/" };
	assert_int_equal(proc_run(&spec, &r, &err), 0);
	assert_string_equal(r.out.data, "/\n");
	proc_result_release(&r);

	/* A script without "#!" runs through /bin/sh, as with execvp. */
	char *script = write_temp("noshebang", "echo \"from script $1\"\n", 22, 0755);
	char *argv[] = { script, "arg", NULL };
	spec.argv = argv;
	spec.dir = NULL;
	assert_int_equal(proc_run(&spec, &r, &err), 0);
	assert_string_equal(r.out.data, "from script arg\n");
	proc_result_release(&r);
	free(script);

	/* A relative program name resolves after the change of directory. */
	char *rel[] = { "./noshebang", "x", NULL };
	spec.argv = rel;
	spec.dir = tmpdir;
	assert_int_equal(proc_run(&spec, &r, &err), 0);
	assert_string_equal(r.out.data, "from script x\n");
	proc_result_release(&r);
}

static void test_timeout_kills_group(void **state)
{
	struct proc_result r;

	(void)state;
	int64_t t0 = clock_ms();
	run_sh("sleep 30 & sleep 30", clock_ms() + 300, 0, &r);
	int64_t took = clock_ms() - t0;
	assert_true(r.timed_out);
	assert_false(r.exited);
	assert_int_equal(r.signal, SIGTERM);
	assert_true(took >= 250);
	assert_true(took < 5000);
	assert_group_gone(&r);
	proc_result_release(&r);
}

static void test_timeout_term_ignored(void **state)
{
	struct proc_result r;

	(void)state;
	int64_t t0 = clock_ms();
	run_sh("trap '' TERM; echo ready; sleep 30", clock_ms() + 300, 0, &r);
	int64_t took = clock_ms() - t0;
	assert_true(r.timed_out);
	assert_false(r.exited);
	assert_int_equal(r.signal, SIGKILL);
	assert_string_equal(r.out.data, "ready\n");
	/* The SIGKILL came after the grace, not instead of the SIGTERM. */
	assert_true(took >= 300 + PROC_KILL_GRACE_MS - 50);
	assert_true(took < 5000);
	assert_group_gone(&r);
	proc_result_release(&r);
}

static void test_background_child_holds_stdout(void **state)
{
	struct proc_result r;

	(void)state;
	int64_t t0 = clock_ms();
	run_sh("sleep 30 & echo hi", 0, 0, &r);
	int64_t took = clock_ms() - t0;
	assert_true(r.exited);
	assert_int_equal(r.status, 0);
	assert_false(r.timed_out);
	assert_string_equal(r.out.data, "hi\n");
	assert_true(took < 5000);
	assert_group_gone(&r);
	proc_result_release(&r);
}

static void test_background_child_detached_output(void **state)
{
	struct proc_result r;

	(void)state;
	run_sh("sleep 30 >/dev/null 2>&1 & echo bye", 0, 0, &r);
	assert_true(r.exited);
	assert_string_equal(r.out.data, "bye\n");
	assert_group_gone(&r);
	proc_result_release(&r);
}

static void test_closed_output_still_waited(void **state)
{
	struct proc_result r;

	(void)state;
	/* The pipes close long before the command ends: wait for the end. */
	run_sh("exec >&- 2>&-; sleep 0.3; exit 4", 0, 0, &r);
	assert_true(r.exited);
	assert_int_equal(r.status, 4);
	assert_true(r.seconds >= 0.25);
	proc_result_release(&r);
}

struct job {
	int index;
	int ok;
};

static void *run_many(void *arg)
{
	struct job *j = arg;
	char want[32], script[64];

	for (int i = 0; i < 15; i++) {
		snprintf(want, sizeof(want), "%d-%d\n", j->index, i);
		snprintf(script, sizeof(script), "printf '%d-%d\\n'; sleep 0.0%d", j->index, i,
			 i % 3);
		char *argv[] = { "sh", "-c", script, NULL };
		struct proc_spec spec = { .argv = argv };
		struct proc_result r;
		char *err = NULL;
		if (proc_run(&spec, &r, &err) == 0 && r.exited && r.status == 0 &&
		    strcmp(r.out.data, want) == 0)
			j->ok++;
		free(err);
		proc_result_release(&r);
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[6];
	struct job jobs[6];

	(void)state;
	int before = count_fds();
	for (int i = 0; i < 6; i++) {
		jobs[i] = (struct job){ i, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, run_many, &jobs[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(jobs[i].ok, 15);
	}
	assert_int_equal(count_fds(), before);
}

static void *stop_later(void *arg)
{
	(void)arg;
	struct timespec ts = { 0, 200000000 };
	nanosleep(&ts, NULL);
	cancel_request(SIGTERM);
	return NULL;
}

/* A stop request ends the running group at once (no deadline here), and
 * nothing starts after it. */
static void test_cancel(void **state)
{
	struct proc_result r;
	pthread_t t;
	char *argv[] = { "sleep", "1", NULL };
	struct proc_spec spec = { .argv = argv };
	char *err = NULL;

	(void)state;
	assert_int_equal(cancel_init(), 0);
	assert_true(cancel_fd() >= 0);
	int64_t t0 = clock_ms();
	assert_int_equal(pthread_create(&t, NULL, stop_later, NULL), 0);
	run_sh("sleep 30 & sleep 30", 0, 0, &r);
	int64_t took = clock_ms() - t0;
	pthread_join(t, NULL);
	assert_true(r.interrupted);
	assert_false(r.timed_out);
	assert_false(r.exited);
	assert_int_equal(r.signal, SIGTERM);
	assert_true(took >= 150);
	assert_true(took < 2000);
	assert_group_gone(&r);
	proc_result_release(&r);

	assert_int_equal(proc_run(&spec, &r, &err), -1);
	assert_string_equal(err, "interrupted by SIGTERM");
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_cap_truncates),
		cmocka_unit_test(test_stdin_file),
		cmocka_unit_test(test_stdin_data),
		cmocka_unit_test(test_stdin_default_null),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_dir_and_path_search),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_timeout_term_ignored),
		cmocka_unit_test(test_background_child_holds_stdout),
		cmocka_unit_test(test_background_child_detached_output),
		cmocka_unit_test(test_closed_output_still_waited),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_cancel),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
