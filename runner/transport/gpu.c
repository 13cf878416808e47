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
#include <strings.h>

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

void gpu_cublas_version(int v, char out[24])
{
	if (v <= 0) {
		out[0] = '\0';
		return;
	}
	/* from cuBLAS 11.7 on, major*10000: 110700 and later; before, major*1000
	 * with a one-digit minor, which stays below 100000 */
	if (v >= 100000)
		snprintf(out, 24, "%d.%d.%d", v / 10000, (v / 100) % 100, v % 100);
	else
		snprintf(out, 24, "%d.%d.%d", v / 1000, (v % 1000) / 100, v % 100);
}

/* digits.digits or digits.digits.digits, n bytes at s */
static bool driver_word(const char *s, size_t n)
{
	int parts = 1;
	size_t digits = 0;
	for (size_t i = 0; i < n; i++) {
		if (isdigit((unsigned char)s[i])) {
			digits++;
		} else if (s[i] == '.' && digits > 0) {
			parts++;
			digits = 0;
		} else {
			return false;
		}
	}
	return digits > 0 && parts >= 2 && parts <= 3;
}

void gpu_driver_from_proc(const char *text, char out[32])
{
	const char *line = strstr(text, "NVRM version:");
	size_t len;
	out[0] = '\0';
	if (!line)
		line = text;
	len = strcspn(line, "\n");
	for (size_t i = 0; i < len;) {
		i += strspn(line + i, " \t\r");
		size_t n = strcspn(line + i, " \t\r\n");
		if (n > len - i)
			n = len - i;
		if (n && n < 32 && driver_word(line + i, n)) {
			memcpy(out, line + i, n);
			out[n] = '\0';
			return;
		}
		i += n;
	}
}

