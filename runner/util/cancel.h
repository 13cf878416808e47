/* cancel: the one flag that says "stop now": set from a signal handler
 * (SIGINT, SIGTERM) and read by every loop that waits (processes, HTTP
 * transfers, the worker pool), so that an interrupted run ends its children
 * and still writes its reports. It also holds what must go when parity has
 * to end at once (a second signal): the live process groups and the
 * temporary files being written. */
#ifndef PARITY_CANCEL_H
#define PARITY_CANCEL_H
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* Creates the wake-up pipe behind cancel_fd(); call once, before the signal
 * handlers are installed. Returns 0, or -1 (then cancel_fd() is -1 and the
 * waiting loops must poll the flag). */
int cancel_init(void);
/* Asks every waiting loop to stop; async-signal-safe. sig is the signal
 * (0 when not from a signal). */
void cancel_request(int sig);
/* Whether a stop was asked for. */
bool cancel_requested(void);
/* The signal that first asked for it, or 0. */
int cancel_signal(void);
/* A descriptor that becomes readable (and stays so) once a stop is asked
 * for: add it to a poll set to wake up at once. Never read it. -1 before
 * cancel_init. */
int cancel_fd(void);
/* "SIGINT", "SIGTERM", "SIGHUP", or "a signal"; static text. */
const char *cancel_signal_name(int sig);
/* The signals that ask for a stop: SIGINT, SIGTERM, SIGHUP (*n of them). */
const int *cancel_signals(size_t *n);
/* Blocks them on the calling thread; *old gets the previous mask, to give
 * back to pthread_sigmask(SIG_SETMASK, old, NULL). */
void cancel_block(sigset_t *old);

/* A process group to kill when parity ends at once. Returns a slot for
 * cancel_drop_group, or -1 when every slot is taken (the group is then
 * only ended by its own wait loop). */
int cancel_hold_group(int pgid);
void cancel_drop_group(int slot);
/* A temporary file to remove when parity ends at once (path copied; longer
 * than PATH_MAX: not held). Returns a slot, or -1. */
int cancel_hold_file(const char *path);
void cancel_drop_file(int slot);

/* Ends parity at once from a signal handler: SIGKILL to every held process
 * group, removes every held file, then _exit(128 + sig). Async-signal-safe. */
_Noreturn void cancel_now(int sig);

#endif
