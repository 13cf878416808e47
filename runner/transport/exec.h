/* exec: run a command in an environment: on this host in its folder, or
 * through its exec argv prefix (docker exec -i, kubectl exec -i, env ...;
 * not plain ssh, which joins its arguments into one command line),
 * changing to its dir there with a tiny sh wrapper. */
#ifndef PARITY_EXEC_H
#define PARITY_EXEC_H
#include <stdint.h>
#include "transport/process.h"

/* Where a command runs: on this host (prefix NULL) in dir, or through the
 * argv prefix, changing to dir there. Borrowed strings. */
struct exec_where {
	char *const *prefix;        /* NULL-terminated argv prefix, or NULL: this host */
	size_t n_prefix;
	const char *dir;            /* working directory, or NULL */
};

struct env_cmd {
	char *const *argv;          /* argv, or NULL with shell */
	const char *shell;          /* run with /bin/sh -c */
	const char *stdin_path;     /* local file sent to stdin, or NULL */
	size_t cap;                 /* capture cap per stream; 0: default; EXEC_CAP_DATA */
	const char *stdin_data;     /* or bytes sent to stdin (stdin_path wins) */
	size_t stdin_len;
};

/* cap for a command whose stdout is numeric data (an inference scorer's
 * output): a memory cap, EXEC_DATA_CAP_DEFAULT bytes unless the environment
 * variable PARITY_MAX_SCORER_OUTPUT gives another size ("8G", "512M",
 * "1048576"). Past it env_run fails: "the scorer's output is over the 2 GiB
 * cap on scorer output: raise it with PARITY_MAX_SCORER_OUTPUT (for
 * example PARITY_MAX_SCORER_OUTPUT=4G)". */
#define EXEC_CAP_DATA SIZE_MAX
#define EXEC_DATA_CAP_DEFAULT ((size_t)2 << 30)
#define EXEC_DATA_CAP_VAR "PARITY_MAX_SCORER_OUTPUT"

/* The size in s: digits with an optional K, M, G or T suffix (powers of
 * 1024, an optional trailing "iB" or "B"); -1 when s is not one or is 0. */
int exec_parse_size(const char *s, size_t *out);

/* Runs cmd at e. Returns 0 when it ran (see r), -1 with *err otherwise.
 * A timeout is r->timed_out, not an error. */
int env_run(const struct exec_where *e, const struct env_cmd *cmd, int64_t deadline_ms,
	    struct proc_result *r, char **err);

#endif
