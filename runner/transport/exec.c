/* exec: argv assembly for an environment's transport. */
#include "transport/exec.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* POSIX sh: change to $1, then run the rest as argv */
static const char cd_script[] = "cd \"$1\" || exit 125; shift; exec \"$@\"";

int exec_parse_size(const char *s, size_t *out)
{
	static const char units[] = "KMGT";
	size_t v = 0;
	const char *p = s;
	unsigned shift = 0;

	if (!s || *p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		size_t d = (size_t)(*p - '0');
		if (v > (SIZE_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	const char *u = *p ? strchr(units, *p) : NULL;
	if (u) {
		shift = 10u * (unsigned)(u - units + 1);
		p++;
		if (*p == 'i' && p[1] == 'B')
			p += 2;
	}
	if (*p == 'B')
		p++;
	if (*p || v == 0 || v > (SIZE_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

/* "2 GiB", "512 MiB", "1000 bytes" */
static char *size_text(size_t n)
{
	static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
	unsigned u = 0;

	while (u < 4 && n >= 1024 && n % 1024 == 0) {
		n /= 1024;
		u++;
	}
	return xasprintf("%zu %s", n, units[u]);
}

static int data_cap(size_t *cap, char **err)
{
	const char *v = getenv(EXEC_DATA_CAP_VAR);

	*cap = EXEC_DATA_CAP_DEFAULT;
	if (!v || !*v)
		return 0;
	if (exec_parse_size(v, cap) == 0)
		return 0;
	*err = xasprintf(EXEC_DATA_CAP_VAR "='%.40s' is not a size: write a number of bytes with "
			 "an optional K, M, G or T suffix, for example " EXEC_DATA_CAP_VAR "=4G", v);
	return -1;
}

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
	if (cmd->cap == EXEC_CAP_DATA && data_cap(&spec.cap, err) < 0) {
		free(argv);
		return -1;
	}
	int rc = proc_run(&spec, r, err);
	free(argv);
	if (rc == 0 && cmd->cap == EXEC_CAP_DATA && r->out_truncated) {
		char *cap = size_text(spec.cap);
		*err = xasprintf("the scorer's output is over the %s cap on scorer output: raise it "
				 "with " EXEC_DATA_CAP_VAR " (for example " EXEC_DATA_CAP_VAR "=%zuG)",
				 cap, (spec.cap >> 30) * 2 + 2);
		free(cap);
		proc_result_release(r);
		return -1;
	}
	return rc;
}
