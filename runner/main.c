/* main: the command table of the parity binary (run, validate, capture,
 * compare, lock, probe, schema, kinds, history, audit) and their command lines. Exit status:
 * 0 passed, 1 a step failed or could not run, 2 invalid contract or
 * command line (nothing ran), 3 the runner itself failed (an output could
 * not be written), 128 + N interrupted by signal N (130 SIGINT, 143 SIGTERM). */
#include "engine/calibrate.h"
#include "engine/engine.h"
#include "engine/audit.h"
#include "engine/facts.h"
#include "engine/history.h"
#include "transport/gpu.h"
#include "engine/host.h"
#include "engine/lock.h"
#include "load/contract.h"
#include "steps/bind.h"
#include "steps/schema.h"
#include "report/report.h"
#include "transport/http.h"
#include "transport/process.h"
#include "util/bigmem.h"
#include "util/cancel.h"
#include "util/clock.h"
#include "util/file.h"
#include "util/secret.h"
#include "util/text.h"
#include "util/xalloc.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

/* The contract JSON Schema, embedded at build time. */
__asm__(".section .rodata\n"
	".global parity_schema_text\n"
	"parity_schema_text:\n"
	".incbin \"schemas/contract.schema.json\"\n"
	".byte 0\n"
	".previous\n");
extern const char parity_schema_text[];

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *summary;
	bool runs;              /* runs commands or requests: needs the process and curl set-up */
};

static int cmd_run(int argc, char **argv);
static int cmd_validate(int argc, char **argv);
static int cmd_capture(int argc, char **argv);
static int cmd_compare(int argc, char **argv);
static int cmd_lock(int argc, char **argv);
static int cmd_calibrate(int argc, char **argv);
static int cmd_probe(int argc, char **argv);
static int cmd_schema(int argc, char **argv);
static int cmd_kinds(int argc, char **argv);
static int cmd_history(int argc, char **argv);
static int cmd_audit(int argc, char **argv);

static const struct cmd cmds[] = {
	{"run", cmd_run, "parity run CONTRACT [--report FORMAT[:PATH]]... [--only ID,...] [--env NAME,...]\n"
	 "                  [--jobs N] [--var NAME=VALUE]... [--save-facts DIR] [--quiet] [--no-color]\n"
	 "                  [--history FILE]",
	 "gather facts in every environment and evaluate the contract", true},
	{"validate", cmd_validate, "parity validate CONTRACT...", "check contracts, run nothing", false},
	{"capture", cmd_capture, "parity capture CONTRACT --env NAME [-o FILE] [--var NAME=VALUE]... [--jobs N]",
	 "gather one environment's facts on this host into a facts file", true},
	{"compare", cmd_compare, "parity compare CONTRACT --facts NAME=FILE... [--report FORMAT[:PATH]]...\n"
	 "                  [--only ID,...] [--env NAME,...] [--var NAME=VALUE]... [--quiet] [--no-color]\n"
	 "                  [--history FILE]",
	 "evaluate saved facts files", false},
	{"lock", cmd_lock, "parity lock CONTRACT --from ENV [-o FILE] [--var NAME=VALUE]...",
	 "write the pins observed in a known-good environment", true},
	{"calibrate", cmd_calibrate, "parity calibrate CONTRACT [--env ENV] [--runs N] [--margin M] "
	 "[-o LOCKFILE]\n                  [--var NAME=VALUE]... [--jobs N]",
	 "propose tolerances from the noise between repeated runs", true},
	{"probe", cmd_probe, "parity probe [host | gpu [--device N] [--fingerprint]]",
	 "print this host's facts as JSON", true},
	{"schema", cmd_schema, "parity schema", "print the contract JSON Schema", false},
	{"kinds", cmd_kinds, "parity kinds [--json]", "list the step kinds and their keys", false},
	{"history", cmd_history, "parity history FILE [--contract NAME] [--step ID] [--last N]",
	 "print the trend of the runs recorded with --history", false},
	{"audit", cmd_audit, "parity audit DIR_OR_FILE... [--jobs N] [--var NAME=VALUE]... [--history FILE]\n"
	 "                  [--out DIR] [--no-color]",
	 "run many contracts at once, their reports under --out, one summary", true},
};
#define N_CMDS (sizeof cmds / sizeof cmds[0])

static const struct cmd *current;

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("parity: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (current)
		fprintf(stderr, "usage: %s\n", current->usage);
	return EXIT_USAGE;
}

/* "unknown <what> 'name' in <where> (did you mean 'x'?)" as a usage error. */
static int unknown_name(const char *what, const char *name, const char *where,
			const char *const *candidates)
{
	const char *sug = text_suggest(name, candidates);
	if (sug)
		return usage_error("unknown %s '%s' in %s (did you mean '%s'?)", what, name, where, sug);
	return usage_error("unknown %s '%s' in %s", what, name, where);
}

