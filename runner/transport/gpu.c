/* gpu: device facts through the CUDA runtime's attribute queries (never
 * through cudaDeviceProp's layout beyond its leading name and uuid, which
 * are stable), the nvidia-smi fallback's parser, the TF32 state, and the
 * numeric fingerprint: a seeded float32 matrix product through cuBLAS,
 * hashed, and measured against a float64 reference computed here. */
#include "transport/gpu.h"
#include "transport/cuda.h"
#include "transport/process.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const gpu_vars[] = {
	"NVIDIA_TF32_OVERRIDE", "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE", "CUBLAS_WORKSPACE_CONFIG",
	"CUDA_VISIBLE_DEVICES", NULL
};

/* cudaDeviceProp is about 1 KiB in CUDA 11 to 13; the buffer leaves room for
 * growth. Only name[256] at offset 0 and the uuid at 256 are read. */
#define PROP_BUF 16384
#define PROP_UUID_OFF 256

void gpu_cuda_version(int v, char out[16])
{
	if (v <= 0) {
		out[0] = '\0';
		return;
	}
	snprintf(out, 16, "%d.%d", v / 1000, (v % 1000) / 10);
}

float gpu_tf32_round(float x)
{
	uint32_t bits;
	memcpy(&bits, &x, sizeof bits);
	if ((bits & 0x7f800000u) == 0x7f800000u)
		return x;       /* NaN or an infinity */
	bits += 0x1000u;        /* half a TF32 ulp, on the magnitude: ties away from zero */
	bits &= 0xffffe000u;
	memcpy(&x, &bits, sizeof x);
	return x;
}

