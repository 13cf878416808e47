/* fuzz_http: libFuzzer target for what the runner reads from HTTP response
 * bodies. An input's first line is a JSON Pointer (the inference step's
 * `output:` or an http step's `json:` key), the rest is the body. The body
 * goes through score_read_output (the inference step's row output), the
 * http step's own reading (JSON of any kind, the pointer looked up, the body
 * kept as UTF-8 text), and http_excerpt (the body quoted in messages); and
 * jsonscan, which must take only what the JSON loader reads the same way.
 * Built by `make fuzz` and by tests/e2e/fuzz.t. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "data/jsonptr.h"
#include "data/jsonscan.h"
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

/* What jsonscan takes, the loader reads: the same value, the same numbers. */
static void scan_agrees(const char *body, size_t len, const char *ptr, enum jsonscan_mode mode)
{
	double *vals = NULL;
	size_t rows = 0, cols = 0, k = 0;
	char *why = NULL;

	if (jsonscan_numbers(body, len, ptr, mode, &vals, &rows, &cols) < 0)
		return;
	json_t *doc = json_lenient_loads(body, len, NULL);
	json_t *v = doc ? json_pointer_get(doc, ptr, &why) : NULL;
	if (!v || (mode == JSONSCAN_ROWS && (!json_is_array(v) || json_array_size(v) != rows)))
		abort();
	for (size_t r = 0; r < rows; r++) {
		json_t *item = mode == JSONSCAN_ROWS ? json_array_get(v, r) : v;
		size_t n = json_is_array(item) ? json_array_size(item) : 1;
		if (n != cols)
			abort();
		for (size_t c = 0; c < n; c++) {
			json_t *x = json_is_array(item) ? json_array_get(item, c) : item;
			double d = json_number_value(x);
			if (!json_is_number(x) || memcmp(&d, &vals[k++], sizeof d))
				abort();
		}
	}
	free(why);
	json_decref(doc);
	free(vals);
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
	scan_agrees(body, len, ptr, JSONSCAN_VALUES);
	scan_agrees(body, len, ptr, JSONSCAN_ROWS);
	ex = http_excerpt(body, len);
	if (!text_utf8_valid(ex, strlen(ex), NULL))
		abort();
	free(ex);
	free(ptr);
	return 0;
}
