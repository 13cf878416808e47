/* cuda: dlopen and dlsym of the CUDA runtime and cuBLAS. The symbol tables
 * below say which entry point fills which slot. Runtimes are tried newest
 * major first until one works with the driver, and cuBLAS follows the
 * runtime's major. Libraries stay loaded for the life of the process (a
 * CUDA library must not be unloaded while its context lives). */
#include "transport/cuda.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sym {
	const char *names[3];   /* tried in order */
	size_t off;             /* of the function pointer in the struct */
	bool required;
};

#define RT(field) offsetof(struct cuda_rt, field)
static const struct sym rt_syms[] = {
	{{"cudaGetDeviceCount"}, RT(get_device_count), true},
	{{"cudaDriverGetVersion"}, RT(driver_get_version), true},
	{{"cudaRuntimeGetVersion"}, RT(runtime_get_version), true},
	{{"cudaDeviceGetAttribute"}, RT(device_get_attribute), true},
	{{"cudaGetDeviceProperties_v2", "cudaGetDeviceProperties"}, RT(get_device_properties), true},
	{{"cudaSetDevice"}, RT(set_device), true},
	{{"cudaMemGetInfo"}, RT(mem_get_info), true},
	{{"cudaMalloc"}, RT(malloc), true},
	{{"cudaFree"}, RT(free), true},
	{{"cudaMemcpy"}, RT(memcpy), true},
	{{"cudaDeviceSynchronize"}, RT(device_synchronize), true},
	{{"cudaGetErrorString"}, RT(get_error_string), true},
	{{"cudaGetErrorName"}, RT(get_error_name), true},
};
#undef RT

#define BL(field) offsetof(struct cuda_blas, field)
static const struct sym blas_syms[] = {
	{{"cublasCreate_v2"}, BL(create), true},
	{{"cublasDestroy_v2"}, BL(destroy), true},
	{{"cublasSetMathMode"}, BL(set_math_mode), true},
	{{"cublasSgemm_v2"}, BL(sgemm), true},
	{{"cublasGetVersion_v2"}, BL(get_version), false},
	{{"cublasGetProperty"}, BL(get_property), false},
};
#undef BL

/* current and previous major sonames, newest first: each is tried until one
 * works with the driver; CUDA 11's runtime is libcudart.so.11.0 */
static const char *const rt_names[] = {
	"libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0", "libcudart.so", NULL
};
static const char *const blas_names[] = {
	"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so", NULL
};

struct loaded {
	void *handle;
	char *path;
	char why[1024];
};

static struct cuda_rt rt;
static struct loaded rt_lib;
static pthread_once_t rt_once = PTHREAD_ONCE_INIT;
static struct cuda_blas blas;
static struct loaded blas_lib;
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

/* Binds every symbol of table into obj; 0, or -1 with the missing name in why. */
static int bind(void *handle, const struct sym *table, size_t n, void *obj, char *why,
		size_t why_len, const char *what, const char *path)
{
	for (size_t i = 0; i < n; i++) {
		void *p = NULL;
		for (size_t k = 0; k < 3 && table[i].names[k] && !p; k++)
			p = dlsym(handle, table[i].names[k]);
		if (!p && table[i].required) {
			snprintf(why, why_len, "no %s: '%s' lacks %s (not a CUDA library, or too old)",
				 what, path, table[i].names[0]);
			return -1;
		}
		/* POSIX guarantees that a dlsym result converts to a function pointer */
		memcpy((char *)obj + table[i].off, &p, sizeof p);
	}
	return 0;
}

/* The file a handle was loaded from, for the facts. */
static char *handle_path(void *handle, const char *fallback)
{
	struct link_map *lm = NULL;
	if (dlinfo(handle, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && lm->l_name[0])
		return xstrdup(lm->l_name);
	return xstrdup(fallback);
}

static void *try_open(const char *path, struct buf *tried)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		buf_printf(tried, "%s%s", tried->len ? ", " : "", path);
	return h;
}

/* Loads the file named by env_var, when it is set: true, with L filled
 * (handle, or why). Nothing else is tried then. */
