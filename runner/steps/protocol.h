/* protocol: how the inference step talks to a serving stack over HTTP.
 * json is parity's own (a body template, an output pointer); v2 is the Open
 * Inference Protocol (KServe, Triton, MLServer), tf-serving the TensorFlow
 * Serving REST predict API (KServe v1), mlflow the MLflow scoring server.
 * Each builds the body of one request for a batch of rows and reads the
 * batch's outputs back from the response, one matrix row per input row. */
#ifndef PARITY_PROTOCOL_H
#define PARITY_PROTOCOL_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "data/matrix.h"
#include "load/node.h"
#include "util/buf.h"

enum protocol_kind { PROTOCOL_JSON, PROTOCOL_V2, PROTOCOL_TF_SERVING, PROTOCOL_MLFLOW };

struct protocol {
	enum protocol_kind kind;
	const char *body;               /* json: the template, expanded; NULL: "${row}" */
	bool body_json;                 /* json: body is JSON text (a YAML mapping or list):
					 * only whole strings "${row}", "${rows}", "${index}"
					 * are replaced */
	const char *output;             /* json: JSON Pointer to the output (batch 1) or to the
					 * array of per-row outputs; tf-serving, mlflow: pointer
					 * into each prediction that is an object; "" or NULL:
					 * the whole value */
	const char *output_name;        /* v2: the output to read; NULL: the first */
	const char *input_name;         /* v2: NULL: "input-0" */
	const char *datatype;           /* v2: NULL: "FP32" */
	const char *signature_name;     /* tf-serving: NULL: none sent */
	char *const *columns;           /* mlflow: NULL: {"inputs": ...}; else dataframe_split */
	size_t batch;                   /* rows per request, >= 1 */
};

/* The kind named name ("json", "v2", "tf-serving", "mlflow"), or -1. */
int protocol_from_name(const char *name);
/* NULL-terminated names, for messages and suggestions. */
extern const char *const protocol_names[];
/* Whether name is a datatype of the Open Inference Protocol that holds
 * numbers (BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64). */
bool protocol_datatype_ok(const char *name);

/* The default path for kind: "/v2/models/M[/versions/V]/infer",
 * "/v1/models/M[/versions/V]:predict", "/invocations", "" for json. Owned
 * by the caller. */
char *protocol_path(enum protocol_kind kind, const char *model, const char *version);

/* The body of one request for the n rows (of cols values each, row-major)
 * that start at row first, appended to b. */
void protocol_put_body(const struct protocol *p, struct buf *b, const double *rows, size_t n,
		       size_t cols, size_t first);
/* The same as a string owned by the caller. */
char *protocol_body(const struct protocol *p, const double *rows, size_t n, size_t cols,
		    size_t first);

/* The outputs of the n rows starting at first from a response body: 0 with
 * *out (n rows, owned by the caller), or -1 with *err (owned by the caller)
 * that names the row ("row 5: ...") or, with batch > 1, the batch's first
 * row ("batch from row 640: the response has 63 rows for 64 sent"). */
int protocol_read(const struct protocol *p, const char *body, size_t len, size_t first,
		  size_t n, struct matrix **out, char **err);


#endif
