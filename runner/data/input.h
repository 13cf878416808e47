/* input: numeric data by file type, for the steps: a local file chosen by
 * its extension (.npy, .csv, .jsonl), or a command's output bytes in a
 * declared format. A field selects a CSV column (name or 0-based index) or
 * a JSON Lines field (JSON Pointer or top-level name). */
#ifndef PARITY_INPUT_H
#define PARITY_INPUT_H
#include <stddef.h>
#include "data/matrix.h"

enum data_format { FMT_BYTES, FMT_NPY, FMT_CSV, FMT_JSONL };

/* "npy" -> FMT_NPY ...; -1 when unknown. */
int data_format_from_name(const char *name);
const char *data_format_name(enum data_format f);
/* The format of a path by its extension; -1 when none fits. */
int data_format_of_path(const char *path);

/* Reads a local file; *out owned by the caller; -1 with *err. */
int data_read_path(const char *path, const char *field, struct matrix **out, char **err);
/* The same, leaving out the .csv columns named in skip (NULL-ended header
 * names, borrowed; NULL for none) when no field picks one: a label or a
 * segment key stored beside the features. */
int data_read_path_skip(const char *path, const char *field, const char *const *skip,
			struct matrix **out, char **err);
/* Reads bytes in format f (not FMT_BYTES); name stands for them in messages. */
int data_read_bytes(const char *bytes, size_t len, enum data_format f, const char *field,
		    const char *name, struct matrix **out, char **err);
/* Writes m in format f (npy: float32 when m->float32, else float64; csv;
 * jsonl rows as arrays) into a new buffer *bytes of *len bytes, owned by
 * the caller. */
int data_write_bytes(const struct matrix *m, enum data_format f, char **bytes, size_t *len,
		     char **err);

#endif
