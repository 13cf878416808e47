/* Unit tests for util/cancel: the stop request and its wake-up pipe, the
 * slots, and cancel_now, which must kill every held process group, remove
 * every held file and exit 128 + the signal. A request cannot be undone, so
 * each test that makes one runs in a child process. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cancel.h"
#include "util/file.h"

/* Runs fn in a child; returns its wait status. */
static int in_child(void (*fn)(void))
{
	int st = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void test_names(void **state)
{
	size_t n = 0;
	const int *sigs = cancel_signals(&n);

	(void)state;
	assert_int_equal(n, 3);
	assert_int_equal(sigs[0], SIGINT);
	assert_int_equal(sigs[1], SIGTERM);
	assert_int_equal(sigs[2], SIGHUP);
	assert_string_equal(cancel_signal_name(SIGINT), "SIGINT");
	assert_string_equal(cancel_signal_name(SIGTERM), "SIGTERM");
	assert_string_equal(cancel_signal_name(SIGHUP), "SIGHUP");
	assert_string_equal(cancel_signal_name(SIGUSR1), "a signal");
	assert_false(cancel_requested());
	assert_int_equal(cancel_signal(), 0);
	assert_int_equal(cancel_fd(), -1);
}

static void request(void)
{
	struct pollfd pfd;

	if (cancel_init() < 0 || cancel_fd() < 0)
		_exit(2);
	pfd = (struct pollfd){ .fd = cancel_fd(), .events = POLLIN };
	if (poll(&pfd, 1, 0) != 0)
		_exit(3);           /* readable before the request */
	errno = EAGAIN;
	cancel_request(SIGINT);
	if (errno != EAGAIN)
		_exit(4);           /* a handler must leave errno alone */
	/* readable now, for every poller, and it stays so */
	for (int i = 0; i < 2; i++)
		if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN))
			_exit(5);
	if (!cancel_requested() || cancel_signal() != SIGINT)
		_exit(6);
	cancel_request(SIGTERM);
	if (!cancel_requested() || cancel_signal() != SIGINT)
		_exit(7);           /* the first request names the signal */
}

static void test_request_wakes(void **state)
{
	(void)state;
	int st = in_child(request);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static char held_path[64];
static pid_t held_group;

static void end_at_once(void)
{
	FILE *f = fopen(held_path, "w");

	if (!f)
		_exit(2);
	fclose(f);
	if (cancel_hold_file(held_path) < 0 || cancel_hold_group(held_group) < 0)
		_exit(3);
	cancel_now(SIGTERM);
}

static void test_now(void **state)
{
	int st = 0;

	(void)state;
	/* the grandchild's group outlives the child: reap it here */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	snprintf(held_path, sizeof held_path, "/tmp/parity-cancel-%d.tmp", (int)getpid());
	held_group = fork();
	assert_true(held_group >= 0);
	if (held_group == 0) {
		setpgid(0, 0);
		signal(SIGTERM, SIG_IGN);   /* only SIGKILL ends it */
		for (;;)
			pause();
	}
	setpgid(held_group, held_group);
	st = in_child(end_at_once);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 128 + SIGTERM);
	assert_int_equal(access(held_path, F_OK), -1);
	assert_int_equal(waitpid(held_group, &st, 0), held_group);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
}

static void test_slots(void **state)
{
	int slots[8];

	(void)state;
	/* eight files at once; a ninth waits for a free slot */
	for (int i = 0; i < 8; i++) {
		slots[i] = cancel_hold_file("/nonexistent/x");
		assert_int_equal(slots[i], i);
	}
	assert_int_equal(cancel_hold_file("/nonexistent/y"), -1);
	cancel_drop_file(slots[3]);
	assert_int_equal(cancel_hold_file("/nonexistent/z"), 3);
	for (int i = 0; i < 8; i++)
		cancel_drop_file(i);
	cancel_drop_file(-1);

	int g = cancel_hold_group(999999);
	assert_true(g >= 0);
	assert_int_equal(cancel_hold_group(999998), g + 1);
	cancel_drop_group(g);
	assert_int_equal(cancel_hold_group(999997), g);
	cancel_drop_group(g);
	cancel_drop_group(g + 1);
	cancel_drop_group(-1);
}

/* An atomic write lets its slot go, written or not. */
static void test_write_lets_go(void **state)
{
	char path[64], *err = NULL;

	(void)state;
	snprintf(path, sizeof path, "/tmp/parity-cancel-w-%d", (int)getpid());
	for (int i = 0; i < 20; i++)
		assert_int_equal(file_write_text(path, "report", "x\n", 2, &err), 0);
	assert_int_equal(file_write_text("/nonexistent/r.json", "report", "x", 1, &err), -1);
	assert_string_equal(err, "cannot write report '/nonexistent/r.json': No such file or directory");
	free(err);
	unlink(path);
	for (int i = 0; i < 8; i++)
		assert_int_equal(cancel_hold_file("/nonexistent/x"), i);
	for (int i = 0; i < 8; i++)
		cancel_drop_file(i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_request_wakes),
		cmocka_unit_test(test_now),
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_write_lets_go),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
