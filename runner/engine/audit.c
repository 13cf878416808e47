/* audit: runs each contract as a child `parity run` (a crash or an invalid
 * contract stays that contract's own result), a bounded pool of threads
 * each waiting on one child, then writes the summaries from the children's
 * JSON and JUnit reports. */
#include "engine/audit.h"
#include "load/contract.h"
#include "report/report.h"
#include "transport/process.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct item {
	char *path;
	char *name;             /* the contract's name, unique in the audit: its folder under out */
	const char **vars;      /* the --var values it declares, NULL-terminated */
	int status;             /* exit status of its run */
	char *err;              /* its stderr (masked), for an invalid contract */
	json_t *report;         /* its JSON report, or NULL */
	double seconds;
};

struct audit {
	const struct audit_opts *o;
	struct item *items;
	size_t n, cap;
	size_t next;            /* the next item a worker takes */
	pthread_mutex_t lock;
};

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

static bool is_contract_name(const char *name)
{
	return name[0] != '.' && (has_suffix(name, ".yaml") || has_suffix(name, ".yml")) &&
	       !has_suffix(name, ".lock.yaml") && !has_suffix(name, ".lock.yml");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_item(struct audit *a, char *path /* taken */)
{
	XGROW(a->items, a->cap, a->n + 1);
	memset(&a->items[a->n], 0, sizeof a->items[a->n]);
	a->items[a->n++].path = path;
}

/* The contracts of a folder: its *.yaml and *.yml files (lock files left
 * out) and SUB/contract.yaml of its folders, sorted. -1 when unreadable. */
static int add_folder(struct audit *a, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **found = NULL;
	size_t n = 0, cap = 0;
	struct stat st;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char *path = xasprintf("%s/%s", dir, e->d_name);
		char *sub = xasprintf("%s/contract.yaml", path);
		if (e->d_name[0] != '.' && stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
		    stat(sub, &st) == 0) {
			XGROW(found, cap, n + 1);
			found[n++] = sub;
			sub = NULL;
		} else if (is_contract_name(e->d_name) && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			XGROW(found, cap, n + 1);
			found[n++] = path;
			path = NULL;
		}
		free(sub);
		free(path);
	}
	closedir(d);
	if (n)
		qsort(found, n, sizeof *found, cmp_str);
	for (size_t i = 0; i < n; i++)
		add_item(a, found[i]);
	free(found);
	return 0;
}

/* Whether the contract at path declares (or refers to) variable var
 * ("NAME=VALUE"): loading it with that --var alone says nothing about it. */
static bool declares(const char *path, const char *var)
{
	const char *vars[] = {var, NULL};
	struct load_opts lo = {vars, false};
	struct contract c;
	struct diag d;
	diag_init(&d);
	bool ok = contract_load(&c, path, &lo, &d) == 0 || !strstr(d.text.data, "in --var");
	contract_release(&c);
	diag_release(&d);
	return ok;
}

/* The contract's name (or its file's), unique among the first i items. */
static char *item_name(struct audit *a, size_t i)
{
	struct contract c;
	struct diag d;
	char *base;
	diag_init(&d);
	if (contract_load(&c, a->items[i].path, NULL, &d) == 0 && c.name) {
		base = xstrdup(c.name);
	} else {
		const char *p = a->items[i].path, *slash = strrchr(p, '/');
		const char *file = slash ? slash + 1 : p, *start = slash;
		if (slash && !strcmp(file, "contract.yaml")) {
			while (start > p && start[-1] != '/')
				start--;
			base = xstrndup(start, (size_t)(slash - start));
		} else {
			base = xstrdup(file);
			base[strcspn(base, ".")] = '\0';
		}
	}
	contract_release(&c);
	diag_release(&d);
	for (char *p = base; *p; p++)
		if (*p == '/' || *p == ' ')
			*p = '_';
	char *name = xstrdup(base);
	for (int k = 2;; k++) {
		bool taken = false;
		for (size_t j = 0; j < i; j++)
			taken |= !strcmp(a->items[j].name, name);
		if (!taken)
			break;
		free(name);
		name = xasprintf("%s-%d", base, k);
	}
	free(base);
	return name;
}

/* Gives each --var to the contracts that declare it; 2 when one is given
 * to none, else 0. */