void gpu_uuid_format(const unsigned char b[16], char out[41])
{
	bool zero = true;
	for (int i = 0; i < 16; i++)
		zero = zero && b[i] == 0;
	if (zero) {
		out[0] = '\0';
		return;
	}
	snprintf(out, 41, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

const char *gpu_tf32_state(const char *nvidia_override, const char *torch_override)
{
	bool off = nvidia_override && !strcmp(nvidia_override, "0");
	bool on = torch_override && !strcmp(torch_override, "1");
	if (off && on)
		return "conflicting";
	if (off)
		return "disabled";
	if (on)
		return "enabled";
	return "default";
}

void gpu_set_tf32(json_t *fact)
{
	const json_t *vars = json_object_get(fact, "vars");
	const char *nv = json_string_value(json_object_get(vars, "NVIDIA_TF32_OVERRIDE"));
	const char *torch = json_string_value(json_object_get(vars, "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE"));
	json_object_set_new(fact, "tf32", json_string(gpu_tf32_state(nv, torch)));
}

char *gpu_fact_text(const json_t *fact, const char *key)
{
	const json_t *v = json_object_get(fact, key);
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return xasprintf("%.2f", json_real_value(v));
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "true" : "false");
	return NULL;
}

/* A finite number, or null (JSON has no NaN). */
static json_t *json_num(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

static json_t *local_vars(void)
{
	json_t *vars = json_object();
	for (size_t i = 0; gpu_vars[i]; i++) {
		const char *v = getenv(gpu_vars[i]);
		json_object_set_new(vars, gpu_vars[i], v ? json_string(v) : json_null());
	}
	return vars;
}

static json_t *unavailable(json_t *f, const char *problem, const char *reason)
{
	json_object_set_new(f, "available", json_false());
	json_object_set_new(f, "problem", json_string(problem));
	json_object_set_new(f, "reason", json_string(reason));
	return f;
}

/* "550.54.15" from /proc/driver/nvidia/version ("NVRM version: NVIDIA UNIX
 * x86_64 Kernel Module  550.54.15  Tue Mar ..."), or NULL. */
static char *kernel_driver_version(void)
{
	FILE *f = fopen("/proc/driver/nvidia/version", "r");
	char line[512];
	char *r = NULL;
	if (!f)
		return NULL;
	if (fgets(line, sizeof line, f)) {
		const char *p = strstr(line, "Kernel Module");
		if (p) {
			p += strlen("Kernel Module");
			p += strspn(p, " \t");
			size_t n = strcspn(p, " \t\n");
			if (n)
				r = xstrndup(p, n);
		}
	}
	fclose(f);
	return r;
}

/* "enabled"/"disabled" from nvidia-smi's "Enabled"/"Disabled"; NULL for "[N/A]". */
static const char *mode_word(const char *s)
{
	if (!strncmp(s, "Enabled", 7))
		return "enabled";
	if (!strncmp(s, "Disabled", 8))
		return "disabled";
	return NULL;
}

/* Sets "mig" from lines "GPU-uuid, Enabled" whose uuid is the fact's. */
static void mig_from_lines(json_t *f, const char *text, const char *line_prefix)
{
	const char *uuid = json_string_value(json_object_get(f, "uuid"));
	const char *mode = NULL;
	size_t plen = strlen(line_prefix);
	for (const char *p = text; uuid && *p && !mode;) {
		size_t n = strcspn(p, "\n");
		if (!strncmp(p, line_prefix, plen) && n > plen) {
			const char *u = p + plen;
			const char *comma = memchr(u, ',', n - plen);
			if (comma && (size_t)(comma - u) == strlen(uuid) && !strncmp(u, uuid, strlen(uuid))) {
				const char *m = comma + 1 + strspn(comma + 1, " ");
				mode = mode_word(m);
				if (!mode)
					mode = "";
			}
		}
		p += n + (p[n] == '\n');
	}
	json_object_set_new(f, "mig", mode && *mode ? json_string(mode) : json_null());
}

/* MIG mode through nvidia-smi on this host, when it is there. */
static void local_mig(json_t *f, int64_t deadline_ms)
{
	char *const argv[] = {"nvidia-smi", "--query-gpu=uuid,mig.mode.current",
			      "--format=csv,noheader", NULL};
	struct proc_spec spec = {0};
	struct proc_result r;
	char *err = NULL;
	spec.argv = argv;
	spec.deadline_ms = deadline_ms;
	spec.cap = 1 << 20;
	if (!json_string_value(json_object_get(f, "uuid")) || proc_run(&spec, &r, &err) < 0) {
		free(err);
		json_object_set_new(f, "mig", json_null());
		return;
	}
	if (r.exited && r.status == 0)
		mig_from_lines(f, r.out.data, "");
	else
		json_object_set_new(f, "mig", json_null());
	proc_result_release(&r);
}

/* ---- the numeric fingerprint ---- */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* n values in [-1, 1) with 24 significant bits, so that TF32's 11 show. */
static void fill(float *x, size_t n, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (float)((double)(splitmix64(seed) >> 40) / 8388608.0 - 1.0);
}

/* ref = a*b in float64 (column-major, a M x K, b K x N), and mag = |a|*|b|,
 * the scale of the usual error bound; with tf32, of a and b rounded to TF32. */
static void reference(const float *a, const float *b, double *ref, double *mag, bool tf32)
{
	for (int j = 0; j < GPU_FP_N; j++)
		for (int i = 0; i < GPU_FP_M; i++) {
			double s = 0, m = 0;
			for (int l = 0; l < GPU_FP_K; l++) {
				double x = a[i + l * GPU_FP_M], y = b[l + j * GPU_FP_K];
				if (tf32) {
					x = gpu_tf32_round((float)x);
					y = gpu_tf32_round((float)y);
				}
				s += x * y;
				m += fabs(x * y);
			}
			ref[i + j * GPU_FP_M] = s;
			if (mag)
				mag[i + j * GPU_FP_M] = m;
		}
}

/* max over elements of |c - ref| / (|a|*|b|): a relative error that stays
 * meaningful where the exact result is near zero. */
static double max_rel_error(const float *c, const double *ref, const double *mag, size_t n)
{
	double worst = 0;
	for (size_t i = 0; i < n; i++) {
		double e = mag[i] > 0 ? fabs((double)c[i] - ref[i]) / mag[i] : fabs((double)c[i] - ref[i]);
		if (isnan(e))
			return NAN;
		worst = e > worst ? e : worst;
	}
	return worst;
}

struct fp_run {
	const struct cuda_rt *rt;
	const struct cuda_blas *bl;
	void *handle;
	float *da, *db, *dc;
	char *err;
};

/* One sgemm in math mode into host c; 0 or -1 with run->err. */
static int sgemm(struct fp_run *r, int mode, float *c)
{
	const float one = 1.0f, zero = 0.0f;
	char sbuf[32];
	int st = r->bl->set_math_mode(r->handle, mode);
	if (st != 0) {
		r->err = xasprintf("cublasSetMathMode(%d) failed: %s", mode,
				   cuda_blas_status(st, sbuf, sizeof sbuf));
		return -1;
	}
	st = r->bl->sgemm(r->handle, 0, 0, GPU_FP_M, GPU_FP_N, GPU_FP_K, &one, r->da, GPU_FP_M,
			  r->db, GPU_FP_K, &zero, r->dc, GPU_FP_M);
	if (st != 0) {
		r->err = xasprintf("cublasSgemm failed: %s", cuda_blas_status(st, sbuf, sizeof sbuf));
		return -1;
	}
	int e = r->rt->memcpy(c, r->dc, sizeof(float) * GPU_FP_M * GPU_FP_N, CUDA_MEMCPY_D2H);
	if (e != 0) {
		char *t = cuda_error_text(r->rt, e);
		r->err = xasprintf("cudaMemcpy of the result failed: %s", t);
		free(t);
		return -1;
	}
	return 0;
}

static int device_buffers(struct fp_run *r, const float *a, const float *b)
{
	const size_t na = sizeof(float) * GPU_FP_M * GPU_FP_K, nb = sizeof(float) * GPU_FP_K * GPU_FP_N,
		     nc = sizeof(float) * GPU_FP_M * GPU_FP_N;
	void *p[3] = {NULL, NULL, NULL};
	const size_t sizes[3] = {na, nb, nc};
	for (int i = 0; i < 3; i++) {
		int e = r->rt->malloc(&p[i], sizes[i]);
		if (e != 0) {
			char *t = cuda_error_text(r->rt, e);
			r->err = xasprintf("cudaMalloc of %zu bytes failed: %s", sizes[i], t);
			free(t);
			for (int k = 0; k < i; k++)
				r->rt->free(p[k]);
			return -1;
		}
	}
	r->da = p[0];
	r->db = p[1];
	r->dc = p[2];
	int e = r->rt->memcpy(r->da, a, na, CUDA_MEMCPY_H2D);
	if (e == 0)
		e = r->rt->memcpy(r->db, b, nb, CUDA_MEMCPY_H2D);
	if (e != 0) {
		char *t = cuda_error_text(r->rt, e);
		r->err = xasprintf("cudaMemcpy of the inputs failed: %s", t);
		free(t);
		return -1;
	}
	return 0;
}

/* The sha256 of the result's float32 bits, little-endian, column-major. */
static void result_hash(const float *c, size_t n, char hex[SHA256_HEX_LEN + 1])
{
	unsigned char *bytes = xmalloc(n * 4);
	for (size_t i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, &c[i], 4);
		for (int k = 0; k < 4; k++)
			bytes[i * 4 + (size_t)k] = (unsigned char)(u >> (8 * k));
	}
	hash_sha256_hex(bytes, n * 4, hex);
	free(bytes);
}

static json_t *fingerprint(const struct cuda_rt *rt)
{
	const size_t nc = (size_t)GPU_FP_M * GPU_FP_N;
	struct fp_run r = {rt, NULL, NULL, NULL, NULL, NULL, NULL};
	const char *why = NULL;
	json_t *fp = json_object();
	float *a = xmalloc(sizeof(float) * GPU_FP_M * GPU_FP_K);
	float *b = xmalloc(sizeof(float) * GPU_FP_K * GPU_FP_N);
	float *c = xcalloc(nc * (GPU_FP_RUNS + 1), sizeof(float));
	double *ref = xmalloc(sizeof(double) * nc), *mag = xmalloc(sizeof(double) * nc);
	double *ref32 = xmalloc(sizeof(double) * nc);
	uint64_t seed = 0x7061726974790001ull;          /* "parity", format 1 */
	char sbuf[32];

	json_object_set_new(fp, "shape", json_pack("[i,i,i]", GPU_FP_M, GPU_FP_K, GPU_FP_N));
	r.bl = cuda_blas_load(&why);
	if (!r.bl) {
		json_object_set_new(fp, "skipped", json_string(why));
		goto out;
	}
	json_object_set_new(fp, "cublas_library", json_string(r.bl->path));
	int st = r.bl->create(&r.handle);
	if (st != 0) {
		r.handle = NULL;
		r.err = xasprintf("cublasCreate failed: %s", cuda_blas_status(st, sbuf, sizeof sbuf));
		goto out;
	}
	int ver = 0;
	if (r.bl->get_version && r.bl->get_version(r.handle, &ver) == 0 && ver > 0)
		json_object_set_new(fp, "cublas", json_sprintf("%d.%d.%d", ver / 10000,
							       (ver / 100) % 100, ver % 100));
	fill(a, (size_t)GPU_FP_M * GPU_FP_K, &seed);
	fill(b, (size_t)GPU_FP_K * GPU_FP_N, &seed);
	if (device_buffers(&r, a, b) < 0)
		goto out;
	bool same = true;
	for (int i = 0; i < GPU_FP_RUNS; i++) {
		if (sgemm(&r, CUBLAS_MATH_DEFAULT, c + nc * (size_t)i) < 0)
			goto out;
		same = same && (i == 0 || !memcmp(c, c + nc * (size_t)i, nc * sizeof(float)));
	}
	float *tf = c + nc * GPU_FP_RUNS;
	if (sgemm(&r, CUBLAS_MATH_TF32, tf) < 0)
		goto out;
	reference(a, b, ref, mag, false);
	reference(a, b, ref32, NULL, true);
	char hex[SHA256_HEX_LEN + 1];
	result_hash(c, nc, hex);
	double e32 = max_rel_error(c, ref, mag, nc), etf = max_rel_error(tf, ref, mag, nc);
	/* the error that rounding the inputs to TF32 alone causes, as a yardstick */
	double expect = 0;
	for (size_t i = 0; i < nc; i++) {
		double e = mag[i] > 0 ? fabs(ref32[i] - ref[i]) / mag[i] : 0;
		expect = e > expect ? e : expect;
	}
	json_object_set_new(fp, "sha256", json_string(hex));
	json_object_set_new(fp, "max_rel_error", json_num(e32));
	json_object_set_new(fp, "tf32_max_rel_error", json_num(etf));
	json_object_set_new(fp, "tf32_expected_rel_error", json_num(expect));
	/* TF32 in effect: an error of the size input rounding causes, not float32's */
	json_object_set_new(fp, "tf32_used", json_boolean(isfinite(etf) && etf > expect / 4));
	json_object_set_new(fp, "deterministic", json_boolean(same));
	json_object_set_new(fp, "runs", json_integer(GPU_FP_RUNS));
out:
	if (r.err)
		json_object_set_new(fp, "error", json_string(r.err));
	if (r.da)
		rt->free(r.da);
	if (r.db)
		rt->free(r.db);
	if (r.dc)
		rt->free(r.dc);
	if (r.handle)
		r.bl->destroy(r.handle);
	free(r.err);
	free(ref32);
	free(mag);
	free(ref);
	free(c);
	free(b);
	free(a);
	return fp;
}

/* ---- the probe through the CUDA runtime ---- */

/* One int attribute as a JSON integer (bool when as_bool), null on error. */
static json_t *attribute(const struct cuda_rt *rt, int attr, int device, bool as_bool)
{
	int v = 0;
	if (rt->device_get_attribute(&v, attr, device) != 0)
		return json_null();
	return as_bool ? json_boolean(v != 0) : json_integer(v);
}

static void device_facts(const struct cuda_rt *rt, int device, json_t *f)
{
	unsigned char *prop = xcalloc(1, PROP_BUF);
	int major = -1, minor = -1;

	if (rt->get_device_properties(prop, device) == 0) {
		char uuid[41];
		prop[255] = '\0';
		json_object_set_new(f, "name", json_string((const char *)prop));
		gpu_uuid_format(prop + PROP_UUID_OFF, uuid);
		json_object_set_new(f, "uuid", uuid[0] ? json_string(uuid) : json_null());
	}
	if (rt->device_get_attribute(&major, CUDA_ATTR_CC_MAJOR, device) == 0 &&
	    rt->device_get_attribute(&minor, CUDA_ATTR_CC_MINOR, device) == 0)
		json_object_set_new(f, "compute_capability", json_sprintf("%d.%d", major, minor));
	/* cudaMemGetInfo needs the device's context: the total as CUDA sees it
	 * (a MIG instance's share, not the board's) */
	size_t free_b = 0, total = 0;
	int e = rt->set_device(device);
	if (e == 0)
		e = rt->mem_get_info(&free_b, &total);
	if (e == 0) {
		json_object_set_new(f, "memory_gib",
				    json_real(round((double)total / (1024.0 * 1024 * 1024) * 100) / 100));
		json_object_set_new(f, "memory_bytes", json_integer((json_int_t)total));
	} else {
		char *t = cuda_error_text(rt, e);
		json_object_set_new(f, "memory_error", json_string(t));
		free(t);
	}
	json_object_set_new(f, "ecc", attribute(rt, CUDA_ATTR_ECC_ENABLED, device, true));
	json_object_set_new(f, "multiprocessors", attribute(rt, CUDA_ATTR_MULTIPROCESSORS, device, false));
	free(prop);
}

json_t *gpu_probe(const struct gpu_probe_opts *o)
{
	json_t *f = json_object();
	const char *why = NULL;
	char ver[16], ver2[16], *msg = NULL;

	json_object_set_new(f, "available", json_false());
	json_object_set_new(f, "source", json_string("cudart"));
	json_object_set_new(f, "vars", local_vars());
	gpu_set_tf32(f);
	const struct cuda_rt *rt = cuda_rt_load(&why);
	if (!rt)
		return unavailable(f, "no-runtime", why);
	json_object_set_new(f, "runtime_library", json_string(rt->path));
	int drv = 0, run = 0;
	rt->runtime_get_version(&run);
	rt->driver_get_version(&drv);
	gpu_cuda_version(run, ver);
	json_object_set_new(f, "runtime", ver[0] ? json_string(ver) : json_null());
	if (drv <= 0) {
		msg = xasprintf("no NVIDIA driver: the CUDA runtime %s (%s) finds no driver (libcuda.so.1); "
				"in a container, run it with the NVIDIA container toolkit (docker --gpus, "
				"or a Kubernetes pod that requests nvidia.com/gpu)", ver, rt->path);
		unavailable(f, "no-driver", msg);
		goto out;
	}
	gpu_cuda_version(drv, ver2);
	json_object_set_new(f, "driver", json_string(ver2));
	char *kv = kernel_driver_version();
	if (kv)
		json_object_set_new(f, "driver_version", json_string(kv));
	free(kv);
	int count = 0;
	int e = rt->get_device_count(&count);
	const char *cvd = getenv("CUDA_VISIBLE_DEVICES");
	if (e == CUDA_ERR_NO_DEVICE || (e == 0 && count <= 0)) {
		msg = xasprintf("no CUDA device: the driver (CUDA %s) sees no GPU%s%s%s", ver2,
				cvd ? "; CUDA_VISIBLE_DEVICES='" : "", cvd ? cvd : "", cvd ? "' may hide them" : "");
		unavailable(f, "no-device", msg);
		goto out;
	}
	if (e == CUDA_ERR_INSUFFICIENT_DRIVER) {
		msg = xasprintf("the NVIDIA driver supports CUDA %s, older than the CUDA runtime %s "
				"(%s): update the driver, or use a runtime no newer than the driver",
				ver2, ver, rt->path);
		unavailable(f, "driver-too-old", msg);
		goto out;
	}
	if (e != 0) {
		char *t = cuda_error_text(rt, e);
		msg = xasprintf("cudaGetDeviceCount failed: %s", t);
		free(t);
		unavailable(f, "cuda-error", msg);
		goto out;
	}
	json_object_set_new(f, "count", json_integer(count));
	if (o->device < 0 || o->device >= count) {
		msg = count == 1 ? xasprintf("device %d is out of range: 1 CUDA device visible (0)", o->device)
				 : xasprintf("device %d is out of range: %d CUDA devices visible (0 to %d)",
					     o->device, count, count - 1);
		unavailable(f, "bad-device", msg);
		goto out;
	}
	json_object_set_new(f, "device", json_integer(o->device));
	device_facts(rt, o->device, f);
	local_mig(f, o->deadline_ms);
	json_object_set_new(f, "available", json_true());
	if (o->fingerprint)
		json_object_set_new(f, "fingerprint", fingerprint(rt));
out:
	free(msg);
	return f;
}

/* ---- the nvidia-smi fallback ---- */

const char gpu_smi_script[] =
	"for v in NVIDIA_TF32_OVERRIDE TORCH_ALLOW_TF32_CUBLAS_OVERRIDE CUBLAS_WORKSPACE_CONFIG"
	" CUDA_VISIBLE_DEVICES; do\n"
	"  if eval \"[ -n \\\"\\${$v+x}\\\" ]\"; then eval \"printf 'var %s=%s\\n' $v \\\"\\$$v\\\"\"; fi\n"
	"done\n"
	"if ! command -v nvidia-smi >/dev/null 2>&1; then echo no-smi; exit 0; fi\n"
	"out=$(nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version,ecc.mode.current,uuid"
	" --format=csv,noheader,nounits 2>&1)\n"
	"echo \"smi-status $?\"\n"
	"printf '%s\\n' \"$out\" | sed 's/^/gpu /'\n"
	"nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\\([0-9][0-9.]*\\).*/cuda \\1/p' | head -n 1\n"
	"nvidia-smi --query-gpu=uuid,mig.mode.current --format=csv,noheader 2>/dev/null | sed 's/^/mig /'\n";

/* The text after "prefix " of the first line that has it, as a new string. */
static char *line_value(const char *text, const char *prefix)
{
	size_t plen = strlen(prefix);
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (n >= plen && !strncmp(p, prefix, plen))
			return xstrndup(p + plen, n - plen);
		p += n + (p[n] == '\n');
	}
	return NULL;
}