static bool load_explicit(struct loaded *L, const char *env_var, const char *what)
{
	const char *explicit = getenv(env_var);
	if (!explicit || !*explicit)
		return false;
	L->handle = dlopen(explicit, RTLD_NOW | RTLD_LOCAL);
	if (!L->handle) {
		const char *e = dlerror();
		snprintf(L->why, sizeof L->why, "no %s: %s='%s' cannot be loaded: %s", what, env_var,
			 explicit, e ? e : "unknown error");
	} else {
		L->path = handle_path(L->handle, explicit);
	}
	return true;
}

/* The places to try, in order, NULL-terminated and owned: DIR/NAME for
 * each of dirs (NULL entries skipped), then NAME on the loader's path. */
static char **candidates(const char *const *dirs, size_t n_dirs, const char *const *names)
{
	size_t n_names = 0, k = 0;
	while (names[n_names])
		n_names++;
	char **out = xcalloc((n_dirs + 1) * n_names + 1, sizeof *out);
	for (size_t d = 0; d < n_dirs; d++) {
		bool again = false;
		for (size_t e = 0; e < d && dirs[d]; e++)
			again = again || (dirs[e] && !strcmp(dirs[e], dirs[d]));
		for (size_t i = 0; dirs[d] && *dirs[d] && !again && i < n_names; i++)
			out[k++] = xasprintf("%s/%s", dirs[d], names[i]);
	}
	for (size_t i = 0; i < n_names; i++)
		out[k++] = xstrdup(names[i]);
	return out;
}

