/* result: the result model shared by every reporter. Steps collect checks
 * while they run; result_finish then applies waivers and warning severity,
 * counts the summary and names the first point of divergence, the earliest
 * pipeline stage that failed, with a one-line diagnosis of what it means:
 * the stage's usual meaning when checks failed, the step's own error when it
 * could not measure at all (an error is not a numeric divergence). */
#include "model/result.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
	[ST_PASS] = "pass",
	[ST_FAIL] = "fail",
	[ST_ERROR] = "error",
	[ST_SKIP] = "skip",
	[ST_WAIVED] = "waived",
};

/* What a first divergence in each stage most likely means. */
static const struct {
	const char *stage;
	const char *meaning;
} stage_verdicts[] = {
	{ "artifact", "artifact mismatch: the environments load different bytes (weights, preprocessor or config)" },
	{ "environment", "environment drift: library, package or variable versions differ" },
	{ "hardware", "hardware difference: GPU model, driver, CUDA runtime or TF32 setting differs" },
	{ "preprocess", "preprocessing drift: the same inputs produce different model inputs (stale preprocessor, fit_transform instead of transform, resize)" },
	{ "inference", "model outputs differ with identical artifacts and preprocessing: precision, hardware or library numerics" },
	{ "postprocess", "decisions differ while model outputs agree: the divergence is in post-processing (threshold, score function, labels)" },
	{ "distribution", "input distribution drift: the sample moved away from the reference" },
	{ "service", "service behaviour differs: status, response or latency" },
};

const char *cause_name(enum cause c)
{
	return c == CAUSE_DIVERGENCE ? "divergence" : c == CAUSE_ERROR ? "error" : NULL;
}

const char *status_name(enum status s)
{
	if ((unsigned)s >= sizeof status_names / sizeof status_names[0])
		return "unknown";
	return status_names[s];
}

void result_init(struct run_result *r)
{
	memset(r, 0, sizeof *r);
	r->summary.first_divergence = -1;
}

static void check_release(struct check *c)
{
	free(c->name);
	free(c->env);
	free(c->message);
	free(c->expected);
	free(c->actual);
	free(c->detail);
}

static void step_release(struct step_result *s)
{
	for (size_t i = 0; i < s->n_checks; i++)
		check_release(&s->checks[i]);
	free(s->checks);
	free(s->id);
	free(s->kind);
	free(s->stage);
	free(s->description);
	free(s->finding);
	free(s->waiver);
	free(s->waiver_until);
	json_decref(s->metrics);
}

static void env_release(struct env_result *e)
{
	free(e->name);
	free(e->source);
	free(e->facts_path);
	free(e->replica_of);
	json_decref(e->host);
}

void result_release(struct run_result *r)
{
	for (size_t i = 0; i < r->n_envs; i++)
		env_release(&r->envs[i]);
	free(r->envs);
	for (size_t i = 0; i < r->n_steps; i++)
		step_release(&r->steps[i]);
	free(r->steps);
	free(r->contract_name);
	free(r->contract_path);
	free(r->contract_sha256);
	free(r->description);
	free(r->runner_version);
	free(r->command);
	free(r->baseline);
	free(r->summary.verdict);
	json_decref(r->history);
	result_init(r);
}

struct check *result_add_check(struct step_result *s, const char *env, enum status st,
			       const char *name, const char *message,
			       const char *expected, const char *actual)
{
	XGROW(s->checks, s->cap_checks, s->n_checks + 1);
	struct check *c = &s->checks[s->n_checks++];
	memset(c, 0, sizeof *c);
	c->env = xstrdup(env);
	c->status = st;
	c->name = secret_mask_cut(name, RESULT_CUT_MARK);
	c->message = secret_mask_cut(message, RESULT_CUT_MARK);
	c->expected = secret_mask_cut(expected, RESULT_CUT_MARK);
	c->actual = secret_mask_cut(actual, RESULT_CUT_MARK);
	return c;
}

void result_check_detail(struct check *c, const char *detail)
{
	free(c->detail);
	c->detail = secret_mask_cut(detail, RESULT_CUT_MARK);
}

void result_finding(struct step_result *s, const char *finding)
{
	if (!s->finding && finding)
		s->finding = secret_mask_cut(finding, RESULT_CUT_MARK);
}

void result_metric(struct step_result *s, const char *env, const char *name, json_t *value)
{
	const char *key = env ? env : "all";

	if (!s->metrics)
		s->metrics = json_object();
	json_t *per_env = json_object_get(s->metrics, key);
	if (!json_is_object(per_env)) {
		per_env = json_object();
		json_object_set_new(s->metrics, key, per_env);
	}
	json_object_set_new(per_env, name, value);
}

static bool is_failure(enum status st)
{
	return st == ST_FAIL || st == ST_ERROR;
}

/* Worst of the checks: error > fail > pass; no check run at all is skip. */
static enum status raw_status(const struct step_result *s)
{
	bool any_error = false, any_fail = false, any_pass = false, any_waived = false;