static char *trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* One "gpu" line: name, compute_cap, memory.total (MiB), driver_version,
 * ecc.mode.current, uuid. A name with commas keeps them: fields count from
 * the right. Returns the fields (6, owned) or -1. */
static int split_gpu_line(const char *line, char *out[6])
{
	const char *commas[5];
	int k = 0;
	for (const char *p = line + strlen(line); p > line && k < 5;) {
		p--;
		if (*p == ',')
			commas[k++] = p;
	}
	if (k < 5)
		return -1;
	/* commas[4] is the leftmost of the last five */
	const char *start = line;
	for (int i = 0; i < 6; i++) {
		const char *end = i < 5 ? commas[4 - i] : line + strlen(line);
		out[i] = trimmed(start, (size_t)(end - start));
		start = end + 1;
	}
	return 0;
}

/* CUDA's device order under CUDA_VISIBLE_DEVICES: indexes of the listed
 * boards (by index or uuid prefix), stopping at the first entry that
 * matches none, as CUDA does. Returns how many; -1 when the list names MIG
 * instances, which --query-gpu does not list. */
static int visible(const char *cvd, char **uuids, int n, int *order)
{
	int k = 0;
	const char *p = cvd;
	while (*p && k < n) {
		size_t len = strcspn(p, ",");
		char *tok = trimmed(p, len);
		int found = -1;
		if (!strncmp(tok, "MIG-", 4)) {
			free(tok);
			return -1;
		}
		if (tok[0] && strspn(tok, "0123456789") == strlen(tok)) {
			long i = strtol(tok, NULL, 10);
			found = i < n ? (int)i : -1;
		} else if (!strncmp(tok, "GPU-", 4)) {
			for (int i = 0; i < n && found < 0; i++)
				if (uuids[i] && !strncmp(uuids[i], tok, strlen(tok)))
					found = i;
		}
		free(tok);
		if (found < 0)
			break;
		order[k++] = found;
		p += len;
		if (*p == ',')
			p++;
	}
	return k;
}

