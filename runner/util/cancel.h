/* cancel: the one flag that says "stop now": set from a signal handler
 * (SIGINT, SIGTERM) and read by every loop that waits (processes, HTTP
 * transfers, the worker pool), so that an interrupted run ends its children
 * and still writes its reports. */
#ifndef PARITY_CANCEL_H
#define PARITY_CANCEL_H
#include <stdbool.h>

/* Asks every waiting loop to stop; async-signal-safe. sig is the signal
 * (0 when not from a signal). */
void cancel_request(int sig);
/* Whether a stop was asked for. */
bool cancel_requested(void);
/* The signal that asked for it, or 0. */
int cancel_signal(void);

#endif