static int assign_vars(struct audit *a)
{
	const struct audit_opts *o = a->o;
	for (size_t i = 0; i < a->n; i++)
		a->items[i].vars = xcalloc(o->n_vars + 1, sizeof *a->items[i].vars);
	for (size_t v = 0; v < o->n_vars; v++) {
		size_t users = 0;
		for (size_t i = 0; i < a->n; i++) {
			if (!declares(a->items[i].path, o->vars[v]))
				continue;
			const char **list = a->items[i].vars;
			size_t k = 0;
			while (list[k])
				k++;
			list[k] = o->vars[v];
			users++;
		}
		if (!users) {
			fprintf(stderr, "parity: error: no contract declares the variable '%.*s' of --var "
				"%s: leave it out, or declare it under 'vars:'\n",
				(int)strcspn(o->vars[v], "="), o->vars[v], o->vars[v]);
			return 2;
		}
	}
	return 0;
}

static char *child_path(const struct audit *a, const struct item *it, const char *file)
{
	return xasprintf("%s/%s/%s", a->o->out, it->name, file);
}

/* Runs one contract; fills its status, stderr and report. */
static void run_item(struct audit *a, struct item *it)
{
	const struct audit_opts *o = a->o;
	char *argv[16 + 2 * 64];     /* the fixed part, then --var (at most 63) */
	char *owned[16];
	size_t n = 0, k = 0;
	const char *formats[][2] = {{"json", "report.json"}, {"junit", "report.xml"},
				    {"markdown", "report.md"}, {"console", "console.txt"},
				    {"html", "report.html"}};
	argv[n++] = (char *)(uintptr_t)o->self;
	argv[n++] = "run";
	argv[n++] = it->path;
	argv[n++] = "--quiet";
	argv[n++] = "--no-color";
	for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
		if (!reporter_find(formats[f][0]))
			continue;       /* html: when the runner has it */
		char *file = child_path(a, it, formats[f][1]);
		argv[n++] = "--report";
		argv[n++] = owned[k++] = xasprintf("%s:%s", formats[f][0], file);
		free(file);
	}
	for (size_t v = 0; it->vars[v] && v < 63; v++) {
		argv[n++] = "--var";
		argv[n++] = (char *)(uintptr_t)it->vars[v];
	}
	if (o->history) {
		argv[n++] = "--history";
		argv[n++] = (char *)(uintptr_t)o->history;
	}
	argv[n] = NULL;
	struct proc_spec spec = {argv, NULL, NULL, NULL, 0, 0, 1u << 20};
	struct proc_result r;
	char *err = NULL;
	if (proc_run(&spec, &r, &err) < 0) {
		it->status = 3;
		it->err = err;
	} else {
		it->status = r.exited ? r.status : 128 + r.signal;
		it->err = secret_mask(r.err.data);
		it->seconds = r.seconds;
		proc_result_release(&r);
	}
	char *json = child_path(a, it, "report.json");
	it->report = json_load_file(json, 0, NULL);
	free(json);
	while (k)
		free(owned[--k]);
}

static void *worker(void *arg)
{
	struct audit *a = arg;
	for (;;) {
		pthread_mutex_lock(&a->lock);
		size_t i = a->next++;
		pthread_mutex_unlock(&a->lock);
		if (i >= a->n)
			return NULL;
		run_item(a, &a->items[i]);
	}
}

static void run_all(struct audit *a)
{
	size_t jobs = a->o->jobs > 0 ? (size_t)a->o->jobs : 4;
	if (jobs > a->n)
		jobs = a->n;
	pthread_t *t = xcalloc(jobs, sizeof *t);
	size_t started = 0;
	pthread_mutex_init(&a->lock, NULL);
	for (size_t i = 0; i < jobs; i++)
		started += pthread_create(&t[started], NULL, worker, a) == 0;
	if (!started)
		worker(a);
	for (size_t i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	pthread_mutex_destroy(&a->lock);
	free(t);
}

/* ---- the summaries ---- */

/* b's text, owned by the caller; b is released. */
static char *take(struct buf *b)
{
	char *text = buf_detach(b);
	buf_release(b);
	return text;
}

static const char *item_status(const struct item *it)
{
	switch (it->status) {
	case 0: return "pass";
	case 1: return "fail";
	case 2: return "invalid";
	case 3: return "error";
	default: return "interrupted";
	}
}

/* The one-line verdict of a contract: its report's, or its first error line. */
static char *item_verdict(const struct item *it)
{
	const json_t *first = json_object_get(json_object_get(it->report, "summary"), "first_divergence");
	const char *v = json_string_value(json_object_get(first, "verdict"));
	if (v)
		return xstrdup(v);
	if (it->status == 0)
		return xstrdup("every step passed");
	const char *e = it->err && *it->err ? it->err : "no report written";
	return xstrndup(e, strcspn(e, "\n"));
}

static json_t *summary_json(const struct audit *a, int worst)
{
	json_t *list = json_array();
	for (size_t i = 0; i < a->n; i++) {
		const struct item *it = &a->items[i];
		char *verdict = item_verdict(it);
		json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:f}", "name", it->name, "path",
				      it->path, "status", item_status(it), "exit_status", it->status,
				      "verdict", verdict, "reports", it->name, "seconds", it->seconds);
		json_t *sum = json_object_get(it->report, "summary");
		if (sum)
			json_object_set(j, "summary", sum);
		json_array_append_new(list, j);
		free(verdict);
	}
	size_t counts[5] = {0};
	for (size_t i = 0; i < a->n; i++)
		counts[a->items[i].status > 3 ? 4 : a->items[i].status]++;
	return json_pack("{s:i, s:s, s:i, s:{s:i, s:i, s:i, s:i, s:i, s:i}, s:o}", "parity", 1,
			 "type", "audit", "exit_status", worst, "counts", "contracts", (int)a->n,
			 "passed", (int)counts[0], "failed", (int)counts[1], "invalid", (int)counts[2],
			 "errors", (int)counts[3], "interrupted", (int)counts[4], "contracts", list);
}

