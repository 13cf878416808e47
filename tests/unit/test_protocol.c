/* Unit tests for steps/protocol: the request bodies of the serving
 * protocols for a batch of rows, byte for byte, and the readers of their
 * responses (the shapes the specs allow, and the errors naming the row or
 * the batch). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "steps/protocol.h"

static const double rows[] = {1, 2.5, -3, 4, 0, 0.25};       /* 3 rows x 2 */

static void body_is(const struct protocol *p, size_t n, size_t first, const char *want)
{
	char *b = protocol_body(p, rows + first * 2, n, 2, first);
	assert_string_equal(b, want);
	free(b);
}

static void test_bodies(void **state)
{
	(void)state;
	struct protocol p = {.kind = PROTOCOL_V2, .batch = 3};
	body_is(&p, 3, 0, "{\"inputs\":[{\"name\":\"input-0\",\"shape\":[3,2],\"datatype\":\"FP32\","
		"\"data\":[1,2.5,-3,4,0,0.25]}]}");
	p.input_name = "x";
	p.datatype = "BOOL";
	body_is(&p, 1, 2, "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"BOOL\","
		"\"data\":[false,true]}]}");
	p = (struct protocol){.kind = PROTOCOL_TF_SERVING, .batch = 2};
	body_is(&p, 2, 0, "{\"instances\":[[1,2.5],[-3,4]]}");
	p.signature_name = "serving_default";
	body_is(&p, 1, 2, "{\"signature_name\":\"serving_default\",\"instances\":[[0,0.25]]}");
	p = (struct protocol){.kind = PROTOCOL_MLFLOW, .batch = 2};
	body_is(&p, 2, 1, "{\"inputs\":[[-3,4],[0,0.25]]}");
	char *cols[] = {"a", "b", NULL};
	p.columns = cols;
	body_is(&p, 1, 0, "{\"dataframe_split\":{\"columns\":[\"a\",\"b\"],\"data\":[[1,2.5]]}}");
	p = (struct protocol){.kind = PROTOCOL_JSON, .batch = 2, .body = "{\"rows\": ${rows}, "
			      "\"first\": ${index}}"};
	body_is(&p, 2, 1, "{\"rows\": [[-3,4],[0,0.25]], \"first\": 1}");
	p = (struct protocol){.kind = PROTOCOL_JSON, .batch = 1, .body_json = true,
			      .body = "{\"f\":\"${row}\",\"i\":\"${index}\",\"s\":\"a ${row}\"}"};
	body_is(&p, 1, 2, "{\"f\":[0,0.25],\"i\":2,\"s\":\"a ${row}\"}");
}

static void read_ok(const struct protocol *p, const char *body, size_t first, size_t n,
		    size_t cols, const double *want)
{
	struct matrix *m = NULL;
	char *err = NULL;
	int rc = protocol_read(p, body, strlen(body), first, n, &m, &err);
	if (rc < 0)
		fail_msg("%s", err);
	assert_int_equal(m->rows, n);
	assert_int_equal(m->cols, cols);
	for (size_t i = 0; i < n * cols; i++)
		assert_true(m->v[i] == want[i]);
	matrix_free(m);
}

static void read_err(const struct protocol *p, const char *body, size_t first, size_t n,
		     const char *want)
{
	struct matrix *m = NULL;
	char *err = NULL;
	assert_int_equal(protocol_read(p, body, strlen(body), first, n, &m, &err), -1);
	assert_null(m);
	assert_string_equal(err, want);
	free(err);
}

