/* cancel: a sig_atomic_t flag and the signal that set it, a pipe that wakes
 * poll() when it is set, and the slots of what to clean up when parity ends
 * at once. A signal handler only reads the slots; threads claim and free
 * them with lock-free atomics, so neither side ever waits on the other. */
#include "util/cancel.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define MAX_GROUPS 2048         /* above the 1024 workers --jobs allows */
#define MAX_FILES 8             /* files are written one at a time */

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler needs lock-free atomics");

/* read by every waiting thread, set from a signal handler: a lock-free atomic */
static atomic_int requested;
static int wake[2] = {-1, -1};

static atomic_int groups[MAX_GROUPS];       /* 0: free, else a process group id */

/* A file slot: FREE, then BUSY while the path is copied in, then HELD. */
enum { FREE, BUSY, HELD };
static atomic_int file_state[MAX_FILES];
static char file_path[MAX_FILES][PATH_MAX];

int cancel_init(void)
{
	if (wake[0] >= 0)
		return 0;
	if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		wake[0] = wake[1] = -1;
		return -1;
	}
	return 0;
}

void cancel_request(int sig)
{
	int saved = errno;     /* the handler must not change it */

	int none = 0;
	/* the first request names the signal */
	atomic_compare_exchange_strong(&requested, &none, sig ? sig : -1);
	if (wake[1] >= 0) {
		ssize_t n = write(wake[1], "x", 1);
		(void)n;
	}
	errno = saved;
}

bool cancel_requested(void)
{
	return requested != 0;
}

int cancel_signal(void)
{
	return requested > 0 ? (int)requested : 0;
}

int cancel_fd(void)
{
	return wake[0];
}

const char *cancel_signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	default: return "a signal";
	}
}

static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};

const int *cancel_signals(size_t *n)
{
	*n = sizeof stop_signals / sizeof stop_signals[0];
	return stop_signals;
}

void cancel_block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
		sigaddset(&set, stop_signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

int cancel_hold_group(int pgid)
{
	for (int i = 0; i < MAX_GROUPS; i++) {
		int expect = 0;
		if (atomic_compare_exchange_strong(&groups[i], &expect, pgid))
			return i;
	}
	return -1;
}

void cancel_drop_group(int slot)
{
	if (slot >= 0 && slot < MAX_GROUPS)
		atomic_store(&groups[slot], 0);
}

int cancel_hold_file(const char *path)
{
	size_t len = strlen(path);

	if (len >= PATH_MAX)
		return -1;
	for (int i = 0; i < MAX_FILES; i++) {
		int expect = FREE;
		if (!atomic_compare_exchange_strong(&file_state[i], &expect, BUSY))
			continue;
		memcpy(file_path[i], path, len + 1);
		atomic_store(&file_state[i], HELD);
		return i;
	}
	return -1;
}

void cancel_drop_file(int slot)
{
	if (slot >= 0 && slot < MAX_FILES)
		atomic_store(&file_state[slot], FREE);
}

_Noreturn void cancel_now(int sig)
{
	for (int i = 0; i < MAX_GROUPS; i++) {
		int pgid = atomic_load(&groups[i]);
		if (pgid > 0)
			kill(-pgid, SIGKILL);
	}
	for (int i = 0; i < MAX_FILES; i++)
		if (atomic_load(&file_state[i]) == HELD)
			unlink(file_path[i]);
	_exit(128 + sig);
}
