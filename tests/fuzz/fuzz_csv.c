/* fuzz_csv: libFuzzer target for the CSV reader. An input's first byte picks
 * the options (header auto, present or absent; delimiter , ; tab |; every
 * column, one by name, or one by index), the rest is the file, read from
 * memory. A success must give a matrix and no message, a failure a message
 * and no matrix.
 * Built by `make fuzz` and by tests/e2e/fuzz.t. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "data/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const columns[] = {"score", "a", "label", "b c", ""};

static void pick_options(uint8_t b, struct csv_options *o)
{
	unsigned sel = (unsigned)(b / 12) % 8;

	o->header = (enum csv_header)(b % 3);
	o->delimiter = ",;\t|"[(b / 3) % 4];
	if (sel >= 3 && sel < 3 + sizeof(columns) / sizeof(columns[0])) {
		o->column = columns[sel - 3];
	} else if (sel == 3 + sizeof(columns) / sizeof(columns[0])) {
		o->has_index = true;
		o->index = b / 96;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_options o = {0};
	struct matrix *m = NULL;
	char *err = NULL;
	FILE *f;
	int rc;

	if (size == 0)
		return 0;
	pick_options(data[0], &o);
	/* fmemopen refuses a zero size: an empty file is one byte of options */
	f = size > 1 ? fmemopen((void *)(uintptr_t)(data + 1), size - 1, "rb") : fopen("/dev/null", "rb");
	if (!f)
		return 0;
	rc = csv_read_file(f, "fuzz.csv", &o, &m, &err);
	fclose(f);
	if (rc == 0 ? !m || err : m || !err || !err[0])
		abort();
	matrix_free(m);
	free(err);
	return 0;
}
