/* Unit tests for steps/request: one parser for the http and inference
 * kinds' requests (every header that is not a string reported, in the
 * arena), and the request made ready in an environment: its headers, then
 * the step's (a step header wins, names compared without case), values
 * and path expanded for the environment, TLS and the deadline from it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "steps/bind.h"
#include "steps/request.h"
#include "util/xalloc.h"

static char tmpdir[64];
static char olddir[PATH_MAX];

static const char contract_text[] =
	"parity: 1\n"
	"name: request\n"
	"vars: {tier: gold}\n"
	"environments:\n"
	"  staging:\n"
	"    url: https://127.0.0.1:8443\n"
	"    headers: {Authorization: Bearer env, X-Keep: kept, x-trace: env}\n"
	"    tls: {ca: ca.pem, verify: false}\n"
	"    vars: {tier: silver}\n"
	"steps:\n"
	"  - id: health\n"
	"    http: {request: {path: /health}}\n";

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/parity-request-XXXXXX");
	if (!mkdtemp(tmpdir) || !getcwd(olddir, sizeof olddir) || chdir(tmpdir) < 0)
		return -1;
	FILE *f = fopen("contract.yaml", "w");
	if (!f || fputs(contract_text, f) < 0 || fclose(f) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (chdir(olddir) < 0)
		return -1;
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

struct fixture {
	struct contract c;
	struct diag d;
	struct node_doc doc;
	struct parse_ctx p;
};

/* Loads contract.yaml and parses text as the request mapping of its step. */
static int parse_text(struct fixture *fx, const char *text, struct step_request *r)
{
	struct load_opts o = {NULL, false};

	diag_init(&fx->d);
	assert_int_equal(contract_open(&fx->c, "contract.yaml", &o, &fx->d), 0);
	assert_int_equal(node_parse(&fx->doc, "r.yaml", text, strlen(text), &fx->d), 0);
	fx->p = (struct parse_ctx){
		.c = &fx->c,
		.step = &fx->c.steps[0],
		.d = &fx->d,
		.pin_ctx = {&fx->c.vars, NULL, "in a pin"},
		.where = "http step 'health'",
		.arena = &fx->c.arena,
	};
	return request_parse(&fx->p, fx->doc.root, r);
}

static void fixture_release(struct fixture *fx)
{
	node_doc_release(&fx->doc);
	contract_release(&fx->c);
	diag_release(&fx->d);
}

static void test_parse_and_target(void **state)
{
	struct fixture fx;
	struct step_request r;
	struct request_target rt;
	char *err = NULL;

	(void)state;
	assert_int_equal(parse_text(&fx, "{method: PUT, path: '/v1/${vars.tier}', body: '{}', "
				    "headers: {authorization: 'Bearer ${environment}', "
				    "X-Tier: '${vars.tier}', X-Empty: ''}}", &r), 0);
	assert_string_equal(r.method, "PUT");
	assert_string_equal(r.path, "/v1/${vars.tier}");
	assert_string_equal(r.body, "{}");
	assert_int_equal(r.n_headers, 3);
	assert_string_equal(r.headers[0].name, "authorization");
	assert_string_equal(r.headers[0].value, "Bearer ${environment}");

	const struct env *e = &fx.c.envs[0];
	struct gather_ctx g = {&fx.c, &fx.c.steps[0], e, {NULL, 0, NULL}, 12345};
	assert_int_equal(request_target_init(&g, &r, &rt, &err), 0);
	assert_null(err);
	assert_string_equal(rt.t.base_url, "https://127.0.0.1:8443");
	assert_string_equal(rt.t.method, "PUT");
	assert_string_equal(rt.t.path, "/v1/silver");
	assert_string_equal(rt.body, "{}");
	assert_int_equal(rt.t.deadline_ms, 12345);
	assert_int_equal(rt.t.timeout_ms, 0);
	assert_false(rt.t.tls_verify);
	assert_non_null(rt.t.tls_ca);
	assert_string_equal(rt.t.tls_ca, e->tls_ca);
	/* the environment's (less the one the step overrides), then the step's */
	assert_int_equal(rt.t.n_headers, 5);
	const char *want[][2] = {
		{"X-Keep", "kept"}, {"x-trace", "env"}, {"authorization", "Bearer staging"},
		{"X-Tier", "silver"}, {"X-Empty", ""},
	};
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(rt.t.headers[i].name, want[i][0]);
		assert_string_equal(rt.t.headers[i].value, want[i][1]);
	}
	request_target_release(&rt);
	fixture_release(&fx);
}

static void test_defaults(void **state)
{
	struct fixture fx;
	struct step_request r;
	struct request_target rt;
	char *err = NULL;

	(void)state;
	assert_int_equal(parse_text(&fx, "{}", &r), 0);
	assert_null(r.method);
	assert_null(r.path);
	assert_null(r.body);
	assert_int_equal(r.n_headers, 0);
	struct gather_ctx g = {&fx.c, &fx.c.steps[0], &fx.c.envs[0], {NULL, 0, NULL}, 0};
	assert_int_equal(request_target_init(&g, &r, &rt, &err), 0);
	assert_null(rt.t.method);            /* transport: POST with a body, GET without */
	assert_string_equal(rt.t.path, "");
	assert_null(rt.body);
	assert_int_equal(rt.t.n_headers, 3);
	assert_string_equal(rt.t.headers[0].name, "Authorization");
	assert_string_equal(rt.t.headers[0].value, "Bearer env");
	request_target_release(&rt);
	fixture_release(&fx);
}

static void test_header_errors(void **state)
{
	struct fixture fx;
	struct step_request r;

	(void)state;
	assert_int_equal(parse_text(&fx, "headers:\n  X-A: {on: true}\n  X-B: ok\n  X-C: ~\n"
				    "  X-D: [1]\n", &r), -1);
	assert_int_equal(fx.d.errors, 3);
	assert_non_null(strstr(fx.d.text.data, "r.yaml:2:8: error: header 'X-A' must be a string, "
			       "got mapping\n"));
	assert_non_null(strstr(fx.d.text.data, "r.yaml:4:8: error: header 'X-C' must be a string, "
			       "got null\n"));
	assert_non_null(strstr(fx.d.text.data, "r.yaml:5:8: error: header 'X-D' must be a string, "
			       "got sequence\n"));
	fixture_release(&fx);

	assert_int_equal(parse_text(&fx, "{headers: [a, b]}", &r), -1);
	assert_int_equal(fx.d.errors, 1);
	fixture_release(&fx);
	assert_int_equal(parse_text(&fx, "{path: {a: 1}}", &r), -1);
	assert_non_null(strstr(fx.d.text.data, "error: 'path' must be a string, got mapping"));
	fixture_release(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_target),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_header_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
