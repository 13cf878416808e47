/* Unit tests for core/gpu: CUDA and cuBLAS version decoding, the kernel
 * driver's version from /proc, TF32 rounding (ties, signs, specials), the
 * TF32 state of the two variables, uuid formatting, fact text for
 * matchers, and the nvidia-smi fallback: its script's variable lines under
 * /bin/sh and the parser of its output. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/gpu.h"
#include "util/buf.h"
#include "util/xalloc.h"

static float from_bits(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static uint32_t bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

static void test_cuda_version(void **state)
{
	static const struct {
		int v;
		const char *s;
	} cases[] = {
		{12040, "12.4"}, {11080, "11.8"}, {12000, "12.0"}, {13000, "13.0"}, {12010, "12.1"},
		{10020, "10.2"}, {9000, "9.0"}, {12090, "12.9"}, {0, ""}, {-1, ""},
	};
	char out[16];
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		gpu_cuda_version(cases[i].v, out);
		assert_string_equal(out, cases[i].s);
	}
}

static void test_cublas_version(void **state)
{
	static const struct {
		int v;
		const char *s;
	} cases[] = {
		/* before cuBLAS 11.7: major*1000 + minor*100 + patch */
		{10201, "10.2.1"}, {11605, "11.6.5"}, {11000, "11.0.0"}, {11599, "11.5.99"},
		{9200, "9.2.0"}, {10100, "10.1.0"},
		/* from 11.7 on: major*10000 + minor*100 + patch */
		{110700, "11.7.0"}, {110902, "11.9.2"}, {111103, "11.11.3"}, {120405, "12.4.5"},
		{120603, "12.6.3"}, {130100, "13.1.0"}, {131001, "13.10.1"},
		{0, ""}, {-1, ""},
	};
	char out[24];
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		gpu_cublas_version(cases[i].v, out);
		assert_string_equal(out, cases[i].s);
	}
}

static void test_driver_from_proc(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		/* proprietary modules */
		{"NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sun Aug 20 22:06:14 UTC 2023\n"
		 "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n", "535.104.05"},
		{"NVRM version: NVIDIA UNIX x86_64 Kernel Module  390.87  Tue Aug 21 12:33:05 PDT 2018\n",
		 "390.87"},
		/* open modules: the word after "Kernel Module" is "for" */
		{"NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  565.57.01  Release Build  "
		 "(dvs-builder@U16-I3-B03-4-3)  Tue Oct 15 03:03:55 UTC 2024\n"
		 "GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n", "565.57.01"},
		{"NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  580.95.05  Release Build  "
		 "(dvs-builder@U22-I3-AE18-23-3)  Tue Sep 23 09:51:21 UTC 2025\n", "580.95.05"},
		/* the NVRM line wins over an earlier line; no newline at the end */
		{"GCC version:  gcc version 12.2.0\nNVRM version: NVIDIA UNIX Open Kernel Module for "
		 "x86_64  570.86.15  Release Build", "570.86.15"},
		/* nothing that looks like a driver version */
		{"NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  Release Build\n"
		 "GCC version:  gcc version 12.2.0\n", ""},
		{"", ""},
		{"NVRM version: 1.2.3.4 5. .6 7..8 x1.2 560.35.03\n", "560.35.03"},
	};
	char out[32];
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		gpu_driver_from_proc(cases[i].text, out);
		assert_string_equal(out, cases[i].want);
	}
}

