/* junit: one <testsuite> per contract, one <testcase> per check. The shape
 * is the intersection of the Jenkins and Maven Surefire schemas, so the one
 * document validates against both: no hostname, no suite-level system-out,
 * <skipped> with its reason as text and no attributes. */
#include "report/report.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void attr(struct buf *b, const char *name, const char *value)
{
	char *esc = xml_escape(value ? value : "", true);

	buf_printf(b, " %s=\"%s\"", name, esc);
	free(esc);
}

static void text(struct buf *b, const char *value)
{
	char *esc = xml_escape(value ? value : "", false);

	buf_puts(b, esc);
	free(esc);
}

static void property(struct buf *b, const char *name, const char *value)
{
	if (!value)
		return;
	buf_puts(b, "    <property");
	attr(b, "name", name);
	attr(b, "value", value);
	buf_puts(b, "/>\n");
}

static double seconds(double s)
{
	return isfinite(s) && s > 0 ? s : 0.0;
}

/* "YYYY-MM-DDTHH:MM:SS" from an ISO 8601 stamp, or "" when it is not one. */
static void timestamp(const char *iso, char out[20])
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";

	out[0] = '\0';
	for (size_t i = 0; i < sizeof shape - 1; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)iso[i]) : iso[i] != shape[i])
			return;
	}
	memcpy(out, iso, sizeof shape - 1);
	out[sizeof shape - 1] = '\0';
}

struct counts {
	size_t tests, failures, errors, skipped;
};

static void count(const struct run_result *r, struct counts *n)
{
	memset(n, 0, sizeof *n);
	for (size_t i = 0; i < r->n_steps; i++) {
		const struct step_result *s = &r->steps[i];
		if (s->n_checks == 0) {
			n->tests++;
			n->skipped++;
		}
		for (size_t k = 0; k < s->n_checks; k++) {
			const struct check *c = &s->checks[k];
			n->tests++;
			if (c->status == ST_SKIP || c->status == ST_WAIVED)
				n->skipped++;
			else if (c->warning || c->status == ST_FAIL)
				n->failures++;
			else if (c->status == ST_ERROR)
				n->errors++;
		}
	}
}

static void properties(struct buf *b, const struct run_result *r)
{
	int fd = r->summary.first_divergence;

	buf_puts(b, "  <properties>\n");
	property(b, "parity.runner.version", r->runner_version ? r->runner_version : "");
	property(b, "parity.contract.path", r->contract_path);
	property(b, "parity.contract.sha256", r->contract_sha256);
	property(b, "parity.command", r->command);
	property(b, "parity.baseline", r->baseline);
	for (size_t i = 0; i < r->n_envs; i++) {
		char *key = xasprintf("parity.environment.%s", r->envs[i].name ? r->envs[i].name : "");
		property(b, key, r->envs[i].source);
		free(key);
	}
	property(b, "parity.gate", r->summary.ok ? "pass" : "fail");
	if (fd >= 0) {
		property(b, "parity.first_divergence.stage", r->steps[fd].stage);
		property(b, "parity.first_divergence.step", r->steps[fd].id);
		property(b, "parity.first_divergence.cause",
			 r->summary.cause == CAUSE_ERROR ? "error" : "divergence");
		property(b, "parity.verdict", r->summary.verdict);
	}
	buf_puts(b, "  </properties>\n");
}

/* The evidence of a check as element text: message, expected, actual, detail. */
static void evidence(struct buf *b, const struct check *c)
{
	text(b, c->message);
	if (c->expected) {
		buf_puts(b, "\nexpected: ");
		text(b, c->expected);
	}
	if (c->actual) {
		buf_puts(b, "\nactual: ");
		text(b, c->actual);
	}
	if (c->detail) {
		buf_puts(b, "\ndetail:\n");
		text(b, c->detail);
	}
}