void gpu_uuid_format(const unsigned char b[16], const char *prefix, char out[41])
{
	bool zero = true;
	for (int i = 0; i < 16; i++)
		zero = zero && b[i] == 0;
	if (zero) {
		out[0] = '\0';
		return;
	}
	snprintf(out, 41, "%.4s%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 prefix, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		 b[12], b[13], b[14], b[15]);
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

/* The kernel driver's version from /proc/driver/nvidia/version (or the file
 * PARITY_NVIDIA_VERSION_FILE names, for tests), or NULL. */
static char *kernel_driver_version(void)
{
	const char *path = getenv("PARITY_NVIDIA_VERSION_FILE");
	FILE *f = fopen(path && *path ? path : "/proc/driver/nvidia/version", "r");
	char text[2048], v[32];
	size_t n;
	if (!f)
		return NULL;
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	gpu_driver_from_proc(text, v);
	return v[0] ? xstrdup(v) : NULL;
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

/* ---- nvidia-smi on this host: the board's memory, MIG mode and instances ---- */

/* What nvidia-smi says of the boards: uuid, MIG mode, memory.total (MiB),
 * driver_version. */
#define SMI_BOARD_QUERY "--query-gpu=uuid,mig.mode.current,memory.total,driver_version"
enum { BOARD_UUID, BOARD_MIG, BOARD_MEMORY, BOARD_DRIVER, BOARD_FIELDS };

/* nvidia-smi with one or two arguments on this host: its stdout (owned),
 * or NULL when it is not there, fails or times out. */
static char *local_smi(const char *arg1, const char *arg2, int64_t deadline_ms)
{
	char *const argv[] = {"nvidia-smi", (char *)(uintptr_t)arg1, (char *)(uintptr_t)arg2, NULL};
	struct proc_spec spec = {0};
	struct proc_result r;
	char *err = NULL, *out = NULL;
	spec.argv = argv;
	spec.deadline_ms = deadline_ms;
	spec.cap = 1 << 20;
	if (proc_run(&spec, &r, &err) < 0) {
		free(err);
		return NULL;
	}
	if (r.exited && r.status == 0 && !r.timed_out)
		out = xstrdup(r.out.data ? r.out.data : "");
	proc_result_release(&r);
	return out;
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

/* The fields of the board query's line for uuid (case-insensitive), owned;
 * 0, or -1 when no line has it. */
static int board_row(const char *boards, const char *uuid, char *row[BOARD_FIELDS])
{
	size_t ulen = strlen(uuid);
	for (const char *p = boards; *p;) {
		size_t n = strcspn(p, "\n");
		const char *comma = memchr(p, ',', n);
		if (comma && (size_t)(comma - p) == ulen && !strncasecmp(p, uuid, ulen)) {
			const char *q = p;
			for (int i = 0; i < BOARD_FIELDS; i++) {
				size_t k = strcspn(q, ",\n");
				row[i] = trimmed(q, k);
				q += k + (q[k] == ',');
			}
			return 0;
		}
		p += n + (p[n] == '\n');
	}
	return -1;
}

/* The board uuid that `nvidia-smi -L` lists the MIG instance "MIG-bare"
 * under ("GPU 0: ... (UUID: GPU-...)", then "  MIG 1g.10gb Device 0: (UUID:
 * MIG-...)"), owned; NULL when it lists no such instance. */
static char *mig_parent(const char *list, const char *bare)
{
	char *parent = NULL;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, "\n");
		const char *u = strstr(p, "(UUID: ");
		if (u && u < p + n) {
			u += 7;
			size_t k = strcspn(u, ")\n");
			if (!strncmp(u, "GPU-", 4)) {
				free(parent);
				parent = xstrndup(u, k);
			} else if (!strncmp(u, "MIG-", 4) && k == 4 + strlen(bare) &&
				   !strncasecmp(u + 4, bare, k - 4)) {
				return parent ? parent : xstrdup("");
			}
		}
		p += n + (p[n] == '\n');
	}
	free(parent);
	return NULL;
}

/* Whether CUDA_VISIBLE_DEVICES or NVIDIA_VISIBLE_DEVICES names the MIG
 * instance "MIG-bare" (or a prefix of it, as CUDA accepts). */
static bool mig_in_env(const char *bare)
{
	static const char *const vars[] = {"CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"};
	for (size_t v = 0; v < 2; v++) {
		const char *p = getenv(vars[v]);
		while (p && *p) {
			size_t len = strcspn(p, ",");
			char *tok = trimmed(p, len);
			bool hit = !strncmp(tok, "MIG-", 4) && tok[4] && strlen(tok + 4) <= strlen(bare) &&
				   !strncasecmp(tok + 4, bare, strlen(tok + 4));
			free(tok);
			if (hit)
				return true;
			p += len + (p[len] == ',');
		}
	}
	return false;
}

static void set_memory_mib(json_t *f, const char *mib_text)
{
	char *end;
	double mib = strtod(mib_text, &end);
	/* below 2^43 MiB the byte count fits json_int_t; NaN fails too */
	if (end != mib_text && *end == '\0' && mib > 0 && mib < 0x1p43) {
		json_object_set_new(f, "memory_gib", json_real(round(mib / 1024.0 * 100) / 100));
		json_object_set_new(f, "memory_bytes", json_integer((json_int_t)(mib * 1048576.0)));
	}
}

/* Sets "uuid" (GPU- for a board, MIG- for a MIG instance), "mig", the
 * board's "memory_gib" and, when /proc did not give it, "driver_version",
 * from nvidia-smi on this host; "memory_error" says why there is no
 * memory_gib. */
static void local_board(json_t *f, const unsigned char uuid[16], int64_t deadline_ms)
{
	char bare[41], id[41], *row[BOARD_FIELDS] = {NULL};
	char *boards = NULL, *parent = NULL, *board = NULL;
	bool mig = false, found = false;

	gpu_uuid_format(uuid, "", bare);
	if (!bare[0]) {
		json_object_set_new(f, "uuid", json_null());
		json_object_set_new(f, "mig", json_null());
		json_object_set_new(f, "memory_error", json_string("the CUDA runtime reports no "
				    "uuid: the board's memory is found in nvidia-smi's list by uuid"));
		return;
	}
	boards = local_smi(SMI_BOARD_QUERY, "--format=csv,noheader,nounits", deadline_ms);
	board = xasprintf("GPU-%s", bare);
	found = boards && board_row(boards, board, row) == 0;
	if (boards && !found) {
		char *list = local_smi("-L", NULL, deadline_ms);
		parent = list ? mig_parent(list, bare) : NULL;
		free(list);
		mig = parent != NULL;
		found = parent && board_row(boards, parent, row) == 0;
	}
	if (!boards)
		mig = mig_in_env(bare);
	gpu_uuid_format(uuid, mig ? "MIG-" : "GPU-", id);
	json_object_set_new(f, "uuid", json_string(id));
	if (found) {
		const char *mode = mig ? "enabled" : mode_word(row[BOARD_MIG]);
		json_object_set_new(f, "mig", mode ? json_string(mode) : json_null());
		set_memory_mib(f, row[BOARD_MEMORY]);
		const char *drv = row[BOARD_DRIVER];
		if (!json_object_get(f, "driver_version") && driver_word(drv, strlen(drv)))
			json_object_set_new(f, "driver_version", json_string(drv));
	} else {
		json_object_set_new(f, "mig", mig ? json_string("enabled") : json_null());
	}
	if (!json_object_get(f, "memory_gib"))
		json_object_set_new(f, "memory_error", !boards
			? json_string("nvidia-smi is not on PATH or failed: memory_gib is the board's "
				      "memory as nvidia-smi reports it (in a container, give it the "
				      "utility driver capability)")
			: json_sprintf("nvidia-smi does not list the board of %s: memory_gib is read "
				       "from its memory.total", id));
	for (int i = 0; i < BOARD_FIELDS; i++)
		free(row[i]);
	free(parent);
	free(board);
	free(boards);
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
	char vtext[24];
	if (r.bl->get_version && r.bl->get_version(r.handle, &ver) == 0 && ver > 0) {
		gpu_cublas_version(ver, vtext);
		json_object_set_new(fp, "cublas", json_string(vtext));
	}
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

static void device_facts(const struct cuda_rt *rt, const struct gpu_probe_opts *o, json_t *f)
{
	unsigned char *prop = xcalloc(1, PROP_BUF);
	int major = -1, minor = -1, device = o->device;

	if (rt->get_device_properties(prop, device) == 0) {
		prop[255] = '\0';
		json_object_set_new(f, "name", json_string((const char *)prop));
	}
	if (rt->device_get_attribute(&major, CUDA_ATTR_CC_MAJOR, device) == 0 &&
	    rt->device_get_attribute(&minor, CUDA_ATTR_CC_MINOR, device) == 0)
		json_object_set_new(f, "compute_capability", json_sprintf("%d.%d", major, minor));
	/* cudaMemGetInfo needs the device's context: the total as CUDA sees it
	 * (less the driver's reservation; a MIG instance's share, not the board's) */
	size_t free_b = 0, total = 0;
	int e = rt->set_device(device);
	if (e == 0)
		e = rt->mem_get_info(&free_b, &total);
	if (e == 0) {
		json_object_set_new(f, "cuda_memory_gib",
				    json_real(round((double)total / (1024.0 * 1024 * 1024) * 100) / 100));
		json_object_set_new(f, "cuda_memory_bytes", json_integer((json_int_t)total));
	} else {
		char *t = cuda_error_text(rt, e);
		json_object_set_new(f, "cuda_memory_error", json_string(t));
		free(t);
	}
	json_object_set_new(f, "ecc", attribute(rt, CUDA_ATTR_ECC_ENABLED, device, true));
	json_object_set_new(f, "multiprocessors", attribute(rt, CUDA_ATTR_MULTIPROCESSORS, device, false));
	local_board(f, prop + PROP_UUID_OFF, o->deadline_ms);
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
	if (rt->skipped)
		json_object_set_new(f, "runtime_skipped", json_string(rt->skipped));
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
	device_facts(rt, o, f);
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

/* The variables from the script's "var NAME=VALUE" lines; unset as null. */
static json_t *smi_vars(const char *text)
{
	json_t *vars = json_object();
	for (size_t i = 0; gpu_vars[i]; i++) {
		char *prefix = xasprintf("var %s=", gpu_vars[i]);
		char *v = line_value(text, prefix);
		json_object_set_new(vars, gpu_vars[i], v ? json_string(v) : json_null());
		free(v);
		free(prefix);
	}
	return vars;
}

/* Whether text has a line that is exactly word. */
static bool has_line(const char *text, const char *word)
{
	size_t wlen = strlen(word);
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		if (len == wlen && !strncmp(p, word, wlen))
			return true;
		p += len + (p[len] == '\n');
	}
	return false;
}

enum { SMI_MAX_BOARDS = 64 };

/* The "gpu " lines: each board's 6 fields (owned) into fields, returning
 * how many; lines that are not boards (nvidia-smi's complaints) go to errs,
 * joined with "; ", except "No devices were found" when nvidia-smi
 * succeeded (st 0). */
static int smi_boards(const char *text, int st, char *fields[][6], struct buf *errs)
{
	int n = 0;
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		if (len > 4 && !strncmp(p, "gpu ", 4)) {
			char *line = xstrndup(p + 4, len - 4);
			if (st == 0 && n < SMI_MAX_BOARDS && split_gpu_line(line, fields[n]) == 0)
				n++;
			else if (st != 0 || strncmp(line, "No devices", 10))
				buf_printf(errs, "%s%s", errs->len ? "; " : "", line);
			free(line);
		}
		p += len + (p[len] == '\n');
	}
	return n;
}

/* The board of CUDA device number device, as an index into fields (n
 * boards), after CUDA_VISIBLE_DEVICES; -1 with f marked unavailable. */
static int smi_pick(json_t *f, char *fields[][6], int n, int device)
{
	const json_t *cvdj = json_object_get(json_object_get(f, "vars"), "CUDA_VISIBLE_DEVICES");
	char *uuids[SMI_MAX_BOARDS], *msg = NULL;
	int order[SMI_MAX_BOARDS], count = n;

	for (int i = 0; i < n; i++) {
		uuids[i] = fields[i][5];
		order[i] = i;
	}
	if (json_is_string(cvdj)) {
		count = visible(json_string_value(cvdj), uuids, n, order);
		if (count < 0) {
			unavailable(f, "nvidia-smi-error", "CUDA_VISIBLE_DEVICES names MIG instances, "
				    "which nvidia-smi --query-gpu does not list: install parity in the "
				    "environment to probe them through the CUDA runtime");
			return -1;
		}
	}
	if (count == 0) {
		msg = json_is_string(cvdj)
			? xasprintf("no CUDA device: nvidia-smi lists %d GPU%s, CUDA_VISIBLE_DEVICES='%s' "
				    "makes none visible", n, n == 1 ? "" : "s", json_string_value(cvdj))
			: xstrdup("no CUDA device: nvidia-smi lists no GPU");
		unavailable(f, "no-device", msg);
	} else if (device < 0 || device >= count) {
		msg = count == 1 ? xasprintf("device %d is out of range: 1 CUDA device visible (0)", device)
				 : xasprintf("device %d is out of range: %d CUDA devices visible (0 to %d)",
					     device, count, count - 1);
		json_object_set_new(f, "count", json_integer(count));
		unavailable(f, "bad-device", msg);
	}
	free(msg);
	if (count == 0 || device < 0 || device >= count)
		return -1;
	json_object_set_new(f, "count", json_integer(count));
	return order[device];
}

/* The device's facts from its board's fields g and the script's other lines. */
static void smi_device(json_t *f, char **g, const char *text, int device)
{
	json_object_set_new(f, "device", json_integer(device));
	json_object_set_new(f, "name", json_string(g[0]));
	json_object_set_new(f, "compute_capability", json_string(g[1]));
	set_memory_mib(f, g[2]);
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
}

json_t *gpu_from_smi(const char *text, int device)
{
	json_t *f = json_object();
	char *fields[SMI_MAX_BOARDS][6];
	int n = 0;
	char *msg = NULL;
	struct buf errs;

	buf_init(&errs);
	json_object_set_new(f, "available", json_false());
	json_object_set_new(f, "source", json_string("nvidia-smi"));
	json_object_set_new(f, "vars", smi_vars(text));
	gpu_set_tf32(f);
	if (has_line(text, "no-smi")) {
		unavailable(f, "no-nvidia-smi", "neither parity nor nvidia-smi is there to read the GPU: "
			    "install parity in the environment (on its PATH, or set parity_path), or "
			    "nvidia-smi");
		goto out;
	}
	char *status = line_value(text, "smi-status ");
	int st = status ? atoi(status) : -1;
	free(status);
	if (st < 0) {
		unavailable(f, "nvidia-smi-error", "no answer from the nvidia-smi script (is /bin/sh "
			    "there?)");
		goto out;
	}
	n = smi_boards(text, st, fields, &errs);
	if (st == 0 && n == 0 && errs.len) {
		msg = xasprintf("cannot read nvidia-smi's answer: %s", errs.data);
		unavailable(f, "nvidia-smi-error", msg);
	} else if (st != 0) {
		bool driver = strstr(errs.data, "communicate with the NVIDIA driver") ||
			      strstr(errs.data, "Driver/library version mismatch");
		msg = xasprintf("nvidia-smi failed (exit status %d): %s", st, errs.data);
		unavailable(f, driver ? "no-driver" : "nvidia-smi-error", msg);
	} else {
		int board = smi_pick(f, fields, n, device);
		if (board >= 0)
			smi_device(f, fields[board], text, device);
	}
out:
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 6; k++)
			free(fields[i][k]);
	buf_release(&errs);
	free(msg);
	return f;
}
