/* gpu: the device, driver, CUDA runtime and TF32 settings of each
 * environment, pinned with matchers and compared across environments, and
 * a numeric fingerprint whose result bits must agree. On this host the
 * CUDA runtime is probed in-process (transport/gpu); through an exec prefix,
 * `parity probe gpu` runs there, or nvidia-smi when parity is not there. */
#include "transport/gpu.h"
#include "model/matcher.h"
#include "load/check.h"
#include "steps/step.h"
#include "transport/exec.h"
#include "util/buf.h"
#include "util/text.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct step_key kind_keys[] = {
	{"device", false,
	 "{\"type\":\"integer\",\"minimum\":0,\"default\":0}",
	 "CUDA device index, as CUDA counts them after CUDA_VISIBLE_DEVICES."},
	{"require", false,
	 "{\"type\":\"boolean\",\"default\":true}",
	 "No GPU, driver or CUDA runtime (or the device index out of range): "
	 "fail if true, skip with the reason if false."},
	{"name", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "Device name, e.g. {regex: \"H100\"}."},
	{"compute_capability", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "Compute capability: \"9.0\" or {version: \">=8.0\"}."},
	{"driver", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "CUDA version the driver supports, e.g. \"12.4\" "
	 "(cudaDriverGetVersion; nvidia-smi's \"CUDA Version\")."},
	{"driver_version", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "The NVIDIA kernel driver's version, e.g. \"550.54.15\"."},
	{"runtime", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "CUDA runtime version, e.g. \"12.4\" (not known through nvidia-smi)."},
	{"memory_gib", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "The board's total memory in GiB as nvidia-smi reports it (memory.total), "
	 "two decimals: use {min: ..., max: ...}."},
	{"ecc", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "ECC enabled: true or false."},
	{"count", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "Number of visible CUDA devices."},
	{"multiprocessors", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "Number of streaming multiprocessors (not known through nvidia-smi)."},
	{"uuid", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "Device UUID as nvidia-smi prints it, GPU-xxxxxxxx-... (MIG-... for a MIG "
	 "instance)."},
	{"mig", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "MIG mode, enabled or disabled (read through nvidia-smi)."},
	{"tf32", false,
	 "{\"type\":\"string\",\"enum\":[\"disabled\",\"enabled\",\"any\"]}",
	 "TF32 state from NVIDIA_TF32_OVERRIDE and "
	 "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE: disabled (NVIDIA_TF32_OVERRIDE=0, "
	 "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE not 1), enabled "
	 "(TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1, NVIDIA_TF32_OVERRIDE not 0) or "
	 "any."},
	{"vars", false,
	 "{\"type\":\"object\",\"properties\":{\"NVIDIA_TF32_OVERRIDE\":{\"anyOf\":[{"
	 "\"$ref\":\"#/definitions/matcher\"},{\"type\":\"null\"}]},"
	 "\"TORCH_ALLOW_TF32_CUBLAS_OVERRIDE\":{\"anyOf\":[{"
	 "\"$ref\":\"#/definitions/matcher\"},{\"type\":\"null\"}]},"
	 "\"CUBLAS_WORKSPACE_CONFIG\":{\"anyOf\":[{"
	 "\"$ref\":\"#/definitions/matcher\"},{\"type\":\"null\"}]},"
	 "\"CUDA_VISIBLE_DEVICES\":{\"anyOf\":[{\"$ref\":\"#/definitions/matcher\"},"
	 "{\"type\":\"null\"}]}},\"additionalProperties\":false}",
	 "Pins on the variables the gpu step reads; null means the variable "
	 "must be unset."},
	{"fingerprint", false,
	 "{\"type\":\"boolean\"}",
	 "Run a fixed, seeded float32 matrix product through cuBLAS and "
	 "compare its result bits across environments."},
	{"same", false,
	 "{\"type\":\"array\",\"items\":{\"type\":\"string\",\"enum\":[\"name\","
	 "\"compute_capability\",\"driver\",\"driver_version\",\"runtime\","
	 "\"memory_gib\",\"ecc\",\"count\",\"multiprocessors\",\"uuid\",\"mig\",\"tf32\","
	 "\"fingerprint\",\"NVIDIA_TF32_OVERRIDE\","
	 "\"TORCH_ALLOW_TF32_CUBLAS_OVERRIDE\",\"CUBLAS_WORKSPACE_CONFIG\","
	 "\"CUDA_VISIBLE_DEVICES\"]}}",
	 "Facts that must be equal in every environment ('fingerprint' needs "
	 "fingerprint: true)."},
	{"source", false,
	 "{\"type\":\"string\",\"enum\":[\"auto\",\"nvidia-smi\"],\"default\":\"auto\"}",
	 "How the facts are read: auto (the CUDA runtime on this host, `parity probe "
	 "gpu` through exec, nvidia-smi when parity is not there) or nvidia-smi "
	 "(always nvidia-smi, through exec when there is one; no fingerprint)."},
	{NULL, false, NULL, NULL},
};