static void print_help(FILE *f)
{
	fprintf(f, "parity %s: contract tests for ML environments that must agree\n\n"
		"usage:\n", PARITY_VERSION);
	for (size_t i = 0; i < N_CMDS; i++)
		fprintf(f, "  %s\n", cmds[i].usage);
	fputs("  parity --version | --help | COMMAND --help\n\ncommands:\n", f);
	for (size_t i = 0; i < N_CMDS; i++)
		fprintf(f, "  %-9s %s\n", cmds[i].name, cmds[i].summary);
	fputs("\nreport formats: console, tap (TAP 14), tap13, junit, json, markdown, html\n"
	      "exit status: 0 passed, 1 a step failed or could not run, 2 invalid contract or\n"
	      "command line (nothing ran), 3 the runner itself failed, 130/143 interrupted by\n"
	      "SIGINT/SIGTERM\n", f);
}

/* ---- options shared by the commands ---- */

struct report_req {
	const struct reporter *rep;
	char *path;             /* NULL: stdout */
};

struct opts {
	const char *contract;
	char **contracts;       /* validate */
	size_t n_contracts;
	struct report_req reports[16];
	size_t n_reports;
	char **only;            /* NULL-terminated or NULL */
	char **envs;
	const char *vars[64];
	size_t n_vars;
	char *facts[32];        /* NAME=FILE */
	size_t n_facts;
	const char *save_facts;
	const char *history;    /* --history FILE */
	const char *out_dir;    /* audit --out */
	const char *out;        /* -o */
	const char *from;       /* lock --from */
	int jobs;
	int runs;               /* calibrate --runs, 0: unset */
	double margin;          /* calibrate --margin, 0: unset */
	bool quiet, no_color;
};

static void opts_release(struct opts *o)
{
	for (size_t i = 0; i < o->n_reports; i++)
		free(o->reports[i].path);
	for (size_t i = 0; o->only && o->only[i]; i++)
		free(o->only[i]);
	free(o->only);
	for (size_t i = 0; o->envs && o->envs[i]; i++)
		free(o->envs[i]);
	free(o->envs);
	free(o->contracts);
}

static char **split_commas(const char *s)
{
	size_t n = 1;
	for (const char *p = s; *p; p++)
		n += *p == ',';
	char **list = xcalloc(n + 1, sizeof *list);
	size_t k = 0;
	const char *p = s;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len)
			list[k++] = xstrndup(p, len);
		if (!comma)
			break;
		p = comma + 1;
	}
	return list;
}

static int add_report(struct opts *o, const char *spec)
{
	const char *colon = strchr(spec, ':');
	char *name = colon ? xstrndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
	const struct reporter *rep = reporter_find(name);
	if (!rep) {
		const char *sug = text_suggest(name, reporter_names());
		int rc = sug ? usage_error("unknown report format '%s' (did you mean '%s'?)", name, sug)
			     : usage_error("unknown report format '%s': use console, tap, tap13, junit, "
					   "json, markdown or html", name);
		free(name);
		return rc;
	}
	free(name);
	if (o->n_reports >= 16)
		return usage_error("too many --report options (at most 16)");
	const char *path = colon ? colon + 1 : NULL;
	o->reports[o->n_reports].rep = rep;
	o->reports[o->n_reports].path = path && *path && strcmp(path, "-") ? xstrdup(path) : NULL;
	o->n_reports++;
	return 0;
}

/* Options a command accepts, as a string of flags: r=report o=only e=env j=jobs v=var
 * s=save-facts q=quiet c=no-color f=facts O=-o F=from n=runs m=margin H=history
 * U=out */
static const struct {
	const char *name;
	char flag;
	bool arg;
} opt_table[] = {
	{"--report", 'r', true}, {"--only", 'o', true}, {"--env", 'e', true},
	{"--jobs", 'j', true}, {"--var", 'v', true}, {"--save-facts", 's', true},
	{"--quiet", 'q', false}, {"--no-color", 'c', false}, {"--facts", 'f', true},
	{"-o", 'O', true}, {"--output", 'O', true}, {"--from", 'F', true},
	{"--runs", 'n', true}, {"--margin", 'm', true},
	{"--history", 'H', true}, {"--out", 'U', true},
};

/* Finds the option argv[*i] among those accepted: its *flag and *val (the
 * value, from "--x=v" or the next argument, which *i then passes). Returns 0
 * or a usage error. */
static int find_opt(int argc, char **argv, int *i, const char *accept, char *flag,
		    const char **val)
{
	const char *a = argv[*i];

	for (size_t t = 0; t < sizeof opt_table / sizeof opt_table[0]; t++) {
		size_t len = strlen(opt_table[t].name);
		if (strncmp(a, opt_table[t].name, len) || (a[len] && a[len] != '='))
			continue;
		if (!strchr(accept, opt_table[t].flag))
			break;
		*flag = opt_table[t].flag;
		if (opt_table[t].arg) {
			if (a[len] == '=')
				*val = a + len + 1;
			else if (*i + 1 < argc)
				*val = argv[++*i];
			else
				return usage_error("option '%s' needs a value", opt_table[t].name);
		} else if (a[len] == '=') {
			return usage_error("option '%s' takes no value", opt_table[t].name);
		}
		return 0;
	}
	return usage_error("unknown option '%s' for 'parity %s'", a, current->name);
}

