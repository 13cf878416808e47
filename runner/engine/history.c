/* history: runs appended to an SQLite file, and their trend read back.
 * One row per run in 'runs'; its steps, checks, metrics and facts in their
 * own tables keyed by the run's id. Facts are kept as a digest of the whole
 * fact and its string leaves ("packages.torch": "2.3.1"), masked, so that a
 * change between two runs can be said in words. */
#include "engine/history.h"
#include "engine/facts.h"
#include "steps/step.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BUSY_TIMEOUT_MS 60000
#define LEAF_MAX 64             /* string leaves kept per fact */
#define LEAF_LEN 200            /* characters kept per leaf */

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
	"INSERT OR IGNORE INTO meta VALUES('format', '1');"
	"CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" contract TEXT NOT NULL, sha256 TEXT, path TEXT, started_at TEXT, command TEXT,"
	" runner_version TEXT, duration_s REAL, status TEXT NOT NULL, environments TEXT,"
	" baseline TEXT, first_divergence TEXT, first_stage TEXT, cause TEXT, verdict TEXT);"
	"CREATE INDEX IF NOT EXISTS runs_contract ON runs(contract, id);"
	"CREATE TABLE IF NOT EXISTS steps(run INTEGER NOT NULL, step TEXT NOT NULL, kind TEXT,"
	" stage TEXT, status TEXT, PRIMARY KEY(run, step));"
	"CREATE TABLE IF NOT EXISTS checks(run INTEGER NOT NULL, step TEXT, name TEXT, env TEXT,"
	" status TEXT, message TEXT);"
	"CREATE TABLE IF NOT EXISTS metrics(run INTEGER NOT NULL, step TEXT, env TEXT, name TEXT,"
	" value REAL, json TEXT);"
	"CREATE INDEX IF NOT EXISTS metrics_run ON metrics(run);"
	"CREATE TABLE IF NOT EXISTS facts(run INTEGER NOT NULL, env TEXT, step TEXT, digest TEXT,"
	" leaves TEXT);"
	"CREATE INDEX IF NOT EXISTS facts_run ON facts(run);";

static char *db_error(sqlite3 *db, const char *path, const char *what)
{
	return xasprintf("history '%s': %s: %s", path, what, db ? sqlite3_errmsg(db) : "out of memory");
}

/* Opens path (created when write is set); -1 with *err. */
static int db_open(const char *path, bool write, sqlite3 **db, char **err)
{
	struct stat st;
	*db = NULL;
	if (!write && stat(path, &st) < 0) {
		*err = xasprintf("cannot read history '%s': %s (write one with 'parity run CONTRACT "
				 "--history %s')", path, strerror(errno), path);
		return -1;
	}
	int flags = write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
	if (sqlite3_open_v2(path, db, flags | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		*err = db_error(*db, path, "cannot open");
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*db, BUSY_TIMEOUT_MS);
	if (write && sqlite3_exec(*db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK) {
		*err = db_error(*db, path, "cannot switch to WAL mode");
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}

static int db_exec(sqlite3 *db, const char *path, const char *sql, char **err)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	*err = db_error(db, path, "cannot write");
	return -1;
}

/* Prepares sql and binds the texts (NULL binds NULL); NULL on error. */
static sqlite3_stmt *stmt(sqlite3 *db, const char *sql, size_t n, const char *const *texts)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	for (size_t i = 0; i < n; i++)
		sqlite3_bind_text(s, (int)i + 1, texts[i], -1, SQLITE_TRANSIENT);
	return s;
}

/* Runs an insert of n texts, the first parameter being the run id. */
static int insert(sqlite3 *db, const char *sql, sqlite3_int64 run, size_t n,
		  const char *const *texts)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, run);
	for (size_t i = 0; i < n; i++)
		sqlite3_bind_text(s, (int)i + 2, texts[i], -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(s);
	return rc;
}

static const char *run_status(const struct run_result *r)
{
	if (r->summary.ok)
		return "pass";
	return r->summary.cause == CAUSE_ERROR ? "error" : "fail";
}