/* Facts that take a matcher, in the order their checks are listed. */
static const char *const pin_fields[] = {
	"name", "compute_capability", "driver", "driver_version", "runtime", "memory_gib", "ecc",
	"count", "multiprocessors", "uuid", "mig", NULL
};
#define N_PIN_FIELDS 11
#define N_VARS 4
_Static_assert(sizeof pin_fields / sizeof pin_fields[0] == N_PIN_FIELDS + 1, "pin_fields");

/* Everything 'same' may name, for suggestions. */
static const char *const same_fields[] = {
	"name", "compute_capability", "driver", "driver_version", "runtime", "memory_gib", "ecc",
	"count", "multiprocessors", "uuid", "mig", "tf32", "fingerprint", "NVIDIA_TF32_OVERRIDE",
	"TORCH_ALLOW_TF32_CUBLAS_OVERRIDE", "CUBLAS_WORKSPACE_CONFIG", "CUDA_VISIBLE_DEVICES", NULL
};

/* What parity lock records: the device's identity and TF32 state. */
static const char *const lock_fields[] = {"name", "compute_capability", "tf32", NULL};

static const char *const tf32_words[] = {"any", "disabled", "enabled", NULL};
/* How the facts are read: auto (the CUDA runtime here, `parity probe gpu`
 * through exec, nvidia-smi without parity there) or nvidia-smi always. */
static const char *const source_words[] = {"auto", "nvidia-smi", NULL};
enum tf32_want { TF32_ANY, TF32_DISABLED, TF32_ENABLED };

struct var_pin {
	const char *name;       /* one of gpu_vars */
	struct matcher *m;      /* NULL: must be unset */
};

struct gpu_step {
	long device;
	bool require;
	struct matcher *pins[N_PIN_FIELDS];
	enum tf32_want tf32;
	bool tf32_given;        /* written in the contract: the lock file's tf32 pin does not apply */
	struct var_pin vars[N_VARS];
	size_t n_vars;
	bool fingerprint;
	bool smi;               /* source: nvidia-smi */
	char **same;            /* fact names, NULL-terminated, or NULL */
};

static int find(const char *const *list, const char *name)
{
	for (int i = 0; list[i]; i++)
		if (!strcmp(list[i], name))
			return i;
	return -1;
}

static void parse_tf32(struct gpu_step *g, const struct node *n, const struct parse_ctx *p)
{
	int w = n->type == NODE_SCALAR && !node_is_null(n) ? find(tf32_words, n->str) : -1;
	if (w >= 0) {
		g->tf32 = (enum tf32_want)w;
		g->tf32_given = true;
		return;
	}
	const char *sug = n->type == NODE_SCALAR ? text_suggest(n->str, tf32_words) : NULL;
	if (sug)
		diag_at(p->d, &n->mark, "'tf32' must be disabled, enabled or any, got '%s' (did you "
			"mean '%s'?)", n->str, sug);
	else if (n->type == NODE_SCALAR && !node_is_null(n))
		diag_at(p->d, &n->mark, "'tf32' must be disabled, enabled or any, got '%s'", n->str);
	else
		diag_at(p->d, &n->mark, "'tf32' must be disabled, enabled or any, got %s",
			node_type_name(n));
}

