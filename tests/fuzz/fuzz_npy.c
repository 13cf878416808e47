/* fuzz_npy: libFuzzer target for the .npy reader. Each input is a .npy
 * file's bytes, read from memory through data_read_bytes the way a
 * command's output is read: prologue, header dictionary, dtype, shape and
 * the streamed data. A success must give a matrix and no message, a
 * failure a message and no matrix.
 * Built by `make fuzz` and by tests/e2e/fuzz.t. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "data/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct matrix *m = NULL;
	char *err = NULL;
	int rc = data_read_bytes((const char *)data, size, FMT_NPY, NULL, "fuzz.npy", &m, &err);

	if (rc == 0 ? !m || err || m->rows * m->cols > size : m || !err || !err[0])
		abort();
	matrix_free(m);
	free(err);
	return 0;
}
