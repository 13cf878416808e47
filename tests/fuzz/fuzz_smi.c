/* fuzz_smi: libFuzzer target for the nvidia-smi fallback's parser: what
 * gpu_smi_script prints in an environment (its "var", "smi-status", "gpu"
 * CSV, "cuda" and "mig" lines), read by gpu_from_smi through its public
 * prototype. An input's first byte picks the device index (-1 to 2), the
 * rest is the script's output. The fact must always be an object that says
 * whether the device is available.
 * Built by `make fuzz` and by tests/e2e/fuzz.t. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "transport/gpu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	json_t *f;
	int device;

	if (size == 0)
		return 0;
	device = (int)(data[0] % 4) - 1;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	f = gpu_from_smi(text, device);
	if (!json_is_object(f) || !json_is_boolean(json_object_get(f, "available")))
		abort();
	json_decref(f);
	free(text);
	return 0;
}