static void test_tf32_round(void **state)
{
	(void)state;
	/* representable values stay */
	assert_true(gpu_tf32_round(1.0f) == 1.0f);
	assert_true(gpu_tf32_round(-2.5f) == -2.5f);
	assert_true(gpu_tf32_round(0.0f) == 0.0f);
	assert_true(gpu_tf32_round(1.0f + 0x1p-10f) == 1.0f + 0x1p-10f);
	/* below half a TF32 ulp (2^-11 at 1): down; at half: away from zero; above: up */
	assert_true(gpu_tf32_round(1.0f + 0x1p-12f) == 1.0f);
	assert_true(gpu_tf32_round(1.0f + 0x1p-11f) == 1.0f + 0x1p-10f);
	assert_true(gpu_tf32_round(-(1.0f + 0x1p-11f)) == -(1.0f + 0x1p-10f));
	assert_true(gpu_tf32_round(1.0f + 0x1p-11f + 0x1p-20f) == 1.0f + 0x1p-10f);
	/* an odd TF32 mantissa at a tie rounds away too (not to even) */
	assert_true(gpu_tf32_round(1.0f + 0x1p-10f + 0x1p-11f) == 1.0f + 0x1p-9f);
	/* the low 13 bits are always clear */
	for (uint32_t u = 0x3f800000u; u < 0x3f800000u + 70000u; u += 7)
		assert_int_equal(bits(gpu_tf32_round(from_bits(u))) & 0x1fffu, 0);
	/* rounding error at most half a TF32 ulp, relative 2^-11 */
	for (uint32_t u = 0x3e000000u; u < 0x40000000u; u += 0x10001u) {
		float x = from_bits(u);
		assert_true(fabs((double)gpu_tf32_round(x) - x) <= fabs((double)x) * 0x1p-11);
	}
	/* the carry into the exponent */
	assert_true(gpu_tf32_round(from_bits(0x3ffff000u)) == 2.0f);
	/* specials are kept; the largest finite float rounds to infinity */
	assert_true(isinf(gpu_tf32_round(INFINITY)) && gpu_tf32_round(-INFINITY) < 0);
	assert_true(isnan(gpu_tf32_round(NAN)));
	assert_true(isinf(gpu_tf32_round(from_bits(0x7f7fffffu))));
	/* subnormals round on the same bit grid */
	assert_int_equal(bits(gpu_tf32_round(from_bits(0x00001000u))), 0x00002000u);
	assert_int_equal(bits(gpu_tf32_round(from_bits(0x00000fffu))), 0);
}

static void test_tf32_state(void **state)
{
	(void)state;
	assert_string_equal(gpu_tf32_state(NULL, NULL), "default");
	assert_string_equal(gpu_tf32_state("0", NULL), "disabled");
	assert_string_equal(gpu_tf32_state("0", "0"), "disabled");
	assert_string_equal(gpu_tf32_state(NULL, "1"), "enabled");
	assert_string_equal(gpu_tf32_state("1", "1"), "enabled");
	assert_string_equal(gpu_tf32_state("0", "1"), "conflicting");
	/* only the exact values count, as the libraries read them */
	assert_string_equal(gpu_tf32_state("1", NULL), "default");
	assert_string_equal(gpu_tf32_state("", ""), "default");
	assert_string_equal(gpu_tf32_state("00", "true"), "default");
	assert_string_equal(gpu_tf32_state(" 0", "1 "), "default");
}

static void test_uuid_format(void **state)
{
	const unsigned char b[16] = {0x0b, 0x6f, 0x3a, 0x2c, 0x1d, 0x4e, 0x4f, 0x5a,
				     0x8b, 0x9c, 0x0d, 0x1e, 0x2f, 0x3a, 0x4b, 0x5c};
	const unsigned char zero[16] = {0};
	char out[41];
	(void)state;
	gpu_uuid_format(b, "GPU-", out);
	assert_string_equal(out, "GPU-0b6f3a2c-1d4e-4f5a-8b9c-0d1e2f3a4b5c");
	/* a MIG instance keeps its own prefix */
	gpu_uuid_format(b, "MIG-", out);
	assert_string_equal(out, "MIG-0b6f3a2c-1d4e-4f5a-8b9c-0d1e2f3a4b5c");
	gpu_uuid_format(b, "", out);
	assert_string_equal(out, "0b6f3a2c-1d4e-4f5a-8b9c-0d1e2f3a4b5c");
	gpu_uuid_format(zero, "GPU-", out);
	assert_string_equal(out, "");
}

static void test_fact_text(void **state)
{
	json_t *f = json_pack("{s:s, s:i, s:f, s:b, s:b, s:n}", "name", "NVIDIA H100", "count", 8,
			      "memory_gib", 79.65, "ecc", 1, "other", 0, "mig");
	char *t;
	(void)state;
	t = gpu_fact_text(f, "name");
	assert_string_equal(t, "NVIDIA H100");
	free(t);
	t = gpu_fact_text(f, "count");
	assert_string_equal(t, "8");
	free(t);
	t = gpu_fact_text(f, "memory_gib");
	assert_string_equal(t, "79.65");
	free(t);
	t = gpu_fact_text(f, "ecc");
	assert_string_equal(t, "true");
	free(t);
	t = gpu_fact_text(f, "other");
	assert_string_equal(t, "false");
	free(t);
	assert_null(gpu_fact_text(f, "mig"));
	assert_null(gpu_fact_text(f, "absent"));
	json_decref(f);
}

