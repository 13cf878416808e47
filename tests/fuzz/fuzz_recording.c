/* fuzz_recording: libFuzzer target for the traffic recording readers
 * (data/recording.h). An input's first byte picks the format (jsonl,
 * sagemaker, cloudevents, har, by its value modulo 4), the rest is the
 * recording, read from memory. Every record must come with an id, a body
 * and a response; a failure must come with a message.
 * Built by `make fuzz` and by tests/e2e/fuzz.t. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "data/recording.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	FILE *f = fmemopen((void *)(uintptr_t)(data + 1), size - 1, "r");
	if (!f)
		return 0;
	struct recording_opts o = {(enum recording_format)(data[0] % 4), NULL, NULL, "/id", 0};
	struct recording *r = NULL;
	struct record rec;
	char *err = NULL;
	int rc = recording_open_file(f, "fuzz.rec", &o, &r, &err);
	if (rc == 0) {
		while ((rc = recording_next(r, &rec, &err)) > 0)
			if (!rec.id || !rec.body || !rec.response || !rec.record || !rec.content_type)
				abort();
		recording_close(r);
	}
	if (rc < 0 && (!err || !err[0]))
		abort();
	free(err);
	return 0;
}