static void parse_vars(struct gpu_step *g, const struct node *n, const struct parse_ctx *p)
{
	if (check_map(p->d, n, "vars") < 0)
		return;
	for (size_t i = 0; i < node_map_len(n); i++) {
		const struct node *k = node_map_key(n, i), *v = node_map_value(n, i);
		int idx = find(gpu_vars, k->str);
		if (idx < 0) {
			const char *sug = text_suggest(k->str, gpu_vars);
			if (sug)
				diag_at(p->d, &k->mark, "unknown variable '%s' in 'vars' of %s (did you "
					"mean '%s'?)", k->str, p->where, sug);
			else
				diag_at(p->d, &k->mark, "unknown variable '%s' in 'vars' of %s: a gpu step "
					"reads NVIDIA_TF32_OVERRIDE, TORCH_ALLOW_TF32_CUBLAS_OVERRIDE, "
					"CUBLAS_WORKSPACE_CONFIG and CUDA_VISIBLE_DEVICES (check others with "
					"an env step)", k->str, p->where);
			continue;
		}
		if (g->n_vars >= N_VARS)
			continue;
		struct var_pin *vp = &g->vars[g->n_vars++];
		vp->name = gpu_vars[idx];
		if (!node_is_null(v))
			vp->m = kit_matcher(p, v);
	}
}

static void parse_source(struct gpu_step *g, const struct node *n, const struct parse_ctx *p)
{
	int w = n->type == NODE_SCALAR && !node_is_null(n) ? find(source_words, n->str) : -1;
	const char *sug = n->type == NODE_SCALAR && w < 0 ? text_suggest(n->str, source_words) : NULL;
	if (w >= 0)
		g->smi = w == 1;
	else if (sug)
		diag_at(p->d, &n->mark, "'source' must be auto or nvidia-smi, got '%s' (did you mean "
			"'%s'?)", n->str, sug);
	else if (n->type == NODE_SCALAR && !node_is_null(n))
		diag_at(p->d, &n->mark, "'source' must be auto or nvidia-smi, got '%s'", n->str);
	else
		diag_at(p->d, &n->mark, "'source' must be auto or nvidia-smi, got %s", node_type_name(n));
	if (g->smi && g->fingerprint)
		diag_at(p->d, &n->mark, "'fingerprint: true' needs the CUDA runtime, which 'source: "
			"nvidia-smi' does not use: drop one of them");
}

static int parse(struct step *s, const struct parse_ctx *p)
{
	struct gpu_step *g = kit_new(p, sizeof *g);
	const struct node *b = s->body, *n;
	int errors = p->d->errors;
	s->data = g;
	g->require = true;

	if (get_count(p->d, b, "device", &g->device) == 0 && g->device > 4096)
		diag_at(p->d, &node_get(b, "device")->mark, "'device' must be a CUDA device index, "
			"got %ld", g->device);
	get_bool(p->d, b, "require", &g->require);
	get_bool(p->d, b, "fingerprint", &g->fingerprint);
	for (int i = 0; pin_fields[i]; i++) {
		n = node_get(b, pin_fields[i]);
		if (n)
			g->pins[i] = kit_matcher(p, n);
	}
	n = node_get(b, "tf32");
	if (n)
		parse_tf32(g, n, p);
	n = node_get(b, "vars");
	if (n)
		parse_vars(g, n, p);
	n = node_get(b, "source");
	if (n)
		parse_source(g, n, p);
	n = node_get(b, "same");
	if (n && n->type != NODE_SEQ) {
		diag_at(p->d, &n->mark, "'same' must be a list of gpu facts, like [name, "
			"compute_capability, driver], got %s", node_type_name(n));
	} else if (n && kit_list(p, b, "same", false, &g->same, NULL) == 0) {
		for (size_t i = 0; g->same[i]; i++) {
			const char *f = g->same[i];
			const struct mark *at = &n->kids[i]->mark;
			const char *sug = text_suggest(f, same_fields);
			if (!strcmp(f, "fingerprint") && !g->fingerprint)
				diag_at(p->d, at, "'same' names 'fingerprint', but 'fingerprint' is not "
					"true in %s", p->where);
			else if (find(same_fields, f) >= 0)
				continue;
			else if (sug)
				diag_at(p->d, at, "unknown gpu fact '%s' in 'same' (did you mean '%s'?)",
					f, sug);
			else
				diag_at(p->d, at, "unknown gpu fact '%s' in 'same': use name, "
					"compute_capability, driver, driver_version, runtime, memory_gib, ecc, "
					"count, multiprocessors, uuid, mig, tf32, fingerprint or one of the "
					"variables (NVIDIA_TF32_OVERRIDE, ...)", f);
		}
	}
	return p->d->errors == errors ? 0 : -1;
}

