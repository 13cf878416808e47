/* node: YAML to a tree with marks, through libyaml's event parser.
 * Anchors are remembered by name; an alias shares the anchored node and
 * adds its size to the document's expanded size, which is bounded. */
#include "load/node.h"
#include "util/text.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define MAX_DEPTH 200

struct anchor {
	char *name;
	struct node *node;
};

struct builder {
	struct node_doc *doc;
	struct diag *d;
	struct node *stack[MAX_DEPTH];
	int depth;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	size_t expanded;
	int docs;
};

static struct mark mark_of(const struct node_doc *doc, yaml_mark_t m)
{
	struct mark k = {&doc->src, (int)m.line + 1, (int)m.column + 1};
	return k;
}

static struct node *new_node(struct builder *b, enum node_type t, yaml_mark_t m)
{
	struct node *n = xcalloc(1, sizeof *n);
	n->type = t;
	n->mark = mark_of(b->doc, m);
	n->size = 1;
	XGROW(b->doc->all, b->doc->cap_all, b->doc->n_all + 1);
	b->doc->all[b->doc->n_all++] = n;
	return n;
}

static void remember_anchor(struct builder *b, const yaml_char_t *name, struct node *n)
{
	if (!name)
		return;
	XGROW(b->anchors, b->cap_anchors, b->n_anchors + 1);
	b->anchors[b->n_anchors].name = xstrdup((const char *)name);
	b->anchors[b->n_anchors].node = n;
	b->n_anchors++;
}

static struct node *find_anchor(struct builder *b, const char *name)
{
	/* the latest definition wins, as YAML says */
	for (size_t i = b->n_anchors; i-- > 0;)
		if (!strcmp(b->anchors[i].name, name))
			return b->anchors[i].node;
	return NULL;
}

static int check_duplicate(struct builder *b, const struct node *map, const struct node *key)
{
	if (key->type != NODE_SCALAR) {
		diag_at(b->d, &key->mark, "mapping keys must be plain strings");
		return -1;
	}
	if (key->plain && !strcmp(key->str, "<<")) {
		diag_at(b->d, &key->mark, "YAML merge keys ('<<') are not supported: write the keys "
			"out, or anchor the whole mapping and use it as one value ('key: *name')");
		return -1;
	}
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct node *k = map->kids[i];
		if (k->type == NODE_SCALAR && !strcmp(k->str, key->str)) {
			diag_at(b->d, &key->mark, "duplicate key '%s' (first defined at line %d)",
				key->str, k->mark.line);
			return -1;
		}
	}
	return 0;
}

/* Attaches a finished node to its parent (or makes it the root). */
static int attach(struct builder *b, struct node *n)
{
	if (b->depth == 0) {
		b->doc->root = n;
		return 0;
	}
	struct node *p = b->stack[b->depth - 1];
	if (p->type == NODE_MAP && p->n % 2 == 0 && check_duplicate(b, p, n) < 0)
		return -1;
	XGROW(p->kids, p->cap, p->n + 1);
	p->kids[p->n++] = n;
	return 0;
}

static int add_size(struct builder *b, size_t size, const struct mark *at)
{
	b->expanded += size;
	if (b->expanded > NODE_MAX_EXPANDED) {
		diag_at(b->d, at, "document too large: more than %d nodes once aliases are expanded "
			"(aliases that expand exponentially are refused)", NODE_MAX_EXPANDED);
		return -1;
	}
	return 0;
}

static int on_event(struct builder *b, yaml_event_t *ev)
{
	struct node *n;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1) {
			struct mark m = mark_of(b->doc, ev->start_mark);
			diag_at(b->d, &m, "more than one YAML document: a contract is one document "
				"(remove the '---' separator)");
			return -1;
		}
		return 0;
	case YAML_SCALAR_EVENT:
		n = new_node(b, NODE_SCALAR, ev->start_mark);
		n->str = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag;
		if (ev->data.scalar.tag && strcmp((const char *)ev->data.scalar.tag, YAML_STR_TAG)) {
			diag_at(b->d, &n->mark, "YAML tag '%s' is not supported (only !!str)",
				(const char *)ev->data.scalar.tag);
			return -1;
		}
		remember_anchor(b, ev->data.scalar.anchor, n);
		if (add_size(b, 1, &n->mark) < 0)
			return -1;
		return attach(b, n);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		n = new_node(b, ev->type == YAML_SEQUENCE_START_EVENT ? NODE_SEQ : NODE_MAP,
			     ev->start_mark);
		if (b->depth >= MAX_DEPTH) {
			diag_at(b->d, &n->mark, "nesting deeper than %d levels", MAX_DEPTH);
			return -1;
		}
		remember_anchor(b, ev->type == YAML_SEQUENCE_START_EVENT ?
				ev->data.sequence_start.anchor : ev->data.mapping_start.anchor, n);
		if (add_size(b, 1, &n->mark) < 0)
			return -1;
		b->stack[b->depth++] = n;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		n = b->stack[--b->depth];
		for (size_t i = 0; i < n->n; i++)
			n->size += n->kids[i]->size;
		return attach(b, n);
	case YAML_ALIAS_EVENT: {
		struct mark m = mark_of(b->doc, ev->start_mark);
		n = find_anchor(b, (const char *)ev->data.alias.anchor);
		if (!n) {
			diag_at(b->d, &m, "unknown alias '*%s'", (const char *)ev->data.alias.anchor);
			return -1;
		}
		for (int i = 0; i < b->depth; i++)
			if (b->stack[i] == n) {
				diag_at(b->d, &m, "alias '*%s' refers to a node that contains it",
					(const char *)ev->data.alias.anchor);
				return -1;
			}
		if (add_size(b, n->size, &m) < 0)
			return -1;
		return attach(b, n);
	}
	default:
		return 0;
	}
}

