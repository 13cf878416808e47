/* console: the report for a person at a terminal, read at 3 a.m.: which
 * environments, the verdict first (where the environments first diverge and
 * what that most likely means), then one line per step with the evidence of
 * each failing check, and the gate. Colour only when asked for. */
#include "report/report.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VALUE_CHARS 120

#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define DIM "\033[2m"
#define BOLD "\033[1m"
#define RESET "\033[0m"

struct console {
	struct buf b;
	bool color;
};

static void paint(struct console *c, const char *color, const char *text)
{
	if (c->color)
		buf_printf(&c->b, "%s%s%s", color, text, RESET);
	else
		buf_puts(&c->b, text);
}

/* Text safe for a terminal: no control characters (escape sequences in
 * captured output must not reach it), at most max characters. */
static void clean(struct console *c, const char *s, size_t max)
{
	char *v = report_clip(s ? s : "", max);

	for (const char *p = v; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '\n')
			buf_puts(&c->b, "\\n");
		else if (ch == '\t')
			buf_puts(&c->b, "\\t");
		else if (ch < 0x20 || ch == 0x7f)
			buf_printf(&c->b, "\\x%02x", ch);
		else if (ch == 0xc2 && (unsigned char)p[1] >= 0x80 && (unsigned char)p[1] <= 0x9f)
			buf_printf(&c->b, "\\x%02x", (unsigned char)*++p);
		else
			buf_putc(&c->b, *p);
	}
	free(v);
}

static const struct {
	const char *word;
	const char *color;
} words[] = {
	[ST_PASS] = { "PASS", GREEN },
	[ST_FAIL] = { "FAIL", RED },
	[ST_ERROR] = { "ERROR", RED },
	[ST_SKIP] = { "SKIP", DIM },
	[ST_WAIVED] = { "WAIVED", YELLOW },
};

static void status_word(struct console *c, const struct step_result *s)
{
	const char *word = s->warning ? "WARN" : words[s->status].word;
	const char *color = s->warning ? YELLOW : words[s->status].color;

	paint(c, color, word);
	buf_printf(&c->b, "%*s", (int)(7 - strlen(word)), "");
}

static void header(struct console *c, const struct run_result *r)
{
	buf_puts(&c->b, "parity ");
	clean(c, r->runner_version, 40);
	buf_puts(&c->b, " \xc2\xb7 ");
	clean(c, r->contract_name, 200);
	buf_puts(&c->b, " (");
	clean(c, r->contract_path, 200);
	buf_puts(&c->b, ") \xc2\xb7 baseline ");
	clean(c, r->baseline, 200);
	buf_puts(&c->b, "\nenvironments:");
	for (size_t i = 0; i < r->n_envs; i++) {
		const struct env_result *e = &r->envs[i];
		buf_puts(&c->b, i ? ", " : " ");
		clean(c, e->name, 200);
		buf_puts(&c->b, " (");
		clean(c, e->source ? e->source : "live", 40);
		if (e->facts_path) {
			buf_puts(&c->b, " ");
			clean(c, e->facts_path, 200);
		}
		if (e->replica_of) {
			buf_puts(&c->b, ", replica of ");
			clean(c, e->replica_of, 200);
		}
		buf_puts(&c->b, e->baseline ? ", baseline)" : ")");
	}
	buf_puts(&c->b, "\n\n");
}

static void verdict(struct console *c, const struct run_result *r)
{
	int fd = r->summary.first_divergence;
	const char *sep = "";

	if (fd < 0 || !r->summary.verdict)
		return;
	paint(c, BOLD RED, "VERDICT");
	buf_puts(&c->b, "\n  ");
	if (c->color)
		buf_puts(&c->b, BOLD);
	clean(c, r->summary.verdict, 1000);
	if (c->color)
		buf_puts(&c->b, RESET);
	buf_puts(&c->b, "\n");
	for (size_t i = 0; i < r->n_steps; i++) {
		if (!r->steps[i].consequence)
			continue;
		if (!*sep)
			buf_puts(&c->b, "  later failures are probably its consequences: ");
		buf_puts(&c->b, sep);
		clean(c, r->steps[i].id, 200);
		sep = ", ";
	}
	if (*sep)
		buf_puts(&c->b, "\n");
	buf_puts(&c->b, "\n");
}

