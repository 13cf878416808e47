/* fuzz_jsonl: libFuzzer target for the JSON Lines reader. An input's first
 * line is the `field:` (a JSON Pointer or a member name; an empty line
 * means none), the rest is the file, read from memory through
 * data_read_bytes as a command's output is. A success must give a matrix
 * and no message, a failure a message and no matrix.
 * Built by `make fuzz` and by tests/e2e/fuzz.t. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t flen = nl ? (size_t)(nl - data) : size;
	size_t skip = nl ? flen + 1 : size;
	char *field = malloc(flen + 1);
	struct matrix *m = NULL;
	char *err = NULL;
	int rc;

	if (!field)
		return 0;
	memcpy(field, data, flen);
	field[flen] = '\0';
	rc = data_read_bytes((const char *)data + skip, size - skip, FMT_JSONL, flen ? field : NULL,
			     "fuzz.jsonl", &m, &err);
	if (rc == 0 ? !m || err : m || !err || !err[0])
		abort();
	matrix_free(m);
	free(err);
	free(field);
	return 0;
}
