/* TEST DOUBLE, not NVIDIA code, and no part of NVIDIA's CUDA runtime.
 *
 * fake_cudart: a stand-in for libcudart that the parity tests build as
 * libcudart.so.12 (and as .so.13 and .so.11.0 with FAKE_MAJOR) and load
 * with PARITY_CUDART or CUDA_HOME, so that every path of the gpu step runs
 * on a machine without a GPU. It exports the few entry points parity
 * binds, with the C signatures of the CUDA runtime API, and answers from
 * the description named by PARITY_FAKE_CUDA (fake_desc.h). "Device memory"
 * is host memory. Like CUDA 13, it exports cudaGetDeviceProperties only (no
 * _v2 spelling), and writes just the name and uuid of the struct.
 *
 * Its runtime version is "runtime" (default 12040) for the .so.12 build,
 * "runtime13" or "runtime11" (default 13000, 11000) for the others. Like
 * the real runtime, it answers cudaErrorInsufficientDriver when the
 * driver's major version is below its own. A device may be a MIG instance:
 * device<N>.mig_uuid is then the uuid CUDA reports, and cudaMemGetInfo's
 * total is device<N>.cuda_memory_mib (default: memory_mib less 600 MiB,
 * the driver's reservation). */
#include "fake_desc.h"

#include <stdint.h>

#ifndef FAKE_MAJOR
#define FAKE_MAJOR 12
#endif

#define API __attribute__((visibility("default")))

enum { OK = 0, ERR_VALUE = 1, ERR_MEMORY = 2, ERR_INSUFFICIENT_DRIVER = 35,
       ERR_NO_DEVICE = 100, ERR_INVALID_DEVICE = 101, ERR_UNKNOWN = 999 };

static __thread int current;

static const struct {
	int code;
	const char *name, *text;
} errors[] = {
	{OK, "cudaSuccess", "no error"},
	{ERR_VALUE, "cudaErrorInvalidValue", "invalid argument"},
	{ERR_MEMORY, "cudaErrorMemoryAllocation", "out of memory"},
	{ERR_INSUFFICIENT_DRIVER, "cudaErrorInsufficientDriver",
	 "CUDA driver version is insufficient for CUDA runtime version"},
	{ERR_NO_DEVICE, "cudaErrorNoDevice", "no CUDA-capable device is detected"},
	{ERR_INVALID_DEVICE, "cudaErrorInvalidDevice", "invalid device ordinal"},
	{ERR_UNKNOWN, "cudaErrorUnknown", "unknown error"},
};

static int count(void)
{
	return (int)fake_long("count", 1);
}

API const char *cudaGetErrorName(int e);
API const char *cudaGetErrorName(int e)
{
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
		if (errors[i].code == e)
			return errors[i].name;
	return "cudaErrorUnknown";
}

API const char *cudaGetErrorString(int e);
API const char *cudaGetErrorString(int e)
{
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
		if (errors[i].code == e)
			return errors[i].text;
	return "unrecognized error code";
}

API int cudaDriverGetVersion(int *v);
API int cudaDriverGetVersion(int *v)
{
	*v = (int)fake_long("driver", 12040);
	return OK;
}

static int runtime_version(void)
{
	char key[32];
	if (FAKE_MAJOR == 12)
		return (int)fake_long("runtime", 12040);
	snprintf(key, sizeof key, "runtime%d", FAKE_MAJOR);
	return (int)fake_long(key, FAKE_MAJOR * 1000);
}

API int cudaRuntimeGetVersion(int *v);
API int cudaRuntimeGetVersion(int *v)
{
	*v = runtime_version();
	return OK;
}

API int cudaGetDeviceCount(int *n);
API int cudaGetDeviceCount(int *n)
{
	*n = 0;
	long driver = fake_long("driver", 12040);
	if (driver == 0)
		return ERR_INSUFFICIENT_DRIVER;        /* what the runtime says without libcuda */
	if (driver / 1000 < runtime_version() / 1000)
		return ERR_INSUFFICIENT_DRIVER;        /* a runtime of a newer major than the driver */
	if (fake_long("count_error", 0))
		return (int)fake_long("count_error", 0);
	if (count() <= 0)
		return ERR_NO_DEVICE;
	*n = count();
	return OK;
}