/* --jobs, --runs and --margin: numbers within their ranges. */
static int number_opt(char flag, const char *val, struct opts *o)
{
	char *end;
	long n = 0;
	double x = 0;

	errno = 0;
	if (flag == 'm')
		x = strtod(val, &end);
	else
		n = strtol(val, &end, 10);
	bool bad = errno || *end || end == val;
	if (flag == 'j') {
		if (bad || n < 1 || n > 1024)
			return usage_error("invalid --jobs '%s': give a number from 1 to 1024", val);
		o->jobs = (int)n;
	} else if (flag == 'n') {
		if (bad || n < 2 || n > 1000)
			return usage_error("invalid --runs '%s': give a number from 2 to 1000", val);
		o->runs = (int)n;
	} else {
		if (bad || !(x >= 1 && x <= 1e6))
			return usage_error("invalid --margin '%s': give a number from 1 to 1e6", val);
		o->margin = x;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, const char *accept, bool many, struct opts *o)
{
	memset(o, 0, sizeof *o);
	o->contracts = xcalloc((size_t)argc + 1, sizeof *o->contracts);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		char flag = 0;
		if (a[0] != '-' || !strcmp(a, "-")) {
			if (!many && o->n_contracts)
				return usage_error("unexpected argument '%s'", a);
			o->contracts[o->n_contracts++] = argv[i];
			continue;
		}
		int rc = find_opt(argc, argv, &i, accept, &flag, &val);
		if (rc)
			return rc;
		switch (flag) {
		case 'r':
			rc = add_report(o, val);
			break;
		case 'o':
			for (size_t k = 0; o->only && o->only[k]; k++)
				free(o->only[k]);
			free(o->only);
			o->only = split_commas(val);
			break;
		case 'e':
			for (size_t k = 0; o->envs && o->envs[k]; k++)
				free(o->envs[k]);
			free(o->envs);
			o->envs = split_commas(val);
			break;
		case 'j':
		case 'n':
		case 'm':
			rc = number_opt(flag, val, o);
			break;
		case 'v':
			if (!strchr(val, '=') || val[0] == '=')
				return usage_error("invalid --var '%s': write NAME=VALUE", val);
			if (o->n_vars >= 63)
				return usage_error("too many --var options (at most 63)");
			o->vars[o->n_vars++] = val;
			break;
		case 's':
			o->save_facts = val;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'c':
			o->no_color = true;
			break;
		case 'f':
			if (!strchr(val, '=') || val[0] == '=')
				return usage_error("invalid --facts '%s': write NAME=FILE", val);
			if (o->n_facts >= 32)
				return usage_error("too many --facts options (at most 32)");
			o->facts[o->n_facts++] = (char *)(uintptr_t)val;
			break;
		case 'O':
			o->out = val;
			break;
		case 'F':
			o->from = val;
			break;
		case 'H':
			o->history = val;
			break;
		case 'U':
			o->out_dir = val;
			break;
		default:
			break;
		}
		if (rc)
			return rc;
	}
	if (o->n_contracts == 0)
		return usage_error("missing CONTRACT");
	int to_stdout = 0;
	for (size_t i = 0; i < o->n_reports; i++)
		to_stdout += !o->reports[i].path;
	if (to_stdout > 1)
		return usage_error("only one report can go to stdout: give the others a PATH "
				   "(--report FORMAT:PATH)");
	o->contract = o->contracts[0];
	return 0;
}

/* Loads the contract; prints errors. Returns 0 or EXIT_USAGE. */
static int load(struct contract *c, const struct opts *o, bool skip_lock)
{
	struct diag d;
	struct load_opts lo = {NULL, skip_lock};
	lo.var_overrides = o->vars;     /* NULL-terminated: at most 63 of 64 slots used */
	diag_init(&d);
	int rc = contract_open(c, o->contract, &lo, &d);
	if (rc < 0 || d.warnings) {
		char *masked = secret_mask(d.text.data);   /* messages quote expanded values */
		buf_reset(&d.text);
		buf_puts(&d.text, masked);
		free(masked);
		diag_print(&d, stderr);
	}
	diag_release(&d);
	return rc < 0 ? EXIT_USAGE : 0;
}

/* Checks --only and --env names against the contract. */
static int check_names(struct contract *c, const struct opts *o)
{
	for (size_t i = 0; o->only && o->only[i]; i++) {
		if (contract_step_index(c, o->only[i]) >= 0)
			continue;
		const char **ids = xcalloc(c->n_steps + 1, sizeof *ids);
		for (size_t k = 0; k < c->n_steps; k++)
			ids[k] = c->steps[k].id;
		int rc = unknown_name("step", o->only[i], "--only", ids);
		free(ids);
		return rc;
	}
	for (size_t i = 0; o->envs && o->envs[i]; i++) {
		if (contract_env_index(c, o->envs[i]) >= 0)
			continue;
		return unknown_name("environment", o->envs[i], "--env", contract_env_names(c));
	}
	return 0;
}

static bool want_color(FILE *f, const struct opts *o)
{
	return !o->no_color && !getenv("NO_COLOR") && isatty(fileno(f));
}