static char *summary_markdown(const struct audit *a, int worst)
{
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "# parity audit: %s\n\n%zu contract%s, exit status %d\n\n",
		   worst == 0 ? "pass" : "fail", a->n, a->n == 1 ? "" : "s", worst);
	buf_puts(&b, "| status | contract | verdict | reports |\n|---|---|---|---|\n");
	for (size_t i = 0; i < a->n; i++) {
		const struct item *it = &a->items[i];
		char *verdict = item_verdict(it);
		char *v = md_escape_cell(verdict), *name = md_escape_cell(it->name);
		buf_printf(&b, "| %s | %s | %s | [%s/report.md](%s/report.md) |\n", item_status(it), name, v,
			   name, name);
		free(v);
		free(name);
		free(verdict);
	}
	return take(&b);
}

/* One testsuite per contract: the child's own, or one standing for a
 * contract that wrote no report. */
static char *summary_junit(const struct audit *a)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
	for (size_t i = 0; i < a->n; i++) {
		const struct item *it = &a->items[i];
		char *path = child_path(a, it, "report.xml"), *text = NULL;
		FILE *f = fopen(path, "r");
		if (f) {
			struct buf t;
			char chunk[8192];
			size_t got;
			buf_init(&t);
			while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
				buf_add(&t, chunk, got);
			fclose(f);
			text = take(&t);
		}
		free(path);
		char *start = text ? strstr(text, "<testsuite") : NULL;
		char *end = text ? strstr(text, "</testsuite>") : NULL;
		if (start && end) {
			buf_add(&b, start, (size_t)(end - start) + strlen("</testsuite>"));
			buf_putc(&b, '\n');
		} else {
			char *name = xml_escape(it->name, true), *verdict = item_verdict(it);
			char *msg = xml_escape(verdict, true), *body = xml_escape(it->err ? it->err : "", false);
			buf_printf(&b, "<testsuite name=\"%s\" tests=\"1\" failures=\"0\" errors=\"1\" "
				   "skipped=\"0\">\n  <testcase name=\"contract\" classname=\"%s\">\n"
				   "    <error message=\"%s\">%s</error>\n  </testcase>\n</testsuite>\n",
				   name, name, msg, body);
			free(name);
			free(verdict);
			free(msg);
			free(body);
		}
		free(text);
	}
	buf_puts(&b, "</testsuites>\n");
	return take(&b);
}

static char *summary_html(const struct audit *a, int worst)
{
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<title>parity audit: %s</title>\n<style>\nbody{font-family:sans-serif;margin:2em}"
		   "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;"
		   "text-align:left}.pass{color:#060}.fail,.invalid,.error,.interrupted{color:#a00}\n"
		   "</style>\n</head>\n<body>\n<h1>parity audit: %s</h1>\n<p>%zu contract%s, exit "
		   "status %d</p>\n<table>\n<tr><th>status</th><th>contract</th><th>verdict</th>"
		   "<th>reports</th></tr>\n", worst ? "fail" : "pass", worst ? "fail" : "pass", a->n,
		   a->n == 1 ? "" : "s", worst);
	for (size_t i = 0; i < a->n; i++) {
		const struct item *it = &a->items[i];
		char *verdict = item_verdict(it);
		char *v = xml_escape(verdict, false), *name = xml_escape(it->name, true);
		const char *st = item_status(it);
		buf_printf(&b, "<tr><td class=\"%s\">%s</td><td>%s</td><td>%s</td><td>", st, st, name, v);
		if (reporter_find("html"))
			buf_printf(&b, "<a href=\"%s/report.html\">html</a> ", name);
		buf_printf(&b, "<a href=\"%s/report.md\">markdown</a> <a href=\"%s/report.json\">json</a> "
			   "<a href=\"%s/report.xml\">junit</a></td></tr>\n", name, name, name);
		free(v);
		free(name);
		free(verdict);
	}
	buf_puts(&b, "</table>\n</body>\n</html>\n");
	return take(&b);
}