/* ---- gathering ---- */

/* nvidia-smi through the environment's transport. */
static int gather_smi(const struct gather_ctx *g, const struct gpu_step *s, json_t **value,
		      char **err)
{
	char *const argv[] = {"/bin/sh", "-c", (char *)(uintptr_t)gpu_smi_script, "parity-gpu", NULL};
	struct env_cmd cmd = {.argv = argv};
	struct proc_result r;

	if (env_run(&g->where, &cmd, g->deadline_ms, &r, err) < 0)
		return -1;
	if (r.timed_out || !r.exited || r.status != 0) {
		*err = r.timed_out ? xasprintf("nvidia-smi timed out after %.1fs (raise the step's "
					       "'timeout')", r.seconds)
			: xasprintf("reading the GPU with nvidia-smi failed (%s %d): %.300s",
				    r.exited ? "exit status" : "signal", r.exited ? r.status : r.signal,
				    r.err.data);
		proc_result_release(&r);
		return -1;
	}
	json_t *f = gpu_from_smi(r.out.data, (int)s->device);
	proc_result_release(&r);
	if (s->fingerprint && json_is_true(json_object_get(f, "available")))
		json_object_set_new(f, "fingerprint", json_pack("{s:s}", "skipped",
			"nvidia-smi cannot run the numeric fingerprint: install parity in the environment "
			"(on its PATH, or set parity_path)"));
	*value = f;
	return 0;
}

/* `parity probe gpu` through the environment's transport; nvidia-smi when
 * no parity_path is set and parity is not on the far side's PATH (127). */
static int gather_remote(const struct gather_ctx *g, const struct gpu_step *s, json_t **value,
			 char **err)
{
	const char *prog = g->env->parity_path ? g->env->parity_path : "parity";
	char dev[24];
	char *argv[7];
	size_t n = 0;
	struct proc_result r;
	int rc = -1;

	snprintf(dev, sizeof dev, "%ld", s->device);
	argv[n++] = (char *)(uintptr_t)prog;
	argv[n++] = "probe";
	argv[n++] = "gpu";
	/* options only when needed, so that an older parity there still answers */
	if (s->device != 0) {
		argv[n++] = "--device";
		argv[n++] = dev;
	}
	if (s->fingerprint)
		argv[n++] = "--fingerprint";
	argv[n] = NULL;
	struct env_cmd cmd = {.argv = argv};
	if (env_run(&g->where, &cmd, g->deadline_ms, &r, err) < 0)
		return -1;
	if (r.timed_out) {
		*err = xasprintf("'%s probe gpu' timed out after %.1fs (raise the step's 'timeout')",
				 prog, r.seconds);
		goto out;
	}
	if (!g->env->parity_path && r.exited && r.status == 127) {
		proc_result_release(&r);
		return gather_smi(g, s, value, err);
	}
	if (!r.exited || r.status != 0) {
		*err = xasprintf("'%s probe gpu' failed (%s %d)%s: %.300s", prog,
				 r.exited ? "exit status" : "signal", r.exited ? r.status : r.signal,
				 r.exited && r.status == 127 ? ", check parity_path" : "", r.err.data);
		goto out;
	}
	json_error_t jerr;
	json_t *f = json_loadb(r.out.data, r.out.len, 0, &jerr);
	if (!json_is_object(f) || !json_is_boolean(json_object_get(f, "available"))) {
		*err = xasprintf("'%s probe gpu' did not print its JSON facts: %.200s", prog,
				 r.out.len ? r.out.data : "(no output)");
		json_decref(f);
		goto out;
	}
	json_object_set_new(f, "source", json_string("parity probe"));
	*value = f;
	rc = 0;
out:
	proc_result_release(&r);
	return rc;
}