/* Runs the fallback script under /bin/sh with env assignments and a PATH
 * without nvidia-smi; returns its stdout. */
static char *run_script(const char *assignments)
{
	char path[] = "/tmp/parity-gpu-script-XXXXXX";
	int fd = mkstemp(path);
	struct buf b;
	char chunk[1024];
	size_t n;
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(gpu_smi_script, f);
	fclose(f);
	char *cmd = xasprintf("env -i PATH=/nonexistent %s /bin/sh %s", assignments, path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	buf_init(&b);
	for (;;) {
		n = fread(chunk, 1, sizeof chunk, p);
		if (n == 0)
			break;
		buf_add(&b, chunk, n);
	}
	assert_int_equal(pclose(p), 0);
	remove(path);
	free(cmd);
	char *out = buf_detach(&b);
	buf_release(&b);
	return out;
}

static void test_script_vars(void **state)
{
	(void)state;
	char *out = run_script("NVIDIA_TF32_OVERRIDE=0 'CUBLAS_WORKSPACE_CONFIG=:4096:8' "
			       "'CUDA_VISIBLE_DEVICES=0, 1 $HOME \"q\"' TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=");
	assert_string_equal(out, "var NVIDIA_TF32_OVERRIDE=0\n"
			    "var TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=\n"
			    "var CUBLAS_WORKSPACE_CONFIG=:4096:8\n"
			    "var CUDA_VISIBLE_DEVICES=0, 1 $HOME \"q\"\n"
			    "no-smi\n");
	json_t *f = gpu_from_smi(out, 0);
	assert_false(json_is_true(json_object_get(f, "available")));
	assert_string_equal(json_string_value(json_object_get(f, "problem")), "no-nvidia-smi");
	assert_string_equal(json_string_value(json_object_get(f, "tf32")), "disabled");
	const json_t *vars = json_object_get(f, "vars");
	assert_string_equal(json_string_value(json_object_get(vars, "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE")), "");
	assert_string_equal(json_string_value(json_object_get(vars, "CUDA_VISIBLE_DEVICES")),
			    "0, 1 $HOME \"q\"");
	json_decref(f);
	free(out);
	out = run_script("");
	assert_string_equal(out, "no-smi\n");
	f = gpu_from_smi(out, 0);
	assert_true(json_is_null(json_object_get(json_object_get(f, "vars"), "NVIDIA_TF32_OVERRIDE")));
	assert_string_equal(json_string_value(json_object_get(f, "tf32")), "default");
	json_decref(f);
	free(out);
}

static const char smi_two[] =
	"var CUDA_VISIBLE_DEVICES=GPU-bbbb\n"
	"smi-status 0\n"
	"gpu NVIDIA A100-SXM4-80GB, 8.0, 81920, 550.54.15, Enabled, GPU-aaaa-1111\n"
	"gpu Board, with, commas, 9.0, 81559, 550.54.15, [N/A], GPU-bbbb-2222\n"
	"cuda 12.4\n"
	"mig GPU-aaaa-1111, Disabled\n"
	"mig GPU-bbbb-2222, Enabled\n";

static void test_from_smi(void **state)
{
	(void)state;
	json_t *f = gpu_from_smi(smi_two, 0);
	assert_true(json_is_true(json_object_get(f, "available")));
	assert_string_equal(json_string_value(json_object_get(f, "source")), "nvidia-smi");
	assert_string_equal(json_string_value(json_object_get(f, "name")), "Board, with, commas");
	assert_string_equal(json_string_value(json_object_get(f, "compute_capability")), "9.0");
	assert_string_equal(json_string_value(json_object_get(f, "uuid")), "GPU-bbbb-2222");
	assert_string_equal(json_string_value(json_object_get(f, "mig")), "enabled");
	assert_string_equal(json_string_value(json_object_get(f, "driver")), "12.4");
	assert_string_equal(json_string_value(json_object_get(f, "driver_version")), "550.54.15");
	assert_true(json_is_null(json_object_get(f, "ecc")));
	assert_true(json_is_null(json_object_get(f, "runtime")));
	assert_int_equal(json_integer_value(json_object_get(f, "count")), 1);
	assert_int_equal(json_integer_value(json_object_get(f, "memory_bytes")), 81559LL * 1048576);
	assert_true(fabs(json_real_value(json_object_get(f, "memory_gib")) - 79.65) < 1e-9);
	json_decref(f);

	/* the second device under CUDA_VISIBLE_DEVICES=GPU-bbbb does not exist */
	f = gpu_from_smi(smi_two, 1);
	assert_string_equal(json_string_value(json_object_get(f, "problem")), "bad-device");
	assert_string_equal(json_string_value(json_object_get(f, "reason")),
			    "device 1 is out of range: 1 CUDA device visible (0)");
	json_decref(f);

	/* without CUDA_VISIBLE_DEVICES, both in nvidia-smi's order */
	const char *all = strchr(smi_two, '\n') + 1;
	f = gpu_from_smi(all, 0);
	assert_string_equal(json_string_value(json_object_get(f, "name")), "NVIDIA A100-SXM4-80GB");
	assert_true(json_is_true(json_object_get(f, "ecc")));
	assert_string_equal(json_string_value(json_object_get(f, "mig")), "disabled");
	assert_int_equal(json_integer_value(json_object_get(f, "count")), 2);
	json_decref(f);

	/* reordered by index; an unknown entry ends the list, as in CUDA */
	char *text = xasprintf("var CUDA_VISIBLE_DEVICES=1,0,5,1\n%s", all);
	f = gpu_from_smi(text, 1);
	assert_string_equal(json_string_value(json_object_get(f, "uuid")), "GPU-aaaa-1111");
	assert_int_equal(json_integer_value(json_object_get(f, "count")), 2);
	json_decref(f);
	free(text);
}

static void test_from_smi_failures(void **state)
{
	(void)state;
	json_t *f = gpu_from_smi("smi-status 9\ngpu NVIDIA-SMI has failed because it couldn't "
				 "communicate with the NVIDIA driver.\ncuda \n", 0);
	assert_string_equal(json_string_value(json_object_get(f, "problem")), "no-driver");
	assert_string_equal(json_string_value(json_object_get(f, "reason")),
			    "nvidia-smi failed (exit status 9): NVIDIA-SMI has failed because it "
			    "couldn't communicate with the NVIDIA driver.");
	json_decref(f);
	f = gpu_from_smi("smi-status 6\ngpu No devices were found\n", 0);
	assert_string_equal(json_string_value(json_object_get(f, "problem")), "nvidia-smi-error");
	json_decref(f);
	f = gpu_from_smi("smi-status 0\ngpu No devices were found\n", 0);
	assert_string_equal(json_string_value(json_object_get(f, "problem")), "no-device");
	assert_string_equal(json_string_value(json_object_get(f, "reason")),
			    "no CUDA device: nvidia-smi lists no GPU");
	json_decref(f);
	f = gpu_from_smi("var CUDA_VISIBLE_DEVICES=MIG-1234\nsmi-status 0\n"
			 "gpu A, 8.0, 40960, 550.54.15, Enabled, GPU-aaaa\n", 0);
	assert_string_equal(json_string_value(json_object_get(f, "problem")), "nvidia-smi-error");
	json_decref(f);
	f = gpu_from_smi("smi-status 0\ngpu Field \"compute_cap\" is not a valid field to query.\n", 0);
	assert_string_equal(json_string_value(json_object_get(f, "reason")),
			    "cannot read nvidia-smi's answer: Field \"compute_cap\" is not a valid field "
			    "to query.");
	json_decref(f);
	/* nothing parity can read: an empty answer is an error, not a crash */
	f = gpu_from_smi("", 0);
	assert_false(json_is_true(json_object_get(f, "available")));
	json_decref(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cuda_version),
		cmocka_unit_test(test_cublas_version),
		cmocka_unit_test(test_driver_from_proc),
		cmocka_unit_test(test_tf32_round),
		cmocka_unit_test(test_tf32_state),
		cmocka_unit_test(test_uuid_format),
		cmocka_unit_test(test_fact_text),
		cmocka_unit_test(test_script_vars),
		cmocka_unit_test(test_from_smi),
		cmocka_unit_test(test_from_smi_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
