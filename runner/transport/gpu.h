/* gpu: facts about one CUDA device (name, compute capability, memory, ECC,
 * driver and runtime versions, MIG, the TF32 variables) and a numeric
 * fingerprint, as the gpu step and `parity probe gpu` report them. Read
 * through the CUDA runtime (transport/cuda), or parsed from nvidia-smi's
 * output when only that is available in an environment. */
#ifndef PARITY_GPU_H
#define PARITY_GPU_H
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

/* The variables a gpu fact records, NULL-terminated: NVIDIA_TF32_OVERRIDE,
 * TORCH_ALLOW_TF32_CUBLAS_OVERRIDE, CUBLAS_WORKSPACE_CONFIG, CUDA_VISIBLE_DEVICES. */
extern const char *const gpu_vars[];

/* The fingerprint's matrix product: (M x K) times (K x N), float32. */
enum { GPU_FP_M = 288, GPU_FP_K = 256, GPU_FP_N = 224, GPU_FP_RUNS = 3 };

struct gpu_probe_opts {
	int device;             /* CUDA device index */
	bool fingerprint;       /* run the numeric fingerprint */
	int64_t deadline_ms;    /* for the nvidia-smi call that reads MIG mode; 0: none */
};

/* Probes the device through this process's CUDA runtime. Never NULL (new
 * reference): {"available": true, ...facts} or {"available": false,
 * "problem": "no-runtime|no-driver|driver-too-old|no-device|bad-device|cuda-error",
 * "reason": "..."}; "source" is "cudart". "memory_gib" is the board's total
 * memory as nvidia-smi reports it (memory.total), read with nvidia-smi on
 * this host, as on the nvidia-smi path; "cuda_memory_gib" is
 * cudaMemGetInfo's total, what CUDA can allocate. */
json_t *gpu_probe(const struct gpu_probe_opts *o);

/* A /bin/sh script for environments without parity: prints the gpu
 * variables ("var NAME=VALUE"), then nvidia-smi's answers ("smi-status N",
 * "gpu CSV", "cuda X.Y", "mig UUID, MODE"), or "no-smi". */
extern const char gpu_smi_script[];
/* The fact from gpu_smi_script's output for device (an index after
 * CUDA_VISIBLE_DEVICES, as CUDA counts); "source" is "nvidia-smi". New reference. */
json_t *gpu_from_smi(const char *output, int device);

/* Sets "tf32" from the fact's "vars" (see gpu_tf32_state). */
void gpu_set_tf32(json_t *fact);
/* The TF32 state that two variables (NULL: unset) ask for:
 * "disabled"     NVIDIA_TF32_OVERRIDE=0 and TORCH_ALLOW_TF32_CUBLAS_OVERRIDE not 1;
 * "enabled"      TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1 and NVIDIA_TF32_OVERRIDE not 0;
 * "conflicting"  both (NVIDIA's override wins in cuBLAS and cuDNN);
 * "default"      neither: each framework's own default applies.
 * Values are compared exactly ("0", "1"); others count as unset, as the
 * libraries ignore them. */
const char *gpu_tf32_state(const char *nvidia_override, const char *torch_override);

/* "12.4" from a CUDA version number 1000*major + 10*minor (12040); "" for v <= 0. */
void gpu_cuda_version(int v, char out[16]);
/* "12.4.5" from cublasGetVersion's number: major*10000 + minor*100 + patch
 * since cuBLAS 11.7 (120405), major*1000 + minor*100 + patch before it
 * (10201 is 10.2.1, 11605 is 11.6.5); "" for v <= 0. */
void gpu_cublas_version(int v, char out[24]);
/* The kernel driver's version ("565.57.01") from the text of
 * /proc/driver/nvidia/version: the first word of its "NVRM version:" line
 * (else its first line) that looks like a driver version, digits.digits or
 * digits.digits.digits. Proprietary modules write "NVRM version: NVIDIA UNIX
 * x86_64 Kernel Module  535.104.05  Sun Aug 20 ...", the open ones "NVRM
 * version: NVIDIA UNIX Open Kernel Module for x86_64  565.57.01  Release
 * Build ...". out is "" when there is none. */
void gpu_driver_from_proc(const char *text, char out[32]);
/* x rounded to TF32 (8-bit exponent, 10-bit mantissa): to nearest, ties
 * away from zero, as CUTLASS rounds float to tfloat32; NaN and infinities
 * are kept. */
float gpu_tf32_round(float x);
/* "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (nvidia-smi's form) from 16
 * bytes and the prefix ("GPU-" for a board, "MIG-" for a MIG instance, ""
 * for the bare uuid); "" when all bytes are zero. */
void gpu_uuid_format(const unsigned char bytes[16], const char *prefix, char out[41]);

/* A fact member as text for matchers and same checks: strings as they are,
 * integers in decimal, reals with two decimals, booleans as true/false.
 * NULL when absent or null; owned by the caller. */
char *gpu_fact_text(const json_t *fact, const char *key);

#endif
