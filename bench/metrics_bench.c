/* metrics_bench: times parity's metrics pass (metrics_compute, the one pass
 * the inference step makes over an environment's outputs and the
 * baseline's) on two .npy matrices, apart from reading them. bench/run.sh
 * compiles it against build/libparity.a:
 *
 *   metrics_bench A.npy B.npy [RUNS]
 *
 * prints one line "read S compute BEST MEDIAN max_abs_diff X mean_abs_diff Y
 * allclose_violations N disagreements D" (seconds; BEST and MEDIAN over RUNS
 * runs of metrics_compute, 3 by default), so that the script can compare
 * the numbers with numpy's on the same data. A float32 file stays float32
 * in memory (two 100,000 x 1,000 matrices take 800 MB); the differences are
 * computed in double precision. */
#include "data/metrics.h"
#include "data/npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
	struct matrix *a = NULL, *b = NULL;
	char *err = NULL;
	int runs = argc > 3 ? atoi(argv[3]) : 3;
	double t0, read_s, *times;
	struct metrics m;

	if (argc < 3 || runs < 1) {
		fprintf(stderr, "usage: metrics_bench A.npy B.npy [RUNS]\n");
		return 2;
	}
	t0 = now();
	if (npy_read(argv[1], &a, &err) < 0 || npy_read(argv[2], &b, &err) < 0) {
		fprintf(stderr, "metrics_bench: %s\n", err);
		return 1;
	}
	read_s = now() - t0;
	times = calloc((size_t)runs, sizeof *times);
	if (!times)
		return 1;
	for (int i = 0; i < runs; i++) {
		t0 = now();
		if (metrics_compute(a, b, METRICS_RTOL_DEFAULT, METRICS_ATOL_DEFAULT, &m, &err) < 0) {
			fprintf(stderr, "metrics_bench: %s\n", err);
			return 1;
		}
		times[i] = now() - t0;
		if (i + 1 < runs)
			metrics_release(&m);
	}
	qsort(times, (size_t)runs, sizeof *times, cmp);
	printf("read %.6f compute %.6f %.6f max_abs_diff %.17g mean_abs_diff %.17g "
	       "allclose_violations %zu disagreements %zu\n",
	       read_s, times[0], runs % 2 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2,
	       m.max_abs_diff, m.mean_abs_diff, m.allclose_violations, m.disagreements);
	metrics_release(&m);
	matrix_free(a);
	matrix_free(b);
	free(times);
	return 0;
}