static int gather(const struct gather_ctx *g, json_t **value, char **err)
{
	const struct gpu_step *s = g->step->data;
	if (s->smi)
		return gather_smi(g, s, value, err);
	if (g->env->exec)
		return gather_remote(g, s, value, err);
	struct gpu_probe_opts o = {(int)s->device, s->fingerprint, g->deadline_ms};
	*value = gpu_probe(&o);
	return 0;
}

/* ---- evaluation ---- */

/* Environment i has a fact, and a usable device in it. */
static bool available(const struct eval_ctx *e, size_t i)
{
	return json_is_true(json_object_get(eval_value(e, i), "available"));
}

/* The fact's "source" (cudart, parity probe, nvidia-smi), or "?". */
static const char *source_of(const json_t *v)
{
	return fact_str(v, "source") ? fact_str(v, "source") : "?";
}

/* One line about the device: "NVIDIA H100 (compute capability 9.0, 79.10 GiB, ...) via cudart". */
static char *summary(const json_t *v)
{
	struct buf b;
	char *t;
	buf_init(&b);
	buf_printf(&b, "device %lld: %s", (long long)json_integer_value(json_object_get(v, "device")),
		   fact_str(v, "name") ? fact_str(v, "name") : "(no name)");
	static const char *const parts[][3] = {
		{"compute_capability", "compute capability ", ""}, {"memory_gib", "", " GiB"},
		{"driver", "driver CUDA ", ""}, {"runtime", "runtime ", ""}, {"tf32", "TF32 ", ""},
	};
	const char *sep = " (";
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		t = gpu_fact_text(v, parts[i][0]);
		if (!t)
			continue;
		buf_puts(&b, sep);
		buf_printf(&b, "%s%s%s", parts[i][1], t, parts[i][2]);
		sep = ", ";
		free(t);
	}
	if (strcmp(sep, " ("))
		buf_putc(&b, ')');
	buf_printf(&b, " via %s", source_of(v));
	t = buf_detach(&b);
	buf_release(&b);
	return t;
}

static const char *var_value(const json_t *v, const char *name)
{
	return json_string_value(json_object_get(json_object_get(v, "vars"), name));
}

static void eval_tf32(const struct gpu_step *g, struct step_result *r, const char *env,
		      const json_t *v, const char *lock_pin)
{
	const char *state = fact_str(v, "tf32");
	const char *nv = var_value(v, "NVIDIA_TF32_OVERRIDE");
	const char *torch = var_value(v, "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE");
	char *nvs = nv ? xasprintf("NVIDIA_TF32_OVERRIDE=%s", nv) : xstrdup("NVIDIA_TF32_OVERRIDE is unset");
	char *ts = torch ? xasprintf("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=%s", torch)
			 : xstrdup("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE is unset");
	char *msg = NULL;
	const char *want = g->tf32 == TF32_DISABLED ? "disabled" : "enabled";

	if (g->tf32 == TF32_ANY || !state) {
		if (lock_pin && state && !g->tf32_given)
			eval_pin(r, env, "tf32", NULL, lock_pin, state);
		goto out;
	}
	if (!strcmp(state, want))
		msg = g->tf32 == TF32_DISABLED
			? xasprintf("TF32 disabled: %s (and %s)", nvs, ts)
			: xasprintf("TF32 forced on for PyTorch's cuBLAS matmuls: %s (and %s)", ts, nvs);
	else if (!strcmp(state, "conflicting"))
		msg = xasprintf("conflicting TF32 settings: NVIDIA_TF32_OVERRIDE=0 turns TF32 off in "
				"cuBLAS and cuDNN while TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1 asks PyTorch for "
				"it: remove one");
	else if (g->tf32 == TF32_DISABLED)
		msg = !strcmp(state, "enabled")
			? xasprintf("TF32 is not disabled: %s forces it on, and %s (set "
				    "NVIDIA_TF32_OVERRIDE=0)", ts, nvs)
			: xasprintf("TF32 is not disabled: %s, so the frameworks' defaults apply (set "
				    "NVIDIA_TF32_OVERRIDE=0)", nvs);
	else
		msg = !strcmp(state, "disabled")
			? xasprintf("TF32 is disabled: %s", nvs)
			: xasprintf("TF32 is not forced on: %s, so the frameworks' defaults apply (set "
				    "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1)", ts);
	eval_check(r, env, !strcmp(state, want) ? ST_PASS : ST_FAIL, "tf32", want, state, "%s", msg);
out:
	free(msg);
	free(ts);
	free(nvs);
}