static void free_paths(char **list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

/* DIR/lib64 for CUDA_HOME and CUDA_PATH, owned (NULL when unset). */
static void toolkit_dirs(char *out[2])
{
	const char *vars[2] = {getenv("CUDA_HOME"), getenv("CUDA_PATH")};
	for (int i = 0; i < 2; i++)
		out[i] = vars[i] && *vars[i] ? xasprintf("%s/lib64", vars[i]) : NULL;
}

/* Whether the runtime was built for a newer CUDA than the driver supports:
 * the driver is there (a version above 0) and cudaGetDeviceCount says
 * cudaErrorInsufficientDriver. Without a driver, no other runtime helps. */
static bool driver_too_old(const struct cuda_rt *r)
{
	int drv = 0, count = 0;
	if (r->driver_get_version(&drv) != 0 || drv <= 0)
		return false;
	return r->get_device_count(&count) == CUDA_ERR_INSUFFICIENT_DRIVER;
}

/* A runtime that loaded and bound: its handle, file and entry points. */
struct rt_found {
	void *handle;
	char *path;
	struct cuda_rt r;
};

/* Notes a runtime passed over (driver too old) in skipped: "FILE (CUDA 13.0)". */
static void note_skipped(struct buf *skipped, const struct rt_found *c)
{
	int v = 0;
	c->r.runtime_get_version(&v);
	buf_printf(skipped, "%s%s (CUDA %d.%d)", skipped->len ? ", " : "", c->path, v / 1000,
		   (v % 1000) / 10);
}

/* Tries the runtimes newest first and keeps the first that the driver
 * supports; when the driver supports none, the newest, which then reports
 * driver-too-old. The others stay loaded: unloading is not worth the risk. */
static void rt_search(void)
{
	char *dirs[2];
	toolkit_dirs(dirs);
	char **paths = candidates((const char *const *)dirs, 2, rt_names);
	struct buf tried, skipped;
	struct rt_found first = {0}, c;
	void *seen[32];
	size_t n_seen = 0;
	bool bind_failed = false;

	buf_init(&tried);
	buf_init(&skipped);
	for (size_t i = 0; paths[i] && !rt_lib.handle; i++) {
		memset(&c, 0, sizeof c);
		c.handle = try_open(paths[i], &tried);
		bool again = false;
		for (size_t k = 0; c.handle && k < n_seen; k++)
			again = again || seen[k] == c.handle;
		if (!c.handle || again || n_seen >= sizeof seen / sizeof seen[0])
			continue;
		seen[n_seen++] = c.handle;
		c.path = handle_path(c.handle, paths[i]);
		if (bind(c.handle, rt_syms, sizeof rt_syms / sizeof rt_syms[0], &c.r, rt_lib.why,
			 sizeof rt_lib.why, "CUDA runtime", c.path) < 0) {
			bind_failed = true;
			free(c.path);
			continue;
		}
		if (!driver_too_old(&c.r)) {
			rt = c.r;
			rt_lib.handle = c.handle;
			rt_lib.path = c.path;
		} else if (!first.handle) {
			first = c;
		} else {
			note_skipped(&skipped, &c);
			free(c.path);
		}
	}
	if (rt_lib.handle && first.handle) {
		struct buf all;
		buf_init(&all);
		note_skipped(&all, &first);
		if (skipped.len)
			buf_printf(&all, ", %s", skipped.data);
		buf_release(&skipped);
		skipped = all;
		free(first.path);
	} else if (!rt_lib.handle && first.handle) {
		rt = first.r;
		rt_lib.handle = first.handle;
		rt_lib.path = first.path;
	}
	rt.skipped = skipped.len ? buf_detach(&skipped) : NULL;
	if (!rt_lib.handle && !bind_failed)
		snprintf(rt_lib.why, sizeof rt_lib.why, "no CUDA runtime: none of %s could be loaded "
			 "(install the CUDA runtime, or set PARITY_CUDART to libcudart's path or CUDA_HOME "
			 "to the toolkit)", tried.data);
	buf_release(&skipped);
	buf_release(&tried);
	free_paths(paths);
	free(dirs[0]);
	free(dirs[1]);
}

static void rt_init(void)
{
	if (!load_explicit(&rt_lib, "PARITY_CUDART", "CUDA runtime")) {
		rt_search();
	} else if (rt_lib.handle &&
		   bind(rt_lib.handle, rt_syms, sizeof rt_syms / sizeof rt_syms[0], &rt, rt_lib.why,
			sizeof rt_lib.why, "CUDA runtime", rt_lib.path) < 0) {
		rt_lib.handle = NULL;   /* left loaded: unloading is not worth the risk */
	}
	if (rt_lib.handle)
		rt.path = rt_lib.path;
}

/* The runtime's folder, and for pip's layout (site-packages/nvidia/
 * cuda_runtime/lib) cuBLAS's wheel beside it (nvidia/cublas/lib); owned. */
static void runtime_dirs(char *out[2])
{
	const char *slash = strrchr(rt.path, '/');
	static const char wheel[] = "/cuda_runtime/lib";
	out[0] = slash ? xstrndup(rt.path, (size_t)(slash - rt.path)) : NULL;
	out[1] = NULL;
	size_t n = out[0] ? strlen(out[0]) : 0, w = sizeof wheel - 1;
	if (n > w && !strcmp(out[0] + n - w, wheel))
		out[1] = xasprintf("%.*s/cublas/lib", (int)(n - w), out[0]);
}

/* Whether cuBLAS's major version (cublasGetProperty) is major; true when
 * either is unknown. Otherwise notes the mismatch in tried. */
static bool blas_matches(const struct cuda_blas *b, int major, const char *path, struct buf *tried)
{
	int v = 0;
	if (major <= 0 || !b->get_property || b->get_property(0, &v) != 0 || v == major)
		return true;
	buf_printf(tried, "%s%s (cuBLAS %d, not %d)", tried->len ? ", " : "", path, v, major);
	return false;
}

/* Opens the first cuBLAS of the runtime's major version (libcublas.so.N for
 * runtime N): in the runtime's folders, CUDA_HOME, CUDA_PATH, then the
 * loader's path. */
static void blas_search(int major)
{
	char *dirs[4] = {NULL, NULL, NULL, NULL}, *names_n[3] = {NULL, "libcublas.so", NULL};
	if (rt_lib.handle)
		runtime_dirs(dirs);
	toolkit_dirs(dirs + 2);
	if (major > 0)
		names_n[0] = xasprintf("libcublas.so.%d", major);
	char **paths = candidates((const char *const *)dirs, 4,
				  major > 0 ? (const char *const *)names_n : blas_names);
	struct buf tried;
	struct cuda_blas b;
	buf_init(&tried);
	for (size_t i = 0; paths[i] && !blas_lib.handle; i++) {
		void *h = try_open(paths[i], &tried);
		if (!h)
			continue;
		char *path = handle_path(h, paths[i]);
		memset(&b, 0, sizeof b);
		if (bind(h, blas_syms, sizeof blas_syms / sizeof blas_syms[0], &b, blas_lib.why,
			 sizeof blas_lib.why, "cuBLAS", path) < 0) {
			buf_printf(&tried, "%s%s (not cuBLAS: an entry point is missing)",
				   tried.len ? ", " : "", path);
			free(path);
			continue;
		}
		if (!blas_matches(&b, major, path, &tried)) {
			free(path);
			continue;
		}
		blas = b;
		blas_lib.handle = h;
		blas_lib.path = path;
	}
	if (!blas_lib.handle && major > 0)
		snprintf(blas_lib.why, sizeof blas_lib.why, "no cuBLAS: none of %s could be loaded "
			 "(install cuBLAS %d, libcublas.so.%d, beside the CUDA runtime %d, or set "
			 "PARITY_CUBLAS to its path)", tried.data, major, major, major);
	else if (!blas_lib.handle)
		snprintf(blas_lib.why, sizeof blas_lib.why, "no cuBLAS: none of %s could be loaded "
			 "(install cuBLAS (libcublas) beside the CUDA runtime, or set PARITY_CUBLAS to "
			 "its path)", tried.data);
	buf_release(&tried);
	free_paths(paths);
	for (int i = 0; i < 4; i++)
		free(dirs[i]);
	free(names_n[0]);
}

static void blas_init(void)
{
	const char *why = NULL;
	int major = 0, v = 0;
	if (cuda_rt_load(&why) && rt.runtime_get_version(&v) == 0 && v > 0)
		major = v / 1000;
	if (!load_explicit(&blas_lib, "PARITY_CUBLAS", "cuBLAS")) {
		blas_search(major);
	} else if (blas_lib.handle &&
		   bind(blas_lib.handle, blas_syms, sizeof blas_syms / sizeof blas_syms[0], &blas,
			blas_lib.why, sizeof blas_lib.why, "cuBLAS", blas_lib.path) < 0) {
		blas_lib.handle = NULL;
	}
	if (blas_lib.handle)
		blas.path = blas_lib.path;
}

const struct cuda_rt *cuda_rt_load(const char **why)
{
	pthread_once(&rt_once, rt_init);
	if (!rt_lib.handle) {
		*why = rt_lib.why;
		return NULL;
	}
	return &rt;
}

const struct cuda_blas *cuda_blas_load(const char **why)
{
	pthread_once(&blas_once, blas_init);
	if (!blas_lib.handle) {
		*why = blas_lib.why;
		return NULL;
	}
	return &blas;
}

char *cuda_error_text(const struct cuda_rt *r, int err)
{
	const char *name = r->get_error_name(err);
	const char *text = r->get_error_string(err);
	return xasprintf("%s: %s", name ? name : "cudaError", text ? text : "unknown error");
}

const char *cuda_blas_status(int status, char *buf, size_t n)
{
	static const struct {
		int status;
		const char *name;
	} names[] = {
		{0, "CUBLAS_STATUS_SUCCESS"}, {1, "CUBLAS_STATUS_NOT_INITIALIZED"},
		{3, "CUBLAS_STATUS_ALLOC_FAILED"}, {7, "CUBLAS_STATUS_INVALID_VALUE"},
		{8, "CUBLAS_STATUS_ARCH_MISMATCH"}, {11, "CUBLAS_STATUS_MAPPING_ERROR"},
		{13, "CUBLAS_STATUS_EXECUTION_FAILED"}, {14, "CUBLAS_STATUS_INTERNAL_ERROR"},
		{15, "CUBLAS_STATUS_NOT_SUPPORTED"}, {16, "CUBLAS_STATUS_LICENSE_ERROR"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].status == status)
			return names[i].name;
	snprintf(buf, n, "status %d", status);
	return buf;
}