static sqlite3_int64 insert_run(sqlite3 *db, const struct run_result *r)
{
	json_t *envs = json_array();
	for (size_t i = 0; i < r->n_envs; i++)
		json_array_append_new(envs, json_string(r->envs[i].name));
	char *envs_text = json_dumps(envs, JSON_COMPACT);
	json_decref(envs);
	const struct step_result *first = r->summary.first_divergence >= 0
		? &r->steps[r->summary.first_divergence] : NULL;
	const char *texts[] = {
		r->contract_name, r->contract_sha256, r->contract_path, r->started_at, r->command,
		r->runner_version, run_status(r), envs_text, r->baseline, first ? first->id : NULL,
		first ? first->stage : NULL, cause_name(r->summary.cause), r->summary.verdict,
	};
	sqlite3_stmt *s = stmt(db, "INSERT INTO runs(contract, sha256, path, started_at, command, "
			       "runner_version, status, environments, baseline, first_divergence, "
			       "first_stage, cause, verdict, duration_s) "
			       "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			       sizeof texts / sizeof texts[0], texts);
	free(envs_text);
	if (!s)
		return -1;
	sqlite3_bind_double(s, 14, isfinite(r->duration_s) ? r->duration_s : 0.0);
	sqlite3_int64 id = sqlite3_step(s) == SQLITE_DONE ? sqlite3_last_insert_rowid(db) : -1;
	sqlite3_finalize(s);
	return id;
}

static int insert_metrics(sqlite3 *db, sqlite3_int64 run, const struct step_result *st)
{
	const char *env, *name;
	json_t *per_env, *v;
	json_object_foreach(st->metrics, env, per_env) {
		json_object_foreach(per_env, name, v) {
			char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
			sqlite3_stmt *s = NULL;
			int rc = -1;
			if (sqlite3_prepare_v2(db, "INSERT INTO metrics VALUES(?,?,?,?,?,?)", -1, &s,
					       NULL) == SQLITE_OK) {
				sqlite3_bind_int64(s, 1, run);
				sqlite3_bind_text(s, 2, st->id, -1, SQLITE_TRANSIENT);
				sqlite3_bind_text(s, 3, env, -1, SQLITE_TRANSIENT);
				sqlite3_bind_text(s, 4, name, -1, SQLITE_TRANSIENT);
				if (json_is_number(v))
					sqlite3_bind_double(s, 5, json_number_value(v));
				sqlite3_bind_text(s, 6, text, -1, SQLITE_TRANSIENT);
				rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
			}
			sqlite3_finalize(s);
			free(text);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

static int insert_steps(sqlite3 *db, sqlite3_int64 run, const struct run_result *r)
{
	for (size_t i = 0; i < r->n_steps; i++) {
		const struct step_result *st = &r->steps[i];
		const char *row[] = {st->id, st->kind, st->stage, status_name(st->status)};
		if (insert(db, "INSERT OR REPLACE INTO steps VALUES(?,?,?,?,?)", run, 4, row) < 0)
			return -1;
		for (size_t k = 0; k < st->n_checks; k++) {
			const struct check *c = &st->checks[k];
			const char *crow[] = {st->id, c->name, c->env, status_name(c->status), c->message};
			if (insert(db, "INSERT INTO checks VALUES(?,?,?,?,?,?)", run, 5, crow) < 0)
				return -1;
		}
		if (st->metrics && insert_metrics(db, run, st) < 0)
			return -1;
	}
	return 0;
}

/* The string leaves of j under prefix into out: {"a.b": "text"}, masked. */
static void leaves(const json_t *j, const char *prefix, json_t *out)
{
	const char *k;
	json_t *v;
	if (json_object_size(out) >= LEAF_MAX)
		return;
	if (json_is_string(j) || json_is_boolean(j) || json_is_integer(j)) {
		char *text = json_is_string(j) ? secret_mask(json_string_value(j))
			: json_dumps(j, JSON_ENCODE_ANY);
		if (strlen(text) > LEAF_LEN)
			text[LEAF_LEN] = '\0';
		json_object_set_new(out, prefix, json_string(text));
		free(text);
		return;
	}
	json_object_foreach((json_t *)(uintptr_t)j, k, v) {
		char *path = *prefix ? xasprintf("%s.%s", prefix, k) : xstrdup(k);
		leaves(v, path, out);
		free(path);
	}
}

static int insert_fact(sqlite3 *db, sqlite3_int64 run, const char *env, const char *step,
		       const json_t *value)
{
	char hex[SHA256_HEX_LEN + 1];
	char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY |
				JSON_REAL_PRECISION(17));
	hash_sha256_hex(text, strlen(text), hex);
	free(text);
	json_t *l = json_object();
	leaves(value, "", l);
	char *ltext = json_dumps(l, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(l);
	const char *row[] = {env, step, hex, ltext};
	int rc = insert(db, "INSERT INTO facts VALUES(?,?,?,?,?)", run, 4, row);
	free(ltext);
	return rc;
}

static int insert_facts(sqlite3 *db, sqlite3_int64 run, const struct plan *p,
			const struct run_result *r)
{
	for (size_t e = 0; e < r->n_envs; e++)
		if (r->envs[e].host && insert_fact(db, run, r->envs[e].name, "host", r->envs[e].host) < 0)
			return -1;
	if (!p)
		return 0;
	for (size_t e = 0; e < p->c->n_envs; e++) {
		for (size_t s = 0; p->env_on[e] && s < p->c->n_steps; s++) {
			const struct fact *f = fact_at(&p->facts, s, e);
			if (f->state == FACT_OK &&
			    insert_fact(db, run, p->c->envs[e].name, p->c->steps[s].id, f->value) < 0)
				return -1;
		}
	}
	return 0;
}

int history_append(const char *path, const struct plan *p, const struct run_result *r,
		   char **err)
{
	sqlite3 *db = NULL;
	int rc = -1;
	if (db_open(path, true, &db, err) < 0)
		return -1;
	if (db_exec(db, path, "BEGIN IMMEDIATE", err) < 0)
		goto out;
	if (db_exec(db, path, schema_sql, err) < 0)
		goto rollback;
	sqlite3_int64 run = insert_run(db, r);
	if (run < 0 || insert_steps(db, run, r) < 0 || insert_facts(db, run, p, r) < 0) {
		*err = db_error(db, path, "cannot append the run");
		goto rollback;
	}
	rc = db_exec(db, path, "COMMIT", err);
	if (rc == 0)
		goto out;
rollback:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	rc = -1;
out:
	sqlite3_close(db);
	return rc;
}

/* ---- reading ---- */

struct runs {
	sqlite3_int64 *id;
	char **started, **status, **first, **sha;
	size_t n;
};

static void runs_release(struct runs *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->started[i]);
		free(rs->status[i]);
		free(rs->first[i]);
		free(rs->sha[i]);
	}
	free(rs->id);
	free(rs->started);
	free(rs->status);
	free(rs->first);
	free(rs->sha);
	memset(rs, 0, sizeof *rs);
}

static char *column(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? xstrdup((const char *)t) : NULL;
}

/* The last `last` runs of name, oldest first; -1 when the file cannot be read. */
static int runs_load(sqlite3 *db, const char *name, size_t last, struct runs *rs)
{
	const char *args[] = {name};
	sqlite3_stmt *s = stmt(db, "SELECT id, started_at, status, first_divergence, sha256 FROM "
			       "(SELECT * FROM runs WHERE contract = ? ORDER BY id DESC LIMIT ?) "
			       "ORDER BY id", 1, args);
	memset(rs, 0, sizeof *rs);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 2, (sqlite3_int64)last);
	size_t cap = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (rs->n == cap) {
			cap = cap ? 2 * cap : 16;
			rs->id = xrealloc(rs->id, cap * sizeof *rs->id);
			rs->started = xrealloc(rs->started, cap * sizeof *rs->started);
			rs->status = xrealloc(rs->status, cap * sizeof *rs->status);
			rs->first = xrealloc(rs->first, cap * sizeof *rs->first);
			rs->sha = xrealloc(rs->sha, cap * sizeof *rs->sha);
		}
		rs->id[rs->n] = sqlite3_column_int64(s, 0);
		rs->started[rs->n] = column(s, 1);
		rs->status[rs->n] = column(s, 2);
		rs->first[rs->n] = column(s, 3);
		rs->sha[rs->n] = column(s, 4);
		rs->n++;
	}
	sqlite3_finalize(s);
	return 0;
}

