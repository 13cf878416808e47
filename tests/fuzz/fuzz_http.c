/* fuzz_http: libFuzzer target for what the runner reads from HTTP response
 * bodies. An input's first line is a JSON Pointer (the inference step's
 * `output:` or an http step's `json:` key), the rest is the body. The body
 * goes through score_read_output (the inference step's row output), the
 * http step's own reading (JSON of any kind, the pointer looked up, the body
 * kept as UTF-8 text), and http_excerpt (the body quoted in messages).
 * Built by `make fuzz` and by tests/e2e/fuzz.t. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "data/jsonptr.h"
#include "steps/score.h"
#include "transport/http.h"
#include "util/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The http step: the fact keeps the body as text and, when it parses, as JSON. */
static void step_reading(const char *body, size_t len, const char *ptr)
{
	json_t *doc = json_loadb(body, len, JSON_DECODE_ANY, NULL);
	char *why = NULL;
	char *text;

	if (doc) {
		json_t *v = json_pointer_get(doc, ptr, &why);
		if (!v == !why)
			abort();
		json_decref(doc);
	}
	free(why);
	text = text_utf8_valid(body, len, NULL) ? NULL : text_utf8_repair(body, len);
	if (text && !text_utf8_valid(text, strlen(text), NULL))
		abort();
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - data) : 0;
	size_t skip = nl ? plen + 1 : 0;
	const char *body = (const char *)data + skip;
	size_t len = size - skip;
	char *ptr = malloc(plen + 1);
	double *vals = NULL;
	char *err = NULL, *ex;
	size_t n = 0;
	int rc;

	if (!ptr)
		return 0;
	memcpy(ptr, data, plen);
	ptr[plen] = '\0';
	rc = score_read_output(body, len, ptr, 7, &vals, &n, &err);
	if (rc == 0 ? !vals || !n || err : vals || n || !err || !err[0])
		abort();
	free(vals);
	free(err);
	step_reading(body, len, ptr);
	ex = http_excerpt(body, len);
	if (!text_utf8_valid(ex, strlen(ex), NULL))
		abort();
	free(ex);
	free(ptr);
	return 0;
}
