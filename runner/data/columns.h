/* columns: one key per row read as text, beside a step's inputs: a label
 * or a segment key. From a .csv column (by header name), a .jsonl field
 * (JSON Pointer or top-level name) or a 1-D .npy (numbers as text: 3, 0.5). */
#ifndef PARITY_COLUMNS_H
#define PARITY_COLUMNS_H
#include <stddef.h>

struct column {
	size_t n;
	char **v;               /* n strings, owned */
};

/* Reads column `name` of the file at path into *out (release it), chosen by
 * the extension: .csv needs name (a header name); .jsonl needs name (a JSON
 * Pointer "/label" or a member name "label"), whose value on each line must
 * be a string, a number or a boolean; .npy takes no name and must be 1-D or
 * one column. Returns 0, or -1 with *err (owned by the caller) naming the
 * file and line: "FILE:4: field '/label' not found". */
int column_read(const char *path, const char *name, struct column *out, char **err);
void column_release(struct column *c);

#endif
