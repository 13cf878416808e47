/* compare: the fixed contract, its lock file and two captured facts files
 * (made with `parity lock` and `parity capture` against local stand-ins for
 * every step, then compacted; b's gpu fact is nvidia-smi's H100 answer), and
 * the evaluation `parity compare` does with them. */
#include "compare.h"
#include "engine/engine.h"
#include "report/report.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char contract_text[] =
	"parity: 1\n"
	"name: fuzz-facts\n"
	"baseline: a\n"
	"lock: " COMPARE_LOCK_NAME "\n"
	"environments:\n"
	"  a: {exec: [env, PRECISION=fp32, PYTHONHASHSEED=0, NVIDIA_TF32_OVERRIDE=0, PYTHONPATH=sa],\n"
	"      url: \"http://127.0.0.1:9\"}\n"
	"  b: {exec: [env, PRECISION=fp16, PYTHONHASHSEED=1, PYTHONPATH=sb], url: \"http://127.0.0.1:9\"}\n"
	"steps:\n"
	"  - {id: model, artifact: {path: m.bin}}\n"
	"  - id: release\n"
	"    command: {run: [cat, release.txt], capture: \"version=(\\\\S+)\", expect: {regex: \"^1\\\\.\"},\n"
	"              same: true}\n"
	"  - id: numpy\n"
	"    version: {python: numpy, interpreter: [python3, -S], expect: {version: \">=1.26,<2\"}}\n"
	"  - id: stack\n"
	"    packages: {from: pip, interpreter: [python3, -S], pins: {numpy: \">=1.26\"}, same: all}\n"
	"  - {id: seed, env: {vars: {NVIDIA_TF32_OVERRIDE: \"0\"}, same: [PYTHONHASHSEED]}}\n"
	"  - {id: gpu, gpu: {require: false, name: {regex: H100}, tf32: disabled, same: [name, driver]}}\n"
	"  - id: health\n"
	"    http:\n"
	"      request: {path: /health}\n"
	"      status: 200\n"
	"      json: {/status: ok, /model/version: {regex: \"^1\\\\.\"}}\n"
	"      latency: {requests: 3, p95_ms: 250}\n"
	"  - id: features\n"
	"    preprocess: {run: [python3, scale.py], input: golden.csv, output: csv,\n"
	"                 tolerance: {max_abs_diff: 1e-9}}\n"
	"  - id: scores\n"
	"    inference:\n"
	"      inputs: golden.csv\n"
	"      command: {run: [python3, scorer.py], output: csv}\n"
	"      tolerance: {max_abs_diff: 1e-4, mean_abs_diff: 1e-5, allclose: {rtol: 1e-5, atol: 1e-8},\n"
	"                  argmax_agreement: 0.999, max_disagreements: 1}\n"
	"  - id: remote\n"
	"    inference:\n"
	"      inputs: golden.csv\n"
	"      http: {path: /predict, body: '{\"x\": ${row}}', output: /y}\n"
	"      tolerance: {max_abs_diff: 1e-4}\n"
	"  - id: decisions\n"
	"    postprocess: {from: scores, score: {softmax: 0}, threshold: 0.5, max_flips: 0, near: 0.001}\n"
	"  - id: traffic\n"
	"    drift: {reference: {path: reference.csv, field: amount}, sample: traffic.csv,\n"
	"            psi: {bins: 3, max: 0.2}, ks: {max: 0.1}, mmd: {max: 0.05}}\n";

const char compare_lock_text[] =
	"parity-lock: 1\n"
	"contract: \"ab1e80ad984cbda7240234f11daa19b92a548a0e72481af20cf59d5771e8eb83\"\n"
	"environment: \"a\"\n"
	"steps:\n"
	"  model:\n"
	"    \"sha256\": \"2d27fbdf4e8ca207afbfa388ca9172fbcc6c70e534af2476b3b704f87debadcf\"\n"
	"  release:\n"
	"    \"value\": \"1.4.2\"\n"
	"  numpy:\n"
	"    \"version\": \"1.26.4\"\n"
	"  stack:\n"
	"    \"numpy\": \"1.26.4\"\n"
	"  seed:\n"
	"    \"PYTHONHASHSEED\": \"0\"\n";

