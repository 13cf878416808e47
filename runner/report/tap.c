/* tap: Test Anything Protocol reports. "tap" is TAP 14, one subtest per
 * step and a test point per check; "tap13" is the same results flattened
 * to one test point per check for older harnesses (Debian's prove rejects
 * version 14). Failures carry YAML diagnostics that both parse. */
#include "report/report.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* Characters that JavaScript TAP readers split lines on (and a BOM), with
 * their YAML escapes. NEL is a C1 control, escaped with the others. */
static const struct separator {
	const char *bytes;
	const char *yaml;
} separators[] = {
	{ "\xe2\x80\xa8", "\\u2028" },
	{ "\xe2\x80\xa9", "\\u2029" },
	{ "\xef\xbb\xbf", "\\ufeff" },
};

static const struct separator *separator(const char *p)
{
	for (size_t i = 0; i < sizeof separators / sizeof separators[0]; i++)
		if (strncmp(p, separators[i].bytes, strlen(separators[i].bytes)) == 0)
			return &separators[i];
	return NULL;
}

static bool c1_control(const char *p)
{
	return (unsigned char)p[0] == 0xc2 && (unsigned char)p[1] >= 0x80 && (unsigned char)p[1] <= 0x9f;
}

/* Appends s as a YAML double-quoted scalar. Control characters become
 * \xNN, which both YAML and Perl's TAP::Parser::YAMLish read; the Unicode
 * separators become \uNNNN (YAML only: Perl shows them as written). */
static void yaml_quote(struct buf *b, const char *s)
{
	char *fixed = report_utf8(s ? s : "");

	buf_putc(b, '"');
	for (const char *p = fixed; *p; p++) {
		unsigned char c = (unsigned char)*p;
		const struct separator *sep = separator(p);
		if (sep) {
			buf_puts(b, sep->yaml);
			p += strlen(sep->bytes) - 1;
		} else if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, *p);
		} else if (c == '\n') {
			buf_puts(b, "\\n");
		} else if (c == '\t') {
			buf_puts(b, "\\t");
		} else if (c == '\r') {
			buf_puts(b, "\\r");
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(b, "\\x%02x", c);
		} else if (c1_control(p)) {
			/* C1 control characters (NEL among them) are not printable YAML */
			buf_printf(b, "\\x%02x", (unsigned char)p[1]);
			p++;
		} else {
			buf_putc(b, *p);
		}
	}
	buf_putc(b, '"');
	free(fixed);
}

/* Whether s can be a literal block scalar: valid UTF-8, several lines,
 * printable text only, nothing a reader could take for a line break. */
static bool block_safe(const char *s)
{
	for (const char *p = s; *p;) {
		size_t n = report_utf8_seq(p);
		unsigned char c = (unsigned char)*p;
		if (n == 0 || c1_control(p) || separator(p))
			return false;
		if (n == 1 && (c < 0x20 ? c != '\n' && c != '\t' : c == 0x7f))
			return false;
		p += n;
	}
	return strchr(s, '\n') != NULL;
}

static void yaml_key(struct buf *b, int indent, const char *key)
{
	buf_printf(b, "%*s%s: ", indent, "", key);
}

static void yaml_string(struct buf *b, int indent, const char *key, const char *value)
{
	yaml_key(b, indent, key);
	if (value)
		yaml_quote(b, value);
	else
		buf_putc(b, '~');
	buf_putc(b, '\n');
}

static void yaml_word(struct buf *b, int indent, const char *key, const char *word)
{
	yaml_key(b, indent, key);
	buf_printf(b, "%s\n", word);
}

/* Multi-line text: a literal block scalar with an explicit indentation
 * indicator (TAP 14 only; Perl's YAMLish reader knows neither), or quoted. */
static void yaml_text(struct buf *b, int indent, const char *key, const char *value,
		      bool blocks)
{
	if (!blocks || !block_safe(value)) {
		yaml_string(b, indent, key, value);
		return;
	}
	yaml_key(b, indent, key);
	buf_puts(b, "|2-\n");
	for (const char *p = value; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n)
			buf_printf(b, "%*s%.*s\n", indent + 2, "", (int)n, p);
		else
			buf_putc(b, '\n');
		p += n + (nl ? 1 : 0);
	}
}