static int check(int dev)
{
	return dev >= 0 && dev < count() ? OK : ERR_INVALID_DEVICE;
}

/* "9.0" -> 9 and 0 */
static void capability(int dev, int *major, int *minor)
{
	const char *cc = fake_dev(dev, "cc", "9.0");
	*major = atoi(cc);
	const char *dot = strchr(cc, '.');
	*minor = dot ? atoi(dot + 1) : 0;
}

API int cudaDeviceGetAttribute(int *v, int attr, int dev);
API int cudaDeviceGetAttribute(int *v, int attr, int dev)
{
	int major, minor;
	if (check(dev))
		return ERR_INVALID_DEVICE;
	capability(dev, &major, &minor);
	switch (attr) {
	case 16:        /* cudaDevAttrMultiProcessorCount */
		*v = atoi(fake_dev(dev, "sms", "132"));
		return OK;
	case 32:        /* cudaDevAttrEccEnabled */
		*v = atoi(fake_dev(dev, "ecc", "1"));
		return OK;
	case 75:
		*v = major;
		return OK;
	case 76:
		*v = minor;
		return OK;
	default:
		return ERR_VALUE;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

API int cudaGetDeviceProperties(void *prop, int dev);
API int cudaGetDeviceProperties(void *prop, int dev)
{
	char def[64];
	unsigned char *p = prop;
	if (check(dev))
		return ERR_INVALID_DEVICE;
	memset(p, 0, 1008);                     /* CUDA 13's sizeof(cudaDeviceProp) */
	snprintf((char *)p, 256, "%s", fake_dev(dev, "name", "Parity Fake GPU"));
	snprintf(def, sizeof def, "GPU-70617269-7479-2d66-616b-6500000000%02x", dev & 0xff);
	const char *u = fake_dev(dev, "mig_uuid", fake_dev(dev, "uuid", def));
	if (!strncmp(u, "GPU-", 4) || !strncmp(u, "MIG-", 4))
		u += 4;
	int k = 0, hi = -1;
	for (; *u && k < 16; u++) {
		int h = hexval(*u);
		if (h < 0)
			continue;
		if (hi < 0) {
			hi = h;
		} else {
			p[256 + k++] = (unsigned char)(hi * 16 + h);
			hi = -1;
		}
	}
	return OK;
}

API int cudaSetDevice(int dev);
API int cudaSetDevice(int dev)
{
	if (check(dev))
		return ERR_INVALID_DEVICE;
	current = dev;
	return OK;
}

API int cudaMemGetInfo(size_t *free_b, size_t *total);
API int cudaMemGetInfo(size_t *free_b, size_t *total)
{
	if (fake_long("memory_error", 0))
		return (int)fake_long("memory_error", 0);
	unsigned long long board = strtoull(fake_dev(current, "memory_mib", "81559"), NULL, 10);
	const char *cuda = fake_dev(current, "cuda_memory_mib", NULL);
	*total = (size_t)(cuda ? strtoull(cuda, NULL, 10) : board > 600 ? board - 600 : board) << 20;
	*free_b = *total / 2;
	return OK;
}

API int cudaMalloc(void **p, size_t n);
API int cudaMalloc(void **p, size_t n)
{
	if (fake_long("malloc_error", 0))
		return (int)fake_long("malloc_error", 0);
	*p = malloc(n);
	return *p ? OK : ERR_MEMORY;
}

API int cudaFree(void *p);
API int cudaFree(void *p)
{
	free(p);
	return OK;
}

API int cudaMemcpy(void *dst, const void *src, size_t n, int kind);
API int cudaMemcpy(void *dst, const void *src, size_t n, int kind)
{
	(void)kind;
	memcpy(dst, src, n);
	return OK;
}

API int cudaDeviceSynchronize(void);
API int cudaDeviceSynchronize(void)
{
	return OK;
}
