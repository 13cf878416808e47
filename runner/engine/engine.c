/* engine: the plan, the worker pool that gathers facts, and evaluation.
 * Workers take (step, environment) jobs in plan order, the first that may
 * start: its step's 'after' steps finished in every environment, and no
 * job in flight beside an exclusive one (latency gates measure alone).
 * Each job retries up to the step's 'retries' with a short backoff. A stop
 * request ends the pool early: what did not finish is marked interrupted. */
#include "engine/engine.h"
#include "engine/facts.h"
#include "engine/host.h"
#include "steps/step.h"
#include "util/cancel.h"
#include "util/clock.h"
#include "util/xalloc.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool in_list(char *const *list, const char *s)
{
	for (size_t i = 0; list && list[i]; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

void plan_init(struct plan *p, const struct contract *c, char *const *only_ids,
	       char *const *env_names)
{
	memset(p, 0, sizeof *p);
	p->c = c;
	p->step_on = xcalloc(c->n_steps + 1, sizeof *p->step_on);
	p->env_on = xcalloc(c->n_envs, sizeof *p->env_on);
	p->env_facts = xcalloc(c->n_envs, sizeof *p->env_facts);
	p->env_facts_path = xcalloc(c->n_envs, sizeof *p->env_facts_path);
	p->env_host = xcalloc(c->n_envs, sizeof *p->env_host);
	p->facts.facts = xcalloc(c->n_steps * c->n_envs + 1, sizeof *p->facts.facts);
	p->cut = xcalloc(c->n_steps * c->n_envs + 1, sizeof *p->cut);
	p->facts.n_steps = c->n_steps;
	p->facts.n_envs = c->n_envs;
	for (size_t i = 0; i < c->n_steps; i++)
		p->step_on[i] = !only_ids || in_list(only_ids, c->steps[i].id);
	for (size_t i = 0; i < c->n_envs; i++)
		p->env_on[i] = !env_names || in_list(env_names, c->envs[i].name);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	p->jobs = n > 0 ? (int)n : 1;
}

void plan_release(struct plan *p)
{
	if (!p->c)
		return;
	for (size_t i = 0; i < p->c->n_steps * p->c->n_envs; i++)
		fact_release(&p->facts.facts[i]);
	for (size_t i = 0; i < p->c->n_envs; i++) {
		json_decref(p->env_facts[i]);
		json_decref(p->env_host[i]);
		free(p->env_facts_path[i]);
	}
	free(p->facts.facts);
	free(p->cut);
	free(p->env_facts);
	free(p->env_facts_path);
	free(p->env_host);
	free(p->step_on);
	free(p->env_on);
	memset(p, 0, sizeof *p);
}

int plan_use_facts(struct plan *p, size_t env, const char *path, char **err)
{
	json_t *doc = facts_read(path, err);
	if (!doc)
		return -1;
	const char *digest = json_string_value(json_object_get(json_object_get(doc, "contract"), "sha256"));
	if (strcmp(digest, p->c->sha256)) {
		*err = xasprintf("facts file '%s' was captured under another contract (sha256 %.12s…, "
				 "'%s' is now %.12s…): capture again with this contract, or compare with "
				 "the contract it was captured from", path, digest, p->c->path, p->c->sha256);
		json_decref(doc);
		return -1;
	}
	/* another environment's facts would compare it with itself: a false PASS */
	const char *envname = json_string_value(json_object_get(doc, "environment"));
	if (strcmp(envname, p->c->envs[env].name)) {
		*err = xasprintf("facts file '%s' was captured for environment '%s', not '%s': give "
				 "each environment its own facts ('parity capture %s --env %s -o FILE')",
				 path, envname, p->c->envs[env].name, p->c->path, p->c->envs[env].name);
		json_decref(doc);
		return -1;
	}
	json_decref(p->env_facts[env]);
	json_decref(p->env_host[env]);
	p->env_facts[env] = json_incref(json_object_get(doc, "steps"));
	p->env_host[env] = json_incref(json_object_get(doc, "host"));
	free(p->env_facts_path[env]);
	p->env_facts_path[env] = xstrdup(path);
	json_decref(doc);
	return 0;
}

bool plan_wants(const struct plan *p, size_t s, size_t e)
{
	const struct step *st = &p->c->steps[s];
	if (!p->step_on[s] || !p->env_on[e] || !step_runs_in(st, &p->c->envs[e]))
		return false;
	if (!st->once)
		return true;
	/* once: the baseline when it is selected, else the first selected environment */
	size_t b = (size_t)p->c->baseline;
	if (p->env_on[b] && step_runs_in(st, &p->c->envs[b]))
		return e == b;
	for (size_t k = 0; k < p->c->n_envs; k++)
		if (p->env_on[k] && step_runs_in(st, &p->c->envs[k]))
			return k == e;
	return false;
}

struct pool {
	struct plan *p;
	size_t *jobs;           /* fact indexes to gather live */
	size_t n_jobs;
	bool *started;          /* per job */
	size_t *left;           /* per step: its jobs not finished yet */
	size_t n_started, done, in_flight;
	bool exclusive_running;
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a job finished */
};

/* Whether every step that job i's step runs after has finished everywhere. */
static bool job_ready(const struct pool *pl, size_t i)
{
	const struct contract *c = pl->p->c;
	const struct step *s = &c->steps[pl->jobs[i] / c->n_envs];
	for (size_t j = 0; j < s->n_after; j++)
		if (pl->left[s->after_idx[j]])
			return false;
	return true;
}

static bool job_exclusive(const struct pool *pl, size_t i)
{
	const struct contract *c = pl->p->c;
	return c->steps[pl->jobs[i] / c->n_envs].exclusive;
}

/* The next job that may start now (in plan order), or n_jobs. An exclusive
 * job runs alone: once one is ready, no other job starts until it has
 * started and finished (the others in flight drain first). */
static size_t job_pick(const struct pool *pl)
{
	if (pl->exclusive_running)
		return pl->n_jobs;
	for (size_t i = 0; i < pl->n_jobs; i++)
		if (!pl->started[i] && job_exclusive(pl, i) && job_ready(pl, i))
			return pl->in_flight ? pl->n_jobs : i;
	for (size_t i = 0; i < pl->n_jobs; i++)
		if (!pl->started[i] && job_ready(pl, i))
			return i;
	return pl->n_jobs;
}

/* Takes the next job under the lock, waiting while none may start; n_jobs
 * when all have started or a stop was requested. */
static size_t job_take(struct pool *pl)
{
	for (;;) {
		if (cancel_requested() || pl->n_started == pl->n_jobs)
			return pl->n_jobs;
		size_t i = job_pick(pl);
		if (i < pl->n_jobs) {
			pl->started[i] = true;
			pl->n_started++;
			pl->in_flight++;
			pl->exclusive_running = job_exclusive(pl, i);
			return i;
		}
		/* woken by a finished job; the timeout only to see a stop request */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&pl->changed, &pl->lock, &ts);
	}
}

/* Waits before retry attempt (attempt >= 1): 100 ms, 200 ms, 400 ms, 800 ms,
 * then 1.6 s; a stop request ends the wait at once. */
static void backoff(int attempt)
{
	int ms = 100 << (attempt - 1 > 4 ? 4 : attempt - 1);
	struct pollfd pfd = {cancel_fd(), POLLIN, 0};

	/* without the stop pipe (fd -1, which poll ignores), a plain sleep */
	(void)poll(&pfd, 1, ms);
}

/* Marks fact f as cut short by the stop request. */
static void mark_interrupted(const struct plan *p, size_t idx, const char *when)
{
	struct fact *f = &p->facts.facts[idx];

	json_decref(f->value);
	f->value = NULL;
	free(f->error);
	f->error = xasprintf("interrupted by %s%s", cancel_signal_name(cancel_signal()), when);
	f->state = FACT_ERROR;
	p->cut[idx] = true;
}

static void gather_one(const struct plan *p, size_t idx)
{
	const struct contract *c = p->c;
	const struct step *s = &c->steps[idx / c->n_envs];
	const struct env *e = &c->envs[idx % c->n_envs];
	struct fact *f = &p->facts.facts[idx];
	double t0 = clock_seconds();

	for (int attempt = 0; attempt <= s->retries; attempt++) {
		struct gather_ctx g = {c, s, e, {e->exec, e->n_exec, e->dir},
				       clock_ms() + s->timeout_ms};
		json_t *value = NULL;
		char *err = NULL;
		if (attempt > 0)
			backoff(attempt);
		if (cancel_requested())
			break;
		f->attempts = attempt + 1;
		if (!s->kind->gather) {
			f->state = FACT_OK;
			f->value = json_object();
			break;
		}
		if (s->kind->gather(&g, &value, &err) == 0) {
			free(f->error);
			f->error = NULL;
			f->state = FACT_OK;
			f->value = value;
			break;
		}
		free(f->error);
		f->error = err ? err : xstrdup("could not gather");
		f->state = FACT_ERROR;
	}
	/* Whatever a gather returned once the stop came may come from a killed
	 * command ("exit 143"): not a fact. */
	if (cancel_requested())
		mark_interrupted(p, idx, f->attempts ? "" : " before it started");
	f->seconds = clock_seconds() - t0;
}

static void *worker(void *arg)
{
	struct pool *pl = arg;
	const struct contract *c = pl->p->c;
	for (;;) {
		pthread_mutex_lock(&pl->lock);
		size_t i = job_take(pl);
		pthread_mutex_unlock(&pl->lock);
		if (i >= pl->n_jobs)
			break;
		size_t idx = pl->jobs[i];
		gather_one(pl->p, idx);
		pthread_mutex_lock(&pl->lock);
		pl->done++;
		pl->in_flight--;
		pl->left[idx / c->n_envs]--;
		pl->exclusive_running = false;
		pthread_cond_broadcast(&pl->changed);
		if (pl->p->progress) {
			fprintf(stderr, "\r\033[K  [%zu/%zu] %s in %s", pl->done, pl->n_jobs,
				c->steps[idx / c->n_envs].id, c->envs[idx % c->n_envs].name);
			fflush(stderr);
		}
		pthread_mutex_unlock(&pl->lock);
	}
	return NULL;
}

static void from_facts_file(struct plan *p, size_t s, size_t e)
{
	const struct contract *c = p->c;
	struct fact *f = fact_at(&p->facts, s, e);
	json_t *j = json_object_get(p->env_facts[e], c->steps[s].id);
	char *err = NULL;
	if (!j) {
		f->state = FACT_ERROR;
		f->error = xasprintf("facts file '%s' has no fact for step '%s' (captured without it: "
				     "capture again)", p->env_facts_path[e], c->steps[s].id);
		return;
	}
	if (fact_from_json(f, j, &err) < 0) {
		f->state = FACT_ERROR;
		f->error = xasprintf("facts file '%s', step '%s': %s", p->env_facts_path[e],
				     c->steps[s].id, err);
		free(err);
	}
}

void engine_gather(struct plan *p)
{
	const struct contract *c = p->c;
	struct pool pl = {0};
	pl.p = p;
	pl.jobs = xcalloc(c->n_steps * c->n_envs + 1, sizeof *pl.jobs);
	pl.started = xcalloc(c->n_steps * c->n_envs + 1, sizeof *pl.started);
	pl.left = xcalloc(c->n_steps + 1, sizeof *pl.left);
	pthread_mutex_init(&pl.lock, NULL);
	pthread_cond_init(&pl.changed, NULL);

	json_t *host = NULL;
	for (size_t e = 0; e < c->n_envs; e++) {
		if (!p->env_on[e] || p->env_host[e])
			continue;
		if (!host)
			host = host_facts();
		p->env_host[e] = json_incref(host);
	}
	json_decref(host);
	/* interleave environments so that both progress together */
	for (size_t s = 0; s < c->n_steps; s++)
		for (size_t e = 0; e < c->n_envs; e++) {
			if (!plan_wants(p, s, e))
				continue;
			if (p->env_facts[e]) {
				from_facts_file(p, s, e);
			} else {
				pl.jobs[pl.n_jobs++] = s * c->n_envs + e;
				pl.left[s]++;
			}
		}
	size_t n = (size_t)(p->jobs > 0 ? p->jobs : 1);
	if (n > pl.n_jobs)
		n = pl.n_jobs;
	pthread_t *threads = xcalloc(n + 1, sizeof *threads);
	size_t started = 0;
	/* The workers (and the threads they start) block the stop signals: the
	 * handler runs on this thread, and the workers wake on cancel_fd. */
	sigset_t old;
	cancel_block(&old);
	for (size_t i = 0; i < n; i++)
		if (pthread_create(&threads[i], NULL, worker, &pl) == 0)
			started++;
		else
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (started == 0)
		worker(&pl);        /* no thread could start: do the work here */
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (size_t i = 0; i < pl.n_jobs; i++)
		if (p->facts.facts[pl.jobs[i]].state == FACT_NONE)
			mark_interrupted(p, pl.jobs[i], " before it started");
	if (p->progress && pl.n_jobs)
		fputs("\r\033[K", stderr);
	pthread_cond_destroy(&pl.changed);
	pthread_mutex_destroy(&pl.lock);
	free(threads);
	free(pl.left);
	free(pl.started);
	free(pl.jobs);
}

void engine_today(char out[11])
{
	const char *t = getenv("PARITY_TODAY");
	if (t && strlen(t) == 10) {
		memcpy(out, t, 11);
		return;
	}
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static const struct waiver *find_waiver(const struct contract *c, const char *id)
{
	const struct waiver *best = NULL;
	for (size_t i = 0; i < c->n_waivers; i++)
		if (!strcmp(c->waivers[i].step, id) &&
		    (!best || strcmp(c->waivers[i].until, best->until) > 0))
			best = &c->waivers[i];
	return best;
}

static void evaluate_step(const struct plan *p, size_t si, struct step_result *sr, const char *today)
{
	const struct contract *c = p->c;
	const struct step *s = &c->steps[si];
	const struct fact *facts = fact_at(&p->facts, si, 0);
	bool any = false;

	sr->id = xstrdup(s->id);
	sr->kind = xstrdup(s->kind->name);
	sr->stage = xstrdup(stage_name(s->stage));
	sr->stage_index = (int)s->stage;
	sr->description = xstrdup(s->description);
	sr->severity_warning = s->severity == SEV_WARNING;
	const struct waiver *w = find_waiver(c, s->id);
	if (w) {
		sr->waiver = xstrdup(w->reason);
		sr->waiver_until = xstrdup(w->until);
		sr->waiver_expired = strcmp(today, w->until) > 0;
	}
	if (!p->step_on[si]) {
		result_add_check(sr, NULL, ST_SKIP, "selection", "not selected (--only)", NULL, NULL);
		return;
	}
	for (size_t e = 0; e < c->n_envs; e++) {
		if (facts[e].state == FACT_NONE)
			continue;
		any = true;
		sr->interrupted |= p->cut[si * c->n_envs + e];
		sr->seconds += facts[e].seconds;
		if (facts[e].state == FACT_ERROR) {
			char *name = xasprintf("%s: run", c->envs[e].name);
			char *msg = xasprintf("could not run in %s: %s", c->envs[e].name, facts[e].error);
			result_add_check(sr, c->envs[e].name, ST_ERROR, name, msg, NULL, NULL);
			free(msg);
			free(name);
		}
	}
	if (!any) {
		result_add_check(sr, NULL, ST_SKIP, "selection",
				 "runs in none of the selected environments ('only')", NULL, NULL);
		return;
	}
	int base = c->baseline;
	if (facts[base].state != FACT_OK)
		base = -1;
	struct eval_ctx ec = {c, s, facts, base, c->lock ? json_object_get(c->lock, s->id) : NULL,
			      &p->facts};
	s->kind->evaluate(&ec, sr);
	if (sr->waiver_expired) {
		char *msg = xasprintf("the waiver for step '%s' expired on %s (%s): renew it or fix "
				      "the failure", s->id, w->until, w->reason);
		bool failing = false;
		for (size_t i = 0; i < sr->n_checks; i++)
			failing |= sr->checks[i].status == ST_FAIL || sr->checks[i].status == ST_ERROR;
		if (failing)
			result_add_check(sr, NULL, ST_FAIL, "waiver", msg, w->until, today);
		free(msg);
	}
}

void engine_evaluate(const struct plan *p, struct run_result *r)
{
	const struct contract *c = p->c;
	char today[11];
	engine_today(today);

	r->contract_name = xstrdup(c->name);
	r->contract_path = xstrdup(c->path);
	r->contract_sha256 = xstrdup(c->sha256);
	r->description = xstrdup(c->description);
	r->runner_version = xstrdup(PARITY_VERSION);
	r->baseline = xstrdup(c->envs[c->baseline].name);
	r->envs = xcalloc(c->n_envs + 1, sizeof *r->envs);
	for (size_t e = 0; e < c->n_envs; e++) {
		if (!p->env_on[e])
			continue;
		struct env_result *er = &r->envs[r->n_envs++];
		er->name = xstrdup(c->envs[e].name);
		er->source = xstrdup(p->env_facts[e] ? "facts" : "live");
		er->facts_path = xstrdup(p->env_facts_path[e]);
		er->baseline = (int)e == c->baseline;
		if (c->envs[e].replica_of >= 0)
			er->replica_of = xstrdup(c->envs[c->envs[e].replica_of].name);
		er->host = p->env_host[e] ? json_masked(p->env_host[e]) : json_object();
	}
	r->steps = xcalloc(c->n_steps + 1, sizeof *r->steps);
	r->n_steps = c->n_steps;
	for (size_t i = 0; i < c->n_steps; i++)
		evaluate_step(p, i, &r->steps[i], today);
	result_finish(r);
}
