/* npy: NumPy's .npy format, versions 1.0, 2.0 and 3.0, read into a matrix of
 * doubles and written from one. Dtypes f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1,
 * either byte order; shapes () as 1 x 1, (n,) as n x 1, (n, m) as n x m.
 * Fortran-order arrays are transposed to row-major while they stream in. */
#ifndef PARITY_NPY_H
#define PARITY_NPY_H
#include <stdio.h>

#include "data/matrix.h"

/* Reads the .npy file at path into *out (owned by the caller). Memory stays
 * at the matrix plus a fixed 256 KiB buffer, whatever the file's dtype.
 * Integers beyond 2^53 round to the nearest double. Bytes after the data
 * are ignored, as np.load ignores them. On failure *err (owned by the
 * caller) names the file and, for the prologue and header, the 0-based byte
 * offset: "FILE: byte 6: unsupported npy version 4.0",
 * "FILE: byte 10: malformed header: expected 'descr'" (a missing key points
 * at the dictionary's first byte),
 * "FILE: truncated: header says 200 values, found 37". */
int npy_read(const char *path, struct matrix **out, char **err);

/* The same from an open stream (a file or a pipe, read to the end of the
 * array and no further); name (borrowed) stands for it in messages. */
int npy_read_file(FILE *f, const char *name, struct matrix **out, char **err);

/* Writes m as a version 1.0 '<f8' C-order array of shape (rows, cols) to
 * path, replacing the file. *err (owned by the caller) on failure. */
int npy_write_f64(const char *path, const struct matrix *m, char **err);

/* The same to an open stream; name (borrowed) for messages. The stream is
 * flushed, not closed. */
int npy_write_f64_file(FILE *f, const char *name, const struct matrix *m, char **err);

/* m as a version 1.0 C-order .npy in a new buffer *bytes of *len bytes
 * (owned by the caller), sized exactly, with no stream in between: '<f4'
 * when m->float32 (the values came from float32 data), '<f8' otherwise.
 * -1 with *err when memory is exhausted. */
int npy_encode(const struct matrix *m, char **bytes, size_t *len, char **err);

#endif