json_t *gpu_from_smi(const char *text, int device)
{
	json_t *f = json_object(), *vars = json_object();
	char *fields[64][6];
	int n = 0, order[64];
	char *msg = NULL;

	json_object_set_new(f, "available", json_false());
	json_object_set_new(f, "source", json_string("nvidia-smi"));
	for (size_t i = 0; gpu_vars[i]; i++) {
		char *prefix = xasprintf("var %s=", gpu_vars[i]);
		char *v = line_value(text, prefix);
		json_object_set_new(vars, gpu_vars[i], v ? json_string(v) : json_null());
		free(v);
		free(prefix);
	}
	json_object_set_new(f, "vars", vars);
	gpu_set_tf32(f);
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		if (!strncmp(p, "no-smi", 6) && len == 6) {
			return unavailable(f, "no-nvidia-smi", "neither parity nor nvidia-smi is there to "
					   "read the GPU: install parity in the environment (on its PATH, "
					   "or set parity_path), or nvidia-smi");
		}
		p += len + (p[len] == '\n');
	}
	char *status = line_value(text, "smi-status ");
	int st = status ? atoi(status) : -1;
	free(status);
	if (st < 0)
		return unavailable(f, "nvidia-smi-error", "no answer from the nvidia-smi script (is "
				   "/bin/sh there?)");
	struct buf errs;
	buf_init(&errs);
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		if (len > 4 && !strncmp(p, "gpu ", 4)) {
			char *line = xstrndup(p + 4, len - 4);
			if (st == 0 && n < 64 && split_gpu_line(line, fields[n]) == 0)
				n++;
			else if (st != 0 || strncmp(line, "No devices", 10))
				buf_printf(&errs, "%s%s", errs.len ? "; " : "", line);
			free(line);
		}
		p += len + (p[len] == '\n');
	}
	if (st == 0 && n == 0 && errs.len) {
		msg = xasprintf("cannot read nvidia-smi's answer: %s", errs.data);
		unavailable(f, "nvidia-smi-error", msg);
		goto out;
	}
	if (st != 0) {
		bool driver = strstr(errs.data, "communicate with the NVIDIA driver") ||
			      strstr(errs.data, "Driver/library version mismatch");
		msg = xasprintf("nvidia-smi failed (exit status %d): %s", st, errs.data);
		unavailable(f, driver ? "no-driver" : "nvidia-smi-error", msg);
		goto out;
	}
	char *uuids[64];
	for (int i = 0; i < n; i++)
		uuids[i] = fields[i][5];
	const json_t *cvdj = json_object_get(vars, "CUDA_VISIBLE_DEVICES");
	int count = n;
	for (int i = 0; i < n; i++)
		order[i] = i;
	if (json_is_string(cvdj)) {
		count = visible(json_string_value(cvdj), uuids, n, order);
		if (count < 0) {
			unavailable(f, "nvidia-smi-error", "CUDA_VISIBLE_DEVICES names MIG instances, "
				    "which nvidia-smi --query-gpu does not list: install parity in the "
				    "environment to probe them through the CUDA runtime");
			goto out;
		}
	}
	if (count == 0) {
		msg = json_is_string(cvdj)
			? xasprintf("no CUDA device: nvidia-smi lists %d GPU%s, CUDA_VISIBLE_DEVICES='%s' "
				    "makes none visible", n, n == 1 ? "" : "s", json_string_value(cvdj))
			: xstrdup("no CUDA device: nvidia-smi lists no GPU");
		unavailable(f, "no-device", msg);
		goto out;
	}
	json_object_set_new(f, "count", json_integer(count));
	if (device < 0 || device >= count) {
		msg = count == 1 ? xasprintf("device %d is out of range: 1 CUDA device visible (0)", device)
				 : xasprintf("device %d is out of range: %d CUDA devices visible (0 to %d)",
					     device, count, count - 1);
		unavailable(f, "bad-device", msg);
		goto out;
	}
	char **g = fields[order[device]];
	json_object_set_new(f, "device", json_integer(device));
	json_object_set_new(f, "name", json_string(g[0]));
	json_object_set_new(f, "compute_capability", json_string(g[1]));
	char *end;
	double mib = strtod(g[2], &end);
	/* below 2^43 MiB the byte count fits json_int_t; NaN fails too */
	if (end != g[2] && *end == '\0' && mib >= 0 && mib < 0x1p43) {
		json_object_set_new(f, "memory_gib", json_real(round(mib / 1024.0 * 100) / 100));
		json_object_set_new(f, "memory_bytes", json_integer((json_int_t)(mib * 1048576.0)));
	}
	const char *ecc = mode_word(g[4]);
	json_object_set_new(f, "ecc", ecc ? json_boolean(!strcmp(ecc, "enabled")) : json_null());
	json_object_set_new(f, "uuid", json_string(g[5]));
	mig_from_lines(f, text, "mig ");
	char *cuda = line_value(text, "cuda ");
	json_object_set_new(f, "driver", cuda ? json_string(cuda) : json_null());
	free(cuda);
	json_object_set_new(f, "driver_version", json_string(g[3]));
	json_object_set_new(f, "runtime", json_null());
	json_object_set_new(f, "available", json_true());
out:
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 6; k++)
			free(fields[i][k]);
	buf_release(&errs);
	free(msg);
	return f;
}
