/* node: a YAML document as a tree that keeps every node's file:line:col.
 * Built from libyaml's event API; duplicate mapping keys, multiple
 * documents and invalid UTF-8 are errors; aliases are expanded by sharing
 * the anchored node, with the expanded size bounded (no "billion laughs"). */
#ifndef PARITY_NODE_H
#define PARITY_NODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "util/diag.h"

enum node_type { NODE_SCALAR, NODE_SEQ, NODE_MAP };

/* Expanded size bound: nodes counted with aliases expanded. */
#define NODE_MAX_EXPANDED 100000
/* Contracts, fragments and lock files are small: a bound on their size. */
#define NODE_MAX_FILE (16L << 20)

struct node {
	enum node_type type;
	struct mark mark;       /* where the node starts */
	bool plain;             /* plain (unquoted, untagged) scalar: may be null, bool, number */
	char *str;              /* scalar text, NUL-terminated */
	size_t len;
	struct node **kids;     /* sequence items; mapping: key, value, key, value... */
	size_t n;               /* number of kids (2 per mapping entry) */
	size_t cap;
	size_t size;            /* nodes in this subtree, aliases expanded */
};

struct node_doc {
	struct source src;
	struct node *root;      /* NULL for an empty document */
	struct node **all;      /* every node allocated, for release */
	size_t n_all, cap_all;
};

/* Parses text (copied) as one YAML document named path. Returns 0, or -1
 * with errors in d. An empty document gives root NULL and returns 0. */
int node_parse(struct node_doc *doc, const char *path, const char *text, size_t len,
	       struct diag *d);
/* Reads and parses a file; a missing file is reported at 'from' (the
 * include that named it) or without a place. */
int node_load(struct node_doc *doc, const char *path, const struct mark *from,
	      struct diag *d);
/* Reads a text file into doc->src only (no YAML), for files of other formats
 * whose errors should quote their lines. Same errors as node_load. */
int node_load_text(struct node_doc *doc, const char *path, const struct mark *from,
		   struct diag *d);
void node_doc_release(struct node_doc *doc);
/* Opens path to read, refusing what is not a regular file (a FIFO would
 * hang the read, a directory has no text); NULL with *why (static text,
 * "it is a named pipe (FIFO), not a regular file", or strerror's). */
FILE *node_open_regular(const char *path, const char **why);

/* Mapping helpers. Keys are compared as strings. */
size_t node_map_len(const struct node *map);
const struct node *node_map_key(const struct node *map, size_t i);
const struct node *node_map_value(const struct node *map, size_t i);
const struct node *node_get(const struct node *map, const char *key);

/* Scalar typing (YAML 1.2 core schema for plain scalars). */
bool node_is_null(const struct node *n);      /* NULL, or plain ~/null/Null/NULL/empty */
bool node_is_string(const struct node *n);    /* a scalar that is not null/bool/number */
int node_bool(const struct node *n, bool *out);       /* 0 ok, -1 not a boolean */
int node_long(const struct node *n, long *out);       /* 0 ok, -1 not an integer */
int node_double(const struct node *n, double *out);   /* 0 ok, -1 not a number */
/* "mapping", "sequence", "string", "integer", "number", "boolean", "null" */
const char *node_type_name(const struct node *n);

#endif