/* The TAP description of a test point: escaped, never empty. */
static char *point_name(const char *prefix, const char *name)
{
	char *raw = prefix ? xasprintf("%s: %s", prefix, name ? name : "") : xstrdup(name ? name : "");
	char *esc = tap_escape(raw);

	free(raw);
	if (!*esc) {
		free(esc);
		esc = xstrdup("(unnamed)");
	}
	return esc;
}

static char *waiver_directive(const struct step_result *s)
{
	char *raw = s->waiver_until
		? xasprintf("waived until %s: %s", s->waiver_until, s->waiver ? s->waiver : "")
		: xasprintf("waived: %s", s->waiver ? s->waiver : "");
	char *esc = tap_escape(raw);

	free(raw);
	return esc;
}

/* " # SKIP why" / " # TODO ..." for a status, or "" for none; owned by caller. */
static char *directive(const struct step_result *s, enum status st, bool warning, const char *skip_why)
{
	char *out, *why;

	if (st == ST_SKIP) {
		why = tap_escape(skip_why ? skip_why : "");
		out = *why ? xasprintf(" # SKIP %s", why) : xstrdup(" # SKIP");
	} else if (st == ST_WAIVED) {
		why = waiver_directive(s);
		out = xasprintf(" # TODO %s", why);
	} else {
		return xstrdup(warning ? " # TODO warning" : "");
	}
	free(why);
	return out;
}

static char *check_directive(const struct step_result *s, const struct check *c)
{
	return directive(s, c->status, c->warning, c->message);
}

static const char *first_skip_reason(const struct step_result *s)
{
	for (size_t i = 0; i < s->n_checks; i++)
		if (s->checks[i].status == ST_SKIP && s->checks[i].message && *s->checks[i].message)
			return s->checks[i].message;
	return NULL;
}

static char *step_directive(const struct step_result *s)
{
	if (s->n_checks == 0)
		return xstrdup(" # SKIP no checks");
	return directive(s, s->status, s->warning, first_skip_reason(s));
}

static bool check_ok(const struct check *c)
{
	return c->status == ST_PASS || c->status == ST_SKIP;
}

static bool step_ok(const struct step_result *s)
{
	return s->status == ST_PASS || s->status == ST_SKIP;
}

static const char *severity_word(const struct check *c)
{
	if (c->warning)
		return "warning";
	return status_name(c->status);
}

/* Where the step stands in the divergence story, for the YAML blocks. */
static void yaml_divergence(struct buf *b, int indent, const struct run_result *r, size_t i)
{
	int fd = r->summary.first_divergence;

	if (fd >= 0 && (size_t)fd == i) {
		yaml_word(b, indent, "first_divergence", "true");
		yaml_word(b, indent, "cause", r->summary.cause == CAUSE_ERROR ? "error" : "divergence");
		yaml_string(b, indent, "verdict", r->summary.verdict);
	} else if (fd >= 0 && r->steps[i].consequence) {
		yaml_word(b, indent, "consequence", "true");
		yaml_string(b, indent, "first_divergence_step", r->steps[fd].id);
	}
}

static void yaml_check(struct buf *b, int indent, const struct run_result *r, size_t i,
		       const struct check *c, bool tap14)
{
	const struct step_result *s = &r->steps[i];

	buf_printf(b, "%*s---\n", indent, "");
	yaml_string(b, indent, "message", c->message ? c->message : "");
	yaml_word(b, indent, "severity", severity_word(c));
	yaml_string(b, indent, "env", c->env);
	if (c->expected)
		yaml_text(b, indent, "expected", c->expected, tap14);
	if (c->actual)
		yaml_text(b, indent, "actual", c->actual, tap14);
	if (c->detail)
		yaml_text(b, indent, "detail", c->detail, tap14);
	yaml_string(b, indent, "stage", s->stage);
	if (!tap14) {
		yaml_string(b, indent, "step", s->id);
		if (s->status == ST_WAIVED) {
			yaml_string(b, indent, "waiver", s->waiver);
			yaml_string(b, indent, "until", s->waiver_until);
		}
		yaml_divergence(b, indent, r, i);
	}
	buf_printf(b, "%*s...\n", indent, "");
}

static bool needs_yaml(const struct check *c)
{
	return c->status == ST_FAIL || c->status == ST_ERROR || c->status == ST_WAIVED;
}

