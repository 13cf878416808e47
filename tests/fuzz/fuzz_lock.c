/* fuzz_lock: libFuzzer target for lock files, the YAML `parity lock`
 * writes and the loader reads back. Each input is the lock file of the
 * fixed contract of compare.c: written beside it, the contract loaded, and
 * when it loads, its pins checked against the captured facts of both
 * environments (every report rendered), as `parity compare` would.
 * Built by `make fuzz` and by tests/e2e/fuzz.t. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "steps/bind.h"
#include "util/diag.h"
#include "util/secret.h"
#include "util/xalloc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];
static char *lock_path, *contract_file;
static int fd = -1;

static void cleanup(void)
{
	if (fd >= 0)
		close(fd);
	unlink(lock_path);
	unlink(contract_file);
	rmdir(dir);
	free(lock_path);
	free(contract_file);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	/* a crash exits without atexit: TMPDIR lets the caller clean up */
	snprintf(dir, sizeof dir, "%s/parity-fuzz-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("fuzz_lock: mkdtemp");
		abort();
	}
	lock_path = xasprintf("%s/%s", dir, COMPARE_LOCK_NAME);
	contract_file = compare_write_contract(dir);
	atexit(cleanup);
	fd = open(lock_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror("fuzz_lock: open");
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct contract c;
	struct diag d;
	int rc;

	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("fuzz_lock: write");
		abort();
	}
	diag_init(&d);
	rc = contract_open(&c, contract_file, NULL, &d);
	if (rc == 0 && !d.errors)
		compare_evaluate(&c, compare_facts(0), compare_facts(1));
	contract_release(&c);
	diag_release(&d);
	/* the registry is process-wide: keep it from growing across runs */
	secret_clear();
	return 0;
}