static void outcome(struct buf *b, const struct step_result *s, const struct check *c)
{
	if (c->status == ST_SKIP) {
		buf_puts(b, "    <skipped>");
		text(b, c->message);
		buf_puts(b, "</skipped>\n");
	} else if (c->status == ST_WAIVED) {
		char *why = s->waiver_until
			? xasprintf("waived until %s: %s", s->waiver_until, s->waiver ? s->waiver : "")
			: xasprintf("waived: %s", s->waiver ? s->waiver : "");
		buf_puts(b, "    <skipped>");
		text(b, why);
		buf_puts(b, "</skipped>\n    <system-out>");
		evidence(b, c);
		buf_puts(b, "</system-out>\n");
		free(why);
	} else if (c->warning || c->status == ST_FAIL) {
		buf_puts(b, "    <failure");
		attr(b, "message", c->message);
		attr(b, "type", c->warning ? "warning" : "fail");
		buf_putc(b, '>');
		evidence(b, c);
		buf_puts(b, "</failure>\n");
	} else if (c->status == ST_ERROR) {
		buf_puts(b, "    <error");
		attr(b, "message", c->message);
		attr(b, "type", "error");
		buf_putc(b, '>');
		evidence(b, c);
		buf_puts(b, "</error>\n");
	}
}

static bool taken(char *const *names, size_t n, const char *name)
{
	for (size_t j = 0; j < n; j++)
		if (strcmp(names[j], name) == 0)
			return true;
	return false;
}

/* Test case names unique within the step, in check order: a repeated name
 * gets " (2)", " (3)"... Returns an array of n_checks names. */
static char **unique_names(const struct step_result *s)
{
	char **names = xcalloc(s->n_checks, sizeof *names);

	for (size_t k = 0; k < s->n_checks; k++) {
		const char *base = s->checks[k].name && *s->checks[k].name
			? s->checks[k].name : "(unnamed)";
		char *name = xstrdup(base);
		for (size_t dup = 2; taken(names, k, name); dup++) {
			free(name);
			name = xasprintf("%s (%zu)", base, dup);
		}
		names[k] = name;
	}
	return names;
}

static void testcase_open(struct buf *b, const char *classname, const char *name, double time)
{
	buf_puts(b, "  <testcase");
	attr(b, "classname", classname);
	attr(b, "name", name);
	buf_printf(b, " time=\"%.3f\"", time);
}

static void step_cases(struct buf *b, const struct run_result *r, const struct step_result *s)
{
	char *classname = xasprintf("%s.%s", r->contract_name ? r->contract_name : "",
				    s->id ? s->id : "");

	if (s->n_checks == 0) {
		testcase_open(b, classname, "no checks", seconds(s->seconds));
		buf_puts(b, ">\n    <skipped>no checks</skipped>\n  </testcase>\n");
	}
	char **names = unique_names(s);
	for (size_t k = 0; k < s->n_checks; k++) {
		const struct check *c = &s->checks[k];
		testcase_open(b, classname, names[k], seconds(s->seconds) / (double)s->n_checks);
		if (c->status == ST_PASS) {
			buf_puts(b, "/>\n");
		} else {
			buf_puts(b, ">\n");
			outcome(b, s, c);
			buf_puts(b, "  </testcase>\n");
		}
		free(names[k]);
	}
	free(names);
	free(classname);
}

int report_junit(const struct run_result *r, FILE *f, const struct report_opts *o)
{
	struct buf b;
	struct counts n;
	char stamp[20];
	int rc;

	(void)o;
	count(r, &n);
	timestamp(r->started_at, stamp);
	buf_init(&b);
	buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite");
	attr(&b, "name", r->contract_name && *r->contract_name ? r->contract_name : "parity");
	buf_printf(&b, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\"",
		   n.tests, n.failures, n.errors, n.skipped);
	buf_printf(&b, " time=\"%.3f\"", seconds(r->duration_s));
	if (*stamp)
		attr(&b, "timestamp", stamp);
	buf_puts(&b, ">\n");
	properties(&b, r);
	for (size_t i = 0; i < r->n_steps; i++)
		step_cases(&b, r, &r->steps[i]);
	buf_puts(&b, "</testsuite>\n");
	fwrite(b.data, 1, b.len, f);
	rc = ferror(f) ? -1 : 0;
	buf_release(&b);
	return rc;
}
