/* report: the reporter table. Each format is one file with one render
 * function reading only the result model.
 *
 * Layer: report. May include: model, util.
 */
#ifndef PARITY_REPORT_H
#define PARITY_REPORT_H
#include <stdbool.h>
#include <stdio.h>
#include "model/result.h"

struct report_opts {
	bool color;             /* ANSI colour (console only) */
	bool verbose;
};

struct reporter {
	const char *name;       /* "console", "tap", "tap13", "junit", "json", "markdown", "html" */
	const char *extension;  /* default file extension */
	/* Writes one complete document to f; returns 0, or -1 on a write error. */
	int (*render)(const struct run_result *r, FILE *f, const struct report_opts *o);
};

const struct reporter *reporter_find(const char *name);
/* NULL-terminated list of names, for messages and suggestions. */
const char *const *reporter_names(void);

/* Renders into path atomically (temporary file + rename: no half-written
 * report), or to stdout for "-" or NULL. Returns 0, or -1 with *err set. */
int report_write(const struct reporter *rep, const struct run_result *r,
		 const char *path, const struct report_opts *o, char **err);

/* Escaping shared by the formats; results owned by the caller. */
char *tap_escape(const char *s);        /* "\" -> "\\", "#" -> "\#", newlines -> spaces */
char *xml_escape(const char *s, bool attribute);
char *md_escape_cell(const char *s);    /* for a Markdown table cell */

/* Helpers shared by the reporters (report.c). */
/* Bytes in the valid UTF-8 sequence at s, 0 when it is not one (or at NUL). */
size_t report_utf8_seq(const char *s);
/* A copy with invalid UTF-8 replaced by U+FFFD; NULL for NULL. */
char *report_utf8(const char *s);
/* A copy cut to at most max characters, ending in "…" when cut. */
char *report_clip(const char *s, size_t max);

int report_console(const struct run_result *r, FILE *f, const struct report_opts *o);
int report_tap14(const struct run_result *r, FILE *f, const struct report_opts *o);
int report_tap13(const struct run_result *r, FILE *f, const struct report_opts *o);
int report_junit(const struct run_result *r, FILE *f, const struct report_opts *o);
int report_json(const struct run_result *r, FILE *f, const struct report_opts *o);
int report_markdown(const struct run_result *r, FILE *f, const struct report_opts *o);
int report_html(const struct run_result *r, FILE *f, const struct report_opts *o);

/* The JSON document of a run (also used by tests); owned by the caller. */
json_t *report_json_doc(const struct run_result *r);

#endif