static const char facts_a[] =
	"{\"parity\":1,\"type\":\"facts\",\"contract\":{\"name\":\"fuzz-facts\",\"path\":\"contra"
	"ct.yaml\",\"sha256\":\"ab1e80ad984cbda7240234f11daa19b92a548a0e72481af20cf59d5771e8eb83\""
	"},\"runner\":{\"version\":\"0.1.0\"},\"environment\":\"a\",\"captured_at\":\"2026-12-04T"
	"18:46:21Z\",\"host\":{\"hostname\":\"h\",\"os\":\"Debian\",\"arch\":\"x86_64\",\"cpus\":"
	"2},\"steps\":{\"model\":{\"kind\":\"artifact\",\"status\":\"ok\",\"value\":{\"path\":\"m"
	".bin\",\"type\":\"file\",\"bytes\":3,\"exists\":true,\"sha256\":\"2d27fbdf4e8ca207afbfa3"
	"88ca9172fbcc6c70e534af2476b3b704f87debadcf\"},\"seconds\":0.006,\"attempts\":1},\"releas"
	"e\":{\"kind\":\"command\",\"status\":\"ok\",\"value\":{\"exit\":0,\"signal\":null,\"stdo"
	"ut\":\"version=1.4.2\\n\",\"stderr\":\"\",\"stdout_truncated\":false,\"stderr_truncated\""
	":false,\"value\":\"1.4.2\"},\"seconds\":0.005,\"attempts\":1},\"numpy\":{\"kind\":\"vers"
	"ion\",\"status\":\"ok\",\"value\":{\"source\":\"python\",\"name\":\"numpy\",\"installed\""
	":true,\"version\":\"1.26.4\"},\"seconds\":0.136,\"attempts\":1},\"stack\":{\"kind\":\"pa"
	"ckages\",\"status\":\"ok\",\"value\":{\"from\":\"pip\",\"packages\":{\"numpy\":[\"numpy\""
	",\"1.26.4\"],\"scipy\":[\"scipy\",\"1.11.4\"]}},\"seconds\":0.13,\"attempts\":1},\"seed\""
	":{\"kind\":\"env\",\"status\":\"ok\",\"value\":{\"vars\":{\"PYTHONHASHSEED\":\"0\",\"NVI"
	"DIA_TF32_OVERRIDE\":\"0\"}},\"seconds\":0.002,\"attempts\":1},\"gpu\":{\"kind\":\"gpu\","
	"\"status\":\"ok\",\"value\":{\"available\":false,\"source\":\"nvidia-smi\",\"vars\":{\"N"
	"VIDIA_TF32_OVERRIDE\":\"0\",\"TORCH_ALLOW_TF32_CUBLAS_OVERRIDE\":null,\"CUBLAS_WORKSPACE"
	"_CONFIG\":null,\"CUDA_VISIBLE_DEVICES\":null},\"tf32\":\"disabled\",\"problem\":\"no-nvi"
	"dia-smi\",\"reason\":\"no nvidia-smi\"},\"seconds\":0.005,\"attempts\":1},\"health\":{\""
	"kind\":\"http\",\"status\":\"ok\",\"value\":{\"status\":200,\"body\":\"{\\\"status\\\": "
	"\\\"ok\\\", \\\"model\\\": {\\\"version\\\": \\\"1.4.2\\\"}}\",\"body_bytes\":47,\"body_"
	"truncated\":false,\"content_type\":\"application/json\",\"seconds\":0.001145,\"json\":{\""
	"status\":\"ok\",\"model\":{\"version\":\"1.4.2\"}},\"latency\":{\"requests\":3,\"p50_ms\""
	":0.373,\"p95_ms\":0.783,\"p99_ms\":0.783}},\"seconds\":0.003,\"attempts\":1},\"features\""
	":{\"kind\":\"preprocess\",\"status\":\"ok\",\"value\":{\"sha256\":\"f8ba646ae8d6ce086878"
	"6bcbffe85c72103fe688c1082c8d7bc5dff39d7a9419\",\"bytes\":75,\"outputs\":[[-1.0,3.525],[-"
	"0.25,2.45],[0.55,4.0125],[-1.4,2.55]]},\"seconds\":0.114,\"attempts\":1},\"scores\":{\"k"
	"ind\":\"inference\",\"status\":\"ok\",\"value\":{\"rows\":4,\"outputs\":[[0.3,0.6025,-0."
	"6],[0.45,0.495,-0.9],[0.61,0.65125,-1.22],[0.22,0.505,-0.44]]},\"seconds\":0.124,\"attem"
	"pts\":1},\"remote\":{\"kind\":\"inference\",\"status\":\"ok\",\"value\":{\"rows\":4,\"ou"
	"tputs\":[[0.3,-1.205],[0.45,-0.99],[0.61,-1.3025],[0.22,-1.01]],\"requests\":4,\"retries"
	"\":0,\"http_version\":\"1.0\",\"rows_per_second\":1604.608435398777},\"seconds\":0.003,\""
	"attempts\":1},\"decisions\":{\"kind\":\"postprocess\",\"status\":\"ok\",\"value\":{},\"s"
	"econds\":0.0,\"attempts\":1},\"traffic\":{\"kind\":\"drift\",\"status\":\"ok\",\"value\""
	":{\"reference\":[100.0,101.5,99.0,98.25,102.0],\"sample\":[130.0,128.5,131.0,127.0,99.0]"
	"},\"seconds\":0.0,\"attempts\":1}}}";