static void evidence(struct console *c, const struct check *k)
{
	buf_puts(&c->b, "        ");
	if (k->warning)
		paint(c, YELLOW, "warn");
	else
		paint(c, RED, k->status == ST_ERROR ? "error" : "fail");
	buf_puts(&c->b, " ");
	clean(c, k->name, 200);
	buf_puts(&c->b, ": ");
	clean(c, k->message, 1000);
	buf_puts(&c->b, "\n");
	if (k->expected) {
		buf_puts(&c->b, "          expected: ");
		clean(c, k->expected, VALUE_CHARS);
		buf_puts(&c->b, "\n");
	}
	if (k->actual) {
		buf_puts(&c->b, "          actual:   ");
		clean(c, k->actual, VALUE_CHARS);
		buf_puts(&c->b, "\n");
	}
	/* the detail (a diff, stderr, disagreeing rows), a dozen lines at most */
	const char *p = k->detail;
	for (int n = 0; p && *p; n++) {
		size_t len = strcspn(p, "\n");
		if (n == 12) {
			buf_puts(&c->b, "          …\n");
			break;
		}
		char *line = xstrndup(p, len);
		buf_puts(&c->b, "          ");
		clean(c, line, VALUE_CHARS);
		buf_puts(&c->b, "\n");
		free(line);
		p += len;
		if (*p == '\n')
			p++;
	}
}

static size_t stage_width(const struct run_result *r)
{
	size_t w = 5;

	for (size_t i = 0; i < r->n_steps; i++)
		if (r->steps[i].stage && strlen(r->steps[i].stage) > w)
			w = strlen(r->steps[i].stage);
	return w > 20 ? 20 : w;
}

static void step_line(struct console *c, const struct run_result *r, size_t i, size_t width,
		      bool verbose)
{
	const struct step_result *s = &r->steps[i];
	int fd = r->summary.first_divergence;
	size_t stage_len = s->stage ? strlen(s->stage) : 0;

	if (stage_len > 20)
		stage_len = 20;

	status_word(c, s);
	clean(c, s->stage, 20);
	buf_printf(&c->b, "%*s ", (int)(width > stage_len ? width - stage_len : 0), "");
	clean(c, s->id, 200);
	if (fd >= 0 && (size_t)fd == i)
		paint(c, BOLD, r->summary.cause == CAUSE_ERROR ? "  (first error)" : "  (first divergence)");
	else if (s->consequence && fd >= 0) {
		buf_puts(&c->b, "  (probable consequence of ");
		clean(c, r->steps[fd].id, 200);
		buf_puts(&c->b, ")");
	}
	if (s->status == ST_WAIVED || (s->waiver && s->waiver_expired)) {
		buf_puts(&c->b, s->waiver_expired ? "  (waiver expired " : "  (waived until ");
		clean(c, s->waiver_until ? s->waiver_until : "?", 40);
		buf_puts(&c->b, ": ");
		clean(c, s->waiver, 200);
		buf_puts(&c->b, ")");
	}
	if (s->n_checks == 0)
		buf_puts(&c->b, "  (no checks)");
	buf_puts(&c->b, "\n");
	for (size_t k = 0; k < s->n_checks; k++) {
		const struct check *ck = &s->checks[k];
		if (ck->status == ST_FAIL || ck->status == ST_ERROR) {
			evidence(c, ck);
		} else if (verbose) {
			buf_printf(&c->b, "        %s ", status_name(ck->status));
			clean(c, ck->name, 200);
			buf_puts(&c->b, ": ");
			clean(c, ck->message, VALUE_CHARS);
			buf_puts(&c->b, "\n");
		}
	}
}

static void footer(struct console *c, const struct run_result *r)
{
	const struct summary *m = &r->summary;
	double secs = isfinite(r->duration_s) && r->duration_s > 0 ? r->duration_s : 0;

	buf_printf(&c->b, "\n%d passed, %d failed, %d errors, %d skipped, %d waived, %d warnings in %.2fs\n",
		   m->passed, m->failed, m->errors, m->skipped, m->waived, m->warnings, secs);
	buf_puts(&c->b, "gate: ");
	paint(c, m->ok ? BOLD GREEN : BOLD RED, m->ok ? "PASS" : "FAIL");
	buf_puts(&c->b, "\n");
}

int report_console(const struct run_result *r, FILE *f, const struct report_opts *o)
{
	struct console c = { .color = o && o->color };
	size_t width = stage_width(r);
	int rc;

	buf_init(&c.b);
	header(&c, r);
	verdict(&c, r);
	for (size_t i = 0; i < r->n_steps; i++)
		step_line(&c, r, i, width, o && o->verbose);
	footer(&c, r);
	fwrite(c.b.data, 1, c.b.len, f);
	rc = ferror(f) ? -1 : 0;
	buf_release(&c.b);
	return rc;
}