static void eval_vars(const struct gpu_step *g, struct step_result *r, const char *env,
		      const json_t *v)
{
	for (size_t i = 0; i < g->n_vars; i++) {
		const struct var_pin *vp = &g->vars[i];
		const char *val = var_value(v, vp->name);
		if (!vp->m && val) {
			eval_check(r, env, ST_FAIL, vp->name, "(unset)", val,
				   "%s is set to '%s', pinned unset", vp->name, val);
		} else if (!vp->m) {
			eval_check(r, env, ST_PASS, vp->name, "(unset)", "(unset)",
				   "%s is unset, as pinned", vp->name);
		} else if (!val) {
			char *desc = matcher_describe(vp->m);
			eval_check(r, env, ST_FAIL, vp->name, desc, "(unset)", "%s is unset, pinned %s",
				   vp->name, desc);
			free(desc);
		} else {
			eval_pin(r, env, vp->name, vp->m, NULL, val);
		}
	}
}

/* "1.2e-07", or "not finite" for a result with NaN or infinities (null in the fact). */
static char *error_text(const json_t *x)
{
	return json_is_number(x) ? xasprintf("%.3g", json_number_value(x)) : xstrdup("not finite");
}

static void eval_fingerprint(struct step_result *r, const char *env, const json_t *v,
			     const char *lock_pin)
{
	const json_t *fp = json_object_get(v, "fingerprint");
	if (!json_is_object(fp)) {
		eval_check(r, env, ST_SKIP, "fingerprint", NULL, NULL, "no fingerprint from %s (source "
			   "%s: an older parity there?)", env, source_of(v));
		return;
	}
	if (fact_str(fp, "skipped")) {
		eval_check(r, env, ST_SKIP, "fingerprint", NULL, NULL, "fingerprint skipped: %s",
			   fact_str(fp, "skipped"));
		return;
	}
	if (fact_str(fp, "error") || !fact_str(fp, "sha256")) {
		eval_check(r, env, ST_ERROR, "fingerprint", NULL, NULL, "the fingerprint could not run: %s",
			   fact_str(fp, "error") ? fact_str(fp, "error") : "no result");
		return;
	}
	const char *hex = fact_str(fp, "sha256");
	const json_t *e32 = json_object_get(fp, "max_rel_error");
	const json_t *etf = json_object_get(fp, "tf32_max_rel_error");
	if (json_is_number(e32))
		result_metric(r, env, "fingerprint_max_rel_error", json_real(json_number_value(e32)));
	if (json_is_number(etf))
		result_metric(r, env, "fingerprint_tf32_max_rel_error", json_real(json_number_value(etf)));
	if (lock_pin) {
		eval_pin(r, env, "fingerprint", NULL, lock_pin, hex);
	} else {
		char *a = error_text(e32), *b = error_text(etf);
		eval_check(r, env, ST_PASS, "fingerprint", NULL, hex, "sha256 %.12s… of a %dx%d by "
			   "%dx%d float32 product: max relative error %s, %s with TF32 math allowed "
			   "(TF32 %s)", hex, GPU_FP_M, GPU_FP_K, GPU_FP_K, GPU_FP_N, a, b,
			   json_is_true(json_object_get(fp, "tf32_used")) ? "in effect" : "not in effect");
		free(b);
		free(a);
	}
	bool det = json_is_true(json_object_get(fp, "deterministic"));
	eval_check(r, env, det ? ST_PASS : ST_FAIL, "fingerprint deterministic", "identical",
		   det ? "identical" : "different", "%s", det
		   ? "3 runs of the same product gave identical bits"
		   : "3 runs of the same product gave different bits: cuBLAS is not deterministic here");
}