static const char facts_b[] =
	"{\"parity\":1,\"type\":\"facts\",\"contract\":{\"name\":\"fuzz-facts\",\"path\":\"contra"
	"ct.yaml\",\"sha256\":\"ab1e80ad984cbda7240234f11daa19b92a548a0e72481af20cf59d5771e8eb83\""
	"},\"runner\":{\"version\":\"0.1.0\"},\"environment\":\"b\",\"captured_at\":\"2026-12-04T"
	"18:46:21Z\",\"host\":{\"hostname\":\"h\",\"os\":\"Debian\",\"arch\":\"x86_64\",\"cpus\":"
	"2},\"steps\":{\"model\":{\"kind\":\"artifact\",\"status\":\"ok\",\"value\":{\"path\":\"m"
	".bin\",\"type\":\"file\",\"bytes\":3,\"exists\":true,\"sha256\":\"2d27fbdf4e8ca207afbfa3"
	"88ca9172fbcc6c70e534af2476b3b704f87debadcf\"},\"seconds\":0.004,\"attempts\":1},\"releas"
	"e\":{\"kind\":\"command\",\"status\":\"ok\",\"value\":{\"exit\":0,\"signal\":null,\"stdo"
	"ut\":\"version=1.4.2\\n\",\"stderr\":\"\",\"stdout_truncated\":false,\"stderr_truncated\""
	":false,\"value\":\"1.4.2\"},\"seconds\":0.003,\"attempts\":1},\"numpy\":{\"kind\":\"vers"
	"ion\",\"status\":\"ok\",\"value\":{\"source\":\"python\",\"name\":\"numpy\",\"installed\""
	":true,\"version\":\"1.26.4\"},\"seconds\":0.119,\"attempts\":1},\"stack\":{\"kind\":\"pa"
	"ckages\",\"status\":\"ok\",\"value\":{\"from\":\"pip\",\"packages\":{\"numpy\":[\"numpy\""
	",\"1.26.4\"],\"scipy\":[\"scipy\",\"1.12.0\"]}},\"seconds\":0.111,\"attempts\":1},\"seed"
	"\":{\"kind\":\"env\",\"status\":\"ok\",\"value\":{\"vars\":{\"PYTHONHASHSEED\":\"1\"}},\""
	"seconds\":0.002,\"attempts\":1},\"gpu\":{\"kind\":\"gpu\",\"status\":\"ok\",\"value\":{\""
	"available\":true,\"source\":\"nvidia-smi\",\"count\":1,\"device\":0,\"name\":\"NVIDIA H1"
	"00 80GB HBM3\",\"compute_capability\":\"9.0\",\"memory_gib\":79.65,\"memory_bytes\":8552"
	"0809984,\"ecc\":true,\"uuid\":\"GPU-0b6f3a2c-1d4e-4f5a-8b9c-0d1e2f3a4b5c\",\"mig\":\"dis"
	"abled\",\"driver\":\"12.4\",\"driver_version\":\"550.54.15\",\"runtime\":null,\"vars\":{"
	"\"NVIDIA_TF32_OVERRIDE\":\"0\",\"TORCH_ALLOW_TF32_CUBLAS_OVERRIDE\":null,\"CUBLAS_WORKSP"
	"ACE_CONFIG\":null,\"CUDA_VISIBLE_DEVICES\":null},\"tf32\":\"disabled\"},\"seconds\":0.00"
	"3,\"attempts\":1},\"health\":{\"kind\":\"http\",\"status\":\"ok\",\"value\":{\"status\":"
	"200,\"body\":\"{\\\"status\\\": \\\"ok\\\", \\\"model\\\": {\\\"version\\\": \\\"1.4.2\\\""
	"}}\",\"body_bytes\":47,\"body_truncated\":false,\"content_type\":\"application/json\",\""
	"seconds\":0.000682,\"json\":{\"status\":\"ok\",\"model\":{\"version\":\"1.4.2\"}},\"late"
	"ncy\":{\"requests\":3,\"p50_ms\":0.438,\"p95_ms\":0.617,\"p99_ms\":0.617}},\"seconds\":0"
	".003,\"attempts\":1},\"features\":{\"kind\":\"preprocess\",\"status\":\"ok\",\"value\":{"
	"\"sha256\":\"f8ba646ae8d6ce0868786bcbffe85c72103fe688c1082c8d7bc5dff39d7a9419\",\"bytes\""
	":75,\"outputs\":[[-1.0,3.525],[-0.25,2.45],[0.55,4.0125],[-1.4,2.55]]},\"seconds\":0.099"
	",\"attempts\":1},\"scores\":{\"kind\":\"inference\",\"status\":\"ok\",\"value\":{\"rows\""
	":4,\"outputs\":[[0.300048828,0.602539062,-0.600097656],[0.449951172,0.495117188,-0.89990"
	"2344],[0.609863281,0.651367188,-1.21972656],[0.219970703,0.504882812,-0.439941406]]},\"s"
	"econds\":0.099,\"attempts\":1},\"remote\":{\"kind\":\"inference\",\"status\":\"ok\",\"va"
	"lue\":{\"rows\":4,\"outputs\":[[0.3,-1.205],[0.45,-0.99],[0.61,-1.3025],[0.22,-1.01]],\""
	"requests\":4,\"retries\":0,\"http_version\":\"1.0\",\"rows_per_second\":1829.97601357947"
	"59},\"seconds\":0.002,\"attempts\":1},\"decisions\":{\"kind\":\"postprocess\",\"status\""
	":\"ok\",\"value\":{},\"seconds\":0.0,\"attempts\":1},\"traffic\":{\"kind\":\"drift\",\"s"
	"tatus\":\"ok\",\"value\":{\"reference\":[100.0,101.5,99.0,98.25,102.0],\"sample\":[130.0"
	",128.5,131.0,127.0,99.0]},\"seconds\":0.0,\"attempts\":1}}}";

