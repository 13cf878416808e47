/* cuda: the CUDA runtime (libcudart) and cuBLAS, loaded at run time with
 * dlopen and never linked, so that one parity binary starts and runs every
 * other step on a host without CUDA. Only the entry points the gpu probe
 * needs are bound, through their C ABI (ints, pointers, size_t). */
#ifndef PARITY_CUDA_H
#define PARITY_CUDA_H
#include <stddef.h>

/* cudaError_t values the probe tells apart */
enum {
	CUDA_SUCCESS_RT = 0,
	CUDA_ERR_INSUFFICIENT_DRIVER = 35,
	CUDA_ERR_NO_DEVICE = 100,
	CUDA_ERR_INVALID_DEVICE = 101,
};
/* cudaDeviceAttr values (stable since CUDA 5) */
enum {
	CUDA_ATTR_MULTIPROCESSORS = 16,
	CUDA_ATTR_ECC_ENABLED = 32,
	CUDA_ATTR_CC_MAJOR = 75,
	CUDA_ATTR_CC_MINOR = 76,
};
enum { CUDA_MEMCPY_H2D = 1, CUDA_MEMCPY_D2H = 2 };
/* cublasMath_t */
enum { CUBLAS_MATH_DEFAULT = 0, CUBLAS_MATH_TF32 = 3 };

struct cuda_rt {
	const char *path;       /* the library file that was loaded */
	/* runtimes found but passed over because the driver is older than
	 * them: "FILE (CUDA 13.0), ..."; NULL when none */
	const char *skipped;
	int (*get_device_count)(int *count);
	int (*driver_get_version)(int *version);
	int (*runtime_get_version)(int *version);
	int (*device_get_attribute)(int *value, int attr, int device);
	/* cudaGetDeviceProperties_v2 (CUDA 12) or cudaGetDeviceProperties: only
	 * the leading char name[256] and the 16-byte uuid after it are read */
	int (*get_device_properties)(void *prop, int device);
	int (*set_device)(int device);
	int (*mem_get_info)(size_t *free_bytes, size_t *total_bytes);
	int (*malloc)(void **p, size_t size);
	int (*free)(void *p);
	int (*memcpy)(void *dst, const void *src, size_t size, int kind);
	int (*device_synchronize)(void);
	const char *(*get_error_string)(int err);
	const char *(*get_error_name)(int err);
};

struct cuda_blas {
	const char *path;
	int (*create)(void **handle);
	int (*destroy)(void *handle);
	int (*set_math_mode)(void *handle, int mode);
	int (*sgemm)(void *handle, int transa, int transb, int m, int n, int k,
		     const float *alpha, const float *a, int lda, const float *b, int ldb,
		     const float *beta, float *c, int ldc);
	int (*get_version)(void *handle, int *version);     /* may be NULL */
	/* cublasGetProperty: type 0 major, 1 minor, 2 patch; may be NULL */
	int (*get_property)(int type, int *value);
};

/* Loads the CUDA runtime once per process. PARITY_CUDART is an explicit
 * path: nothing else is tried. Otherwise CUDA_HOME/lib64, CUDA_PATH/lib64,
 * then the loader's path, each for libcudart.so.13, .so.12, .so.11.0, .so:
 * the first runtime that the driver supports is kept (one that answers
 * cudaErrorInsufficientDriver is passed over, see skipped); when it
 * supports none, the newest found, which then reports the old driver.
 * Returns the bound runtime, or NULL with *why (static, never freed): "no
 * CUDA runtime: ...". Thread-safe. */
const struct cuda_rt *cuda_rt_load(const char **why);
/* Loads cuBLAS once per process: PARITY_CUBLAS (nothing else tried), else
 * the cuBLAS of the runtime's major version N, libcublas.so.N (or a
 * libcublas.so whose cublasGetProperty says N), in the loaded runtime's
 * folder, pip's nvidia/cublas/lib beside nvidia/cuda_runtime/lib,
 * CUDA_HOME/lib64, CUDA_PATH/lib64 and the loader's path. */
const struct cuda_blas *cuda_blas_load(const char **why);

/* "cudaErrorNoDevice: no CUDA-capable device is detected", owned by the caller. */
char *cuda_error_text(const struct cuda_rt *rt, int err);
/* "CUBLAS_STATUS_NOT_INITIALIZED" or "status 42"; static or in buf. */
const char *cuda_blas_status(int status, char *buf, size_t n);

#endif