/* {"step": {"env": {"metric": [value or null per run]}}} of the runs; only
 * step `only` when it is not NULL. */
static json_t *series_collect(sqlite3 *db, const struct runs *rs, const char *only)
{
	json_t *out = json_object();
	for (size_t i = 0; i < rs->n; i++) {
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(db, "SELECT step, env, name, json FROM metrics WHERE run = ? "
				       "ORDER BY rowid", -1, &s, NULL) != SQLITE_OK)
			break;
		sqlite3_bind_int64(s, 1, rs->id[i]);
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *step = (const char *)sqlite3_column_text(s, 0);
			const char *env = (const char *)sqlite3_column_text(s, 1);
			const char *name = (const char *)sqlite3_column_text(s, 2);
			const char *text = (const char *)sqlite3_column_text(s, 3);
			if (!step || !env || !name || !text || (only && strcmp(step, only)))
				continue;
			json_t *per_step = json_object_get(out, step);
			if (!per_step)
				json_object_set_new(out, step, per_step = json_object());
			json_t *per_env = json_object_get(per_step, env);
			if (!per_env)
				json_object_set_new(per_step, env, per_env = json_object());
			json_t *arr = json_object_get(per_env, name);
			if (!arr) {
				json_object_set_new(per_env, name, arr = json_array());
				for (size_t k = 0; k < rs->n; k++)
					json_array_append_new(arr, json_null());
			}
			json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
			json_array_set_new(arr, i, v ? v : json_null());
		}
		sqlite3_finalize(s);
	}
	return out;
}

