/* markdown: a summary for a pull request comment or a CI job summary: the
 * verdict, one table row per step, the failed checks with their evidence,
 * and a short sign-off list. GitHub-flavoured Markdown, no emoji. */
#include "report/report.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VALUE_CHARS 1000        /* PR comments are limited to 65536 characters */
#define DETAIL_CHARS 4000

static const char *status_word(const struct step_result *s)
{
	static const char *const words[] = {
		[ST_PASS] = "pass", [ST_FAIL] = "FAIL", [ST_ERROR] = "ERROR",
		[ST_SKIP] = "skip", [ST_WAIVED] = "waived",
	};

	if (s->warning)
		return "warning";
	return words[s->status];
}

/* Inline text, escaped for Markdown (also inside a table cell). */
static void inline_text(struct buf *b, const char *s)
{
	char *esc = md_escape_cell(s ? s : "");

	buf_puts(b, esc);
	free(esc);
}

/* The longest run of c in s. */
static size_t longest_run(const char *s, char c)
{
	size_t best = 0, run = 0;

	for (; *s; s++) {
		run = *s == c ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

/* One-line value as a code span; the fence outgrows any backticks inside. */
static void code_span(struct buf *b, const char *s)
{
	char *v = report_clip(s, VALUE_CHARS);
	size_t ticks = longest_run(v, '`') + 1;
	bool pad = v[0] == '`' || (*v && v[strlen(v) - 1] == '`') || v[0] == ' ' || !*v;

	for (char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	for (size_t i = 0; i < ticks; i++)
		buf_putc(b, '`');
	buf_puts(b, pad ? " " : "");
	buf_puts(b, v);
	buf_puts(b, pad ? " " : "");
	for (size_t i = 0; i < ticks; i++)
		buf_putc(b, '`');
	free(v);
}

/* Multi-line text as a fenced block. */
static void fenced(struct buf *b, const char *s, size_t max)
{
	char *v = report_clip(s, max);
	size_t ticks = longest_run(v, '`') + 1;

	if (ticks < 3)
		ticks = 3;
	for (char *p = v; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
			*p = ' ';
	for (size_t i = 0; i < ticks; i++)
		buf_putc(b, '`');
	buf_puts(b, "text\n");
	buf_puts(b, v);
	if (!*v || v[strlen(v) - 1] != '\n')
		buf_putc(b, '\n');
	for (size_t i = 0; i < ticks; i++)
		buf_putc(b, '`');
	buf_puts(b, "\n");
	free(v);
}

static void value_item(struct buf *b, const char *label, const char *value)
{
	if (!value)
		return;
	buf_printf(b, "- %s: ", label);
	if (strchr(value, '\n')) {
		buf_puts(b, "\n\n");
		fenced(b, value, VALUE_CHARS);
		buf_puts(b, "\n");
	} else {
		code_span(b, value);
		buf_puts(b, "\n");
	}
}

static void summary_line(struct buf *b, const struct run_result *r)
{
	const struct summary *m = &r->summary;
	size_t checks = 0;
	double secs = isfinite(r->duration_s) && r->duration_s > 0 ? r->duration_s : 0;

	for (size_t i = 0; i < r->n_steps; i++)
		checks += r->steps[i].n_checks;
	buf_printf(b, "%d passed, %d failed, %d errors, %d skipped, %d waived, %d warnings"
		   " (%zu steps, %zu checks) in %.2f s\n\n",
		   m->passed, m->failed, m->errors, m->skipped, m->waived, m->warnings,
		   r->n_steps, checks, secs);
}

static bool failing(const struct check *c)
{
	return c->status == ST_FAIL || c->status == ST_ERROR;
}

/* The Details cell: why the step is where it is, in a few words. */
static void details_cell(struct buf *b, const struct run_result *r, size_t i)
{
	const struct step_result *s = &r->steps[i];
	int fd = r->summary.first_divergence;
	const char *sep = "";

	if (fd >= 0 && (size_t)fd == i) {
		buf_puts(b, r->summary.cause == CAUSE_ERROR ? "**first error**" : "**first divergence**");
		sep = "; ";
	} else if (s->consequence && fd >= 0) {
		buf_puts(b, "probable consequence of ");
		inline_text(b, r->steps[fd].id);
		sep = "; ";
	}
	if (s->status == ST_WAIVED || (s->waiver && s->waiver_expired)) {
		buf_puts(b, sep);
		buf_puts(b, s->waiver_expired ? "waiver expired " : "waived until ");
		inline_text(b, s->waiver_until ? s->waiver_until : "?");
		buf_puts(b, ": ");
		inline_text(b, s->waiver);
		sep = "; ";
	}
	for (size_t k = 0; k < s->n_checks; k++) {
		const struct check *c = &s->checks[k];
		if (!failing(c) && c->status != ST_WAIVED && !(s->status == ST_SKIP && k == 0))
			continue;
		char *msg = report_clip(c->message ? c->message : "", 200);
		buf_puts(b, sep);
		inline_text(b, msg);
		free(msg);
		sep = "; ";
		if (s->status == ST_SKIP)
			break;
	}
	if (s->n_checks == 0) {
		buf_puts(b, sep);
		buf_puts(b, "no checks");
	}
}

static void table(struct buf *b, const struct run_result *r)
{
	buf_puts(b, "| | Step | Stage | Status | Checks | Details |\n");
	buf_puts(b, "|---:|---|---|---|---:|---|\n");
	for (size_t i = 0; i < r->n_steps; i++) {
		const struct step_result *s = &r->steps[i];
		size_t passed = 0;
		for (size_t k = 0; k < s->n_checks; k++)
			passed += s->checks[k].status == ST_PASS;
		buf_printf(b, "| %zu | ", i + 1);
		inline_text(b, s->id);
		buf_puts(b, " | ");
		inline_text(b, s->stage);
		buf_printf(b, " | %s | %zu/%zu | ", status_word(s), passed, s->n_checks);
		details_cell(b, r, i);
		buf_puts(b, " |\n");
	}
	buf_puts(b, "\n");
}

static void failures(struct buf *b, const struct run_result *r)
{
	bool any = false;

	for (size_t i = 0; i < r->n_steps; i++) {
		const struct step_result *s = &r->steps[i];
		for (size_t k = 0; k < s->n_checks; k++) {
			const struct check *c = &s->checks[k];
			if (!failing(c))
				continue;
			if (!any)
				buf_puts(b, "### Failures\n\n");
			any = true;
			buf_puts(b, "#### ");
			inline_text(b, s->id);
			buf_puts(b, ": ");
			inline_text(b, c->name);
			buf_printf(b, " (%s%s)\n\n", c->warning ? "warning, " : "",
				   status_name(c->status));
			inline_text(b, c->message);
			buf_puts(b, "\n\n");
			value_item(b, "expected", c->expected);
			value_item(b, "actual", c->actual);
			if (c->expected || c->actual)
				buf_puts(b, "\n");
			if (c->detail) {
				fenced(b, c->detail, DETAIL_CHARS);
				buf_puts(b, "\n");
			}
		}
	}
}

static void signoff(struct buf *b, const struct run_result *r)
{
	buf_puts(b, "### Sign-off\n\n- contract: ");
	code_span(b, r->contract_name ? r->contract_name : "");
	buf_puts(b, " (");
	code_span(b, r->contract_path ? r->contract_path : "");
	buf_puts(b, "), sha256 ");
	code_span(b, r->contract_sha256 ? r->contract_sha256 : "");
	buf_puts(b, "\n- runner: parity ");
	inline_text(b, r->runner_version);
	buf_puts(b, ", started ");
	inline_text(b, r->started_at);
	buf_puts(b, "\n- baseline: ");
	code_span(b, r->baseline ? r->baseline : "");
	buf_puts(b, "\n- environments:");
	for (size_t i = 0; i < r->n_envs; i++) {
		const struct env_result *e = &r->envs[i];
		buf_puts(b, i ? ", " : " ");
		code_span(b, e->name ? e->name : "");
		buf_puts(b, " (");
		inline_text(b, e->source ? e->source : "live");
		if (e->facts_path) {
			buf_puts(b, " ");
			code_span(b, e->facts_path);
		}
		if (e->replica_of) {
			buf_puts(b, ", replica of ");
			code_span(b, e->replica_of);
		}
		buf_puts(b, e->baseline ? ", baseline)" : ")");
	}
	buf_puts(b, "\n");
}

int report_markdown(const struct run_result *r, FILE *f, const struct report_opts *o)
{
	struct buf b;
	int rc;

	(void)o;
	buf_init(&b);
	buf_puts(&b, "## parity: ");
	inline_text(&b, r->contract_name);
	buf_printf(&b, " \xe2\x80\x94 %s\n\n", r->summary.ok ? "PASS" : "FAIL");
	if (r->summary.verdict) {
		buf_puts(&b, "**");
		inline_text(&b, r->summary.verdict);
		buf_puts(&b, "**\n\n");
	}
	summary_line(&b, r);
	table(&b, r);
	failures(&b, r);
	signoff(&b, r);
	fwrite(b.data, 1, b.len, f);
	rc = ferror(f) ? -1 : 0;
	buf_release(&b);
	return rc;
}