/* What could not be written, said after the console summary; each output
 * is tried whatever happened to the others. */
struct out_errors {
	char **msg;
	size_t n, cap;
};

static void out_error(struct out_errors *e, char *msg /* taken */)
{
	XGROW(e->msg, e->cap, e->n + 1);
	e->msg[e->n++] = msg;
}

/* Prints and frees the errors; EXIT_INTERNAL when there was one, else 0. */
static int out_errors_flush(struct out_errors *e)
{
	int rc = e->n ? EXIT_INTERNAL : 0;
	for (size_t i = 0; i < e->n; i++) {
		fprintf(stderr, "parity: error: %s\n", e->msg[i]);
		free(e->msg[i]);
	}
	free(e->msg);
	memset(e, 0, sizeof *e);
	return rc;
}

/* Renders every requested report (console to stdout when none). */
static void render(const struct run_result *r, const struct opts *o, struct out_errors *errs)
{
	char *err = NULL;
	if (o->n_reports == 0) {
		struct report_opts ro = {want_color(stdout, o), false};
		if (report_write(reporter_find("console"), r, NULL, &ro, &err) < 0)
			out_error(errs, err);
		return;
	}
	bool written[16] = {false};
	for (size_t i = 0; i < o->n_reports; i++) {
		struct report_opts ro = {want_color(stdout, o) && !strcmp(o->reports[i].rep->name, "console"),
					 false};
		if (report_write(o->reports[i].rep, r, o->reports[i].path, &ro, &err) < 0)
			out_error(errs, err);
		else
			written[i] = true;
	}
	if (!o->quiet) {
		bool console_on_stdout = false;
		for (size_t i = 0; i < o->n_reports; i++)
			console_on_stdout |= !o->reports[i].path && !strcmp(o->reports[i].rep->name, "console");
		if (!console_on_stdout) {
			struct report_opts ro = {want_color(stderr, o), false};
			report_console(r, stderr, &ro);
			for (size_t i = 0; i < o->n_reports; i++)
				if (o->reports[i].path && written[i])
					fprintf(stderr, "%s report: %s\n", o->reports[i].rep->name,
						o->reports[i].path);
		}
	}
}

/* Writes DIR/ENV.facts.json for every environment gathered live; each file
 * independently of the others. */
static void save_facts(const struct plan *p, const char *dir, struct out_errors *errs)
{
	const struct contract *c = p->c;
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		out_error(errs, xasprintf("cannot create folder '%s' for --save-facts: %s", dir,
					  strerror(errno)));
		return;
	}
	for (size_t e = 0; e < c->n_envs; e++) {
		if (!p->env_on[e] || p->env_facts[e])
			continue;
		char *path = xasprintf("%s/%s.facts.json", dir, c->envs[e].name);
		char *err = NULL;
		json_t *doc = facts_doc(c, e, &p->facts, p->step_on, p->env_host[e]);
		if (facts_write(doc, path, &err) < 0)
			out_error(errs, err);
		json_decref(doc);
		free(path);
	}
}

/* s with every secret masked; takes s. For messages that can quote
 * expanded values on stderr. */
static char *masked(char *s)
{
	char *m = secret_mask(s);
	free(s);
	return m;
}

/* Uses the facts files named on the command line (--facts NAME=FILE), then
 * those the contract names ('facts:') for the other environments. */
static int use_facts(struct plan *p, struct contract *c, const struct opts *o)
{
	char *err = NULL;
	for (size_t i = 0; i < o->n_facts; i++) {
		char *eq = strchr(o->facts[i], '=');
		char *name = xstrndup(o->facts[i], (size_t)(eq - o->facts[i]));
		int e = contract_env_index(c, name);
		if (e < 0) {
			int rc = unknown_name("environment", name, "--facts", contract_env_names(c));
			free(name);
			return rc;
		}
		free(name);
		if (plan_use_facts(p, (size_t)e, eq + 1, &err) < 0)
			goto fail;
	}
	for (size_t e = 0; e < c->n_envs; e++) {
		if (!p->env_on[e] || !c->envs[e].facts_path || p->env_facts[e])
			continue;
		if (plan_use_facts(p, e, c->envs[e].facts_path, &err) < 0) {
			err = masked(err);      /* the path may hold ${env.X} */
			const struct mark *at = &node_get(c->envs[e].node, "facts")->mark;
			fprintf(stderr, "%s:%d:%d: error: %s (named by environment '%s'; write it with "
				"'parity capture %s --env %s -o FILE')\n", at->src->path, at->line, at->col, err,
				c->envs[e].name, c->path, c->envs[e].name);
			free(err);
			return EXIT_USAGE;
		}
	}
	return 0;
fail:
	err = masked(err);
	fprintf(stderr, "parity: error: %s\n", err);
	free(err);
	return EXIT_USAGE;
}

/* Appends the run to the history file, then reads back each metric's last
 * runs for the reports (r->history). */
static void record_history(const struct plan *p, struct run_result *r, const char *path,
			   struct out_errors *errs)
{
	char *err = NULL;
	if (history_append(path, p, r, &err) < 0) {
		out_error(errs, err);
		return;
	}
	r->history = history_series(path, r->contract_name, HISTORY_SERIES, &err);
	if (!r->history)
		out_error(errs, err);
}