/* "a1b2c3d4e5f6… (max relative error 1.2e-07, TF32 4.1e-04)" */
static char *fp_brief(const json_t *v)
{
	const json_t *fp = json_object_get(v, "fingerprint");
	char *a = error_text(json_object_get(fp, "max_rel_error"));
	char *b = error_text(json_object_get(fp, "tf32_max_rel_error"));
	char *s = xasprintf("%.12s… (max relative error %s, TF32 %s)", fact_str(fp, "sha256"), a, b);
	free(b);
	free(a);
	return s;
}

static void same_fingerprint(const struct eval_ctx *e, struct step_result *r, size_t i)
{
	const char *base = eval_env_name(e, (size_t)e->baseline), *env = eval_env_name(e, i);
	const json_t *bv = eval_value(e, (size_t)e->baseline), *v = eval_value(e, i);
	const char *bh = fact_str(json_object_get(bv, "fingerprint"), "sha256");
	const char *h = fact_str(json_object_get(v, "fingerprint"), "sha256");
	char *what = xasprintf("same fingerprint as %s", base);
	if (!bh || !h) {
		eval_check(r, env, ST_SKIP, what, bh, h, "no fingerprint in %s to compare",
			   !h ? env : base);
	} else if (!strcmp(bh, h)) {
		eval_check(r, env, ST_PASS, what, bh, h, "fingerprint equals %s's: identical result "
			   "bits", base);
	} else {
		char *a = fp_brief(bv), *b = fp_brief(v);
		struct check *k = eval_check(r, env, ST_FAIL, what, bh, h, "fingerprint differs from "
					     "%s's: %s %s, %s %s", base, base, a, env, b);
		char *detail = xasprintf("the same seeded float32 matrix product gave different bits:\n"
					 "  %s: %s\n  %s: %s\ndifferent GPUs, drivers or cuBLAS versions "
					 "pick different kernels", base, a, env, b);
		result_check_detail(k, detail);
		free(detail);
		free(b);
		free(a);
	}
	free(what);
}

/* A fact as text for a same check; variables read from "vars", unset as NULL. */
static char *same_text(const json_t *v, const char *field)
{
	if (find(gpu_vars, field) >= 0) {
		const char *s = var_value(v, field);
		return s ? xstrdup(s) : NULL;
	}
	return gpu_fact_text(v, field);
}

static void same_field(const struct eval_ctx *e, struct step_result *r, size_t i, const char *f)
{
	const char *base = eval_env_name(e, (size_t)e->baseline), *env = eval_env_name(e, i);
	const json_t *bv = eval_value(e, (size_t)e->baseline), *v = eval_value(e, i);
	bool var = find(gpu_vars, f) >= 0;
	char *a = same_text(bv, f), *b = same_text(v, f);
	char *what = xasprintf("same %s as %s", f, base);
	const char *want = a ? a : var ? "(unset)" : NULL, *got = b ? b : var ? "(unset)" : NULL;
	if (var || (a && b)) {
		bool eq = (!a && !b) || (a && b && !strcmp(a, b));
		eval_check(r, env, eq ? ST_PASS : ST_FAIL, what, want, got, "%s %s %s's", f,
			   eq ? "equals" : "differs from", base);
	} else if (!a && !b) {
		eval_check(r, env, ST_PASS, what, want, got, "no %s in either environment", f);
	} else {
		eval_check(r, env, ST_ERROR, what, want, got, "cannot compare %s: %s's source (%s) "
			   "does not report it", f, !a ? base : env, source_of(!a ? bv : v));
	}
	free(what);
	free(b);
	free(a);
}

