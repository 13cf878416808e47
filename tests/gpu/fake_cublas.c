/* TEST DOUBLE, not NVIDIA code, and no part of NVIDIA's cuBLAS.
 *
 * fake_cublas: a stand-in for libcublas that the parity tests build as
 * libcublas.so.12 (and .so.13, .so.11 with FAKE_MAJOR) and load with
 * PARITY_CUBLAS (or beside the fake runtime).
 * cublasSgemm_v2 computes the column-major product on the CPU in float32,
 * summing in k order; in CUBLAS_TF32_TENSOR_OP_MATH it first rounds the
 * inputs to TF32 (10-bit mantissa, to nearest, ties away), as tensor cores
 * would, unless NVIDIA_TF32_OVERRIDE=0 or the description says the device
 * has no TF32 (tf32_cores=0, a pre-Ampere GPU). Description keys (see
 * fake_desc.h): perturb=N adds N to the bits of the first result element
 * (two "GPUs" that round differently), nondeterministic=1 adds the call
 * number to the second, cublas_create_error=N, cublas_version=N (default
 * by major: 12 120405, 13 130100, 11 11605, which is 11.6.5 in the
 * encoding of cuBLAS before 11.7). cublasGetProperty answers FAKE_MAJOR. */
#include "fake_desc.h"

#include <stdint.h>

#ifndef FAKE_MAJOR
#define FAKE_MAJOR 12
#endif

#define API __attribute__((visibility("default")))

struct handle {
	int mode;
};

static int calls;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

API int cublasCreate_v2(void **h);
API int cublasCreate_v2(void **h)
{
	if (fake_long("cublas_create_error", 0))
		return (int)fake_long("cublas_create_error", 0);
	*h = calloc(1, sizeof(struct handle));
	return *h ? 0 : 3;
}

API int cublasDestroy_v2(void *h);
API int cublasDestroy_v2(void *h)
{
	free(h);
	return 0;
}

API int cublasSetMathMode(void *h, int mode);
API int cublasSetMathMode(void *h, int mode)
{
	((struct handle *)h)->mode = mode;
	return 0;
}

API int cublasGetVersion_v2(void *h, int *v);
API int cublasGetVersion_v2(void *h, int *v)
{
	(void)h;
	*v = (int)fake_long("cublas_version", FAKE_MAJOR == 13 ? 130100 : FAKE_MAJOR == 11 ? 11605 : 120405);
	return 0;
}

/* libraryPropertyType: 0 major, 1 minor, 2 patch */
API int cublasGetProperty(int type, int *v);
API int cublasGetProperty(int type, int *v)
{
	static const int parts[][3] = {{11, 6, 5}, {12, 4, 5}, {13, 1, 0}};
	if (type < 0 || type > 2)
		return 7;       /* CUBLAS_STATUS_INVALID_VALUE */
	*v = parts[FAKE_MAJOR - 11][type];
	return 0;
}

static float tf32(float x)
{
	uint32_t b;
	memcpy(&b, &x, 4);
	if ((b & 0x7f800000u) != 0x7f800000u) {
		b += 0x1000u;
		b &= 0xffffe000u;
	}
	memcpy(&x, &b, 4);
	return x;
}

static void add_bits(float *x, long n)
{
	uint32_t b;
	memcpy(&b, x, 4);
	b += (uint32_t)n;
	memcpy(x, &b, 4);
}

API int cublasSgemm_v2(void *h, int ta, int tb, int m, int n, int k, const float *alpha,
		       const float *a, int lda, const float *b, int ldb, const float *beta,
		       float *c, int ldc);
API int cublasSgemm_v2(void *h, int ta, int tb, int m, int n, int k, const float *alpha,
		       const float *a, int lda, const float *b, int ldb, const float *beta,
		       float *c, int ldc)
{
	const char *over = getenv("NVIDIA_TF32_OVERRIDE");
	int round = ((struct handle *)h)->mode == 3 && fake_long("tf32_cores", 1) &&
		    !(over && !strcmp(over, "0"));
	if (ta != 0 || tb != 0)
		return 15;      /* CUBLAS_STATUS_NOT_SUPPORTED: the probe only multiplies N, N */
	if (fake_long("sgemm_error", 0))
		return (int)fake_long("sgemm_error", 0);
	for (int j = 0; j < n; j++)
		for (int i = 0; i < m; i++) {
			float s = 0;
			for (int l = 0; l < k; l++) {
				float x = a[i + l * lda], y = b[l + j * ldb];
				if (round) {
					x = tf32(x);
					y = tf32(y);
				}
				s += x * y;
			}
			c[i + j * ldc] = *alpha * s + (*beta != 0 ? *beta * c[i + j * ldc] : 0);
		}
	pthread_mutex_lock(&lock);
	int call = ++calls;
	pthread_mutex_unlock(&lock);
	if (fake_long("perturb", 0))
		add_bits(&c[0], fake_long("perturb", 0));
	if (fake_long("nondeterministic", 0) && m * n > 1)
		add_bits(&c[1], call);
	return 0;
}