static int run_or_compare(int argc, char **argv, bool compare)
{
	struct opts o;
	struct contract c;
	struct plan p;
	struct run_result r;
	int rc = parse_opts(argc, argv, compare ? "roevqcfH" : "roejvsqcH", false, &o);

	memset(&c, 0, sizeof c);
	memset(&p, 0, sizeof p);
	result_init(&r);
	if (rc)
		goto out;
	rc = load(&c, &o, false);
	if (rc)
		goto out;
	rc = check_names(&c, &o);
	if (rc)
		goto out;
	plan_init(&p, &c, o.only, o.envs);
	if (o.jobs)
		p.jobs = o.jobs;
	rc = use_facts(&p, &c, &o);
	if (rc)
		goto out;
	if (compare) {
		for (size_t e = 0; e < c.n_envs; e++)
			if (p.env_on[e] && !p.env_facts[e]) {
				rc = usage_error("no facts for environment '%s': pass --facts %s=FILE, or "
						 "leave it out with --env", c.envs[e].name, c.envs[e].name);
				goto out;
			}
	}
	p.progress = !o.quiet && isatty(2) && !getenv("NO_COLOR");
	time_t started = time(NULL);
	double t0 = clock_seconds();
	engine_gather(&p);
	engine_evaluate(&p, &r);
	r.duration_s = clock_seconds() - t0;
	clock_iso8601(started, r.started_at);
	r.command = xstrdup(compare ? "compare" : "run");
	struct out_errors errs = {0};
	if (o.save_facts)
		save_facts(&p, o.save_facts, &errs);
	if (o.history)
		record_history(&p, &r, o.history, &errs);
	render(&r, &o, &errs);
	rc = out_errors_flush(&errs);
	if (!rc)
		rc = result_exit_status(&r);
out:
	result_release(&r);
	plan_release(&p);
	contract_release(&c);
	opts_release(&o);
	return rc;
}

static int cmd_run(int argc, char **argv)
{
	return run_or_compare(argc, argv, false);
}

static int cmd_compare(int argc, char **argv)
{
	return run_or_compare(argc, argv, true);
}

static int cmd_validate(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(argc, argv, "v", true, &o);
	if (rc) {
		opts_release(&o);
		return rc;
	}
	for (size_t i = 0; i < o.n_contracts; i++) {
		struct contract c;
		o.contract = o.contracts[i];
		if (load(&c, &o, false) == 0)
			printf("%s: valid (%zu step%s, %zu environment%s)\n", c.path, c.n_steps,
			       c.n_steps == 1 ? "" : "s", c.n_envs, c.n_envs == 1 ? "" : "s");
		else
			rc = EXIT_USAGE;
		contract_release(&c);
	}
	opts_release(&o);
	return rc;
}

static int cmd_capture(int argc, char **argv)
{
	struct opts o;
	struct contract c;
	struct plan p;
	int rc = parse_opts(argc, argv, "eOvjo", false, &o);

	memset(&c, 0, sizeof c);
	memset(&p, 0, sizeof p);
	if (rc)
		goto out;
	if (!o.envs || !o.envs[0] || o.envs[1]) {
		rc = usage_error("capture needs exactly one --env NAME");
		goto out;
	}
	rc = load(&c, &o, false);
	if (rc)
		goto out;
	rc = check_names(&c, &o);
	if (rc)
		goto out;
	plan_init(&p, &c, o.only, o.envs);
	if (o.jobs)
		p.jobs = o.jobs;
	size_t e = (size_t)contract_env_index(&c, o.envs[0]);
	engine_gather(&p);
	json_t *doc = facts_doc(&c, e, &p.facts, p.step_on, p.env_host[e]);
	char *err = NULL;
	if (facts_write(doc, o.out, &err) < 0) {
		fprintf(stderr, "parity: error: %s\n", err);
		free(err);
		rc = EXIT_INTERNAL;
	} else {
		size_t ok = 0, bad = 0;
		for (size_t s = 0; s < c.n_steps; s++) {
			ok += fact_at(&p.facts, s, e)->state == FACT_OK;
			bad += fact_at(&p.facts, s, e)->state == FACT_ERROR;
		}
		fprintf(stderr, "parity: captured %zu fact%s in '%s' (%zu could not be gathered)%s%s\n",
			ok, ok == 1 ? "" : "s", c.envs[e].name, bad, o.out ? " into " : "",
			o.out ? o.out : "");
	}
	json_decref(doc);
out:
	plan_release(&p);
	contract_release(&c);
	opts_release(&o);
	return rc;
}

/* The real path of p, also when p does not exist yet (its folder's real
 * path and its name); NULL when neither resolves. Owned by the caller. */
static char *real_path_of(const char *p)
{
	char *r = realpath(p, NULL);
	if (r)
		return r;
	const char *slash = strrchr(p, '/');
	char *dir = slash ? xstrndup(p, (size_t)(slash - p + (slash == p))) : xstrdup(".");
	char *d = realpath(dir, NULL);
	r = d ? xasprintf("%s/%s", d, slash ? slash + 1 : p) : NULL;
	free(d);
	free(dir);
	return r;
}