/* The matchers of pin_fields (or the lock file's pins) against the device's facts. */
static void eval_pins(const struct gpu_step *g, struct step_result *r, const char *env,
		      const json_t *v, const json_t *lock)
{
	for (int k = 0; pin_fields[k]; k++) {
		const char *lock_pin = fact_str(lock, pin_fields[k]);
		if (!g->pins[k] && !lock_pin)
			continue;
		char *text = gpu_fact_text(v, pin_fields[k]);
		if (text) {
			eval_pin(r, env, pin_fields[k], g->pins[k], lock_pin, text);
		} else {
			char *desc = g->pins[k] ? matcher_describe(g->pins[k]) : xstrdup(lock_pin);
			eval_check(r, env, ST_ERROR, pin_fields[k], desc, NULL, "cannot check %s: %s does "
				   "not report it%s", pin_fields[k], source_of(v),
				   !strcmp(source_of(v), "nvidia-smi") ? " (install parity there, or set "
				   "parity_path, to probe the CUDA runtime)" : "");
			free(desc);
		}
		free(text);
	}
}

/* The checks of one environment's fact. */
static void eval_env(const struct eval_ctx *e, const struct gpu_step *g, size_t i,
		     struct step_result *r)
{
	const char *env = eval_env_name(e, i);
	const json_t *v = eval_value(e, i);
	if (!available(e, i)) {
		const char *reason = fact_str(v, "reason") ? fact_str(v, "reason") : "no GPU";
		const char *problem = fact_str(v, "problem") ? fact_str(v, "problem") : "unavailable";
		if (g->require)
			eval_check(r, env, ST_FAIL, "gpu", "a CUDA device", problem,
				   "no usable GPU in %s: %s", env, reason);
		else
			eval_check(r, env, ST_SKIP, "gpu", "a CUDA device", problem,
				   "skipped (require: false): %s", reason);
		return;
	}
	char *line = summary(v);
	eval_check(r, env, ST_PASS, "gpu", NULL, fact_str(v, "name"), "%s", line);
	free(line);
	eval_pins(g, r, env, v, e->lock);
	eval_tf32(g, r, env, v, fact_str(e->lock, "tf32"));
	eval_vars(g, r, env, v);
	if (g->fingerprint)
		eval_fingerprint(r, env, v, fact_str(e->lock, "fingerprint"));
}

static void evaluate(const struct eval_ctx *e, struct step_result *r)
{
	const struct gpu_step *g = e->step->data;

	EVAL_ENVS(e, i)
		eval_env(e, g, i, r);
	bool any_same = g->fingerprint || (g->same && g->same[0]);
	if (e->baseline < 0 || !any_same)
		return;
	const char *base = eval_env_name(e, (size_t)e->baseline);
	EVAL_OTHERS(e, i) {
		if (!available(e, i))
			continue;
		if (!available(e, (size_t)e->baseline)) {
			char *what = xasprintf("same as %s", base);
			eval_check(r, eval_env_name(e, i), ST_SKIP, what, NULL, NULL,
				   "%s has no usable GPU: nothing to compare with", base);
			free(what);
			continue;
		}
		for (size_t k = 0; g->same && g->same[k]; k++)
			if (strcmp(g->same[k], "fingerprint"))
				same_field(e, r, i, g->same[k]);
		if (g->fingerprint)
			same_fingerprint(e, r, i);
	}
}

static json_t *lock(const struct step *s, const json_t *value)
{
	const struct gpu_step *g = s->data;
	if (!json_is_true(json_object_get(value, "available")))
		return NULL;
	json_t *pins = json_object();
	for (size_t i = 0; lock_fields[i]; i++) {
		const char *v = fact_str(value, lock_fields[i]);
		if (v)
			json_object_set_new(pins, lock_fields[i], json_string(v));
	}
	const char *fp = fact_str(json_object_get(value, "fingerprint"), "sha256");
	if (g->fingerprint && fp)
		json_object_set_new(pins, "fingerprint", json_string(fp));
	return pins;
}

const struct step_kind gpu_kind = {
	.name = "gpu",
	.summary = "Check the GPU, its driver, the CUDA runtime and the TF32 settings "
		   "(stage hardware). On this host the CUDA runtime is loaded at run "
		   "time (PARITY_CUDART, CUDA_HOME, the loader's path); through exec, "
		   "`parity probe gpu` runs there (parity_path or PATH), else "
		   "nvidia-smi.",
	.default_stage = STAGE_HARDWARE,
	.keys = kind_keys,
	.parse = parse,
	.gather = gather,
	.evaluate = evaluate,
	.lock = lock,
};
