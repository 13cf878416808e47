/* exec: argv assembly for an environment's transport. */
#include "transport/exec.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* POSIX sh: change to $1, then run the rest as argv */
static const char cd_script[] = "cd \"$1\" || exit 125; shift; exec \"$@\"";

int env_run(const struct exec_where *e, const struct env_cmd *cmd, int64_t deadline_ms,
	    struct proc_result *r, char **err)
{
	size_t n_base = 0;
	while (cmd->argv && cmd->argv[n_base])
		n_base++;
	if (cmd->shell)
		n_base = 3;
	const char **argv = xcalloc(e->n_prefix + 5 + n_base + 1, sizeof *argv);
	size_t n = 0;

	for (size_t i = 0; i < e->n_prefix; i++)
		argv[n++] = e->prefix[i];
	if (e->prefix && e->dir) {
		argv[n++] = "/bin/sh";
		argv[n++] = "-c";
		argv[n++] = cd_script;
		argv[n++] = "parity-cd";
		argv[n++] = e->dir;
	}
	if (cmd->shell) {
		argv[n++] = "/bin/sh";
		argv[n++] = "-c";
		argv[n++] = cmd->shell;
	} else {
		for (size_t i = 0; cmd->argv[i]; i++)
			argv[n++] = cmd->argv[i];
	}
	argv[n] = NULL;

	struct proc_spec spec = {0};
	spec.argv = (char *const *)(void *)argv;
	spec.dir = e->prefix ? NULL : e->dir;
	spec.stdin_path = cmd->stdin_path;
	spec.stdin_data = cmd->stdin_data;
	spec.stdin_len = cmd->stdin_len;
	spec.deadline_ms = deadline_ms;
	spec.cap = cmd->cap;
	int rc = proc_run(&spec, r, err);
	free(argv);
	return rc;
}