json_t *history_series(const char *path, const char *name, size_t last, char **err)
{
	sqlite3 *db;
	struct runs rs;
	if (db_open(path, false, &db, err) < 0)
		return NULL;
	if (runs_load(db, name, last, &rs) < 0) {
		*err = db_error(db, path, "not a parity history file");
		sqlite3_close(db);
		return NULL;
	}
	json_t *out = series_collect(db, &rs, NULL);
	runs_release(&rs);
	sqlite3_close(db);
	return out;
}

/* A value for a trend line: numbers short, digests cut. */
static char *show(const char *s)
{
	if (s && strlen(s) == SHA256_HEX_LEN && strspn(s, "0123456789abcdef") == SHA256_HEX_LEN)
		return xasprintf("%.12s", s);
	return xstrdup(s ? s : "(none)");
}

static void print_runs(FILE *f, sqlite3 *db, const struct runs *rs, const char *step)
{
	fprintf(f, "  %4s  %-20s  %-6s  %-12s  %s\n", "run", "started", "status", "sha256",
		step ? "step status" : "first divergence");
	for (size_t i = 0; i < rs->n; i++) {
		char *st = NULL;
		if (step) {
			sqlite3_stmt *s = NULL;
			if (sqlite3_prepare_v2(db, "SELECT status FROM steps WHERE run = ? AND step = ?",
					       -1, &s, NULL) == SQLITE_OK) {
				sqlite3_bind_int64(s, 1, rs->id[i]);
				sqlite3_bind_text(s, 2, step, -1, SQLITE_TRANSIENT);
				if (sqlite3_step(s) == SQLITE_ROW)
					st = column(s, 0);
			}
			sqlite3_finalize(s);
		}
		const char *last = step ? (st ? st : "-") : (rs->first[i] ? rs->first[i] : "-");
		fprintf(f, "  %4zu  %-20s  %-6s  %-12.12s  %s\n", i + 1,
			rs->started[i] ? rs->started[i] : "", rs->status[i] ? rs->status[i] : "",
			rs->sha[i] ? rs->sha[i] : "", last);
		free(st);
	}
}

static void print_series(FILE *f, json_t *series)
{
	const char *step, *env, *name;
	json_t *per_step, *per_env, *arr, *v;
	size_t i;
	if (!json_object_size(series)) {
		fputs("metrics: none recorded\n", f);
		return;
	}
	fputs("metrics, oldest first (- where a run has none):\n", f);
	json_object_foreach(series, step, per_step) {
		json_object_foreach(per_step, env, per_env) {
			json_object_foreach(per_env, name, arr) {
				fprintf(f, "  %s  %s  %s:", step, env, name);
				json_array_foreach(arr, i, v) {
					if (json_is_number(v)) {
						fprintf(f, " %.6g", json_number_value(v));
					} else if (json_is_null(v)) {
						fputs(" -", f);
					} else {
						char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
						fprintf(f, " %s", t);
						free(t);
					}
				}
				fputc('\n', f);
			}
		}
	}
}

/* {"env\tstep": leaves} of one run. */
static json_t *facts_of(sqlite3 *db, sqlite3_int64 run)
{
	json_t *out = json_object();
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, "SELECT env, step, leaves FROM facts WHERE run = ? ORDER BY rowid",
			       -1, &s, NULL) != SQLITE_OK)
		return out;
	sqlite3_bind_int64(s, 1, run);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *env = (const char *)sqlite3_column_text(s, 0);
		const char *step = (const char *)sqlite3_column_text(s, 1);
		const char *text = (const char *)sqlite3_column_text(s, 2);
		json_t *l = text ? json_loads(text, 0, NULL) : NULL;
		if (!env || !step || !l) {
			json_decref(l);
			continue;
		}
		char *key = xasprintf("%s\t%s", env, step);
		json_object_set_new(out, key, l);
		free(key);
	}
	sqlite3_finalize(s);
	return out;
}

/* Prints each leaf that differs between the facts of runs i-1 and i;
 * returns how many. */
