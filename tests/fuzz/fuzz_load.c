/* fuzz_load: libFuzzer target for the contract loader. Each input is a
 * contract file: written to one temporary file per process (rewritten in
 * place for every run), loaded with contract_load and released. Includes,
 * lock files and ${env.X} references resolve for real, the way the runner
 * meets them; the temporary folder ($TMPDIR or /tmp) holds only the
 * contract itself.
 * Built by `make fuzz` and by tests/e2e/fuzz.t. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "load/contract.h"
#include "steps/bind.h"
#include "util/diag.h"
#include "util/secret.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[PATH_MAX - 32];     /* room for "/contract.yaml" in path */
static char path[PATH_MAX];
static int fd = -1;

static void cleanup(void)
{
	if (fd >= 0)
		close(fd);
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	/* a crash exits without atexit: TMPDIR lets the caller clean up */
	snprintf(dir, sizeof dir, "%s/parity-fuzz-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("fuzz_load: mkdtemp");
		abort();
	}
	snprintf(path, sizeof path, "%s/contract.yaml", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror("fuzz_load: open");
		abort();
	}
	atexit(cleanup);
	/* something for ${env.X} to find, besides the usual HOME and PATH */
	setenv("PARITY_FUZZ_TOKEN", "fuzz-secret", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const overrides[] = {"cli=from-the-command-line", NULL};
	struct load_opts o = {overrides, false};
	struct contract c;
	struct diag d;

	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("fuzz_load: write");
		abort();
	}
	diag_init(&d);
	contract_open(&c, path, &o, &d);
	contract_release(&c);
	diag_release(&d);
	/* the registry is process-wide: keep it from growing across runs */
	secret_clear();
	return 0;
}