static void test_v2(void **state)
{
	(void)state;
	static const double two[] = {1, 2, 3, 4}, labels[] = {1, 0};
	struct protocol p = {.kind = PROTOCOL_V2, .batch = 2};
	/* the spec's response example: flat data, row-major */
	read_ok(&p, "{\"model_name\":\"m\",\"outputs\":[{\"name\":\"output0\",\"shape\":[2,2],"
		"\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}", 0, 2, 2, two);
	read_ok(&p, "{\"model_name\":\"m\",\"outputs\":[{\"name\":\"output0\",\"shape\":[2,2],"
		"\"datatype\":\"FP64\",\"data\":[[1,2],[3,4]]}]}", 0, 2, 2, two);
	p.output_name = "label";
	read_ok(&p, "{\"outputs\":[{\"name\":\"p\",\"shape\":[2,2],\"datatype\":\"FP32\","
		"\"data\":[1,2,3,4]},{\"name\":\"label\",\"shape\":[2],\"datatype\":\"INT64\","
		"\"data\":[1,0]}]}", 0, 2, 1, labels);
	read_err(&p, "{\"outputs\":[{\"name\":\"p\",\"shape\":[2],\"data\":[1,2]}]}", 64, 2,
		 "batch from row 64: no output named 'label' in the response (it has 'p')");
	p.output_name = NULL;
	read_err(&p, "{\"outputs\":[{\"name\":\"p\",\"shape\":[1,2],\"datatype\":\"FP32\","
		"\"data\":[1,2]}]}", 64, 2,
		 "batch from row 64: the response has 1 rows for 2 sent (output shape [1,2])");
	read_err(&p, "{\"outputs\":[{\"name\":\"s\",\"shape\":[2],\"datatype\":\"BYTES\","
		"\"data\":[\"a\",\"b\"]}]}", 0, 2,
		 "batch from row 0: output datatype 'BYTES' does not hold numbers");
	read_err(&p, "{\"error\":\"x\"}", 0, 2, "batch from row 0: the response has no 'outputs' "
		 "(an Open Inference Protocol response is {\"model_name\": ..., \"outputs\": [...]})");
}

static void test_predictions(void **state)
{
	(void)state;
	static const double lists[] = {1, 2, 3, 4}, nums[] = {0.5, 0.25};
	struct protocol p = {.kind = PROTOCOL_TF_SERVING, .batch = 2};
	read_ok(&p, "{\"predictions\":[[1,2],[3,4]]}", 0, 2, 2, lists);
	read_ok(&p, "{\"predictions\":[0.5,0.25]}", 0, 2, 1, nums);
	read_err(&p, "{\"predictions\":[{\"scores\":[1,2]},{\"scores\":[3,4]}]}", 10, 2,
		 "row 10: the prediction is an object: set 'output_name' to a JSON Pointer into it, "
		 "like /scores");
	p.output = "/scores";
	read_ok(&p, "{\"predictions\":[{\"scores\":[1,2]},{\"scores\":[3,4]}]}", 0, 2, 2, lists);
	read_err(&p, "{\"predictions\":[[1,2]]}", 10, 2,
		 "batch from row 10: the response has 1 rows for 2 sent ('predictions')");
	p = (struct protocol){.kind = PROTOCOL_MLFLOW, .batch = 2};
	read_ok(&p, "[0.5,0.25]", 0, 2, 1, nums);
	read_ok(&p, "{\"predictions\":[[1,2],[3,4]]}", 0, 2, 2, lists);
	read_err(&p, "{\"predictions\":[[1,2],[3]]}", 4, 2, "row 5: 1 output, row 4 had 2");
	p = (struct protocol){.kind = PROTOCOL_JSON, .batch = 2, .output = "/out"};
	read_ok(&p, "{\"out\":[[1,2],[3,4]]}", 0, 2, 2, lists);
}

static void test_paths(void **state)
{
	(void)state;
	static const struct {
		enum protocol_kind k;
		const char *version, *want;
	} cases[] = {
		{PROTOCOL_V2, NULL, "/v2/models/fraud/infer"},
		{PROTOCOL_V2, "3", "/v2/models/fraud/versions/3/infer"},
		{PROTOCOL_TF_SERVING, NULL, "/v1/models/fraud:predict"},
		{PROTOCOL_TF_SERVING, "3", "/v1/models/fraud/versions/3:predict"},
		{PROTOCOL_MLFLOW, NULL, "/invocations"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *path = protocol_path(cases[i].k, "fraud", cases[i].version);
		assert_string_equal(path, cases[i].want);
		free(path);
	}
	assert_int_equal(protocol_from_name("tf-serving"), PROTOCOL_TF_SERVING);
	assert_int_equal(protocol_from_name("v3"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_v2),
		cmocka_unit_test(test_predictions),
		cmocka_unit_test(test_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