static void summary_console(const struct audit *a, int worst, bool color)
{
	const char *red = color ? "\033[31m" : "", *green = color ? "\033[32m" : "";
	const char *off = color ? "\033[0m" : "";
	for (size_t i = 0; i < a->n; i++) {
		const struct item *it = &a->items[i];
		char *verdict = item_verdict(it);
		printf("%s%-11s%s %-24s %s\n", it->status ? red : green, item_status(it), off, it->name,
		       verdict);
		free(verdict);
	}
	size_t bad = 0;
	for (size_t i = 0; i < a->n; i++)
		bad += a->items[i].status != 0;
	printf("\nparity audit: %zu contract%s, %zu passed, %zu did not; exit status %d\n"
	       "reports: %s/ (summary.json, summary.md, junit.xml, index.html)\n", a->n,
	       a->n == 1 ? "" : "s", a->n - bad, bad, worst, a->o->out);
}

static int write_summaries(const struct audit *a, int worst)
{
	int rc = 0;
	char *err = NULL;
	json_t *j = summary_json(a, worst);
	char *texts[4] = {json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER), summary_markdown(a, worst),
			  summary_junit(a), summary_html(a, worst)};
	const char *files[4] = {"summary.json", "summary.md", "junit.xml", "index.html"};
	json_decref(j);
	for (size_t i = 0; i < 4; i++) {
		char *path = xasprintf("%s/%s", a->o->out, files[i]);
		if (file_write_text(path, "audit summary", texts[i], strlen(texts[i]), &err) < 0) {
			fprintf(stderr, "parity: error: %s\n", err);
			free(err);
			err = NULL;
			rc = 3;
		}
		free(path);
		free(texts[i]);
	}
	return rc;
}

static int collect(struct audit *a)
{
	struct stat st;
	for (size_t i = 0; i < a->o->n_paths; i++) {
		const char *p = a->o->paths[i];
		if (stat(p, &st) < 0) {
			fprintf(stderr, "parity: error: cannot read '%s': %s\n", p, strerror(errno));
			return 2;
		}
		if (!S_ISDIR(st.st_mode))
			add_item(a, xstrdup(p));
		else if (add_folder(a, p) < 0) {
			fprintf(stderr, "parity: error: cannot read folder '%s': %s\n", p, strerror(errno));
			return 2;
		}
	}
	if (!a->n) {
		fprintf(stderr, "parity: error: no contracts found in %s: give contract files, or "
			"folders holding *.yaml contracts\n", a->o->paths[0]);
		return 2;
	}
	return 0;
}

static int make_dirs(const struct audit *a)
{
	if (mkdir(a->o->out, 0777) < 0 && errno != EEXIST) {
		fprintf(stderr, "parity: error: cannot create folder '%s' for --out: %s\n", a->o->out,
			strerror(errno));
		return 3;
	}
	for (size_t i = 0; i < a->n; i++) {
		char *dir = xasprintf("%s/%s", a->o->out, a->items[i].name);
		int rc = mkdir(dir, 0777) < 0 && errno != EEXIST ? -1 : 0;
		if (rc < 0)
			fprintf(stderr, "parity: error: cannot create folder '%s': %s\n", dir, strerror(errno));
		free(dir);
		if (rc < 0)
			return 3;
	}
	return 0;
}

int audit_run(const struct audit_opts *o)
{
	struct audit a;
	int worst = 0;
	memset(&a, 0, sizeof a);
	a.o = o;
	int rc = collect(&a);
	if (!rc)
		rc = assign_vars(&a);
	for (size_t i = 0; !rc && i < a.n; i++)
		a.items[i].name = item_name(&a, i);
	if (!rc)
		rc = make_dirs(&a);
	if (rc)
		goto out;
	run_all(&a);
	for (size_t i = 0; i < a.n; i++)
		if (a.items[i].status > worst)
			worst = a.items[i].status;
	summary_console(&a, worst, o->color);
	rc = write_summaries(&a, worst);
	if (rc < worst)
		rc = worst;
out:
	for (size_t i = 0; i < a.n; i++) {
		free(a.items[i].path);
		free(a.items[i].name);
		free(a.items[i].vars);
		free(a.items[i].err);
		json_decref(a.items[i].report);
	}
	free(a.items);
	return rc;
}