/* The pins of the lock file the contract reads, when path is that file,
 * for parity lock to keep its calibrated bands: new reference, or NULL
 * when there is none or it does not load (a broken file is rewritten). */
static json_t *old_lock_pins(const struct opts *o, const struct contract *c, const char *path)
{
	char *a = real_path_of(path), *b = c->lock_path ? real_path_of(c->lock_path) : NULL;
	json_t *pins = NULL;
	if (a && b && !strcmp(a, b) && access(b, F_OK) == 0) {
		struct contract old;
		struct diag d;
		struct load_opts lo = {o->vars, false};
		diag_init(&d);
		if (contract_load(&old, o->contract, &lo, &d) == 0)
			pins = json_incref(old.lock);
		contract_release(&old);
		diag_release(&d);
	}
	free(b);
	free(a);
	return pins;
}

static int cmd_lock(int argc, char **argv)
{
	struct opts o;
	struct contract c;
	struct plan p;
	char *path = NULL, *text = NULL, *err = NULL;
	int rc = parse_opts(argc, argv, "FOv", false, &o);

	memset(&c, 0, sizeof c);
	memset(&p, 0, sizeof p);
	if (rc)
		goto out;
	if (!o.from) {
		rc = usage_error("lock needs --from ENV, the known-good environment");
		goto out;
	}
	rc = load(&c, &o, true);
	if (rc)
		goto out;
	int e = contract_env_index(&c, o.from);
	if (e < 0) {
		rc = unknown_name("environment", o.from, "--from", contract_env_names(&c));
		goto out;
	}
	char *envs[] = {c.envs[e].name, NULL};
	plan_init(&p, &c, NULL, envs);
	engine_gather(&p);
	size_t bad = 0, skipped = 0;
	for (size_t s = 0; s < c.n_steps; s++)
		if (fact_at(&p.facts, s, (size_t)e)->state == FACT_ERROR) {
			char *why = secret_mask(fact_at(&p.facts, s, (size_t)e)->error);
			fprintf(stderr, "parity: error: step '%s' could not run in '%s': %s\n", c.steps[s].id,
				c.envs[e].name, why);
			free(why);
			bad++;
		}
	if (bad) {
		fprintf(stderr, "parity: no lock file written: %zu step%s failed in '%s'\n", bad,
			bad == 1 ? "" : "s", c.envs[e].name);
		rc = EXIT_FAIL;
		goto out;
	}
	if (o.out) {
		path = xstrdup(o.out);
	} else if (c.lock_path) {
		path = xstrdup(c.lock_path);
	} else {
		const char *slash = strrchr(c.path, '/');
		path = slash ? xasprintf("%.*s/%s.lock.yaml", (int)(slash - c.path), c.path, c.name)
			     : xasprintf("%s.lock.yaml", c.name);
	}
	const char *host = json_string_value(json_object_get(p.env_host[e], "hostname"));
	json_t *old = strcmp(path, "-") ? old_lock_pins(&o, &c, path) : NULL;
	text = lock_render(&c, (size_t)e, &p.facts, host, old, &skipped);
	json_decref(old);
	if (!strcmp(path, "-")) {
		fputs(text, stdout);
	} else if (file_write_text(path, "lock file", text, strlen(text), &err) < 0) {
		fprintf(stderr, "parity: error: %s\n", err);
		rc = EXIT_INTERNAL;
		goto out;
	} else {
		fprintf(stderr, "parity: wrote lock file '%s' from '%s'\n", path, c.envs[e].name);
	}
	if (skipped)
		fprintf(stderr, "parity: note: %zu pin%s left out because %s a secret\n", skipped,
			skipped == 1 ? "" : "s", skipped == 1 ? "it holds" : "they hold");
out:
	free(err);
	free(text);
	free(path);
	plan_release(&p);
	contract_release(&c);
	opts_release(&o);
	return rc;
}

/* Writes calibrate's proposal into the lock file at path, keeping the pins
 * of the contract's own lock file when path is that file. */
static int write_calibrated_lock(const struct contract *c, size_t env, const json_t *proposal,
				 const struct calibrate_opts *co, const char *path)
{
	char *err = NULL, *a = real_path_of(path), *b = c->lock_path ? real_path_of(c->lock_path)
								     : NULL;
	bool same = a && b && !strcmp(a, b);
	json_t *pins = calibrate_pins(proposal, same ? c->lock : NULL);
	json_t *host = host_facts();
	char *how = xasprintf(", tolerances calibrated over %d runs", co->runs);
	size_t skipped = 0;
	char *text = lock_render_pins(c, c->envs[env].name, pins,
				      json_string_value(json_object_get(host, "hostname")), how,
				      &skipped);
	int rc = 0;
	if (file_write_text(path, "lock file", text, strlen(text), &err) < 0) {
		fprintf(stderr, "parity: error: %s\n", err);
		rc = EXIT_INTERNAL;
	} else {
		fprintf(stderr, "parity: wrote the tolerances into lock file '%s'%s\n", path,
			c->lock_path && !same ? "; the contract reads another ('lock:'), name this "
			"one there" : !c->lock_path ? "; name it in the contract with 'lock:'" : "");
	}
	free(err);
	free(text);
	free(how);
	json_decref(host);
	json_decref(pins);
	free(b);
	free(a);
	return rc;
}

