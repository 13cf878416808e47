/* judge: what the inference step judges besides the closeness of outputs:
 * labels (accuracy, recall per class, McNemar's exact test against the
 * baseline on the same rows), segments (disagreement and accuracy per
 * segment key, worst first) and out-of-distribution rates from energy
 * scores. The inference step keeps a struct judge and calls these hooks;
 * the statistics are data/classify's. */
#ifndef PARITY_JUDGE_H
#define PARITY_JUDGE_H
#include "steps/step.h"

/* The key rows for the inference step's kind_keys. */
#define JUDGE_KEYS \
	{"labels", false, "{\"type\":\"object\",\"properties\":{\"column\":{\"description\":" \
	 "\"The inputs' .csv column or .jsonl field (JSON Pointer) holding each row's true " \
	 "class; not sent to the model.\",\"type\":\"string\"},\"path\":{\"description\":" \
	 "\"A file of labels instead: .npy (1-D), or .csv/.jsonl with 'column'.\",\"type\":" \
	 "\"string\"},\"classes\":{\"description\":\"The class names, in the order of the " \
	 "output columns; labels are then names.\",\"type\":\"array\",\"items\":{\"type\":" \
	 "\"string\"}}},\"additionalProperties\":false}", \
	 "The true class of each input row: gates accuracy against the baseline."}, \
	{"segments", false, "{\"type\":\"object\",\"properties\":{\"column\":{\"description\":" \
	 "\"The inputs' .csv column or .jsonl field holding each row's segment key; not sent " \
	 "to the model.\",\"type\":\"string\"},\"path\":{\"description\":\"A file of keys " \
	 "instead: .npy, or .csv/.jsonl with 'column'.\",\"type\":\"string\"}}," \
	 "\"additionalProperties\":false}", \
	 "A segment key per input row (a country, a product): by_segment gates each."}, \
	{"accuracy", false, "{\"type\":\"object\",\"properties\":{\"max_drop\":{\"type\":" \
	 "\"number\",\"minimum\":0,\"maximum\":1},\"per_class_max_drop\":{\"type\":\"number\"," \
	 "\"minimum\":0,\"maximum\":1},\"min\":{\"type\":\"number\",\"minimum\":0,\"maximum\":" \
	 "1},\"significance\":{\"type\":\"number\",\"exclusiveMinimum\":0,\"maximum\":1}}," \
	 "\"additionalProperties\":false}", \
	 "Accuracy bands against the labels: max_drop, per_class_max_drop, min, significance " \
	 "(McNemar's exact test)."}, \
	{"by_segment", false, "{\"type\":\"object\",\"properties\":{\"max_disagreement\":{" \
	 "\"type\":\"number\",\"minimum\":0,\"maximum\":1},\"max_accuracy_drop\":{\"type\":" \
	 "\"number\",\"minimum\":0,\"maximum\":1},\"min_rows\":{\"type\":\"integer\"," \
	 "\"minimum\":1}},\"additionalProperties\":false}", \
	 "Bands per segment: argmax disagreement, accuracy drop; segments under min_rows " \
	 "(default 20) are reported, not gated."}, \
	{"ood", false, "{\"type\":\"object\",\"properties\":{\"energy_above\":{\"type\":" \
	 "\"number\"},\"max_rate\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1}," \
	 "\"max_rate_diff\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1}},\"required\":[" \
	 "\"energy_above\"],\"additionalProperties\":false}", \
	 "Out-of-distribution rate: rows with energy -logsumexp(logits) above energy_above."}

struct judge;

/* The judge settings of an inference step's body (in p's arena), or NULL
 * when it has none of labels, segments, accuracy, by_segment, ood, or after
 * reporting (then p->d counts the errors). inputs is the raw inputs path. */
struct judge *judge_parse(const struct parse_ctx *p, const struct node *body,
			  const char *inputs);
/* The inputs' columns that are keys, not features (NULL-ended, borrowed),
 * or NULL; j may be NULL. */
const char *const *judge_skip(const struct judge *j);
/* Reads the labels and segment keys for one environment into the fact f
 * ("labels": class indexes, "segments": strings), rows of them each;
 * inputs is the expanded path of the inputs. 0, or -1 with *err. */
int judge_gather(const struct gather_ctx *g, const struct judge *j, const char *inputs,
		 size_t rows, json_t *f, char **err);
/* The checks and metrics over every environment's "outputs" and the
 * baseline's labels and segments. */
void judge_evaluate(const struct eval_ctx *e, struct step_result *r, const struct judge *j);

#endif
