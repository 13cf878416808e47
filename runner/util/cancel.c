/* cancel: a sig_atomic_t flag and the signal that set it. */
#include "util/cancel.h"

#include <signal.h>

static volatile sig_atomic_t requested;

void cancel_request(int sig)
{
	requested = sig ? sig : -1;
}

bool cancel_requested(void)
{
	return requested != 0;
}

int cancel_signal(void)
{
	return requested > 0 ? (int)requested : 0;
}
