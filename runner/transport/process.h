/* process: run one command (argv, no shell) with a working directory, stdin
 * from a file, stdout/stderr captured up to a cap, and a timeout that sends
 * SIGTERM and then SIGKILL to the command's whole process group; a stop
 * request (util/cancel.h) does the same at once. Every child is reaped
 * before proc_run returns; nothing is left running.
 *
 * Layer: transport. May include: util. Transport takes plain structs
 * (argv, directory, URL, TLS), never the contract's types. */
#ifndef PARITY_PROCESS_H
#define PARITY_PROCESS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"

#define PROC_DEFAULT_CAP (16u << 20)        /* 16 MiB per stream */
#define PROC_KILL_GRACE_MS 2000             /* SIGTERM .. SIGKILL (timeout or stop) */

struct proc_spec {
	char *const *argv;          /* argv[0] searched in PATH; borrowed */
	const char *dir;            /* chdir before exec; NULL: inherit */
	const char *stdin_path;     /* file sent to stdin; NULL: /dev/null */
	const char *stdin_data;     /* or bytes sent to stdin (stdin_path wins) */
	size_t stdin_len;
	int64_t deadline_ms;        /* clock_ms() value; 0: no timeout */
	size_t cap;                 /* per stream; 0: PROC_DEFAULT_CAP */
};

struct proc_result {
	bool exited;                /* exited normally: status is valid */
	int status;                 /* exit status */
	int signal;                 /* terminating signal, 0 if none */
	bool timed_out;             /* killed by the deadline */
	bool interrupted;           /* killed because a stop was requested (cancel_requested) */
	struct buf out, err;        /* captured, up to cap bytes each */
	bool out_truncated, err_truncated;
	double seconds;             /* wall time */
	int pid;                    /* the command's pid, also its process group */
};

/* Initializes *r and runs the command. Returns 0 when the command ran
 * (whatever its status; release r then), -1 when it could not be started
 * (r needs no release) (*err says why:
 * "cannot run 'x': No such file or directory", or "interrupted by SIGTERM"
 * when a stop was requested before it started), owned by the caller. While
 * it runs, its process group is held for cancel_now. */
int proc_run(const struct proc_spec *spec, struct proc_result *r, char **err);
void proc_result_release(struct proc_result *r);

/* Call once at start-up: become the reaper of orphaned grandchildren, so
 * that a command's background children are reaped too. */
void proc_setup(void);

#endif