	for (size_t i = 0; i < s->n_checks; i++) {
		switch (s->checks[i].status) {
		case ST_ERROR: any_error = true; break;
		case ST_FAIL: any_fail = true; break;
		case ST_PASS: any_pass = true; break;
		case ST_WAIVED: any_waived = true; break;
		case ST_SKIP: break;
		}
	}
	if (any_error)
		return ST_ERROR;
	if (any_fail)
		return ST_FAIL;
	if (any_waived)
		return ST_WAIVED;
	if (any_pass)
		return ST_PASS;
	return ST_SKIP;
}

static void finish_step(struct step_result *s)
{
	enum status st = raw_status(s);

	s->warning = false;
	s->consequence = false;
	if (is_failure(st) && s->waiver && !s->waiver_expired) {
		st = ST_WAIVED;
		for (size_t i = 0; i < s->n_checks; i++)
			if (is_failure(s->checks[i].status))
				s->checks[i].status = ST_WAIVED;
	} else if (is_failure(st) && s->severity_warning) {
		s->warning = true;
		for (size_t i = 0; i < s->n_checks; i++)
			if (is_failure(s->checks[i].status))
				s->checks[i].warning = true;
	}
	s->status = st;
}

static void count_step(struct summary *m, const struct step_result *s)
{
	if (s->warning)
		m->warnings++;
	else if (s->status == ST_PASS)
		m->passed++;
	else if (s->status == ST_FAIL)
		m->failed++;
	else if (s->status == ST_ERROR)
		m->errors++;
	else if (s->status == ST_SKIP)
		m->skipped++;
	else
		m->waived++;
	for (size_t i = 0; i < s->n_checks; i++) {
		switch (s->checks[i].status) {
		case ST_PASS: m->c_passed++; break;
		case ST_FAIL: m->c_failed++; break;
		case ST_ERROR: m->c_errors++; break;
		case ST_SKIP: m->c_skipped++; break;
		case ST_WAIVED: m->c_waived++; break;
		}
	}
}

static const char *stage_meaning(const char *stage)
{
	for (size_t i = 0; i < sizeof stage_verdicts / sizeof stage_verdicts[0]; i++)
		if (stage && strcmp(stage_verdicts[i].stage, stage) == 0)
			return stage_verdicts[i].meaning;
	return "the step failed";
}

/* A failure that can be the first divergence: it blocks the gate, and an
 * interrupted step (which blocks the gate too) says nothing about the
 * environments. */
static bool diverges(const struct step_result *s)
{
	return is_failure(s->status) && !s->warning && !s->interrupted;
}

/* A failed check: the environments were measured and differ. A step with
 * errors only could not measure: that is no divergence. */
static bool has_failed_check(const struct step_result *s)
{
	for (size_t i = 0; i < s->n_checks; i++)
		if (s->checks[i].status == ST_FAIL)
			return true;
	return false;
}

/* Whether step a (diverges) names the first divergence rather than b. */
static bool before(const struct step_result *a, const struct step_result *b)
{
	if (a->stage_index != b->stage_index)
		return a->stage_index < b->stage_index;
	return has_failed_check(a) && !has_failed_check(b);
}

/* "first error: inference (step 'logits'): an error, not a divergence:
 * could not run in production: row 1: HTTP 500 ..." from the step's first
 * error check. */
static char *error_verdict(const struct step_result *s)
{
	const char *why = NULL;
	size_t more = 0;

	for (size_t i = 0; i < s->n_checks; i++) {
		if (s->checks[i].status != ST_ERROR)
			continue;
		if (!why && s->checks[i].message)
			why = s->checks[i].message;
		else
			more++;
	}
	char *also = more ? xasprintf(" (and %zu more error%s)", more, more == 1 ? "" : "s")
			  : xstrdup("");
	char *v = xasprintf("first error: %s (step '%s'): an error, not a divergence: %s%s",
			    s->stage ? s->stage : "unknown", s->id ? s->id : "",
			    why ? why : "the step could not run", also);
	free(also);
	return v;
}

void result_finish(struct run_result *r)
{
	struct summary *m = &r->summary;
	int first = -1;

	free(m->verdict);
	memset(m, 0, sizeof *m);
	for (size_t i = 0; i < r->n_steps; i++) {
		struct step_result *s = &r->steps[i];
		finish_step(s);
		count_step(m, s);
		if (diverges(s) && (first < 0 || before(s, &r->steps[first])))
			first = (int)i;
	}
	m->ok = m->failed == 0 && m->errors == 0;
	m->first_divergence = first;
	if (first < 0)
		return;

	const struct step_result *fd = &r->steps[first];
	for (size_t i = 0; i < r->n_steps; i++) {
		struct step_result *s = &r->steps[i];
		if (diverges(s) && s->stage_index > fd->stage_index)
			s->consequence = true;
	}
	if (!has_failed_check(fd)) {
		m->cause = CAUSE_ERROR;
		m->verdict = error_verdict(fd);
		return;
	}
	m->cause = CAUSE_DIVERGENCE;
	m->verdict = xasprintf("first divergence: %s (step '%s'): %s",
			       fd->stage ? fd->stage : "unknown", fd->id ? fd->id : "",
			       fd->finding ? fd->finding : stage_meaning(fd->stage));
}

int result_exit_status(const struct run_result *r)
{
	return r->summary.ok ? 0 : 1;
}