static void yaml_step(struct buf *b, const struct run_result *r, size_t i)
{
	const struct step_result *s = &r->steps[i];

	buf_puts(b, "  ---\n");
	yaml_string(b, 2, "kind", s->kind);
	yaml_string(b, 2, "stage", s->stage);
	yaml_word(b, 2, "status", status_name(s->status));
	if (s->warning)
		yaml_word(b, 2, "warning", "true");
	if (s->waiver) {
		yaml_string(b, 2, "waiver", s->waiver);
		yaml_string(b, 2, "until", s->waiver_until);
		yaml_word(b, 2, "waiver_expired", s->waiver_expired ? "true" : "false");
	}
	yaml_divergence(b, 2, r, i);
	buf_puts(b, "  ...\n");
}

/* A comment line; the text never spans lines. */
static void comment(struct buf *b, const char *text)
{
	const struct separator *sep;

	buf_puts(b, "# ");
	for (const char *p = text; *p; p++) {
		sep = separator(p);
		if (sep)
			p += strlen(sep->bytes) - 1;
		buf_putc(b, sep || *p == '\n' || *p == '\r' ? ' ' : *p);
	}
	buf_putc(b, '\n');
}

static int emit(struct buf *b, FILE *f)
{
	fwrite(b->data, 1, b->len, f);
	return ferror(f) ? -1 : 0;
}

static void header(struct buf *b, const struct run_result *r, int version)
{
	char *text = xasprintf("parity %s: contract %s",
			       r->runner_version ? r->runner_version : "",
			       r->contract_name ? r->contract_name : "");

	buf_printf(b, "TAP version %d\n", version);
	comment(b, text);
	free(text);
}

static void footer(struct buf *b, const struct run_result *r)
{
	if (r->summary.verdict)
		comment(b, r->summary.verdict);
	comment(b, r->summary.ok ? "gate: PASS" : "gate: FAIL");
}

int report_tap14(const struct run_result *r, FILE *f, const struct report_opts *o)
{
	struct buf b;
	int rc;

	(void)o;
	buf_init(&b);
	header(&b, r, 14);
	buf_printf(&b, "1..%zu\n", r->n_steps);
	for (size_t i = 0; i < r->n_steps; i++) {
		const struct step_result *s = &r->steps[i];
		char *name = point_name(NULL, s->id);
		char *dir = step_directive(s);

		if (s->n_checks > 0) {
			buf_printf(&b, "    # Subtest: %s\n", name);
			buf_printf(&b, "    1..%zu\n", s->n_checks);
		}
		for (size_t k = 0; k < s->n_checks; k++) {
			const struct check *c = &s->checks[k];
			char *cname = point_name(NULL, c->name);
			char *cdir = check_directive(s, c);
			buf_printf(&b, "    %s %zu - %s%s\n", check_ok(c) ? "ok" : "not ok",
				   k + 1, cname, cdir);
			if (needs_yaml(c))
				yaml_check(&b, 6, r, i, c, true);
			free(cdir);
			free(cname);
		}
		buf_printf(&b, "%s %zu - %s%s\n", step_ok(s) ? "ok" : "not ok", i + 1, name, dir);
		if (!step_ok(s))
			yaml_step(&b, r, i);
		free(dir);
		free(name);
	}
	footer(&b, r);
	rc = emit(&b, f);
	buf_release(&b);
	return rc;
}

int report_tap13(const struct run_result *r, FILE *f, const struct report_opts *o)
{
	struct buf b;
	size_t plan = 0, n = 0;
	int rc;

	(void)o;
	for (size_t i = 0; i < r->n_steps; i++)
		plan += r->steps[i].n_checks ? r->steps[i].n_checks : 1;
	buf_init(&b);
	header(&b, r, 13);
	buf_printf(&b, "1..%zu\n", plan);
	for (size_t i = 0; i < r->n_steps; i++) {
		const struct step_result *s = &r->steps[i];

		if (s->n_checks == 0) {
			char *name = point_name(NULL, s->id);
			buf_printf(&b, "ok %zu - %s # SKIP no checks\n", ++n, name);
			free(name);
		}
		for (size_t k = 0; k < s->n_checks; k++) {
			const struct check *c = &s->checks[k];
			char *name = point_name(s->id, c->name);
			char *dir = check_directive(s, c);
			buf_printf(&b, "%s %zu - %s%s\n", check_ok(c) ? "ok" : "not ok", ++n, name, dir);
			if (needs_yaml(c))
				yaml_check(&b, 2, r, i, c, false);
			free(dir);
			free(name);
		}
	}
	footer(&b, r);
	rc = emit(&b, f);
	buf_release(&b);
	return rc;
}