static void parser_error(struct builder *b, yaml_parser_t *p)
{
	struct mark m = mark_of(b->doc, p->problem_mark);
	if (p->context)
		diag_at(b->d, &m, "invalid YAML: %s %s (line %d)", p->problem, p->context,
			(int)p->context_mark.line + 1);
	else
		diag_at(b->d, &m, "invalid YAML: %s", p->problem ? p->problem : "parse error");
}

static struct mark offset_mark(const struct node_doc *doc, size_t off)
{
	struct mark m = {&doc->src, 1, 1};
	for (size_t i = 0; i < off && i < doc->src.len; i++) {
		if (doc->src.text[i] == '\n') {
			m.line++;
			m.col = 1;
		} else {
			m.col++;
		}
	}
	return m;
}

int node_parse(struct node_doc *doc, const char *path, const char *text, size_t len,
	       struct diag *d)
{
	struct builder b = {0};
	yaml_parser_t parser;
	yaml_event_t ev;
	int rc = -1;
	size_t bad;

	memset(doc, 0, sizeof *doc);
	doc->src.path = xstrdup(path);
	doc->src.text = xstrndup(text, len);
	doc->src.len = len;
	b.doc = doc;
	b.d = d;

	if (!text_utf8_valid(text, len, &bad)) {
		struct mark m = offset_mark(doc, bad);
		diag_at(d, &m, "invalid UTF-8 (byte 0x%02x at offset %zu): save the file as UTF-8",
			(unsigned char)text[bad], bad);
		return -1;
	}
	if (memchr(text, '\0', len)) {
		struct mark m = offset_mark(doc, (size_t)((const char *)memchr(text, '\0', len) - text));
		diag_at(d, &m, "NUL byte in a text file");
		return -1;
	}
	if (!yaml_parser_initialize(&parser)) {
		diag_err(d, "cannot initialize the YAML parser");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)doc->src.text, len);
	for (;;) {
		if (!yaml_parser_parse(&parser, &ev)) {
			parser_error(&b, &parser);
			goto out;
		}
		int done = ev.type == YAML_STREAM_END_EVENT;
		int r = on_event(&b, &ev);
		yaml_event_delete(&ev);
		if (r < 0)
			goto out;
		if (done)
			break;
	}
	rc = 0;
out:
	if (rc < 0)
		doc->root = NULL;       /* nodes stay in doc->all for release */
	yaml_parser_delete(&parser);
	for (size_t i = 0; i < b.n_anchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	return rc;
}

/* "cannot read ..." at the include that named path, or for the contract. */
static int read_error(struct diag *d, const struct mark *from, const char *path, const char *why)
{
	if (from)
		diag_at(d, from, "cannot read '%s': %s", path, why);
	else
		diag_err(d, "cannot read contract '%s': %s", path, why);
	return -1;
}

/* What a path that is not a regular file is, for "cannot read" messages. */
static const char *not_regular(mode_t mode)
{
	if (S_ISDIR(mode))
		return "it is a directory, not a file";
	if (S_ISFIFO(mode))
		return "it is a named pipe (FIFO), not a regular file";
	if (S_ISSOCK(mode))
		return "it is a socket, not a regular file";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "it is a device, not a regular file";
	return "not a regular file";
}

/* Opens path for reading without blocking on a FIFO (refused: it could
 * hang the run) or reading a directory: NULL with *why then. */
FILE *node_open_regular(const char *path, const char **why)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	*why = NULL;
	if (fd < 0 || fstat(fd, &st) < 0) {
		*why = strerror(errno);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = not_regular(st.st_mode);
		close(fd);
		return NULL;
	}
	/* a regular file never blocks; clear the flag all the same */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		*why = strerror(errno);
		close(fd);
	}
	return f;
}