static int cmd_calibrate(int argc, char **argv)
{
	struct opts o;
	struct contract c;
	char *err = NULL, *yaml = NULL;
	json_t *proposal = NULL;
	int rc = parse_opts(argc, argv, "eOvjnm", false, &o);

	memset(&c, 0, sizeof c);
	if (rc)
		goto out;
	/* the lock file is read when there is one: -o keeps its other pins */
	rc = load(&c, &o, true);
	if (!rc && c.lock_path && access(c.lock_path, F_OK) == 0) {
		contract_release(&c);
		rc = load(&c, &o, false);
	}
	if (!rc)
		rc = check_names(&c, &o);
	if (rc)
		goto out;
	if (o.envs && o.envs[0] && o.envs[1]) {
		rc = usage_error("calibrate measures one environment: give one --env");
		goto out;
	}
	size_t env = o.envs && o.envs[0] ? (size_t)contract_env_index(&c, o.envs[0])
					 : (size_t)c.baseline;
	struct calibrate_opts co = {o.runs ? o.runs : 5, o.margin > 0 ? o.margin : 10, o.jobs,
				    isatty(fileno(stderr))};
	proposal = calibrate_run(&c, env, &co, &err);
	if (!proposal) {
		fprintf(stderr, "parity: error: %s\n", err);
		rc = EXIT_FAIL;
		goto out;
	}
	yaml = calibrate_yaml(&c, env, &co, proposal);
	fputs(yaml, stdout);
	fflush(stdout);
	if (o.out)
		rc = write_calibrated_lock(&c, env, proposal, &co, o.out);
out:
	free(yaml);
	json_decref(proposal);
	free(err);
	contract_release(&c);
	opts_release(&o);
	return rc;
}

static int cmd_probe(int argc, char **argv)
{
	const char *what = argc > 0 ? argv[0] : "host";
	struct gpu_probe_opts go = {0, false, 0};
	json_t *j;
	if (!strcmp(what, "gpu")) {
		for (int i = 1; i < argc; i++) {
			const char *a = argv[i], *val = NULL;
			if (!strcmp(a, "--fingerprint")) {
				go.fingerprint = true;
				continue;
			}
			if (!strncmp(a, "--device=", 9))
				val = a + 9;
			else if (!strcmp(a, "--device") && i + 1 < argc)
				val = argv[++i];
			else if (!strcmp(a, "--device"))
				return usage_error("option '--device' needs a value");
			else
				return usage_error("unexpected argument '%s'", a);
			char *end;
			errno = 0;
			long n = strtol(val, &end, 10);
			if (errno || *end || !*val || n < 0 || n > 4096)
				return usage_error("invalid --device '%s': give a CUDA device index", val);
			go.device = (int)n;
		}
		/* exits 0 without a GPU too: the JSON says why */
		j = gpu_probe(&go);
	} else if (!strcmp(what, "host")) {
		if (argc > 1)
			return usage_error("unexpected argument '%s'", argv[1]);
		j = host_facts_full();
	} else {
		return usage_error("unknown probe '%s': use 'host' or 'gpu'", what);
	}
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	printf("%s\n", text);
	free(text);
	json_decref(j);
	return fflush(stdout) == 0 ? 0 : EXIT_INTERNAL;
}

static int cmd_schema(int argc, char **argv)
{
	(void)argv;
	if (argc > 0)
		return usage_error("'parity schema' takes no arguments");
	char *err = NULL, *text = schema_render(parity_schema_text, &err);
	if (!text) {
		fprintf(stderr, "parity: internal error: %s\n", err);
		free(err);
		return EXIT_INTERNAL;
	}
	fputs(text, stdout);
	free(text);
	return fflush(stdout) == 0 ? 0 : EXIT_INTERNAL;
}

/* One line a kind, then its keys: name, required, doc. */
static void print_kind(const json_t *k)
{
	const json_t *key;
	size_t i;
	printf("%-12s %-13s %s\n", json_string_value(json_object_get(k, "name")),
	       json_string_value(json_object_get(k, "stage")),
	       json_string_value(json_object_get(k, "summary")));
	json_array_foreach(json_object_get(k, "keys"), i, key)
		printf("    %-16s %s%s\n", json_string_value(json_object_get(key, "name")),
		       json_is_true(json_object_get(key, "required")) ? "(required) " : "",
		       json_string_value(json_object_get(key, "doc")));
}

