/* file: writing a file whole or not at all: into a temporary file beside it,
 * then rename, so that no reader ever sees a half-written report, facts or
 * lock file. The file gets the usual mode, 0666 less the umask. And paths
 * named inside a file, resolved against that file's folder. */
#ifndef PARITY_FILE_H
#define PARITY_FILE_H
#include <stddef.h>
#include <stdio.h>

/* Calls write(f, arg) on the temporary file (it returns 0, or -1 on a write
 * error), then renames it onto path. Returns 0, or -1 with *err (owned by the
 * caller): "cannot write <what> 'path': reason" (what may be NULL). The
 * temporary file never outlives the call, not even when a second signal ends
 * parity at once (cancel_now removes it). */
int file_write_atomic(const char *path, const char *what, int (*write)(FILE *f, void *arg),
		      void *arg, char **err);
/* file_write_atomic of len bytes of text. */
int file_write_text(const char *path, const char *what, const char *text, size_t len, char **err);

/* path as named inside the file 'file': absolute as it is, otherwise
 * against file's folder ("dir/c.yaml", "x.npy" -> "dir/x.npy"; "c.yaml",
 * "x.npy" -> "x.npy"). Owned by the caller. */
char *file_beside(const char *file, const char *path);

#endif