char *compare_write_contract(const char *dir)
{
	char *path = xasprintf("%s/contract.yaml", dir);
	FILE *f = fopen(path, "w");

	if (!f || fputs(contract_text, f) < 0 || fclose(f) != 0) {
		perror(path);
		abort();
	}
	return path;
}

json_t *compare_facts(int env)
{
	static json_t *steps[2];

	if (!steps[env]) {
		json_error_t je;
		json_t *doc = json_loads(env ? facts_b : facts_a, 0, &je);
		if (!doc) {
			fprintf(stderr, "compare: facts of %c: %s\n", env ? 'b' : 'a', je.text);
			abort();
		}
		steps[env] = json_incref(json_object_get(doc, "steps"));
		json_decref(doc);
	}
	return steps[env];
}

static void render_all(const struct run_result *r)
{
	static FILE *devnull;
	const struct report_opts o = {true, true};
	const char *const *names = reporter_names();

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	for (size_t i = 0; names[i]; i++)
		reporter_find(names[i])->render(r, devnull, &o);
}

void compare_evaluate(const struct contract *c, json_t *steps_a, json_t *steps_b)
{
	json_t *steps[2] = {steps_a, steps_b};
	struct run_result r;
	struct plan p;

	plan_init(&p, c, NULL, NULL);
	for (size_t e = 0; e < c->n_envs && e < 2; e++) {
		p.env_facts[e] = json_incref(steps[e]);
		p.env_facts_path[e] = xstrdup(e ? "b.facts.json" : "a.facts.json");
		p.env_host[e] = json_object();
	}
	engine_gather(&p);
	result_init(&r);
	engine_evaluate(&p, &r);
	r.command = xstrdup("compare");
	render_all(&r);
	result_release(&r);
	plan_release(&p);
}