static int cmd_kinds(int argc, char **argv)
{
	bool as_json = argc == 1 && !strcmp(argv[0], "--json");
	if (argc > 0 && !as_json)
		return usage_error("'parity kinds' takes only --json");
	json_t *all = schema_kinds_json();
	if (as_json) {
		json_dumpf(all, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		const json_t *k;
		size_t i;
		json_array_foreach(all, i, k)
			print_kind(k);
	}
	json_decref(all);
	return fflush(stdout) == 0 ? 0 : EXIT_INTERNAL;
}

static int cmd_history(int argc, char **argv)
{
	struct history_query q = {NULL, NULL, HISTORY_SERIES};
	const char *path = NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = !strcmp(a, "--contract") ? &q.contract : !strcmp(a, "--step") ? &q.step
			: NULL;
		if (dst || !strcmp(a, "--last")) {
			if (i + 1 >= argc)
				return usage_error("option '%s' needs a value", a);
			const char *val = argv[++i];
			if (dst) {
				*dst = val;
				continue;
			}
			char *end;
			errno = 0;
			long n = strtol(val, &end, 10);
			if (errno || *end || !*val || n < 1 || n > 100000)
				return usage_error("invalid --last '%s': give a number of runs from 1 to 100000", val);
			q.last = (size_t)n;
		} else if (a[0] == '-' && a[1]) {
			return usage_error("unknown option '%s' for 'parity history'", a);
		} else if (path) {
			return usage_error("unexpected argument '%s'", a);
		} else {
			path = a;
		}
	}
	if (!path)
		return usage_error("missing FILE, the history file written by --history");
	char *err = NULL;
	if (history_print(path, &q, stdout, &err) < 0) {
		fprintf(stderr, "parity: error: %s\n", err);
		free(err);
		return EXIT_USAGE;
	}
	return fflush(stdout) == 0 ? 0 : EXIT_INTERNAL;
}

static int cmd_audit(int argc, char **argv)
{
	struct opts o;
	char self[4096];
	int rc = parse_opts(argc, argv, "jvHUc", true, &o);
	if (rc)
		goto out;
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) {
		fprintf(stderr, "parity: error: cannot find the parity binary: %s\n", strerror(errno));
		rc = EXIT_INTERNAL;
		goto out;
	}
	self[n] = '\0';
	struct audit_opts ao = {o.contracts, o.n_contracts, o.vars, o.n_vars, o.history,
				o.out_dir ? o.out_dir : "parity-audit", o.jobs, self,
				want_color(stdout, &o)};
	rc = audit_run(&ao);
out:
	opts_release(&o);
	return rc;
}

/* The first SIGINT, SIGTERM or SIGHUP asks the command to stop: the running
 * steps' process groups are killed, the rest do not start, and the outputs
 * are still written. A second one ends parity at once (cancel_now). */
static void on_stop_signal(int sig)
{
	int saved = errno;
	const char *name = cancel_signal_name(sig);
	const char *head = cancel_requested() ? "parity: interrupted again by " : "parity: interrupted by ";
	const char *tail = cancel_requested() ? ": ending at once\n"
		: ": stopping the running steps, then writing the reports (a second signal ends at once)\n";
	ssize_t n = write(2, head, strlen(head));
	n = write(2, name, strlen(name));
	n = write(2, tail, strlen(tail));
	(void)n;
	if (cancel_requested())
		cancel_now(sig);
	cancel_request(sig);
	errno = saved;
}

/* For commands that run steps or write files (not validate, schema). The
 * waits do not need EINTR: they poll cancel_fd (and poll is never restarted
 * anyway), so SA_RESTART keeps a report being written into a pipe from
 * failing with EINTR. A signal ignored when parity started stays ignored
 * (nohup, a background job of a script). */
static void install_stop_handlers(void)
{
	struct sigaction sa;
	size_t n;
	const int *sigs = cancel_signals(&n);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < n; i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	(void)cancel_init();
	for (size_t i = 0; i < n; i++) {
		struct sigaction old;
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
}

int main(int argc, char **argv)
{
	/* Jansson's allocations fail as ours do (exit 3), never by dropping a value */
	json_set_alloc_funcs(bigmem_xmalloc, free);
	if (argc < 2) {
		print_help(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("parity %s\n", PARITY_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		print_help(stdout);
		return 0;
	}
	for (size_t i = 0; i < N_CMDS; i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		current = &cmds[i];
		for (int k = 2; k < argc; k++)
			if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
				printf("usage: %s\n\n%s\n", cmds[i].usage, cmds[i].summary);
				return 0;
			}
		if (cmds[i].runs || cmds[i].fn == cmd_compare)
			install_stop_handlers();
		if (cmds[i].runs) {
			proc_setup();
			http_setup();
		}
		int rc = cmds[i].fn(argc - 2, argv + 2);
		if (cmds[i].runs)
			http_teardown();
		return cancel_signal() ? 128 + cancel_signal() : rc;
	}
	const char *names[N_CMDS + 1];
	for (size_t i = 0; i < N_CMDS; i++)
		names[i] = cmds[i].name;
	names[N_CMDS] = NULL;
	const char *sug = text_suggest(argv[1], names);
	if (sug)
		fprintf(stderr, "parity: error: unknown command '%s' (did you mean '%s'?)\n", argv[1], sug);
	else
		fprintf(stderr, "parity: error: unknown command '%s'\n", argv[1]);
	fputs("run 'parity --help' for the commands\n", stderr);
	return EXIT_USAGE;
}