static int load(struct node_doc *doc, const char *path, const struct mark *from,
		struct diag *d, bool yaml)
{
	const char *why;
	FILE *f = node_open_regular(path, &why);
	struct buf text;
	struct stat st;
	char chunk[65536];
	size_t n;
	int rc;

	memset(doc, 0, sizeof *doc);
	if (!f)
		return read_error(d, from, path, why);
	if (fstat(fileno(f), &st) < 0) {
		rc = read_error(d, from, path, strerror(errno));
		fclose(f);
		return rc;
	}
	if (st.st_size > NODE_MAX_FILE) {
		fclose(f);
		return read_error(d, from, path, "larger than 16 MiB");
	}
	buf_init(&text);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && text.len <= NODE_MAX_FILE)
		buf_add(&text, chunk, n);
	if (ferror(f)) {
		rc = read_error(d, from, path, strerror(errno));
		fclose(f);
		buf_release(&text);
		return rc;
	}
	fclose(f);
	if (yaml) {
		rc = node_parse(doc, path, text.data, text.len, d);
	} else {
		doc->src.path = xstrdup(path);
		doc->src.text = xstrndup(text.data, text.len);
		doc->src.len = text.len;
		rc = 0;
	}
	buf_release(&text);
	return rc;
}

int node_load(struct node_doc *doc, const char *path, const struct mark *from, struct diag *d)
{
	return load(doc, path, from, d, true);
}

int node_load_text(struct node_doc *doc, const char *path, const struct mark *from,
		   struct diag *d)
{
	return load(doc, path, from, d, false);
}

void node_doc_release(struct node_doc *doc)
{
	for (size_t i = 0; i < doc->n_all; i++) {
		free(doc->all[i]->str);
		free(doc->all[i]->kids);
		free(doc->all[i]);
	}
	free(doc->all);
	free(doc->src.path);
	free(doc->src.text);
	memset(doc, 0, sizeof *doc);
}

size_t node_map_len(const struct node *map)
{
	return map && map->type == NODE_MAP ? map->n / 2 : 0;
}

const struct node *node_map_key(const struct node *map, size_t i)
{
	return map->kids[2 * i];
}

const struct node *node_map_value(const struct node *map, size_t i)
{
	return map->kids[2 * i + 1];
}

const struct node *node_get(const struct node *map, const char *key)
{
	if (!map || map->type != NODE_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->type == NODE_SCALAR && !strcmp(map->kids[i]->str, key))
			return map->kids[i + 1];
	return NULL;
}

bool node_is_null(const struct node *n)
{
	if (!n)
		return true;
	if (n->type != NODE_SCALAR || !n->plain)
		return false;
	return !strcmp(n->str, "") || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
	       !strcmp(n->str, "Null") || !strcmp(n->str, "NULL");
}

int node_bool(const struct node *n, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE", NULL};
	static const char *const no[] = {"false", "False", "FALSE", NULL};
	if (!n || n->type != NODE_SCALAR || !n->plain)
		return -1;
	for (int i = 0; yes[i]; i++) {
		if (!strcmp(n->str, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(n->str, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int node_long(const struct node *n, long *out)
{
	char *end;
	if (!n || n->type != NODE_SCALAR || !n->plain || !n->len)
		return -1;
	errno = 0;
	long v = strtol(n->str, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int node_double(const struct node *n, double *out)
{
	char *end;
	if (!n || n->type != NODE_SCALAR || !n->plain || !n->len)
		return -1;
	if (!strcmp(n->str, ".inf") || !strcmp(n->str, "+.inf")) {
		*out = INFINITY;
		return 0;
	}
	if (!strcmp(n->str, "-.inf")) {
		*out = -INFINITY;
		return 0;
	}
	if (!strcmp(n->str, ".nan")) {
		*out = NAN;
		return 0;
	}
	/* strtod also takes "inf", "nan" and hex: YAML does not */
	for (const char *p = n->str; *p; p++)
		if (!strchr("0123456789+-.eE", *p))
			return -1;
	errno = 0;
	double v = strtod(n->str, &end);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

bool node_is_string(const struct node *n)
{
	bool b;
	double x;
	if (!n || n->type != NODE_SCALAR)
		return false;
	if (!n->plain)
		return true;
	return !node_is_null(n) && node_bool(n, &b) < 0 && node_double(n, &x) < 0;
}

const char *node_type_name(const struct node *n)
{
	bool b;
	long l;
	double x;
	if (!n || node_is_null(n))
		return "null";
	if (n->type == NODE_MAP)
		return "mapping";
	if (n->type == NODE_SEQ)
		return "sequence";
	if (!n->plain)
		return "string";
	if (node_bool(n, &b) == 0)
		return "boolean";
	if (node_long(n, &l) == 0)
		return "integer";
	if (node_double(n, &x) == 0)
		return "number";
	return "string";
}