static size_t print_changes(FILE *f, const struct runs *rs, size_t i, json_t *before,
			    json_t *after, const char *only)
{
	const char *key, *leaf;
	json_t *l, *v;
	size_t n = 0;
	json_object_foreach(after, key, l) {
		const char *tab = strchr(key, '\t');
		const json_t *old = json_object_get(before, key);
		if (!old || (only && strcmp(tab + 1, only) && strcmp(tab + 1, "host")))
			continue;
		json_object_foreach(l, leaf, v) {
			const char *was = json_string_value(json_object_get(old, leaf));
			const char *now = json_string_value(v);
			if (was && now && !strcmp(was, now))
				continue;
			char *a = show(was), *b = show(now);
			const char *dot = strrchr(leaf, '.');
			fprintf(f, "  %.*s: %s %s -> %s between the runs of %s and %s (runs %zu and %zu, "
				"step '%s', fact '%s')\n", (int)(tab - key), key, dot ? dot + 1 : leaf, a, b,
				rs->started[i - 1] ? rs->started[i - 1] : "?",
				rs->started[i] ? rs->started[i] : "?", i, i + 1, tab + 1, leaf);
			free(a);
			free(b);
			n++;
		}
	}
	return n;
}

static void print_facts(FILE *f, sqlite3 *db, const struct runs *rs, const char *only)
{
	size_t n = 0;
	json_t *before = rs->n ? facts_of(db, rs->id[0]) : json_object();
	fputs("facts that changed:\n", f);
	for (size_t i = 1; i < rs->n; i++) {
		json_t *after = facts_of(db, rs->id[i]);
		n += print_changes(f, rs, i, before, after, only);
		json_decref(before);
		before = after;
	}
	json_decref(before);
	if (!n)
		fputs("  none\n", f);
}

/* The contracts in the file, sorted; NULL-terminated, owned by the caller. */
static char **contracts_in(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	size_t n = 0, cap = 4;
	char **names = xcalloc(cap, sizeof *names);
	if (sqlite3_prepare_v2(db, "SELECT DISTINCT contract FROM runs ORDER BY contract", -1, &s,
			       NULL) != SQLITE_OK) {
		free(names);
		return NULL;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n + 1 >= cap)
			names = xrealloc(names, (cap *= 2) * sizeof *names);
		names[n++] = column(s, 0);
		names[n] = NULL;
	}
	sqlite3_finalize(s);
	return names;
}

static void print_contract(FILE *f, sqlite3 *db, const char *path, const char *name,
			   const struct history_query *q, const struct runs *rs)
{
	fprintf(f, "contract '%s' in '%s': the last %zu run%s, oldest first\n", name, path, rs->n,
		rs->n == 1 ? "" : "s");
	print_runs(f, db, rs, q->step);
	json_t *series = series_collect(db, rs, q->step);
	print_series(f, series);
	json_decref(series);
	print_facts(f, db, rs, q->step);
}

static bool step_known(sqlite3 *db, const char *name, const char *step)
{
	const char *args[] = {name, step};
	sqlite3_stmt *s = stmt(db, "SELECT 1 FROM steps JOIN runs ON steps.run = runs.id "
			       "WHERE runs.contract = ? AND steps.step = ? LIMIT 1", 2, args);
	bool found = s && sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

int history_print(const char *path, const struct history_query *q, FILE *f, char **err)
{
	sqlite3 *db;
	int rc = -1;
	if (db_open(path, false, &db, err) < 0)
		return -1;
	char **names = contracts_in(db);
	if (!names) {
		*err = db_error(db, path, "not a parity history file");
		goto out;
	}
	size_t shown = 0;
	for (size_t i = 0; names[i]; i++) {
		if (q->contract && strcmp(q->contract, names[i]))
			continue;
		if (q->step && !step_known(db, names[i], q->step)) {
			if (q->contract) {
				*err = xasprintf("history '%s': contract '%s' has no step '%s' in its runs",
						 path, names[i], q->step);
				goto out;
			}
			continue;
		}
		struct runs rs;
		if (runs_load(db, names[i], q->last, &rs) < 0)
			continue;
		if (shown++)
			fputc('\n', f);
		print_contract(f, db, path, names[i], q, &rs);
		runs_release(&rs);
	}
	if (!shown && q->contract) {
		struct buf b;
		buf_init(&b);
		for (size_t i = 0; names[i]; i++)
			buf_printf(&b, "%s'%s'", i ? ", " : "", names[i]);
		*err = names[0] ? xasprintf("history '%s' has no runs of contract '%s' (it has %s)", path,
					    q->contract, b.data)
				: xasprintf("history '%s' has no runs yet", path);
		buf_release(&b);
		goto out;
	}
	if (!shown && q->step) {
		*err = xasprintf("history '%s': no contract has a step '%s' in its runs", path, q->step);
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
	sqlite3_close(db);
	return rc;
}
